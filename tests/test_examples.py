"""Every bundled scenario validates, round-trips through YAML and runs with units conserved.

Examples are tests (docs/engineering.md #14): a scenario that stops validating or running
breaks the build. Runs use a short horizon so the whole file stays well under a minute.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from supplylab.cli import main
from supplylab.scenario import Scenario, load, loads
from supplylab.sim import run_replication

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
NAMES = [p.name for p in SCENARIOS]
#: Short horizons (days) per scenario for the smoke run; the rest use DEFAULT_DAYS.
DAYS = {"large_network.yaml": 12.0}
DEFAULT_DAYS = 45.0


def test_the_examples_exist() -> None:
    expected = {"regional_3pl.yaml", "monitor_shortage.yaml", "crm_tiers.yaml",
                "distribution_strategies.yaml", "large_network.yaml"}
    assert expected <= set(NAMES)


@pytest.fixture(scope="module", params=SCENARIOS, ids=NAMES)
def example(request: pytest.FixtureRequest) -> tuple[Path, Scenario]:
    return request.param, load(request.param)


def test_starts_with_a_comment_header(example: tuple[Path, Scenario]) -> None:
    path, _ = example
    head = path.read_text(encoding="utf-8").splitlines()[:3]
    assert head and all(line.startswith("#") for line in head), "explain the scenario on top"
    assert "supplylab run" in path.read_text(encoding="utf-8"), "say how to run it"


def test_round_trips_through_yaml(example: tuple[Path, Scenario]) -> None:
    path, sc = example
    again = loads(sc.to_yaml(), file=f"{path.name} (round trip)")
    assert again == sc
    assert again.sha256 == sc.sha256


def test_runs_a_short_horizon_with_units_conserved(example: tuple[Path, Scenario]) -> None:
    path, sc = example
    days = DAYS.get(path.name, DEFAULT_DAYS)
    days = max(days, sc.simulation.warmup_days + 10)
    res = run_replication(sc, sc.simulation.seed, 0, days=days)
    assert res.audit.units_conserved, res.audit.imbalances[:5]
    assert res.kpis["demand_units"] > 0
    fill = res.kpis["fill_rate"]
    assert 0.0 <= fill <= 1.0 and not math.isnan(fill)
    assert set(res.by["tier"]) <= set(sc.tiers)


def test_cli_validates_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", *map(str, SCENARIOS)]) == 0
    out = capsys.readouterr().out
    assert out.count(": valid (") == len(SCENARIOS)


def test_the_large_network_is_large() -> None:
    """Its load time is a benchmark figure (bench/sim_throughput.py), not a timed test."""
    path = next(p for p in SCENARIOS if p.name == "large_network.yaml")
    sc = load(path)
    customers = sc.network.customers
    assert len(customers) >= 2000
    assert len(sc.products) >= 200
    assert len(sc.facilities) >= 20
    assert len({f.operator for f in sc.facilities}) >= 2
    assert sc.simulation.horizon_days == 365 and sc.simulation.replications == 1


def test_the_quickstart_has_the_advertised_parts() -> None:
    sc = load(next(p for p in SCENARIOS if p.name == "regional_3pl.yaml"))
    kinds = {f.kind for f in sc.facilities}
    assert {"warehouse", "cross_dock"} <= kinds
    assert len({f.operator for f in sc.facilities}) >= 2
    sites = {g.id for g in sc.facilities}
    assert any(f.source_for(p.id) in sites for f in sc.facilities for p in sc.products), \
        "multi-echelon: a site replenishes from another site"
    assert {"platinum", "gold", "silver"} <= set(sc.tiers)
    assert len(sc.products) >= 10 and len(sc.network.customers) >= 90
    assert sc.promotions and sc.disruptions
    assert sc.simulation.replications == 5
