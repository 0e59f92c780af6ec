"""Customer-base models on data drawn from the models themselves, and the segment rules by hand."""

from __future__ import annotations

import numpy as np
import pytest

from supplylab.customers import (
    BGNBD,
    GammaGamma,
    abc_classes,
    at_risk,
    clv_bgnbd_gg,
    fit_bgnbd,
    rfm_scores,
    roc_auc,
    summarise_transactions,
)


def _draw_bgnbd(n: int, T: float, r: float, alpha: float, a: float, b: float, seed: int):
    """Histories drawn from BG/NBD: returns x, t_x, T arrays and who dropped out by T."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    dead = np.zeros(n, dtype=bool)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > T:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                dead[i] = True
                break
    return x, t_x, np.full(n, T), dead


def test_bgnbd_recovers_the_parameters_it_was_drawn_from():
    x, t_x, T, _ = _draw_bgnbd(4000, 52.0, 0.8, 6.0, 0.6, 3.0, seed=3)
    m = fit_bgnbd(x=x, t_x=t_x, T=T)
    assert m.r == pytest.approx(0.8, rel=0.15)
    assert m.alpha == pytest.approx(6.0, rel=0.2)
    assert m.r / m.alpha == pytest.approx(0.8 / 6.0, rel=0.08)  # mean purchase rate
    assert m.a / (m.a + m.b) == pytest.approx(0.6 / 3.6, rel=0.25)  # mean dropout probability


def test_p_alive_separates_real_dropouts():
    x, t_x, T, dead = _draw_bgnbd(3000, 52.0, 0.8, 6.0, 0.6, 3.0, seed=5)
    m = BGNBD(0.8, 6.0, 0.6, 3.0)
    auc = roc_auc(1.0 - m.p_alive(x, t_x, T), dead)
    assert auc > 0.75  # far better than chance (0.5)


def test_roc_auc_by_hand():
    assert roc_auc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([1, 1, 0, 0])) == 1.0
    assert roc_auc(np.array([0.1, 0.2, 0.9, 0.8]), np.array([1, 1, 0, 0])) == 0.0
    assert roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), np.array([1, 0, 1, 0])) == 0.5
    # one churner above one of two stayers: 1 win + 0 of 2 = 0.5; [0.6 > 0.4, 0.6 < 0.7]
    assert roc_auc(np.array([0.6, 0.4, 0.7]), np.array([1, 0, 0])) == 0.5
    assert np.isnan(roc_auc(np.array([0.1, 0.2]), np.array([0, 0])))


def test_abc_by_hand():
    # total 100: 50 (before 0) A, 30 (before 0.5) A, 15 (before 0.8) B, 4 (before .95) C, 1 C
    got = abc_classes(np.array([4.0, 50.0, 1.0, 30.0, 15.0]))
    assert list(got) == ["C", "A", "C", "A", "B"]
    assert list(abc_classes(np.array([0.0, 0.0]))) == ["C", "C"]


def test_rfm_by_hand():
    s = rfm_scores(x=np.array([0, 1, 2, 3, 4]), t_x=np.array([0, 10, 20, 30, 40]),
                   T=np.full(5, 40.0), monetary=np.array([5, 4, 3, 2, 1]))
    assert list(s["R"]) == [1, 2, 3, 4, 5]  # the most recent buyer scores 5
    assert list(s["F"]) == [1, 2, 3, 4, 5]
    assert list(s["M"]) == [5, 4, 3, 2, 1]
    assert s["rfm"][4] == 551


def test_clv_discounting_and_value_at_risk():
    m = BGNBD(0.8, 6.0, 0.6, 3.0)
    gg = GammaGamma(6.0, 4.0, 15.0)
    x, t_x, T, z = (np.array([3.0, 3.0]), np.array([50.0, 5.0]), np.array([52.0, 52.0]),
                    np.array([20.0, 20.0]))
    undiscounted = clv_bgnbd_gg(m, gg, x, t_x, T, z, periods=12, period_length=4.0,
                                discount_rate=0.0)
    # no discount: value = spend x expected purchases over the whole window
    expected = gg.conditional_expected_value(x, z) * m.conditional_expected_purchases(48.0, x,
                                                                                        t_x, T)
    np.testing.assert_allclose(undiscounted, expected, rtol=1e-12)
    discounted = clv_bgnbd_gg(m, gg, x, t_x, T, z, periods=12, period_length=4.0,
                              discount_rate=0.02, margin=0.3)
    assert np.all(discounted < 0.3 * undiscounted)
    assert discounted[0] > discounted[1]  # the recent buyer is worth more
    summary = summarise_transactions([("a", 0, 10), ("a", 5, 20), ("b", 0, 10), ("b", 50, 20)],
                                     52.0)
    rows = at_risk(summary, m, horizon=12.0, value=np.array([100.0, 100.0]), threshold=1.0)
    alive = m.p_alive(summary.frequency, summary.recency, summary.T)
    assert [r["customer"] for r in rows] == ["a", "b"]  # a: silent longest, most value at risk
    assert rows[0]["value_at_risk"] == pytest.approx(100.0 / alive[0] * (1 - alive[0]))


def test_fit_refuses_data_without_repeats():
    with pytest.raises(ValueError, match="repeat"):
        fit_bgnbd(x=np.zeros(3), t_x=np.zeros(3), T=np.ones(3))
