"""Experiment files: every mistake reported as FILE:LINE:COL: dotted.path: message; exit 2."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from supplylab.errors import ExperimentError, Issue
from supplylab.experiments import Bounds, load_experiment

DATA = Path(__file__).parent / "data"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(DATA / "small.yaml", tmp_path / "small.yaml")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "exp.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def issues_of(path: Path) -> list[Issue]:
    with pytest.raises(ExperimentError) as exc:
        load_experiment(path)
    assert exc.value.exit_code == 2
    return exc.value.issues


def one(issues: list[Issue], path: str) -> Issue:
    hits = [i for i in issues if i.path == path]
    assert hits, f"no issue at {path}: {issues}"
    return hits[0]


GOOD = """
name: reorder point sweep
scenario: small.yaml
design: grid
parameters:
  facilities.W.inventory.P.s: [5, 10]
  costs.holding_rate_per_year: [0.1, 0.3]
replications: 2
seed: 3
kpis: [fill_rate, total_cost]
"""


def test_good_file_loads_with_points_relative_scenario_and_defaults(folder: Path) -> None:
    exp = load_experiment(write(folder, GOOD))
    assert exp.name == "reorder point sweep" and exp.replications == 2 and exp.seed == 3
    assert exp.points[1] == {"facilities.W.inventory.P.s": 5, "costs.holding_rate_per_year": 0.3}
    assert len(exp.points) == 4 and exp.scenario.name == "small single site"
    assert exp.kpis == ["fill_rate", "total_cost"]
    # replications/seed default to the scenario's simulation block
    text = GOOD.replace("replications: 2\n", "").replace("seed: 3\n", "")
    exp = load_experiment(write(folder, text))
    assert (exp.replications, exp.seed) == (3, 11)


def test_unknown_key_with_did_you_mean_and_its_line(folder: Path) -> None:
    path = write(folder, GOOD.replace("replications: 2", "replicatons: 2"))
    issue = one(issues_of(path), "replicatons")
    assert (issue.line, issue.col) == (7, 1)
    assert "unknown key 'replicatons'; did you mean 'replications'?" in issue.message
    assert str(issue).startswith(f"{path}:7:1: replicatons: unknown key")


def test_empty_design(folder: Path) -> None:
    path = write(folder, """
        name: e
        scenario: small.yaml
        parameters: {}
        """)
    issue = one(issues_of(path), "parameters")
    assert issue.line == 3 and "empty design" in issue.message


def test_bounds_reversed_points_at_low(folder: Path) -> None:
    path = write(folder, """
        name: e
        scenario: small.yaml
        design: lhs
        samples: 4
        parameters:
          costs.holding_rate_per_year:
            low: 0.4
            high: 0.1
        """)
    issue = one(issues_of(path), "parameters.costs.holding_rate_per_year.low")
    assert (issue.line, issue.col) == (7, 10)
    assert "bounds reversed: low 0.4 > high 0.1" in issue.message


def test_list_lengths_differ(folder: Path) -> None:
    path = write(folder, GOOD.replace("design: grid", "design: list")
                 .replace("[0.1, 0.3]", "[0.1, 0.2, 0.3]"))
    issue = one(issues_of(path), "parameters.costs.holding_rate_per_year")
    assert issue.line == 6 and "one length: 3 values here, 2 in" in issue.message


def test_lhs_without_samples(folder: Path) -> None:
    path = write(folder, GOOD.replace("design: grid", "design: lhs"))
    issue = one(issues_of(path), "design")
    assert issue.line == 3 and "needs 'samples'" in issue.message


def test_unknown_parameter_path_is_found_before_running(folder: Path) -> None:
    path = write(folder, GOOD.replace("inventory.P.s:", "inventory.P.z:"))
    issue = one(issues_of(path), "parameters.facilities.W.inventory.P.z")
    assert (issue.line, issue.col) == (5, 3) and "unknown key 'z'" in issue.message
    # reported in the same pass as the file's other mistakes
    path = write(folder, GOOD.replace("inventory.P.s:", "inventory.P.z:")
                 .replace("seed: 3", "sed: 3"))
    issues = issues_of(path)
    assert {"parameters.facilities.W.inventory.P.z", "sed"} <= {i.path for i in issues}
    assert [i.line for i in issues] == sorted(i.line for i in issues)


def test_invalid_point_is_named_with_its_values(folder: Path) -> None:
    path = write(folder, GOOD.replace("[5, 10]", "[5, 50]"))
    issues = issues_of(path)
    assert any("point 2" in i.message and "facilities.W.inventory.P.s=50" in i.message
               and "below s (50)" in i.message and i.line == 4 for i in issues), issues


def test_every_problem_is_reported_in_one_pass(folder: Path) -> None:
    path = write(folder, """
        name: e
        scenario: missing.yaml
        design: grid
        samples: 3
        parameters:
          a.b: {low: 1, hihg: 2}
        replications: 0
        kpis: [fill_rat]
        """)
    issues = issues_of(path)
    paths = {i.path: i for i in issues}
    assert "scenario file not found" in paths["scenario"].message
    assert "only used by design lhs" in paths["samples"].message
    assert "unknown key 'hihg'" in paths["parameters.a.b.hihg"].message
    assert "positive integer" in paths["replications"].message and paths["replications"].line == 7
    assert "did you mean 'fill_rate'" in paths["kpis.0"].message and paths["kpis.0"].line == 8


def test_yaml_syntax_error_and_duplicate_key_and_not_a_mapping(folder: Path) -> None:
    path = write(folder, "name: e\nparameters: [1, 2\n")
    (issue,) = issues_of(path)
    assert issue.line == 3 and "not valid YAML" in issue.message
    path = write(folder, GOOD + "seed: 4\n")
    issue = one(issues_of(path), "seed")
    assert issue.line == 10 and "duplicate key" in issue.message
    path = write(folder, "- 1\n")
    assert "mapping" in issues_of(path)[0].message


def test_lhs_file_with_integer_bounds(folder: Path) -> None:
    path = write(folder, GOOD.replace("design: grid", "design: lhs\nsamples: 5")
                 .replace("[5, 10]", "{low: 2, high: 12}")
                 .replace("[0.1, 0.3]", "{low: 0.1, high: 0.3}"))
    exp = load_experiment(path)
    assert exp.parameters["facilities.W.inventory.P.s"] == Bounds(2, 12)
    assert all(isinstance(p["facilities.W.inventory.P.s"], int) for p in exp.points)
    assert len(exp.points) == 5 and exp.points == load_experiment(path).points


def test_cli_exits_2_and_prints_positioned_messages(folder: Path, capsys) -> None:
    from supplylab.cli import main

    path = write(folder, GOOD.replace("replications: 2", "replicatons: 2"))
    assert main(["sweep", str(path), "--out", str(folder / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:7:1: replicatons: unknown key 'replicatons'; did you mean 'replications'?" in err
    assert not (folder / "out").exists()  # nothing ran, nothing written
    assert main(["sweep", str(folder / "nope.yaml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err
    assert main(["sweep", str(write(folder, GOOD)), "--workers", "2", "--dask", "local"]) == 2
    assert "either --workers or --dask" in capsys.readouterr().err
