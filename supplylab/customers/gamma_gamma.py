"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, JMR 42(4);
Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value").

A customer's transaction values are Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers; the
model is fitted to repeat buyers' (x, zbar) and gives each customer's expected spend per
transaction, shrunk from their own mean towards the population mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters (p, q, gamma) and the fit's log-likelihood."""

    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")

    @property
    def population_mean(self) -> float:
        """E[Z] = p gamma / (q - 1), the mean spend per transaction of a random customer."""
        return self.p * self.gamma / (self.q - 1.0)

    def conditional_expected_value(self, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
        """E[Z | x, zbar] = (gamma + x zbar) p / (p x + q - 1); the population mean at x = 0."""
        x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
        return (self.gamma + x * zbar) * self.p / (self.p * x + self.q - 1.0)


def log_likelihood(params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood of (p, q, gamma) given x >= 1 repeat values of mean zbar."""
    p, q, g = params
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
            + q * np.log(g) + (px - 1.0) * np.log(zbar) + px * np.log(x)
            - (px + q) * np.log(g + x * zbar))


def fit_gamma_gamma(x: np.ndarray, zbar: np.ndarray) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma on the customers with x > 0 and zbar > 0.

    Raises ``ValueError`` when fewer than two such customers exist.
    """
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    keep = (x > 0) & (zbar > 0)
    x, zbar = x[keep], zbar[keep]
    if x.size < 2:
        raise ValueError("Gamma-Gamma needs at least two customers with repeat purchases")
    scale = float(np.mean(zbar))

    def nll(theta: np.ndarray) -> float:
        p = np.exp(theta)
        p[2] *= scale
        value = -float(np.sum(log_likelihood(p, x, zbar)))
        return value if np.isfinite(value) else 1e300

    res = optimize.minimize(nll, np.array([0.0, np.log(2.0), 0.0]), method="L-BFGS-B",
                            bounds=[(-10.0, 8.0)] * 3, options={"maxiter": 2000})
    p = np.exp(res.x)
    return GammaGamma(float(p[0]), float(p[1]), float(p[2] * scale), -float(res.fun))
