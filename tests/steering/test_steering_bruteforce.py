"""The steering MILP against enumeration of every calendar on tiny instances, and the cases
whose answer is known by hand (a promotion pays on its own iff lift x promoted margin covers
the regular margin)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from supplylab.optimize.steering import (
    SteeringOptions,
    SteeringProblem,
    SupplyPool,
    planned_demand,
    solve_steering,
)

T = 3


def tiny(cap_a: float = np.inf) -> SteeringProblem:
    """A short product A (two discount levels) and its substitute B (one level)."""
    return SteeringProblem(
        ("A", "B"), price=[100.0, 120.0], unit_cost=[60.0, 70.0],
        base=np.array([[100.0, 120.0, 80.0], [90.0, 90.0, 110.0]]),
        discount=[[0.1, 0.25], [0.15, np.nan]], lift=[[1.3, 1.9], [1.6, np.nan]],
        initial_stock=[50.0, 40.0],
        pools=(SupplyPool("SA", (0,), np.full(T, cap_a), (0,), (1.0,)),
               SupplyPool("SB", (1,), np.full(T, np.inf), (1,), (1.0,))),
        cross=np.array([[0.0, -0.3], [-0.5, 0.0]]), substitution=np.array([[0, 0.6], [0, 0]]),
        lost_penalty=[15.0, 15.0], holding=[0.5, 0.6], pull_forward=[0.3, 0.0],
        dip_weeks=[1, 0], receipts=np.array([[0, 0, 0], [0, 30.0, 0]]))


def operations_value(pb: SteeringProblem, promo: np.ndarray) -> float:
    """Best profit of a fixed calendar: an independent LP over sales, substitution, lost
    sales, supply and stock (scipy's linprog), with demand from the demand model. (The
    model's stock-out logic, substitution only from an empty shelf, is not in this LP; the
    instances are chosen so that it does not bind, which the equality below confirms.)"""
    n, t = pb.n, pb.weeks
    d = planned_demand(pb, promo)
    if (d < -1e-9).any():
        return -np.inf
    lv = promo.argmax(axis=2)
    on = promo.sum(axis=2) > 0
    disc = np.where(on, np.take_along_axis(np.nan_to_num(pb.discount), lv, axis=1), 0.0)
    unit = pb.price[:, None] * (1 - disc) - pb.unit_cost[:, None]  # (n, t)
    # columns: sales (n t), sub A->B (t), lost (n t), supply (n t), stock (n t)
    ns = n * t
    S, U, L, Q, H = 0, ns, ns + t, 2 * ns + t, 3 * ns + t
    nv = 4 * ns + t
    c = np.zeros(nv)
    c[S:S + ns] = -unit.reshape(-1)
    c[U:U + t] = -unit[1]  # a substitute earns B's price of the week (discounted if promoted)
    c[L:L + ns] = np.repeat(pb.lost_penalty, t)
    c[H:H + ns] = np.repeat(pb.holding, t)
    aeq, beq, aub, bub = [], [], [], []
    bounds = [(0, None)] * nv
    for i in range(n):
        for w in range(t):
            row = np.zeros(nv)  # demand = sales + sub + lost
            row[S + i * t + w] = 1
            row[L + i * t + w] = 1
            if i == 0:
                row[U + w] = 1
            aeq.append(row)
            beq.append(d[i, w])
            row = np.zeros(nv)  # stock balance
            row[H + i * t + w] = 1
            if w:
                row[H + i * t + w - 1] = -1
            row[S + i * t + w] = 1
            if i == 1:
                row[U + w] = 1
            row[Q + i * t + w] = -1
            aeq.append(row)
            beq.append(pb.receipts[i, w] + (pb.initial_stock[i] if w == 0 else 0.0))
    for w in range(t):
        row = np.zeros(nv)  # sub <= 0.6 (sub + lost_A)
        row[U + w] = 1 - 0.6
        row[L + w] = -0.6
        aub.append(row)
        bub.append(0.0)
        cap_a = pb.pools[0].capacity[w]
        bounds[Q + w] = (0, None if np.isinf(cap_a) else cap_a)
        if on[0, w]:  # customers drawn by A's discount do not take B instead
            bounds[U + w] = (0, 0)
        bounds[Q + t + w] = (0, 0) if w < 1 else (0, None)  # B: one week of lead time
    res = linprog(c, A_ub=np.array(aub), b_ub=bub, A_eq=np.array(aeq), b_eq=beq, bounds=bounds,
                  method="highs")
    assert res.status == 0, res.message
    return -float(res.fun)


def calendars(pb: SteeringProblem, max_events: int | None, gap: int):
    """Every feasible calendar: per product and week none or one level, with the limits."""
    n, t, nl = pb.n, pb.weeks, pb.levels
    choices = [[-1] + [k for k in range(nl) if np.isfinite(pb.discount[i, k])] for i in range(n)]
    per_product = []
    for i in range(n):
        ok = []
        for seq in itertools.product(choices[i], repeat=t):
            starts = [w for w in range(t) if seq[w] >= 0 and (w == 0 or seq[w - 1] != seq[w])]
            if max_events is not None and len(starts) > max_events:
                continue
            if any(seq[v] >= 0 for w in starts for v in range(max(0, w - gap), w)):
                continue
            ok.append(seq)
        per_product.append(ok)
    for combo in itertools.product(*per_product):
        x = np.zeros((n, t, nl))
        for i, seq in enumerate(combo):
            for w, k in enumerate(seq):
                if k >= 0:
                    x[i, w, k] = 1
        yield x


@pytest.mark.parametrize(("cap_a", "max_events", "gap"), [(np.inf, None, 0), (70.0, 1, 1),
                                                           (90.0, 2, 0)])
def test_matches_enumeration(cap_a: float, max_events: int | None, gap: int) -> None:
    pb = tiny(cap_a)
    best = max(operations_value(pb, x) for x in calendars(pb, max_events, gap))
    plan = solve_steering(pb, SteeringOptions(max_promotions=max_events, min_gap_weeks=gap))
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best, rel=1e-7, abs=1e-5)
    res = plan.conservation()
    assert np.abs(res["residual"]).max() < 1e-6
    assert np.abs(res["stock_residual"]).max() < 1e-6


def one_product(lift: float, cap: float = np.inf, weeks: int = 6) -> SteeringProblem:
    return SteeringProblem(("P",), price=[100.0], unit_cost=[50.0], base=np.full((1, weeks), 10.0),
                           discount=[[0.1]], lift=[[lift]], initial_stock=[0.0],
                           pools=(SupplyPool("S", (0,), np.full(weeks, cap), (0,), (1.0,)),))


def test_promotion_only_when_it_pays_on_its_own() -> None:
    """Ample supply: at 10% off the promoted unit margin is 40 against 50; lift 1.3 earns
    1.3 x 40 = 52 > 50 per base unit (promote every week), lift 1.2 earns 48 < 50 (never)."""
    pays = solve_steering(one_product(1.3))
    assert pays.calendar[["first_week", "last_week"]].values.tolist() == [[0, 5]]
    assert pays.objective == pytest.approx(6 * 10 * 1.3 * 40)
    loses = solve_steering(one_product(1.2))
    assert loses.calendar.empty
    assert loses.objective == pytest.approx(6 * 10 * 50)
    # the formulation of Cohen et al. (no supply coupling): the relaxation is integral
    assert pays.relaxation_integral and loses.relaxation_integral
    assert pays.method == "lp" and pays.gap == 0


def test_rules_budget_and_price_floor() -> None:
    pb = one_product(1.3, weeks=8)
    plan = solve_steering(pb, SteeringOptions(max_promotions=2, min_gap_weeks=2,
                                              max_event_weeks=2, integrality="mip"))
    cal = plan.calendar
    assert len(cal) <= 2 and ((cal["last_week"] - cal["first_week"] + 1) <= 2).all()
    if len(cal) == 2:
        assert cal["first_week"].iloc[1] - cal["last_week"].iloc[0] - 1 >= 2
    assert len(cal) == 2  # two events of two weeks fit in 8 weeks with a gap of 2
    budget = solve_steering(pb, SteeringOptions(budget=10 * 1.3 * 10 * 3))  # 3 promoted weeks
    assert budget.parts["promotion_cost"] <= 390 + 1e-6
    assert budget.weekly["sold_promo"].gt(0).sum() == 3
    floor = solve_steering(pb, SteeringOptions(price_floor_share=0.95))
    assert floor.calendar.empty


def test_shortage_needs_binaries_and_gets_them() -> None:
    """With a supply limit the relaxation can be fractional; the MILP still returns 0/1."""
    pb = tiny(70.0)
    plan = solve_steering(pb, SteeringOptions(max_promotions=1, min_gap_weeks=1))
    assert plan.status == "optimal" and plan.gap is not None and plan.gap <= 1e-6
    assert set(np.unique(plan.weekly["discount"])) <= {0.0, 0.1, 0.25, 0.15}


def test_relaxation_integral_without_supply_coupling() -> None:
    """The docs' claim (Cohen et al. 2017): with unlimited supply, one level per week, a limit
    on events and a minimum gap, the LP relaxation's optimum is integral (pull-forward dips
    included). Random single-product instances; the solver never has to branch."""
    rng = np.random.default_rng(7)
    for _ in range(8):
        weeks = 12
        pb = SteeringProblem(
            ("P",), price=[100.0], unit_cost=[rng.uniform(40, 80)],
            base=rng.uniform(50, 150, (1, weeks)), discount=[[0.1, 0.2]],
            lift=[[1 + rng.uniform(0.2, 1.5), 1 + rng.uniform(0.5, 3.0)]], initial_stock=[0.0],
            pools=(SupplyPool("S", (0,), np.full(weeks, np.inf), (0,), (1.0,)),),
            pull_forward=[rng.uniform(0, 0.5)], dip_weeks=[int(rng.integers(0, 3))])
        plan = solve_steering(pb, SteeringOptions(max_promotions=2, min_gap_weeks=1),
                              baseline=False)
        assert plan.relaxation_integral and plan.method == "lp"
        mip = solve_steering(pb, SteeringOptions(max_promotions=2, min_gap_weeks=1,
                                                 integrality="mip"), baseline=False)
        assert plan.objective == pytest.approx(mip.objective, rel=1e-9)
