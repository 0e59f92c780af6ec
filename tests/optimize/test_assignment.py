"""Single-source assignment local search (shift, swap, ejection chains) and the MIP
neighbourhood search: every move keeps the assignment feasible and never raises its cost.

On random tiny generalised-assignment instances (2-4 sites, 3-8 customers) the search from a
feasible start ends feasible, at or below the start and at or above the enumerated optimum;
a hand-made case that no shift or swap improves is improved by a two-move chain; the exact
assignment MIP of a site set (cutoff at the incumbent) ends at the enumerated best assignment
to those sites; and the neighbourhood search returns a feasible incumbent no dearer than its
start.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from supplylab.optimize import NetworkDesignProblem, NetworkOptions, SolverOptions
from supplylab.optimize.assignment import assign_single, ejection_chain, improve_assignment
from supplylab.optimize.formulation import build_model
from supplylab.optimize.heuristics import Incumbent
from supplylab.optimize.neighbourhood import exact_assignment, local_branching
from supplylab.optimize.solver import solve
from supplylab.optimize.strategy import facility_data


def _cost(cost: np.ndarray, a: np.ndarray) -> float:
    return float(cost[a, np.arange(a.size)].sum())


def _feasible(d: np.ndarray, cap: np.ndarray, a: np.ndarray) -> bool:
    return bool((np.bincount(a, weights=d, minlength=cap.size) <= cap + 1e-9).all())


@st.composite
def gap_instance(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(cost (m, n), demand (n,), capacity (m,), a feasible start assignment (n,))."""
    m = draw(st.integers(2, 4))
    n = draw(st.integers(3, 8))
    d = np.array(draw(st.lists(st.integers(1, 9), min_size=n, max_size=n)), dtype=float)
    cost = np.array(draw(st.lists(st.integers(0, 50), min_size=m * n, max_size=m * n)),
                    dtype=float).reshape(m, n)
    start = np.array(draw(st.lists(st.integers(0, m - 1), min_size=n, max_size=n)))
    load = np.bincount(start, weights=d, minlength=m)
    slack = np.array(draw(st.lists(st.integers(0, 4), min_size=m, max_size=m)), dtype=float)
    return cost, d, load + slack, start  # the start fits exactly, plus a little slack


@settings(max_examples=60, deadline=None)
@given(gap_instance())
def test_local_search_stays_feasible_and_never_worse(inst) -> None:
    cost, d, cap, start = inst
    best = min(_cost(cost, np.array(a)) for a in itertools.product(range(cap.size), repeat=d.size)
               if _feasible(d, cap, np.array(a)))
    a = start.copy()
    res = cap - np.bincount(a, weights=d, minlength=cap.size)
    improve_assignment(cost, d, res, a)
    assert _feasible(d, cap, a)
    assert np.allclose(res, cap - np.bincount(a, weights=d, minlength=cap.size))
    assert best - 1e-9 <= _cost(cost, a) <= _cost(cost, start) + 1e-9
    b = start.copy()
    res_b = cap - np.bincount(b, weights=d, minlength=cap.size)
    while ejection_chain(cost, d, res_b, b):  # each applied chain strictly improves
        assert _feasible(d, cap, b)
    assert _cost(cost, b) <= _cost(cost, start) + 1e-9


@settings(max_examples=30, deadline=None)
@given(gap_instance(), st.integers(0, 2**16))
def test_exact_assignment_reaches_the_enumerated_best_assignment(inst, seed: int) -> None:
    """From the start assignment (every site open) as incumbent, exact_assignment ends at
    fixed costs + the enumerated cheapest feasible assignment, and says whether it improved;
    run again it finds nothing (the cutoff at the incumbent leaves no solution)."""
    cost, d, cap, start = inst
    m, n = cost.shape
    fixed = np.random.default_rng(seed).integers(0, 30, m).astype(float)
    best = min(_cost(cost, np.array(a)) for a in itertools.product(range(m), repeat=n)
               if _feasible(d, cap, np.array(a)))
    problem = NetworkDesignProblem(tuple(f"S{i}" for i in range(m)),
                                   tuple(f"C{j}" for j in range(n)), d, cost, fixed=fixed,
                                   capacity=cap)
    options = NetworkOptions(single_source=True, solver=SolverOptions(path="matrix"))
    model, ctx = build_model(problem, options)
    inc = Incumbent(facility_data(model, ctx))
    x0 = np.zeros((m, n))
    x0[start, np.arange(n)] = 1.0
    y = np.ones(m, dtype=bool)
    assert inc.accept(y, x0)
    keep = np.ones((m, n), dtype=bool)
    improved = exact_assignment(problem, options, inc, keep, y, 5.0)
    assert abs(inc.value - (fixed.sum() + best)) <= 1e-6
    assert improved == (best < _cost(cost, start) - 1e-9)
    assert _feasible(d, cap, inc.x.argmax(axis=0)) and (inc.x.sum(axis=0) == 1).all()
    assert not exact_assignment(problem, options, inc, keep, y, 5.0)


def test_a_cutoff_below_the_optimum_leaves_no_solution() -> None:
    """SolverOptions.cutoff: at the optimum + 1 the MIP returns the optimum, at the optimum
    - 1 it ends infeasible without a solution (HiGHS itself stops at its bound and calls the
    dearer solution it holds optimal: on this 8 x 30 instance 421 against the optimum 397)."""
    rng = np.random.default_rng(1)
    m, n = 8, 30
    d = rng.integers(2, 9, n).astype(float)
    problem = NetworkDesignProblem(tuple(f"S{i}" for i in range(m)),
                                   tuple(f"C{j}" for j in range(n)), d,
                                   rng.integers(1, 40, (m, n)).astype(float),
                                   fixed=rng.integers(20, 60, m).astype(float),
                                   capacity=np.full(m, float(np.ceil(d.sum() / 2))))
    options = NetworkOptions(single_source=True, solver=SolverOptions(path="matrix"))
    model, _ = build_model(problem, options)
    opt = solve(model, options.solver)
    assert opt.status == "optimal" and opt.objective is not None
    above = solve(model, SolverOptions(path="matrix", cutoff=opt.objective + 1.0))
    assert above.status == "optimal" and abs(above.objective - opt.objective) <= 1e-6
    below = solve(model, SolverOptions(path="matrix", cutoff=opt.objective - 1.0))
    assert below.status == "infeasible" and not below.has_solution


def test_a_start_never_comes_back_as_the_solution_of_a_cheaper_objective() -> None:
    """HiGHS 1.16, when presolve solves this 4 x 5 assignment given a dearer start, reports
    the optimum 67 with the start's values (cost 68); the facade's answer is consistent: its
    values cost exactly the objective it reports, and that is the optimum."""
    cost = np.zeros((4, 5))
    cost[0, 2] = 1.0
    problem = NetworkDesignProblem(tuple(f"S{i}" for i in range(4)),
                                   tuple(f"C{j}" for j in range(5)),
                                   np.array([2.0, 2.0, 1.0, 2.0, 2.0]), cost,
                                   fixed=np.array([25.0, 19.0, 15.0, 8.0]),
                                   capacity=np.array([7.0, 2.0, 0.0, 3.0]))
    options = NetworkOptions(single_source=True, forced_open=("S0", "S1", "S2", "S3"),
                             solver=SolverOptions(path="matrix"))
    model, ctx = build_model(problem, options)
    start = np.zeros(model.ncols)
    start[ctx.z] = 1.0
    start[ctx.x[0, :4]] = 1.0  # customers 0-3 at S0 (customer 2 at cost 1), 4 at S1
    start[ctx.x[1, 4]] = 1.0
    out = solve(model, options.solver, start=start)
    assert out.status == "optimal" and out.x is not None
    assert abs(float(model.column_arrays()[0] @ out.x + model.offset) - out.objective) <= 1e-9
    assert abs(out.objective - 67.0) <= 1e-9


def test_a_two_move_chain_improves_what_no_shift_or_swap_does() -> None:
    """j (at A, wants B) cannot shift into the full B, and swapping with B's k sends k to A at
    cost 100; the chain j -> B, k -> C (empty) saves 10 - 1."""
    cost = np.array([[10.0, 100.0], [0.0, 0.0], [10.0, 1.0]])  # sites A, B, C x (j, k)
    d = np.array([5.0, 5.0])
    cap = np.array([5.0, 5.0, 5.0])
    a = np.array([0, 1])
    res = cap - np.bincount(a, weights=d, minlength=3)
    stuck = a.copy()  # shift and swap alone: no move improves
    improve_assignment(cost, d, res.copy(), stuck, chains=False)
    assert stuck.tolist() == [0, 1] and _cost(cost, stuck) == 10.0
    assert ejection_chain(cost, d, res, a)
    assert a.tolist() == [1, 2] and _cost(cost, a) == 1.0 and (res >= 0).all()


def test_neighbourhood_search_keeps_a_feasible_incumbent_no_dearer() -> None:
    """Holmberg-like random 6 x 14 instance: from the greedy incumbent, local branching returns
    an incumbent that is feasible (loads within capacity, one site per customer, open sites
    only) and no dearer; Incumbent.accept refuses an overloaded solution."""
    rng = np.random.default_rng(7)
    m, n = 6, 14
    d = rng.integers(3, 12, n).astype(float)
    cap = np.full(m, float(np.ceil(d.sum() / 3)))
    problem = NetworkDesignProblem(tuple(f"S{i}" for i in range(m)),
                                   tuple(f"C{j}" for j in range(n)), d,
                                   rng.integers(1, 60, (m, n)).astype(float),
                                   fixed=rng.integers(50, 120, m).astype(float), capacity=cap)
    options = NetworkOptions(single_source=True, solver=SolverOptions(path="matrix"))
    model, ctx = build_model(problem, options)
    data = facility_data(model, ctx)
    inc = Incumbent(data)
    inc.offer(np.ones(m, dtype=bool), force=True)
    start = inc.value
    keep = np.isfinite(data.cost)
    lo, up = np.zeros(m, dtype=bool), np.ones(m, dtype=bool)
    stats = local_branching(problem, options, inc, lo, up, keep, None, time_limit_s=10.0)
    assert stats["neighbourhood_steps"] >= 1 and inc.value <= start
    x = inc.x
    assert np.isin(x, (0.0, 1.0)).all() and (x.sum(axis=0) == 1).all()
    assert (x @ d <= cap + 1e-9).all() and not (x[~inc.y] > 0).any()
    recomputed = float(data.fixed[inc.y].sum() + (data.cost * x).sum())
    assert recomputed == inc.value
    over = np.zeros((m, n))
    over[0] = 1.0  # every customer on site 0: over its capacity
    assert not inc.accept(np.ones(m, dtype=bool), over)
    greedy, _ = assign_single(data, inc.y)  # the heuristic on the same sites: no cheaper
    assert greedy >= inc.value - 1e-9
