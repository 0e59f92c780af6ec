"""``optimize network --verify``: simulate the input and the chosen network with common random
numbers and report the paired differences of the KPIs a network study is judged by.

This composes the two layers at command level: the optimiser writes a scenario, the
experiments layer simulates both files; the simulation never imports the optimiser.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

#: the KPIs reported, in this order (see docs/kpis.md)
VERIFY_KPIS = ("total_cost", "transport_cost", "holding_cost", "facility_fixed_cost",
               "fill_rate", "otif_rate", "order_cycle_time_mean", "inventory_value_avg",
               "co2_kg")


def verify_design(source: Path, chosen: Path, *, replications: int | None = None,
                  days: float | None = None, progress: bool = False) -> pd.DataFrame:
    """Paired differences chosen - input: kpi, input, chosen, diff, ci_low, ci_high,
    significant (95% paired t over ``replications``, default the input's, at least 2)."""
    from supplylab.experiments import compare
    from supplylab.experiments.commands import choose_runner
    from supplylab.scenario import load
    from supplylab.scenario.yaml_io import allowing

    with allowing([Path(source).resolve().parent]):  # the chosen file extends the input
        base, alt = load(source), load(chosen)
    n = max(2, replications or base.simulation.replications)
    comparison = compare([base, alt], replications=n, days=days,
                         runner=choose_runner(None, None, 2 * n),
                         progress=progress and sys.stderr.isatty())
    diff = comparison.differences.set_index("kpi")
    rows = [{"kpi": k, "input": diff.at[k, "baseline_mean"], "chosen": diff.at[k, "mean"],
             "diff": diff.at[k, "diff"], "ci_low": diff.at[k, "ci_low"],
             "ci_high": diff.at[k, "ci_high"], "significant": bool(diff.at[k, "significant"])}
            for k in VERIFY_KPIS if k in diff.index]
    return pd.DataFrame(rows)
