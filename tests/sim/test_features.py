"""Engine features, each checked against a property computed by hand or a clear inequality."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from supplylab.scenario import build
from supplylab.sim import run_replication

from ..conftest import interval
from .helpers import replicate

A = {"lat": 45.0, "lon": 7.0}
B = {"lat": 45.0, "lon": 8.0}  # about 79 km east of A


def base(**over: Any) -> dict[str, Any]:
    """A one-warehouse scenario as plain data; tests change what they study."""
    data: dict[str, Any] = {
        "name": "features",
        "simulation": {"horizon_days": 200, "warmup_days": 0},
        "transport_defaults": {"speed_km_per_day": 1e9},
        "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": 3,
                      "max_backorder_days": 1000}],
        "suppliers": [{"id": "S", "location": A, "products": ["P"], "lead_time": 2}],
        "facilities": [{"id": "W", "location": A,
                        "inventory": {"P": {"policy": "base_stock", "level": 50}}}],
        "customers": [{"id": "C", "tier": "standard", "location": A, "orders_per_day": 5,
                       "product_mix": {"P": 1}}],
    }
    data.update(copy.deepcopy(over))
    return data


def sc(data: dict[str, Any]):
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def test_cross_dock_and_direct_cycle_times_by_hand():
    """Lead 2 d; supplier->dock transit 1 d; dwell 0.5 d; dock->customer 0.25 d: 3.75 d.
    Direct: lead 2 + supplier->customer 1.5 d = 3.5 d. Both always from the supplier."""
    data = base(
        facilities=[{"id": "X", "kind": "cross_dock", "location": B, "dwell_time": 0.5}],
        lanes=[{"from": "S", "to": "X", "transit_time": 1.0},
               {"from": "X", "to": "C1", "transit_time": 0.25},
               {"from": "S", "to": "C2", "transit_time": 1.5}],
        customers=[{"id": "C1", "tier": "standard", "location": B, "orders_per_day": 3,
                    "product_mix": {"P": 1}, "strategy": "cross_dock",
                    "requested_lead_time_days": 4},
                   {"id": "C2", "tier": "standard", "location": B, "orders_per_day": 3,
                    "product_mix": {"P": 1}, "strategy": "direct",
                    "requested_lead_time_days": 3}])
    r = run_replication(sc(data), 1, 0)
    c1, c2 = r.by["customer"]["C1"], r.by["customer"]["C2"]
    assert c1["order_cycle_time_mean"] == pytest.approx(3.75)
    assert c2["order_cycle_time_mean"] == pytest.approx(3.5)
    assert c1["on_time_rate"] == 1.0 and c2["on_time_rate"] == 0.0  # 3.5 > 3 requested
    assert c1["fill_rate"] == 1.0
    assert r.kpis["on_hand_units_avg"] == 0  # nothing is stocked anywhere
    assert r.audit.units_conserved


def test_scheduled_supplier_outage_delays_replenishment():
    """Base stock 1 with a 20-day supplier outage: orders placed in it wait until it ends,
    so the fill rate drops and the cycle time grows against the same run without it."""
    calm = base(facilities=[{"id": "W", "location": A,
                             "inventory": {"P": {"policy": "base_stock", "level": 15}}}])
    storm = base(facilities=calm["facilities"],
                 disruptions=[{"target": "S", "start_day": 50, "duration_days": 20}])
    r0 = run_replication(sc(calm), 4, 0)
    r1 = run_replication(sc(storm), 4, 0)
    assert r1.kpis["fill_rate"] < r0.kpis["fill_rate"] - 0.05
    assert r1.kpis["order_cycle_time_p95"] > 5 > r0.kpis["order_cycle_time_p95"]
    assert r0.kpis["demand_units"] == r1.kpis["demand_units"]  # common random numbers
    assert r1.audit.units_conserved


def test_lead_time_multiplier_and_capacity_cut():
    lt = base(disruptions=[{"target": "S", "start_day": 0, "duration_days": 200,
                            "effect": {"lead_time_multiplier": 3}}])
    r = run_replication(sc(lt), 4, 0)
    # Little's law on the pipeline: demand rate 5 x lead time (2 x 3)
    assert r.kpis["pipeline_units_avg"] == pytest.approx(5 * 6, rel=0.15)
    cap = base(facilities=[{"id": "W", "location": A, "capacity_units_per_day": 10,
                            "inventory": {"P": {"policy": "base_stock", "level": 50}}}],
               disruptions=[{"target": "W", "start_day": 0, "duration_days": 200,
                             "effect": {"capacity": 0.55}}])
    r2 = run_replication(sc(cap), 4, 0)
    # handling 5.5 units/day for 5/day of demand: a busy fluid server, deliveries queue
    assert r2.kpis["order_cycle_time_mean"] > 0.2


def test_random_disruptions_are_common_across_scenarios():
    d = base(disruptions=[{"id": "D1", "target": "S", "mean_time_between_days": 30,
                           "duration": {"dist": "exponential", "mean": 3}}])
    r1 = run_replication(sc(d), 7, 0)
    d2 = copy.deepcopy(d)
    d2["facilities"][0]["inventory"]["P"]["level"] = 60
    r2 = run_replication(sc(d2), 7, 0)
    assert r1.kpis["demand_units"] == r2.kpis["demand_units"]
    assert r2.kpis["fill_rate"] >= r1.kpis["fill_rate"]


def test_returns_share_and_restock():
    data = base(products=[{"id": "P", "price": 10, "unit_cost": 4, "importance": 3,
                           "max_backorder_days": 1000, "return_rate": 0.2, "return_delay": 3,
                           "restockable_share": 0.5}])
    res = replicate(sc(data), 4)
    mean, hw = interval([r.kpis["return_rate"] for r in res])
    assert abs(mean - 0.2) <= max(hw, 0.01)
    assert all(r.audit.units_conserved for r in res)


def test_promotion_lifts_demand_and_cross_effect_steers_it():
    """Lift 2 on Q for days 50-100 with a -0.5 cross effect on P (equal base demand):
    Q's demand doubles in the window and P's falls by half of Q's extra demand."""
    data = base(
        simulation={"horizon_days": 150, "warmup_days": 0, "period": "week"},
        products=[{"id": "P", "price": 10, "unit_cost": 4, "importance": 3},
                  {"id": "Q", "price": 10, "unit_cost": 4, "importance": 3}],
        suppliers=[{"id": "S", "location": A, "products": ["P", "Q"], "lead_time": 2}],
        facilities=[{"id": "W", "location": A, "inventory": {"default": {
            "policy": "base_stock", "level": 500}}}],
        customers=[{"id": "C", "tier": "standard", "location": A, "orders_per_day": 40,
                    "product_mix": {"P": 1, "Q": 1}}],
        promotions=[{"id": "PR", "product": "Q", "start_day": 49, "end_day": 98,
                     "discount": 0.2, "lift": 2.0, "cross_effects": {"P": -0.5}}])
    r = run_replication(sc(data), 3, 0)
    weeks = r.by["week"]
    promo = [str(w) for w in range(7, 14)]
    normal = [str(w) for w in range(0, 7)]
    # one line per order: order rate x mix -> 20/day each before; during: Q 40, P 10
    total_in = sum(weeks[w]["demand_units"] for w in promo) / 49
    total_out = sum(weeks[w]["demand_units"] for w in normal) / 49
    assert total_out == pytest.approx(40, rel=0.07)
    assert total_in == pytest.approx(50, rel=0.07)
    assert r.kpis["promotion_cost"] > 0
    q = r.by["product"]["Q"]["demand_units"]
    p = r.by["product"]["P"]["demand_units"]
    # over 150 days: Q = 20*101 + 40*49 = 3980; P = 20*101 + 10*49 = 2510
    assert q == pytest.approx(3980, rel=0.06)
    assert p == pytest.approx(2510, rel=0.06)


def test_substitution_rescues_a_stock_out():
    data = base(
        products=[{"id": "P", "price": 10, "unit_cost": 4, "importance": 1,
                   "substitutes": [{"product": "Q", "acceptance": 1.0}]},
                  {"id": "Q", "price": 12, "unit_cost": 5, "importance": 1}],
        suppliers=[{"id": "S", "location": A, "products": ["P", "Q"], "lead_time": 5}],
        facilities=[{"id": "W", "location": A, "inventory": {
            "P": {"policy": "base_stock", "level": 15},
            "Q": {"policy": "base_stock", "level": 200}}}])
    with_sub = run_replication(sc(data), 2, 0)
    data["products"][0]["substitutes"] = []
    without = run_replication(sc(data), 2, 0)
    assert with_sub.kpis["substituted_units"] > 0
    assert with_sub.kpis["lost_sales_units"] < without.kpis["lost_sales_units"]
    assert (with_sub.kpis["lost_sales_units"] + with_sub.kpis["substituted_units"]
            == pytest.approx(without.kpis["lost_sales_units"], rel=0.25))


def test_failures_make_customers_churn():
    data = base(
        tiers={"t": {"priority": 1, "churn": {"per_failure": 0.5}}},
        products=[{"id": "P", "price": 10, "unit_cost": 4, "importance": 1}],
        facilities=[{"id": "W", "location": A, "inventory": {"P": {"policy": "base_stock",
                                                                    "level": 3}}}],
        customers=[{"id": f"C{i}", "tier": "t", "location": A, "orders_per_day": 0.5,
                    "product_mix": {"P": 1}} for i in range(40)])
    r = run_replication(sc(data), 2, 0)
    assert r.kpis["churned_customers"] > 5
    assert r.kpis["active_customers_end"] == 40 - r.kpis["churned_customers"]
    data["tiers"]["t"]["churn"]["per_failure"] = 0.0
    r0 = run_replication(sc(data), 2, 0)
    assert r0.kpis["churned_customers"] == 0
    assert r0.kpis["clv_total"] > r.kpis["clv_total"]


def test_ship_complete_never_ships_part_of_a_line():
    data = base(allocation={"partial_shipments": "ship_complete"},
                customers=[{"id": "C", "tier": "standard", "location": A, "orders_per_day": 2,
                            "product_mix": {"P": 1}, "quantity": {"dist": "poisson", "mean": 6}}],
                facilities=[{"id": "W", "location": A,
                             "inventory": {"P": {"policy": "sS", "s": 10, "S": 30}}}])
    r = run_replication(sc(data), 3, 0)
    # a line is either filled entirely from stock or not at all at arrival
    k = r.kpis
    assert k["line_fill_rate"] == pytest.approx(k["fill_rate"], abs=0.08)
    assert r.audit.units_conserved


def test_fair_share_and_storage_capacity_keep_units():
    data = base(allocation={"rule": "fair_share"},
                customers=[{"id": f"C{i}", "tier": "standard", "location": A,
                            "orders_per_day": 3, "product_mix": {"P": 1}} for i in range(3)],
                facilities=[{"id": "W", "location": A, "storage_capacity_units": 40,
                             "inventory": {"P": {"policy": "sS", "s": 5, "S": 40}}}])
    r = run_replication(sc(data), 3, 0)
    assert r.audit.units_conserved
    assert r.kpis["on_hand_units_avg"] <= 40


def test_seasonality_scales_the_order_rate():
    season = [1.0] * 12
    season[1] = 3.0  # February
    data = base(simulation={"horizon_days": 365, "period": "month"},
                customers=[{"id": "C", "tier": "standard", "location": A, "orders_per_day": 10,
                            "product_mix": {"P": 1}, "seasonality": season}],
                facilities=[{"id": "W", "location": A, "inventory": {"P": {
                    "policy": "base_stock", "level": 300}}}])
    r = run_replication(sc(data), 5, 0)
    months = r.by["month"]
    assert months["1"]["demand_units"] / months["0"]["demand_units"] == pytest.approx(3, rel=0.15)


def test_multi_echelon_flows_through_the_regional_dc():
    data = base(facilities=[
        {"id": "RDC", "location": B, "inventory": {"P": {"policy": "base_stock", "level": 40}}},
        {"id": "W", "location": A, "replenish_from": "RDC",
         "inventory": {"P": {"policy": "sS", "s": 10, "S": 30}}}],
        customers=[{"id": "C", "tier": "standard", "location": A, "orders_per_day": 5,
                    "product_mix": {"P": 1}, "served_by": "W"}])
    r = run_replication(sc(data), 3, 0)
    assert r.by["facility"]["RDC"]["on_hand_units_avg"] > 0
    assert r.kpis["fill_rate"] > 0.8
    assert r.audit.units_conserved


def test_lane_capacity_limits_throughput():
    """A 4 units/day lane carrying 5 units/day of demand queues up: deliveries drift later."""
    free = base(lanes=[{"from": "W", "to": "C", "transit_time": 0.5}])
    tight = base(lanes=[{"from": "W", "to": "C", "transit_time": 0.5,
                         "capacity_units_per_day": 4}])
    r0 = run_replication(sc(free), 1, 0)
    r1 = run_replication(sc(tight), 1, 0)
    assert r0.kpis["order_cycle_time_mean"] == pytest.approx(0.5)
    # the backlog on the lane grows by about 1 unit a day: mean wait ~ (200 / 2) / 4 days
    assert r1.kpis["order_cycle_time_mean"] > 10


def test_plant_production_capacity():
    """A plant making 4 units/day cannot keep up with 5/day: stock runs out, fill rate falls."""
    data = base(suppliers=[], facilities=[
        {"id": "PL", "kind": "plant", "location": A, "production_lead_time": 1,
         "production_capacity_per_day": 4,
         "inventory": {"P": {"policy": "base_stock", "level": 20}}}])
    r = run_replication(sc(data), 1, 0)
    assert r.kpis["fill_rate"] < 0.9
    data["facilities"][0]["production_capacity_per_day"] = 50
    r2 = run_replication(sc(data), 1, 0)
    assert r2.kpis["fill_rate"] > r.kpis["fill_rate"] + 0.1
    assert r.audit.units_conserved and r2.audit.units_conserved


def test_base_churn_removes_customers_at_the_yearly_rate():
    """Yearly churn probability 0.5 and perfect service: about half leave within a year."""
    data = base(simulation={"horizon_days": 365},
                tiers={"t": {"priority": 1, "churn": {"base_rate_per_year": 0.5}}},
                facilities=[{"id": "W", "location": A, "inventory": {"P": {
                    "policy": "base_stock", "level": 500}}}],
                customers=[{"id": f"C{i}", "tier": "t", "location": A, "orders_per_day": 0.2,
                            "product_mix": {"P": 1}} for i in range(400)])
    r = run_replication(sc(data), 3, 0)
    # binomial(400, 0.5): sd 10
    assert abs(r.kpis["churned_customers"] - 200) < 40
    assert r.kpis["fill_rate"] == 1.0


def test_cross_dock_counts_both_legs_of_co2():
    data = base(
        transport_defaults={"co2_kg_per_unit_km": 0.001, "speed_km_per_day": 500},
        facilities=[{"id": "X", "kind": "cross_dock", "location": B}],
        customers=[{"id": "C1", "tier": "standard", "location": A, "orders_per_day": 3,
                    "product_mix": {"P": 1}, "strategy": "cross_dock"}])
    from supplylab.sim.engine import Model
    from supplylab.sim.summary import summarise

    m = Model(sc(data), 1, 0, 200.0)
    m.run()
    m.finish()
    kpis, _ = summarise(m)
    net = sc(data).network
    per_unit = 0.001 * (net.lane("S", "X").distance_km + net.lane("X", "C1").distance_km)
    shipped = m.ledger.to_customers[0]  # every unit sent, also those in transit at the end
    assert kpis["co2_kg"] == pytest.approx(per_unit * shipped)
    # deliveries after the horizon do not count as delivered
    assert shipped - 30 < kpis["delivered_units"] < shipped
