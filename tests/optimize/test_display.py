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
