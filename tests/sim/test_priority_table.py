"""The priority table (issue 12) and priority acting on shared capacity.

A warehouse with ample stock and one order processor is the bottleneck: the ten products of the
reference table queue for it. Under ``allocation.rule: priority`` it is a non-preemptive
priority M/M/1 queue, whose mean wait per class is Cobham's formula; under fifo every product
waits the same. Times in days.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from supplylab.errors import ScenarioError
from supplylab.scenario import build
from supplylab.sim import run_replication
from supplylab.sim.priority import Priority, competition_rank, product_scores

from ..conftest import assert_covers, interval

HERE = {"lat": 45.0, "lon": 7.0}
#: the issue's reference table: product, profit grade, importance, expected priority
TABLE = [("A", 1, 2, 1), ("C", 2, 3, 3), ("F", 3, 1, 2), ("B", 4, 3, 5), ("G", 5, 3, 7),
         ("E", 6, 2, 5), ("Y", 7, 1, 4), ("H", 8, 2, 8), ("L", 9, 3, 10), ("D", 10, 2, 9)]
RATE = 80.0  # orders per day, one line each, products equally likely
SERVICE = 0.01  # mean processing time, days (utilisation 0.8)


def test_reference_table_ranks():
    grades = [g for _, g, _, _ in TABLE]
    imp = [i for _, _, i, _ in TABLE]
    scores = product_scores(grades, imp)
    assert scores == [2, 6, 3, 12, 15, 12, 7, 16, 27, 20]
    assert competition_rank(scores) == [p for *_, p in TABLE]


def test_competition_rank_shares_and_skips():
    assert competition_rank([5, 5, 5]) == [1, 1, 1]
    assert competition_rank([3, 1, 3, 2]) == [3, 1, 3, 2]
    assert competition_rank([]) == []


def warehouse(rule: str = "priority", horizon: float = 400, order: list[str] | None = None,
              tiers: dict | None = None, customers: list | None = None,
              grades: dict | None = None) -> Any:
    """Ample stock, one exponential order processor: the ten products queue for it."""
    alloc: dict[str, Any] = {"rule": rule}
    if order is not None:
        alloc["priority_order"] = order
    data = {
        "name": "capacity-bound warehouse",
        "simulation": {"horizon_days": horizon, "warmup_days": 20},
        "allocation": alloc,
        "tiers": tiers or {"standard": {"priority": 1, "promised_lead_time_days": 0.03}},
        "products": [{"id": p, "price": 10, "unit_cost": 4,
                      "profit_grade": (grades or {}).get(p, g), "importance": i}
                     for p, g, i, _ in TABLE],
        "suppliers": [{"id": "S", "location": HERE, "products": [p for p, *_ in TABLE],
                       "lead_time": 0}],
        "facilities": [{"id": "W", "location": HERE, "order_processors": 1,
                        "order_processing_time": {"dist": "exponential", "mean": SERVICE},
                        "inventory": {"default": {"policy": "sS", "s": 0, "S": 10_000_000}}}],
        "customers": customers or [
            {"id": "CUST", "tier": "standard", "location": HERE, "orders_per_day": RATE,
             "product_mix": {p: 1 for p, *_ in TABLE}}],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def cobham_waits() -> dict[str, float]:
    """Mean wait in queue per product of a non-preemptive priority M/M/1 queue:
    W_k = W0 / ((1 - s_{k-1}) (1 - s_k)), W0 = lambda E[S^2] / 2, s_k the load of the classes
    up to k (products of equal rank form one class)."""
    lam_p = RATE / len(TABLE)
    w0 = RATE * 2 * SERVICE**2 / 2
    ranks = sorted({p for *_, p in TABLE})
    load_upto = {r: sum(lam_p * SERVICE for *_, p in TABLE if p <= r) for r in ranks}
    out = {}
    for pid, _, _, r in TABLE:
        before = max((load_upto[q] for q in ranks if q < r), default=0.0)
        out[pid] = w0 / ((1 - before) * (1 - load_upto[r]))
    return out


def test_processing_queue_serves_by_priority_as_cobham():
    runs = [run_replication(warehouse(), 5, k) for k in range(3)]
    expected = cobham_waits()
    for pid, *_ in TABLE:
        # zero transit: a line's cycle time is its wait plus its processing
        cycle = [r.by["product"][pid]["order_cycle_time_mean"] for r in runs]
        assert_covers(cycle, expected[pid] + SERVICE, floor=0.1 * expected[pid])


def test_on_time_by_priority_and_paired_against_fifo():
    """Served within the promised lead time: ordered by priority, and under common random
    numbers better than fifo for the first product and worse for the last."""
    prio = [run_replication(warehouse(horizon=150), 5, k) for k in range(4)]
    fifo = [run_replication(warehouse("fifo", horizon=150), 5, k) for k in range(4)]
    rate = {pid: sum(r.by["product"][pid]["on_time_rate"] for r in prio) / len(prio)
            for pid, *_ in TABLE}
    by_rank = sorted(TABLE, key=lambda row: row[3])
    for (p1, *_, r1), (p2, *_, r2) in zip(by_rank, by_rank[1:], strict=False):
        if r1 < r2:
            assert rate[p1] >= rate[p2] - 0.01, (p1, p2, rate)
    assert rate["A"] > 0.75 and rate["L"] < 0.45
    for pid, sign in (("A", 1), ("L", -1)):
        gap, hw = interval([a.by["product"][pid]["on_time_rate"]
                            - b.by["product"][pid]["on_time_rate"]
                            for a, b in zip(prio, fifo, strict=True)])
        assert sign * gap - hw > 0, (pid, gap, hw)
    # the station does the same work either way: the overall mean wait is conserved
    wq = [a.kpis["order_wait_days_mean"] - b.kpis["order_wait_days_mean"]
          for a, b in zip(prio, fifo, strict=True)]
    mean, hw = interval(wq)
    assert abs(mean) <= hw + 0.005


def test_reversing_grades_changes_who_waits():
    """The product's score acts on the shared station (it used to give identical results)."""
    rev = {p: 11 - g for p, g, *_ in TABLE}
    a = run_replication(warehouse(horizon=120), 5, 0)
    b = run_replication(warehouse(horizon=120, grades=rev), 5, 0)
    assert a.by["product"]["A"]["order_cycle_time_mean"] < \
        b.by["product"]["A"]["order_cycle_time_mean"]
    assert a.kpis["demand_units"] == b.kpis["demand_units"]  # same orders (CRN)


def test_combination_rules():
    """tier first: every gold line before any silver one; score first: the product decides."""
    tiers = {"gold": {"priority": 1, "promised_lead_time_days": 0.03},
             "silver": {"priority": 2, "promised_lead_time_days": 0.03}}
    custs = [{"id": f"C-{t}", "tier": t, "location": HERE, "orders_per_day": RATE / 2,
              "product_mix": {p: 1 for p, *_ in TABLE}} for t in tiers]
    tier_first = run_replication(warehouse(horizon=120, tiers=tiers, customers=custs), 5, 0)
    score_first = run_replication(warehouse(horizon=120, tiers=tiers, customers=custs,
                                            order=["score", "tier"]), 5, 0)
    gold, silver = (tier_first.by["tier"][t]["order_cycle_time_mean"] for t in tiers)
    assert gold < silver / 2
    gold2, silver2 = (score_first.by["tier"][t]["order_cycle_time_mean"] for t in tiers)
    assert abs(gold2 - silver2) < abs(gold - silver) / 3
    assert score_first.by["product"]["A"]["order_cycle_time_mean"] < \
        score_first.by["product"]["L"]["order_cycle_time_mean"] / 3


def test_weighted_rule_keys():
    tiers = {"gold": {"priority": 1}, "silver": {"priority": 3}}
    sc = warehouse(tiers=tiers, order=["weighted", "tier"],
                   customers=[{"id": "CUST", "tier": "gold", "location": HERE, "orders_per_day": 1,
                               "product_mix": {"A": 1}}])
    pr = Priority(sc)
    pid = {p: i for i, (p, *_) in enumerate(TABLE)}
    # gold x L (27) ranks after silver x C (3 x 6 = 18); tie-break by tier
    assert pr.key(1, pid["L"]) == (27.0, 1)
    assert pr.key(3, pid["C"]) == (18.0, 3)
    assert pr.key(3, pid["C"]) < pr.key(1, pid["L"])


def test_priority_order_is_checked():
    with pytest.raises(ScenarioError, match="twice"):
        warehouse(order=["tier", "tier"])
    with pytest.raises(ScenarioError, match="not allowed"):
        warehouse(order=["tier", "grade"])


def test_importance_one_refuses_a_backorder_wait():
    data = yaml.safe_load(yaml.safe_dump({
        "name": "x", "products": [{"id": "P", "importance": 1, "max_backorder_days": 3}],
        "suppliers": [{"id": "S", "location": HERE, "products": ["P"]}],
        "facilities": [{"id": "W", "location": HERE, "inventory": {"P": {"policy": "sS",
                                                                          "s": 1, "S": 5}}}],
        "customers": [{"id": "C", "tier": "standard", "location": HERE, "orders_per_day": 1,
                       "product_mix": {"P": 1}}]}))
    with pytest.raises(ScenarioError, match="never backordered"):
        build(data, {}, "<test>")


def test_importance_one_lines_are_never_backordered():
    """A short importance-1 product loses what it cannot ship at once, under every rule."""
    for rule in ("priority", "fifo"):
        data = {
            "name": "short", "simulation": {"horizon_days": 200, "warmup_days": 0},
            "allocation": {"rule": rule},
            "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": 1}],
            "suppliers": [{"id": "S", "location": HERE, "products": ["P"], "lead_time": 3}],
            "facilities": [{"id": "W", "location": HERE, "order_processing_time": 0.01,
                            "inventory": {"P": {"policy": "base_stock", "level": 8}}}],
            "customers": [{"id": "C", "tier": "standard", "location": HERE, "orders_per_day": 4,
                           "product_mix": {"P": 1}}],
        }
        r = run_replication(build(yaml.safe_load(yaml.safe_dump(data)), {}, "<t>"), 3, 0)
        assert r.kpis["lost_sales_units"] > 0
        assert r.kpis["backorder_units_avg"] == 0
        assert r.kpis["fill_rate"] == pytest.approx(1 - r.kpis["lost_sales_rate"])


def shared_supplier(rule: str) -> Any:
    """Two products of opposite priority share one supplier's capacity (utilisation ~0.95)."""
    data = {
        "name": "shared supplier", "simulation": {"horizon_days": 400, "warmup_days": 40},
        "allocation": {"rule": rule},
        "products": [{"id": "A", "price": 10, "unit_cost": 4, "profit_grade": 1,
                      "importance": 2, "max_backorder_days": 1000},
                     {"id": "L", "price": 10, "unit_cost": 4, "profit_grade": 9,
                      "importance": 3, "max_backorder_days": 1000}],
        "suppliers": [{"id": "S", "location": HERE, "products": ["A", "L"], "lead_time": 1,
                       "capacity_per_day": 21}],
        "facilities": [{"id": "W", "location": HERE, "inventory": {
            "default": {"policy": "rQ", "r": 20, "Q": 20}}}],
        "customers": [{"id": "CUST", "tier": "standard", "location": HERE, "orders_per_day": 20,
                       "product_mix": {"A": 1, "L": 1}}],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def test_shared_supplier_capacity_serves_by_priority():
    prio = [run_replication(shared_supplier("priority"), 2, k) for k in range(5)]
    fifo = [run_replication(shared_supplier("fifo"), 2, k) for k in range(5)]
    for r in prio + fifo:
        assert r.audit.units_conserved

    def gap(r: Any) -> float:
        return r.by["product"]["A"]["fill_rate"] - r.by["product"]["L"]["fill_rate"]

    # each replication favours A; on average by more than 10 points (one replication of a
    # system this close to saturation may see little congestion)
    assert all(gap(r) > 0 for r in prio), [gap(r) for r in prio]
    assert sum(gap(r) for r in prio) / len(prio) > 0.1, [gap(r) for r in prio]
    # paired with common random numbers: priority opens the gap that fifo does not have
    mean, hw = interval([gap(a) - gap(b) for a, b in zip(prio, fifo, strict=True)])
    assert mean - hw > 0, (mean, hw)
    assert abs(sum(gap(r) for r in fifo) / len(fifo)) < 0.1


def lane_bound(rule: str) -> Any:
    """Ample stock, instant processing; the lane to the customer carries 100 units a day and
    80 one-unit orders a day of the ten products arrive: an M/D/1 queue at the lane."""
    data = {
        "name": "lane-bound", "simulation": {"horizon_days": 300, "warmup_days": 20},
        "allocation": {"rule": rule},
        "products": [{"id": p, "price": 10, "unit_cost": 4, "profit_grade": g,
                      "importance": i} for p, g, i, _ in TABLE],
        "suppliers": [{"id": "S", "location": HERE, "products": [p for p, *_ in TABLE]}],
        "facilities": [{"id": "W", "location": HERE, "inventory": {
            "default": {"policy": "sS", "s": 0, "S": 10_000_000}}}],
        "lanes": [{"from": "W", "to": "CUST", "capacity_units_per_day": 100,
                   "transit_time": 0}],
        "customers": [{"id": "CUST", "tier": "standard", "location": HERE,
                       "orders_per_day": RATE, "product_mix": {p: 1 for p, *_ in TABLE}}],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def test_lane_capacity_serves_by_priority_as_cobham():
    """Non-preemptive priority M/D/1 at the lane: W_k = W0 / ((1 - s_{k-1})(1 - s_k)) with
    W0 = lambda S^2 / 2; under fifo every product waits the Pollaczek-Khinchine W0 / (1 - rho)."""
    s = 0.01  # days per unit at 100 units/day
    lam_p = RATE / len(TABLE)
    w0 = RATE * s**2 / 2
    ranks = sorted({p for *_, p in TABLE})
    upto = {r: sum(lam_p * s for *_, p in TABLE if p <= r) for r in ranks}
    prio = [run_replication(lane_bound("priority"), 8, k) for k in range(3)]
    fifo = [run_replication(lane_bound("fifo"), 8, k) for k in range(3)]
    for pid, *_, r in TABLE:
        before = max((upto[q] for q in ranks if q < r), default=0.0)
        wk = w0 / ((1 - before) * (1 - upto[r]))
        cycle = [x.by["product"][pid]["order_cycle_time_mean"] for x in prio]
        assert_covers(cycle, wk + s, floor=0.1 * wk)
        fcycle = [x.by["product"][pid]["order_cycle_time_mean"] for x in fifo]
        assert_covers(fcycle, w0 / (1 - RATE * s) + s, floor=0.004)
    for x in prio:
        assert x.audit.units_conserved
