"""Terminal tables (rich) for replicated results, comparisons and sweeps.

Laid out for the terminal's width: KPIs are rows and alternatives (tiers, scenarios) columns;
numbers are rounded to what their interval supports (two significant digits of the
half-width), rates shown in percent, large amounts with k/M; long KPI names and headers are
abbreviated and explained in a legend under the table. When the columns do not fit, they are
split over several tables rather than wrapped or cut. Full precision is in ``--json`` and the
CSV files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .stats import kpi_range

if TYPE_CHECKING:
    import pandas as pd

    from .compare import Comparison
    from .results import Results

#: Short row labels of the main KPIs (the legend spells them out).
SHORT_KPI = {
    "fill_rate": "fill %", "otif_rate": "OTIF %", "order_cycle_time_mean": "cycle days",
    "lost_sales_rate": "lost %", "inventory_turns": "turns", "total_cost": "cost",
    "profit": "profit", "co2_kg": "CO2 kg", "line_fill_rate": "line fill %",
    "order_fill_rate": "order fill %", "on_time_rate": "on time %",
    "perfect_order_rate": "perfect %", "churn_rate": "churn %",
}
MAX_LABEL = 14
MAX_HEADER = 16


def _console(console: Any) -> Any:
    if console is not None:
        return console
    from rich.console import Console

    return Console(highlight=False)


def _finite(x: Any) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def fmt(x: float, decimals: int | None = None) -> str:
    """A number for a table, rounded to ``decimals`` places (negative: to tens, hundreds...;
    default: 4 significant digits); thousands as ``k`` and millions as ``M`` from 10,000 on;
    ``-`` for an undefined value."""
    if not _finite(x):
        return "-"
    if decimals is None:
        decimals = 3 - int(math.floor(math.log10(abs(x)))) if x else 0
        if x and abs(round(x, decimals)) >= 10.0 ** (4 - decimals):
            decimals -= 1  # rounding carried into a new digit (9,999.6 -> 10,000)
    r = round(x, decimals)
    suffix, shift = "", 0
    if abs(r) >= 1e6:  # the suffix follows the rounded value: 999,999.6 is 1.000M, not 1,000k
        suffix, shift = "M", 6
    elif abs(r) >= 1e4:
        suffix, shift = "k", 3
    places = min(decimals + shift, 6)  # rounding to 10**-decimals, in units of 10**shift
    v = r / 10.0**shift
    if places < 0:
        v = round(v, places)
    text = f"{v:,.{max(places, 0)}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # a small negative that rounds to zero is 0, not -0
    return text + suffix


def decimals_for(half_width: float, mean: float) -> int:
    """Decimal places that show one significant digit of ``half_width`` (two when it starts
    with a 1), or 4 significant digits of ``mean`` when there is no interval; at most 6,
    negative for rounding to tens, hundreds, ..."""
    if not (_finite(half_width) and half_width > 0):
        if not _finite(mean) or mean == 0:
            return 0
        return min(6, 3 - int(math.floor(math.log10(abs(mean)))))
    exp = int(math.floor(math.log10(half_width)))
    lead = int(half_width / 10.0**exp)
    return min(6, -exp + (1 if lead == 1 else 0))


def _is_rate(kpi: str) -> bool:
    return kpi_range(kpi) == (0.0, 1.0)


def cell(kpi: str, mean: float, low: float, high: float, half_width: float,
         *, signed: bool = False) -> str:
    """``mean [low, high]`` at the precision the interval supports (rates in percent)."""
    k = 100.0 if _is_rate(kpi) else 1.0
    m, lo, hi, hw = (v * k if _finite(v) else math.nan for v in (mean, low, high, half_width))
    if _finite(hw) and _finite(m) and hw <= 1e-9 * max(abs(m), 1e-300):
        hw = lo = hi = math.nan  # no spread (e.g. the same value in every replication)
    d = decimals_for(hw, m)
    plus = "+" if signed and _finite(m) and m > 0 else ""
    text = plus + fmt(m, d)
    if _finite(lo) and _finite(hi):
        ends = {v * k for v in (kpi_range(kpi) if not signed else ()) if math.isfinite(v)}
        lo_s = fmt(lo, 0 if lo in ends else d)
        hi_s = fmt(hi, 0 if hi in ends else d)
        text += f" [{lo_s}, {hi_s}]"
    return text


def kpi_label(kpi: str, legend: dict[str, str]) -> str:
    """The row label of ``kpi``; abbreviations are added to ``legend`` (label -> meaning)."""
    if kpi in SHORT_KPI:
        label = SHORT_KPI[kpi]
        if label != kpi:
            legend[label] = kpi + (" (percent)" if label.endswith("%") else "")
        return label
    if len(kpi) <= MAX_LABEL:
        return f"{kpi} %" if _is_rate(kpi) else kpi
    label = "".join(p[0] for p in kpi.split("_")) + (" %" if _is_rate(kpi) else "")
    legend[label] = kpi + (" (percent)" if _is_rate(kpi) else "")
    return label


def header_labels(names: Sequence[str], legend: dict[str, str], prefix: str = "") -> list[str]:
    """Column headers: the names when short, else ``A``, ``B``, ... (or the last dotted
    segment, when that is short and unique), explained in ``legend``."""
    out: list[str] = []
    for i, name in enumerate(names):
        name = str(name)
        if len(name) <= MAX_HEADER:
            out.append(name)
            continue
        tail = name.rsplit(".", 1)[-1]
        candidates = [str(n).rsplit(".", 1)[-1] for n in names]
        if "." in name and len(tail) <= MAX_HEADER and candidates.count(tail) == 1:
            label = tail
        else:
            label = f"{prefix}{_letters(i)}"
        legend[label] = name
        out.append(label)
    return out


def _letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _print_grid(con: Any, title: str, row_labels: list[str], columns: list[tuple[str, list[str]]],
                legend: dict[str, str], notes: Sequence[str] = ()) -> None:
    """Print rows x columns, splitting the columns over several tables to fit the width."""
    from rich import box
    from rich.table import Table
    from rich.text import Text  # names are text, never markup ("[/]" in a tier name)

    width = int(getattr(con, "width", 80) or 80)
    label_w = max([len(r) for r in row_labels] + [3])
    chunks: list[list[tuple[str, list[str]]]] = [[]]
    used = label_w + 2
    for col in columns:
        w = max([len(col[0])] + [len(c) for c in col[1]]) + 3
        if chunks[-1] and used + w > width:
            chunks.append([])
            used = label_w + 2
        chunks[-1].append(col)
        used += w
    for n, chunk in enumerate(chunks):
        suffix = f" ({n + 1}/{len(chunks)})" if len(chunks) > 1 else ""
        con.print(title + suffix, markup=False, highlight=False)
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("KPI", justify="left", no_wrap=True)
        for head, _ in chunk:
            table.add_column(Text(head), justify="right", no_wrap=True)
        for i, label in enumerate(row_labels):
            table.add_row(Text(label), *(Text(vals[i]) for _, vals in chunk))
        con.print(table)
    for note in notes:
        con.print(note, markup=False, highlight=False, soft_wrap=False)
    if legend:
        _print_legend(con, legend, width)


def _print_legend(con: Any, legend: dict[str, str], width: int) -> None:
    line = ""
    for label, meaning in legend.items():
        part = f"{label} = {meaning}"
        if line and len(line) + 2 + len(part) > width:
            con.print(line, markup=False, highlight=False)
            line = ""
        line = f"{line}; {part}" if line else part
    if line:
        con.print(line, markup=False, highlight=False)


def _shown_kpis(present: Sequence[str], main: Sequence[str]) -> list[str]:
    chosen = [k for k in main if k in set(present)]
    return chosen or list(present)


#: KPIs shown per tier (service; the money KPIs are not broken down by tier).
TIER_KPIS = ("fill_rate", "otif_rate", "order_cycle_time_mean", "lost_sales_rate")


def print_results(results: Results, console: Any = None) -> None:
    """Main KPIs (rows) with 95% intervals, then the service KPIs by customer tier (columns).

    Reads the intervals as plain Python (:meth:`Results.intervals`), so printing a run's
    table needs no pandas."""
    from .results import MAIN_KPIS

    con = _console(console)
    overall = _records(results.intervals())
    kpis = _shown_kpis(list(overall), MAIN_KPIS)
    legend: dict[str, str] = {}
    labels = [kpi_label(k, legend) for k in kpis]
    reps = f"{results.n} replication{'s' if results.n != 1 else ''}"
    _print_grid(con, f"{results.scenario_name}: mean [95% interval], {reps}, seed "
                     f"{results.seed}", labels, [("all customers", _cells(overall, kpis))], {})
    tiers = results.intervals("tier")
    if tiers:
        present = {kpi for (_, kpi), _ in tiers}
        tier_kpis = [k for k in TIER_KPIS if k in present]
        names = list(dict.fromkeys(key for (key, _), _ in tiers))
        heads = header_labels(names, legend, prefix="T")
        columns = [(head, _cells(_records([t for t in tiers if t[0][0] == name]), tier_kpis))
                   for head, name in zip(heads, names, strict=True)]
        _print_grid(con, "by tier", [kpi_label(k, legend) for k in tier_kpis], columns, {})
    if legend:
        _print_legend(con, legend, int(getattr(con, "width", 80) or 80))
    if not results.units_conserved:
        con.print("[bold red]audit: units NOT conserved in some replication[/]")


def _records(intervals: Sequence[tuple[tuple[Any, str], Any]]) -> dict[str, dict[str, Any]]:
    """KPI -> ``mean, ci_low, ci_high, half_width`` of its first interval, the numbers as
    numpy floats: the type a summary table's row gives, so :func:`fmt` rounds them alike."""
    out: dict[str, dict[str, Any]] = {}
    for (_, kpi), iv in intervals:
        out.setdefault(kpi, {name: np.float64(getattr(iv, name))
                             for name in ("mean", "ci_low", "ci_high", "half_width")})
    return out


def _difference_records(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """KPI -> its first difference row, the numbers as numpy floats (as :func:`_records`)."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(r["kpi"], {**{k: np.float64(r[k]) for k in ("diff", "ci_low", "ci_high",
                                                                     "half_width")},
                                  "significant": r["significant"]})
    return out


def _cells(rows: Mapping[str, Any], kpis: Sequence[str], *, value: str = "mean",
           signed: bool = False, mark_significant: bool = False) -> list[str]:
    """One cell per KPI (``-`` when absent from ``rows``, KPI -> record): ``value`` with its
    interval; with ``mark_significant`` a ``*`` after a difference whose interval excludes 0."""
    out = []
    for k in kpis:
        if k not in rows:
            out.append("-")
            continue
        r = rows[k]
        text = cell(k, r[value], r["ci_low"], r["ci_high"], r["half_width"], signed=signed)
        if mark_significant:
            text += "*" if r["significant"] else " "
        out.append(text)
    return out


def print_comparison(comparison: Comparison, console: Any = None) -> None:
    """KPIs (rows): the baseline's mean and, per alternative (columns), the paired difference
    with its interval; ``*`` marks a difference whose interval excludes 0."""
    from .compare import DIFF_COLUMNS
    from .results import MAIN_KPIS

    con = _console(console)
    base = _records(comparison.results[0].intervals())
    kpis = _shown_kpis(list(base), MAIN_KPIS)
    legend: dict[str, str] = {}
    labels = [kpi_label(k, legend) for k in kpis]
    heads = header_labels(comparison.names, legend)
    columns = [(heads[0], _cells(base, kpis))]
    diffs = [dict(zip(DIFF_COLUMNS, row, strict=True)) for row in comparison.difference_rows]
    for head, name in zip(heads[1:], comparison.names[1:], strict=True):
        vals = _cells(_difference_records([d for d in diffs if d["alternative"] == name]), kpis,
                      value="diff", signed=True, mark_significant=True)
        columns.append((f"{head} - {heads[0]}", vals))
    title = (f"paired differences to {heads[0]}: {comparison.replications} replications, "
             "common random numbers")
    notes = ["cells: mean [95% interval]; * = the difference's interval excludes 0",
             "rates in percent, their differences in percentage points"]
    _print_grid(con, title, labels, columns, legend, notes)


def print_sweep_summary(summary: pd.DataFrame, params: list[str], kpis: list[str] | None = None,
                        console: Any = None, limit: int = 40, max_kpis: int = 4) -> None:
    """One row per point: its parameters and ``mean [95% interval]`` of a few KPIs.

    Shows the experiment's ``kpis`` (else the main KPIs present), as many of them (at most
    ``max_kpis``) as fit the terminal; the full per-point summary is in summary.csv.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from .results import MAIN_KPIS

    con = _console(console)
    width = int(getattr(con, "width", 80) or 80)
    present = list(dict.fromkeys(summary["kpi"]))
    chosen = [k for k in (kpis or MAIN_KPIS) if k in present][:max_kpis] or present[:max_kpis]
    legend: dict[str, str] = {}
    heads = header_labels(params, legend, prefix="p")
    labels = [kpi_label(k, legend) for k in chosen]
    cells = summary.set_index(["point", "kpi"])
    points = summary.drop_duplicates("point").head(limit)
    rows = []
    for row in points.to_dict("records"):
        vals = []
        for k in chosen:
            if (row["point"], k) in cells.index:
                c = cells.loc[(row["point"], k)]
                vals.append(cell(k, c["mean"], c["ci_low"], c["ci_high"], c["half_width"]))
            else:
                vals.append("-")
        rows.append((str(row["point"]), [_param(row[p]) for p in params], vals))
    # keep as many KPI columns as fit the width
    fixed = 8 + sum(max([len(h)] + [len(r[1][i]) for r in rows]) + 3 for i, h in enumerate(heads))
    shown = 0
    used = fixed
    for j, label in enumerate(labels):
        w = max([len(label)] + [len(r[2][j]) for r in rows]) + 3
        if shown and used + w > width:
            break
        used += w
        shown += 1
    con.print("sweep: mean [95% interval] per point", markup=False, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("point", justify="right", no_wrap=True)
    for h in heads:
        table.add_column(Text(h), justify="right", no_wrap=True)
    for label in labels[:shown]:
        table.add_column(Text(label), justify="right", no_wrap=True)
    for point, pvals, vals in rows:
        table.add_row(point, *map(Text, pvals), *map(Text, vals[:shown]))
    con.print(table)
    left = len(summary.drop_duplicates("point")) - len(points)
    if left > 0:
        con.print(f"... {left} more points in summary.csv", markup=False)
    if shown < len(labels):
        con.print(f"... {', '.join(chosen[shown:])} in summary.csv (too wide for the terminal)",
                  markup=False)
    for label in labels[shown:]:
        legend.pop(label, None)
    if legend:
        _print_legend(con, legend, width)


def _param(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
