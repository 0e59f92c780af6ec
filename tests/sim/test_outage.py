"""A site outage stops the site (issue 17): no picking, no dispatch, no receipts; orders that
arrive meanwhile are rerouted to the fallback site, backordered, or lost by importance.

Hand-computed cases: one customer orders 10 units a day at mid-day (days 0.5, 1.5, ...), so an
outage of days [20, 30) meets exactly the 10 orders of days 20.5 ... 29.5 (100 units).
"""

from __future__ import annotations

import csv
from typing import Any

import pytest

from supplylab.sim import run_replication
from supplylab.sim.eventlog import write_event_log

from .test_features import sc

A = {"lat": 45.0, "lon": 7.0}
B = {"lat": 45.0, "lon": 8.0}
C = {"lat": 45.0, "lon": 9.0}
OUTAGE = {"target": "W1", "start_day": 20, "duration_days": 10, "effect": "outage"}


def scenario(importance: int = 1, fallback: str | None = None, sites: int = 1,
             **over: Any) -> dict[str, Any]:
    facilities = [{"id": "W1", "location": A,
                   "inventory": {"P": {"policy": "base_stock", "level": 100}}}
                  | ({"fallback": fallback} if fallback else {})]
    if sites >= 2:
        facilities.append({"id": "W2", "location": B,
                           "inventory": {"P": {"policy": "base_stock", "level": 100}}})
    if sites >= 3:
        facilities.append({"id": "W3", "location": C,
                           "inventory": {"P": {"policy": "base_stock", "level": 100}}})
    data: dict[str, Any] = {
        "name": "outage", "simulation": {"horizon_days": 60},
        "transport_defaults": {"speed_km_per_day": 1e9, "min_transit_days": 0},
        "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": importance}
                     | ({} if importance == 1 else {"max_backorder_days": 1000})],
        "suppliers": [{"id": "S", "location": A, "products": ["P"], "lead_time": 1}],
        "facilities": facilities,
        "lanes": [{"from": "W2", "to": "C", "transit_time": 3},
                  {"from": "W3", "to": "C", "transit_time": 5}][:sites - 1],
        "customers": [{"id": "C", "tier": "standard", "location": A, "served_by": "W1",
                       "demand": {"P": 10}, "order_time_of_day": 0.5,
                       "requested_lead_time_days": 2}],
        "disruptions": [OUTAGE],
    }
    data.update(over)
    return data


def test_a_closed_site_loses_exactly_the_demand_of_its_outage():
    r = run_replication(sc(scenario(importance=1)), 1, 0)
    assert r.audit.units_conserved
    assert r.kpis["demand_units"] == 600
    assert r.kpis["lost_sales_units"] == 100  # 10 orders x 10 units, nothing else
    assert r.kpis["fill_rate"] == pytest.approx(500 / 600)
    assert r.kpis["otif_rate"] == pytest.approx(50 / 60)


def test_a_closed_site_backorders_and_serves_at_reopening():
    r = run_replication(sc(scenario(importance=3)), 1, 0)
    assert r.kpis["lost_sales_units"] == 0
    assert r.kpis["fill_rate"] == pytest.approx(500 / 600)
    # served at day 30: the orders of days 20.5 ... 27.5 wait more than the 2 requested days
    assert r.kpis["on_time_rate"] == pytest.approx(52 / 60)
    waits = sum(30 - (20.5 + i) for i in range(10))  # cycle times of the outage's orders
    assert r.kpis["order_cycle_time_mean"] == pytest.approx(waits / 60)


def test_the_fallback_site_serves_at_its_longer_transit_time():
    r = run_replication(sc(scenario(fallback="W2", sites=2)), 1, 0)
    assert r.kpis["lost_sales_units"] == 0
    assert r.kpis["fill_rate"] == 1.0
    w2 = r.by["facility"]["W2"]
    assert w2["demand_units"] == 100
    assert w2["order_cycle_time_mean"] == pytest.approx(3.0)
    assert r.by["facility"]["W1"]["demand_units"] == 500
    assert r.kpis["order_cycle_time_mean"] == pytest.approx(10 * 3.0 / 60)
    assert r.kpis["on_time_rate"] == pytest.approx(50 / 60)  # 3 days > the 2 requested


def test_nearest_fallback_takes_the_closest_open_site():
    r = run_replication(sc(scenario(fallback="nearest", sites=3)), 1, 0)
    assert r.by["facility"]["W2"]["demand_units"] == 100
    assert "W3" not in r.by["facility"] or r.by["facility"]["W3"].get("demand_units", 0) == 0
    both = scenario(fallback="nearest", sites=3)
    both["disruptions"] = [OUTAGE, OUTAGE | {"target": "W2"}]
    r = run_replication(sc(both), 1, 0)  # W2 closed too: the next one serves
    assert r.by["facility"]["W3"]["demand_units"] == 100
    assert r.by["facility"]["W3"]["order_cycle_time_mean"] == pytest.approx(5.0)


def test_a_closed_site_neither_ships_nor_receives(tmp_path):
    # stock runs out before the outage, so replenishments are due while it is closed
    data = scenario(importance=3, facilities=[{
        "id": "W1", "location": A, "inventory": {"P": {"policy": "sS", "s": 15, "S": 40}}}])
    path = tmp_path / "events.csv"
    write_event_log(sc(data), 1, 0, path)
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    inside = [r for r in rows if r["site"] == "W1" and r["event"] in ("ship", "receive")
              and 20 < float(r["time_days"]) < 30]
    assert inside == []
    assert any(r["event"] == "receive" and float(r["time_days"]) == 30 for r in rows)
    assert any(r["event"] == "ship" and float(r["time_days"]) == 30 for r in rows)
