"""The experiments layer: replications with intervals, paired comparisons with common random
numbers, parameter sweeps on many cores or Dask, and a resumable SQLite results store.

See docs/experiments.md. Everything runs through a run function
``run_fn(scenario, seed, replication) -> ReplicationResult`` (default: the engine's
``supplylab.sim.run_replication``), so replication k of any scenario with the same seed uses
the same random streams. The names below are imported on first use, so that importing a
submodule (e.g. the command definitions) does not load pandas and scipy.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._types import RunFn, ScenarioLike
    from .compare import Comparison, compare
    from .design import Bounds, build_points
    from .experiment import Experiment, experiment_from_api, load_experiment
    from .results import Results, replicate
    from .runners import RunOutcome, RunPlan, execute
    from .stats import Interval, PairedDifference, paired_difference, t_interval
    from .store import ResultStore
    from .sweep import SweepResults, sweep

_LAZY = {
    "RunFn": "._types", "ScenarioLike": "._types", "Comparison": ".compare",
    "compare": ".compare", "Bounds": ".design", "build_points": ".design",
    "Experiment": ".experiment", "experiment_from_api": ".experiment",
    "load_experiment": ".experiment", "Results": ".results", "replicate": ".results",
    "RunOutcome": ".runners", "RunPlan": ".runners", "execute": ".runners",
    "Interval": ".stats", "PairedDifference": ".stats", "paired_difference": ".stats",
    "t_interval": ".stats", "ResultStore": ".store", "SweepResults": ".sweep", "sweep": ".sweep",
}

__all__ = [
    "Bounds", "Comparison", "Experiment", "Interval", "PairedDifference", "ResultStore",
    "Results", "RunFn", "RunOutcome", "RunPlan", "ScenarioLike", "SweepResults", "build_points",
    "compare", "execute", "experiment_from_api", "load_experiment", "paired_difference",
    "replicate", "sweep", "t_interval",
]

#: functions named like the submodule that defines them: the package attribute is the function
_SHADOWED = frozenset({"compare", "sweep"})


class _Package(types.ModuleType):
    """Keeps ``experiments.compare``/``experiments.sweep`` the functions once their submodules
    are imported (the import system would otherwise set the attribute to the submodule)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'supplylab.experiments' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
