"""Read a results folder (``run --out``, ``compare --out``, ``sweep --out``) defensively.

Every file is optional except the one that says what the folder is (``results.json``,
``comparison.json`` or ``experiment.json``); a section of the report appears when its data
is present. Other layers add files and KPIs over time, so nothing here assumes a fixed list
of KPIs or dimensions.

Files read (see docs/report.md):

* run: ``results.json`` (intervals of record), ``kpis.csv`` and ``timeseries.csv`` (tidy
  rows, periods in either), ``network.json`` (sites, customers and lanes; written by
  ``--report`` or by :func:`supplylab.report.network_snapshot`);
* compare: ``comparison.json``, ``differences.csv`` and one run folder per alternative
  (``0-<name>``, ``1-<name>``, ...);
* sweep: ``experiment.json``, ``summary.csv`` (or ``sweep.csv``), ``runs.csv``;
* any folder: ``*.json`` documents of other layers (``open_facilities`` -> network design,
  ``frontier`` -> a trade-off curve, ``calendar`` -> a promotion calendar, ``at_risk`` -> the
  customers' early-warning list).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from supplylab.errors import InputError

PERIODS = ("week", "month")
KNOWN_FILES = {"results.json", "comparison.json", "experiment.json", "network.json"}


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"not readable as JSON ({exc})", str(path)) from None
    if not isinstance(doc, dict):
        raise InputError("expected a JSON object", str(path))
    return doc


def _read_csv(path: Path, **kw: Any) -> pd.DataFrame | None:
    if not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""], **kw)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"not readable as CSV ({exc})", str(path)) from None


def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _ci_rows(block: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    rows = []
    for kpi, stats in block.items():
        if not isinstance(stats, dict):
            continue
        ci = stats.get("ci95") or [None, None]
        rows.append((str(kpi), _num(stats.get("mean")), _num(ci[0]), _num(ci[1])))
    return rows


@dataclass
class RunData:
    """One scenario's replicated results: the document, tidy rows and the network."""

    label: str
    path: Path
    doc: dict[str, Any]
    rows: pd.DataFrame
    network: dict[str, Any] | None = None
    _summaries: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def currency(self) -> str:
        return str((self.network or {}).get("currency") or self.doc.get("currency") or "")

    @property
    def kpi_names(self) -> set[str]:
        names = set(self.doc.get("kpis", {}))
        if not self.rows.empty:
            names |= set(self.rows.loc[self.rows["dimension"] == "all", "kpi"])
        return names

    def dimensions(self) -> list[str]:
        dims = list(self.doc.get("by", {}))
        if not self.rows.empty:
            dims += [d for d in self.rows["dimension"].unique() if d not in dims and d != "all"]
        return dims

    def summary(self, dimension: str = "all") -> pd.DataFrame:
        """``key, kpi, mean, ci_low, ci_high`` (``key`` is ``all`` overall).

        Intervals come from ``results.json`` (the intervals of record); dimensions it does not
        carry (periods) are computed from the tidy rows (95% Student t over replications).
        """
        if dimension in self._summaries:
            return self._summaries[dimension]
        cols = ["key", "kpi", "mean", "ci_low", "ci_high"]
        rows: list[tuple[Any, ...]] = []
        if dimension == "all" and self.doc.get("kpis"):
            rows = [("all", *r) for r in _ci_rows(self.doc["kpis"])]
        elif dimension != "all" and dimension in self.doc.get("by", {}):
            for key, block in self.doc["by"][dimension].items():
                rows += [(str(key), *r) for r in _ci_rows(block)]
        if rows:
            out = pd.DataFrame(rows, columns=cols)
        elif not self.rows.empty:
            from supplylab.experiments.results import summarize

            sub = self.rows[self.rows["dimension"] == dimension]
            out = (summarize(sub, ["key", "kpi"])[cols] if not sub.empty
                   else pd.DataFrame(columns=cols))
        else:
            out = pd.DataFrame(columns=cols)
        self._summaries[dimension] = out
        return out

    def value(self, kpi: str, key: str = "all", dimension: str = "all") -> tuple[float, float,
                                                                                 float] | None:
        """(mean, ci_low, ci_high) of one KPI, or None when absent."""
        s = self.summary(dimension)
        hit = s[(s["kpi"] == kpi) & (s["key"] == key)]
        if hit.empty:
            return None
        r = hit.iloc[0]
        return float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])

    def period_dimension(self) -> str:
        """The finest period dimension present (``week``, else ``month``), or ``""``."""
        dims = set(self.dimensions())
        return next((d for d in PERIODS if d in dims), "")


def read_run(path: Path, label: str | None = None) -> RunData:
    """A ``run --out`` folder (or one alternative of a comparison)."""
    doc = _read_json(path / "results.json")
    if doc is None:
        raise InputError(f"no results.json (write one with `supplylab run FILE --out "
                         f"{path}`)", str(path))
    frames = [f for f in (_read_csv(path / name, dtype={"key": str})
                          for name in ("kpis.csv", "timeseries.csv")) if f is not None]
    cols = ["replication", "dimension", "key", "kpi", "value"]
    frames = [f[cols] for f in frames if set(cols) <= set(f.columns)]
    rows = (pd.concat(frames, ignore_index=True).drop_duplicates(
        ["replication", "dimension", "key", "kpi"]) if frames else pd.DataFrame(columns=cols))
    if not rows.empty:
        rows["value"] = pd.to_numeric(rows["value"], errors="coerce")
        rows["key"] = rows["key"].astype(str)
    return RunData(label or str(doc.get("scenario") or path.name), path, doc,
                   rows.reset_index(drop=True), _read_json(path / "network.json"))


@dataclass
class SweepData:
    """A sweep folder: the experiment definition and the per-point summary."""

    path: Path
    experiment: dict[str, Any]
    summary: pd.DataFrame
    parameters: list[str]
    runs: pd.DataFrame | None

    @property
    def kpi_names(self) -> list[str]:
        return list(dict.fromkeys(self.summary["kpi"]))

    def wide(self, stat: str = "mean") -> pd.DataFrame:
        """One row per point: parameters and one column per KPI (``stat`` of each)."""
        table = self.summary.pivot_table(index="point", columns="kpi", values=stat,
                                         aggfunc="first", sort=False)
        params = self.summary.drop_duplicates("point").set_index("point")[self.parameters]
        return params.join(table)


def _points_frame(experiment: dict[str, Any], parameters: list[str]) -> pd.DataFrame | None:
    points = experiment.get("points")
    if not isinstance(points, list) or not points:
        return None
    frame = pd.DataFrame(points)
    keep = [p for p in parameters if p in frame.columns]
    frame = frame[keep]
    frame.insert(0, "point", range(len(frame)))
    return frame


def read_sweep(path: Path) -> SweepData:
    experiment = _read_json(path / "experiment.json") or {}
    params = list((experiment.get("parameters") or {}).keys())
    summary = _read_csv(path / "summary.csv")
    if summary is None:
        tidy = _read_csv(path / "sweep.csv", dtype={"key": str})
        if tidy is None:
            raise InputError(("a sweep folder without summary.csv or sweep.csv (the sweep has not "
                              "finished: run it again to resume)"), str(path))
        from supplylab.experiments.results import summarize

        tidy = tidy[tidy["dimension"] == "all"] if "dimension" in tidy else tidy
        summary = summarize(tidy[["point", "kpi", "value"]], ["point", "kpi"])
    if "dimension" in summary.columns:
        summary = summary[summary["dimension"].astype(str) == "all"]
    if not params:
        fixed = {"point", "kpi", "mean", "ci_low", "ci_high", "half_width", "n", "dimension",
                 "key"}
        params = [c for c in summary.columns if c not in fixed]
    exact = _points_frame(experiment, params)
    if exact is not None:  # exact parameter values (the CSV may carry 0.1499999...)
        summary = summary.drop(columns=[p for p in params if p in summary.columns])
        summary = summary.merge(exact, on="point", how="left")
    for col in ("mean", "ci_low", "ci_high"):
        summary[col] = pd.to_numeric(summary[col], errors="coerce")
    for p in params:  # list or mapping values (a whole policy) become their JSON text
        if p in summary:
            summary[p] = summary[p].map(lambda v: json.dumps(v, sort_keys=True)
                                        if isinstance(v, list | dict) else v)
    return SweepData(path, experiment, summary.reset_index(drop=True), params,
                     _read_csv(path / "runs.csv"))


@dataclass
class CompareData:
    """A comparison folder: each alternative's run and the paired differences."""

    path: Path
    doc: dict[str, Any]
    alternatives: list[RunData]
    differences: pd.DataFrame

    @property
    def baseline(self) -> str:
        return str(self.doc.get("baseline") or self.alternatives[0].label)


def _differences(path: Path, doc: dict[str, Any]) -> pd.DataFrame:
    frame = _read_csv(path / "differences.csv")
    need = {"alternative", "kpi", "diff", "ci_low", "ci_high"}
    if frame is not None and need <= set(frame.columns):
        frame["alternative"] = frame["alternative"].astype(str)
        return frame
    rows = []
    for alt, block in (doc.get("differences") or {}).items():
        for kpi, d in block.items():
            ci = d.get("ci95") or [None, None]
            rows.append((str(alt), kpi, math.nan, math.nan, _num(d.get("diff")), _num(ci[0]),
                         _num(ci[1]), bool(d.get("significant"))))
    return pd.DataFrame(rows, columns=["alternative", "kpi", "baseline_mean", "mean", "diff",
                                       "ci_low", "ci_high", "significant"])


def read_compare(path: Path) -> CompareData:
    doc = _read_json(path / "comparison.json") or {}
    names = list((doc.get("alternatives") or {}).keys())
    subs = sorted((p for p in path.iterdir() if p.is_dir() and re.match(r"^\d+-", p.name)
                   and (p / "results.json").is_file()), key=lambda p: int(p.name.split("-")[0]))
    alts = []
    for p in subs:
        i = int(p.name.split("-")[0])
        alts.append(read_run(p, names[i] if i < len(names) else None))
    if not alts:
        raise InputError("comparison.json but no alternative folders (0-<name>/...)",
                         str(path))
    return CompareData(path, doc, alts, _differences(path, doc))


@dataclass
class Optimisation:
    """One optimiser document found in the folder."""

    name: str
    doc: dict[str, Any]

    @property
    def kind(self) -> str:
        if "open_facilities" in self.doc:
            return "network"
        if "frontier" in self.doc:
            return "frontier"
        if "calendar" in self.doc:
            return "calendar"
        if isinstance(self.doc.get("at_risk"), list):
            return "at_risk"
        return ""


def read_optimisations(path: Path) -> list[Optimisation]:
    found = []
    for p in sorted(path.glob("*.json")):
        if p.name in KNOWN_FILES:
            continue
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict):
            opt = Optimisation(p.stem, doc)
            if opt.kind:
                found.append(opt)
    return found


@dataclass
class Folder:
    """What a results folder holds: exactly one of ``run``, ``compare``, ``sweep``."""

    path: Path
    kind: str
    run: RunData | None = None
    compare: CompareData | None = None
    sweep: SweepData | None = None
    optimisations: list[Optimisation] = field(default_factory=list)
    network: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        if self.run is not None:
            return str(self.run.doc.get("scenario") or self.path.name)
        if self.compare is not None:
            return f"Comparison against {self.compare.baseline}"
        assert self.sweep is not None
        return f"Sweep: {self.sweep.experiment.get('name') or self.path.name}"


def read_folder(path: str | Path, network: dict[str, Any] | None = None) -> Folder:
    """Classify and read a results folder; ``network`` overrides a stored network.json."""
    p = Path(path)
    if not p.is_dir():
        raise InputError("no such results folder", str(p))
    opts = read_optimisations(p)
    if (p / "comparison.json").is_file():
        cmp_ = read_compare(p)
        if network is not None:
            for alt in cmp_.alternatives:
                alt.network = alt.network or network
        return Folder(p, "compare", compare=cmp_, optimisations=opts,
                      network=network or cmp_.alternatives[0].network)
    if (p / "experiment.json").is_file() or (p / "summary.csv").is_file() and not (
            p / "results.json").is_file():
        return Folder(p, "sweep", sweep=read_sweep(p), optimisations=opts,
                      network=network or _read_json(p / "network.json"))
    if (p / "results.json").is_file():
        run = read_run(p)
        run.network = network or run.network
        return Folder(p, "run", run=run, optimisations=opts, network=run.network)
    raise InputError(("not a results folder (expected results.json from `run --out`, "
                     "comparison.json from `compare --out` or experiment.json from `sweep "
                     "--out`)"), str(p))
