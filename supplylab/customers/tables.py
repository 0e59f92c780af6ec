"""Terminal tables of the customer analytics (printed by ``supplylab run`` after the KPIs).

Three short tables: each tier's contract terms judged; value and churn per tier; the early
warning (AUC and the top of the at-risk list of the first replication). Names are printed as
text, never as markup; the full tables are in ``--json`` and the ``--out`` CSV files.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from supplylab.experiments.tables import fmt

if TYPE_CHECKING:
    from .analytics import CustomerAnalytics

#: How many at-risk customers the terminal shows.
TOP_AT_RISK = 10
TERM_LABELS = {"fill_rate": "fill %", "otif_rate": "OTIF %",
               "order_cycle_time_mean": "lead days"}


SHORT_VERDICT = {"met (interval spans target)": "met?", "missed (interval spans target)":
                 "missed?"}
VALUE_LABELS = {"customers": "customers", "churned": "churned", "churned_service":
                "churned (service)", "clv_active": "CLV of active", "clv_lost": "CLV lost",
                "clv_lost_service": "CLV lost (service)", "lifetime_years": "lifetime years",
                "at_risk": "at risk", "value_at_risk": "value at risk"}


def _table(headers: list[str]) -> Any:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, h in enumerate(headers):
        table.add_column(Text(h), justify="left" if i < 2 else "right", no_wrap=i > 0)
    return table


def _row(table: Any, cells: list[str]) -> None:
    from rich.text import Text

    table.add_row(*(Text(str(c)) for c in cells))


def _value(kpi: str, v: float) -> str:
    if not (isinstance(v, int | float) and math.isfinite(v)):
        return "-"
    return f"{v:.2f}" if kpi == "order_cycle_time_mean" else f"{v * 100:.1f}"


def _margin(kpi: str, mean: float, low: float, high: float) -> str:
    """The margin in percentage points (rates) or days, with its interval when there is one."""
    k, d = (1.0, 2) if kpi == "order_cycle_time_mean" else (100.0, 1)
    if not math.isfinite(mean):
        return "-"
    text = f"{mean * k:+.{d}f}"
    if math.isfinite(low) and math.isfinite(high):
        text += f" [{low * k:+.{d}f}, {high * k:+.{d}f}]"
    return text


def print_contracts(ca: CustomerAnalytics, con: Any) -> None:
    """Rows: each tier's terms; columns: target, achieved, margin, verdict, customers missed."""
    from supplylab.experiments.tables import _print_grid

    rows = ca.contract_rows
    tiers = [r for r in rows if r.scope == "tier"]
    if not tiers:
        return
    cust = [r for r in rows if r.scope == "customer"]
    labels, cols = [], {k: [] for k in ("target", "got", "margin", "verdict",
                                        "missed")}
    for r in tiers:
        mine = [c for c in cust if c.tier == r.key and c.kpi == r.kpi]
        missed = sum(1 for m in mine if m.met is False)
        labels.append(f"{r.key} {TERM_LABELS.get(r.kpi, r.kpi)}")
        cols["target"].append(_value(r.kpi, r.target))
        cols["got"].append(_value(r.kpi, r.achieved))
        cols["margin"].append(_margin(r.kpi, r.margin, r.margin_low, r.margin_high))
        cols["verdict"].append(SHORT_VERDICT.get(r.verdict, r.verdict))
        cols["missed"].append(f"{missed}/{len(mine)}")
    notes = ["margin [95% interval] = achieved - target (rates: percentage points) or "
             "promised - achieved (days); negative = missed; ? = the interval spans the "
             "target; cust. missed = customers of the tier whose own margin is negative"]
    _print_grid(con, "contracts by tier", labels, list(cols.items()), {}, notes)


def print_value(ca: CustomerAnalytics, con: Any) -> None:
    """Rows: the value totals; columns: all customers and each tier."""
    from supplylab.experiments.tables import _print_grid, cell

    s = ca.value_summary_rows()
    if not s:
        return
    cells = {(r.tier, r.metric): r for r in s}
    tiers = [t for t in ["all", *ca.tiers] if (t, "customers") in cells]
    shown = [m for m in VALUE_LABELS if (tiers[0], m) in cells]
    columns = []
    for t in tiers:
        vals = []
        for metric in shown:
            r = cells[(t, metric)]
            whole = math.isfinite(r.mean) and float(r.mean).is_integer()
            if whole and not (math.isfinite(r.half_width) and r.half_width > 0):
                vals.append(f"{int(r.mean):,}")  # a count without spread
            else:
                vals.append(cell(metric, r.mean, r.ci_low, r.ci_high, r.half_width))
        columns.append((t, vals))
    _print_grid(con, f"customer value (gross margin, {ca.years} years, discounted): mean "
                     "[95% interval]", [VALUE_LABELS[m] for m in shown], columns, {})


def print_warning(ca: CustomerAnalytics, con: Any) -> None:
    if not ca.fitted:
        con.print("early warning (BG/NBD, its AUC against who really churned, the at-risk "
                  "list): in --json and --out DIR (at_risk.csv)", markup=False,
                  highlight=False)
        return
    w = ca.warning_rows()
    if not w:
        return
    from .analytics import metric_interval

    def show(col: str) -> str:
        iv = metric_interval([row[col] for row in w], col)
        if iv.n == 0:
            return "-"
        text = f"{iv.mean:.3f}"
        if math.isfinite(iv.ci_low):
            text += f" [{iv.ci_low:.3f}, {iv.ci_high:.3f}]"
        return text

    at_risk = sum(row["at_risk"] for row in w) / len(w)
    con.print(f"early warning (BG/NBD on the order histories): AUC vs true churn {show('auc')}; "
              f"recency alone {show('auc_recency')}; at risk per replication "
              f"{fmt(float(at_risk))}", markup=False, highlight=False)
    top = ca.at_risk_rows()
    first = [r for r in top if r["replication"] == top[0]["replication"]] if top else []
    if first:
        table = _table(["customer", "tier", "P(alive)", "failures", "CLV", "value at risk",
                        "churned"])
        for r in first[:TOP_AT_RISK]:
            _row(table, [r["customer"], r["tier"], f"{r['p_alive']:.2f}", str(int(r["failures"])),
                         fmt(r["clv"]), fmt(r["value_at_risk"]), "yes" if r["churned"] else "no"])
        more = len(first) - min(len(first), TOP_AT_RISK)
        con.print(f"at risk in replication {int(first[0]['replication'])} "
                  f"(most value at risk first{f'; {more} more in at_risk.csv' if more else ''}):",
                  markup=False, highlight=False)
        con.print(table)
    for note in ca.notes[:5]:
        con.print(f"note: {note}", markup=False, highlight=False)


def print_customer_tables(ca: CustomerAnalytics, console: Any = None) -> None:
    """Print the contracts, value and early-warning tables."""
    if console is None:
        from rich.console import Console

        console = Console(highlight=False)
    print_contracts(ca, console)
    print_value(ca, console)
    print_warning(ca, console)
