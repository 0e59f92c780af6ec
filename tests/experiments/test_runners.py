"""Runners: serial, local processes and Dask give bit-identical tables; failures go on."""

from __future__ import annotations

import sys
import time

import pandas as pd
import pytest

from supplylab.errors import ExperimentError
from supplylab.experiments import RunPlan, execute, sweep
from supplylab.experiments.synthetic import SyntheticScenario, run_noop, run_synthetic

PARAMS = {"stock.level": [90.0, 110.0], "costs.unit": [1.0, 2.5]}


def run_sweep(**kw):
    return sweep(SyntheticScenario(), PARAMS, replications=3, seed=17, run_fn=run_synthetic,
                 progress=False, **kw)


@pytest.fixture(scope="module")
def serial():
    return run_sweep(runner="serial")


@pytest.fixture(scope="module")
def dask_address():
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    # Threads are enough to prove equivalence through a real scheduler; the benchmark covers
    # process workers (dask="local").
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                      host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        yield cluster.scheduler_address


def test_table_has_the_documented_columns_and_order(serial) -> None:
    t = serial.table
    assert list(t.columns) == ["point", "stock.level", "costs.unit", "replication", "dimension",
                               "key", "kpi", "value"]
    keys = list(zip(t["point"], t["replication"], strict=True))
    assert keys == sorted(keys)
    assert set(t["point"]) == {0, 1, 2, 3} and set(t["replication"]) == {0, 1, 2}
    s = serial.summary()
    assert list(s.columns) == ["point", "stock.level", "costs.unit", "kpi", "mean", "ci_low",
                               "ci_high", "half_width", "n"]
    assert (s["n"] == 3).all() and serial.failures.empty


@pytest.mark.parametrize("workers", [1, 2])
def test_processes_give_the_same_table_as_serial(serial, workers: int) -> None:
    res = run_sweep(runner="processes", workers=workers)
    pd.testing.assert_frame_equal(res.table, serial.table, check_exact=True)
    pd.testing.assert_frame_equal(res.summary(), serial.summary(), check_exact=True)


def test_dask_cluster_gives_the_same_table_as_serial(serial, dask_address: str) -> None:
    res = run_sweep(dask=dask_address, workers=2)
    pd.testing.assert_frame_equal(res.table, serial.table, check_exact=True)


def test_a_failing_run_is_recorded_and_the_sweep_goes_on() -> None:
    res = sweep(SyntheticScenario(), {"fail.replications": [[], [0, 2]]}, replications=3,
                runner="processes", workers=2, run_fn=run_synthetic, progress=False)
    f = res.failures
    assert list(zip(f["point"], f["replication"], strict=True)) == [(1, 0), (1, 2)]
    assert f["error"].str.contains("RuntimeError: synthetic failure in replication").all()
    assert set(res.table["replication"][res.table["point"] == 1]) == {1}
    assert len(res.runs) == 6 and (res.runs["status"] == "ok").sum() == 4


def test_per_run_overhead_of_the_process_runner_is_below_50_ms() -> None:
    plan = RunPlan((SyntheticScenario(),), ((0, {}),), seed=1, run_fn=run_noop)

    def wall(n: int) -> float:
        t0 = time.perf_counter()
        execute(plan, [(0, k) for k in range(n)], lambda o: None, runner="processes",
                workers=2)
        return time.perf_counter() - t0

    per_run = (wall(301) - wall(1)) / 300
    assert per_run < 0.05, f"{per_run * 1000:.1f} ms per run"


def test_missing_dask_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    plan = RunPlan((SyntheticScenario(),), ((0, {}),), seed=1, run_fn=run_noop)
    with pytest.raises(ExperimentError, match=r"pip install supplylab\[dask\]"):
        execute(plan, [(0, 0)], lambda o: None, dask="local")


def test_unknown_runner_is_refused() -> None:
    with pytest.raises(ExperimentError, match="unknown runner"):
        run_sweep(runner="threads")


def test_progress_stays_quiet_when_stderr_is_not_a_terminal(capsys) -> None:
    sweep(SyntheticScenario(), {"stock.level": [90.0]}, replications=2, runner="serial",
          run_fn=run_synthetic, progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_cli_runner_choice() -> None:
    from supplylab.errors import InputError
    from supplylab.experiments.commands import choose_runner

    assert choose_runner(1, None, 10) == "serial"
    assert choose_runner(2, None, 10) == "processes"
    assert choose_runner(4, None, 1) == "serial"
    assert choose_runner(None, "tcp://127.0.0.1:8786", 10) == "dask"
    with pytest.raises(InputError, match="either --workers or --dask"):
        choose_runner(2, "local", 10)


def test_dask_local_cluster_started_by_the_runner_gives_the_same_table(serial) -> None:
    pytest.importorskip("distributed")
    res = run_sweep(dask="local", workers=2)
    pd.testing.assert_frame_equal(res.table, serial.table, check_exact=True)
