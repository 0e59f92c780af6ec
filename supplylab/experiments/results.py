"""Replicated results of one scenario: tidy tables, intervals, the ``run --json`` document.

:func:`replicate` runs a scenario's replications (optionally until a precision target is met)
and returns :class:`Results`. Column schema of the tables (docs/experiments.md):

* ``Results.kpis``: ``replication, dimension, key, kpi, value`` -- one row per replication x
  dimension x key x KPI; the overall values have ``dimension == key == "all"``.
* ``Results.timeseries``: the period rows (dimensions ``week``/``month``) of ``kpis``, with
  ``key`` as the integer period number counted from the end of the warm-up.
* ``Results.summary(dim)``: ``[key,] kpi, mean, ci_low, ci_high, half_width, n`` (95%
  interval, kept inside the KPI's range: docs/kpis.md).

The intervals, the JSON document, the terminal table and the files of ``write`` are computed
from plain lists; the pandas tables are built only when first asked for (``kpis``,
``timeseries``, ``summary()``, ``summary_table()``), so ``supplylab run`` never imports
pandas (start-up).
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supplylab.errors import ExperimentError, SupplylabError
from supplylab.sim.result import ReplicationResult

from . import _io
from ._types import RunFn, scenario_sha, sim_setting, supplylab_version
from .progress import Progress
from .runners import RunOutcome, RunPlan, execute
from .stats import Interval, bounded_interval, precision_shortfall, replications_needed, t_interval

if TYPE_CHECKING:
    import pandas as pd

#: Breakdown dimensions reported in the JSON document's ``by`` section.
DOCUMENT_DIMENSIONS = ("tier", "product", "facility", "operator", "abc_class", "customer",
                       "week", "month")
PERIOD_DIMENSIONS = ("week", "month")
KPI_COLUMNS = ["replication", "dimension", "key", "kpi", "value"]
SUMMARY_COLUMNS = ["kpi", "mean", "ci_low", "ci_high", "half_width", "n"]
#: KPIs shown first in the terminal table, when present.
MAIN_KPIS = ("fill_rate", "otif_rate", "order_cycle_time_mean", "lost_sales_rate",
             "inventory_turns", "total_cost", "profit", "co2_kg")

#: groups of values: group keys -> the values in row order (groups in first-appearance order)
Groups = dict[tuple[Hashable, ...], list[float]]


def kpi_rows(results: Sequence[ReplicationResult]) -> list[tuple[int, str, Any, str, float]]:
    """One ``(replication, dimension, key, kpi, value)`` per replication x dimension x key x
    KPI, in replication then engine order (:data:`KPI_COLUMNS`; no pandas)."""
    return [(int(r.replication), dim, key, kpi, float(value))
            for r in results for dim, key, kpi, value in r.rows()]


def tidy_rows(results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """The rows of :func:`kpi_rows` as a table."""
    import pandas as pd

    frame = pd.DataFrame(kpi_rows(results), columns=KPI_COLUMNS)
    return frame.astype({"replication": "int64", "value": "float64"})


def group_values(results: Sequence[ReplicationResult]) -> dict[str, Groups]:
    """The values of :func:`tidy_rows` without pandas: dimension -> (key, kpi) -> values in
    replication order; dimensions and groups in first-appearance order (as the table's)."""
    out: dict[str, Groups] = {}
    for r in results:
        for dim, key, kpi, value in r.rows():
            out.setdefault(dim, {}).setdefault((key, kpi), []).append(float(value))
    return out


def group_intervals(groups: Mapping[tuple[Hashable, ...], Iterable[float]], kpi_at: int | None,
              only: str | None = None) -> list[tuple[Any, ...]]:
    """``(*keys, mean, ci_low, ci_high, half_width, n)`` per group, in the groups' order.

    Each interval is kept inside its KPI's range: the KPI is ``keys[kpi_at]``, else ``only``
    (the one KPI of all the groups); without either the plain t interval is given.
    """
    out = []
    for keys, values in groups.items():
        kpi = str(keys[kpi_at]) if kpi_at is not None else only
        iv = bounded_interval(values, kpi) if kpi is not None else t_interval(values)
        out.append((*keys, iv.mean, iv.ci_low, iv.ci_high, iv.half_width, iv.n))
    return out


def summarize(frame: pd.DataFrame, group: Sequence[str]) -> pd.DataFrame:
    """Interval of ``value`` per group (first-appearance order), with the summary columns.

    Each interval is kept inside its KPI's range: the KPI is the group's ``kpi`` key, else the
    frame's one ``kpi`` value; rows of several KPIs grouped together get the plain t interval.
    """
    at = list(group).index("kpi") if "kpi" in group else None
    only = None
    if at is None and "kpi" in frame.columns and frame["kpi"].nunique() == 1:
        only = str(frame["kpi"].iloc[0])
    groups: Groups = {}
    for keys, sub in frame.groupby(list(group), sort=False):
        groups[keys if isinstance(keys, tuple) else (keys,)] = sub["value"].to_numpy()
    return summary_frame(group_intervals(groups, at, only), list(group))


def summary_frame(rows: Sequence[tuple[Any, ...]], group: Sequence[str]) -> pd.DataFrame:
    """The rows of :func:`group_intervals` as a table: ``*group, mean, ci_low, ci_high,
    half_width, n``."""
    import pandas as pd

    cols = [*group, "mean", "ci_low", "ci_high", "half_width", "n"]
    return pd.DataFrame(rows, columns=cols).astype({"n": "int64"})


def _num(x: float) -> float | None:
    """JSON has no NaN: undefined values (n=1 intervals, empty rates) become null."""
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


@dataclass
class Results:
    """All replications of one scenario, with the context needed to report them."""

    replications: list[ReplicationResult]
    scenario_name: str = ""
    scenario_sha256: str = ""
    seed: int = 0
    horizon_days: float | None = None
    warmup_days: float | None = None
    version: str = field(default_factory=supplylab_version)
    #: the scenario run, for the customer analytics (contracts, tiers, discount rate)
    scenario: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.replications = sorted(self.replications, key=lambda r: r.replication)
        self._kpis: pd.DataFrame | None = None
        self._groups: dict[str, Groups] | None = None
        self._intervals: dict[str, list[tuple[Any, ...]]] = {}

    @property
    def n(self) -> int:
        return len(self.replications)

    def __repr__(self) -> str:  # short: the default would print every replication's records
        kpis = len(self.replications[0].kpis) if self.replications else 0
        return (f"<Results {self.scenario_name!r}: {self.n} replication(s), seed {self.seed}, "
                f"{kpis} KPIs; .summary(), .kpis, .timeseries, .print_table()>")

    @property
    def kpis(self) -> pd.DataFrame:
        """Tidy table: ``replication, dimension, key, kpi, value``."""
        if self._kpis is None:
            self._kpis = tidy_rows(self.replications)
        return self._kpis

    @property
    def dimensions(self) -> list[str]:
        """The dimensions present (``"all"`` first), in the order of :attr:`kpis`."""
        return list(self._grouped())

    def _grouped(self) -> dict[str, Groups]:
        if self._groups is None:
            self._groups = group_values(self.replications)
        return self._groups

    def values(self, kpi: str) -> list[float]:
        """Overall value of ``kpi`` per replication, in replication order (NaN if missing)."""
        return [float(r.kpis.get(kpi, math.nan)) for r in self.replications]

    def intervals(self, dimension: str = "all") -> list[tuple[Any, Interval]]:
        """``(key, kpi) -> interval`` pairs of :meth:`summary` as plain Python: ``((key,
        kpi), Interval)`` in the table's row order (``key`` is ``"all"`` for the overall
        values; as in the engine's records, a string for the period dimensions too)."""
        return [((key, kpi), Interval(*stats)) for key, kpi, *stats in self._rows(dimension)]

    def _rows(self, dimension: str) -> list[tuple[Any, ...]]:
        if dimension not in self._intervals:
            groups = self._grouped().get(dimension, {})
            self._intervals[dimension] = group_intervals(groups, 1)
        return self._intervals[dimension]

    def summary(self, dimension: str = "all") -> pd.DataFrame:
        """Mean and 95% interval per KPI (per key and KPI for a breakdown dimension)."""
        rows = self._rows(dimension)
        if dimension == "all":
            return summary_frame([row[1:] for row in rows], ["kpi"])
        out = summary_frame(rows, ["key", "kpi"])
        return out.astype({"key": "int64"}) if dimension in PERIOD_DIMENSIONS else out

    def summary_table(self) -> pd.DataFrame:
        """Every interval in one table: ``dimension, key, kpi, mean, ci_low, ci_high,
        half_width, n`` -- the overall values (``dimension == key == "all"``) first, then each
        breakdown (summary.csv); ``key`` an integer for the period dimensions."""
        import pandas as pd

        out = pd.DataFrame(self.summary_rows(), columns=["dimension", "key", *SUMMARY_COLUMNS])
        return out.astype({"key": "object", "n": "int64"})

    def summary_rows(self) -> list[tuple[Any, ...]]:
        """The rows of :meth:`summary_table` as plain tuples (no pandas)."""
        out = [("all", "all", *row[1:]) for row in self._rows("all")]
        for dim in self.dimensions:
            if dim != "all":
                out += [(dim, int(key) if dim in PERIOD_DIMENSIONS else key, *rest)
                        for key, *rest in self._rows(dim)]
        return out

    @property
    def customers(self) -> Any:
        """The customer analytics (docs/customers.md): contracts, CLV, the early warning;
        None without the scenario or the customers' states."""
        if "_customers" not in self.__dict__:
            from supplylab.customers.analytics import CustomerAnalytics

            ok = self.scenario is not None and any(r.customers is not None
                                                   for r in self.replications)
            self._customers = CustomerAnalytics.from_results(self, self.scenario) if ok else None
        return self._customers

    @property
    def units_conserved(self) -> bool:
        return all(r.audit.units_conserved for r in self.replications)

    def to_document(self) -> dict[str, Any]:
        """The ``run --json`` document of docs/results.md (NaN written as null)."""
        kpis: dict[str, Any] = {}
        for (_, kpi), iv in self.intervals():
            kpis[kpi] = {"mean": _num(iv.mean), "ci95": [_num(iv.ci_low), _num(iv.ci_high)],
                         "values": [_num(v) for v in self.values(kpi)]}
        by: dict[str, Any] = {}
        present = set(self.dimensions)
        for dim in DOCUMENT_DIMENSIONS:
            if dim not in present:
                continue
            keys: dict[str, Any] = by.setdefault(dim, {})
            for (key, kpi), iv in self.intervals(dim):
                key = int(key) if dim in PERIOD_DIMENSIONS else key
                keys.setdefault(key, {})[kpi] = {
                    "mean": _num(iv.mean), "ci95": [_num(iv.ci_low), _num(iv.ci_high)]}
        doc = {"scenario": self.scenario_name, "scenario_sha256": self.scenario_sha256,
               "currency": str(getattr(self.scenario, "currency", "") or ""),
               "version": self.version, "seed": self.seed, "replications": self.n,
               "horizon_days": self.horizon_days, "warmup_days": self.warmup_days,
               "kpis": kpis, "by": by, "audit": {"units_conserved": self.units_conserved}}
        if self.customers is not None:
            doc["customers"] = self.customers.to_document()
        return doc

    def to_json(self) -> str:
        """The document as strict JSON text (no NaN)."""
        return json.dumps(self.to_document(), indent=2, allow_nan=False)

    @property
    def timeseries(self) -> pd.DataFrame:
        """The period rows (``week``/``month`` dimensions) of :attr:`kpis`, ``key`` an integer
        period number (0 = the first period after the warm-up), in replication, period order."""
        rows = self.kpis[self.kpis["dimension"].isin(PERIOD_DIMENSIONS)]
        return rows.astype({"key": "int64"}).reset_index(drop=True)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``results.json``, ``summary.csv``, ``kpis.csv`` and ``timeseries.csv``
        atomically; returns the dir. ``kpis.csv`` holds the rows of :attr:`kpis` except the
        period rows, which are in ``timeseries.csv`` (each row is written once); the customer
        analytics add their CSV files (docs/customers.md). The folder is marked
        ``INCOMPLETE`` until every file is written."""
        rows = kpi_rows(self.replications)
        with _io.output_folder(out_dir) as out:
            _io.write_text(out / "results.json", self.to_json() + "\n")
            _io.write_rows(out / "summary.csv", ["dimension", "key", *SUMMARY_COLUMNS],
                           self.summary_rows())
            _io.write_rows(out / "kpis.csv", KPI_COLUMNS,
                           [r for r in rows if r[1] not in PERIOD_DIMENSIONS])
            _io.write_rows(out / "timeseries.csv", KPI_COLUMNS,
                           [(rep, dim, int(key), kpi, value)
                            for rep, dim, key, kpi, value in rows if dim in PERIOD_DIMENSIONS])
            if self.customers is not None:
                self.customers.write(out)
        return out

    def print_table(self, console: Any = None) -> None:
        """Print the main KPIs with intervals and a by-tier table (rich)."""
        from .tables import print_results

        print_results(self, console)
        if self.customers is not None:
            self.customers.print_tables(console)


def _raise_failures(failures: Sequence[RunOutcome], name: str) -> None:
    first = min(failures, key=lambda o: o.replication)
    if isinstance(first.exception, SupplylabError):
        raise first.exception
    msg = (first.error or "").splitlines()[0] if first.error else "unknown error"
    raise SupplylabError(f"{name}: replication {first.replication} failed "
                         f"({len(failures)} of the runs failed): {msg}")


def run_replications(scenario: Any, indices: Sequence[int], seed: int, *, days: float | None,
                     run_fn: RunFn | None, runner: str, workers: int | None,
                     dask: str | None, progress: bool = False) -> list[ReplicationResult]:
    """Run the given replication indices of one scenario; raise if any of them failed."""
    plan = RunPlan((scenario,), ((0, {}),), seed, days, run_fn)
    outcomes: list[RunOutcome] = []
    with Progress(len(indices), enabled=progress, label="replications") as bar:

        def record(o: RunOutcome) -> None:
            outcomes.append(o)
            bar.advance(o.ok)

        execute(plan, [(0, k) for k in indices], record, runner=runner, workers=workers,
                dask=dask)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        _raise_failures(failed, getattr(scenario, "name", "scenario"))
    return [o.result for o in outcomes if o.result is not None]


def replicate(scenario: Any, replications: int | None = None, seed: int | None = None, *,
              runner: str = "serial", workers: int | None = None, dask: str | None = None,
              precision: Mapping[str, float] | None = None, max_replications: int = 200,
              days: float | None = None, run_fn: RunFn | None = None,
              progress: bool = False) -> Results:
    """Run ``replications`` replications of ``scenario`` and collect them into :class:`Results`.

    Defaults come from ``scenario.simulation`` (``replications``, ``seed``). Replication k uses
    ``(seed, k)``, so the same call gives the same numbers on every runner. ``precision`` maps
    KPI -> target 95% half-width (in the KPI's units, e.g. ``{"fill_rate": 0.005}``): after
    the first batch, replications are added (in batches sized by the current spread) until
    every target is met or ``max_replications`` is reached. ``days`` overrides the horizon.
    ``progress`` shows a bar on stderr when it is a terminal.
    """
    n = int(replications if replications is not None else sim_setting(scenario, "replications", 1))
    seed = int(seed if seed is not None else sim_setting(scenario, "seed", 0))
    if n < 1:
        raise ExperimentError(f"replications must be at least 1, got {n}")
    if precision:
        from .experiment import check_precision

        precision = check_precision(precision)
        n = max(n, 2)
        if max_replications < n:
            raise ExperimentError(f"max_replications ({max_replications}) is below the "
                                  f"initial replications ({n})")
    kw = dict(days=days, run_fn=run_fn, runner=runner, workers=workers, dask=dask,
              progress=progress)
    done = run_replications(scenario, range(n), seed, **kw)
    unknown = sorted(set(precision or ()) - {k for r in done for k in r.kpis})
    if unknown:
        raise ExperimentError(f"precision target for unknown KPI(s): {', '.join(unknown)}")
    while precision:
        by_kpi = {k: [r.kpis.get(k, math.nan) for r in done] for k in precision}
        short = precision_shortfall(by_kpi, precision)
        if not short or len(done) >= max_replications:
            break
        need = max(replications_needed(by_kpi[k], precision[k], cap=max_replications)
                   for k in short)
        target = min(max(need, len(done) + 1), max_replications)
        done += run_replications(scenario, range(len(done), target), seed, **kw)
    horizon = days if days is not None else sim_setting(scenario, "horizon_days")
    return Results(done, scenario_name=str(getattr(scenario, "name", "")),
                   scenario_sha256=scenario_sha(scenario), seed=seed, horizon_days=horizon,
                   warmup_days=sim_setting(scenario, "warmup_days"), scenario=scenario)
