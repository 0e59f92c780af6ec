"""Hostile and careless numbers: every number finite, written as a number, in its range."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from supplylab.errors import InputError, Issue, ScenarioError
from supplylab.scenario import limits, load, parse_assignments

from .conftest import BASE, mutate, only

Issues = Callable[[str], list[Issue]]


@pytest.mark.parametrize("old, new, path", [
    ("horizon_days: 100", "horizon_days: .inf", "simulation.horizon_days"),
    ("orders_per_day: 1", "orders_per_day: .inf", "customers.C1.orders_per_day"),
    ("orders_per_day: 1", "orders_per_day: 1\n    trend_per_year: .inf",
     "customers.C1.trend_per_year"),
    ("s: 10, S: 40", "s: .nan, S: 40", "facilities.DC.inventory.default.s"),
    ("lead_time: 2", "lead_time: {dist: normal, mean: 2, sd: .inf}", "suppliers.SUP.lead_time.sd"),
    ("price: 10", "price: -.inf", "products.P1.price"),
])
def test_infinite_and_nan_refused(issues: Issues, old: str, new: str, path: str) -> None:
    i = only(issues(mutate(old, new)))
    assert i.path == path
    assert ".inf and .nan are not allowed" in i.message


@pytest.mark.parametrize("old, new, path, hint", [
    ("price: 10", "price: '180'", "products.P1.price", "write the number without quotes"),
    ("reliability: 0.9", "reliability: true", "suppliers.SUP.reliability",
     "true/false is not a number"),
    ("replications: 2", "replications: 2.5", "simulation.replications", "whole number"),
    ("seed: 1", "seed: '7'", "simulation.seed", "without quotes"),
])
def test_numbers_are_written_as_numbers(issues: Issues, old: str, new: str, path: str,
                                        hint: str) -> None:
    i = only(issues(mutate(old, new)))
    assert i.path == path and hint in i.message


def test_negative_random_quantities_refused(issues: Issues) -> None:
    i = only(issues(mutate("lead_time: 2", "lead_time: -3")))
    assert i.path == "suppliers.SUP.lead_time"
    assert "greater than or equal to 0" in i.message and "-3" in i.message
    i = only(issues(mutate("lead_time: 2", "lead_time: {dist: uniform, low: -1, high: 2}")))
    assert i.path == "suppliers.SUP.lead_time.low"


def test_yaml_1_2_exponents_are_numbers(write: Callable[..., Path]) -> None:
    sc = load(write(mutate("price: 10", "price: 1e3")))
    assert sc.products[0].price == 1000.0


def test_magnitudes_beyond_the_range(issues: Issues) -> None:
    i = only(issues(mutate("price: 10", "price: 1.0e300")))
    assert i.path == "products.P1.price" and "out of range" in i.message


def test_horizon_limit_is_refused_quickly(issues: Issues) -> None:
    t0 = time.perf_counter()
    i = only(issues(mutate("horizon_days: 100", "horizon_days: 1.0e308")))
    assert time.perf_counter() - t0 < 5
    assert i.path == "simulation.horizon_days" and "less than or equal to 36500" in i.message


def test_intractable_run_refused_with_its_estimate(issues: Issues) -> None:
    text = mutate("orders_per_day: 1", "orders_per_day: 1.0e6")
    text = mutate("horizon_days: 100", "horizon_days: 3650", text)
    i = only(issues(text))
    assert i.path == "simulation.horizon_days"
    assert "about 3.65e+09 orders (1e+06 orders/day x 3650 days)" in i.message
    assert "per replication" in i.message and "limit" in i.message


def test_customer_groups_count_in_the_estimate(write: Callable[..., Path]) -> None:
    text = BASE + """\
customer_groups:
  - id_prefix: G
    count: 100000
    tier_mix: {gold: 1}
    region: {center: {lat: 50, lon: 8}, radius_km: 10}
    orders_per_day: 20
    product_mix: {P1: 1}
"""
    with pytest.raises(ScenarioError) as exc:
        load(write(text))
    assert "2e+06 orders/day" in exc.value.issues[0].message
    assert limits.workload(load(write(mutate("count: 100000", "count: 10", text)))).orders \
        == pytest.approx((1 + 10 * 20) * 100)


@pytest.mark.parametrize("text, message", [
    ("simulation.horizon_days=.inf", ".inf and .nan are not allowed"),
    ("facilities.DC.inventory.default.s=.nan", ".inf and .nan are not allowed"),
    ("products.P1.price='180'", "without quotes"),
    ("suppliers.SUP.lead_time=-3", "greater than or equal to 0"),
])
def test_set_values_obey_the_same_rules(write: Callable[..., Path], text: str,
                                        message: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        load(write(BASE), parse_assignments([text]))
    i = only(exc.value.issues)
    assert i.file == "--set" and message in i.message


def test_deep_nesting_refused_everywhere(write: Callable[..., Path], issues: Issues) -> None:
    deep = "[" * 5000 + "]" * 5000
    i = only(issues(f"name: x\nproducts: {deep}\n"))
    assert "nested more than" in i.message and i.line == 2
    i = only(issues("name: x\nproducts:\n" + "".join("  " * k + "- \n" for k in range(1, 600))))
    assert "nested more than" in i.message
    with pytest.raises(InputError) as exc:
        parse_assignments([f"costs.x={deep}"])
    assert "nested more than" in exc.value.issues[0].message
    with pytest.raises(ScenarioError) as exc:
        load(write(BASE), {".".join(["costs"] * 1000): 1})
    assert "more than" in only(exc.value.issues).message
    value: list = []
    for _ in range(3000):
        value = [value]
    with pytest.raises(ScenarioError) as exc:
        load(write(BASE), {"costs": value})
    assert "nested more than" in only(exc.value.issues).message


def test_the_documented_refusal_is_what_a_user_reads(issues: Issues) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "robustness.md").read_text()
    block = doc.split("## Runs too large to start", 1)[1].split("```text\n", 1)[1]
    shown = " ".join(block.split("```", 1)[0].split())
    text = mutate("orders_per_day: 1", "orders_per_day: 1.0e6")
    i = only(issues(mutate("horizon_days: 100", "horizon_days: 3650", text)))
    assert shown.endswith(f"{i.path}: {i.message}")
