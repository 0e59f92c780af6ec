"""The solver facade reports objective, bound and gap with the model's objective constant on
both paths (PuLP drops the constant when it hands the model to HiGHS)."""

from __future__ import annotations

import numpy as np
import pytest

from supplylab.optimize.linear import INF, LinearModel
from supplylab.optimize.solver import SolverOptions, solve


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("path", ["pulp", "matrix"])
def test_offset_in_objective_bound_and_gap(path: str, integer: bool) -> None:
    model = LinearModel("offset")
    x = model.add_vars("x", 2, upper=np.array([3.0, 3.0]), cost=np.array([1.0, 2.0]),
                       integer=integer)
    model.add_rows("cover", np.zeros(2), x, np.array([1.0, 1.0]), 2.5, INF, nrows=1)
    model.offset = 100.0
    out = solve(model, SolverOptions(path=path))  # type: ignore[arg-type]
    expected = 103.0 if integer else 102.5  # x = (3, 0) or (2.5, 0), plus the constant
    assert out.status == "optimal"
    assert out.objective == pytest.approx(expected)
    assert out.best_bound == pytest.approx(expected)
    assert out.gap == pytest.approx(0.0, abs=1e-9)
