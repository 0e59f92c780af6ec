"""supplylab: simulate and optimise customer-centred supply chains with 3PL networks.

Python API (see docs/api.md)::

    import supplylab as sl
    sc = sl.load("scenarios/regional_3pl.yaml")
    res = sl.simulate(sc, replications=10, seed=1)
    res.summary()
"""

from __future__ import annotations

from .api import compare, risk, simulate, sweep
from .errors import (
    InfeasibleError,
    InputError,
    OptimizationError,
    ScenarioError,
    SupplylabError,
)
from .scenario import Scenario, load, loads

__version__ = "0.1.0"

__all__ = [
    "InfeasibleError", "InputError", "OptimizationError", "Scenario", "ScenarioError",
    "SupplylabError", "__version__", "compare", "load", "loads", "risk", "simulate", "sweep",
]
