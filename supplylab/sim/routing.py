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
        # one int object per index, shared by every route (memory: routes grow with the run)
        self._ints = list(range(max(len(m.customers), len(m.products), len(m.facilities) + 1)))
        self._pbases = [pi * K.NCODES for pi in range(len(m.products))]
        self._fbases = [fi * K.NCODES for fi in range(len(m.facilities) + 1)]
        self._nf1 = len(m.facilities) + 1
        #: serving site of (strategy, served_by, product) for customers with ``served_by``
        self._sites: dict[tuple[str, str, int], str] = {}
        self.cached = 0  # routes in the cache (``by_customer`` and the fallbacks)

    def route(self, ci: int, pi: int) -> Route:
        """The route of a customer-product pair (created on first use)."""
        rt = self.by_customer[ci].get(pi)
        if rt is not None:
            return rt
        m = self.m
        sites = m.sites
        c = m.customers[ci]
        if c.served_by is not None:  # customers of a group share their site: resolved once
            sk = (c.strategy, c.served_by, pi)
            site = self._sites.get(sk)
            if site is None:
                site = self._sites[sk] = m.net.serving_site(c.strategy, c.served_by,
                                                            m.products[pi].id, c.location)
        else:
            site = m.net.serving_site(c.strategy, None, m.products[pi].id, c.location)
        lane = sites.lane(site, m.lane_of[ci])
        if site in sites.sources:
            rt = Route(ci, pi, DIRECT, m.outside, None, lane, sites.sources[site], None)
        elif m.facilities[fi := m.fidx[site]].kind == "cross_dock":
            pid = m.products[pi].id
            src = m.net.upstream(site, pid)
            if src is None or src not in sites.sources:
                raise AuditError(f"cross-dock {site} needs a supplier source for {pid}")
            rt = Route(ci, pi, CROSS, fi, None, lane, sites.sources[src], sites.lane(src, site))
        else:
            rt = Route(ci, pi, CLASSIC, fi, sites.sp[(fi, pi)], lane, None, None)
        self._room()
        self._finish(rt)
        self.by_customer[ci][pi] = rt
        return rt

    def _room(self) -> None:
        """Count a new cached route; empty the cache when it holds ``CACHED`` (in place: the
        order paths hold the customers' dictionaries)."""
        self.cached += 1
        if self.cached > CACHED:
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
            sites = m.sites
            lane = sites.lane(m.facilities[fi].id, m.lane_of[ci])
            rt = Route(ci, pi, CLASSIC, fi, sites.sp[(fi, pi)], lane, None, None)
            self._room()
            self._finish(rt)
            self._fallbacks[(ci, pi, fi)] = rt
        return rt

    def _finish(self, rt: Route) -> None:
        """Priority key, station, quality draws and promotions of a new route."""
        m = self.m
        ints = self._ints
        ci, pi, fi = rt.ci, rt.pi, rt.fi = ints[rt.ci], ints[rt.pi], ints[rt.fi]
        rt.pbase, rt.fbase = self._pbases[pi], self._fbases[fi]
        rt.base = ci * K.ML
        rt.sbase = (pi * self._nf1 + fi) * K.ML
        rt.key = m.priority.key(self._cust_prio[ci], pi)
        if fi < self._nf1 - 1:
            st = rt.station = m.sites.stations[fi]
            q = m.sites.quality[fi]
        else:  # direct from a supplier
            st = None
            q = m.sites.supplier_quality[rt.src.id]
        rt.quality = q if q[0] > 0 or q[1] > 0 else None
        rt.promo = m.promo_customers.get(ci)
        lane = rt.lane
        rt.ctp = m.promising.cell(fi, rt.key, lane)
        rt.ctp_add = lane.promise_days if lane.promise_days is not None else 0.0
        rt.express = (rt.kind is CLASSIC and not st.outage and not st.deferred
                      and not rt.lane.deferred and rt.sp.classes is None)

    def key(self, ci: int, pi: int) -> tuple:
        """Priority class of a customer-product line (lower is served first)."""
        return self.m.priority.key(self._cust_prio[ci], pi)
