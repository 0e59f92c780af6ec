"""Customer lifetime value and value segments (ABC on value, RFM scores).

``clv_bgnbd_gg`` is the transaction-model CLV of Fader, Hardie & Lee (2005): expected future
transactions per period from BG/NBD, times expected spend per transaction from Gamma-Gamma, times
the margin share, discounted per period. The margin basis is the caller's choice: ``margin=1``
gives revenue value, a gross-margin share gives profit value (supplylab uses gross margin).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .history import average_ranks

if TYPE_CHECKING:  # the models import scipy, which a short run does not need
    from .bgnbd import BGNBD
    from .gamma_gamma import GammaGamma


def discounted_purchases(bgnbd: BGNBD, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, *,
                         periods: int, period_length: float,
                         discount_rate: float) -> np.ndarray:
    """Expected purchases of each customer in each of ``periods`` future periods, discounted
    at ``discount_rate`` per period (a period's purchases at its end) and summed."""
    if periods < 1 or period_length <= 0 or discount_rate < 0:
        raise ValueError("periods >= 1, period_length > 0, discount_rate >= 0")
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    prev = np.zeros_like(x)
    total = np.zeros_like(x)
    for k in range(1, periods + 1):
        cum = bgnbd.conditional_expected_purchases(k * period_length, x, t_x, T)
        total += (cum - prev) / (1.0 + discount_rate) ** k
        prev = cum
    return total


def clv_bgnbd_gg(bgnbd: BGNBD, spend: GammaGamma, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                 zbar: np.ndarray, *, periods: int, period_length: float,
                 discount_rate: float, margin: float = 1.0) -> np.ndarray:
    """Discounted expected value of each customer over ``periods`` future periods.

    ``period_length`` is in the summary's time unit; ``discount_rate`` is per period (e.g. 0.01
    per month); ``margin`` is the share of spend that counts as value. Returns currency units.
    """
    if not 0 <= margin <= 1:
        raise ValueError("periods >= 1, period_length > 0, discount_rate >= 0, 0 <= margin <= 1")
    total = discounted_purchases(bgnbd, x, t_x, T, periods=periods, period_length=period_length,
                                 discount_rate=discount_rate)
    return margin * spend.conditional_expected_value(x, zbar) * total


def abc_classes(values: np.ndarray, a_share: float = 0.8, b_share: float = 0.95) -> np.ndarray:
    """Pareto classes 'A'/'B'/'C' by share of the total value (largest first).

    An entity is A while the cumulative share of the entities ranked above it is below
    ``a_share``, B while below ``b_share``, else C; so the entity that crosses 80% is still A.
    Entities of value <= 0 are C.
    """
    if not 0 < a_share < b_share <= 1:
        raise ValueError("need 0 < a_share < b_share <= 1")
    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, "C", dtype="<U1")
    total = float(np.sum(v[v > 0]))
    if total <= 0:
        return out
    order = np.argsort(-v, kind="stable")
    before = np.concatenate([[0.0], np.cumsum(np.clip(v[order], 0, None))[:-1]]) / total
    ranked = np.where(before < a_share, "A", np.where(before < b_share, "B", "C"))
    ranked[v[order] <= 0] = "C"
    out[order] = ranked
    return out


def _quintile(values: np.ndarray) -> np.ndarray:
    """Scores 1..5 by rank (ties share the average rank); larger value, larger score."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=int)
    ranks = average_ranks(values)
    return np.clip(np.ceil(ranks / n * 5.0), 1, 5).astype(int)


def rfm_scores(x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
               monetary: np.ndarray) -> dict[str, np.ndarray]:
    """RFM quintile scores 1..5: R from time since the last purchase (T - t_x, sooner is better),
    F from repeat purchases, M from mean spend; ``rfm`` is the three digits as one number."""
    x, t_x, T, m = (np.asarray(v, dtype=float) for v in (x, t_x, T, monetary))
    r = _quintile(-(T - t_x))
    f = _quintile(x)
    mm = _quintile(m)
    return {"R": r, "F": f, "M": mm, "rfm": r * 100 + f * 10 + mm}
