"""Disruption windows per target, precomputed for the horizon (no SimPy events needed).

A window is (start, end, kind, value) with kind 'outage' (nothing moves; work resumes at the
end), 'capacity' (throughput multiplied by value) or 'lead_time' (lead/transit times multiplied
by value). Random disruptions draw their starts (exponential gaps) and durations from the
target's own stream, so they are common to compared scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..scenario.schema import CapacityEffect, Disruption, LeadTimeEffect
from .streams import Streams


@dataclass
class Windows:
    """The disruption windows of one target, sorted by start."""

    spans: list[tuple[float, float, str, float]] = field(default_factory=list)

    def available_from(self, t: float) -> float:
        """The earliest time >= t outside every outage."""
        moved = True
        while moved:
            moved = False
            for s, e, kind, _ in self.spans:
                if kind == "outage" and s <= t < e:
                    t = e
                    moved = True
        return t

    def factor(self, kind: str, t: float) -> float:
        """Product of the ``kind`` multipliers ('capacity' or 'lead_time') in force at t."""
        f = 1.0
        for s, e, k, v in self.spans:
            if k == kind and s <= t < e:
                f *= v
        return f

    def capacity_factor(self, t: float) -> float:
        """Share of capacity left at t."""
        return self.factor("capacity", t)

    def produced_by(self, begin: float, qty: float, rate: float) -> float:
        """When ``qty`` units started at ``begin`` are done at ``rate`` units per day times
        the capacity share in force at each moment (a cut slows only the days it lasts)."""
        if qty <= 0:
            return begin
        cuts = sorted({b for s, e, k, _ in self.spans if k == "capacity"
                       for b in (s, e) if b > begin})
        t, left = begin, qty
        for b in [*cuts, float("inf")]:
            r = rate * self.capacity_factor(t)
            if r > 0 and t + left / r <= b:
                return t + left / r
            if r > 0:
                left -= r * (b - t)
            t = b
        return float("inf")

    def lead_time_factor(self, t: float) -> float:
        """Multiplier of lead and transit times at t."""
        return self.factor("lead_time", t)


def _effect(d: Disruption) -> tuple[str, float]:
    if isinstance(d.effect, CapacityEffect):
        return "capacity", d.effect.capacity
    if isinstance(d.effect, LeadTimeEffect):
        return "lead_time", d.effect.lead_time_multiplier
    return "outage", 0.0


def build_windows(disruptions: list[Disruption], horizon: float, streams: Streams
                  ) -> dict[str, Windows]:
    """Windows per target id over [0, horizon]."""
    out: dict[str, Windows] = {}
    for i, d in enumerate(disruptions):
        kind, value = _effect(d)
        w = out.setdefault(d.target, Windows())
        if d.start_day is not None:
            assert d.duration_days is not None
            w.spans.append((d.start_day, d.start_day + d.duration_days, kind, value))
            continue
        assert d.mean_time_between_days is not None and d.duration is not None
        rng = streams.rng("disruption", d.id or f"{d.target}#{i}")
        t = 0.0
        while True:
            t += float(rng.exponential(d.mean_time_between_days))
            if t >= horizon:
                break
            length = max(0.0, float(d.duration.sample(rng, 1)[0]))
            w.spans.append((t, t + length, kind, value))
            t += length
    for w in out.values():
        w.spans.sort()
    return out
