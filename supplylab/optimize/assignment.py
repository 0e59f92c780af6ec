"""Single-source assignment to a given set of open sites (a generalised assignment problem).

Used by the facility-location heuristics (:mod:`~supplylab.optimize.heuristics`) to cost each
open-site vector: regret-ordered greedy placement with a repair step that ejects one customer
to make room, then local search until no move improves:

* shift: one customer to another site with room;
* swap: two customers of different sites exchange their sites;
* ejection chains (:func:`ejection_chain`): customer ``j`` moves into a site without room for
  it, the customer it displaces moves on to a third site, and so on, up to
  :data:`CHAIN_DEPTH` moves; the chain's last move needs room as it stands. The best chain
  from every customer is found at once by a Bellman-style recursion over the chain length
  (one n x n array per level), then checked by applying it.

Every move keeps each site's load within its capacity, so the result stays feasible and its
cost never rises. Costs in currency per year, demand and capacity in units per year.
"""

from __future__ import annotations

import math

import numpy as np

from supplylab.optimize.lagrangian import FacilityData

#: most customer moves in one ejection chain (2-3 are the usual range for GAP local search)
CHAIN_DEPTH = 3
#: chains tried per search round before giving up (the best-valued first)
CHAIN_TRIES = 20
#: chains are searched up to this many customers (the levels are n x n arrays)
CHAIN_MAX_CUSTOMERS = 1500
TOL = 1e-9


def ejection_chain(cost: np.ndarray, d: np.ndarray, res: np.ndarray, a: np.ndarray,
                   depth: int = CHAIN_DEPTH) -> bool:
    """Apply the best improving ejection chain of at most ``depth`` moves; False if none.

    ``cost`` (sites x n), ``d`` (n,), ``res`` (sites,: capacity left) and ``a`` (n,: each
    customer's site row) are updated in place. Level 0 is a shift into a site with room;
    level L moves customer k into the site of a customer l that continues with the best
    level L-1 chain, which needs ``res[a[l]] + d[l] >= d[k]``. A chain whose moves interact
    (a customer twice, or a later move filling a site counted as roomy) is checked by applying
    it to copies and skipped if it overfills a site or does not lower the cost.
    """
    n = d.shape[0]
    cols = np.arange(n)
    cur = cost[a, cols]
    delta = cost - cur[None, :]
    delta[a, cols] = np.inf
    delta[res[:, None] < d[None, :] - TOL] = np.inf
    vals = [delta.min(axis=0)]
    dest = delta.argmin(axis=0)
    nexts: list[np.ndarray] = []
    step = cost[a, :] - cur[None, :]  # step[l, k]: k moves into l's site
    step[a[:, None] == a[None, :]] = np.inf
    step[(res[a] + d)[:, None] < d[None, :] - TOL] = np.inf
    for _ in range(1, depth):
        chain = step + vals[-1][:, None]
        nxt = chain.argmin(axis=0)
        vals.append(chain[nxt, cols])
        nexts.append(nxt)
    table = np.vstack(vals)
    level, start = np.unravel_index(np.argsort(table, axis=None)[:CHAIN_TRIES], table.shape)
    for lev, k in zip(level.tolist(), start.tolist(), strict=True):
        if not table[lev, k] < -TOL:
            break
        moves = []
        c = k
        for lv in range(lev, 0, -1):
            nxt_c = int(nexts[lv - 1][c])
            moves.append((c, int(a[nxt_c])))
            c = nxt_c
        moves.append((c, int(dest[c])))
        if len({c for c, _ in moves}) < len(moves):
            continue
        res2, gain = res.copy(), 0.0
        for c, i in moves:
            res2[a[c]] += d[c]
            res2[i] -= d[c]
            gain += cost[i, c] - cost[a[c], c]
        if gain >= -TOL or (res2 < -TOL).any():
            continue
        res[:] = res2
        for c, i in moves:
            a[c] = i
        return True
    return False


def improve_assignment(cost: np.ndarray, d: np.ndarray, res: np.ndarray, a: np.ndarray,
                       max_passes: int = 50, chains: bool = True) -> None:
    """Shift, swap and (with ``chains``) ejection-chain moves on assignment ``a`` (site rows
    of ``cost``) in place, until none improves or ``max_passes`` rounds."""
    n = d.shape[0]
    cols = np.arange(n)
    tol = TOL
    chains = chains and n <= CHAIN_MAX_CUSTOMERS
    for _ in range(max_passes):
        moved = False
        for j in range(n):  # shift: move j to the cheapest site with room
            delta = cost[:, j] - cost[a[j], j]
            delta[res < d[j] - tol] = np.inf
            delta[a[j]] = np.inf
            i = int(np.argmin(delta))
            if delta[i] < -tol:
                res[a[j]] += d[j]
                res[i] -= d[j]
                a[j] = i
                moved = True
        for j in range(n):  # swap j with a customer k of another site
            cur = cost[a, cols]
            delta = cost[a, j] + cost[a[j], cols] - cur[j] - cur
            ok = (a != a[j]) & (res[a] + d - d[j] >= -tol) & (res[a[j]] + d[j] - d >= -tol)
            delta = np.where(ok, delta, np.inf)
            k = int(np.argmin(delta))
            if delta[k] < -tol:
                ik, ij = a[k], a[j]
                res[ik] += d[k] - d[j]
                res[ij] += d[j] - d[k]
                a[j], a[k] = ik, ij
                moved = True
        if not moved and not (chains and ejection_chain(cost, d, res, a)):
            return


def place_customer(cost: np.ndarray, d: np.ndarray, res: np.ndarray, a: np.ndarray,
                   j: int) -> bool:
    """Put customer j on its cheapest site with room, else eject one customer to make room
    (``res`` and ``a`` updated in place; ``a[k] < 0``: k not placed yet); False if neither."""
    fits = res >= d[j] - 1e-9
    col = cost[:, j]
    if (fits & np.isfinite(col)).any():
        i = int(np.argmin(np.where(fits, col, np.inf)))
        a[j] = i
        res[i] -= d[j]
        return True
    best, move = math.inf, None
    placed = np.flatnonzero(a >= 0)
    for i in np.flatnonzero(np.isfinite(col)):
        for k in placed[a[placed] == i]:
            if res[i] + d[k] < d[j] - 1e-9:
                continue
            room = res >= d[k] - 1e-9
            room[i] = False
            alt = np.where(room, cost[:, k], np.inf)
            i2 = int(np.argmin(alt))
            extra = col[i] + alt[i2] - cost[i, k]
            if extra < best:
                best, move = extra, (int(i), int(k), i2)
    if move is None:
        return False
    i, k, i2 = move
    res[i] += d[k] - d[j]
    res[i2] -= d[k]
    a[k], a[j] = i2, i
    return True


def assign_single(data: FacilityData, open_mask: np.ndarray,
                  hint: np.ndarray | None = None) -> tuple[float, np.ndarray | None]:
    """Single-source assignment to the open sites: (total cost, x (m, n) 0/1) or inf.

    Customers are placed in order of regret (second-cheapest minus cheapest open site) and of
    demand, repaired by ejecting one customer when nothing fits; the best result after shift
    and swap moves is kept. With ``hint`` (the Lagrangian knapsack solution, m x n) a third
    start first keeps every customer that exactly one open site's knapsack took there.
    """
    sites = np.flatnonzero(open_mask)
    d = data.demand
    if sites.size == 0 or float(data.capacity[sites].sum()) < data.total_demand * (1 - 1e-12):
        return math.inf, None
    cost = data.cost[sites]
    if not np.isfinite(cost).any(axis=0).all():
        return math.inf, None
    srt = np.sort(cost, axis=0)
    regret = (srt[1] - srt[0]) if sites.size > 1 else np.zeros(data.n)
    regret = np.where(np.isfinite(regret), regret, 1e300)
    best_val, best_a = math.inf, None
    by_regret = np.lexsort((-d, -regret))
    starts = [(by_regret, None), (np.argsort(-d, kind="stable"), None)]
    if hint is not None:
        taken = hint[sites] > 0.5
        once = taken.sum(axis=0) == 1
        starts.append((by_regret, np.where(once, np.argmax(taken, axis=0), -1)))
    for order, pre in starts:
        res = data.capacity[sites].astype(float).copy()
        a = np.full(data.n, -1)
        if pre is not None:
            for j in np.flatnonzero(pre >= 0)[np.argsort(-d[pre >= 0], kind="stable")]:
                if res[pre[j]] >= d[j] - 1e-9 and np.isfinite(cost[pre[j], j]):
                    a[j] = pre[j]
                    res[pre[j]] -= d[j]
        if not all(place_customer(cost, d, res, a, int(j)) for j in order if a[j] < 0):
            continue
        improve_assignment(cost, d, res, a)
        val = float(cost[a, np.arange(data.n)].sum())
        if val < best_val:
            best_val, best_a = val, a.copy()
    if best_a is None:
        return math.inf, None
    x = np.zeros((data.m, data.n))
    x[sites[best_a], np.arange(data.n)] = 1.0
    return float(data.fixed[sites].sum()) + best_val, x
