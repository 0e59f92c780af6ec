"""Runtime resources of the engine: order-processing stations, supplier sources and lanes.

Each computes times in closed form when work is handed to it (no SimPy process of its own):
FCFS multi-server processing, fluid throughput limits, sampled lead and transit times, and the
disruption windows that delay or slow them. Times in days, quantities in units.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import simpy

from ..scenario.network import ResolvedLane
from .disruptions import Windows
from .queues import Job, PriorityServer, ReleaseQueue
from .streams import Sampler, Streams, Uniforms

INF = math.inf


class Station:
    """Order processing (``servers`` parallel FCFS servers) followed by fluid handling capacity.

    With Poisson arrivals and exponential times it is an M/M/c queue; the recursion
    start = max(arrival, earliest free server) is exact for FCFS (Kiefer-Wolfowitz).
    """

    __slots__ = ("free", "service", "cap", "handling_free", "windows", "service_mean", "instant",
                 "prompt", "outage", "deferred", "_stage_a", "_stage_b")

    def __init__(self, servers: int, service: Sampler, cap: float | None, windows: Windows) -> None:
        self.free = [0.0] * servers
        self.service = service
        self.cap = cap
        self.handling_free = 0.0
        self.windows = windows
        self.service_mean = service.mean
        # no processing time, no throughput limit, no disruption: ships at once
        self.instant = service._const == 0.0 and cap is None and not windows.spans
        #: the site has outage windows: check ``closed_until`` before picking or receiving
        self.outage = any(kind == "outage" for _, _, kind, _ in windows.spans)
        #: serves waiting shipments by priority through events (``serve_by_priority``)
        self.deferred = False
        #: serves by priority, yet a one-line order it processes at once may take the fast
        #: path (``OrderDesk._from_stock``): processing only, no disruption windows, and no
        #: transfer to a downstream stock point can join its queue while an order is placed
        #: (``Sites``)
        self.prompt = False
        self._stage_a: PriorityServer | None = None
        self._stage_b: PriorityServer | None = None

    def serve_by_priority(self, env: simpy.Environment) -> None:
        """Serve waiting shipments by priority key (``submit``) instead of FCFS in closed form:
        processing on the ``servers`` (when it takes time), then the handling capacity (when
        limited), each a non-preemptive priority queue. An instant station stays instant."""
        if self.instant or (self.service._const == 0.0 and self.cap is None):
            return
        self.deferred = True
        if self.service._const != 0.0:
            service = self.service
            self._stage_a = PriorityServer(env, len(self.free), lambda _j, _t: service())
        if self.cap is not None:
            self._stage_b = PriorityServer(env, 1, self._handling_days)

    def _handling_days(self, job: Job, start: float) -> float:
        w = self.windows
        rate = self.cap * (w.capacity_factor(start) if w.spans else 1.0)
        return job.size / rate if rate > 0 else INF

    def depart_at_once(self, now: float) -> float | None:
        """When a shipment handed over at ``now`` leaves, if it is processed at once (a
        processing-only station without disruption windows, a server free, nobody waiting);
        else None (``submit`` it)."""
        a = self._stage_a
        if a is None or self._stage_b is not None or self.windows.spans:
            return None
        return a.start_now(now)

    def submit(self, now: float, units: float, job: Job) -> None:
        """Hand a shipment of ``units`` to a priority station at ``now``; ``job.then(job, t)``
        is called when its departure ``t`` (after disruption windows) is known: at once when
        it is served without waiting, else when it starts service (``queues.PriorityServer``).
        ``job.data`` is untouched and ``job.t_in`` / ``job.start`` are the arrival and start of
        processing (wait = difference)."""
        job.size = units
        final = job.then
        b = self._stage_b
        windows = self.windows
        if b is None and not windows.spans:  # processing only: its arrival and start are the job's
            assert self._stage_a is not None
            self._stage_a.arrive(job, now)
            return
        start_a = now

        def leave(j: Job, t: float) -> None:
            j.start, j.t_in = start_a, now
            if windows.spans:
                t = windows.available_from(t)
            final(j, t)

        def after_a(j: Job, t: float) -> None:
            nonlocal start_a
            start_a = j.start
            if b is None:
                leave(j, t)
            else:  # the handling stage sees its arrivals in time order: an event at ``t``
                j.then = leave
                b.arrive(j, t, ordered=False)

        if self._stage_a is not None:
            job.then = after_a
            self._stage_a.arrive(job, now)
        else:
            job.then = leave
            assert b is not None
            b.arrive(job, now)

    def closed_until(self, t: float) -> float:
        """When the site reopens if an outage closes it at ``t``, else ``t`` (days)."""
        return self.windows.available_from(t) if self.outage else t

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
        self.env: simpy.Environment | None = None  # set when its capacity serves by priority
        #: capacity keys (a product id, or "" for a shared capacity) served by priority
        self.by_priority: set[str] = set()
        self._queues: dict[str, ReleaseQueue] = {}
        self._seq = 0

    @property
    def deferred(self) -> bool:
        """Some of its capacity serves waiting orders by priority (``serve_by_priority``)."""
        return bool(self.by_priority)

    def serve_by_priority(self, env: simpy.Environment, keys: set[str]) -> None:
        """Serve the capacity of ``keys`` (product ids, or "" for a capacity shared by every
        product) by priority instead of FCFS: where orders of several classes compete."""
        if self.cap is not None and keys:
            self.env = env
            self.by_priority = set(keys)

    def _queue(self, key: str, rate: float) -> ReleaseQueue:
        q = self._queues.get(key)
        if q is None:
            w = self.windows

            def days(job: Job, ready: float) -> float:
                if w.spans:  # a capacity cut slows only the production days it covers
                    return w.produced_by(ready, job.size, rate) - ready
                return job.size / rate if rate > 0 else INF

            assert self.env is not None
            q = self._queues[key] = ReleaseQueue(self.env, days)
        return q

    def ship(self, now: float, product: str, qty: float, key: tuple = (),
             then: Any = None) -> tuple[float | None, float]:
        """(dispatch time, units shipped) for an order placed now.

        When the capacity serves by priority (``deferred``) the order waits for it behind
        better ``key``s: the dispatch time is None and ``then(dispatch, shipped)`` is called
        when it leaves (the lead time and the reliability are drawn now, as under FCFS)."""
        w = self.windows
        lt = self.lead()
        if w.spans:
            lt *= w.lead_time_factor(now)
        t = now + lt
        cap = self.cap
        if cap is not None:
            ckey, rate = (product, cap.get(product)) if isinstance(cap, dict) else ("", cap)
            if rate is not None and then is not None and ckey in self.by_priority:
                late, shipped = self._reliability(qty)

                def left(_job: Job, done: float) -> None:
                    if w.spans:
                        done = w.available_from(done)
                    then(done + late, shipped)

                self._seq += 1
                self._queue(ckey, rate).place(Job(key, self._seq, qty, left), t, now)
                return None, shipped
            if rate is not None:
                key = ckey
                begin = max(t, self.free.get(key, 0.0))
                if w.spans:  # a capacity cut slows only the production days it covers
                    t = w.produced_by(begin, qty, rate)
                else:
                    t = begin + (qty / rate if rate > 0 else INF)
                self.free[key] = t
        if w.spans:
            t = w.available_from(t)
        late, shipped = self._reliability(qty)
        return t + late, shipped

    def _reliability(self, qty: float) -> tuple[float, float]:
        """(days late, units shipped) of one order: a failure (probability 1 - reliability)
        is late or short."""
        if self.rel < 1.0 and self.u() >= self.rel:
            if self.u() < self.failure.late_share:
                return self.late(), qty
            return 0.0, math.floor(qty * self.failure.short_fill)
        return 0.0, qty


class Lane:
    """A resolved lane with its transit sampler and disruption windows."""

    __slots__ = ("res", "transit", "windows", "unit_cost", "per_shipment", "co2_per_unit",
                 "transit_mean", "const", "cap", "free", "queue", "_seq", "delivered", "ix",
                 "promise_days")

    def __init__(self, res: ResolvedLane, streams: Streams, windows: Windows) -> None:
        self.res = res
        self.transit = Sampler(res.transit_time, None if res.transit_time.is_constant
                               else streams.rng("lane", res.key, "transit"))
        self.windows = windows
        self.unit_cost = res.unit_cost()
        #: units delivered from stock to customers over this lane in the measured window
        #: (``Fulfilment.settle`` charges their per-unit transport, CO2 and handling)
        self.delivered = 0.0
        self.ix = 0  # its position among the model's lanes (``Sites.lane``; express.py)
        self.per_shipment = res.cost_per_shipment
        self.co2_per_unit = res.co2_kg_per_unit_km * res.distance_km
        self.transit_mean = self.transit.mean
        self.cap = res.capacity_units_per_day
        self.free = 0.0
        # constant transit, no capacity, no disruption: arrival = departure + const
        self.const = (self.transit._const if not windows.spans and self.cap is None
                      else None)
        self.queue: ReleaseQueue | None = None  # its capacity, served by priority
        self._seq = 0
        #: constant transit days a promise adds to its site's answer (``Route.ctp_add``);
        #: None: the transit varies and the answer is the lane's own (``promising.Answer``)
        law = res.transit_time
        self.promise_days = max(float(law.mean()), 0.0) if law.is_constant else None

    @property
    def deferred(self) -> bool:
        """Its capacity serves loads by priority (``serve_by_priority``)."""
        return self.queue is not None

    def serve_by_priority(self, env: simpy.Environment) -> None:
        """Serve the capacity by priority key: a load handed over at ``depart`` waits behind
        better classes' loads (within a class in the order handed over, as under FCFS)."""
        if self.cap is None:
            return
        w = self.windows

        def days(job: Job, ready: float) -> float:
            rate = self.cap * (w.capacity_factor(ready) if w.spans else 1.0)
            return job.size / rate if rate > 0 else INF

        self.queue = ReleaseQueue(env, days)

    def arrive_later(self, depart: float, units: float, key: tuple, now: float,
                     then: Any) -> None:
        """Hand ``units`` to a priority lane at ``depart`` (decided at ``now``);
        ``then(arrival)`` is called when they have been carried and travelled."""
        w = self.windows
        if w.spans:
            depart = w.available_from(depart)

        def carried(_job: Job, done: float) -> None:
            if w.spans:
                then(done + self.transit() * w.lead_time_factor(done))
            else:
                then(done + self.transit())

        self._seq += 1
        assert self.queue is not None
        self.queue.place(Job(key, self._seq, units, carried), depart, now)

    def arrive(self, depart: float, units: float = 0.0) -> float:
        """Arrival time of ``units`` handed to the lane at ``depart`` (days).

        A lane with ``capacity_units_per_day`` is a fluid server: a load waits until the
        lane has carried what was handed to it before (capacity cuts apply).
        """
        w = self.windows
        if w.spans:
            depart = w.available_from(depart)
        if self.cap is not None:
            rate = self.cap * (w.capacity_factor(depart) if w.spans else 1.0)
            start = depart if depart > self.free else self.free
            self.free = start + (units / rate if rate > 0 else INF)
            depart = self.free
        if w.spans:
            return depart + self.transit() * w.lead_time_factor(depart)
        return depart + self.transit()
