"""Compare scenarios with common random numbers (paired differences against a baseline).

Replication k of every alternative runs with the same ``(seed, k)``, so the engine gives each
entity the same random streams in every alternative and the per-replication differences
cancel most of the noise. The first scenario is the baseline.

``Comparison.differences`` columns: ``alternative, kpi, baseline_mean, mean, diff, ci_low,
ci_high, half_width, n, significant`` (95% paired-t on alternative - baseline).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supplylab.errors import ExperimentError

from . import _io
from ._types import RunFn, scenario_sha, sim_setting
from .progress import Progress
from .results import Results, _num, _raise_failures, kpi_rows
from .runners import RunOutcome, RunPlan, execute
from .stats import nan_mean, paired_difference

if TYPE_CHECKING:  # the differences are computed from plain lists; the tables on demand
    import pandas as pd

DIFF_COLUMNS = ["alternative", "kpi", "baseline_mean", "mean", "diff", "ci_low", "ci_high",
                "half_width", "n", "significant"]


def unique_names(scenarios: Sequence[Any]) -> list[str]:
    """Scenario names, with ``#2``, ``#3`` appended to repeats so each alternative is named."""
    return _deduplicated([str(getattr(sc, "name", "") or "scenario") for sc in scenarios])


def _deduplicated(labels: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


def default_labels(scenarios: Sequence[Any]) -> list[str]:
    """Each alternative's file name without its suffix (``base`` for ``scenarios/base.yaml``),
    or its scenario name when it was not read from a file; repeats get ``#2``, ``#3``."""
    labels = []
    for sc in scenarios:
        source = str(getattr(sc, "source", "") or "")
        if source and not source.startswith("<"):
            labels.append(Path(source).stem)
        else:
            labels.append(str(getattr(sc, "name", "") or "scenario"))
    return _deduplicated(labels)


@dataclass
class Comparison:
    """Each alternative's :class:`Results` plus paired differences against the first."""

    names: list[str]
    results: list[Results]
    seed: int
    replications: int

    @property
    def baseline(self) -> str:
        return self.names[0]

    def __repr__(self) -> str:
        return (f"<Comparison of {', '.join(map(repr, self.names))} (baseline first): "
                f"{self.replications} replication(s), seed {self.seed}; .differences, "
                ".summary(), .results, .print_table()>")

    def paired(self, dimension: str = "all") -> pd.DataFrame:
        """Paired differences per (alternative, [key,] kpi) for one dimension."""
        import pandas as pd

        group = ["kpi"] if dimension == "all" else ["key", "kpi"]
        cols = ["alternative", *group, *DIFF_COLUMNS[2:]]
        return pd.DataFrame(self.paired_rows(dimension), columns=cols)

    def paired_rows(self, dimension: str = "all") -> list[tuple[Any, ...]]:
        """The rows of :meth:`paired` as plain tuples (no pandas)."""
        two = dimension != "all"
        base = _wide(self.results[0], dimension, two)
        rows = []
        for name, res in zip(self.names[1:], self.results[1:], strict=True):
            alt = _wide(res, dimension, two)
            for ident, a in alt.items():
                if ident not in base:
                    continue
                b = base[ident]
                d = paired_difference(a, b, kpi=str(ident[-1] if two else ident))
                rows.append((name, *(ident if two else (ident,)), nan_mean(b), nan_mean(a),
                             d.mean, d.ci_low, d.ci_high, d.half_width, d.n, d.significant))
        return rows

    @property
    def differences(self) -> pd.DataFrame:
        """Overall paired differences against the baseline."""
        return self.paired("all")

    @property
    def difference_rows(self) -> list[tuple[Any, ...]]:
        """The rows of :attr:`differences` (:data:`DIFF_COLUMNS`) as plain tuples."""
        if "_difference_rows" not in self.__dict__:
            self._difference_rows = self.paired_rows("all")
        return self._difference_rows

    def summary(self) -> pd.DataFrame:
        """Every alternative's own summary, with an ``alternative`` column first."""
        import pandas as pd

        frames = [r.summary().assign(alternative=n) for n, r in zip(self.names, self.results,
                                                                     strict=True)]
        out = pd.concat(frames, ignore_index=True)
        return out[["alternative", *[c for c in out.columns if c != "alternative"]]]

    def to_document(self) -> dict[str, Any]:
        """JSON document: each alternative's ``run --json`` document and the differences."""
        diffs: dict[str, Any] = {}
        for row in self.difference_rows:
            r = dict(zip(DIFF_COLUMNS, row, strict=True))
            diffs.setdefault(r["alternative"], {})[r["kpi"]] = {
                "diff": _num(r["diff"]), "ci95": [_num(r["ci_low"]), _num(r["ci_high"])],
                "significant": bool(r["significant"])}
        doc = {"baseline": self.baseline, "seed": self.seed, "replications": self.replications,
               "common_random_numbers": True,
               "alternatives": {n: r.to_document() for n, r in zip(self.names, self.results,
                                                                   strict=True)},
               "differences": diffs}
        rows = self.customer_difference_rows()
        if rows:  # docs/customers.md
            from supplylab.customers.comparison import differences_document

            doc["customer_differences"] = differences_document(rows)
        return doc

    @property
    def customer_differences(self) -> pd.DataFrame:
        """Paired differences of the customer-value totals (supplylab.customers.comparison)."""
        from supplylab.customers.comparison import value_differences

        return value_differences(self.names, [r.customers for r in self.results])

    def customer_difference_rows(self) -> list[Any]:
        """The rows of :attr:`customer_differences` as plain tuples (no pandas)."""
        from supplylab.customers.comparison import value_difference_rows

        return value_difference_rows(self.names, [r.customers for r in self.results])

    def to_json(self) -> str:
        return json.dumps(self.to_document(), indent=2, allow_nan=False)

    def write(self, out_dir: str | Path) -> Path:
        """``comparison.json``, ``differences.csv`` and one results folder per alternative."""
        with _io.output_folder(out_dir) as out:
            _io.write_text(out / "comparison.json", self.to_json() + "\n")
            _io.write_rows(out / "differences.csv", DIFF_COLUMNS, self.difference_rows)
            for i, (name, res) in enumerate(zip(self.names, self.results, strict=True)):
                res.write(out / f"{i}-{_io.slug(name)}")
        return out

    def print_table(self, console: Any = None) -> None:
        from .tables import print_comparison

        print_comparison(self, console)
        rows = self.customer_difference_rows()
        if rows:
            from supplylab.customers.comparison import print_value_differences

            tiers = list(self.results[0].customers.tiers)
            print_value_differences(rows, tiers, console)


def _wide(res: Results, dimension: str, two: bool) -> dict[Any, list[float]]:
    """Each KPI's (``two``: each key x KPI's) values over the replications of one dimension,
    laid out as ``pivot_table(index="replication", columns=["key", "kpi"] if two else "kpi",
    values="value", aggfunc="first", sort=False, dropna=False)`` lays them out: replications
    and levels in first-appearance order, NaN where a replication has no value, and with two
    levels every key x KPI of the product."""
    reps: dict[int, None] = {}
    keys: dict[Any, None] = {}
    kpis: dict[str, None] = {}
    cells: dict[Any, dict[int, float]] = {}
    for rep, dim, key, kpi, value in kpi_rows(res.replications):
        if dim != dimension:
            continue
        reps.setdefault(rep)
        keys.setdefault(key)
        kpis.setdefault(kpi)
        cell = cells.setdefault((key, kpi) if two else kpi, {})
        old = cell.get(rep)
        if old is None or old != old:  # the first value that is not NaN
            cell[rep] = value
    idents = [(k, q) for k in keys for q in kpis] if two else list(kpis)
    return {i: [cells.get(i, {}).get(r, math.nan) for r in reps] for i in idents}


def compare(scenarios: Sequence[Any], replications: int | None = None, seed: int | None = None,
            *, labels: Sequence[str] | None = None, runner: str = "serial",
            workers: int | None = None, dask: str | None = None, days: float | None = None,
            run_fn: RunFn | None = None, progress: bool = False) -> Comparison:
    """Run every scenario with common random numbers and pair each with the first.

    ``replications`` and ``seed`` default to the first scenario's ``simulation`` settings and
    apply to every alternative (pairing needs the same indices and seed). ``labels`` name the
    alternatives in tables and documents (default: the scenario names, made unique with
    ``#2``, ``#3``; :func:`default_labels` gives file names). Any failed run
    raises: a comparison with a missing pair would be biased. ``progress`` shows a bar on
    stderr when it is a terminal.
    """
    if len(scenarios) < 2:
        raise ExperimentError("compare needs at least two scenarios (the first is the baseline)")
    first = scenarios[0]
    n = int(replications if replications is not None else sim_setting(first, "replications", 1))
    seed = int(seed if seed is not None else sim_setting(first, "seed", 0))
    if n < 1:
        raise ExperimentError(f"replications must be at least 1, got {n}")
    if labels is None:
        names = unique_names(scenarios)
    else:
        names = [str(x) for x in labels]
        if len(names) != len(scenarios):
            raise ExperimentError(f"labels: {len(names)} label(s) for {len(scenarios)} "
                                  "scenarios")
        if len(set(names)) != len(names):
            raise ExperimentError(f"labels must differ from each other, got {names}")
    plan = RunPlan(tuple(scenarios), tuple((i, {}) for i in range(len(scenarios))), seed, days,
                   run_fn)
    outcomes: list[RunOutcome] = []
    tasks = [(i, k) for i in range(len(scenarios)) for k in range(n)]
    with Progress(len(tasks), enabled=progress, label="runs") as bar:

        def record(o: RunOutcome) -> None:
            outcomes.append(o)
            bar.advance(o.ok)

        execute(plan, tasks, record, runner=runner, workers=workers, dask=dask)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        _raise_failures(failed, names[failed[0].point])
    results = []
    for i, sc in enumerate(scenarios):
        reps = [o.result for o in outcomes if o.point == i and o.result is not None]
        horizon = days if days is not None else sim_setting(sc, "horizon_days")
        results.append(Results(reps, scenario_name=str(getattr(sc, "name", "") or names[i]),
                               scenario_sha256=scenario_sha(sc),
                               seed=seed, horizon_days=horizon,
                               warmup_days=sim_setting(sc, "warmup_days"), scenario=sc))
    return Comparison(names, results, seed, n)


__all__ = ["Comparison", "compare", "default_labels", "unique_names"]
