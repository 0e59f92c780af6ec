"""Benchmark the network-design optimiser on the published facility-location instances.

For every instance: the method that answered, the value found against the published optimum,
the proven lower bound and gap, the model-build and solve times of the PuLP path (PuLP model +
HiGHS) and of the matrix path (one CSR matrix handed to highspy's ``passModel``), the matrix
path's wall-clock total (s; reading excluded; with ``auto`` it includes the plain-MIP probe),
and the ratio of the two paths' totals.

Usage::

    python bench/network_design.py [--quick] [--time-limit S] [--sets orlib,holmberg,...]

``--quick`` runs a representative subset (a few files per set, capa/b/c skipped). Not part of
the test suite. Needs ../shared/benchmarks/facility next to the repository.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supplylab.errors import InfeasibleError, OptimizationError  # noqa: E402
from supplylab.optimize import (  # noqa: E402
    FacilityProblem,
    NetworkOptions,
    SolverOptions,
    read_instance,
    solve_network,
)

FACILITY = ROOT.parent / "shared" / "benchmarks" / "facility"
SMALL_ORLIB = [f"cap{k}" for k in (41, 42, 43, 44, 51, 61, 62, 63, 64, 71, 72, 73, 74, 81, 82,
                                   83, 84, 91, 92, 93, 94, 101, 102, 103, 104, 111, 112, 113,
                                   114, 121, 122, 123, 124, 131, 132, 133, 134)]
UFL_SMALL = {f"cap{k}" for k in (71, 72, 73, 74, 101, 102, 103, 104, 131, 132, 133, 134)}
CAPABC = {"capa": (8000, 10000, 12000, 14000), "capb": (5000, 6000, 7000, 8000),
          "capc": (5000, 5750, 6500, 7250)}
CAPABC_MS = {("capa", 8000): 19240822.449, ("capa", 10000): 18438046.543,
             ("capa", 12000): 17765201.949, ("capa", 14000): 17160439.012,
             ("capb", 5000): 13656379.578, ("capb", 6000): 13361927.449,
             ("capb", 7000): 13198556.434, ("capb", 8000): 13082516.496,
             ("capc", 5000): 11646596.974, ("capc", 5750): 11570340.289,
             ("capc", 6500): 11518743.744, ("capc", 7250): 11505767.394}
CAPABC_UFL = {"capa": 17156454.478, "capb": 12979071.582, "capc": 11505594.329}


@dataclass
class Case:
    """One benchmark case; the instance file is read only when the case is run."""

    set: str
    name: str
    variant: str
    load: Callable[[], FacilityProblem]
    single_source: bool
    published: float | None

    @property
    def problem(self) -> FacilityProblem:
        return self.load()


def _uncapacitated(path: Path) -> FacilityProblem:
    return read_instance(path).uncapacitated()


def _optima() -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    with open(FACILITY / "optima.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            prob = row["problem"]
            kind = "ms" if "multi-source" in prob else "ss" if "single-source" in prob else "ufl"
            out[(row["instance"], kind)] = row["optimal_value"]
    return out


def _value(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def cases(quick: bool, sets: set[str]) -> list[Case]:
    opt = _optima()
    out: list[Case] = []
    orlib = FACILITY / "orlib"
    names = ["cap41", "cap64", "cap71", "cap94", "cap101", "cap124", "cap131"] if quick \
        else SMALL_ORLIB
    if "orlib" in sets:
        for nm in names:
            fp = partial(read_instance, orlib / f"{nm}.txt")
            out.append(Case("orlib", nm, "MS", fp, False, _value(opt.get((nm, "ms")))))
            out.append(Case("orlib", nm, "SS", fp, True, _value(opt.get((nm, "ss")))))
            if nm in UFL_SMALL:
                out.append(Case("orlib", nm, "UFLP", partial(_uncapacitated, orlib / f"{nm}.txt"),
                                False, _value(opt.get((nm, "ufl")))))
    if "capabc" in sets and not quick:
        for nm, caps in CAPABC.items():
            out.append(Case("capabc", nm, "UFLP",
                            partial(read_instance, orlib / f"{nm}.txt", uncapacitated=True),
                            False, CAPABC_UFL[nm]))
            for cap in caps:
                out.append(Case("capabc", f"{nm}@{cap}", "MS",
                                partial(read_instance, orlib / f"{nm}.txt", capacity=cap), False,
                                CAPABC_MS[(nm, cap)]))
    for set_name, folder, count in (("holmberg", "holmberg", 71), ("yang", "yang", 20)):
        if set_name not in sets:
            continue
        path = FACILITY / "sscflp" / folder
        values = (path / "optimal_values_os.txt").read_text().split()
        ks = {"holmberg": [1, 2, 13, 25, 41, 56], "yang": [1]}[set_name] if quick \
            else range(1, count + 1)
        for k in ks:
            out.append(Case(set_name, f"p{k}", "SS",
                            partial(read_instance, path / f"p{k}", "holmberg"),
                            True, float(values[k - 1])))
    if "ufllib" in sets:
        sub = FACILITY / "ufl_ufllib_subset"
        names = ["BildeKrarup/B1.1", "BildeKrarup/D1.1", "M/MO1"] if quick else \
            ["BildeKrarup/B1.1", "BildeKrarup/B1.2", "BildeKrarup/D1.1", "BildeKrarup/E10.1",
             "M/MO1", "M/MP1", "M/MQ5"]
        for nm in names:
            short = nm.split("/")[1]
            out.append(Case("ufllib", short, "UFLP", partial(read_instance, sub / nm, "ufllib"),
                            False, _value(opt.get((short, "ufl")))))
    return out


def run_one(case: Case, path: str, time_limit: float, gap: float,
            lazy: bool = False, problem: FacilityProblem | None = None,
            method: str = "auto") -> dict[str, object]:
    opts = NetworkOptions(single_source=case.single_source, lazy_linking=lazy,
                          method=method,  # type: ignore[arg-type]
                          solver=SolverOptions(path=path, time_limit_s=time_limit,  # type: ignore[arg-type]
                                               mip_rel_gap=gap))
    t0 = time.perf_counter()
    try:
        sol = solve_network(problem if problem is not None else case.problem, opts,
                            relax_and_report=False)
    except InfeasibleError:
        return {"status": "infeasible", "objective": None, "gap": None, "bound": None,
                "method": method, "model": 0.0, "build": 0.0, "solve": 0.0,
                "total": time.perf_counter() - t0}
    except OptimizationError as err:
        return {"status": err.status or "error", "objective": None, "gap": None, "bound": None,
                "method": method, "model": 0.0, "build": 0.0, "solve": 0.0,
                "total": time.perf_counter() - t0}
    # build = our vectorised model description + hand-over to the solver library
    return {"status": sol.status, "objective": sol.objective, "gap": sol.gap,
            "bound": sol.best_bound, "method": sol.method, "model": sol.model_time_s,
            "build": sol.model_time_s + sol.build_time_s,
            "solve": sol.solve_time_s,
            "total": time.perf_counter() - t0}


def _mark(ok: bool, status: object) -> str:
    if not ok:
        return "  <-- published optimum not reached"
    if status not in ("optimal", "infeasible"):
        return "  <-- reached, gap not closed"
    return ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a representative subset")
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per solve")
    ap.add_argument("--gap", type=float, default=1e-6, help="relative MIP gap")
    ap.add_argument("--sets", default="orlib,capabc,holmberg,yang,ufllib")
    ap.add_argument("--only", default="", help="comma-separated instance names, e.g. capa@8000")
    ap.add_argument("--no-pulp", action="store_true", help="matrix path only (large sets)")
    ap.add_argument("--method", choices=["auto", "mip", "lagrangian"], default="auto",
                    help="network-design method (auto: Lagrangian pipeline for large "
                    "capacitated cases, plain MIP otherwise)")
    ap.add_argument("--lazy", choices=["auto", "on", "off"], default="auto",
                    help="lazy x_ij <= y_i rows on the matrix path (auto: capa/b/c MS only)")
    args = ap.parse_args(argv)
    if not (FACILITY / "optima.csv").is_file():
        print(f"benchmark data not found at {FACILITY}", file=sys.stderr)
        return 2
    sets = set(args.sets.split(","))
    head = (f"{'set':9} {'instance':14} {'var':4} {'method':10} {'status':10} {'objective':>16} "
            f"{'published':>16} {'lower bound':>16} {'rel.err':>9} {'gap':>8} "
            f"{'pulp build':>10} {'pulp solve':>10} "
            f"{'mat build':>9} {'mat solve':>9} {'mat wall':>8} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    n_ok = n_total = n_proven = 0
    sum_pulp = sum_mat = 0.0
    only = set(filter(None, args.only.split(",")))
    for case in cases(args.quick, sets):
        if only and case.name not in only:
            continue
        lazy = args.lazy == "on" or (args.lazy == "auto" and case.set == "capabc"
                                     and case.variant == "MS")
        problem = case.load()  # read here, after --only: only the files solved are parsed
        mat = run_one(case, "matrix", args.time_limit, args.gap, lazy, problem, args.method)
        pul = None if args.no_pulp else run_one(case, "pulp", args.time_limit, args.gap,
                                                problem=problem, method=args.method)
        obj = mat["objective"]
        pub = case.published
        if pub is None:
            ok = mat["status"] == "infeasible"
            err = ""
        else:
            ok = obj is not None and abs(obj - pub) <= max(1e-6 * abs(pub), 0.006)
            err = f"{(obj - pub) / pub:9.1e}" if obj is not None else ""
        n_total += 1
        n_ok += ok
        n_proven += ok and mat["status"] in ("optimal", "infeasible")
        ratio = ""
        pb = ps = ""
        if pul is not None:
            sum_pulp += float(pul["total"])
            sum_mat += float(mat["total"])
            ratio = f"{float(pul['total']) / max(float(mat['total']), 1e-9):6.2f}"
            pb, ps = f"{pul['build']:10.3f}", f"{float(pul['solve']):10.3f}"
        gap = f"{mat['gap']:8.1e}" if mat["gap"] is not None else ""
        bound = mat["bound"]
        print(f"{case.set:9} {case.name:14} {case.variant:4} {str(mat['method']):10} "
              f"{str(mat['status']):10} "
              f"{obj if obj is not None else float('nan'):16.4f} "
              f"{pub if pub is not None else float('nan'):16.4f} "
              f"{bound if bound is not None else float('nan'):16.4f} {err:>9} {gap:>8} "
              f"{pb:>10} {ps:>10} {mat['build']:9.3f} {float(mat['solve']):9.3f} "
              f"{float(mat['total']):8.2f} {ratio:>6}"
              f"{_mark(ok, mat['status'])}", flush=True)
    print("-" * len(head))
    print(f"published optimum reached: {n_ok}/{n_total} (proven optimal: {n_proven})")
    if sum_mat:
        print(f"total wall time: PuLP path {sum_pulp:.2f} s, matrix path {sum_mat:.2f} s, "
              f"ratio {sum_pulp / sum_mat:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
