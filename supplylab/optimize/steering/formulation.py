"""The steering MILP: one builder per variable block and per constraint family.

Variables (all >= 0): ``promo[i, t, l]`` binary, product i is on discount level l in week t;
``start[i, t, l]`` in [0, 1], an event at level l begins in week t (integral whenever promo
is); ``sale_reg[i, t]`` and ``sale_promo[i, t, l]`` units sold at the list and at the
discounted price; ``sub[k, t]`` units of the k-th substitute pair's unmet demand served by the
substitute (``sub_promo[k, t, l]`` the part sold while the substitute is at level l); ``lost[i, t]``; ``back[i, t]`` units backordered one week; ``supply[a, t]`` units
received on supply arc a (pool x product); ``stock[i, t]`` end-of-week stock; ``out[i, t]``
binary, a product with substitutes is out of stock in week t.

Families (rows): demand (conservation: demand = sales + substituted + lost + backordered),
one_level, start, count, gap, length, link_promo, link_regular, substitution,
no_substitution_on_promotion, substitute_price, stock,
capacity, budget, stockout, stock_empty, supply_full. docs/steering.md writes them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from supplylab.optimize.linear import INF, LinearModel
from supplylab.optimize.steering.problem import SteeringOptions, SteeringProblem


@dataclass
class BuildContext:
    """Index arrays of the blocks and derived data, for the extractor and for user hooks."""

    problem: SteeringProblem
    options: SteeringOptions
    usable: np.ndarray  # (N, T, L) a new promotion at level l may run in week t
    extra: np.ndarray  # (N, T, L) extra units of i's own demand when promoted
    dmax: np.ndarray  # (N, T) upper bound of demand (link rows)
    pairs: np.ndarray  # (K, 2) substitute pairs (i short, j serves)
    arcs: list[tuple[int, int, int, float]]  # (pool, product, lead weeks, yield)
    blocks: dict[str, np.ndarray] = field(default_factory=dict)


def context(problem: SteeringProblem, options: SteeringOptions) -> BuildContext:
    """Derived data: which (product, week, level) may be promoted and the demand bounds."""
    n, t, nl = problem.n, problem.weeks, problem.levels
    lv = problem.has_level
    disc = np.nan_to_num(problem.discount)
    floor = np.full(n, 0.0)
    for i, pid in enumerate(problem.product_ids):
        floor[i] = max(options.price_floor_share * problem.price[i],
                       options.price_floor.get(pid, 0.0))
    level_ok = lv & (problem.price[:, None] * (1 - disc) >= floor[:, None] - 1e-9)
    free = problem.allowed & ~problem.committed & ~_near_commitments(problem.committed,
                                                                    options.min_gap_weeks)
    usable = free[:, :, None] & level_ok[:, None, :]
    lift = np.where(lv, problem.lift, 1.0)
    extra = (lift - 1.0)[:, None, :] * problem.target_base[:, :, None]
    extra = np.where(usable, extra, 0.0)
    inflow = np.zeros((n, t))
    pos = np.clip(problem.cross, 0, None)
    best = extra.max(axis=2) if nl else np.zeros((n, t))
    inflow += pos.T @ best
    dmax = problem.base + inflow
    pairs = np.argwhere(problem.substitution > 0)
    arcs = [(g, p, lead, y) for g, pool in enumerate(problem.pools)
            for p, lead, y in zip(pool.products, pool.lead_weeks, pool.yield_share, strict=True)]
    return BuildContext(problem, options, usable, extra, dmax, pairs, arcs)


def _near_commitments(committed: np.ndarray, gap: int) -> np.ndarray:
    """(N, T) weeks within ``gap`` weeks of a committed promotion (no new event may touch it)."""
    near = np.zeros_like(committed)
    for k in range(1, gap + 1):
        near[:, k:] |= committed[:, :-k]
        near[:, :-k] |= committed[:, k:]
    return near


def add_variables(model: LinearModel, ctx: BuildContext) -> None:
    """Every block with its objective coefficient (the model minimises minus the profit)."""
    pb, opt = ctx.problem, ctx.options
    n, t, nl = pb.n, pb.weeks, pb.levels
    margin = pb.margin()
    disc = np.nan_to_num(pb.discount)
    b = ctx.blocks
    b["promo"] = model.add_vars("promo", (n, t, nl), upper=ctx.usable.astype(float),
                                integer=True)
    b["start"] = model.add_vars("start", (n, t, nl), upper=ctx.usable.astype(float),
                                cost=opt.fixed_cost_per_promotion)
    b["sale_reg"] = model.add_vars("sale_reg", (n, t), upper=ctx.dmax,
                                   cost=-np.broadcast_to(margin[:, None], (n, t)))
    promo_margin = margin[:, None] - pb.price[:, None] * disc  # (N, L)
    b["sale_promo"] = model.add_vars(
        "sale_promo", (n, t, nl), upper=np.where(ctx.usable, INF, 0.0),
        cost=-np.broadcast_to(promo_margin[:, None, :], (n, t, nl)))
    k = len(ctx.pairs)
    sub_margin = margin[ctx.pairs[:, 1]] if k else np.zeros(0)
    b["sub"] = model.add_vars("sub", (k, t), cost=-np.broadcast_to(sub_margin[:, None], (k, t)))
    promo_j = (pb.price[ctx.pairs[:, 1]][:, None] * disc[ctx.pairs[:, 1]]) if k \
        else np.zeros((0, nl))
    sub_up = np.where(ctx.usable[ctx.pairs[:, 1]], INF, 0.0) if k else np.zeros((0, t, nl))
    b["sub_promo"] = model.add_vars("sub_promo", (k, t, nl), upper=sub_up,
                                    cost=np.broadcast_to(promo_j[:, None, :], (k, t, nl)))
    b["lost"] = model.add_vars("lost", (n, t),
                               cost=np.broadcast_to(pb.lost_penalty[:, None], (n, t)))
    back_up = np.where(pb.backorder_weeks[:, None] > 0, INF, 0.0) * np.ones((n, t))
    back_up[:, -1] = 0.0  # nothing is served after the plan's last week
    b["back"] = model.add_vars("back", (n, t), upper=back_up,
                               cost=-np.broadcast_to((margin - 7.0 * pb.backorder_cost)[:, None],
                                                     (n, t)))
    a = len(ctx.arcs)
    sup_up = np.full((a, t), INF)
    for k_, (g, _, lead, _) in enumerate(ctx.arcs):
        cap = pb.pools[g].capacity
        sup_up[k_, :lead] = 0.0
        if lead < t:
            sup_up[k_, lead:] = np.minimum(sup_up[k_, lead:], cap[:t - lead] * ctx.arcs[k_][3])
    b["supply"] = model.add_vars("supply", (a, t), upper=sup_up)
    b["stock"] = model.add_vars("stock", (n, t), cost=np.broadcast_to(pb.holding[:, None], (n, t)))


def _rows(model: LinearModel, family: str, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
          nrows: int, lower: np.ndarray | float, upper: np.ndarray | float) -> None:
    """Add ``nrows`` rows assembled from (row, column, value) triplet parts."""
    if nrows == 0:
        return
    r = np.concatenate([np.asarray(p[0]).reshape(-1) for p in parts])
    c = np.concatenate([np.asarray(p[1]).reshape(-1) for p in parts])
    v = np.concatenate([np.broadcast_to(p[2], np.shape(p[0])).reshape(-1) for p in parts])
    model.add_rows(family, r, c, v, lower, upper, nrows=nrows)


def add_demand(model: LinearModel, ctx: BuildContext) -> None:
    """demand[i, t]: sales + substituted + lost + backordered = demand(promotions).

    demand = base + own lift x promo - dip of earlier promotions + cross effects of other
    products' promotions (all linear in ``promo``).
    """
    pb, b = ctx.problem, ctx.blocks
    n, t, nl = pb.n, pb.weeks, pb.levels
    row = np.arange(n * t).reshape(n, t)
    parts = [(row, b["sale_reg"], 1.0), (row, b["lost"], 1.0), (row, b["back"], 1.0)]
    parts.append((np.broadcast_to(row[:, :, None], (n, t, nl)), b["sale_promo"], 1.0))
    if len(ctx.pairs):
        parts.append((row[ctx.pairs[:, 0]], b["sub"], 1.0))
    parts.append((np.broadcast_to(row[:, :, None], (n, t, nl)), b["promo"], -ctx.extra))
    for p, q in np.argwhere(pb.cross != 0):
        parts.append((np.broadcast_to(row[q][:, None], (t, nl)), b["promo"][p],
                      -pb.cross[p, q] * ctx.extra[p]))
    for i in np.flatnonzero((pb.pull_forward > 0) & (pb.dip_weeks > 0)):
        dw = int(pb.dip_weeks[i])
        for k in range(1, dw + 1):
            if k >= t:
                break
            parts.append((np.broadcast_to(row[i, k:][:, None], (t - k, nl)), b["promo"][i, :-k],
                          pb.pull_forward[i] * ctx.extra[i, :-k] / dw))
    _rows(model, "demand", parts, n * t, pb.base.reshape(-1), pb.base.reshape(-1))


def add_calendar(model: LinearModel, ctx: BuildContext) -> None:
    """Business rules: one level per week, event starts, count, gap and length limits."""
    pb, opt, b = ctx.problem, ctx.options, ctx.blocks
    n, t, nl = pb.n, pb.weeks, pb.levels
    x, s = b["promo"], b["start"]
    if nl > 1:
        row = np.broadcast_to(np.arange(n * t).reshape(n, t)[:, :, None], (n, t, nl))
        _rows(model, "one_level", [(row, x, 1.0)], n * t, -INF, 1.0)
    # start[i, t, l] >= promo[i, t, l] - promo[i, t-1, l]
    row = np.arange(n * t * nl).reshape(n, t, nl)
    parts = [(row, x, 1.0), (row, s, -1.0), (row[:, 1:], x[:, :-1], -1.0)]
    _rows(model, "start", parts, n * t * nl, -INF, 0.0)
    if opt.max_promotions is not None:
        row = np.broadcast_to(np.arange(n)[:, None, None], (n, t, nl))
        rhs = np.maximum(0, opt.max_promotions - pb.committed_events).astype(float)
        _rows(model, "count", [(row, s, 1.0)], n, -INF, rhs)
    g = opt.min_gap_weeks
    if g > 0 and t > 1:
        # an event starting in week t leaves weeks t-g .. t-1 free: sum_l start + sum_l promo <= 1
        parts, nrows = [], 0
        for k in range(1, min(g, t - 1) + 1):
            r = nrows + np.arange(n * (t - k)).reshape(n, t - k)
            r3 = np.broadcast_to(r[:, :, None], (n, t - k, nl))
            parts += [(r3, s[:, k:], 1.0), (r3, x[:, :-k], 1.0)]
            nrows += n * (t - k)
        _rows(model, "gap", parts, nrows, -INF, 1.0)
    m = opt.max_event_weeks
    if m is not None and m < t:
        w = t - m  # windows of m + 1 weeks
        parts = []
        for k in range(m + 1):
            r = np.arange(n * w).reshape(n, w)
            parts.append((np.broadcast_to(r[:, :, None], (n, w, nl)), x[:, k:k + w], 1.0))
        _rows(model, "length", parts, n * w, -INF, float(m))


def add_links(model: LinearModel, ctx: BuildContext) -> None:
    """Sales at a price only in weeks at that price: sale_promo <= D_max promo, and
    sale_reg <= D_max (1 - sum_l promo)."""
    pb, b = ctx.problem, ctx.blocks
    n, t, nl = pb.n, pb.weeks, pb.levels
    if nl == 0:
        return
    lift = np.where(pb.has_level, pb.lift, 1.0)
    bound = ctx.dmax[:, :, None] + (lift - 1.0)[:, None, :] * pb.target_base[:, :, None]
    row = np.arange(n * t * nl).reshape(n, t, nl)
    _rows(model, "link_promo", [(row, b["sale_promo"], 1.0), (row, b["promo"], -bound)],
          n * t * nl, -INF, 0.0)
    row = np.arange(n * t).reshape(n, t)
    parts = [(row, b["sale_reg"], 1.0),
             (np.broadcast_to(row[:, :, None], (n, t, nl)), b["promo"],
              np.broadcast_to(ctx.dmax[:, :, None], (n, t, nl)))]
    _rows(model, "link_regular", parts, n * t, -INF, ctx.dmax.reshape(-1))


def add_substitution(model: LinearModel, ctx: BuildContext) -> None:
    """sub[(i, j), t] <= a_ij x (unmet demand of i): a share of the customers who find i out
    of stock take j instead."""
    pb, b = ctx.problem, ctx.blocks
    k, t = len(ctx.pairs), pb.weeks
    if k == 0:
        return
    row = np.arange(k * t).reshape(k, t)
    parts = [(row, b["sub"], 1.0)]
    for r, (i, j) in enumerate(ctx.pairs):
        a = pb.substitution[i, j]
        parts.append((row[r], b["lost"][i], -a))
        parts.append((row[r], b["back"][i], -a))
        for r2 in np.flatnonzero(ctx.pairs[:, 0] == i):
            parts.append((row[r], b["sub"][r2], -a))
    _rows(model, "substitution", parts, k * t, -INF, 0.0)
    if pb.levels:
        # customers drawn by a discount on i do not take j at its own price: no substitution
        # out of a product in its promoted weeks (sub + D_max sum_l promo[i] <= D_max)
        nl = pb.levels
        big = ctx.dmax[ctx.pairs[:, 0]]
        parts = [(row, b["sub"], 1.0),
                 (np.broadcast_to(row[:, :, None], (k, t, nl)), b["promo"][ctx.pairs[:, 0]],
                  np.broadcast_to(big[:, :, None], (k, t, nl)))]
        _rows(model, "no_substitution_on_promotion", parts, k * t, -INF, big.reshape(-1))


def add_substitute_price(model: LinearModel, ctx: BuildContext) -> None:
    """A substitute sold in a week its product is on promotion earns the discounted price:
    sub_promo[k, t, l] >= sub[k, t] - D_max (1 - promo[j, t, l]) (the discount is a cost, so
    sub_promo is the whole of sub in promoted weeks and 0 otherwise)."""
    pb, b = ctx.problem, ctx.blocks
    k, t, nl = len(ctx.pairs), pb.weeks, pb.levels
    if k == 0 or nl == 0:
        return
    big = ctx.dmax[ctx.pairs[:, 0]]  # (K, T)
    row = np.arange(k * t * nl).reshape(k, t, nl)
    big3 = np.broadcast_to(big[:, :, None], (k, t, nl))
    parts = [(row, np.broadcast_to(b["sub"][:, :, None], (k, t, nl)), 1.0),
             (row, b["sub_promo"], -1.0), (row, b["promo"][ctx.pairs[:, 1]], big3)]
    _rows(model, "substitute_price", parts, k * t * nl, -INF, big3.reshape(-1))


def add_stock(model: LinearModel, ctx: BuildContext) -> None:
    """stock[i, t] = stock[i, t-1] + receipts + supply - sales - substitutes served - backlog."""
    pb, b = ctx.problem, ctx.blocks
    n, t, nl = pb.n, pb.weeks, pb.levels
    row = np.arange(n * t).reshape(n, t)
    parts = [(row, b["stock"], 1.0), (row[:, 1:], b["stock"][:, :-1], -1.0),
             (row, b["sale_reg"], 1.0),
             (np.broadcast_to(row[:, :, None], (n, t, nl)), b["sale_promo"], 1.0),
             (row[:, 1:], b["back"][:, :-1], 1.0)]
    if len(ctx.pairs):
        parts.append((row[ctx.pairs[:, 1]], b["sub"], 1.0))
    if ctx.arcs:
        prod = np.array([a[1] for a in ctx.arcs])
        parts.append((row[prod], b["supply"], -1.0))
    rhs = pb.receipts.copy()
    rhs[:, 0] += pb.initial_stock
    _rows(model, "stock", parts, n * t, rhs.reshape(-1), rhs.reshape(-1))


def add_capacity(model: LinearModel, ctx: BuildContext) -> None:
    """Pools shared by several products: sum of dispatches <= capacity per week."""
    pb, b = ctx.problem, ctx.blocks
    t = pb.weeks
    parts, upper, nrows = [], [], 0
    for g, pool in enumerate(pb.pools):
        ks = [k for k, a in enumerate(ctx.arcs) if a[0] == g]
        if len(ks) < 2 or not np.isfinite(pool.capacity).any():
            continue  # single-product pools are column bounds
        rows = nrows + np.arange(t)
        for k in ks:
            lead, y = ctx.arcs[k][2], ctx.arcs[k][3]
            if lead < t:  # receipt in week w + lead was dispatched in week w
                parts.append((rows[:t - lead], b["supply"][k, lead:], 1.0 / y))
        upper.append(np.where(np.isfinite(pool.capacity), pool.capacity, INF))
        nrows += t
    if nrows:
        _rows(model, "capacity", parts, nrows, -INF, np.concatenate(upper))


def add_budget(model: LinearModel, ctx: BuildContext) -> None:
    """Promotion spend (discount given + fixed cost per event) <= budget."""
    pb, opt, b = ctx.problem, ctx.options, ctx.blocks
    if opt.budget is None or pb.levels == 0:
        return
    n, t, nl = pb.n, pb.weeks, pb.levels
    spend = pb.price[:, None] * np.nan_to_num(pb.discount)
    zero = np.zeros((n, t, nl), dtype=np.int64)
    parts = [(zero, b["sale_promo"], np.broadcast_to(spend[:, None, :], (n, t, nl)))]
    if opt.fixed_cost_per_promotion:
        parts.append((zero, b["start"], opt.fixed_cost_per_promotion))
    _rows(model, "budget", parts, 1, -INF, float(opt.budget))


def add_stockout(model: LinearModel, ctx: BuildContext) -> None:
    """Customers buy what is in stock: a product with substitutes is short in week t (some of
    its demand substituted, lost or backordered) only when ``out[i, t] = 1``, and then its
    stock is empty and its own supply arcs deliver their full capacity. Without this the plan
    could withhold a product to push its customers to a more profitable substitute.

    out[i, t] binary; sub + lost + back <= D_max out; stock <= M (1 - out);
    supply[a, t] >= cap[a, t] out (arcs of single-product pools with finite capacity).
    """
    pb, b = ctx.problem, ctx.blocks
    n, t = pb.n, pb.weeks
    short = np.unique(ctx.pairs[:, 0]) if len(ctx.pairs) else np.zeros(0, int)
    if short.size == 0:
        return
    sup_up = model.blocks["supply"].upper.reshape(len(ctx.arcs), t) if ctx.arcs else None
    upper = np.ones((short.size, t))
    for k, (_, p, _, _) in enumerate(ctx.arcs):
        if p in short and sup_up is not None:
            upper[np.searchsorted(short, p), np.isinf(sup_up[k])] = 0.0  # never short
    out = model.add_vars("out", (short.size, t), upper=upper, integer=True)
    b["out"] = out
    row = np.arange(short.size * t).reshape(short.size, t)
    parts = [(row, b["lost"][short], 1.0), (row, b["back"][short], 1.0),
             (row, out, -np.maximum(ctx.dmax[short], 0.0))]
    for r, (i, _) in enumerate(ctx.pairs):
        parts.append((row[np.searchsorted(short, i)], b["sub"][r], 1.0))
    _rows(model, "stockout", parts, short.size * t, -INF, 0.0)
    inflow = np.zeros(n)
    for r, (_, j) in enumerate(ctx.pairs):
        inflow[j] += ctx.dmax[ctx.pairs[r, 0]].sum()
    big = pb.initial_stock + pb.receipts.sum(axis=1) + ctx.dmax.sum(axis=1) + inflow
    _rows(model, "stock_empty", [(row, b["stock"][short], 1.0),
                                 (row, out, np.broadcast_to(big[short][:, None], (short.size, t)))],
          short.size * t, -INF, np.broadcast_to(big[short][:, None], (short.size, t)).reshape(-1))
    single = {g for g, pool in enumerate(pb.pools) if len(pool.products) == 1}
    parts, nrows = [], 0
    for k, (g, p, _, _) in enumerate(ctx.arcs):
        if g not in single or p not in short or sup_up is None:
            continue
        cap = np.where(np.isfinite(sup_up[k]), sup_up[k], 0.0)
        r = nrows + np.arange(t)
        parts += [(r, b["supply"][k], 1.0), (r, out[np.searchsorted(short, p)], -cap)]
        nrows += t
    if nrows:
        _rows(model, "supply_full", parts, nrows, 0.0, INF)


BUILDERS = (add_variables, add_demand, add_calendar, add_links, add_substitution,
            add_substitute_price, add_stock, add_capacity, add_budget, add_stockout)


def build_model(problem: SteeringProblem, options: SteeringOptions) -> tuple[LinearModel,
                                                                             BuildContext]:
    """The whole MILP (minimise minus profit) and its build context."""
    ctx = context(problem, options)
    model = LinearModel(name=f"steering_{problem.name}")
    for builder in BUILDERS:
        builder(model, ctx)
    return model, ctx
