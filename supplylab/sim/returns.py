"""Returns: units of a delivery that come back to the serving site.

Each delivery's returned units are binomial with the product's ``return_rate``; they arrive
back after ``return_delay`` days; the ``restockable_share`` goes back on hand (and serves the
backlog), the rest is scrapped. Return transport is costed on the reverse lane.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from . import kpis as K
from .stock import Route

if TYPE_CHECKING:
    from .engine import Model


class Returns:
    """Samples, schedules and receives returns."""

    def __init__(self, m: Model) -> None:
        self.m = m
        self.rng = m.streams.rng("network", "returns")
        self.rate = [p.return_rate for p in m.products]

    def sample(self, rt: Route, units: float, arrive: float, counted: bool | None = None) -> None:
        """Draw the units of a delivery (arriving at ``arrive``) that come back; schedule them.
        ``counted``: whether the delivery's units count in the measured window (default: they
        do while the KPIs are measured now); its returned units count with them, so the return
        rate stays a share of the delivered units."""
        m = self.m
        pi = rt.pi
        n = int(self.rng.binomial(int(units), self.rate[pi]))
        if n > 0:
            ledger = m.ledger
            ledger.returned_total[pi] += n
            ledger.returns_in_transit[pi] += n
            if m.counting if counted is None else counted:
                m.k.cm[rt.base + K.RETURNED] += n
                m.k.sm[rt.sbase + K.RETURNED] += n
            delay = max(0.0, float(m.products[pi].return_delay.sample(self.rng, 1)[0]))
            back = arrive + delay
            if rt.fi < len(m.facilities):  # a closed site takes returns in when it reopens
                back = m.sites.stations[rt.fi].closed_until(back)
            ev = m.env.timeout(max(0.0, back - m.env.now))
            ev.callbacks.append(lambda _e, rt=rt, n=n: self._returned(rt, n))

    def _returned(self, rt: Route, n: int) -> None:
        m = self.m
        pi, fi = rt.pi, rt.fi
        now = m.env.now
        ledger = m.ledger
        ledger.returns_in_transit[pi] -= n
        keep = math.floor(n * m.products[pi].restockable_share + 1e-9)
        sp = m.sites.sp.get((fi, pi))
        if sp is None:
            keep = 0
        if keep:
            sp.touch(now)
            sp.on_hand += keep
            sp.restocked += keep
            m.allocation.allocate(sp, now)
        ledger.returns_scrapped[pi] += n - keep
        if m.counting and fi < len(m.facilities):
            ln = m.sites.lane(m.lane_of[rt.ci], m.facilities[fi].id)
            m.k.transport[fi] += ln.unit_cost * n + ln.per_shipment
