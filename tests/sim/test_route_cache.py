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
