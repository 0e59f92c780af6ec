"""Confidence intervals for replicated simulation output.

Each replication gives one independent observation of a KPI, so the textbook Student-t interval
applies (Law, *Simulation Modeling and Analysis*, 5th ed., eq. 4.12):

    mean +- t(1 - alpha/2, n - 1) * s / sqrt(n)

Comparisons with common random numbers use the same interval on the per-replication
differences (paired-t, Law eq. 10.1), which is narrower than the unpaired (Welch) interval when
the alternatives are positively correlated through their shared random streams. Non-finite
values (a rate whose denominator was zero) are left out; ``n`` counts the values used.

Reported intervals respect each KPI's range (:func:`kpi_range`: rates in [0, 1], volumes,
times and costs at least 0): the t interval is intersected with the range. The true mean
always lies in the range, so the intersection covers it exactly when the t interval does --
the coverage is unchanged and no bound is impossible (docs/kpis.md, "Intervals").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from .tdist import t_ppf

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval; NaN bounds when ``n < 2``."""

    mean: float
    ci_low: float
    ci_high: float
    half_width: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "half_width": self.half_width, "n": self.n}


@dataclass(frozen=True)
class PairedDifference(Interval):
    """Mean of (alternative - baseline) per replication; ``significant`` if 0 is outside."""

    significant: bool = False

    def as_dict(self) -> dict[str, float | int]:
        return {**super().as_dict(), "significant": self.significant}


#: KPIs that can be negative (margins, profit, lifetime value); rates are in [0, 1]; any
#: other KPI is a volume, time, cost, ratio of non-negative amounts or count: at least 0.
SIGNED_KPIS = frozenset({"profit", "gross_margin", "clv_total"})
UNIT_INTERVAL_KPIS = frozenset({"cycle_service_level"})


def kpi_range(kpi: str) -> tuple[float, float]:
    """The range ``(low, high)`` a KPI's values (and so its mean) lie in."""
    if kpi in SIGNED_KPIS:
        return (-math.inf, math.inf)
    if kpi.endswith("_rate") or kpi in UNIT_INTERVAL_KPIS:
        return (0.0, 1.0)
    return (0.0, math.inf)


def difference_range(kpi: str) -> tuple[float, float]:
    """The range of a difference of two means of ``kpi``: ``[low - high, high - low]``."""
    low, high = kpi_range(kpi)
    return (low - high, high - low)


def clip_interval(iv: Interval, low: float, high: float) -> Interval:
    """``iv`` with its bounds intersected with ``[low, high]`` (mean and half-width kept)."""
    if iv.n < 2:
        return iv
    lo, hi = max(iv.ci_low, low), min(iv.ci_high, high)
    return dataclasses.replace(iv, ci_low=lo, ci_high=hi)


def bounded_interval(values: Iterable[float], kpi: str, level: float = LEVEL) -> Interval:
    """Student-t interval of ``kpi``'s mean, kept inside :func:`kpi_range` of the KPI."""
    return clip_interval(t_interval(values, level), *kpi_range(kpi))


def _finite(values: Iterable[float]) -> np.ndarray:
    arr = np.asarray(list(values), dtype=float)
    return arr[np.isfinite(arr)]


def nan_mean(values: Iterable[float]) -> float:
    """Mean leaving out NaN, as a pandas column's ``mean()`` computes it (the sum with NaN as 0,
    over the count of the others); NaN when nothing is left."""
    a = np.asarray(list(values), dtype=float)
    keep = ~np.isnan(a)
    count = int(keep.sum())
    return float(np.where(keep, a, 0.0).sum()) / float(count) if count else math.nan


def t_quantile(n: int, level: float = LEVEL) -> float:
    """The Student-t quantile t(1 - alpha/2, n - 1) used for a sample of size ``n >= 2``."""
    return t_ppf(0.5 + level / 2.0, n - 1)


def t_interval(values: Iterable[float], level: float = LEVEL) -> Interval:
    """Student-t interval of the mean of independent replications (n=1 -> NaN bounds)."""
    x = _finite(values)
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, math.nan, 1)
    half = t_quantile(n, level) * float(x.std(ddof=1)) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, half, n)


def paired_difference(alternative: Sequence[float], baseline: Sequence[float],
                      level: float = LEVEL, kpi: str | None = None) -> PairedDifference:
    """Paired-t interval of ``alternative[k] - baseline[k]`` (replication k shares streams).

    Pairs where either value is not finite are dropped. ``significant`` is true when the
    interval excludes zero; a difference that is exactly zero in every pair is never
    significant. With ``kpi`` the bounds are kept inside :func:`difference_range` (which
    never changes whether zero is inside).
    """
    if len(alternative) != len(baseline):
        raise ValueError(f"paired samples differ in size: {len(alternative)} != {len(baseline)}")
    a = np.asarray(alternative, dtype=float)
    b = np.asarray(baseline, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    iv = t_interval(a[ok] - b[ok], level)
    if kpi is not None:
        iv = clip_interval(iv, *difference_range(kpi))
    significant = bool(iv.n >= 2 and (iv.ci_low > 0.0 or iv.ci_high < 0.0))
    return PairedDifference(iv.mean, iv.ci_low, iv.ci_high, iv.half_width, iv.n, significant)


def unpaired_difference(alternative: Sequence[float], baseline: Sequence[float],
                        level: float = LEVEL) -> PairedDifference:
    """Welch interval of mean(alternative) - mean(baseline), ignoring any pairing.

    Given for contrast with :func:`paired_difference`: what the comparison would cost without
    common random numbers (Law eq. 10.2, Welch-Satterthwaite degrees of freedom).
    """
    a, b = _finite(alternative), _finite(baseline)
    n = int(min(a.size, b.size))
    mean = float(a.mean() - b.mean()) if a.size and b.size else math.nan
    if a.size < 2 or b.size < 2:
        return PairedDifference(mean, math.nan, math.nan, math.nan, n, False)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0.0:
        return PairedDifference(mean, mean, mean, 0.0, n, mean != 0.0)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = t_ppf(0.5 + level / 2.0, df) * se
    return PairedDifference(mean, mean - half, mean + half, half, n,
                            bool(mean - half > 0.0 or mean + half < 0.0))


def replications_needed(values: Sequence[float], half_width: float,
                        level: float = LEVEL, cap: int = 1_000_000) -> int:
    """Smallest n whose interval half-width would reach ``half_width`` at the current spread.

    The usual sequential estimate n* = min{i >= n : t(i) * s / sqrt(i) <= h} (Law eq. 9.3);
    at least 2, at least the current n, at most ``cap``.
    """
    x = _finite(values)
    n = max(int(x.size), 2)
    if x.size < 2:
        return n
    s = float(x.std(ddof=1))
    if s == 0.0:
        return n
    # t > z, so the normal-theory size is a lower bound to start the search from.
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    i = max(n, math.ceil((z * s / half_width) ** 2))
    if i > cap:
        return cap
    while i < cap and t_quantile(i, level) * s / math.sqrt(i) > half_width:
        i += 1
    return i


def precision_shortfall(values_by_kpi: Mapping[str, Sequence[float]],
                        targets: Mapping[str, float], level: float = LEVEL) -> dict[str, float]:
    """KPIs whose half-width is still above its target, mapped to the current half-width.

    A KPI with fewer than two finite values has a NaN half-width and counts as not reached.
    """
    short: dict[str, float] = {}
    for kpi, target in targets.items():
        hw = t_interval(values_by_kpi.get(kpi, ()), level).half_width
        if not hw <= target:
            short[kpi] = hw
    return short
