"""Check a steering plan by simulation: original vs steered scenario, common random numbers.

Composes the two layers above both (optimiser output -> scenario -> ``supplylab.compare``):
replication k of both scenarios runs on the same random streams, so the paired differences
(steered - original) of lost sales, fill rate, revenue, margin, promotion cost, profit and of
each tier's fill rate come with tight 95% intervals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

#: KPIs reported overall, and per tier, by ``--verify``.
VERIFY_KPIS = ("lost_sales_units", "fill_rate", "substituted_units", "revenue", "gross_margin",
               "promotion_cost", "profit")
TIER_KPIS = ("fill_rate", "otif_rate")


def verify_steering(original: Any, steered: Any, replications: int | None = None,
                    seed: int | None = None, workers: int | None = None) -> pd.DataFrame:
    """Paired differences steered - original: columns ``dimension, key, kpi, original,
    steered, diff, ci_low, ci_high, significant`` (95% paired-t over replications)."""
    from supplylab import compare

    runner = {"runner": "processes", "workers": workers} if workers and workers > 1 else {}
    cmp = compare([original, steered], replications=replications, seed=seed, **runner)
    overall = cmp.paired("all")
    overall = overall[overall["kpi"].isin(VERIFY_KPIS)].assign(dimension="all", key="all")
    tiers = cmp.paired("tier")
    tiers = tiers[tiers["kpi"].isin(TIER_KPIS)].assign(dimension="tier")
    out = pd.concat([overall, tiers], ignore_index=True)
    order = {k: i for i, k in enumerate(VERIFY_KPIS)}
    out["_o"] = out["kpi"].map(order).fillna(len(order))
    out = out.sort_values(["dimension", "key", "_o"], kind="stable")
    out = out.rename(columns={"baseline_mean": "original", "mean": "steered"})
    cols = ["dimension", "key", "kpi", "original", "steered", "diff", "ci_low", "ci_high",
            "significant"]
    return out[cols].reset_index(drop=True)


def verify_files(original: Path, steered: Path, replications: int | None = None,
                 seed: int | None = None, workers: int | None = None) -> pd.DataFrame:
    """:func:`verify_steering` on two scenario files."""
    from supplylab.scenario import load
    from supplylab.scenario.yaml_io import allowing

    with allowing([Path(original).resolve().parent]):  # the steered file extends the original
        return verify_steering(load(original), load(steered), replications, seed, workers)
