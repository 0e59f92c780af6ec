"""Results tables, the run --json document and atomic output files."""

from __future__ import annotations

import csv
import json
import math

import pandas as pd
import pytest

from supplylab.errors import ExperimentError, SupplylabError
from supplylab.experiments import Results, replicate
from supplylab.experiments.synthetic import SyntheticScenario, run_synthetic
from supplylab.io import OutputError


@pytest.fixture(scope="module")
def res() -> Results:
    return replicate(SyntheticScenario(), 4, seed=5, run_fn=run_synthetic)


def test_tidy_kpis_table_has_one_row_per_replication_dimension_key_kpi(res: Results) -> None:
    k = res.kpis
    assert list(k.columns) == ["replication", "dimension", "key", "kpi", "value"]
    per_rep = len(list(res.replications[0].rows()))
    assert len(k) == 4 * per_rep
    assert not k.duplicated(["replication", "dimension", "key", "kpi"]).any()
    overall = k[(k["dimension"] == "all") & (k["kpi"] == "fill_rate")]
    assert overall["value"].tolist() == res.values("fill_rate")


def test_summary_overall_and_by_dimension(res: Results) -> None:
    s = res.summary()
    assert list(s.columns) == ["kpi", "mean", "ci_low", "ci_high", "half_width", "n"]
    row = s.set_index("kpi").loc["total_cost"]
    assert row["mean"] == pytest.approx(sum(res.values("total_cost")) / 4)
    assert row["ci_low"] < row["mean"] < row["ci_high"] and row["n"] == 4
    tiers = res.summary("tier")
    assert list(tiers.columns[:2]) == ["key", "kpi"] and set(tiers["key"]) == {"gold", "silver"}


def test_plain_intervals_equal_the_pandas_summary_of_the_tidy_table(res: Results) -> None:
    """The intervals computed from plain lists (document, terminal table) are those the
    generic pandas grouping of the tidy table gives, in the same order, bit for bit."""
    from supplylab.experiments.results import summarize

    for dim in res.dimensions:
        plain = res.summary(dim)
        sub = res.kpis[res.kpis["dimension"] == dim]
        grouped = summarize(sub, ["kpi"] if dim == "all" else ["key", "kpi"])
        if dim in ("week", "month"):
            grouped = grouped.astype({"key": "int64"})
        pd.testing.assert_frame_equal(plain, grouped)
        pairs = res.intervals(dim)
        assert [kpi for (_, kpi), _ in pairs] == list(plain["kpi"])
        assert [iv.half_width for _, iv in pairs] == pytest.approx(
            list(plain["half_width"]), nan_ok=True, abs=0, rel=0)
    assert res.dimensions[0] == "all" and "tier" in res.dimensions


def test_document_follows_results_md(res: Results) -> None:
    doc = json.loads(res.to_json())
    assert set(doc) == {"scenario", "scenario_sha256", "currency", "version", "seed",
                        "replications", "horizon_days", "warmup_days", "kpis", "by", "audit"}
    assert doc["scenario"] == "synthetic" and doc["seed"] == 5 and doc["replications"] == 4
    assert doc["scenario_sha256"] == SyntheticScenario().sha256 and doc["horizon_days"] == 70.0
    fr = doc["kpis"]["fill_rate"]
    assert fr["values"] == res.values("fill_rate") and fr["ci95"][0] < fr["mean"] < fr["ci95"][1]
    assert set(doc["by"]) == {"tier", "product", "week"}
    assert set(doc["by"]["tier"]["gold"]["fill_rate"]) == {"mean", "ci95"}
    assert list(doc["by"]["week"]) == [str(w) for w in range(10)]  # in period order
    assert doc["audit"] == {"units_conserved": True}


def test_single_replication_writes_null_intervals() -> None:
    one = replicate(SyntheticScenario(), 1, seed=1, run_fn=run_synthetic)
    doc = json.loads(one.to_json())  # strict JSON: would fail on NaN
    assert doc["kpis"]["fill_rate"]["ci95"] == [None, None]
    assert math.isnan(one.summary().set_index("kpi").loc["fill_rate", "half_width"])


def test_defaults_come_from_the_scenario_and_days_override_horizon() -> None:
    sc = SyntheticScenario().with_overrides({"simulation.replications": 3, "simulation.seed": 8})
    res = replicate(sc, run_fn=run_synthetic, days=14)
    assert res.n == 3 and res.seed == 8 and res.horizon_days == 14
    assert set(res.timeseries["key"]) == {0, 1}


def test_write_creates_the_documented_files_each_row_once(tmp_path, res: Results) -> None:
    res.write(tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["replications"] == 4
    kpis = pd.read_csv(tmp_path / "kpis.csv", keep_default_na=False)
    ts = pd.read_csv(tmp_path / "timeseries.csv")
    assert set(ts["dimension"]) == {"week"} and len(ts) == 4 * 10
    assert "week" not in set(kpis["dimension"])  # the weekly rows are written once
    assert len(kpis) + len(ts) == len(res.kpis)
    no_weeks = res.kpis[res.kpis["dimension"] != "week"]
    assert kpis["value"].tolist() == no_weeks["value"].tolist()  # exact round trip
    assert ts["key"].tolist() == res.timeseries["key"].tolist()
    # floats at their shortest exact representation, not 17 digits
    text = (tmp_path / "kpis.csv").read_text()
    for line, value in zip(text.splitlines()[1:], no_weeks["value"], strict=True):
        assert line.rsplit(",", 1)[1] in (repr(value), "")
    summary = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False)
    assert list(summary.columns) == ["dimension", "key", "kpi", "mean", "ci_low", "ci_high",
                                     "half_width", "n"]
    overall = summary[summary["dimension"] == "all"].set_index("kpi")
    assert overall.loc["fill_rate", "mean"] == pytest.approx(res.summary().set_index("kpi")
                                                            .loc["fill_rate", "mean"])
    assert set(summary["dimension"]) == {"all", "tier", "product", "week"}
    assert (summary["n"] == 4).all()


def test_timeseries_is_a_property_with_integer_periods_in_order(res: Results) -> None:
    ts = res.timeseries
    assert ts["key"].dtype == "int64"
    first = ts[ts["replication"] == 0]
    assert list(dict.fromkeys(first["key"])) == list(range(10))
    weekly = res.summary("week")
    assert weekly["key"].dtype == "int64" and weekly["key"].is_monotonic_increasing


def test_write_is_atomic_a_failing_write_leaves_the_old_file(tmp_path, res: Results,
                                                              monkeypatch) -> None:
    res.write(tmp_path)
    before = (tmp_path / "kpis.csv").read_bytes()

    def broken(handle, **kw):  # every CSV file is written through it
        handle.write("replication,dim")  # half a file, then the disk "fills up"
        raise OSError("no space left on device")

    monkeypatch.setattr(csv, "writer", broken)
    with pytest.raises(OutputError, match="cannot write"):  # exit 2 with the path
        res.write(tmp_path)
    assert (tmp_path / "kpis.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert (tmp_path / "INCOMPLETE").is_file()  # the folder says it is not complete
    monkeypatch.undo()
    res.write(tmp_path)
    assert not (tmp_path / "INCOMPLETE").exists()


def test_failed_replication_raises_with_its_index() -> None:
    sc = SyntheticScenario().with_overrides({"fail.replications": [2]})
    with pytest.raises(SupplylabError, match="replication 2 failed"):
        replicate(sc, 4, run_fn=run_synthetic)
    with pytest.raises(ExperimentError, match="unknown KPI"):
        replicate(SyntheticScenario(), 2, run_fn=run_synthetic, precision={"fil_rate": 0.1})


def test_print_table_shows_main_kpis_and_tiers(res: Results) -> None:
    from rich.console import Console

    con = Console(record=True, width=120)
    res.print_table(con)
    text = con.export_text()
    assert "fill_rate" in text and "by tier" in text and "gold" in text
