"""A new user's first hour: the README snippet as a saved script, the command line's help and
start-up, messages, readable tables, honest intervals (issue 8).

Output streams are checked through real subprocesses where they matter.
"""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import supplylab as sl
from supplylab.cli import LAYER_COMMANDS, build_app, main
from supplylab.errors import InputError, Issue, ScenarioError
from supplylab.experiments.stats import bounded_interval, kpi_range, paired_difference

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "experiments" / "data" / "small.yaml"
REGIONAL = ROOT / "scenarios" / "regional_3pl.yaml"


def _python(code_or_file: str | Path, cwd: Path = ROOT, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(code_or_file)] if isinstance(code_or_file, Path) else \
        [sys.executable, "-c", code_or_file]
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


# ------------------------------------------------------------------ the Python API in a script
def test_the_readme_python_snippet_runs_as_a_saved_script(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    script = tmp_path / "first.py"
    script.write_text(snippet + "\nprint(res.n, type(res).__name__)\n", encoding="utf-8")
    done = _python(script)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.split()[-2:] == ["10", "Results"]


def test_the_api_page_first_block_runs_as_a_saved_script(tmp_path: Path) -> None:
    import shutil

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    (tmp_path / "first.py").write_text(block + "\nprint(sorted(cmp.names))\n", encoding="utf-8")
    done = _python(tmp_path / "first.py", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['more DC stock', 'now']"
    assert {p.name for p in (tmp_path / "out" / "base").iterdir()} >= {
        "results.json", "summary.csv", "kpis.csv", "timeseries.csv"}


def test_ci_script_fails_loudly_without_the_shared_folder(tmp_path: Path) -> None:
    repo = tmp_path / "checkout"
    (repo / ".ci").mkdir(parents=True)
    (repo / ".ci" / "run").write_text((ROOT / ".ci" / "run").read_text())
    done = subprocess.run(["bash", str(repo / ".ci" / "run")], capture_output=True, text=True,
                          timeout=60, cwd=repo)
    assert done.returncode == 2
    assert "../shared/benchmarks not found" in done.stderr
    assert not (repo / ".ci-venv").exists()  # stopped before installing anything


def test_workers_outside_a_main_guard_stop_with_one_line_before_any_process(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text("import supplylab as sl\n"
                      f"res = sl.simulate({str(SMALL)!r}, replications=2, days=30, workers=2)\n")
    done = _python(script)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("supplylab: unguarded.py:2:")
    assert 'if __name__ == "__main__":' in lines[0]


def test_workers_inside_a_main_guard_run_and_match_serial(tmp_path: Path) -> None:
    script = tmp_path / "guarded.py"
    script.write_text(
        "import supplylab as sl\n\n\ndef main():\n"
        f"    a = sl.simulate({str(SMALL)!r}, replications=2, days=30, seed=3, workers=2)\n"
        f"    b = sl.simulate({str(SMALL)!r}, replications=2, days=30, seed=3)\n"
        "    print(a.kpis.equals(b.kpis))\n\n\n"
        "if __name__ == \"__main__\":\n    main()\n")
    done = _python(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_api_return_types_are_the_real_classes() -> None:
    from supplylab.experiments.compare import Comparison
    from supplylab.experiments.results import Results
    from supplylab.experiments.sweep import SweepResults

    classes = {"Results": Results, "Comparison": Comparison, "SweepResults": SweepResults}
    for fn, cls in (("simulate", Results), ("compare", Comparison), ("sweep", SweepResults)):
        annotation = getattr(sl, fn).__annotations__["return"]
        assert classes[annotation] is cls, (fn, annotation)


def test_compare_labels_alternatives_by_file_name_or_labels(tmp_path: Path) -> None:
    a, b = tmp_path / "base.yaml", tmp_path / "more_stock.yaml"
    a.write_text(SMALL.read_text())
    b.write_text(SMALL.read_text())
    cmp = sl.compare([a, b], replications=2, days=30)
    assert cmp.names == ["base", "more_stock"]
    assert cmp.results[1].scenario_name == sl.load(b).name  # the scenario keeps its own name
    # typing the object in a notebook shows a line, not every replication's records
    assert repr(cmp).startswith("<Comparison of 'base', 'more_stock'") and len(repr(cmp)) < 200
    assert repr(cmp.results[0]).startswith("<Results 'small single site': 2 replication(s)")
    assert sl.compare([a, b], replications=2, days=30, labels=["now", "plan"]).names == \
        ["now", "plan"]
    with pytest.raises(InputError, match="1 label"):
        sl.compare([a, b], replications=2, days=30, labels=["only one"])


# ------------------------------------------------------------------------- the command line
def test_version_through_the_real_cli() -> None:
    done = _python("from supplylab.cli import entry; entry()", ROOT, "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"supplylab {sl.__version__}"


def _heavy_loaded(args: list[str], modules: tuple[str, ...]) -> str:
    """``HEAVY <exit code> <modules of MODULES loaded>`` after ``supplylab ARGS`` in a fresh
    interpreter."""
    code = ("import sys\nfrom supplylab.cli import main\nrc = main(sys.argv[1:])\n"
            f"heavy = sorted(m for m in {modules!r} if m in sys.modules)\n"
            "print('HEAVY', rc, ' '.join(heavy))\n")
    return _python(code, ROOT, *args).stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["compare", "--help"],
                                  ["sweep", "--help"], ["--version"], ["optimize", "--help"],
                                  ["optimize", "steering", "--help"]])
def test_help_loads_no_heavy_module(args: list[str]) -> None:
    """Start-up cost: help imports neither the numerical stack nor the scenario language
    (pydantic may load: typer itself uses it)."""
    last = _heavy_loaded(args, ("pandas", "scipy", "numpy", "networkx", "pulp", "simpy",
                                "highspy", "supplylab.scenario", "supplylab.sim"))
    assert last == "HEAVY 0", last


@pytest.mark.parametrize("args", [["validate", "scenarios/regional_3pl.yaml"],
                                  ["run", "scenarios/regional_3pl.yaml", "--days", "130",
                                   "--replications", "2"],
                                  ["run", "scenarios/two_echelon_design.yaml", "--days", "60",
                                   "--replications", "2", "--json"]])
def test_short_commands_load_no_scipy_or_networkx(args: list[str]) -> None:
    """Start-up cost: a validation or a short run (with a promotion inside the horizon and
    t intervals) needs neither scipy (~0.3 s to import) nor networkx (~0.15 s); nor does the
    JSON document when no customer can churn (the early warning, fitted with scipy, is then
    not run)."""
    last = _heavy_loaded(args, ("scipy", "networkx", "pulp", "highspy"))
    assert last == "HEAVY 0", last


@pytest.mark.parametrize("args", [["validate", "scenarios/regional_3pl.yaml"],
                                  ["run", "scenarios/regional_3pl.yaml", "--days", "130",
                                   "--replications", "2"],
                                  ["run", "scenarios/regional_3pl.yaml", "--days", "130",
                                   "--replications", "2", "--json"],
                                  ["compare", "scenarios/regional_3pl.yaml",
                                   "scenarios/regional_3pl.yaml", "--days", "60",
                                   "--replications", "2", "--workers", "1"]])
def test_validate_and_a_run_to_the_terminal_load_no_pandas(args: list[str]) -> None:
    """Start-up cost: the intervals, the KPI table, the customer tables, the JSON document
    and a comparison's paired differences come from plain lists (pandas, ~0.2 s to import,
    builds the Python tables); a validation needs neither the engine nor rich."""
    # the early warning of a scenario whose customers can churn is fitted with scipy
    scipy = () if "--json" in args else ("scipy",)
    last = _heavy_loaded(args, ("pandas", *scipy, "networkx", "pulp", "highspy"))
    assert last == "HEAVY 0", last
    if "--json" in args:  # pure JSON on stdout: rich is never asked for
        assert _heavy_loaded(args, ("rich",)) == "HEAVY 0"
    if args[0] == "validate":
        last = _heavy_loaded(args, ("simpy", "supplylab.sim", "rich"))
        assert last == "HEAVY 0", last


def test_a_run_with_out_loads_no_pandas(tmp_path: Path) -> None:
    """Start-up cost: the files of ``--out`` are written from the same plain lists (pandas
    builds the tables of the Python API only), and every file is there."""
    out = tmp_path / "out"
    last = _heavy_loaded(["run", "scenarios/regional_3pl.yaml", "--days", "130",
                          "--replications", "2", "--out", str(out)],
                         ("pandas", "networkx", "pulp", "highspy"))
    assert last == "HEAVY 0", last
    assert sorted(p.name for p in out.iterdir()) == [
        "at_risk.csv", "contracts.csv", "customer_value.csv", "customers.csv", "kpis.csv",
        "order_history.csv", "results.json", "summary.csv", "timeseries.csv"]


def test_a_run_with_out_writes_the_same_tables_the_python_api_gives(tmp_path: Path) -> None:
    """The pandas tables built late are the ones written: kpis.csv and summary.csv read back
    equal the API's tables of the same run."""
    out = tmp_path / "run"
    assert main(["run", str(SMALL), "--days", "60", "--replications", "2", "--seed", "3",
                 "--out", str(out)]) == 0
    res = sl.simulate(SMALL, replications=2, seed=3, days=60)
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc == json.loads(res.to_json())
    summary = pd.read_csv(out / "summary.csv")
    overall = summary[summary["dimension"] == "all"].reset_index(drop=True)
    expect = res.summary()
    assert list(overall["kpi"]) == list(expect["kpi"])
    assert overall["mean"].to_numpy() == pytest.approx(expect["mean"].to_numpy(), nan_ok=True,
                                                       rel=1e-15)
    kpis = pd.read_csv(out / "kpis.csv")
    assert len(kpis) + len(res.timeseries) == len(res.kpis)


def _all_commands() -> list[list[str]]:
    from typer.main import get_command

    root = get_command(build_app())
    paths = [[]]
    for name, cmd in root.commands.items():
        paths.append([name])
        paths += [[name, sub] for sub in getattr(cmd, "commands", {})]
    return paths


def test_help_texts_have_no_placeholders(capsys: pytest.CaptureFixture[str]) -> None:
    for path in _all_commands():
        assert main([*path, "--help"]) == 0
        text = capsys.readouterr().out
        for bad in ("{", "<list", "<int", "<float", "<path>", "<str>", "<text>"):
            assert bad not in text, (path, bad, text)


def test_the_listing_stand_ins_say_what_the_real_commands_say() -> None:
    """``supplylab --help`` lists the layer commands from their source without importing them;
    what it shows is what the real commands say."""
    from typer.main import get_command

    from supplylab.cli import listing_help

    lazy = get_command(build_app([])).commands
    real = get_command(build_app()).commands
    for name, module in LAYER_COMMANDS.items():
        if "not available yet" in (real[name].help or ""):
            continue
        assert listing_help(module, name), name
        assert lazy[name].get_short_help_str(200) == real[name].get_short_help_str(200), name


# ------------------------------------------------------------------------------- messages
def test_messages_have_no_input_prefix_and_no_doubled_prefix() -> None:
    assert str(InputError("replications must be at least 1")) == "replications must be at least 1"
    assert str(Issue("--set", 0, 0, "", "--set needs PATH=VALUE, got 'x'")) == \
        "--set needs PATH=VALUE, got 'x'"
    assert str(Issue("f.yaml", 3, 5, "a.b", "bad")) == "f.yaml:3:5: a.b: bad"


def test_cli_set_without_equals_is_one_clean_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REGIONAL), "--set", "foo"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[0] == "--set needs PATH=VALUE, got 'foo'"


@pytest.mark.parametrize(("path", "expect"), [
    ("facilities.WH-MUC.inventory.defualt.s", "(did you mean 'default'?)"),
    ("facilities.WH-MUC.inventroy.default.s", "(did you mean 'inventory'?)"),
    ("simulaton.horizon_days", "(did you mean 'simulation'?)"),
])
def test_misspelt_set_paths_get_did_you_mean_at_the_option(path: str, expect: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        sl.load(REGIONAL, {path: 30})
    [issue] = exc.value.issues
    assert issue.file == "--set" and expect in issue.message, str(issue)


def test_a_misspelt_id_in_an_extends_variant_is_named_as_a_new_id(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(REGIONAL.read_text())
    variant = tmp_path / "variant.yaml"
    variant.write_text("extends: base.yaml\nname: variant\nfacilities:\n  - id: WH-MUK\n"
                       "    inventory:\n      default: {policy: RS, R: 2, S: 200}\n")
    with pytest.raises(ScenarioError) as exc:
        sl.load(variant)
    [issue] = exc.value.issues
    assert (issue.file, issue.line, issue.path) == (str(variant), 4, "facilities.WH-MUK")
    assert "'WH-MUK' is a new id (not in base.yaml) (did you mean 'WH-MUC'?)" in issue.message
    assert "location" in issue.message


@pytest.mark.parametrize(("text", "words"), [
    ("name: x\nsimulation:\n\thorizon_days: 3\n", "tab character"),
    ("name: x\nsimulation:\n  horizon_days: 3\n   seed: 2\n", "indentation"),
    ("name: x\nproducts: [a, b\n", "not closed"),
])
def test_yaml_syntax_errors_are_explained_in_words(tmp_path: Path, text: str, words: str) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    with pytest.raises(ScenarioError) as exc:
        sl.load(p)
    msg = exc.value.issues[0].message
    assert msg.startswith("not valid YAML: ") and words in msg and "the parser says" in msg


def test_events_after_the_horizon_are_one_rule_for_days_and_sweeps(
        capsys: pytest.CaptureFixture[str]) -> None:
    sc = sl.load(ROOT / "scenarios" / "monitor_shortage.yaml")
    promo = sc.promotions[0]
    days = promo.start_day - 10
    assert days > sc.simulation.warmup_days
    # --set (as a sweep does) is accepted like --days
    swept = sc.with_overrides({"simulation.horizon_days": days})
    from supplylab.experiments.commands import horizon_notes

    notes = horizon_notes(swept)
    assert notes == horizon_notes(sc, days)
    assert any(f"promotion {promo.id} starts on day {promo.start_day:g}, after the {days:g}-day "
               "horizon: ignored" == n for n in notes)


# ----------------------------------------------------------------------------- statistics
@pytest.mark.parametrize(("kpi", "values"), [
    ("fill_rate", [1.0, 1.0, 0.995, 1.0]),
    ("lost_sales_rate", [0.0, 0.0, 0.0, 1e-4]),
    ("otif_rate", [1.0, 0.9, 1.0]),
    ("total_cost", [1.0, 0.0, 0.0, 0.0, 50.0]),
])
def test_intervals_stay_inside_the_kpis_range(kpi: str, values: list[float]) -> None:
    low, high = kpi_range(kpi)
    iv = bounded_interval(values, kpi)
    assert low <= iv.ci_low <= iv.mean <= iv.ci_high <= high
    assert iv.ci_low == low or iv.ci_high == high  # these samples reach past a bound


def test_signed_kpis_keep_negative_bounds_and_differences_stay_in_range() -> None:
    assert bounded_interval([-5.0, 3.0, -1.0], "profit").ci_low < -5.0
    d = paired_difference([1.0, 1.0, 0.0], [0.0, 0.0, 1.0], kpi="fill_rate")
    assert d.ci_low >= -1.0 and d.ci_high <= 1.0


def test_clipping_keeps_the_coverage_of_the_t_interval() -> None:
    """The true mean is in the range, so it is in the clipped interval iff in the t one."""
    import numpy as np

    rng = np.random.default_rng(0)
    p, n, hit_t, hit_clip = 0.99, 5, 0, 0
    from supplylab.experiments.stats import t_interval

    for _ in range(2000):
        x = rng.binomial(50, p, size=n) / 50  # a rate near 1
        t, c = t_interval(x), bounded_interval(x, "fill_rate")
        hit_t += t.ci_low <= p <= t.ci_high
        hit_clip += c.ci_low <= p <= c.ci_high
    assert hit_t == hit_clip


def test_run_json_intervals_respect_the_range_through_the_cli(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "supplylab", "run", str(SMALL), "--json",
                           "--replications", "3", "--days", "30", "--workers", "1"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    for name, kpi in doc["kpis"].items():
        low, high = kpi_range(name)
        if None not in kpi["ci95"]:
            assert low <= kpi["ci95"][0] and kpi["ci95"][1] <= high, name
    assert list(doc["by"]["week"]) == sorted(doc["by"]["week"], key=int)


# ------------------------------------------------------------------------------- tables
def _printed(obj: object, width: int) -> str:
    from rich.console import Console

    buf = io.StringIO()
    obj.print_table(Console(file=buf, width=width, highlight=False, color_system=None))
    return buf.getvalue()


def test_tables_fit_80_columns_with_kpis_as_rows_and_a_legend(tmp_path: Path) -> None:
    names = ["base", "a very long alternative name one", "a very long alternative name two"]
    files = []
    for n in names:
        f = tmp_path / f"{n}.yaml"
        f.write_text(SMALL.read_text())
        files.append(f)
    cmp = sl.compare(files, replications=2, days=30)
    for obj in (cmp, cmp.results[0]):
        text = _printed(obj, 80)
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "…" not in text  # nothing cut
        assert "fill %" in text and "fill % = fill_rate (percent)" in text
    text = _printed(cmp, 80)  # long names: short headers, spelt out in the legend
    assert "B - base" in text and "C - base" in text  # differences to the baseline "base"
    assert "B = a very long alternative name one" in text
    assert "C = a very long alternative name two" in text


def test_sweep_command_tries_an_experiment_quickly(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    exp = ROOT / "experiments" / "munich_review_list.yaml"
    assert main(["sweep", str(exp), "--replications", "1", "--days", "40", "--workers", "1",
                 "--out", str(tmp_path)]) == 0
    assert "3 of 3 runs stored" in capsys.readouterr().out
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary["n"].max() == 1  # (0 for a KPI undefined in the short run)
    assert json.loads((tmp_path / "experiment.json").read_text())["days"] == 40
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert len(runs) == 3 and math.isfinite(runs["wall_seconds"].sum())


def test_n_best_says_why_it_lists_fewer_networks(capsys: pytest.CaptureFixture[str]) -> None:
    # one existing site and no candidates: a single feasible network
    assert main(["optimize", "network", str(SMALL), "--n-best", "2"]) == 0
    err = capsys.readouterr().err
    assert "note: only 1 of the 2 networks asked for: every other set of open sites is " \
           "infeasible" in err


def test_summarize_bounds_one_kpis_rows_grouped_by_key() -> None:
    from supplylab.experiments.results import summarize

    frame = pd.DataFrame({"key": ["0"] * 3 + ["1"] * 3, "kpi": "fill_rate",
                          "value": [1.0, 1.0, 0.99, 1.0, 0.98, 1.0]})
    out = summarize(frame, ["key"])  # as the report's weekly plots call it
    assert list(out["key"]) == ["0", "1"] and (out["ci_high"] <= 1.0).all()
