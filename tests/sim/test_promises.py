"""Promises that are kept: the promised date is the tier's quantile of the delivery time.

With known processing and transit laws and no queue (many processors), an order's delivery
time is processing + transit, so a promise at confidence q is kept with probability q; the
promised lead time itself is that quantile (not the mean, not far away). Times in days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from supplylab.scenario import build
from supplylab.sim import run_replication

from ..conftest import interval

HERE = {"lat": 45.0, "lon": 7.0}
PROC = {"dist": "exponential", "mean": 0.2}
TRANSIT = {"dist": "gamma", "mean": 1.0, "sd": 0.5}


def two_tiers(stock: dict | None = None, lead: Any = 0, conf: tuple = (0.95, 0.7),
              horizon: float = 200) -> Any:
    data = {
        "name": "promises",
        "simulation": {"horizon_days": horizon, "warmup_days": 20},
        "allocation": {"rule": "fifo"},
        "tiers": {"gold": {"priority": 1, "promise_confidence": conf[0]},
                  "silver": {"priority": 2, "promise_confidence": conf[1]}},
        "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": 3,
                      "max_backorder_days": 1000}],
        "suppliers": [{"id": "S", "location": HERE, "products": ["P"], "lead_time": lead}],
        "facilities": [{"id": "W", "location": HERE, "order_processors": 60,
                        "order_processing_time": PROC,
                        "inventory": {"P": stock or {"policy": "sS", "s": 0,
                                                     "S": 10_000_000}}}],
        "lanes": [{"from": "W", "to": f"C-{t}", "transit_time": TRANSIT}
                  for t in ("gold", "silver")],
        "customers": [{"id": f"C-{t}", "tier": t, "location": HERE, "orders_per_day": 30,
                       "product_mix": {"P": 1}} for t in ("gold", "silver")],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def true_quantile(q: float) -> float:
    rng = np.random.default_rng(1)
    proc = rng.exponential(0.2, 400_000)
    k = (1.0 / 0.5) ** 2
    transit = rng.gamma(k, 1.0 / k, 400_000)
    return float(np.quantile(proc + transit, q))


def test_kept_rate_matches_the_tier_confidence():
    runs = [run_replication(two_tiers(), 4, k) for k in range(3)]
    for tier, q in (("gold", 0.95), ("silver", 0.7)):
        kept = [r.by["tier"][tier]["promise_kept_rate"] for r in runs]
        mean, hw = interval(kept)
        # binomial noise of ~5000 orders plus the estimation of the quantile
        assert abs(mean - q) <= max(hw, 0.02), (tier, mean, hw)
        lead = [r.by["tier"][tier]["promised_lead_time_mean"] for r in runs]
        assert np.mean(lead) == pytest.approx(true_quantile(q), rel=0.04)
        late = [r.by["tier"][tier]["promise_lateness_days_mean"] for r in runs]
        assert 0 < np.mean(late) < 0.3
    # the overall kept rate is not the fill rate: everything is filled, not all promises kept
    assert all(r.kpis["fill_rate"] > 0.99 > 0.9 > r.kpis["promise_kept_rate"] for r in runs)


def test_backordered_lines_are_promised_at_the_receipt_that_covers_them():
    """Stock short (base stock 185 against 180 units of demand in a random 3-day lead time):
    backorders are promised at the quantile of the observed lead time of the receipt that
    covers them, so the promises of short orders are kept about as often as the confidence
    says (before, 1 in 500 was) and are further away than those of ample stock."""
    lead = {"dist": "gamma", "mean": 3.0, "sd": 0.6}
    short = [run_replication(two_tiers(stock={"policy": "base_stock", "level": 185}, lead=lead,
                                       conf=(0.9, 0.9), horizon=120), 4, k) for k in range(2)]
    ample = [run_replication(two_tiers(lead=lead, conf=(0.9, 0.9), horizon=120), 4, k)
             for k in range(2)]
    for r in short:
        assert r.audit.units_conserved
        assert r.kpis["fill_rate"] < 0.8  # a real shortage
        assert 0.85 < r.kpis["promise_kept_rate"] < 0.95
    for a, b in zip(short, ample, strict=True):
        assert a.kpis["promised_lead_time_mean"] > b.kpis["promised_lead_time_mean"]


def test_confidence_is_range_checked():
    from supplylab.errors import ScenarioError

    with pytest.raises(ScenarioError, match="promise_confidence"):
        two_tiers(conf=(1.0, 0.7))
    with pytest.raises(ScenarioError, match="promise_confidence"):
        two_tiers(conf=(0.95, 0.2))


def test_small_sample_quantile_is_numpys_exactly():
    """Promises use their own linear quantile of recent sojourns: the same bits as
    ``np.quantile`` (so promised dates do not depend on which one computes them)."""
    from supplylab.sim.promising import quantile

    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 17, 256, 512):
        for q in (0.0, 0.5, 0.9, 0.95 ** 0.5, 0.98 ** (1 / 3), 1.0, *rng.random(5)):
            xs = rng.exponential(0.02, n)
            if n > 3:
                xs[:3] = xs[3]  # ties
            assert quantile(xs.tolist(), q) == float(np.quantile(xs, q))
