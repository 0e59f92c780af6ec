"""The Python API for researchers: load, simulate, compare, sweep (docs/api.md)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .scenario import Scenario, load


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def simulate(scenario: Scenario | str | Path, replications: int | None = None,
             seed: int | None = None, *, days: float | None = None, workers: int | None = None,
             dask: str | None = None, precision: Mapping[str, float] | None = None,
             events: str | Path | None = None, progress: bool = False) -> Any:
    """Simulate ``replications`` replications and return a ``Results`` (summary(), kpis).

    Replication k uses the random streams of (seed, k) whatever runs it, so results are
    identical serially, on ``workers`` local processes or on Dask (``dask="local"`` or a
    scheduler address). ``precision`` maps KPI -> 95% half-width to reach by adding
    replications. ``events`` writes replication 0's event log (CSV) to that path. ``progress``
    shows a bar on stderr when it is a terminal.
    """
    from .experiments.commands import choose_runner
    from .experiments.results import replicate

    sc = _scenario(scenario)
    if events is not None:
        from .io import check_output_file

        check_output_file(events, "--events")
    n = replications if replications is not None else sc.simulation.replications
    runner = choose_runner(workers, dask, n)
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


def compare(scenarios: list[Scenario | str | Path], replications: int | None = None,
            seed: int | None = None, **options: Any) -> Any:
    """Paired comparison with common random numbers against the first scenario.

    See :func:`supplylab.experiments.compare.compare` for the options.
    """
    from .experiments.compare import compare as _compare

    return _compare([_scenario(s) for s in scenarios], replications, seed, **options)


def sweep(scenario_or_experiment: Any, parameters: Mapping[str, Any] | None = None,
          **options: Any) -> Any:
    """Parameter sweep over dotted paths (grid, list or lhs); see
    :func:`supplylab.experiments.sweep.sweep` for the options."""
    from .experiments.sweep import sweep as _sweep

    target = scenario_or_experiment
    if isinstance(target, str | Path) and Path(target).suffix in (".yaml", ".yml") and parameters is not None:
        target = load(target)
    return _sweep(target, parameters, **options)
