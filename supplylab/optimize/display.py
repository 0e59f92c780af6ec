"""How an optimiser's summary values read in the terminal (the JSON keeps full precision).

A planner reads ``1,006,974`` and ``0.00%``, not ``1.00697e+06`` and ``4.62436e-16``; names are
escaped so that an id such as ``[bold]`` prints as written.
"""

from __future__ import annotations

from typing import Any


def summary_value(key: str, value: Any) -> str:
    """One summary value as text: a ``gap`` in percent, ``*_s`` seconds to 2 decimals, from
    1,000 on whole numbers with separators (costs compare to the unit), smaller numbers to 4
    significant digits; everything else escaped for rich."""
    from rich.markup import escape

    from supplylab.experiments.tables import fmt

    if isinstance(value, bool) or not isinstance(value, float):
        return escape(str(value))
    if key == "gap":
        return f"{value:.2%}"
    if key.endswith("_s"):
        return f"{value:.2f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return fmt(value)


def verify_frame(frame: Any) -> Any:
    """The ``--verify`` table as a planner reads it: rates in percent (``fill_rate %``), input
    and chosen means to 4 significant digits, the paired difference with its 95% interval at
    the precision the interval supports (as ``supplylab compare`` shows it), ``*`` where the
    interval excludes 0. A DataFrame of text; ``--json`` keeps the numbers."""
    import pandas as pd

    from supplylab.experiments.stats import kpi_range
    from supplylab.experiments.tables import cell, fmt

    rows = []
    for r in frame.itertuples(index=False):
        k = 100.0 if kpi_range(r.kpi) == (0.0, 1.0) else 1.0
        diff = cell(r.kpi, r.diff, r.ci_low, r.ci_high, (r.ci_high - r.ci_low) / 2, signed=True)
        rows.append({"KPI": f"{r.kpi} %" if k == 100.0 else r.kpi,
                     "input": fmt(r.input * k), "chosen": fmt(r.chosen * k),
                     "chosen - input": diff + ("*" if r.significant else "")})
    return pd.DataFrame(rows, columns=["KPI", "input", "chosen", "chosen - input"])

