"""The SQLite results store: experiments kept apart, mismatches refused, resume skips work."""

from __future__ import annotations

import sqlite3
import sys

import pandas as pd
import pytest

from supplylab.errors import ExperimentError
from supplylab.experiments import ResultStore, sweep
from supplylab.experiments.synthetic import SyntheticScenario, run_synthetic

A = {"stock.level": [90.0, 110.0]}
B = {"costs.unit": [1.0, 2.0, 3.0]}


def go(out, params=A, scenario=None, counter=None, **kw):
    kw.setdefault("replications", 2)
    return sweep(scenario or SyntheticScenario(), params, seed=4, runner="serial",
                 run_fn=run_synthetic, out=out, progress=False,
                 on_outcome=(lambda o: counter.append(o)) if counter is not None else None, **kw)


def test_stored_table_equals_the_in_memory_table(tmp_path) -> None:
    stored = go(tmp_path)
    memory = go(None)
    pd.testing.assert_frame_equal(stored.table, memory.table, check_exact=True)
    for name in ("sweep.csv", "summary.csv", "runs.csv", "experiment.json", "results.sqlite"):
        assert (tmp_path / name).is_file()
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert len(runs) == 4 and set(runs["status"]) == {"ok"}
    assert set(runs["supplylab_version"]) == {stored.runs["supplylab_version"][0]}


def test_two_experiments_in_one_store_stay_apart(tmp_path) -> None:
    a = go(tmp_path, A)
    b = sweep(SyntheticScenario(), B, replications=2, seed=4, runner="serial",
              run_fn=run_synthetic, out=tmp_path, progress=False)
    with ResultStore(tmp_path / "results.sqlite") as store:
        exps = store.experiments()
        assert len(exps) == 2
        ids = exps["experiment_id"].tolist()
        assert [len(store.runs(i)) for i in ids] == [4, 6]
    assert set(a.table.columns) >= {"stock.level"} and set(b.table.columns) >= {"costs.unit"}
    again: list = []
    a2 = go(tmp_path, A, counter=again)
    assert again == []  # nothing re-run
    pd.testing.assert_frame_equal(a2.table, a.table, check_exact=True)


def test_resume_runs_only_what_is_missing_and_more_replications_extend(tmp_path) -> None:
    first: list = []
    go(tmp_path, counter=first, replications=2)
    assert len(first) == 4
    more: list = []
    res = go(tmp_path, counter=more, replications=3)
    assert sorted((o.point, o.replication) for o in more) == [(0, 2), (1, 2)]
    pd.testing.assert_frame_equal(res.table, go(None, replications=3).table, check_exact=True)
    fewer = go(tmp_path, replications=1)
    assert set(fewer.table["replication"]) == {0}


def test_failed_runs_are_stored_with_their_error_and_retried_on_resume(tmp_path) -> None:
    sc = SyntheticScenario().with_overrides({"fail.replications": [1]})
    res = go(tmp_path, scenario=sc)
    assert len(res.failures) == 2 and res.failures["error"].str.contains("synthetic failure").all()
    retried: list = []
    go(tmp_path, scenario=sc, counter=retried)
    assert sorted((o.point, o.replication) for o in retried) == [(0, 1), (1, 1)]
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 4


def test_a_store_from_another_version_is_refused(tmp_path, monkeypatch) -> None:
    go(tmp_path)
    # the module, not the function of the same name exported by the package
    monkeypatch.setattr(sys.modules["supplylab.experiments.sweep"], "supplylab_version",
                        lambda: "9.9.9")
    with pytest.raises(ExperimentError, match=r"run by supplylab .* this is 9\.9\.9; use a new "
                                              r"--out folder") as exc:
        go(tmp_path)
    assert exc.value.exit_code == 2


def test_a_store_from_other_scenario_content_is_refused(tmp_path) -> None:
    go(tmp_path)
    changed = SyntheticScenario().with_overrides({"demand.sd": 25.0})
    with pytest.raises(ExperimentError, match="different scenario content.*new --out folder"):
        go(tmp_path, scenario=changed)


def test_a_file_that_is_not_a_store_is_refused(tmp_path) -> None:
    (tmp_path / "results.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(ExperimentError, match="not a usable results store"):
        go(tmp_path)


def test_store_schema_has_the_documented_tables(tmp_path) -> None:
    go(tmp_path)
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        cols = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
    assert tables == {"experiments", "points", "runs", "kpi_values"}
    assert mode == "wal"
    assert {"status", "seed", "wall_seconds", "started_at", "finished_at", "supplylab_version",
            "scenario_sha256", "error"} <= cols
