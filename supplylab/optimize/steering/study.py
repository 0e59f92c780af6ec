"""Scenario file in, plan and steered scenario file out: the whole study in one call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from supplylab.optimize.steering.plan import SteeringPlan, solve_steering
from supplylab.optimize.steering.problem import SteeringOptions, SteeringProblem
from supplylab.optimize.steering.scenario_input import SteeringInputs, steering_problem


@dataclass
class SteeringResult:
    """The plan, the problem it solved, the input file and the written output (if any)."""

    plan: SteeringPlan
    problem: SteeringProblem
    promotions: list[dict]
    source: Path
    output: Path | None


def optimise_steering(path: str | Path, output: str | Path | None = None,
                      options: SteeringOptions | None = None,
                      inputs: SteeringInputs | None = None) -> SteeringResult:
    """Load ``path``, plan promotions and write the steered scenario to ``output``.

    The output ``extends:`` the input and adds only the new ``promotions:``; it is validated by
    loading it back before it is written (atomically).
    """
    from supplylab.optimize.steering.output import calendar_promotions, write_steered
    from supplylab.scenario import load

    source = Path(path)
    inputs = inputs or SteeringInputs()
    scenario = load(source)
    problem = steering_problem(scenario, inputs)
    plan = solve_steering(problem, options)
    promotions = calendar_promotions(scenario, problem, plan.calendar, inputs)
    written = None
    if output is not None:
        from supplylab.scenario.yaml_io import allowing

        with allowing([source.resolve().parent]):  # OUT extends the input, wherever it is
            written = write_steered(source, Path(output), scenario.name, promotions)
    return SteeringResult(plan, problem, promotions, source, written)
