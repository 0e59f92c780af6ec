"""Routes hold no state of the run: a run whose route cache is emptied again and again
(``routing.CACHED`` small) gives exactly the results of one that keeps every route, and a
promise depends on the serving site, class, lane and confidence, not on the route object."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplylab.scenario import load
from supplylab.sim import routing
from supplylab.sim.engine import run_replication

from .test_features import sc as build
from .test_outage import scenario as outage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name, days", [("distribution_strategies.yaml", 120),
                                        ("regional_3pl.yaml", 90)])
def test_an_emptied_route_cache_changes_nothing(monkeypatch, name: str, days: float) -> None:
    sc = load(ROOT / "scenarios" / name)
    kept = run_replication(sc, 7, 0, days=days)
    emptied = []
    empty = routing.Routing._empty

    def spy(self: routing.Routing) -> None:
        emptied.append(self.cached)
        empty(self)

    monkeypatch.setattr(routing, "CACHED", 40)
    monkeypatch.setattr(routing.Routing, "_empty", spy)
    small = run_replication(sc, 7, 0, days=days)
    assert len(emptied) > 10  # the cache was emptied and routes recreated many times
    assert small.kpis == kept.kpis
    assert small.by == kept.by


@pytest.mark.parametrize("fallback", ["W2", "nearest"])
def test_fallback_routes_survive_an_emptied_cache(monkeypatch, fallback: str) -> None:
    """An outage reroutes the lines to a fallback site: with room for one route, the route
    and its fallback evict each other at every switch and the run is unchanged."""
    sc = build(outage(fallback=fallback, sites=3))
    kept = run_replication(sc, 1, 0)
    monkeypatch.setattr(routing, "CACHED", 1)
    small = run_replication(sc, 1, 0)
    assert kept.by["facility"]["W2"]["delivered_units"] > 0  # the fallback served
    assert small.kpis == kept.kpis
    assert small.by == kept.by


def test_a_promise_does_not_depend_on_the_customer() -> None:
    """Routes of different customers with the same serving site and priority class over
    lanes of constant transit share one capable-to-promise answer: their promises differ by
    their lanes' transit days only (docs/promises.md, "What a promise depends on")."""
    from supplylab.sim.engine import Model

    m = Model(load(ROOT / "scenarios" / "crm_tiers.yaml"), 1, 0, 120.0)
    m.run()
    by_class: dict[tuple, list] = {}
    for routes in m.routing.by_customer:
        for rt in routes.values():
            if rt.station is not None and rt.lane.promise_days is not None:
                by_class.setdefault((rt.fi, rt.key), []).append(rt)
    pairs = [(rs[0], r) for rs in by_class.values() for r in rs[1:] if r.ci != rs[0].ci]
    assert len(pairs) > 10
    q = 0.9
    for a, b in pairs:
        assert a.ctp is b.ctp
        pa = m.promising.ctp(a, q) - a.lane.promise_days
        pb = m.promising.ctp(b, q) - b.lane.promise_days
        assert pa == pytest.approx(pb, abs=1e-12)
