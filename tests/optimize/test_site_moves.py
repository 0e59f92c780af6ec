"""Site-set moves of the single-source pipeline (:mod:`supplylab.optimize.site_moves`).

On a random 6 x 12 tight single-source instance started from its dearest feasible set of
three sites (596 against the optimum 565), the swap search ends at a feasible incumbent at
least as cheap as the best set within one move (up to two sites closed and two opened) of
the start, every set's cost enumerated by the plain MIP with its sites forced; and the
Lagrangian screen keeps every set one move away that is cheaper than the start (its bound is
a valid lower bound on every set).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from supplylab.errors import InfeasibleError, OptimizationError
from supplylab.optimize import NetworkDesignProblem, NetworkOptions, SolverOptions, solve_network
from supplylab.optimize.formulation import build_model
from supplylab.optimize.heuristics import Incumbent
from supplylab.optimize.lagrangian import subgradient
from supplylab.optimize.neighbourhood import exact_assignment, packed_assignment
from supplylab.optimize.site_moves import ranked_moves, swap_search
from supplylab.optimize.strategy import facility_data

M, N = 6, 12


def _instance() -> NetworkDesignProblem:
    rng = np.random.default_rng(11)
    d = rng.integers(3, 12, N).astype(float)
    cap = rng.integers(20, 40, M).astype(float)
    cap *= 1.05 * d.sum() / np.sort(cap)[-3:].sum()  # three sites are (just) enough
    return NetworkDesignProblem(tuple(f"S{i}" for i in range(M)),
                                tuple(f"C{j}" for j in range(N)), d,
                                rng.integers(1, 80, (M, N)).astype(float),
                                fixed=rng.integers(40, 160, M).astype(float),
                                capacity=np.floor(cap))


def _set_costs(problem: NetworkDesignProblem) -> dict[tuple[bool, ...], float]:
    """The exact single-source cost of every site set that can serve the demand."""
    out = {}
    ids = problem.site_ids
    for y in itertools.product((False, True), repeat=M):
        if sum(c for c, o in zip(problem.capacity, y, strict=True) if o) < problem.demand.sum():
            continue
        opts = NetworkOptions(single_source=True, method="mip",
                              forced_open=tuple(i for i, o in zip(ids, y, strict=True) if o),
                              forced_closed=tuple(i for i, o in zip(ids, y, strict=True) if not o),
                              solver=SolverOptions(path="matrix"))
        try:
            out[y] = float(solve_network(problem, opts, relax_and_report=False).objective)
        except (InfeasibleError, OptimizationError):  # no single-source assignment fits
            continue
    return out


def test_swap_search_reaches_the_best_set_one_move_away_from_a_poor_start() -> None:
    problem = _instance()
    options = NetworkOptions(single_source=True, solver=SolverOptions(path="matrix"))
    data = facility_data(*build_model(problem, options))
    costs = _set_costs(problem)
    worst = max((y for y in costs if sum(y) == 3), key=costs.get)  # swaps, not only closes
    start_y = np.array(worst)
    inc = Incumbent(data)
    keep = np.isfinite(data.cost)
    assert exact_assignment(problem, options, inc, keep, start_y, 5.0)
    assert abs(inc.value - costs[worst]) <= 1e-6
    point = subgradient(data, lambda: min(costs.values()), time_limit_s=1.0).best
    free = np.ones(M, dtype=bool)
    # the screen keeps every set one move away that is cheaper than the start
    kept = {tuple(np.where(np.isin(np.arange(M), into), True,
                           np.where(np.isin(np.arange(M), out), False, start_y)).tolist())
            for _, out, into in ranked_moves(inc, point, free)}
    better = {y: c for y, c in costs.items()
              if c < inc.value - 1e-6 and int((np.array(y) != start_y).sum()) <= 4
              and int((np.array(y) & ~start_y).sum()) <= 2
              and int((~np.array(y) & start_y).sum()) <= 2}
    assert better and set(better) <= kept
    stats = swap_search(problem, options, inc, point, free, keep, time_limit_s=8.0)
    assert stats["swap_wins"] >= 1 and inc.value <= min(better.values()) + 1e-6
    assert inc.value >= min(costs.values()) - 1e-6
    x = inc.x
    assert np.isin(x, (0.0, 1.0)).all() and (x.sum(axis=0) == 1).all()
    assert (x @ problem.demand <= problem.capacity + 1e-9).all() and not x[~inc.y].any()
    assert abs(float(data.fixed[inc.y].sum() + (data.cost * x).sum()) - inc.value) <= 1e-6


def test_packed_assignment_reaches_each_cheaper_small_set_and_nothing_else() -> None:
    """The packing + cluster MIPs of ``packed_assignment``: on sets of three or four sites
    the clusters of the first two sizes (one site and two, then three, other open ones)
    cover the whole assignment, so for every feasible such set cheaper than the incumbent
    it must end at the set's exact cost with exactly those sites open (feasible, cost
    recomputed); a set not cheaper, or one without enough capacity, leaves the incumbent
    unchanged."""
    problem = _instance()
    options = NetworkOptions(single_source=True, solver=SolverOptions(path="matrix"))
    data = facility_data(*build_model(problem, options))
    costs = _set_costs(problem)
    keep = np.isfinite(data.cost)
    threes = {y: c for y, c in costs.items() if sum(y) in (3, 4)}
    middle = sorted(threes, key=threes.get)[len(threes) // 2]  # sets cheaper and dearer
    base = Incumbent(data)
    assert exact_assignment(problem, options, base, keep, np.array(middle), 5.0)
    cheaper = dearer = 0
    for y, c in threes.items():
        inc = Incumbent(data)
        assert inc.accept(base.y, base.x)
        t = np.array(y)
        won = packed_assignment(problem, options, inc, keep, t, 5.0)
        if c < base.value - 1e-6:
            cheaper += 1
            assert won and (inc.y == t).all() and abs(inc.value - c) <= 1e-6
            x = inc.x
            assert np.isin(x, (0.0, 1.0)).all() and (x.sum(axis=0) == 1).all()
            assert (x @ problem.demand <= problem.capacity + 1e-9).all() and not x[~t].any()
            assert abs(float(data.fixed[t].sum() + (data.cost * x).sum()) - inc.value) <= 1e-6
        else:
            dearer += 1
            assert not won and inc.value == base.value and (inc.y == base.y).all()
    assert cheaper >= 3 and dearer >= 3
    short = np.zeros(M, dtype=bool)
    short[np.argsort(problem.capacity)[:2]] = True  # two sites: less capacity than demand
    assert problem.capacity[short].sum() < problem.demand.sum()
    inc = Incumbent(data)
    assert inc.accept(base.y, base.x)
    assert not packed_assignment(problem, options, inc, keep, short, 5.0)
    assert inc.value == base.value


def test_triple_swaps_are_the_lowest_bounds_of_all_triple_swaps(monkeypatch) -> None:
    """Against enumeration of every 3-closed/3-opened move on 14 sites (7 open): the ranked
    triple swaps are the TRIPLES lowest Lagrangian bounds below the incumbent among those
    with enough capacity, with those bounds, also when ranked in chunks of two rows."""
    import supplylab.optimize.site_moves as sm
    from supplylab.optimize.lagrangian import evaluate, initial_multipliers

    rng = np.random.default_rng(5)
    m, n = 14, 30
    d = rng.integers(3, 12, n).astype(float)
    problem = NetworkDesignProblem(tuple(f"S{i}" for i in range(m)),
                                   tuple(f"C{j}" for j in range(n)), d,
                                   rng.integers(1, 80, (m, n)).astype(float),
                                   fixed=rng.integers(40, 160, m).astype(float),
                                   capacity=rng.integers(30, 90, m).astype(float))
    options = NetworkOptions(single_source=True, solver=SolverOptions(path="matrix"))
    data = facility_data(*build_model(problem, options))
    point = evaluate(data, initial_multipliers(data) * 1.3)
    y = np.zeros(m, dtype=bool)
    y[rng.choice(m, 7, replace=False)] = True
    free = np.ones(m, dtype=bool)
    free[int(np.flatnonzero(~y)[0])] = False  # a site fixing closed is never opened
    lam_sum, v, cap = float(point.lam.sum()), point.v, data.capacity
    now = lam_sum + float(v[y].sum())

    class Centre:  # what the ranking reads of an incumbent
        pass
    inc = Centre()
    inc.data, inc.y = data, y
    every = sorted(now - v[list(c)].sum() + v[list(o)].sum()
                   for c in itertools.combinations(np.flatnonzero(y & free), 3)
                   for o in itertools.combinations(np.flatnonzero(~y & free), 3)
                   if cap[y].sum() - cap[list(c)].sum() + cap[list(o)].sum() >= d.sum())
    inc.value = every[len(every) // 2]  # half of them pass
    want = [b for b in every if b < inc.value * (1 - 1e-9)][:sm.TRIPLES]
    assert len(want) == sm.TRIPLES
    for chunk in (2, 64):
        monkeypatch.setattr(sm, "TRIPLE_CHUNK", chunk)
        got = sm._triple_moves(inc, point, free, now, float(cap[y].sum()), cap)
        assert np.allclose([b for b, _, _ in got], want)
        for b, out, into in got:
            assert len(out) == len(into) == 3 and y[list(out)].all() and not y[list(into)].any()
            assert free[list(out)].all() and free[list(into)].all()
            assert b == pytest.approx(now - v[list(out)].sum() + v[list(into)].sum())
