"""Dynamic lot sizing with time-varying deterministic demand (Wagner and Whitin 1958)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supplylab.errors import InputError


@dataclass(frozen=True)
class LotSizingPlan:
    """Order quantity per period (period 1 first) and total cost (fixed plus holding)."""

    quantities: list[float]
    cost: float


def wagner_whitin(demand: list[float], fixed_cost: float, holding_cost: float) -> LotSizingPlan:
    """Least-cost plan without backorders: an order in period i covers periods i..j, costing
    K + h sum_{t=i}^{j} (t - i) d_t; the O(T^2) shortest path over order periods."""
    d = np.asarray(demand, dtype=float)
    if d.ndim != 1 or np.any(d < 0) or not np.all(np.isfinite(d)):
        raise InputError("lot sizing needs finite demands >= 0, one per period")
    n = d.size
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    pred = np.zeros(n + 1, dtype=int)
    for j in range(1, n + 1):
        for i in range(j):
            cover = d[i:j]
            cost = best[i] + (fixed_cost if cover.sum() > 0 else 0.0) + holding_cost * float(
                cover @ np.arange(j - i))
            if cost < best[j] - 1e-12:
                best[j], pred[j] = cost, i
    q = [0.0] * n
    j = n
    while j > 0:
        i = pred[j]
        q[i] = float(d[i:j].sum())
        j = i
    return LotSizingPlan(q, float(best[n]))
