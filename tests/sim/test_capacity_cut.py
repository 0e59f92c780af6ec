"""A supplier capacity cut slows only the production days it covers (integrated by hand)."""

import math

import pytest

from supplylab.sim.disruptions import Windows


def test_production_integrates_the_capacity_in_force() -> None:
    w = Windows([(5.0, 15.0, "capacity", 0.25)])  # 10/day, 2.5/day on days 5-15
    # 50 units by day 5, 25 more by day 15, the last 25 at full rate: 2.5 days
    assert w.produced_by(0.0, 100.0, 10.0) == pytest.approx(17.5)
    # started inside the cut: 22.5 units by day 15, then 7.5 at 10/day
    assert w.produced_by(6.0, 30.0, 10.0) == pytest.approx(15.75)
    # finished inside the cut, and untouched before or after it
    assert w.produced_by(6.0, 10.0, 10.0) == pytest.approx(10.0)
    assert w.produced_by(0.0, 20.0, 10.0) == pytest.approx(2.0)
    assert w.produced_by(20.0, 20.0, 10.0) == pytest.approx(22.0)
    assert w.produced_by(3.0, 0.0, 10.0) == 3.0


def test_a_cut_to_zero_holds_production_until_it_ends() -> None:
    w = Windows([(2.0, 9.0, "capacity", 0.0)])
    assert w.produced_by(0.0, 40.0, 10.0) == pytest.approx(11.0)  # 20 by day 2, 20 after 9
    assert math.isinf(Windows([(0.0, math.inf, "capacity", 0.0)]).produced_by(1.0, 5.0, 1.0))
