"""Risk studies: take each node out in turn and measure who is hurt, how much, for how long.

For every node (facility, supplier or declared lane) the study adds one scheduled outage of
``duration_days`` from ``start_day`` to the scenario and runs it paired with the undisrupted
baseline: replication k of every variant uses the random streams of (seed, k), and a scheduled
outage draws no random numbers, so every difference is caused by the outage alone (a node that
carries no flow shows a difference of exactly zero).

Per node (docs/risk.md has the definitions):

- lost revenue, margin and profit, units lost, and the drop of fill rate, OTIF and perfect order
  overall and per tier, each a paired difference with its 95% interval;
- time to survive (TTS): days from the outage's start until the network's service in a period
  first falls more than ``tolerance`` below the baseline's in the same period and replication;
- time to recover (TTR): days from the outage's start until the end of the last period whose
  service is more than ``tolerance`` below the baseline's (0 when it never drops);
  both are measured per replication on the scenario's periods (``simulation.period``);
- the risk exposure index: the node's lost gross margin over the largest lost gross margin of
  any node (Simchi-Levi, Schmidt & Wei, HBR 2014), 1 for the worst node; gross margin rather
  than profit because an outage also defers costs (receipts, shipments) past a short window;
- contracts breached: tiers whose fill rate meets ``target_fill_rate`` in the baseline and falls
  below it with the node out; and the customers whose fill rate drops most.

The runs go through the sweep machinery (serial, processes, Dask; with ``out`` a resumable
store), so an interrupted study resumes where it stopped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from supplylab.errors import InputError

from . import _io
from .experiment import Experiment
from .stats import paired_difference, t_interval
from .sweep import SweepResults, sweep

NodeKind = Literal["sites", "suppliers", "lanes", "all"]
#: KPIs a risk study records (the period series use the service ones).
RISK_KPIS = ("fill_rate", "otif_rate", "perfect_order_rate", "revenue", "gross_margin",
             "profit", "lost_sales_units", "demand_units", "delivered_units")
SERVICE_KPIS = ("fill_rate", "otif_rate", "perfect_order_rate")
MONEY_KPIS = ("revenue", "gross_margin", "profit")


@dataclass(frozen=True)
class RiskSettings:
    """What a study disrupts and how its time measures are read (days, shares)."""

    start_day: float
    duration_days: float
    tolerance: float
    service_kpi: str
    period_days: float
    warmup_days: float


@dataclass
class RiskStudy:
    """The result of :func:`risk`: one row per node, and what it hurts.

    ``ranking`` columns: ``rank, node, kind, exposure_index`` and, per measure, ``<m>_mean,
    <m>_ci_low, <m>_ci_high``; measures are ``lost_revenue, lost_margin, lost_profit,
    units_lost, <kpi>_drop`` (baseline minus disrupted, so positive means worse) and
    ``tts_days, ttr_days``. ``tiers``: ``node, tier, kpi, baseline, disrupted, drop, ci_low,
    ci_high, target, breached``. ``customers``: ``node, customer, fill_rate_drop`` for the
    customers hit hardest.
    """

    settings: RiskSettings
    ranking: pd.DataFrame
    tiers: pd.DataFrame
    customers: pd.DataFrame
    sweep: SweepResults

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready document (NaN as null)."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _json_value(v) for k, v in row.items()}
                    for row in frame.to_dict(orient="records")]

        return {"study": "risk", "settings": self.settings.__dict__,
                "ranking": records(self.ranking), "tiers": records(self.tiers),
                "customers": records(self.customers)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def write(self, out_dir: str | Path) -> Path:
        """``risk.csv`` (ranking), ``risk_tiers.csv``, ``risk_customers.csv``, ``risk.json``."""
        out = Path(out_dir)
        _io.write_csv(out / "risk.csv", self.ranking)
        _io.write_csv(out / "risk_tiers.csv", self.tiers)
        _io.write_csv(out / "risk_customers.csv", self.customers)
        _io.write_text(out / "risk.json", self.to_json() + "\n")
        return out

    def print_table(self, console: Any) -> None:
        """The ranking as a terminal table (names escaped)."""
        from rich.markup import escape
        from rich.table import Table

        s = self.settings
        t = Table(title=f"Risk exposure: each node out for {s.duration_days:g} days from day "
                  f"{s.start_day:g}", title_justify="left")
        for col in ("#", "node", "kind", "REI", "lost margin", "units lost",
                    "service drop", "TTS d", "TTR d"):
            t.add_column(col, justify="left" if col in ("node", "kind") else "right")
        for row in self.ranking.itertuples(index=False):
            t.add_row(str(row.rank), escape(str(row.node)), row.kind,
                      _fmt(row.exposure_index, 2), _fmt(row.lost_margin_mean, 0),
                      _fmt(row.units_lost_mean, 0),
                      _fmt(getattr(row, f"{s.service_kpi}_drop_mean"), 4),
                      _fmt(row.tts_days_mean, 1), _fmt(row.ttr_days_mean, 1))
        console.print(t)
        breached = self.tiers[self.tiers["breached"]]
        for row in breached.itertuples(index=False):
            console.print(f"contract breached: tier {escape(str(row.tier))} {row.kpi} "
                          f"{row.disrupted:.4f} < target {row.target:.4f} with "
                          f"{escape(str(row.node))} out", markup=True, highlight=False)


def _fmt(x: float, digits: int) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:,.{digits}f}"


def _json_value(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def candidate_nodes(scenario: Any, nodes: NodeKind | Sequence[str]) -> list[tuple[str, str]]:
    """``(node id, kind)`` pairs to disrupt: facilities ('site'), suppliers, declared lanes."""
    sites = [(f.id, "site") for f in scenario.facilities]
    suppliers = [(s.id, "supplier") for s in scenario.suppliers]
    lanes = [(ln.key, "lane") for ln in scenario.lanes]
    by_kind = {"sites": sites, "suppliers": suppliers, "lanes": lanes,
               "all": sites + suppliers + lanes}
    if isinstance(nodes, str):
        if nodes not in by_kind:
            raise InputError(f"--nodes must be sites, suppliers, lanes or all, got {nodes!r}",
                             "--nodes")
        return by_kind[nodes]
    known = dict(by_kind["all"])
    unknown = [n for n in nodes if n not in known]
    if unknown:
        from supplylab.scenario.errors import suggest

        hint = suggest(unknown[0], list(known))
        raise InputError(f"unknown node {unknown[0]!r}{hint}; nodes are facility, supplier and "
                         "declared lane ids", "--nodes")
    return [(n, known[n]) for n in nodes]


def _settings(scenario: Any, start_day: float | None, duration_days: float, days: float | None,
              tolerance: float, service_kpi: str) -> RiskSettings:
    sim = scenario.simulation
    horizon = float(days if days is not None else sim.horizon_days)
    warmup = float(sim.warmup_days)
    for name, value in (("--duration", duration_days), ("--tolerance", tolerance)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive number, got {value!r}", name)
    if tolerance >= 1:
        raise InputError(f"--tolerance is a share of service in (0, 1), got {tolerance:g}",
                         "--tolerance")
    if service_kpi not in SERVICE_KPIS:
        raise InputError(f"the service KPI must be one of {', '.join(SERVICE_KPIS)}, got "
                         f"{service_kpi!r}", "--kpi")
    start = float(start_day) if start_day is not None else \
        float(math.floor(warmup + 0.25 * (horizon - warmup)))
    if not math.isfinite(start) or start < warmup:
        raise InputError(f"--start must be on or after the warm-up's end (day {warmup:g}), got "
                         f"{start:g}", "--start")
    if start + duration_days >= horizon:
        raise InputError(f"the outage (day {start:g} + {duration_days:g} days) must end before "
                         f"the horizon (day {horizon:g}); use a smaller --start or --duration, or "
                         "a longer --days", "--duration")
    period = 7.0 if sim.period == "week" else 30.4375
    return RiskSettings(start, float(duration_days), float(tolerance), service_kpi, period,
                        warmup)


def _variants(scenario: Any, targets: list[tuple[str, str]], s: RiskSettings
              ) -> list[dict[str, Any]]:
    base = scenario.data().get("disruptions", [])
    taken = {d.get("id") for d in base}
    points: list[dict[str, Any]] = [{"disruptions": base}]
    for node, _ in targets:
        ident = f"RISK-{node}"
        while ident in taken:
            ident += "'"
        points.append({"disruptions": [*base, {"id": ident, "target": node,
                                                "start_day": s.start_day,
                                                "duration_days": s.duration_days,
                                                "effect": "outage"}]})
    return points


def risk(scenario: Any, nodes: NodeKind | Sequence[str] = "sites", *,
         duration_days: float = 14.0, start_day: float | None = None,
         replications: int | None = None, seed: int | None = None, days: float | None = None,
         tolerance: float = 0.02, service_kpi: str = "fill_rate", top_customers: int = 10,
         runner: str = "processes", workers: int | None = None, dask: str | None = None,
         out: str | Path | None = None, progress: bool = False) -> RiskStudy:
    """Disrupt each node in turn for ``duration_days`` from ``start_day`` (default: a quarter
    into the measured window) and rank the nodes by exposure; see the module docstring.

    ``tolerance`` is the drop of ``service_kpi`` (a share) that counts as hurt for TTS and TTR.
    With ``out`` the runs go to a resumable store there and the tables are written beside it.
    """
    from supplylab.scenario import Scenario, load

    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    targets = candidate_nodes(sc, nodes)
    if not targets:
        raise InputError(f"the scenario has no {nodes} to disrupt", "--nodes")
    s = _settings(sc, start_day, duration_days, days, tolerance, service_kpi)
    n = int(replications if replications is not None else sc.simulation.replications)
    if n < 2:
        raise InputError("a risk study needs at least 2 replications for its intervals",
                         "--replications")
    exp = Experiment(name=f"risk study of {sc.name}", scenario=sc, parameters={},
                     design="list", replications=n,
                     seed=int(seed if seed is not None else sc.simulation.seed),
                     kpis=list(RISK_KPIS), days=days,
                     points=_variants(sc, targets, s))
    sw = sweep(exp, runner=runner, workers=workers, dask=dask, out=out, progress=progress)
    if not sw.failures.empty:
        raise InputError(f"{len(sw.failures)} run(s) of the risk study failed; first: "
                         f"{sw.failures['error'].iloc[0].splitlines()[0]}", "risk")
    study = _analyse(sc, sw, targets, s, top_customers)
    if out is not None:
        study.write(out)
    return study


def _pivot(table: pd.DataFrame, dimension: str) -> pd.DataFrame:
    sub = table[table["dimension"] == dimension]
    return sub.pivot_table(index=["point", "replication", "key"], columns="kpi",
                           values="value", aggfunc="first")


def _analyse(sc: Any, sw: SweepResults, targets: list[tuple[str, str]], s: RiskSettings,
             top: int) -> RiskStudy:
    table = sw.table
    overall = table[table["dimension"] == "all"].pivot_table(
        index=["point", "replication"], columns="kpi", values="value", aggfunc="first")
    periods = _pivot(table, sc.simulation.period)
    base = overall.loc[0]
    rows = []
    for i, (node, kind) in enumerate(targets, start=1):
        alt = overall.loc[i]
        row: dict[str, Any] = {"node": node, "kind": kind}
        measures = {"lost_revenue": ("revenue", -1), "lost_margin": ("gross_margin", -1),
                    "lost_profit": ("profit", -1), "units_lost": ("lost_sales_units", 1)}
        measures |= {f"{k}_drop": (k, -1) for k in SERVICE_KPIS}
        for name, (kpi, sign) in measures.items():
            d = paired_difference(list(alt[kpi] * sign), list(base[kpi] * sign))
            row |= {f"{name}_mean": d.mean, f"{name}_ci_low": d.ci_low,
                    f"{name}_ci_high": d.ci_high}
        tts, ttr = _times(periods, i, s)
        for name, values in (("tts_days", tts), ("ttr_days", ttr)):
            iv = t_interval(values)
            row |= {f"{name}_mean": iv.mean, f"{name}_ci_low": iv.ci_low,
                    f"{name}_ci_high": iv.ci_high}
        rows.append(row)
    ranking = pd.DataFrame(rows)
    worst = float(ranking["lost_margin_mean"].max()) if len(ranking) else 0.0
    ranking.insert(2, "exposure_index", ranking["lost_margin_mean"] / worst if worst > 0 else 0.0)
    ranking = ranking.sort_values(["exposure_index", "node"], ascending=[False, True],
                                  kind="stable").reset_index(drop=True)
    ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
    return RiskStudy(s, ranking, _tiers(sc, table, targets), _customers(table, targets, top), sw)


def _times(periods: pd.DataFrame, point: int, s: RiskSettings) -> tuple[list[float], list[float]]:
    """Per replication: (time to survive, time to recover) in days from the outage's start."""
    kpi = s.service_kpi
    tts: list[float] = []
    ttr: list[float] = []
    base = periods.loc[0][kpi] if kpi in periods.columns else pd.Series(dtype=float)
    alt = periods.loc[point][kpi] if kpi in periods.columns else pd.Series(dtype=float)
    for rep in sorted({r for r, _ in alt.index}):
        b = base.loc[rep]
        a = alt.loc[rep]
        keys = sorted(set(a.index) & set(b.index), key=int)
        hurt = [int(k) for k in keys
                if np.isfinite(a[k]) and np.isfinite(b[k]) and a[k] < b[k] - s.tolerance
                and s.warmup_days + (int(k) + 1) * s.period_days > s.start_day]
        if not hurt:
            tts.append(math.nan)
            ttr.append(0.0)
            continue
        first_start = s.warmup_days + hurt[0] * s.period_days
        tts.append(max(0.0, first_start - s.start_day))
        ttr.append(s.warmup_days + (hurt[-1] + 1) * s.period_days - s.start_day)
    return tts, ttr


def _tiers(sc: Any, table: pd.DataFrame, targets: list[tuple[str, str]]) -> pd.DataFrame:
    tiers = _pivot(table, "tier")
    out = []
    for i, (node, _) in enumerate(targets, start=1):
        for tier, spec in sc.tiers.items():
            for kpi in SERVICE_KPIS:
                if kpi not in tiers.columns:
                    continue
                try:
                    b = tiers.loc[0].xs(tier, level="key")[kpi]
                    a = tiers.loc[i].xs(tier, level="key")[kpi]
                except KeyError:
                    continue
                d = paired_difference(list(-a), list(-b))
                target = spec.target_fill_rate if kpi == "fill_rate" else math.nan
                out.append({"node": node, "tier": tier, "kpi": kpi, "baseline": float(b.mean()),
                            "disrupted": float(a.mean()), "drop": d.mean, "ci_low": d.ci_low,
                            "ci_high": d.ci_high, "target": target,
                            "breached": bool(kpi == "fill_rate" and b.mean() >= target
                                             and a.mean() < target)})
    return pd.DataFrame(out, columns=["node", "tier", "kpi", "baseline", "disrupted", "drop",
                                      "ci_low", "ci_high", "target", "breached"])


def _customers(table: pd.DataFrame, targets: list[tuple[str, str]], top: int) -> pd.DataFrame:
    cust = _pivot(table, "customer")
    out = []
    if "fill_rate" in cust.columns:
        base = cust.loc[0]["fill_rate"].groupby(level="key").mean()
        for i, (node, _) in enumerate(targets, start=1):
            alt = cust.loc[i]["fill_rate"].groupby(level="key").mean()
            drop = (base - alt).dropna()
            drop = drop[drop > 0].sort_values(ascending=False, kind="stable").head(top)
            out += [{"node": node, "customer": c, "fill_rate_drop": float(v)}
                    for c, v in drop.items()]
    return pd.DataFrame(out, columns=["node", "customer", "fill_rate_drop"])
