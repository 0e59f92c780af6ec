"""Classification of products and customers: ABC (Pareto on value), XYZ (demand variability)
and the demand pattern of Syntetos, Boylan and Croston (2005).

Demand patterns use the average inter-demand interval ADI (periods between non-zero demands) and
the squared coefficient of variation CV^2 of the non-zero demand sizes, cut at ADI = 1.32 and
CV^2 = 0.49: smooth (both low), erratic (CV^2 high), intermittent (ADI high), lumpy (both high).
Each pattern picks the law of the lead-time demand (docs/inventory.md): smooth -> normal,
erratic -> gamma, intermittent -> Poisson (negative binomial when over-dispersed), lumpy ->
negative binomial.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

ADI_CUT = 1.32
CV2_CUT = 0.49
ABC_SHARES = (0.80, 0.95)


def abc_classes(values: Mapping[str, float], cuts: tuple[float, float] = ABC_SHARES
                ) -> dict[str, str]:
    """A/B/C by Pareto on value: the items making the first 80% of the total are A, up to 95%
    B, the rest C (an item is classed by the cumulative share *before* it, so the largest item
    is always A)."""
    total = sum(max(v, 0.0) for v in values.values())
    out: dict[str, str] = {}
    acc = 0.0
    for key in sorted(values, key=lambda k: (-values[k], k)):
        share = acc / total if total > 0 else 1.0
        out[key] = "A" if share < cuts[0] else "B" if share < cuts[1] else "C"
        acc += max(values[key], 0.0)
    return out


def xyz_class(cv: float, cuts: tuple[float, float] = (0.5, 1.0)) -> str:
    """X (steady, CV < 0.5), Y (CV < 1.0) or Z (erratic) from the coefficient of variation of
    demand per period."""
    if not math.isfinite(cv):
        return "Z"
    return "X" if cv < cuts[0] else "Y" if cv < cuts[1] else "Z"


def demand_pattern(adi: float, cv2: float) -> str:
    """smooth / erratic / intermittent / lumpy (Syntetos-Boylan-Croston cut-offs)."""
    if adi < ADI_CUT:
        return "smooth" if cv2 < CV2_CUT else "erratic"
    return "intermittent" if cv2 < CV2_CUT else "lumpy"


def series_pattern(demand: Sequence[float]) -> tuple[float, float, str]:
    """(ADI, CV^2, pattern) of a demand history (one value per period)."""
    x = np.asarray(demand, dtype=float)
    nz = x[x > 0]
    if nz.size == 0:
        return math.inf, math.nan, "none"
    adi = x.size / nz.size
    cv2 = float(nz.var() / nz.mean() ** 2) if nz.size > 1 else 0.0
    return adi, cv2, demand_pattern(adi, cv2)


def flow_pattern(mean: float, var: float, lines_per_day: float,
                 daily: bool = False) -> tuple[float, float, str]:
    """(ADI, CV^2, pattern) of compound-Poisson daily demand: lines arrive at ``lines_per_day``
    (P(no demand in a day) = exp(-rate)), sizes have E[q] = mean/rate, E[q^2] = var/rate.
    ``daily``: some customer orders every day, so ADI = 1."""
    if mean <= 0 or lines_per_day <= 0:
        return math.inf, math.nan, "none"
    adi = 1.0 if daily else 1.0 / (1.0 - math.exp(-lines_per_day))
    eq, eq2 = mean / lines_per_day, var / lines_per_day
    cv2 = max(eq2 / eq ** 2 - 1.0, 0.0)
    return adi, cv2, demand_pattern(adi, cv2)


def law_for_pattern(pattern: str, mean: float, var: float) -> str:
    """The lead-time-demand law chosen for a demand pattern."""
    if pattern == "smooth":
        return "normal"
    if pattern == "erratic":
        return "gamma"
    if pattern == "intermittent" and var <= 1.05 * mean:
        return "poisson"
    return "negbin" if var > mean else "poisson"
