"""The two things the experiments layer needs from the rest of supplylab, as small protocols.

Everything here is written against a *run function* ``run_fn(scenario, seed, replication)``
returning a ``ReplicationResult`` and a scenario that offers ``with_overrides``, ``sha256``,
``name`` and ``simulation.seed``/``simulation.replications``. The defaults bind to the real
engine (``supplylab.sim.run_replication``) lazily, so tests and benchmarks can inject synthetic
models with known KPI distributions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from supplylab.sim.result import ReplicationResult


class SimulationSettings(Protocol):
    """The part of a scenario's ``simulation`` block the experiments layer reads."""

    seed: int
    replications: int


@runtime_checkable
class ScenarioLike(Protocol):
    """What a scenario must offer to be replicated, compared and swept (pickles, too)."""

    name: str
    simulation: Any

    @property
    def sha256(self) -> str: ...

    def with_overrides(self, overrides: Mapping[str, Any]) -> ScenarioLike: ...


#: ``run_fn(scenario, seed, replication, *, days=None) -> ReplicationResult``. Replication k of
#: any scenario with the same seed must draw the same random streams (common random numbers).
RunFn = Callable[..., ReplicationResult]


def default_run_fn(scenario: Any, seed: int, replication: int, *,
                   days: float | None = None) -> ReplicationResult:
    """Run one replication on the real engine, imported on first use."""
    from supplylab.sim import run_replication

    return run_replication(scenario, seed, replication, days=days)


def supplylab_version() -> str:
    """The installed supplylab version (package metadata, else ``supplylab.__version__``)."""
    from importlib import metadata

    try:
        return metadata.version("supplylab")
    except metadata.PackageNotFoundError:
        import supplylab

        return str(getattr(supplylab, "__version__", "0+unknown"))


def scenario_sha(scenario: Any) -> str:
    """The scenario's content hash; tolerates ``sha256`` as a property or a method."""
    sha = scenario.sha256
    return str(sha() if callable(sha) else sha)


def sim_setting(scenario: Any, name: str, default: Any = None) -> Any:
    """A field of ``scenario.simulation`` (e.g. ``horizon_days``), or ``default`` if absent."""
    return getattr(getattr(scenario, "simulation", None), name, default)
