"""The experiments layer: replications with intervals, paired comparisons with common random
numbers, parameter sweeps on many cores or Dask, and a resumable SQLite results store.

See docs/experiments.md. Everything runs through a run function
``run_fn(scenario, seed, replication) -> ReplicationResult`` (default: the engine's
``supplylab.sim.run_replication``), so replication k of any scenario with the same seed uses
the same random streams.
"""

from ._types import RunFn, ScenarioLike
from .compare import Comparison, compare
from .design import Bounds, build_points
from .experiment import Experiment, experiment_from_api, load_experiment
from .results import Results, replicate
from .runners import RunOutcome, RunPlan, execute
from .stats import Interval, PairedDifference, paired_difference, t_interval
from .store import ResultStore
from .sweep import SweepResults, sweep

__all__ = [
    "Bounds", "Comparison", "Experiment", "Interval", "PairedDifference", "ResultStore",
    "Results", "RunFn", "RunOutcome", "RunPlan", "ScenarioLike", "SweepResults", "build_points", "compare", "execute",
    "experiment_from_api", "load_experiment", "paired_difference", "replicate", "sweep",
    "t_interval",
]
