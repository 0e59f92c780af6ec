"""Order processing against queueing theory: M/M/1, M/M/c (Erlang C) and M/D/1.

The warehouse holds ample stock, so every order goes straight to the processing station:
``order_processors`` FCFS servers with the given processing time. Times are in days.
"""

from __future__ import annotations

import math

import pytest

from ..conftest import assert_covers, inventory_case
from .helpers import kpi, replicate, single_site

AMPLE = {"policy": "sS", "s": 0, "S": 10_000_000}


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c: C(c, a) / (c mu - lambda)."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


@pytest.mark.parametrize("case_id", ["C1_MM1", "C2_MMc_c2", "C3_MMc_c3"])
def test_mmc_waiting_time(case_id: str):
    case = inventory_case(case_id)
    inp, exp = case["inputs"], case["expected"]
    lam, mu, c = inp["arrival_rate"], inp["service_rate_per_server"], inp["servers"]
    assert math.isclose(erlang_c_wait(lam, mu, c), exp["Wq"], rel_tol=1e-9)
    sc = single_site(rate=lam, policy=AMPLE, horizon=2520, warmup=20, processors=c,
                     processing={"dist": "exponential", "mean": 1 / mu})
    res = replicate(sc, 6)
    assert_covers(kpi(res, "order_wait_days_mean"), exp["Wq"])
    # with zero transit the order cycle time is the sojourn time W = Wq + 1/mu
    assert_covers(kpi(res, "order_cycle_time_mean"), exp["W"])


def test_md1_pollaczek_khinchine():
    case = inventory_case("C4_MD1")
    inp, exp = case["inputs"], case["expected"]
    sc = single_site(rate=inp["arrival_rate"], policy=AMPLE, horizon=2520, warmup=20,
                     processing=inp["deterministic_service_time"])
    res = replicate(sc, 6)
    assert_covers(kpi(res, "order_wait_days_mean"), exp["Wq"])
