"""The `supplylab` command line (docs/cli.md).

Exit codes: 0 success; 1 internal error (one line, `--debug` for the trace); 2 bad input
(usage, validation, unreadable file); 3 optimisation infeasible or not solved within limits.

Start-up stays fast (``supplylab --help`` takes about 0.1 s of CPU; bench/startup.py): this
module imports only typer (rich when a message is printed); each command imports what it
needs when it runs, and the
commands of other layers (``register(app)`` in the modules of :data:`LAYER_COMMANDS`) are
imported only when the command line names them; until then stand-ins carry their help,
read from the modules' source.
"""

from __future__ import annotations

import ast
import gc
import json
import os
import sys
import traceback
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import InputError, SupplylabError

#: Commands registered by other layers: name -> module with ``register(app)``. Until a command
#: line names one of them, ``supplylab --help`` lists it with the help read from the module's
#: source (:func:`listing_help`), so the listing costs no import.
LAYER_COMMANDS: dict[str, str] = {
    "compare": "supplylab.experiments.commands",
    "sweep": "supplylab.experiments.commands",
    "risk": "supplylab.experiments.risk_command",
    "optimize": "supplylab.optimize.commands",
    "report": "supplylab.report.commands",
}


def _constant(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _command_name(call: ast.Call) -> str | None:
    """``"x"`` of ``app.command("x")`` or ``app.command(name="x")`` (also ``add_typer``)."""
    for kw in call.keywords:
        if kw.arg == "name":
            return _constant(kw.value)
    if call.args and isinstance(call.func, ast.Attribute) and call.func.attr == "command":
        return _constant(call.args[0])
    return None


def listing_help(module: str, name: str) -> str | None:
    """The help of layer command ``name`` as ``register(app)`` in ``module`` would give it,
    read from the module's source without importing it: the docstring of the function
    registered with ``app.command(name=...)(function)``, or the ``help=`` of the Typer added
    with ``app.add_typer(sub, name=...)``. None when the source does not say."""
    path = Path(__file__).resolve().parent.joinpath(*module.split(".")[1:]).with_suffix(".py")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    register = functions.get("register")
    if register is None:
        return None
    typers: dict[str, str] = {}
    for node in ast.walk(register):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                isinstance(node.targets[0], ast.Name):
            text = next((_constant(k.value) for k in node.value.keywords if k.arg == "help"), None)
            if text:
                typers[node.targets[0].id] = text
        if not isinstance(node, ast.Call):
            continue
        inner = node.func
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and \
                inner.func.attr == "command" and _command_name(inner) == name and node.args and \
                isinstance(node.args[0], ast.Name) and node.args[0].id in functions:
            return ast.get_docstring(functions[node.args[0].id])
        if isinstance(inner, ast.Attribute) and inner.attr == "add_typer" and \
                _command_name(node) == name and node.args and isinstance(node.args[0], ast.Name):
            return typers.get(node.args[0].id)
    return None


_state: dict[str, Any] = {"debug": False}


class Stderr:
    """Messages on stderr through a rich console created at the first message, so a command
    that prints none (``--json``, a valid file) does not import rich."""

    def __init__(self) -> None:
        self._console: Any = None

    def print(self, *objects: Any, **options: Any) -> None:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        self._console.print(*objects, **options)


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


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("supplylab")
    except metadata.PackageNotFoundError:
        from . import __version__

        return __version__


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"supplylab {_version()}")
        raise typer.Exit(0)


def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show the full trace of an internal error.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    allow_path: Annotated[list[Path] | None, typer.Option("--allow-path", metavar="DIR", help="Let extends: and data files reach this folder (repeatable; default: the scenario's and the working folder only).")] = None,
) -> None:
    _state["debug"] = debug
    # the scenario language loads only when a command needs it (start-up); a new call of
    # main() in the same process resets the folders allowed before
    if allow_path or "supplylab.scenario.yaml_io" in sys.modules:
        from .scenario.yaml_io import allow_paths

        allow_paths(list(allow_path or []))


def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.", metavar="FILE")],
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="Override a field (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document: per file valid, counts or issues (file, line, col, path, message).")] = False,
) -> None:
    """Check scenario files; list every problem as FILE:LINE:COL: path: message (exit 2)."""
    from dataclasses import asdict

    from .scenario import load, parse_assignments
    from .scenario.network import describe

    overrides = parse_assignments(set_)
    results: list[dict[str, Any]] = []
    err = Stderr()
    for f in files:
        try:
            sc = load(f, overrides)
        except InputError as exc:
            results.append({"file": str(f), "valid": False,
                            "issues": [asdict(i) for i in exc.issues]})
            if not as_json:
                for issue in exc.issues:
                    err.print(str(issue), markup=False)
            continue
        counts = describe(sc)
        results.append({"file": str(f), "valid": True, "counts": counts})
        if not as_json:
            typer.echo(f"{f}: valid ({', '.join(_count(v, k) for k, v in counts.items())})")
    bad = sum(not r["valid"] for r in results)
    if as_json:
        typer.echo(json.dumps({"valid": not bad, "files": results}, indent=2))
    elif bad:
        err.print(f"{bad} of {len(files)} file(s) invalid", markup=False)
    if bad:
        raise typer.Exit(2)


def schema() -> None:
    """Print the JSON Schema of the scenario language (for editors)."""
    from .scenario import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


def run(
    file: Annotated[Path, typer.Argument(help="Scenario file.", metavar="FILE")],
    replications: Annotated[int | None, typer.Option(min=1, metavar="N", help="Replications (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, metavar="SEED", help="Root seed (default: the scenario's).")] = None,
    days: Annotated[float | None, typer.Option(min=0.001, metavar="DAYS", help="Horizon in days (default: the scenario's).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="Override a field (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(metavar="DIR", help="Write results.json, summary.csv, kpis.csv, timeseries.csv and the customer files (docs/customers.md) here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results document as JSON.")] = False,
    workers: Annotated[int | None, typer.Option(min=1, metavar="N", help="Local processes (default: all cores).")] = None,
    dask: Annotated[str | None, typer.Option(metavar="ADDRESS", help="Dask scheduler address, or 'local'.")] = None,
    precision: Annotated[list[str] | None, typer.Option(metavar="KPI=HALF_WIDTH", help="Add replications until the KPI's 95% half-width is reached (repeatable).")] = None,
    events: Annotated[Path | None, typer.Option(metavar="FILE", help="Write the event log (CSV) of replication 0 here.")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write OUT/report.html (needs --out).")] = False,
) -> None:
    """Simulate a scenario and report its KPIs with 95% confidence intervals."""
    import os

    from . import simulate
    from .io import check_output_dir
    from .scenario import load, parse_assignments

    if report:
        from .report.commands import require_out

        require_out(report, out)
    sc = load(file, parse_assignments(set_))
    if out is not None:
        check_output_dir(out)
    from .experiments.experiment import parse_precision

    targets = parse_precision(precision)
    from .experiments.commands import emit, horizon_notes, print_notes

    print_notes(horizon_notes(sc, days))
    if workers is None and not dask:
        workers = os.cpu_count() or 1
    res = simulate(sc, replications=replications, seed=seed, days=days, workers=workers,
                   dask=dask, precision=targets or None, events=events,
                   progress=sys.stderr.isatty() and not as_json)
    emit(res, out=out, as_json=as_json)
    if report and out is not None:
        from .report.commands import after_run

        after_run(out, sc)


def _unavailable(app: typer.Typer, name: str, help_text: str, why: str) -> None:
    def command(args: Annotated[list[str] | None, typer.Argument(hidden=True)] = None) -> None:
        raise InputError(f"`supplylab {name}` is {why}", name)

    command.__doc__ = help_text
    app.command(name=name, context_settings={"ignore_unknown_options": True,
                                             "allow_extra_args": True})(command)


def _command_word(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_app(layers: Sequence[str] | None = None) -> typer.Typer:
    """The Typer app with the core commands and the given layer commands (default: all).

    Layer commands not asked for are registered as stand-ins that only carry their help line,
    so the listing is complete without importing them.
    """
    app = typer.Typer(
        name="supplylab",
        help="Simulate and optimise customer-centred supply chains (suppliers -> 3PL network "
        "-> customers).",
        no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    app.callback()(_main)
    app.command()(validate)
    app.command()(schema)
    app.command()(run)
    wanted = set(LAYER_COMMANDS) if layers is None else set(layers)
    loaded: set[str] = set()
    for name, module in LAYER_COMMANDS.items():
        if name in loaded:
            continue
        if name not in wanted:
            _unavailable(app, name, listing_help(module, name) or "", "not loaded")
            continue
        try:
            register = import_module(module).register
        except ImportError:
            _unavailable(app, name, "(not available yet)", "not available yet")
            continue
        before = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
        register(app)
        after = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
        loaded |= after - before
    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # the complete app, for tools that want it (imports every layer)
        return build_app()
    raise AttributeError(name)


_TYPE_METAVARS = {"int": "N", "integer": "N", "float": "X", "path": "PATH", "file": "FILE",
                  "directory": "DIR", "str": "TEXT", "text": "TEXT", "bool": "BOOL",
                  "boolean": "BOOL"}


def _type_label(param: Any) -> str:
    """What typer (``<int range>``, ``<list[Path]>``) or click (``INTEGER``) would show."""
    try:
        label = str(param.display_type(None))
    except Exception:  # noqa: BLE001 - older typer: a click parameter type
        label = str(getattr(getattr(param, "type", None), "name", "") or "")
    label = label.strip("<>").removesuffix(" range")
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]
    return label


def plain_help(command: Any) -> None:
    """Give every parameter of the click tree a metavar written for people.

    Typer would show ``{files}...``, ``<list[Path]>`` or ``<int range>``; this shows
    ``FILE...``, ``N`` or ``cbc|highs`` instead. Explicit metavars are kept.
    """
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
    for param in getattr(command, "params", []):
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            continue
        is_argument = getattr(param, "param_type_name", "") == "argument"
        if param.metavar is None:
            label = _type_label(param)
            if "|" in label:
                param.metavar = label
            elif is_argument:
                param.metavar = (param.name or "value").upper()
            else:
                param.metavar = _TYPE_METAVARS.get(label.lower(), "VALUE")
        if is_argument:
            label = param.metavar + ("..." if param.nargs != 1 else "")
            usage = label if param.required else f"[{label}]"
            param._usage_display_name = lambda usage=usage: usage
            param._rich_display_name = lambda label=label: label
            param.display_type_rich = lambda ctx=None: None


def _interrupted(err: Stderr, exc: BaseException | None) -> int:
    """Ctrl-C: say so, with what was kept and how to resume when the command knows (exit 130)."""
    detail = str(exc or "")
    err.print("interrupted" + (f": {detail}" if detail else ""), markup=False)
    return 130


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command and map errors to exit codes (never a raw traceback)."""
    args = list(sys.argv[1:] if argv is None else argv)
    word = _command_word(args)
    app = build_app([word] if word in LAYER_COMMANDS else [])
    command = typer.main.get_command(app)
    plain_help(command)
    err = Stderr()
    exit_types, abort_types, usage_types = _click_exception_types()
    try:
        rv = command.main(args=args, prog_name="supplylab", standalone_mode=False)
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
    """Console-script entry point (``supplylab``, ``python -m supplylab``).

    Before the process exits, what is left of it (modules, validators, the scenario, the
    results) is frozen out of the garbage collector: the interpreter's last collection would
    otherwise walk every one of those objects (about 0.05 CPU-s after a short run) only to
    free memory the operating system takes back anyway. Output is flushed and ``atexit``
    handlers (worker pools, temporary folders) run as before; files are closed by the
    commands themselves.

    OpenBLAS gets one thread unless the environment says otherwise: its start-up of a thread
    per core costs about 0.05 CPU-s at numpy's import, and no command does linear algebra
    large enough to gain from more (the simulation's arrays are vectors; the optimisers'
    solvers keep their own threads); worker processes inherit the setting, so a sweep on
    every core is not oversubscribed either.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()


def _count(n: int, plural: str) -> str:
    """``1 facility``, ``2 facilities``: the counts of ``validate`` as a reader says them."""
    if n != 1:
        return f"{n} {plural}"
    return f"{n} {plural[:-3] + 'y' if plural.endswith('ies') else plural[:-1]}"
