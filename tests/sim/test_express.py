"""The one-line fast path of order serving gives the results of the general path: counts
exactly, sums to 1e-12 (its records are folded with numpy, ``sim/express.py``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from supplylab.scenario import load
from supplylab.sim import kpis as K
from supplylab.sim.engine import Model
from supplylab.sim.summary import summarise

from .helpers import single_site

ROOT = Path(__file__).resolve().parents[2]


#: figures that count (orders, units): the fast path must give them exactly
COUNTS = {"orders", "demand_units", "delivered_units", "lost_sales_units", "returned_units"}


def outcome(sc, express: bool, days: float) -> tuple[dict, float]:
    """KPIs and breakdowns of one replication, and the units the fast path served."""
    m = Model(sc, 3, 1, days)
    m.orders.express = express
    m.run()
    m.finish()
    kpis, by = summarise(m)
    served = float(np.frombuffer(m.k.cm, dtype=float).reshape(-1, K.ML)[:, K.EXPRESS].sum())
    return json.loads(json.dumps({"kpis": kpis, "by": by})), served


def differences(a, b, path: str = "") -> list[str]:
    """Leaves of ``a`` and ``b`` that differ: counts at all, other figures beyond 1e-12
    relative (the fast path's sums are folded in another order, ``sim/express.py``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}/{k}")]
    if a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a)
                  and math.isnan(b)):
        return []
    if (path.rsplit("/", 1)[-1] not in COUNTS and isinstance(a, float) and isinstance(b, float)
            and abs(a - b) <= 1e-12 * max(abs(a), abs(b))):
        return []
    return [f"{path}: {a!r} != {b!r}"]


def quality_site(over: dict | None = None):
    """Processing queue, damage, document errors, returns, a warm-up and lost sales
    (``over``: ``{"allocation.rule": rule}`` or nothing)."""
    rule = {"allocation": {"rule": over["allocation.rule"]}} if over else {}
    return single_site(rate=6, policy={"policy": "sS", "s": 8, "S": 25}, lead_time=2,
                       horizon=120, warmup=10, importance=2, backorder_days=1, processors=2,
                       processing={"dist": "exponential", "mean": 0.2},
                       extra={"facilities": [{
                           "id": "W", "location": {"lat": 45.0, "lon": 7.0},
                           "order_processors": 2, "damage_rate": 0.05, "doc_error_rate": 0.02,
                           "order_processing_time": {"dist": "exponential", "mean": 0.2},
                           "inventory": {"P": {"policy": "sS", "s": 8, "S": 25}}}]} | rule)


@pytest.mark.parametrize("name", ["regional_3pl", "crm_tiers", "monitor_shortage", "quality"])
def test_fast_path_matches_the_general_path(name):
    """Under ``fifo`` (FCFS sites, where the fast path serves) and under the scenario's rule."""
    for rule in ("fifo", None):
        over = {} if rule is None else {"allocation.rule": rule}
        sc = quality_site(over) if name == "quality" else \
            load(ROOT / "scenarios" / f"{name}.yaml", over)
        days = 120.0 if name == "quality" else 60.0
        (fast, served), (general, none) = outcome(sc, True, days), outcome(sc, False, days)
        assert fast["kpis"]["orders"] > 100
        assert none == 0
        if rule == "fifo":
            assert served > 0.05 * fast["kpis"]["demand_units"]  # the fast path was taken
        assert differences(fast, general) == []


def test_fast_path_at_a_priority_station_when_it_processes_at_once():
    """Under ``priority`` a one-line order whose station (processing only, feeding no
    downstream stock point) has a server free takes the fast path; one that would wait takes
    the general path; the results are the general path's."""
    sc = quality_site({"allocation.rule": "priority"})
    (fast, served), (general, none) = outcome(sc, True, 120.0), outcome(sc, False, 120.0)
    demand = fast["kpis"]["demand_units"]
    assert none == 0
    assert 0.05 * demand < served < 0.95 * demand  # both paths were taken
    assert differences(fast, general) == []


def multi_line_site(rule: str, processing: object):
    """Orders of one to three lines (of three products) from one warehouse over a lane of 1.5
    days (deliveries after the horizon), with damage, document errors, returns, a warm-up,
    lost sales and the processing time ``processing``."""
    here = {"lat": 45.0, "lon": 7.0}
    stock = {"policy": "sS", "s": 10, "S": 30}
    return single_site(
        rate=4, policy=stock, lead_time=2, horizon=120, warmup=10, importance=2,
        backorder_days=1, extra={
            "allocation": {"rule": rule},
            "products": [{"id": p, "price": 10 + i, "unit_cost": 4, "importance": 2 + (i == 2),
                          "max_backorder_days": 1, "return_rate": 0.1 * (i == 1)}
                         for i, p in enumerate(("P", "Q", "R"))],
            "suppliers": [{"id": "S", "location": here, "products": ["P", "Q", "R"],
                           "lead_time": 2}],
            "facilities": [{
                "id": "W", "location": here, "order_processors": 2, "damage_rate": 0.05,
                "doc_error_rate": 0.02, "order_processing_time": processing,
                "inventory": {"default": stock}}],
            "lanes": [{"from": "W", "to": "C", "transit_time": 1.5}],
            "customers": [{"id": "C", "tier": "standard", "location": here,
                           "orders_per_day": 4, "requested_lead_time_days": 3,
                           "lines_per_order": {"dist": "poisson", "mean": 2},
                           "product_mix": {"P": 3, "Q": 2, "R": 1}}]})


@pytest.mark.parametrize(("rule", "processing"), [
    ("fifo", 0), ("fifo", {"dist": "exponential", "mean": 0.2}),
    ("priority", {"dist": "exponential", "mean": 0.2})])
def test_multi_line_fast_path_matches_the_general_path(rule, processing, monkeypatch):
    """Orders of several lines served in full from one site at entry take the fast path
    (FCFS sites, instant or processing; a priority site when it processes them at once) and
    give the general path's results; at the priority site some orders wait and take the
    general path."""
    from supplylab.sim.orders import OrderDesk

    taken = {"multi": 0}
    fast_lines = OrderDesk._lines_from_stock

    def counted(self, *args):
        ok = fast_lines(self, *args)
        taken["multi"] += ok
        return ok

    monkeypatch.setattr(OrderDesk, "_lines_from_stock", counted)
    sc = multi_line_site(rule, processing)
    (fast, _), (general, none) = outcome(sc, True, 120.0), outcome(sc, False, 120.0)
    assert none == 0
    assert fast["kpis"]["returned_units"] > 0
    orders = fast["kpis"]["orders"]
    assert 0.2 * orders < taken["multi"] < orders
    assert differences(fast, general) == []


@pytest.mark.parametrize(("name", "share"), [
    ("regional_3pl", 0.05), ("multi_fifo", 0.2), ("multi_priority", 0.2)])
def test_fast_paths_on_route_prototypes_match_the_general_path(name, share, monkeypatch):
    """With more (customer, product) pairs than the route cache holds (here a cache of one
    route) the fast paths are given the route prototypes of the customers of a ``served_by``
    group (``Routing.lean``) and make no route for them (``share``: the least share of the orders
    they serve so, regional_3pl's ``served_by`` customers buy about a tenth of them); the
    results are the general path's, and the cached routes' (the full cache)."""
    from supplylab.sim import routing
    from supplylab.sim.orders import OrderDesk

    served = {True: 0, False: 0}  # orders served by a fast path, given prototypes or not

    def counting(fast):
        def wrapped(self, ci, now, rts, *args):
            ok = fast(self, ci, now, rts, *args)
            lane = (rts[0] if isinstance(rts, list) else rts).lane
            served[lane is None] += ok
            return ok
        return wrapped

    monkeypatch.setattr(OrderDesk, "_from_stock", counting(OrderDesk._from_stock))
    monkeypatch.setattr(OrderDesk, "_lines_from_stock", counting(OrderDesk._lines_from_stock))
    if name.startswith("multi"):
        sc = multi_line_site(name.removeprefix("multi_"), {"dist": "exponential", "mean": 0.2})
        sc = sc.model_copy(update={"customers": [
            c.model_copy(update={"served_by": "W"}) for c in sc.customers]})
        days = 120.0
    else:
        sc = load(ROOT / "scenarios" / f"{name}.yaml", {"allocation.rule": "fifo"})
        days = 60.0
    cached, _ = outcome(sc, True, days)
    assert served[True] == 0 and served[False] > 0  # every pair fits: routes only
    monkeypatch.setattr(routing, "CACHED", 1)
    lean, _ = outcome(sc, True, days)
    general, _ = outcome(sc, False, days)
    assert served[True] > share * general["kpis"]["orders"]
    assert differences(lean, general) == []
    assert differences(cached, general) == []
