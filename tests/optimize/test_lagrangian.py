"""The Lagrangian layer on tiny instances solved by enumeration.

Properties: every Lagrangian value is a lower bound on the optimum (any multipliers, and the
subgradient's best); reduced-cost fixing against the optimum itself (the most aggressive
upper bound) never removes it; the heuristics return feasible costs at or above it; the
multi-source branch-and-bound, from a poor incumbent (every site open) and with very short node
runs so that it really branches down to leaves, never reports a bound above the optimum and
ends with the optimum; the whole pipeline (method 'lagrangian') proves the enumerated optimum
and passes the audit.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from supplylab.optimize import NetworkDesignProblem, NetworkOptions, check_solution, solve_network
from supplylab.optimize.branching import branch_and_bound
from supplylab.optimize.fixing import count_window, fix_arcs, fix_sites
from supplylab.optimize.heuristics import Incumbent, local_search
from supplylab.optimize.lagrangian import (
    FacilityData,
    evaluate,
    initial_multipliers,
    subgradient,
)
from supplylab.optimize.strategy import choose_method, probe_hopeless


def _flows(data: FacilityData, sites: list[int]) -> float:
    """Cheapest flows from ``sites`` by enumeration (single source) or linprog (multi)."""
    d, c, s = data.demand, data.cost, data.capacity
    if data.single_source:
        best = np.inf
        for choice in itertools.product(sites, repeat=data.n):
            load = np.bincount(choice, weights=d, minlength=data.m)
            if (load <= s + 1e-9).all():
                best = min(best, sum(c[i, j] for j, i in enumerate(choice)))
        return best
    pairs = [(i, j) for i in sites for j in range(data.n)]
    a_eq = np.array([[float(pj == j) for _, pj in pairs] for j in range(data.n)])
    a_ub = np.array([[d[pj] if pi == i else 0.0 for pi, pj in pairs] for i in sites])
    res = linprog([c[i, j] for i, j in pairs], A_ub=a_ub, b_ub=s[sites], A_eq=a_eq,
                  b_eq=np.ones(data.n), bounds=(0, 1), method="highs")
    return res.fun if res.status == 0 else np.inf


def enumerate_optimum(data: FacilityData) -> tuple[float, dict[tuple[int, ...], float]]:
    """(optimum, cost of every open-site vector respecting the site bounds)."""
    per: dict[tuple[int, ...], float] = {}
    for y in itertools.product([0, 1], repeat=data.m):
        ya = np.array(y, dtype=bool)
        if (ya < data.open_lower).any() or (ya > data.open_upper).any() or not ya.any():
            continue
        per[y] = float(data.fixed[ya].sum()) + _flows(data, list(np.flatnonzero(ya)))
    return min(per.values(), default=np.inf), per


@st.composite
def instances(draw) -> FacilityData:
    seed = draw(st.integers(0, 100_000))
    single = draw(st.booleans())
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 5))
    n = int(rng.integers(2, 5 if single else 6))
    demand = rng.integers(1, 10, n).astype(float)
    capacity = rng.integers(3, 16, m).astype(float)
    if capacity.sum() < demand.sum():
        capacity *= demand.sum() / capacity.sum() + 0.2
        capacity = np.ceil(capacity)
    cost = rng.integers(1, 40, (m, n)).astype(float)
    fixed = rng.integers(0, 30, m).astype(float)
    lower = np.zeros(m, dtype=bool)
    upper = np.ones(m, dtype=bool)
    if draw(st.booleans()):
        lower[0] = True
    return FacilityData(fixed, capacity, demand, cost, lower, upper, single)


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 1000))
def test_lagrangian_value_never_exceeds_the_optimum(data: FacilityData, seed: int) -> None:
    opt, _ = enumerate_optimum(data)
    if not np.isfinite(opt):
        return
    rng = np.random.default_rng(seed)
    for _ in range(5):  # any multipliers give a lower bound (weak duality)
        lam = rng.uniform(-10, 60, data.n)
        assert evaluate(data, lam).bound <= opt + 1e-7
    res = subgradient(data, lambda: opt, max_iter=300, time_limit_s=5.0)
    assert res.best.bound <= opt + 1e-7
    assert res.best.bound >= evaluate(data, res.best.lam).bound - 1e-9


@settings(max_examples=60, deadline=None)
@given(instances())
def test_site_and_count_fixing_against_the_optimum_keep_an_optimal_network(data: FacilityData) -> None:
    opt, per = enumerate_optimum(data)
    if not np.isfinite(opt):
        return
    res = subgradient(data, lambda: opt, max_iter=300, time_limit_s=5.0)
    lo, up = fix_sites(data, res.best, opt)
    k_min, k_max = count_window(data, res.best, opt)
    kept = [v for y, v in per.items()
            if (np.array(y) >= lo).all() and (np.array(y) <= up).all()]
    assert min(kept, default=np.inf) == pytest.approx(opt)
    in_window = [v for y, v in per.items() if k_min <= sum(y) <= k_max]
    assert min(in_window, default=np.inf) == pytest.approx(opt)


@settings(max_examples=40, deadline=None)
@given(instances())
def test_heuristic_costs_are_feasible_upper_bounds(data: FacilityData) -> None:
    opt, per = enumerate_optimum(data)
    inc = Incumbent(data)
    res = subgradient(data, lambda: inc.value, lambda p: inc.offer(p.y), max_iter=100)
    local_search(inc, res.best, time_limit_s=2.0)
    if not np.isfinite(opt):
        return
    if inc.y is None:  # single-source repair may fail; then it must say so, not guess
        assert inc.value == np.inf
        return
    assert inc.value >= opt - 1e-7
    x = inc.x
    assert np.allclose(x.sum(axis=0), 1.0)
    assert (x.sum(axis=1) > 0).sum() <= inc.y.sum() and (x[~inc.y] == 0).all()
    assert (x @ data.demand <= data.capacity + 1e-7).all()
    assert float(data.fixed[inc.y].sum() + (data.cost * x).sum()) == pytest.approx(inc.value)


@settings(max_examples=30, deadline=None)
@given(instances())
def test_lagrangian_method_proves_the_enumerated_optimum(data: FacilityData) -> None:
    opt, _ = enumerate_optimum(data)
    m, n = data.m, data.n
    problem = NetworkDesignProblem(tuple(f"S{i}" for i in range(m)),
                                   tuple(f"C{j}" for j in range(n)), data.demand, data.cost,
                                   data.fixed, data.capacity)
    forced = ("S0",) if data.open_lower[0] else ()
    options = NetworkOptions(single_source=data.single_source, forced_open=forced,
                             method="lagrangian")
    if not np.isfinite(opt):
        with pytest.raises(Exception, match="infeasible"):
            solve_network(problem, options)
        return
    sol = solve_network(problem, options)
    check_solution(problem, options, sol)
    assert sol.method == "lagrangian" and sol.proven
    assert sol.objective == pytest.approx(opt, rel=1e-6)
    assert sol.best_bound <= opt + 1e-6 * abs(opt)


def test_auto_keeps_small_and_uncapacitated_problems_on_the_plain_mip() -> None:
    rng = np.random.default_rng(1)
    small = NetworkDesignProblem(("A", "B"), ("x", "y"), np.ones(2), rng.random((2, 2)),
                                 np.ones(2), np.full(2, 5.0))
    assert choose_method(small, NetworkOptions()) == "mip"
    big = NetworkDesignProblem(tuple(f"S{i}" for i in range(40)),
                               tuple(f"C{j}" for j in range(100)), np.ones(100),
                               rng.random((40, 100)), np.ones(40), np.full(40, 10.0))
    assert choose_method(big, NetworkOptions()) == "lagrangian"
    assert choose_method(big, NetworkOptions(max_open=3)) == "mip"
    unc = NetworkDesignProblem(big.site_ids, big.customer_ids, big.demand, big.cost, big.fixed)
    assert choose_method(unc, NetworkOptions()) == "mip"


def test_auto_probe_is_skipped_on_large_single_source_problems_only() -> None:
    def problem(m: int, n: int, slack: float) -> NetworkDesignProblem:
        return NetworkDesignProblem(tuple(f"S{i}" for i in range(m)),
                                    tuple(f"C{j}" for j in range(n)), np.ones(n),
                                    np.ones((m, n)), np.ones(m), np.full(m, slack * n / m))
    roomy_holmberg = problem(30, 200, 3.0)  # 6,000 arcs: the probe may prove it
    yang_like = problem(60, 200, 3.0)       # 12,000 arcs single-source: never proven in 5 s
    single = NetworkOptions(single_source=True)
    assert not probe_hopeless(roomy_holmberg, single)
    assert probe_hopeless(problem(30, 200, 2.0), single)  # tight capacity
    assert probe_hopeless(yang_like, single)
    assert not probe_hopeless(yang_like, NetworkOptions())  # multi-source keeps the probe
    assert probe_hopeless(problem(100, 1000, 3.0), NetworkOptions())


@settings(max_examples=60, deadline=None)
@given(instances())
def test_arc_fixing_against_the_optimum_keeps_an_optimal_assignment(data: FacilityData) -> None:
    if not data.single_source:
        data = FacilityData(data.fixed, data.capacity, data.demand, data.cost, data.open_lower,
                            data.open_upper, True)
    opt, _ = enumerate_optimum(data)
    if not np.isfinite(opt):
        return
    res = subgradient(data, lambda: opt, max_iter=300, time_limit_s=5.0)
    keep = fix_arcs(data, res.best, opt)
    restricted = FacilityData(data.fixed, data.capacity, data.demand,
                              np.where(keep, data.cost, np.inf), data.open_lower,
                              data.open_upper, True)
    assert enumerate_optimum(restricted)[0] == pytest.approx(opt)


def test_auto_returns_what_the_probe_proves_and_says_so() -> None:
    rng = np.random.default_rng(3)
    m, n = 40, 100
    sites, custs = rng.random((m, 2)), rng.random((n, 2))
    demand = rng.integers(1, 10, n).astype(float)
    dist = np.linalg.norm(sites[:, None, :] - custs[None, :, :], axis=2)
    problem = NetworkDesignProblem(tuple(f"S{i}" for i in range(m)),
                                   tuple(f"C{j}" for j in range(n)), demand,
                                   100.0 * dist * demand, np.full(m, 200.0), np.full(m, 120.0))
    options = NetworkOptions()
    sol = solve_network(problem, options)
    check_solution(problem, options, sol)
    assert choose_method(problem, options) == "lagrangian"
    assert sol.method in ("mip", "lagrangian") and sol.proven
    assert sol.summary()["method"] == sol.method and sol.summary()["proven"] is True
    plain = solve_network(problem, NetworkOptions(method="mip"))
    assert sol.objective == pytest.approx(plain.objective, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(instances(), st.sampled_from([1, 3, 30]))
def test_branch_and_bound_bound_and_result_against_enumeration(data: FacilityData,
                                                     node_iterations: int) -> None:
    if data.single_source:
        data = FacilityData(data.fixed, data.capacity, data.demand, data.cost, data.open_lower,
                            data.open_upper, False)
    opt, _ = enumerate_optimum(data)
    if not np.isfinite(opt):
        return
    inc = Incumbent(data)
    inc.offer(data.open_upper.copy(), force=True)  # all open: feasible, usually poor
    root = evaluate(data, initial_multipliers(data))
    res = branch_and_bound(data, inc, root, time_limit_s=None, rel_gap=1e-9,
                           node_iterations=node_iterations)
    assert res.complete and res.open_nodes == 0
    assert inc.value == pytest.approx(opt, rel=1e-7, abs=1e-7)
    assert res.bound <= opt + 1e-7 * max(abs(opt), 1.0)
    assert res.bound >= opt - 1e-9 * max(abs(opt), 1.0) - 1e-7


def test_branch_and_bound_refuses_single_source() -> None:
    data = FacilityData(np.ones(2), np.full(2, 5.0), np.ones(2), np.ones((2, 2)),
                        np.zeros(2, bool), np.ones(2, bool), True)
    inc = Incumbent(data)
    with pytest.raises(ValueError, match="multi-source"):
        branch_and_bound(data, inc, evaluate(data, initial_multipliers(data)),
                         time_limit_s=None)
