"""Customer orders: walking the merged order stream and serving each order at entry.

Rules held here: each line takes what its stock point can give (above the line's critical level
under rationing; nothing unless complete under ``ship_complete``); a shortfall is offered to the
product's substitutes in stock at the same site, then lost at once (no wait allowed) or
backordered for ``min(max_backorder_days, patience)``; cross-dock and direct lines flow through
from the supplier; the order's promised date is the latest line's expected delivery. An order
that completes at entry is recorded at once; otherwise when its last backordered line closes.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from . import kpis as K
from .customers import promise_date
from .demand import CHUNK_DAYS, sample_chunk
from .stock import CLASSIC, Order, Route
from .streams import Uniforms

if TYPE_CHECKING:
    from .engine import Model


class OrderDesk:
    """Serves customer orders as they arrive."""

    def __init__(self, m: Model) -> None:
        self.m = m
        self.backorder_days = [p.backorder_days() for p in m.products]
        self._subst_u = Uniforms(m.streams.rng("network", "substitution"))

    def stream(self) -> Generator[Any, Any, None]:
        """Walk the merged order stream. An order needs no SimPy event of its own unless
        another event is due before it: then the process waits until the order's time."""
        m = self.m
        env = m.env
        horizon = m.horizon
        active = m.crm.active
        churned_at = m.crm.churned_at
        place = self.place
        peek = env.peek
        t0 = 0.0
        while t0 < horizon:
            t1 = t0 + CHUNK_DAYS
            ch = sample_chunk(m.demand, t0, t1)
            times, cust, starts, prods, qtys = (ch.times, ch.customers, ch.line_start,
                                                ch.line_product, ch.line_qty)
            for i in range(len(times)):
                t = times[i]
                if t >= horizon:
                    return
                if peek() <= t:
                    yield env.timeout(t - env.now)
                ci = cust[i]
                if not active[ci]:
                    continue
                if t >= churned_at[ci]:
                    active[ci] = False
                    continue
                a, b = starts[i], starts[i + 1]
                place(ci, t, prods[a:b], qtys[a:b])
            t0 = t1

    def place(self, ci: int, now: float, prods: list[int], qtys: list[int]) -> None:
        """Serve an order at time ``now``: ship what stock allows, backorder or lose the rest.

        ``now`` is explicit: the SimPy clock may still show the previous event's time (no
        event happens in between); everything scheduled uses absolute times.
        """
        m = self.m
        k = m.k
        counting = m.counting
        routes = m.routing.by_customer[ci]
        requested = now + m.crm.requested_days[ci]
        patience = m.crm.patience[ci]
        per = int((now - m.warmup) / m.period_len) if counting else -1
        rl, pl = k.rl, k.pl
        pb = per * K.ML
        week = int(now * (1 / 7))
        promised = now
        last = now
        first_full = True
        order: Order | None = None
        bad = False
        dispatched: dict[int, float] = {}
        lines: list[Route] = []
        log = m.log
        stations = m.sites.stations
        ship = m.fulfilment.ship
        outcomes = m.outcomes
        ship_complete = m.allocation.ship_complete
        legs: set[tuple[str, int, str]] | None = None
        for j in range(len(prods)):
            pi = prods[j]
            q = qtys[j]
            rt = routes.get(pi)
            if rt is None:
                rt = m.routing.route(ci, pi)
            lines.append(rt)
            fi = rt.fi
            if log is not None:
                log(now, "demand", m.customers[ci].id, m.products[pi].id,
                    m.sites.site_name(fi), q)
            if counting:
                rl[rt.base] += q
                pl[pb] += q
                k.week_demand[week] += q
            if rt.kind is CLASSIC:
                sp = rt.sp
                k.fac_week_in[fi][week] += q
                sp.touch(now)
                avail = sp.on_hand
                if sp.classes is not None:
                    avail -= sp.critical(rt.key)
                    if avail < 0:
                        avail = 0
                take = avail if avail < q else q
                if take < q and ship_complete:
                    take = 0
                short = q - take
                if take > 0:
                    sp.on_hand -= take
                    sp.shipped += take
                    t_arr, is_bad = ship(rt, take, now, dispatched)
                    bad |= is_bad
                    if t_arr > last:
                        last = t_arr
                    if counting:
                        rl[rt.base + K.FROM_STOCK] += take
                        pl[pb + K.FROM_STOCK] += take
                if short > 0:
                    first_full = False
                    sp.stocked_out = True
                    if m.products[pi].substitutes:
                        short -= self._substitute(rt, short, now, dispatched)
                if short <= 0:
                    if counting and take >= q:
                        rl[rt.base + K.LINES_FILLED] += 1
                    p_line = dispatched.get(fi, now) + rt.lane.transit_mean
                else:
                    wait = self.backorder_days[pi]
                    if patience < wait:
                        wait = patience
                    if order is None:
                        order = Order(ci, now, requested, promised, counting, per)
                    if wait <= 0:
                        outcomes.lost(rt, short, now, per)
                        order.lost = True
                        p_line = now
                    else:
                        p_line = (promise_date(sp, short, now) + stations[fi].service_mean
                                  + rt.lane.transit_mean)
                        m.allocation.backorder(sp, order, rt, short, now, now + wait)
                if not sp.periodic and not sp.echelon:
                    sp.review(now)
            else:
                if legs is None:
                    legs = set()
                t_arr, shipped = m.fulfilment.flow_through(rt, q, now, legs)
                if t_arr > last:
                    last = t_arr
                p_line = t_arr
                if counting:
                    rl[rt.base + K.FROM_STOCK] += shipped
                    pl[pb + K.FROM_STOCK] += shipped
                    if shipped >= q:
                        rl[rt.base + K.LINES_FILLED] += 1
                if shipped < q:
                    first_full = False
                    outcomes.lost(rt, q - shipped, now, per)
                    if order is None:
                        order = Order(ci, now, requested, promised, counting, per)
                    order.lost = True
            if p_line > promised:
                promised = p_line
        if order is None:
            outcomes.finish(ci, now, requested, promised, last, True, True, bad, lines, per,
                            counting, now)
            return
        order.promised = promised
        order.first_full = first_full
        order.bad = bad
        order.lines = lines
        if last > order.last:
            order.last = last
        if order.pending == 0:
            outcomes.close(order, now)

    def _substitute(self, rt: Route, short: float, now: float,
                    dispatched: dict[int, float]) -> float:
        """Serve part of a shortfall with substitutes in stock at the same site; units served."""
        m = self.m
        taken = 0.0
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
            m.fulfilment.ship(m.routing.route(rt.ci, spi), n, now, dispatched)
            if m.counting:
                m.k.rl[rt.base + K.SUBST] += n
            if not ssp.periodic and not ssp.echelon:
                ssp.review(now)
        return taken
