"""The command line: bad input exits 2 with file and line, --json is pure JSON through a real
subprocess, --verify pairs original and steered runs with common random numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from supplylab.cli import main

MONITOR = Path(__file__).resolve().parents[2] / "scenarios" / "monitor_shortage.yaml"


def variant(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "variant.yaml"
    path.write_text(f"extends: {MONITOR}\n{text}")
    return path


@pytest.mark.parametrize(("text", "args", "needle"), [
    ("products:\n  - id: MON-17\n    promotion_lift: {0.1: 0.8}\n", [],
     "lift 0.8 at discount 0.1 is below 1"),
    ("promotions:\n  - id: LATE\n    product: KB-1\n    start_day: 200\n    end_day: 400\n"
     "    discount: 0.1\n", [], "after the horizon"),
    ("", ["--window", "200:400"], "outside the horizon"),
    ("products:\n  - id: MON-15\n    substitutes: [{product: MON-99, acceptance: 0.5}]\n", [],
     "unknown product 'MON-99'"),
    ("", ["--cross-effect", "MON-17:MON-99=-0.5"], "unknown product 'MON-99'"),
    ("", ["--weeks", "60"], "do not fit the horizon"),
])
def test_bad_input_exits_2(tmp_path: Path, capsys, text: str, args: list[str],
                           needle: str) -> None:
    path = variant(tmp_path, text)
    code = main(["optimize", "steering", str(path), "-o", str(tmp_path / "out.yaml"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.yaml").exists()
    if text and not args:
        assert f"{path}:" in err or f"{MONITOR}:" in err  # names the file (and line)


def test_lift_error_points_at_the_line(tmp_path: Path, capsys) -> None:
    path = variant(tmp_path, "products:\n  - id: MON-17\n    promotion_lift: {0.1: 0.8}\n")
    assert main(["optimize", "steering", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4:" in err and "products.MON-17.promotion_lift" in err


def test_json_is_pure_through_a_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "steered.yaml"
    proc = subprocess.run([sys.executable, "-m", "supplylab", "optimize", "steering",
                           str(MONITOR), "-o", str(out), "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # the whole of stdout is one JSON document
    assert doc["status"] == "optimal" and doc["output"] == str(out)
    assert {r["product"] for r in doc["calendar"]} == {"MON-17"}
    weeks = {(r["product"], r["week"]) for r in doc["plan"]}
    assert len(weeks) == 3 * 39
    assert all(abs(r["residual"]) < 1e-6 for r in doc["conservation"])


def test_verify_shows_fewer_lost_sales_and_more_margin(tmp_path: Path, capsys) -> None:
    """The full monitor example (substitution 30%, customers who wait): the plan promotes
    MON-17 and the simulation, paired by common random numbers, shows fewer lost sales, a
    higher gross margin and a higher profit, close to what the plan expected."""
    code = main(["optimize", "steering", str(MONITOR), "-o", str(tmp_path / "steered.yaml"),
                 "--verify", "--replications", "4", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert {r["product"] for r in doc["calendar"]} == {"MON-17"}
    diff = {r["kpi"]: r for r in doc["verify"] if r["dimension"] == "all"}
    assert diff["lost_sales_units"]["ci_high"] < 0
    assert diff["gross_margin"]["ci_low"] > 0
    assert diff["fill_rate"]["ci_low"] > 0
    assert diff["profit"]["ci_low"] > 0  # margin less the promotions' discounts
    planned = doc["objective"] - doc["baseline_objective"]
    assert diff["profit"]["ci_low"] < planned < 2 * diff["profit"]["ci_high"]
