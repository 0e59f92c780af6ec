"""Promotions in the simulation (issue 14): a promotion multiplies the promoted product's
expected units by its lift exactly, whatever the order-line structure, leaves unrelated
products alone, and a cross effect moves exactly the stated share of the extra units."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import yaml

from supplylab.scenario import build
from supplylab.sim import run_replication
from supplylab.sim.demand import units_per_order
from supplylab.sim.engine import Model
from supplylab.sim.lines import inclusion

from ..conftest import interval

A = {"lat": 45.0, "lon": 7.0}
MIX = {"P1": 5, "Q1": 3, "R1": 1, "S1": 1}
W = np.array([5, 3, 1, 1]) / 10
RATE, DAYS = 20.0, 200


def scenario(lines: Any, promo: dict | None) -> Any:
    data: dict[str, Any] = {
        "name": "promo", "simulation": {"horizon_days": DAYS},
        "transport_defaults": {"speed_km_per_day": 1e9, "min_transit_days": 0},
        "products": [{"id": p, "price": 10, "unit_cost": 4, "importance": 3,
                      "max_backorder_days": 1e6} for p in MIX],
        "suppliers": [{"id": "SUP", "location": A, "products": list(MIX), "lead_time": 1}],
        "facilities": [{"id": "W", "location": A, "inventory": {
            "default": {"policy": "base_stock", "level": 100_000}}}],
        "customers": [{"id": "C", "tier": "standard", "location": A, "orders_per_day": RATE,
                       "lines_per_order": lines, "product_mix": MIX, "quantity": 1}],
    }
    if promo is not None:
        data["promotions"] = [{"product": "P1", "start_day": 0, "end_day": DAYS,
                               "discount": 0.1} | promo]
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def two_line_inclusion(w: np.ndarray) -> np.ndarray:
    """P(product i is one of the 2 lines) by hand: first draw, or second after some j."""
    return np.array([w[i] + sum(w[j] * w[i] / (1 - w[j]) for j in range(len(w)) if j != i)
                     for i in range(len(w))])


def test_inclusion_probabilities_by_hand():
    k1, k2, k4 = (np.eye(5)[k] for k in (1, 2, 4))
    assert inclusion(W, k1) == pytest.approx(W, abs=1e-9)
    assert inclusion(W, k2) == pytest.approx(two_line_inclusion(W), rel=1e-5)
    assert inclusion(W, k4) == pytest.approx(np.ones(4))


def units_per_day(sc, reps: int = 4) -> dict[str, tuple[float, float]]:
    res = [run_replication(sc, 3, k) for k in range(reps)]
    return {p: interval([r.by["product"][p]["demand_units"] / DAYS for r in res])
            for p in MIX}


@pytest.mark.parametrize("lines", [1, 2])
def test_lift_scales_the_promoted_product_exactly(lines):
    pi = W if lines == 1 else two_line_inclusion(W)
    base = RATE * pi  # expected units per day by hand (quantity 1)
    want = base * np.array([2.0, 1.0 - 0.5 * base[0] / base[1], 1.0, 1.0])
    got = units_per_day(scenario(lines, {"lift": 2, "cross_effects": {"Q1": -0.5}}))
    for p, expected in zip(MIX, want, strict=True):
        mean, hw = got[p]
        # the t interval of 4 replications can come out narrow by chance: the tolerance is at
        # least 4 standard errors of a Poisson count of the expected units (quantity 1)
        floor = 4.0 * math.sqrt(expected / (DAYS * 4))
        assert abs(mean - expected) < max(hw, floor, 0.02 * expected), (p, mean, expected)
    m = Model(scenario(lines, None), 1, 0, 10.0)
    assert units_per_order(m.demand[0]) * RATE == pytest.approx(base, rel=1e-5)


def test_a_promotion_leaves_unrelated_products_unchanged():
    plain = units_per_day(scenario(2, None))
    promoted = units_per_day(scenario(2, {"lift": 3}))
    for p in ("Q1", "R1", "S1"):
        (a, ha), (b, hb) = plain[p], promoted[p]
        assert abs(a - b) < 2 * (ha + hb) + 0.02 * a, p
    assert promoted["P1"][0] == pytest.approx(3 * plain["P1"][0], rel=0.05)


def test_revenue_is_at_the_discounted_price():
    r = run_replication(scenario(1, {"lift": 1.0, "discount": 0.25}), 1, 0)
    p = r.by["product"]["P1"]
    assert p["revenue"] == pytest.approx(p["delivered_units"] * 10 * 0.75)
    assert p["promotion_cost"] == pytest.approx(p["delivered_units"] * 10 * 0.25)
    assert r.kpis["profit"] == pytest.approx(r.kpis["gross_margin"] - r.kpis["total_cost"])


def test_a_promotion_can_target_a_customer_group():
    group = {"tier_mix": {"standard": 1}, "region": {"center": A, "radius_km": 10},
             "count": 5, "orders_per_day": 2, "product_mix": {"P1": 1}}
    data = {
        "name": "groups", "simulation": {"horizon_days": 100},
        "products": [{"id": "P1", "price": 10, "unit_cost": 4}],
        "suppliers": [{"id": "SUP", "location": A, "products": ["P1"], "lead_time": 1}],
        "facilities": [{"id": "W", "location": A, "inventory": {
            "default": {"policy": "base_stock", "level": 10_000}}}],
        "customer_groups": [group | {"id_prefix": "G"}, group | {"id_prefix": "H"}],
        "promotions": [{"product": "P1", "start_day": 0, "end_day": 100, "discount": 0.1,
                        "lift": 3, "targets": ["G"]}],
    }
    res = [run_replication(build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>"), 1, k)
           for k in range(3)]
    g = sum(v["demand_units"] for r in res for c, v in r.by["customer"].items() if c[0] == "G")
    h = sum(v["demand_units"] for r in res for c, v in r.by["customer"].items() if c[0] == "H")
    assert h == pytest.approx(3000, rel=0.08)  # 5 customers x 2 units a day x 100 days x 3
    assert g / h == pytest.approx(3.0, rel=0.1)
