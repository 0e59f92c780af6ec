"""MIP neighbourhood search for single-source facility location.

The greedy assignment with shift, swap and ejection-chain moves
(:mod:`~supplylab.optimize.assignment`) leaves 0.3-0.6% on the Yang instances, whose sites are
filled to within a few units (Yang p1: the exact assignment to the same open sites is 0.5%
cheaper). HiGHS solves small restricted MIPs around the incumbent far better than the whole
problem, so this phase runs four kinds of them (:func:`neighbourhood_search`):

* exact assignments (:func:`polish`, :func:`exact_assignment`): the generalised assignment
  MIP of the incumbent's open sites and of the few cheapest other site sets the heuristics
  costed, with a cutoff at the incumbent (Holmberg p30: 11391 to the optimum 11331 in 1 s);
* cluster MIPs (:func:`cluster_search`): one open site, the open and closed sites cheapest for
  its customers, and the customers its open sites serve, everything else kept: solved exactly,
  they reassign customers optimally among those sites and open, close or swap sites (the
  search stops after :data:`CLUSTER_IDLE` successive sizes without improvement);
* site-set moves (:func:`~supplylab.optimize.site_moves.swap_search`): every set up to two
  sites closed and two opened away and the few best triple swaps, screened by its Lagrangian
  bound and costed by :func:`try_assignment` (what the cluster MIPs cannot do: move a site
  and reassign every customer);
* local branching (:func:`local_branching`, Fischetti and Lodi 2003): the reduced strong MIP of
  :func:`reduced_model` (sites fixed by the Lagrangian bound, arcs removed by reduced-cost
  fixing) plus one row ``sum_{i in S} (1 - y_i) + sum_{i not in S} y_i <= r`` around the
  incumbent's open set ``S``, solved with the incumbent as start for a few seconds; an
  improvement becomes the new centre, a neighbourhood searched to the end without one widens
  ``r``; the search stops after :data:`STALL` steps without improvement or when time is up.

Every solution found is feasible for the whole problem (the restrictions only remove options)
and is checked by :meth:`~supplylab.optimize.heuristics.Incumbent.accept` before it is kept, so
the incumbent stays a valid upper bound; no bound is taken from these MIPs.
Costs in currency per year.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from supplylab.optimize.assignment import improve_assignment
from supplylab.optimize.cuts import valid_rows
from supplylab.optimize.formulation import BuildContext, build_model
from supplylab.optimize.heuristics import Incumbent
from supplylab.optimize.lagrangian import LagrangianPoint
from supplylab.optimize.linear import INF, LinearModel
from supplylab.optimize.problem import NetworkDesignProblem, NetworkOptions
from supplylab.optimize.solver import SolverOptions, solve

#: first local-branching radius (sites that may change state) and its growth
RADIUS = 4
RADIUS_STEP = 2
#: steps without improvement before the search stops
STALL = 1
#: seconds per neighbourhood MIP (at most; the last one gets what is left)
STEP_S = 10.0
#: clusters of :func:`cluster_search`: one open site plus (open, closed) sites, growing when a
#: round over all open sites brings nothing; seconds per cluster MIP at most
CLUSTER_SIZES = ((2, 1), (3, 2), (5, 3), (7, 4))
CLUSTER_S = 3.0
#: the cluster MIPs run until this share of the neighbourhood search's time at most, the
#: site-set moves (:mod:`~supplylab.optimize.site_moves`) until SWAP_SHARE, local branching
#: gets the rest
CLUSTER_SHARE = 0.5
SWAP_SHARE = 0.85
#: the deep runs of screened, still unsettled site sets may go on for this share of the search
#: time beyond SWAP_SHARE (taken from the reduced MIP, which then starts later; unused where
#: every screened set settles, e.g. Holmberg p30/p56-p58). Yang p7 (60 s): the better set was
#: screened at 13.8 of the 15.6 s the moves had and never run deep (8 s finds it, 3 of 3 seeds)
SWAP_EXTEND = 0.5
#: the cluster search stops after this many successive sizes bring nothing (measured on
#: Holmberg p30/p57/p58 after :func:`polish`: the larger clusters then bring nothing in 6-22 s
#: that the reduced MIP needs for its proof)
CLUSTER_IDLE = 2
#: exact assignments (:func:`polish`): seconds per open-site set at most, how many of the
#: cheapest site sets the heuristics costed are re-assigned, and how far above the incumbent
#: (relative) their heuristic cost may be
ASSIGN_S = 5.0
POLISH_SETS = 4
POLISH_WINDOW = 0.01


def reduced_model(problem: NetworkDesignProblem, options: NetworkOptions, lo: np.ndarray,
                  up: np.ndarray, arcs: np.ndarray | None, window: tuple[int, int] | None,
                  extra_rows: list | None = None, *, lazy: bool = False,
                  time_limit_s: float | None = None) -> tuple[LinearModel, BuildContext,
                                                              NetworkOptions]:
    """The strong MIP with sites ``lo`` forced open and ``~up`` closed, only ``arcs``
    (single-source; None: all) allowed, the valid rows of :mod:`~supplylab.optimize.cuts` and
    the open-count ``window``, plus ``extra_rows`` (hooks run after those)."""
    ids = problem.site_ids
    base = valid_rows(window)
    hooks = [base, *(extra_rows or [])]

    def hook(model: LinearModel, ctx: BuildContext) -> None:
        for h in hooks:
            h(model, ctx)

    opts = replace(options, hook=hook, lazy_linking=lazy,
                   forced_open=tuple(sorted(set(options.forced_open)
                                            | {ids[i] for i in np.flatnonzero(lo)})),
                   forced_closed=tuple(sorted(set(options.forced_closed)
                                              | {ids[i] for i in np.flatnonzero(~up)})),
                   solver=replace(options.solver, path="matrix", time_limit_s=time_limit_s))
    if arcs is not None:
        allowed = arcs if problem.allowed is None else arcs & problem.allowed.astype(bool)
        problem = replace(problem, allowed=allowed)
    model, ctx = build_model(problem, opts)
    return model, ctx, opts


def start_vector(model: LinearModel, ctx: BuildContext, inc: Incumbent) -> np.ndarray:
    """The incumbent as a full column vector of ``model`` (a MIP start)."""
    x = np.zeros(model.ncols)
    x[ctx.z] = inc.y[ctx.level_site].astype(float)
    x[ctx.x.reshape(-1)] = inc.x.reshape(-1)
    return x


def _cluster_sites(data, y: np.ndarray, x: np.ndarray, centre: int,
                   size: tuple[int, int]) -> np.ndarray:
    """The sites of one cluster around open site ``centre``: it and the ``size`` = (open,
    closed) sites cheapest for its customers."""
    mine = x[centre] > 0.5
    alt = np.where(np.isfinite(data.cost[:, mine]), data.cost[:, mine], 1e12).sum(axis=1)
    alt[centre] = -np.inf
    order = np.argsort(alt, kind="stable")
    opened = [i for i in order if y[i] and i != centre][:size[0]]
    closed = [i for i in order if not y[i] and data.open_upper[i]][:size[1]]
    return np.array([centre, *opened, *closed], dtype=np.int64)


def cluster_search(inc: Incumbent, time_limit_s: float, max_idle: int = CLUSTER_IDLE) -> int:
    """Re-optimise the incumbent cluster by cluster; the number of improving clusters.

    A cluster: one open site, the open sites nearest to its customers and a few closed ones;
    the MIP over the cluster's sites (open or closed, their fixed costs) and the customers
    its open sites serve, everything else kept, is solved exactly by HiGHS (a few hundred
    binaries: 10-300 ms). This reassigns customers optimally among those sites and opens,
    closes or swaps sites with the exact assignment, the moves a greedy assignment misses on
    tight capacities. Rounds over every open site; a round that brings nothing moves on to
    the next, larger size of :data:`CLUSTER_SIZES`; stops after the last, after ``max_idle``
    successive sizes without improvement, or when time is up.
    """
    data = inc.data
    t_end = time.perf_counter() + time_limit_s
    wins = 0
    level = idle = 0
    seen: set[bytes] = set()
    while inc.y is not None and level < len(CLUSTER_SIZES) and idle < max_idle and \
            time.perf_counter() < t_end:
        improved = False
        size = CLUSTER_SIZES[level]
        for centre in np.flatnonzero(inc.y):
            if time.perf_counter() >= t_end or not inc.y[centre]:
                continue
            sites = _cluster_sites(data, inc.y, inc.x, int(centre), size)
            custs = np.flatnonzero(inc.x[sites].sum(axis=0) > 0.5)
            key = np.packbits(np.isin(np.arange(data.m), sites) & inc.y).tobytes() + \
                np.packbits(np.isin(np.arange(data.n), custs)).tobytes()
            if key in seen:
                continue
            seen.add(key)
            if _solve_cluster(inc, sites, custs, t_end):
                wins += 1
                improved = True
        level, idle = (level, 0) if improved else (level + 1, idle + 1)
    return wins


def _solve_cluster(inc: Incumbent, sites: np.ndarray, custs: np.ndarray, t_end: float) -> bool:
    data = inc.data
    cost = data.cost[np.ix_(sites, custs)]
    ok = np.isfinite(cost)
    sub = NetworkDesignProblem(tuple(f"s{i}" for i in sites), tuple(f"c{j}" for j in custs),
                               data.demand[custs], np.where(ok, cost, 0.0),
                               fixed=data.fixed[sites], capacity=data.capacity[sites],
                               allowed=ok)
    forced = tuple(f"s{i}" for i in sites if data.open_lower[i])
    opts = NetworkOptions(single_source=True, forced_open=forced, method="mip",
                          solver=SolverOptions(path="matrix", mip_rel_gap=1e-9,
                                               time_limit_s=max(0.2, min(
                                                   CLUSTER_S, t_end - time.perf_counter()))))
    model, ctx = build_model(sub, opts)
    start = np.zeros(model.ncols)
    start[ctx.z] = inc.y[sites].astype(float)
    start[ctx.x.reshape(-1)] = inc.x[np.ix_(sites, custs)].reshape(-1)
    before = float(model.column_arrays()[0] @ start)
    out = solve(model, opts.solver, start=start)
    if out.x is None or out.objective is None or out.objective >= before - 1e-9:
        return False
    y = inc.y.copy()
    y[sites] = out.x[ctx.z] > 0.5
    x = inc.x.copy()
    x[np.ix_(sites, custs)] = (out.x[ctx.x.reshape(-1)] > 0.5).reshape(sites.size, custs.size)
    return inc.accept(y, x)


@dataclass(frozen=True)
class AssignmentTry:
    """What one exact assignment of a site set gave: ``improved`` (the incumbent is now its
    solution), ``settled`` (searched to the end: optimal, or nothing cheaper than the cutoff)
    and ``bound`` (HiGHS's lower bound on the set's cost, currency/yr; -inf if none)."""

    improved: bool
    settled: bool
    bound: float


def try_assignment(problem: NetworkDesignProblem, options: NetworkOptions, inc: Incumbent,
                   keep: np.ndarray, y: np.ndarray, time_limit_s: float,
                   seed: int | None = None) -> AssignmentTry:
    """Assign the customers optimally to the open sites ``y`` (single-source) within
    ``time_limit_s``, keeping the result if it improves the incumbent; ``seed``: HiGHS's
    random seed (a retry with another one searches differently).

    The reduced MIP with exactly the sites of ``y`` open (a generalised assignment problem of
    |y| x n binaries over the arcs ``keep``) and a cutoff at the incumbent's cost. The greedy
    assignment with local moves leaves up to 0.5% on tight capacities; HiGHS solves this MIP
    in 0.2-1 s on Holmberg's 30 x 200 (p30: the search's 11391 becomes the optimum 11331 in
    1.0 s), and a set that cannot beat the cutoff ends in about 0.05 s.
    """
    if time_limit_s < 0.2:
        return AssignmentTry(False, False, -math.inf)
    model, ctx, opts = reduced_model(problem, options, y, y, keep, None,
                                     time_limit_s=time_limit_s)
    same = inc.y is not None and bool((inc.y == y).all())
    opts = replace(opts, solver=replace(opts.solver, cutoff=inc.value, seed=seed))
    out = solve(model, opts.solver, start=start_vector(model, ctx, inc) if same else None)
    settled = out.status in ("optimal", "infeasible")
    bound = -math.inf if out.best_bound is None else float(out.best_bound)
    if not out.has_solution or out.x is None:
        return AssignmentTry(False, settled, bound)
    x = np.zeros((problem.m, problem.n))
    x.reshape(-1)[:] = out.x[ctx.x.reshape(-1)]
    yy = np.zeros(problem.m, dtype=bool)
    yy[ctx.level_site] = out.x[ctx.z] > 0.5
    return AssignmentTry(inc.accept(yy, (x > 0.5).astype(float)), settled, bound)


def packed_assignment(problem: NetworkDesignProblem, options: NetworkOptions, inc: Incumbent,
                      keep: np.ndarray, y: np.ndarray, time_limit_s: float) -> bool:
    """Cost the open sites ``y`` from a packing, not from HiGHS's search; True when that
    improved the incumbent.

    For a site set filled to within a few units (Yang p6's best-known set: 3996 units of
    capacity for 3993 of demand) the cost MIP of :func:`try_assignment` finds a solution under
    the cutoff or not depending on its random seed (1 of 4 seeds in 8 s), and the greedy and
    Lagrangian repairs find no feasible placement at all. Here: a feasible single-source
    assignment from the same MIP with zero allocation costs (a packing: HiGHS's first feasible
    point ends it, 0.5 s on that set), shift/swap/ejection moves on it, then the cluster MIPs
    of :func:`cluster_search` on a private incumbent with exactly these sites open (the
    assignment among 3-8 sites at a time solved exactly); their result replaces the incumbent
    if it is cheaper (p6: 43738 -> 30227 -> 28008 in 6.6 s, below the 28193 of the centre).
    Deterministic up to the time limit."""
    t_end = time.perf_counter() + time_limit_s
    if inc.y is None or time_limit_s < 0.5:
        return False
    model, ctx, opts = reduced_model(problem, options, y, y, keep, None,
                                     time_limit_s=max(0.2, 0.5 * time_limit_s))
    model.blocks["assign"].cost[:] = 0.0
    out = solve(model, replace(opts.solver, mip_rel_gap=0.5))
    if not out.has_solution or out.x is None:
        return False
    data = inc.data
    sites = np.flatnonzero(y)
    took = out.x[ctx.x.reshape(-1)].reshape(problem.m, problem.n)[sites] > 0.5
    if not (took.sum(axis=0) == 1).all():
        return False
    a = np.argmax(took, axis=0)
    cost = np.where(keep[sites], data.cost[sites], np.inf)
    res = data.capacity[sites] - np.bincount(a, weights=data.demand, minlength=sites.size)
    improve_assignment(cost, data.demand, res, a)
    own = Incumbent(data.with_bounds(y, y))
    x = np.zeros((data.m, data.n))
    x[sites[a], np.arange(data.n)] = 1.0
    if not own.accept(y, x):
        return False
    cluster_search(own, t_end - time.perf_counter())
    return own.y is not None and inc.accept(own.y, own.x)


def exact_assignment(problem: NetworkDesignProblem, options: NetworkOptions, inc: Incumbent,
                     keep: np.ndarray, y: np.ndarray, time_limit_s: float) -> bool:
    """:func:`try_assignment`; True when it improved the incumbent."""
    return try_assignment(problem, options, inc, keep, y, time_limit_s).improved


def polish(problem: NetworkDesignProblem, options: NetworkOptions, inc: Incumbent,
           keep: np.ndarray, time_limit_s: float) -> int:
    """:func:`exact_assignment` of the incumbent's open sites and of the other cheapest site
    sets the heuristics costed (at most :data:`POLISH_SETS`, within :data:`POLISH_WINDOW`
    of the incumbent); the number of improvements."""
    if inc.y is None:
        return 0
    t_end = time.perf_counter() + time_limit_s
    m = inc.data.m
    sets = [inc.y.copy()]
    limit = inc.value * (1 + POLISH_WINDOW)
    for key, value in sorted(inc.cache.items(), key=lambda kv: kv[1]):
        if len(sets) >= POLISH_SETS or value > limit:
            break
        y = np.unpackbits(np.frombuffer(key, dtype=np.uint8))[:m].astype(bool)
        if not (y == sets[0]).all():
            sets.append(y)
    wins = 0
    for y in sets:
        left = t_end - time.perf_counter()
        wins += exact_assignment(problem, options, inc, keep, y, min(ASSIGN_S, left))
    return wins


def _branching_row(center: np.ndarray, radius: int):
    def hook(model: LinearModel, ctx: BuildContext) -> None:
        was_open = center[ctx.level_site]
        coef = np.where(was_open, -1.0, 1.0)
        model.add_rows("local_branching", np.zeros(len(ctx.z)), ctx.z, coef, -INF,
                       float(radius - int(was_open.sum())), nrows=1)
    return hook


def local_branching(problem: NetworkDesignProblem, options: NetworkOptions, inc: Incumbent,
                    lo: np.ndarray, up: np.ndarray, keep: np.ndarray,
                    window: tuple[int, int] | None, time_limit_s: float) -> dict[str, float]:
    """Improve ``inc`` (single-source, an incumbent needed) by neighbourhood MIPs; statistics.

    ``lo``/``up``: sites fixed open/closed; ``keep`` (m, n): arcs not removed by fixing.
    """
    t_end = time.perf_counter() + time_limit_s
    radius, stall, steps, gained = RADIUS, 0, 0, 0.0
    start_value = inc.value
    free = int((up & ~lo).sum())
    while inc.y is not None and stall < STALL and radius <= max(free, 1):
        left = t_end - time.perf_counter()
        if left < 1.0:
            break
        model, ctx, opts = reduced_model(problem, options, lo, up, keep, window,
                                         [_branching_row(inc.y, radius)],
                                         time_limit_s=min(STEP_S, left))
        out = solve(model, opts.solver, start=start_vector(model, ctx, inc))
        steps += 1
        improved = False
        if out.has_solution and out.x is not None:
            x = np.zeros((problem.m, problem.n))
            x.reshape(-1)[:] = out.x[ctx.x.reshape(-1)]
            x = (x > 0.5).astype(float)
            y = np.zeros(problem.m, dtype=bool)
            y[ctx.level_site] = out.x[ctx.z] > 0.5
            improved = inc.accept(y, x)
        if improved:
            stall = 0
        else:
            stall += 1
            if out.status == "optimal":  # the neighbourhood holds nothing better: widen it
                radius += RADIUS_STEP
    gained = start_value - inc.value
    return {"neighbourhood_steps": steps, "neighbourhood_gain": gained,
            "neighbourhood_radius": radius}


def neighbourhood_search(problem: NetworkDesignProblem, options: NetworkOptions,
                         inc: Incumbent, point: LagrangianPoint, lo: np.ndarray,
                         up: np.ndarray, keep: np.ndarray, window: tuple[int, int] | None,
                         time_limit_s: float) -> dict[str, float]:
    """:func:`polish`, :func:`cluster_search` until :data:`CLUSTER_SHARE` of the time (it ends
    earlier when its largest clusters bring nothing), the site-set moves of
    :func:`~supplylab.optimize.site_moves.swap_search` (screened by ``point``'s Lagrangian
    values) until :data:`SWAP_SHARE` (their deep runs up to :data:`SWAP_EXTEND` longer, which
    this function then overruns its ``time_limit_s`` by), :func:`local_branching` for the
    rest, then the exact assignment of the final open sites; statistics."""
    from supplylab.optimize.site_moves import swap_search  # it costs sets by exact_assignment

    t0 = time.perf_counter()
    start = inc.value
    polished = polish(problem, options, inc, keep, 0.25 * time_limit_s)
    after_polish = inc.value
    wins = cluster_search(inc, CLUSTER_SHARE * time_limit_s - (time.perf_counter() - t0))
    after_clusters = inc.value
    swap_s = SWAP_SHARE * time_limit_s - (time.perf_counter() - t0)
    swaps = swap_search(problem, options, inc, point, up & ~lo, keep, swap_s,
                        SWAP_EXTEND * time_limit_s)
    after_swaps = inc.value
    extended = max(0.0, swaps["swap_s"] - max(swap_s, 0.0))
    stats = local_branching(problem, options, inc, lo, up, keep, window,
                            time_limit_s + extended - (time.perf_counter() - t0))
    if inc.value < after_swaps and inc.y is not None:  # a MIP's new site set: re-assign it
        exact_assignment(problem, options, inc, keep, inc.y.copy(),
                         min(ASSIGN_S, 0.1 * time_limit_s))
    return {**stats, "polish_wins": polished, "polish_gain": start - after_polish,
            "cluster_wins": wins, "cluster_gain": after_polish - after_clusters, **swaps,
            "neighbourhood_gain": start - inc.value, "neighbourhood_s": time.perf_counter() - t0}
