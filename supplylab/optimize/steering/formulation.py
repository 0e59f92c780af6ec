"""The steering MILP: one builder per variable block and per constraint family.

Variables (all >= 0): ``promo[i, t, l]`` binary, product i is on discount level l in week t;
``start[i, t, l]`` in [0, 1], an event at level l begins in week t (integral whenever promo
is); ``both[(p, q), t, l, l']`` in [0, 1], p and q (a cross-effect pair) both promoted;
``short[i, t]`` units demanded and not sold from i's stock (sold = demand - short);
``sub[k, t]`` units of the k-th substitute pair's unmet demand served by the substitute
(``sub_promo[k, t, l]`` the part sold while the substitute is at level l); ``lost[i, t]``;
``back[i, t]`` units backordered one week; ``supply[a, t]`` units received on supply arc a
(pool x product); ``stock[i, t]`` end-of-week stock; ``out[h, t]`` binary, week t of a
product whose stock could be held back has short units (then it has no stock left).

Families (rows): demand (conservation: demand = sales + substituted + lost + backordered),
sold, both_upper/both_lower, one_level, start, count, gap, length, substitution,
substitution_demand, no_withholding_short/_stock/_supply,
no_substitution_on_promotion, substitute_price, stock, capacity, budget. docs/steering.md
writes them out.
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
    dmax: np.ndarray  # (N, T) upper bound of demand (big-M of the logical rows)
    pairs: np.ndarray  # (K, 2) substitute pairs (i short, j serves)
    arcs: list[tuple[int, int, int, float]]  # (pool, product, lead weeks, yield)
    both: np.ndarray  # (C, 2) cross-effect pairs (p, q) whose products may both be promoted
    reach: np.ndarray  # (K,) substituted units per unit short: s_ij / (1 - (1 - A_i) w_i)
    sub_big: np.ndarray  # (K, T) upper bound of a substitution flow (s_ij x demand bound)
    no_withhold: np.ndarray  # (H,) products whose stock the plan could otherwise withhold
    short_big: np.ndarray  # (N, T) upper bound of short units
    stock_big: np.ndarray  # (N, T) upper bound of end-of-week stock
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
    promotable = usable.any(axis=(1, 2))
    both = np.array([(p, q) for p, q in np.argwhere(problem.cross != 0)
                     if promotable[p] and promotable[q]], dtype=int).reshape(-1, 2)
    share = problem.substitution
    total = share.sum(axis=1)
    # short units per unit of demand meeting the empty shelf (1 without substitutes)
    stay = np.where(total > 0, 1.0 - (1.0 - total) * problem.waiting, 1.0)
    reach = share[pairs[:, 0], pairs[:, 1]] / stay[pairs[:, 0]]
    sub_big = share[pairs[:, 0], pairs[:, 1]][:, None] * dmax[pairs[:, 0]]
    short_big = dmax + (extra.max(axis=2) if nl else 0.0)
    m = problem.margin()
    gain = np.zeros(n)  # profit of holding one unit back from i's own customers
    for (i, j), r in zip(pairs, reach, strict=True):
        gain[i] += r * m[j]
    gain -= (1.0 - total / stay) * problem.lost_penalty + m
    no_withhold = np.flatnonzero((gain > 1e-9 * np.maximum(m, 1.0)) & (total > 0))
    return BuildContext(problem, options, usable, extra, dmax, pairs, arcs, both, reach,
                        sub_big, no_withhold, short_big, _stock_bound(problem, arcs, short_big))


def _supply_bounds(problem: SteeringProblem,
                   arcs: list[tuple[int, int, int, float]]) -> np.ndarray:
    """(A, T) most units received on each supply arc per week (inf: unlimited)."""
    t = problem.weeks
    up = np.full((len(arcs), t), INF)
    for k, (g, _, lead, y) in enumerate(arcs):
        cap = problem.pools[g].capacity
        up[k, :lead] = 0.0
        if lead < t:
            up[k, lead:] = cap[:t - lead] * y
    return up


def _stock_bound(problem: SteeringProblem, arcs: list[tuple[int, int, int, float]],
                 short_big: np.ndarray) -> np.ndarray:
    """(N, T) bound of end-of-week stock: initial stock and receipts so far plus the most the
    suppliers can deliver, an unlimited arc counting as all the demand the plan could meet
    (more stock than that earns nothing, so the bound cuts off no better plan)."""
    inflow = problem.receipts.copy()
    up = _supply_bounds(problem, arcs)
    for k, (_, p, _, _) in enumerate(arcs):
        inflow[p] += np.where(np.isfinite(up[k]), up[k], 0.0)
        if not np.isfinite(up[k]).all():
            inflow[p, 0] += short_big[p].sum() + problem.base[p].sum()
    return problem.initial_stock[:, None] + np.cumsum(inflow, axis=1) + 1.0


def _near_commitments(committed: np.ndarray, gap: int) -> np.ndarray:
    """(N, T) weeks within ``gap`` weeks of a committed promotion (no new event may touch it)."""
    near = np.zeros_like(committed)
    for k in range(1, gap + 1):
        near[:, k:] |= committed[:, :-k]
        near[:, :-k] |= committed[:, k:]
    return near


def _demand_terms(ctx: BuildContext, row: np.ndarray, sign: float) -> list[tuple]:
    """Triplets of the calendar's part of demand, ``sign x (demand - base)`` in rows
    ``row[i, t]``: own lift, cross effects of other products' promotions, pull-forward dip."""
    pb, b = ctx.problem, ctx.blocks
    n, t, nl = pb.n, pb.weeks, pb.levels
    if nl == 0:
        return []
    parts = [(np.broadcast_to(row[:, :, None], (n, t, nl)), b["promo"], sign * ctx.extra)]
    for p, q in np.argwhere(pb.cross != 0):
        parts.append((np.broadcast_to(row[q][:, None], (t, nl)), b["promo"][p],
                      sign * pb.cross[p, q] * ctx.extra[p]))
    for i in np.flatnonzero((pb.pull_forward > 0) & (pb.dip_weeks > 0)):
        dw = int(pb.dip_weeks[i])
        for k in range(1, min(dw, t - 1) + 1):
            parts.append((np.broadcast_to(row[i, k:][:, None], (t - k, nl)), b["promo"][i, :-k],
                          -sign * pb.pull_forward[i] * ctx.extra[i, :-k] / dw))
    return parts


def promo_profit(ctx: BuildContext) -> np.ndarray:
    """(N, T, L) profit of promoting i at level l in week t with every unit demanded sold:
    the lift's margin (less the extra orders' ``order_cost``), minus the discount on the
    targeted demand, plus the cross effects' units at the other products' list margin, minus
    the dip's units at the list margin."""
    pb = ctx.problem
    n, t, nl = pb.n, pb.weeks, pb.levels
    m = pb.margin()
    disc = np.nan_to_num(pb.discount)
    e = ctx.extra
    out = (m - pb.order_cost)[:, None, None] * e - pb.price[:, None, None] * disc[:, None, :] * (
        pb.target_base[:, :, None] + e)
    out = out + (pb.cross @ m)[:, None, None] * e
    for i in np.flatnonzero((pb.pull_forward > 0) & (pb.dip_weeks > 0)):
        dw = int(pb.dip_weeks[i])
        for k in range(1, min(dw, t - 1) + 1):
            out[i, :-k] -= m[i] * pb.pull_forward[i] * e[i, :-k] / dw
    return np.where(ctx.usable, out, 0.0) if nl else np.zeros((n, t, 0))


def substitute_credit(pb: SteeringProblem, pairs: np.ndarray) -> np.ndarray:
    """Credit per unit of i's shortage served by j: j's list margin (what the simulation
    earns on it; held-back stock is excluded by the ``no_withholding`` rows instead)."""
    if not len(pairs):
        return np.zeros(0)
    return pb.margin()[pairs[:, 1]]


def add_variables(model: LinearModel, ctx: BuildContext) -> None:
    """Every block with its objective coefficient (the model minimises minus the profit).

    Units demanded are sold unless short: the profit of a calendar is linear in ``promo``
    (:func:`promo_profit`, Cohen et al.'s form); a short unit costs its list margin.
    """
    pb, opt = ctx.problem, ctx.options
    n, t, nl = pb.n, pb.weeks, pb.levels
    margin = pb.margin()
    disc = np.nan_to_num(pb.discount)
    b = ctx.blocks
    b["promo"] = model.add_vars("promo", (n, t, nl), upper=ctx.usable.astype(float),
                                cost=-promo_profit(ctx), integer=True)
    # the base demand all sold at list margin, as a column fixed at 1: solvers then measure
    # their relative gap against the whole profit (PuLP hands HiGHS no objective constant)
    model.add_vars("base_profit", 1, lower=1.0, upper=1.0,
                   cost=-float((margin[:, None] * pb.base).sum()))
    b["start"] = model.add_vars("start", (n, t, nl), upper=ctx.usable.astype(float),
                                cost=opt.fixed_cost_per_promotion)
    both = ctx.both
    cost_both = np.zeros((len(both), t, nl, nl))
    for r, (p, q) in enumerate(both):
        # q promoted too: q's cross units are sold at q's discounted price
        cost_both[r] = (pb.price[q] * disc[q][None, None, :] * pb.cross[p, q]
                        * ctx.extra[p][:, :, None])
    b["both"] = model.add_vars("both", (len(both), t, nl, nl), upper=1.0, cost=cost_both)
    b["short"] = model.add_vars("short", (n, t), cost=np.broadcast_to(margin[:, None], (n, t)))
    k = len(ctx.pairs)
    b["sub"] = model.add_vars("sub", (k, t),
                              cost=-np.broadcast_to(substitute_credit(pb, ctx.pairs)[:, None], (k, t)))
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
    b["supply"] = model.add_vars("supply", (len(ctx.arcs), t),
                                 upper=_supply_bounds(pb, ctx.arcs))
    b["stock"] = model.add_vars("stock", (n, t), cost=np.broadcast_to(pb.holding[:, None], (n, t)))
    b["out"] = model.add_vars("out", (len(ctx.no_withhold), t), upper=1.0, integer=True)


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
    """demand[i, t]: short = substituted + lost + backordered; sold[i, t]: short <= demand
    (sold = demand(promotions) - short >= 0)."""
    pb, b = ctx.problem, ctx.blocks
    n, t = pb.n, pb.weeks
    row = np.arange(n * t).reshape(n, t)
    parts = [(row, b["short"], 1.0), (row, b["lost"], -1.0), (row, b["back"], -1.0)]
    if len(ctx.pairs):
        parts.append((row[ctx.pairs[:, 0]], b["sub"], -1.0))
    _rows(model, "demand", parts, n * t, 0.0, 0.0)
    parts = [(row, b["short"], 1.0), *_demand_terms(ctx, row, -1.0)]
    _rows(model, "sold", parts, n * t, -INF, pb.base.reshape(-1))


def add_both(model: LinearModel, ctx: BuildContext) -> None:
    """both[(p, q), t, l, l'] = promo[p, t, l] x promo[q, t, l'] (McCormick; the side that
    binds follows the sign of its objective coefficient)."""
    pb, b = ctx.problem, ctx.blocks
    t, nl = pb.weeks, pb.levels
    if not len(ctx.both):
        return
    w = b["both"]
    up, lo = [], []
    for r, (p, q) in enumerate(ctx.both):
        xp = np.broadcast_to(b["promo"][p][:, :, None], (t, nl, nl))
        xq = np.broadcast_to(b["promo"][q][:, None, :], (t, nl, nl))
        if pb.cross[p, q] < 0:  # a credit: w <= x_p, w <= x_q
            up += [(w[r], xp), (w[r], xq)]
        else:  # a cost: w >= x_p + x_q - 1
            lo.append((w[r], xp, xq))
    if up:
        size = t * nl * nl
        parts = []
        for k, (wv, xv) in enumerate(up):
            rows = k * size + np.arange(size).reshape(t, nl, nl)
            parts += [(rows, wv, 1.0), (rows, xv, -1.0)]
        _rows(model, "both_upper", parts, len(up) * size, -INF, 0.0)
    if lo:
        size = t * nl * nl
        parts = []
        for k, (wv, xp, xq) in enumerate(lo):
            rows = k * size + np.arange(size).reshape(t, nl, nl)
            parts += [(rows, wv, 1.0), (rows, xp, -1.0), (rows, xq, -1.0)]
        _rows(model, "both_lower", parts, len(lo) * size, -1.0, INF)


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


def add_substitution(model: LinearModel, ctx: BuildContext) -> None:
    """What the simulation does at a stock-out: a share s_ij of the customers who meet i's
    empty shelf take j. ``substitution``: sub_ij <= s_ij / (1 - (1 - A_i) w_i) x short_i
    (customers who wait are served from later receipts, so each short unit stands for more
    than one meeting with the empty shelf); ``substitution_demand`` (w_i > 0): sub_ij <=
    s_ij x demand_i (at most every customer meets it)."""
    pb, b = ctx.problem, ctx.blocks
    k, t = len(ctx.pairs), pb.weeks
    if k == 0:
        return
    row = np.arange(k * t).reshape(k, t)
    parts = [(row, b["sub"], 1.0), (row, b["short"][ctx.pairs[:, 0]],
                                    -np.broadcast_to(ctx.reach[:, None], (k, t)))]
    _rows(model, "substitution", parts, k * t, -INF, 0.0)
    wait = np.flatnonzero(pb.waiting[ctx.pairs[:, 0]] > 0)
    if wait.size:
        rows = np.arange(wait.size * t).reshape(wait.size, t)
        parts = [(rows, b["sub"][wait], 1.0)]
        for r, kk in enumerate(wait):
            i, j = ctx.pairs[kk]
            only = np.full((pb.n, t), -1, dtype=np.int64)
            only[i] = rows[r]
            for rr, cc, vv in _demand_terms(ctx, only, -pb.substitution[i, j]):
                rr = np.asarray(rr)
                keep = rr >= 0
                parts.append((rr[keep], np.asarray(cc)[keep],
                              np.broadcast_to(vv, rr.shape)[keep]))
        pairs = ctx.pairs[wait]
        rhs = pb.substitution[pairs[:, 0], pairs[:, 1]][:, None] * pb.base[pairs[:, 0]]
        _rows(model, "substitution_demand", parts, wait.size * t, -INF, rhs.reshape(-1))
    if pb.levels:
        # customers drawn by a discount on i do not take j at its own price: no substitution
        # out of a product in its promoted weeks (sub + M sum_l promo[i] <= M)
        nl = pb.levels
        big = ctx.sub_big
        parts = [(row, b["sub"], 1.0),
                 (np.broadcast_to(row[:, :, None], (k, t, nl)), b["promo"][ctx.pairs[:, 0]],
                  np.broadcast_to(big[:, :, None], (k, t, nl)))]
        _rows(model, "no_substitution_on_promotion", parts, k * t, -INF, big.reshape(-1))


def add_no_withholding(model: LinearModel, ctx: BuildContext) -> None:
    """Customers buy what is on the shelf: where a substitute earns more than the product's
    own sale, out[i, t] = 1 marks a week with short units, and then no stock is left
    (short <= S_max out, stock <= K_max (1 - out)); without these binaries the plan would
    hold i back to sell j, which the simulation never does."""
    pb, b = ctx.problem, ctx.blocks
    h, t = len(ctx.no_withhold), pb.weeks
    if h == 0:
        return
    idx = ctx.no_withhold
    row = np.arange(h * t).reshape(h, t)
    _rows(model, "no_withholding_short",
          [(row, b["short"][idx], 1.0), (row, b["out"], -ctx.short_big[idx])], h * t, -INF, 0.0)
    _rows(model, "no_withholding_stock",
          [(row, b["stock"][idx], 1.0), (row, b["out"], ctx.stock_big[idx])], h * t, -INF,
          ctx.stock_big[idx].reshape(-1))
    # nor is supply held back: a week with short units receives all its own supplier can
    # send (supply >= capacity x out; pools shared with other products are left free)
    pos = {int(i): r for r, i in enumerate(idx)}
    up = _supply_bounds(pb, ctx.arcs)
    parts, nrows = [], 0
    for k, (g, p, _, _) in enumerate(ctx.arcs):
        if p in pos and len(pb.pools[g].products) == 1 and np.isfinite(up[k]).all():
            rows = nrows + np.arange(t)
            parts += [(rows, b["supply"][k], 1.0), (rows, b["out"][pos[p]], -up[k])]
            nrows += t
    if nrows:
        _rows(model, "no_withholding_supply", parts, nrows, 0.0, INF)


def add_substitute_price(model: LinearModel, ctx: BuildContext) -> None:
    """A substitute sold in a week its product is on promotion earns the discounted price:
    sub_promo[k, t, l] >= sub[k, t] - D_max (1 - promo[j, t, l]) (the discount is a cost, so
    sub_promo is the whole of sub in promoted weeks and 0 otherwise)."""
    pb, b = ctx.problem, ctx.blocks
    k, t, nl = len(ctx.pairs), pb.weeks, pb.levels
    if k == 0 or nl == 0:
        return
    big = ctx.sub_big  # (K, T)
    row = np.arange(k * t * nl).reshape(k, t, nl)
    big3 = np.broadcast_to(big[:, :, None], (k, t, nl))
    parts = [(row, np.broadcast_to(b["sub"][:, :, None], (k, t, nl)), 1.0),
             (row, b["sub_promo"], -1.0), (row, b["promo"][ctx.pairs[:, 1]], big3)]
    _rows(model, "substitute_price", parts, k * t * nl, -INF, big3.reshape(-1))


def add_stock(model: LinearModel, ctx: BuildContext) -> None:
    """stock[i, t] = stock[i, t-1] + receipts + supply - sold - substitutes served - backlog,
    with sold = demand(promotions) - short."""
    pb, b = ctx.problem, ctx.blocks
    n, t = pb.n, pb.weeks
    row = np.arange(n * t).reshape(n, t)
    parts = [(row, b["stock"], 1.0), (row[:, 1:], b["stock"][:, :-1], -1.0),
             (row, b["short"], -1.0), *_demand_terms(ctx, row, 1.0),
             (row[:, 1:], b["back"][:, :-1], 1.0)]
    if len(ctx.pairs):
        parts.append((row[ctx.pairs[:, 1]], b["sub"], 1.0))
    if ctx.arcs:
        prod = np.array([a[1] for a in ctx.arcs])
        parts.append((row[prod], b["supply"], -1.0))
    rhs = pb.receipts - pb.base
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
    """Promotion spend (discount on the promoted weeks' demand and on substitutes sold while
    promoted, plus the fixed cost per event) <= budget."""
    pb, opt, b = ctx.problem, ctx.options, ctx.blocks
    if opt.budget is None or pb.levels == 0:
        return
    n, t, nl = pb.n, pb.weeks, pb.levels
    disc = np.nan_to_num(pb.discount)
    spend = pb.price[:, None, None] * disc[:, None, :] * (pb.target_base[:, :, None] + ctx.extra)
    zero = np.zeros((n, t, nl), dtype=np.int64)
    parts = [(zero, b["promo"], spend)]
    if len(ctx.pairs):
        j = ctx.pairs[:, 1]
        k = len(j)
        parts.append((np.zeros((k, t, nl), dtype=np.int64), b["sub_promo"],
                      np.broadcast_to((pb.price[j][:, None] * disc[j])[:, None, :], (k, t, nl))))
    if opt.fixed_cost_per_promotion:
        parts.append((zero, b["start"], opt.fixed_cost_per_promotion))
    _rows(model, "budget", parts, 1, -INF, float(opt.budget))


BUILDERS = (add_variables, add_demand, add_both, add_calendar, add_substitution,
            add_no_withholding, add_substitute_price, add_stock, add_capacity, add_budget)


def build_model(problem: SteeringProblem, options: SteeringOptions) -> tuple[LinearModel,
                                                                             BuildContext]:
    """The whole MILP (minimise minus profit) and its build context."""
    ctx = context(problem, options)
    model = LinearModel(name=f"steering_{problem.name}")
    for builder in BUILDERS:
        builder(model, ctx)
    return model, ctx
