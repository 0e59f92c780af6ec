"""supplylab: simulate and optimise customer-centred supply chains with 3PL networks.

Python API (see docs/api.md)::

    import supplylab as sl
    sc = sl.load("scenarios/regional_3pl.yaml")
    res = sl.simulate(sc, replications=10, seed=1)
    res.summary()

The names below are imported when first used (``import supplylab`` stays cheap, so the command
line starts fast): the scenario language loads pydantic, the experiments pandas and scipy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import (
    InfeasibleError,
    InputError,
    OptimizationError,
    ScenarioError,
    SupplylabError,
)

if TYPE_CHECKING:
    from .api import compare, risk, simulate, sweep
    from .scenario import Scenario, load, loads

__version__ = "0.1.0"

#: public name -> module that defines it, imported on first access
_LAZY = {"compare": ".api", "risk": ".api", "simulate": ".api", "sweep": ".api",
         "Scenario": ".scenario", "load": ".scenario", "loads": ".scenario"}

__all__ = [
    "InfeasibleError", "InputError", "OptimizationError", "Scenario", "ScenarioError",
    "SupplylabError", "__version__", "compare", "load", "loads", "risk", "simulate", "sweep",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'supplylab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
