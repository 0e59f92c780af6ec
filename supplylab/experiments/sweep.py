"""Parameter sweeps: run every (point, replication) of a design, store, summarise.

A sweep is a pure function of (scenario, overrides, seed, replication) returning flat rows
(engineering practice 12): the whole design is validated before the first run, the runs go to
any runner (the same tables on every runner and worker count), and with ``out`` each finished
run is committed to a SQLite store that a re-run resumes from.

``SweepResults.table`` columns: ``point, <one column per parameter path>, replication,
dimension, key, kpi, value``; ``summary()`` gives ``point, <parameters>, kpi, mean, ci_low,
ci_high, half_width, n`` (95% Student t over replications).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import _io
from ._types import RunFn, scenario_sha, supplylab_version
from .design import build_points
from .experiment import Experiment, experiment_from_api, load_experiment
from .progress import Progress
from .results import summarize
from .runners import Interrupted, RunOutcome, RunPlan, execute, resolve_runner
from .store import STORE_FILE, ResultStore, resume_hint

RUN_COLUMNS = ["point", "replication", "seed", "status", "error", "wall_seconds", "events",
               "started_at", "finished_at", "worker", "supplylab_version", "scenario_sha256",
               "units_conserved"]


@dataclass
class SweepResults:
    """The tidy table of a sweep, its runs (with failures) and where they were written."""

    experiment: Experiment
    table: pd.DataFrame
    runs: pd.DataFrame
    out: Path | None = None

    def __repr__(self) -> str:
        exp = self.experiment
        return (f"<SweepResults {exp.name!r}: {len(exp.points)} point(s) x {exp.replications} "
                f"replication(s), {len(self.failures)} failed; .summary(), .table, .runs, "
                ".failures>")

    @property
    def points(self) -> pd.DataFrame:
        """``point`` and one column per parameter path."""
        return points_frame(self.experiment)

    @property
    def failures(self) -> pd.DataFrame:
        """Failed runs: ``point, <parameters>, replication, seed, error``."""
        failed = self.runs[self.runs["status"] == "failed"]
        cols = ["point", "replication", "seed", "error"]
        return failed[cols].merge(self.points, on="point", how="left")[
            ["point", *self.points.columns[1:], "replication", "seed", "error"]
        ].reset_index(drop=True)

    def summary(self, dimension: str = "all") -> pd.DataFrame:
        """Mean and 95% interval per point and KPI (per key too for a breakdown)."""
        sub = self.table[self.table["dimension"] == dimension]
        group = ["point", "kpi"] if dimension == "all" else ["point", "key", "kpi"]
        stats = summarize(sub[[*group, "value"]], group) if not sub.empty else pd.DataFrame(
            columns=[*group, "mean", "ci_low", "ci_high", "half_width", "n"])
        merged = stats.merge(self.points, on="point", how="left", sort=False)
        front = ["point", *self.points.columns[1:]]
        return merged[front + [c for c in merged.columns if c not in front]]

    def write(self, out_dir: str | Path) -> Path:
        """``sweep.csv`` (tidy), ``summary.csv``, ``runs.csv``, ``experiment.json``; Parquet
        copies of the tidy table when pyarrow is importable. Each file written atomically."""
        with _io.output_folder(out_dir) as out:
            _io.write_csv(out / "sweep.csv", self.table)
            _io.write_parquet_if_possible(out / "sweep.parquet", self.table)
            _io.write_csv(out / "summary.csv", self.summary())
            _io.write_csv(out / "runs.csv", self.runs)
            _io.write_text(out / "experiment.json", json.dumps(describe(self.experiment),
                                                               indent=2, default=str) + "\n")
        return out

    def print_table(self, console: Any = None) -> None:
        from .tables import print_sweep_summary

        print_sweep_summary(self.summary(), list(self.experiment.parameters),
                            self.experiment.kpis, console)


def describe(exp: Experiment) -> dict[str, Any]:
    """The experiment definition as JSON-ready data (stored with the results)."""
    return {"name": exp.name, "file": str(exp.file) if exp.file else None,
            "scenario": getattr(exp.scenario, "name", ""),
            "scenario_sha256": scenario_sha(exp.scenario), "design": exp.design,
            "samples": exp.samples, "replications": exp.replications, "seed": exp.seed,
            "days": exp.days, "kpis": exp.kpis,
            "parameters": {p: (dataclasses.asdict(v) if dataclasses.is_dataclass(v) else list(v))
                           for p, v in exp.parameters.items()},
            "points": exp.points}


def points_frame(exp: Experiment) -> pd.DataFrame:
    """One row per design point: ``point`` and each parameter path as a column."""
    frame = pd.DataFrame(exp.points, columns=list(exp.parameters))
    frame.insert(0, "point", range(len(exp.points)))
    return frame


def _as_experiment(target: Any, parameters: Mapping[str, Any] | None, design: str,
                   samples: int | None, replications: int | None, seed: int | None,
                   kpis: Sequence[str] | None, days: float | None) -> Experiment:
    if isinstance(target, str | Path):
        exp = load_experiment(target)
    elif isinstance(target, Experiment):
        exp = target
    else:
        return experiment_from_api(target, parameters or {}, design=design, samples=samples,
                                   replications=replications, seed=seed, kpis=kpis, days=days)
    changes: dict[str, Any] = {}
    if replications is not None:
        changes["replications"] = int(replications)
    if kpis is not None:
        changes["kpis"] = list(kpis)
    if days is not None:
        changes["days"] = days
    if seed is not None and seed != exp.seed:
        changes["seed"] = int(seed)
        changes["points"] = build_points(exp.design, exp.parameters, samples=exp.samples,
                                         seed=int(seed))
    return dataclasses.replace(exp, **changes) if changes else exp


def _tidy(values: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """Join the parameter columns onto ``point, replication, dimension, key, kpi, value``."""
    table = values.merge(points_frame(exp), on="point", how="left", sort=False)
    cols = ["point", *exp.parameters, "replication", "dimension", "key", "kpi", "value"]
    return table[cols].reset_index(drop=True)


def _memory_tables(outcomes: list[RunOutcome], version: str, sha: str
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    outcomes = sorted(outcomes, key=lambda o: (o.point, o.replication))
    rows = [(o.point, o.replication, d, k, kpi, float(v))
            for o in outcomes if o.result is not None for d, k, kpi, v in o.result.rows()]
    values = pd.DataFrame(rows, columns=["point", "replication", "dimension", "key", "kpi",
                                         "value"])
    values = values.astype({"point": "int64", "replication": "int64", "value": "float64"})
    runs = pd.DataFrame(
        [(o.point, o.replication, o.seed, "ok" if o.ok else "failed", o.error, o.wall_seconds,
          o.result.events if o.result else None, o.started, o.finished, o.worker, version, sha,
          int(o.result.audit.units_conserved) if o.result else None) for o in outcomes],
        columns=RUN_COLUMNS)
    return values, runs


def sweep(scenario_or_experiment: Any, parameters: Mapping[str, Any] | None = None,
          design: str = "grid", *, samples: int | None = None, replications: int | None = None,
          seed: int | None = None, kpis: Sequence[str] | None = None, days: float | None = None,
          runner: str = "processes", workers: int | None = None, dask: str | None = None,
          out: str | Path | None = None, progress: bool = True,
          run_fn: RunFn | None = None,
          on_outcome: Callable[[RunOutcome], None] | None = None) -> SweepResults:
    """Run a parameter sweep and return its tidy table, summary and failures.

    ``scenario_or_experiment`` is a scenario (then ``parameters`` maps dotted paths to value
    lists or ``{"low":, "high":}`` bounds and ``design`` is grid | list | lhs), a loaded
    :class:`Experiment`, or the path of an experiment YAML file. Every point is validated with
    ``with_overrides`` before anything runs. Replication k of every point uses ``(seed, k)``
    (common random numbers across points). ``runner``: serial | processes | dask (``dask`` =
    ``"local"`` or a scheduler address; implies the Dask runner). With ``out`` the runs go to
    ``out/results.sqlite`` as they finish and a re-run skips finished runs; the tables are
    then written to ``out`` too. A run that raises is recorded in ``failures``; the sweep goes
    on.
    """
    exp = _as_experiment(scenario_or_experiment, parameters, design, samples, replications,
                         seed, kpis, days)
    runner = resolve_runner(runner, workers, dask)
    version, sha = supplylab_version(), scenario_sha(exp.scenario)
    plan = RunPlan((exp.scenario,), tuple((0, p) for p in exp.points), exp.seed, exp.days,
                   run_fn, frozenset(exp.kpis) if exp.kpis else None)
    tasks = [(p, r) for p in range(len(exp.points)) for r in range(exp.replications)]
    total = len(tasks)
    outcomes: list[RunOutcome] = []
    with ExitStack() as stack:
        store = None
        if out is not None:
            stack.enter_context(_io.output_folder(out))  # INCOMPLETE until the tables are written
            store = stack.enter_context(ResultStore(Path(out) / STORE_FILE))
            exp_id = store.open_experiment(
                name=exp.name, content_sha256=exp.content_sha256,
                scenario=str(getattr(exp.scenario, "name", "")), scenario_sha256=sha,
                version=version, definition=describe(exp), points=exp.points)
            finished = store.finished(exp_id)
            tasks = [t for t in tasks if t not in finished]
        bar = stack.enter_context(Progress(total, total - len(tasks), progress, label="sweep"))

        def record(o: RunOutcome) -> None:
            if store is not None:
                store.record(exp_id, o, version=version, scenario_sha256=sha)
            else:
                outcomes.append(o)
            bar.advance(o.ok)
            if on_outcome is not None:
                on_outcome(o)

        try:
            execute(plan, tasks, record, runner=runner, workers=workers, dask=dask)
        except KeyboardInterrupt:
            raise Interrupted(resume_hint(exp, out, store, exp_id if store else None,
                                          total)) from None
        if store is not None:
            values = store.values(exp_id, exp.replications)
            runs = store.runs(exp_id)
            runs = runs[runs["replication"] < exp.replications].reset_index(drop=True)
        else:
            values, runs = _memory_tables(outcomes, version, sha)
        result = SweepResults(exp, _tidy(values, exp), runs,
                              Path(out) if out is not None else None)
        if out is not None:
            result.write(out)
    return result
