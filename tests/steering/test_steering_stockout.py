"""The plan's stock-out model against the engine's rule, computed by hand.

The engine sells from stock first; a customer who meets the empty shelf takes a substitute
with probability a, else waits (if allowed, and is served from the next receipts ahead of new
arrivals) or is lost. Over a week with demand D and supply S < D, a share w of waiting
customers makes ``min(a D, a (D - S) / (1 - (1 - a) w))`` units substituted (w = 1:
``min(a D, D - S)``; w = 0: ``a (D - S)``), the rest of the shortfall lost, and all of S sold.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from supplylab.optimize.solver import SolverOptions
from supplylab.optimize.steering import (
    SteeringOptions,
    SteeringProblem,
    SupplyPool,
    solve_steering,
)
from supplylab.optimize.steering.synthetic import synthetic_problem

T = 4
D, S = 100.0, 60.0


def pair(a: float, waiting: float, margin_b: float) -> SteeringProblem:
    """A short product A (supply S a week, no stock) and a plentiful substitute B."""
    return SteeringProblem(
        ("A", "B"), price=[100.0, 100.0 + margin_b], unit_cost=[60.0, 100.0],
        base=np.array([[D] * T, [50.0] * T]), discount=np.zeros((2, 0)),
        lift=np.zeros((2, 0)), initial_stock=[0.0, 1000.0],
        pools=(SupplyPool("SA", (0,), np.full(T, S), (0,), (1.0,)),),
        substitution=np.array([[0.0, a], [0.0, 0.0]]), waiting=[waiting, 0.0],
        lost_penalty=[10.0, 10.0], holding=[0.1, 0.1])  # holding: sell now, not later


@pytest.mark.parametrize(("a", "w", "margin_b"), [
    (0.3, 1.0, 30.0), (0.6, 1.0, 30.0), (0.3, 0.0, 30.0), (0.5, 0.5, 30.0),
    (0.6, 1.0, 90.0), (0.9, 0.0, 120.0),  # the substitute earns more: no stock held back
])
def test_substitution_follows_the_engines_rule(a: float, w: float, margin_b: float) -> None:
    plan = solve_steering(pair(a, w, margin_b), baseline=False)
    assert plan.status == "optimal"
    rows = plan.weekly[plan.weekly["product"] == "A"]
    want_sub = min(a * D, a * (D - S) / (1 - (1 - a) * w))
    # over the plan (moving a unit of A between two short weeks changes no margin, so the
    # weeks may differ by what saves holding; the totals are the engine's)
    assert rows["sold_regular"].sum() == pytest.approx(T * S)
    assert rows["substituted_out"].sum() == pytest.approx(T * want_sub)
    assert rows["lost"].sum() == pytest.approx(T * (D - S - want_sub))
    assert rows["substituted_out"].max() <= a * D + 1e-9
    want = T * (40.0 * S + margin_b * (want_sub + 50.0) - 10.0 * (D - S - want_sub))
    assert plan.parts["margin"] - plan.parts["lost_sale_penalty"] == pytest.approx(want)
    res = plan.conservation()
    assert np.abs(res["residual"]).max() < 1e-9 and np.abs(res["stock_residual"]).max() < 1e-9


def test_binaries_only_where_holding_back_would_pay() -> None:
    cheap = solve_steering(pair(0.6, 1.0, 30.0), baseline=False)  # B earns less than A
    rich = solve_steering(pair(0.6, 1.0, 90.0), baseline=False)  # B earns more than A
    assert cheap.size["binaries"] == 0
    assert rich.size["binaries"] == T


@pytest.mark.parametrize("seed", [1, 4])
def test_fast_path_matches_the_reference_path(seed: int) -> None:
    """Decomposed, relaxed-and-rounded, matrix-path HiGHS against the whole model built in
    PuLP and solved by branch and bound at once: the same optimum."""
    pb = synthetic_problem(6, 10, seed=seed)
    rules = {"max_promotions": 2, "min_gap_weeks": 1}
    fast = solve_steering(pb, SteeringOptions(**rules, solver=SolverOptions(mip_rel_gap=1e-9)),
                          baseline=False)
    ref = solve_steering(pb, SteeringOptions(**rules, integrality="mip", solver=SolverOptions(
        mip_rel_gap=1e-9, path="pulp")), hook=lambda model, ctx: None, baseline=False)
    assert fast.size["parts"] > 1 and ref.size["parts"] == 1
    assert fast.objective == pytest.approx(ref.objective, rel=1e-7)
    assert fast.status == ref.status == "optimal"


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("waiting", [1.5, 0.0], "waiting shares must be in [0, 1]"),
    ("order_cost", [-1.0, 0.0], "order_cost must be finite and >= 0"),
])
def test_bad_shares_are_input_errors(field: str, value: list[float], needle: str) -> None:
    from dataclasses import replace

    from supplylab.errors import InputError

    with pytest.raises(InputError, match=re.escape(needle)):
        replace(pair(0.3, 1.0, 30.0), **{field: value}).check()
