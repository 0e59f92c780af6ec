"""Resume after a real Ctrl-C (SIGINT) and a SIGKILL: every run stored exactly once."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from supplylab.experiments import sweep
from supplylab.experiments.synthetic import SyntheticScenario, run_synthetic

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

POINTS = {"stock.level": [90.0, 100.0, 110.0]}
REPS = 8
TOTAL = len(POINTS["stock.level"]) * REPS
SCRIPT = """
import sys
from supplylab.experiments import sweep
from supplylab.experiments.synthetic import SyntheticScenario, run_synthetic
sc = SyntheticScenario().with_overrides({"work.sleep_seconds": 0.15})
sweep(sc, {"stock.level": [90.0, 100.0, 110.0]}, replications=8, seed=5, runner=sys.argv[2],
      workers=2, run_fn=run_synthetic, out=sys.argv[1], progress=False)
"""


def stored(out: Path) -> int:
    db = out / "results.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def start(out: Path, runner: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(out), runner],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def interrupt_midway(out: Path, runner: str, sig: int) -> int:
    proc = start(out, runner)
    try:
        deadline = time.monotonic() + 60
        while stored(out) < 4:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "sweep made no progress"
            time.sleep(0.05)
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
    finally:
        # the sweep's own worker processes share its session: end them with it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.stderr:
            proc.stderr.close()
    return stored(out)


def started_at(out: Path) -> dict[tuple[int, int], float]:
    with sqlite3.connect(out / "results.sqlite") as con:
        rows = con.execute("SELECT point, replication, started_at FROM runs WHERE status='ok'")
        return {(p, r): t for p, r, t in rows}


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The uninterrupted sweep (KPIs do not depend on the sleep, only wall time does)."""
    return sweep(SyntheticScenario(), POINTS, replications=REPS, seed=5, runner="serial",
                 run_fn=run_synthetic, progress=False).table


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "runner"), [(signal.SIGINT, "processes"),
                                             (signal.SIGKILL, "processes"),
                                             (signal.SIGKILL, "serial")],
                         ids=["sigint-processes", "sigkill-processes", "sigkill-serial"])
def test_rerun_after_interrupt_completes_without_repeating_or_losing_runs(
        tmp_path: Path, reference: pd.DataFrame, sig: int, runner: str) -> None:
    done = interrupt_midway(tmp_path, runner, sig)
    assert 4 <= done < TOTAL, f"interrupted after {done} runs"
    before = started_at(tmp_path)
    proc = start(tmp_path, runner)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    after = started_at(tmp_path)
    assert len(after) == TOTAL
    assert all(after[k] == t for k, t in before.items())  # finished runs were not repeated
    with sqlite3.connect(tmp_path / "results.sqlite") as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == TOTAL
        dup = con.execute("SELECT count(*) FROM (SELECT point, replication, seq FROM kpi_values "
                          "GROUP BY point, replication, seq HAVING count(*) > 1)").fetchone()[0]
        assert dup == 0
    table = pd.read_csv(tmp_path / "sweep.csv", keep_default_na=False)
    assert len(table) == len(reference)
    assert table["value"].tolist() == reference["value"].tolist()
    assert table["point"].tolist() == reference["point"].tolist()
