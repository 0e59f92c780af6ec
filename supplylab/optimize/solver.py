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
import sys
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
    """How to solve: solver, model path, relative MIP gap, time limit (s), threads, log.

    ``cutoff`` (matrix path, HiGHS only): only solutions cheaper than this objective value
    are wanted. HiGHS (``objective_bound``) stops as soon as its lower bound reaches it, so a
    restricted MIP that cannot beat a known incumbent ends early; HiGHS then still says
    "optimal" with whatever solution it holds, so the facade reports a solution at or above
    the cutoff as none: ``infeasible`` (nothing cheaper exists) after a completed search,
    ``not_solved`` after a limit. ``seed`` (matrix path): HiGHS's ``random_seed``; a restart
    with another seed takes another search path (None: HiGHS's default)."""

    solver: SolverName = "highs"
    path: PathName = "pulp"
    mip_rel_gap: float = 1e-6
    time_limit_s: float | None = None
    threads: int | None = None
    msg: bool = False
    cutoff: float | None = None
    seed: int | None = None

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


_BANNER_SILENCED = False


def silence_highs_banner() -> None:
    """Swallow the banner HiGHS prints to the C-level stdout when the first ``Highs()`` of a
    process is made (once per process; later instances print nothing unless asked).

    The banner is written by C code straight to file descriptor 1, so ``sys.stdout``
    redirection cannot catch it: fd 1 points at /dev/null while the first instance is built,
    and C's stdio buffer is flushed before fd 1 is restored. Without this, ``--json`` output
    would start with "Running HiGHS ...". Every path of the facade calls it first; other
    optimisers that make their own ``highspy.Highs()`` should call it too.
    """
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    _BANNER_SILENCED = True
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 (an embedded interpreter): nothing to protect
        highspy.Highs()
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            try:
                highspy.Highs()
            finally:
                _flush_c_stdout()
                os.dup2(saved, 1)
    finally:
        os.close(saved)


def _flush_c_stdout() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no C runtime to reach (e.g. Windows)
        pass


def available_solvers() -> list[str]:
    """Solvers usable here, as facade names ('highs', 'cbc')."""
    found = set(pulp.listSolvers(onlyAvailable=True))
    out = []
    if "HiGHS" in found:
        out.append("highs")
    if os.access(pulp_cbc_path, os.X_OK) or "COIN_CMD" in found:
        out.append("cbc")
    return out


def solve(model: LinearModel, options: SolverOptions | None = None,
          start: np.ndarray | None = None) -> SolveOutcome:
    """Solve ``model`` with the solver and path chosen in ``options`` (default HiGHS via PuLP).

    ``start`` (one value per column) is a feasible solution handed to HiGHS as its first
    incumbent (matrix path only; with lazy rows, when cheaper than the rounding start).
    """
    options = options or SolverOptions()
    silence_highs_banner()
    if options.solver not in available_solvers():
        raise InputError(f"solver {options.solver!r} is not available here "
                         f"(available: {available_solvers()})")
    if options.path == "matrix":
        return _solve_matrix(model, options, start)
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
    status, text, bound = _pulp_status(prob, options, model.is_mip(), model.offset)
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


def _pulp_status(prob: pulp.LpProblem, options: SolverOptions, mip: bool,
                 offset: float = 0.0) -> tuple[Status, str, float | None]:
    """Status, solver text and proven bound of a PuLP solve; the bound is in the model's terms
    (``offset`` included, whether or not PuLP handed the objective constant to HiGHS)."""
    bound: float | None = None
    text = pulp.LpStatus[prob.status]
    if options.solver == "highs" and getattr(prob, "solverModel", None) is not None:
        h = prob.solverModel
        hstatus = h.getModelStatus()
        text = h.modelStatusToString(hstatus)
        status = _highs_status(h, hstatus)
        bound = _highs_bound(h, mip, status)
        if bound is not None:
            bound += float(offset) - float(h.getLp().offset_)
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

def _new_highs(options: SolverOptions) -> highspy.Highs:
    silence_highs_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(options.msg))
    h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    if options.time_limit_s is not None:
        h.setOptionValue("time_limit", float(options.time_limit_s))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    if options.cutoff is not None:
        h.setOptionValue("objective_bound", float(options.cutoff))
    if options.seed is not None:
        h.setOptionValue("random_seed", int(options.seed))
    return h


def _inf(a: np.ndarray, sign: float) -> np.ndarray:
    return np.where(np.isinf(a), sign * highspy.kHighsInf, a)


def _pass(h: highspy.Highs, model: LinearModel, integ: np.ndarray) -> None:
    cost, lower, upper, _ = model.column_arrays()
    mat, rlo, rup = model.row_arrays(skip=model.lazy)
    h.passModel(model.ncols, mat.shape[0], int(mat.nnz), int(highspy.MatrixFormat.kRowwise),
                int(highspy.ObjSense.kMinimize), float(model.offset),
                cost, _inf(lower, -1), _inf(upper, 1), _inf(rlo, -1), _inf(rup, 1),
                mat.indptr.astype(np.int32), mat.indices.astype(np.int32),
                mat.data.astype(float), integ.astype(np.int32))


def _solve_matrix(model: LinearModel, options: SolverOptions,
                  start: np.ndarray | None = None) -> SolveOutcome:
    t0 = time.perf_counter()
    h = _new_highs(options)
    integ = model.column_arrays()[3]
    lazy = bool(model.lazy & set(model.families))
    _pass(h, model, np.zeros_like(integ) if lazy else integ)
    t1 = time.perf_counter()
    if lazy:
        _lazy_rows(h, model, integ, options, t1, given=start)
    else:
        if start is not None:
            h.setSolution(int(start.size), np.arange(start.size, dtype=np.int32),
                          np.asarray(start, dtype=float))
        h.run()
        if start is not None and _start_echoed(h, model):
            return _solve_matrix(model, options)
    t2 = time.perf_counter()
    hstatus = h.getModelStatus()
    status = _highs_status(h, hstatus)
    mip = model.is_mip()
    bound = _highs_bound(h, mip, status)
    x = obj = None
    lp_file = None
    text = h.modelStatusToString(hstatus)
    if status in ("optimal", "feasible"):
        x = np.asarray(h.getSolution().col_value, dtype=float)
        obj = float(h.getInfo().objective_function_value)
    if options.cutoff is not None and (obj is None or obj >= options.cutoff):
        status = "infeasible" if status in ("optimal", "infeasible") else "not_solved"
        return SolveOutcome(status, f"{text}: no solution cheaper than the cutoff", None,
                            bound, None, None, t1 - t0, t2 - t1, "highs", "matrix")
    if status not in ("optimal", "feasible"):
        lp_file = os.path.join(tempfile.mkdtemp(prefix="supplylab-"), f"{_safe(model.name)}.lp")
        h.writeModel(lp_file)
    return SolveOutcome(status, text, obj, bound, _gap(obj, bound), x,
                        t1 - t0, t2 - t1, "highs", "matrix", lp_file)


def _start_echoed(h: highspy.Highs, model: LinearModel) -> bool:
    """Whether HiGHS returned values whose cost is not the objective it reports.

    Seen with HiGHS 1.16 when presolve solves a MIP given a start: it reports the optimum's
    objective with the start's column values (a 4 x 5 assignment: 67 reported, the values
    cost 68). The caller then solves again without the start."""
    if _highs_status(h, h.getModelStatus()) not in ("optimal", "feasible"):
        return False
    obj = float(h.getInfo().objective_function_value)
    values = np.asarray(h.getSolution().col_value, dtype=float)
    cost = float(model.column_arrays()[0] @ values + model.offset)
    return abs(cost - obj) > 1e-6 * max(1.0, abs(obj))


def _lazy_rows(h: highspy.Highs, model: LinearModel, integ: np.ndarray,
               options: SolverOptions, t_start: float, tol: float = 1e-7,
               given: np.ndarray | None = None) -> None:
    """Cutting-plane loop: add violated rows of the lazy families, LP first, then the MIP.

    1. Solve the LP relaxation without the lazy rows; add those it violates; repeat until none
       is violated (the LP bound then equals the bound with every lazy row), or until 40% of
       the time limit is spent. 2. Restore integrality and solve the MIP with the rows found.
    Before 2, a rounding heuristic gives the MIP a start: integer columns fixed at their LP
    value rounded at thresholds 0.5, 0.25 and up, the LP re-solved for the others (for facility
    location: open the sites the LP mostly uses, then the cheapest flows); the cheapest feasible
    one is kept.
    3. Should the MIP's solution violate a lazy row not yet added (possible only when the other
       rows do not imply it for integer solutions), add it and solve again.
    """
    pool, plo, pup = model.row_arrays(only=model.lazy)
    added = np.zeros(pool.shape[0], dtype=bool)
    limit = options.time_limit_s

    def add_violated(x: np.ndarray) -> int:
        act = pool @ x
        viol = np.flatnonzero(((act > pup + tol) | (act < plo - tol)) & ~added)
        if viol.size:
            sub = pool[viol]
            h.addRows(int(viol.size), _inf(plo[viol], -1), _inf(pup[viol], 1), int(sub.nnz),
                      sub.indptr[:-1].astype(np.int32), sub.indices.astype(np.int32),
                      sub.data.astype(float))
            added[viol] = True
        return int(viol.size)

    while limit is None or time.perf_counter() - t_start < 0.4 * limit:
        h.run()
        lp_status = h.getModelStatus()
        if lp_status in (highspy.HighsModelStatus.kInfeasible,
                         highspy.HighsModelStatus.kUnbounded,
                         highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return
        if lp_status != highspy.HighsModelStatus.kOptimal:
            break
        if not add_violated(np.asarray(h.getSolution().col_value)):
            break
    if not integ.any():
        h.run()
        return
    start = _round_up_start(h, model, integ)
    if given is not None:  # a caller's feasible start (e.g. a heuristic's), if it is cheaper
        cost = model.column_arrays()[0]
        if start is None or float(cost @ given) <= float(cost @ start):
            start = np.asarray(given, dtype=float)
    h.changeColsIntegrality(int(integ.size), np.arange(integ.size, dtype=np.int32),
                            integ.astype(np.uint8))
    for _ in range(100):
        if limit is not None:
            h.setOptionValue("time_limit", max(1.0, limit - (time.perf_counter() - t_start)))
        if start is not None:
            h.setSolution(int(start.size), np.arange(start.size, dtype=np.int32), start)
            start = None
        h.run()
        if _highs_status(h, h.getModelStatus()) not in ("optimal", "feasible"):
            return
        if not add_violated(np.asarray(h.getSolution().col_value)):
            return


def _round_up_start(h: highspy.Highs, model: LinearModel,
                    integ: np.ndarray) -> np.ndarray | None:
    """Best feasible start from rounding the LP solution's integer columns, or None."""
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        h.run()  # rows were added after the last solve (the loop stopped on time): re-solve
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    x = np.asarray(h.getSolution().col_value)
    _, lower, upper, _ = model.column_arrays()
    cols = np.flatnonzero(integ).astype(np.int32)
    best: np.ndarray | None = None
    best_obj = np.inf
    for threshold in (0.5, 0.25, 1e-6):  # round to nearest, then more generously, then up
        fixed = np.clip(np.floor(x[cols] + 1.0 - threshold), lower[cols], upper[cols])
        h.changeColsBounds(int(cols.size), cols, fixed, fixed)
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            obj = h.getInfo().objective_function_value
            if obj < best_obj:
                best_obj = obj
                best = np.asarray(h.getSolution().col_value, dtype=float)
    h.changeColsBounds(int(cols.size), cols, _inf(lower[cols], -1), _inf(upper[cols], 1))
    if best is not None:
        best[cols] = np.round(best[cols])
    return best


class PersistentLP:
    """An LP kept inside HiGHS between solves: change column bounds, re-solve from the last
    basis (dual simplex warm start). For heuristics that cost many neighbouring networks."""

    def __init__(self, model: LinearModel, options: SolverOptions | None = None) -> None:
        self.h = _new_highs(options or SolverOptions())
        _pass(self.h, model, np.zeros(model.ncols, dtype=np.int32))
        self.lower = _inf(model.column_arrays()[1], -1)

    def set_upper(self, cols: np.ndarray, upper: np.ndarray) -> None:
        """New upper bounds of ``cols`` (lower bounds stay)."""
        cols = np.asarray(cols, dtype=np.int32)
        self.h.changeColsBounds(int(cols.size), cols, self.lower[cols],
                                _inf(np.asarray(upper, float), 1))

    def run(self) -> tuple[float | None, np.ndarray | None]:
        """(objective, column values), or (None, None) when not solved to optimality."""
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, None
        return (float(self.h.getInfo().objective_function_value),
                np.asarray(self.h.getSolution().col_value, dtype=float))


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
