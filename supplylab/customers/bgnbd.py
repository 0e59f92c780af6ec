"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, Marketing Science 24(2)).

While alive, a customer buys as a Poisson process of rate lambda ~ Gamma(r, alpha); after each
purchase they drop out with probability p ~ Beta(a, b). From each customer's (x, t_x, T) it gives
the probability of being alive and the expected purchases in a future window. Equation numbers
refer to the paper; times are in whatever unit the summary uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .history import CustomerSummary


@dataclass(frozen=True)
class BGNBD:
    """Fitted BG/NBD parameters (r, alpha: purchase rate; a, b: dropout) and the fit's log-lik."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")

    def p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """P(alive | x, t_x, T), eq. (13) of the paper's technical note: 1 when x = 0."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        ratio = np.where(x > 0, self.a / np.maximum(self.b + x - 1.0, 1e-300)
                         * np.exp((self.r + x) * (np.log(self.alpha + T)
                                                  - np.log(self.alpha + t_x))), 0.0)
        return 1.0 / (1.0 + ratio)

    def expected_purchases(self, t: float) -> float:
        """E[X(t)] for a new customer over a window of length t, eq. (7)."""
        z = t / (self.alpha + t)
        hyp = special.hyp2f1(self.r, self.b, self.a + self.b - 1.0, z)
        return float((self.a + self.b - 1.0) / (self.a - 1.0)
                     * (1.0 - (self.alpha / (self.alpha + t)) ** self.r * hyp))

    def conditional_expected_purchases(self, t: float, x: np.ndarray, t_x: np.ndarray,
                                       T: np.ndarray) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] of a customer so far, eq. (10)."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        num = (a + b + x - 1.0) / (a - 1.0) * (1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                                               * hyp)
        ratio = np.where(x > 0, a / np.maximum(b + x - 1.0, 1e-300)
                         * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        return num / (1.0 + ratio)


def log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood of (r, alpha, a, b), eq. (6), in log-sum-exp form."""
    r, alpha, a, b = params
    ln_a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    ln_a2 = (special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b)
             - special.gammaln(a + b + x))
    ln_a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        ln_a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300))
                         - (r + x) * np.log(alpha + t_x), -np.inf)
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


def fit_bgnbd(summary: CustomerSummary | None = None, *, x: np.ndarray | None = None,
              t_x: np.ndarray | None = None, T: np.ndarray | None = None) -> BGNBD:
    """Maximum-likelihood BG/NBD on a summary (or on arrays x, t_x, T).

    Optimises the log-parameters with L-BFGS-B from the method-of-moments-free start (1, mean T,
    1, 1); raises ``ValueError`` when there are no customers or nobody repeats (the dropout
    process is then not identified).
    """
    if summary is not None:
        x, t_x, T = summary.frequency, summary.recency, summary.T
    if x is None or t_x is None or T is None:
        raise ValueError("fit_bgnbd needs a CustomerSummary or the arrays x, t_x and T")
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if x.size == 0 or not np.any(x > 0):
        raise ValueError("BG/NBD needs customers with at least one repeat purchase")
    scale = float(np.mean(T)) or 1.0

    def nll(theta: np.ndarray) -> float:
        p = np.exp(theta)
        p[1] *= scale
        value = -float(np.sum(log_likelihood(p, x, t_x, T)))
        return value if np.isfinite(value) else 1e300

    best = None
    for start in ([0.0, 0.0, 0.0, 0.0], [np.log(0.5), np.log(0.2), np.log(0.5), np.log(2.0)]):
        res = optimize.minimize(nll, np.array(start), method="L-BFGS-B",
                                bounds=[(-12.0, 8.0)] * 4, options={"maxiter": 2000})
        if best is None or res.fun < best.fun:
            best = res
    p = np.exp(best.x)
    return BGNBD(float(p[0]), float(p[1] * scale), float(p[2]), float(p[3]), -float(best.fun))
