"""Optimiser summaries in the terminal: numbers a planner reads, names printed as written."""

from __future__ import annotations

import io

from rich.console import Console

from supplylab.optimize.display import summary_value


def test_numbers_read_as_a_planner_reads_them() -> None:
    assert summary_value("objective", 1006974.4) == "1,006,974"
    assert summary_value("gap", 4.6e-16) == "0.00%"
    assert summary_value("gap", 0.0123) == "1.23%"
    assert summary_value("solve_time_s", 0.00114) == "0.00"
    assert summary_value("lost_units", 648.551) == "648.6"
    assert summary_value("proven", True) == "True"
    assert summary_value("variables", 1484) == "1484"


def test_names_print_as_written() -> None:
    out = io.StringIO()
    Console(file=out, width=80).print(summary_value("open_facilities", "[bold]DC-1[/bold]"))
    assert out.getvalue().strip() == "[bold]DC-1[/bold]"


def test_the_verify_table_reads_like_compare() -> None:
    """Means to 4 significant digits, rates in percent, the difference signed with its
    interval at the interval's precision and * where it excludes 0 (before: 106251,
    8074.39 and a truncated 'significant' column)."""
    import pandas as pd

    from supplylab.optimize.display import verify_frame

    frame = pd.DataFrame([
        {"kpi": "total_cost", "input": 106251.3, "chosen": 106780.4, "diff": 529.0,
         "ci_low": -8074.39, "ci_high": 9132.48, "significant": False},
        {"kpi": "fill_rate", "input": 0.9512, "chosen": 0.9634, "diff": 0.0122,
         "ci_low": 0.0101, "ci_high": 0.0143, "significant": True},
        {"kpi": "facility_fixed_cost", "input": 43698.6, "chosen": 42794.5, "diff": -904.11,
         "ci_low": -904.11, "ci_high": -904.11, "significant": True}])
    got = verify_frame(frame).to_dict("records")
    assert got == [
        {"KPI": "total_cost", "input": "106.3k", "chosen": "106.8k",
         "chosen - input": "+1,000 [-8,000, 9,000]"},
        {"KPI": "fill_rate %", "input": "95.12", "chosen": "96.34",
         "chosen - input": "+1.2 [1.0, 1.4]*"},
        {"KPI": "facility_fixed_cost", "input": "43.70k", "chosen": "42.79k",
         "chosen - input": "-904.1*"}]
