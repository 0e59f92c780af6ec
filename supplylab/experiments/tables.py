"""Terminal tables (rich) for replicated results, comparisons and sweeps."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .compare import Comparison
    from .results import Results


def _console(console: Any) -> Any:
    if console is not None:
        return console
    from rich.console import Console

    return Console()


def fmt(x: float) -> str:
    """A number for a table: 4 significant digits for small values, grouped for large ones."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _ordered(summary: pd.DataFrame, main: tuple[str, ...]) -> pd.DataFrame:
    first = [k for k in main if k in set(summary["kpi"])]
    if not first:
        return summary
    return summary.set_index("kpi").loc[first].reset_index()


def print_results(results: Results, console: Any = None) -> None:
    """Main KPIs with 95% intervals, then fill rate and OTIF by customer tier."""
    from rich.table import Table

    from .results import MAIN_KPIS

    con = _console(console)
    table = Table(title=f"{results.scenario_name} -- {results.n} replication(s), "
                        f"seed {results.seed}")
    for col in ("KPI", "mean", "95% CI", "+-"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for row in _ordered(results.summary(), MAIN_KPIS).itertuples(index=False):
        table.add_row(row.kpi, fmt(row.mean), f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]",
                      fmt(row.half_width))
    con.print(table)
    tiers = results.summary("tier")
    if not tiers.empty:
        tiers = tiers[tiers["kpi"].isin(MAIN_KPIS)]
        t2 = Table(title="by tier")
        for col in ("tier", "KPI", "mean", "95% CI"):
            t2.add_column(col)
        for row in tiers.itertuples(index=False):
            t2.add_row(str(row.key), row.kpi, fmt(row.mean),
                       f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]")
        con.print(t2)
    if not results.units_conserved:
        con.print("[bold red]audit: units NOT conserved in some replication[/]")


def print_comparison(comparison: Comparison, console: Any = None) -> None:
    """Paired differences against the baseline, significant ones highlighted."""
    from rich.table import Table

    from .results import MAIN_KPIS

    con = _console(console)
    diffs = comparison.differences
    table = Table(title=f"paired differences vs {comparison.baseline} "
                        f"(common random numbers, {comparison.replications} replications)")
    for col in ("alternative", "KPI", "baseline", "alternative mean", "difference", "95% CI", "sig."):
        table.add_column(col)
    shown = diffs[diffs["kpi"].isin(MAIN_KPIS)] if diffs["kpi"].isin(MAIN_KPIS).any() else diffs
    for row in shown.itertuples(index=False):
        style = "bold" if row.significant else ""
        table.add_row(row.alternative, row.kpi, fmt(row.baseline_mean), fmt(row.mean),
                      fmt(row.diff), f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]",
                      "yes" if row.significant else "no", style=style)
    con.print(table)


def print_sweep_summary(summary: pd.DataFrame, params: list[str], kpis: list[str] | None = None,
                        console: Any = None, limit: int = 40, max_kpis: int = 4) -> None:
    """One row per point: its parameters and ``mean +- half-width`` of a few KPIs.

    Shows the experiment's ``kpis`` (else the main KPIs present), at most ``max_kpis`` of
    them; the full per-point summary is in summary.csv.
    """
    from rich.table import Table

    from .results import MAIN_KPIS

    con = _console(console)
    present = list(dict.fromkeys(summary["kpi"]))
    chosen = [k for k in (kpis or MAIN_KPIS) if k in present][:max_kpis] or present[:max_kpis]
    table = Table(title="sweep: mean +- 95% half-width per point")
    table.add_column("point", justify="right")
    for p in params:
        table.add_column(p, justify="right", overflow="fold")
    for k in chosen:
        table.add_column(k, justify="right")
    cells = summary.set_index(["point", "kpi"])
    points = summary.drop_duplicates("point")
    for row in points.head(limit).to_dict("records"):
        vals = []
        for k in chosen:
            if (row["point"], k) in cells.index:
                c = cells.loc[(row["point"], k)]
                vals.append(f"{fmt(c['mean'])} +- {fmt(c['half_width'])}")
            else:
                vals.append("-")
        table.add_row(str(row["point"]), *(str(row[p]) for p in params), *vals)
    con.print(table)
    if len(points) > limit:
        con.print(f"... {len(points) - limit} more points in summary.csv")
