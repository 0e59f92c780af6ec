"""Expected content of an order's lines: how often each product appears, and with what quantity.

An order of form (a) has ``K = clip(rint(lines_per_order), 1, n)`` lines of distinct products
drawn by successive sampling (without replacement, proportional to the mix weights; the engine
draws with replacement and skips products the order already has: ``demand.distinct_lines``).
The inclusion probability of product i is not its weight share when K > 1, so promotion cross
effects, which move units between products, need it exactly.

Successive sampling is an exponential race: product j finishes at ``E_j ~ Exp(w_j)`` and the
first K to finish are the lines. So

    pi_i(k) = integral_0^inf  w_i exp(-w_i t) P(N_{-i}(t) <= k - 1) dt,

where ``N_{-i}(t)`` (the others finished by t) is Poisson-binomial with probabilities
``1 - exp(-w_j t)``. It is integrated numerically on a fine grid (leave-one-out distributions by
prefix and suffix products; relative error about 1e-6), then scaled so that
sum_i pi_i(k) = k, which holds exactly.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..scenario.distributions import Constant, Poisson, _Law

GRID = 1200  # integration points
MC_DRAWS = 400_000  # sample size for laws without a closed form (a fixed, private stream)


def _law_pmf(law: _Law, top: int) -> np.ndarray:
    """P(rint(X) = m) for m = 0..top (the last entry holds everything at or above top)."""
    if isinstance(law, Constant):
        out = np.zeros(top + 1)
        out[min(max(int(np.rint(law.mean())), 0), top)] = 1.0
        return out
    if isinstance(law, Poisson):
        return _poisson_pmf(law.mean_, top)
    draws = np.rint(law.sample(np.random.default_rng(20240601), MC_DRAWS))
    draws = np.clip(draws, 0, top).astype(int)
    return np.bincount(draws, minlength=top + 1) / MC_DRAWS


def _poisson_pmf(lam: float, top: int) -> np.ndarray:
    """Poisson(lam) P(M = m) for m < top and P(M >= top) last, in logs (no scipy at start-up)."""
    m = np.arange(top + 1, dtype=float)
    if lam <= 0:
        out = np.zeros(top + 1)
        out[0] = 1.0
        return out
    lg = np.array([math.lgamma(k + 1.0) for k in range(top + 1)])
    out = np.exp(m * math.log(lam) - lam - lg)
    out[top] = max(0.0, 1.0 - float(out[:top].sum()))
    return out


def line_count_pmf(law: _Law, n: int) -> np.ndarray:
    """P(K = k) for k = 0..n, K = clip(rint(X), 1, n) the number of lines of an order."""
    pmf = _law_pmf(law, n)
    pmf[1] += pmf[0]
    pmf[0] = 0.0
    return pmf


def mean_quantity(law: _Law) -> float:
    """E[max(rint(X), 1)]: the mean units of a line (quantities are at least 1)."""
    if isinstance(law, Constant):
        return float(max(np.rint(law.mean()), 1.0))
    top = int(max(50, law.mean() * 20 + 50))
    pmf = _law_pmf(law, top)
    m = np.maximum(np.arange(top + 1), 1).astype(float)
    return float(pmf @ m)


@lru_cache(maxsize=256)
def _inclusion_cached(weights: tuple[float, ...], kpmf: tuple[float, ...]) -> tuple[float, ...]:
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    n = len(w)
    kp = np.asarray(kpmf)
    ks = [k for k in range(1, n + 1) if kp[k] > 0]
    out = np.zeros(n)
    if not ks:
        return tuple(out)
    kmax = min(max(ks), n - 1)
    full = [k for k in ks if k >= n]
    for k in full:  # every product is a line
        out += kp[k]
    partial = [k for k in ks if k < n]
    if partial:
        # time scale: by T nearly every product with weight has finished
        wmin = w[w > 0].min()
        T = 40.0 / wmin
        x = (np.arange(GRID) + 0.5) / GRID
        t = T * x ** 4  # dense near 0, where the first lines finish
        dt = np.gradient(t)
        p = 1.0 - np.exp(-np.outer(w, t))  # (n, GRID): finished by t
        m = kmax  # counts 0..m-1 kept; N >= m is never needed
        prefix = np.zeros((n + 1, GRID, m))
        prefix[0, :, 0] = 1.0
        for j in range(n):
            prev = prefix[j]
            cur = prev * (1.0 - p[j])[:, None]
            cur[:, 1:] += prev[:, :-1] * p[j][:, None]
            prefix[j + 1] = cur
        suffix = np.zeros((GRID, m))
        suffix[:, 0] = 1.0
        dens = w[:, None] * np.exp(-np.outer(w, t))  # (n, GRID)
        cdf_by_k = {}
        for i in range(n - 1, -1, -1):
            a, b = prefix[i], suffix  # distributions of items before / after i
            conv = np.zeros((GRID, m))
            for r in range(m):
                conv[:, r:] += a[:, r:r + 1] * b[:, :m - r]
            cum = np.cumsum(conv, axis=1)  # P(N_{-i} <= c), c = 0..m-1
            for k in partial:
                cdf_by_k.setdefault(k, np.zeros(n))[i] = float(
                    np.sum(dens[i] * cum[:, k - 1] * dt))
            nxt = suffix * (1.0 - p[i])[:, None]
            nxt[:, 1:] += suffix[:, :-1] * p[i][:, None]
            suffix = nxt
        for k in partial:
            pik = cdf_by_k[k]
            pik = pik * (k / pik.sum())  # sum_i pi_i(k) = k exactly
            out += kp[k] * np.minimum(pik, 1.0)
    return tuple(out)


def inclusion(weights: np.ndarray, kpmf: np.ndarray) -> np.ndarray:
    """P(product i is a line of an order) for mix ``weights`` and line-count pmf ``kpmf``."""
    return np.asarray(_inclusion_cached(tuple(np.asarray(weights, float).tolist()),
                                        tuple(np.asarray(kpmf, float).tolist())))
