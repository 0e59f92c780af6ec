"""Sections of a comparison: paired differences as a forest plot, alternatives side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .escape import fmt
from .folder import CompareData
from .model import Section
from .plots import bars_with_ci, by_key, rate_limits, unit_label
from .run_sections import cost_breakdown, money_bars
from .style import colours, legend_outside, new_figure, short

FOREST_KPIS = ("fill_rate", "otif_rate", "perfect_order_rate", "promise_kept_rate",
               "order_cycle_time_mean", "lost_sales_rate", "on_hand_units_avg",
               "inventory_value_avg", "total_cost", "profit", "co2_kg", "churn_rate",
               "clv_total")


def forest_table(cmp_: CompareData) -> pd.DataFrame:
    """Differences of the forest KPIs, with the difference relative to the baseline mean."""
    d = cmp_.differences
    d = d[d["kpi"].isin(FOREST_KPIS)].copy()
    if d.empty:
        return d
    base = d["baseline_mean"].astype(float) if "baseline_mean" in d else np.nan
    if isinstance(base, pd.Series) and base.isna().all():
        base = d["kpi"].map(lambda k: _baseline(cmp_, k))
    scale = np.abs(base).replace(0, np.nan) if isinstance(base, pd.Series) else np.nan
    for col in ("diff", "ci_low", "ci_high"):
        d[f"{col}_pct"] = 100.0 * d[col].astype(float) / scale
    order = {k: i for i, k in enumerate(FOREST_KPIS)}
    d["_o"] = d["kpi"].map(order)
    return d.sort_values(["_o", "alternative"], kind="stable").drop(columns="_o")


def _baseline(cmp_: CompareData, kpi: str) -> float:
    hit = cmp_.alternatives[0].value(kpi)
    return hit[0] if hit else np.nan


def forest(table: pd.DataFrame, baseline: str) -> Figure:
    """Paired differences (per cent of the baseline mean) with 95% intervals."""
    alts = list(dict.fromkeys(table["alternative"]))
    kpis = list(dict.fromkeys(table["kpi"]))
    fig = new_figure(height=0.9 + 0.32 * len(kpis) * max(1, len(alts)))
    ax = fig.add_subplot()
    step = 0.8 / max(len(alts), 1)
    for i, (alt, colour) in enumerate(zip(alts, colours(alts), strict=True)):
        sub = table[table["alternative"] == alt].set_index("kpi").reindex(kpis)
        y = np.arange(len(kpis)) - 0.4 + step * (i + 0.5)
        m = sub["diff_pct"].to_numpy(dtype=float)
        lo = np.clip(m - sub["ci_low_pct"].to_numpy(dtype=float), 0, None)
        hi = np.clip(sub["ci_high_pct"].to_numpy(dtype=float) - m, 0, None)
        sig = sub["significant"].astype(bool).to_numpy() if "significant" in sub else \
            np.zeros(len(kpis), bool)
        ax.errorbar(m, y, xerr=np.nan_to_num(np.vstack([lo, hi])), fmt="none", ecolor=colour,
                    elinewidth=1.4, capsize=3)
        ax.scatter(m[sig], y[sig], color=colour, s=30, zorder=3, label=f"{short(alt, 30)} "
                   "(significant)")
        ax.scatter(m[~sig], y[~sig], facecolors="white", edgecolors=colour, s=30, zorder=3,
                   label=f"{short(alt, 30)} (interval spans 0)")
    ax.axvline(0, color="#444444", lw=0.8)
    ax.set_yticks(range(len(kpis)), [unit_label(k).split(" (")[0] for k in kpis])
    ax.invert_yaxis()
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.set_xlabel(f"difference vs {short(baseline, 30)} (% of the baseline mean, 95% paired "
                  "interval)")
    ax.set_title("Paired differences (common random numbers)")
    legend_outside(ax)
    return fig


def side_by_side(cmp_: CompareData, kpis: tuple[str, ...]) -> pd.DataFrame:
    """One row per KPI, one mean column per alternative (and its interval)."""
    rows = []
    for k in kpis:
        vals = [a.value(k) for a in cmp_.alternatives]
        if all(v is None for v in vals):
            continue
        row: dict[str, object] = {"kpi": k}
        for a, v in zip(cmp_.alternatives, vals, strict=True):
            row[a.label] = v[0] if v else np.nan
            row[f"{a.label} ci"] = f"[{fmt(v[1])}, {fmt(v[2])}]" if v else ""
        rows.append(row)
    return pd.DataFrame(rows)


def service_by_tier(cmp_: CompareData) -> Figure | None:
    """Fill rate and OTIF by tier, one colour per alternative."""
    kpis = [k for k in ("fill_rate", "otif_rate")
            if any(not by_key(a.summary("tier"), k).empty for a in cmp_.alternatives)]
    if not kpis:
        return None
    fig = new_figure(height=3.0)
    axes = fig.subplots(1, len(kpis), squeeze=False)[0]
    names = [a.label for a in cmp_.alternatives]
    for ax, k in zip(axes, kpis, strict=True):
        frames = [by_key(a.summary("tier"), k) for a in cmp_.alternatives]
        tiers = list(dict.fromkeys(t for f in frames for t in f.index))
        bars_with_ci(ax, tiers, [(short(n, 30), c, f) for n, c, f in
                                 zip(names, colours(names), frames, strict=True)])
        rate_limits(ax, np.concatenate([f["ci_low"].to_numpy(dtype=float) for f in frames]))
        ax.set_ylabel(unit_label(k))
        ax.set_title(f"{unit_label(k).split(' (')[0]} by tier")
    legend_outside(axes[-1])
    return fig


def comparison_sections(cmp_: CompareData) -> list[Section]:
    sec = Section("comparison", "Comparison")
    sec.text(f"Baseline: {cmp_.baseline}. Every alternative ran the same replications with "
             "common random numbers; a difference is significant when its 95% paired "
             "interval excludes zero.")
    table = forest_table(cmp_)
    if not table.empty:
        sec.figure("forest", forest(table, cmp_.baseline), "Paired differences against the "
                   "baseline, in per cent of the baseline mean; filled markers are significant.")
    cols = [c for c in ("alternative", "kpi", "baseline_mean", "mean", "diff", "ci_low",
                        "ci_high", "significant") if c in cmp_.differences.columns]
    sec.table("differences", table[cols] if not table.empty else cmp_.differences[cols],
              "Paired differences (alternative minus baseline) with 95% intervals.")
    sec.table("alternatives", side_by_side(cmp_, FOREST_KPIS), "Each alternative's means.")
    out = [sec]
    svc = Section("service", "Service")
    fig = service_by_tier(cmp_)
    if fig is not None:
        svc.figure("service_by_tier", fig, "Service by tier for each alternative.")
        out.append(svc)
    money = Section("money", "Money")
    fig = cost_breakdown(cmp_.alternatives, "Cost breakdown by alternative", by_site=False)
    if fig is not None:
        money.figure("cost_breakdown", fig, "Cost components of each alternative.")
    fig = money_bars(cmp_.alternatives)
    if fig is not None:
        money.figure("money", fig, "Revenue, margin, cost and profit by alternative.")
    if not money.empty:
        out.append(money)
    return out
