"""The engine against analytic inventory theory (named textbook cases of ../shared).

Each test simulates a scenario built from a case's inputs and asserts that the analytic value
lies in the 99% t-interval of the replications (fixed seeds, so the outcome is deterministic).
"""

from __future__ import annotations

import math

from scipy import stats

from ..conftest import assert_covers, inventory_case
from .helpers import kpi, replicate, single_site


def test_base_stock_continuous_poisson_backorders_case_a1():
    case = inventory_case("A1_base_stock_continuous_poisson")
    inp, exp = case["inputs"], case["expected"]
    lam, lt, S = inp["demand_rate_lambda_per_day"], inp["lead_time_days"], inp["base_stock_S"]
    sc = single_site(rate=lam, lead_time=lt, policy={"policy": "base_stock", "level": S},
                     horizon=3100, warmup=100)
    res = replicate(sc, 8)
    assert all(r.audit.units_conserved for r in res)
    assert_covers(kpi(res, "fill_rate"), exp["fill_rate_type2"])
    assert_covers(kpi(res, "backorder_units_avg"), exp["expected_backorders_time_avg"])
    assert_covers(kpi(res, "on_hand_units_avg"), exp["expected_on_hand_time_avg"])
    # Little's law on the pipeline: units on order = demand rate x lead time
    assert_covers(kpi(res, "pipeline_units_avg"), lam * lt)
    # the exact formulas, recomputed here, agree with the case file
    D = stats.poisson(lam * lt)
    assert math.isclose(D.cdf(S - 1), exp["fill_rate_type2"], rel_tol=1e-9)


def erlang_b(servers: int, load: float) -> float:
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def test_base_stock_lost_sales_matches_erlang_loss():
    """Lost sales, one-for-one: the share lost is Erlang's B(S, lambda L) (Palm's theorem)."""
    lam, lt, S = 5.0, 2.0, 13
    sc = single_site(rate=lam, lead_time=lt, policy={"policy": "base_stock", "level": S},
                     horizon=3100, warmup=100, importance=1, backorder_days=None)
    res = replicate(sc, 8)
    b = erlang_b(S, lam * lt)
    assert_covers(kpi(res, "fill_rate"), 1 - b)
    assert_covers(kpi(res, "lost_sales_rate"), b)
    # with exponential lead times the loss is the same (insensitivity)
    sc2 = single_site(rate=lam, lead_time={"dist": "exponential", "mean": lt},
                      policy={"policy": "base_stock", "level": S}, horizon=3100, warmup=100,
                      importance=1, backorder_days=None)
    assert_covers(kpi(replicate(sc2, 8), "fill_rate"), 1 - b)


def test_rq_continuous_poisson_exact_case_b1():
    case = inventory_case("B1_rQ_continuous_poisson_exact")
    inp, exp = case["inputs"], case["expected"]
    sc = single_site(rate=inp["demand_rate_lambda"], lead_time=inp["lead_time"],
                     policy={"policy": "rQ", "r": inp["r"], "Q": inp["Q"]}, horizon=6100,
                     warmup=100)
    res = replicate(sc, 8)
    assert_covers(kpi(res, "fill_rate"), exp["fill_rate_type2"])
    assert_covers(kpi(res, "backorder_units_avg"), exp["expected_backorders"])
    assert_covers(kpi(res, "on_hand_units_avg"), exp["expected_on_hand"])
    assert_covers(kpi(res, "cycle_service_level"), exp["cycle_service_level_P(D(L)<=r)"])
    assert_covers([r.kpis["replenishment_orders"] / 6000 for r in res],
                  exp["order_frequency_per_unit_time"])


def test_periodic_base_stock_cycle_service_level_case_a2():
    """Periodic review (R = 1 day), order-up-to S, lead time L: a replenishment cycle has no
    stock-out with probability P(D(L+R) <= S)."""
    case = inventory_case("A2_base_stock_periodic_poisson")
    inp, exp = case["inputs"], case["expected"]
    mu, L, S = inp["demand_per_period"]["mean"], inp["lead_time_periods"], inp["base_stock_S"]
    sc = single_site(rate=mu, lead_time=L, policy={"policy": "RS", "R": 1, "S": S},
                     horizon=3100, warmup=100)
    res = replicate(sc, 8)
    csl = exp["cycle_service_level_type1_P(D_{L+1}<=S)"]
    assert_covers(kpi(res, "cycle_service_level"), csl, floor=0.004)
