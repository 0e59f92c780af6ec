"""The physical network of one replication: supplier sources, site stations, lanes, stock points.

``Sites`` builds the runtime objects of ``resources.py`` and ``stock.py`` from the scenario and
holds them; it knows which stock point replenishes from which source (the supply chain of each
product) and resolves lanes through dictionaries (explicit lanes by endpoints, runtime lanes
cached by endpoints). It owns no rule about orders or allocation.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..errors import AuditError
from ..scenario.schema import Lane as LaneSpec
from .disruptions import Windows
from .resources import Lane, Source, Station
from .stock import StockPoint, echelon_level, order_up_to
from .streams import Sampler, Uniforms

if TYPE_CHECKING:
    from .engine import Model

NO_WINDOWS = Windows()


class Sites:
    """Sources, stations, lanes and stock points, indexed for the hot path."""

    def __init__(self, m: Model) -> None:
        sc = m.sc
        self.m = m
        streams, windows = m.streams, m.windows
        self.sources = {s.id: Source(s, streams, windows.get(s.id, NO_WINDOWS))
                        for s in sc.suppliers}
        self.supplier_lead_mean = {s.id: s.lead_time.mean() for s in sc.suppliers}
        #: per supplier shipping direct to customers: (damage, document errors, uniforms)
        self.supplier_quality = {s.id: (s.damage_rate, s.doc_error_rate,
                                        Uniforms(streams.lazy("supplier", s.id, "quality")))
                                 for s in sc.suppliers}
        self.stations: list[Station] = []
        #: per facility: (damage probability, document error probability, uniforms)
        self.quality: list[tuple[float, float, Uniforms]] = []
        for f in m.facilities:
            w = windows.get(f.id, NO_WINDOWS)
            rng = streams.lazy("facility", f.id, "processing")
            self.stations.append(Station(f.order_processors, Sampler(f.order_processing_time, rng),
                                         f.capacity_units_per_day, w))
            if m.rule == "priority":
                self.stations[-1].serve_by_priority(m.env)
            self.quality.append((f.damage_rate, f.doc_error_rate,
                                 Uniforms(streams.lazy("facility", f.id, "quality"))))
        self.dwell = [Sampler(f.dwell_time, streams.lazy("facility", f.id, "dwell"))
                      for f in m.facilities]
        self.production = [Sampler(f.production_lead_time,
                                   streams.lazy("facility", f.id, "production"))
                           for f in m.facilities]
        self.handling_cost = [f.handling_cost_per_unit for f in m.facilities] + [0.0]
        self._explicit: dict[tuple[str, str], LaneSpec] = {}
        for spec in sc.lanes:
            self._explicit.setdefault((spec.from_, spec.to), spec)
        self.lanes: dict[tuple[str, str], Lane] = {}
        self.sp: dict[tuple[int, int], StockPoint] = {}
        self._build_stock_points()
        self.sp_by_fac: list[list[StockPoint]] = [[] for _ in m.facilities]
        for (fi, _), sp in self.sp.items():
            self.sp_by_fac[fi].append(sp)
        for st, sps in zip(self.stations, self.sp_by_fac, strict=True):
            st.prompt = (st.deferred and st.cap is None and not st.windows.spans
                         and not any(sp.downstream for sp in sps))
        if m.rule == "priority":
            self._supplier_priority()

    def _supplier_priority(self) -> None:
        """Suppliers serve by priority the capacities that orders of several priority classes
        reach: a capacity shared by products of different priority, or any capacity that
        cross-dock or direct customer lines (with their tiers) may use. A capacity only one
        class reaches keeps the FCFS recursion (the same times either way)."""
        m = self.m
        flow = (any(f.kind == "cross_dock" for f in m.facilities)
                or any(c.strategy == "direct" for c in m.customers))
        for src in self.sources.values():
            if src.cap is None:
                continue
            per_product = isinstance(src.cap, dict)
            classes: dict[str, set[tuple]] = {}
            for sp in self.sp.values():
                if sp.supplier is src:
                    ck = m.products[sp.pi].id if per_product else ""
                    classes.setdefault(ck, set()).add(m.priority.stock_key(sp.pi))
            keys = {ck for ck, ks in classes.items() if len(ks) > 1}
            if flow:
                keys |= set(src.cap) if per_product else {""}
            src.serve_by_priority(m.env, keys)

    def lane(self, a: str, b: str) -> Lane:
        """The runtime lane a -> b (created on first use; disruptions by lane key or id)."""
        key = (a, b)
        ln = self.lanes.get(key)
        if ln is None:
            m = self.m
            res = m.net.lane(a, b)
            w = m.windows.get(res.key, NO_WINDOWS)
            explicit = self._explicit.get(key)
            if explicit is not None and explicit.id:
                w = m.windows.get(explicit.id, w)
            ln = Lane(res, m.streams, w)
            ln.ix = len(self.lanes)
            if m.rule == "priority":
                ln.serve_by_priority(m.env)
            self.lanes[key] = ln
        return ln

    def _build_stock_points(self) -> None:
        m = self.m
        for fi, f in enumerate(m.facilities):
            for pi, p in enumerate(m.products):
                pol = f.inventory.policy_for(p.id) if f.kind != "cross_dock" else None
                if pol is None:
                    continue
                sp = StockPoint(m, fi, pi, f, pol)
                init = f.inventory.initial.get(p.id)
                sp.on_hand = sp.initial = float(init if init is not None else order_up_to(pol))
                self.sp[(fi, pi)] = sp
        for (fi, pi), sp in self.sp.items():
            f = m.facilities[fi]
            pid = m.products[pi].id
            src = m.net.upstream(f.id, pid)
            if src is None:
                sp.mean_lead = f.production_lead_time.mean()
                continue
            sp.in_lane = self.lane(src, f.id)
            if src in self.sources:
                sp.supplier = self.sources[src]
                sp.mean_lead = self.supplier_lead_mean[src] + sp.in_lane.res.transit_time.mean()
            else:
                up = self.sp.get((m.fidx[src], pi))
                if up is None:
                    raise AuditError(f"{f.id} replenishes {pid} from {src}, which holds no stock of it")
                sp.upstream = up
                up.downstream.append(sp)
                sp.mean_lead = m.facilities[m.fidx[src]].order_processing_time.mean() \
                    + sp.in_lane.res.transit_time.mean()
        if m.sc.information_sharing.pos_to_suppliers:
            for sp in self.sp.values():
                if sp.downstream:
                    sp.echelon = True
                    sp.trigger = -math.inf  # reviewed on its echelon position (engine._review)
                    sp.review_below = math.inf
                    sp.echelon_shift = sum(echelon_level(d) for d in sp.downstream)

    def site_name(self, fi: int) -> str:
        """The id of facility index ``fi`` (the index past the last facility: supplier direct)."""
        facs = self.m.facilities
        return facs[fi].id if fi < len(facs) else "(supplier direct)"
