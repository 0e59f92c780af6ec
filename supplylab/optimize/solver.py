"""Solver facade: the one module of supplylab that imports pulp (and, for the fast path, highspy).

Two ways to solve the same :class:`~supplylab.optimize.linear.LinearModel`:

* ``path="pulp"`` builds a PuLP model with PuLP 3.3's non-deprecated API and solves it with
  HiGHS (default, through highspy) or CBC (bundled with PuLP, through ``COIN_CMD``);
* ``path="matrix"`` passes the model to ``highspy.Highs.passModel`` as one CSR matrix (HiGHS
  only). On 1 M variables this is ~100x faster to hand over than PuLP (see
  /work/shared/spec/optimisation.md).

Statuses are read from the solver's own model status and PuLP's ``sol_status`` (never only
``LpStatus``, which says "Optimal" after a time limit) and returned as a typed
:class:`SolveOutcome`. When a solve ends without a usable solution the model is written to an
``.lp`` file in a temporary directory and its path is stored in ``SolveOutcome.lp_file``.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import pulp
from pulp.apis.coin_api import COIN_CMD, pulp_cbc_path

from supplylab.errors import InputError
from supplylab.optimize.linear import LinearModel

Status = Literal["optimal", "feasible", "infeasible", "unbounded", "not_solved"]
SolverName = Literal["highs", "cbc"]
PathName = Literal["pulp", "matrix"]


@dataclass(frozen=True)
class SolverOptions:
    """How to solve: solver, model path, relative MIP gap, time limit (s), threads, log."""

    solver: SolverName = "highs"
    path: PathName = "pulp"
    mip_rel_gap: float = 1e-6
    time_limit_s: float | None = None
    threads: int | None = None
    msg: bool = False

    def __post_init__(self) -> None:
        if self.solver not in ("highs", "cbc"):
            raise InputError(f"unknown solver {self.solver!r}: use 'highs' or 'cbc'")
        if self.path not in ("pulp", "matrix"):
            raise InputError(f"unknown model path {self.path!r}: use 'pulp' or 'matrix'")
        if self.path == "matrix" and self.solver != "highs":
            raise InputError("the matrix path hands the model to HiGHS only; use solver='highs'")
        if not (0.0 <= self.mip_rel_gap < 1.0):
            raise InputError(f"mip_rel_gap must be in [0, 1), got {self.mip_rel_gap}")
        if self.time_limit_s is not None and self.time_limit_s <= 0:
            raise InputError(f"time limit must be positive seconds, got {self.time_limit_s}")


@dataclass(frozen=True)
class SolveOutcome:
    """Typed result of one solve.

    ``status``: optimal (within ``mip_rel_gap``), feasible (a limit was hit with an incumbent;
    see ``gap``), infeasible, unbounded or not_solved (no solution, e.g. time limit without an
    incumbent). ``objective`` includes the model offset; ``best_bound`` is the proven lower
    bound (None when the solver does not report it, e.g. CBC); ``gap`` is
    ``(objective - best_bound) / max(|objective|, 1e-9)``. Times are wall-clock seconds:
    ``build_time_s`` is the hand-over to the solver library, ``solve_time_s`` the solve.
    """

    status: Status
    status_text: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    x: np.ndarray | None
    build_time_s: float
    solve_time_s: float
    solver: str
    path: str
    lp_file: str | None = None

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible") and self.x is not None


def available_solvers() -> list[str]:
    """Solvers usable here, as facade names ('highs', 'cbc')."""
    found = set(pulp.listSolvers(onlyAvailable=True))
    out = []
    if "HiGHS" in found:
        out.append("highs")
    if os.access(pulp_cbc_path, os.X_OK) or "COIN_CMD" in found:
        out.append("cbc")
    return out


def solve(model: LinearModel, options: SolverOptions | None = None) -> SolveOutcome:
    """Solve ``model`` with the solver and path chosen in ``options`` (default HiGHS via PuLP)."""
    options = options or SolverOptions()
    if options.solver not in available_solvers():
        raise InputError(f"solver {options.solver!r} is not available here "
                         f"(available: {available_solvers()})")
    if options.path == "matrix":
        return _solve_matrix(model, options)
    return _solve_pulp(model, options)


# ---------------------------------------------------------------- PuLP path

def build_pulp(model: LinearModel) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """Build the PuLP problem (variables, objective, one ``LpConstraint`` per row)."""
    prob = pulp.LpProblem(_safe(model.name), pulp.LpMinimize)
    names = model.column_names()
    cost, lower, upper, integ = model.column_arrays()
    xs: list[pulp.LpVariable] = []
    for k, name in enumerate(names):
        lo = None if math.isinf(lower[k]) else float(lower[k])
        up = None if math.isinf(upper[k]) else float(upper[k])
        cat = pulp.LpContinuous
        if integ[k]:
            cat = pulp.LpBinary if lo == 0.0 and up == 1.0 else pulp.LpInteger
        xs.append(prob.add_variable(name, lo, up, cat))
    nz = np.flatnonzero(cost)
    prob.setObjective(pulp.LpAffineExpression([(xs[k], float(cost[k])) for k in nz],
                                              constant=float(model.offset)))
    mat, rlo, rup = model.row_arrays()
    indptr, indices, data = mat.indptr, mat.indices.tolist(), mat.data.tolist()
    rnames = [_safe(name) for name in model.row_names()] if not model.names_safe() \
        else model.row_names()
    for r in range(mat.shape[0]):
        a, b = indptr[r], indptr[r + 1]
        terms = list(zip([xs[c] for c in indices[a:b]], data[a:b], strict=True))
        lo, up = rlo[r], rup[r]
        if lo == up:
            senses = [(pulp.LpConstraintEQ, lo, "")]
        else:
            senses = []
            if not math.isinf(lo):
                senses.append((pulp.LpConstraintGE, lo, "" if math.isinf(up) else "_lo"))
            if not math.isinf(up):
                senses.append((pulp.LpConstraintLE, up, "" if math.isinf(lo) else "_up"))
        for sense, rhs, suffix in senses:
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), sense,
                                                 rnames[r] + suffix, float(rhs)))
    return prob, xs


def _pulp_solver(options: SolverOptions) -> pulp.LpSolver:
    if options.solver == "cbc":
        return COIN_CMD(path=pulp_cbc_path, msg=options.msg, gapRel=options.mip_rel_gap,
                        timeLimit=options.time_limit_s, threads=options.threads)
    kwargs = {}
    if options.time_limit_s is not None:
        kwargs["timeLimit"] = options.time_limit_s
    if options.threads is not None:
        kwargs["threads"] = options.threads
    return pulp.HiGHS(msg=options.msg, gapRel=options.mip_rel_gap, **kwargs)


def _solve_pulp(model: LinearModel, options: SolverOptions) -> SolveOutcome:
    t0 = time.perf_counter()
    prob, xs = build_pulp(model)
    t1 = time.perf_counter()
    prob.solve(_pulp_solver(options))
    t2 = time.perf_counter()
    status, text, bound = _pulp_status(prob, options, model.is_mip())
    x = None
    obj = None
    if status in ("optimal", "feasible"):
        x = np.array([v.varValue if v.varValue is not None else 0.0 for v in xs], dtype=float)
        obj = float(model.column_arrays()[0] @ x + model.offset)
    lp_file = None
    if status not in ("optimal", "feasible"):
        lp_file = _write_lp_pulp(prob, model.name)
    if status == "optimal" and bound is None:
        bound = obj if not model.is_mip() else None
    return SolveOutcome(status, text, obj, bound, _gap(obj, bound), x, t1 - t0, t2 - t1,
                        options.solver, "pulp", lp_file)


def _pulp_status(prob: pulp.LpProblem, options: SolverOptions,
                 mip: bool) -> tuple[Status, str, float | None]:
    bound: float | None = None
    text = pulp.LpStatus[prob.status]
    if options.solver == "highs" and getattr(prob, "solverModel", None) is not None:
        h = prob.solverModel
        hstatus = h.getModelStatus()
        text = h.modelStatusToString(hstatus)
        status = _highs_status(h, hstatus)
        bound = _highs_bound(h, mip, status)
        return status, text, bound
    sol = prob.sol_status
    if sol == pulp.LpSolutionOptimal:
        return "optimal", text, None
    if sol == pulp.LpSolutionIntegerFeasible:
        return "feasible", text + " (limit reached with an incumbent)", None
    if sol == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
        return "infeasible", text, None
    if sol == pulp.LpSolutionUnbounded or prob.status == pulp.LpStatusUnbounded:
        return "unbounded", text, None
    return "not_solved", text, None


def _write_lp_pulp(prob: pulp.LpProblem, name: str) -> str:
    path = os.path.join(tempfile.mkdtemp(prefix="supplylab-"), f"{_safe(name)}.lp")
    prob.writeLP(path)
    return path


# ---------------------------------------------------------------- matrix path

def _solve_matrix(model: LinearModel, options: SolverOptions) -> SolveOutcome:
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(options.msg))
    h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    if options.time_limit_s is not None:
        h.setOptionValue("time_limit", float(options.time_limit_s))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    cost, lower, upper, integ = model.column_arrays()
    mat, rlo, rup = model.row_arrays()
    inf = highspy.kHighsInf
    h.passModel(model.ncols, model.nrows, int(mat.nnz), int(highspy.MatrixFormat.kRowwise),
                int(highspy.ObjSense.kMinimize), float(model.offset),
                cost, np.where(np.isinf(lower), -inf, lower), np.where(np.isinf(upper), inf, upper),
                np.where(np.isinf(rlo), -inf, rlo), np.where(np.isinf(rup), inf, rup),
                mat.indptr.astype(np.int32), mat.indices.astype(np.int32),
                mat.data.astype(float), integ.astype(np.int32))
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    hstatus = h.getModelStatus()
    status = _highs_status(h, hstatus)
    mip = model.is_mip()
    bound = _highs_bound(h, mip, status)
    x = obj = None
    lp_file = None
    if status in ("optimal", "feasible"):
        x = np.asarray(h.getSolution().col_value, dtype=float)
        obj = float(h.getInfo().objective_function_value)
    else:
        lp_file = os.path.join(tempfile.mkdtemp(prefix="supplylab-"), f"{_safe(model.name)}.lp")
        h.writeModel(lp_file)
    return SolveOutcome(status, h.modelStatusToString(hstatus), obj, bound, _gap(obj, bound), x,
                        t1 - t0, t2 - t1, "highs", "matrix", lp_file)


# ---------------------------------------------------------------- shared helpers

def _highs_status(h: highspy.Highs, hstatus: highspy.HighsModelStatus) -> Status:
    ms = highspy.HighsModelStatus
    if hstatus == ms.kOptimal:
        return "optimal"
    if hstatus in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return "infeasible"
    if hstatus == ms.kUnbounded:
        return "unbounded"
    info = h.getInfo()
    if info.primal_solution_status == 2 and math.isfinite(info.objective_function_value):
        return "feasible"
    return "not_solved"


def _highs_bound(h: highspy.Highs, mip: bool, status: Status) -> float | None:
    info = h.getInfo()
    if mip:
        b = info.mip_dual_bound
        return float(b) if math.isfinite(b) else None
    return float(info.objective_function_value) if status == "optimal" else None


def _gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None:
        return None
    return max(0.0, (obj - bound) / max(abs(obj), 1e-9))


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_." else "_" for ch in name)
