"""Readers' errors, the solver facade's statuses, the audit's teeth, gravity and the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from scipy.optimize import minimize
from typer.testing import CliRunner

from supplylab.errors import InputError, OptimizationError
from supplylab.optimize import (
    LinearModel,
    NetworkDesignProblem,
    NetworkOptions,
    SolverOptions,
    audit_solution,
    available_solvers,
    centre_of_gravity,
    haversine_km,
    read_instance,
    solve,
    solve_network,
    weiszfeld,
)
from supplylab.optimize.commands import register


@pytest.mark.parametrize(("text", "fmt", "needle"), [
    ("2 2\n10 5\n", "orlib", "ends too early"),
    ("2 x\n", "orlib", "expected a number"),
    ("1 1\n5 3\n2\n4\n9\n", "orlib", "unexpected tokens"),
    ("1 1\n5 -3\n2\n4\n", "orlib", "negative"),
    ("0 1\n", "holmberg", "positive integer"),
    ("FILE: t\n1 2 0\n1 5 3\n", "ufllib", "ends too early"),
])
def test_bad_files_raise_input_error_naming_the_file(tmp_path: Path, text: str, fmt: str,
                                                     needle: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_instance(path, fmt)  # type: ignore[arg-type]
    assert needle in str(err.value) and str(path) in str(err.value)
    assert err.value.exit_code == 2


def test_data_complete_before_nul_padding_ends_there(tmp_path: Path) -> None:
    """Holmberg p47's copy has NUL padding followed by leftovers of an older file: complete
    data before the padding is read; without the padding the same leftovers are refused, and
    data cut short by padding reads on across it."""
    data = "2 2\n10 5\n10 6\n3 4\n1 2 3 4\n"
    (tmp_path / "padded").write_text(data + "\x00" * 8 + "39. 336. 332.\n")
    fp = read_instance(tmp_path / "padded", "holmberg")
    np.testing.assert_array_equal(fp.cost, [[1, 2], [3, 4]])
    (tmp_path / "junk").write_text(data + "39. 336. 332.\n")
    with pytest.raises(InputError, match="3 unexpected tokens"):
        read_instance(tmp_path / "junk", "holmberg")
    (tmp_path / "split").write_text(data[:-4] + "\x00\x00" + data[-4:])
    np.testing.assert_array_equal(read_instance(tmp_path / "split", "holmberg").cost,
                                  [[1, 2], [3, 4]])


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_instance(tmp_path / "nope.txt")
    (tmp_path / "a.txt").write_text("1 1\n1 1\n1\n1\n")
    with pytest.raises(InputError, match="unknown instance format"):
        read_instance(tmp_path / "a.txt", "xml")  # type: ignore[arg-type]


def test_readers_agree_on_orientation(tmp_path: Path) -> None:
    # the same 2x3 instance in OR-Library (customer-major) and Holmberg (facility-major) layout
    (tmp_path / "o.txt").write_text("2 3\n10 5\n10 7\n1\n1 2\n2\n3 4\n3\n5 6\n")
    (tmp_path / "h.txt").write_text("2 3\n10 5\n10 7\n1 2 3\n1 3 5\n2 4 6\n")
    (tmp_path / "u.txt").write_text("FILE: u\n2 3 0\n1 5 1 3 5\n2 7 2 4 6\n")
    a = read_instance(tmp_path / "o.txt")
    b = read_instance(tmp_path / "h.txt", "holmberg")
    c = read_instance(tmp_path / "u.txt", "ufllib")
    np.testing.assert_array_equal(a.cost, b.cost)
    np.testing.assert_array_equal(a.cost, c.cost)
    np.testing.assert_array_equal(a.fixed, c.fixed)


def _lp(lower: float, upper: float) -> LinearModel:
    model = LinearModel("t")
    x = model.add_vars("x", 2, lower=0.0, upper=10.0, cost=np.array([1.0, 2.0]), integer=True)
    model.add_rows("sum", np.zeros(2), x, 1.0, lower, upper, nrows=1)
    return model


CBC = pytest.mark.skipif("cbc" not in available_solvers(), reason="CBC not available")


@pytest.mark.parametrize("options", [SolverOptions(), SolverOptions(path="matrix"),
                                     pytest.param(SolverOptions(solver="cbc"), marks=CBC)])
def test_facade_statuses(options: SolverOptions) -> None:
    out = solve(_lp(3.5, 8.0), options)
    assert out.status == "optimal" and out.objective == pytest.approx(4.0)
    bad = solve(_lp(30.0, 40.0), options)
    assert bad.status == "infeasible" and bad.x is None
    assert bad.lp_file and Path(bad.lp_file).read_text()


def test_facade_rejects_bad_options() -> None:
    with pytest.raises(InputError):
        SolverOptions(solver="gurobi")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        SolverOptions(solver="cbc", path="matrix")
    with pytest.raises(InputError):
        SolverOptions(mip_rel_gap=2.0)


def test_time_limit_reports_gap_not_optimal(facility_dir: Path) -> None:
    fp = read_instance(facility_dir / "orlib" / "capb.txt", capacity=5000)
    opts = NetworkOptions(solver=SolverOptions(path="matrix", time_limit_s=1.0))
    try:
        sol = solve_network(fp, opts)
    except OptimizationError as err:  # no incumbent within the limit is also a typed answer
        assert err.status == "not_solved"
        return
    assert sol.status == "feasible" and sol.gap is not None and sol.gap > 1e-6


def _small() -> NetworkDesignProblem:
    return NetworkDesignProblem(("A", "B"), ("x", "y", "z"), np.array([3.0, 4.0, 5.0]),
                                np.array([[1.0, 9.0, 9.0], [9.0, 1.0, 2.0]]),
                                np.array([10.0, 10.0]), np.array([8.0, 20.0]), name="small")


def test_audit_catches_corrupted_tables() -> None:
    problem, options = _small(), NetworkOptions()
    sol = solve_network(problem, options)
    assert audit_solution(problem, options, sol).ok
    dropped = replace(sol, flows=sol.flows.iloc[1:])
    assert any("served" in v for v in audit_solution(problem, options, dropped).violations)
    cheaper = replace(sol, objective=sol.objective - 1.0)
    assert any("recomputed cost" in v for v in audit_solution(problem, options, cheaper).violations)
    closed = replace(sol, open_sites=sol.open_sites.iloc[:0])
    assert any("closed site" in v for v in audit_solution(problem, options, closed).violations)
    doubled = replace(sol, flows=pd.concat([sol.flows, sol.flows.iloc[:1]]))
    assert not audit_solution(problem, options, doubled).ok


def test_bad_options_are_input_errors() -> None:
    with pytest.raises(InputError, match="above max_open"):
        solve_network(_small(), NetworkOptions(min_open=2, max_open=1))
    with pytest.raises(InputError, match="unknown site"):
        solve_network(_small(), NetworkOptions(forced_open=("Q",)))
    with pytest.raises(InputError, match="transit"):
        from supplylab.optimize import ServiceShareRule

        solve_network(_small(), NetworkOptions(service_share=(ServiceShareRule(1.0, 0.5),)))


def test_weiszfeld_matches_numerical_minimum() -> None:
    rng = np.random.default_rng(3)
    pts, w = rng.random((30, 2)) * 100, rng.random(30) + 0.1
    p = weiszfeld(pts, w)

    def f(q: np.ndarray) -> float:
        return float((w * np.linalg.norm(pts - q, axis=1)).sum())

    ref = minimize(f, pts.mean(axis=0), method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000})
    assert f(p) <= ref.fun + 1e-6


def test_weiszfeld_dominant_weight_sits_on_its_point() -> None:
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    p = weiszfeld(pts, np.array([10.0, 1.0, 1.0]))
    np.testing.assert_allclose(p, [0.0, 0.0], atol=1e-9)


def test_centre_of_gravity_finds_separated_clusters() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[48.1, 11.6], [52.5, 13.4], [50.1, 8.7]])  # Munich, Berlin, Frankfurt
    pts = np.concatenate([c + rng.normal(0, 0.2, (20, 2)) for c in centres])
    res = centre_of_gravity(pts, np.ones(len(pts)), 3, metric="great_circle", seed=1)
    # every true cluster centre has a found site within 40 km (the noise is ~20 km)
    gaps = haversine_km(centres[:, None, :], res.centres[None, :, :]).min(axis=1)
    assert (gaps < 40).all(), gaps
    assert sorted(np.bincount(res.assignment)) == [20, 20, 20]
    assert haversine_km(np.array([48.1, 11.6]), np.array([52.5, 13.4])) == pytest.approx(
        504, rel=0.01)


@CBC
def test_cli_network_json_and_placeholders(facility_dir: Path) -> None:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """root"""

    runner = CliRunner()
    res = runner.invoke(app, ["optimize", "network", "--orlib",
                              str(facility_dir / "orlib" / "cap71.txt"), "--uncapacitated",
                              "--json", "--solver", "cbc"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["objective"] == pytest.approx(932615.75)
    assert data["status"] == "optimal" and data["open_facilities"]
    res = runner.invoke(app, ["optimize", "network", "--orlib",
                              str(facility_dir / "sscflp" / "holmberg" / "p1"),
                              "--format", "holmberg", "--single-source"])
    assert res.exit_code == 0 and "8,848" in res.output  # objective 8,848 (Holmberg p1)
    res = runner.invoke(app, ["optimize", "inventory"])
    assert isinstance(res.exception, InputError) and "--willems" in str(res.exception)


def test_user_hook_adds_a_constraint() -> None:
    """A hook that forbids opening A and B together changes the optimum accordingly."""
    problem = _small()
    free = solve_network(problem, NetworkOptions(strong=True))

    def not_both(model, ctx) -> None:
        model.add_rows("user_not_both", np.zeros(len(ctx.z)), ctx.z, 1.0, -np.inf, 1.0, nrows=1)

    hooked = solve_network(problem, NetworkOptions(hook=not_both))
    assert len(hooked.open_site_ids) == 1
    assert hooked.objective >= free.objective
    if len(free.open_site_ids) == 2:
        assert hooked.objective > free.objective
