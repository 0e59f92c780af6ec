"""The inventory optimiser says when a source's capacity cannot carry the demand behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import supplylab
from supplylab.optimize.inventory.demand_stats import site_flows
from supplylab.optimize.inventory.supply_check import supply_shortfalls

SINGLE = Path(__file__).parent / "data" / "single_site.yaml"
ROOT = Path(__file__).resolve().parents[3]


def _scenario(tmp_path: Path, capacity: str) -> Path:
    text = SINGLE.read_text().replace("products: [P], lead_time",
                                      f"products: [P], capacity_per_day: {capacity}, lead_time")
    path = tmp_path / "cap.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("capacity, short", [("8", True), ("{P: 9.5}", True), ("12", False),
                                             ("{P: 10.5}", False)])
def test_a_capacity_below_the_mean_demand_is_found(tmp_path: Path, capacity: str,
                                                   short: bool) -> None:
    """Poisson(10) a day reaches SUP through WH: a capacity under 10 (shared or per product)
    is a shortfall with that demand; above 10 none."""
    sc = supplylab.load(_scenario(tmp_path, capacity))
    found = supply_shortfalls(sc, site_flows(sc))
    assert bool(found) is short
    if short:
        (f,) = found
        assert (f.source, f.products, f.sites) == ("SUP", ("P",), ("WH",))
        assert f.demand_per_day == pytest.approx(10.0)
        assert f.utilisation > 1


def test_the_warning_reaches_the_terminal_json_and_the_written_scenario(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from supplylab.cli import main

    path = _scenario(tmp_path, "8")
    out = tmp_path / "out.yaml"
    assert main(["optimize", "inventory", str(path), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: SUP can supply 8 units/day of P but 10 units/day reach it" in err
    assert "# Warning: SUP can supply 8 units/day" in out.read_text()
    assert main(["optimize", "inventory", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["supply_shortfalls"] == [{"source": "SUP", "products": ["P"],
                                         "capacity_per_day": 8.0,
                                         "demand_per_day": pytest.approx(10.0),
                                         "sites": ["WH"]}]


def test_bundled_scenarios_only_the_monitor_shortage_is_short() -> None:
    """The chronic MON-15 shortage of the steering example is one; the CRM scenario's
    supplier, with little head-room over demand, is not."""
    for name, expected in [("monitor_shortage.yaml", [("SUP-TW", ("MON-15",))]),
                           ("crm_tiers.yaml", []), ("regional_3pl.yaml", [])]:
        sc = supplylab.load(ROOT / "scenarios" / name)
        got = [(f.source, f.products) for f in supply_shortfalls(sc, site_flows(sc))]
        assert got == expected, name


def test_a_plant_below_its_demand_is_found(tmp_path: Path) -> None:
    """A plant producing 8 units/day for Poisson(10) a day: the plant itself is short."""
    text = SINGLE.read_text().replace("    replenish_from: SUP\n",
                                      "    kind: plant\n    production_capacity_per_day: 8\n")
    path = tmp_path / "plant.yaml"
    path.write_text(text)
    sc = supplylab.load(path)
    (f,) = supply_shortfalls(sc, site_flows(sc))
    assert (f.source, f.products, f.sites, f.capacity_per_day) == ("WH", ("P",), ("WH",), 8.0)
    assert f.demand_per_day == pytest.approx(10.0)
