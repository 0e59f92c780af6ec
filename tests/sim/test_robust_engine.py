"""Engine cases of issue 9: a supplier without capacity, infinite balances, rates above 1,
deliveries after the horizon."""

from __future__ import annotations

import math
from pathlib import Path

from supplylab.scenario import load
from supplylab.sim import run_replication
from supplylab.sim.audit import audit
from supplylab.sim.engine import Model

from .test_features import base, sc

ROOT = Path(__file__).resolve().parents[2]


def test_a_supplier_without_capacity_ships_nothing_and_the_run_completes():
    data = base(suppliers=[{"id": "S", "location": {"lat": 45.0, "lon": 7.0}, "products": ["P"],
                            "lead_time": 2, "capacity_per_day": 0}],
                customers=[{"id": "C", "tier": "standard", "location": {"lat": 45.0, "lon": 7.0},
                            "orders_per_day": 5, "product_mix": {"P": 1}},
                           {"id": "D", "tier": "standard", "location": {"lat": 45.0, "lon": 7.0},
                            "orders_per_day": 5, "product_mix": {"P": 1}, "strategy": "direct"}])
    r = run_replication(sc(data), 1, 0)
    assert r.audit.units_conserved
    direct = r.by["customer"]["D"]
    # nothing the supplier is asked for ever arrives: no fill, no delivery, no cycle time
    assert direct["fill_rate"] == 0.0
    assert direct["on_time_rate"] == 0.0
    assert "order_cycle_time_mean" not in direct
    # the warehouse serves its 50 units of initial stock, then nothing more
    assert r.by["customer"]["C"]["demand_units"] > 500
    assert r.kpis["delivered_units"] == 50
    assert all(math.isfinite(v) or math.isnan(v) for v in r.kpis.values())


def test_an_infinite_balance_fails_the_audit():
    m = Model(sc(base()), 1, 0, 20.0)
    m.run()
    m.finish()
    assert audit(m).units_conserved
    sp = next(iter(m.sp.values()))
    sp.initial = sp.on_hand = math.inf  # e.g. an order-up-to level of .inf
    report = audit(m)
    assert not report.units_conserved
    assert ("W", "P") in [x[:2] for x in report.imbalances]


def test_line_fill_rate_never_exceeds_one_on_the_quickstart():
    quick = load(ROOT / "scenarios" / "regional_3pl.yaml")
    for rep in range(5):  # the engine before issue 9 gave 1.0049 for KB-STD in replication 0
        r = run_replication(quick, 42, rep, days=60)
        for dim, key, name, value in r.rows():
            if name == "line_fill_rate":
                assert value <= 1.0, (rep, dim, key, value)


def test_a_customer_cut_off_all_run_is_not_served():
    lane = {"from": "W", "to": "CUT", "id": "W-CUT"}
    data = base(customers=[{"id": "C", "tier": "standard", "location": {"lat": 45.0, "lon": 7.0},
                            "orders_per_day": 5, "product_mix": {"P": 1}},
                           {"id": "CUT", "tier": "standard", "location": {"lat": 45.0, "lon": 7.0},
                            "orders_per_day": 5, "product_mix": {"P": 1}}],
                lanes=[lane],
                disruptions=[{"target": "W-CUT", "start_day": 0, "duration_days": 10_000,
                              "effect": "outage"}])
    r = run_replication(sc(data), 1, 0)
    assert r.audit.units_conserved
    cut, ok = r.by["customer"]["CUT"], r.by["customer"]["C"]
    assert cut["fill_rate"] == 0.0 and cut["on_time_rate"] == 0.0 and cut["otif_rate"] == 0.0
    assert "order_cycle_time_mean" not in cut  # no order of it was delivered within the run
    assert ok["fill_rate"] > 0.9 and ok["order_cycle_time_mean"] < 1.0
    # its shipments never arrive: nothing delivered, no revenue from it
    assert cut["revenue"] == 0.0
