"""MIP neighbourhood search for single-source facility location (local branching).

The greedy assignment with shift, swap and ejection-chain moves
(:mod:`~supplylab.optimize.assignment`) leaves 0.3-0.6% on the Yang instances, whose sites are
filled to within a few units (Yang p1: the exact assignment to the same open sites is 0.5%
cheaper). HiGHS solves small restricted MIPs around the incumbent far better than the whole
problem, so this phase runs a sequence of them (Fischetti and Lodi 2003, local branching):

* the reduced strong MIP of :func:`reduced_model` (sites fixed by the Lagrangian bound, arcs
  removed by reduced-cost fixing) restricted further to a core of arcs: each customer's
  :data:`CORE_ARCS` cheapest allowed sites plus its incumbent site;
* one local-branching row ``sum_{i in S} (1 - y_i) + sum_{i not in S} y_i <= r`` around the
  incumbent's open set ``S``: at most ``r`` sites change state (``r`` = :data:`RADIUS`);
* solved with the incumbent as start for a few seconds; an improvement becomes the new centre,
  a neighbourhood searched to the end without one widens ``r``; the search stops after
  :data:`STALL` steps without improvement or when its time is up.

Every solution found is feasible for the whole problem (the restrictions only remove options),
so the incumbent stays a valid upper bound; no bound is taken from these MIPs.
Costs in currency per year.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from supplylab.optimize.cuts import valid_rows
from supplylab.optimize.formulation import BuildContext, build_model
from supplylab.optimize.heuristics import Incumbent
from supplylab.optimize.linear import INF, LinearModel
from supplylab.optimize.problem import NetworkDesignProblem, NetworkOptions
from supplylab.optimize.solver import solve

#: cheapest allowed sites per customer kept in the neighbourhood MIPs (plus the incumbent's)
CORE_ARCS = 6
#: first local-branching radius (sites that may change state) and its growth
RADIUS = 2
RADIUS_STEP = 2
#: steps without improvement before the search stops
STALL = 2
#: seconds per neighbourhood MIP (at most; the last one gets what is left)
STEP_S = 8.0
#: HiGHS's mip_heuristic_effort in the neighbourhood MIPs (its default 0.05): they are there
#: to find better solutions, not to prove
EFFORT = 0.3


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


def core_arcs(cost: np.ndarray, keep: np.ndarray, incumbent_x: np.ndarray,
              per_customer: int = CORE_ARCS) -> np.ndarray:
    """Mask (m, n): each customer's ``per_customer`` cheapest kept arcs and its incumbent arc.
    (Ranking by the Lagrangian bound with the arc forced instead, from
    :func:`~supplylab.optimize.fixing.arc_bounds`, did no better on Yang p1.)"""
    masked = np.where(keep, cost, np.inf)
    rank = np.argsort(np.argsort(masked, axis=0, kind="stable"), axis=0, kind="stable")
    return keep & ((rank < per_customer) | (incumbent_x > 0.5))


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
    data = inc.data
    radius, stall, steps, gained = RADIUS, 0, 0, 0.0
    start_value = inc.value
    free = int((up & ~lo).sum())
    while inc.y is not None and stall < STALL and radius <= max(free, 1):
        left = t_end - time.perf_counter()
        if left < 1.0:
            break
        arcs = core_arcs(data.cost, keep, inc.x)
        model, ctx, opts = reduced_model(problem, options, lo, up, arcs, window,
                                         [_branching_row(inc.y, radius)],
                                         time_limit_s=min(STEP_S, left))
        opts = replace(opts, solver=replace(opts.solver, heuristic_effort=EFFORT))
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
