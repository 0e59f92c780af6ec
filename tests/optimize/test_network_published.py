"""The optimiser proves published optima of OR-Library, Holmberg and UflLib instances."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplylab.errors import InfeasibleError
from supplylab.optimize import (
    NetworkDesignProblem,
    NetworkOptions,
    SolverOptions,
    available_solvers,
    check_solution,
    read_instance,
    solve_network,
)

REL = 1e-6
ORLIB_ALL = [f"cap{k}" for k in (41, 42, 43, 44, 51, 61, 62, 63, 64, 71, 72, 73, 74, 81, 82, 83,
                                 84, 91, 92, 93, 94, 101, 102, 103, 104, 111, 112, 113, 114,
                                 121, 122, 123, 124, 131, 132, 133, 134)]


def _solve_and_audit(problem, options: NetworkOptions):
    ndp = NetworkDesignProblem.from_facility(problem)
    sol = solve_network(ndp, options)
    check_solution(ndp, options, sol)
    return sol


def _assert_optimum(value: float, published: str) -> None:
    # published values are rounded to 3 (capopt) or 2 (SS os file) decimals: allow that too
    target = float(published)
    assert value == pytest.approx(target, rel=REL, abs=0.006)


@pytest.mark.parametrize("name", ORLIB_ALL)
def test_orlib_multi_source_matrix_path(facility_dir: Path, optima, name: str) -> None:
    fp = read_instance(facility_dir / "orlib" / f"{name}.txt")
    sol = _solve_and_audit(fp, NetworkOptions(solver=SolverOptions(path="matrix")))
    assert sol.status == "optimal"
    _assert_optimum(sol.objective, optima[(name, "ms")])


@pytest.mark.parametrize(("name", "single"), [("cap64", False), ("cap131", False),
                                              ("cap64", True), ("cap124", True)])
def test_lazy_linking_proves_the_same_optima(facility_dir: Path, optima, name: str,
                                             single: bool) -> None:
    fp = read_instance(facility_dir / "orlib" / f"{name}.txt")
    sol = _solve_and_audit(fp, NetworkOptions(single_source=single, lazy_linking=True,
                                              solver=SolverOptions(path="matrix")))
    assert sol.status == "optimal"
    _assert_optimum(sol.objective, optima[(name, "ss" if single else "ms")])


@pytest.mark.parametrize("name", ["cap41", "cap71", "cap101", "cap131"])
def test_orlib_multi_source_pulp_highs(facility_dir: Path, optima, name: str) -> None:
    fp = read_instance(facility_dir / "orlib" / f"{name}.txt")
    sol = _solve_and_audit(fp, NetworkOptions())
    assert (sol.status, sol.path, sol.solver) == ("optimal", "pulp", "highs")
    assert sol.gap is not None and sol.gap <= 1e-6
    _assert_optimum(sol.objective, optima[(name, "ms")])


@pytest.mark.parametrize("name", ["cap61", "cap64", "cap94", "cap131", "cap134"])
def test_orlib_single_source(facility_dir: Path, optima, name: str) -> None:
    fp = read_instance(facility_dir / "orlib" / f"{name}.txt")
    sol = _solve_and_audit(fp, NetworkOptions(single_source=True,
                                              solver=SolverOptions(path="matrix")))
    assert (sol.assignments["n_sources"] == 1).all()
    _assert_optimum(sol.objective, optima[(name, "ss")])


@pytest.mark.parametrize("name", ["cap71", "cap101", "cap131", "cap41"])
def test_orlib_uncapacitated(facility_dir: Path, optima, name: str) -> None:
    fp = read_instance(facility_dir / "orlib" / f"{name}.txt", uncapacitated=True)
    assert fp.capacity is None
    sol = _solve_and_audit(fp, NetworkOptions(solver=SolverOptions(path="matrix")))
    _assert_optimum(sol.objective, optima[(name, "ufl")])


@pytest.mark.parametrize("name", ["cap41", "cap51", "cap111"])
def test_orlib_single_source_infeasible_names_capacity(facility_dir: Path, name: str) -> None:
    fp = read_instance(facility_dir / "orlib" / f"{name}.txt")
    with pytest.raises(InfeasibleError) as err:
        solve_network(fp, NetworkOptions(single_source=True))
    assert err.value.families[0] == "capacity"
    # one customer's demand 12912 exceeds every capacity (5000 or 10000)
    assert err.value.shortfall["capacity"] >= 12912 - (10000 if name == "cap51" else 5000) - 1e-6
    assert err.value.lp_file is not None and Path(err.value.lp_file).is_file()
    assert err.value.exit_code == 3


@pytest.mark.parametrize("k", [1, 2, 3, 4, 13, 41, 47])
def test_holmberg_single_source(facility_dir: Path, k: int) -> None:
    folder = facility_dir / "sscflp" / "holmberg"
    published = (folder / "optimal_values_os.txt").read_text().split()[k - 1]
    fp = read_instance(folder / f"p{k}", "holmberg")
    sol = _solve_and_audit(fp, NetworkOptions(single_source=True,
                                              solver=SolverOptions(path="matrix")))
    assert sol.status == "optimal"
    _assert_optimum(sol.objective, published)


@pytest.mark.parametrize("name", ["B1.1", "D1.1"])
def test_ufllib(facility_dir: Path, optima, name: str) -> None:
    sub = "BildeKrarup"
    fp = read_instance(facility_dir / "ufl_ufllib_subset" / sub / name, "ufllib")
    assert fp.capacity is None
    sol = _solve_and_audit(fp, NetworkOptions(solver=SolverOptions(path="matrix")))
    _assert_optimum(sol.objective, optima[(name, "ufl")])


def test_ufllib_m_format_reads_orlib_layout(facility_dir: Path) -> None:
    fp = read_instance(facility_dir / "ufl_ufllib_subset" / "M" / "MO1", "ufllib")
    assert (fp.m, fp.n) == (100, 100)
    # the allocation costs are for the whole demand, so the UFLP does not use the demands
    assert fp.capacity is None and fp.fixed[0] == pytest.approx(200.55)


@pytest.mark.skipif("cbc" not in available_solvers(), reason="CBC not available")
@pytest.mark.parametrize(("name", "kind", "single"), [("cap41", "ms", False),
                                                       ("cap61", "ss", True)])
def test_cbc_proves_the_same_optimum(facility_dir: Path, optima, name: str, kind: str,
                                     single: bool) -> None:
    fp = read_instance(facility_dir / "orlib" / f"{name}.txt")
    sol = _solve_and_audit(fp, NetworkOptions(single_source=single,
                                              solver=SolverOptions(solver="cbc")))
    assert (sol.status, sol.solver) == ("optimal", "cbc")
    _assert_optimum(sol.objective, optima[(name, kind)])


def test_capa_needs_capacity_parameter(facility_dir: Path) -> None:
    from supplylab.errors import InputError

    with pytest.raises(InputError, match="capacity"):
        read_instance(facility_dir / "orlib" / "capa.txt")
    fp = read_instance(facility_dir / "orlib" / "capa.txt", capacity=8000)
    assert (fp.m, fp.n) == (100, 1000) and (fp.capacity == 8000).all()


def test_benchmark_reads_only_the_files_it_solves(facility_dir: Path, monkeypatch,
                                                  capsys) -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "bench_network_design", Path(__file__).resolve().parents[2] / "bench" / "network_design.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # dataclasses look their module up
    spec.loader.exec_module(bench)
    read: list[str] = []

    def spy(path, *args, **kwargs):
        read.append(Path(path).name)
        return read_instance(path, *args, **kwargs)

    monkeypatch.setattr(bench, "read_instance", spy)
    assert len(bench.cases(False, {"holmberg", "orlib"})) > 100 and read == []
    assert bench.main(["--sets", "holmberg", "--only", "p47", "--no-pulp"]) == 0
    assert read == ["p47"]
    assert "published optimum reached: 1/1" in capsys.readouterr().out
