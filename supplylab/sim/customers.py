"""Customers as the engine sees them: requested dates, patience, churn and defection.

Rules held here: the requested lead time of an order (the customer's, else its tier's promise,
else 2 days); how long a customer waits for a backorder (patience); when a customer leaves (a
base churn time drawn at the start, churn after a failed order, and with
``hazard_per_failure_per_year`` a hazard with failure memory, ``churn.py``); how much less a
customer orders after backorders (partial defection); when an acquired customer joins.
Promised dates are ``promising.py``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .churn import Defection, Memory
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
            self.patience.append(m.net.patience_days(c))
            self.churn_per_failure.append(tier.churn.per_failure)
        n = len(customers)
        self.joined = list(m.joined)
        self.active = [True] * n
        self.failures = [0] * n
        self.service_churn = [False] * n  # left because of service (not the base rate)
        self.churned_at = [self._base_churn_time(c) + j for c, j in zip(customers, self.joined,
                                                                          strict=True)]
        self._churn_u = Uniforms(m.streams.rng("network", "churn"))
        # churn with memory (tiers with hazard_per_failure_per_year > 0)
        self.memory: list[Memory | None] = [None] * n
        for ci, c in enumerate(customers):
            ch = sc.tiers[c.tier].churn
            if ch.hazard_per_failure_per_year > 0:
                self.memory[ci] = self._memory(ci, c, ch)
        # partial defection (tiers with churn.defection)
        self.defection_rule = [sc.tiers[c.tier].churn.defection for c in customers]
        self.defecting = any(d is not None for d in self.defection_rule)
        self.cuts: list[Defection | None] = [None] * n
        self._keep_u: dict[int, Uniforms] = {}
        # win-back (tiers with win_back_per_year > 0)
        self.win_back = [sc.tiers[c.tier].churn.win_back_per_year for c in customers]
        self.winning_back = any(r > 0 for r in self.win_back)
        self.back_at = [INF] * n  # when a customer who left comes back (drawn when it left)
        self.won_back = [0] * n
        self._winback_rngs: dict[int, object] = {}

    def _base_churn_time(self, c) -> float:
        """When the customer leaves regardless of service (days after it joined): exponential
        with the tier's yearly churn probability p (rate -ln(1 - p) per year), from the
        customer's own stream."""
        p = self.m.sc.tiers[c.tier].churn.base_rate_per_year
        if p <= 0:
            return INF
        if p >= 1:
            return 0.0
        rng = self.m.streams.rng("customer", c.id, "churn")
        return float(rng.exponential(365.0 / -math.log1p(-p)))

    def _memory(self, ci: int, c, ch, start: float | None = None) -> Memory:
        """The hazard state of a customer whose tier churns with memory; its threshold is the
        base churn's own draw (E = base time x rate), so both models share one random number."""
        p = ch.base_rate_per_year
        r = -math.log1p(-p) / 365.0 if 0 < p < 1 else (INF if p >= 1 else 0.0)
        start = self.joined[ci] if start is None else start
        base = self.churned_at[ci] - start
        if 0 < r < INF:
            threshold = base * r
        elif r == 0:
            threshold = float(self.m.streams.rng("customer", c.id, "churn").exponential(1.0))
        else:
            threshold = 0.0
        mem = Memory(r, ch.hazard_per_failure_per_year / 365.0, ch.failure_memory_days,
                     threshold)
        mem.t = start
        return mem

    def failure(self, ci: int, now: float) -> None:
        """A failed order (not OTIF) may make the customer churn (tier's per_failure) and
        raises its churn hazard (tier's hazard_per_failure_per_year)."""
        self.failures[ci] += 1
        p = self.churn_per_failure[ci]
        if p > 0 and self.active[ci] and self._churn_u() < p:
            self.active[ci] = False
            self.service_churn[ci] = True
            self.churned_at[ci] = now
            return
        mem = self.memory[ci]
        if mem is not None and self.active[ci] and self.churned_at[ci] > now:
            t = mem.fail(now)
            if t < self.churned_at[ci]:
                self.churned_at[ci] = max(t, now)
                self.service_churn[ci] = True

    def comes_back(self, ci: int, now: float) -> bool:
        """A customer who left (found at its order at ``now``) is back by now? The return
        time is drawn once per departure (its own stream); back, it starts a new lifetime."""
        rate = self.win_back[ci]
        if rate <= 0:
            return False
        if self.back_at[ci] == INF:
            left = self.churned_at[ci]
            rng = self._winback_rng(ci)
            self.back_at[ci] = left + float(rng.exponential(365.0 / rate))
        if now < self.back_at[ci]:
            return False
        c = self.m.customers[ci]
        self.active[ci] = True
        self.won_back[ci] += 1
        self.service_churn[ci] = False
        self.back_at[ci] = INF
        self.churned_at[ci] = now + self._lifetime(ci, c)
        if self.memory[ci] is not None:
            self.memory[ci] = self._memory(ci, c, self.m.sc.tiers[c.tier].churn, now)
        return True

    def _winback_rng(self, ci: int):
        rng = self._winback_rngs.get(ci)
        if rng is None:
            c = self.m.customers[ci]
            rng = self._winback_rngs[ci] = self.m.streams.rng("customer", c.id, "winback")
        return rng

    def _lifetime(self, ci: int, c) -> float:
        """A new base lifetime after a win-back, days (the customer's win-back stream)."""
        p = self.m.sc.tiers[c.tier].churn.base_rate_per_year
        if p <= 0:
            return INF
        if p >= 1:
            return 0.0
        return float(self._winback_rng(ci).exponential(365.0 / -math.log1p(-p)))

    def backordered(self, ci: int, now: float, days_late: float) -> None:
        """An order with a backordered line was delivered ``days_late`` after its requested
        date: the customer orders less for a while (partial defection)."""
        rule = self.defection_rule[ci]
        if rule is None:
            return
        cuts = self.cuts[ci]
        if cuts is None:
            cuts = self.cuts[ci] = Defection()
        share = rule.after_long_delay if days_late > rule.long_delay_days else rule.after_backorder
        if share > 0:
            cuts.cut(now + rule.lasts_days, share)

    def keeps_order(self, ci: int, now: float) -> bool:
        """Thinning of the order stream by the cuts in force (always True without cuts)."""
        cuts = self.cuts[ci]
        if cuts is None:
            return True
        keep = cuts.multiplier(now)
        if keep >= 1.0:
            return True
        u = self._keep_u.get(ci)
        if u is None:
            c = self.m.customers[ci]
            u = self._keep_u[ci] = Uniforms(self.m.streams.rng("customer", c.id, "defection"))
        return u() < keep

    def order_rate_multiplier(self, ci: int, now: float) -> float:
        cuts = self.cuts[ci]
        return 1.0 if cuts is None else cuts.multiplier(now)

    def states(self, horizon: float) -> CustomerStates:
        """Every customer's fate at ``horizon`` (days): churn day (NaN if active), cause,
        failures, the day it joined, its failure memory and order-rate multiplier then."""
        days, causes, memory = [], [], []
        for ci in range(len(self.active)):
            left = not self.active[ci] or self.churned_at[ci] <= horizon
            if left:
                days.append(float(self.churned_at[ci]))
                causes.append("service" if self.service_churn[ci] else "base")
            else:
                days.append(math.nan)
                causes.append("")
            mem = self.memory[ci]
            if mem is None:
                memory.append(0.0)
            else:
                memory.append(mem.memory * math.exp(-max(horizon - mem.t, 0.0) / mem.tau))
        m = self.m
        return CustomerStates([c.id for c in m.customers], [c.tier for c in m.customers],
                              days, causes, list(self.failures), joined_day=list(self.joined),
                              failure_memory=memory,
                              order_rate_multiplier=[self.order_rate_multiplier(ci, horizon)
                                                     for ci in range(len(self.active))],
                              won_back=list(self.won_back))

    def churned(self, ci: int, horizon: float) -> bool:
        """Has the customer left by ``horizon`` (churned after failures or its base time)?"""
        return not self.active[ci] or self.churned_at[ci] <= horizon


def acquired_customers(sc, customers: list, horizon: float, streams) -> tuple[list, list[float]]:
    """New customers joining during the run: per tier with ``acquisition_per_year`` > 0, a
    Poisson process of that rate over [0, horizon); each is a copy of one of the tier's
    customers (chosen at random) with the id ``<copied id>~new<n>``. Returns (the new
    customers, the day each joins), from the tier's own stream ("tier", name, "acquisition")."""
    out, joined = [], []
    for name, tier in sc.tiers.items():
        rate = tier.acquisition_per_year
        if rate <= 0:
            continue
        pool = [c for c in customers if c.tier == name]
        if not pool:
            continue
        rng = streams.rng("tier", name, "acquisition")
        t = 0.0
        n = 0
        while True:
            t += float(rng.exponential(365.0 / rate))
            if t >= horizon:
                break
            n += 1
            src = pool[int(rng.integers(len(pool)))]
            out.append(src.model_copy(update={"id": f"{src.id}~new{n}"}))
            joined.append(t)
    return out, joined
