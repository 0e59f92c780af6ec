"""Designs: grid and list points, Latin hypercube stratification and reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplylab.errors import ExperimentError
from supplylab.experiments import Bounds, build_points, experiment_from_api
from supplylab.experiments.design import check_design
from supplylab.experiments.synthetic import SyntheticScenario


def test_grid_is_the_cartesian_product_first_parameter_slowest() -> None:
    pts = build_points("grid", {"a": [1, 2], "b": ["x", "y", "z"]})
    assert pts == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"},
                   {"a": 2, "b": "x"}, {"a": 2, "b": "y"}, {"a": 2, "b": "z"}]


def test_list_design_zips_value_lists() -> None:
    assert build_points("list", {"a": [1, 2], "b": [3, 4]}) == [{"a": 1, "b": 3}, {"a": 2, "b": 4}]


def test_lhs_has_one_sample_per_stratum_in_every_dimension() -> None:
    n = 40
    pts = build_points("lhs", {"a": Bounds(0.0, 1.0), "b": Bounds(10.0, 30.0)}, samples=n, seed=3)
    a = np.array([p["a"] for p in pts])
    b = np.array([p["b"] for p in pts])
    assert sorted(np.floor(a * n).astype(int)) == list(range(n))
    assert sorted(np.floor((b - 10.0) / 20.0 * n).astype(int)) == list(range(n))
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.5  # strata shuffled independently


def test_lhs_is_reproducible_by_seed_and_rounds_integer_bounds() -> None:
    spec = {"s": Bounds(10, 20), "r": Bounds(0.1, 0.4)}
    one = build_points("lhs", spec, samples=11, seed=7)
    assert one == build_points("lhs", spec, samples=11, seed=7)
    assert one != build_points("lhs", spec, samples=11, seed=8)
    s = [p["s"] for p in one]
    assert all(type(v) is int and 10 <= v <= 20 for v in s) and len(set(s)) == 11
    assert all(type(p["r"]) is float and 0.1 <= p["r"] <= 0.4 for p in one)


def test_lhs_samples_value_lists_by_stratum() -> None:
    pts = build_points("lhs", {"c": ["a", "b"], "x": Bounds(0.0, 1.0)}, samples=10, seed=1)
    assert sorted(p["c"] for p in pts) == ["a"] * 5 + ["b"] * 5


@pytest.mark.parametrize(("design", "params", "samples", "where", "message"), [
    ("grid", {}, None, ("parameters",), "empty design"),
    ("lhs", {"a": Bounds(2.0, 1.0)}, 5, ("parameters", "a", "low"), "bounds reversed"),
    ("lhs", {"a": Bounds(0.0, 1.0)}, None, ("design",), "needs 'samples'"),
    ("list", {"a": [1, 2], "b": [1]}, None, ("parameters", "b"), "one length"),
    ("grid", {"a": Bounds(0.0, 1.0)}, None, ("parameters", "a"), "need design lhs"),
    ("grid", {"a": []}, None, ("parameters", "a"), "empty list"),
    ("grid", {"a": [1]}, 3, ("samples",), "only used by design lhs"),
    ("random", {"a": [1]}, None, ("design",), "unknown design"),
])
def test_check_design_names_the_problem(design, params, samples, where, message) -> None:
    issues = check_design(design, params, samples)
    assert any(w == where and message in m for w, m in issues), issues


def test_api_sweep_definition_validates_every_point_before_running() -> None:
    sc = SyntheticScenario()
    with pytest.raises(ExperimentError) as exc:
        experiment_from_api(sc, {"stock.levle": [1.0, 2.0]})
    assert exc.value.issues[0].path == "parameters.stock.levle"
    with pytest.raises(ExperimentError) as exc:
        experiment_from_api(sc, {"stock.level": [100.0, -1.0]})
    assert "point 1" in str(exc.value) and "must be >= 0" in str(exc.value)
    exp = experiment_from_api(sc, {"stock.level": [100.0, 90.0]}, replications=2, seed=4)
    assert exp.points == [{"stock.level": 100.0}, {"stock.level": 90.0}] and exp.seed == 4


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), seed=st.integers(0, 2**32 - 1),
       low=st.floats(-1e3, 1e3), width=st.floats(1e-3, 1e3))
def test_lhs_property_one_point_per_stratum(n: int, seed: int, low: float, width: float) -> None:
    pts = build_points("lhs", {"x": Bounds(low, low + width)}, samples=n, seed=seed)
    u = (np.array([p["x"] for p in pts]) - low) / width
    strata = np.clip(np.floor(u * n + 1e-9), 0, n - 1).astype(int)
    assert len(pts) == n and ((u >= -1e-9) & (u <= 1 + 1e-9)).all()
    assert len(set(strata.tolist())) >= n - 1  # float rounding may move one boundary draw
