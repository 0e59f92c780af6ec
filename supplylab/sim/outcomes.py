"""Order outcomes: the KPI record of a finished order and of lost units.

An order is judged when it completes, or at the horizon if its requested date has passed by
then; a delivery after the horizon does not count (the order is late and incomplete if its
requested date is within the run, else it is not counted at all, like an order still open).
An order's outcome is one 6-bit code (first shipment full, on time, promise kept, OTIF,
perfect, complete; ``kpis.py``) counted per customer, per line's product and facility and per
period; a complete order adds its cycle time (last delivery - order time) to the sums and the
histograms. A failed order (not OTIF) is reported to the customers component (churn).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from . import kpis as K
from .kpis import CYCLE_SUM, HIST_BINS, LINES_FILLED, ML, NCODES
from .stock import Order, Route

if TYPE_CHECKING:
    from .engine import Model

INF = math.inf
EPS = 1e-9  # days: a delivery at the requested or promised time is on time


class Outcomes:
    """Records finished orders and lost units into the KPI collector."""

    def __init__(self, m: Model) -> None:
        self.m = m
        k = self.k = m.k
        self.cust_tier = m.crm.tier
        self.failure = m.crm.failure
        self.defecting = m.crm.defecting
        self.horizon = m.horizon
        self.penalty_per_unit = m.sc.costs.stockout_penalty_per_unit
        # the collector's lists are zeroed in place at the warm-up, so they can be bound here
        self._cc, self._cl, self._cs, self._pc, self._pl = k.cc, k.cl, k.cs, k.pc, k.pl
        self._cpl, self._clt = k.cpl, k.clt
        self._cq, self._fq, self._pq = k.cq, k.fq, k.pq
        self.against_promise = m.sc.simulation.perfect_order_on_time == "promised"
        self._pcodes, self._fcodes, self._cm, self._sm = k.pcodes, k.fcodes, k.cm, k.sm
        self._hist_tier = [h.counts for h in k.cycle_tier]

    def close(self, o: Order, now: float) -> None:
        """An order whose last backordered line was served or cancelled."""
        self.finish(o.ci, o.t0, o.requested, o.promised, o.last, o.first_full and not o.lost,
                    not o.lost, o.bad, o.lines, o.filled, o.per, o.counted, now)

    def finish(self, ci: int, t0: float, requested: float, promised: float, last: float,
               first_full: bool, complete: bool, bad: bool, lines: list[Route] | tuple[Route, ...],
               filled: list[Route] | tuple[Route, ...], per: int, counted: bool,
               now: float) -> None:
        """Record a finished order's outcome (one code per dimension), its lines filled from
        stock at entry (``filled``, a subset of ``lines``) and its cycle time."""
        if last > self.horizon:  # its last delivery falls after the run
            if requested > self.horizon:
                return  # not yet due: not judged within the run
            first_full = complete = False
        on_time = complete and last <= requested + EPS
        otif = on_time and first_full
        if not otif:
            self.failure(ci, now)
            if complete and not first_full and self.defecting:
                self.m.crm.backordered(ci, now, last - requested)
        if not counted:
            return
        kept = complete and last <= promised + EPS
        self._cpl[ci] += promised - t0
        if complete and last > promised:
            self._clt[ci] += last - promised
        perfect = (first_full and kept if self.against_promise else otif) and not bad
        code = (first_full | on_time << 1 | kept << 2 | otif << 3 | perfect << 4
                | complete << 5)
        if bad:
            self.quality_failed(ci, bad, lines, per)
        self._cc[ci * NCODES + code] += 1
        self._cl[ci] += len(lines)
        pcodes, fcodes = self._pcodes, self._fcodes
        for rt in lines:
            pcodes[rt.pbase + code] += 1
            fcodes[rt.fbase + code] += 1
        cm, sm = self._cm, self._sm
        for rt in filled:
            cm[rt.base + LINES_FILLED] += 1
            sm[rt.sbase + LINES_FILLED] += 1
        if per >= 0:
            self._pc[per * NCODES + code] += 1
        if complete:
            cycle = last - t0
            self._cs[ci] += cycle
            for rt in lines:
                sm[rt.sbase + CYCLE_SUM] += cycle
            if per >= 0:
                self._pl[per * ML + CYCLE_SUM] += cycle
            i = int(cycle * 100.0)  # kpis.bin_of, inlined
            if i > HIST_BINS:
                i = HIST_BINS
            self._hist_tier[self.cust_tier[ci]][i] += 1

    def quality_failed(self, ci: int, bad: int, lines: list[Route] | tuple[Route, ...],
                       per: int) -> None:
        """Count an order damaged (bit 1) and/or with document errors (bit 2) by customer,
        by each line's facility (as the outcome codes) and by period."""
        dmg, doc = bad & 1, bad >> 1 & 1
        cq, fq = self._cq, self._fq
        cq[2 * ci] += dmg
        cq[2 * ci + 1] += doc
        for rt in lines:
            fq[2 * rt.fi] += dmg
            fq[2 * rt.fi + 1] += doc
        if per >= 0:
            self._pq[2 * per] += dmg
            self._pq[2 * per + 1] += doc

    def lost(self, rt: Route, units: float, now: float, per: int) -> None:
        """Units of a line that will never ship (no wait allowed, patience ran out, short
        flow-through supply): lost sales and the stock-out penalty."""
        m = self.m
        if m.log is not None:
            m.log(now, "lost", m.customers[rt.ci].id, m.products[rt.pi].id,
                  m.sites.site_name(rt.fi), units)
        if m.counting and per >= 0:
            k = self.k
            k.cm[rt.base + K.LOST] += units
            k.sm[rt.sbase + K.LOST] += units
            k.pl[per * K.ML + K.LOST] += units
            k.penalty += units * self.penalty_per_unit

    def close_open_orders(self, waiting: list[Order] | tuple[Order, ...] = ()) -> None:
        """Orders still open at the horizon (in a backlog, or ``waiting`` for a shipment still
        at a priority station): late if their requested date has passed."""
        m = self.m
        seen: set[int] = set()
        backlogged = [ln.order for sp in m.sites.sp.values() for ln in sp.backlog
                      if not ln.dead]
        for o in [*backlogged, *waiting]:
            if o is None or id(o) in seen:
                continue
            seen.add(id(o))
            if o.requested <= m.horizon:
                # late and incomplete: counted as a failed order, no cycle time
                self.finish(o.ci, o.t0, o.requested, o.promised, INF, False, False, o.bad,
                            o.lines, o.filled, o.per, o.counted, m.horizon)
