"""Multi-echelon, multi-period network design: brute force equals the MIP; HiGHS equals CBC; a
two-echelon case computed by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from supplylab.errors import InfeasibleError, InputError
from supplylab.optimize import (
    NetworkDesignProblem,
    NetworkOptions,
    SolverOptions,
    check_solution,
    solve_network,
)
from supplylab.optimize.network import OUTSIDE
from supplylab.optimize.stock_cost import SqrtCost

INF = np.inf


def _instance(seed: int) -> NetworkDesignProblem:
    """2 DCs (supplied from outside) and 2 warehouses (replenished from a DC), 3 customers,
    2 periods with a peak; capacities that bind in the peak, lane limits on some arcs."""
    rng = np.random.default_rng(seed)
    m, n = 4, 3
    demand = rng.integers(5, 20, n).astype(float)
    peak = rng.uniform(0.5, 0.8, n)
    period_demand = np.vstack([demand * peak, demand * (1 - peak)])
    inbound = np.array([rng.uniform(0.5, 3), rng.uniform(0.5, 3), INF, INF])
    replenish = np.full((m, m), INF)
    replenish[:2, 2:] = rng.uniform(0.2, 2.0, (2, 2))
    lane = np.full((m, m), INF)
    if seed % 3 == 0:
        lane[0, 2] = rng.uniform(5, 20)
    arc_cap = np.full((m, n), INF)
    arc_cap[rng.integers(0, m), rng.integers(0, n)] = rng.uniform(3, 15)
    return NetworkDesignProblem(
        ("DC1", "DC2", "W1", "W2"), ("c1", "c2", "c3"), demand,
        cost=rng.uniform(1, 30, (m, n)) * demand[None, :] / 10,
        fixed=rng.uniform(5, 60, m), capacity=rng.uniform(15, 45, m), inbound=inbound,
        replenish=replenish, replenish_capacity=lane, arc_capacity=arc_cap,
        period_demand=period_demand, period_share=np.array([0.5, 0.5]), name=f"tiny{seed}")


def _brute_force(pb: NetworkDesignProblem) -> float:
    """Cheapest network with single sourcing of customers and sites, by enumeration: open
    set, each open site's source, each customer's site; flows follow the tree."""
    dp, share = pb.periods
    best = INF
    for mask in itertools.product([0, 1], repeat=pb.m):
        openset = [i for i in range(pb.m) if mask[i]]
        if not openset:
            continue
        choices = []
        for i in openset:
            opts = ([-1] if np.isfinite(pb.inbound[i]) else [])
            opts += [k for k in openset if np.isfinite(pb.replenish[k, i])]
            choices.append(opts)
        for src in itertools.product(*choices):
            source = dict(zip(openset, src, strict=True))
            for assign in itertools.product(openset, repeat=pb.n):
                cost = float(pb.fixed[openset].sum())
                out = np.zeros((pb.m, len(share)))
                for j, i in enumerate(assign):
                    cost += pb.cost[i, j]
                    out[i] += dp[:, j]
                ok = all(dp[p, j] <= share[p] * pb.arc_capacity[i, j] + 1e-9
                         for j, i in enumerate(assign) for p in range(len(share)))
                # propagate up: warehouses first (their DC ships what they ship)
                total = out.copy()
                for i in openset:
                    k = source[i]
                    if k >= 0:
                        total[k] += out[i]
                for i in openset:
                    k = source[i]
                    flow = total[i]
                    if k < 0:
                        cost += pb.inbound[i] * flow.sum()
                    else:
                        cost += pb.replenish[k, i] * flow.sum()
                        ok &= bool((flow <= share * pb.replenish_capacity[k, i] + 1e-9).all())
                ok &= bool((total[openset] <= pb.capacity[openset, None] * share[None, :]
                            + 1e-9).all())
                if ok:
                    best = min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_multi_echelon_mip_equals_brute_force(seed: int) -> None:
    pb = _instance(seed)
    opts = NetworkOptions(single_source=True, solver=SolverOptions(mip_rel_gap=1e-9))
    expected = _brute_force(pb)
    if not np.isfinite(expected):
        with pytest.raises(InfeasibleError):
            solve_network(pb, opts)
        return
    sol = solve_network(pb, opts)
    check_solution(pb, opts, sol)
    assert sol.objective == pytest.approx(expected, rel=1e-7, abs=1e-6)
    assert set(sol.sourcing) == set(sol.open_site_ids)


@pytest.mark.parametrize("seed", [1, 2, 4])
def test_multi_echelon_highs_equals_cbc(seed: int) -> None:
    pb = _instance(seed)
    for single in (True, False):
        res = {}
        for solver in ("highs", "cbc"):
            opts = NetworkOptions(single_source=single,
                                  solver=SolverOptions(solver=solver, mip_rel_gap=1e-9))
            try:
                sol = solve_network(pb, opts, relax_and_report=False)
            except InfeasibleError:
                res[solver] = None
                continue
            check_solution(pb, opts, sol)
            res[solver] = sol.objective
        assert (res["highs"] is None) == (res["cbc"] is None)
        if res["highs"] is not None:
            assert res["highs"] == pytest.approx(res["cbc"], rel=1e-7)


def test_two_echelon_by_hand() -> None:
    """DC-A and DC-B feed warehouses W1, W2; closing DC-B (forced) moves its warehouse to DC-A
    and every cost adds up by hand."""
    demand = np.array([100.0, 200.0])
    replenish = np.full((4, 4), INF)
    replenish[0, 2], replenish[0, 3] = 1.0, 3.0   # DC-A -> W1, W2
    replenish[1, 2], replenish[1, 3] = 3.0, 1.0   # DC-B -> W1, W2
    cost = np.full((4, 2), 1e6)
    cost[2, 0], cost[3, 1] = 50.0, 80.0           # c1 from W1, c2 from W2 (whole demand)
    pb = NetworkDesignProblem(
        ("DC-A", "DC-B", "W1", "W2"), ("c1", "c2"), demand, cost,
        fixed=np.array([1000.0, 1000.0, 10.0, 10.0]), capacity=np.full(4, 1000.0),
        inbound=np.array([2.0, 2.0, INF, INF]), replenish=replenish)
    both = NetworkOptions(single_source=True, forced_open=("DC-A", "DC-B"))
    sol = solve_network(pb, both)
    check_solution(pb, both, sol)
    assert sol.sourcing == {"DC-A": OUTSIDE, "DC-B": OUTSIDE, "W1": "DC-A", "W2": "DC-B"}
    # fixed 2020 + outbound 130 + DC->W 100*1 + 200*1 + inbound 300*2
    assert sol.objective == pytest.approx(2020 + 130 + 300 + 600)
    one = NetworkOptions(single_source=True, forced_closed=("DC-B",))
    sol = solve_network(pb, one)
    check_solution(pb, one, sol)
    assert sol.sourcing == {"DC-A": OUTSIDE, "W1": "DC-A", "W2": "DC-A"}
    assert sol.objective == pytest.approx(1020 + 130 + 100 * 1 + 200 * 3 + 300 * 2)
    br = dict(zip(sol.cost_breakdown["component"], sol.cost_breakdown["value"], strict=True))
    assert br["inbound"] == pytest.approx(600) and br["replenishment"] == pytest.approx(700)
    dc_a = sol.open_sites.set_index("site").loc["DC-A"]
    assert dc_a["throughput"] == pytest.approx(300.0)  # ships to both warehouses


def test_peak_period_binds() -> None:
    """Yearly capacity suffices, but not in the peak half-year: the second site must open."""
    demand = np.array([100.0])
    pb = NetworkDesignProblem(("A", "B"), ("c",), demand, np.array([[10.0], [20.0]]),
                              fixed=np.array([0.0, 5.0]), capacity=np.array([120.0, 120.0]),
                              period_demand=np.array([[80.0], [20.0]]),
                              period_share=np.array([0.5, 0.5]))
    sol = solve_network(pb, NetworkOptions())
    check_solution(pb, NetworkOptions(), sol)
    assert sol.open_site_ids == ["A", "B"]  # A may ship 60 in the peak, not 80
    flat = NetworkDesignProblem(("A", "B"), ("c",), demand, np.array([[10.0], [20.0]]),
                                fixed=np.array([0.0, 5.0]), capacity=np.array([120.0, 120.0]))
    assert solve_network(flat, NetworkOptions()).open_site_ids == ["A"]


def test_no_supply_names_the_family_and_cycles_are_refused() -> None:
    replenish = np.full((2, 2), INF)
    replenish[0, 1] = 1.0
    pb = NetworkDesignProblem(("DC", "W"), ("c",), np.array([10.0]), np.array([[1e6], [1.0]]),
                              fixed=np.zeros(2), inbound=np.array([1.0, INF]),
                              replenish=replenish, allowed=np.array([[False], [True]]))
    with pytest.raises(InfeasibleError) as err:
        solve_network(pb, NetworkOptions(forced_closed=("DC",)))
    assert err.value.families
    replenish[1, 0] = 1.0
    with pytest.raises(InputError, match="cycle"):
        NetworkDesignProblem(("DC", "W"), ("c",), np.array([10.0]), np.ones((2, 1)),
                             fixed=np.zeros(2), inbound=np.array([1.0, INF]),
                             replenish=replenish)


def _with_stock(seed: int) -> tuple[NetworkDesignProblem, SqrtCost]:
    rng = np.random.default_rng(100 + seed)
    m, n = 3, 4
    demand = rng.integers(5, 30, n).astype(float)
    stock = SqrtCost("safety_stock", rng.uniform(1, 20, (m, n)), rng.uniform(5, 40, m),
                     segments=int(rng.integers(1, 7)))
    pb = NetworkDesignProblem(tuple(f"S{i}" for i in range(m)), tuple(f"c{j}" for j in range(n)),
                              demand, rng.uniform(1, 60, (m, n)), fixed=rng.uniform(0, 40, m),
                              capacity=rng.uniform(20, 60, m), sqrt_costs=(stock,))
    return pb, stock


@pytest.mark.parametrize("seed", range(10))
def test_square_root_stock_cost_equals_brute_force(seed: int) -> None:
    pb, stock = _with_stock(seed)
    best = INF
    for assign in itertools.product(range(pb.m), repeat=pb.n):
        share = np.zeros((pb.m, pb.n))
        share[list(assign), range(pb.n)] = 1.0
        if ((share * pb.demand).sum(axis=1) > pb.capacity + 1e-9).any():
            continue
        used = share.any(axis=1)
        best = min(best, pb.fixed[used].sum() + (pb.cost * share).sum()
                   + stock.evaluate(share).sum())
    opts = NetworkOptions(single_source=True, solver=SolverOptions(mip_rel_gap=1e-9))
    if not np.isfinite(best):
        with pytest.raises(InfeasibleError):
            solve_network(pb, opts)
        return
    sol = solve_network(pb, opts)
    check_solution(pb, opts, sol)
    assert sol.objective == pytest.approx(best, rel=1e-7)


def test_square_root_law_consolidates() -> None:
    """Two customers, each next to its own cheap site: transport alone keeps both sites; a
    safety stock of the square-root kind pools them in one (sqrt(2) < 2)."""
    cost = np.array([[10.0, 30.0], [30.0, 10.0]])
    plain = NetworkDesignProblem(("A", "B"), ("c1", "c2"), np.array([1.0, 1.0]), cost,
                                 fixed=np.ones(2))
    assert solve_network(plain, NetworkOptions(single_source=True)).open_site_ids == ["A", "B"]
    stock = SqrtCost("safety_stock", np.full((2, 2), 1.0), np.full(2, 100.0), segments=8)
    pooled = NetworkDesignProblem(("A", "B"), ("c1", "c2"), np.array([1.0, 1.0]), cost,
                                  fixed=np.ones(2), sqrt_costs=(stock,))
    sol = solve_network(pooled, NetworkOptions(single_source=True))
    assert len(sol.open_site_ids) == 1
    # one site: 1 + 10 + 30 + 100 sqrt(2) (2 is a breakpoint: the interpolation is exact)
    assert sol.objective == pytest.approx(41 + 100 * np.sqrt(2))
    br = dict(zip(sol.cost_breakdown["component"], sol.cost_breakdown["value"], strict=True))
    assert br["safety_stock"] == pytest.approx(100 * np.sqrt(2))
