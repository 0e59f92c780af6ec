"""The early warning a CRM system would run on one replication's order histories.

BG/NBD is fitted to every customer's ``frequency / recency / T`` (days), Gamma-Gamma to the
repeat buyers' spend; each customer then gets its probability of being alive, its expected
orders in the next year and a predicted lifetime value (discounted expected orders over monthly
periods x expected spend per order, as :func:`.value.clv_bgnbd_gg`). A fit that cannot be
made -- too few customers, nobody repeats, a non-finite optimum -- gives NaN scores and a note
saying why, never an exception.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .bgnbd import BGNBD, fit_bgnbd
from .gamma_gamma import GammaGamma, fit_gamma_gamma
from .history import CustomerSummary
from .value import discounted_purchases

#: Fewest customers with an order history for a fit worth reporting.
MIN_CUSTOMERS = 5


@dataclass
class WarningScores:
    """Scores of the customers of one summary (in its order); NaN where no fit was made."""

    ids: list[str]
    p_alive: np.ndarray
    expected_purchases: np.ndarray  # orders expected in the next ``horizon_days``
    spend: np.ndarray  # expected value per order occasion (Gamma-Gamma), currency
    clv_predicted: np.ndarray  # discounted predicted value, on the basis of spend (revenue)
    model: BGNBD | None = None
    spend_model: GammaGamma | None = None
    notes: list[str] = field(default_factory=list)

    def parameters(self) -> dict[str, float | None]:
        """The fitted parameters (None when not fitted), for the JSON document."""
        out: dict[str, float | None] = {k: None for k in ("r", "alpha", "a", "b", "p", "q",
                                                            "gamma")}
        if self.model is not None:
            out.update(r=self.model.r, alpha=self.model.alpha, a=self.model.a, b=self.model.b)
        if self.spend_model is not None:
            out.update(p=self.spend_model.p, q=self.spend_model.q, gamma=self.spend_model.gamma)
        return out


def _quiet(fn, *args, **kwargs):
    """Call ``fn`` with numpy and scipy warnings silenced (an optimiser probing an overflow)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def score(summary: CustomerSummary, *, horizon_days: float = 365.0, years: int = 5,
          discount_rate: float = 0.1) -> WarningScores:
    """Fit BG/NBD and Gamma-Gamma to ``summary`` and score its customers.

    ``summary`` times are in units of ``summary.unit_days`` days; ``horizon_days`` is the
    window of ``expected_purchases``; ``years`` and the yearly ``discount_rate`` set the
    predicted value's horizon and discounting (monthly periods at the equivalent rate).
    """
    n = len(summary.ids)
    nan = np.full(n, math.nan)
    out = WarningScores(list(summary.ids), nan.copy(), nan.copy(), nan.copy(), nan.copy())
    x, t_x, T, m = summary.frequency, summary.recency, summary.T, summary.monetary
    repeaters = int(np.sum(x > 0))
    if n < MIN_CUSTOMERS:
        out.notes.append(f"early warning not fitted: {n} customer(s) with orders after the "
                         f"warm-up (at least {MIN_CUSTOMERS} needed)")
        return out
    if repeaters == 0:
        out.notes.append("early warning not fitted: no customer ordered twice after the "
                         "warm-up (BG/NBD needs repeat purchases; try a longer horizon)")
        return out
    try:
        model = _quiet(fit_bgnbd, x=x, t_x=t_x, T=T)
        alive = _quiet(model.p_alive, x, t_x, T)
        unit = summary.unit_days
        expected = _quiet(model.conditional_expected_purchases, horizon_days / unit, x, t_x, T)
    except (ValueError, FloatingPointError, ZeroDivisionError) as exc:
        out.notes.append(f"early warning not fitted: BG/NBD failed ({exc})")
        return out
    if not (np.all(np.isfinite(alive)) and np.all(np.isfinite(expected))):
        out.notes.append("early warning not fitted: the BG/NBD optimum gives non-finite "
                         "scores (degenerate histories)")
        return out
    out.model, out.p_alive, out.expected_purchases = model, alive, expected
    spend_model = None
    if repeaters >= 2:
        try:
            spend_model = _quiet(fit_gamma_gamma, x, m)
            spend = _quiet(spend_model.conditional_expected_value, x, m)
            if not (spend_model.q > 1 and np.all(np.isfinite(spend))):
                spend_model = None
        except (ValueError, FloatingPointError, ZeroDivisionError):
            spend_model = None
    if spend_model is None:
        mean = float(np.mean(m[x > 0]))
        spend = np.where(x > 0, m, mean)
        out.notes.append("Gamma-Gamma not fitted (fewer than two repeat buyers or a degenerate "
                         "fit): spend per order is each repeat buyer's own mean, else the "
                         "repeat buyers' mean")
    out.spend_model, out.spend = spend_model, spend
    monthly = (1.0 + discount_rate) ** (1.0 / 12.0) - 1.0
    period = 365.0 / 12.0 / summary.unit_days
    purchases = _quiet(discounted_purchases, model, x, t_x, T, periods=12 * years,
                       period_length=period, discount_rate=monthly)
    out.clv_predicted = np.where(np.isfinite(purchases), purchases * spend, math.nan)
    return out
