"""``supplylab optimize ...`` commands (typer). The lead wires :func:`register` into the CLI.

Errors are raised as typed supplylab errors (InputError exit 2, OptimizationError exit 3); the
CLI wrapper maps them to exit codes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from supplylab.errors import InfeasibleError, InputError, OptimizationError
from supplylab.optimize.inventory.command import inventory

if TYPE_CHECKING:  # imported when a command runs, so that `import supplylab.cli` stays light
    from supplylab.optimize.instances import FormatName
    from supplylab.optimize.network import NetworkSolution
    from supplylab.optimize.problem import NetworkOptions
    from supplylab.optimize.solver import SolverName


def register(app: typer.Typer) -> None:
    """Add the ``optimize`` sub-app (network, inventory, steering) to ``app``."""
    sub = typer.Typer(help="Optimise the network (warehouse location), inventory or steering.",
                      no_args_is_help=True)
    sub.command("network")(network)
    sub.command("inventory")(inventory)
    from supplylab.optimize.steering.command import steering

    sub.command("steering")(steering)
    app.add_typer(sub, name="optimize")


def network(
    scenario: Annotated[Path | None, typer.Argument(
        help="Scenario YAML whose network_design section sets the study.")] = None,
    orlib: Annotated[Path | None, typer.Option(
        "--orlib", help="Benchmark instance file instead of a scenario.")] = None,
    fmt: Annotated[str, typer.Option(
        "--format", help="Instance format: orlib | holmberg | ufllib.")] = "orlib",
    single_source: Annotated[bool | None, typer.Option(
        "--single-source/--multi-source", help="Each customer served by exactly one site, or "
        "split (default: the scenario's network_design.sourcing; multi for --orlib).",
        show_default=False)] = None,
    uncapacitated: Annotated[bool, typer.Option(
        "--uncapacitated", help="Ignore capacities (UFLP).")] = False,
    capacity: Annotated[float | None, typer.Option(
        "--capacity", help="Capacity of every site, units (needed for capa/capb/capc).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="Solver time limit, seconds (default: the scenario's "
        "network_design.time_limit_s; none for --orlib).")] = None,
    gap: Annotated[float | None, typer.Option(
        "--gap", help="Relative MIP gap to stop at (default: the scenario's "
        "network_design.gap; 1e-6 for --orlib).")] = None,
    solver: Annotated[str | None, typer.Option(
        "--solver", help="highs | cbc (default: the scenario's network_design.solver, "
        "else highs).")] = None,
    method: Annotated[str | None, typer.Option(
        "--method", help="auto | mip | lagrangian: the plain MIP, or the Lagrangian pipeline "
        "(bound, heuristics, site fixing, reduced MIP) for hard capacitated instances; auto "
        "picks by size and the result says which ran (default: the scenario's "
        "network_design.method; auto for --orlib).")] = None,
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
    verify: Annotated[bool, typer.Option(
        "--verify", help="Simulate the input and the chosen network with common random "
        "numbers and print the paired differences (scenarios only).")] = False,
    replications: Annotated[int | None, typer.Option(
        "--replications", min=2, help="Replications of --verify (default: the scenario's, "
        "at least 2).")] = None,
    days: Annotated[float | None, typer.Option(
        "--days", min=0.001, help="Horizon of --verify, days (default: the scenario's).")
    ] = None,
) -> None:
    """Choose which warehouses to open, at which size, and who serves whom (facility location
    MIP over the network's echelons)."""
    params = dict(locals())
    try:
        _network(**params)
    except OptimizationError as exc:
        if as_json:  # stdout stays one JSON document; the message also goes to stderr
            typer.echo(json.dumps(_error_document(exc, scenario or orlib), indent=2))
        raise


def _error_document(exc: OptimizationError, source: Path | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"instance": source.name if source else None,
                           "status": exc.status or "error", "error": str(exc),
                           "lp_file": exc.lp_file}
    if isinstance(exc, InfeasibleError):
        doc.update(status="infeasible", families=exc.families, shortfall=exc.shortfall)
    return doc


def _network(*, scenario: Path | None, orlib: Path | None, fmt: str,
             single_source: bool | None, uncapacitated: bool, capacity: float | None,
             as_json: bool, time_limit: float | None, gap: float | None, solver: str | None,
             method: str | None, lazy: bool, output: Path | None, n_best: int | None, pareto: str | None,
             max_transit: float, points: int, verify: bool, replications: int | None,
             days: float | None) -> None:
    if verify and scenario is None:
        raise InputError("--verify needs a scenario (it simulates the input and the result)")
    if pareto not in (None, "service", "co2"):
        raise InputError(f"--pareto must be service or co2, not {pareto!r}")
    if pareto is not None and scenario is None:
        raise InputError("--pareto needs a scenario (transit times and CO2 come from its lanes)")
    if solver not in (None, "highs", "cbc"):
        raise InputError(f"--solver must be highs or cbc, not {solver!r}")
    if lazy and solver == "cbc":
        raise InputError("--lazy uses the HiGHS matrix path: drop --solver cbc")
    if method not in (None, "auto", "mip", "lagrangian"):
        raise InputError(f"--method must be auto, mip or lagrangian, not {method!r}")
    if method == "lagrangian" and (n_best or pareto):
        raise InputError("--n-best and --pareto add side rows the Lagrangian pipeline does not "
                         "take: use --method auto or mip")
    if (scenario is None) == (orlib is None):
        raise InputError("give either a SCENARIO file or --orlib FILE")
    given = _given_solver_settings(solver, gap, time_limit, lazy)
    if orlib is not None:
        from supplylab.optimize.instances import read_instance
        from supplylab.optimize.network import solve_network
        from supplylab.optimize.problem import NetworkOptions
        from supplylab.optimize.solver import SolverOptions

        if fmt not in ("orlib", "holmberg", "ufllib"):
            raise InputError(f"--format must be orlib, holmberg or ufllib, not {fmt!r}")
        fp = read_instance(orlib, _format_name(fmt), capacity=capacity,
                           uncapacitated=uncapacitated)
        opts = NetworkOptions(single_source=bool(single_source), lazy_linking=lazy,
                              method=method or "auto",  # type: ignore[arg-type]
                              solver=SolverOptions(**given))  # type: ignore[arg-type]
        sol = solve_network(fp, opts)
        extra = _alternatives(fp, opts, sol, n_best, None, max_transit, points) if n_best else {}
        _print(sol, fp.name, as_json, extra=extra)
        return
    from supplylab.optimize.scenario_design import optimise_scenario

    assert scenario is not None
    if verify and output is None:
        import tempfile

        output = Path(tempfile.mkdtemp(prefix="supplylab-")) / f"{scenario.stem}_optimised.yaml"
    res = optimise_scenario(scenario, output=output, solver_settings=given,
                            single_source=single_source, method=method,
                            alternatives=bool(n_best or pareto))
    extra = {}
    if n_best or pareto:
        extra = _alternatives(res.problem, res.options, res.solution, n_best, pareto,
                              max_transit, points)
    if verify:
        from supplylab.optimize.verify import verify_design

        assert res.output is not None
        extra[VERIFY_TITLE] = verify_design(
            scenario, res.output, replications=replications, days=days,
            progress=not as_json)
    _print(res.solution, scenario.name, as_json, res.output, extra)


#: the title of the ``--verify`` table (and its key under ``alternatives`` in ``--json``)
VERIFY_TITLE = "verify: chosen - input, paired (common random numbers), 95% CI"


def _given_solver_settings(solver: str | None, gap: float | None, time_limit: float | None,
                           lazy: bool) -> dict[str, Any]:
    """The solver settings given on the command line (the others keep their defaults: the
    scenario's ``network_design`` section, else :class:`SolverOptions`'s)."""
    given: dict[str, Any] = {}
    if solver is not None:
        given["solver"] = _solver_name(solver)
    if gap is not None:
        given["mip_rel_gap"] = gap
    if time_limit is not None:
        given["time_limit_s"] = time_limit
    if lazy:
        given["path"] = "matrix"
    return given


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


def _solver_name(name: str) -> SolverName:
    return "cbc" if name == "cbc" else "highs"


def _format_name(name: str) -> FormatName:
    if name == "holmberg":
        return "holmberg"
    return "ufllib" if name == "ufllib" else "orlib"


def _print(sol: NetworkSolution, name: str, as_json: bool, written: Path | None = None,
           extra: dict[str, Any] | None = None) -> None:
    """The solution summary, then any alternatives (N best, Pareto): tables, or one JSON."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from supplylab.optimize.display import summary_value

    summary = {"instance": name, **sol.summary()}
    if written is not None:
        summary["output"] = str(written)
    if as_json:
        if extra:
            summary["alternatives"] = {k: v.to_dict(orient="records") for k, v in extra.items()}
        typer.echo(json.dumps(summary, indent=2, default=float))
        return
    table = Table(title=f"network design: {escape(str(name))}")
    table.add_column("field")
    table.add_column("value")
    for key in ("objective", "status", "gap", "best_bound", "method", "proven", "model_time_s",
                "build_time_s", "solve_time_s", "solver"):
        val = summary[key]
        table.add_row(key, summary_value(key, val))
    table.add_row("open_facilities", escape(" ".join(sol.open_site_ids)))
    if written is not None:
        table.add_row("output", escape(str(written)))
    console = Console()
    console.print(table)
    for title, frame in (extra or {}).items():
        if title.startswith(VERIFY_TITLE):
            from supplylab.optimize.display import verify_frame

            frame = verify_frame(frame)
        alt = Table(title=title)
        for col in frame.columns:
            alt.add_column(escape(str(col)))
        for row in frame.itertuples(index=False):
            alt.add_row(*(f"{v:.6g}" if isinstance(v, float) else escape(str(v)) for v in row))
        console.print(alt)
