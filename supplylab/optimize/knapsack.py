"""Knapsack solvers of the Lagrangian subproblems of facility location (numpy only).

Written in the minimisation form used by the Lagrangian layer: an item is worth taking when its
(reduced) cost is negative. Three problems:

* :func:`continuous_knapsacks`: per site, ``min sum_j c_j x_j, sum_j d_j x_j <= s, 0 <= x <= 1``
  for many sites at once (Dantzig's greedy by cost per unit of weight; exact);
* :func:`binary_knapsack`: one site, ``x`` binary (dynamic programme over integer capacity;
  exact for integer weights, otherwise an exact solution of a scaled relaxation, so always a
  valid lower bound);
* :func:`covering_knapsack`: ``min sum_i v_i y_i, sum_i s_i y_i >= D, y`` binary with some
  ``y`` fixed (the choice of open sites; same DP and relaxation rule).

Weights and capacities are in demand units; costs in currency per year.
"""

from __future__ import annotations

import math

import numpy as np

#: the DP tables are at most this long; larger capacities are scaled down (a relaxation)
MAX_DP_CAPACITY = 200_000
#: cells of the covering table when sizes are fractional (relative rounding 1e-4 per site)
FRACTIONAL_STEPS = 10_000


def continuous_knapsacks(cost: np.ndarray, weight: np.ndarray,
                         capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact fractional knapsack per row of ``cost`` (m, n); weights (n,), capacities (m,).

    Returns (value (m,), x (m, n) in [0, 1]). Items of zero weight and negative cost are taken
    whole; an infinite capacity takes every item of negative cost. Only the items of negative
    cost are sorted (few, near the Lagrangian optimum).
    """
    m, n = cost.shape
    ii, jj = np.nonzero(cost < 0.0)
    x = np.zeros((m, n))
    value = np.zeros(m)
    if ii.size == 0:
        return value, x
    c = cost[ii, jj]
    w = weight[jj].astype(float)
    with np.errstate(divide="ignore"):
        ratio = np.where(w > 0, c / np.where(w > 0, w, 1.0), -np.inf)
    # by row, then by ratio: the ratio's rank as the low digits of one exact int64 key
    # (ii is sorted already; 5x faster than lexsort on 100 x 1,000)
    rank = np.empty(ii.size, dtype=np.int64)
    rank[np.argsort(ratio, kind="stable")] = np.arange(ii.size)
    order = np.argsort(ii.astype(np.int64) * ii.size + rank)
    ii, jj, c, w = ii[order], jj[order], c[order], w[order]
    cum = np.cumsum(w)
    row_start = np.searchsorted(ii, np.arange(m))
    base = np.concatenate([[0.0], cum])[row_start]
    before = cum - w - base[ii]
    room = capacity[ii] - before
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(w > 0, np.clip(room / np.where(w > 0, w, 1.0), 0.0, 1.0),
                        (room >= 0).astype(float))
    x[ii, jj] = frac
    np.add.at(value, ii, frac * c)
    return value, x


def _integral(a: np.ndarray) -> bool:
    return bool(np.all(np.abs(a - np.round(a)) <= 1e-9))


def binary_knapsack(cost: np.ndarray, weight: np.ndarray,
                    capacity: float) -> tuple[float, np.ndarray]:
    """``min sum c_j x_j`` s.t. ``sum d_j x_j <= capacity``, x binary; returns (value, x bool).

    See :func:`knapsack_table` for the method.
    """
    value, x, _ = knapsack_table(cost, weight, capacity)
    return value, x


#: cells (items x sites x capacity) of one block of :func:`binary_knapsacks`' choice table
BLOCK_CELLS = 8_000_000


def binary_knapsacks(cost: np.ndarray, weight: np.ndarray,
                     capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`binary_knapsack` for every row of ``cost`` (m, n) at once: (value (m,), x bool).

    The rows share the items' weights, so one dynamic programme over the items serves a block
    of rows (one numpy step per item instead of one per item and row: ~10x faster on 30 x 200).
    Exact for integer weights and capacities; otherwise, or for capacities above
    :data:`MAX_DP_CAPACITY`, each row is solved by :func:`binary_knapsack`.
    """
    m, n = cost.shape
    value, x = np.zeros(m), np.zeros((m, n), dtype=bool)
    cap = np.asarray(capacity, dtype=float)
    exact = bool(np.isfinite(cap).all()) and (m == 0 or float(cap.max()) <= MAX_DP_CAPACITY) \
        and _integral(weight) and _integral(cap)
    if not exact:
        for i in range(m):
            value[i], x[i] = binary_knapsack(cost[i], weight, float(cap[i]))
        return value, x
    w = np.round(weight).astype(np.int64)
    ci = np.round(cap).astype(np.int64)
    neg = cost < 0.0
    free = neg & (w[None, :] == 0)  # weightless items of negative cost: always taken
    x |= free
    value += np.where(free, cost, 0.0).sum(axis=1)
    items = np.flatnonzero((neg & ~free).any(axis=0) & (w > 0))
    if items.size == 0 or m == 0:
        return value, x
    top = int(ci.max())
    step = max(1, BLOCK_CELLS // max(1, items.size * (top + 1)))
    for a in range(0, m, step):
        rows = np.arange(a, min(m, a + step))
        c = np.where(neg[rows][:, items], cost[rows][:, items], 0.0)
        best = np.zeros((rows.size, top + 1))  # best[., r]: least cost within weight r
        take = np.zeros((items.size, rows.size, top + 1), dtype=bool)
        for k, j in enumerate(items):
            wk = int(w[j])
            if wk > top:
                continue
            cand = best[:, :-wk] + c[:, k:k + 1] if wk else best
            better = cand < best[:, wk:]
            take[k, :, wk:] = better
            best[:, wk:] = np.where(better, cand, best[:, wk:])
        r = ci[rows].copy()
        at = np.arange(rows.size)
        value[rows] += best[at, r]
        for k in range(items.size - 1, -1, -1):
            hit = take[k, at, r]
            if hit.any():
                x[rows[hit], items[k]] = True
                r[hit] -= int(w[items[k]])
    return value, x


def knapsack_table(cost: np.ndarray, weight: np.ndarray,
                   capacity: float) -> tuple[float, np.ndarray, np.ndarray | None]:
    """:func:`binary_knapsack` plus its table: ``table[r]`` is the least cost within weight
    ``r = 0..capacity`` (None unless weights and capacity are integers, the exact case).

    Exact for integer weights and capacity (up to :data:`MAX_DP_CAPACITY`). Otherwise weights
    are rounded down and the capacity up after scaling, a relaxation: the value is then a valid
    lower bound and ``x`` may overfill the true capacity slightly.
    """
    x = np.zeros(cost.shape[0], dtype=bool)
    items = np.flatnonzero(cost < 0.0)
    exact = math.isfinite(capacity) and capacity <= MAX_DP_CAPACITY \
        and _integral(weight) and _integral(np.array([capacity]))
    if items.size == 0:
        return 0.0, x, np.zeros(int(round(capacity)) + 1) if exact else None
    if not math.isfinite(capacity):
        x[items] = True
        return float(cost[items].sum()), x, None
    w = weight[items].astype(float)
    if exact:
        wi, cap = np.round(w).astype(np.int64), int(round(capacity))
    else:  # a table of FRACTIONAL_STEPS cells, weights rounded down, capacity up
        scale = FRACTIONAL_STEPS / max(capacity, 1e-12)
        wi = np.floor(w * scale + 1e-9).astype(np.int64)
        cap = int(math.ceil(capacity * scale - 1e-9))
    fits = wi <= cap
    free = fits & (wi == 0)
    x[items[free]] = True
    value = float(cost[items[free]].sum())
    rest = np.flatnonzero(fits & ~free)
    if rest.size == 0:
        return value, x, np.full(cap + 1, value) if exact else None
    best = np.zeros(cap + 1)  # best[r]: min cost using total weight <= r
    take = np.zeros((rest.size, cap + 1), dtype=bool)
    for k, t in enumerate(rest):
        wk, ck = int(wi[t]), float(cost[items[t]])
        cand = best[:-wk] + ck
        better = cand < best[wk:]
        take[k, wk:] = better
        best[wk:] = np.where(better, cand, best[wk:])
    r = cap
    for k in range(rest.size - 1, -1, -1):
        if take[k, r]:
            x[items[rest[k]]] = True
            r -= int(wi[rest[k]])
    return value + float(best[cap]), x, value + best if exact else None


def covering_knapsack(value: np.ndarray, size: np.ndarray, demand: float,
                      lower: np.ndarray | None = None,
                      upper: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """``min sum v_i y_i`` s.t. ``sum s_i y_i >= demand``, ``lower <= y <= upper`` binary.

    Returns (value, y bool); value ``inf`` (and y all at ``upper``) when even every allowed
    site cannot cover the demand. Every allowed site of non-positive value is taken. Exact for
    integer sizes and demand (sizes are capped at the demand); otherwise sizes are rounded up
    and the demand down after scaling (a relaxation, so still a valid lower bound).
    """
    m = value.shape[0]
    lo = np.zeros(m, bool) if lower is None else lower.astype(bool)
    up = np.ones(m, bool) if upper is None else upper.astype(bool)
    y = lo | (up & (value <= 0.0))
    total = float(value[y].sum())
    sz = np.where(np.isfinite(size), size, max(demand, 0.0))
    need = demand - float(sz[y].sum())
    if need <= 1e-9 * max(demand, 1.0):
        return total, y
    cand = np.flatnonzero(up & ~y)
    if float(sz[cand].sum()) < need - 1e-9 * max(demand, 1.0):
        return math.inf, up.copy()
    s = np.minimum(sz[cand].astype(float), math.ceil(need - 1e-9))
    if _integral(s):
        # sizes sharing a divisor g cover "at least need" iff they cover ceil(need / g) g
        g = float(np.gcd.reduce(np.round(s).astype(np.int64)))
        si, r_need = np.round(s / g).astype(np.int64), int(math.ceil(need / g - 1e-9))
        if r_need > MAX_DP_CAPACITY:
            scale = MAX_DP_CAPACITY / r_need
            si = np.ceil(si * scale - 1e-9).astype(np.int64)
            r_need = int(math.floor(r_need * scale + 1e-9))
    else:  # fractional sizes: a table of FRACTIONAL_STEPS cells, sizes rounded up
        scale = FRACTIONAL_STEPS / need
        si = np.ceil(s * scale - 1e-9).astype(np.int64)
        r_need = int(math.floor(need * scale + 1e-9))
    if r_need <= 0:
        return total, y
    # best[r]: min cost of a subset covering at least r (r = 0..r_need)
    best = np.full(r_need + 1, math.inf)
    best[0] = 0.0
    take = np.zeros((cand.size, r_need + 1), dtype=bool)
    idx = np.arange(r_need + 1)
    for k in range(cand.size):
        prev = best[np.maximum(idx - si[k], 0)] + float(value[cand[k]])
        better = prev < best
        take[k] = better
        best = np.where(better, prev, best)
    r = r_need
    for k in range(cand.size - 1, -1, -1):
        if r <= 0:
            break
        if take[k, r]:
            y[cand[k]] = True
            r = max(r - int(si[k]), 0)
    return total + float(best[r_need]), y
