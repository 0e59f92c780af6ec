"""Tiny instances whose optimum is known by enumeration, independently of the model code.

The brute force enumerates every (site -> closed | size) configuration that meets the site
rules; for each it finds the cheapest assignment by enumerating single-source assignments, or
by a transportation LP solved with scipy's linprog for multi-sourcing.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from supplylab.errors import InfeasibleError
from supplylab.optimize import (
    CapacityLevel,
    CoverageRule,
    NetworkDesignProblem,
    NetworkOptions,
    ServiceShareRule,
    SolverOptions,
    available_solvers,
    check_solution,
    n_best_networks,
    pareto_service,
    solve_network,
)

TOL = 1e-6


def _levels(problem: NetworkDesignProblem) -> list[list[tuple[float, float]]]:
    """Per site: the list of (capacity, fixed) sizes, written out independently."""
    out: list[list[tuple[float, float]]] = []
    named = {lv.site for lv in problem.levels}
    for i, s in enumerate(problem.site_ids):
        if s in named:
            out.append([(lv.capacity, lv.fixed_cost) for lv in problem.levels if lv.site == s])
        else:
            cap = np.inf if problem.capacity is None else problem.capacity[i]
            out.append([(cap, problem.fixed[i])])
    return out


def _allowed(problem: NetworkDesignProblem, options: NetworkOptions) -> np.ndarray:
    ok = np.ones((problem.m, problem.n), dtype=bool)
    for rule in options.coverage:
        cols = [problem.customer_ids.index(c) for c in rule.customers] or range(problem.n)
        for j in cols:
            ok[:, j] &= problem.transit[:, j] <= rule.max_transit
    return ok


def _assign_cost(problem, options, open_idx, caps) -> float:
    """Cheapest assignment to the open sites with capacities ``caps``; inf when infeasible."""
    d, c = problem.demand, problem.cost
    ok = _allowed(problem, options)
    total = d.sum()
    if options.single_source:
        best = np.inf
        for choice in itertools.product(open_idx, repeat=problem.n):
            if not all(ok[i, j] for j, i in enumerate(choice)):
                continue
            load = np.zeros(problem.m)
            for j, i in enumerate(choice):
                load[i] += d[j]
            if (load > caps + TOL).any():
                continue
            within = sum(d[j] for j, i in enumerate(choice)
                         if any(problem.transit[i, j] <= r.max_transit
                                for r in options.service_share[:1]))
            if options.service_share and within < options.service_share[0].min_share * total - TOL:
                continue
            best = min(best, sum(c[i, j] for j, i in enumerate(choice)))
        return best
    pairs = [(i, j) for i in open_idx for j in range(problem.n) if ok[i, j]]
    if not pairs:
        return np.inf
    cost = np.array([c[i, j] for i, j in pairs])
    a_eq = np.array([[1.0 if pj == j else 0.0 for (_, pj) in pairs] for j in range(problem.n)])
    a_ub = [[d[pj] if pi == i else 0.0 for (pi, pj) in pairs] for i in open_idx]
    b_ub = [caps[i] if np.isfinite(caps[i]) else total for i in open_idx]
    for rule in options.service_share:
        a_ub.append([-d[pj] if problem.transit[pi, pj] <= rule.max_transit else 0.0
                     for (pi, pj) in pairs])
        b_ub.append(-rule.min_share * total)
    res = linprog(cost, A_ub=np.array(a_ub), b_ub=np.array(b_ub), A_eq=a_eq,
                  b_eq=np.ones(problem.n), bounds=(0, 1), method="highs")
    return res.fun if res.status == 0 else np.inf


def brute_force(problem: NetworkDesignProblem, options: NetworkOptions) -> list[float]:
    """Optimal cost of every feasible open-site set (one value per distinct set), sorted."""
    sizes = _levels(problem)
    per_set: dict[tuple[int, ...], float] = {}
    for config in itertools.product(*[range(-1, len(s)) for s in sizes]):
        open_idx = [i for i, lv in enumerate(config) if lv >= 0]
        sid = [problem.site_ids[i] for i in open_idx]
        if any(s not in sid for s in options.forced_open):
            continue
        if any(s in sid for s in options.forced_closed):
            continue
        if options.min_open is not None and len(open_idx) < options.min_open:
            continue
        if options.max_open is not None and len(open_idx) > options.max_open:
            continue
        caps = np.array([sizes[i][lv][0] if lv >= 0 else 0.0 for i, lv in enumerate(config)])
        fixed = sum(sizes[i][lv][1] for i, lv in enumerate(config) if lv >= 0)
        val = fixed + _assign_cost(problem, options, open_idx, caps)
        key = tuple(int(lv >= 0) for lv in config)
        per_set[key] = min(per_set.get(key, np.inf), val)
    return sorted(v for v in per_set.values() if np.isfinite(v))


@st.composite
def tiny(draw) -> tuple[NetworkDesignProblem, NetworkOptions]:
    m = draw(st.integers(2, 4))
    n = draw(st.integers(2, 4))
    ints = st.integers(0, 60)
    cost = np.array([[draw(ints) for _ in range(n)] for _ in range(m)], float)
    demand = np.array([draw(st.integers(1, 9)) for _ in range(n)], float)
    fixed = np.array([draw(st.integers(0, 80)) for _ in range(m)], float)
    capacity = np.array([draw(st.integers(3, 25)) for _ in range(m)], float)
    transit = np.array([[draw(st.integers(1, 5)) for _ in range(n)] for _ in range(m)], float)
    sites = tuple(f"S{i}" for i in range(m))
    levels: tuple[CapacityLevel, ...] = ()
    if draw(st.booleans()):
        levels = (CapacityLevel("S0", 5.0, 10.0, "small"), CapacityLevel("S0", 30.0, 45.0, "big"))
    problem = NetworkDesignProblem(sites, tuple(f"C{j}" for j in range(n)), demand, cost, fixed,
                                   capacity, levels=levels, transit=transit, name="tiny")
    single = draw(st.booleans())
    forced_open = tuple(draw(st.sets(st.sampled_from(sites), max_size=1)))
    rest = [s for s in sites if s not in forced_open]
    forced_closed = tuple(draw(st.sets(st.sampled_from(rest), max_size=1)))
    min_open = draw(st.none() | st.integers(1, m))
    max_open = draw(st.none() | st.integers(1, m))
    if min_open is not None and max_open is not None and min_open > max_open:
        min_open, max_open = max_open, min_open
    coverage = ()
    if draw(st.booleans()):
        coverage = (CoverageRule(max_transit=float(draw(st.integers(3, 5))),
                                 customers=(draw(st.sampled_from(problem.customer_ids)),)),)
    share = ()
    if draw(st.booleans()):
        share = (ServiceShareRule(max_transit=float(draw(st.integers(2, 5))),
                                  min_share=draw(st.sampled_from([0.2, 0.5, 0.8]))),)
    options = NetworkOptions(single_source=single, strong=draw(st.booleans()),
                             lazy_linking=draw(st.booleans()),
                             forced_open=forced_open, forced_closed=forced_closed,
                             min_open=min_open, max_open=max_open, coverage=coverage,
                             service_share=share,
                             solver=SolverOptions(path=draw(st.sampled_from(["pulp", "matrix"]))))
    return problem, options


FAST = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(tiny())
def test_optimum_equals_brute_force_and_passes_audit(case) -> None:
    problem, options = case
    expected = brute_force(problem, options)
    if not expected:
        with pytest.raises(InfeasibleError) as err:
            solve_network(problem, options)
        assert err.value.families, "an infeasible model must name at least one family"
        return
    sol = solve_network(problem, options)
    assert sol.objective == pytest.approx(expected[0], rel=1e-6, abs=1e-6)
    check_solution(problem, options, sol)


@FAST
@given(tiny())
def test_pulp_and_matrix_paths_agree(case) -> None:
    problem, options = case
    res = []
    for path in ("pulp", "matrix"):
        opts = replace(options, solver=SolverOptions(path=path))
        try:
            res.append(solve_network(problem, opts, relax_and_report=False).objective)
        except InfeasibleError:
            res.append(None)
    assert res[0] == pytest.approx(res[1], rel=1e-9, abs=1e-9) if res[0] is not None \
        else res[1] is None


@pytest.mark.skipif("cbc" not in available_solvers(), reason="CBC not available")
@settings(max_examples=15, deadline=None, derandomize=True)
@given(tiny())
def test_highs_and_cbc_agree(case) -> None:
    problem, options = case
    res = []
    for solver in ("highs", "cbc"):
        opts = replace(options, solver=SolverOptions(solver=solver))
        try:
            sol = solve_network(problem, opts, relax_and_report=False)
            check_solution(problem, opts, sol)
            res.append(sol.objective)
        except InfeasibleError:
            res.append(None)
    assert res[0] == pytest.approx(res[1], rel=1e-6, abs=1e-6) if res[0] is not None \
        else res[1] is None


@FAST
@given(tiny(), st.integers(0, 3), st.floats(1.0, 100.0))
def test_raising_a_fixed_cost_never_lowers_the_optimum(case, site, extra) -> None:
    problem, options = case
    site = site % problem.m
    try:
        base = solve_network(problem, options, relax_and_report=False).objective
    except InfeasibleError:
        return
    fixed = problem.fixed.copy()
    fixed[site] += extra
    levels = tuple(replace(lv, fixed_cost=lv.fixed_cost + extra)
                   if lv.site == problem.site_ids[site] else lv for lv in problem.levels)
    dearer = replace(problem, fixed=fixed, levels=levels)
    assert solve_network(dearer, options).objective >= base - 1e-6 * max(1.0, abs(base))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(tiny())
def test_n_best_networks_match_enumeration(case) -> None:
    problem, options = case
    expected = brute_force(problem, options)[:3]
    found = n_best_networks(problem, options, 3)
    assert [s.objective for s in found] == pytest.approx(expected, rel=1e-6, abs=1e-6)
    vectors = {tuple(s.open_vector) for s in found}
    assert len(vectors) == len(found)
    for s in found:
        check_solution(problem, options, s)


def _fixed_instance() -> NetworkDesignProblem:
    cost = np.array([[10.0, 40.0, 50.0], [45.0, 12.0, 20.0], [30.0, 30.0, 8.0]])
    transit = np.array([[1.0, 3.0, 4.0], [4.0, 1.0, 2.0], [3.0, 3.0, 1.0]])
    return NetworkDesignProblem(("A", "B", "C"), ("x", "y", "z"), np.array([4.0, 5.0, 6.0]),
                                cost, np.array([30.0, 20.0, 25.0]),
                                np.array([10.0, 10.0, 10.0]), transit=transit,
                                co2=cost / 10.0, name="fixed3")


def test_infeasible_families_are_named() -> None:
    """Each infeasible case names only families of its conflict (an elastic optimum may
    relax either side of the conflict, e.g. capacity or the site-count limit)."""
    problem = _fixed_instance()
    cases = [
        (NetworkOptions(forced_open=("A", "B"), max_open=1), {"site_count", "forced_open"}),
        (NetworkOptions(service_share=(ServiceShareRule(1.0, 1.0),), max_open=1),
         {"service_share", "site_count", "capacity"}),
        (NetworkOptions(coverage=(CoverageRule(0.5, ("x",)),)), {"coverage"}),
        (NetworkOptions(max_open=1), {"capacity", "site_count"}),
    ]
    for options, allowed in cases:
        with pytest.raises(InfeasibleError) as err:
            solve_network(problem, options)
        assert err.value.families and set(err.value.families) <= allowed, err.value.families
        assert all(v > 0 for v in err.value.shortfall.values())


def test_soft_capacity_reports_accepted_overflow() -> None:
    problem = _fixed_instance()
    hard = NetworkOptions(max_open=1)
    soft = replace(hard, capacity_penalty=3.0)
    sol = solve_network(problem, soft)
    check_solution(problem, soft, sol)
    assert sol.shortfall["capacity"] == pytest.approx(15.0 - 10.0)
    breakdown = dict(zip(sol.cost_breakdown["component"], sol.cost_breakdown["value"],
                         strict=True))
    assert breakdown["penalty_capacity"] == pytest.approx(3.0 * 5.0)
    assert breakdown["total"] == pytest.approx(sol.objective)


def test_soft_service_share_matches_hard_when_penalty_is_prohibitive() -> None:
    problem = _fixed_instance()
    hard = NetworkOptions(service_share=(ServiceShareRule(1.0, 0.6),))
    soft = NetworkOptions(service_share=(ServiceShareRule(1.0, 0.6, penalty_per_unit=1e4),))
    a, b = solve_network(problem, hard), solve_network(problem, soft)
    assert a.objective == pytest.approx(b.objective)
    assert b.shortfall["service_share"] == pytest.approx(0.0, abs=1e-9)
    cheap = NetworkOptions(service_share=(ServiceShareRule(1.0, 1.0, penalty_per_unit=0.01),))
    c = solve_network(problem, cheap)
    check_solution(problem, cheap, c)
    assert c.shortfall["service_share"] > 0


def test_pareto_service_front_is_monotone() -> None:
    problem = _fixed_instance()
    front = pareto_service(problem, NetworkOptions(), 1.0, [0.0, 0.4, 0.7, 1.0])
    feasible = front[front["status"] != "infeasible"]
    assert len(feasible) >= 3
    assert (feasible["achieved_share"] >= feasible["target_share"] - 1e-9).all()
    assert feasible["cost"].is_monotonic_increasing


def test_co2_price_changes_the_choice_consistently() -> None:
    from supplylab.optimize import pareto_co2

    problem = _fixed_instance()
    priced = NetworkOptions(co2_price=5.0)
    sol = solve_network(problem, priced)
    check_solution(problem, priced, sol)
    front = pareto_co2(problem, NetworkOptions(), points=3)
    assert (front["co2_t"] <= front["co2_cap_t"] + 1e-6).all()
    assert front["cost"].is_monotonic_increasing


def test_existing_sites_kept_or_closed() -> None:
    problem = replace(_fixed_instance(), existing=np.array([True, False, False]),
                      fixed=np.array([500.0, 20.0, 25.0]))
    keep = solve_network(problem, NetworkOptions(existing_policy="keep"))
    free = solve_network(problem, NetworkOptions(existing_policy="may_close"))
    assert "A" in keep.open_site_ids and "A" not in free.open_site_ids
    assert free.objective < keep.objective
