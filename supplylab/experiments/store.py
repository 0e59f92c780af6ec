"""SQLite results store of a sweep: every finished run is committed as it arrives.

One file (``results.sqlite`` in the output folder) may hold several experiments, kept apart
by (experiment name, content hash of its points/seed/horizon/KPIs). Re-running the same
experiment into the same store resumes: finished runs (status ``ok``) are skipped, failed
runs are tried again. A store whose experiment was written from different scenario content
or by a different supplylab version is refused rather than mixed.

Schema (docs/experiments.md)::

    experiments(experiment_id PK, name, content_sha256, scenario, scenario_sha256,
                supplylab_version, definition_json, created_at)   UNIQUE(name, content_sha256)
    points(experiment_id, point, overrides_json)                    PK(experiment_id, point)
    runs(experiment_id, point, replication, seed, status, error, wall_seconds, events,
         started_at, finished_at, worker, supplylab_version, scenario_sha256, units_conserved)
                                                                    PK(experiment_id, point, replication)
    kpi_values(experiment_id, point, replication, seq, dimension, key, kpi, value)
                                                                    PK(experiment_id, point, replication, seq)

WAL journal with ``synchronous=NORMAL`` survives a killed process (only a power cut may
lose the last commits); one transaction per run, so a run is stored whole or not at all.

Opening an existing store checks it first (the four tables with their columns, ``PRAGMA
integrity_check``, every finished run has its KPI rows) and refuses a damaged one with the way
out, so a resume never rewrites good tables from an emptied store. A lock file beside the
store (``results.sqlite.lock``) keeps a second sweep from computing into the same folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from supplylab.errors import ExperimentError
from supplylab.io import output_errors

from .runners import RunOutcome

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (
    experiment_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    scenario TEXT NOT NULL,
    scenario_sha256 TEXT NOT NULL,
    supplylab_version TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (name, content_sha256)
);
CREATE TABLE IF NOT EXISTS points (
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    point INTEGER NOT NULL,
    overrides_json TEXT NOT NULL,
    PRIMARY KEY (experiment_id, point)
);
CREATE TABLE IF NOT EXISTS runs (
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error TEXT,
    wall_seconds REAL,
    events INTEGER,
    started_at REAL,
    finished_at REAL,
    worker TEXT,
    supplylab_version TEXT NOT NULL,
    scenario_sha256 TEXT NOT NULL,
    units_conserved INTEGER,
    PRIMARY KEY (experiment_id, point, replication)
);
CREATE TABLE IF NOT EXISTS kpi_values (
    experiment_id INTEGER NOT NULL,
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    kpi TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (experiment_id, point, replication, seq)
);
"""

STORE_FILE = "results.sqlite"
#: The columns of each table, as the schema creates them (checked when a store is opened).
TABLES = {
    "experiments": ["experiment_id", "name", "content_sha256", "scenario", "scenario_sha256",
                    "supplylab_version", "definition_json", "created_at"],
    "points": ["experiment_id", "point", "overrides_json"],
    "runs": ["experiment_id", "point", "replication", "seed", "status", "error",
             "wall_seconds", "events", "started_at", "finished_at", "worker",
             "supplylab_version", "scenario_sha256", "units_conserved"],
    "kpi_values": ["experiment_id", "point", "replication", "seq", "dimension", "key", "kpi",
                   "value"],
}


def _way_out(path: Path) -> str:
    return (f"move it aside (mv {shlex.quote(str(path))} "
            f"{shlex.quote(str(path) + '.damaged')}) and run again to recompute, or use a new "
            "--out folder")


class ResultStore:
    """A SQLite results store; use as a context manager or call :meth:`close`.

    ``lock`` (default) holds an exclusive lock on ``<store>.lock`` while open: a second
    writer is refused at once rather than computing the same runs.
    """

    def __init__(self, path: str | Path, *, lock: bool = True) -> None:
        self.path = Path(path)
        self._lock: IO[str] | None = None
        with output_errors(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if lock:
                self._lock = _acquire(self.path.with_name(self.path.name + ".lock"))
        existing = self.path.is_file() and self.path.stat().st_size > 0
        try:
            self.db = sqlite3.connect(self.path, timeout=30.0)
            if existing:
                self._check()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise ExperimentError(f"{self.path}: not a usable results store ({exc}); "
                                  f"{_way_out(self.path)}") from None
        except BaseException:
            self.close()
            raise

    def _check(self) -> None:
        """Refuse a damaged store: a missing table or column, a failed integrity check, or a
        finished run without its KPI rows (a resume would silently drop them)."""
        problems: list[str] = []
        for table, columns in TABLES.items():
            have = [r[1] for r in self.db.execute(f"PRAGMA table_info({table})")]
            if not have:
                problems.append(f"table {table} is missing")
            elif missing := [c for c in columns if c not in have]:
                problems.append(f"table {table} lacks column(s) {', '.join(missing)}")
        if not problems:
            status = self.db.execute("PRAGMA integrity_check").fetchone()[0]
            if status != "ok":
                problems.append(f"integrity check failed: {status}")
        if not problems:
            (empty,) = self.db.execute(
                "SELECT COUNT(*) FROM runs r WHERE r.status = 'ok' AND NOT EXISTS (SELECT 1 "
                "FROM kpi_values v WHERE v.experiment_id = r.experiment_id AND v.point = "
                "r.point AND v.replication = r.replication)").fetchone()
            if empty:
                problems.append(f"{empty} finished run(s) have no KPI values")
        if problems:
            raise ExperimentError(f"{self.path}: the results store is damaged ("
                                  f"{'; '.join(problems)}); {_way_out(self.path)}")

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None

    def stored(self, exp_id: int) -> int:
        """How many runs of the experiment are stored as finished."""
        return len(self.finished(exp_id))

    def open_experiment(self, *, name: str, content_sha256: str, scenario: str,
                        scenario_sha256: str, version: str, definition: dict[str, Any],
                        points: Sequence[dict[str, Any]]) -> int:
        """The id of this experiment in the store, created if new; refuses a mismatch.

        Same name and content but a different scenario hash or supplylab version means the
        stored runs were computed by another model: mixing them would silently bias every
        interval, so this raises ``ExperimentError``.
        """
        row = self.db.execute(
            "SELECT experiment_id, scenario_sha256, supplylab_version FROM experiments "
            "WHERE name = ? AND content_sha256 = ?", (name, content_sha256)).fetchone()
        if row is not None:
            exp_id, stored_sha, stored_version = row
            if stored_sha != scenario_sha256:
                raise ExperimentError(
                    f"{self.path}: experiment '{name}' in this store was run on a different "
                    f"scenario content (sha256 {stored_sha[:12]}..., now "
                    f"{scenario_sha256[:12]}...); use a new --out folder to run it again")
            if stored_version != version:
                raise ExperimentError(
                    f"{self.path}: experiment '{name}' in this store was run by supplylab "
                    f"{stored_version}, this is {version}; use a new --out folder to run it "
                    "again")
            return int(exp_id)
        with self.db:
            cur = self.db.execute(
                "INSERT INTO experiments (name, content_sha256, scenario, scenario_sha256, "
                "supplylab_version, definition_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, content_sha256, scenario, scenario_sha256, version,
                 json.dumps(definition, sort_keys=True, default=str), time.time()))
            exp_id = int(cur.lastrowid or 0)
            self.db.executemany(
                "INSERT INTO points (experiment_id, point, overrides_json) VALUES (?, ?, ?)",
                [(exp_id, i, json.dumps(p, sort_keys=True, default=str))
                 for i, p in enumerate(points)])
        return exp_id

    def finished(self, exp_id: int) -> set[tuple[int, int]]:
        """(point, replication) pairs already stored with status ``ok``."""
        rows = self.db.execute("SELECT point, replication FROM runs WHERE experiment_id = ? "
                               "AND status = 'ok'", (exp_id,))
        return {(int(p), int(r)) for p, r in rows}

    def record(self, exp_id: int, outcome: RunOutcome, *, version: str,
               scenario_sha256: str) -> None:
        """Store one run (and its KPI rows) in a single transaction, replacing a failed try."""
        res = outcome.result
        with self.db:
            self.db.execute("DELETE FROM kpi_values WHERE experiment_id = ? AND point = ? "
                            "AND replication = ?", (exp_id, outcome.point, outcome.replication))
            self.db.execute(
                "INSERT OR REPLACE INTO runs (experiment_id, point, replication, seed, status, "
                "error, wall_seconds, events, started_at, finished_at, worker, "
                "supplylab_version, scenario_sha256, units_conserved) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (exp_id, outcome.point, outcome.replication, outcome.seed,
                 "ok" if outcome.ok else "failed", outcome.error, outcome.wall_seconds,
                 res.events if res else None, outcome.started, outcome.finished, outcome.worker,
                 version, scenario_sha256,
                 int(res.audit.units_conserved) if res else None))
            if res is not None:
                self.db.executemany(
                    "INSERT INTO kpi_values VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(exp_id, outcome.point, outcome.replication, i, d, k, kpi, float(v))
                     for i, (d, k, kpi, v) in enumerate(res.rows())])

    def values(self, exp_id: int, replications: int | None = None) -> pd.DataFrame:
        """Stored KPI rows ``point, replication, dimension, key, kpi, value`` of finished runs,
        ordered by (point, replication, engine row order); optionally only replications below
        ``replications``."""
        sql = ("SELECT v.point, v.replication, v.dimension, v.key, v.kpi, v.value "
               "FROM kpi_values v JOIN runs r USING (experiment_id, point, replication) "
               "WHERE v.experiment_id = ? AND r.status = 'ok'")
        args: list[Any] = [exp_id]
        if replications is not None:
            sql += " AND v.replication < ?"
            args.append(replications)
        sql += " ORDER BY v.point, v.replication, v.seq"
        frame = pd.read_sql_query(sql, self.db, params=args)
        return frame.astype({"point": "int64", "replication": "int64", "value": "float64"})

    def runs(self, exp_id: int) -> pd.DataFrame:
        """One row per stored run (status, seed, timings, versions, error), by point, replication."""
        return pd.read_sql_query(
            "SELECT point, replication, seed, status, error, wall_seconds, events, started_at, "
            "finished_at, worker, supplylab_version, scenario_sha256, units_conserved "
            "FROM runs WHERE experiment_id = ? ORDER BY point, replication", self.db,
            params=[exp_id])

    def experiments(self) -> pd.DataFrame:
        """The experiments held in this store."""
        return pd.read_sql_query(
            "SELECT experiment_id, name, content_sha256, scenario, scenario_sha256, "
            "supplylab_version, created_at FROM experiments ORDER BY experiment_id", self.db)


def _acquire(lock_path: Path) -> IO[str]:
    """An open lock file holding an exclusive lock; refuses when another process has it."""
    fh = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held while the store is open
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; the store stays usable
        return fh
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        holder = fh.read().strip() or "another process"
        fh.close()
        raise ExperimentError(f"{lock_path.parent}: another sweep ({holder}) is writing to this "
                              "results store; wait for it to finish or use another --out "
                              "folder") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()}")
    fh.flush()
    return fh


def resume_hint(exp: Any, out: str | Path | None, store: ResultStore | None,
                exp_id: int | None, total: int) -> str:
    """What an interrupted sweep kept and the command that resumes it."""
    if store is None or exp_id is None or out is None:
        return "the sweep was not stored (no out folder): nothing to resume"
    with contextlib.suppress(sqlite3.Error):
        done = store.stored(exp_id)
        where = Path(out) / STORE_FILE
        if getattr(exp, "file", None):
            cmd = f"supplylab sweep {shlex.quote(str(exp.file))} --out {shlex.quote(str(out))}"
        else:
            cmd = f"the same sweep(..., out={str(out)!r}) call"
        return f"{done} of {total} runs stored in {where}; resume with: {cmd}"
    return f"the runs finished so far are stored in {Path(out) / STORE_FILE}"
