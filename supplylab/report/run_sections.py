"""Sections of one scenario's results: service, inventory, money, customers.

Each builder takes a :class:`~supplylab.report.folder.RunData` and returns a
:class:`~supplylab.report.model.Section`, or ``None`` when the KPIs it shows are absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .folder import RunData
from .model import Section
from .plots import band, bars_with_ci, by_key, rate_limits, unit_label
from .style import PALETTE, big_numbers, colour_for, colours, legend_outside, new_figure, short

RATE_KPIS = ("fill_rate", "otif_rate", "perfect_order_rate", "promise_kept_rate")
SERVICE_TABLE = ("fill_rate", "line_fill_rate", "order_fill_rate", "cycle_service_level",
                 "on_time_rate", "promise_kept_rate", "otif_rate", "perfect_order_rate",
                 "order_cycle_time_mean", "order_cycle_time_p50", "order_cycle_time_p95",
                 "lost_sales_rate", "lost_sales_units", "backorder_units_avg", "return_rate")
COST_PARTS = ("holding_cost", "ordering_cost", "transport_cost", "handling_cost",
              "facility_fixed_cost", "stockout_penalty_cost", "promotion_cost")
MONEY_KPIS = ("revenue", "gross_margin", "total_cost", "profit")
CUSTOMER_KPIS = ("active_customers_end", "churned_customers", "churn_rate",
                 "at_risk_customers", "clv_total")
SITE_DIMENSION = "facility"


def kpi_table(run: RunData, kpis: tuple[str, ...], dimension: str = "all") -> pd.DataFrame:
    """``[key,] kpi, mean, ci_low, ci_high`` for the listed KPIs that are present, in order."""
    s = run.summary(dimension)
    s = s[s["kpi"].isin(kpis)].copy()
    if s.empty:
        return s
    s["_o"] = s["kpi"].map({k: i for i, k in enumerate(kpis)})
    keys = list(dict.fromkeys(s["key"]))
    s["_k"] = s["key"].map({k: i for i, k in enumerate(keys)})
    s = s.sort_values(["_k", "_o"]).drop(columns=["_o", "_k"])
    return s.drop(columns=["key"]) if dimension == "all" else s.rename(
        columns={"key": dimension})


def rates_by(run: RunData, dimension: str, title: str) -> Figure | None:
    """Fill rate, OTIF, perfect order and promise kept per key, with 95% intervals."""
    s = run.summary(dimension)
    kpis = [k for k in RATE_KPIS if k in set(s["kpi"])]
    if not kpis or s.empty:
        return None
    keys = list(dict.fromkeys(s["key"]))
    fig = new_figure(height=3.4)
    ax = fig.add_subplot()
    series = [(unit_label(k).split(" (")[0], PALETTE[i], by_key(s, k))
              for i, k in enumerate(kpis)]
    bars_with_ci(ax, keys, series)
    rate_limits(ax, np.concatenate([f["ci_low"].to_numpy(dtype=float) for *_, f in series]))
    ax.set_ylabel("share (95% interval)")
    ax.set_xlabel(dimension)
    ax.set_title(title)
    legend_outside(ax)
    return fig


def contracts(run: RunData) -> tuple[Figure | None, pd.DataFrame]:
    """Each tier's fill rate against its contract target: met, missed or not yet clear."""
    s = run.summary("tier")
    target, got = by_key(s, "target_fill_rate"), by_key(s, "fill_rate")
    tiers = [t for t in target.index if t in got.index]
    if not tiers:
        return None, pd.DataFrame()
    rows = []
    for t in tiers:
        goal, (m, lo, hi) = float(target.loc[t, "mean"]), got.loc[t].to_numpy(dtype=float)
        verdict = "met" if lo >= goal else "missed" if hi < goal else (
            "met (interval spans target)" if m >= goal else "missed (interval spans target)")
        rows.append((t, goal, m, lo, hi, verdict))
    table = pd.DataFrame(rows, columns=["tier", "target_fill_rate", "fill_rate", "ci_low",
                                        "ci_high", "contract"])
    fig = new_figure(height=2.6)
    ax = fig.add_subplot()
    bars_with_ci(ax, tiers, [("achieved fill rate", PALETTE[0], got)], horizontal=True)
    ax.vlines(table["target_fill_rate"], np.arange(len(tiers)) - 0.42,
              np.arange(len(tiers)) + 0.42, colors="#D55E00", linewidths=2.5, zorder=3,
              label="contract target")
    lo = float(min(table["ci_low"].min(), table["target_fill_rate"].min()))
    ax.set_xlim(max(0.0, lo - (1 - lo) * 0.5 - 0.01), 1.0)
    ax.set_xlabel("fill rate (share of units, 95% interval)")
    ax.set_title("Contracts: fill rate by tier against target")
    legend_outside(ax)
    return fig, table


def cycle_times(run: RunData) -> Figure | None:
    """Order cycle time per tier (median, mean, 95th percentile) and across customers."""
    s = run.summary("tier")
    have = {k for k in ("order_cycle_time_p50", "order_cycle_time_mean",
                        "order_cycle_time_p95") if k in set(s["kpi"])}
    cust = run.summary("customer")
    cust = cust[cust["kpi"] == "order_cycle_time_mean"]["mean"].dropna()
    if not have and cust.empty:
        return None
    fig = new_figure(height=3.0)
    axes = fig.subplots(1, 2 if (have and not cust.empty) else 1, squeeze=False)[0]
    i = 0
    if have:
        ax = axes[0]
        tiers = list(dict.fromkeys(s["key"]))
        y = np.arange(len(tiers))
        for j, t in enumerate(tiers):
            vals = {k: by_key(s, k)["mean"].get(t, np.nan) for k in have}
            lo = vals.get("order_cycle_time_p50", vals.get("order_cycle_time_mean"))
            hi = vals.get("order_cycle_time_p95", lo)
            ax.plot([lo, hi], [j, j], color=colour_for(t), lw=5, alpha=0.6, solid_capstyle="round")
            if "order_cycle_time_mean" in vals:
                ax.plot(vals["order_cycle_time_mean"], j, "o", color="#222222", ms=4)
        ax.set_yticks(y, [short(t) for t in tiers])
        ax.invert_yaxis()
        ax.set_xlabel("days from order to last delivery")
        ax.set_title("Cycle time by tier: median to p95 (dot: mean)")
        ax.grid(True, axis="x")
        i = 1
    if not cust.empty:
        ax = axes[i]
        counts, _, _ = ax.hist(cust.to_numpy(dtype=float),
                               bins=min(30, max(5, len(cust) // 3)), color=PALETTE[5],
                               edgecolor="white")
        nonzero = counts[counts > 0]
        skewed = len(nonzero) > 1 and nonzero.max() > 20 * nonzero.min()
        if skewed:  # a few slow customers would vanish next to the many fast ones
            ax.set_yscale("log")
        ax.set_xlabel("mean order cycle time of a customer (days)")
        ax.set_ylabel("customers (log scale)" if skewed else "customers")
        ax.set_title("Across customers")
    return fig


def service_section(run: RunData) -> Section | None:
    table = kpi_table(run, SERVICE_TABLE)
    if table.empty:
        return None
    sec = Section("service", "Service")
    sec.table("service_kpis", table, "Service KPIs with 95% confidence intervals "
              f"({run.doc.get('replications', '?')} replications).")
    tiers = kpi_table(run, ("fill_rate", "otif_rate", "perfect_order_rate", "promise_kept_rate",
                            "order_cycle_time_mean", "lost_sales_rate"), "tier")
    sec.table("service_by_tier", tiers, "Service by customer tier.")
    for dim, name, title in (("tier", "service_by_tier", "Service by tier"),
                             (SITE_DIMENSION, "service_by_site", "Service by shipping site")):
        fig = rates_by(run, dim, title)
        if fig is not None:
            sec.figure(name, fig, f"{title}; whiskers are 95% intervals over replications.")
    fig = cycle_times(run)
    if fig is not None:
        sec.figure("cycle_time", fig, "Order cycle time distribution.")
    fig, table = contracts(run)
    if fig is not None:
        sec.figure("contracts", fig, "Fill rate per tier against the tier's contract target.")
        sec.table("contracts", table, "Contracts met or missed (met: the whole interval is at "
                  "or above target; missed: the whole interval is below).")
    return sec


def over_time(run: RunData, kpis: tuple[str, ...], title: str) -> Figure | None:
    """Period KPIs as mean lines with 95% bands across replications, one panel per KPI."""
    dim = run.period_dimension()
    if not dim:
        return None
    summary = run.summary(dim).copy()
    summary["key"] = pd.to_numeric(summary["key"], errors="coerce")
    summary = summary.dropna(subset=["key"])
    kpis = tuple(k for k in kpis if k in set(summary["kpi"]))
    if not kpis:
        return None
    fig = new_figure(height=2.4 * len(kpis))
    axes = fig.subplots(len(kpis), 1, sharex=True, squeeze=False)[:, 0]
    for ax, k, colour in zip(axes, kpis, PALETTE, strict=False):
        s = summary[summary["kpi"] == k].sort_values("key")
        band(ax, s["key"].to_numpy(dtype=float), s, colour, unit_label(k))
        ax.set_ylabel(unit_label(k))
    axes[0].set_title(title)
    axes[-1].set_xlabel(f"{dim} (index from the end of the warm-up)")
    return fig


def inventory_section(run: RunData) -> Section | None:
    sec = Section("inventory", "Inventory")
    fig = over_time(run, ("on_hand_units_avg", "backorder_units_avg", "lost_sales_units"),
                    "On hand, backorders and lost sales over time (95% band)")
    if fig is not None:
        sec.figure("inventory_over_time", fig, "Network totals per period; the band is the 95% "
                   "interval across replications.")
    prod = run.summary("product")
    value = by_key(prod, "inventory_value_avg")
    if not value.empty:
        top = value.sort_values("mean", ascending=False).head(10)
        keys = list(top.index)
        fig = new_figure(height=3.4)
        ax1, ax2 = fig.subplots(1, 2, sharey=True)
        bars_with_ci(ax1, keys, [("on hand", PALETTE[0], by_key(prod, "on_hand_units_avg"))],
                     horizontal=True)
        ax1.set_xlabel("on hand (units, time average)")
        ax1.set_title("Top products by inventory value")
        bo = by_key(prod, "backorder_units_avg")
        if not bo.empty:
            bars_with_ci(ax2, keys, [("backorders", PALETTE[3], bo)], horizontal=True)
            ax2.set_xlabel("backorders (units, time average)")
            ax2.set_title("Backorders")
        sec.figure("inventory_top_products", fig, "The ten products holding the most value.")
    abc = run.summary("abc_class")
    if not by_key(abc, "inventory_value_avg").empty:
        sec.figure("inventory_abc", _abc(abc), "Inventory by ABC class (A: the products making "
                   "most of the revenue).")
        sec.table("inventory_abc", kpi_table(run, ("inventory_value_avg", "on_hand_units_avg",
                                                   "days_of_supply", "inventory_turns",
                                                   "fill_rate"), "abc_class"),
                  "Inventory and service by ABC class.")
    overall = kpi_table(run, ("on_hand_units_avg", "inventory_value_avg", "inventory_turns",
                              "days_of_supply", "backorder_units_avg", "bullwhip_ratio"))
    sec.table("inventory_kpis", overall, "Inventory KPIs (time averages after the warm-up).")
    return None if sec.empty else sec


def _abc(abc: pd.DataFrame) -> Figure:
    fig = new_figure(height=2.8)
    ax1, ax2 = fig.subplots(1, 2)
    keys = sorted(dict.fromkeys(abc["key"]))
    bars_with_ci(ax1, keys, [("value", PALETTE[0], by_key(abc, "inventory_value_avg"))])
    ax1.set_ylabel("inventory value (money, time average)")
    big_numbers(ax1)
    ax1.set_title("Inventory value by class")
    turns = by_key(abc, "inventory_turns")
    if not turns.empty:
        bars_with_ci(ax2, keys, [("turns", PALETTE[2], turns)])
        ax2.set_ylabel("inventory turns (per year)")
        ax2.set_title("Turns by class")
    return fig


def cost_breakdown(runs: list[RunData], title: str, by_site: bool = True) -> Figure | None:
    """Stacked cost components: one bar per run, plus one per site for a single run."""
    bars: list[tuple[str, dict[str, float]]] = []
    for run in runs:
        parts: dict[str, float] = {}
        for k in COST_PARTS:
            hit = run.value(k)
            if hit is not None and np.isfinite(hit[0]):
                parts[k] = hit[0]
        if parts:
            bars.append((run.label if len(runs) > 1 else "network", parts))
    if not bars:
        return None
    if by_site and len(runs) == 1:
        site = runs[0].summary(SITE_DIMENSION)
        for key in dict.fromkeys(site["key"]):
            parts = {k: float(by_key(site, k)["mean"].get(key, np.nan)) for k in COST_PARTS}
            parts = {k: v for k, v in parts.items() if np.isfinite(v)}
            if parts and sum(parts.values()) > 0:
                bars.append((str(key), parts))
    present = [k for k in COST_PARTS if any(k in p for _, p in bars)]
    fig = new_figure(height=3.4)
    ax = fig.add_subplot()
    bottom = np.zeros(len(bars))
    for k, colour in zip(present, PALETTE, strict=False):
        vals = np.array([p.get(k, 0.0) for _, p in bars])
        ax.bar(range(len(bars)), vals, bottom=bottom, color=colour,
               label=k.replace("_cost", "").replace("_", " "))
        bottom += vals
    ax.set_xticks(range(len(bars)), [short(n) for n, _ in bars],
                  rotation=30 if len(bars) > 5 else 0, ha="right" if len(bars) > 5 else "center")
    ax.set_ylabel(unit_label("total_cost", runs[0].currency))
    big_numbers(ax)
    ax.set_title(title)
    legend_outside(ax)
    return fig


def money_bars(runs: list[RunData]) -> Figure | None:
    """Revenue, gross margin, total cost and profit with 95% intervals (one colour per run)."""
    kpis = [k for k in MONEY_KPIS if any(r.value(k) is not None for r in runs)]
    if not kpis:
        return None
    fig = new_figure(height=3.0)
    ax = fig.add_subplot()
    series = []
    for run, colour in zip(runs, colours([r.label for r in runs]), strict=True):
        s = run.summary("all")
        frame = s[s["kpi"].isin(kpis)].set_index("kpi")[["mean", "ci_low", "ci_high"]]
        series.append((run.label, colour, frame))
    bars_with_ci(ax, kpis, series)
    ax.set_ylabel(f"money ({runs[0].currency or 'currency'}, 95% interval)")
    ax.set_title("Revenue, margin, cost and profit")
    big_numbers(ax)
    ax.axhline(0, color="#444444", lw=0.6)
    if len(runs) > 1:
        legend_outside(ax)
    return fig


def money_section(run: RunData) -> Section | None:
    sec = Section("money", "Money")
    fig = cost_breakdown([run], "Cost breakdown: network and each site")
    if fig is not None:
        sec.figure("cost_breakdown", fig, "Cost components over the horizon after the warm-up "
                   "(means over replications); a site's bar holds the costs booked to it.")
    fig = money_bars([run])
    if fig is not None:
        sec.figure("money", fig, "Revenue, gross margin, total cost and profit.")
    sec.table("money_kpis", kpi_table(run, (*MONEY_KPIS, *COST_PARTS, "co2_kg")),
              "Money KPIs with 95% intervals.")
    return None if sec.empty else sec


def customers_section(run: RunData, warning: pd.DataFrame | None = None) -> Section | None:
    """Customer base, churn and CLV by tier, and the at-risk list: ``warning`` (an early-warning
    document's rows, e.g. from :func:`supplylab.customers.at_risk`) when given."""
    has_warning = warning is not None and not warning.empty
    if not has_warning and not any(run.value(k) is not None for k in CUSTOMER_KPIS):
        return None
    sec = Section("customers", "Customers")
    sec.table("customer_kpis", kpi_table(run, CUSTOMER_KPIS), "Customer base at the end of the "
              "horizon.")
    fig = over_time(run, ("active_customers", "churned_customers", "churn_rate"),
                    "Churn over time (95% band)")
    if fig is not None:
        sec.figure("churn_over_time", fig, "Customers lost per period.")
    tier = run.summary("tier")
    kpis = [k for k in ("clv_total", "churn_rate") if not by_key(tier, k).empty]
    if kpis:
        fig = new_figure(height=2.8)
        axes = fig.subplots(1, len(kpis), squeeze=False)[0]
        for ax, k in zip(axes, kpis, strict=True):
            f = by_key(tier, k)
            keys = list(f.index)
            bars_with_ci(ax, keys, [(k, PALETTE[0], f)])
            for patch, key in zip(ax.patches, keys, strict=False):
                patch.set_color(colour_for(key))
            ax.set_ylabel(unit_label(k, run.currency))
            big_numbers(ax)
            ax.set_title(unit_label(k).split(" (")[0].capitalize() + " by tier")
        sec.figure("customers_by_tier", fig, "Customer lifetime value and churn by tier.")
    if has_warning:
        sec.table("at_risk", warning, "At-risk customers named by the early warning, in its "
                  "order (most value at risk first).")
    else:
        sec.table("at_risk", at_risk(run), at_risk_caption(run))
    return None if sec.empty else sec


def at_risk(run: RunData, n: int = 15) -> pd.DataFrame:
    """Customers flagged at risk by the engine, else the worst served by OTIF."""
    cust = run.summary("customer")
    if cust.empty:
        return cust
    wide = cust.pivot_table(index="key", columns="kpi", values="mean", aggfunc="first")
    flag = next((k for k in ("at_risk", "churn_probability") if k in wide.columns), None)
    if flag is not None:
        wide = wide[wide[flag] > 0].sort_values(flag, ascending=False)
    elif "otif_rate" in wide.columns:
        wide = wide.sort_values("otif_rate")
    else:
        return pd.DataFrame()
    cols = [c for c in (flag, "otif_rate", "fill_rate", "order_cycle_time_mean", "orders",
                        "revenue", "lost_sales_units") if c and c in wide.columns]
    out = wide[cols].head(n).reset_index().rename(columns={"key": "customer"})
    return out


def at_risk_caption(run: RunData) -> str:
    cust = run.summary("customer")
    if {"at_risk", "churn_probability"} & set(cust["kpi"]):
        return "At-risk customers named by the engine's early warning."
    return ("Worst-served customers by OTIF (mean over replications): the candidates for an "
            "early-warning call.")
