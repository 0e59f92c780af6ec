"""Promotion-based demand steering: which products to promote, when and how deep, so that
demand meets what suppliers can deliver (docs/steering.md).

Public entry points: :class:`SteeringProblem` and :class:`SteeringOptions` (the data and the
business rules), :func:`solve_steering` (the MILP), :func:`steering_problem` (from a
scenario) and :func:`optimise_steering` (scenario file in, steered scenario file out).
"""

from supplylab.optimize.steering.plan import SteeringPlan, planned_demand, solve_steering
from supplylab.optimize.steering.problem import SteeringOptions, SteeringProblem, SupplyPool
from supplylab.optimize.steering.scenario_input import SteeringInputs, steering_problem
from supplylab.optimize.steering.study import SteeringResult, optimise_steering
from supplylab.optimize.steering.verify import verify_steering

__all__ = ["SteeringInputs", "SteeringOptions", "SteeringPlan", "SteeringProblem",
           "SteeringResult", "SupplyPool", "optimise_steering", "planned_demand", "solve_steering",
           "steering_problem", "verify_steering"]
