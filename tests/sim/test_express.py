"""The one-line fast path of order serving gives exactly the results of the general path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplylab.scenario import load
from supplylab.sim.engine import Model
from supplylab.sim.summary import summarise

from .helpers import single_site

ROOT = Path(__file__).resolve().parents[2]


def outcome(sc, express: bool, days: float) -> str:
    m = Model(sc, 3, 1, days)
    m.orders.express = express
    m.run()
    m.finish()
    kpis, by = summarise(m)
    return json.dumps({"kpis": kpis, "by": by}, sort_keys=True)


def quality_site():
    """Processing queue, damage, document errors, returns, a warm-up and lost sales."""
    return single_site(rate=6, policy={"policy": "sS", "s": 8, "S": 25}, lead_time=2,
                       horizon=120, warmup=10, importance=2, backorder_days=1, processors=2,
                       processing={"dist": "exponential", "mean": 0.2},
                       extra={"facilities": [{
                           "id": "W", "location": {"lat": 45.0, "lon": 7.0},
                           "order_processors": 2, "damage_rate": 0.05, "doc_error_rate": 0.02,
                           "order_processing_time": {"dist": "exponential", "mean": 0.2},
                           "inventory": {"P": {"policy": "sS", "s": 8, "S": 25}}}]})


@pytest.mark.parametrize("name", ["regional_3pl", "crm_tiers", "monitor_shortage", "quality"])
def test_fast_path_matches_the_general_path(name):
    sc = quality_site() if name == "quality" else load(ROOT / "scenarios" / f"{name}.yaml")
    days = 120.0 if name == "quality" else 60.0
    fast, general = outcome(sc, True, days), outcome(sc, False, days)
    assert json.loads(fast)["kpis"]["orders"] > 100
    assert fast == general
