"""Network design (warehouse location) optimisation: readers, MIP, solver facade, audit.

Public entry points: :func:`solve_network` (the MIP), :func:`check_solution` (independent
audit), :func:`n_best_networks`, :func:`pareto_service`, :func:`pareto_co2`,
:func:`centre_of_gravity`, and the benchmark readers :func:`read_instance` et al.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supplylab.optimize.alternatives import (
        n_best_networks,
        pareto_co2,
        pareto_service,
        served_share,
    )
    from supplylab.optimize.audit import AuditReport, audit_solution, check_solution
    from supplylab.optimize.gravity import (
        GravityResult,
        centre_of_gravity,
        haversine_km,
        weiszfeld,
    )
    from supplylab.optimize.instances import (
        FacilityProblem,
        read_holmberg,
        read_instance,
        read_orlib,
        read_ufllib,
    )
    from supplylab.optimize.linear import LinearModel
    from supplylab.optimize.network import NetworkSolution, solve_network
    from supplylab.optimize.problem import (
        CapacityLevel,
        CoverageRule,
        NetworkDesignProblem,
        NetworkOptions,
        ServiceShareRule,
    )
    from supplylab.optimize.solver import SolveOutcome, SolverOptions, available_solvers, solve

# Public names are imported on first use (PEP 562): `import supplylab.cli` registers the
# optimize commands without loading pulp, highspy or scipy.
_WHERE = {
    **dict.fromkeys(("n_best_networks", "pareto_co2", "pareto_service", "served_share"),
                    "alternatives"),
    **dict.fromkeys(("AuditReport", "audit_solution", "check_solution"), "audit"),
    **dict.fromkeys(("GravityResult", "centre_of_gravity", "haversine_km", "weiszfeld"),
                    "gravity"),
    **dict.fromkeys(("FacilityProblem", "read_holmberg", "read_instance", "read_orlib",
                     "read_ufllib"), "instances"),
    "LinearModel": "linear",
    **dict.fromkeys(("NetworkSolution", "solve_network"), "network"),
    **dict.fromkeys(("CapacityLevel", "CoverageRule", "NetworkDesignProblem", "NetworkOptions",
                     "ServiceShareRule"), "problem"),
    **dict.fromkeys(("SolveOutcome", "SolverOptions", "available_solvers", "solve"), "solver"),
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AuditReport",
    "CapacityLevel",
    "CoverageRule",
    "FacilityProblem",
    "GravityResult",
    "LinearModel",
    "NetworkDesignProblem",
    "NetworkOptions",
    "NetworkSolution",
    "ServiceShareRule",
    "SolveOutcome",
    "SolverOptions",
    "audit_solution",
    "available_solvers",
    "centre_of_gravity",
    "check_solution",
    "haversine_km",
    "n_best_networks",
    "pareto_co2",
    "pareto_service",
    "read_holmberg",
    "read_instance",
    "read_orlib",
    "read_ufllib",
    "served_share",
    "solve",
    "solve_network",
    "weiszfeld",
]
