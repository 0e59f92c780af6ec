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
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from supplylab.errors import ExperimentError

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


class ResultStore:
    """A SQLite results store; use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=30.0)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ExperimentError(f"{self.path}: not a usable results store ({exc}); "
                                  "use a new --out folder") from exc

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

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
