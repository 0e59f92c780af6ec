"""Building blocks shared by the figure modules: bars with intervals, banded lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .style import short

#: KPI labels with units, for axes and tables.
UNITS = {
    "fill_rate": "fill rate (share of units)", "otif_rate": "OTIF (share of orders)",
    "perfect_order_rate": "perfect order (share)", "promise_kept_rate": "promise kept (share)",
    "on_time_rate": "on time (share of orders)", "order_fill_rate": "order fill rate (share)",
    "line_fill_rate": "line fill rate (share)", "lost_sales_rate": "lost sales (share)",
    "order_cycle_time_mean": "order cycle time (days)", "on_hand_units_avg": "on hand (units)",
    "backorder_units_avg": "backorders (units)", "lost_sales_units": "lost sales (units)",
    "inventory_value_avg": "inventory value (money)", "days_of_supply": "days of supply (days)",
    "inventory_turns": "inventory turns (per year)", "total_cost": "total cost (money)",
    "profit": "profit (money)", "revenue": "revenue (money)",
    "gross_margin": "gross margin (money)", "clv_total": "customer lifetime value (money)",
    "churn_rate": "churn rate (share of customers)", "co2_kg": "CO2 (kg)",
    "demand_units": "demand (units)", "orders": "orders",
    "holding_cost_per_year": "holding cost (money per year)",
    "profit_per_year": "profit (money per year)",
}


SUFFIX_UNITS = (("_cost", "money"), ("_units", "units"), ("_units_avg", "units"),
                ("_rate", "share"), ("_days", "days"), ("_kg", "kg"))


def unit_label(kpi: str, currency: str = "") -> str:
    """An axis label with the KPI's unit (``money`` replaced by the currency when known)."""
    text = UNITS.get(kpi)
    if text is None:
        unit = next((u for suffix, u in SUFFIX_UNITS if kpi.endswith(suffix)), "")
        text = kpi.replace("_", " ") + (f" ({unit})" if unit else "")
    return text.replace("money", currency) if currency else text


def bars_with_ci(ax: Any, groups: Sequence[str], series: Sequence[tuple[str, str, pd.DataFrame]],
                 horizontal: bool = False) -> None:
    """Grouped bars: ``series`` is (label, colour, frame indexed by group with mean, ci_low,
    ci_high); missing groups are left empty. Whiskers are the 95% intervals."""
    n = max(len(series), 1)
    width = 0.8 / n
    x = np.arange(len(groups))
    for i, (name, colour, frame) in enumerate(series):
        f = frame.reindex(groups)
        mean = f["mean"].to_numpy(dtype=float)
        lo = np.clip(mean - f["ci_low"].to_numpy(dtype=float), 0, None)
        hi = np.clip(f["ci_high"].to_numpy(dtype=float) - mean, 0, None)
        err = np.nan_to_num(np.vstack([lo, hi]))
        pos = x - 0.4 + width * (i + 0.5)
        if horizontal:
            ax.barh(pos, mean, height=width, color=colour, label=name, xerr=err,
                    error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"})
        else:
            ax.bar(pos, mean, width=width, color=colour, label=name, yerr=err,
                   error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"})
    labels = [short(g) for g in groups]
    if horizontal:
        ax.set_yticks(x, labels)
        ax.invert_yaxis()
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
    else:
        ax.set_xticks(x, labels, rotation=30 if len(groups) > 6 else 0,
                      ha="right" if len(groups) > 6 else "center")


def rate_limits(ax: Any, values: np.ndarray) -> None:
    """Zoom a rate axis to the data (rates near 1 differ in the third digit) within [0, 1]."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return
    lo = float(finite.min())
    low = max(0.0, lo - (1.0 - lo) * 0.6 - 0.01)
    ax.set_ylim(low, 1.0 + (1.0 - low) * 0.03)


def band(ax: Any, x: np.ndarray, frame: pd.DataFrame, colour: str, name: str) -> None:
    """Mean line with its 95% interval as a shaded band."""
    ax.fill_between(x, frame["ci_low"].to_numpy(dtype=float),
                    frame["ci_high"].to_numpy(dtype=float), color=colour, alpha=0.2, lw=0)
    ax.plot(x, frame["mean"].to_numpy(dtype=float), color=colour, lw=1.6, label=name)


def by_key(summary: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """Rows of one KPI indexed by key (mean, ci_low, ci_high)."""
    sub = summary[summary["kpi"] == kpi]
    return sub.set_index("key")[["mean", "ci_low", "ci_high"]]
