"""The experiments layer: replications with intervals, paired comparisons with common random
numbers, parameter sweeps on many cores or Dask, and a resumable SQLite results store.

See docs/experiments.md. Everything runs through a run function
``run_fn(scenario, seed, replication) -> ReplicationResult`` (default: the engine's
``supplylab.sim.run_replication``), so replication k of any scenario with the same seed uses
the same random streams.
"""

from __future__ import annotations

import importlib
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

# Names are imported on first use (PEP 562), so that `import supplylab.cli` (which registers
# `compare` and `sweep` from .commands) does not load scipy.stats and the runners.
_WHERE = {
    "RunFn": "_types", "ScenarioLike": "_types", "Comparison": "compare", "compare": "compare",
    "Bounds": "design", "build_points": "design", "Experiment": "experiment",
    "experiment_from_api": "experiment", "load_experiment": "experiment", "Results": "results",
    "replicate": "results", "RunOutcome": "runners", "RunPlan": "runners", "execute": "runners",
    "Interval": "stats", "PairedDifference": "stats", "paired_difference": "stats",
    "t_interval": "stats", "ResultStore": "store", "SweepResults": "sweep", "sweep": "sweep",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{where}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Bounds", "Comparison", "Experiment", "Interval", "PairedDifference", "ResultStore",
    "Results", "RunFn", "RunOutcome", "RunPlan", "ScenarioLike", "SweepResults", "build_points", "compare", "execute",
    "experiment_from_api", "load_experiment", "paired_difference", "replicate", "sweep",
    "t_interval",
]
