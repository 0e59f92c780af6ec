"""Sections of a sweep: each KPI against each parameter with interval bands, a heat map over
two parameters and the service-cost frontier."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .folder import SweepData
from .model import Section
from .plots import unit_label
from .style import PALETTE, big_numbers, legend_outside, new_figure, short, tail

SERVICE_KPIS = ("fill_rate", "otif_rate", "perfect_order_rate", "promise_kept_rate")
COST_KPIS = ("total_cost",)
MAX_KPIS = 6
MAX_LINES = 6


def _sort_key(value: object) -> tuple[int, float, str]:
    try:
        return (0, float(value), "")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def _numeric(values: pd.Series) -> bool:
    return bool(pd.to_numeric(values, errors="coerce").notna().all())


def chosen_kpis(sw: SweepData) -> list[str]:
    """The experiment's KPIs (else the main ones present), at most :data:`MAX_KPIS`."""
    present = sw.kpi_names
    wanted = sw.experiment.get("kpis") or ["fill_rate", "otif_rate", "order_cycle_time_mean",
                                           "total_cost", "profit", "lost_sales_rate"]
    out = [k for k in wanted if k in present]
    return (out or present)[:MAX_KPIS]


def kpi_vs_parameter(sw: SweepData, param: str, kpis: list[str], currency: str = "") -> Figure:
    """One panel per KPI: mean against ``param`` with its 95% band; with a second grid
    parameter of few values, one line per value (else the points' spread as whiskers)."""
    s = sw.summary
    others = [p for p in sw.parameters if p != param]
    split = others[0] if len(others) == 1 else None
    if split is not None:
        values = sorted(s[split].unique(), key=_sort_key)
        if len(values) > MAX_LINES:  # evenly spaced values, first and last included
            keep = {values[int(round(i))] for i in np.linspace(0, len(values) - 1, MAX_LINES)}
            s = s[s[split].isin(keep)]
    grid = sw.experiment.get("design", "grid") != "lhs" and s[param].nunique() <= 50
    cols = 2 if len(kpis) > 1 else 1
    rows = int(np.ceil(len(kpis) / cols))
    fig = new_figure(height=2.5 * rows + 0.4)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    numeric = _numeric(s[param])
    for ax, k in zip(axes, kpis, strict=False):
        sub = s[s["kpi"] == k]
        groups = [(None, sub)] if split is None else sorted(sub.groupby(split),
                                                             key=lambda kv: _sort_key(kv[0]))
        for i, (val, g) in enumerate(groups):
            colour = PALETTE[i % len(PALETTE)]
            name = None if val is None else f"{tail(split)} = {short(val)}"
            if grid:
                agg = g.groupby(param, sort=True)[["mean", "ci_low", "ci_high"]].mean()
                x = agg.index.to_numpy(dtype=float) if numeric else np.arange(len(agg))
                ax.fill_between(x, agg["ci_low"], agg["ci_high"], color=colour, alpha=0.2, lw=0)
                ax.plot(x, agg["mean"], "-o", ms=3, color=colour, lw=1.5, label=name)
                if not numeric:
                    ax.set_xticks(x, [short(v) for v in agg.index])
            else:
                x = pd.to_numeric(g[param], errors="coerce").to_numpy(dtype=float)
                m = g["mean"].to_numpy(dtype=float)
                err = np.nan_to_num(np.vstack([np.clip(m - g["ci_low"], 0, None),
                                               np.clip(g["ci_high"] - m, 0, None)]))
                ax.errorbar(x, m, yerr=err, fmt="o", ms=3, color=colour, ecolor=colour,
                            elinewidth=0.6, alpha=0.8, label=name)
        ax.set_ylabel(unit_label(k, currency))
        ax.set_xlabel(short(param, 48))
        if numeric:
            ax.xaxis.set_major_locator(MaxNLocator(5))
        big_numbers(ax)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    if split is not None:
        handles, labels = axes[0].get_legend_handles_labels()
        width = max(len(t) for t in labels)
        fig.legend(handles, labels, loc="outside lower center",
                   ncols=max(1, min(len(labels), 3, 70 // width)))
    note = " averaged over the other parameters" if len(others) > 1 else ""
    fig.suptitle(f"KPIs against {short(param, 48)} (mean, 95% band{note})", fontweight="bold",
                 fontsize=11)
    return fig


def heat_map(sw: SweepData, kpis: list[str], currency: str = "") -> Figure | None:
    """Mean KPI over the first two parameters (averaged over any others)."""
    if len(sw.parameters) < 2:
        return None
    px, py = sw.parameters[:2]
    s = sw.summary
    if s[px].nunique() > 40 or s[py].nunique() > 40 or sw.experiment.get("design") == "lhs":
        return None
    kpis = kpis[:4]
    cols = 2 if len(kpis) > 1 else 1
    rows = int(np.ceil(len(kpis) / cols))
    fig = new_figure(height=3.0 * rows + 0.4)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, k in zip(axes, kpis, strict=False):
        grid = s[s["kpi"] == k].pivot_table(index=py, columns=px, values="mean", aggfunc="mean")
        grid = grid.sort_index().sort_index(axis=1)
        im = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto",
                       cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [short(v, 8) for v in grid.columns],
                      rotation=45 if grid.shape[1] > 6 else 0)
        ax.set_yticks(range(grid.shape[0]), [short(v, 8) for v in grid.index])
        ax.set_xlabel(short(px, 40))
        ax.set_ylabel(short(py, 40))
        ax.set_title(unit_label(k, currency), fontsize=9)
        ax.grid(False)
        big_numbers(fig.colorbar(im, ax=ax, shrink=0.9).ax)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle("Heat map over two parameters (mean)", fontweight="bold", fontsize=11)
    return fig


def pareto_points(cost: np.ndarray, service: np.ndarray) -> np.ndarray:
    """Indices of points no other point beats on both (lower cost, higher service), by cost."""
    order = np.lexsort((-service, cost))
    best, keep = -np.inf, []
    for i in order:
        if service[i] > best:
            keep.append(i)
            best = service[i]
    return np.array(keep, dtype=int)


def frontier(sw: SweepData, currency: str = "") -> tuple[Figure | None, pd.DataFrame]:
    """Service against cost per point with intervals; the efficient points joined."""
    present = set(sw.kpi_names)
    svc = next((k for k in SERVICE_KPIS if k in present), None)
    cost = next((k for k in COST_KPIS if k in present), None)
    if svc is None or cost is None:
        return None, pd.DataFrame()
    s = sw.summary
    a = s[s["kpi"] == cost].set_index("point")
    b = s[s["kpi"] == svc].set_index("point")
    pts = a.index.intersection(b.index)
    if not len(pts):
        return None, pd.DataFrame()
    a, b = a.loc[pts], b.loc[pts]
    x, y = a["mean"].to_numpy(dtype=float), b["mean"].to_numpy(dtype=float)
    eff = pareto_points(x, y)
    fig = new_figure(height=3.8)
    ax = fig.add_subplot()
    ax.errorbar(x, y, xerr=np.nan_to_num(np.vstack([x - a["ci_low"], a["ci_high"] - x]).clip(0)),
                yerr=np.nan_to_num(np.vstack([y - b["ci_low"], b["ci_high"] - y]).clip(0)),
                fmt="o", ms=3, color="#7B8794", ecolor="#9AA5B1", elinewidth=0.8,
                label="design point (95% intervals)")
    ax.plot(x[eff], y[eff], "-o", color=PALETTE[3], ms=5, lw=1.6, label="efficient frontier")
    for i in eff[:12]:
        ax.annotate(str(int(pts[i])), (x[i], y[i]), xytext=(4, -9), textcoords="offset points",
                    fontsize=7)
    ax.set_xlabel(unit_label(cost, currency))
    big_numbers(ax, "x")
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.set_ylabel(unit_label(svc))
    ax.set_title("Service-cost frontier (labels: point numbers)")
    ax.grid(True, axis="both")
    legend_outside(ax)
    params = s.drop_duplicates("point").set_index("point")[sw.parameters]
    table = params.loc[pts[eff]].assign(**{cost: x[eff], svc: y[eff]}).reset_index()
    return fig, table


def sweep_sections(sw: SweepData, currency: str = "") -> list[Section]:
    sec = Section("sweep", "Sweep")
    exp = sw.experiment
    n_points = sw.summary["point"].nunique()
    sec.text(f"{n_points} design points ({exp.get('design', 'grid')} design) over "
             f"{len(sw.parameters)} parameter(s), {exp.get('replications', '?')} replications "
             "per point with common random numbers across points.")
    if sw.runs is not None and "status" in sw.runs:
        failed = int((sw.runs["status"] != "ok").sum())
        if failed:
            sec.text(f"{failed} run(s) failed and are left out (see runs.csv).")
    kpis = chosen_kpis(sw)
    if not kpis or not sw.parameters:
        sec.text("No finished runs to show yet: run the sweep again to resume it.")
        return [sec]
    for i, p in enumerate(sw.parameters[:4]):
        sec.figure(f"sweep_kpis_{i + 1}", kpi_vs_parameter(sw, p, kpis, currency),
                   f"Each KPI against {p}; the band is the 95% interval over replications.")
    fig = heat_map(sw, kpis, currency)
    if fig is not None:
        sec.figure("sweep_heatmap", fig, "Mean of each KPI over the first two parameters.")
    fig, table = frontier(sw, currency)
    if fig is not None:
        sec.figure("sweep_frontier", fig, "Each point's service against its cost; the red line "
                   "joins the points no other point beats on both.")
        sec.table("sweep_frontier", table, "Points on the service-cost frontier.")
    wide = sw.wide().reset_index()
    sec.table("sweep_points", wide[["point", *sw.parameters, *[k for k in kpis
                                                               if k in wide.columns]]],
              "Mean KPIs per design point (all KPIs in summary.csv).")
    return [sec]
