"""Conservation of units and reproducibility."""

from __future__ import annotations

import json

import pytest

from supplylab.errors import AuditError
from supplylab.sim import engine, run_replication
from supplylab.sim.audit import audit
from supplylab.sim.replenishment import Replenishment

from .helpers import single_site


def small():
    return single_site(rate=4, lead_time={"dist": "gamma", "mean": 3, "sd": 1},
                       policy={"policy": "sS", "s": 10, "S": 30}, horizon=200, warmup=20,
                       importance=2, backorder_days=2, processing={"dist": "exponential",
                                                                   "mean": 0.1})


def test_audit_holds_and_catches_a_broken_conservation(monkeypatch):
    sc = small()
    model = engine.Model(sc, 5, 0, 200.0)
    model.run()
    model.finish()  # the fast path's units reach the ledger here
    assert audit(model).units_conserved
    sp = next(iter(model.sp.values()))
    sp.on_hand += 1  # a unit appears from nowhere
    report = audit(model)
    assert not report.units_conserved
    assert report.imbalances[0][:2] == ("W", "P")

    original = Replenishment.receive

    def leaky(self, sp, sid, units, ordered):  # loses one unit of every receipt
        original(self, sp, sid, units - 1 if units > 1 else units, ordered)
        self.m.ledger.supplier_shipped[sp.pi] += 0

    monkeypatch.setattr(Replenishment, "receive", leaky)
    with pytest.raises(AuditError, match="not conserved"):
        run_replication(sc, 5, 0)


def test_same_seed_same_results_different_seed_different():
    sc = small()
    a = run_replication(sc, 9, 3)
    b = run_replication(sc, 9, 3)
    c = run_replication(sc, 10, 3)
    d = run_replication(sc, 9, 4)
    assert json.dumps(a.kpis, sort_keys=True) == json.dumps(b.kpis, sort_keys=True)
    assert json.dumps(a.by, sort_keys=True) == json.dumps(b.by, sort_keys=True)
    assert a.kpis["demand_units"] != c.kpis["demand_units"]
    assert a.kpis["demand_units"] != d.kpis["demand_units"]


def test_adding_a_customer_leaves_the_others_demand_unchanged():
    import yaml

    from supplylab.scenario import build

    data = small().data()
    data["customers"].append({"id": "C2", "tier": "standard", "location": {"lat": 45, "lon": 7},
                              "orders_per_day": 3, "product_mix": {"P": 1}})
    bigger = build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")
    a = run_replication(small(), 9, 0)
    b = run_replication(bigger, 9, 0)
    assert a.by["customer"]["C"]["demand_units"] > 500
    assert a.by["customer"]["C"]["demand_units"] == b.by["customer"]["C"]["demand_units"]
    assert b.by["customer"]["C2"]["demand_units"] > 0


def test_a_horizon_within_the_warm_up_is_an_input_error():
    from supplylab.errors import InputError

    sc = small()  # warm-up 20 days
    with pytest.raises(InputError, match="longer than the warm-up"):
        run_replication(sc, 1, 0, days=20)


def test_kpi_names_match_what_a_replication_reports():
    from supplylab.sim import KPI_NAMES

    r = run_replication(small(), 1, 0)
    assert set(r.kpis) == set(KPI_NAMES)
    assert len(KPI_NAMES) == len(set(KPI_NAMES))
