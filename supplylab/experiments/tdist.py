"""Student's t distribution without scipy: the CDF and its quantile, for intervals.

The interval code needs t(1 - alpha/2, df) for a handful of degrees of freedom per command;
importing ``scipy.stats`` for it costs about 0.8 CPU-s at start-up, more than a short run.
The CDF is the regularised incomplete beta function (Abramowitz & Stegun 26.7.1, 26.5.8),
evaluated by Lentz's continued fraction (Numerical Recipes, 3rd ed., section 6.4) to about
1e-14; the quantile inverts it by safeguarded Newton steps from the Cornish-Fisher start.
``tests/experiments/test_tdist.py`` checks both against scipy over df 0.5 .. 1e6.
"""

from __future__ import annotations

import math
from statistics import NormalDist

_EPS = 1e-15
_TINY = 1e-300


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function I_x(a, b) (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def _betai(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b) for 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                + a * math.log(x) + b * math.log1p(-x))
    front = math.exp(ln_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df > 0`` degrees of freedom."""
    if df <= 0 or not math.isfinite(df):
        raise ValueError(f"degrees of freedom must be positive and finite, got {df!r}")
    if t == 0.0:
        return 0.5
    t2 = t * t
    if t2 < df:  # near the centre: P(|T| < |t|) = I_y(1/2, df/2), y = t^2 / (df + t^2)
        half = 0.5 * _betai(0.5, 0.5 * df, t2 / (df + t2))
        return 0.5 + half if t > 0 else 0.5 - half
    tail = 0.5 * _betai(0.5 * df, 0.5, df / (df + t2))
    return 1.0 - tail if t > 0 else tail


def _t_pdf(t: float, df: float) -> float:
    ln = (math.lgamma(0.5 * (df + 1.0)) - math.lgamma(0.5 * df) - 0.5 * math.log(df * math.pi)
          - 0.5 * (df + 1.0) * math.log1p(t * t / df))
    return math.exp(ln)


def t_ppf(p: float, df: float) -> float:
    """The p-quantile of Student's t with ``df > 0`` degrees of freedom (0 < p < 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {p!r}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_ppf(1.0 - p, df)
    if df == 1.0:
        return math.tan(math.pi * (p - 0.5))
    if df == 2.0:
        return (2.0 * p - 1.0) / math.sqrt(2.0 * p * (1.0 - p))
    z = NormalDist().inv_cdf(p)
    # Cornish-Fisher start (A&S 26.7.5); good for df >= 3, a bracket keeps Newton safe below
    g1 = (z**3 + z) / 4.0
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96.0
    x = z + g1 / df + g2 / df**2 if df >= 3 else z
    lo, hi = 0.0, max(2.0 * x, 1.0)
    while t_cdf(hi, df) < p:
        lo, hi = hi, 2.0 * hi
    x = min(max(x, lo), hi)
    for _ in range(100):
        f = t_cdf(x, df) - p
        if f > 0:
            hi = x
        else:
            lo = x
        step = f / _t_pdf(x, df)
        nxt = x - step
        if not lo < nxt < hi:
            nxt = 0.5 * (lo + hi)
        if abs(nxt - x) <= 1e-13 * max(1.0, abs(x)):
            return nxt
        x = nxt
    return x
