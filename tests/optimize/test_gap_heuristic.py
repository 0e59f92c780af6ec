"""The Lagrangian GAP heuristic against enumeration on tiny, tightly filled assignments."""

from __future__ import annotations

import itertools
import math

import numpy as np

from supplylab.optimize.gap_heuristic import lagrangian_gap


def _tight_gap(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2-3 sites x 4-7 customers with integer data; capacities 0-2 units above the loads of
    a random assignment, so a feasible assignment exists and the sites are nearly full."""
    k, n = int(rng.integers(2, 4)), int(rng.integers(4, 8))
    cost = rng.integers(1, 40, size=(k, n)).astype(float)
    d = rng.integers(1, 10, size=n).astype(float)
    a = rng.integers(0, k, size=n)
    cap = np.bincount(a, weights=d, minlength=k) + rng.integers(0, 3, size=k)
    cost[rng.random((k, n)) < 0.15] = np.inf
    cost[a, np.arange(n)] = rng.integers(1, 40, size=n)  # the random assignment stays allowed
    return cost, d, cap


def _optimum(cost: np.ndarray, d: np.ndarray, cap: np.ndarray) -> float:
    k, n = cost.shape
    best = math.inf
    for a in itertools.product(range(k), repeat=n):
        a = np.array(a)
        if (np.bincount(a, weights=d, minlength=k) <= cap).all():
            best = min(best, float(cost[a, np.arange(n)].sum()))
    return best


def test_lagrangian_gap_feasible_bounded_and_mostly_optimal() -> None:
    rng = np.random.default_rng(16)
    hits, cases = 0, 40
    for _ in range(cases):
        cost, d, cap = _tight_gap(rng)
        opt = _optimum(cost, d, cap)
        res = lagrangian_gap(cost, d, cap, time_limit_s=2.0)
        assert res.bound <= opt + 1e-6  # a valid lower bound
        assert res.assign is not None
        k, n = cost.shape
        assert np.isfinite(cost[res.assign, np.arange(n)]).all()  # allowed arcs only
        assert (np.bincount(res.assign, weights=d, minlength=k) <= cap + 1e-9).all()
        assert res.value == float(cost[res.assign, np.arange(n)].sum())
        assert res.value >= opt - 1e-9
        hits += res.value == opt
    assert hits >= 0.9 * cases  # on these sizes it should almost always reach the optimum


def test_lagrangian_gap_cutoff_settles_hopeless_sets() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        cost, d, cap = _tight_gap(rng)
        opt = _optimum(cost, d, cap)
        res = lagrangian_gap(cost, d, cap, cutoff=opt - 1.0, time_limit_s=2.0)
        assert not res.value < opt - 1e-9  # never below the optimum, whatever the cutoff
        assert res.bound <= opt + 1e-6
        full = lagrangian_gap(cost, d, cap, cutoff=opt + 1e6, time_limit_s=2.0)
        cheap = lagrangian_gap(cost, d, cap, cutoff=opt + 1e6, time_limit_s=2.0,
                               stop_below=True)
        assert cheap.value < opt + 1e6  # stops at the first assignment found ...
        assert cheap.iterations <= full.iterations and cheap.value >= full.value  # ... earlier


def test_lagrangian_gap_reports_too_little_capacity() -> None:
    res = lagrangian_gap(np.ones((2, 3)), np.array([2.0, 2.0, 2.0]), np.array([2.0, 3.0]))
    assert res.assign is None and math.isinf(res.value)
