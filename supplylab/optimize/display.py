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
