"""Routes: how one customer gets one product (serving site, stock point, lanes, priority class).

A route is created the first time a customer orders a product and cached (at most ``CACHED``
routes: when the cache is full it is emptied and routes are created again as they are needed;
a route holds no state of the run, so a recreated route is the same route); it fixes the
customer, product and facility dimensions of everything counted on it (``Route.base`` and
``Route.sbase`` index its customer's and product-site's counters in the KPI collector, which
keeps nothing per route). The priority key of a route is the allocation class of its lines
(``priority.py``: the terms of ``allocation.priority_order`` over the tier priority and the
product's score), lower served first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import AuditError
from . import kpis as K
from .stock import CLASSIC, CROSS, DIRECT, Route

if TYPE_CHECKING:
    from .engine import Model
    from .resources import Lane


#: routes kept at most (about 300 bytes each with their dictionary entries: memory stays flat
#: however many customer-product pairs order over the run)
CACHED = 1 << 16


class Routing:
    """Route of every (customer, product) pair, created lazily and cached (``CACHED``)."""

    def __init__(self, m: Model) -> None:
        self.m = m
        sc = m.sc
        self.by_customer: list[dict[int, Route]] = [{} for _ in m.customers]
        self._cust_prio = [sc.tiers[c.tier].priority for c in m.customers]
        self._fallbacks: dict[tuple[int, int, int], Route] = {}  # (customer, product, site)
        self._nearest: dict[tuple[int, int], list[int]] = {}  # open-site candidates by distance
        # one int object per index, shared by every route (memory)
        self._ints = list(range(max(len(m.customers), len(m.products), len(m.facilities) + 1)))
        self._pbases = [pi * K.NCODES for pi in range(len(m.products))]
        self._fbases = [fi * K.NCODES for fi in range(len(m.facilities) + 1)]
        self._nf1 = len(m.facilities) + 1
        #: customers with ``served_by``: their group (strategy, served_by, tier priority) and
        #: the group's prototype route of each product (``_proto``; None: not resolved yet)
        groups: dict[tuple[str, str, int], int] = {}
        self._group = [-1 if c.served_by is None else groups.setdefault(
            (c.strategy, c.served_by, p), len(groups))
            for c, p in zip(m.customers, self._cust_prio, strict=True)]
        self._gprotos: list[list[Route | None]] = [[None] * len(m.products) for _ in groups]
        self._members = [0] * len(groups)  # a customer of each group
        for ci, g in enumerate(self._group):
            if g >= 0:
                self._members[g] = ci
        self.cached = 0  # routes in the cache (``by_customer`` and the fallbacks)
        #: (site, product, tier priority) -> what their routes share (``_proto``)
        self._protos: dict[tuple[str, int, int], Route] = {}

    def route(self, ci: int, pi: int) -> Route:
        """The route of a customer-product pair (created on first use)."""
        rt = self.by_customer[ci].get(pi)
        if rt is not None:
            return rt
        proto = self.proto(ci, pi)
        rt = self._like(proto, ci, self.m.sites.lane(proto.site, self.m.lane_of[ci]))
        self.by_customer[ci][pi] = rt
        return rt

    def lean(self) -> list[list[Route | None] | None]:
        """For each customer, what the fast paths of ``OrderDesk.stream`` read instead of its
        routes: its ``served_by`` group's prototype route of each product (None: not resolved
        yet, ``proto``), when the customers buy more (customer, product) pairs than the cache
        holds (``CACHED``: most routes would be made for one or two lines and emptied again);
        None for a customer whose routes are made and cached (every pair fits, or no
        ``served_by``: its site depends on its location)."""
        pairs = sum(len(cd.products) for cd in self.m.demand)
        if pairs <= CACHED:
            return [None] * len(self._group)
        return [self._gprotos[g] if g >= 0 else None for g in self._group]

    def own(self, rt: Route, ci: int) -> Route:
        """Customer ``ci``'s route of a line given its route or its prototype (no lane)."""
        return rt if rt.lane is not None else self.route(ci, rt.pi)

    def group_of(self, ci: int) -> int:
        """The ``served_by`` group of a customer (its members share their routes'
        prototypes), -1 for a customer without ``served_by``."""
        return self._group[ci]

    def member(self, g: int) -> int:
        """A customer of group ``g``."""
        return self._members[g]

    def proto(self, ci: int, pi: int) -> Route:
        """What the route of a customer-product pair shares with the routes of its site,
        product and tier priority (``_proto``: kind, site, stock point, priority key), without
        making the customer's own route (``Allocation.setup_rationing`` reads every pair)."""
        m = self.m
        g = self._group[ci]
        if g >= 0:  # customers of a group (served_by) share their site: resolved once
            protos = self._gprotos[g]
            proto = protos[pi]
            if proto is None:
                c = m.customers[ci]
                site = m.net.serving_site(c.strategy, c.served_by, m.products[pi].id, c.location)
                proto = protos[pi] = (self._protos.get((site, pi, self._cust_prio[ci]))
                                      or self._proto(site, pi, self._cust_prio[ci]))
            return proto
        c = m.customers[ci]
        site = m.net.serving_site(c.strategy, None, m.products[pi].id, c.location)
        return self._protos.get((site, pi, self._cust_prio[ci])) or self._proto(
            site, pi, self._cust_prio[ci])

    def _proto(self, site: str, pi: int, prio: int) -> Route:
        """What the routes of ``site``, product ``pi`` and tier priority ``prio`` share: kind,
        site, stock point or supplier, inbound lane, station, quality, priority key, the
        product-site's counters (``Routing._protos``: at most sites x products x tiers)."""
        m = self.m
        sites = m.sites
        if site in sites.sources:
            rt = Route(0, pi, DIRECT, m.outside, None, None, sites.sources[site], None)
        elif m.facilities[fi := m.fidx[site]].kind == "cross_dock":
            pid = m.products[pi].id
            src = m.net.upstream(site, pid)
            if src is None or src not in sites.sources:
                raise AuditError(f"cross-dock {site} needs a supplier source for {pid}")
            rt = Route(0, pi, CROSS, fi, None, None, sites.sources[src], sites.lane(src, site))
        else:
            rt = Route(0, pi, CLASSIC, fi, sites.sp[(fi, pi)], None, None, None)
        ints = self._ints
        pi, fi = rt.pi, rt.fi = ints[pi], ints[rt.fi]
        rt.pbase, rt.fbase = self._pbases[pi], self._fbases[fi]
        rt.sbase = (pi * self._nf1 + fi) * K.ML
        rt.key = m.priority.key(prio, pi)
        if fi < self._nf1 - 1:
            rt.station = m.sites.stations[fi]
            q = m.sites.quality[fi]
        else:  # direct from a supplier
            q = m.sites.supplier_quality[rt.src.id]
        rt.quality = q if q[0] > 0 or q[1] > 0 else None
        rt.site = site
        rt.ctp = m.promising.cell(fi, rt.key, None)
        self._protos[(site, pi, prio)] = rt
        return rt

    def _like(self, proto: Route, ci: int, lane: Lane) -> Route:
        """A new cached route of customer ``ci`` over ``lane`` with what ``proto`` holds."""
        self.cached += 1
        if self.cached > CACHED:
            self._empty()
        m = self.m
        rt = Route.__new__(Route)
        rt.ci = ci = self._ints[ci]
        rt.base = ci * K.ML
        rt.pi, rt.kind, rt.fi, rt.sp, rt.src, rt.inbound = (
            proto.pi, proto.kind, proto.fi, proto.sp, proto.src, proto.inbound)
        rt.pbase, rt.fbase, rt.sbase, rt.key = proto.pbase, proto.fbase, proto.sbase, proto.key
        rt.station = st = proto.station
        rt.quality = proto.quality
        rt.lane, rt.site, rt.proto = lane, proto.site, proto
        rt.promo = m.promo_customers.get(ci)
        if lane.promise_days is not None:  # the answer of the site and class
            rt.ctp, rt.ctp_add = proto.ctp, lane.promise_days
        else:
            rt.ctp, rt.ctp_add = m.promising.cell(rt.fi, rt.key, lane), 0.0
        rt.express = (rt.kind is CLASSIC and not st.outage and (not st.deferred or st.prompt)
                      and not lane.deferred and rt.sp.classes is None)
        return rt

    def _empty(self) -> None:
        """Empty the full cache (in place: the order paths hold the customers' dictionaries)."""
        for routes in self.by_customer:
            routes.clear()
        self._fallbacks.clear()
        self._nearest.clear()
        self.cached = 1

    def fallback(self, rt: Route, now: float) -> Route | None:
        """The route that serves a line while an outage closes ``rt``'s site at ``now``: via
        the site's ``fallback`` facility (or, for ``nearest``, the nearest other site that
        stocks the product) when that site is open and stocks the product; else None."""
        m = self.m
        fb = m.facilities[rt.fi].fallback
        if fb is None:
            return None
        ci, pi = rt.ci, rt.pi
        if fb == "nearest":
            order = self._nearest.get((ci, pi))
            if order is None:
                cands = [fi for (fi, p) in m.sites.sp if p == pi and fi != rt.fi]
                order = sorted(cands, key=lambda fi: (
                    m.net.lane(m.facilities[fi].id, m.lane_of[ci]).distance_km, fi))
                self._nearest[(ci, pi)] = order
            stations = m.sites.stations
            for fi in order:
                if stations[fi].closed_until(now) <= now:
                    return self._via(ci, pi, fi)
            return None
        fi = m.fidx.get(fb)
        if fi is None or (fi, pi) not in m.sites.sp or m.sites.stations[fi].closed_until(now) > now:
            return None
        return self._via(ci, pi, fi)

    def _via(self, ci: int, pi: int, fi: int) -> Route:
        """A classic route of (customer, product) through stock point (fi, pi), cached."""
        rt = self._fallbacks.get((ci, pi, fi))
        if rt is None:
            m = self.m
            site = m.facilities[fi].id
            prio = self._cust_prio[ci]
            proto = self._protos.get((site, pi, prio)) or self._proto(site, pi, prio)
            rt = self._fallbacks[(ci, pi, fi)] = self._like(
                proto, ci, m.sites.lane(site, m.lane_of[ci]))
        return rt

    def key(self, ci: int, pi: int) -> tuple:
        """Priority class of a customer-product line (lower is served first)."""
        return self.m.priority.key(self._cust_prio[ci], pi)
