"""Intervals against theory: coverage of the t interval, paired vs unpaired, precision."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from supplylab.experiments import replicate
from supplylab.experiments.stats import (
    paired_difference,
    precision_shortfall,
    replications_needed,
    t_interval,
    unpaired_difference,
)
from supplylab.experiments.synthetic import SyntheticScenario, expected_total_cost, run_synthetic


def binomial_band(n: int, p: float, z: float = 4.0) -> tuple[float, float]:
    """Count band of a binomial(n, p) within z standard deviations."""
    sd = math.sqrt(n * p * (1 - p))
    return n * p - z * sd, n * p + z * sd


def test_t_interval_matches_textbook_formula() -> None:
    x = [3.0, 5.0, 4.0, 6.0, 7.0]
    iv = t_interval(x)
    half = sps.t.ppf(0.975, 4) * np.std(x, ddof=1) / math.sqrt(5)
    assert iv.n == 5 and iv.mean == pytest.approx(5.0)
    assert iv.half_width == pytest.approx(half)
    assert (iv.ci_low, iv.ci_high) == pytest.approx((5.0 - half, 5.0 + half))


def test_single_value_has_nan_interval_and_nans_are_dropped() -> None:
    one = t_interval([2.5])
    assert one.n == 1 and one.mean == 2.5
    assert math.isnan(one.ci_low) and math.isnan(one.ci_high) and math.isnan(one.half_width)
    assert t_interval([1.0, math.nan, 3.0]).n == 2
    assert t_interval([]).n == 0 and math.isnan(t_interval([]).mean)


def test_coverage_of_replicated_synthetic_kpi_is_95_percent() -> None:
    """300 independent experiments of 5 replications: ~95% of intervals cover the true mean."""
    sc = SyntheticScenario()
    truth = expected_total_cost(sc)
    trials = 300
    covered = 0
    for seed in range(trials):
        res = replicate(sc, 5, seed=10_000 + seed, run_fn=run_synthetic)
        row = res.summary().set_index("kpi").loc["total_cost"]
        covered += row.ci_low <= truth <= row.ci_high
    low, high = binomial_band(trials, 0.95)
    assert low <= covered <= high, f"{covered}/{trials} intervals covered the true mean"


def test_coverage_of_paired_difference() -> None:
    """The paired interval covers the true difference of means ~95% of the time."""
    rng = np.random.default_rng(3)
    trials, covered = 1000, 0
    for _ in range(trials):
        common = rng.normal(0.0, 5.0, 6)
        base = 10.0 + common + rng.normal(0.0, 1.0, 6)
        alt = 10.5 + common + rng.normal(0.0, 1.0, 6)
        d = paired_difference(alt, base)
        covered += d.ci_low <= 0.5 <= d.ci_high
    low, high = binomial_band(trials, 0.95)
    assert low <= covered <= high


def test_identical_pairs_give_exact_zero_and_are_not_significant() -> None:
    x = [1.0, 2.0, 4.0]
    d = paired_difference(x, x)
    assert (d.mean, d.ci_low, d.ci_high, d.half_width) == (0.0, 0.0, 0.0, 0.0)
    assert not d.significant


def test_positive_correlation_makes_paired_interval_narrower_than_welch() -> None:
    rng = np.random.default_rng(7)
    common = rng.normal(0.0, 10.0, 20)
    base = common + rng.normal(0.0, 0.5, 20)
    alt = common + 1.0 + rng.normal(0.0, 0.5, 20)
    paired, unpaired = paired_difference(alt, base), unpaired_difference(alt, base)
    assert paired.half_width < unpaired.half_width / 5
    assert paired.significant and not unpaired.significant


def test_replications_needed_reaches_the_target() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 1.0, 10)
    n = replications_needed(x, 0.2)
    s = np.std(x, ddof=1)
    assert sps.t.ppf(0.975, n - 1) * s / math.sqrt(n) <= 0.2
    assert sps.t.ppf(0.975, n - 2) * s / math.sqrt(n - 1) > 0.2
    assert precision_shortfall({"a": x}, {"a": 0.2}) and not precision_shortfall({"a": x}, {"a": 5})


def test_sequential_precision_adds_replications_until_reached_or_capped() -> None:
    sc = SyntheticScenario()
    res = replicate(sc, 3, seed=1, run_fn=run_synthetic, precision={"fill_rate": 0.002})
    row = res.summary().set_index("kpi").loc["fill_rate"]
    assert row.half_width <= 0.002 and res.n > 3
    assert [r.replication for r in res.replications] == list(range(res.n))
    capped = replicate(sc, 3, seed=1, run_fn=run_synthetic, precision={"fill_rate": 1e-6},
                       max_replications=12)
    assert capped.n == 12
