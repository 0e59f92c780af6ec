"""``supplylab report`` and the helpers behind ``run``/``compare``/``sweep --report``.

The messages go to stderr, so ``run --json --report`` still prints pure JSON on stdout.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from supplylab.errors import InputError

REPORT_FILE = "report.html"


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def report_command(
    results_dir: Annotated[Path, typer.Argument(
        help="A results folder written by run, compare or sweep with --out.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Report file: .html (self-contained) or .md (Markdown); "
        "default RESULTS_DIR/report.html. Figures and tables go beside it.")] = None,
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario file for the network map when the folder has no network.json.")] = None,
) -> None:
    """Write an HTML (or Markdown) report with figures, a network map and tables.

    One self-contained file (or Markdown with -o report.md): header and audit, network map,
    service, inventory, money, customers, comparisons, sweeps and optimiser sections where the
    folder has their data; every figure also as PNG and SVG under figures/, every table as CSV
    under tables/.
    """
    from . import report

    if output is not None and output.suffix.lower() not in (".html", ".htm", ".md",
                                                            ".markdown"):
        raise InputError(f"{output}: the report is an .html or .md file", "--output")
    out = report(results_dir, output or results_dir / REPORT_FILE, scenario=scenario)
    _say(f"report written to {out} (figures/ and tables/ beside it)")


def require_out(report: bool, out: Path | None) -> None:
    """``--report`` writes into the results folder, so it needs ``--out``."""
    if report and out is None:
        raise InputError("needs --out DIR: the report is written into that folder",
                         "--report")


def after_run(out: Path, scenario: Any) -> Path:
    """``run --report``: store the network next to the results and write the report."""
    from . import report
    from .network import write_network

    if hasattr(scenario, "graph"):
        write_network(scenario, out)
    path = report(out, out / REPORT_FILE)
    _say(f"report written to {path}")
    return path


def after_compare(out: Path, scenarios: Sequence[Any]) -> Path:
    """``compare --report``: each alternative's network in its folder, then the report."""
    from . import report
    from .network import write_network

    subs = {int(p.name.split("-")[0]): p for p in out.iterdir()
            if p.is_dir() and re.match(r"^\d+-", p.name)}
    for i, sc in enumerate(scenarios):
        if i in subs and hasattr(sc, "graph"):
            write_network(sc, subs[i])
    path = report(out, out / REPORT_FILE)
    _say(f"report written to {path}")
    return path


def after_sweep(out: Path, scenario: Any) -> Path:
    """``sweep --report``: the base scenario's network, then the report."""
    return after_run(out, scenario)


def register(app: typer.Typer) -> None:
    """Add ``report`` to the command-line app."""
    app.command(name="report")(report_command)


__all__ = ["after_compare", "after_run", "after_sweep", "register", "require_out"]
