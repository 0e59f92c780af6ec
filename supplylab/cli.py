"""The `supplylab` command line (docs/cli.md).

Exit codes: 0 success; 1 internal error (one line, `--debug` for the trace); 2 bad input
(usage, validation, unreadable file); 3 optimisation infeasible or not solved within limits.
Commands of other layers are registered from their packages (``register(app)``).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .errors import InputError, SupplylabError

app = typer.Typer(
    name="supplylab",
    help="Simulate and optimise customer-centred supply chains (suppliers -> 3PL network -> "
    "customers).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_state: dict[str, Any] = {"debug": False}


def _click_exception_types() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """(Exit, Abort, ClickException) classes: typer's own, and those of the click it uses
    (a copy bundled inside newer typer, the click package with older ones)."""
    try:
        from typer._click import exceptions as click_exceptions  # typer >= 0.20 vendors click
    except ImportError:
        from click import exceptions as click_exceptions  # older typer depends on click
    return ((typer.Exit, click_exceptions.Exit) if hasattr(click_exceptions, "Exit")
            else (typer.Exit,),
            (typer.Abort, click_exceptions.Abort) if hasattr(click_exceptions, "Abort")
            else (typer.Abort,),
            (click_exceptions.ClickException,))


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show the full trace of an internal error.")] = False,
    allow_path: Annotated[list[Path] | None, typer.Option("--allow-path", help="Let extends: and data files reach this folder (repeatable; default: the scenario's and the working folder only).")] = None,
) -> None:
    _state["debug"] = debug
    from .scenario.yaml_io import allow_paths

    allow_paths(list(allow_path or []))


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE.")] = None,
) -> None:
    """Check scenario files; list every problem as FILE:LINE:COL: path: message (exit 2)."""
    from .scenario import load, parse_assignments
    from .scenario.network import describe

    overrides = parse_assignments(set_)
    bad = 0
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for f in files:
        try:
            sc = load(f, overrides)
        except InputError as exc:
            bad += 1
            for issue in exc.issues:
                err.print(str(issue), markup=False)
            continue
        counts = ", ".join(f"{v} {k}" for k, v in describe(sc).items())
        typer.echo(f"{f}: valid ({counts})")
    if bad:
        err.print(f"{bad} of {len(files)} file(s) invalid", markup=False)
        raise typer.Exit(2)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario language (for editors)."""
    from .scenario import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="Scenario file.")],
    replications: Annotated[int | None, typer.Option(min=1, help="Replications (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: the scenario's).")] = None,
    days: Annotated[float | None, typer.Option(min=0.001, help="Horizon in days (default: the scenario's).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH=VALUE (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write results.json, kpis.csv, timeseries.csv here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results document as JSON.")] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="Local processes (default: all cores).")] = None,
    dask: Annotated[str | None, typer.Option(help="Dask scheduler address, or 'local'.")] = None,
    precision: Annotated[list[str] | None, typer.Option(help="KPI=HALF_WIDTH: add replications until reached.")] = None,
    events: Annotated[Path | None, typer.Option(help="Write the event log (CSV) of replication 0 here.")] = None,
) -> None:
    """Simulate a scenario and report its KPIs with 95% confidence intervals."""
    from . import simulate
    from .io import check_output_dir
    from .scenario import load, parse_assignments

    sc = load(file, parse_assignments(set_))
    if out is not None:
        check_output_dir(out)
    targets = {}
    for text in precision or []:
        kpi, _, hw = text.partition("=")
        try:
            targets[kpi.strip()] = float(hw)
        except ValueError:
            raise InputError(f"--precision needs KPI=HALF_WIDTH, got {text!r}", "--precision") from None
    res = simulate(sc, replications=replications, seed=seed, days=days, workers=workers,
                   dask=dask, precision=targets or None, events=events,
                   progress=sys.stderr.isatty() and not as_json)
    from .experiments.commands import emit

    emit(res, out=out, as_json=as_json)


def _unavailable(name: str, help_text: str) -> None:
    def command(args: Annotated[list[str] | None, typer.Argument(hidden=True)] = None) -> None:
        raise InputError(f"`supplylab {name}` is not available yet", name)

    command.__doc__ = f"{help_text} (not available yet)"
    app.command(name=name, context_settings={"ignore_unknown_options": True})(command)


def _register_layers() -> None:
    try:
        from .experiments.commands import register as register_experiments
    except ImportError:
        _unavailable("compare", "Compare scenarios with common random numbers.")
        _unavailable("sweep", "Run a parameter sweep from an experiment file (resumes).")
    else:
        register_experiments(app)
    try:
        from .optimize.commands import register as register_optimize
    except ImportError:
        _unavailable("optimize", "Optimise network, inventory or demand steering.")
    else:
        register_optimize(app)
    try:
        from .report.commands import register as register_report
    except ImportError:
        _unavailable("report", "Write an HTML report with plots from a results folder.")
    else:
        register_report(app)


_register_layers()


def _interrupted(err: Console, exc: BaseException | None) -> int:
    """Ctrl-C: say so, with what was kept and how to resume when the command knows (exit 130)."""
    detail = str(exc or "")
    err.print("interrupted" + (f": {detail}" if detail else ""), markup=False)
    return 130


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command and map errors to exit codes (never a raw traceback)."""
    command = typer.main.get_command(app)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    exit_types, abort_types, usage_types = _click_exception_types()
    try:
        rv = command.main(args=argv, prog_name="supplylab", standalone_mode=False)
        if rv == 130:  # typer turned Ctrl-C into a bare exit code
            from .experiments.runners import Interrupted

            return _interrupted(err, Interrupted.last)
        return int(rv or 0) if isinstance(rv, int) else 0
    except exit_types as exc:
        return int(getattr(exc, "exit_code", 0))
    except abort_types as exc:  # older click turns Ctrl-C into Abort
        return _interrupted(err, exc.__cause__)
    except usage_types as exc:
        exc.show(file=sys.stderr)
        return 2
    except InputError as exc:
        for issue in exc.issues:
            err.print(str(issue), markup=False)
        return exc.exit_code
    except SupplylabError as exc:
        err.print(f"error: {exc}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return _interrupted(err, exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a trace
        if _state["debug"]:
            traceback.print_exc()
        else:
            err.print(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the "
                      "trace)", markup=False)
        return 1


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
