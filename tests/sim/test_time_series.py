"""The time series by period, computed by hand on a deterministic scenario.

10 units a day in one order at mid-day (t = d + 0.5); (s, S) = (30, 100), continuous review,
supplier lead time 1.75 days, zero distances. The position reaches s = 30 after the order at
6.5 and then every 7 days: 70 units are ordered at 6.5 + 7k and arrive at 8.25 + 7k, so the
stock never runs out. Warm-up 20 days, weekly periods from day 20: a horizon of 200 days gives
25 full weeks and a last week of 5 days (orders at 195.5 .. 199.5), a horizon of 195 exactly
25 weeks (the last boundary falls on the horizon).
"""

from __future__ import annotations

import pytest
import yaml

from supplylab.scenario import build
from supplylab.sim import run_replication

HERE = {"lat": 45.0, "lon": 7.0}


def scenario(horizon: float):
    data = {
        "name": "weekly series",
        "simulation": {"horizon_days": horizon, "warmup_days": 20, "period": "week"},
        "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": 1}],
        "suppliers": [{"id": "S", "location": HERE, "products": ["P"], "lead_time": 1.75}],
        "facilities": [{"id": "W", "location": HERE,
                        "inventory": {"P": {"policy": "sS", "s": 30, "S": 100}}}],
        "customers": [{"id": "C", "tier": "standard", "location": HERE, "demand": {"P": 10},
                       "order_time_of_day": 0.5, "requested_lead_time_days": 1}],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def on_hand_area(horizon: float, a: float, b: float) -> float:
    """Area (unit-days) under the hand-derived on-hand curve over [a, b]."""
    events = [(d + 0.5, -10.0) for d in range(int(horizon))]
    events += [(8.25 + 7 * k, 70.0) for k in range(30) if 8.25 + 7 * k < horizon]
    level, last, area = 100.0, 0.0, 0.0
    for t, dq in sorted(events) + [(b, 0.0)]:
        lo, hi = max(last, a), min(t, b)
        if hi > lo:
            area += level * (hi - lo)
        level += dq
        last = t
    return area


@pytest.mark.parametrize("horizon,weeks,last_days", [(200, 26, 5), (195, 25, 7)])
def test_weekly_series_by_hand(horizon, weeks, last_days):
    r = run_replication(scenario(horizon), seed=3, replication=0)
    series = r.by["week"]
    assert sorted(series, key=int) == [str(i) for i in range(weeks)]
    for i in range(weeks):
        start = 20 + 7 * i
        end = min(start + 7, horizon)
        row = series[str(i)]
        assert row["on_hand_units_avg"] == pytest.approx(
            on_hand_area(horizon, start, end) / (end - start), rel=1e-12), i
        days = last_days if i == weeks - 1 else 7
        assert row["orders"] == days and row["demand_units"] == 10 * days, i
        assert row["fill_rate"] == 1 and row["revenue"] == pytest.approx(100 * days), i
    # the periods' on-hand areas add up to the window's
    total = sum(series[str(i)]["on_hand_units_avg"] * (min(27 + 7 * i, horizon) - 20 - 7 * i)
                for i in range(weeks))
    assert total == pytest.approx(r.kpis["on_hand_units_avg"] * (horizon - 20), rel=1e-12)
    assert r.audit.units_conserved
