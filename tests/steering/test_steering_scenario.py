"""Steering on scenarios: the monitor shortage, ample supply, conservation and the output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from supplylab.optimize.steering import optimise_steering, solve_steering, steering_problem
from supplylab.scenario import load

MONITOR = Path(__file__).resolve().parents[2] / "scenarios" / "monitor_shortage.yaml"
FIRE_WEEKS = range(9, 13)  # the fire at the panel maker: days 60-90


@pytest.fixture(scope="module")
def monitor():
    # MON-15 gets a lift table too, so that promoting the short product is possible
    return load(MONITOR).with_overrides({"products.MON-15.promotion_lift": {0.1: 1.3}})


def test_monitor_promotes_the_plentiful_substitute(monitor) -> None:
    plan = solve_steering(steering_problem(monitor))
    cal = plan.calendar
    assert plan.status == "optimal"
    assert set(cal["product"]) == {"MON-17"}
    promoted = {w for r in cal.itertuples() for w in range(r.first_week, r.last_week + 1)}
    assert set(FIRE_WEEKS) <= promoted
    assert plan.objective > plan.baseline_objective
    mon15 = plan.weekly[plan.weekly["product"] == "MON-15"].set_index("week")
    # the promotion's cross effect takes MON-15 demand down to what the supplier delivers
    assert (mon15.loc[list(promoted & set(range(13, 17))), "demand"]
            < mon15.loc[list(promoted & set(range(13, 17))), "base_demand"]).all()


def test_ample_supply_promotes_nothing(monitor) -> None:
    """Plenty of both monitors: 10% off MON-17 (lift 1.8) loses money once the cross effect
    takes half of the extra units from MON-15, so nothing is promoted."""
    ample = monitor.with_overrides({"suppliers.SUP-TW.capacity_per_day": {"MON-15": 1000,
                                                                          "MON-17": 1000},
                                    "disruptions": []})
    pb = steering_problem(ample)
    plan = solve_steering(pb)
    assert plan.calendar.empty
    assert plan.objective == pytest.approx(plan.baseline_objective)
    assert plan.parts["lost_units"] == pytest.approx(0.0, abs=1e-6)


def test_conservation_per_product(monitor) -> None:
    plan = solve_steering(steering_problem(monitor))
    res = plan.conservation().set_index("product")
    assert np.abs(res["residual"]).max() < 1e-6 * res["demand"].max()
    assert np.abs(res["stock_residual"]).max() < 1e-6 * res["demand"].max()
    w = plan.weekly
    assert (w[["demand", "sold_regular", "sold_promo", "lost", "stock_end"]] >= -1e-9).all().all()
    assert res.loc["MON-15", "lost"] > 0  # the shortage does not vanish: it is planned


def test_output_extends_the_input_and_holds_only_the_calendar(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "steered.yaml"
    result = optimise_steering(MONITOR, out)
    doc = yaml.safe_load(out.read_text())
    assert set(doc) == {"extends", "name", "promotions"}
    assert (out.parent / doc["extends"]).resolve() == MONITOR.resolve()
    steered = load(out)
    ids = [p.id for p in steered.promotions]
    assert ids[0] == "PROMO-MON17"  # the commitment stays
    new = [p for p in steered.promotions if p.id.startswith("STEER-")]
    assert len(new) == len(result.plan.calendar) > 0
    assert all(p.product == "MON-17" and p.cross_effects == {"MON-15": -0.5} for p in new)
    # new promotions never overlap the committed one
    assert all(p.end_day <= 120 or p.start_day >= 240 for p in new)
