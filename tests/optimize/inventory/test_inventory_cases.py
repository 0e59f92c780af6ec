"""Single-site formulas reproduce ``../shared/benchmarks/inventory/cases.yaml``, case by case.

Each test loads its case by id and cites the source named there (Snyder and Shen, FoSCT 2e;
Zheng and Federgruen 1991; Hadley and Whitin 1963; Silver, Pyke and Peterson 1998).
Convention mapping: periodic review protects over L + R periods (the cases' L + 1 with R = 1);
(s,S) orders at IP <= s; (r,Q) at IP <= r (IP after ordering on r+1..r+Q).
"""

from __future__ import annotations

import math

import pytest

from supplylab.errors import InputError
from supplylab.optimize.inventory.laws import Law, std_normal_loss
from supplylab.optimize.inventory.lot_sizing import wagner_whitin
from supplylab.optimize.inventory.single_site import (
    csl_level,
    eoq,
    newsvendor_cost,
    newsvendor_level,
    rq_cost_discrete,
    rq_cost_normal,
    rq_csl,
    rq_eil_approximation,
    rq_fill_rate,
    rq_loss_approximation,
    rq_poisson_optimal,
    rq_reorder_for_fill,
    rs_fill_rate,
    rs_level_for_fill,
    ss_power_approximation,
)
from supplylab.optimize.inventory.zheng_federgruen import ss_cost, ss_optimal, ss_service


def _close(value: float, expected: float, tol: dict) -> None:
    if "rel" in tol:
        assert value == pytest.approx(expected, rel=tol["rel"])
    else:
        assert abs(value - expected) <= tol.get("abs", 1e-9) + 1e-12, (value, expected)


def test_eoq_ex3_1(cases) -> None:
    """FoSCT Example 3.1."""
    c = cases["eoq_ex3_1"]
    i = c["inputs"]
    q, g = eoq(i["fixed_cost_K"], i["holding_cost_h"], i["demand_rate_lambda"])
    _close(q, c["expected"]["Q_star"], c["tolerance"])
    _close(g, c["expected"]["cost_per_year"], c["tolerance"])


@pytest.mark.parametrize("cid", ["newsvendor_normal_ex4_3", "newsvendor_normal_readme"])
def test_newsvendor_normal(cases, cid: str) -> None:
    """FoSCT Example 4.3 and the stockpyl README example."""
    c = cases[cid]
    i, e = c["inputs"], c["expected"]
    law = Law("normal", i["demand"]["mean"], i["demand"]["sd"] ** 2)
    h, p = i["holding_cost_h"], i["stockout_cost_p"]
    s = newsvendor_level(law, h, p)
    _close(s, e["S_star"], c["tolerance"])
    _close(newsvendor_cost(law, s, h, p), e["cost_at_S_star"], c["tolerance"])
    if "cost_at_S_40" in e:
        _close(newsvendor_cost(law, 40, h, p), e["cost_at_S_40"], c["tolerance"])


def test_base_stock_normal_ex4_4(cases) -> None:
    """FoSCT Example 4.4: protection L + R = 4 + 1 periods."""
    c = cases["base_stock_normal_ex4_4"]
    i, e = c["inputs"], c["expected"]
    k = i["lead_time_L"] + i["review_period_R"]
    d = i["demand_per_period"]
    law = Law("normal", k * d["mean"], k * d["sd"] ** 2)
    h, p = i["holding_cost_h"], i["stockout_cost_p"]
    s = newsvendor_level(law, h, p)
    _close(s, e["S_star"], c["tolerance"])
    _close(newsvendor_cost(law, s, h, p), e["cost_per_period_at_S_star"], c["tolerance"])
    _close(newsvendor_cost(law, 180, h, p), e["cost_per_period_at_S_180"], c["tolerance"])


def test_newsvendor_poisson_ex4_7(cases) -> None:
    """FoSCT Example 4.7 (exact Poisson loss function)."""
    c = cases["newsvendor_poisson_ex4_7"]
    i, e = c["inputs"], c["expected"]
    law = Law("poisson", i["demand"]["mean"], i["demand"]["mean"])
    h, p = i["holding_cost_h"], i["stockout_cost_p"]
    s = newsvendor_level(law, h, p)
    assert s == e["S_star"]
    _close(newsvendor_cost(law, s, h, p), e["cost_at_S_star"], c["tolerance"])
    _close(newsvendor_cost(law, 5, h, p), e["cost_at_S_5"], c["tolerance"])


def test_ss_poisson_ex4_7(cases) -> None:
    """FoSCT Example 4.7; Zheng and Federgruen (1991)."""
    c = cases["sS_poisson_ex4_7"]
    i, e = c["inputs"], c["expected"]
    mu = i["demand_per_period"]["mean"]
    law = Law("poisson", mu, mu)
    h, p, k = i["holding_cost_h"], i["stockout_cost_p"], i["fixed_cost_K"]
    res = ss_optimal(law, h, p, k, i["lead_time_L"])
    assert (res.s, res.S) == (e["s_star"], e["S_star"])
    _close(res.cost, e["cost_per_period"], c["tolerance"])
    _close(ss_cost(law, 6, 18, h, p, k), e["cost_at_s6_S18"], c["tolerance"])


def test_ss_poisson_zheng_federgruen_full_table(cases) -> None:
    """Zheng and Federgruen (1991), Table 1: all 24 published rows."""
    c = cases["sS_poisson_zheng_federgruen_table"]
    i = c["inputs"]
    for row in c["expected_full_table"]:
        law = Law("poisson", row["mu"], row["mu"])
        res = ss_optimal(law, i["holding_cost_h"], i["stockout_cost_p"], i["fixed_cost_K"])
        assert (res.s, res.S) == (row["s"], row["S"]), row
        assert abs(res.cost - row["cost"]) <= 0.0005 + 1e-9, row


def test_ss_power_approximation_ex4_8(cases) -> None:
    """FoSCT Example 4.8 (Ehrhardt-Mosier power approximation)."""
    c = cases["sS_normal_power_approx_ex4_8"]
    i, e = c["inputs"], c["expected"]
    d = i["demand_per_period"]
    s, big_s = ss_power_approximation(i["holding_cost_h"], i["stockout_cost_p"],
                                      i["fixed_cost_K"], d["mean"], d["sd"])
    _close(s, e["s"], c["tolerance"])
    _close(big_s, e["S"], c["tolerance"])


def test_rq_normal_ex5_1(cases) -> None:
    """FoSCT Examples 5.1, 5.2 and 5.6 (Hadley and Whitin loss-function approximation)."""
    c = cases["rQ_normal_ex5_1"]
    i, e, tol = c["inputs"], c["expected"], c["tolerance"]
    lam, L = i["demand_rate_lambda"], i["lead_time_L_years"]
    mu, sd = lam * L, i["demand_sd_per_year"] * math.sqrt(L)
    h, p, k = i["holding_cost_h"], i["stockout_cost_p"], i["fixed_cost_K"]
    _close(rq_cost_normal(126.8, 328.5, h, p, k, lam, mu, sd), e["cost_at_r126.8_Q328.5"], tol)
    _close(rq_cost_normal(100, 250, h, p, k, lam, mu, sd), e["cost_at_r100_Q250"], tol)
    lf = rq_loss_approximation(h, p, k, lam, mu, sd)
    _close(lf.r, e["loss_fn_approx_r"], tol)
    _close(lf.Q, e["loss_fn_approx_Q"], tol)
    eil = rq_eil_approximation(h, p, k, lam, mu, sd)
    _close(eil.r, e["eil_approx_r"], tol)
    _close(eil.Q, e["eil_approx_Q"], tol)
    _close(eil.cost, e["eil_approx_cost"], tol)


def test_rq_poisson_exact_ex5_8(cases) -> None:
    """FoSCT Example 5.8 (Federgruen and Zheng 1992)."""
    c = cases["rQ_poisson_exact_ex5_8"]
    i, e = c["inputs"], c["expected"]
    args = (i["holding_cost_h"], i["stockout_cost_p"], i["fixed_cost_K"],
            i["demand_rate_lambda"])
    res = rq_poisson_optimal(*args, i["lead_time_L"])
    assert (res.r, res.Q) == (e["r_star"], e["Q_star"])
    _close(res.cost, e["cost_per_unit_time"], c["tolerance"])
    ltd = Law("poisson", i["demand_rate_lambda"] * i["lead_time_L"],
              i["demand_rate_lambda"] * i["lead_time_L"])
    _close(rq_cost_discrete(8, 12, *args, ltd), e["cost_at_r8_Q12"], c["tolerance"])


def test_wagner_whitin_ex3_9(cases) -> None:
    """FoSCT Example 3.9."""
    c = cases["wagner_whitin_ex3_9"]
    i, e = c["inputs"], c["expected"]
    plan = wagner_whitin(i["demand"], i["fixed_cost_K"], i["holding_cost_h"])
    assert plan.quantities == e["order_quantities_periods_1_to_4"]
    _close(plan.cost, e["total_cost"], c["tolerance"])


def test_a1_continuous_base_stock_poisson(cases) -> None:
    """Zipkin (2000) Sec. 6.2: one-for-one, fill = P(D(L) <= S-1), E[B] = n(S)."""
    c = cases["A1_base_stock_continuous_poisson"]
    i, e = c["inputs"], c["expected"]
    m = i["demand_rate_lambda_per_day"] * i["lead_time_days"]
    law = Law("poisson", m, m)
    s = i["base_stock_S"]
    assert float(law.cdf(s - 1)) == pytest.approx(e["fill_rate_type2"], abs=1e-9)
    assert float(law.cdf(s)) == pytest.approx(e["P_IL_ge_0_no_backorders_time_avg"], abs=1e-9)
    assert float(law.loss(s)) == pytest.approx(e["expected_backorders_time_avg"], abs=1e-9)
    # the fill-rate inverse of a unit-Poisson (r,Q) with Q = 1 gives back S - 1
    assert rq_reorder_for_fill(law, 1.0, e["fill_rate_type2"] - 1e-9) == s - 1


def test_a2_periodic_base_stock_poisson(cases) -> None:
    """FoSCT 2e Sec. 4.3-4.4: exact periodic fill rate 1 - [n_{L+1}(S) - n_L(S)] / mu."""
    c = cases["A2_base_stock_periodic_poisson"]
    i, e = c["inputs"], c["expected"]
    mu, L, s = i["demand_per_period"]["mean"], i["lead_time_periods"], i["base_stock_S"]
    over_rl, over_l = Law("poisson", mu * (L + 1), mu * (L + 1)), Law("poisson", mu * L, mu * L)
    assert float(over_rl.cdf(s)) == pytest.approx(
        e["cycle_service_level_type1_P(D_{L+1}<=S)"], abs=1e-9)
    assert rs_fill_rate(s, over_rl, over_l, mu) == pytest.approx(e["fill_rate_type2_exact"],
                                                                 abs=1e-9)
    assert newsvendor_cost(over_rl, s, i["holding_cost_h"], i["stockout_cost_p"]) == \
        pytest.approx(e["expected_cost_per_period"], abs=1e-9)
    assert rs_level_for_fill(over_rl, over_l, mu, e["fill_rate_type2_exact"] - 1e-9) == s


def test_a3_periodic_base_stock_normal_csl(cases) -> None:
    """FoSCT 2e Sec. 4.3: S = (L+1) mu + z sigma sqrt(L+1) for a 95% CSL."""
    c = cases["A3_base_stock_periodic_normal"]
    i, e = c["inputs"], c["expected"]
    d, L = i["demand_per_period"], i["lead_time_periods"]
    over_rl = Law("normal", d["mean"] * (L + 1), d["sd"] ** 2 * (L + 1))
    over_l = Law("normal", d["mean"] * L, d["sd"] ** 2 * L)
    s = csl_level(over_rl, i["target_CSL"])
    assert s == pytest.approx(e["base_stock_S"], abs=1e-6)
    assert s - over_rl.mean == pytest.approx(e["safety_stock"], abs=1e-6)
    assert rs_fill_rate(s, over_rl, over_l, d["mean"]) == pytest.approx(
        e["fill_rate_type2_exact"], abs=1e-8)


def test_b1_rq_poisson_service(cases) -> None:
    """Hadley and Whitin (1963): (r,Q) fill rate and CSL with Poisson lead-time demand."""
    c = cases["B1_rQ_continuous_poisson_exact"]
    i, e = c["inputs"], c["expected"]
    m = i["demand_rate_lambda"] * i["lead_time"]
    law = Law("poisson", m, m)
    assert rq_fill_rate(i["r"], i["Q"], law) == pytest.approx(e["fill_rate_type2"], abs=1e-9)
    assert rq_csl(i["r"], law) == pytest.approx(e["cycle_service_level_P(D(L)<=r)"], abs=1e-9)


def test_b2_rq_normal_service(cases) -> None:
    """FoSCT 2e Sec. 5.2-5.3: (r,Q) CSL, exact fill rate and cost with normal LTD."""
    c = cases["B2_rQ_continuous_normal"]
    i, e = c["inputs"], c["expected"]
    lt = i["lead_time_years"]
    mu, sd = i["demand_rate_per_year"] * lt, i["demand_sd_per_year"] * math.sqrt(lt)
    law = Law("normal", mu, sd ** 2)
    rel = c["tolerance"]["rel"]
    assert rq_csl(i["r"], law) == pytest.approx(e["cycle_service_level_type1_Phi(z_r)"], rel=rel)
    assert rq_fill_rate(i["r"], i["Q"], law) == pytest.approx(e["fill_rate_type2_exact"], rel=rel)
    assert rq_cost_normal(i["r"], i["Q"], i["h"], i["p"], i["K"], i["demand_rate_per_year"],
                          mu, sd) == pytest.approx(e["cost_per_year"], rel=rel)


def test_b3_ss_service_measures(cases) -> None:
    """Zheng and Federgruen (1991): stationary IP of (s,S) and its CSL and fill rate."""
    c = cases["B3_sS_periodic_poisson_exact"]
    i, e = c["inputs"], c["expected"]
    mu = i["demand_per_period"]["mean"]
    svc = ss_service(Law("poisson", mu, mu), i["s"], i["S"], i["lead_time"])
    assert svc.p_order == pytest.approx(e["P_order_in_period"], abs=1e-9)
    for y, p in e["stationary_P_y"].items():
        assert svc.position[int(y)] == pytest.approx(p, abs=1e-9)
    assert svc.csl == pytest.approx(e["cycle_service_level_type1_P(no stockout in period)"],
                                    abs=1e-9)
    assert svc.fill_rate == pytest.approx(e["fill_rate_type2"], abs=1e-9)


def test_b4_rs_normal(cases) -> None:
    """Silver, Pyke and Peterson (1998): (R,S) with R = 7, L = 3 days, 95% CSL."""
    c = cases["B4_RS_periodic_normal"]
    i, e = c["inputs"], c["expected"]
    d, R, L = i["demand_per_day"], i["review_period_R_days"], i["lead_time_L_days"]
    over_rl = Law("normal", d["mean"] * (R + L), d["sd"] ** 2 * (R + L))
    over_l = Law("normal", d["mean"] * L, d["sd"] ** 2 * L)
    s = csl_level(over_rl, i["target_CSL"])
    assert s == pytest.approx(e["order_up_to_S"], abs=1e-6)
    assert rs_fill_rate(s, over_rl, over_l, d["mean"] * R) == pytest.approx(
        e["fill_rate_type2_exact_1-(n_{R+L}(S)-n_L(S))/(mu*R)"], abs=1e-9)


def test_d_normal_table(cases) -> None:
    """Standard normal table (FoSCT App. C)."""
    c = cases["D_normal_safety_stock_table"]
    e = c["expected"]
    std = Law("normal", 0.0, 1.0)
    for z, p in e["CSL_by_z"].items():
        assert float(std.cdf(z)) == pytest.approx(p, abs=1e-9)
    for z, loss in e["standard_normal_loss"].items():
        assert float(std_normal_loss(z)) == pytest.approx(loss, abs=1e-9)
    for p, z in e["z_for_CSL"].items():
        assert csl_level(std, p) == pytest.approx(z, abs=1e-9)


@pytest.mark.parametrize("target", [1.0, 1.2, 0.0, float("nan")])
def test_target_outside_open_interval_is_input_error(target: float) -> None:
    with pytest.raises(InputError, match="must be in \\(0, 1\\)"):
        csl_level(Law("normal", 10, 4), target)


def test_gamma_and_negbin_loss_match_monte_carlo() -> None:
    """Gamma and negative-binomial loss functions against a large sample."""
    import numpy as np

    rng = np.random.default_rng(3)
    g = Law("gamma", 10.0, 20.0)
    x = rng.gamma(5.0, 2.0, 400_000)
    assert float(g.loss(12.0)) == pytest.approx(np.maximum(x - 12.0, 0).mean(), abs=0.01)
    nb = Law("negbin", 6.0, 16.0)
    y = rng.negative_binomial(6 * 6 / 10, 6 / 16, 400_000)
    assert float(nb.loss(7.0)) == pytest.approx(np.maximum(y - 7.0, 0).mean(), abs=0.01)
