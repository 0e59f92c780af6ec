"""Network design on a scenario: problem built from the scenario, chosen network written back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from supplylab.errors import InfeasibleError
from supplylab.optimize import check_solution, solve_network
from supplylab.optimize.commands import register
from supplylab.optimize.scenario_design import optimise_scenario, scenario_problem

scenario_mod = pytest.importorskip("supplylab.scenario", reason="scenario language not present")

SCENARIO = """\
name: Network design test
simulation: {horizon_days: 60, warmup_days: 0, replications: 1, seed: 1}
transport_defaults: {speed_km_per_day: 600, cost_per_unit_km: 0.01, cost_per_shipment: 5,
                     co2_kg_per_unit_km: 0.0001, road_factor: 1.2}
products:
  - {id: P1, price: 10, unit_cost: 5}
suppliers:
  - {id: SUP, location: {lat: 51.0, lon: 10.0}, products: [P1], lead_time: 2}
facilities:
  - {id: DC-N, location: {lat: 53.55, lon: 9.99}, fixed_cost_per_year: 50000,
     capacity_units_per_day: 400, handling_cost_per_unit: 0.3,
     inventory: {default: {policy: sS, s: 50, S: 200}}}
  - {id: C-S, candidate: true, location: {lat: 48.14, lon: 11.58}, fixed_cost_per_year: 30000,
     capacity_units_per_day: 300, handling_cost_per_unit: 0.3,
     capacity_levels: [{capacity_units_per_day: 150, fixed_cost_per_year: 20000},
                       {capacity_units_per_day: 400, fixed_cost_per_year: 35000}],
     inventory: {default: {policy: sS, s: 50, S: 200}}}
  - {id: C-W, candidate: true, location: {lat: 50.94, lon: 6.96}, fixed_cost_per_year: 30000,
     capacity_units_per_day: 300, handling_cost_per_unit: 0.3,
     inventory: {default: {policy: sS, s: 50, S: 200}}}
  - {id: C-E, candidate: true, location: {lat: 51.34, lon: 12.37}, fixed_cost_per_year: 900000,
     capacity_units_per_day: 300, handling_cost_per_unit: 0.3,
     inventory: {default: {policy: sS, s: 50, S: 200}}}
customers:
  - {id: K1, tier: standard, location: {lat: 48.1, lon: 11.5}, demand: {P1: 40}}
  - {id: K2, tier: standard, location: {lat: 48.4, lon: 10.9},
     demand: {P1: {dist: poisson, mean: 30}}}
  - {id: K3, tier: standard, location: {lat: 50.9, lon: 6.9}, orders_per_day: 5,
     product_mix: {P1: 1}, quantity: {dist: poisson, mean: 4}}
  - {id: K4, tier: standard, location: {lat: 51.2, lon: 6.8}, demand: {P1: 25}}
  - {id: K5, tier: standard, location: {lat: 53.5, lon: 10.0}, demand: {P1: 60}}
  - {id: K6, tier: standard, location: {lat: 51.3, lon: 12.4}, demand: {P1: 20}}
lanes:
  - {from: C-E, to: K6, cost_per_unit: 0.1}
network_design:
  sourcing: single
  max_open: 3
  time_limit_s: 30
  gap: 0.000001
"""


@pytest.fixture()
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "nd.yaml"
    path.write_text(SCENARIO)
    return path


def test_problem_units_from_scenario(scenario_file: Path) -> None:
    sc = scenario_mod.load(scenario_file)
    problem, options, _ = scenario_problem(sc)
    # yearly demand = mean units/day x 365; K3: 5 orders/day x 1 line x 4 units
    np.testing.assert_allclose(problem.demand, np.array([40, 30, 20, 25, 60, 20]) * 365.0)
    assert problem.site_ids == ("DC-N", "C-S", "C-W", "C-E")
    assert list(problem.existing) == [True, False, False, False]
    assert problem.capacity[0] == pytest.approx(400 * 365)
    assert options.single_source and options.max_open == 3
    # cost of serving all of K5 from DC-N: (handling + per-km x road km) x units + shipments
    lane = sc.network.lane("DC-N", "K5")
    expected = (0.3 + 0.01 * lane.distance_km) * 60 * 365 + 5 * 365
    assert problem.cost[0, 4] == pytest.approx(expected)


def test_optimise_scenario_writes_a_valid_chosen_network(scenario_file: Path,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "chosen.yaml"
    res = optimise_scenario(scenario_file, out)
    sol = res.solution
    assert res.output == out
    sc = scenario_mod.load(scenario_file)
    problem, options, _ = scenario_problem(sc)
    check_solution(problem, options, sol)
    assert sol.objective == pytest.approx(solve_network(problem, options).objective, rel=1e-6)
    chosen = scenario_mod.load(out)
    ids = {f.id for f in chosen.facilities}
    assert ids == set(sol.open_site_ids) and "C-E" not in ids and "DC-N" in ids
    assert all(ln.from_ in ids for ln in chosen.lanes)
    served = {c.id: c.served_by for c in chosen.customers}
    assert served == dict(zip(sol.assignments["customer"], sol.assignments["site"], strict=True))
    if "C-S" in ids:  # the chosen size is written; the sizes stay for a later study
        cs = next(f for f in chosen.facilities if f.id == "C-S")
        assert cs.capacity_units_per_day in (150.0, 400.0) and len(cs.capacity_levels) == 2
    text = out.read_text()
    assert text.count("\n") < 30 and "extends: nd.yaml" in text and "products:" not in text


def test_scenario_service_rule_and_infeasibility(scenario_file: Path, tmp_path: Path) -> None:
    # the existing DC-N (kept open) alone cannot carry 195 units/day at 100/day
    text = SCENARIO.replace("  max_open: 3\n", "  max_open: 1\n").replace(
        "capacity_units_per_day: 400, handling", "capacity_units_per_day: 100, handling", 1)
    path = tmp_path / "tight.yaml"
    path.write_text(text)
    with pytest.raises(InfeasibleError) as err:
        optimise_scenario(path)
    assert set(err.value.families) <= {"capacity", "site_count"}
    text = SCENARIO.replace("  max_open: 3\n", "  service: [{max_distance_km: 150}]\n")
    path.write_text(text)
    sol = optimise_scenario(path).solution
    sc = scenario_mod.load(path)
    problem, options, _ = scenario_problem(sc)
    check_solution(problem, options, sol)
    assert "C-E" in sol.open_site_ids  # K6 has no other site within 150 km


def test_cli_scenario_path(scenario_file: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """root"""

    out = tmp_path / "o.yaml"
    res = CliRunner().invoke(app, ["optimize", "network", str(scenario_file), "-o", str(out),
                                   "--json"])
    assert res.exit_code == 0, res.output
    assert out.is_file() and '"status": "optimal"' in res.output


def test_scenario_settings_are_the_defaults(scenario_file: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI keeps the scenario's solver, gap, time limit and sourcing unless it is given them."""
    import json

    from supplylab.cli import main

    text = SCENARIO.replace("  time_limit_s: 30\n", "  time_limit_s: 30\n  solver: cbc\n")
    text = text.replace("sourcing: single", "sourcing: multi")
    path = tmp_path / "cbc.yaml"
    path.write_text(text)
    assert main(["optimize", "network", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["solver"] == "cbc"
    res = optimise_scenario(path)
    assert res.options.solver.solver == "cbc" and res.options.solver.time_limit_s == 30
    assert res.options.solver.mip_rel_gap == 1e-6 and not res.options.single_source
    assert main(["optimize", "network", str(path), "--json", "--solver", "highs",
                 "--single-source"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["solver"] == "highs"
    over = optimise_scenario(path, solver_settings={"solver": "highs"}, single_source=True)
    assert over.options.solver.time_limit_s == 30 and over.options.single_source
    assert doc["objective"] == pytest.approx(over.solution.objective, rel=1e-6)


def test_inventory_cost_of_the_sites_by_hand(tmp_path: Path) -> None:
    """network_design.inventory: safety stock z h c sqrt(L sum sigma^2) per site (here within
    the interpolation's 3%), cycle stock sqrt(2 K h c D); compound-Poisson variance by hand."""
    from statistics import NormalDist

    from supplylab.optimize.scenario_design import daily_variance

    text = SCENARIO.replace("  gap: 0.000001\n", "  gap: 0.000001\n  inventory: {segments: 8}\n")
    text = text.replace("simulation: {", "costs: {holding_rate_per_year: 0.2, "
                        "ordering_cost_per_order: 30}\nsimulation: {")
    path = tmp_path / "inv.yaml"
    path.write_text(text)
    res = optimise_scenario(path)
    sc = res.scenario
    custs = {c.id: c for c in sc.network.customers}
    # K3: 5 orders/day of 1 line x Poisson(4) units: 5 x (4 + 16); K2: Poisson(30) per day
    assert daily_variance(custs["K3"]) == pytest.approx(5 * (4 + 16))
    assert daily_variance(custs["K2"]) == pytest.approx(30)
    check_solution(res.problem, res.options, res.solution)
    br = dict(zip(res.solution.cost_breakdown["component"], res.solution.cost_breakdown["value"],
                  strict=True))
    z, h, c = NormalDist().inv_cdf(0.95), 0.2, 5.0
    exact = 0.0
    cycle = 0.0
    for site, group in res.solution.assignments.groupby("site"):
        lead = 2 + sc.network.lane("SUP", site).transit_time.mean()  # supplier + transit
        var = sum(daily_variance(custs[cid]) for cid in group["customer"])
        exact += z * h * c * np.sqrt(lead * var)
        units = res.problem.demand[[res.problem.customer_ids.index(x) for x in group["customer"]]]
        k = 30 + sc.network.lane("SUP", site).cost_per_shipment  # order + inbound shipment
        assert k == 35  # the transport default's cost_per_shipment
        cycle += np.sqrt(2 * k * h * c * units.sum())
    assert br["safety_stock"] == pytest.approx(exact, rel=0.03)
    assert br["safety_stock"] <= exact + 1e-9  # chords lie below the root
    assert br["cycle_stock"] == pytest.approx(cycle, rel=0.03)


def test_cycle_stock_prices_the_inbound_shipment_without_an_ordering_cost(
        tmp_path: Path) -> None:
    """With no ordering cost the engine still pays the inbound lane's cost per shipment on
    every replenishment, so the EOQ term is there with K = 5 (and gone when that is 0 too)."""
    text = SCENARIO.replace("  gap: 0.000001\n", "  gap: 0.000001\n  inventory: {segments: 8}\n")
    text = text.replace("simulation: {", "costs: {holding_rate_per_year: 0.2}\nsimulation: {")
    path = tmp_path / "inv.yaml"
    path.write_text(text)
    res = optimise_scenario(path)
    names = [c.name for c in res.problem.sqrt_costs]
    assert names == ["safety_stock", "cycle_stock"]
    cycle = res.problem.sqrt_costs[1]
    assert cycle.scale == pytest.approx(np.full(len(cycle.scale), np.sqrt(2 * 5 * 0.2 * 5.0)))
    free = text.replace("cost_per_shipment: 5,", "cost_per_shipment: 0,")
    path.write_text(free)
    assert [c.name for c in optimise_scenario(path).problem.sqrt_costs] == ["safety_stock"]


def test_scenario_method_field_reaches_the_solver_and_the_flag_replaces_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``network_design.method`` is the study's method (here ``lagrangian``, which refuses the
    scenario's capacity levels with exit 2); ``--method`` replaces it; with ``--n-best`` the
    pipeline is refused before solving, naming the field and its line."""
    import json

    from supplylab.cli import main

    text = SCENARIO.replace("  gap: 0.000001\n", "  gap: 0.000001\n  method: lagrangian\n")
    path = tmp_path / "lag.yaml"
    path.write_text(text)
    line = text.splitlines().index("  method: lagrangian") + 1
    problem, options, _ = scenario_problem(scenario_mod.load(path))
    assert options.method == "lagrangian"
    assert main(["optimize", "network", str(path), "--json"]) == 2
    assert "capacity levels" in capsys.readouterr().err
    assert main(["optimize", "network", str(path), "--json", "--method", "mip"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"] == "mip" and doc["status"] == "optimal"
    assert main(["optimize", "network", str(path), "--n-best", "2"]) == 2
    err = capsys.readouterr().err
    assert "network_design.method" in err and f"lag.yaml:{line}:" in err
    assert optimise_scenario(path, method="auto").options.method == "auto"
    from supplylab.errors import InputError

    with pytest.raises(InputError, match="network_design.method"):
        scenario_mod.loads(text.replace("method: lagrangian", "method: benders"))
