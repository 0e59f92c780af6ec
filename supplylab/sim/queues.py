"""Shared resources that serve waiting work by priority (``allocation.rule: priority``).

Under FCFS a resource's times follow in closed form when work is handed to it
(``resources.py``). Under priority a later, more deserving job overtakes the ones still waiting,
so a waiting job's start is only known when a server frees: ``PriorityServer`` is a
non-preemptive multi-server queue whose waiting jobs are served by (priority key, arrival). It
is in closed form while a server is free and nobody waits (the departure is known at arrival)
and costs an event only when jobs wait. A job in service is never interrupted, so with a single
class it is exactly FCFS (the M/M/c and M/D/1 theory tests hold either way).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

INF = math.inf


class Job:
    """Work waiting for a resource: its key (lower first), size (units), arrival and
    continuation ``then(job, done)`` (told the departure ``done`` as soon as it is known).
    ``start`` is set when service begins (days)."""

    __slots__ = ("key", "seq", "size", "t_in", "start", "then", "data", "at_departure")

    def __init__(self, key: tuple, seq: int, size: float, then: Callable[[Job, float], None],
                 data: Any = None) -> None:
        self.at_departure = False  # PriorityServer: tell ``then`` at the departure, not before
        self.key = key
        self.seq = seq
        self.size = size
        self.t_in = 0.0
        self.start = 0.0
        self.then = then
        self.data = data

    def __lt__(self, other: Job) -> bool:
        return (self.key, self.seq) < (other.key, other.seq)


class PriorityServer:
    """``servers`` identical non-preemptive servers; ``duration(job, start)`` days of service.

    Jobs arrive with ``arrive(job, t)`` at an absolute time ``t``, in time order; when an event
    of the run is due before ``t`` the arrival waits for its own event, so the queue always sees
    time in order.

    **Closed form while nobody waits.** The servers are the end times of the jobs in service
    (``free``, a heap). A job arriving while nothing waits and a server is free at ``t`` starts
    at ``t``, and since service is never interrupted its departure ``t + duration`` is known at
    once: ``job.then(job, departure)`` is called at arrival, with no SimPy event, exactly as the
    FCFS recursion in ``resources.py``. Only when every server is busy does a job wait; then one
    event at the earliest end of service (``_release``) starts the best waiting job (priority
    key, then arrival), whose departure is again known at its start. The discipline is the
    event-driven non-preemptive priority queue's; only the moment ``then`` is told changes (at
    the start of service instead of its end). A job with ``at_departure`` set is told at its
    departure instead, through an event (its continuation must see departures in time order).
    """

    __slots__ = ("env", "servers", "duration", "free", "waiting", "_release_due")

    def __init__(self, env: simpy.Environment, servers: int,
                 duration: Callable[[Job, float], float]) -> None:
        self.env = env
        self.servers = servers
        self.duration = duration
        self.free: list[float] = []  # end of service of the jobs in service (heap)
        self.waiting: list[Job] = []
        self._release_due = False  # a ``_release`` event is scheduled

    def arrive(self, job: Job, t: float, ordered: bool = True) -> None:
        """``job`` reaches the resource at ``t`` (days, not before the last arrival).

        ``ordered``: no other arrival can come before ``t`` unless an event of the run is due
        before it (the order stream, which walks time in order); else (``t`` computed ahead,
        e.g. the end of an earlier stage) a later ``t`` always waits for its own event."""
        env = self.env
        if t > env.now and (not ordered or env.peek() < t):
            ev = env.timeout(t - env.now)
            ev.callbacks.append(lambda _e: self._enter(job, t))
            return
        self._enter(job, t)

    def start_now(self, t: float) -> float | None:
        """The departure of a job arriving at ``t`` that starts service at once (nobody waits,
        a server is free by ``t`` and no event of the run is due before ``t``), its server
        taken; None if it would wait (then ``arrive`` it). A job that starts at once needs no
        ``Job``: its departure is known now, exactly as ``arrive`` would tell it. For servers
        whose ``duration`` does not read the job (it is called with None)."""
        if self.waiting:
            return None
        env = self.env
        if t > env.now:
            queue = env._queue  # SimPy's event heap: env.peek(), inlined
            if queue and queue[0][0] < t:
                return None
        free = self.free
        while free and free[0] <= t:  # servers that have finished by t
            heapq.heappop(free)
        if len(free) >= self.servers:
            return None
        done = t + self.duration(None, t)
        heapq.heappush(free, done)
        return done

    def _enter(self, job: Job, t: float) -> None:
        job.t_in = t
        free = self.free
        if not self.waiting:
            while free and free[0] <= t:  # servers that have finished by t
                heapq.heappop(free)
            if len(free) < self.servers:
                self._start(job, t)
                return
        heapq.heappush(self.waiting, job)
        self._schedule_release()

    def _start(self, job: Job, t: float) -> None:
        job.start = t
        done = t + self.duration(job, t)
        heapq.heappush(self.free, done)
        if done == INF:  # a resource with no capacity left never finishes (as under FCFS)
            return
        if job.at_departure and done > self.env.now:
            ev = self.env.timeout(done - self.env.now)
            ev.callbacks.append(lambda _e: job.then(job, done))
            return
        job.then(job, done)

    def _schedule_release(self) -> None:
        """One event at the earliest end of service, while jobs wait (every server busy)."""
        first = self.free[0]
        if self._release_due or first == INF:
            return
        self._release_due = True
        ev = self.env.timeout(first - self.env.now)
        ev.callbacks.append(lambda _e: self._release(first))

    def _release(self, t: float) -> None:
        """Servers end their service at ``t``: the best waiting jobs start."""
        self._release_due = False
        free, waiting = self.free, self.waiting
        while waiting and free[0] <= t:
            heapq.heappop(free)
            self._start(heapq.heappop(waiting), t)
        if waiting:
            self._schedule_release()


class ReleaseQueue:
    """One fluid server whose jobs are placed in order and become ready later (a supplier's
    capacity: an order placed now reaches it after its lead time).

    At each free moment the server takes the best class (lowest key) whose first job is ready;
    within a class jobs leave in the order they were placed and never overtake each other, as
    under FCFS. With a single class the times are those of the FCFS recursion
    ``begin = max(ready, previous end)`` exactly. ``days(job, ready)`` is the service time.
    """

    __slots__ = ("env", "days", "classes", "busy", "wake_at")

    def __init__(self, env: simpy.Environment, days: Callable[[Job, float], float]) -> None:
        self.env = env
        self.days = days
        self.classes: dict[tuple, deque[Job]] = {}
        self.busy = False
        self.wake_at = INF

    def place(self, job: Job, ready: float, now: float) -> None:
        """Place ``job`` at ``now``; it can start from ``ready`` (days, >= now)."""
        job.t_in = ready
        q = self.classes.get(job.key)
        if q is None:
            q = self.classes[job.key] = deque()
        q.append(job)
        if not self.busy and len(q) == 1:
            self._serve(now)

    def _serve(self, t: float) -> None:
        if self.busy:
            return
        best: Job | None = None
        soonest = INF
        for q in self.classes.values():
            if not q:
                continue
            head = q[0]
            if head.t_in <= t:
                if best is None or head.key < best.key:
                    best = head
            elif head.t_in < soonest:
                soonest = head.t_in
        if best is None:
            if soonest < self.wake_at or self.wake_at < t:
                self.wake_at = soonest
                ev = self.env.timeout(soonest - self.env.now)
                ev.callbacks.append(lambda _e, s=soonest: self._wake(s))
            return
        self.classes[best.key].popleft()
        self.busy = True
        best.start = t
        done = t + self.days(best, best.t_in)
        if done == INF:
            return
        ev = self.env.timeout(done - self.env.now)
        ev.callbacks.append(lambda _e: self._done(best, done))

    def _wake(self, t: float) -> None:
        if self.wake_at == t:
            self.wake_at = INF
        self._serve(t)

    def _done(self, job: Job, t: float) -> None:
        self.busy = False
        job.then(job, t)
        self._serve(t)
