"""Perfect orders: damage and document errors are drawn per shipment of an order, on every flow.

An order is perfect when it is in full, on time, undamaged and with correct documents. With
ample stock and no delays only quality fails, so P(perfect) = ((1 - d)(1 - e))^k for an order
shipped in k shipments by sites with damage rate d and document error rate e, whatever its
number of lines.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from supplylab.scenario import build
from supplylab.sim import run_replication

from ..conftest import assert_covers

HERE = {"lat": 45.0, "lon": 7.0}
AMPLE = {"policy": "sS", "s": 0, "S": 10_000_000}
D, E = 0.1, 0.05


def sites(split: bool, lines: int = 3, extra: dict | None = None) -> Any:
    """Products P, Q, R; one site stocking all (split=False) or three sites, one each."""
    prods = ["P", "Q", "R"]
    if split:
        facs = [{"id": f"W{p}", "location": HERE, "damage_rate": D, "doc_error_rate": E,
                 "inventory": {p: AMPLE}} for p in prods]
    else:
        facs = [{"id": "W", "location": HERE, "damage_rate": D, "doc_error_rate": E,
                 "inventory": {"default": AMPLE}}]
    data = {
        "name": "quality", "simulation": {"horizon_days": 400, "warmup_days": 0},
        "products": [{"id": p, "price": 10, "unit_cost": 4} for p in prods],
        "suppliers": [{"id": "S", "location": HERE, "products": prods}],
        "facilities": facs,
        "customers": [{"id": "CUST", "tier": "standard", "location": HERE, "orders_per_day": 20,
                       "lines_per_order": lines, "product_mix": {p: 1 for p in prods}}],
    }
    data.update(extra or {})
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def perfect(runs: list) -> list[float]:
    return [r.kpis["perfect_order_rate"] for r in runs]


def test_one_site_perfect_rate_does_not_depend_on_lines():
    expected = (1 - D) * (1 - E)
    for lines in (1, 3):
        runs = [run_replication(sites(False, lines), 3, k) for k in range(3)]
        assert_covers(perfect(runs), expected, floor=0.01)


def test_three_shipments_multiply():
    runs = [run_replication(sites(True), 3, k) for k in range(3)]
    assert_covers(perfect(runs), ((1 - D) * (1 - E)) ** 3, floor=0.01)
    for r in runs:  # the four reasons: only quality fails here
        k = r.kpis
        assert k["orders_incomplete"] == 0 and k["orders_late"] == 0
        assert k["orders_damaged"] / k["orders"] == pytest.approx(1 - (1 - D) ** 3, abs=0.02)
        assert k["orders_doc_error"] / k["orders"] == pytest.approx(1 - (1 - E) ** 3, abs=0.02)
        failed = k["orders"] * (1 - k["perfect_order_rate"])
        assert failed <= k["orders_damaged"] + k["orders_doc_error"]
        for fac in ("WP", "WQ", "WR"):  # by site: each line's site
            assert r.by["facility"][fac]["orders_damaged"] > 0


def flow(kind: str) -> Any:
    """Every shipment damaged: through a cross-dock, or direct from the supplier."""
    fac = {"id": "X", "location": HERE, "kind": "cross_dock", "damage_rate": 1.0}
    sup = {"id": "S", "location": HERE, "products": ["P", "Q"], "damage_rate": 1.0}
    data = {
        "name": kind, "simulation": {"horizon_days": 60},
        "products": [{"id": "P"}, {"id": "Q"}],
        "suppliers": [sup],
        "facilities": [fac] if kind == "cross_dock" else [
            {"id": "W", "location": HERE, "inventory": {"default": AMPLE}}],
        "customers": [{"id": "CUST", "tier": "standard", "location": HERE, "orders_per_day": 5,
                       "lines_per_order": 2, "product_mix": {"P": 1, "Q": 1},
                       "strategy": kind}],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


@pytest.mark.parametrize("kind", ["cross_dock", "direct"])
def test_flow_through_shipments_can_be_damaged(kind: str):
    r = run_replication(flow(kind), 1, 0)
    k = r.kpis
    assert k["orders"] > 100
    assert k["perfect_order_rate"] == 0
    assert k["orders_damaged"] == k["orders"]  # one damaged shipment per order
    assert k["orders_doc_error"] == 0


def test_perfect_against_the_promise():
    """With perfect_order_on_time: promised the late reason counts broken promises."""
    sc = sites(False, 1, {"simulation": {"horizon_days": 200, "perfect_order_on_time":
                                         "promised"}})
    r = run_replication(sc, 3, 0)
    k = r.kpis
    assert k["orders_late"] == pytest.approx(k["orders"] * (1 - k["promise_kept_rate"]))
    assert r.by["tier"]["standard"]["orders_damaged"] == k["orders_damaged"]
    assert sum(p["orders_damaged"] for p in r.by["week"].values()) == k["orders_damaged"]
    assert r.by["customer"]["CUST"]["orders_doc_error"] == k["orders_doc_error"]
