"""The knapsack solvers of the Lagrangian layer against enumeration and scipy's LP."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from supplylab.optimize.knapsack import (
    binary_knapsack,
    binary_knapsacks,
    continuous_knapsacks,
    covering_knapsack,
)

small = st.integers(min_value=1, max_value=6)


def _subsets(k: int):
    return (np.array(bits, dtype=bool) for bits in itertools.product([0, 1], repeat=k))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), small)
def test_binary_knapsack_is_the_enumerated_optimum(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.integers(-20, 10, k).astype(float)
    weight = rng.integers(0, 8, k).astype(float)
    cap = float(rng.integers(0, 15))
    value, x = binary_knapsack(cost, weight, cap)
    best = min(float(cost[s].sum()) for s in _subsets(k) if weight[s].sum() <= cap)
    assert value == pytest.approx(best)
    assert float(cost[x].sum()) == pytest.approx(value) and weight[x].sum() <= cap


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), small, small)
def test_binary_knapsacks_of_all_rows_are_the_enumerated_optima(seed: int, m: int,
                                                                k: int) -> None:
    """One DP over the shared items for every row (site): each row's value and choice is its
    enumerated optimum (capacities differ per row; weightless items included)."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(-20, 10, (m, k)).astype(float)
    weight = rng.integers(0, 8, k).astype(float)
    cap = rng.integers(0, 15, m).astype(float)
    value, x = binary_knapsacks(cost, weight, cap)
    for i in range(m):
        best = min(float(cost[i, s].sum()) for s in _subsets(k) if weight[s].sum() <= cap[i])
        assert value[i] == pytest.approx(best)
        assert float(cost[i, x[i]].sum()) == pytest.approx(value[i])
        assert weight[x[i]].sum() <= cap[i]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), small)
def test_binary_knapsack_fractional_data_is_a_lower_bound(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(-20, 10, k)
    weight = rng.uniform(0.1, 8, k)
    cap = float(rng.uniform(0.5, 15))
    value, _ = binary_knapsack(cost, weight, cap)
    best = min(float(cost[s].sum()) for s in _subsets(k) if weight[s].sum() <= cap)
    assert value <= best + 1e-9


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), small, st.booleans())
def test_covering_knapsack_is_the_enumerated_optimum(seed: int, k: int, integral: bool) -> None:
    rng = np.random.default_rng(seed)
    value = rng.uniform(-5, 20, k)
    size = rng.integers(1, 6, k) * 3.0 if integral else rng.uniform(0.5, 9, k)
    demand = float(rng.uniform(0, size.sum() * 1.1))
    lower = rng.random(k) < 0.2
    upper = lower | (rng.random(k) < 0.8)
    got, y = covering_knapsack(value, size, demand, lower, upper)
    feasible = [float(value[s].sum()) for s in _subsets(k)
                if size[s].sum() >= demand and (s >= lower).all() and (s <= upper).all()]
    if not feasible:
        assert got == np.inf
        return
    if integral:
        assert got == pytest.approx(min(feasible))
        assert float(value[y].sum()) == pytest.approx(got) and size[y].sum() >= demand - 1e-9
    else:
        assert got <= min(feasible) + 1e-9


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), small, small)
def test_continuous_knapsacks_match_the_lp(seed: int, m: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(-10, 5, (m, n))
    weight = rng.integers(0, 6, n).astype(float)
    cap = rng.uniform(0, 12, m)
    value, x = continuous_knapsacks(cost, weight, cap)
    for i in range(m):
        lp = linprog(cost[i], A_ub=weight[None, :], b_ub=[cap[i]], bounds=(0, 1),
                     method="highs")
        assert value[i] == pytest.approx(lp.fun, abs=1e-9)
        assert x[i] @ weight <= cap[i] + 1e-9 and float(cost[i] @ x[i]) == pytest.approx(value[i])
