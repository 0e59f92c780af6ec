"""Primal heuristics of capacitated facility location: upper bounds within seconds.

* Given the open sites, the best flows: multi-source is a transportation LP (exact, kept in
  HiGHS and re-solved warm as sites open and close); single-source is a generalised
  assignment problem (:mod:`~supplylab.optimize.assignment`: greedy placement with repair,
  then shift, swap and ejection-chain moves).
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

from supplylab.optimize.assignment import assign_single
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

    def accept(self, y: np.ndarray, x: np.ndarray) -> bool:
        """Keep the solution (y, x) found elsewhere (a MIP) if it is feasible and cheaper.

        Feasibility and cost are recomputed from the data: site bounds, every customer's
        shares summing to one on open sites over allowed arcs (0/1 when single-source), loads
        within capacity (relative tolerance 1e-9)."""
        data = self.data
        y = np.asarray(y, dtype=bool)
        if (y < data.open_lower).any() or (y > data.open_upper).any():
            return False
        used = x > 1e-9
        if (used & ~(y[:, None] & np.isfinite(data.cost))).any():
            return False
        if not np.allclose(x.sum(axis=0), 1.0, atol=1e-6):
            return False
        if data.single_source and not np.isin(x, (0.0, 1.0)).all():
            return False
        load = x @ data.demand
        if (load > data.capacity * (1 + 1e-9) + 1e-9).any():
            return False
        val = float(data.fixed[y].sum()) + float((np.where(used, data.cost, 0.0) * x).sum())
        if val >= self.value:
            return False
        self.value, self.y, self.x = val, y.copy(), x.copy()
        key = np.packbits(y).tobytes()
        self.cache[key] = min(val, self.cache.get(key, val))
        return True


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
