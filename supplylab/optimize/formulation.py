"""Network-design MIP builders: one function per variable block and per constraint family.

Variables: ``z[k]`` binary, level k (a site at one size) is built; ``x[i, j]`` share of customer
j's demand served by site i (binary when single sourcing); optional slacks for soft rules.
Families (rows): demand, capacity, linking (strong formulation), level_choice, forced_open,
site_count, service_share, coverage (only in the elastic re-solve), co2_cap, no_good; with
upper echelons or periods the flow families of :mod:`supplylab.optimize.echelon` replace the
single capacity family.
See docs/network_design.md for the formulation in mathematical notation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from supplylab.optimize.echelon import add_stages, arc_upper
from supplylab.optimize.linear import INF, LinearModel
from supplylab.optimize.problem import NetworkDesignProblem, NetworkOptions, site_mask
from supplylab.optimize.stock_cost import add_sqrt_costs

#: families made elastic in the relax-and-report re-solve, with the unit of their slack
RELAXABLE = ("demand", "capacity", "forced_open", "site_count", "service_share", "coverage",
             "co2_cap", "supply")


@dataclass
class BuildContext:
    """What the builders created: index arrays of the blocks and derived data (for hooks)."""

    problem: NetworkDesignProblem
    options: NetworkOptions
    level_site: np.ndarray
    level_capacity: np.ndarray
    level_fixed: np.ndarray
    level_names: list[str]
    z: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    x: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    cap_slack: np.ndarray | None = None
    share_slack: np.ndarray | None = None
    out_of_range: np.ndarray | None = None
    soft_out_of_range: np.ndarray | None = None
    elastic: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # upper echelons and periods (supplylab.optimize.echelon)
    arcs: tuple[np.ndarray, np.ndarray] | None = None
    q: np.ndarray | None = None
    r: np.ndarray | None = None
    v: np.ndarray | None = None
    u: np.ndarray | None = None


def coverage_masks(problem: NetworkDesignProblem,
                   options: NetworkOptions) -> tuple[np.ndarray, np.ndarray]:
    """(hard, soft) masks of arcs outside a coverage rule: hard is boolean (m, n); soft holds
    the summed penalty per unit of demand of the soft rules an arc breaks."""
    hard = np.zeros((problem.m, problem.n), dtype=bool)
    soft = np.zeros((problem.m, problem.n))
    for rule in options.coverage:
        bad = rule.out_of_range(problem)
        if rule.penalty_per_unit is None:
            hard |= bad
        else:
            soft += bad * rule.penalty_per_unit
    return hard, soft


def add_open_vars(model: LinearModel, ctx: BuildContext) -> None:
    """Binary ``z[k]`` per buildable level, costing its fixed cost per year."""
    problem, options = ctx.problem, ctx.options
    upper = np.ones(len(ctx.level_site))
    closed = site_mask(problem, options.forced_closed)
    upper[closed[ctx.level_site]] = 0.0
    ctx.z = model.add_vars("open", len(ctx.level_site), lower=0.0, upper=upper,
                           cost=ctx.level_fixed, integer=True)


def add_assign_vars(model: LinearModel, ctx: BuildContext, elastic: bool = False) -> None:
    """``x[i, j]`` share of j's demand from i, costing allocation + CO2 + soft-coverage penalty.

    Arcs outside a hard coverage rule get upper bound 0 (in the elastic re-solve they stay open
    and a coverage row family limits them instead, so that its slack can be reported).
    """
    problem, options = ctx.problem, ctx.options
    hard, soft = coverage_masks(problem, options)
    cost = problem.cost.copy()
    if options.co2_price and problem.co2 is not None:
        cost = cost + options.co2_price * problem.co2
    cost = cost + soft * problem.demand[None, :]
    upper = np.ones((problem.m, problem.n))
    if not elastic:
        upper[hard] = 0.0
    if problem.allowed is not None:
        upper[~problem.allowed.astype(bool)] = 0.0
    lane = arc_upper(problem)
    if lane is not None:
        upper = np.minimum(upper, lane)
    ctx.out_of_range, ctx.soft_out_of_range = hard, soft
    ctx.x = model.add_vars("assign", (problem.m, problem.n), lower=0.0, upper=upper, cost=cost,
                           integer=options.single_source)


def add_demand(model: LinearModel, ctx: BuildContext) -> None:
    """Every customer's demand is met: ``sum_i x_ij = 1``."""
    m, n = ctx.x.shape
    rows = np.tile(np.arange(n), m)
    model.add_rows("demand", rows, ctx.x.reshape(-1), 1.0, 1.0, 1.0, nrows=n)


def _total_demand(ctx: BuildContext) -> float:
    return float(ctx.problem.demand.sum())


def add_capacity(model: LinearModel, ctx: BuildContext) -> None:
    """``sum_j d_j x_ij <= sum_k cap_k z_k (+ overflow_i)`` per site.

    Uncapacitated levels use the total demand as their capacity (a valid big-M). With the strong
    formulation and no finite capacity at all the family is omitted (the linking rows suffice).
    """
    problem, options = ctx.problem, ctx.options
    finite = np.isfinite(ctx.level_capacity)
    if options.strong and not _lazy(ctx) and not finite.any():
        return
    m, n = ctx.x.shape
    total = max(_total_demand(ctx), 1.0)
    cap = np.where(finite, ctx.level_capacity, total)
    rows = [np.repeat(np.arange(m), n), ctx.level_site]
    cols = [ctx.x.reshape(-1), ctx.z]
    vals = [np.tile(problem.demand, m), -cap]
    if options.capacity_penalty is not None:
        ctx.cap_slack = model.add_vars("overflow", m, cost=options.capacity_penalty)
        rows.append(np.arange(m))
        cols.append(ctx.cap_slack)
        vals.append(-np.ones(m))
        # overflow only at open sites: overflow_i <= D * open_i
        model.add_rows("overflow_link", np.concatenate([np.arange(m), ctx.level_site]),
                       np.concatenate([ctx.cap_slack, ctx.z]),
                       np.concatenate([np.ones(m), -np.full(len(ctx.z), total)]), -INF, 0.0,
                       nrows=m)
    model.add_rows("capacity", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                   -INF, 0.0, nrows=m)


def _lazy(ctx: BuildContext) -> bool:
    # lazily added linking rows are only redundant (implied by the capacity rows for integer
    # open decisions) when every demand is positive
    return ctx.options.strong and ctx.options.lazy_linking and bool((ctx.problem.demand > 0).all())


def add_linking(model: LinearModel, ctx: BuildContext) -> None:
    """Strong formulation: ``x_ij <= sum_{k at i} z_k`` for every arc that may carry flow.

    With ``lazy_linking`` the family is marked lazy (see :class:`LinearModel`).
    """
    if not ctx.options.strong:
        return
    if _lazy(ctx):
        model.lazy.add("linking")
    m, n = ctx.x.shape
    rows = [np.arange(m * n)]
    cols = [ctx.x.reshape(-1)]
    vals = [np.ones(m * n)]
    for k, i in enumerate(ctx.level_site):
        rows.append(np.arange(i * n, (i + 1) * n))
        cols.append(np.full(n, ctx.z[k]))
        vals.append(-np.ones(n))
    model.add_rows("linking", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                   -INF, 0.0, nrows=m * n)


def add_level_choice(model: LinearModel, ctx: BuildContext) -> None:
    """At most one size per site: ``sum_{k at i} z_k <= 1`` (only sites with several sizes)."""
    counts = np.bincount(ctx.level_site, minlength=ctx.problem.m)
    multi = np.flatnonzero(counts > 1)
    if multi.size == 0:
        return
    row_of = {int(i): r for r, i in enumerate(multi)}
    keep = [k for k, i in enumerate(ctx.level_site) if int(i) in row_of]
    rows = [row_of[int(ctx.level_site[k])] for k in keep]
    model.add_rows("level_choice", np.array(rows), ctx.z[keep], 1.0, -INF, 1.0, nrows=len(multi))


def add_forced_open(model: LinearModel, ctx: BuildContext) -> None:
    """Forced-open sites (and existing ones under policy 'keep'): ``sum_{k at i} z_k >= 1``."""
    problem, options = ctx.problem, ctx.options
    forced = site_mask(problem, options.forced_open)
    if options.existing_policy == "keep" and problem.existing is not None:
        forced |= problem.existing.astype(bool)
    sites = np.flatnonzero(forced)
    if sites.size == 0:
        return
    row_of = {int(i): r for r, i in enumerate(sites)}
    keep = [k for k, i in enumerate(ctx.level_site) if int(i) in row_of]
    rows = [row_of[int(ctx.level_site[k])] for k in keep]
    model.add_rows("forced_open", np.array(rows, dtype=np.int64), ctx.z[keep], 1.0, 1.0, INF,
                   nrows=len(sites))


def add_site_count(model: LinearModel, ctx: BuildContext) -> None:
    """``min_open <= number of open sites <= max_open``."""
    lo, up = ctx.options.min_open, ctx.options.max_open
    if lo is None and up is None:
        return
    model.add_rows("site_count", np.zeros(len(ctx.z)), ctx.z, 1.0,
                   -INF if lo is None else float(lo), INF if up is None else float(up), nrows=1)


def add_service_share(model: LinearModel, ctx: BuildContext) -> None:
    """``sum_{(i,j): t_ij <= T, j in J_r} d_j x_ij (+ short) >= share * D(J_r)`` per rule."""
    rules = ctx.options.service_share
    if not rules:
        return
    problem = ctx.problem
    soft = [r for r in rules if r.penalty_per_unit is not None]
    if soft:
        ctx.share_slack = model.add_vars("service_short", len(rules),
                                         upper=np.array([INF if r.penalty_per_unit is not None
                                                         else 0.0 for r in rules]),
                                         cost=np.array([r.penalty_per_unit or 0.0
                                                        for r in rules]))
    rows, cols, vals, lower = [], [], [], []
    for r, rule in enumerate(rules):
        members = rule.members(problem)
        ii, jj = np.nonzero((problem.transit <= rule.max_transit) & members[None, :])
        rows.append(np.full(len(ii), r))
        cols.append(ctx.x[ii, jj])
        vals.append(problem.demand[jj])
        lower.append(rule.min_share * float(problem.demand[members].sum()))
        if ctx.share_slack is not None:
            rows.append(np.array([r]))
            cols.append(np.array([ctx.share_slack[r]]))
            vals.append(np.array([1.0]))
    model.add_rows("service_share", np.concatenate(rows), np.concatenate(cols),
                   np.concatenate(vals), np.array(lower), INF, nrows=len(rules))


def add_coverage_rows(model: LinearModel, ctx: BuildContext) -> None:
    """Elastic re-solve only: ``sum_{i out of range} d_j x_ij <= 0`` per customer."""
    hard = ctx.out_of_range
    if hard is None or not hard.any():
        return
    ii, jj = np.nonzero(hard)
    custs = np.unique(jj)
    row_of = np.full(ctx.problem.n, -1)
    row_of[custs] = np.arange(len(custs))
    model.add_rows("coverage", row_of[jj], ctx.x[ii, jj], ctx.problem.demand[jj], -INF, 0.0,
                   nrows=len(custs))


def add_co2_cap(model: LinearModel, ctx: BuildContext) -> None:
    """``sum_ij co2_ij x_ij <= co2_cap`` (tonnes/year)."""
    cap = ctx.options.co2_cap
    if cap is None or ctx.problem.co2 is None:
        return
    model.add_rows("co2_cap", np.zeros(ctx.x.size), ctx.x.reshape(-1),
                   ctx.problem.co2.reshape(-1), -INF, float(cap), nrows=1)


def add_no_goods(model: LinearModel, ctx: BuildContext,
                 patterns: Sequence[np.ndarray]) -> None:
    """Exclude each given open-site vector: ``sum_{i in S} (1 - y_i) + sum_{i not in S} y_i >= 1``."""
    for p in patterns:
        p = np.asarray(p, dtype=bool)
        sign = np.where(p[ctx.level_site], -1.0, 1.0)
        model.add_rows("no_good", np.zeros(len(ctx.z)), ctx.z, sign, 1.0 - p.sum(), INF, nrows=1)


def build_model(problem: NetworkDesignProblem, options: NetworkOptions, *,
                no_goods: Sequence[np.ndarray] = (), elastic: bool = False,
                ) -> tuple[LinearModel, BuildContext]:
    """Check, then build the whole MIP family by family, then run the user hook.

    ``elastic=True`` builds the relax-and-report variant: every family in :data:`RELAXABLE` gets
    non-negative slack columns and the objective becomes the total slack, weighted so that each
    slack is measured in demand units (demand rows by 2 d_j, site-count and forced-open rows by
    the mean demand).
    """
    options.check(problem)
    site, cap, fix, names = problem.level_arrays()
    ctx = BuildContext(problem, options, site, cap, fix, names)
    model = LinearModel(name=f"network_design_{problem.name}")
    add_open_vars(model, ctx)
    add_assign_vars(model, ctx, elastic=elastic)
    if problem.sqrt_costs:
        add_sqrt_costs(model, ctx)  # inventory of the square-root kind per site
    add_demand(model, ctx)
    if problem.staged:
        add_stages(model, ctx)  # flows through the echelons, capacity per period
    else:
        add_capacity(model, ctx)
    add_linking(model, ctx)
    add_level_choice(model, ctx)
    add_forced_open(model, ctx)
    add_site_count(model, ctx)
    add_service_share(model, ctx)
    add_co2_cap(model, ctx)
    if elastic:
        add_coverage_rows(model, ctx)
    add_no_goods(model, ctx, no_goods)
    if options.hook is not None:
        options.hook(model, ctx)
    if elastic:
        _make_elastic(model, ctx)
    return model, ctx


def _make_elastic(model: LinearModel, ctx: BuildContext) -> None:
    for blk in model.blocks.values():
        blk.cost[:] = 0.0
    mean_d = float(ctx.problem.demand.mean()) if ctx.problem.n else 1.0
    # unserved demand weighs double, so that the report prefers naming the rule (capacity,
    # coverage, service share) that stops demand being served over "demand" itself
    weights = {"demand": 2.0 * np.maximum(ctx.problem.demand, 1e-9), "site_count": mean_d,
               "forced_open": mean_d}
    for fam in list(model.families):
        if fam in RELAXABLE:
            ctx.elastic[fam] = model.make_elastic(fam, weights.get(fam, 1.0))
