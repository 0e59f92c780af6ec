"""Stock points (one product at one site) and the records that wait in their backlogs.

A ``StockPoint`` is the single source of truth of its on-hand, on-order and backlog units; its
policy (sS, rQ, base_stock, RS) acts on the inventory position (or, with information sharing,
the echelon position). ``Route`` ties a customer and product to the serving site; ``Order`` is
an order that could not complete at entry; ``Line`` is a backordered quantity.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..scenario.schema import RQ, RS, SS, BaseStock, Facility
from . import kpis as K
from .resources import Lane, Source

if TYPE_CHECKING:
    from .engine import Model

#: route kinds: from a stock point, through a cross-dock, direct from a supplier
CLASSIC, CROSS, DIRECT = "classic", "cross_dock", "direct"


class Line:
    """An order line waiting in a stock point's backlog."""

    __slots__ = ("order", "route", "open", "key", "seq", "dead", "downstream", "t0")

    def __init__(self, order: Order | None, route: Route | None, qty: float, key: tuple,
                 seq: int, downstream: StockPoint | None, t0: float) -> None:
        self.order = order
        self.route = route
        self.open = qty
        self.key = key
        self.seq = seq
        self.dead = False
        self.downstream = downstream
        self.t0 = t0

    def __lt__(self, other: Line) -> bool:
        return (self.key, self.seq) < (other.key, other.seq)


class Route:
    """How one customer gets one product: the serving site, its stock point and lanes.

    ``base`` and ``sbase`` index its customer's and its product-site's line metrics (set by
    routing); the route fixes the customer, product and facility dimensions of everything
    counted on it.
    """

    __slots__ = ("base", "sbase", "pbase", "fbase", "ci", "pi", "kind", "fi", "sp", "lane", "src",
                 "inbound", "key", "station", "quality", "promo", "ctp", "ctp_add", "express", "site",
                 "proto")

    def __init__(self, ci: int, pi: int, kind: str, fi: int, sp: StockPoint | None,
                 lane: Lane, src: Source | None, inbound: Lane | None) -> None:
        self.base = self.sbase = 0
        self.pbase = pi * K.NCODES
        self.fbase = fi * K.NCODES
        self.key: tuple = ()
        self.ci, self.pi, self.kind, self.fi = ci, pi, kind, fi
        self.sp, self.lane, self.src, self.inbound = sp, lane, src, inbound
        self.station: Any = None  # the serving site's processing station (None: supplier)
        self.quality: tuple[float, float, Any] | None = None  # damage, doc errors, uniforms
        self.promo: Any = None  # the customer's demand stream when it has promotions
        #: the capable-to-promise answer of its site, class and lane (``promising.Answer``,
        #: shared with every route that has them) and the constant transit days it adds
        self.ctp: Any = None
        self.ctp_add = 0.0
        #: classic, through a FCFS site without outages (or a priority site that processes at
        #: once) and a lane without priority, from a stock point without rationing: a line
        #: served in full at entry may take the fast paths (``express_desk``; set by
        #: ``Routing._like``; a prototype, without lane, is checked by the fast paths)
        self.express = False
        self.site = ""  # the serving site's id (routing)
        #: what it shares with the routes of its site, product and tier priority
        #: (``Routing._proto``: a route without customer, lane or promotion; itself for those)
        self.proto: Route = self


class Order:
    """A customer order that could not be completed at entry (has backordered lines)."""

    __slots__ = ("ci", "t0", "requested", "promised", "pending", "first_full", "last", "lost",
                 "bad", "lines", "filled", "counted", "per")

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
        self.lines: list[Route] = []
        self.filled: list[Route] = []  # lines served in full from stock at entry
        self.counted = counted
        self.per = per


class StockPoint:
    """Stock of one product at one site: on hand, pipeline, backlog and its policy."""

    __slots__ = ("fi", "pi", "fac", "policy", "kind", "_rule", "_replenish", "periodic",
                 "on_hand", "on_order", "backlog_units", "backlog", "pipeline", "supplier",
                 "upstream", "in_lane", "downstream", "echelon", "echelon_shift", "mean_lead",
                 "classes", "protect", "_critical", "t_last", "area_onhand", "area_backlog",
                 "area_pipeline", "cycles", "cycles_ok", "stocked_out", "initial", "received",
                 "shipped", "restocked", "trigger", "review_below", "transfer_key")

    def __init__(self, model: Model, fi: int, pi: int, fac: Facility, policy: Any) -> None:
        self.fi, self.pi = fi, pi
        self.fac = fac
        self.policy = policy
        self.kind = type(policy).__name__
        self._rule = _order_qty(policy)
        self._replenish: Callable[[StockPoint, float, float], None] = model.replenishment.replenish
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
        #: reviewed after each demand (continuous, own position): its policy orders only when
        #: the position is below this (``demand_trigger``); -inf when never reviewed on demand
        self.trigger = demand_trigger(policy, self.periodic)
        #: a periodic review orders only when the own position is below this
        #: (``order_below``; +inf for an echelon stock point, reviewed on its echelon position)
        self.review_below = order_below(policy)
        self.mean_lead = 0.0
        self.classes: list[tuple[tuple, float]] | None = None  # (priority key, units/day)
        #: priority key of its replenishment from an upstream stock point: the best class it
        #: serves (``Allocation.setup_rationing``; unused unless ``rule: priority``)
        self.transfer_key: tuple = ()
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
    def review(self, now: float) -> None:
        """Apply the policy on the inventory position at ``now``; order what it asks for."""
        ip = self.on_hand + self.on_order - self.backlog_units  # position(), inlined
        if self.echelon:
            for d in self.downstream:
                ip += d.on_hand + d.on_order - d.backlog_units
        q = self._rule(ip, self.echelon_shift)
        if q > 0:
            self._replenish(self, math.ceil(q - 1e-9), now)


def _order_qty(pol: Any) -> Callable[[float, float], float]:
    """The policy's order quantity as a function of (inventory position, echelon shift).

    Chosen once per stock point, so a review costs no type dispatch.
    """
    if isinstance(pol, SS):
        s, S = pol.s, pol.S
        return lambda ip, shift: S + shift - ip if ip <= s + shift else 0.0
    if isinstance(pol, BaseStock):
        level = pol.level
        return lambda ip, shift: level + shift - ip if ip < level + shift else 0.0
    if isinstance(pol, RQ):
        r, Q = pol.r, pol.Q
        return lambda ip, shift: (Q * (math.floor((r + shift - ip) / Q) + 1)
                                  if ip <= r + shift else 0.0)
    assert isinstance(pol, RS)
    S = pol.S
    return lambda ip, shift: S + shift - ip if ip < S + shift else 0.0


def order_below(pol: Any) -> float:
    """The inventory position below which the policy orders (so a review can be skipped at or
    above it: ``ip <= s`` is ``ip < nextafter(s, inf)``), units."""
    if isinstance(pol, BaseStock):
        return pol.level
    if isinstance(pol, RS):
        return pol.S
    return math.nextafter(pol.s if isinstance(pol, SS) else pol.r, math.inf)


def demand_trigger(pol: Any, periodic: bool) -> float:
    """The inventory position below which a continuously reviewed policy orders after a
    demand (``order_below``); -inf for periodic review."""
    return -math.inf if periodic else order_below(pol)


def order_up_to(pol: Any) -> float:
    """The level a policy orders up to (its initial stock by default), units."""
    if isinstance(pol, SS | RS):
        return pol.S
    if isinstance(pol, RQ):
        return pol.r + pol.Q
    return pol.level


def echelon_level(sp: StockPoint) -> float:
    """Order-up-to level of a stock point and everything below it (echelon conversion)."""
    return order_up_to(sp.policy) + sum(echelon_level(d) for d in sp.downstream)
