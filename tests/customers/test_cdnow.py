"""Customer-base models against the CDNOW data and the published estimates
(../shared/benchmarks/clv/README.md: Fader, Hardie & Lee 2005; Fader & Hardie 2013)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from supplylab.customers import fit_bgnbd, fit_gamma_gamma, summarise_transactions
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def cdnow():
    import pandas as pd

    return pd.read_csv(shared_path("benchmarks", "clv", "cdnow_summary.csv"))


@pytest.fixture(scope="module")
def bgnbd(cdnow):
    return fit_bgnbd(x=cdnow.x.values, t_x=cdnow.t_x.values, T=cdnow["T"].values)


def test_bgnbd_reproduces_published_estimates(bgnbd):
    # Fader, Hardie & Lee (2005), Marketing Science 24(2), Table 1: r, alpha, a, b; LL -9582.4
    assert (round(bgnbd.r, 3), round(bgnbd.alpha, 3)) == (0.243, 4.414)
    assert (round(bgnbd.a, 3), round(bgnbd.b, 3)) == (0.793, 2.426)
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_bgnbd_closed_forms_match_the_paper(bgnbd):
    # The paper's worked customer: x = 2, t_x = 30.43, T = 38.86 weeks expects 1.226 purchases
    # in the next 39 weeks (section 4 of the paper).
    ey = bgnbd.conditional_expected_purchases(39, np.array([2.0]), np.array([30.43]),
                                              np.array([38.86]))
    assert float(ey[0]) == pytest.approx(1.226, abs=5e-4)
    # P(alive) is 1 without repeats, falls with a longer silence, and lies in (0, 1]
    pa = bgnbd.p_alive(np.array([0.0, 2.0, 2.0]), np.array([0.0, 30.0, 5.0]),
                       np.array([38.86, 38.86, 38.86]))
    assert pa[0] == 1.0 and 0 < pa[2] < pa[1] < 1
    # E[X(t)] grows with t and the conditional form at x = 0, T = 0 equals it
    assert bgnbd.expected_purchases(78) > bgnbd.expected_purchases(39) > 0
    cond0 = bgnbd.conditional_expected_purchases(39, np.array([0.0]), np.array([0.0]),
                                                 np.array([0.0]))
    assert float(cond0[0]) == pytest.approx(bgnbd.expected_purchases(39), rel=1e-9)


def test_gamma_gamma_reproduces_published_estimates(cdnow):
    gg = fit_gamma_gamma(cdnow.x.values, cdnow.zbar.values)
    # Fader & Hardie (2013) on the 946 repeat buyers: p = 6.25, q = 3.74, gamma = 15.44. The
    # summary's zbar is rounded to cents, which moves the (flat) maximum of gamma to 15.448.
    assert (round(gg.p, 2), round(gg.q, 2)) == (6.25, 3.74)
    assert gg.gamma == pytest.approx(15.44, abs=0.01)
    # shrinkage: the conditional mean lies between the customer's mean and the population mean
    e = gg.conditional_expected_value(np.array([1.0, 10.0]), np.array([100.0, 100.0]))
    assert gg.population_mean < e[0] < e[1] < 100.0


def test_transactions_summarise_to_the_published_calibration_table(cdnow):
    # The 39-week calibration period ends 1997-09-30; occasions are days, times in weeks
    start = dt.date(1997, 1, 1)
    rows = []
    for line in shared_path("benchmarks", "clv", "cdnow_sample_transactions.txt").read_text() \
            .splitlines():
        _, master, date, _, value = line.split()
        day = (dt.date(int(date[:4]), int(date[4:6]), int(date[6:])) - start).days
        rows.append((master, day, float(value)))
    s = summarise_transactions(rows, (dt.date(1997, 9, 30) - start).days, unit_days=7.0)
    order = np.argsort([int(i) for i in s.ids])
    assert len(s.ids) == len(cdnow) == 2357
    np.testing.assert_array_equal(s.frequency[order], cdnow.x.values)
    # the CSV rounds to two decimals
    np.testing.assert_allclose(s.recency[order], cdnow.t_x.values, atol=0.006)
    np.testing.assert_allclose(s.T[order], cdnow["T"].values, atol=0.006)
    np.testing.assert_allclose(s.monetary[order], cdnow.zbar.values, atol=0.006)
