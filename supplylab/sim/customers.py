"""Customers as the engine sees them: requested dates, patience, promises and churn.

Rules held here: the requested lead time of an order (the customer's, else its tier's promise,
else 2 days); how long a customer waits for a backorder (patience); when a customer leaves (a
base churn time drawn at the start, and churn after a failed order). Promised dates are
``promising.py``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .result import CustomerStates
from .streams import Uniforms

if TYPE_CHECKING:
    from .engine import Model

INF = math.inf
DEFAULT_REQUESTED_DAYS = 2.0


class Customers:
    """Per-customer service parameters and state (active, failures, churn time)."""

    def __init__(self, m: Model) -> None:
        sc = m.sc
        self.m = m
        customers = m.customers
        self.tier = [m.tidx[c.tier] for c in customers]
        self.margin_mult = [sc.tiers[c.tier].margin_multiplier for c in customers]
        self.requested_days: list[float] = []
        self.patience: list[float] = []
        self.churn_per_failure: list[float] = []
        for c in customers:
            tier = sc.tiers[c.tier]
            req = c.requested_lead_time_days
            if req is None:
                req = (tier.promised_lead_time_days if tier.promised_lead_time_days is not None
                       else DEFAULT_REQUESTED_DAYS)
            self.requested_days.append(req)
            pat = c.patience_days if c.patience_days is not None else tier.patience_days
            self.patience.append(INF if pat is None else pat)
            self.churn_per_failure.append(tier.churn.per_failure)
        self.active = [True] * len(customers)
        self.failures = [0] * len(customers)
        self.churned_at = [self._base_churn_time(c) for c in customers]
        self._churn_u = Uniforms(m.streams.rng("network", "churn"))

    def _base_churn_time(self, c) -> float:
        """When the customer leaves regardless of service: exponential with the tier's yearly
        churn probability p (rate -ln(1 - p) per year), from the customer's own stream."""
        p = self.m.sc.tiers[c.tier].churn.base_rate_per_year
        if p <= 0:
            return INF
        if p >= 1:
            return 0.0
        rng = self.m.streams.rng("customer", c.id, "churn")
        return float(rng.exponential(365.0 / -math.log1p(-p)))

    def failure(self, ci: int, now: float) -> None:
        """A failed order (not OTIF) may make the customer churn (tier's per_failure)."""
        self.failures[ci] += 1
        p = self.churn_per_failure[ci]
        if p > 0 and self.active[ci] and self._churn_u() < p:
            self.active[ci] = False
            self.churned_at[ci] = now

    def states(self, horizon: float) -> CustomerStates:
        """Every customer's fate at ``horizon`` (days): churn day (NaN if active), cause, failures."""
        days, causes = [], []
        for ci in range(len(self.active)):
            if not self.active[ci]:
                days.append(float(self.churned_at[ci]))
                causes.append("service")
            elif self.churned_at[ci] <= horizon:
                days.append(float(self.churned_at[ci]))
                causes.append("base")
            else:
                days.append(math.nan)
                causes.append("")
        m = self.m
        return CustomerStates([c.id for c in m.customers], [c.tier for c in m.customers],
                              days, causes, list(self.failures))

    def churned(self, ci: int, horizon: float) -> bool:
        """Has the customer left by ``horizon`` (churned after failures or its base time)?"""
        return not self.active[ci] or self.churned_at[ci] <= horizon
