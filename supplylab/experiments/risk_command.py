"""``supplylab risk``: the node-by-node disruption study of :mod:`supplylab.experiments.risk`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def risk_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file to study.")],
    nodes: Annotated[str, typer.Option(help="What to take out in turn: sites, suppliers, lanes, all, or node ids separated by commas.")] = "sites",
    duration: Annotated[float, typer.Option(help="Outage length, days.")] = 14.0,
    start: Annotated[float | None, typer.Option(help="Outage start, day (default: a quarter into the measured window).")] = None,
    replications: Annotated[int | None, typer.Option(min=2, help="Replications per node (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")] = None,
    days: Annotated[float | None, typer.Option(min=0.001, help="Horizon in days (default: the scenario's).")] = None,
    tolerance: Annotated[float, typer.Option(help="Service drop (share) that counts as hurt for time to survive and recover.")] = 0.02,
    kpi: Annotated[str, typer.Option(help="Service KPI of the time measures: fill_rate, otif_rate or perfect_order_rate.")] = "fill_rate",
    top: Annotated[int, typer.Option(min=1, help="Customers listed per node, those whose fill rate drops most.")] = 10,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the resumable store and risk.csv, risk_tiers.csv, risk_customers.csv, risk.json.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the study as JSON.")] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="Local processes (default: all cores).")] = None,
    dask: Annotated[str | None, typer.Option(help="Dask scheduler address, or 'local'.")] = None,
) -> None:
    """Take each node out in turn (paired runs, common random numbers) and rank the nodes by
    exposure: lost profit, units lost, service drop, time to survive and to recover."""
    from rich.console import Console

    from supplylab.scenario import load, parse_assignments

    from .commands import choose_runner
    from .risk import risk

    sc = load(scenario, parse_assignments(set_) or None)
    which = nodes if nodes in ("sites", "suppliers", "lanes", "all") else \
        [n.strip() for n in nodes.split(",") if n.strip()]
    n = replications or sc.simulation.replications
    runner = choose_runner(workers, dask, n * 2)
    study = risk(sc, which, duration_days=duration, start_day=start, replications=replications,
                 seed=seed, days=days, tolerance=tolerance, service_kpi=kpi, top_customers=top, runner=runner,
                 workers=workers, dask=dask, out=out,
                 progress=sys.stderr.isatty() and not as_json)
    if as_json:
        typer.echo(study.to_json())
        return
    study.print_table(Console(highlight=False))
    if out is not None:
        typer.echo(f"risk tables written to {out}")


def register(app: typer.Typer) -> None:
    """Add ``risk`` to the command-line app."""
    app.command(name="risk")(risk_command)
