"""The Python API for researchers: load, simulate, compare, sweep (docs/api.md).

Everything runs serially in the calling process unless ``workers`` (local processes) or
``dask`` is given, so a plain script works as it is. Worker processes re-import the script
that starts them; a script that asks for workers must therefore make its calls under
``if __name__ == "__main__":``; one that does not is stopped with a one-line message
(``SystemExit``) before any process starts.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .experiments.compare import Comparison
    from .experiments.results import Results
    from .experiments.risk import RiskStudy
    from .experiments.sweep import SweepResults
    from .scenario import Scenario


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    from .scenario import Scenario, load

    return scenario if isinstance(scenario, Scenario) else load(scenario)


def _runner(workers: int | None, dask: str | None, tasks: int) -> str:
    """``serial`` unless worker processes or Dask are asked for (and there is work to share)."""
    from .experiments.commands import choose_runner

    if workers is None and not dask:
        return "serial"
    runner = choose_runner(workers, dask, tasks)
    if runner == "processes" or dask == "local":
        check_main_guard()
    return runner


def _in_main_guard(tree: ast.Module, line: int) -> bool:
    for node in tree.body:
        if isinstance(node, ast.If) and node.lineno <= line <= (node.end_lineno or node.lineno):
            text = ast.unparse(node.test).replace("'", '"')
            if text in ('__name__ == "__main__"', '"__main__" == __name__'):
                return True
    return False


def check_main_guard() -> None:
    """Stop the running script (one line, exit 1) if it asks for workers outside a main guard.

    Worker processes import the main script again (start methods forkserver and spawn); top
    level code that starts workers would then start them again in every worker. A script run
    with ``python -m``, an interactive session or a notebook is not re-imported.
    """
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    spec = getattr(main, "__spec__", None)
    if main is None or not file or (spec is not None and spec.name.endswith("__main__")):
        return
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_globals is vars(main)
                                     and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    if frame is None:
        return
    try:
        tree = ast.parse(Path(file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return
    if not _in_main_guard(tree, frame.f_lineno):
        raise SystemExit(
            f"supplylab: {Path(file).name}:{frame.f_lineno}: worker processes re-import this "
            "script: put "
            "the calls under `if __name__ == \"__main__\":` (or leave workers unset to run "
            "serially)")


def simulate(scenario: Scenario | str | Path, replications: int | None = None,
             seed: int | None = None, *, days: float | None = None, workers: int | None = None,
             dask: str | None = None, precision: Mapping[str, float] | None = None,
             events: str | Path | None = None, progress: bool = False) -> Results:
    """Simulate ``replications`` replications and return their :class:`Results`.

    Replication k uses the random streams of (seed, k) whatever runs it, so results are
    identical serially (the default), on ``workers`` local processes or on Dask
    (``dask="local"`` or a scheduler address). ``precision`` maps KPI -> 95% half-width to
    reach by adding replications. ``events`` writes replication 0's event log (CSV) to that
    path. ``progress`` shows a bar on stderr when it is a terminal.
    """
    from .experiments.results import replicate

    sc = _scenario(scenario)
    if events is not None:
        from .io import check_output_file

        check_output_file(events, "--events")
    n = replications if replications is not None else sc.simulation.replications
    runner = _runner(workers, dask, n)
    res = replicate(sc, n, seed, runner=runner, workers=workers, dask=dask, precision=precision,
                    days=days, progress=progress)
    if events is not None:
        from .io import output_errors, remove_temporaries
        from .sim.eventlog import write_event_log

        try:
            with output_errors(events, "--events"):
                write_event_log(sc, seed if seed is not None else sc.simulation.seed, 0,
                                events, days)
        except BaseException:
            remove_temporaries(Path(events))
            raise
    return res


def compare(scenarios: Sequence[Scenario | str | Path], replications: int | None = None,
            seed: int | None = None, *, labels: Sequence[str] | None = None,
            workers: int | None = None, dask: str | None = None, **options: Any) -> Comparison:
    """Paired comparison with common random numbers against the first scenario.

    Alternatives are labelled by ``labels`` when given, else by their file names (``base``
    for ``scenarios/base.yaml``), else by scenario name. Runs serially unless ``workers`` or
    ``dask`` is given. Other options (``days``, ``progress``, ``run_fn``) are those of
    :func:`supplylab.experiments.compare.compare`.
    """
    from .experiments.compare import compare as _compare

    loaded = [_scenario(s) for s in scenarios]
    if labels is None:
        from .experiments.compare import default_labels

        labels = default_labels(loaded)
    n = replications if replications is not None else loaded[0].simulation.replications
    runner = _runner(workers, dask, n * len(loaded))
    return _compare(loaded, replications, seed, labels=labels, runner=runner, workers=workers,
                    dask=dask, **options)


def sweep(scenario_or_experiment: Scenario | str | Path | Any,
          parameters: Mapping[str, Any] | None = None, *, workers: int | None = None,
          dask: str | None = None, **options: Any) -> SweepResults:
    """Parameter sweep over dotted paths (grid, list or lhs) of a scenario, or an experiment
    file; serial unless ``workers`` or ``dask`` is given. Other options (``design``,
    ``samples``, ``replications``, ``seed``, ``kpis``, ``days``, ``out``, ``progress``) are
    those of :func:`supplylab.experiments.sweep.sweep`."""
    from .experiments.sweep import sweep as _sweep

    target = scenario_or_experiment
    if isinstance(target, str | Path) and Path(target).suffix in (".yaml", ".yml") and parameters is not None:
        target = _scenario(target)
    options.setdefault("progress", False)
    runner = _runner(workers, dask, 2)
    return _sweep(target, parameters, runner=runner, workers=workers, dask=dask, **options)


def risk(scenario: Scenario | str | Path, nodes: Any = "sites", *, workers: int | None = None,
         dask: str | None = None, **options: Any) -> RiskStudy:
    """Take each node out in turn and rank the nodes by exposure (a ``RiskStudy``); serial
    unless ``workers`` or ``dask`` is given. See :func:`supplylab.experiments.risk.risk` for
    the options and docs/risk.md."""
    from .experiments.risk import risk as _risk

    runner = _runner(workers, dask, 2)
    return _risk(_scenario(scenario), nodes, runner=runner, workers=workers, dask=dask,
                 **options)
