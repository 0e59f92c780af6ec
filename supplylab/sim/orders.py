"""Customer orders: walking the merged order stream and serving each order at entry.

Rules held here: each line takes what its stock point can give (above the line's critical level
under rationing; nothing unless complete under ``ship_complete``); a shortfall is offered to the
product's substitutes in stock at the same site, then lost at once (no wait allowed) or
backordered for ``min(max_backorder_days, patience)``; cross-dock and direct lines flow through
from the supplier; the order's promised date is the latest line's expected delivery. An order
that completes at entry is recorded at once; otherwise when its last backordered line closes.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from . import kpis as K
from .demand import CHUNK_DAYS, PIECE_DAYS, sample_chunk
from .express_desk import ExpressDesk
from .kpis import FROM_STOCK, ML
from .promising import REFRESH
from .stock import CLASSIC, Order, Route, StockPoint
from .streams import Uniforms

if TYPE_CHECKING:
    from .engine import Model


class OrderDesk(ExpressDesk):
    """Serves customer orders as they arrive."""

    def __init__(self, m: Model) -> None:
        self.m = m
        k = m.k
        self.backorder_days = [p.backorder_days() for p in m.products]
        self.has_substitutes = [bool(p.substitutes) for p in m.products]
        self._subst_u = Uniforms(m.streams.rng("network", "substitution"))
        self._cm, self._sm, self._pl = k.cm, k.sm, k.pl
        self._week_demand, self._fac_week_in = k.week_demand, k.fac_week_in
        # bound for the one-line fast path (_from_stock); the collector zeroes them in place
        self._wait_sum, self._wait_n, self._transport = k.wait_sum, k.wait_n, k.transport
        self._to_customers = m.ledger.to_customers
        self._price, self._margin_mult = m.price, m.crm.margin_mult
        self._return_rate = [p.return_rate for p in m.products]
        self._returns = any(r > 0 for r in self._return_rate)  # some product is returned
        self._requested_days = m.crm.requested_days
        self._failure = m.crm.failure
        self.express = True  # use the fast path (tests switch it off to compare)
        self._xbuf = m.xlog.buf  # the fast path's records (folded after each piece)
        self._history = m.history.record
        self._h_last, self._h_value = m.history.last, m.history.value
        self._against_promise = m.sc.simulation.perfect_order_on_time == "promised"
        self._observe, self._ctp, self._conf = (m.promising.observe, m.promising.ctp,
                                                m.promising.conf)
        self._lanes, self._lane_of = m.sites.lanes, m.lane_of  # Sites.lane's, read inline

    def stream(self) -> Generator[Any, Any, None]:
        """Walk the merged order stream. An order needs no SimPy event of its own unless
        another event is due before it: then the process waits until the order's time."""
        m = self.m
        env = m.env
        active = m.crm.active
        churned_at = m.crm.churned_at
        joined = m.crm.joined
        winning_back = m.crm.winning_back
        defecting, keeps = m.crm.defecting, m.crm.keeps_order
        place, from_stock, lines_from_stock = (self.place, self._from_stock,
                                               self._lines_from_stock)
        by_customer, route = m.routing.by_customer, m.routing.route
        lean, proto = m.routing.lean(), m.routing.proto
        express = self.express and m.log is None
        queue = env._queue  # SimPy's event heap: (time, priority, id, event); peek() inlined
        late_joiners = any(j > 0 for j in joined)  # acquired customers join during the run
        for times, cust, starts, prods, qtys in self._pieces():
            for t, ci, a, b in zip(times, cust, starts, islice(starts, 1, None),
                                   strict=False):
                if queue and queue[0][0] <= t:
                    yield env.timeout(t - env.now)
                if (not active[ci] or t >= churned_at[ci]) and (
                        not winning_back or not m.crm.comes_back(ci, t)):
                    active[ci] = False  # left (and not back)
                    continue
                if (late_joiners and t < joined[ci]) or (defecting and not keeps(ci, t)):
                    continue  # not a customer yet, or ordering less after backorders
                if express:  # served in full at entry from one site: the fast paths, given
                    # the lines' routes, or their prototypes (Routing.lean: no route is made)
                    if b - a == 1:
                        pi = prods[a]
                        rt = by_customer[ci].get(pi)
                        if rt is None:
                            gp = lean[ci]
                            rt = (gp[pi] or proto(ci, pi)) if gp is not None else route(ci, pi)
                        if (rt.express or rt.lane is None) and from_stock(ci, t, rt, qtys[a]):
                            continue
                    else:
                        gp = lean[ci]
                        if gp is not None:
                            rts = [gp[pi] or proto(ci, pi) for pi in prods[a:b]]
                        else:
                            routes = by_customer[ci]
                            rts = [routes.get(pi) or route(ci, pi) for pi in prods[a:b]]
                        if lines_from_stock(ci, t, rts, qtys, a):
                            continue
                place(ci, t, prods, qtys, a, b)
            m.xlog.fold()

    def _pieces(self) -> Iterator[tuple[list[float], list[int], list[int] | range, list[int],
                                        list[int]]]:
        """The order stream up to the horizon: 52-week chunks of every customer's orders
        (``demand.sample_chunk``), each handed out in ``PIECE_DAYS`` pieces of Python lists."""
        m = self.m
        t0 = 0.0
        while t0 < m.horizon:
            t1 = t0 + CHUNK_DAYS
            yield from sample_chunk(m.demand, t0, t1).pieces(t0, PIECE_DAYS, min(t1, m.horizon))
            t0 = t1

    def place(self, ci: int, now: float, prods: list[int], qtys: list[int], a: int,
              b: int, rts: list[Route] | None = None) -> None:
        """Serve an order at time ``now`` whose lines are ``prods[a:b]`` x ``qtys[a:b]``:
        ship what stock allows, backorder or lose the rest (``rts``: the lines' routes, if
        known).

        ``now`` is explicit: the SimPy clock may still show the previous event's time (no
        event happens in between); everything scheduled uses absolute times.
        """
        m = self.m
        routes = m.routing.by_customer[ci]
        counting = m.counting
        crm = m.crm
        requested = now + crm.requested_days[ci]
        # a line counts as filled when its shipment arrives within the run or by its due date
        cutoff = requested if requested > m.horizon else m.horizon
        per = int((now - m.warmup) / m.period_len) if counting else -1
        cm, sm, pl = self._cm, self._sm, self._pl
        pb = per * ML
        week = int(now * (1 / 7))
        promised = now
        last = now
        first_full = True
        held = False  # a line was backordered or lost (else the order was served at entry)
        order: Order | None = None
        bad = 0  # quality bits of the order's shipments (fulfilment.DAMAGED, DOC_ERROR)
        dispatched: dict[int, float] = {}
        lines: list[Route] = []
        filled: list[Route] = []
        value = 0.0  # what the customer pays for the order (order history)
        log = m.log
        ship = m.fulfilment.ship
        promising = m.promising
        route = m.routing.route
        if b - a > 1:  # the routes first: the order's promise depends on its shipments
            if rts is None:
                rts = [routes.get(pi) or route(ci, pi) for pi in prods[a:b]]
            conf = promising.order_confidence(ci, independent_legs(rts))
        else:
            conf = promising.order_confidence(ci, 1)
        legs: set[tuple[str, int, str]] | None = None
        for j in range(a, b):
            pi = prods[j]
            q = qtys[j]
            rt = rts[j - a] if rts is not None else (routes.get(pi) or route(ci, pi))
            reopen = now
            if rt.kind is CLASSIC and rt.station.outage:
                reopen = rt.station.closed_until(now)
                if reopen > now:  # an outage closes the site: its fallback serves, if any
                    alt = m.routing.fallback(rt, now)
                    if alt is not None:
                        rt, reopen = alt, now
            lines.append(rt)
            if log is not None:
                log(now, "demand", m.customers[ci].id, m.products[pi].id,
                    m.sites.site_name(rt.fi), q)
            if counting:
                cm[rt.base] += q
                sm[rt.sbase] += q
                pl[pb] += q
                self._week_demand[week] += q
                paid = self._price[pi] * self._margin_mult[ci]
                if rt.promo is not None:
                    paid *= 1.0 - rt.promo.discount(pi, now)
                value += q * paid
            if rt.kind is CLASSIC:
                sp = rt.sp
                self._fac_week_in[rt.fi][week] += q
                dt = now - sp.t_last  # sp.touch(now), inlined
                if dt > 0:
                    sp.area_onhand += sp.on_hand * dt
                    sp.area_backlog += sp.backlog_units * dt
                    sp.area_pipeline += sp.on_order * dt
                    sp.t_last = now
                avail = sp.on_hand if reopen <= now else 0  # a closed site picks nothing
                if sp.classes is not None:
                    avail -= sp.critical(rt.key)
                    if avail < 0:
                        avail = 0
                take = avail if avail < q else q
                if take < q and m.allocation.ship_complete:
                    take = 0
                short = q - take
                if take > 0:
                    sp.on_hand -= take
                    sp.shipped += take
                    if rt.station.deferred or rt.lane.deferred:  # served by priority later
                        if order is None:
                            order = Order(ci, now, requested, promised, counting, per)
                        ship(rt, take, now, dispatched, order, q)
                    else:
                        t_arr, is_bad = ship(rt, take, now, dispatched)
                        bad |= is_bad
                        if t_arr > last:
                            last = t_arr
                        if counting and t_arr <= cutoff:
                            cm[rt.base + FROM_STOCK] += take
                            sm[rt.sbase + FROM_STOCK] += take
                            pl[pb + FROM_STOCK] += take
                            if take >= q:
                                filled.append(rt)
                if short > 0:
                    first_full = False
                    sp.stocked_out = True
                    if self.has_substitutes[pi] and reopen <= now:
                        took, sbad = self._substitute(rt, short, now, dispatched)
                        short -= took
                        bad |= sbad
                if short <= 0:  # ships now: Promising.ctp, its answer inlined while it is valid
                    c = rt.ctp
                    if c.v is not None and c.q == conf and (
                            ((obs := c.obs) is None and rt.station.instant)
                            or (obs is not None and obs.n - c.n < REFRESH)):
                        p_line = now + (c.v + rt.ctp_add)
                    else:
                        p_line = now + self._ctp(rt, conf)
                else:
                    if order is None:
                        order = Order(ci, now, requested, promised, counting, per)
                    held = True
                    p_line = self._short(rt, sp, order, short, now, per, reopen, conf)
                if sp.on_hand + sp.on_order - sp.backlog_units < sp.trigger:
                    sp.review(now)
            else:
                if legs is None:
                    legs = set()
                if rt.src.deferred and order is None:  # waits for the supplier's capacity
                    order = Order(ci, now, requested, promised, counting, per)
                t_arr, shipped, fbad = m.fulfilment.flow_through(rt, q, now, legs, order)
                if t_arr is not None:
                    bad |= fbad
                p_line = promising.flow(rt, conf, now)
                if t_arr is not None:
                    if t_arr > last:
                        last = t_arr
                    if counting and t_arr <= cutoff:
                        cm[rt.base + FROM_STOCK] += shipped
                        sm[rt.sbase + FROM_STOCK] += shipped
                        pl[pb + FROM_STOCK] += shipped
                        if shipped >= q:
                            filled.append(rt)
                if shipped < q:
                    first_full = False
                    m.outcomes.lost(rt, q - shipped, now, per)
                    if order is None:
                        order = Order(ci, now, requested, promised, counting, per)
                    held = True
                    order.lost = True
            if p_line > promised:
                promised = p_line
        if counting:
            self._history(ci, now, value)
        if order is not None:
            order.promised = promised
            order.first_full = first_full or not held
            order.bad |= bad
            order.lines = lines
            order.filled.extend(filled)
            if last > order.last:
                order.last = last
            order.pending += 1  # shipments whose departure is known in ``flush`` leave it open
        if dispatched:
            m.fulfilment.flush(dispatched)
        if order is None:
            m.outcomes.finish(ci, now, requested, promised, last, True, True, bad, lines, filled,
                              per, counting, now)
            return
        order.pending -= 1
        if order.pending == 0:
            m.outcomes.close(order, now)

    def shipped(self, order: Order, rt: Route, units: float, entry_q: float, arrive: float,
                bad: int, now: float) -> None:
        """A shipment of ``order`` that waited at a priority station has left at ``now`` and
        arrives at ``arrive``: the line is recorded as ``place`` records it at a FCFS station
        (``entry_q`` > 0: shipped at entry, counted as filled from stock when on time)."""
        order.bad |= bad
        if arrive > order.last:
            order.last = arrive
        if entry_q > 0 and order.counted:
            requested = order.requested
            cutoff = requested if requested > self.m.horizon else self.m.horizon
            if arrive <= cutoff:
                self._cm[rt.base + FROM_STOCK] += units
                self._sm[rt.sbase + FROM_STOCK] += units
                self._pl[order.per * ML + FROM_STOCK] += units
                if units >= entry_q:
                    order.filled.append(rt)
        order.pending -= 1
        if order.pending == 0:
            self.m.outcomes.close(order, now)

    def _short(self, rt: Route, sp: StockPoint, order: Order, short: float, now: float,
               per: int, reopen: float, conf: float) -> float:
        """The part of a line that stock could not serve: lost at once when no wait is allowed
        (importance 1, ``max_backorder_days: 0`` or no patience), else backordered for
        ``min(max_backorder_days, patience)``. Returns the line's promised date (not before
        ``reopen``, when a closed site opens again)."""
        m = self.m
        wait = self.backorder_days[rt.pi]
        patience = m.crm.patience[rt.ci]
        if patience < wait:
            wait = patience
        if wait <= 0:
            m.outcomes.lost(rt, short, now, per)
            order.lost = True
            return now
        promised = m.promising.waits(rt, sp, conf, short, now, reopen)
        m.allocation.backorder(sp, order, rt, short, now, now + wait)
        return promised

    def _substitute(self, rt: Route, short: float, now: float,
                    dispatched: dict[int, float]) -> tuple[float, int]:
        """Serve part of a shortfall with substitutes in stock at the same site; (units
        served, quality bits of a shipment they started)."""
        m = self.m
        taken = 0.0
        bad = 0
        fi = rt.fi
        for sub in m.products[rt.pi].substitutes:
            if short - taken <= 0:
                break
            spi = m.pidx[sub.product]
            ssp = m.sites.sp.get((fi, spi))
            if ssp is None or ssp.on_hand <= 0 or self._subst_u() >= sub.acceptance:
                continue
            ssp.touch(now)
            n = min(ssp.on_hand, short - taken)
            ssp.on_hand -= n
            ssp.shipped += n
            taken += n
            res = m.fulfilment.ship(m.routing.route(rt.ci, spi), n, now, dispatched)
            if res is not None:
                bad |= res[1]
            if m.counting:
                m.k.cm[rt.base + K.SUBST] += n
                m.k.sm[rt.sbase + K.SUBST] += n
            if ssp.on_hand + ssp.on_order - ssp.backlog_units < ssp.trigger:
                ssp.review(now)
        return taken, bad


def independent_legs(rts: list[Route]) -> int:
    """Independent shipments of an order's lines (for its promise): one per site it ships from
    stock, one per cross-dock or direct line."""
    sites = {rt.fi for rt in rts if rt.kind is CLASSIC}
    return len(sites) + sum(1 for rt in rts if rt.kind is not CLASSIC)
