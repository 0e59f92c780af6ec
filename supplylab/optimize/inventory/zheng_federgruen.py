"""Optimal (s,S) policies for integer demand by the Zheng-Federgruen (1991) algorithm.

Periodic review, backorders, lead time L periods: at a review, if the inventory position is at or
below s, order up to S. With G(y) = h E[(y - D)+] + p E[(D - y)+] against the demand over L + 1
periods, the cost per period of (s,S) is

    c(s, S) = [K + sum_{d=0}^{S-s-1} m(d) G(S - d)] / M(S - s),

m the renewal mass function of the one-period demand and M its cumulative sum (Zheng and
Federgruen 1991, Oper. Res. 39(4)). The algorithm searches s downward from the minimiser of G and
then S upward while G(S) stays below the best cost: exact, a few milliseconds per instance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supplylab.errors import InputError
from supplylab.optimize.inventory.laws import Law


@dataclass(frozen=True)
class SSResult:
    """An optimal (s, S) with its expected cost per period."""

    s: int
    S: int
    cost: float


class _SSCost:
    """Evaluates G and c(s, S) on an integer grid of inventory positions."""

    def __init__(self, period: Law, h: float, p: float, k: float, lead_time: int) -> None:
        if not period.discrete:
            raise InputError("the exact (s,S) algorithm needs Poisson or negative-binomial "
                             "demand; use ss_power_approximation for normal demand")
        self.k = k
        cdf1 = period._table[0]
        self.pmf = np.diff(cdf1, prepend=0.0)
        span = cdf1.size
        prot = Law(period.name, period.mean * (lead_time + 1), period.var * (lead_time + 1))
        top = prot._table[0].size + span + int(4 * np.sqrt(2 * k * max(period.mean, 1e-9) / h)) + 50
        self.lo = -top
        ys = np.arange(self.lo, top + 1, dtype=float)
        loss = np.asarray(prot.loss(ys))
        self.G = h * (ys - prot.mean + loss) + p * loss
        self.p0 = float(self.pmf[0])
        if self.p0 >= 1.0:
            raise InputError("(s,S) needs demand with a positive mean")
        self.m = np.array([1.0 / (1.0 - self.p0)])
        self.M = np.array([0.0, self.m[0]])

    def _grow(self, n: int) -> None:
        """Extend the renewal mass m(j) = sum_{l=1}^{j} p_l m(j-l) / (1 - p0) to length n."""
        old = self.m.size
        if n <= old:
            return
        n = max(n, 2 * old)
        m = np.concatenate([self.m, np.zeros(n - old)])
        pmf = np.concatenate([self.pmf, np.zeros(max(0, n + 1 - self.pmf.size))])
        for j in range(old, n):
            m[j] = float(pmf[1:j + 1] @ m[j - 1::-1]) / (1.0 - self.p0)
        self.m = m
        self.M = np.concatenate([[0.0], np.cumsum(m)])

    def g(self, y: int) -> float:
        return float(self.G[y - self.lo])

    def c(self, s: int, S: int) -> float:
        n = S - s
        self._grow(n + 1)
        gs = self.G[S - self.lo - np.arange(n)]
        return float((self.k + self.m[:n] @ gs) / self.M[n])


def ss_optimal(period: Law, h: float, p: float, k: float, lead_time: int = 0) -> SSResult:
    """Optimal (s, S) for integer one-period demand ``period`` (Zheng-Federgruen 1991).

    ``h`` holding and ``p`` backorder cost per unit per period, ``k`` fixed cost per order;
    ``lead_time`` in whole periods (protection L + 1 periods).
    """
    if h <= 0 or p <= 0 or k < 0:
        raise InputError("(s,S) needs h > 0, p > 0 and K >= 0")
    cc = _SSCost(period, h, p, k, int(lead_time))
    y_star = int(np.argmin(cc.G)) + cc.lo
    if k == 0:
        return SSResult(y_star - 1, y_star, cc.g(y_star))
    s = y_star
    s0 = y_star
    while True:
        s -= 1
        if cc.c(s, s0) <= cc.g(s):
            break
    S0 = s0
    c0 = cc.c(s, S0)
    S = S0 + 1
    while cc.g(S) <= c0:
        if cc.c(s, S) < c0:
            S0 = S
            while cc.c(s, S0) <= cc.g(s + 1):
                s += 1
            c0 = cc.c(s, S0)
        S += 1
    return SSResult(int(s), int(S0), float(c0))


def ss_cost(period: Law, s: int, S: int, h: float, p: float, k: float,
            lead_time: int = 0) -> float:
    """Expected cost per period of a given integer (s, S)."""
    cc = _SSCost(period, h, p, k, int(lead_time))
    return cc.c(int(s), int(S))


@dataclass(frozen=True)
class SSService:
    """Stationary service measures of an integer (s, S) under periodic review."""

    p_order: float
    csl: float
    fill_rate: float
    position: dict[int, float]


def ss_service(period: Law, s: int, S: int, lead_time: int = 0) -> SSService:
    """Order probability, cycle service level and fill rate of (s, S) (backorders).

    The inventory position after ordering is S - d with probability m(d) / M(S - s),
    d = 0..S-s-1 (Zheng and Federgruen 1991); a period is a cycle; the fill rate is
    1 - E[n_{L+1}(y) - n_L(y)] / mu.
    """
    cc = _SSCost(period, 1.0, 1.0, 0.0, int(lead_time))
    n = S - s
    cc._grow(n + 1)
    py = cc.m[:n] / cc.M[n]
    ys = S - np.arange(n)
    prot = Law(period.name, period.mean * (lead_time + 1), period.var * (lead_time + 1))
    base = Law(period.name, period.mean * lead_time, period.var * lead_time)
    csl = float(py @ np.asarray(prot.cdf(ys)))
    short = np.asarray(prot.loss(ys.astype(float))) - (
        np.asarray(base.loss(ys.astype(float))) if lead_time else np.maximum(-ys, 0.0))
    fill = 1.0 - float(py @ short) / period.mean
    return SSService(float(1.0 / cc.M[n]), csl, fill,
                     {int(y): float(p) for y, p in zip(ys, py, strict=True)})
