"""Valid rows for the facility-location MIP, added through the model hook.

* ``capacity_cover``: ``sum_k s_k z_k >= D`` (the open capacity covers the total demand);
* ``site_minimum``: ``sum_k z_k >= ceil(D / max_k s_k)`` (at least that many sites open);
* ``site_window`` (from :func:`~supplylab.optimize.fixing.count_window`): the open-site counts
  that can still beat the incumbent.

Both hold for every feasible solution with finite capacities (each customer's demand is met
and each site serves at most its capacity), so they never change the optimum; they tighten the
LP bound that HiGHS branches on. Capacities and demand in units per year.
"""

from __future__ import annotations

import math

import numpy as np

from supplylab.optimize.formulation import BuildContext
from supplylab.optimize.linear import INF, LinearModel
from supplylab.optimize.problem import Hook


def add_valid_rows(model: LinearModel, ctx: BuildContext) -> None:
    """Add the ``capacity_cover`` and ``site_minimum`` rows (skipped if a capacity is infinite)."""
    cap = ctx.level_capacity
    total = float(ctx.problem.demand.sum())
    if cap.size == 0 or not np.isfinite(cap).all() or total <= 0:
        return
    k = len(ctx.z)
    model.add_rows("capacity_cover", np.zeros(k), ctx.z, cap, total, INF, nrows=1)
    least = math.ceil(total / float(cap.max()) - 1e-9)
    if least > 1:
        model.add_rows("site_minimum", np.zeros(k), ctx.z, 1.0, float(least), INF, nrows=1)


def valid_rows(window: tuple[int, int] | None = None) -> Hook:
    """A model hook adding :func:`add_valid_rows` and, if given, ``k_min <= sum z <= k_max``.

    The window is valid only as "nothing outside it beats the incumbent it was computed with",
    so the caller reports bounds accordingly.
    """
    def hook(model: LinearModel, ctx: BuildContext) -> None:
        add_valid_rows(model, ctx)
        if window is not None:
            model.add_rows("site_window", np.zeros(len(ctx.z)), ctx.z, 1.0, float(window[0]),
                           float(window[1]), nrows=1)
    return hook
