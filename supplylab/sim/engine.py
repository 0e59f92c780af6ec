"""The SimPy model: suppliers -> (3PL) sites -> customers, for one replication.

Design for speed (docs/engine.md): one process walks the merged order stream (one SimPy event
per order); shipments, processing queues and deliveries are computed in closed form at the time
they are decided (FCFS multi-server recursion, fluid throughput), so only receipts, backorder
expiries, returns and reviews are events. State has one source of truth per variable (the
stock point's ``on_hand``, ``on_order``, ``backlog_units``); KPIs are aggregated as they happen.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable

import numpy as np
import simpy

from ..errors import AuditError, InputError
from ..scenario.network import Network
from ..scenario.scenario import Scenario
from ..scenario.schema import RS, Customer
from . import kpis as K
from .audit import audit as check_units
from .demand import (
    CHUNK_DAYS,
    CustomerDemand,
    PromoEffect,
    expected_units,
    promo_lift,
    sample_chunk,
)
from .disruptions import Windows, build_windows
from .resources import Lane, Source, Station
from .result import ReplicationResult
from .stock import Line, Order, Route, StockPoint, echelon_level, order_up_to
from .streams import Sampler, Streams, Uniforms

INF = math.inf
NO_WINDOWS = Windows()
CLASSIC, CROSS, DIRECT = "classic", "cross_dock", "direct"


class Model:
    """One replication of one scenario."""

    def __init__(self, sc: Scenario, seed: int, replication: int, horizon: float,
                 events: Callable[..., None] | None = None) -> None:
        self.sc = sc
        self.env = simpy.Environment()
        self.streams = Streams(seed, replication)
        self.horizon = horizon
        self.warmup = min(sc.simulation.warmup_days, horizon)
        self.rule = sc.allocation.rule
        self.ship_complete = sc.allocation.partial_shipments == "ship_complete"
        self.log = events
        self.seq = 0
        net: Network = sc.network
        self.net = net
        self.windows = build_windows(sc.disruptions, horizon, self.streams)
        # indices -----------------------------------------------------------------
        self.products = list(sc.products)
        self.pidx = {p.id: i for i, p in enumerate(self.products)}
        self.facilities = list(sc.facilities)
        self.fidx = {f.id: i for i, f in enumerate(self.facilities)}
        self.customers: list[Customer] = net.customers
        self.tiers = list(sc.tiers)
        self.tidx = {t: i for i, t in enumerate(self.tiers)}
        period_len = 7.0 if sc.simulation.period == "week" else 365.0 / 12.0
        self.period_len = period_len
        n_periods = max(1, math.ceil((horizon - self.warmup) / period_len))
        self.k = K.Collector(len(self.customers), len(self.products), len(self.facilities),
                             len(self.tiers), n_periods)
        self.outside = len(self.facilities)  # facility index for supplier-direct flows
        self.price = [p.price for p in self.products]
        self.cost = [p.unit_cost for p in self.products]
        self.backorder_days = [p.backorder_days() for p in self.products]
        self.importance = [p.importance for p in self.products]
        self.grade = [p.profit_grade for p in self.products]
        self.cust_tier = [self.tidx[c.tier] for c in self.customers]
        self.cust_prio = [sc.tiers[c.tier].priority for c in self.customers]
        self.margin_mult = [sc.tiers[c.tier].margin_multiplier for c in self.customers]
        self.active = [True] * len(self.customers)
        self.failures = [0] * len(self.customers)
        self.churned_at = [self._base_churn_time(c) for c in self.customers]
        self.prio_order = sc.allocation.priority_order
        # sites -------------------------------------------------------------------
        self.sources = {s.id: Source(s, self.streams, self.windows.get(s.id, NO_WINDOWS))
                        for s in sc.suppliers}
        self.stations = []
        self.damage: list[tuple[float, float, Uniforms]] = []
        for f in self.facilities:
            w = self.windows.get(f.id, NO_WINDOWS)
            rng = self.streams.rng("facility", f.id, "processing")
            self.stations.append(Station(f.order_processors, Sampler(f.order_processing_time, rng),
                                         f.capacity_units_per_day, w))
            self.damage.append((f.damage_rate, f.doc_error_rate,
                                Uniforms(self.streams.rng("facility", f.id, "quality"))))
        self.dwell = [Sampler(f.dwell_time, self.streams.rng("facility", f.id, "dwell"))
                      for f in self.facilities]
        self.production = [Sampler(f.production_lead_time, self.streams.rng("facility", f.id, "production"))
                           for f in self.facilities]
        self.lanes: dict[tuple[str, str], Lane] = {}
        self.sp: dict[tuple[int, int], StockPoint] = {}
        self._build_stock_points()
        self.croutes: list[dict[int, Route]] = [{} for _ in self.customers]
        self._keys: dict[tuple[int, int], tuple] = {}
        self.route_list: list[Route] = []
        self.handling_cost = [f.handling_cost_per_unit for f in self.facilities] + [0.0]
        self.return_rate = [p.return_rate for p in self.products]
        self.penalty_per_unit = sc.costs.stockout_penalty_per_unit
        self.req_days, self.patience, self.churn_per_failure = [], [], []
        for c in self.customers:
            tier = sc.tiers[c.tier]
            req = c.requested_lead_time_days
            if req is None:
                req = tier.promised_lead_time_days if tier.promised_lead_time_days is not None else 2.0
            self.req_days.append(req)
            pat = c.patience_days if c.patience_days is not None else tier.patience_days
            self.patience.append(INF if pat is None else pat)
            self.churn_per_failure.append(tier.churn.per_failure)
        self.demand = self._build_demand()
        self.promo_customers = {d.index: d for d in self.demand if d.promos}
        self._rationing()
        self.sp_by_fac: list[list[StockPoint]] = [[] for _ in self.facilities]
        for (fi, _), sp in self.sp.items():
            self.sp_by_fac[fi].append(sp)
        self.refused = [0.0] * len(self.products)
        self.plant_free = [0.0] * len(self.facilities)
        self.returns_rng = self.streams.rng("network", "returns")
        self.subst_u = Uniforms(self.streams.rng("network", "substitution"))
        self.churn_u = Uniforms(self.streams.rng("network", "churn"))
        self.outstanding: dict[int, tuple[int, float]] = {}  # shipment id -> (product, units)
        self.supplier_shipped = [0.0] * len(self.products)
        self.to_customers = [0.0] * len(self.products)
        self.cross_units = [0.0] * len(self.facilities)
        self.returns_scrapped = [0.0] * len(self.products)
        self.returns_in_transit = [0.0] * len(self.products)
        self.returned_total = [0.0] * len(self.products)
        weeks = int(horizon // 7) + 2
        self.week_demand = [0.0] * weeks
        self.week_orders_up = [0.0] * weeks
        self.fac_week_in = [[0.0] * weeks for _ in range(len(self.facilities) + 1)]
        self.fac_week_out = [[0.0] * weeks for _ in range(len(self.facilities) + 1)]
        self.counting = self.warmup <= 0
        self.events = 0

    # ------------------------------------------------------------------ construction
    def _base_churn_time(self, c: Customer) -> float:
        """When the customer leaves regardless of service: exponential with the tier's yearly
        churn probability p (rate -ln(1 - p) per year), from the customer's own stream."""
        p = self.sc.tiers[c.tier].churn.base_rate_per_year
        if p <= 0:
            return INF
        if p >= 1:
            return 0.0
        rng = self.streams.rng("customer", c.id, "churn")
        return float(rng.exponential(365.0 / -math.log1p(-p)))

    def lane(self, a: str, b: str) -> Lane:
        key = (a, b)
        ln = self.lanes.get(key)
        if ln is None:
            res = self.net.lane(a, b)
            w = self.windows.get(res.key, NO_WINDOWS)
            explicit = next((x for x in self.sc.lanes if x.from_ == a and x.to == b), None)
            if explicit is not None and explicit.id:
                w = self.windows.get(explicit.id, w)
            ln = Lane(res, self.streams, w)
            self.lanes[key] = ln
        return ln

    def _build_stock_points(self) -> None:
        sc = self.sc
        for fi, f in enumerate(self.facilities):
            for pi, p in enumerate(self.products):
                pol = f.inventory.policy_for(p.id) if f.kind != "cross_dock" else None
                if pol is None:
                    continue
                sp = StockPoint(self, fi, pi, f, pol)
                init = f.inventory.initial.get(p.id)
                sp.on_hand = sp.initial = float(init if init is not None else order_up_to(pol))
                self.sp[(fi, pi)] = sp
        for (fi, pi), sp in self.sp.items():
            f = self.facilities[fi]
            pid = self.products[pi].id
            src = self.net.upstream(f.id, pid)
            if src is None:
                sp.mean_lead = self.facilities[fi].production_lead_time.mean()
                continue
            sp.in_lane = self.lane(src, f.id)
            if src in self.sources:
                sp.supplier = self.sources[src]
                sp.mean_lead = sc.suppliers[[s.id for s in sc.suppliers].index(src)].lead_time.mean() \
                    + sp.in_lane.res.transit_time.mean()
            else:
                up = self.sp.get((self.fidx[src], pi))
                if up is None:
                    raise AuditError(f"{f.id} replenishes {pid} from {src}, which holds no stock of it")
                sp.upstream = up
                up.downstream.append(sp)
                sp.mean_lead = self.facilities[self.fidx[src]].order_processing_time.mean() \
                    + sp.in_lane.res.transit_time.mean()
        if sc.information_sharing.pos_to_suppliers:
            for sp in self.sp.values():
                if sp.downstream:
                    sp.echelon = True
                    sp.echelon_shift = sum(echelon_level(d) for d in sp.downstream)

    def _build_demand(self) -> list[CustomerDemand]:
        out = []
        promos = self.sc.promotions
        for ci, c in enumerate(self.customers):
            rng = self.streams.rng("customer", c.id, "demand")
            common = dict(index=ci, rng=rng, scale=c.scale, trend_per_year=c.trend_per_year,
                          seasonality=None if c.seasonality is None else np.asarray(c.seasonality),
                          weekly=None if c.weekly is None else np.asarray(c.weekly))
            if c.demand is not None:
                prods = [p for p in c.demand]
                cd = CustomerDemand(form="daily", products=np.asarray([self.pidx[p] for p in prods]),
                                    weights=np.asarray([c.demand[p].mean() for p in prods], float),
                                    daily=[c.demand[p] for p in prods],
                                    time_of_day=c.order_time_of_day, **common)
            elif c.orders_per_day:
                prods = [p for p, w in c.product_mix.items() if w > 0]
                if not prods:
                    continue
                qty = c.quantity
                if isinstance(qty, dict):
                    qty = {self.pidx[p]: law for p, law in qty.items()}
                cd = CustomerDemand(form="orders", products=np.asarray([self.pidx[p] for p in prods]),
                                    weights=np.asarray([c.product_mix[p] for p in prods], float),
                                    rate=c.orders_per_day, lines=c.lines_per_order, quantity=qty,
                                    **common)
            else:
                continue
            for pr in promos:
                if pr.targets and c.tier not in pr.targets and c.id not in pr.targets:
                    continue
                involved = {pr.product, *pr.cross_effects}
                if not involved & set(prods):
                    continue
                lift = promo_lift(pr, self.net.products[pr.product])
                length = pr.end_day - pr.start_day
                dip = (max(0.0, 1.0 - pr.pull_forward * (lift - 1.0) * length / pr.dip_days)
                       if pr.dip_days > 0 else 1.0)
                cd.promos.append(PromoEffect(pr.start_day, pr.end_day, self.pidx[pr.product], lift,
                                             pr.end_day + pr.dip_days, dip,
                                             {self.pidx[q]: s for q, s in pr.cross_effects.items()},
                                             pr.discount))
            out.append(cd)
        return out

    # ------------------------------------------------------------------ routing
    def route(self, ci: int, pi: int) -> Route:
        """The route of a customer-product pair (created on first use)."""
        rt = self.croutes[ci].get(pi)
        if rt is not None:
            return rt
        c = self.customers[ci]
        pid = self.products[pi].id
        site = self.net.serving_site(c.strategy, c.served_by, pid, c.location)
        lane = self.lane(site, c.id)
        r = self.k.add_route()
        if site in self.sources:
            rt = Route(r, ci, pi, DIRECT, self.outside, None, lane, self.sources[site], None)
        else:
            fi = self.fidx[site]
            if self.facilities[fi].kind == "cross_dock":
                src = self.net.upstream(site, pid)
                if src is None or src not in self.sources:
                    raise AuditError(f"cross-dock {site} needs a supplier source for {pid}")
                rt = Route(r, ci, pi, CROSS, fi, None, lane, self.sources[src],
                           self.lane(src, site))
            else:
                rt = Route(r, ci, pi, CLASSIC, fi, self.sp[(fi, pi)], lane, None, None)
        rt.key = self._key(ci, pi)
        self.croutes[ci][pi] = rt
        self.route_list.append(rt)
        return rt

    # ------------------------------------------------------------------ processes
    def run(self) -> None:
        env = self.env
        env.process(self._orders())
        if self.warmup > 0:
            env.process(self._warmup())
        env.process(self._periods())
        for fi, f in enumerate(self.facilities):
            groups: dict[float, list[StockPoint]] = {}
            for sp in self.sp_by_fac[fi]:
                if isinstance(sp.policy, RS):
                    groups.setdefault(sp.policy.R, []).append(sp)
                elif f.review_period_days > 0:
                    groups.setdefault(f.review_period_days, []).append(sp)
            for period, members in groups.items():
                env.process(self._review(period, members))
        if self.sc.information_sharing.pos_to_suppliers:
            ech = [sp for sp in self.sp.values() if sp.echelon and not sp.periodic]
            if ech:
                env.process(self._review(1.0 / self.sc.information_sharing.forecast_updates_per_day,
                                         ech))
        env.run(until=self.horizon)
        eid = getattr(env, "_eid", None)
        self.events = next(eid) if eid is not None else 0

    def _warmup(self):
        yield self.env.timeout(self.warmup)
        now = self.env.now
        for sp in self.sp.values():
            sp.touch(now)
            sp.area_onhand = sp.area_backlog = sp.area_pipeline = 0.0
            sp.cycles = sp.cycles_ok = 0
            sp.stocked_out = False
        self.k.reset()
        for lst in (self.week_demand, self.week_orders_up):
            lst[:] = [0.0] * len(lst)
        for lst in (*self.fac_week_in, *self.fac_week_out):
            lst[:] = [0.0] * len(lst)
        self.counting = True

    def _periods(self):
        env = self.env
        yield env.timeout(self.warmup)
        per = 0
        last = 0.0
        while True:
            yield env.timeout(self.period_len)
            now = env.now
            total = 0.0
            for sp in self.sp.values():
                sp.touch(now)
                total += sp.area_onhand
            if per < len(self.k.per_onhand_area):
                self.k.per_onhand_area[per] = total - last
            last = total
            per += 1

    def _review(self, period: float, members: list[StockPoint]):
        env = self.env
        while True:
            yield env.timeout(period)
            now = env.now
            for sp in members:
                sp.touch(now)
                sp.review(now)

    def _orders(self):
        """Walk the merged order stream. An order needs no SimPy event of its own unless
        another event is due before it: then the process waits until the order's time."""
        env = self.env
        horizon = self.horizon
        t0 = 0.0
        while t0 < horizon:
            t1 = t0 + CHUNK_DAYS
            ch = sample_chunk(self.demand, t0, t1)
            times, cust, starts, prods, qtys = (ch.times, ch.customers, ch.line_start,
                                                ch.line_product, ch.line_qty)
            active = self.active
            churned_at = self.churned_at
            peek = env.peek
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
                self.place_order(ci, t, prods[a:b], qtys[a:b])
            t0 = t1

    # ------------------------------------------------------------------ customer orders
    def place_order(self, ci: int, now: float, prods: list[int], qtys: list[int]) -> None:
        """Serve an order at time ``now``: ship what stock allows, backorder or lose the rest.

        ``now`` is explicit: the SimPy clock may still show the previous event's time (no
        event happens in between); everything scheduled uses absolute times.
        """
        k = self.k
        counting = self.counting
        routes = self.croutes[ci]
        requested = now + self.req_days[ci]
        patience = self.patience[ci]
        per = int((now - self.warmup) / self.period_len) if counting else -1
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
        log = self.log
        stations = self.stations
        legs: set[tuple[str, int, str]] | None = None
        for j in range(len(prods)):
            pi = prods[j]
            q = qtys[j]
            rt = routes.get(pi)
            if rt is None:
                rt = self.route(ci, pi)
            lines.append(rt)
            fi = rt.fi
            if log is not None:
                log(now, "demand", self.customers[ci].id, self.products[pi].id,
                    self._site_name(fi), q)
            if counting:
                rl[rt.base] += q
                pl[pb] += q
                self.week_demand[week] += q
            if rt.kind is CLASSIC:
                sp = rt.sp
                self.fac_week_in[fi][week] += q
                sp.touch(now)
                avail = sp.on_hand
                if sp.classes is not None:
                    avail -= sp.critical(rt.key)
                    if avail < 0:
                        avail = 0
                take = avail if avail < q else q
                if take < q and self.ship_complete:
                    take = 0
                short = q - take
                if take > 0:
                    sp.on_hand -= take
                    sp.shipped += take
                    t_arr, is_bad = self._ship(rt, take, now, dispatched)
                    bad |= is_bad
                    if t_arr > last:
                        last = t_arr
                    if counting:
                        rl[rt.base + K.FROM_STOCK] += take
                        pl[pb + K.FROM_STOCK] += take
                if short > 0:
                    first_full = False
                    sp.stocked_out = True
                    if self.products[pi].substitutes:
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
                        self._lost(rt, short, now, per)
                        order.lost = True
                        p_line = now
                    else:
                        p_line = (self._promise(sp, short, now) + stations[fi].service_mean
                                  + rt.lane.transit_mean)
                        self._backorder(sp, order, rt, short, now, now + wait)
                if not sp.periodic and not sp.echelon:
                    sp.review(now)
            else:
                if legs is None:
                    legs = set()
                t_arr, shipped = self._flow_through(rt, q, now, legs)
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
                    self._lost(rt, q - shipped, now, per)
                    if order is None:
                        order = Order(ci, now, requested, promised, counting, per)
                    order.lost = True
            if p_line > promised:
                promised = p_line
        if order is None:
            self._finish(ci, now, requested, promised, last, True, True, bad, lines, per,
                         counting, now)
            return
        order.promised = promised
        order.first_full = first_full
        order.bad = bad
        order.lines = lines
        if last > order.last:
            order.last = last
        if order.pending == 0:
            self._close(order, now)

    def _ship(self, rt: Route, units: float, now: float,
              dispatched: dict[int, float]) -> tuple[float, bool]:
        """Send units of a route's product from its site; (arrival time, damaged or doc error)."""
        k = self.k
        fi = rt.fi
        lane = rt.lane
        counting = self.counting
        depart = dispatched.get(fi)
        if depart is None:
            st = self.stations[fi]
            if st.instant:
                depart = now
                wait = 0.0
            else:
                wait, depart = st.dispatch(now, units)
            dispatched[fi] = depart
            if counting:
                k.wait_sum[fi] += wait
                k.wait_n[fi] += 1
                k.transport[fi] += lane.per_shipment
        c = lane.const
        arrive = depart + c if c is not None else lane.arrive(depart, units)
        pi = rt.pi
        self.to_customers[pi] += units
        bad = False
        dmg, doc, u = self.damage[fi]
        if dmg > 0 and u() < dmg:
            bad = True
        if doc > 0 and u() < doc:
            bad = True
        if counting:
            k.transport[fi] += lane.unit_cost * units
            k.co2[fi] += lane.co2_per_unit * units
            k.handling[fi] += self.handling_cost[fi] * units
        self._delivered(rt, units, now, arrive)
        if self.log is not None:
            self.log(now, "ship", self.customers[rt.ci].id, self.products[pi].id,
                     self._site_name(fi), units, arrive)
        return arrive, bad

    def _delivered(self, rt: Route, units: float, now: float, arrive: float) -> None:
        """Delivered units, revenue (by period; by route it is derived at the end), promotion
        discounts, and the returns they will cause."""
        pi = rt.pi
        if self.counting:
            k = self.k
            k.rl[rt.base + K.DELIVERED] += units
            pb = int((now - self.warmup) / self.period_len) * K.ML
            k.pl[pb + K.DELIVERED] += units
            price = self.price[pi] * self.margin_mult[rt.ci]
            k.pl[pb + K.REVENUE] += units * price
            if self.promo_customers and rt.ci in self.promo_customers:
                disc = self._discount(rt.ci, pi, now)
                if disc:
                    k.rl[rt.base + K.DISCOUNT] += units * price * disc
                    k.pl[pb + K.DISCOUNT] += units * price * disc
        if self.return_rate[pi] > 0:
            self._returns(rt, units, arrive)

    def _returns(self, rt: Route, units: float, arrive: float) -> None:
        """Sample the units of a delivery that come back, and schedule their return."""
        pi = rt.pi
        n = int(self.returns_rng.binomial(int(units), self.return_rate[pi]))
        if n > 0:
            self.returned_total[pi] += n
            self.returns_in_transit[pi] += n
            if self.counting:
                self.k.rl[rt.base + K.RETURNED] += n
            delay = max(0.0, float(self.products[pi].return_delay.sample(self.returns_rng, 1)[0]))
            ev = self.env.timeout(max(0.0, arrive + delay - self.env.now))
            ev.callbacks.append(lambda _e, rt=rt, n=n: self._returned(rt, n))

    def _returned(self, rt: Route, n: int) -> None:
        pi, fi = rt.pi, rt.fi
        now = self.env.now
        self.returns_in_transit[pi] -= n
        keep = math.floor(n * self.products[pi].restockable_share + 1e-9)
        sp = self.sp.get((fi, pi))
        if sp is None:
            keep = 0
        if keep:
            sp.touch(now)
            sp.on_hand += keep
            sp.restocked += keep
            self._allocate(sp, now)
        self.returns_scrapped[pi] += n - keep
        if self.counting and fi < len(self.facilities):
            ln = self.lane(self.customers[rt.ci].id, self.facilities[fi].id)
            self.k.transport[fi] += ln.unit_cost * n + ln.per_shipment

    def _discount(self, ci: int, pi: int, now: float) -> float:
        for pr in self.promo_customers[ci].promos:
            if pr.product == pi and pr.start <= now < pr.end:
                return pr.discount
        return 0.0

    def _flow_through(self, rt: Route, q: float, now: float,
                      legs: set[tuple[str, int, str]]) -> tuple[float, float]:
        """Cross-dock or direct: ordered to demand from the supplier; (arrival, units shipped).

        ``legs`` holds the legs this order has already paid a shipment on: the lines of one
        order from one supplier travel (and are costed) as one shipment per leg.
        """
        pi, fi = rt.pi, rt.fi
        src = rt.src
        depart, shipped = src.ship(now, self.products[pi].id, q)
        self.supplier_shipped[pi] += shipped
        if rt.kind is DIRECT:
            arrive = rt.lane.arrive(depart, shipped)
        else:
            inbound = rt.inbound
            at_dock = inbound.arrive(depart, shipped)
            self.cross_units[fi] += shipped
            out = at_dock + self.dwell[fi]()
            st = self.stations[fi]
            if st.windows.spans:
                out = st.windows.available_from(out)
            arrive = rt.lane.arrive(out, shipped)
            if self.counting:
                k = self.k
                k.transport[fi] += inbound.unit_cost * shipped
                k.co2[fi] += inbound.co2_per_unit * shipped
                k.handling[fi] += self.handling_cost[fi] * shipped
                if ("in", fi, src.id) not in legs:  # one inbound shipment per order and dock
                    legs.add(("in", fi, src.id))
                    k.transport[fi] += inbound.per_shipment
        self.to_customers[pi] += shipped
        if self.counting:
            k = self.k
            k.transport[fi] += rt.lane.unit_cost * shipped
            k.co2[fi] += rt.lane.co2_per_unit * shipped
            if ("out", fi, src.id) not in legs:  # lines of one order travel together
                legs.add(("out", fi, src.id))
                k.transport[fi] += rt.lane.per_shipment
        if shipped > 0:
            self._delivered(rt, shipped, now, arrive)
        return arrive, shipped

    def _substitute(self, rt: Route, short: float, now: float, dispatched: dict[int, float]) -> float:
        """Serve part of a shortfall with substitutes in stock at the same site."""
        taken = 0.0
        fi = rt.fi
        for sub in self.products[rt.pi].substitutes:
            if short - taken <= 0:
                break
            spi = self.pidx[sub.product]
            ssp = self.sp.get((fi, spi))
            if ssp is None or ssp.on_hand <= 0 or self.subst_u() >= sub.acceptance:
                continue
            ssp.touch(now)
            n = min(ssp.on_hand, short - taken)
            ssp.on_hand -= n
            ssp.shipped += n
            taken += n
            self._ship(self.route(rt.ci, spi), n, now, dispatched)
            if self.counting:
                self.k.rl[rt.base + K.SUBST] += n
            if not ssp.periodic and not ssp.echelon:
                ssp.review(now)
        return taken

    def _site_name(self, fi: int) -> str:
        return self.facilities[fi].id if fi < len(self.facilities) else "(supplier direct)"

    def _lost(self, rt: Route, units: float, now: float, per: int) -> None:
        if self.log is not None:
            self.log(now, "lost", self.customers[rt.ci].id, self.products[rt.pi].id,
                     self._site_name(rt.fi), units)
        if self.counting and per >= 0:
            self.k.rl[rt.base + K.LOST] += units
            self.k.pl[per * K.ML + K.LOST] += units
            self.k.penalty += units * self.penalty_per_unit

    def _promise(self, sp: StockPoint, need: float, now: float) -> float:
        """Available-to-promise date of ``need`` more units behind the current backlog."""
        ahead = sp.backlog_units + need - sp.on_hand
        for eta, qty in sp.pipeline:
            ahead -= qty
            if ahead <= 0:
                return max(eta, now)
        return now + sp.mean_lead

    def _backorder(self, sp: StockPoint, order: Order | None, rt: Route | None, qty: float,
                   now: float, deadline: float, downstream: StockPoint | None = None) -> Line:
        self.seq += 1
        if downstream is not None:
            key: tuple = (0,) * len(self.prio_order)
        elif self.rule == "priority":
            key = rt.key
        else:
            key = ()
        line = Line(order, rt, qty, key, self.seq, downstream, now)
        sp.backlog_units += qty
        if self.rule == "priority":
            heapq.heappush(sp.backlog, line)
        else:
            sp.backlog.append(line)
        if order is not None:
            order.pending += 1
        if deadline < INF:
            ev = self.env.timeout(deadline - self.env.now)
            ev.callbacks.append(lambda _e, sp=sp, line=line: self._expire(sp, line))
        return line

    def _key(self, ci: int, pi: int) -> tuple:
        """Priority class of a customer-product line (lower is served first)."""
        memo = (self.cust_prio[ci], pi)
        key = self._keys.get(memo)
        if key is None:
            key = tuple(self.cust_prio[ci] if f == "tier" else
                        self.importance[pi] if f == "importance" else self.grade[pi]
                        for f in self.prio_order)
            self._keys[memo] = key
        return key

    def _rationing(self) -> None:
        """Expected daily demand per priority class at each stock point (critical levels)."""
        protect = self.sc.allocation.protect_days
        if self.rule != "priority" or protect <= 0:
            return
        rates: dict[tuple[int, int], dict[tuple, float]] = {}
        for cd in self.demand:
            for pi, u in zip(cd.products.tolist(), expected_units(cd).tolist(), strict=True):
                rt = self.route(cd.index, pi)
                if rt.kind is not CLASSIC:
                    continue
                d = rates.setdefault((rt.fi, pi), {})
                d[rt.key] = d.get(rt.key, 0.0) + u
        for (fi, pi), d in rates.items():
            if len(d) > 1:
                sp = self.sp[(fi, pi)]
                sp.classes = sorted(d.items())
                sp.protect = protect

    def _expire(self, sp: StockPoint, line: Line) -> None:
        """A backordered line whose wait ran out is cancelled: a lost sale."""
        if line.dead or line.open <= 0:
            return
        now = self.env.now
        sp.touch(now)
        line.dead = True
        sp.backlog_units -= line.open
        order = line.order
        if order is not None:
            self._lost(line.route, line.open, now, order.per if order.counted else -1)
            order.lost = True
            order.pending -= 1
            if order.pending == 0:
                self._close(order, now)
        line.open = 0

    def _allocate(self, sp: StockPoint, now: float) -> None:
        """Serve the backlog from on-hand stock by the allocation rule."""
        if sp.backlog_units <= 0 or sp.on_hand <= 0:
            return
        bl = sp.backlog
        if self.rule == "fair_share":
            live = [ln for ln in bl if not ln.dead and ln.open > 0]
            while sp.on_hand >= 1 and live:
                share = max(1.0, math.floor(sp.on_hand / len(live)))
                for ln in live:
                    if sp.on_hand < 1:
                        break
                    self._fill(sp, ln, min(share, ln.open, sp.on_hand), now)
                live = [ln for ln in live if ln.open > 0]
            sp.backlog = [ln for ln in bl if not ln.dead and ln.open > 0]
            return
        skipped = []
        priority = self.rule == "priority"
        while bl and sp.on_hand > 0:
            ln = heapq.heappop(bl) if priority else bl.popleft()
            if ln.dead or ln.open <= 0:
                continue
            avail = sp.on_hand
            if sp.classes is not None and ln.downstream is None:
                avail -= sp.critical(ln.key)
                if avail <= 0:
                    skipped.append(ln)
                    continue
            if self.ship_complete and ln.downstream is None and avail < ln.open:
                skipped.append(ln)
                continue
            self._fill(sp, ln, ln.open if ln.open <= avail else avail, now)
            if ln.open > 0:
                skipped.append(ln)
        if priority:
            for ln in skipped:
                heapq.heappush(bl, ln)
        else:
            bl.extendleft(reversed(skipped))

    def _fill(self, sp: StockPoint, ln: Line, n: float, now: float) -> None:
        sp.on_hand -= n
        sp.backlog_units -= n
        sp.shipped += n
        ln.open -= n
        if ln.downstream is not None:
            self._ship_internal(sp, ln.downstream, n, now)
            if ln.open <= 0:
                ln.dead = True
            return
        order = ln.order
        arrive, bad = self._ship(ln.route, n, now, {})
        if order is not None:
            if order.counted:
                self.k.rl[ln.route.base + K.BACKORDER_DAYS] += n * (now - ln.t0)
                self.k.penalty += n * (now - ln.t0) * self.sc.costs.backorder_cost_per_unit_day
            order.bad |= bad
            if arrive > order.last:
                order.last = arrive
            if ln.open <= 0:
                ln.dead = True
                order.pending -= 1
                if order.pending == 0:
                    self._close(order, now)

    # ------------------------------------------------------------------ order completion
    def _close(self, o: Order, now: float) -> None:
        self._finish(o.ci, o.t0, o.requested, o.promised, o.last, o.first_full and not o.lost,
                     not o.lost, o.bad, o.lines, o.per, o.counted, now)

    def _finish(self, ci: int, t0: float, requested: float, promised: float, last: float,
                first_full: bool, complete: bool, bad: bool, lines: list[Route], per: int,
                counted: bool, now: float) -> None:
        """Record a finished order's outcome (one code per dimension) and its cycle time."""
        on_time = complete and last <= requested + 1e-9
        otif = on_time and first_full
        if not otif:
            self._failure(ci, now)
        if not counted:
            return
        kept = complete and last <= promised + 1e-9
        perfect = otif and not bad
        code = (first_full | on_time << 1 | kept << 2 | otif << 3 | perfect << 4
                | complete << 5)
        k = self.k
        k.cc[ci * K.NCODES + code] += 1
        k.cl[ci] += len(lines)
        pcodes, fcodes = k.pcodes, k.fcodes
        for rt in lines:
            pcodes[rt.pbase + code] += 1
            fcodes[rt.fbase + code] += 1
        if per >= 0:
            k.pc[per * K.NCODES + code] += 1
        if complete:
            cycle = last - t0
            k.cs[ci] += cycle
            rl = k.rl
            for rt in lines:
                rl[rt.base + K.CYCLE_SUM] += cycle
            if per >= 0:
                k.pl[per * K.ML + K.CYCLE_SUM] += cycle
            i = int(cycle * 100.0)  # histogram bins of 0.01 day
            if i > K.HIST_BINS:
                i = K.HIST_BINS
            h = k.cycle_all
            h.counts[i] += 1
            h.n += 1
            h = k.cycle_tier[self.cust_tier[ci]]
            h.counts[i] += 1
            h.n += 1

    def _failure(self, ci: int, now: float) -> None:
        """A failed order (not OTIF) may make the customer churn (tier's per_failure)."""
        self.failures[ci] += 1
        p = self.churn_per_failure[ci]
        if p > 0 and self.active[ci] and self.churn_u() < p:
            self.active[ci] = False
            self.churned_at[ci] = now

    # ------------------------------------------------------------------ replenishment
    def replenish(self, sp: StockPoint, qty: float, now: float) -> None:
        """Order ``qty`` for ``sp`` from its source at time ``now``; schedule the receipt."""
        sp.touch(now)
        fi = sp.fi
        pi = sp.pi
        week = int(now * (1 / 7))
        if self.log is not None:
            self.log(now, "replenish", "", self.products[pi].id, self.facilities[fi].id, qty)
        if self.counting:
            self.k.ordering[fi] += self.sc.costs.ordering_cost_per_order
            self.k.repl_orders[fi] += 1
        self.fac_week_out[fi][week] += qty
        src = sp.supplier
        if src is not None:
            qty = max(qty, src.moq)
            sp.on_order += qty
            depart, shipped = src.ship(now, self.products[pi].id, qty)
            lane = sp.in_lane
            arrive = lane.arrive(depart, shipped)
            self.supplier_shipped[pi] += shipped
            self.week_orders_up[week] += qty
            if self.counting:
                self.k.transport[fi] += lane.unit_cost * shipped + lane.per_shipment
                self.k.co2[fi] += lane.co2_per_unit * shipped
        elif sp.upstream is not None:
            sp.on_order += qty
            sp.pipeline.append([now + sp.mean_lead, qty])
            up = sp.upstream
            up.touch(now)
            self.fac_week_in[up.fi][week] += qty
            take = up.on_hand if up.on_hand < qty else qty
            if take > 0:
                up.on_hand -= take
                up.shipped += take
                self._ship_internal(up, sp, take, now)
            if take < qty:
                up.stocked_out = True
                self._backorder(up, None, None, qty - take, now, INF, downstream=sp)
            if not up.periodic and not up.echelon:
                up.review(now)
            return
        else:  # a plant producing: lead time, then its capacity (fluid, shared by products)
            sp.on_order += qty
            shipped = qty
            arrive = now + self.production[fi]()
            cap = self.facilities[fi].production_capacity_per_day
            if cap is not None:
                start = arrive if arrive > self.plant_free[fi] else self.plant_free[fi]
                arrive = self.plant_free[fi] = start + qty / cap
            self.supplier_shipped[pi] += shipped
            self.week_orders_up[week] += qty
        sp.pipeline.append([now + sp.mean_lead, qty])
        self._schedule_receipt(sp, arrive, shipped, qty)

    def _ship_internal(self, up: StockPoint, down: StockPoint, units: float, now: float) -> None:
        _, depart = self.stations[up.fi].dispatch(now, units)
        lane = down.in_lane
        arrive = lane.arrive(depart, units)
        if self.counting:
            self.k.transport[down.fi] += lane.unit_cost * units + lane.per_shipment
            self.k.co2[down.fi] += lane.co2_per_unit * units
            self.k.handling[up.fi] += self.handling_cost[up.fi] * units
        self._schedule_receipt(down, arrive, units, units)

    def _schedule_receipt(self, sp: StockPoint, arrive: float, shipped: float,
                          ordered: float) -> None:
        self.seq += 1
        sid = self.seq
        self.outstanding[sid] = (sp.pi, shipped)
        ev = self.env.timeout(max(0.0, arrive - self.env.now))
        ev.callbacks.append(lambda _e: self._receive(sp, sid, shipped, ordered))

    def _receive(self, sp: StockPoint, sid: int, units: float, ordered: float) -> None:
        now = self.env.now
        sp.touch(now)
        del self.outstanding[sid]
        cap = sp.fac.storage_capacity_units
        if cap is not None:
            room = cap - sum(x.on_hand for x in self.sp_by_fac[sp.fi])
            accept = max(0.0, min(units, math.floor(room)))
            self.refused[sp.pi] += units - accept
            units = accept
        sp.on_hand += units
        sp.received += units
        sp.on_order -= ordered
        if self.log is not None:
            self.log(now, "receive", "", self.products[sp.pi].id, self.facilities[sp.fi].id, units)
        need = ordered
        while need > 0 and sp.pipeline:
            head = sp.pipeline[0]
            used = min(head[1], need)
            head[1] -= used
            need -= used
            if head[1] <= 0:
                sp.pipeline.popleft()
        sp.cycles += 1
        if not sp.stocked_out:
            sp.cycles_ok += 1
        sp.stocked_out = False
        self._allocate(sp, now)
        if not sp.periodic and not sp.echelon:
            sp.review(now)

    # ------------------------------------------------------------------ end of run
    def close_open_orders(self) -> None:
        """Orders still open at the horizon: late if their requested date has passed."""
        seen: set[int] = set()
        for sp in self.sp.values():
            for ln in list(sp.backlog):
                o = ln.order
                if o is None or ln.dead or id(o) in seen:
                    continue
                seen.add(id(o))
                if o.requested <= self.horizon:
                    # late and incomplete: counted as a failed order, no cycle time
                    self._finish(o.ci, o.t0, o.requested, o.promised, INF, False, False, o.bad,
                                 o.lines, o.per, o.counted, self.horizon)



def run_replication(scenario: Scenario, seed: int, replication: int, *, days: float | None = None,
                    events: Callable[..., None] | None = None, check: bool = True) -> ReplicationResult:
    """Simulate one replication; KPIs after the warm-up; the audit must hold.

    ``seed`` and ``replication`` fix every random stream (common random numbers across
    scenarios run with the same pair). ``days`` overrides the horizon. Raises ``AuditError``
    when units are not conserved (a bug, never the user's fault).
    """
    from .summary import summarise

    wall = time.perf_counter()
    horizon = float(days if days is not None else scenario.simulation.horizon_days)
    if horizon <= scenario.simulation.warmup_days:
        raise InputError(f"the horizon ({horizon:g} days) must be longer than the warm-up "
                         f"({scenario.simulation.warmup_days:g} days): nothing would be "
                         "measured; use more days or --set simulation.warmup_days=...",
                         "--days" if days is not None else scenario.source)
    model = Model(scenario, seed, replication, horizon, events)
    model.run()
    for sp in model.sp.values():
        sp.touch(horizon)
    model.close_open_orders()
    audit = check_units(model)
    if check and not audit.units_conserved:
        raise AuditError(f"units not conserved in replication {replication}: "
                         f"{audit.imbalances[:5]}")
    kpis, by = summarise(model)
    return ReplicationResult(seed=seed, replication=replication, kpis=kpis, by=by, audit=audit,
                             wall_seconds=time.perf_counter() - wall, events=model.events)
