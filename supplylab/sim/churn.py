"""Churn with memory and partial defection: the hazard arithmetic, in days.

A customer's churn hazard is ``h(t) = r + b * M(t)``: the base rate ``r`` (from the tier's
``base_rate_per_year`` p: ``r = -ln(1 - p) / 365``) plus ``b`` (``hazard_per_failure_per_year /
365``) times the failure memory ``M(t) = sum_i exp(-(t - t_i) / tau)`` over its failed orders
``t_i`` (``tau = failure_memory_days``). The customer leaves when the cumulative hazard
``Lambda(t)`` reaches a threshold ``E ~ Exp(1)`` drawn once (the inversion method), so with no
failure the churn time is ``E / r``, the exponential of the base churn, exactly. Between
failures ``Lambda`` grows by ``r s + b tau M (1 - exp(-s / tau))`` in ``s`` days.

Partial defection: after an order with a backordered line the customer's order rate is cut by
``after_backorder`` (``after_long_delay`` when it arrived more than ``long_delay_days`` after its
requested date) for ``lasts_days``; cuts multiply while they last; the order stream is thinned
by the product of the cuts in force.
"""

from __future__ import annotations

import math

INF = math.inf


def added_hazard(r: float, b: float, tau: float, memory: float, s: float) -> float:
    """Cumulative hazard added in ``s`` days from a memory of ``memory`` (no new failure)."""
    return r * s + b * tau * memory * -math.expm1(-s / tau)


def time_to_churn(need: float, r: float, b: float, tau: float, memory: float) -> float:
    """Days until the cumulative hazard has grown by ``need`` (INF if it never does)."""
    if need <= 0:
        return 0.0
    cap = b * tau * memory  # what the memory alone can still add
    if r <= 0:
        if cap <= need:
            return INF
        return -tau * math.log1p(-need / cap)
    lo, hi = 0.0, need / r  # the base rate alone reaches it by hi
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if added_hazard(r, b, tau, memory, mid) < need:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-9 * max(1.0, hi):
            break
    return hi


class Memory:
    """The failure memory and cumulative hazard of one customer."""

    __slots__ = ("r", "b", "tau", "threshold", "spent", "memory", "t")

    def __init__(self, r: float, b: float, tau: float, threshold: float) -> None:
        self.r, self.b, self.tau = r, b, tau
        self.threshold = threshold  # E ~ Exp(1)
        self.spent = 0.0  # cumulative hazard at ``t``
        self.memory = 0.0
        self.t = 0.0

    def fail(self, now: float) -> float:
        """A failed order at ``now``: the memory rises by one; returns the new churn time."""
        s = now - self.t
        if s > 0:
            self.spent += added_hazard(self.r, self.b, self.tau, self.memory, s)
            self.memory *= math.exp(-s / self.tau)
            self.t = now
        self.memory += 1.0
        return now + time_to_churn(self.threshold - self.spent, self.r, self.b, self.tau,
                                   self.memory)


class Defection:
    """Order-rate cuts in force for one customer: (until, factor) pairs."""

    __slots__ = ("cuts",)

    def __init__(self) -> None:
        self.cuts: list[tuple[float, float]] = []

    def cut(self, until: float, share: float) -> None:
        self.cuts.append((until, 1.0 - share))

    def multiplier(self, now: float) -> float:
        """The share of its normal order rate the customer keeps at ``now``."""
        if self.cuts and self.cuts[0][0] <= now:
            self.cuts = [c for c in self.cuts if c[0] > now]
        out = 1.0
        for _, f in self.cuts:
            out *= f
        return out
