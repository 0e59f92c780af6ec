"""Steering on scenarios: the monitor shortage, ample supply, conservation and the output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from supplylab.optimize.steering import (
    SteeringOptions,
    optimise_steering,
    solve_steering,
    steering_problem,
)
from supplylab.optimize.steering.formulation import context, promo_profit
from supplylab.scenario import load

MONITOR = Path(__file__).resolve().parents[2] / "scenarios" / "monitor_shortage.yaml"
COMMITTED = range(25, 28)  # PROMO-MON17, days 180-194 (weeks 25-27)
AMPLE = {"suppliers.SUP-TW.capacity_per_day": {"MON-15": 1000, "MON-17": 1000}}


@pytest.fixture(scope="module")
def monitor():
    # MON-15 gets a lift table too, so that promoting the short product is possible
    return load(MONITOR).with_overrides({"products.MON-15.promotion_lift": {0.1: 1.3}})


@pytest.fixture(scope="module")
def monitor_plan(monitor):
    return solve_steering(steering_problem(monitor))


def test_monitor_promotes_the_plentiful_substitute(monitor, monitor_plan) -> None:
    plan = monitor_plan
    cal = plan.calendar
    assert plan.status == "optimal"
    assert set(cal["product"]) == {"MON-17"}  # never the short MON-15 nor the keyboards
    promoted = {w for r in cal.itertuples() for w in range(r.first_week, r.last_week + 1)}
    free = set(range(5, 38)) - set(COMMITTED)  # after the warm-up, off the commitment
    assert len(promoted & free) >= 0.8 * len(free)  # MON-15 is short all along
    assert plan.objective > plan.baseline_objective
    w = plan.weekly.set_index(["product", "week"])
    mon15 = w.loc["MON-15"].loc[sorted(promoted)]
    # the promotion's cross effect takes MON-15 demand towards what the supplier delivers
    assert (mon15["demand"] < mon15["base_demand"]).all()
    assert plan.parts["lost_units"] < 0.5 * solve_steering(
        steering_problem(monitor.with_overrides({"promotions": []}))).parts["lost_units"]


def test_ample_supply_promotes_only_what_pays_on_its_own(monitor) -> None:
    """Plenty of both monitors: 5% off MON-17 (lift 1.45) loses money once the cross effect
    takes 70% of the extra units from MON-15, so nothing is promoted; with a lift that
    covers the discount (1.9), every week where the promotion pays on its own is promoted
    (MON-15 without a lift table here: promoting both would interact through the cross
    effect)."""
    ample = monitor.with_overrides(AMPLE)
    plan = solve_steering(steering_problem(ample))
    assert plan.calendar.empty
    assert plan.objective == pytest.approx(plan.baseline_objective)
    assert plan.parts["lost_units"] == pytest.approx(0.0, abs=1e-6)
    rich = load(MONITOR).with_overrides({**AMPLE, "products.MON-17.promotion_lift": {0.05: 1.9}})
    pb = steering_problem(rich)
    plan = solve_steering(pb)
    alone = promo_profit(context(pb, SteeringOptions())).max(axis=2)[1]  # MON-17, per week
    assert alone.max() > 0
    promoted = {w for r in plan.calendar.itertuples() for w in range(r.first_week,
                                                                      r.last_week + 1)}
    assert promoted == {int(w) for w in np.flatnonzero(alone > 1e-6)}
    # the gain is the promotions' own profit (up to the stock they hold: holding costs)
    assert plan.objective - plan.baseline_objective == pytest.approx(alone[alone > 0].sum(),
                                                                     rel=1e-3)


def test_conservation_per_product(monitor_plan) -> None:
    plan = monitor_plan
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
    assert all(p.product == "MON-17" and p.cross_effects == {"MON-15": -0.7} for p in new)
    # new promotions never overlap the committed one
    assert all(p.end_day <= 180 or p.start_day >= 194 for p in new)
