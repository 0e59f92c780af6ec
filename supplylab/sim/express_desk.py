"""The fast paths of order serving: orders that one site serves in full from stock at entry.

``OrderDesk.stream`` offers them every order first; they do what ``OrderDesk.place``,
``Fulfilment.ship`` / ``flush`` and ``Outcomes.finish`` would do for such an order, in the
same order of random draws and events, without the general path's bookkeeping of shortfalls,
several sites and open orders. While the KPIs are measured what they count goes into one
record per line of ``express.ExpressLog``, folded with numpy; a delivery after the horizon
goes through the general functions. ``tests/sim/test_express.py`` checks that both paths give
the same results (counts exactly, sums to 1e-12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .express import WIDTH
from .fulfilment import quality
from .kpis import DEMAND, DISCOUNT, FROM_STOCK, ML, REVENUE
from .outcomes import EPS
from .promising import REFRESH
from .stock import CLASSIC, Route, StockPoint

if TYPE_CHECKING:
    from .engine import Model


class ExpressDesk:
    """The fast paths of ``orders.OrderDesk`` (a base class: the desk binds the collector's
    arrays and the model's tables these methods read, see ``OrderDesk.__init__``)."""

    m: Model

    def _from_stock(self, ci: int, now: float, rt: Route, q: int) -> bool:
        """The common case of ``place`` (chosen by ``stream``): a one-line order of customer
        ``ci`` that its stock point serves in full at entry. The rules and the arithmetic of
        the general path (``place``, ``Fulfilment.ship``, ``Outcomes.finish``) inlined,
        without their bookkeeping of several lines, sites and shortfalls; while the KPIs are
        measured, what it counts is one record of eight numbers (``express.ExpressLog``).
        ``tests/sim/test_express.py`` checks both paths give the same results. A delivery
        after the horizon (rare) goes through the general functions.

        ``rt`` is the line's route, or its prototype (``Routing.lean``: a route without lane),
        whose customer's lane, promotions and promise answer are looked up here, so that no
        route is made (only for a product that may be returned, a promise due for a refresh
        and a delivery after the horizon). The conditions are ``Route.express``'s; at a
        priority station (``Station.prompt``) the order takes this path only when the
        station processes it at once. False (nothing done) otherwise: ``place`` it.
        """
        sp = rt.sp
        m = self.m
        lane = rt.lane
        if lane is not None:  # the customer's route
            if not rt.express or sp.on_hand < q:
                return False
            st = rt.station
            promo, ans, add = rt.promo, rt.ctp, rt.ctp_add
        else:  # a prototype: Route.express and Routing._like on the customer's lane
            if rt.kind is not CLASSIC or sp.classes is not None or sp.on_hand < q:
                return False
            st = rt.station
            if st.outage or (st.deferred and not st.prompt):
                return False
            key = (rt.site, self._lane_of[ci])  # Sites.lane, inlined
            lane = self._lanes.get(key) or m.sites.lane(*key)
            if lane.deferred:
                return False
            promo = m.promo_customers.get(ci)
            add = lane.promise_days
            if add is not None:
                ans = rt.ctp
            else:
                ans, add = m.promising.cell(rt.fi, rt.key, lane), 0.0
        if st.deferred:  # its departure, as ``Fulfilment.flush`` would find it
            depart = st.depart_at_once(now)
            if depart is None:
                return False
        pi = rt.pi
        counting = m.counting
        if counting:
            paid = self._price[pi] * self._margin_mult[ci]
            if promo is not None:
                paid *= 1.0 - promo.discount(pi, now)
            if int(now) == self._h_last[ci]:  # OrderHistory.record: the same occasion
                self._h_value[ci] += q * paid
            else:
                self._history(ci, now, q * paid)
        dt = now - sp.t_last  # sp.touch(now), inlined
        if dt > 0:
            sp.area_onhand += sp.on_hand * dt
            sp.area_backlog += sp.backlog_units * dt
            sp.area_pipeline += sp.on_order * dt
            sp.t_last = now
        sp.on_hand -= q
        sp.shipped += q
        # Fulfilment.ship: one processing job and one shipment
        if st.instant:
            depart = now
        elif not st.deferred:
            wait, depart = st.dispatch(now, q)
            self._observe(rt.fi, rt.key, depart - now)
            if counting:
                self._wait_sum[rt.fi] += wait
        c = lane.const
        arrive = depart + c if c is not None else lane.arrive(depart, q)
        bad = 0 if rt.quality is None else quality(rt.quality)
        q_conf = self._conf[ci]
        # Promising.ctp's answer of the site, class and lane, inlined
        if ans.v is not None and ans.q == q_conf and (
                ((obs := ans.obs) is None and st.instant)
                or (obs is not None and obs.n - ans.n < REFRESH)):
            promised = now + (ans.v + add)
        else:
            promised = now + self._ctp(m.routing.own(rt, ci), q_conf)
        if st.deferred:  # observed after the promise, as ``Fulfilment.flush`` observes it
            self._observe(rt.fi, rt.key, depart - now)
        if arrive > m.horizon:
            self._late(ci, now, m.routing.own(rt, ci), sp, q, arrive, promised, bad)
            return True
        if not counting:
            self._to_customers[pi] += q
        elif promo is not None:  # Fulfilment.delivered: the discount of a promotion
            disc = promo.discount(pi, now)
            if disc:
                self._discount(ci * ML, rt.sbase,
                               q * (self._price[pi] * self._margin_mult[ci]) * disc, now)
        if self._returns and self._return_rate[pi] > 0:
            m.returns.sample(m.routing.own(rt, ci), q, arrive)
        if sp.on_hand + sp.on_order - sp.backlog_units < sp.trigger:
            sp.review(now)
        # Outcomes.finish of a complete order with one line, first shipment full, delivered
        # within the run
        last = arrive if arrive > now else now
        if not last <= now + self._requested_days[ci] + EPS:  # not on time
            self._failure(ci, now)
        if not counting:
            return True
        buf = self._xbuf
        if bad:
            m.outcomes.quality_failed(ci, bad, (rt,), int((now - m.warmup) / m.period_len))
            m.xlog.bad.append(len(buf))
        buf += (ci, rt.sbase, lane.ix, now, q, last, promised, 1)  # its outcome code: in the fold
        return True

    def _late(self, ci: int, now: float, rt: Route, sp: StockPoint, q: int, arrive: float,
              promised: float, bad: int) -> None:
        """``_from_stock`` of an order whose delivery falls after the horizon: counted by the
        general functions (``Fulfilment.charge_late``, ``Outcomes.finish``)."""
        m = self.m
        fi = rt.fi
        counting = m.counting
        per = -1
        if counting:
            per = int((now - m.warmup) / m.period_len)
            self._week_demand[int(now * (1 / 7))] += q
            self._wait_n[fi] += 1
            self._transport[fi] += rt.lane.per_shipment
        self._fac_week_in[fi][int(now * (1 / 7))] += q
        self._to_customers[rt.pi] += q
        m.fulfilment.charge_late(rt, q, arrive)
        requested = now + self._requested_days[ci]
        filled: tuple[Route, ...] = ()
        if counting:
            cm, sm, pl, pb = self._cm, self._sm, self._pl, per * ML
            cm[rt.base] += q
            sm[rt.sbase] += q
            pl[pb] += q
            if arrive <= requested:
                cm[rt.base + FROM_STOCK] += q
                sm[rt.sbase + FROM_STOCK] += q
                pl[pb + FROM_STOCK] += q
                filled = (rt,)
        if sp.on_hand + sp.on_order - sp.backlog_units < sp.trigger:
            sp.review(now)
        m.outcomes.finish(ci, now, requested, promised, arrive, True, True, bad, (rt,), filled,
                          per, counting, now)

    def _discount(self, base: int, sbase: int, disc: float, now: float) -> None:
        """A promotion's discount on a fast-path line (its revenue is counted at full price) of
        the customer counters at ``base`` and the product-site counters at ``sbase``."""
        per = int((now - self.m.warmup) / self.m.period_len)
        cm, sm, pl, pb = self._cm, self._sm, self._pl, per * ML
        cm[base + DISCOUNT] += disc
        sm[sbase + DISCOUNT] += disc
        pl[pb + DISCOUNT] += disc
        pl[pb + REVENUE] -= disc
        cm[base + REVENUE] -= disc
        sm[sbase + REVENUE] -= disc

    def _lines_from_stock(self, ci: int, now: float, ps: list[Route], qtys: list[int],
                          a: int) -> bool:
        """An order of customer ``ci`` of several lines (units ``qtys[a:]``; ``ps``: their
        routes, or their prototypes) that one site serves in full from stock at entry, over
        a lane of constant transit: one processing job, one shipment, one arrival. False
        (nothing done) when the order is not of that kind or its station would make it wait:
        ``place`` it.

        It reads what the lines' prototypes hold (``Route.proto``); what a route adds (the
        lane, the promotions, the promise's transit days, the counters' base) is the
        customer's and the site's, the same for every line, and is looked up here when it is
        given prototypes (``Routing.lean``), so that no route is made for an order served
        here (only for a line that may be returned, and for a delivery after the horizon).
        The conditions are ``Route.express``'s: classic routes through one FCFS site without
        outages (or a priority site that processes at once) over a lane without priority,
        from stock points without rationing.

        The steps are ``place``'s: at a FCFS station (``Fulfilment.ship``) the shipment's
        quality is drawn and it is processed at the first line, and each line is delivered
        before its promise and its stock point's review; at a priority station
        (``Station.prompt``, ``Fulfilment.flush``) every line is taken, promised and reviewed
        first, then the shipment leaves (its processing observed under the order's best
        class), its quality is drawn and the lines are delivered.
        """
        p0 = ps[0]
        fi = p0.fi
        j = a
        for p in ps:
            if p.kind is not CLASSIC or p.fi != fi or p.sp.classes is not None or (
                    p.sp.on_hand < qtys[j]):
                return False
            j += 1
        st = p0.station
        deferred = st.deferred
        if st.outage or (deferred and not st.prompt):
            return False
        m = self.m
        lane = p0.lane
        if lane is None:  # prototypes (Routing.lean): the customer's lane and promotions
            key = (p0.site, self._lane_of[ci])  # Sites.lane, inlined
            lane = self._lanes.get(key) or m.sites.lane(*key)
            promo = m.promo_customers.get(ci)
        else:
            promo = p0.promo
        c = lane.const
        if c is None or lane.deferred:
            return False
        if deferred:
            depart = st.depart_at_once(now)
            if depart is None:
                return False
        elif st.instant:
            depart = now
        counting = m.counting
        returns = self._returns
        horizon = m.horizon
        q_conf = self._conf[ci]
        transit = lane.promise_days  # the promise's constant transit (Route.ctp_add)
        promised = now
        value = 0.0
        bad = 0
        instant = st.instant
        arrive = depart + c if deferred or instant else 0.0
        price, margin = self._price, self._margin_mult[ci]
        j = a
        for p in ps:
            q = qtys[j]
            j += 1
            sp = p.sp
            if counting:
                paid = price[p.pi] * margin
                if promo is not None:
                    paid *= 1.0 - promo.discount(p.pi, now)
                value += q * paid
            oh = sp.on_hand
            dt = now - sp.t_last  # sp.touch(now), inlined
            if dt > 0:
                sp.area_onhand += oh * dt
                sp.area_backlog += sp.backlog_units * dt
                sp.area_pipeline += sp.on_order * dt
                sp.t_last = now
            sp.on_hand = oh = oh - q
            sp.shipped += q
            if not deferred:
                if p is p0:  # the order's shipment from the site: processed with its first line
                    bad = quality(p.quality)
                    if not instant:
                        wait, depart = st.dispatch(now, q)
                        self._observe(fi, p.key, depart - now)
                        if counting:
                            self._wait_sum[fi] += wait
                        arrive = depart + c
                if returns and arrive <= horizon and self._return_rate[p.pi] > 0:
                    m.returns.sample(m.routing.own(p, ci), q, arrive)
            ans = p.ctp  # Promising.ctp's answer of the site and class, inlined (_from_stock)
            if ans.v is not None and ans.q == q_conf and (
                    ((obs := ans.obs) is None and instant)
                    or (obs is not None and obs.n - ans.n < REFRESH)):
                p_line = now + (ans.v + transit)
            else:
                p_line = now + (self._ctp(p.proto, q_conf) + transit)
            if p_line > promised:
                promised = p_line
            if oh + sp.on_order - sp.backlog_units < sp.trigger:
                sp.review(now)
        if counting:  # OrderHistory.record, inlined for an order on the same occasion
            if int(now) == self._h_last[ci]:
                self._h_value[ci] += value
            else:
                self._history(ci, now, value)
        if deferred:  # Fulfilment._left_at_once
            self._observe(fi, min([p.key for p in ps]), depart - now)
            bad = quality(p0.quality)
            if returns and arrive <= horizon:
                j = a
                for p in ps:
                    if self._return_rate[p.pi] > 0:
                        m.returns.sample(m.routing.own(p, ci), qtys[j], arrive)
                    j += 1
        if arrive > horizon:
            own = m.routing.own
            self._lines_late(ci, now, [own(p, ci) for p in ps], qtys, a, arrive, promised, bad)
            return True
        if not counting:
            for j, p in enumerate(ps, a):
                self._to_customers[p.pi] += qtys[j]
        last = arrive if arrive > now else now
        if not last <= now + self._requested_days[ci] + EPS:  # not on time
            self._failure(ci, now)
        if not counting:
            return True
        buf = self._xbuf
        if bad:
            m.outcomes.quality_failed(ci, bad, ps, int((now - m.warmup) / m.period_len))
            m.xlog.bad.extend(range(len(buf), len(buf) + len(ps) * WIDTH, WIDTH))
        head = len(ps)
        j = a
        for p in ps:
            if promo is not None:  # Fulfilment.delivered: the discount of a promotion
                disc = promo.discount(p.pi, now)
                if disc:
                    self._discount(ci * ML, p.sbase,
                                   qtys[j] * (self._price[p.pi] * self._margin_mult[ci]) * disc,
                                   now)
            buf += (ci, p.sbase, lane.ix, now, qtys[j], last, promised, head)
            head = 0
            j += 1
        return True

    def _lines_late(self, ci: int, now: float, rts: list[Route], qtys: list[int], a: int,
                    arrive: float, promised: float, bad: int) -> None:
        """``_lines_from_stock`` of an order whose shipment arrives after the horizon: counted
        by the general functions (``Fulfilment.charge_late``, ``Outcomes.finish``)."""
        m = self.m
        fi = rts[0].fi
        counting = m.counting
        week = int(now * (1 / 7))
        per = -1
        requested = now + self._requested_days[ci]
        filled: list[Route] = []
        if counting:
            per = int((now - m.warmup) / m.period_len)
            self._wait_n[fi] += 1
            self._transport[fi] += rts[0].lane.per_shipment
        for j, rt in enumerate(rts, a):
            q = qtys[j]
            self._fac_week_in[fi][week] += q
            self._to_customers[rt.pi] += q
            m.fulfilment.charge_late(rt, q, arrive)
            if counting:
                self._week_demand[week] += q
                self._cm[rt.base + DEMAND] += q
                self._sm[rt.sbase + DEMAND] += q
                self._pl[per * ML + DEMAND] += q
                if arrive <= requested:
                    self._cm[rt.base + FROM_STOCK] += q
                    self._sm[rt.sbase + FROM_STOCK] += q
                    self._pl[per * ML + FROM_STOCK] += q
                    filled.append(rt)
        m.outcomes.finish(ci, now, requested, promised, arrive, True, True, bad, rts, filled,
                          per, counting, now)
