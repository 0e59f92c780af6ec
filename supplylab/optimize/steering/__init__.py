"""Promotion-based demand steering: which products to promote, when and how deep, so that
demand meets what suppliers can deliver (docs/steering.md).

Public entry points: :class:`SteeringProblem` and :class:`SteeringOptions` (the data and the
business rules), :func:`solve_steering` (the MILP), :func:`steering_problem` (from a
scenario) and :func:`optimise_steering` (scenario file in, steered scenario file out).
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> submodule, loaded on first use: ``supplylab optimize --help`` reaches this
#: package through the command module and must not pay for pandas, PuLP and HiGHS
_WHERE = {
    "SteeringPlan": "plan", "planned_demand": "plan", "solve_steering": "plan",
    "SteeringOptions": "problem", "SteeringProblem": "problem", "SupplyPool": "problem",
    "SteeringInputs": "scenario_input", "steering_problem": "scenario_input",
    "SteeringResult": "study", "optimise_steering": "study", "verify_steering": "verify",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
