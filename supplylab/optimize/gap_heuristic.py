"""Lagrangian heuristic for the single-source assignment of a fixed site set (a generalised
assignment problem, GAP), in numpy and independent of any MIP solver's random seed.

For the open sites ``T`` of a candidate network the cheapest single-source assignment is

    min sum_ij c_ij x_ij  s.t.  sum_i x_ij = 1 (each customer j),
                                sum_j d_j x_ij <= s_i (each site i), x binary.

Relaxing the assignment rows with multipliers ``u_j`` leaves one 0-1 knapsack per site
(:func:`~supplylab.optimize.knapsack.binary_knapsacks`), whose value plus ``sum_j u_j`` is a
lower bound on the GAP (the same subproblems as the facility-location Lagrangian of
:mod:`~supplylab.optimize.lagrangian` with the sites fixed, so its multipliers are a warm
start). Each subgradient step (Polyak, towards the cutoff or the best assignment found) also
gives a primal candidate: a customer taken by several knapsacks keeps its cheapest, one taken
by none is placed by regret (ejecting one customer when nothing fits,
:func:`~supplylab.optimize.assignment.place_customer`), and the result is improved by shift,
swap and ejection-chain moves (:func:`~supplylab.optimize.assignment.improve_assignment`).

Why: HiGHS finds a solution of these tightly filled GAPs under a cutoff or not depending on its
random seed (Yang p6's better site set: 1 of 3 seeds in 8 s), and its 1 s screen leaves most
of them unsettled; this heuristic gives a second, deterministic chance and its own bound.
Costs in currency per year, demand and capacity in units per year.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from supplylab.optimize.assignment import improve_assignment, place_customer
from supplylab.optimize.knapsack import binary_knapsacks

#: subgradient step factor at the start, halved after PATIENCE steps without a better bound
MU0 = 1.0
PATIENCE = 5
MU_MIN = 1e-3


@dataclass(frozen=True)
class GapResult:
    """The cheapest assignment found (``value``, allocation cost only; inf if none) as the
    site row of each customer (``assign`` (n,), indices into the rows of ``cost``), the best
    Lagrangian lower bound on the allocation cost (``bound``) and the steps run."""

    value: float
    assign: np.ndarray | None
    bound: float
    iterations: int


def repair(cost: np.ndarray, demand: np.ndarray, capacity: np.ndarray,
           taken: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """A feasible assignment from the knapsack solutions ``taken`` (sites x n, bool): (site
    row per customer, capacity left per site), or None when some customer cannot be placed.

    A customer in several knapsacks keeps the cheapest of them (dropping it from the others
    only frees room); the uncovered ones are placed by decreasing regret (second cheapest
    minus cheapest allowed site) and demand, then the assignment is improved by local moves.
    """
    k, n = cost.shape
    a = np.full(n, -1)
    res = capacity.astype(float).copy()
    cov = taken.any(axis=0)
    if cov.any():
        a[cov] = np.argmin(np.where(taken[:, cov], cost[:, cov], np.inf), axis=0)
        np.subtract.at(res, a[cov], demand[cov])
    rest = np.flatnonzero(~cov)
    if rest.size:
        srt = np.sort(cost[:, rest], axis=0)
        regret = srt[1] - srt[0] if k > 1 else np.zeros(rest.size)
        regret = np.where(np.isfinite(regret), regret, 1e300)
        for j in rest[np.lexsort((-demand[rest], -regret))]:
            if not place_customer(cost, demand, res, a, int(j)):
                return None
    improve_assignment(cost, demand, res, a)
    return a, res


def lagrangian_gap(cost: np.ndarray, demand: np.ndarray, capacity: np.ndarray,
                   lam0: np.ndarray | None = None, *, cutoff: float = math.inf,
                   time_limit_s: float = 1.0, max_iter: int = 200,
                   stop_below: bool = False) -> GapResult:
    """Lagrangian heuristic for the GAP of ``cost`` (sites x n, inf = forbidden arc),
    ``demand`` (n,) and ``capacity`` (sites,); see the module docstring.

    ``lam0``: starting multipliers (default: each customer's cheapest cost, every reduced
    cost >= 0); ``cutoff``: only assignments below it matter, so the search stops as soon as
    its bound reaches it (nothing cheaper exists) and, with ``stop_below``, as soon as an
    assignment below it is found. Also stops when bound and best assignment meet, the step
    factor falls below :data:`MU_MIN`, or at ``max_iter`` steps or ``time_limit_s``.
    """
    t_end = time.perf_counter() + time_limit_s
    n = demand.shape[0]
    cols = np.arange(n)
    finite = np.isfinite(cost)
    if not finite.any(axis=0).all() or float(capacity.sum()) < float(demand.sum()) * (1 - 1e-12):
        return GapResult(math.inf, None, math.inf, 0)
    lam = (np.where(finite, cost, np.inf).min(axis=0) if lam0 is None
           else np.asarray(lam0, dtype=float).copy())
    best_v, best_a, best_b = math.inf, None, -math.inf
    mu, stall, it = MU0, 0, 0
    best_lam = lam
    while it < max_iter:
        it += 1
        val, taken = binary_knapsacks(cost - lam[None, :], demand, capacity)
        bound = float(lam.sum() + val.sum())
        if it == 1 or bound > best_b + 1e-12 * max(abs(best_b), 1.0):
            best_b, best_lam, stall = bound, lam, 0
        else:
            stall += 1
        got = repair(cost, demand, capacity, taken)
        if got is not None:
            v = float(cost[got[0], cols].sum())
            if v < best_v:
                best_v, best_a = v, got[0].copy()
        target = min(best_v, cutoff)
        if best_b >= target - 1e-9 * max(abs(target), 1.0) or \
                (stop_below and best_v < cutoff) or time.perf_counter() >= t_end:
            break
        if stall >= PATIENCE:
            mu, stall = mu / 2.0, 0
            lam = best_lam
            if mu < MU_MIN:
                break
            continue
        g = 1.0 - taken.sum(axis=0)
        norm = float(g @ g)
        if norm <= 0.0:  # every customer in exactly one knapsack: that assignment is optimal
            break
        if not math.isfinite(target):
            target = bound + 0.01 * max(abs(bound), 1.0)
        lam = lam + mu * max(target - bound, 1e-9 * max(abs(target), 1.0)) / norm * g
    return GapResult(best_v, best_a, best_b, it)
