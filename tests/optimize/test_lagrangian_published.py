"""The Lagrangian pipeline proves published optima the plain MIP does not reach quickly.

capa at capacity 14000 (100 x 1,000, multi-source: the plain strong MIP ends at the all-open
incumbent) and Holmberg p62 (30 x 200, single-source: the plain MIP reaches the optimum in 30 s
without proving it). No time limit: the pipeline runs until the gap is closed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supplylab.optimize import (
    NetworkDesignProblem,
    NetworkOptions,
    SolverOptions,
    check_solution,
    read_instance,
    solve_network,
)


def _prove(fp, single: bool):
    problem = NetworkDesignProblem.from_facility(fp)
    options = NetworkOptions(single_source=single, method="lagrangian",
                             solver=SolverOptions(path="matrix"))
    sol = solve_network(problem, options)
    check_solution(problem, options, sol)
    return sol


def test_capa_14000_is_proven_optimal(facility_dir: Path) -> None:
    fp = read_instance(facility_dir / "orlib" / "capa.txt", capacity=14000)
    sol = _prove(fp, single=False)
    assert (sol.method, sol.status, sol.proven) == ("lagrangian", "optimal", True)
    assert sol.objective == pytest.approx(17160439.012, rel=1e-6)
    assert sol.best_bound <= sol.objective and sol.gap <= 1e-6
    assert sol.method_stats["fixed_closed"] > 50  # most sites decided by the bound


def test_holmberg_p62_single_source_is_proven_optimal(facility_dir: Path) -> None:
    path = facility_dir / "sscflp" / "holmberg"
    published = float((path / "optimal_values_os.txt").read_text().split()[61])
    sol = _prove(read_instance(path / "p62", "holmberg"), single=True)
    assert (sol.method, sol.proven) == ("lagrangian", True)
    assert (sol.assignments["n_sources"] == 1).all()
    assert sol.objective == pytest.approx(published, abs=0.006)
