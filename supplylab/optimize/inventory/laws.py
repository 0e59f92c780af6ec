"""Demand laws over a protection interval, with the first- and second-order loss functions.

A law describes the demand X over a protection interval (lead time plus review period), in units.
Every law offers ``cdf(x) = P(X <= x)``, ``loss(x) = E[(X - x)+]`` (expected units short when
``x`` units are available) and ``quantile(p)``. Discrete laws (Poisson, negative binomial) are
exact on the integers; normal and gamma are the continuous approximations used when demand is
smooth. Loss functions are the tool of fill-rate targets (Hadley and Whitin 1963; FoSCT App. C).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from scipy import special, stats

from supplylab.errors import InputError

LawName = Literal["poisson", "negbin", "normal", "gamma"]


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _pdf(z: float | np.ndarray) -> float | np.ndarray:
    return _INV_SQRT_2PI * np.exp(-0.5 * np.asarray(z, dtype=float) ** 2)


def std_normal_loss(z: float | np.ndarray) -> float | np.ndarray:
    """Standard normal loss L(z) = E[(Z - z)+] = phi(z) - z (1 - Phi(z))."""
    return _pdf(z) - z * special.ndtr(-np.asarray(z, dtype=float))


def std_normal_loss2(z: float | np.ndarray) -> float | np.ndarray:
    """Second-order standard normal loss L2(z) = 0.5 E[((Z - z)+)^2]
    = 0.5 [(z^2 + 1)(1 - Phi(z)) - z phi(z)]."""
    return 0.5 * ((z * z + 1.0) * stats.norm.sf(z) - z * stats.norm.pdf(z))


@dataclass(frozen=True)
class Law:
    """Demand over a protection interval: a named law with its mean and variance (units, units^2).

    ``negbin`` needs variance > mean; ``poisson`` uses the mean only (variance = mean).
    """

    name: LawName
    mean: float
    var: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.var)):
            raise InputError(f"{self.name} demand needs a finite mean and variance")
        if self.mean < 0 or self.var < 0:
            raise InputError(f"{self.name} demand needs mean >= 0 and variance >= 0, got "
                             f"{self.mean:g} and {self.var:g}")
        if self.name == "negbin" and self.var <= self.mean:
            raise InputError("negative-binomial demand needs variance > mean "
                             f"(got {self.var:g} <= {self.mean:g}); use poisson")

    @property
    def sd(self) -> float:
        return math.sqrt(self.var)

    @property
    def discrete(self) -> bool:
        return self.name in ("poisson", "negbin")

    def _dist(self):  # noqa: ANN202 - a frozen scipy distribution
        m, v = self.mean, self.var
        if self.name == "poisson":
            return stats.poisson(m)
        if self.name == "negbin":
            p = m / v
            return stats.nbinom(m * p / (1.0 - p), p)
        if self.name == "gamma":
            if m == 0:
                return stats.norm(0.0, 0.0)
            return stats.gamma(m * m / v, scale=v / m) if v > 0 else stats.norm(m, 0.0)
        return stats.norm(m, math.sqrt(v))

    @cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """Discrete laws: P(X <= k) and E[(X - k)+] for k = 0..top (top past all mass)."""
        top = int(math.ceil(self.mean + 14.0 * self.sd + 20.0))
        k = np.arange(top + 1, dtype=float)
        lf = _log_factorials(top)
        if self.mean == 0:
            logpmf = np.where(k == 0, 0.0, -np.inf)
        elif self.name == "poisson":
            logpmf = k * math.log(self.mean) - self.mean - lf
        else:
            p = self.mean / self.var
            r = self.mean * p / (1.0 - p)
            logpmf = (special.gammaln(k + r) - special.gammaln(r) - lf + r * math.log(p)
                      + k * math.log1p(-p))
        cdf = np.minimum(np.cumsum(np.exp(logpmf)), 1.0)
        loss = self.mean - k + np.concatenate([[0.0], np.cumsum(cdf[:-1])])
        return cdf, np.maximum(loss, 0.0)

    def cdf(self, x: float | np.ndarray) -> float | np.ndarray:
        """P(X <= x)."""
        x = np.asarray(x, dtype=float)
        if self.var == 0 and self.name in ("normal", "gamma"):
            return np.where(x >= self.mean, 1.0, 0.0)
        if self.name == "normal":
            return special.ndtr((x - self.mean) / self.sd)
        if self.name == "gamma":
            a, scale = self.mean ** 2 / self.var, self.var / self.mean
            return special.gammainc(a, np.maximum(x, 0.0) / scale)
        return _table_cdf(self._table[0], x)

    def quantile(self, p: float) -> float:
        """The smallest x with P(X <= x) >= p (an integer for discrete laws)."""
        if self.var == 0 and self.name in ("normal", "gamma"):
            return self.mean
        if self.discrete:
            cdf, _ = self._table
            return float(min(int(np.searchsorted(cdf, p - 1e-15)), cdf.size - 1))
        return float(self._dist().ppf(p))

    def loss(self, x: float | np.ndarray) -> float | np.ndarray:
        """E[(X - x)+], units."""
        x = np.asarray(x, dtype=float)
        if self.name == "normal":
            if self.var == 0:
                return np.maximum(self.mean - x, 0.0)
            return self.sd * std_normal_loss((x - self.mean) / self.sd)
        if self.name == "gamma":
            if self.var == 0 or self.mean == 0:
                return np.maximum(self.mean - x, 0.0)
            a, scale = self.mean ** 2 / self.var, self.var / self.mean
            xp = np.maximum(x, 0.0) / scale
            # E[(X-x)+] = mean P(Gamma(a+1) > x) - x P(Gamma(a) > x), for x >= 0
            out = self.mean * special.gammaincc(a + 1, xp) - xp * scale * special.gammaincc(a, xp)
            return np.where(x < 0, self.mean - x, out)
        return self._discrete_loss(x)

    def _discrete_loss(self, x: np.ndarray) -> np.ndarray:
        """Integer-valued X: E[(X - n)+] from the table at n = floor(x), linear in between."""
        cdf, loss = self._table
        return _table_loss(cdf, loss, self.mean, x)

    def loss_array(self, top: int) -> np.ndarray:
        """E[(X - y)+] for y = 0..top (discrete laws), units."""
        return np.asarray(self._discrete_loss(np.arange(top + 1, dtype=float)))

    def pmf_array(self, top: int) -> np.ndarray:
        """P(X = k) for k = 0..top (discrete laws)."""
        return self._dist().pmf(np.arange(top + 1))

    def upper(self, eps: float = 1e-12) -> int:
        """An integer above which the probability mass is below ``eps``."""
        if self.var == 0:
            return int(math.ceil(self.mean)) + 1
        return int(self._dist().isf(eps)) + 2 if self.discrete else int(
            math.ceil(self.mean + 8 * self.sd)) + 2


_LOG_FACT = np.zeros(1)


def _log_factorials(top: int) -> np.ndarray:
    """log k! for k = 0..top (a module table grown on demand)."""
    global _LOG_FACT
    if _LOG_FACT.size <= top:
        _LOG_FACT = special.gammaln(np.arange(2 * top + 2, dtype=float) + 1.0)
    return _LOG_FACT[:top + 1]


def _table_cdf(cdf: np.ndarray, x: float | np.ndarray) -> np.ndarray:
    """P(X <= x) of an integer law from its table P(X <= k), k = 0..top."""
    k = np.floor(np.asarray(x, dtype=float)).astype(np.int64)
    return np.where(k < 0, 0.0, np.where(k >= cdf.size, 1.0, cdf[np.clip(k, 0, cdf.size - 1)]))


def _table_loss(cdf: np.ndarray, loss: np.ndarray, mean: float, x: np.ndarray) -> np.ndarray:
    """E[(X - x)+] of an integer law from its tables, linear between integers."""
    n = np.floor(x)
    top = loss.size - 1
    ni = np.clip(n, 0, top).astype(np.int64)
    at_n = np.where(n < 0, mean - n, np.where(n > top, 0.0, loss[ni]))
    sf = np.where(n < 0, 1.0, np.where(n > top, 0.0, 1.0 - cdf[ni]))
    return at_n - (x - n) * sf


def law_for(name: LawName | str, mean: float, var: float) -> Law:
    """A law by name, falling back where the moments do not allow it (negbin with var <= mean
    becomes poisson)."""
    if name not in ("poisson", "negbin", "normal", "gamma"):
        raise InputError(f"unknown demand law {name!r}: use poisson, negbin, normal or gamma")
    if name == "negbin" and var <= mean:
        name = "poisson"
    return Law(name, float(mean), float(mean if name == "poisson" else var))  # type: ignore[arg-type]


class Mixture:
    """An equal-weight mixture of laws: demand over a random lead time, one component per
    stratum of the lead-time distribution (conditionally on L the demand law is exact)."""

    def __init__(self, parts: list[Law]) -> None:
        if not parts:
            raise ValueError("a mixture needs at least one law")
        self.parts = parts
        self.name = parts[0].name
        self.mean = float(np.mean([p.mean for p in parts]))
        second = float(np.mean([p.var + p.mean ** 2 for p in parts]))
        self.var = max(second - self.mean ** 2, 0.0)
        self.discrete = all(p.discrete for p in parts)
        self._tab: tuple[np.ndarray, np.ndarray] | None = None
        if self.discrete:
            top = max(p._table[0].size for p in parts)
            cdf = np.ones((len(parts), top))
            loss = np.zeros((len(parts), top))
            for i, p in enumerate(parts):
                c, lo = p._table
                cdf[i, :c.size] = c
                loss[i, :lo.size] = lo
            self._tab = (cdf.mean(axis=0), loss.mean(axis=0))

    @property
    def sd(self) -> float:
        return math.sqrt(self.var)

    def cdf(self, x: float | np.ndarray) -> float | np.ndarray:
        if self._tab is not None:
            return _table_cdf(self._tab[0], x)
        return np.mean([np.asarray(p.cdf(x), dtype=float) for p in self.parts], axis=0)

    def loss(self, x: float | np.ndarray) -> float | np.ndarray:
        if self._tab is not None:
            return _table_loss(self._tab[0], self._tab[1], self.mean, np.asarray(x, float))
        return np.mean([np.asarray(p.loss(x), dtype=float) for p in self.parts], axis=0)

    def quantile(self, prob: float) -> float:
        """The smallest x (an integer for discrete parts) with P(X <= x) >= prob."""
        lo = min(p.quantile(prob) for p in self.parts)
        hi = max(p.quantile(prob) for p in self.parts)
        if self.discrete:
            a, b = int(math.floor(lo)), int(math.ceil(hi))
            while b - a > 1:
                mid = (a + b) // 2
                if float(self.cdf(mid)) >= prob:
                    b = mid
                else:
                    a = mid
            return float(a if float(self.cdf(a)) >= prob else b)
        if hi - lo < 1e-12:
            return lo
        from scipy import optimize

        return float(optimize.brentq(lambda x: float(self.cdf(x)) - prob, lo, hi, xtol=1e-9))
