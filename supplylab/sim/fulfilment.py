"""Fulfilment: shipping units to customers and between stock points, with their costs.

Rules held here: a shipment leaves a site after its processing station (lines of one order from
one site leave together: one processing job, one per-shipment lane cost); damage and document
errors make an order imperfect; cross-dock and direct lines are ordered to demand from the
supplier (flow-through); transport cost, CO2 and handling are charged per unit and per shipment;
delivered units earn revenue at the customer's price (less any promotion discount) and may come
back as returns.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .kpis import COGS, DELIVERED, DISCOUNT, ML, REVENUE
from .queues import Job
from .stock import CLASSIC, DIRECT, Order, Route, StockPoint

if TYPE_CHECKING:
    from .engine import Model


DAMAGED, DOC_ERROR = 1, 2  # quality failures of a shipment (bits of an order's ``bad``)


def quality(q: tuple[float, float, Any] | None) -> int:
    """Draw the quality of one shipment: DAMAGED and/or DOC_ERROR bits (0 = perfect)."""
    if q is None:
        return 0
    dmg, doc, u = q
    bad = 0
    if dmg > 0 and u() < dmg:
        bad = DAMAGED
    if doc > 0 and u() < doc:
        bad |= DOC_ERROR
    return bad


class Shipment:
    """The lines of one order leaving one priority station together (one processing job).

    ``lines`` holds (route, units, order waiting for it or None, units ordered when shipped at
    entry, else 0); ``counted`` whether it was decided inside the measured window."""

    __slots__ = ("t0", "counted", "units", "key", "station", "lines", "sent", "travelling",
                 "lane_deferred")

    def __init__(self, t0: float, counted: bool, units: float, key: tuple, station) -> None:
        self.t0 = t0
        self.counted = counted
        self.units = units
        self.key = key
        self.station = station
        self.lines: list[tuple[Route, float, Order | None, float]] = []
        self.sent = False  # handed to its station (``flush``)
        self.travelling = 0  # lines left the station and not yet arrived
        self.lane_deferred = False  # a line travels on a priority lane


class Fulfilment:
    """Shipments and deliveries."""

    def __init__(self, m: Model) -> None:
        self.m = m
        k = self.k = m.k
        self.ledger = m.ledger
        self.price = m.price
        self.margin_mult = m.crm.margin_mult
        self.return_rate = [p.return_rate for p in m.products]
        self._to_customers = m.ledger.to_customers
        self._cm, self._sm, self._pl = k.cm, k.sm, k.pl
        self.cost = m.cost
        self._wait_sum, self._wait_n, self._transport = k.wait_sum, k.wait_n, k.transport
        #: shipments handed to priority stations and not yet left (closed at the horizon)
        self.open: dict[int, Shipment] = {}
        #: flow-through lines waiting for a supplier's priority capacity: (route, units,
        #: order, counted)
        self.flow_open: dict[int, tuple[Route, float, Order, bool]] = {}

    def ship(self, rt: Route, units: float, now: float, dispatched: dict,
             order: Order | None = None, entry_q: float = 0.0) -> tuple[float, int] | None:
        """Send units of a route's product from its site; (arrival time, quality bits).

        Damage and document errors are drawn once per shipment (the order's lines from one
        site), on the first line: the others return 0.

        ``dispatched`` maps the sites this order has already been processed at to the time its
        shipment leaves them (one processing job and one shipment per order and site). The
        per-unit transport cost, CO2 and handling of these shipments are linear in the units
        delivered on the route: ``settle`` charges them at the end.

        At a station serving by priority the departure is not known yet: the line joins the
        order's ``Shipment`` at that site (``dispatched[fi]``), ``flush`` hands it to the
        station, ``order`` (if any) waits for it (``pending``) and None is returned; when it
        leaves, ``OrderDesk.shipped`` records the line (``entry_q``: units ordered, for a line
        shipped at entry).
        """
        m = self.m
        fi = rt.fi
        lane = rt.lane
        st = rt.station
        if st is not None and (st.deferred or lane.deferred):
            shp = dispatched.get(fi)
            if shp is None:
                shp = dispatched[fi] = Shipment(now, m.counting, units, rt.key, st)
                if m.counting:
                    self._transport[fi] += lane.per_shipment
            elif rt.key < shp.key:
                shp.key = rt.key
            if lane.deferred:
                shp.lane_deferred = True
            shp.lines.append((rt, units, order, entry_q))
            self._to_customers[rt.pi] += units
            if order is not None:
                order.pending += 1
            return None
        depart = dispatched.get(fi)
        bad = 0
        if depart is None:  # the order's shipment from this site: one quality draw
            bad = quality(rt.quality)
            st = rt.station
            if st.instant:
                depart = now
                wait = 0.0
            else:
                wait, depart = st.dispatch(now, units)
                m.promising.observe(fi, rt.key, depart - now)
            dispatched[fi] = depart
            if m.counting:
                self._wait_sum[fi] += wait
                self._wait_n[fi] += 1
                self._transport[fi] += lane.per_shipment
        c = lane.const
        arrive = depart + c if c is not None else lane.arrive(depart, units)
        self._to_customers[rt.pi] += units
        if arrive > m.horizon:
            self.charge_late(rt, units, arrive)
        self.delivered(rt, units, now, arrive)
        if m.log is not None:
            m.log(now, "ship", m.customers[rt.ci].id, m.products[rt.pi].id,
                  m.sites.site_name(fi), units, arrive)
        return arrive, bad

    def flush(self, dispatched: dict) -> None:
        """Hand the order's new shipments to their priority stations (key: its best line's)."""
        m = self.m
        for shp in dispatched.values():
            if type(shp) is Shipment and not shp.sent:
                shp.sent = True
                st = shp.station
                if st.deferred and not shp.lane_deferred:
                    depart = st.depart_at_once(shp.t0)
                    if depart is not None:  # processed at once: no job, no waiting
                        self._left_at_once(shp, depart)
                        continue
                m.seq += 1
                job = Job(shp.key, m.seq, shp.units, self._left, shp)
                # a priority lane takes loads in the order they leave: told at the departure
                job.at_departure = shp.lane_deferred
                self.open[m.seq] = shp
                if st.deferred:
                    st.submit(shp.t0, shp.units, job)
                else:  # a FCFS station before a priority lane: it leaves now
                    now = shp.t0
                    if st.instant:
                        wait, depart = 0.0, now
                    else:
                        wait, depart = st.dispatch(now, shp.units)
                    job.t_in, job.start = now, now + wait
                    self._left(job, depart, now)

    def _left(self, job: Job, depart: float, now: float | None = None) -> None:
        """A shipment leaves its station at ``depart`` (known at ``now``, default when it was
        handed over or the clock, whichever is later: a shipment served without waiting knows
        its departure when it is handed over): its lines travel (a priority lane carries them
        by priority), arrive and are recorded as ``ship`` records them at a FCFS station."""
        m = self.m
        shp: Shipment = job.data
        if now is None:
            now = m.env.now if m.env.now > shp.t0 else shp.t0
        rt0 = shp.lines[0][0]
        fi = rt0.fi
        m.promising.observe(fi, shp.key, depart - shp.t0)
        if shp.counted:
            self._wait_sum[fi] += job.start - job.t_in
            self._wait_n[fi] += 1
        bad = quality(rt0.quality)  # one draw for the shipment
        shp.travelling = len(shp.lines)
        for i, (rt, units, _, _) in enumerate(shp.lines):
            lane = rt.lane
            if lane.deferred:
                lane.arrive_later(depart, units, rt.key, now,
                                  lambda a, i=i, shp=shp, bad=bad, seq=job.seq:
                                  self._arrived(shp, seq, i, a, bad, m.env.now))
            else:
                c = lane.const
                arrive = depart + c if c is not None else lane.arrive(depart, units)
                self._arrived(shp, job.seq, i, arrive, bad, now)

    def _left_at_once(self, shp: Shipment, depart: float) -> None:
        """``_left`` of a shipment its priority station processes at once (no wait) and whose
        lanes carry it FCFS: every line arrives at a known time; recorded as ``_arrived``
        records them, in the same order, without a job or an open entry."""
        m = self.m
        t0 = shp.t0
        now = m.env.now if m.env.now > t0 else t0
        rt0 = shp.lines[0][0]
        fi = rt0.fi
        m.promising.observe(fi, shp.key, depart - t0)
        counted = shp.counted
        if counted:
            self._wait_n[fi] += 1  # its wait is 0
        bad = quality(rt0.quality)  # one draw for the shipment
        horizon = m.horizon
        shipped = m.orders.shipped
        log = m.log
        for rt, units, order, entry_q in shp.lines:
            c = rt.lane.const
            arrive = depart + c if c is not None else rt.lane.arrive(depart, units)
            if arrive > horizon:
                self.charge_late(rt, units, arrive, counted)
            self.delivered(rt, units, t0, arrive, counted)
            if log is not None:
                log(t0, "ship", m.customers[rt.ci].id, m.products[rt.pi].id,
                    m.sites.site_name(rt.fi), units, arrive)
            if order is not None:
                shipped(order, rt, units, entry_q, arrive, bad, now)

    def _arrived(self, shp: Shipment, seq: int, i: int, arrive: float, bad: int,
                 now: float) -> None:
        """Line ``i`` of a shipment arrives at ``arrive`` (known at ``now``)."""
        m = self.m
        rt, units, order, entry_q = shp.lines[i]
        shp.lines[i] = (rt, 0.0, None, 0.0)  # arrived: nothing left to close at the horizon
        shp.travelling -= 1
        if shp.travelling == 0:
            del self.open[seq]
        if arrive > m.horizon:
            self.charge_late(rt, units, arrive, shp.counted)
        self.delivered(rt, units, shp.t0, arrive, shp.counted)
        if m.log is not None:
            m.log(shp.t0, "ship", m.customers[rt.ci].id, m.products[rt.pi].id,
                  m.sites.site_name(rt.fi), units, arrive)
        if order is not None:
            m.orders.shipped(order, rt, units, entry_q, arrive, bad, now)

    def close_open(self) -> list[Order]:
        """At the horizon: charge the shipments still at their stations as late ones; the
        orders waiting for them (to be judged as open orders)."""
        waiting: list[Order] = []
        for shp in self.open.values():
            for rt, units, order, _ in shp.lines:
                if units <= 0 and order is None:  # this line has arrived
                    continue
                self.charge_late(rt, units, math.inf, shp.counted)
                if order is not None:
                    waiting.append(order)
        waiting.extend(order for _, _, order, _ in self.flow_open.values())
        return waiting

    def delivered(self, rt: Route, units: float, now: float, arrive: float,
                  counting: bool | None = None) -> None:
        """Delivered units, revenue and cost of goods (by customer, product-site and period),
        promotion discounts, the units of each lane from stock (``settle``), and the returns they will cause. A delivery arriving after the horizon does
        not count (its units are still in transit when the run ends). ``counting``: whether
        the shipment was decided in the measured window (default: now)."""
        m = self.m
        pi = rt.pi
        if arrive > m.horizon:
            return
        counted = m.counting if counting is None else counting
        if counted:
            cm, sm, base, sbase = self._cm, self._sm, rt.base, rt.sbase
            cm[base + DELIVERED] += units
            sm[sbase + DELIVERED] += units
            pb = int((now - m.warmup) / m.period_len) * ML
            pl = self._pl
            pl[pb + DELIVERED] += units
            price = self.price[pi] * self.margin_mult[rt.ci]
            pl[pb + REVENUE] += units * price
            cm[base + REVENUE] += units * price
            sm[sbase + REVENUE] += units * price
            cm[base + COGS] += units * self.cost[pi]
            if rt.kind is CLASSIC:
                rt.lane.delivered += units
            if rt.promo is not None:
                disc = rt.promo.discount(pi, now)
                if disc:
                    cm[base + DISCOUNT] += units * price * disc
                    sm[sbase + DISCOUNT] += units * price * disc
                    pl[pb + DISCOUNT] += units * price * disc
                    pl[pb + REVENUE] -= units * price * disc
                    cm[base + REVENUE] -= units * price * disc
                    sm[sbase + REVENUE] -= units * price * disc
        if self.return_rate[pi] > 0:
            self.m.returns.sample(rt, units, arrive, counted)

    def charge_late(self, rt: Route, units: float, arrive: float,
                    counting: bool | None = None) -> None:
        """Per-unit transport, CO2 and handling of a shipment from stock that arrives after
        the horizon: charged now (``settle`` charges the delivered units at the end)."""
        if not (self.m.counting if counting is None else counting):
            return
        k = self.k
        fi, lane = rt.fi, rt.lane
        k.transport[fi] += lane.unit_cost * units
        k.co2[fi] += lane.co2_per_unit * units
        k.handling[fi] += self.m.sites.handling_cost[fi] * units

    def settle(self) -> None:
        """Charge the per-unit transport cost, CO2 and handling of the units shipped to
        customers from stock (classic routes), lane by lane (``Lane.delivered``), in the order
        of the lanes' keys (not of their creation, which follows the order stream)."""
        k = self.k
        m = self.m
        handling = m.sites.handling_cost
        for (a, _), lane in sorted(m.sites.lanes.items()):  # keys are unique: lanes never compared
            units = lane.delivered
            if units:
                fi = m.fidx[a]
                k.transport[fi] += lane.unit_cost * units
                k.co2[fi] += lane.co2_per_unit * units
                k.handling[fi] += handling[fi] * units

    def ship_internal(self, up: StockPoint, down: StockPoint, units: float, now: float) -> None:
        """Units from an upstream stock point to a downstream one (its replenishment)."""
        m = self.m
        sites = m.sites
        lane = down.in_lane
        if m.counting:
            k = self.k
            k.transport[down.fi] += lane.unit_cost * units + lane.per_shipment
            k.co2[down.fi] += lane.co2_per_unit * units
            k.handling[up.fi] += sites.handling_cost[up.fi] * units
        st = sites.stations[up.fi]
        depart = st.depart_at_once(now) if st.deferred else None
        if st.deferred and depart is None:  # waits at the station by the transfer's priority key
            m.seq += 1
            sid = m.seq
            m.ledger.outstanding[sid] = (down.pi, units)

            def left(_job: Job, depart: float) -> None:
                del m.ledger.outstanding[sid]
                m.replenishment.schedule_receipt(down, lane.arrive(depart, units), units, units)

            st.submit(now, units, Job(down.transfer_key, sid, units, left))
            return
        if depart is None:
            _, depart = st.dispatch(now, units)
        m.replenishment.schedule_receipt(down, lane.arrive(depart, units), units, units)

    def flow_through(self, rt: Route, q: float, now: float, legs: set[tuple[str, int, str]],
                     order: Order | None = None) -> tuple[float | None, float, int]:
        """Cross-dock or direct: ordered to demand from the supplier; (arrival, units shipped,
        quality bits of the shipment: drawn on its first line, from the dock's or the
        supplier's rates).

        ``legs`` holds the legs this order has already paid a shipment on: the lines of one
        order from one supplier travel (and are costed) as one shipment per leg. When the
        supplier serves its capacity by priority the arrival is not known yet: None is returned
        and ``order`` (which must be given) waits for the line (``OrderDesk.shipped``).
        """
        m = self.m
        sites = m.sites
        pi, fi = rt.pi, rt.fi
        src = rt.src
        counted = m.counting
        leg = ("out", fi, src.id)
        bad = quality(rt.quality) if leg not in legs else 0

        def travel(depart: float) -> float:
            if rt.kind is DIRECT:
                return rt.lane.arrive(depart, shipped)
            at_dock = rt.inbound.arrive(depart, shipped)
            out = at_dock + sites.dwell[fi]()
            st = sites.stations[fi]
            if st.windows.spans:
                out = st.windows.available_from(out)
            return rt.lane.arrive(out, shipped)

        def later(depart: float, _shipped: float) -> None:
            del self.flow_open[token]
            m.promising.observe_supplier(src.id, depart - now)
            arrive = travel(depart)
            if shipped > 0:
                self.delivered(rt, shipped, now, arrive, counted)
            assert order is not None
            m.orders.shipped(order, rt, shipped, q, arrive, bad, m.env.now)

        token = 0
        depart, shipped = src.ship(now, m.products[pi].id, q, rt.key, later)
        if depart is None:  # ``later`` runs at an event of its own, after this
            assert order is not None
            order.pending += 1
            m.seq += 1
            token = m.seq
            self.flow_open[token] = (rt, shipped, order, counted)
        ledger = self.ledger
        ledger.supplier_shipped[pi] += shipped
        arrive = None
        if depart is not None:
            m.promising.observe_supplier(src.id, depart - now)
            arrive = travel(depart)
        if rt.kind is not DIRECT:
            inbound = rt.inbound
            ledger.cross_units[fi] += shipped
            if m.counting:
                k = self.k
                k.transport[fi] += inbound.unit_cost * shipped
                k.co2[fi] += inbound.co2_per_unit * shipped
                k.handling[fi] += sites.handling_cost[fi] * shipped
                if ("in", fi, src.id) not in legs:  # one inbound shipment per order and dock
                    legs.add(("in", fi, src.id))
                    k.transport[fi] += inbound.per_shipment
        ledger.to_customers[pi] += shipped
        if m.counting:
            k = self.k
            k.transport[fi] += rt.lane.unit_cost * shipped
            k.co2[fi] += rt.lane.co2_per_unit * shipped
            if leg not in legs:  # lines of one order travel together
                k.transport[fi] += rt.lane.per_shipment
        legs.add(leg)
        if shipped > 0 and arrive is not None:
            self.delivered(rt, shipped, now, arrive)
        return arrive, shipped, bad
