"""The command line on scenario files (exit codes, one line per issue, --set) and the JSON
Schema of the language; plus round trips of scenarios through YAML."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from supplylab.cli import main
from supplylab.scenario import Scenario, json_schema, load, loads

from .conftest import BASE, mutate

Write = Callable[..., Path]
SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


# ------------------------------------------------------------------ validate
def test_validate_ok_exit_0(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(BASE)
    assert main(["validate", str(p)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{p}: valid (2 products, 1 supplier, 2 facilities, 1 customer")


def test_validate_lists_every_issue_one_line_each(write: Write,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    text = mutate("reliability: 0.9", "reliability: 1.5")
    text = mutate("    lead_time: 2\n", "    lead_tme: 2\n", text)
    bad = write(text, "bad.yaml")
    good = write(BASE, "good.yaml")
    assert main(["validate", str(bad), str(good)]) == 2
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert lines[:2] == [
        f"{bad}:17:5: suppliers.SUP.lead_tme: unknown key 'lead_tme' (did you mean 'lead_time'?)",
        f"{bad}:18:5: suppliers.SUP.reliability: Input should be less than or equal to 1 "
        "(got 1.5)",
    ]
    assert lines[2] == "1 of 2 file(s) invalid"
    assert "Traceback" not in cap.err and f"{good}: valid" in cap.out


@pytest.mark.parametrize("text", ["", "a: [1\n", "- 1\n", "name: !!python/name:os.system\n"])
def test_validate_never_shows_a_traceback(write: Write, capsys: pytest.CaptureFixture[str],
                                          text: str) -> None:
    assert main(["validate", str(write(text))]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 2


def test_validate_missing_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_validate_with_set(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(BASE)
    assert main(["validate", str(p), "--set", "suppliers.SUP.reliability=0.5"]) == 0
    assert main(["validate", str(p), "--set", "suppliers.SUP.reliability=5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--set: suppliers.SUP.reliability: Input should be less than")
    assert main(["validate", str(p), "--set", "facilities.DCC.inventory.default.s=1"]) == 2
    assert "(did you mean 'DC'?)" in capsys.readouterr().err
    assert main(["validate", str(p), "--set", "no-equals"]) == 2
    assert "--set needs PATH=VALUE" in capsys.readouterr().err


def test_run_with_set_and_days(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(BASE)
    code = main(["run", str(p), "--days", "20", "--replications", "2", "--workers", "1",
                 "--set", "simulation.warmup_days=5", "--set", "allocation.rule=fifo", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["replications"] == 2
    assert doc["audit"]["units_conserved"] is True
    assert "fill_rate" in doc["kpis"]


def test_run_bad_set_exit_2(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(write(BASE)), "--set", "allocation.rule=fifi"]) == 2
    err = capsys.readouterr().err
    assert "allocation.rule" in err and "did you mean 'fifo'" in err


def test_console_script_exit_codes(write: Write) -> None:
    bad = write("products: []\nfoo: 1\n")
    proc = subprocess.run([sys.executable, "-m", "supplylab", "validate", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{bad}:2:1: foo: unknown key 'foo'" in proc.stderr


def test_validate_json_is_pure_and_locates_every_issue(write: Write) -> None:
    """`validate --json` through a real subprocess: one JSON document on stdout with the
    located issues of each invalid file and the counts of each valid one; exit 2."""
    bad = write(mutate("reliability: 0.9", "reliability: 1.5"), "bad.yaml")
    good = write(BASE, "good.yaml")
    proc = subprocess.run([sys.executable, "-m", "supplylab", "validate", str(good), str(bad),
                           "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert doc["valid"] is False
    ok, wrong = doc["files"]
    assert ok == {"file": str(good), "valid": True,
                  "counts": {"products": 2, "suppliers": 1, "facilities": 2, "customers": 1,
                             "lanes": 0}}
    assert wrong["valid"] is False
    assert wrong["issues"] == [{"file": str(bad), "line": 18, "col": 5,
                                "path": "suppliers.SUP.reliability",
                                "message": "Input should be less than or equal to 1 (got 1.5)"}]
    only_good = subprocess.run([sys.executable, "-m", "supplylab", "validate", str(good),
                                "--json"], capture_output=True, text=True, timeout=120)
    assert only_good.returncode == 0 and json.loads(only_good.stdout)["valid"] is True


# ------------------------------------------------------------------ schema
def test_schema_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "supplylab scenario"
    assert {"products", "facilities", "customers", "extends"} <= set(schema["properties"])


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_examples_validate_against_the_json_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, json_schema())


def test_the_json_schema_rejects_unknown_keys() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    data = yaml.safe_load(BASE)
    data["suppliers"][0]["lead_tme"] = 2
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())


# ------------------------------------------------------------------ round trips
def test_round_trip_keeps_the_scenario(base: Scenario) -> None:
    again = loads(base.to_yaml())
    assert again == base and again.sha256 == base.sha256


def test_round_trip_of_distributions_and_special_keys(write: Write) -> None:
    text = mutate("lead_time: 2", "lead_time: {dist: gamma, mean: 3, sd: 1}")
    text = mutate("    price: 10\n", "    price: 10\n    promotion_lift: {0.1: 1.3, 0.2: 1.7}\n"
                  "    return_delay: {dist: empirical, values: [1, 5], weights: [3, 1]}\n", text)
    text += ("lanes:\n  - {from: SUP, to: DC, mode: rail, transit_time: {dist: uniform, low: 1, "
             "high: 2}}\n"
             "disruptions:\n  - {target: SUP->DC, start_day: 5, duration_days: 2, "
             "effect: {lead_time_multiplier: 2}}\n"
             "description: |\n  two lines\n  of text\n")
    sc = load(write(text))
    again = loads(sc.to_yaml())
    assert again == sc
    assert again.products[0].promotion_lift == {0.1: 1.3, 0.2: 1.7}
    assert again.lanes[0].from_ == "SUP"


def test_save_writes_loadable_yaml(base: Scenario, tmp_path: Path) -> None:
    out = tmp_path / "saved.yaml"
    base.save(out)
    assert load(out) == base


def test_to_yaml_writes_only_what_was_given(base: Scenario) -> None:
    text = base.to_yaml()
    assert "network_design" not in text and "information_sharing" not in text
    assert "lead_time: 2" in text


@pytest.mark.parametrize("argv", [["validate"], ["run", "--bogus", "x.yaml"],
                                  ["run", "x.yaml", "--replications", "0"],
                                  ["optimize", "inventory", "x"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "internal error" not in capsys.readouterr().err
