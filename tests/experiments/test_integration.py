"""The experiments layer on the real engine and scenarios, and through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from supplylab.cli import main
from supplylab.experiments import compare, load_experiment, replicate, sweep
from supplylab.scenario import load

ROOT = Path(__file__).resolve().parents[2]
SMALL = Path(__file__).parent / "data" / "small.yaml"
S_PATH = "facilities.W.inventory.P.s"


@pytest.fixture(scope="module")
def small():
    return load(SMALL)


def test_real_engine_replications_are_identical_serially_and_on_processes(small) -> None:
    a = replicate(small, 3, seed=5, runner="serial")
    b = replicate(small, 3, seed=5, runner="processes", workers=2)
    pd.testing.assert_frame_equal(a.kpis, b.kpis, check_exact=True)
    doc = a.to_document()
    assert doc["scenario"] == "small single site" and doc["scenario_sha256"] == small.sha256
    assert doc["horizon_days"] == 60 and doc["warmup_days"] == 5
    assert doc["audit"] == {"units_conserved": True}
    assert {"tier", "product", "facility", "operator", "abc_class", "customer"} <= set(doc["by"])
    assert not a.timeseries.empty and a.timeseries["key"].dtype == "int64"


def test_real_engine_crn_identical_scenarios_differ_by_zero(small) -> None:
    cmp = compare([small, small], replications=3, seed=2)
    assert (cmp.differences["diff"] == 0.0).all() and not cmp.differences["significant"].any()
    lower = small.with_overrides({S_PATH: 4})
    cmp = compare([small, lower], replications=4, seed=2)
    assert cmp.differences.set_index("kpi").loc["fill_rate", "diff"] <= 0.0


def test_every_bundled_experiment_file_is_valid() -> None:
    files = sorted((ROOT / "experiments").glob("*.yaml"))
    assert files, "no example experiment files"
    for f in files:
        exp = load_experiment(f)
        assert exp.points and exp.replications >= 1, f


def test_real_sweep_from_a_file_resumes_through_the_cli(tmp_path: Path, capsys) -> None:
    shutil.copy(SMALL, tmp_path / "small.yaml")
    exp_file = tmp_path / "exp.yaml"
    exp_file.write_text(f"name: small s\nscenario: small.yaml\nparameters:\n  {S_PATH}: [4, 12]\n"
                        "replications: 2\nseed: 9\nkpis: [fill_rate, total_cost]\n")
    out = tmp_path / "out"
    assert main(["sweep", str(exp_file), "--out", str(out), "--workers", "1"]) == 0
    assert "4 of 4 runs stored" in capsys.readouterr().out
    table = pd.read_csv(out / "sweep.csv")
    assert set(table["kpi"]) == {"fill_rate", "total_cost"}
    assert main(["sweep", str(exp_file), "--out", str(out), "--workers", "2"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep.csv"), table)
    direct = sweep(load_experiment(exp_file), runner="serial", progress=False)
    assert direct.table["value"].tolist() == table["value"].tolist()


def test_compare_command_json_and_out(tmp_path: Path, capsys) -> None:
    code = main(["compare", str(SMALL), str(SMALL), "--replications", "2", "--days", "30",
                 "--set", f"{S_PATH}=8", "--json", "--workers", "1", "--out", str(tmp_path)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    # alternatives are labelled by file name (the scenario's name stays in its document)
    stem = SMALL.stem
    assert doc["baseline"] == stem and doc["replications"] == 2
    assert doc["differences"][f"{stem}#2"]["fill_rate"]["diff"] == 0.0
    assert doc["alternatives"][stem]["horizon_days"] == 30
    assert doc["alternatives"][stem]["scenario"] == "small single site"
    assert (tmp_path / "differences.csv").is_file()
    assert main(["compare", str(SMALL)]) == 2
    assert "at least two" in capsys.readouterr().err


def test_run_command_prints_the_results_document(tmp_path: Path, capsys) -> None:
    code = main(["run", str(SMALL), "--replications", "2", "--days", "30", "--json",
                 "--workers", "1", "--out", str(tmp_path)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["replications"] == 2 and len(doc["kpis"]["fill_rate"]["values"]) == 2
    assert {p.name for p in tmp_path.iterdir()} >= {"results.json", "kpis.csv", "timeseries.csv"}
