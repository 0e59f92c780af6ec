"""Command-line commands of the experiments layer: ``compare`` and ``sweep``.

``register(app)`` adds them to the main Typer app (supplylab/cli.py). They raise typed errors
(``InputError``/``ExperimentError`` -> exit 2, ``SupplylabError`` -> its exit code) and leave
the mapping to exit codes to the CLI wrapper. The helpers :func:`parse_overrides`,
:func:`choose_runner` and :func:`emit` serve the ``run`` command too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from supplylab.errors import InputError, SupplylabError


def parse_overrides(sets: Sequence[str] | None) -> dict[str, Any]:
    """``--set PATH=VALUE`` options as ``{dotted.path: value}`` (VALUE read as YAML)."""
    from supplylab.scenario import parse_assignments

    return parse_assignments(list(sets or []))


def choose_runner(workers: int | None, dask: str | None, tasks: int) -> str:
    """``dask`` with an address; ``serial`` for one worker or one task; else ``processes``."""
    if workers is not None and dask:
        raise InputError("give either --workers or --dask, not both", "--dask")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}", "--workers")
    if dask:
        return "dask"
    n = workers if workers is not None else (os.cpu_count() or 1)
    return "serial" if n == 1 or tasks <= 1 else "processes"


def emit(results: Any, *, out: Path | None, as_json: bool, console: Any = None) -> None:
    """Write ``results`` to ``out`` (if given) and print its JSON document or its table.

    Works for :class:`Results` and :class:`Comparison` (anything with ``write``,
    ``to_json`` and ``print_table``).
    """
    if out is not None:
        results.write(out)
    if as_json:
        typer.echo(results.to_json())
        return
    from rich.console import Console

    results.print_table(console or Console(highlight=False))
    if out is not None:
        typer.echo(f"results written to {out}")


def horizon_notes(scenario: Any, days: float | None = None,
                  points: Sequence[dict[str, Any]] = ()) -> list[str]:
    """Notes on promotions and disruptions that start after the horizon (they are ignored):
    for ``days``, else each point's swept ``simulation.horizon_days``, else the scenario's."""
    from supplylab.scenario.checks import events_after_horizon

    if days is not None or not points:
        return events_after_horizon(scenario, days)
    notes: list[str] = []
    for i, point in enumerate(points):
        h = point.get("simulation.horizon_days")
        if h is not None:
            notes += [f"point {i}: {n}" for n in events_after_horizon(scenario, float(h))]
    return notes or events_after_horizon(scenario)


def print_notes(notes: Sequence[str], limit: int = 5) -> None:
    """``note: ...`` lines on stderr (at most ``limit``, then how many more)."""
    notes = list(dict.fromkeys(notes))
    for n in notes[:limit]:
        typer.echo(f"note: {n}", err=True)
    if len(notes) > limit:
        typer.echo(f"note: ... and {len(notes) - limit} more like these", err=True)


def _stderr_tty() -> bool:
    return sys.stderr.isatty()


def compare_command(
    files: Annotated[list[Path], typer.Argument(help="Scenario files; the first is the baseline. Alternatives are labelled by file name.", metavar="FILE")],
    replications: Annotated[int | None, typer.Option(min=1, metavar="N", help="Replications per scenario (default: the first scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, metavar="SEED", help="Root seed (default: the first scenario's).")] = None,
    days: Annotated[float | None, typer.Option(min=0.001, metavar="DAYS", help="Horizon in days (default: each scenario's).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="Override a field in every scenario (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(metavar="DIR", help="Write comparison.json, differences.csv and one results folder per scenario.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison document as JSON.")] = False,
    workers: Annotated[int | None, typer.Option(min=1, metavar="N", help="Local processes (default: all cores).")] = None,
    dask: Annotated[str | None, typer.Option(metavar="ADDRESS", help="Dask scheduler address, or 'local'.")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write OUT/report.html (needs --out).")] = False,
) -> None:
    """Compare scenarios with common random numbers: paired differences vs the first file."""
    from supplylab.scenario import load

    from .compare import compare, default_labels

    if len(files) < 2:
        raise InputError("compare needs at least two scenario files (the first is the "
                         "baseline)", "compare")
    if report:
        from supplylab.report.commands import require_out

        require_out(report, out)
    overrides = parse_overrides(set_)
    scenarios = [load(f, overrides or None) for f in files]
    if out is not None:
        from supplylab.io import check_output_dir

        check_output_dir(out)
    print_notes([f"{f.name}: {n}" for f, sc in zip(files, scenarios, strict=True)
                 for n in horizon_notes(sc, days)])
    n = replications or scenarios[0].simulation.replications
    runner = choose_runner(workers, dask, n * len(scenarios))
    comparison = compare(scenarios, replications, seed, labels=default_labels(scenarios),
                         runner=runner, workers=workers, dask=dask, days=days,
                         progress=_stderr_tty() and not as_json)
    emit(comparison, out=out, as_json=as_json)
    if report and out is not None:
        from supplylab.report.commands import after_compare

        after_compare(out, scenarios)


def sweep_command(
    experiment: Annotated[Path, typer.Argument(help="Experiment file (experiments/*.yaml).", metavar="FILE")],
    out: Annotated[Path | None, typer.Option(metavar="DIR", help="Output folder with the results store (default: out/<experiment name>); a re-run resumes.")] = None,
    replications: Annotated[int | None, typer.Option(min=1, metavar="N", help="Replications per point (default: the experiment's).")] = None,
    days: Annotated[float | None, typer.Option(min=0.001, metavar="DAYS", help="Horizon in days (default: the experiment's, else the scenario's).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, metavar="N", help="Local processes (default: all cores).")] = None,
    dask: Annotated[str | None, typer.Option(metavar="ADDRESS", help="Dask scheduler address, or 'local'.")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write the report.html into the output folder.")] = False,
) -> None:
    """Run a parameter sweep from an experiment file; re-running the command resumes it.

    --replications and --days try an experiment quickly. Another horizon is another
    experiment in the results store (its runs do not mix with the full ones); fewer
    replications reuse the stored runs, more extend them.
    """
    from ._io import slug
    from .experiment import load_experiment
    from .sweep import sweep

    exp = load_experiment(experiment)
    print_notes(horizon_notes(exp.scenario, days if days is not None else exp.days, exp.points))
    folder = out if out is not None else Path("out") / slug(exp.name)
    n = replications if replications is not None else exp.replications
    runner = choose_runner(workers, dask, len(exp.points) * n)
    res = sweep(exp, replications=replications, days=days, runner=runner, workers=workers,
                dask=dask, out=folder, progress=_stderr_tty())
    exp = res.experiment
    from rich.console import Console

    res.print_table(Console(highlight=False))
    ok = int((res.runs["status"] == "ok").sum())
    typer.echo(f"{ok} of {len(exp.points) * exp.replications} runs stored in "
               f"{folder / 'results.sqlite'}; tables in {folder}")
    if report:
        from supplylab.report.commands import after_sweep

        after_sweep(folder, exp.scenario)
    failures = res.failures
    if not failures.empty:
        first = failures.iloc[0]
        line = str(first["error"]).splitlines()[0]
        raise SupplylabError(f"{len(failures)} run(s) failed (details in {folder / 'runs.csv'}); "
                             f"first: point {first['point']}, replication "
                             f"{first['replication']}: {line}")


def register(app: typer.Typer) -> None:
    """Add ``compare`` and ``sweep`` to the command-line app."""
    app.command(name="compare")(compare_command)
    app.command(name="sweep")(sweep_command)


__all__ = ["choose_runner", "emit", "horizon_notes", "parse_overrides", "print_notes", "register"]
