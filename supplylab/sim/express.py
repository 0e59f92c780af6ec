"""The record of orders served in full at entry (the fast paths), counted with numpy.

``OrderDesk`` serves the common orders — in full from one site's stock, delivered within the
run (``express_desk.py``) — and used to update about 25 counters for each (its customer's,
product-site's, product's, facility's, period's and lane's line metrics, outcome codes,
cycle-time sums and histogram, bullwhip series, the audit's units to customers). Everything
they count follows from eight numbers per line, so while the KPIs are measured they append
those to one flat list instead:

    customer index, product-site counter base (``Route.sbase``), lane index,
    order time, units, last delivery, promised date      (days),
    lines of the order on its first line's record (0 on the others)

(a damaged order or one with document errors also appends its records' positions to ``bad``)

and ``fold`` turns the list into the same counts with ``np.bincount`` at each order-stream
chunk (so the list holds at most one chunk's orders: memory does not grow with the horizon):
what is counted per line (units, revenue, lines filled, outcome codes by product and
facility) from every record, what is counted per order (outcome codes by customer and period,
cycle and promise times, the histogram, the shipment) from the first lines'. The folded sums
wait in this object's arrays and are added to the collector, the lanes and the ledger once, by
``merge`` at the end of the run. Counts are exact; a float sum (revenue, cycle and promise
times, costs) is the same sum in another order and can differ in the last digits from adding
each order as it happens (docs/engine.md, issue 11, fourth part).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .kpis import (
    COGS,
    COMPLETE,
    CYCLE_SUM,
    EXPRESS,
    FIRST_FULL,
    HIST_BINS,
    KEPT,
    LINES_FILLED,
    ML,
    NCODES,
    ON_TIME,
    OTIF,
    PERFECT,
    REVENUE,
)
from .outcomes import EPS

if TYPE_CHECKING:
    from .engine import Model

#: fields of one record in ``ExpressLog.buf``
WIDTH = 8


class ExpressLog:
    """Buffered records of fast-path orders and the counts folded from them."""

    def __init__(self, m: Model) -> None:
        self.m = m
        k = m.k
        self.buf: list[float] = []  # WIDTH values per line, in order of arrival
        self.bad: list[int] = []  # positions in ``buf`` of the records of imperfect shipments
        self.nf1 = len(m.facilities) + 1
        self.n_weeks = len(k.week_demand)
        self.price = np.asarray(m.price, dtype=float)
        self.cost = np.asarray(m.cost, dtype=float)
        self.margin = np.asarray(m.crm.margin_mult, dtype=float)
        self.tier = np.asarray(m.crm.tier, dtype=np.intp)
        self.requested = np.asarray(m.crm.requested_days, dtype=float)
        self.against_promise = m.sc.simulation.perfect_order_on_time == "promised"
        self._zero()

    def _zero(self) -> None:
        k = self.m.k
        nc, nps = k.nc, len(self.price) * self.nf1
        self.cm = np.zeros(nc * ML)
        self.sm = np.zeros(nps * ML)
        self.pl = np.zeros(k.n_periods * ML)
        self.cc = np.zeros(nc * NCODES, dtype=np.int64)
        self.cl = np.zeros(nc, dtype=np.int64)
        self.cs = np.zeros(nc)
        self.cpl = np.zeros(nc)
        self.clt = np.zeros(nc)
        self.pcodes = np.zeros(len(self.price) * NCODES, dtype=np.int64)
        self.fcodes = np.zeros(self.nf1 * NCODES, dtype=np.int64)
        self.pc = np.zeros(k.n_periods * NCODES, dtype=np.int64)
        self.hist = np.zeros(k.nt * (HIST_BINS + 1), dtype=np.int64)
        self.week = np.zeros(self.n_weeks)
        self.fac_week = np.zeros(self.nf1 * self.n_weeks)
        self.wait_n = np.zeros(self.nf1, dtype=np.int64)
        self.to_customers = np.zeros(len(self.price))
        #: units delivered and shipments per lane index (``Lane.ix``; grown as lanes appear)
        self.lanes = np.zeros(0)
        self.shipments = np.zeros(0, dtype=np.int64)

    def reset(self) -> None:
        """Forget every record and count (the end of the warm-up)."""
        self.buf.clear()
        self.bad.clear()
        self._zero()

    def fold(self) -> None:
        """Count the buffered records into this object's arrays and empty the buffer."""
        buf = self.buf
        if not buf:
            return
        m = self.m
        a = np.fromiter(buf, dtype=float, count=len(buf)).reshape(-1, WIDTH)
        buf.clear()
        ci = a[:, 0].astype(np.intp)
        si = a[:, 1].astype(np.intp) // ML
        li = a[:, 2].astype(np.intp)
        t0, q, last, promised = a[:, 3], a[:, 4], a[:, 5], a[:, 6]
        head = a[:, 7] > 0  # an order's first line
        # Outcomes.finish of a complete order whose first shipment was full
        on_time = last <= t0 + self.requested[ci] + EPS
        kept = last <= promised + EPS
        perfect = (kept if self.against_promise else on_time).copy()
        if self.bad:
            perfect[np.asarray(self.bad, dtype=np.intp) // WIDTH] = False
            self.bad.clear()
        code = (FIRST_FULL | COMPLETE) + on_time * (ON_TIME | OTIF) + kept * KEPT \
            + perfect * PERFECT
        pi, fi = si // self.nf1, si % self.nf1
        per = ((t0 - m.warmup) / m.period_len).astype(np.intp)
        week = (t0 * (1 / 7)).astype(np.intp)
        rev = q * (self.price[pi] * self.margin[ci])
        cycle = last - t0
        nc, nps, npl = len(self.cl), len(self.sm) // ML, len(self.pl) // ML

        def add(acc: np.ndarray, idx: np.ndarray, w: np.ndarray | None = None) -> None:
            acc += np.bincount(idx, weights=w, minlength=len(acc))

        # per line
        cm = self.cm.reshape(nc, ML)
        cm[:, EXPRESS] += np.bincount(ci, q, nc)
        cm[:, REVENUE] += np.bincount(ci, rev, nc)
        cm[:, COGS] += np.bincount(ci, q * self.cost[pi], nc)
        lines = np.bincount(ci, minlength=nc)
        cm[:, LINES_FILLED] += lines
        self.cl += lines
        sm = self.sm.reshape(nps, ML)
        sm[:, EXPRESS] += np.bincount(si, q, nps)
        sm[:, REVENUE] += np.bincount(si, rev, nps)
        sm[:, LINES_FILLED] += np.bincount(si, minlength=nps)
        sm[:, CYCLE_SUM] += np.bincount(si, cycle, nps)
        pl = self.pl.reshape(npl, ML)
        pl[:, EXPRESS] += np.bincount(per, q, npl)
        pl[:, REVENUE] += np.bincount(per, rev, npl)
        add(self.pcodes, pi * NCODES + code)
        add(self.fcodes, fi * NCODES + code)
        add(self.week, week, q)
        add(self.fac_week, fi * self.n_weeks + week, q)
        add(self.to_customers, pi, q)
        n_lanes = len(m.sites.lanes)
        if len(self.lanes) < n_lanes:
            grow = np.zeros(n_lanes - len(self.lanes))
            self.lanes = np.concatenate([self.lanes, grow])
            self.shipments = np.concatenate([self.shipments, grow.astype(np.int64)])
        add(self.lanes, li, q)
        # per order
        if not head.all():
            ci, code, cycle, t0, last, promised = (ci[head], code[head], cycle[head], t0[head],
                                                   last[head], promised[head])
            per, fi, li = per[head], fi[head], li[head]
        pl[:, CYCLE_SUM] += np.bincount(per, cycle, npl)
        add(self.cc, ci * NCODES + code)
        add(self.cs, ci, cycle)
        add(self.cpl, ci, promised - t0)
        late = last > promised
        add(self.clt, ci[late], (last - promised)[late])
        add(self.pc, per * NCODES + code)
        b = (cycle * 100.0).astype(np.intp)  # kpis.bin_of
        np.minimum(b, HIST_BINS, out=b)
        add(self.hist, self.tier[ci] * (HIST_BINS + 1) + b)
        add(self.wait_n, fi)
        add(self.shipments, li)

    def merge(self) -> None:
        """Add the folded counts to the collector, the lanes and the ledger (once, at the
        end of the run, before anything reads them)."""
        self.fold()
        m = self.m
        k = m.k
        for arr, acc in ((k.cm, self.cm), (k.sm, self.sm)):
            view = np.frombuffer(arr, dtype=float)
            view += acc
            del view
        for lst, acc in ((k.pl, self.pl), (k.cc, self.cc), (k.cl, self.cl), (k.cs, self.cs),
                         (k.cpl, self.cpl), (k.clt, self.clt), (k.pcodes, self.pcodes),
                         (k.fcodes, self.fcodes), (k.pc, self.pc), (k.week_demand, self.week),
                         (m.ledger.to_customers, self.to_customers)):
            lst[:] = (np.asarray(lst, dtype=acc.dtype) + acc).tolist()
        k.wait_n[:] = (np.asarray(k.wait_n, dtype=np.int64) + self.wait_n[:len(k.wait_n)]).tolist()
        hist = self.hist.reshape(k.nt, HIST_BINS + 1)
        for ti, h in enumerate(k.cycle_tier):
            counts = np.frombuffer(h.counts, dtype=np.int64)
            counts += hist[ti]
            del counts
        fac_week = self.fac_week.reshape(self.nf1, self.n_weeks)
        for fi, lst in enumerate(k.fac_week_in):
            lst[:] = (np.asarray(lst, dtype=float) + fac_week[fi]).tolist()
        for ((a, _), lane), units, n in zip(m.sites.lanes.items(), self.lanes.tolist(),
                                            self.shipments.tolist(), strict=False):
            if n:
                lane.delivered += units
                if lane.per_shipment:
                    k.transport[m.fidx[a]] += lane.per_shipment * n
        self._zero()
