"""N best networks and Pareto fronts through the CLI, and the CO2 front with restricted pairs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from supplylab.cli import main
from supplylab.optimize import NetworkDesignProblem, NetworkOptions, SolverOptions
from supplylab.optimize.alternatives import pareto_co2


def test_co2_front_respects_the_allowed_pairs() -> None:
    """Customer 1 may only be served by site 0 (the dirtier one for it): the CO2 minimum must be
    found under that restriction, so the last (tightest) cap is feasible."""
    allowed = np.array([[True, True], [True, False]])
    problem = NetworkDesignProblem(
        ("A", "B"), ("c0", "c1"), np.array([10.0, 10.0]),
        cost=np.array([[1.0, 5.0], [3.0, 1.0]]), fixed=np.array([10.0, 10.0]),
        co2=np.array([[5.0, 9.0], [1.0, 0.1]]), allowed=allowed)
    opts = NetworkOptions(single_source=True, solver=SolverOptions(mip_rel_gap=1e-9))
    front = pareto_co2(problem, opts, points=3)
    assert (front["status"] == "optimal").all()
    # the least CO2 reachable: c0 from B (1), c1 from A (9) -> 10 tonnes
    assert front["co2_t"].iloc[-1] == np.float64(front["co2_t"].min())
    assert abs(front["co2_t"].iloc[-1] - 10.0) < 1e-6
    assert front["cost"].is_monotonic_increasing


def test_n_best_json_is_one_document(capsys, facility_dir: Path) -> None:
    code = main(["optimize", "network", "--orlib", str(facility_dir / "orlib" / "cap41.txt"),
                 "--n-best", "2", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    costs = [r["cost"] for r in doc["alternatives"]["2 best networks"]]
    assert costs[0] == doc["objective"] <= costs[1]
    assert abs(doc["objective"] - 1040444.375) < 1e-3


def test_pareto_needs_a_scenario(capsys, facility_dir: Path) -> None:
    code = main(["optimize", "network", "--orlib", str(facility_dir / "orlib" / "cap41.txt"),
                 "--pareto", "co2"])
    assert code == 2
    assert "needs a scenario" in capsys.readouterr().err
