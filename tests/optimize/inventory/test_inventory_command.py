"""`supplylab optimize inventory` through a real subprocess: output scenario, JSON, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import supplylab
from supplylab.optimize.inventory.scenario_output import policies_data

ROOT = Path(__file__).resolve().parents[3]
REGIONAL = ROOT / "scenarios" / "regional_3pl.yaml"
SINGLE = Path(__file__).parent / "data" / "single_site.yaml"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """A real subprocess (C libraries print to the process's fd 1)."""
    return subprocess.run([sys.executable, "-m", "supplylab", "optimize", "inventory", *args],
                          capture_output=True, text=True, timeout=300)


def _main(capsys, *args: str) -> tuple[int, str, str]:
    """In-process run of the command line (exit code, stdout, stderr)."""
    from supplylab.cli import main

    code = main(["optimize", "inventory", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_pure_and_output_extends_the_input(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "chosen.yaml"
    proc = _run(str(REGIONAL), "-o", str(out), "--differentiate", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # the whole of stdout is one JSON document
    assert doc["output"] == str(out)
    assert len(doc["table"]) == doc["policies"] > 0
    assert {r["point"] for r in doc["frontier"]} >= {"targets +0.00", "profit_max"}
    for tier, v in doc["differentiation"]["tiers"].items():
        assert v["achieved"] >= v["target"] - 1e-9, tier
    text = out.read_text()
    assert text.startswith("# Written by `supplylab optimize inventory`")
    from supplylab.scenario.yaml_io import parse_yaml

    data = parse_yaml(text)[0]
    assert set(data) == {"extends", "facilities"}
    assert (out.parent / data["extends"]).resolve() == REGIONAL.resolve()
    for fac in data["facilities"]:
        assert set(fac) == {"id", "inventory"}
    # it loads, and every other field is the base's
    chosen, base = supplylab.load(out), supplylab.load(REGIONAL)
    assert chosen.customers == base.customers and chosen.suppliers == base.suppliers
    row = next(r for r in doc["table"] if r["site"] == "DC-KS" and r["product"] == "LAP-14")
    pol = chosen.network.facilities["DC-KS"].inventory.policy_for("LAP-14")
    assert pol.policy == "sS" and f"s={pol.s:g}" in row["params"]


def test_output_keeps_each_sites_policy_family(tmp_path: Path) -> None:
    sc = supplylab.load(REGIONAL)
    from supplylab.optimize.inventory.site_policies import optimise_policies

    pols = optimise_policies(sc)
    data = policies_data(REGIONAL, tmp_path / "x.yaml", pols)
    for fac in data["facilities"]:
        f = sc.network.facilities[fac["id"]]
        for pid, entry in fac["inventory"].items():
            assert entry["policy"] == f.inventory.policy_for(pid).policy


def test_willems_json_is_pure_and_optimal(willems_dir: Path) -> None:
    proc = _run("--willems", str(willems_dir / "willems_01.csv"), "--json", "--time-limit", "30")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "optimal"
    assert doc["objective"] == pytest.approx(3965.82, abs=0.01)
    assert doc["gap"] <= 1e-6 and doc["bound"] <= doc["objective"] + 1e-6
    assert set(doc["service_times"]) == {"Manuf_0001", "Manuf_0002", "Part_0001", "Part_0002",
                                         "Part_0003", "Retail_0001", "Retail_0002",
                                         "Retail_0003"}


@pytest.mark.parametrize("args, needle", [
    (("--target", "1.0"), "must be in (0, 1)"),
    (("--target", "0.95", "--measure", "typeII"), "--measure must be"),
    (("--class-targets", "A:0.9"), "--class-targets needs"),
])
def test_bad_options_exit_2(capsys, args: tuple[str, ...], needle: str) -> None:
    code, _, err = _main(capsys, str(REGIONAL), *args)
    assert code == 2
    assert needle in err and "Traceback" not in err


def test_product_without_demand_is_located_error(capsys, tmp_path: Path) -> None:
    text = SINGLE.read_text().replace(
        "  - {id: P, price: 20", "  - {id: Q, price: 5, unit_cost: 2}\n  - {id: P, price: 20")
    text = text.replace("products: [P]", "products: [P, Q]").replace(
        "P: {policy: RS, R: 7, S: 150}", "P: {policy: RS, R: 7, S: 150}\n      Q: {policy: RS, "
        "R: 7, S: 10}")
    path = tmp_path / "dead.yaml"
    path.write_text(text)
    code, _, err = _main(capsys, str(path))
    assert code == 2
    assert "products.Q" in err and "no customer demands it" in err


def test_cycle_in_willems_file_exit_2(capsys, tmp_path: Path) -> None:
    path = tmp_path / "cycle.csv"
    path.write_text("stage_id,lead_time,max_s_time,cost_rate,risk_pool,ext_demand_mean,"
                    "ext_demand_std,ext_demand_thres,up_stages\n"
                    "A,1,,1,,,,,C,1\nB,1,,1,,,,,A,1\nC,1,0,1,,10,2,1.645,B,1\n")
    code, out, err = _main(capsys, "--willems", str(path), "--json")
    assert code == 2
    assert "cycle through" in err and out == ""


def test_infeasible_differentiation_exit_3_names_family(capsys) -> None:
    code, _, err = _main(capsys, str(REGIONAL), "--differentiate", "--menu", "0.8,0.9")
    assert code == 3
    assert "binding constraint families: tier_fill_rate[" in err


def test_replenishment_cycle_in_scenario_is_located_error(capsys, tmp_path: Path) -> None:
    text = REGIONAL.read_text().replace(
        "replenish_from: {MON-24: SUP-CZ}     # the rest: nearest supplier that makes it",
        "replenish_from: WH-HH")
    path = tmp_path / "cycle.yaml"
    path.write_text(text)
    code, out, err = _main(capsys, str(path), "--json")
    assert code == 2 and out == ""
    assert "facilities.DC-KS.replenish_from" in err and "cycle" in err


@pytest.mark.parametrize("order_cost, lane_cost", [(10.0, 40.0), (0.0, 50.0), (0.0, 0.0)])
def test_eoq_prices_every_fixed_cost_of_an_order(tmp_path: Path, order_cost: float,
                                                  lane_cost: float) -> None:
    """Q = sqrt(2 K lambda / h) with K = ordering cost + the inbound lane's cost per shipment.

    The engine charges both on every replenishment; K = 0 (both zero) gives one-unit orders.
    """
    from supplylab.optimize.inventory.site_policies import optimise_policies

    text = SINGLE.read_text().replace("{policy: RS, R: 7, S: 150}",
                                      "{policy: rQ, r: 40, Q: 100}")
    text = text.replace("transit_time: 0}", f"transit_time: 0, cost_per_shipment: {lane_cost}}}")
    text += f"costs: {{ordering_cost_per_order: {order_cost}}}\n"
    path = tmp_path / "rq.yaml"
    path.write_text(text)
    (pol,) = optimise_policies(supplylab.load(path))
    h = 0.25 * 10 / 365.0
    k = order_cost + lane_cost
    expected = max(1.0, float(np.ceil(np.sqrt(2 * k * 10 / h))))
    assert pol.params["Q"] == expected


def test_reorder_point_is_never_negative(tmp_path: Path) -> None:
    """A large Q meets the fill rate with a negative r under backorders; the site then orders
    only on a backlog, which lost or cancelled demand never builds: r is held at 0."""
    from supplylab.optimize.inventory.site_policies import Targets, optimise_policies

    text = SINGLE.read_text().replace("{policy: RS, R: 7, S: 150}", "{policy: rQ, r: 40, Q: 100}")
    text += "costs: {ordering_cost_per_order: 100000}\n"
    path = tmp_path / "big_q.yaml"
    path.write_text(text)
    (pol,) = optimise_policies(supplylab.load(path), Targets("fill_rate", 0.9))
    assert pol.params["Q"] > 10_000  # EOQ with K = 100,000
    assert pol.params["r"] == 0.0
    assert pol.expected_fill_rate >= 0.9
    for p in optimise_policies(supplylab.load(REGIONAL)):
        assert min(p.params.get("s", 0.0), p.params.get("r", 0.0)) >= 0.0, (p.site, p.product)
