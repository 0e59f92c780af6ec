"""Customer value compared across scenarios run with common random numbers.

``supplylab compare`` pairs replication k of every alternative with the baseline's; this module
does the same for the customer-value totals of :class:`.analytics.CustomerAnalytics` (CLV of
the customers kept, CLV lost to churn, churned customers, ...), so that a policy's effect on
lifetime value gets a paired 95% interval like the KPIs. ``diff = alternative - baseline``: a
negative ``clv_lost`` difference is CLV saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from supplylab.experiments.stats import paired_difference

if TYPE_CHECKING:  # the differences are computed from plain lists; the table on demand
    import pandas as pd


class ValueDifference(NamedTuple):
    """One paired difference of a value total (a row of :func:`value_differences`)."""

    alternative: str
    tier: str
    metric: str
    baseline_mean: float
    mean: float
    diff: float
    ci_low: float
    ci_high: float
    n: int
    significant: bool


#: Columns of :func:`value_differences`.
VALUE_DIFF_COLUMNS = list(ValueDifference._fields)
#: Totals shown by ``supplylab compare`` (all of them are in the JSON document).
SHOWN = ("churned", "churned_service", "clv_active", "clv_lost", "clv_lost_service")


def _wide(analytics: Any) -> tuple[list[int], dict[tuple[str, str], dict[int, float]]]:
    """The value totals per (tier, metric) and replication, laid out as
    ``value.pivot_table(index="replication", columns=["tier", "metric"], values="value",
    aggfunc="first", sort=False)`` lays them out: replications and levels in first-appearance
    order, every tier x metric of the product whose values are not all NaN, the replications
    with a value."""
    cells: dict[tuple[str, str], dict[int, float]] = {}
    tiers: dict[str, None] = {}
    metrics: dict[str, None] = {}
    reps: dict[int, None] = {}
    for r in analytics.value_rows():
        tiers.setdefault(r.tier)
        metrics.setdefault(r.metric)
        if r.value == r.value:  # NaN totals are left out, as the table leaves them
            reps.setdefault(r.replication)
            cells.setdefault((r.tier, r.metric), {}).setdefault(r.replication, r.value)
    columns = {(t, m): cells[(t, m)] for t in tiers for m in metrics if (t, m) in cells}
    return list(reps), columns


def value_difference_rows(names: Sequence[str], analytics: Sequence[Any]
                          ) -> list[ValueDifference]:
    """The rows of :func:`value_differences` as plain tuples (no pandas)."""
    if len(analytics) < 2 or any(a is None for a in analytics):
        return []
    base_reps, base = _wide(analytics[0])
    rows = []
    for name, alt in zip(names[1:], analytics[1:], strict=True):
        reps, wide = _wide(alt)
        common = [r for r in base_reps if r in set(reps)]
        for (tier, metric), values in wide.items():
            if (tier, metric) not in base:
                continue
            b = np.asarray([base[(tier, metric)].get(r, np.nan) for r in common], dtype=float)
            a = np.asarray([values.get(r, np.nan) for r in common], dtype=float)
            d = paired_difference(a, b)
            rows.append(ValueDifference(name, tier, metric, float(b.mean()), float(a.mean()),
                                        d.mean, d.ci_low, d.ci_high, d.n, d.significant))
    return rows


def value_differences(names: Sequence[str], analytics: Sequence[Any]) -> pd.DataFrame:
    """Paired differences of every value total (per tier and ``all``) against the first.

    ``analytics`` are the alternatives' :class:`.analytics.CustomerAnalytics` in the order of
    ``names`` (the baseline first); replications are paired by index.
    """
    import pandas as pd

    return pd.DataFrame(value_difference_rows(names, analytics), columns=VALUE_DIFF_COLUMNS)


def differences_document(rows: Sequence[ValueDifference]) -> dict[str, Any]:
    """``{alternative: {tier: {metric: {diff, ci95, significant}}}}`` (NaN as null)."""
    from .analytics import _num

    out: dict[str, Any] = {}
    for r in rows:
        out.setdefault(r.alternative, {}).setdefault(r.tier, {})[r.metric] = {
            "diff": _num(r.diff), "ci95": [_num(r.ci_low), _num(r.ci_high)],
            "significant": bool(r.significant)}
    return out


def print_value_differences(rows: Sequence[ValueDifference], tiers: Sequence[str],
                            console: Any) -> None:
    """Rows: value totals; columns: each tier's paired difference for each alternative."""
    from supplylab.experiments.tables import _print_grid, cell

    from .tables import VALUE_LABELS

    if not rows:
        return
    cells = {(r.alternative, r.tier, r.metric): r for r in rows}
    alternatives = list(dict.fromkeys(r.alternative for r in rows))
    columns = []
    for alt in alternatives:
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
            columns.append((tier if len(alternatives) == 1 else f"{alt}: {tier}", vals))
    _print_grid(console, "customer value, paired differences to the baseline (gross margin, "
                         "discounted)", [VALUE_LABELS[m] for m in SHOWN], columns, {},
                ["a negative CLV lost is CLV saved; * = the interval excludes 0"])
