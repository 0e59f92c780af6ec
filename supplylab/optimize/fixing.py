"""Reduced-cost fixing of sites from a Lagrangian bound (exact: never cuts off a better solution).

At multipliers ``lam`` the bound with site i forced to the other state is
``sum lam + min_y {v(lam) y : sum s y >= D, y_i flipped}``. When it is above the best known
cost, no solution with site i flipped is cheaper than the incumbent, so site i is fixed at its
state in the Lagrangian solution.

Single-source arcs: forcing ``x_ij = 1`` opens i and puts j in its knapsack, whose value is then
at least ``c_ij - lam_j + K_i(s_i - d_j)`` (``K_i(r)``: the knapsack's least value within weight
r, read from its DP table, j allowed too, hence a lower bound). With ``C_i`` the covering value
with i forced open, ``sum lam + C_i - K_i(s_i) + c_ij - lam_j + K_i(s_i - d_j)`` bounds every
solution using the arc; above the incumbent, the arc is removed. Costs in currency per year.
"""

from __future__ import annotations

import math

import numpy as np

from supplylab.optimize.knapsack import knapsack_table
from supplylab.optimize.lagrangian import FacilityData, LagrangianPoint, bound_with_site

#: relative slack on the comparison with the incumbent (floating-point noise only)
FIX_TOL = 1e-9


def flip_bounds(data: FacilityData, point: LagrangianPoint) -> np.ndarray:
    """Per site, ``L(lam)`` at the point's multipliers with the site flipped from its state in
    ``point.y`` (forced closed if open there, open if closed); ``-inf`` for sites already fixed.
    """
    out = np.full(data.m, -np.inf)
    for i in np.flatnonzero(data.open_upper & ~data.open_lower):
        out[i] = bound_with_site(data, point, int(i), not bool(point.y[i]))
    return out


def fix_sites(data: FacilityData, point: LagrangianPoint,
              upper_bound: float) -> tuple[np.ndarray, np.ndarray]:
    """New (open_lower, open_upper) with every provably decided free site fixed.

    A site open in ``point.y`` whose closing bound exceeds ``upper_bound`` is fixed open; a
    closed one whose opening bound exceeds it is fixed closed. Sites already fixed keep their
    bounds. With no finite upper bound nothing is fixed.
    """
    lower, upper = data.open_lower.copy(), data.open_upper.copy()
    if not math.isfinite(upper_bound):
        return lower, upper
    cutoff = upper_bound + FIX_TOL * max(abs(upper_bound), 1.0)
    fix = flip_bounds(data, point) > cutoff
    lower[fix] = upper[fix] = point.y[fix]
    return lower, upper


def arc_bounds(data: FacilityData, point: LagrangianPoint) -> np.ndarray:
    """Single source: per arc (m, n), the lower bound on every solution using it (see above).

    ``-inf`` (no information) on arcs of sites whose knapsack has no exact table (fractional
    data) and for customers of zero demand; ``inf`` where the demand exceeds the capacity or
    the arc is forbidden or its site fixed closed.
    """
    out = np.where(np.isfinite(data.cost), -np.inf, np.inf)
    base = float(point.lam.sum())
    cover_now = point.bound - base
    reduced = data.cost - point.lam[None, :]
    d = data.demand
    out[~data.open_upper] = np.inf
    for i in np.flatnonzero(data.open_upper):
        value, _, table = knapsack_table(reduced[i], d, float(data.capacity[i]))
        if table is None:
            continue
        cover = cover_now if point.y[i] else bound_with_site(data, point, int(i), True) - base
        room = data.capacity[i] - d
        ok = room >= 0
        at = np.where(ok, np.round(room), 0).astype(np.int64)
        arc = base + cover - value + reduced[i] + np.where(ok, table[at], np.inf)
        arc = np.where(d <= 0, -np.inf, arc)
        out[i] = np.where(np.isfinite(data.cost[i]) & ok, arc, np.inf)
    return out


def fix_arcs(data: FacilityData, point: LagrangianPoint, upper_bound: float) -> np.ndarray:
    """Single source: boolean (m, n) mask of the arcs that may still be used (see above).

    Arcs of sites whose knapsack has no exact table (fractional data) are all kept, as are
    customers of zero demand; arcs whose demand exceeds the site's capacity are removed.
    """
    keep = np.isfinite(data.cost)
    if not data.single_source or not math.isfinite(upper_bound):
        return keep
    cutoff = upper_bound + FIX_TOL * max(abs(upper_bound), 1.0)
    return keep & (arc_bounds(data, point) <= cutoff)


def count_window(data: FacilityData, point: LagrangianPoint,
                 upper_bound: float) -> tuple[int, int]:
    """Range (k_min, k_max) of open-site counts that may still beat the incumbent.

    A network of exactly k open sites S costs at least ``sum lam + sum_{i in S} v_i``, hence at
    least ``L_k = sum lam + (v of the fixed-open sites) + (the k - #fixed smallest other v)``;
    counts with ``L_k`` above the incumbent are excluded (L_k is convex in k, so the rest is an
    interval), as are counts whose largest capacities cannot cover the demand.
    """
    lo, up = data.open_lower, data.open_upper
    n_lo, n_up = int(lo.sum()), int(up.sum())
    caps = np.sort(np.where(up & ~lo, data.capacity, 0.0))[::-1]
    fixed_cap = float(data.capacity[lo].sum())
    reach = fixed_cap + np.concatenate([[0.0], np.cumsum(caps[:n_up - n_lo])])
    k_first = n_lo + int(np.argmax(reach >= data.total_demand * (1 - 1e-12))) \
        if (reach >= data.total_demand * (1 - 1e-12)).any() else n_up
    if not math.isfinite(upper_bound):
        return k_first, n_up
    cutoff = upper_bound + FIX_TOL * max(abs(upper_bound), 1.0)
    others = np.sort(point.v[up & ~lo])
    values = float(point.lam.sum()) + float(point.v[lo].sum()) + np.concatenate(
        [[0.0], np.cumsum(others)])
    ok = np.flatnonzero(values <= cutoff) + n_lo
    ok = ok[ok >= k_first]
    if ok.size == 0:
        return k_first, n_up
    return int(ok.min()), int(ok.max())
