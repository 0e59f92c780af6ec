"""The priority server's closed form against a reference non-preemptive priority queue.

``queues.PriorityServer`` serves a job in closed form when a server is free and nobody waits,
and through events only when jobs wait. The reference below is the textbook discrete-event
simulation of the same discipline (``c`` servers, non-preemptive, waiting jobs by priority key
then arrival; a service ending at the moment of an arrival frees its server first), written
independently. On a random instance where both paths are used the departures must be equal.
"""

from __future__ import annotations

import heapq
import math
import random

import pytest
import simpy

from supplylab.sim.queues import Job, PriorityServer


def reference(arrivals: list[tuple[float, int, float]], servers: int) -> list[float]:
    """Departure of each job ``(arrival, class, service)`` (sorted by arrival)."""
    ends: list[float] = []  # end of service of the jobs in service
    waiting: list[tuple[int, int]] = []  # (class, index)
    dep = [math.nan] * len(arrivals)
    i = 0
    while i < len(arrivals) or waiting:
        t_arr = arrivals[i][0] if i < len(arrivals) else math.inf
        if ends and ends[0] <= t_arr:  # an end of service first (also at a tie)
            t = heapq.heappop(ends)
            if waiting:
                _, j = heapq.heappop(waiting)
                dep[j] = t + arrivals[j][2]
                heapq.heappush(ends, dep[j])
            continue
        t, cls, s = arrivals[i]
        if len(ends) < servers and not waiting:
            dep[i] = t + s
            heapq.heappush(ends, dep[i])
        else:
            heapq.heappush(waiting, (cls, i))
        i += 1
    return dep


def run_server(arrivals: list[tuple[float, int, float]], servers: int,
               background: list[float]) -> tuple[list[float], list[float], int]:
    """(departures, starts, SimPy events) of ``PriorityServer`` fed like the order stream:
    an arrival costs an event only when another event (``background``) is due before it."""
    env = simpy.Environment()
    for b in background:  # unrelated events of the run (receipts, reviews)
        env.timeout(b)
    dep = [math.nan] * len(arrivals)
    start = [math.nan] * len(arrivals)
    srv = PriorityServer(env, servers, lambda job, _t: job.data[1])

    def told(job: Job, done: float) -> None:
        i = job.data[0]
        assert math.isnan(dep[i]), "a departure is told once"
        assert env.now <= job.start <= done  # told at the start of service, never later
        dep[i] = done
        start[i] = job.start

    def stream():
        for i, (t, cls, s) in enumerate(arrivals):
            if env.peek() <= t:
                yield env.timeout(t - env.now)
            srv.arrive(Job((cls,), i, 1.0, told, (i, s)), t)

    env.process(stream())
    env.run()
    return dep, start, next(env._eid)


@pytest.mark.parametrize("servers", [1, 3])
def test_closed_form_and_events_give_the_reference_departures(servers: int):
    rng = random.Random(20261202 + servers)
    lam, mean_s = 0.85 * servers, 1.0  # heavy enough that jobs often wait
    t, arrivals = 0.0, []
    for _ in range(4000):
        t += rng.expovariate(lam)
        arrivals.append((t, rng.randrange(3), rng.expovariate(1 / mean_s)))
    background = sorted(rng.uniform(0, t) for _ in range(300))
    dep, start, events = run_server(arrivals, servers, background)
    assert dep == reference(arrivals, servers)  # exactly the same floats
    waited = sum(1 for (a, _, _), s in zip(arrivals, start, strict=True) if s > a)
    # both paths were used: many jobs waited (events), many did not (closed form)
    assert 0.2 * len(arrivals) < waited < 0.9 * len(arrivals)
    assert events < len(background) + 2 + waited + len(arrivals) // 2


def test_priority_order_among_waiting_jobs():
    """Jobs waiting behind one long service start by class, then by arrival."""
    arrivals = [(0.0, 2, 10.0), (1.0, 2, 1.0), (2.0, 0, 1.0), (3.0, 1, 1.0), (4.0, 0, 1.0)]
    dep, start, _ = run_server(arrivals, 1, [])
    assert start == [0.0, 13.0, 10.0, 12.0, 11.0]
    assert dep == reference(arrivals, 1)


def test_a_service_ending_at_an_arrival_frees_its_server_first():
    """At a tie the ending service frees the server: the first arrival takes it at once (as
    in the order stream, where events due at an order's time come first)."""
    arrivals = [(0.0, 1, 2.0), (2.0, 1, 1.0), (2.0, 0, 1.0)]
    dep, start, _ = run_server(arrivals, 1, [])
    assert start == [0.0, 2.0, 3.0]
    assert dep == reference(arrivals, 1)
