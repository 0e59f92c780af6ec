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
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from ..errors import AuditError
from ..scenario.network import Network, ResolvedLane
from ..scenario.scenario import Scenario
from ..scenario.schema import RQ, RS, SS, BaseStock, Customer, Facility
from . import kpis as K
from .demand import CHUNK_DAYS, CustomerDemand, PromoEffect, promo_lift, sample_chunk
from .disruptions import Windows, build_windows
from .result import AuditReport, ReplicationResult
from .streams import Sampler, Streams, Uniforms

INF = math.inf
NO_WINDOWS = Windows()


class Station:
    """Order processing (``servers`` parallel FCFS servers) followed by fluid handling capacity.

    With Poisson arrivals and exponential times it is an M/M/c queue; the recursion
    start = max(arrival, earliest free server) is exact for FCFS (Kiefer-Wolfowitz).
    """

    __slots__ = ("free", "service", "cap", "handling_free", "windows")

    def __init__(self, servers: int, service: Sampler, cap: float | None, windows: Windows) -> None:
        self.free = [0.0] * servers
        self.service = service
        self.cap = cap
        self.handling_free = 0.0
        self.windows = windows

    def dispatch(self, now: float, units: float) -> tuple[float, float]:
        """(wait in the processing queue, time the shipment leaves), days."""
        free = self.free
        if self.service._const == 0.0 and len(free) == 1 and free[0] <= now:
            start = now
            done = now
        else:
            first = heapq.heappop(free) if len(free) > 1 else free.pop()
            start = first if first > now else now
            done = start + self.service()
            heapq.heappush(free, done)
        if self.cap is not None:
            w = self.windows
            rate = self.cap * (w.capacity_factor(done) if w.spans else 1.0)
            begin = done if done > self.handling_free else self.handling_free
            done = begin + (units / rate if rate > 0 else INF)
            self.handling_free = done
        if self.windows.spans:
            done = self.windows.available_from(done)
        return start - now, done


class Source:
    """A supplier as the engine sees it: lead time, capacity (fluid), reliability."""

    def __init__(self, sup: Any, streams: Streams, windows: Windows) -> None:
        self.id = sup.id
        self.lead = Sampler(sup.lead_time, streams.rng("supplier", sup.id, "lead"))
        self.rel = sup.reliability
        self.failure = sup.failure
        self.late = Sampler(sup.failure.late_days, streams.rng("supplier", sup.id, "late"))
        self.u = Uniforms(streams.rng("supplier", sup.id, "reliability"))
        self.moq = sup.min_order_qty
        self.cap = sup.capacity_per_day
        self.free: dict[str, float] = {}
        self.windows = windows

    def ship(self, now: float, product: str, qty: float) -> tuple[float, float]:
        """(dispatch time, units shipped) for an order placed now."""
        w = self.windows
        lt = self.lead()
        if w.spans:
            lt *= w.lead_time_factor(now)
        t = now + lt
        cap = self.cap
        if cap is not None:
            key, rate = (product, cap.get(product)) if isinstance(cap, dict) else ("", cap)
            if rate is not None:
                rate *= w.capacity_factor(t) if w.spans else 1.0
                begin = max(t, self.free.get(key, 0.0))
                t = begin + (qty / rate if rate > 0 else INF)
                self.free[key] = t
        if w.spans:
            t = w.available_from(t)
        shipped = qty
        if self.rel < 1.0 and self.u() >= self.rel:
            if self.u() < self.failure.late_share:
                t += self.late()
            else:
                shipped = math.floor(qty * self.failure.short_fill)
        return t, shipped


class Lane:
    """A resolved lane with its transit sampler and disruption windows."""

    __slots__ = ("res", "transit", "windows", "unit_cost", "per_shipment", "co2_per_unit")

    def __init__(self, res: ResolvedLane, streams: Streams, windows: Windows) -> None:
        self.res = res
        self.transit = Sampler(res.transit_time, None if res.transit_time.is_constant
                               else streams.rng("lane", res.key, "transit"))
        self.windows = windows
        self.unit_cost = res.unit_cost()
        self.per_shipment = res.cost_per_shipment
        self.co2_per_unit = res.co2_kg_per_unit_km * res.distance_km

    def arrive(self, depart: float) -> float:
        w = self.windows
        if w.spans:
            depart = w.available_from(depart)
            return depart + self.transit() * w.lead_time_factor(depart)
        return depart + self.transit()


class Line:
    """An order line waiting in a stock point's backlog."""

    __slots__ = ("order", "ci", "pi", "open", "key", "seq", "dead", "downstream", "lane", "t0")

    def __init__(self, order: Order | None, ci: int, pi: int, qty: float, key: tuple,
                 seq: int, downstream: StockPoint | None, lane: Lane | None, t0: float) -> None:
        self.order = order
        self.ci = ci
        self.pi = pi
        self.open = qty
        self.key = key
        self.seq = seq
        self.dead = False
        self.downstream = downstream
        self.lane = lane
        self.t0 = t0

    def __lt__(self, other: Line) -> bool:
        return (self.key, self.seq) < (other.key, other.seq)


class Order:
    """A customer order that could not be completed at entry (has backordered lines)."""

    __slots__ = ("ci", "t0", "requested", "promised", "pending", "first_full", "last", "lost",
                 "bad", "lines", "counted", "per")

    def __init__(self, ci: int, t0: float, requested: float, promised: float, counted: bool,
                 per: int) -> None:
        self.ci = ci
        self.t0 = t0
        self.requested = requested
        self.promised = promised
        self.pending = 0
        self.first_full = True
        self.last = t0
        self.lost = False
        self.bad = False
        self.lines: list[tuple[int, int]] = []
        self.counted = counted
        self.per = per


class StockPoint:
    """Stock of one product at one site: on hand, pipeline, backlog and its policy."""

    def __init__(self, model: Model, fi: int, pi: int, fac: Facility, policy: Any) -> None:
        self.model = model
        self.fi, self.pi = fi, pi
        self.fac = fac
        self.policy = policy
        self.kind = type(policy).__name__
        self.periodic = fac.review_period_days > 0 or isinstance(policy, RS)
        self.on_hand = 0.0
        self.on_order = 0.0
        self.backlog_units = 0.0
        rule = model.rule
        self.backlog: Any = deque() if rule == "fifo" else []
        self.pipeline: deque[list[float]] = deque()  # [expected arrival, qty] for promises
        self.supplier: Source | None = None
        self.upstream: StockPoint | None = None
        self.in_lane: Lane | None = None
        self.downstream: list[StockPoint] = []
        self.echelon = False
        self.echelon_shift = 0.0
        self.mean_lead = 0.0
        self.classes: list[tuple[tuple, float]] | None = None  # (priority key, units/day)
        self.protect = 0.0
        self._critical: dict[tuple, float] = {}
        # accumulators
        self.t_last = 0.0
        self.area_onhand = 0.0
        self.area_backlog = 0.0
        self.area_pipeline = 0.0
        self.cycles = 0
        self.cycles_ok = 0
        self.stocked_out = False
        # audit (never reset)
        self.initial = 0.0
        self.received = 0.0
        self.shipped = 0.0
        self.restocked = 0.0

    # ------------------------------------------------------------------ bookkeeping
    def touch(self, now: float) -> None:
        dt = now - self.t_last
        if dt > 0:
            self.area_onhand += self.on_hand * dt
            self.area_backlog += self.backlog_units * dt
            self.area_pipeline += self.on_order * dt
            self.t_last = now

    def critical(self, key: tuple) -> float:
        """Units reserved for classes better than ``key`` (stock rationing), units."""
        c = self._critical.get(key)
        if c is None:
            c = self.protect * sum(r for k, r in self.classes or () if k < key)
            self._critical[key] = c
        return c

    def position(self) -> float:
        ip = self.on_hand + self.on_order - self.backlog_units
        if self.echelon:
            for d in self.downstream:
                ip += d.on_hand + d.on_order - d.backlog_units
        return ip

    # ------------------------------------------------------------------ policy
    def review(self) -> None:
        """Apply the policy on the inventory position and order what it asks for."""
        ip = self.position()
        pol = self.policy
        shift = self.echelon_shift
        q = 0.0
        if isinstance(pol, SS):
            if ip <= pol.s + shift:
                q = pol.S + shift - ip
        elif isinstance(pol, BaseStock):
            if ip < pol.level + shift:
                q = pol.level + shift - ip
        elif isinstance(pol, RQ):
            if ip <= pol.r + shift:
                q = pol.Q * (math.floor((pol.r + shift - ip) / pol.Q) + 1)
        elif isinstance(pol, RS) and ip < pol.S + shift:
            q = pol.S + shift - ip
        if q > 0:
            self.model.replenish(self, math.ceil(q - 1e-9))


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
        self.k = K.Collector(len(self.customers), len(self.products), len(self.facilities) + 1,
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
        self.churned_at = [INF] * len(self.customers)
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
        self.routes: dict[tuple[int, int], tuple] = {}
        self.demand = self._build_demand()
        self.demand_by_ci = {d.index: d for d in self.demand if d.promos}
        self._rationing()
        self.sp_by_fac: list[list[StockPoint]] = [[] for _ in self.facilities]
        for (fi, _), sp in self.sp.items():
            self.sp_by_fac[fi].append(sp)
        self.refused = [0.0] * len(self.products)
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
        self.week_demand: dict[int, float] = {}
        self.week_orders_up: dict[int, float] = {}
        self.fac_week_in: dict[tuple[int, int], float] = {}
        self.fac_week_out: dict[tuple[int, int], float] = {}
        self.counting = self.warmup <= 0
        self.events = 0

    # ------------------------------------------------------------------ construction
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
                sp.on_hand = sp.initial = float(init if init is not None else _order_up_to(pol))
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
                    sp.echelon_shift = sum(_echelon_level(d) for d in sp.downstream)

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
    def route(self, ci: int, pi: int) -> tuple:
        """(kind, facility index, stock point, lane to customer, extra) for a customer-product."""
        key = (ci, pi)
        r = self.routes.get(key)
        if r is not None:
            return r
        c = self.customers[ci]
        pid = self.products[pi].id
        site = self.net.serving_site(c.strategy, c.served_by, pid, c.location)
        lane = self.lane(site, c.id)
        if site in self.sources:
            r = ("direct", self.outside, None, lane, self.sources[site])
        else:
            fi = self.fidx[site]
            f = self.facilities[fi]
            if f.kind == "cross_dock":
                src = self.net.upstream(site, pid)
                if src is None or src not in self.sources:
                    raise AuditError(f"cross-dock {site} needs a supplier source for {pid}")
                r = ("cross_dock", fi, None, lane, (self.sources[src], self.lane(src, site)))
            else:
                r = ("classic", fi, self.sp[(fi, pi)], lane, None)
        self.routes[key] = r
        return r

    # ------------------------------------------------------------------ processes
    def run(self) -> None:
        env = self.env
        env.process(self._orders())
        if self.warmup > 0:
            env.process(self._warmup())
        env.process(self._periods())
        for fi, f in enumerate(self.facilities):
            sps = self.sp_by_fac[fi]
            groups: dict[float, list[StockPoint]] = {}
            for sp in sps:
                if isinstance(sp.policy, RS):
                    groups.setdefault(sp.policy.R, []).append(sp)
                elif f.review_period_days > 0:
                    groups.setdefault(f.review_period_days, []).append(sp)
            for period, members in groups.items():
                env.process(self._review(period, members))
        if self.sc.information_sharing.pos_to_suppliers:
            ech = [sp for sp in self.sp.values() if sp.echelon and not sp.periodic]
            if ech:
                env.process(self._review(1.0 / self.sc.information_sharing.forecast_updates_per_day, ech))
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
        self.week_demand.clear()
        self.week_orders_up.clear()
        self.fac_week_in.clear()
        self.fac_week_out.clear()
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
            for sp in members:
                sp.touch(env.now)
                sp.review()

    def _orders(self):
        env = self.env
        t0 = 0.0
        period_len = self.period_len
        warm = self.warmup
        while t0 < self.horizon:
            t1 = t0 + CHUNK_DAYS
            ch = sample_chunk(self.demand, t0, t1)
            times, cust, starts, prods, qtys = (ch.times, ch.customers, ch.line_start,
                                                ch.line_product, ch.line_qty)
            active = self.active
            churned_at = self.churned_at
            for i in range(len(times)):
                t = times[i]
                if t >= self.horizon:
                    return
                dt = t - env.now
                if dt > 0:
                    yield env.timeout(dt)
                ci = cust[i]
                if not active[ci]:
                    continue
                if t >= churned_at[ci]:
                    active[ci] = False
                    continue
                per = int((t - warm) / period_len) if self.counting else -1
                self.place_order(ci, t, prods[starts[i]:starts[i + 1]],
                                 qtys[starts[i]:starts[i + 1]], per)
            t0 = t1

    # ------------------------------------------------------------------ customer orders
    def place_order(self, ci: int, now: float, prods: list[int], qtys: list[int], per: int) -> None:
        """Serve an order: ship what stock allows, backorder or lose the rest, record KPIs."""
        k = self.k
        c = self.customers[ci]
        counting = self.counting
        tier = self.sc.tiers[c.tier]
        req_days = c.requested_lead_time_days
        if req_days is None:
            req_days = tier.promised_lead_time_days if tier.promised_lead_time_days is not None else 2.0
        requested = now + req_days
        patience = c.patience_days if c.patience_days is not None else tier.patience_days
        promised = now
        last = now
        all_from_stock = True
        order: Order | None = None
        bad = False
        dispatched: dict[int, float] = {}
        week = int(now // 7)
        for j in range(len(prods)):
            pi = prods[j]
            q = qtys[j]
            kind, fi, sp, lane, extra = self.route(ci, pi)
            if self.log is not None:
                self.log(now, "demand", self.customers[ci].id, self.products[pi].id,
                         self._site_name(fi), q)
            if counting:
                k.line(ci, pi, fi, per, K.DEMAND, q)
                k.line(ci, pi, fi, per, K.LINES, 1)
                self.week_demand[week] = self.week_demand.get(week, 0.0) + q
            if kind == "classic":
                self.fac_week_in[(fi, week)] = self.fac_week_in.get((fi, week), 0.0) + q
                sp.touch(now)
                avail = sp.on_hand
                if sp.classes is not None:
                    avail -= sp.critical(self._key(ci, pi))
                    if avail < 0:
                        avail = 0
                take = avail if avail < q else q
                if self.ship_complete and take < q:
                    take = 0
                short = q - take
                if short > 0:
                    sp.stocked_out = True
                    sub = self._substitute(ci, pi, fi, short, now, per) if self.products[pi].substitutes else 0
                    short -= sub
                    if sub:
                        all_from_stock = False
                if take > 0:
                    sp.on_hand -= take
                    sp.shipped += take
                    t_arr, is_bad = self._ship_to_customer(ci, pi, fi, take, lane, now, dispatched)
                    bad |= is_bad
                    if t_arr > last:
                        last = t_arr
                    if counting:
                        k.line(ci, pi, fi, per, K.FROM_STOCK, take)
                if short <= 0:
                    if counting and take >= q:
                        k.line(ci, pi, fi, per, K.LINES_FILLED, 1)
                    p_line = dispatched.get(fi, now) + lane.transit.mean
                else:
                    all_from_stock = False
                    wait = self.backorder_days[pi]
                    if patience is not None and patience < wait:
                        wait = patience
                    if wait <= 0:
                        self._lost(ci, pi, fi, short, per)
                        if order is None:
                            order = Order(ci, now, requested, promised, counting, per)
                        order.lost = True
                        p_line = now
                    else:
                        if order is None:
                            order = Order(ci, now, requested, promised, counting, per)
                        p_line = self._promise(sp, short, now) + self.stations[fi].service.mean \
                            + lane.transit.mean
                        self._backorder(sp, order, ci, pi, short, now + wait, lane)
                if not sp.periodic and not sp.echelon:
                    sp.review()
            else:
                t_arr, shipped = self._flow_through(kind, ci, pi, fi, q, lane, extra, now)
                if t_arr > last:
                    last = t_arr
                p_line = t_arr
                if counting:
                    k.line(ci, pi, fi, per, K.FROM_STOCK, shipped)
                    if shipped >= q:
                        k.line(ci, pi, fi, per, K.LINES_FILLED, 1)
                if shipped < q:
                    all_from_stock = False
                    self._lost(ci, pi, fi, q - shipped, per)
                    if order is None:
                        order = Order(ci, now, requested, promised, counting, per)
                    order.lost = True
            if p_line > promised:
                promised = p_line
            if order is not None:
                order.lines.append((pi, fi))
        if order is None:
            self._finish(ci, now, requested, promised, last, True, True, bad, prods,
                         [self.route(ci, pi)[1] for pi in prods], per, counting)
            return
        order.promised = promised
        order.first_full = all_from_stock
        order.bad = bad
        if last > order.last:
            order.last = last
        if order.pending == 0:
            self._close(order)
        else:
            # lines not yet recorded (filled ones) keep their attribution in order.lines
            order.lines = [(pi, self.route(ci, pi)[1]) for pi in prods]

    def _ship_to_customer(self, ci: int, pi: int, fi: int, units: float, lane: Lane, now: float,
                          dispatched: dict[int, float]) -> tuple[float, bool]:
        """Dispatch units from site fi; returns (arrival time, damaged or doc error)."""
        k = self.k
        depart = dispatched.get(fi)
        if depart is None:
            wait, depart = self.stations[fi].dispatch(now, units)
            dispatched[fi] = depart
            if self.counting:
                k.wait_sum[fi] += wait
                k.wait_n[fi] += 1
                k.transport[fi] += lane.per_shipment
        arrive = lane.arrive(depart)
        self.to_customers[pi] += units
        fac = self.facilities[fi]
        bad = False
        dmg, doc, u = self.damage[fi]
        if dmg > 0 and u() < dmg:
            bad = True
        if doc > 0 and u() < doc:
            bad = True
        if self.counting:
            k.transport[fi] += lane.unit_cost * units
            k.co2[fi] += lane.co2_per_unit * units
            k.handling[fi] += fac.handling_cost_per_unit * units
        self._delivered(ci, pi, fi, units, now, arrive)
        if self.log is not None:
            self.log(now, "ship", self.customers[ci].id, self.products[pi].id,
                     self._site_name(fi), units, arrive)
        return arrive, bad

    def _delivered(self, ci: int, pi: int, fi: int, units: float, now: float, arrive: float) -> None:
        """Revenue, margin and returns of units on their way to a customer."""
        k = self.k
        if self.counting:
            price = self.price[pi] * self.margin_mult[ci]
            disc = self._discount(ci, pi, now)
            per = int((now - self.warmup) / self.period_len)
            k.line(ci, pi, fi, per, K.DELIVERED, units)
            k.line(ci, pi, fi, per, K.REVENUE, units * price)
            k.line(ci, pi, fi, per, K.COGS, units * self.cost[pi])
            if disc:
                k.line(ci, pi, fi, per, K.DISCOUNT, units * price * disc)
        prod = self.products[pi]
        if prod.return_rate > 0:
            n = int(self.returns_rng.binomial(int(units), prod.return_rate))
            if n > 0:
                self.returned_total[pi] += n
                self.returns_in_transit[pi] += n
                if self.counting:
                    k.line(ci, pi, fi, int((now - self.warmup) / self.period_len),
                           K.RETURNED, n)
                delay = max(0.0, float(prod.return_delay.sample(self.returns_rng, 1)[0]))
                ev = self.env.timeout(max(0.0, arrive + delay - now))
                ev.callbacks.append(lambda _e, ci=ci, pi=pi, fi=fi, n=n: self._returned(ci, pi, fi, n))

    def _returned(self, ci: int, pi: int, fi: int, n: int) -> None:
        prod = self.products[pi]
        self.returns_in_transit[pi] -= n
        keep = math.floor(n * prod.restockable_share + 1e-9)
        sp = self.sp.get((fi, pi))
        if sp is None:
            keep = 0
        if keep:
            sp.touch(self.env.now)
            sp.on_hand += keep
            sp.restocked += keep
            self._allocate(sp)
        self.returns_scrapped[pi] += n - keep
        if self.counting and fi < len(self.facilities):
            ln = self.lane(self.customers[ci].id, self.facilities[fi].id)
            self.k.transport[fi] += ln.unit_cost * n + ln.per_shipment

    def _discount(self, ci: int, pi: int, now: float) -> float:
        cd = self.demand_by_ci.get(ci)
        if cd is None or not cd.promos:
            return 0.0
        for pr in cd.promos:
            if pr.product == pi and pr.start <= now < pr.end:
                return pr.discount
        return 0.0

    def _flow_through(self, kind: str, ci: int, pi: int, fi: int, q: float, lane: Lane,
                      extra: Any, now: float) -> tuple[float, float]:
        """Cross-dock or direct: ordered to demand from the supplier; (arrival, units shipped)."""
        pid = self.products[pi].id
        if kind == "direct":
            src: Source = extra
            depart, shipped = src.ship(now, pid, q)
            self.supplier_shipped[pi] += shipped
            arrive = lane.arrive(depart)
        else:
            src, inbound = extra
            depart, shipped = src.ship(now, pid, q)
            self.supplier_shipped[pi] += shipped
            at_dock = inbound.arrive(depart)
            self.cross_units[fi] += shipped
            out = at_dock + self.dwell[fi]()
            st = self.stations[fi]
            if st.windows.spans:
                out = st.windows.available_from(out)
            arrive = lane.arrive(out)
            if self.counting:
                self.k.transport[fi] += inbound.unit_cost * shipped + inbound.per_shipment
                self.k.handling[fi] += self.facilities[fi].handling_cost_per_unit * shipped
        self.to_customers[pi] += shipped
        if self.counting:
            self.k.transport[fi] += lane.unit_cost * shipped + lane.per_shipment
            self.k.co2[fi] += lane.co2_per_unit * shipped
        if shipped > 0:
            self._delivered(ci, pi, fi, shipped, now, arrive)
        return arrive, shipped

    def _substitute(self, ci: int, pi: int, fi: int, short: float, now: float, per: int) -> float:
        """Serve part of a shortfall with substitutes in stock at the same site."""
        taken = 0.0
        for sub in self.products[pi].substitutes:
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
            route = self.route(ci, pi)
            self._ship_to_customer(ci, spi, fi, n, route[3], now, {})
            if self.counting:
                self.k.line(ci, pi, fi, per, K.SUBST, n)
            if not ssp.periodic and not ssp.echelon:
                ssp.review()
        return taken

    def _site_name(self, fi: int) -> str:
        return self.facilities[fi].id if fi < len(self.facilities) else "(supplier direct)"

    def _lost(self, ci: int, pi: int, fi: int, units: float, per: int) -> None:
        if self.log is not None:
            self.log(self.env.now, "lost", self.customers[ci].id, self.products[pi].id,
                     self._site_name(fi), units)
        if self.counting:
            self.k.line(ci, pi, fi, per, K.LOST, units)
            self.k.penalty += units * self.sc.costs.stockout_penalty_per_unit

    def _promise(self, sp: StockPoint, need: float, now: float) -> float:
        """Available-to-promise date of ``need`` more units behind the current backlog."""
        ahead = sp.backlog_units + need - sp.on_hand
        for eta, qty in sp.pipeline:
            ahead -= qty
            if ahead <= 0:
                return max(eta, now)
        return now + sp.mean_lead

    def _backorder(self, sp: StockPoint, order: Order | None, ci: int, pi: int, qty: float,
                   deadline: float, lane: Lane | None, downstream: StockPoint | None = None) -> Line:
        self.seq += 1
        if downstream is not None:
            key: tuple = (0,) * len(self.prio_order)
        elif self.rule == "priority":
            key = self._key(ci, pi)
        else:
            key = ()
        line = Line(order, ci, pi, qty, key, self.seq, downstream, lane, self.env.now)
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
        return tuple(self.cust_prio[ci] if f == "tier" else
                     self.importance[pi] if f == "importance" else self.grade[pi]
                     for f in self.prio_order)

    def _rationing(self) -> None:
        """Expected daily demand per priority class at each stock point (critical levels)."""
        protect = self.sc.allocation.protect_days
        if self.rule != "priority" or protect <= 0:
            return
        rates: dict[tuple[int, int], dict[tuple, float]] = {}
        for cd in self.demand:
            if cd.form == "daily":
                units = cd.weights * cd.scale
            else:
                lines = cd.rate * cd.scale * max(1.0, cd.lines.mean())
                share = cd.weights / cd.weights.sum()
                q = (np.asarray([cd.quantity[p].mean() if p in cd.quantity else 1.0
                                 for p in cd.products]) if isinstance(cd.quantity, dict)
                     else cd.quantity.mean())
                units = lines * share * np.maximum(q, 1.0)
            for pi, u in zip(cd.products.tolist(), units.tolist(), strict=True):
                kind, fi, sp, _, _ = self.route(cd.index, pi)
                if kind != "classic":
                    continue
                d = rates.setdefault((fi, pi), {})
                key = self._key(cd.index, pi)
                d[key] = d.get(key, 0.0) + u
        for (fi, pi), d in rates.items():
            if len(d) > 1:
                sp = self.sp[(fi, pi)]
                sp.classes = sorted(d.items())
                sp.protect = protect

    def _expire(self, sp: StockPoint, line: Line) -> None:
        if line.dead or line.open <= 0:
            return
        now = self.env.now
        sp.touch(now)
        line.dead = True
        sp.backlog_units -= line.open
        order = line.order
        fi = sp.fi
        if self.log is not None:
            self.log(now, "lost", self.customers[line.ci].id if line.ci >= 0 else "",
                     self.products[line.pi].id, self._site_name(fi), line.open)
        if order is not None:
            if order.counted:
                self.k.line(line.ci, line.pi, fi, order.per, K.LOST, line.open)
                self.k.penalty += line.open * self.sc.costs.stockout_penalty_per_unit
            order.lost = True
            order.pending -= 1
            if order.pending == 0:
                self._close(order)
        line.open = 0

    def _allocate(self, sp: StockPoint) -> None:
        """Serve the backlog from on-hand stock by the allocation rule."""
        if sp.backlog_units <= 0 or sp.on_hand <= 0:
            return
        now = self.env.now
        bl = sp.backlog
        if self.rule == "fair_share":
            live = [ln for ln in bl if not ln.dead and ln.open > 0]
            while sp.on_hand >= 1 and live:
                share = max(1.0, math.floor(sp.on_hand / len(live)))
                for ln in live:
                    if sp.on_hand < 1:
                        break
                    n = min(share, ln.open, sp.on_hand)
                    self._fill(sp, ln, n, now)
                live = [ln for ln in live if ln.open > 0]
            sp.backlog = [ln for ln in bl if not ln.dead and ln.open > 0]
            return
        skipped = []
        while bl and sp.on_hand > 0:
            ln = heapq.heappop(bl) if self.rule == "priority" else bl.popleft()
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
            n = ln.open if ln.open <= avail else avail
            self._fill(sp, ln, n, now)
            if ln.open > 0:
                skipped.append(ln)
        if self.rule == "priority":
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
        arrive, bad = self._ship_to_customer(ln.ci, ln.pi, sp.fi, n, ln.lane, now, {})
        if order is not None:
            if order.counted:
                self.k.line(ln.ci, ln.pi, sp.fi, order.per, K.BACKORDER_DAYS, n * (now - ln.t0))
                self.k.penalty += n * (now - ln.t0) * self.sc.costs.backorder_cost_per_unit_day
            order.bad |= bad
            if arrive > order.last:
                order.last = arrive
            if ln.open <= 0:
                ln.dead = True
                order.pending -= 1
                if order.pending == 0:
                    self._close(order)

    # ------------------------------------------------------------------ order completion
    def _close(self, o: Order) -> None:
        self._finish(o.ci, o.t0, o.requested, o.promised, o.last, o.first_full and not o.lost,
                     not o.lost, o.bad, [p for p, _ in o.lines], [f for _, f in o.lines], o.per,
                     o.counted)

    def _finish(self, ci: int, t0: float, requested: float, promised: float, last: float,
                first_full: bool, complete: bool, bad: bool, prods: list[int], facs: list[int],
                per: int, counted: bool) -> None:
        on_time = complete and last <= requested + 1e-9
        kept = complete and last <= promised + 1e-9
        otif = on_time and first_full
        perfect = otif and not bad
        if not otif:
            self._failure(ci)
        if not counted:
            return
        k = self.k
        M = K.M
        cycle = last - t0
        vals = ((K.ORDERS, 1), (K.ORDERS_FILLED, first_full), (K.ON_TIME, on_time),
                (K.PROMISE_KEPT, kept), (K.OTIF, otif), (K.PERFECT, perfect))
        b = ci * M
        for slot, v in vals:
            k.cust[b + slot] += v
            if per >= 0:
                k.per[per * M + slot] += v
        if complete:
            k.cust[b + K.CYCLE_SUM] += cycle
            k.cust[b + K.CYCLE_N] += 1
            if per >= 0:
                k.per[per * M + K.CYCLE_SUM] += cycle
                k.per[per * M + K.CYCLE_N] += 1
            k.cycle_all.add(cycle)
            k.cycle_tier[self.cust_tier[ci]].add(cycle)
        # order outcomes attributed to each line's product and facility
        for pi, fi in zip(prods, facs, strict=False):
            pb, fb = pi * M, fi * M
            for slot, v in vals:
                k.prod[pb + slot] += v
                k.fac[fb + slot] += v
            if complete:
                k.prod[pb + K.CYCLE_SUM] += cycle
                k.prod[pb + K.CYCLE_N] += 1
                k.fac[fb + K.CYCLE_SUM] += cycle
                k.fac[fb + K.CYCLE_N] += 1

    def _failure(self, ci: int) -> None:
        """A failed order (not OTIF) may make the customer churn (tier's per_failure)."""
        self.failures[ci] += 1
        p = self.sc.tiers[self.customers[ci].tier].churn.per_failure
        if p > 0 and self.active[ci] and self.churn_u() < p:
            self.active[ci] = False
            self.churned_at[ci] = self.env.now

    # ------------------------------------------------------------------ replenishment
    def replenish(self, sp: StockPoint, qty: float) -> None:
        """Order ``qty`` for ``sp`` from its source; schedule the receipt."""
        now = self.env.now
        sp.touch(now)
        fi = sp.fi
        pi = sp.pi
        week = int(now // 7)
        if self.log is not None:
            self.log(now, "replenish", "", self.products[pi].id, self.facilities[fi].id, qty)
        if self.counting:
            self.k.ordering[fi] += self.sc.costs.ordering_cost_per_order
            self.k.repl_orders[fi] += 1
        src = sp.supplier
        if src is not None:
            qty = max(qty, src.moq)
            sp.on_order += qty
            depart, shipped = src.ship(now, self.products[pi].id, qty)
            lane = sp.in_lane
            arrive = lane.arrive(depart)
            self.supplier_shipped[pi] += shipped
            self.week_orders_up[week] = self.week_orders_up.get(week, 0.0) + qty
            if self.counting:
                self.k.transport[fi] += lane.unit_cost * shipped + lane.per_shipment
                self.k.co2[fi] += lane.co2_per_unit * shipped
        elif sp.upstream is not None:
            sp.on_order += qty
            up = sp.upstream
            up.touch(now)
            arrive = INF
            shipped = qty
            self.fac_week_in[(up.fi, week)] = self.fac_week_in.get((up.fi, week), 0.0) + qty
            take = up.on_hand if up.on_hand < qty else qty
            if take > 0:
                up.on_hand -= take
                up.shipped += take
                self._ship_internal(up, sp, take, now)
            if take < qty:
                up.stocked_out = True
                self._backorder(up, None, -1, pi, qty - take, INF, None, downstream=sp)
            if not up.periodic and not up.echelon:
                up.review()
            self.fac_week_out[(fi, week)] = self.fac_week_out.get((fi, week), 0.0) + qty
            sp.pipeline.append([now + sp.mean_lead, qty])
            return
        else:  # a plant producing
            sp.on_order += qty
            shipped = qty
            arrive = now + self.production[fi]()
            self.supplier_shipped[pi] += shipped
            self.week_orders_up[week] = self.week_orders_up.get(week, 0.0) + qty
        self.fac_week_out[(fi, week)] = self.fac_week_out.get((fi, week), 0.0) + qty
        sp.pipeline.append([now + sp.mean_lead, qty])
        self._schedule_receipt(sp, arrive, shipped, qty)

    def _ship_internal(self, up: StockPoint, down: StockPoint, units: float, now: float) -> None:
        _, depart = self.stations[up.fi].dispatch(now, units)
        lane = down.in_lane
        arrive = lane.arrive(depart)
        if self.counting:
            self.k.transport[down.fi] += lane.unit_cost * units + lane.per_shipment
            self.k.co2[down.fi] += lane.co2_per_unit * units
            self.k.handling[up.fi] += self.facilities[up.fi].handling_cost_per_unit * units
        self._schedule_receipt(down, arrive, units, units, internal=True)

    def _schedule_receipt(self, sp: StockPoint, arrive: float, shipped: float, ordered: float,
                          internal: bool = False) -> None:
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
        self._allocate(sp)
        if not sp.periodic and not sp.echelon:
            sp.review()

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
                                 [p for p, _ in o.lines], [f for _, f in o.lines], o.per, o.counted)

    def audit(self) -> AuditReport:
        """Conservation of units per (location, product) and across the network."""
        bad: list[tuple[str, str, float]] = []
        checked = 0
        for (fi, pi), sp in self.sp.items():
            checked += 1
            diff = sp.initial + sp.received + sp.restocked - sp.shipped - sp.on_hand
            if abs(diff) > 1e-6 or sp.on_hand < -1e-9:
                bad.append((self.facilities[fi].id, self.products[pi].id, float(diff)))
        in_transit = [0.0] * len(self.products)
        for pi, units in self.outstanding.values():
            in_transit[pi] += units
        on_hand = [0.0] * len(self.products)
        initial = [0.0] * len(self.products)
        for (_, pi), sp in self.sp.items():
            on_hand[pi] += sp.on_hand
            initial[pi] += sp.initial
        for pi, p in enumerate(self.products):
            checked += 1
            # every unit that entered the network is on hand, in transit, with a customer,
            # or came back and was scrapped
            inflow = self.supplier_shipped[pi] + initial[pi]
            outflow = on_hand[pi] + in_transit[pi] + self.to_customers[pi] \
                - self.returned_total[pi] + self.returns_in_transit[pi] + self.returns_scrapped[pi]
            outflow += self.refused[pi]
            if abs(inflow - outflow) > 1e-6:
                bad.append(("network", p.id, float(inflow - outflow)))
        return AuditReport(units_conserved=not bad, checked=checked, imbalances=bad)


def _order_up_to(pol: Any) -> float:
    if isinstance(pol, SS | RS):
        return pol.S
    if isinstance(pol, RQ):
        return pol.r + pol.Q
    return pol.level


def _echelon_level(sp: StockPoint) -> float:
    """Order-up-to level of a stock point and everything below it (echelon conversion)."""
    return _order_up_to(sp.policy) + sum(_echelon_level(d) for d in sp.downstream)


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
    model = Model(scenario, seed, replication, horizon, events)
    model.run()
    for sp in model.sp.values():
        sp.touch(horizon)
    model.close_open_orders()
    audit = model.audit()
    if check and not audit.units_conserved:
        raise AuditError(f"units not conserved in replication {replication}: "
                         f"{audit.imbalances[:5]}")
    kpis, by = summarise(model)
    return ReplicationResult(seed=seed, replication=replication, kpis=kpis, by=by, audit=audit,
                             wall_seconds=time.perf_counter() - wall, events=model.events)
