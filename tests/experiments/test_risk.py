"""Risk studies: each node out in turn, paired with the undisrupted baseline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from supplylab.errors import InputError
from supplylab.experiments.risk import risk
from supplylab.scenario import Scenario, build


def two_warehouses(extra_candidate: bool = True) -> Scenario:
    """Two warehouses in their own regions: BIG serves three times the demand of SMALL.

    Customers wait at most two days for a backorder, so an outage loses sales; IDLE stocks
    the product but serves nobody (every customer is pinned to its warehouse).
    """
    north, south = {"lat": 53.5, "lon": 10.0}, {"lat": 48.1, "lon": 11.6}
    policy = {"policy": "sS", "s": 40, "S": 120}
    data: dict[str, Any] = {
        "name": "two warehouses",
        "simulation": {"horizon_days": 150, "warmup_days": 14, "replications": 3, "seed": 5},
        "products": [{"id": "P", "price": 50, "unit_cost": 20, "importance": 2,
                      "max_backorder_days": 2}],
        "suppliers": [{"id": "S", "location": {"lat": 51.0, "lon": 10.0}, "products": ["P"],
                       "lead_time": 2}],
        "facilities": [{"id": "BIG", "location": north, "inventory": {"P": policy}},
                       {"id": "SMALL", "location": south, "inventory": {"P": policy}}]
        + ([{"id": "IDLE", "location": south, "inventory": {"P": policy}}]
           if extra_candidate else []),
        "customers": [{"id": "N", "tier": "standard", "location": north, "orders_per_day": 6,
                       "product_mix": {"P": 1}, "served_by": "BIG"},
                      {"id": "S1", "tier": "standard", "location": south, "orders_per_day": 2,
                       "product_mix": {"P": 1}, "served_by": "SMALL"}],
    }
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def test_a_node_without_flow_has_exactly_zero_impact():
    study = risk(two_warehouses(), ["IDLE"], duration_days=10, start_day=40, runner="serial")
    row = study.ranking.iloc[0]
    for col in ("lost_revenue_mean", "lost_profit_mean", "units_lost_mean",
                "fill_rate_drop_mean", "otif_rate_drop_mean", "ttr_days_mean"):
        assert row[col] == 0.0, col
    assert row["exposure_index"] == 0.0


def test_the_larger_warehouse_ranks_first_and_recovery_grows_with_the_outage():
    sc = two_warehouses(extra_candidate=False)
    short = risk(sc, "sites", duration_days=7, start_day=40, service_kpi="otif_rate",
                 runner="serial")
    assert list(short.ranking["node"]) == ["BIG", "SMALL"]
    assert short.ranking["exposure_index"].tolist()[0] == 1.0
    assert short.ranking["lost_margin_mean"].iloc[0] > short.ranking["lost_margin_mean"].iloc[1]
    # BIG carries three times SMALL's demand: about three times the units lost
    big, small = short.ranking["units_lost_mean"].tolist()
    assert 2.0 < big / small < 4.5
    long = risk(sc, ["BIG"], duration_days=28, start_day=40, service_kpi="otif_rate",
                runner="serial")
    assert long.ranking["ttr_days_mean"].iloc[0] > short.ranking.set_index("node").loc[
        "BIG", "ttr_days_mean"]
    # the time to recover covers at least the outage itself
    assert long.ranking["ttr_days_mean"].iloc[0] >= 28


def test_bad_study_settings_are_input_errors():
    sc = two_warehouses()
    with pytest.raises(InputError, match="did you mean 'BIG'"):
        risk(sc, ["BIGG"], runner="serial")
    with pytest.raises(InputError, match="before the horizon"):
        risk(sc, "sites", duration_days=200, runner="serial")
    with pytest.raises(InputError, match="warm-up"):
        risk(sc, "sites", start_day=3, runner="serial")
    with pytest.raises(InputError, match="sites, suppliers, lanes or all"):
        risk(sc, "warehouses", runner="serial")


def test_cli_json_is_pure_and_a_resumed_study_gives_the_same_table(tmp_path: Path):
    f = tmp_path / "two.yaml"
    f.write_text(two_warehouses().to_yaml(), encoding="utf-8")
    out = tmp_path / "study"
    cmd = [sys.executable, "-m", "supplylab", "risk", str(f), "--nodes", "BIG,IDLE",
           "--duration", "7", "--start", "40", "--workers", "1", "--out", str(out), "--json"]
    first = subprocess.run(cmd, capture_output=True, text=True, check=True)
    doc = json.loads(first.stdout)
    assert [r["node"] for r in doc["ranking"]] == ["BIG", "IDLE"]
    assert (out / "risk.csv").exists() and (out / "results.sqlite").exists()
    again = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert json.loads(again.stdout) == doc


def test_resume_after_sigkill_gives_the_same_table(tmp_path: Path):
    import os
    import signal
    import sqlite3
    import time

    f = tmp_path / "two.yaml"
    f.write_text(two_warehouses().to_yaml(), encoding="utf-8")
    cmd = [sys.executable, "-m", "supplylab", "risk", str(f), "--nodes", "all",
           "--duration", "7", "--start", "40", "--replications", "4", "--workers", "1",
           "--json"]
    out = tmp_path / "killed"
    proc = subprocess.Popen([*cmd, "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)

    def stored() -> int:
        try:
            with sqlite3.connect(out / "results.sqlite", timeout=5) as con:
                return con.execute("SELECT count(*) FROM runs").fetchone()[0]
        except sqlite3.OperationalError:
            return 0

    deadline = time.monotonic() + 120
    while stored() < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert 3 <= stored() < 20  # 5 points (baseline + 4 nodes) x 4 replications
    resumed = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True,
                             check=True)
    fresh = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert json.loads(resumed.stdout) == json.loads(fresh.stdout)
    assert stored() == 20
