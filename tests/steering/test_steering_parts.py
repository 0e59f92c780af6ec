"""Independent parts planned separately give the whole model's optimum; relax-and-round keeps
its proven gap."""

from __future__ import annotations

import numpy as np
import pytest

from supplylab.optimize.solver import SolverOptions
from supplylab.optimize.steering import SteeringOptions, solve_steering
from supplylab.optimize.steering.decompose import components
from supplylab.optimize.steering.synthetic import synthetic_problem


@pytest.fixture(scope="module")
def small():
    return synthetic_problem(6, 16, seed=3)


def test_parts_match_the_whole_model(small) -> None:
    assert len(components(small)) == 3
    opts = SteeringOptions(max_promotions=2, min_gap_weeks=1,
                           solver=SolverOptions(mip_rel_gap=1e-7))
    parts = solve_steering(small, opts, baseline=False)
    whole = solve_steering(small, opts, hook=lambda model, ctx: None, baseline=False)
    assert parts.size["parts"] == 3 and whole.size["parts"] == 1
    assert parts.objective == pytest.approx(whole.objective, rel=1e-6)
    assert list(parts.weekly["product"].unique()) == list(small.product_ids)
    res = parts.conservation()
    assert np.abs(res["residual"]).max() < 1e-6
    assert np.abs(res["stock_residual"]).max() < 1e-6


def test_rounding_keeps_a_proven_gap(small) -> None:
    exact = solve_steering(small, SteeringOptions(solver=SolverOptions(mip_rel_gap=1e-7)),
                           baseline=False)
    loose = solve_steering(small, SteeringOptions(solver=SolverOptions(mip_rel_gap=0.02)),
                           baseline=False)
    assert loose.gap is not None and loose.gap <= 0.02
    assert loose.best_bound is not None and loose.best_bound >= exact.objective - 1e-6
    assert loose.objective >= (1 - 0.02) * exact.objective - 1e-6
    assert loose.objective <= exact.objective + 1e-6
