"""The documented ranges of the language and the size of run supplylab agrees to start.

Every number of a scenario is finite (the schema refuses ``.inf`` and ``.nan``) and at most
``MAX_MAGNITUDE`` in size; the horizon is at most ``MAX_HORIZON_DAYS``. A run whose estimated
work is intractable (``MAX_ORDERS_PER_REPLICATION`` orders in one replication, from orders per
day x customers x horizon) and a sweep of more than ``MAX_DESIGN_POINTS`` points are refused
before anything starts, with the estimate, instead of running into memory for hours
(docs/robustness.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: Largest absolute value of any number in a scenario (costs, capacities, quantities, ...).
MAX_MAGNITUDE = 1e12
#: Longest simulated horizon, days (100 years).
MAX_HORIZON_DAYS = 36_500.0
#: Most orders one replication may simulate (about 8 minutes at the engine's ~100,000/s).
MAX_ORDERS_PER_REPLICATION = 50_000_000
#: Orders per second the engine reaches on a small system (bench/sim_throughput.py), used only
#: to turn an estimate into the time it would take.
ORDERS_PER_SECOND = 100_000
#: Most design points of one sweep.
MAX_DESIGN_POINTS = 10_000


@dataclass(frozen=True)
class Workload:
    """Expected size of one replication: order rate (orders/day) over the horizon (days)."""

    orders_per_day: float
    horizon_days: float

    @property
    def orders(self) -> float:
        return self.orders_per_day * self.horizon_days

    def describe(self) -> str:
        """``about 3.6e+09 orders (1e+07 orders/day x 365 days), roughly 10 h``."""
        return (f"about {self.orders:.3g} orders ({self.orders_per_day:.3g} orders/day x "
                f"{self.horizon_days:g} days), roughly {duration(self.orders / ORDERS_PER_SECOND)}"
                " per replication")


def duration(seconds: float) -> str:
    """A rough human duration: ``40 s``, ``12 min``, ``3.5 h``, ``2.1 days``, ``6 years``."""
    if not math.isfinite(seconds):
        return "forever"
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.2g} {unit}"
    return f"{seconds:.0f} s"


def _rate(fields: Any, horizon_days: float) -> float:
    """Expected orders per day of one customer (or one member of a group), trend included."""
    if fields.orders_per_day is not None:
        rate = float(fields.orders_per_day)
    elif fields.demand:
        rate = 1.0  # one order a day
    else:
        rate = 0.0
    growth = max(1.0, 1.0 + float(fields.trend_per_year) * horizon_days / 365.0)
    return rate * growth


def workload(sc: Any, days: float | None = None) -> Workload:
    """The expected orders of one replication of ``sc`` (horizon ``days`` if given)."""
    horizon = float(days if days is not None else sc.simulation.horizon_days)
    total = 0.0
    for c in sc.customers:
        total += _rate(c, horizon) * float(c.scale)
    for g in sc.customer_groups:
        total += _rate(g, horizon) * g.count * max(float(g.size.mean()), 0.0)
    return Workload(total, horizon)


def tractability_problem(sc: Any, days: float | None = None) -> str | None:
    """Why one replication of ``sc`` is refused as intractable, or None."""
    w = workload(sc, days)
    if w.orders <= MAX_ORDERS_PER_REPLICATION:
        return None
    return (f"one replication would simulate {w.describe()}; the limit is "
            f"{MAX_ORDERS_PER_REPLICATION:,} orders: shorten the horizon or lower orders per "
            "day x customers")


def days_problem(days: Any, warmup_days: float | None = None) -> str | None:
    """Why ``days`` is not a usable horizon (positive, finite, at most ``MAX_HORIZON_DAYS``,
    longer than the warm-up), or None."""
    if isinstance(days, bool) or not isinstance(days, int | float):
        return f"the horizon must be a number of days, got {days!r}"
    if not math.isfinite(days) or days <= 0:
        return f"the horizon must be a positive finite number of days, got {days!r}"
    if days > MAX_HORIZON_DAYS:
        return f"the horizon ({days:g} days) exceeds the limit of {MAX_HORIZON_DAYS:g} days"
    if warmup_days is not None and days <= warmup_days:
        return (f"the horizon ({days:g} days) is not longer than the warm-up "
                f"({warmup_days:g} days): no day would be measured")
    return None


def design_size_problem(points: int, replications: int = 1) -> str | None:
    """Why a design of ``points`` points is refused, or None."""
    if points <= MAX_DESIGN_POINTS:
        return None
    return (f"the design has {points:,} points ({points * replications:,} runs), more than the "
            f"{MAX_DESIGN_POINTS:,} a sweep may have: use fewer values per parameter or "
            "design: lhs with samples")
