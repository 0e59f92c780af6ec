"""Customer value compared across scenarios run with common random numbers.

``supplylab compare`` pairs replication k of every alternative with the baseline's; this module
does the same for the customer-value totals of :class:`.analytics.CustomerAnalytics` (CLV of
the customers kept, CLV lost to churn, churned customers, ...), so that a policy's effect on
lifetime value gets a paired 95% interval like the KPIs. ``diff = alternative - baseline``: a
negative ``clv_lost`` difference is CLV saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from supplylab.experiments.stats import paired_difference

#: Columns of :func:`value_differences`.
VALUE_DIFF_COLUMNS = ["alternative", "tier", "metric", "baseline_mean", "mean", "diff",
                      "ci_low", "ci_high", "n", "significant"]
#: Totals shown by ``supplylab compare`` (all of them are in the JSON document).
SHOWN = ("churned", "churned_service", "clv_active", "clv_lost", "clv_lost_service")


def _wide(analytics: Any) -> pd.DataFrame:
    return analytics.value.pivot_table(index="replication", columns=["tier", "metric"],
                                       values="value", aggfunc="first", sort=False)


def value_differences(names: Sequence[str], analytics: Sequence[Any]) -> pd.DataFrame:
    """Paired differences of every value total (per tier and ``all``) against the first.

    ``analytics`` are the alternatives' :class:`.analytics.CustomerAnalytics` in the order of
    ``names`` (the baseline first); replications are paired by index.
    """
    if len(analytics) < 2 or any(a is None for a in analytics):
        return pd.DataFrame(columns=VALUE_DIFF_COLUMNS)
    base = _wide(analytics[0])
    rows = []
    for name, alt in zip(names[1:], analytics[1:], strict=True):
        wide = _wide(alt)
        common = base.index.intersection(wide.index)
        for tier, metric in wide.columns:
            if (tier, metric) not in base.columns:
                continue
            b = base.loc[common, (tier, metric)].to_numpy(dtype=float)
            a = wide.loc[common, (tier, metric)].to_numpy(dtype=float)
            d = paired_difference(a, b)
            rows.append((name, tier, metric, float(b.mean()), float(a.mean()), d.mean, d.ci_low,
                         d.ci_high, d.n, d.significant))
    return pd.DataFrame(rows, columns=VALUE_DIFF_COLUMNS)


def differences_document(frame: pd.DataFrame) -> dict[str, Any]:
    """``{alternative: {tier: {metric: {diff, ci95, significant}}}}`` (NaN as null)."""
    from .analytics import _num

    out: dict[str, Any] = {}
    for r in frame.itertuples(index=False):
        out.setdefault(r.alternative, {}).setdefault(r.tier, {})[r.metric] = {
            "diff": _num(r.diff), "ci95": [_num(r.ci_low), _num(r.ci_high)],
            "significant": bool(r.significant)}
    return out


def print_value_differences(frame: pd.DataFrame, tiers: Sequence[str], console: Any) -> None:
    """Rows: value totals; columns: each tier's paired difference for each alternative."""
    from supplylab.experiments.tables import _print_grid, cell

    from .tables import VALUE_LABELS

    if frame.empty:
        return
    cells = {(r.alternative, r.tier, r.metric): r for r in frame.itertuples(index=False)}
    columns = []
    for alt in dict.fromkeys(frame["alternative"]):
        for tier in ["all", *tiers]:
            if (alt, tier, SHOWN[0]) not in cells:
                continue
            vals = []
            for metric in SHOWN:
                r = cells[(alt, tier, metric)]
                half = (r.ci_high - r.ci_low) / 2.0
                text = cell("clv_total" if metric.startswith("clv") else metric, r.diff,
                            r.ci_low, r.ci_high, half, signed=True)
                vals.append(text + ("*" if r.significant else " "))
            columns.append((tier if frame["alternative"].nunique() == 1 else f"{alt}: {tier}",
                            vals))
    _print_grid(console, "customer value, paired differences to the baseline (gross margin, "
                         "discounted)", [VALUE_LABELS[m] for m in SHOWN], columns, {},
                ["a negative CLV lost is CLV saved; * = the interval excludes 0"])
