"""Deterministic scenarios whose KPIs and costs are computed by hand.

10 units a day in one order placed at mid-day (t = d + 0.5, d = 0..99); (s, S) = (30, 100),
continuous review, constant supplier lead time, zero distances (no transit). Lead times end in
.25 or .75 so that no receipt coincides with an order.
"""

from __future__ import annotations

import pytest
import yaml

from supplylab.scenario import build
from supplylab.sim import run_replication

HERE = {"lat": 45.0, "lon": 7.0}


def scenario(lead_time: float, importance: int):
    data = {
        "name": "deterministic",
        "simulation": {"horizon_days": 100, "warmup_days": 0},
        "costs": {"holding_rate_per_year": 0.365, "ordering_cost_per_order": 20,
                  "stockout_penalty_per_unit": 3},
        "transport_defaults": {"cost_per_shipment": 5, "cost_per_unit_km": 0.01},
        "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": importance}],
        "suppliers": [{"id": "S", "location": HERE, "products": ["P"], "lead_time": lead_time}],
        "facilities": [{"id": "W", "location": HERE, "handling_cost_per_unit": 0.5,
                        "fixed_cost_per_year": 3650,
                        "inventory": {"P": {"policy": "sS", "s": 30, "S": 100}}}],
        "customers": [{"id": "C", "tier": "standard", "location": HERE, "demand": {"P": 10},
                       "order_time_of_day": 0.5, "requested_lead_time_days": 1}],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def on_hand_integral(receipts: dict[float, float], lost_days: set[int]) -> float:
    """Area under the on-hand curve over [0, 100] for the hand-derived event list."""
    events = [(d + 0.5, -10.0) for d in range(100) if d not in lost_days]
    events += [(t, q) for t, q in receipts.items()]
    level, last, area = 100.0, 0.0, 0.0
    for t, dq in sorted(events):
        area += level * (t - last)
        level += dq
        last = t
    return area + level * (100 - last)


def test_no_stockout_by_hand():
    """Lead time 1.75 < 3 days of cover: never short.

    The position reaches s = 30 after the order of day 6 (t = 6.5); 70 units arrive at 8.25;
    then every 7 days (orders at 6.5 + 7k <= 99.5: k = 0..13): 14 replenishments.
    """
    r = run_replication(scenario(1.75, importance=1), seed=3, replication=0)
    k = r.kpis
    assert k["orders"] == 100 and k["demand_units"] == 1000
    assert k["fill_rate"] == 1 and k["otif_rate"] == 1 and k["lost_sales_units"] == 0
    assert k["replenishment_orders"] == 14
    assert k["revenue"] == pytest.approx(10_000)
    assert k["gross_margin"] == pytest.approx(6_000)
    assert k["ordering_cost"] == pytest.approx(14 * 20)
    assert k["handling_cost"] == pytest.approx(1000 * 0.5)
    assert k["transport_cost"] == pytest.approx((100 + 14) * 5)  # 100 deliveries + 14 inbound
    assert k["facility_fixed_cost"] == pytest.approx(3650 * 100 / 365)
    assert k["order_cycle_time_mean"] == pytest.approx(0.0)
    area = on_hand_integral({6.5 + 7 * j + 1.75: 70.0 for j in range(14)}, set())
    assert k["on_hand_units_avg"] == pytest.approx(area / 100)
    assert k["holding_cost"] == pytest.approx(0.365 * 4 * area / 365)
    assert k["inventory_value_avg"] == pytest.approx(4 * area / 100)
    assert r.audit.units_conserved


def test_lost_sales_by_hand():
    """Lead time 4.75 > 3 days of cover, lost sales (importance 1).

    Order at t = 6.5 (30 left), receipt at 11.25; days 7-9 use the 30 units, day 10 is lost.
    From then on every 8 days: 70 units arrive, the position hits 30 four orders later, the
    next receipt comes 4.75 days after that, one order is lost in between. Replenishments at
    6.5 + 8k (k = 0..11): 12; lost orders on days 10 + 8k (k = 0..11): 12, 120 units.
    """
    r = run_replication(scenario(4.75, importance=1), seed=3, replication=0)
    k = r.kpis
    lost = {10 + 8 * j for j in range(12)}
    assert k["replenishment_orders"] == 12
    assert k["lost_sales_units"] == 120
    assert k["delivered_units"] == 880
    assert k["fill_rate"] == pytest.approx(880 / 1000)
    assert k["otif_rate"] == pytest.approx(88 / 100)
    assert k["stockout_penalty_cost"] == pytest.approx(3 * 120)
    area = on_hand_integral({6.5 + 8 * j + 4.75: 70.0 for j in range(12)}, lost)
    assert k["on_hand_units_avg"] == pytest.approx(area / 100)
    # each of the 12 replenishment cycles (receipt to receipt) contains a lost order
    assert k["cycle_service_level"] == pytest.approx(0 / 12)
    assert r.audit.units_conserved
