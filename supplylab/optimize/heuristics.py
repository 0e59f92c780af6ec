"""Primal heuristics of capacitated facility location: upper bounds within seconds.

* Given the open sites, the best flows: multi-source is a transportation LP (exact, scipy's
  HiGHS); single-source is a generalised assignment problem, solved by regret-ordered greedy
  assignment, a repair step that ejects one customer to make room, then shift and swap moves.
* Lagrangian rounding: every new open-site vector the subgradient meets is costed this way
  (:class:`Incumbent` caches them and keeps its share of the time).
* Site local search: close, open and swap sites (candidates ordered by their Lagrangian value)
  until no move improves, within a time budget.

Costs in currency per year; demand and capacity in units per year.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from supplylab.optimize.lagrangian import FacilityData


def flows_multi(data: FacilityData, open_mask: np.ndarray) -> tuple[float, np.ndarray | None]:
    """Cheapest split flows from the open sites: (total cost incl. fixed, x (m, n)) or inf."""
    sites = np.flatnonzero(open_mask)
    d, total = data.demand, data.total_demand
    if sites.size == 0 or float(data.capacity[sites].sum()) < total * (1 - 1e-12):
        return math.inf, None
    sub = data.cost[sites]
    ok = np.isfinite(sub)
    if not ok.any(axis=0).all():
        return math.inf, None
    x = np.zeros((data.m, data.n))
    fixed = float(data.fixed[sites].sum())
    caps = data.capacity[sites]
    if not np.isfinite(caps).any() or caps.min() >= total:
        best = np.argmin(np.where(ok, sub, np.inf), axis=0)
        x[sites[best], np.arange(data.n)] = 1.0
        return fixed + float(sub[best, np.arange(data.n)].sum()), x
    ii, jj = np.nonzero(ok)
    k = ii.size
    a_eq = sp.csr_matrix((np.ones(k), (jj, np.arange(k))), shape=(data.n, k))
    rows = np.flatnonzero(np.isfinite(caps))
    pick = np.isin(ii, rows)
    row_of = np.full(sites.size, -1)
    row_of[rows] = np.arange(rows.size)
    a_ub = sp.csr_matrix((d[jj[pick]], (row_of[ii[pick]], np.flatnonzero(pick))),
                         shape=(rows.size, k))
    res = linprog(sub[ii, jj], A_ub=a_ub, b_ub=caps[rows], A_eq=a_eq, b_eq=np.ones(data.n),
                  bounds=(0.0, 1.0), method="highs")
    if res.status != 0:
        return math.inf, None
    x[sites[ii], jj] = np.clip(res.x, 0.0, 1.0)
    return fixed + float(res.fun), x


def _improve_single(cost: np.ndarray, d: np.ndarray, res: np.ndarray, a: np.ndarray,
                    max_passes: int = 20) -> None:
    """Shift and swap moves on assignment ``a`` (site rows of ``cost``) in place."""
    n = d.shape[0]
    cols = np.arange(n)
    tol = 1e-9
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
        if not moved:
            return


def _place(cost: np.ndarray, d: np.ndarray, res: np.ndarray, a: np.ndarray, j: int) -> bool:
    """Put customer j on its cheapest site with room, else eject one customer to make room."""
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


def assign_single(data: FacilityData,
                  open_mask: np.ndarray) -> tuple[float, np.ndarray | None]:
    """Single-source assignment to the open sites: (total cost, x (m, n) 0/1) or inf.

    Customers are placed in order of regret (second-cheapest minus cheapest open site) and of
    demand, repaired by ejecting one customer when nothing fits; the better result after shift
    and swap moves is kept.
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
    for order in (np.lexsort((-d, -regret)), np.argsort(-d, kind="stable")):
        res = data.capacity[sites].astype(float).copy()
        a = np.full(data.n, -1)
        if not all(_place(cost, d, res, a, int(j)) for j in order):
            continue
        _improve_single(cost, d, res, a)
        val = float(cost[a, np.arange(data.n)].sum())
        if val < best_val:
            best_val, best_a = val, a.copy()
    if best_a is None:
        return math.inf, None
    x = np.zeros((data.m, data.n))
    x[sites[best_a], np.arange(data.n)] = 1.0
    return float(data.fixed[sites].sum()) + best_val, x


def complete(data: FacilityData, open_mask: np.ndarray) -> tuple[float, np.ndarray | None]:
    """Cost the open-site vector with the flow rule of the problem (multi or single source)."""
    open_mask = (open_mask | data.open_lower) & data.open_upper
    return assign_single(data, open_mask) if data.single_source else flows_multi(data, open_mask)


@dataclass
class Incumbent:
    """Best known solution, a cache of costed open-site vectors and the time spent on them.

    ``share`` caps heuristic time at that fraction of the elapsed time (after a first call).
    """

    data: FacilityData
    share: float = 0.3
    value: float = math.inf
    y: np.ndarray | None = None
    x: np.ndarray | None = None
    seconds: float = 0.0
    evaluated: int = 0
    started: float = field(default_factory=time.perf_counter)
    cache: dict[bytes, float] = field(default_factory=dict)

    def offer(self, y: np.ndarray, force: bool = False) -> float:
        """Cost ``y`` (unless seen or over the time share) and keep it if it is the best."""
        y = ((y | self.data.open_lower) & self.data.open_upper).astype(bool)
        key = np.packbits(y).tobytes()
        if key in self.cache:
            return self.cache[key]
        elapsed = time.perf_counter() - self.started
        if not force and self.evaluated and self.seconds > self.share * elapsed:
            return math.inf
        t0 = time.perf_counter()
        val, x = complete(self.data, y)
        self.seconds += time.perf_counter() - t0
        self.evaluated += 1
        self.cache[key] = val
        if val < self.value and x is not None:
            self.value, self.y, self.x = val, y, x
        return val


def local_search(inc: Incumbent, site_value: np.ndarray, time_limit_s: float,
                 candidates: int = 8) -> None:
    """Close, open and swap sites from the incumbent until no move improves or time is up.

    Closed sites are tried in order of ``site_value`` (Lagrangian v_i, cheapest first), at most
    ``candidates`` of them per round for opening and swapping.
    """
    data = inc.data
    free = data.open_upper & ~data.open_lower
    t_end = time.perf_counter() + time_limit_s
    improved = inc.y is not None
    while improved and time.perf_counter() < t_end:
        improved = False
        y = inc.y.copy()
        base = inc.value
        opened = np.flatnonzero(y & free)
        closed = np.flatnonzero(~y & free)
        closed = closed[np.argsort(site_value[closed], kind="stable")][:candidates]
        moves: list[np.ndarray] = []
        for i in opened[np.argsort(-site_value[opened], kind="stable")]:
            t = y.copy()
            t[i] = False
            moves.append(t)
        for i in closed:
            t = y.copy()
            t[i] = True
            moves.append(t)
        for i in closed:
            for k in opened:
                t = y.copy()
                t[i], t[k] = True, False
                moves.append(t)
        for t in moves:
            if time.perf_counter() >= t_end:
                return
            if inc.offer(t, force=True) < base - 1e-9 * max(abs(base), 1.0):
                improved = True
                break
