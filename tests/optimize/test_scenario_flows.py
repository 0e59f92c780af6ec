"""The optimised scenario is the simulated one: a small file that extends the input, and every
customer is shipped from the site the MIP chose, every site replenished from its chosen source."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from supplylab.optimize import check_solution
from supplylab.optimize.network import OUTSIDE
from supplylab.optimize.scenario_design import optimise_scenario
from supplylab.scenario import load
from supplylab.sim.eventlog import write_event_log

DATA = Path(__file__).parent / "data" / "two_echelon.yaml"


def _variant(tmp_path: Path, name: str, **fixed: float) -> Path:
    """The two-echelon scenario with some sites' fixed cost replaced (by id; W-MU's smaller
    size is free, so that it opens beside W-ST and the group between them is split)."""
    text = DATA.read_text().replace("fixed_cost_per_year: 15000", "fixed_cost_per_year: 0")
    for site, cost in fixed.items():
        head = f"id: {site.replace('_', '-')},"
        start = text.index(head)
        key = text.index("fixed_cost_per_year: ", start)
        end = text.index(",", key)
        text = text[:key] + f"fixed_cost_per_year: {cost}" + text[end:]
    path = tmp_path / f"{name}.yaml"
    path.write_text("# a comment the input keeps\n" + text)
    return path


def _shipping_sites(scenario_path: Path, tmp_path: Path) -> dict[str, set[str]]:
    log = tmp_path / "events.csv"
    write_event_log(load(scenario_path), 1, 0, log, days=12)
    sites: dict[str, set[str]] = {}
    with log.open() as fh:
        for row in csv.DictReader(fh):
            if row["event"] == "ship":
                sites.setdefault(row["customer"], set()).add(row["site"])
    return sites


@pytest.mark.parametrize("fixed", [{"W_ST": 0.0}, {"DC_S": 1e7, "W_ST": 0.0}])
def test_simulated_flows_match_the_mip(tmp_path: Path, fixed: dict[str, float],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the project folder: sub/chosen.yaml may extend ../in.yaml
    src = _variant(tmp_path, "in", **fixed)
    out = tmp_path / "sub" / "chosen.yaml"
    res = optimise_scenario(src, out)
    sol = res.solution
    check_solution(res.problem, res.options, sol)
    text = out.read_text()
    assert "extends: ../in.yaml" in text and len(text.splitlines()) < 40
    assert "# a comment the input keeps" in src.read_text()
    chosen = load(out)
    main = dict(zip(sol.assignments["customer"], sol.assignments["site"], strict=True))
    closed = set(res.problem.site_ids) - set(sol.open_site_ids)
    assert {f.id for f in chosen.facilities} & closed == set()
    # every modelled customer is routed, and shipped, from its MIP site
    net = chosen.network
    for c in net.customers:
        for pid in net.demanded_products(c):
            assert net.serving_site(c.strategy, c.served_by, pid, c.location) == main[c.id]
    shipped = _shipping_sites(out, tmp_path)
    assert len(shipped) >= 8
    for cust, sites in shipped.items():
        assert sites == {main[cust]}, cust
    # every open site is replenished from its MIP source
    for site, source in sol.sourcing.items():
        for pid in ("P1", "P2"):
            up = net.upstream(site, pid)
            assert (up not in res.problem.site_ids) if source == OUTSIDE else up == source


def test_group_split_and_closed_dc_moves_its_warehouses(tmp_path: Path) -> None:
    res = optimise_scenario(_variant(tmp_path, "split", W_ST=0.0), tmp_path / "a.yaml")
    group = [c for c in res.solution.assignments.itertuples() if c.customer.startswith("G-")]
    # the group is split (per-member served_by): W-MU, W-ST, and DC-S for the members the
    # input ships from it (DC-S is their nearest stockist)
    assert len({c.site for c in group}) >= 2
    net = load(tmp_path / "split.yaml").network
    where = {c.id: c.location for c in net.customers}
    for c in group:
        if c.site == "DC-S":
            assert net.serving_site("classic", None, "P1", where[c.customer]) == "DC-S"
    assert "served_by_members" in (tmp_path / "a.yaml").read_text()
    res = optimise_scenario(_variant(tmp_path, "nodc", DC_S=1e7, W_ST=0.0), tmp_path / "b.yaml")
    assert "DC-S" not in res.solution.open_site_ids
    assert res.solution.sourcing["W-MU"] == "DC-N" == res.solution.sourcing["W-ST"]
    chosen = load(tmp_path / "b.yaml")
    assert {f.id: f.replenish_from for f in chosen.facilities}["W-MU"] == "DC-N"
    # the replenishment cost is the DC's handling plus the lane's unit cost, per unit
    net = chosen.network
    repl = res.solution.replenishment
    for row in repl[repl["source"] == "DC-N"].itertuples():
        unit = 0.2 + net.lane("DC-N", row.site).unit_cost()
        assert row.cost == pytest.approx(unit * row.units)
    sizes = res.solution.open_sites.set_index("site")
    assert np.isclose(sizes.loc["W-MU", "capacity"], 60 * 365) or \
        np.isclose(sizes.loc["W-MU", "capacity"], 200 * 365)


def test_verify_prints_paired_differences(tmp_path: Path, capsys) -> None:
    import json

    from supplylab.cli import main

    src = _variant(tmp_path, "v", W_ST=30000.0)
    out = tmp_path / "chosen.yaml"
    code = main(["optimize", "network", str(src), "-o", str(out), "--verify",
                 "--replications", "2", "--days", "15", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {r["kpi"]: r for r in next(v for k, v in doc["alternatives"].items()
                                      if k.startswith("verify"))}
    assert {"total_cost", "fill_rate", "otif_rate", "order_cycle_time_mean", "co2_kg"} <= set(rows)
    fixed = rows["facility_fixed_cost"]
    # fixed cost is deterministic: the paired interval has no width, and it is the closed
    # sites' fixed cost over the simulated days
    assert fixed["ci_low"] == pytest.approx(fixed["diff"]) == pytest.approx(fixed["ci_high"])
    closed = set(load(src).network.facilities) - {f.id for f in load(out).facilities}
    assert closed and fixed["diff"] < 0
    for r in rows.values():
        assert r["ci_low"] <= r["diff"] <= r["ci_high"]


def test_two_echelon_example(tmp_path: Path) -> None:
    """scenarios/two_echelon_design.yaml: both tiers decided, the key tier's share rule holds,
    and the chosen scenario runs."""
    from supplylab.sim import run_replication

    example = Path(__file__).resolve().parents[2] / "scenarios" / "two_echelon_design.yaml"
    res = optimise_scenario(example, tmp_path / "chosen.yaml")
    check_solution(res.problem, res.options, res.solution)
    rule = res.options.service_share[0]
    assert rule.min_share == 0.9 and len(rule.customers) >= 2  # the key tier only
    assert set(res.solution.sourcing) == set(res.solution.open_site_ids)
    chosen = load(tmp_path / "chosen.yaml")
    run = run_replication(chosen, 1, 0, days=15)
    assert run.audit.units_conserved


@pytest.mark.parametrize(("old", "new", "code", "needle"), [
    # capacity levels and sites that cannot serve the demand: capacity binds
    ("capacity_units_per_day: 60", "capacity_units_per_day: 1", 3, "capacity"),
    # a key-tier contract no network meets
    ("network_design: {sourcing: single, gap: 0.000001}",
     "network_design: {sourcing: single, gap: 0.000001,\n"
     "                 service: [{max_transit_days: 0.01, share: 0.5}]}", 3, "service_share"),
    # a share without its transit time: the located field, exit 2
    ("network_design: {sourcing: single, gap: 0.000001}",
     "network_design: {sourcing: single, service: [{share: 0.5}]}", 2,
     "network_design.service.0: share needs max_transit_days"),
])
def test_bad_studies_exit_with_the_family_or_the_field(tmp_path: Path, capsys, old: str,
                                                       new: str, code: int, needle: str) -> None:
    from supplylab.cli import main

    text = DATA.read_text().replace(old, new)
    if new.endswith(": 1"):  # every warehouse tiny as well
        text = text.replace("capacity_units_per_day: 200", "capacity_units_per_day: 2")
        for site in ("W-HH", "W-ST"):
            text = text.replace(f"id: {site},", f"id: {site}, capacity_units_per_day: 3,")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["optimize", "network", str(path)]) == code
    err = capsys.readouterr().err
    assert needle in err, err


def test_co2_front_on_two_echelons() -> None:
    """The CO2 minimum is found on the same echelons (stage costs set to zero, not to
    the objective), so the tightest cap is feasible and the front trades cost for CO2."""
    from supplylab.optimize.alternatives import pareto_co2
    from supplylab.optimize.scenario_design import scenario_problem

    problem, options, _ = scenario_problem(load(DATA))
    front = pareto_co2(problem, options, points=3)
    assert (front["status"] == "optimal").all()
    assert front["co2_t"].iloc[-1] < front["co2_t"].iloc[0]
    assert front["cost"].is_monotonic_increasing


def test_a_dc_keeps_the_customers_the_input_routes_to_it_by_default(tmp_path: Path) -> None:
    """K3 sits at DC-N and has no served_by: the engine ships it from DC-N, its nearest
    stockist, so the design may too (it did not: upper-tier DCs kept only explicit served_by
    customers, and K3 went to W-HH, 60 km further, a worse network). K4, with
    served_by: W-HH, stays off DC-N."""
    text = DATA.read_text().replace(
        "customer_groups:",
        "  - {id: K3, tier: standard, location: {lat: 53.0, lon: 10.0}, demand: {P1: 30}}\n"
        "  - {id: K4, tier: standard, location: {lat: 53.0, lon: 10.0}, demand: {P1: 30},\n"
        "     served_by: W-HH}\ncustomer_groups:")
    src = tmp_path / "k3.yaml"
    src.write_text(text)
    assert load(src).network.serving_site("classic", None, "P1",
                                          load(src).network.customers[2].location) == "DC-N"
    res = optimise_scenario(src, tmp_path / "out.yaml")
    check_solution(res.problem, res.options, res.solution)
    main = dict(zip(res.solution.assignments["customer"], res.solution.assignments["site"],
                    strict=True))
    assert main["K3"] == "DC-N"
    assert main["K4"] != "DC-N"
    allowed = res.problem.allowed[list(res.problem.site_ids).index("DC-N")]
    assert [c for c, ok in zip(res.problem.customer_ids, allowed, strict=True) if ok] == ["K3"]
