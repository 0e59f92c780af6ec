"""Shared resources that serve waiting work by priority (``allocation.rule: priority``).

Under FCFS a resource's times follow in closed form when work is handed to it
(``resources.py``). Under priority a later, more deserving job overtakes the ones still waiting,
so a job's start is only known when a server frees: ``PriorityServer`` is an event-driven,
non-preemptive multi-server queue whose waiting jobs are served by (priority key, arrival), and
whose completion calls the job's continuation. A job in service is never interrupted, so with a
single class it is exactly FCFS (the M/M/c and M/D/1 theory tests hold either way).
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
    continuation ``then(job, done)``. ``start`` is set when service begins (days)."""

    __slots__ = ("key", "seq", "size", "t_in", "start", "then", "data")

    def __init__(self, key: tuple, seq: int, size: float, then: Callable[[Job, float], None],
                 data: Any = None) -> None:
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

    Jobs arrive with ``arrive(job, t)`` at an absolute time ``t``; when an event of the run is
    due before ``t`` the arrival waits for its own event, so the queue always sees time in order.
    """

    __slots__ = ("env", "servers", "duration", "busy", "waiting")

    def __init__(self, env: simpy.Environment, servers: int,
                 duration: Callable[[Job, float], float]) -> None:
        self.env = env
        self.servers = servers
        self.duration = duration
        self.busy = 0
        self.waiting: list[Job] = []

    def arrive(self, job: Job, t: float) -> None:
        """``job`` reaches the resource at ``t`` (days, not before the last event)."""
        env = self.env
        if t > env.now and env.peek() < t:
            ev = env.timeout(t - env.now)
            ev.callbacks.append(lambda _e: self._enter(job, t))
            return
        self._enter(job, t)

    def _enter(self, job: Job, t: float) -> None:
        job.t_in = t
        if self.busy < self.servers:
            self._start(job, t)
        else:
            heapq.heappush(self.waiting, job)

    def _start(self, job: Job, t: float) -> None:
        self.busy += 1
        job.start = t
        done = t + self.duration(job, t)
        if done == INF:  # a resource with no capacity left never finishes (as under FCFS)
            return
        ev = self.env.timeout(done - self.env.now)
        ev.callbacks.append(lambda _e: self._done(job, done))

    def _done(self, job: Job, t: float) -> None:
        self.busy -= 1
        if self.waiting:
            self._start(heapq.heappop(self.waiting), t)
        job.then(job, t)


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
