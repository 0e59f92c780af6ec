"""``supplylab optimize ...`` commands (typer). The lead wires :func:`register` into the CLI.

Errors are raised as typed supplylab errors (InputError exit 2, OptimizationError exit 3); the
CLI wrapper maps them to exit codes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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
    n_best: Annotated[int | None, typer.Option(
        "--n-best", min=1, help="Also list the N best distinct networks (no-good cuts).")] = None,
    pareto: Annotated[str | None, typer.Option(
        "--pareto", help="Also trace cost against 'service' (share of demand within "
        "--max-transit) or 'co2' (epsilon-constraint; scenarios only).")] = None,
    max_transit: Annotated[float, typer.Option(
        "--max-transit", min=0.0, help="Days, for --pareto service.")] = 1.0,
    points: Annotated[int, typer.Option(
        "--points", min=2, help="Points on a --pareto front.")] = 5,
) -> None:
    """Choose which warehouses to open (capacitated facility location MIP)."""
    if pareto not in (None, "service", "co2"):
        raise InputError(f"--pareto must be service or co2, not {pareto!r}")
    if pareto is not None and scenario is None:
        raise InputError("--pareto needs a scenario (transit times and CO2 come from its lanes)")
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
        opts = NetworkOptions(single_source=single_source, lazy_linking=lazy, solver=sopts)
        sol = solve_network(fp, opts)
        extra = _alternatives(fp, opts, sol, n_best, None, max_transit, points) if n_best else {}
        _print(sol, fp.name, as_json, extra=extra)
        return
    from supplylab.optimize.scenario_design import optimise_scenario

    if scenario is None:
        raise InputError("give a SCENARIO file")
    sol, written = optimise_scenario(scenario, output=output, solver=sopts,
                                     single_source=single_source or None)
    extra = {}
    if n_best or pareto:
        from dataclasses import replace

        from supplylab.optimize.scenario_design import scenario_problem
        from supplylab.scenario import load

        problem, opts, _ = scenario_problem(load(scenario))
        opts = replace(opts, solver=sopts)
        if single_source:
            opts = replace(opts, single_source=True)
        extra = _alternatives(problem, opts, sol, n_best, pareto, max_transit, points)
    _print(sol, scenario.name, as_json, written, extra)


def _alternatives(problem: Any, opts: NetworkOptions, sol: NetworkSolution, n_best: int | None,
                  pareto: str | None, max_transit: float, points: int) -> dict[str, Any]:
    """The N best networks and/or a Pareto front, as DataFrames by title."""
    import numpy as np
    import pandas as pd

    from supplylab.optimize.alternatives import (
        n_best_networks,
        pareto_co2,
        pareto_service,
        served_share,
    )

    frames: dict[str, pd.DataFrame] = {}
    if n_best:
        rows = [{"rank": k + 1, "cost": s.objective, "status": s.status, "gap": s.gap,
                 "open_sites": len(s.open_site_ids), "open_ids": " ".join(s.open_site_ids)}
                for k, s in enumerate(n_best_networks(problem, opts, n_best))]
        frames[f"{n_best} best networks"] = pd.DataFrame(rows)
        if len(rows) < n_best:
            typer.echo(f"note: only {len(rows)} of the {n_best} networks asked for: every other "
                       "set of open sites is infeasible (capacities, sites fixed open or "
                       "closed, or the limits on how many sites open)", err=True)
    if pareto == "service":
        start = served_share(problem, sol, max_transit)
        shares = np.linspace(start, 1.0, points)
        frames[f"cost vs share of demand within {max_transit:g} days"] = pareto_service(
            problem, opts, max_transit, [float(x) for x in shares])
    elif pareto == "co2":
        frames["cost vs CO2 (tonnes/year)"] = pareto_co2(problem, opts, points)
    return frames


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


def _print(sol: NetworkSolution, name: str, as_json: bool, written: Path | None = None,
           extra: dict[str, Any] | None = None) -> None:
    """The solution summary, then any alternatives (N best, Pareto): tables, or one JSON."""
    summary = {"instance": name, **sol.summary()}
    if written is not None:
        summary["output"] = str(written)
    if as_json:
        if extra:
            summary["alternatives"] = {k: v.to_dict(orient="records") for k, v in extra.items()}
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
    console = Console()
    console.print(table)
    for title, frame in (extra or {}).items():
        alt = Table(title=title)
        for col in frame.columns:
            alt.add_column(str(col))
        for row in frame.itertuples(index=False):
            alt.add_row(*(f"{v:.6g}" if isinstance(v, float) else str(v) for v in row))
        console.print(alt)
