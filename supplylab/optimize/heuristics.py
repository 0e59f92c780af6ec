"""Primal heuristics of capacitated facility location: upper bounds within seconds.

* Given the open sites, the best flows: multi-source is a transportation LP (exact, kept in
  HiGHS and re-solved warm as sites open and close); single-source is a generalised
  assignment problem, solved by regret-ordered greedy assignment, a repair step that ejects
  one customer to make room, then shift and swap moves.
* Lagrangian rounding: every new open-site vector the subgradient meets is costed this way
  (:class:`Incumbent` caches them and keeps its share of the time).
* Site local search: close, open and swap sites until no move improves, within a time budget;
  each move is screened by its Lagrangian lower bound, so only moves that can improve are costed.

Costs in currency per year; demand and capacity in units per year.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from supplylab.optimize.lagrangian import FacilityData, LagrangianPoint
from supplylab.optimize.linear import INF, LinearModel
from supplylab.optimize.solver import PersistentLP


class MultiFlows:
    """Cheapest split flows from a set of open sites: one transportation LP kept in HiGHS,
    closed sites' arcs bounded to zero, re-solved warm after each change of the open set."""

    def __init__(self, data: FacilityData) -> None:
        self.data = data
        m, n = data.m, data.n
        self.ok = np.isfinite(data.cost)
        model = LinearModel("transport")
        self.cols = model.add_vars("flow", (m, n), upper=self.ok.astype(float),
                                   cost=np.where(self.ok, data.cost, 0.0))
        model.add_rows("demand", np.tile(np.arange(n), m), self.cols.reshape(-1), 1.0, 1.0, 1.0,
                       nrows=n)
        capped = np.flatnonzero(np.isfinite(data.capacity))
        model.add_rows("capacity", np.repeat(np.arange(capped.size), n),
                       self.cols[capped].reshape(-1), np.tile(data.demand, capped.size), -INF,
                       data.capacity[capped], nrows=capped.size)
        self.uncapacitated = capped.size == 0
        self.lp = None if self.uncapacitated else PersistentLP(model)
        self.open = np.ones(m, dtype=bool)

    def cost(self, open_mask: np.ndarray) -> tuple[float, np.ndarray | None]:
        """(total cost incl. fixed, x (m, n)) or (inf, None) when the sites cannot serve all."""
        data = self.data
        sites = np.flatnonzero(open_mask)
        if sites.size == 0 or float(data.capacity[sites].sum()) < data.total_demand * (1 - 1e-12):
            return math.inf, None
        if not self.ok[sites].any(axis=0).all():
            return math.inf, None
        fixed = float(data.fixed[sites].sum())
        if self.lp is None:
            sub = np.where(self.ok[sites], data.cost[sites], np.inf)
            best = np.argmin(sub, axis=0)
            x = np.zeros((data.m, data.n))
            x[sites[best], np.arange(data.n)] = 1.0
            return fixed + float(sub[best, np.arange(data.n)].sum()), x
        changed = np.flatnonzero(open_mask != self.open)
        if changed.size:
            up = self.ok[changed] & open_mask[changed, None]
            self.lp.set_upper(self.cols[changed].reshape(-1), up.reshape(-1).astype(float))
            self.open = open_mask.copy()
        obj, values = self.lp.run()
        if obj is None or values is None:
            return math.inf, None
        x = np.clip(values[self.cols], 0.0, 1.0)
        return fixed + obj, x


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
        if not all(_place(cost, d, res, a, int(j)) for j in order if a[j] < 0):
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
    flows: MultiFlows | None = None

    def offer(self, y: np.ndarray, force: bool = False, hint: np.ndarray | None = None) -> float:
        """Cost ``y`` (unless seen or over the time share) and keep it if it is the best.

        ``hint``: the Lagrangian flows of ``y`` (single-source rounding starts from them)."""
        y = ((y | self.data.open_lower) & self.data.open_upper).astype(bool)
        key = np.packbits(y).tobytes()
        if key in self.cache:
            return self.cache[key]
        elapsed = time.perf_counter() - self.started
        if not force and self.evaluated and self.seconds > self.share * elapsed:
            return math.inf
        t0 = time.perf_counter()
        if self.data.single_source:
            val, x = assign_single(self.data, y, hint)
        else:
            if self.flows is None:
                self.flows = MultiFlows(self.data)
            val, x = self.flows.cost(y)
        self.seconds += time.perf_counter() - t0
        self.evaluated += 1
        self.cache[key] = val
        if val < self.value and x is not None:
            self.value, self.y, self.x = val, y, x
        return val


def local_search(inc: Incumbent, point: LagrangianPoint, time_limit_s: float) -> None:
    """Close, open and swap sites from the incumbent until no move improves or time is up.

    Every move is screened by its Lagrangian bound ``sum lam + sum_{i open} v_i`` (a lower
    bound on the cost of that network with any flows, so a move whose bound is not below the
    incumbent cannot improve it and is skipped); the others are costed cheapest bound first,
    and the first improving one is taken.
    """
    data = inc.data
    free = data.open_upper & ~data.open_lower
    base = float(point.lam.sum())
    v = point.v
    t_end = time.perf_counter() + time_limit_s
    improved = inc.y is not None
    while improved and time.perf_counter() < t_end:
        improved = False
        y = inc.y.copy()
        now = base + float(v[y].sum())
        opened = np.flatnonzero(y & free)
        closed = np.flatnonzero(~y & free)
        moves = [(now - v[i], (i,), ()) for i in opened]
        moves += [(now + v[i], (), (i,)) for i in closed]
        if opened.size and closed.size:
            swap = now + v[closed][:, None] - v[opened][None, :]
            for a, b in zip(*np.nonzero(swap < inc.value), strict=True):
                moves.append((float(swap[a, b]), (opened[b],), (closed[a],)))
        moves.sort(key=lambda mv: mv[0])
        target = inc.value - 1e-9 * max(abs(inc.value), 1.0)
        for est, out, into in moves:
            if est >= target:
                break
            if time.perf_counter() >= t_end:
                return
            t = y.copy()
            t[list(out)] = False
            t[list(into)] = True
            if inc.offer(t, force=True) < target:
                improved = True
                break
