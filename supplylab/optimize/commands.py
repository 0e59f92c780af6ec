"""``supplylab optimize ...`` commands (typer). The lead wires :func:`register` into the CLI.

Errors are raised as typed supplylab errors (InputError exit 2, OptimizationError exit 3); the
CLI wrapper maps them to exit codes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from supplylab.errors import InputError
from supplylab.optimize.instances import FormatName, read_instance
from supplylab.optimize.network import NetworkSolution, solve_network
from supplylab.optimize.problem import NetworkOptions
from supplylab.optimize.solver import SolverName, SolverOptions


def register(app: typer.Typer) -> None:
    """Add the ``optimize`` sub-app (network, inventory, steering) to ``app``."""
    sub = typer.Typer(help="Optimise the network (warehouse location), inventory or steering.",
                      no_args_is_help=True)
    sub.command("network")(network)
    sub.command("inventory")(inventory)
    sub.command("steering")(steering)
    app.add_typer(sub, name="optimize")


def network(
    scenario: Annotated[Path | None, typer.Argument(
        help="Scenario YAML whose network_design section sets the study.")] = None,
    orlib: Annotated[Path | None, typer.Option(
        "--orlib", help="Benchmark instance file instead of a scenario.")] = None,
    fmt: Annotated[str, typer.Option(
        "--format", help="Instance format: orlib | holmberg | ufllib.")] = "orlib",
    single_source: Annotated[bool, typer.Option(
        "--single-source", help="Each customer served by exactly one site.")] = False,
    uncapacitated: Annotated[bool, typer.Option(
        "--uncapacitated", help="Ignore capacities (UFLP).")] = False,
    capacity: Annotated[float | None, typer.Option(
        "--capacity", help="Capacity of every site, units (needed for capa/capb/capc).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="Solver time limit, seconds.")] = None,
    gap: Annotated[float, typer.Option("--gap", help="Relative MIP gap to stop at.")] = 1e-6,
    solver: Annotated[str, typer.Option("--solver", help="highs | cbc.")] = "highs",
    lazy: Annotated[bool, typer.Option(
        "--lazy", help="Matrix path with lazily added x_ij <= y_i rows (large instances).")
    ] = False,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the scenario with the chosen network here.")] = None,
) -> None:
    """Choose which warehouses to open (capacitated facility location MIP)."""
    if solver not in ("highs", "cbc"):
        raise InputError(f"--solver must be highs or cbc, not {solver!r}")
    if lazy and solver != "highs":
        raise InputError("--lazy uses the HiGHS matrix path: drop --solver cbc")
    sopts = SolverOptions(solver=_solver_name(solver), mip_rel_gap=gap, time_limit_s=time_limit,
                          path="matrix" if lazy else "pulp")
    if (scenario is None) == (orlib is None):
        raise InputError("give either a SCENARIO file or --orlib FILE")
    if orlib is not None:
        if fmt not in ("orlib", "holmberg", "ufllib"):
            raise InputError(f"--format must be orlib, holmberg or ufllib, not {fmt!r}")
        fp = read_instance(orlib, _format_name(fmt), capacity=capacity,
                           uncapacitated=uncapacitated)
        sol = solve_network(fp, NetworkOptions(single_source=single_source, lazy_linking=lazy,
                                               solver=sopts))
        _print(sol, fp.name, as_json)
        return
    from supplylab.optimize.scenario_design import optimise_scenario

    if scenario is None:
        raise InputError("give a SCENARIO file")
    sol, written = optimise_scenario(scenario, output=output, solver=sopts,
                                     single_source=single_source or None)
    _print(sol, scenario.name, as_json, written)


def inventory() -> None:
    """Inventory optimisation (not available yet)."""
    raise InputError("supplylab optimize inventory is not available yet")


def steering() -> None:
    """Demand-steering optimisation (not available yet)."""
    raise InputError("supplylab optimize steering is not available yet")


def _solver_name(name: str) -> SolverName:
    return "cbc" if name == "cbc" else "highs"


def _format_name(name: str) -> FormatName:
    if name == "holmberg":
        return "holmberg"
    return "ufllib" if name == "ufllib" else "orlib"


def _print(sol: NetworkSolution, name: str, as_json: bool, written: Path | None = None) -> None:
    summary = {"instance": name, **sol.summary()}
    if written is not None:
        summary["output"] = str(written)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=float))
        return
    table = Table(title=f"network design: {name}")
    table.add_column("field")
    table.add_column("value")
    for key in ("objective", "status", "gap", "best_bound", "model_time_s", "build_time_s",
                "solve_time_s", "solver"):
        val = summary[key]
        table.add_row(key, f"{val:.6g}" if isinstance(val, float) else str(val))
    table.add_row("open_facilities", " ".join(sol.open_site_ids))
    if written is not None:
        table.add_row("output", str(written))
    Console().print(table)
