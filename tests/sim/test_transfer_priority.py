"""A transfer to a downstream stock point ranks as the best class that point serves.

The case (``TEXT``): a supplier makes 16 units a day; the DC serves a platinum account (10
units/day) and replenishes a warehouse that serves a silver account (10 units/day). Under
``rule: priority`` the platinum account is served first: before this rule a transfer ranked
before every customer line and was exempt from rationing, so the warehouse took the DC's stock
and the platinum account got a fill rate of 0.0 against 1.0 for silver (seed 2, 350 measured
days). Now the transfer ranks and is rationed as a silver line.
"""

from __future__ import annotations

import pytest

import supplylab
from supplylab.sim import run_replication
from supplylab.sim.engine import Model

TEXT = """
name: transfer priority
simulation: {{horizon_days: 400, warmup_days: 50, replications: 1, seed: 2}}
allocation: {{rule: {rule}, priority_order: [tier, score], protect_days: 1}}
tiers:
  platinum: {{priority: 1, patience_days: 5}}
  silver: {{priority: 3, patience_days: 5}}
products:
  - {{id: P, price: 20, unit_cost: 10, importance: 2, max_backorder_days: 5}}
suppliers:
  - {{id: SUP, location: {{lat: 50.0, lon: 8.0}}, products: [P], lead_time: 2,
     capacity_per_day: 16}}
facilities:
  - id: DC
    location: {{lat: 50.0, lon: 8.0}}
    inventory: {{P: {{policy: base_stock, level: 80}}}}
  - id: WH
    location: {{lat: 52.0, lon: 10.0}}
    replenish_from: DC
    inventory: {{P: {{policy: base_stock, level: 60}}}}
{extra}customers:
  - {{id: PLAT, tier: platinum, location: {{lat: 50.0, lon: 8.0}}, served_by: DC,
     orders_per_day: 5, quantity: 2, product_mix: {{P: 1}}}}
  - {{id: SILV, tier: {wh_tier}, location: {{lat: 52.0, lon: 10.0}}, served_by: WH,
     orders_per_day: 5, quantity: 2, product_mix: {{P: 1}}}}
"""


def _scenario(rule: str = "priority", wh_tier: str = "silver", extra: str = "") -> object:
    return supplylab.loads(TEXT.format(rule=rule, wh_tier=wh_tier, extra=extra))


def _fill_by_tier(sc: object) -> dict[str, float]:
    r = run_replication(sc, seed=2, replication=0)
    assert r.audit.units_conserved
    return {t: v["fill_rate"] for t, v in r.by["tier"].items()}


def test_the_platinum_account_of_the_dc_is_served_before_the_silver_warehouse() -> None:
    fill = _fill_by_tier(_scenario())
    assert fill["platinum"] > 0.9
    assert fill["silver"] < 0.5
    # first come, first served does not protect platinum (unchanged by the rule)
    fifo = _fill_by_tier(_scenario("fifo"))
    assert fifo["platinum"] < fill["platinum"] - 0.5


def test_the_transfer_key_is_the_best_class_downstream() -> None:
    m = Model(_scenario(), 2, 0, 400.0)
    dc, wh = (m.sites.sp[(m.fidx[f], 0)] for f in ("DC", "WH"))
    silver, platinum = m.priority.key(3, 0), m.priority.key(1, 0)
    assert wh.transfer_key == silver
    # the DC rations between its platinum account and the warehouse, 10 units/day each
    assert dc.classes == [(platinum, pytest.approx(10.0)), (silver, pytest.approx(10.0))]
    assert dc.critical(wh.transfer_key) == pytest.approx(10.0)   # protect_days 1 x platinum
    # a warehouse with a platinum account ranks as platinum: no rationing against it
    m = Model(_scenario(wh_tier="platinum"), 2, 0, 400.0)
    wh = m.sites.sp[(m.fidx["WH"], 0)]
    assert wh.transfer_key == platinum
    assert m.sites.sp[(m.fidx["DC"], 0)].classes is None


def test_a_chain_takes_the_best_class_of_the_points_below() -> None:
    """CDC -> DC -> WH: the DC ranks with its own platinum account (better than the WH's
    silver); the central DC, serving no customer, sees the DC's transfer as one class."""
    text = TEXT.replace("  - id: DC\n", "  - id: CDC\n    location: {{lat: 49.0, lon: 8.0}}\n"
                        "    inventory: {{P: {{policy: base_stock, level: 80}}}}\n"
                        "  - id: DC\n    replenish_from: CDC\n")
    m = Model(supplylab.loads(text.format(rule="priority", wh_tier="silver", extra="")),
              2, 0, 400.0)
    cdc, dc, wh = (m.sites.sp[(m.fidx[f], 0)] for f in ("CDC", "DC", "WH"))
    assert wh.transfer_key == m.priority.key(3, 0)
    assert dc.transfer_key == m.priority.key(1, 0)
    assert cdc.classes is None and cdc.transfer_key == m.priority.stock_key(0)
    assert run_replication(m.sc, seed=2, replication=0).audit.units_conserved
