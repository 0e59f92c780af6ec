"""Faults: workers die with their parent, Ctrl-C says what was kept, stores are checked and
locked. The process tests run the real command line in a subprocess (its own process group)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from supplylab.cli import main
from supplylab.errors import ExperimentError
from supplylab.experiments import ResultStore, sweep
from supplylab.experiments.synthetic import SyntheticScenario, run_synthetic

DATA = Path(__file__).parent / "data"
EXPERIMENT = """\
name: faults
scenario: small.yaml
parameters:
  facilities.W.inventory.P.s: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
replications: 2
"""
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="process groups and signals")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    text = (DATA / "small.yaml").read_text().replace("horizon_days: 60", "horizon_days: 1500")
    (tmp_path / "small.yaml").write_text(text)
    (tmp_path / "exp.yaml").write_text(EXPERIMENT)
    return tmp_path


def _start_sweep(folder: Path) -> subprocess.Popen[str]:
    with open(folder / "stderr.txt", "w") as err:  # the child keeps its own copy
        return subprocess.Popen([sys.executable, "-m", "supplylab.cli", "sweep", "exp.yaml",
                                 "--out", "o", "--workers", "2"], cwd=folder,
                                stdout=subprocess.DEVNULL, stderr=err, text=True,
                                process_group=0)


def _stored(folder: Path) -> int:
    try:
        with sqlite3.connect(folder / "o" / "results.sqlite", timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


def _wait_for_runs(folder: Path, proc: subprocess.Popen[str], n: int = 2) -> None:
    deadline = time.time() + 120
    while _stored(folder) < n:
        assert proc.poll() is None, (folder / "stderr.txt").read_text()
        assert time.time() < deadline, "no run stored within 120 s"
        time.sleep(0.05)


def _group_gone(pgid: int, within: float) -> bool:
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@posix_only
def test_workers_die_with_a_killed_parent(folder: Path) -> None:
    proc = _start_sweep(folder)
    _wait_for_runs(folder, proc)
    os.kill(proc.pid, signal.SIGKILL)  # no shutdown message can reach the workers
    proc.wait()
    assert _group_gone(proc.pid, within=30), "worker processes outlived their parent"


@posix_only
def test_ctrl_c_says_what_is_stored_and_how_to_resume(folder: Path) -> None:
    proc = _start_sweep(folder)
    _wait_for_runs(folder, proc)
    os.killpg(proc.pid, signal.SIGINT)  # a terminal sends it to the whole group
    proc.wait(timeout=60)
    err = (folder / "stderr.txt").read_text()
    assert proc.returncode == 130
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("interrupted: ") and " of 20 runs stored in " in line, err
    assert "resume with: supplylab sweep exp.yaml --out o" in line
    assert (folder / "o" / "INCOMPLETE").is_file()
    kept = _stored(folder)
    assert main(["sweep", str(folder / "exp.yaml"), "--out", str(folder / "o"),
                 "--workers", "1"]) == 0
    with sqlite3.connect(folder / "o" / "results.sqlite") as db:
        rows = db.execute("SELECT point, replication, count(*) FROM runs GROUP BY 1, 2").fetchall()
    assert len(rows) == 20 and all(n == 1 for *_, n in rows) and kept <= 20
    assert not (folder / "o" / "INCOMPLETE").exists()


def _go(out: Path) -> object:
    return sweep(SyntheticScenario(), {"stock.level": [90.0, 110.0]}, replications=2, seed=4,
                 runner="serial", run_fn=run_synthetic, out=out, progress=False)


def test_a_second_writer_is_refused(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "results.sqlite"), \
            pytest.raises(ExperimentError, match="another sweep .* is writing"):
        _go(tmp_path)
    _go(tmp_path)  # the lock went with the first store


@pytest.mark.parametrize("damage", [
    "DROP TABLE kpi_values",
    "DELETE FROM kpi_values WHERE point = 1",
    "ALTER TABLE runs DROP COLUMN worker",
])
def test_a_damaged_store_is_refused_and_the_tables_kept(tmp_path: Path, damage: str,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    _go(tmp_path)
    before = (tmp_path / "sweep.csv").read_bytes()
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        db.execute(damage)
    with pytest.raises(ExperimentError) as exc:
        _go(tmp_path)
    text = str(exc.value)
    assert "damaged" in text and "mv " in text and ".damaged" in text
    assert (tmp_path / "sweep.csv").read_bytes() == before  # never rewritten emptier


def test_a_store_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    (tmp_path / "results.sqlite").write_bytes(b"not a database" * 100)
    with pytest.raises(ExperimentError, match="not a usable results store.*mv "):
        _go(tmp_path)


def test_a_corrupt_page_fails_the_integrity_check(tmp_path: Path) -> None:
    _go(tmp_path)
    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for k in range(page * 2 + 100, min(len(data), page * 3)):
        data[k] = 0xA5  # scribble over a table page
    path.write_bytes(bytes(data))
    with pytest.raises(ExperimentError, match="store|damaged"):
        _go(tmp_path)


@posix_only
def test_a_killed_worker_loses_no_run(tmp_path: Path) -> None:
    from supplylab.experiments.runners import RunPlan, execute

    from .killer import killing_run

    plan = RunPlan((SyntheticScenario(name=str(tmp_path)),), ((0, {}),), 3, None, killing_run)
    got: list = []
    execute(plan, [(0, r) for r in range(8)], got.append, runner="processes", workers=2)
    assert sorted(o.replication for o in got) == list(range(8))  # each exactly once
    assert all(o.ok for o in got), [o.error for o in got if not o.ok]
    assert (tmp_path / "killed-1").exists() and (tmp_path / "killed-4").exists()


@posix_only
def test_a_run_that_kills_every_worker_fails_alone(tmp_path: Path) -> None:
    from supplylab.experiments.runners import RunPlan, execute

    from .killer import killing_run

    folder = tmp_path / "poison"
    folder.mkdir()
    plan = RunPlan((SyntheticScenario(name=str(folder)),), ((0, {}),), 3, None, killing_run)
    got: list = []
    execute(plan, [(0, r) for r in range(6)], got.append, runner="processes", workers=2)
    assert sorted(o.replication for o in got) == list(range(6))
    failed = [o.replication for o in got if not o.ok]
    assert failed == [2] and "died" in got[[o.replication for o in got].index(2)].error
