"""Method choice and the Lagrangian pipeline for the hard facility-location instances.

``NetworkOptions.method``: ``mip`` (the formulation handed to the solver as it is),
``lagrangian`` (below) or ``auto`` (for capacitated problems of at least
:data:`AUTO_MIN_ARCS` arcs that the pipeline applies to: the plain MIP for
:data:`AUTO_PROBE_S` seconds, then the pipeline if that did not prove the optimum, the probe
skipped where it never proves (:func:`probe_hopeless`); the plain MIP otherwise). The result's ``method`` says which answered.

The pipeline: (1) subgradient optimisation of the Lagrangian bound (demand rows relaxed,
:mod:`~supplylab.optimize.lagrangian`), costing every new open-site vector it meets
(Lagrangian rounding, :mod:`~supplylab.optimize.heuristics`); (2) site local search from the
best one; (3) reduced-cost fixing of sites (:mod:`~supplylab.optimize.fixing`), then a short
second subgradient pass on the fixed problem and fixing again; single-source: (3b) MIP
neighbourhoods around the incumbent (:mod:`~supplylab.optimize.neighbourhood`: exact
assignments of the best site sets, cluster MIPs, site-set swaps screened by the
Lagrangian bound (:mod:`~supplylab.optimize.site_moves`), then local branching) and fixing again against the better incumbent; (4) the strong MIP with
the fixed sites, the window of open-site counts that can beat the incumbent, the valid rows of
:mod:`~supplylab.optimize.cuts` and the incumbent as a start,
handed to HiGHS for the rest of the time (linking rows added lazily when the free sites
have at least :data:`LAZY_MIN_ARCS` arcs). The lower bound reported is
``max(L*, min(bound of the reduced MIP, incumbent at fixing))`` (a site fixed away can only
hold solutions costing more than that incumbent), so ``gap`` and ``proven`` are exact.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from supplylab.errors import InputError
from supplylab.optimize.branching import branch_and_bound
from supplylab.optimize.fixing import count_window, fix_arcs, fix_sites
from supplylab.optimize.formulation import BuildContext, build_model
from supplylab.optimize.heuristics import Incumbent, local_search
from supplylab.optimize.lagrangian import FacilityData, SubgradientResult, subgradient
from supplylab.optimize.linear import LinearModel
from supplylab.optimize.neighbourhood import neighbourhood_search, reduced_model, start_vector
from supplylab.optimize.problem import NetworkDesignProblem, NetworkOptions, site_mask
from supplylab.optimize.solver import SolveOutcome, solve

if TYPE_CHECKING:
    from supplylab.optimize.network import NetworkSolution

MethodName = Literal["auto", "mip", "lagrangian"]

#: ``auto`` uses the Lagrangian pipeline from this many site-customer arcs (m * n) up
AUTO_MIN_ARCS = 4000
#: ``auto`` first gives the plain MIP this long (s; at most AUTO_PROBE_SHARE of a time limit):
#: what it proves in that time keeps its answer, so easy instances pay nothing extra
AUTO_PROBE_S = 5.0
AUTO_PROBE_SHARE = 0.1
#: ``auto`` skips the probe (it never proves these in its time, measured) on single-source
#: problems whose total capacity is below this multiple of the total demand (Holmberg p56-p59
#: at 1.97, Yang p1-p5 at 1.7-2.0; every Holmberg instance the probe proves has 2.9 or more)
#: and on problems of at least PROBE_MAX_ARCS arcs (capa/b/c, 100 x 1,000), or
#: PROBE_MAX_ARCS_SINGLE when single-source (Yang p6-p20, 60 x 200 to 80 x 400, slack 2.9-7.3:
#: never proven by the probe, measured; the largest Holmberg instance has 6,000 arcs)
PROBE_MIN_SLACK = 2.5
PROBE_MAX_ARCS = 50_000
PROBE_MAX_ARCS_SINGLE = 10_000
#: the reduced MIP adds its x_ij <= y_i rows lazily from this many arcs of free sites
LAZY_MIN_ARCS = 20_000
#: single-source: the subgradient first runs on the split-flow relaxation (continuous knapsacks,
#: ~20x cheaper per step than the 0-1 ones) for this share of the Lagrangian budget, a valid
#: bound too, then goes on from its multipliers with the 0-1 knapsacks at step factor WARM_MU0
#: (Holmberg p58: bound 37015 against 35696 without it, optimum 37239)
WARM_SHARE = 0.4
WARM_MU0 = 0.5
#: the branch-and-bound stops this long (s) before the time limit, for the answer's assembly
BRANCH_MARGIN_S = 0.5
#: share of the time limit for the first subgradient pass, and its cap without a limit (s)
LAGRANGIAN_SHARE = 0.35
LAGRANGIAN_DEFAULT_S = 40.0
#: single-source: the share above is scaled by this (the 0-1 knapsacks are slower and the
#: reduced MIP gains more from the time)
SINGLE_SOURCE_FACTOR = 0.4
#: single-source: share of the time limit for the MIP neighbourhood search
#: (:mod:`~supplylab.optimize.neighbourhood`), and its cap without a limit (s)
SEARCH_SHARE = 0.5
SEARCH_DEFAULT_S = 20.0


def lagrangian_obstacle(problem: NetworkDesignProblem, options: NetworkOptions,
                        no_goods: Sequence[np.ndarray] = ()) -> str | None:
    """Why the Lagrangian pipeline does not apply to this study (None when it does)."""
    if problem.levels:
        return "capacity levels (several sizes per site)"
    if problem.staged or problem.arc_capacity is not None or problem.sqrt_costs:
        return "upper echelons, periods, lane capacities or inventory costs"
    reasons = [("service-share rules", bool(options.service_share)),
               ("a CO2 cap", options.co2_cap is not None),
               ("soft capacity (capacity_penalty)", options.capacity_penalty is not None),
               ("min_open/max_open", options.min_open is not None
                or options.max_open is not None),
               ("no-good cuts (N best)", bool(no_goods)),
               ("a user hook", options.hook is not None),
               ("the CBC solver", options.solver.solver != "highs")]
    for what, present in reasons:
        if present:
            return what
    return None


def choose_method(problem: NetworkDesignProblem, options: NetworkOptions,
                  no_goods: Sequence[np.ndarray] = ()) -> Literal["mip", "lagrangian"]:
    """The method ``options.method`` asks for, resolving ``auto`` by applicability and size."""
    method = options.method
    if method == "mip":
        return "mip"
    obstacle = lagrangian_obstacle(problem, options, no_goods)
    if method == "lagrangian":
        if obstacle is not None:
            raise InputError(f"method 'lagrangian' does not support {obstacle}: "
                             f"use method 'mip' or 'auto'", file=problem.name)
        return "lagrangian"
    capacitated = problem.capacity is not None and bool(np.isfinite(problem.capacity).all())
    if obstacle is None and capacitated and problem.m * problem.n >= AUTO_MIN_ARCS:
        return "lagrangian"
    return "mip"


def facility_data(model: LinearModel, ctx: BuildContext) -> FacilityData:
    """The plain CFLP of a built model: arc costs and bounds as the builders set them."""
    problem, options = ctx.problem, ctx.options
    blk = model.blocks["assign"]
    cost = blk.cost.reshape(problem.m, problem.n).copy()
    cost[blk.upper.reshape(problem.m, problem.n) <= 0.0] = np.inf
    upper = np.zeros(problem.m, dtype=bool)
    upper[ctx.level_site] = model.blocks["open"].upper > 0.5
    lower = site_mask(problem, options.forced_open)
    if options.existing_policy == "keep" and problem.existing is not None:
        lower |= problem.existing.astype(bool)
    fixed = np.zeros(problem.m)
    cap = np.full(problem.m, np.inf)
    fixed[ctx.level_site] = ctx.level_fixed
    cap[ctx.level_site] = ctx.level_capacity
    return FacilityData(fixed, cap, problem.demand.astype(float), cost, lower & upper, upper,
                        options.single_source)


def _search_time(limit: float | None) -> float:
    """Seconds for the single-source neighbourhood search (see SEARCH_SHARE)."""
    return SEARCH_DEFAULT_S if limit is None else SEARCH_SHARE * limit


def _remaining(limit: float | None, t0: float) -> float | None:
    return None if limit is None else max(1.0, limit - (time.perf_counter() - t0))


def probe_hopeless(problem: NetworkDesignProblem, options: NetworkOptions) -> bool:
    """Whether ``auto``'s plain-MIP probe is skipped (see PROBE_MIN_SLACK): too large, or
    single-source with tight capacity."""
    arcs = problem.m * problem.n
    if arcs >= PROBE_MAX_ARCS or (options.single_source and arcs >= PROBE_MAX_ARCS_SINGLE):
        return True
    slack = float(np.sum(problem.capacity)) / max(float(np.sum(problem.demand)), 1e-12)
    return options.single_source and slack < PROBE_MIN_SLACK


def solve_auto(problem: NetworkDesignProblem, options: NetworkOptions) -> NetworkSolution | None:
    """``auto`` on a large capacitated problem: a short plain-MIP probe (unless
    :func:`probe_hopeless`), then the pipeline.

    None when neither gives an answer (the caller then runs the plain MIP, which also
    diagnoses infeasibility)."""
    from supplylab.optimize.network import extract

    if probe_hopeless(problem, options):
        return solve_lagrangian(problem, options)
    t0 = time.perf_counter()
    limit = options.solver.time_limit_s
    probe = AUTO_PROBE_S if limit is None else min(AUTO_PROBE_S, AUTO_PROBE_SHARE * limit)
    opts = replace(options, method="mip",
                   solver=replace(options.solver, path="matrix", time_limit_s=probe))
    model, ctx = build_model(problem, opts)
    t1 = time.perf_counter()
    out = solve(model, opts.solver)
    if out.status in ("optimal", "infeasible", "unbounded"):
        return extract(model, ctx, out, t1 - t0) if out.status == "optimal" else None
    rest = None if limit is None else max(1.0, limit - (time.perf_counter() - t0))
    return solve_lagrangian(problem, replace(options,
                                             solver=replace(options.solver, time_limit_s=rest)))


def solve_lagrangian(problem: NetworkDesignProblem, options: NetworkOptions
                     ) -> NetworkSolution | None:
    """Run the pipeline; None when neither the heuristics nor the reduced MIP find a feasible
    solution (the caller then solves the plain MIP, which diagnoses the infeasibility).

    Without an incumbent nothing is fixed and the reduced MIP starts without a start."""
    from supplylab.optimize.network import extract

    t0 = time.perf_counter()
    sopts = options.solver
    gap = sopts.mip_rel_gap
    limit = sopts.time_limit_s
    model, ctx = build_model(problem, options)
    data = facility_data(model, ctx)
    budget = LAGRANGIAN_DEFAULT_S if limit is None else LAGRANGIAN_SHARE * limit
    if options.single_source:  # HiGHS's own search does better on the rest (measured)
        budget *= SINGLE_SOURCE_FACTOR
    inc = Incumbent(data)
    warm = None
    if data.single_source:  # warm start from the split-flow relaxation (see WARM_SHARE)
        warm = subgradient(replace(data, single_source=False), lambda: inc.value,
                           lambda p: inc.offer(p.y), time_limit_s=WARM_SHARE * budget,
                           rel_gap=gap)
    first = subgradient(data, lambda: inc.value, lambda p: inc.offer(p.y, hint=p.x),
                        lam0=None if warm is None else warm.best.lam,
                        mu0=2.0 if warm is None else WARM_MU0,
                        time_limit_s=0.4 * budget, rel_gap=gap)
    local_search(inc, first.best, time_limit_s=max(2.0, 0.35 * budget))
    lower_bound = first.best.bound if warm is None else max(first.best.bound, warm.best.bound)
    iterations = first.iterations + (0 if warm is None else warm.iterations)
    lo, up = fix_sites(data, first.best, inc.value)
    if not data.single_source and inc.y is not None:
        return _branch(model, ctx, data, inc, first, (lo, up), gap, limit, t0)
    fixed, point = data, first.best
    if (up & ~lo).any() and inc.value - lower_bound > gap * abs(inc.value):
        fixed = data.with_bounds(lo, up)
        second = subgradient(fixed, lambda: inc.value, lambda p: inc.offer(p.y, hint=p.x),
                             lam0=first.best.lam, time_limit_s=0.25 * budget, rel_gap=gap)
        iterations += second.iterations
        point = second.best
        local_search(inc, point, time_limit_s=max(1.0, 0.1 * budget))
        lo, up = fix_sites(fixed, point, inc.value)
        # the fixed problem's bound holds for the whole problem up to the incumbent
        lower_bound = max(lower_bound, min(second.best.bound, inc.value))
    arcs = fix_arcs(fixed.with_bounds(lo, up), point, inc.value)
    window = count_window(fixed.with_bounds(lo, up), point, inc.value)
    lag_s = time.perf_counter() - t0
    search: dict[str, float] = {}
    if inc.y is not None and inc.value - lower_bound > gap * max(abs(inc.value), 1e-9):
        # single-source: MIP neighbourhoods around the incumbent, then fix again against it
        search = neighbourhood_search(problem, options, inc, point, lo, up, arcs, window,
                                      _search_time(limit))
        lo, up = fix_sites(fixed.with_bounds(lo, up), point, inc.value)
        arcs = fix_arcs(fixed.with_bounds(lo, up), point, inc.value)
        window = count_window(fixed.with_bounds(lo, up), point, inc.value)
    ub_at_fixing = inc.value
    stats = {"lagrangian_bound": first.best.bound, "iterations": iterations,
             "heuristic_evaluations": inc.evaluated,
             "fixed_open": int((lo & ~data.open_lower).sum()),
             "fixed_closed": int((~up & data.open_upper).sum()),
             "free_sites": int((up & ~lo).sum()),
             "arcs_removed": int((np.isfinite(data.cost) & ~arcs)[up].sum()),
             "open_count_min": window[0], "open_count_max": window[1],
             "lagrangian_s": lag_s, **search}
    if inc.y is not None and inc.value - lower_bound <= gap * max(abs(inc.value), 1e-9):
        out = _outcome(model, ctx, inc, lower_bound, gap, lag_s)
        return _finish(extract(model, ctx, out, 0.0), stats)
    lazy = int((up & ~lo).sum()) * problem.n >= LAZY_MIN_ARCS
    reduced, rctx, opts = reduced_model(problem, options, lo, up, arcs, window, lazy=lazy,
                                        time_limit_s=_remaining(limit, t0))
    start = None if inc.y is None else start_vector(reduced, rctx, inc)
    out = solve(reduced, opts.solver, start=start)
    stats["mip_s"] = out.solve_time_s
    if inc.y is None and not out.has_solution:
        return None
    if not out.has_solution or out.objective is None or out.objective > inc.value:
        bound = lower_bound if out.best_bound is None else max(
            lower_bound, min(out.best_bound, ub_at_fixing))
        res = _outcome(reduced, rctx, inc, bound, gap, time.perf_counter() - t0)
        return _finish(extract(reduced, rctx, res, 0.0), stats)
    mip_bound = out.best_bound if out.best_bound is not None else -math.inf
    if out.status == "optimal":
        mip_bound = max(mip_bound, out.objective * (1 - gap))
    bound = max(lower_bound, min(mip_bound, ub_at_fixing))
    rel = max(0.0, (out.objective - bound) / max(abs(out.objective), 1e-9))
    status = "optimal" if rel <= gap else "feasible"
    final = SolveOutcome(status, f"lagrangian + reduced MIP ({out.status_text})", out.objective,
                         bound, rel, out.x, out.build_time_s, time.perf_counter() - t0,
                         out.solver, "lagrangian")
    return _finish(extract(reduced, rctx, final, 0.0), stats)


def _branch(model: LinearModel, ctx: BuildContext, data: FacilityData, inc: Incumbent,
            first: SubgradientResult, bounds: tuple[np.ndarray, np.ndarray], gap: float,
            limit: float | None, t0: float) -> NetworkSolution:
    """Multi-source: the Lagrangian branch-and-bound on the sites left free by fixing, for the
    rest of the time. Its bound covers the fixed problem; what fixing removed costs more than
    the incumbent then, so ``max(L*, min(search bound, incumbent at fixing))`` is exact."""
    from supplylab.optimize.network import extract

    lo, up = bounds
    ub_at_fixing = inc.value
    lag_s = time.perf_counter() - t0
    lower_bound = first.best.bound
    stats: dict[str, float] = {
        "lagrangian_bound": lower_bound, "iterations": first.iterations,
        "fixed_open": int((lo & ~data.open_lower).sum()),
        "fixed_closed": int((~up & data.open_upper).sum()),
        "free_sites": int((up & ~lo).sum()), "lagrangian_s": lag_s}
    if inc.y is not None and inc.value - lower_bound > gap * max(abs(inc.value), 1e-9):
        rest = None if limit is None else max(0.5, limit - lag_s - BRANCH_MARGIN_S)
        res = branch_and_bound(data.with_bounds(lo, up), inc, first.best, time_limit_s=rest,
                               rel_gap=gap)
        lower_bound = max(lower_bound, min(res.bound, ub_at_fixing))
        stats.update(branch_nodes=res.nodes, branch_open_nodes=res.open_nodes,
                     branch_complete=int(res.complete), iterations=first.iterations
                     + res.iterations, branch_s=res.seconds)
    stats["heuristic_evaluations"] = inc.evaluated
    out = _outcome(model, ctx, inc, lower_bound, gap, time.perf_counter() - t0)
    out = replace(out, status_text="lagrangian branch-and-bound")
    return _finish(extract(model, ctx, out, 0.0), stats)


def _outcome(model: LinearModel, ctx: BuildContext, inc: Incumbent, bound: float, gap: float,
             seconds: float) -> SolveOutcome:
    """The heuristic's solution as a solve outcome (optimal when the bound is within gap)."""
    x = start_vector(model, ctx, inc)
    obj = float(model.column_arrays()[0] @ x + model.offset)
    bound = min(bound, obj)  # the bound may meet the incumbent, whose sum is recomputed here
    rel = max(0.0, (obj - bound) / max(abs(obj), 1e-9))
    status: Literal["optimal", "feasible"] = "optimal" if rel <= gap else "feasible"
    return SolveOutcome(status, "lagrangian bound and heuristic", obj, bound, rel, x, 0.0,
                        seconds, "highs", "lagrangian")


def _finish(sol: NetworkSolution, stats: dict[str, float]) -> NetworkSolution:
    sol.method = "lagrangian"
    sol.method_stats = stats
    return sol
