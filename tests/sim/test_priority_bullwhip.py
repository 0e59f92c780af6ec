"""Allocation under shortage (priority vs fifo) and the bullwhip effect."""

from __future__ import annotations

from typing import Any

import yaml

from supplylab.scenario import build

from ..conftest import interval
from .helpers import replicate

HERE = {"lat": 45.0, "lon": 7.0}


def two_tiers(rule: str) -> Any:
    """Gold and silver customers with equal Poisson demand share a short base-stock item."""
    data = {
        "name": "tiers under shortage",
        "simulation": {"horizon_days": 1100, "warmup_days": 100},
        "allocation": {"rule": rule},
        "tiers": {"gold": {"priority": 1}, "silver": {"priority": 2}},
        "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": 3,
                      "max_backorder_days": 1000}],
        "suppliers": [{"id": "S", "location": HERE, "products": ["P"], "lead_time": 2}],
        "facilities": [{"id": "W", "location": HERE,
                        "inventory": {"P": {"policy": "base_stock", "level": 18}}}],
        "customers": [
            {"id": f"C-{t}", "tier": t, "location": HERE, "orders_per_day": 5,
             "product_mix": {"P": 1}} for t in ("gold", "silver")],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def tier_gap(results: list, kpi: str) -> list[float]:
    return [r.by["tier"]["gold"][kpi] - r.by["tier"]["silver"][kpi] for r in results]


def test_priority_serves_higher_tier_first():
    res = replicate(two_tiers("priority"), 6)
    gap, hw = interval(tier_gap(res, "fill_rate"))
    assert gap - hw > 0.05, f"gold should beat silver clearly: gap {gap:.3f} +- {hw:.3f}"
    assert all(r.by["tier"]["gold"]["fill_rate"] >= r.by["tier"]["silver"]["fill_rate"]
               for r in res)
    # the backlog is also served by priority: gold waits less
    gap_ct, hw_ct = interval(tier_gap(res, "order_cycle_time_mean"))
    assert gap_ct + hw_ct < 0


def test_fifo_treats_tiers_alike():
    res = replicate(two_tiers("fifo"), 6)
    gap, hw = interval(tier_gap(res, "fill_rate"))
    assert abs(gap) <= hw, f"fifo gap {gap:.4f} +- {hw:.4f} should cover 0"


def two_echelons(sharing: bool) -> Any:
    """Supplier -> RDC (base stock) -> DC ((s, S) in batches of 60) -> customers."""
    far = {"lat": 45.0, "lon": 9.0}
    data = {
        "name": "bullwhip",
        "simulation": {"horizon_days": 1470, "warmup_days": 70},
        "information_sharing": {"pos_to_suppliers": sharing, "forecast_updates_per_day": 1},
        "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": 3,
                      "max_backorder_days": 1000}],
        "suppliers": [{"id": "S", "location": far, "products": ["P"], "lead_time": 3}],
        "facilities": [
            {"id": "RDC", "location": far, "inventory": {"P": {"policy": "base_stock",
                                                                "level": 120}}},
            {"id": "DC", "location": HERE, "replenish_from": "RDC",
             "inventory": {"P": {"policy": "sS", "s": 40, "S": 100}}},
        ],
        "customers": [{"id": "C", "tier": "standard", "location": HERE, "orders_per_day": 10,
                       "product_mix": {"P": 1}, "served_by": "DC"}],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def test_bullwhip_amplified_without_sharing_and_dampened_with_it():
    off = [r.kpis["bullwhip_ratio"] for r in replicate(two_echelons(False), 5)]
    on = [r.kpis["bullwhip_ratio"] for r in replicate(two_echelons(True), 5)]
    m_off, hw_off = interval(off)
    m_on, hw_on = interval(on)
    assert m_off - hw_off > 1.0, f"orders upstream should vary more than demand: {m_off:.2f}"
    assert m_on + hw_on < m_off - hw_off, f"sharing should dampen: {m_on:.2f} vs {m_off:.2f}"
