"""The scipy-free Student t against scipy.stats over the range intervals use."""

import math

import numpy as np
import pytest
from scipy import stats

from supplylab.experiments.tdist import t_cdf, t_ppf

DFS = [0.5, 1, 1.5, 2, 2.5, 3, 3.7, 4, 5, 9, 12.3, 29, 99, 999, 1e4, 1e6]
PS = [0.51, 0.6, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9999]


@pytest.mark.parametrize("df", DFS)
def test_quantile_matches_scipy(df):
    for p in PS:
        assert t_ppf(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-8, abs=1e-9)
        assert t_ppf(1 - p, df) == pytest.approx(-t_ppf(p, df))


@pytest.mark.parametrize("df", DFS)
def test_cdf_matches_scipy_and_inverts(df):
    for x in np.linspace(-8, 8, 33):
        assert t_cdf(float(x), df) == pytest.approx(stats.t.cdf(x, df), abs=1e-9)
    for p in PS:
        assert t_cdf(t_ppf(p, df), df) == pytest.approx(p, abs=1e-10)


def test_textbook_values():
    # t(0.975, 9) = 2.262, t(0.975, 4) = 2.776 (any t table); df=1 is Cauchy
    assert t_ppf(0.975, 9) == pytest.approx(2.2621571627, abs=1e-9)
    assert t_ppf(0.975, 4) == pytest.approx(2.7764451052, abs=1e-9)
    assert t_ppf(0.75, 1) == pytest.approx(1.0)
    assert t_ppf(0.5, 7) == 0.0


def test_bad_arguments():
    for p in (0.0, 1.0, math.nan):
        with pytest.raises(ValueError):
            t_ppf(p, 5)
    with pytest.raises(ValueError):
        t_cdf(1.0, 0.0)
