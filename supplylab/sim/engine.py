"""The SimPy model of one replication: a coordinator over the engine's components.

Each rule lives in one component (docs/engine.md, "Where each rule lives"):

| component | module | holds |
|---|---|---|
| order stream | ``demand.py`` | sampling every customer's orders in chunks, promotions |
| sites | ``sites.py`` | supplier sources, processing stations, lanes, stock points |
| stock points and policies | ``stock.py`` | on hand / on order / backlog, (s,S), (r,Q), base stock, (R,S) |
| routing | ``routing.py`` | which site serves a customer's product, priority classes |
| orders | ``orders.py`` | serving an order at entry, substitution, backorder or loss |
| allocation | ``allocation.py`` | backlogs, expiry, priority / FIFO / fair share, rationing |
| fulfilment | ``fulfilment.py`` | shipping, flow-through, transport cost and CO2, revenue |
| replenishment | ``replenishment.py`` | orders to sources, production, receipts |
| returns | ``returns.py`` | returned units, restock or scrap |
| customers | ``customers.py`` | requested dates, patience, churn |
| promising | ``promising.py`` | promised dates: available- and capable-to-promise at a confidence |
| priority | ``priority.py``, ``queues.py`` | the priority table and key; priority queues |
| outcomes | ``outcomes.py`` | the KPI record of each finished order and lost units |
| KPI collection | ``kpis.py``, ``express.py``, ``summary.py`` | counters, records; formulas at the end |
| order history | ``history.py`` | each customer's purchase occasions (frequency, recency, T, value) |
| audit | ``audit.py`` | where every unit is; conservation check |

Design for speed: one process walks the merged order stream (an order costs no SimPy event of
its own); shipments, processing queues and deliveries are computed in closed form when they are
decided, so only receipts, backorder expiries, returns and reviews are events. State has one
source of truth per variable (the stock point's ``on_hand``, ``on_order``, ``backlog_units``).
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import simpy

from ..errors import AuditError, InputError
from ..scenario.network import Network
from ..scenario.scenario import Scenario
from ..scenario.schema import RS, Customer
from . import kpis as K
from .allocation import Allocation
from .audit import Ledger
from .audit import audit as check_units
from .customers import Customers, acquired_customers
from .demand import build_demand
from .disruptions import build_windows
from .express import ExpressLog
from .fulfilment import Fulfilment
from .history import OrderHistory
from .orders import OrderDesk
from .outcomes import Outcomes
from .priority import Priority
from .promising import Promising
from .replenishment import Replenishment
from .result import ReplicationResult
from .returns import Returns
from .routing import Routing
from .sites import Sites
from .stock import StockPoint
from .streams import Streams

#: the youngest and the oldest generation's collection thresholds while a model runs
#: (``Model.run``): a young collection per 100,000 new container objects instead of per 700
#: (each traverses the young objects, among them the large lists of an order-stream chunk:
#: 0.3 CPU-s per simulated year of the large network, 0.1 s at 100,000), and about one full
#: collection per 1,000 middle-generation ones instead of per 10
YOUNG_GC_THRESHOLD = 100_000
FULL_GC_THRESHOLD = 1000
_gc_lock = threading.Lock()
_gc_runs = [0, (0, 0, 0)]  # models running in this process, the thresholds before the first


@contextmanager
def fewer_full_collections() -> Iterator[None]:
    """Hold back Python's garbage collections while models run.

    A full (oldest-generation) one would traverse every long-lived object of the run (routes,
    stock points, the scenario: about eight times per simulated year of the large network,
    0.1 CPU-s each) and find nothing to free; young collections go on, less often (the
    engine's objects are freed by reference counting: what a cycle holds waits at most
    ``YOUNG_GC_THRESHOLD`` allocations). The thresholds in force before the first
    running model are restored when the last one ends (models may run in threads). Results
    do not depend on it."""
    with _gc_lock:
        if _gc_runs[0] == 0:
            old = _gc_runs[1] = gc.get_threshold()
            gc.set_threshold(max(old[0], YOUNG_GC_THRESHOLD), old[1],
                             max(old[2], FULL_GC_THRESHOLD))
        _gc_runs[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_runs[0] -= 1
            if _gc_runs[0] == 0:
                gc.set_threshold(*_gc_runs[1])


class Model:
    """One replication of one scenario: shared indices, the clock and the components."""

    def __init__(self, sc: Scenario, seed: int, replication: int, horizon: float,
                 events: Callable[..., None] | None = None) -> None:
        self.sc = sc
        self.env = simpy.Environment()
        self.streams = Streams(seed, replication)
        self.horizon = horizon
        self.warmup = min(sc.simulation.warmup_days, horizon)
        self.rule = sc.allocation.rule
        self.log = events
        self.seq = 0  # sequence of backlog lines and shipments (tie-breaks, shipment ids)
        net: Network = sc.network
        self.net = net
        self.windows = build_windows(sc.disruptions, horizon, self.streams)
        # indices ---------------------------------------------------------------------
        self.products = list(sc.products)
        self.pidx = {p.id: i for i, p in enumerate(self.products)}
        self.facilities = list(sc.facilities)
        self.fidx = {f.id: i for i, f in enumerate(self.facilities)}
        new, joined = acquired_customers(sc, net.customers, horizon, self.streams)
        self.customers: list[Customer] = net.customers + new
        #: day each customer joins (acquired customers later) and whose lanes it uses
        self.joined = [0.0] * len(net.customers) + joined
        self.lane_of = [c.id for c in net.customers] + [c.id.rsplit("~new", 1)[0] for c in new]
        self.tiers = list(sc.tiers)
        self.tidx = {t: i for i, t in enumerate(self.tiers)}
        self.period_len = 7.0 if sc.simulation.period == "week" else 365.0 / 12.0
        n_periods = max(1, math.ceil((horizon - self.warmup) / self.period_len))
        self._period_next = 0  # the time series' period whose on-hand area is open
        self._period_area = 0.0  # summed on-hand area of every stock point at its start
        self.k = K.Collector(len(self.customers), len(self.products), len(self.facilities),
                             len(self.tiers), n_periods, int(horizon // 7) + 2)
        self.outside = len(self.facilities)  # facility index for supplier-direct flows
        self.price = [p.price for p in self.products]
        self.cost = [p.unit_cost for p in self.products]
        self.ledger = Ledger(len(self.products), len(self.facilities))
        self.history = OrderHistory(len(self.customers))
        self.counting = self.warmup <= 0
        self.events = 0
        self.promo_customers: dict = {}  # customer index -> its demand stream, with promotions
        # components (order matters: each may read those built before it) --------------
        self.priority = Priority(sc)
        self.promising = Promising(self)
        self.crm = Customers(self)
        self.replenishment = Replenishment(self)
        self.sites = Sites(self)
        self.routing = Routing(self)
        self.outcomes = Outcomes(self)
        self.allocation = Allocation(self)
        self.fulfilment = Fulfilment(self)
        self.returns = Returns(self)
        self.xlog = ExpressLog(self)
        self.orders = OrderDesk(self)
        self.demand = build_demand(sc, self.customers, self.pidx, self.streams)
        self.promo_customers = {d.index: d for d in self.demand if d.promos}
        self.allocation.setup_rationing()

    @property
    def sp(self) -> dict[tuple[int, int], StockPoint]:
        """Stock points by (facility index, product index)."""
        return self.sites.sp

    # ------------------------------------------------------------------ processes
    def run(self) -> None:
        """Simulate until the horizon."""
        env = self.env
        env.process(self.orders.stream())
        if self.warmup > 0:
            env.process(self._warmup())
        env.process(self._periods())
        for fi, f in enumerate(self.facilities):
            groups: dict[float, list[StockPoint]] = {}
            for sp in self.sites.sp_by_fac[fi]:
                if isinstance(sp.policy, RS):
                    groups.setdefault(sp.policy.R, []).append(sp)
                elif f.review_period_days > 0:
                    groups.setdefault(f.review_period_days, []).append(sp)
            for period, members in groups.items():
                env.process(self._review(period, members))
        for fi, st in enumerate(self.sites.stations):
            if st.outage:
                env.process(self._reopenings(fi))
        if self.sc.information_sharing.pos_to_suppliers:
            ech = [sp for sp in self.sp.values() if sp.echelon and not sp.periodic]
            if ech:
                env.process(self._review(1.0 / self.sc.information_sharing.forecast_updates_per_day,
                                         ech))
        with fewer_full_collections():
            env.run(until=self.horizon)
        eid = getattr(env, "_eid", None)
        self.events = next(eid) if eid is not None else 0

    def _warmup(self) -> Generator[Any, Any, None]:
        """At the end of the warm-up every KPI counter starts again from zero."""
        yield self.env.timeout(self.warmup)
        now = self.env.now
        for sp in self.sp.values():
            sp.touch(now)
            sp.area_onhand = sp.area_backlog = sp.area_pipeline = 0.0
            sp.cycles = sp.cycles_ok = 0
            sp.stocked_out = False
        self.k.reset()
        self.xlog.reset()
        self.counting = True

    def _periods(self) -> Generator[Any, Any, None]:
        """On-hand area per period of the time series (period boundaries from the warm-up).

        A boundary at the horizon is not processed (SimPy stops before it); ``finish`` writes
        the last period, full or cut by the horizon (``_close_period``)."""
        env = self.env
        yield env.timeout(self.warmup)
        while True:
            yield env.timeout(self.period_len)
            self._close_period(env.now)

    def _close_period(self, now: float) -> None:
        """Write the on-hand area (unit-days) of the open period, ending at ``now``; the area
        after the last period's end (a boundary falling just before the horizon by rounding)
        goes to the last period."""
        total = 0.0
        for sp in self.sp.values():
            sp.touch(now)
            total += sp.area_onhand
        area = self.k.per_onhand_area
        per = min(self._period_next, len(area) - 1)
        area[per] += total - self._period_area
        self._period_area = total
        self._period_next += 1

    def period_days(self, i: int) -> float:
        """Length (days) of period ``i`` of the time series: the period length, or less for
        a last period cut by the horizon."""
        start = self.warmup + i * self.period_len
        return min(self.period_len, self.horizon - start)

    def _reopenings(self, fi: int) -> Generator[Any, Any, None]:
        """At the end of each outage of facility ``fi`` it serves its backlog again."""
        env = self.env
        st = self.sites.stations[fi]
        for end in sorted({e for _, e, kind, _ in st.windows.spans if kind == "outage"}):
            if end >= self.horizon:
                return
            yield env.timeout(end - env.now)
            if st.closed_until(env.now) <= env.now:  # not inside another outage
                self.replenishment.reopen(fi)

    def _review(self, period: float, members: list[StockPoint]) -> Generator[Any, Any, None]:
        """Periodic review of a group of stock points every ``period`` days (a review that
        orders brings the stock point's time integrals to ``now``: ``Replenishment.replenish``)."""
        env = self.env
        while True:
            yield env.timeout(period)
            now = env.now
            for sp in members:
                if sp.on_hand + sp.on_order - sp.backlog_units < sp.review_below:
                    sp.review(now)

    def finish(self) -> None:
        """Bring every stock point's time integrals to the horizon (writing the time series'
        last period), count the fast path's records, close open orders and charge what is
        linear per lane."""
        self.xlog.merge()
        self._close_period(self.horizon)  # touches every stock point at the horizon
        self.outcomes.close_open_orders(self.fulfilment.close_open())
        self.fulfilment.settle()


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
    with fewer_full_collections():  # set-up and summary too: they build the run's objects
        model = Model(scenario, seed, replication, horizon, events)
        model.run()
        model.finish()
        audit = check_units(model)
        if check and not audit.units_conserved:
            raise AuditError(f"units not conserved in replication {replication}: "
                             f"{audit.imbalances[:5]}")
        kpis, by = summarise(model)
        history = model.history.summary([c.id for c in model.customers], horizon)
    return ReplicationResult(seed=seed, replication=replication, kpis=kpis, by=by, audit=audit,
                             wall_seconds=time.perf_counter() - wall, events=model.events,
                             history=history, customers=model.crm.states(horizon))
