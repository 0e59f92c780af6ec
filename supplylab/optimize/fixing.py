"""Reduced-cost fixing of sites from a Lagrangian bound (exact: never cuts off a better solution).

At multipliers ``lam`` the bound with site i forced to the other state is
``sum lam + min_y {v(lam) y : sum s y >= D, y_i flipped}``. When it is above the best known
cost, no solution with site i flipped is cheaper than the incumbent, so site i is fixed at its
state in the Lagrangian solution. Costs in currency per year.
"""

from __future__ import annotations

import math

import numpy as np

from supplylab.optimize.lagrangian import FacilityData, LagrangianPoint, bound_with_site

#: relative slack on the comparison with the incumbent (floating-point noise only)
FIX_TOL = 1e-9


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
    for i in np.flatnonzero(data.open_upper & ~data.open_lower):
        state = bool(point.y[i])
        if bound_with_site(data, point, int(i), not state) > cutoff:
            lower[i] = upper[i] = state
    return lower, upper
