"""One bad input per validation rule: the message, the line and the dotted path of each issue.

Each test writes a small scenario (``BASE`` with one change) into ``tmp_path``, loads it and
checks the issue a planner would read: ``FILE:LINE:COL: dotted.path: message``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from supplylab.errors import Issue
from supplylab.scenario import load

from .conftest import BASE, line_of, mutate, only

Issues = Callable[[str], list[Issue]]

GROUP = """\
customer_groups:
  - id_prefix: G-
    count: 5
    tier_mix: {gold: 0.5, silver: 0.3}
    region: {center: {lat: 50.0, lon: 9.0}, radius_km: 50}
    orders_per_day: 1
    product_mix: {P1: 1}
"""


def test_the_base_scenario_is_valid(write: Callable[..., Path]) -> None:
    sc = load(write(BASE))
    assert [p.id for p in sc.products] == ["P1", "P2"]
    assert sc.network.source_chain("classic", "WH", "P1") == ["SUP", "DC", "WH"]


# ------------------------------------------------------------------ unknown keys and ids
def test_unknown_key_suggests_the_closest_field(issues: Issues) -> None:
    text = mutate("    lead_time: 2\n", "    lead_tme: 2\n")
    i = only(issues(text))
    assert i.path == "suppliers.SUP.lead_tme"
    assert i.message == "unknown key 'lead_tme' (did you mean 'lead_time'?)"
    assert (i.line, i.col) == (line_of(text, "lead_tme"), 5)


def test_unknown_top_level_key(issues: Issues) -> None:
    text = BASE + "promotion: []\n"
    i = only(issues(text))
    assert i.path == "promotion"
    assert "did you mean 'promotions'?" in i.message
    assert i.line == line_of(text, "promotion:")


def test_unknown_tier_suggests_a_known_one(issues: Issues) -> None:
    text = mutate("tier: gold", "tier: glod")
    i = only(issues(text))
    assert i.path == "customers.C1.tier"
    assert i.message == "unknown tier 'glod' (did you mean 'gold'?)"
    assert i.line == line_of(text, "tier: glod")


def test_unknown_replenishment_source_suggests_a_site(issues: Issues) -> None:
    text = mutate("replenish_from: SUP", "replenish_from: SUPP")
    i = only(issues(text))
    assert i.path == "facilities.DC.replenish_from"
    assert i.message == "unknown supplier or facility 'SUPP' (did you mean 'SUP'?)"
    assert i.line == line_of(text, "replenish_from: SUPP")


def test_unknown_product_in_a_mix(issues: Issues) -> None:
    text = mutate("product_mix: {P1: 1, P2: 1}", "product_mix: {P1: 1, P22: 1}")
    i = only(issues(text))
    assert i.path == "customers.C1.product_mix.P22"
    assert i.message.startswith("unknown product 'P22' (did you mean")
    assert i.line == line_of(text, "product_mix")


# ------------------------------------------------------------------ duplicates
def test_duplicate_id_in_one_section_points_at_the_second(issues: Issues) -> None:
    text = mutate("  - id: P2\n", "  - id: P1\n")
    found = issues(text)
    dup = next(i for i in found if "duplicate" in i.message)
    assert dup.message == "duplicate id 'P1' (already used in products)"
    assert dup.line == line_of(text, "- id: P1", nth=2)
    assert dup.path == "products.1.id"


def test_ids_are_unique_across_sections(issues: Issues) -> None:
    text = mutate("  - id: C1\n", "  - id: P2\n")
    i = only(issues(text))
    assert i.path == "customers.P2.id"
    assert i.message == "duplicate id 'P2' (already used in products)"
    assert i.line == line_of(text, "- id: P2", nth=2)


# ------------------------------------------------------------------ network structure
def test_replenishment_cycle(issues: Issues) -> None:
    text = mutate("replenish_from: SUP", "replenish_from: WH")
    i = only(issues(text))
    assert i.path == "facilities.DC.replenish_from"
    assert i.message == "replenishment cycle: DC -> WH -> DC"
    assert i.line == line_of(text, "replenish_from: WH")


def test_a_site_cannot_replenish_from_itself(issues: Issues) -> None:
    text = mutate("replenish_from: DC", "replenish_from: WH")
    i = only(issues(text))
    assert i.path == "facilities.WH.replenish_from"
    assert i.message == "a facility cannot replenish from itself"


def test_customer_no_site_can_reach(issues: Issues) -> None:
    text = mutate("    orders_per_day: 1\n", "    orders_per_day: 1\n    strategy: cross_dock\n")
    i = only(issues(text))
    assert i.path == "customers.C1.strategy"
    assert i.message.startswith("no cross_dock site can serve this customer")
    assert i.line == line_of(text, "strategy: cross_dock")


def test_customer_served_by_a_supplier_without_direct_strategy(issues: Issues) -> None:
    text = mutate("    orders_per_day: 1\n", "    orders_per_day: 1\n    served_by: SUP\n")
    i = only(issues(text))
    assert i.path == "customers.C1.served_by"
    assert "'SUP' is a supplier: set `strategy: direct`" in i.message
    assert i.line == line_of(text, "served_by: SUP")


def test_customer_group_no_site_can_reach(issues: Issues) -> None:
    text = BASE + mutate("    orders_per_day: 1\n", "    orders_per_day: 1\n    strategy: cross_dock\n",
                         GROUP.replace("0.3}", "0.5}"))
    i = only(issues(text))
    assert i.path == "customer_groups.G-.strategy"
    assert i.message.startswith("no cross_dock site can serve this customer")


def test_product_no_supplier_makes(issues: Issues) -> None:
    text = mutate("products: [P1, P2]", "products: [P1]")
    i = only(issues(text))
    assert i.path == "products.P2"
    assert i.message.startswith("no supplier makes 'P2' and no plant stocks it")
    assert i.line == line_of(text, "- id: P2")


# ------------------------------------------------------------------ ranges
def test_probability_above_one(issues: Issues) -> None:
    text = mutate("reliability: 0.9", "reliability: 1.5")
    i = only(issues(text))
    assert i.path == "suppliers.SUP.reliability"
    assert i.message == "Input should be less than or equal to 1 (got 1.5)"
    assert i.line == line_of(text, "reliability: 1.5")


def test_probability_below_zero(issues: Issues) -> None:
    text = mutate("    price: 10\n", "    price: 10\n    return_rate: -0.1\n")
    i = only(issues(text))
    assert i.path == "products.P1.return_rate"
    assert i.message == "Input should be greater than or equal to 0 (got -0.1)"


def test_negative_quantity_or_cost(issues: Issues) -> None:
    text = mutate("    price: 20\n", "    price: -20\n")
    i = only(issues(text))
    assert i.path == "products.P2.price"
    assert i.message == "Input should be greater than or equal to 0 (got -20)"
    assert i.line == line_of(text, "price: -20")


def test_order_up_to_below_reorder_point(issues: Issues) -> None:
    text = mutate("{policy: sS, s: 10, S: 40}", "{policy: sS, s: 50, S: 40}")
    i = only(issues(text))
    assert i.path == "facilities.DC.inventory.default.S"
    assert i.message.startswith("S (40) is below s (50)")
    assert i.line == line_of(text, "s: 50, S: 40")


def test_unknown_policy_suggests_one(issues: Issues) -> None:
    text = mutate("{policy: sS, s: 5, S: 20}", "{policy: Ss, s: 5, S: 20}")
    i = only(issues(text))
    assert i.path == "facilities.WH.inventory.default"
    assert i.message.startswith("unknown policy 'Ss' (did you mean 'sS'?)")


def test_horizon_shorter_than_warmup(issues: Issues) -> None:
    text = mutate("warmup_days: 10", "warmup_days: 200")
    i = only(issues(text))
    assert i.path == "simulation.warmup_days"
    assert i.message == "warm-up (200 days) is not shorter than the horizon (100 days)"
    assert i.line == 2


# ------------------------------------------------------------------ distributions
@pytest.mark.parametrize(("law", "message"), [
    ("{dist: poison, mean: 2}", "unknown dist 'poison' (did you mean 'poisson'?)"),
    ("{dist: negbin, mean: 5, sd: 2}", "negbin needs sd^2 > mean (got sd^2=4, mean=5)"),
    ("{dist: triangular, low: 3, mode: 1, high: 5}", "needs low <= mode <= high (got 3, 1, 5)"),
    ("{dist: uniform, low: 5, high: 1}", "high (1) is below low (5)"),
    ("{dist: empirical, values: [1, 2], weights: [1]}", "weights has 1 entries but values has 2"),
    ("{mean: 2}", "needs a `dist` key"),
])
def test_bad_distribution(issues: Issues, law: str, message: str) -> None:
    text = mutate("lead_time: 2", f"lead_time: {law}")
    i = only(issues(text))
    assert i.path == "suppliers.SUP.lead_time"
    assert message in i.message
    assert i.line == line_of(text, "lead_time:")


def test_distribution_parameter_missing_and_unknown(issues: Issues) -> None:
    text = mutate("lead_time: 2", "lead_time: {dist: normal, mean: 3, sigma: 1}")
    found = {i.path: i for i in issues(text)}
    assert found["suppliers.SUP.lead_time.sd"].message == "required field 'sd' is missing"
    assert found["suppliers.SUP.lead_time.sigma"].message.startswith("unknown key 'sigma'")


# ------------------------------------------------------------------ groups, promotions, misc
def test_tier_mix_must_sum_to_one(issues: Issues) -> None:
    text = BASE + GROUP
    i = only(issues(text))
    assert i.path == "customer_groups.G-.tier_mix"
    assert i.message == "tier shares add up to 0.8, not 1"
    assert i.line == line_of(text, "tier_mix")


def test_promotion_after_the_horizon_is_ignored_with_a_note() -> None:
    from supplylab.scenario import loads
    from supplylab.scenario.checks import events_after_horizon

    text = BASE + "promotions:\n  - {id: PR, product: P1, start_day: 150, end_day: 160, discount: 0.1}\n"
    sc = loads(text)  # valid: the same rule as --days (ignored, with a note), not an error
    assert events_after_horizon(sc) == ["promotion PR starts on day 150, after the 100-day "
                                        "horizon: ignored"]
    assert events_after_horizon(sc, 200) == []


def test_promotion_ends_before_it_starts(issues: Issues) -> None:
    text = BASE + "promotions:\n  - {id: PR, product: P1, start_day: 50, end_day: 40, discount: 0.1}\n"
    i = only(issues(text))
    assert i.path == "promotions.PR"
    assert i.message == "end_day (40) must be after start_day (50)"


def test_disruption_needs_one_form(issues: Issues) -> None:
    text = BASE + "disruptions:\n  - {id: D1, target: SUP, start_day: 5}\n"
    i = only(issues(text))
    assert i.path == "disruptions.D1"
    assert "needs both start_day and duration_days" in i.message


def test_demand_needs_one_form(issues: Issues) -> None:
    text = mutate("    orders_per_day: 1\n", "    orders_per_day: 1\n    demand: {P1: 3}\n")
    i = only(issues(text))
    assert i.path == "customers.C1"
    assert "not both" in i.message


def test_a_scenario_needs_products(issues: Issues) -> None:
    i = only(issues("name: nothing\n"))
    assert i.path == "products"
    assert i.message == "required field 'products' is missing"


def test_every_error_of_the_file_at_once(issues: Issues) -> None:
    text = mutate("reliability: 0.9", "reliability: 1.5")
    text = mutate("    price: 20\n", "    price: -20\n", text)
    text = mutate("    lead_time: 2\n", "    lead_tme: 2\n", text)
    found = issues(text)
    assert [i.path for i in found] == ["products.P2.price", "suppliers.SUP.lead_tme",
                                       "suppliers.SUP.reliability"]
    assert [i.line for i in found] == sorted(i.line for i in found)


def test_every_reference_error_at_once(issues: Issues) -> None:
    text = mutate("tier: gold", "tier: glod")
    text = mutate("replenish_from: SUP", "replenish_from: SUPP", text)
    text = mutate("products: [P1, P2]", "products: [P1, P3]", text)
    found = issues(text)
    assert {i.path for i in found} >= {"customers.C1.tier", "facilities.DC.replenish_from",
                                       "suppliers.SUP.products.1"}


def test_issue_reads_file_line_col_path_message(issues: Issues, tmp_path: Path) -> None:
    text = mutate("reliability: 0.9", "reliability: 1.5")
    i = only(issues(text))
    assert str(i) == (f"{tmp_path / 'scenario.yaml'}:{i.line}:{i.col}: suppliers.SUP.reliability: "
                      "Input should be less than or equal to 1 (got 1.5)")


# ------------------------------------------------------------------ unions: one clear line
@pytest.mark.parametrize("value, message", [
    ("abc", "needs a number or a mapping such as {dist: poisson, mean: 3} (got 'abc')"),
    ('"2"', "needs a number or a mapping such as {dist: poisson, mean: 3} (got the text '2': "
            "write the number without quotes)"),
    ("true", "needs a number or a mapping such as {dist: poisson, mean: 3} (got true/false)"),
    ("[2]", "needs a number or a mapping such as {dist: poisson, mean: 3} "
            "(got a list of 1 item(s))"),
])
def test_a_random_quantity_that_is_neither_a_number_nor_a_law(issues: Issues, value: str,
                                                               message: str) -> None:
    """Before: 'Input should be a valid dictionary or object to extract fields from'."""
    i = only(issues(mutate("    lead_time: 2\n", f"    lead_time: {value}\n")))
    assert (i.path, i.message) == ("suppliers.SUP.lead_time", message)


@pytest.mark.parametrize("value, path, message", [
    ("{P1: -3}", "suppliers.SUP.capacity_per_day.P1",
     "Input should be greater than or equal to 0 (got -3)"),
    ("-3", "suppliers.SUP.capacity_per_day",
     "Input should be greater than or equal to 0 (got -3)"),
    ("abc", "suppliers.SUP.capacity_per_day",
     "Input should be a valid number (got 'abc'); or Input should be a valid dictionary "
     "(got 'abc')"),
])
def test_a_number_or_mapping_field_reports_the_branch_that_fits_the_value(
        issues: Issues, value: str, path: str, message: str) -> None:
    """A mapping with a bad entry is not also told it is not a number (pydantic's branch
    label 'constrained-float' was shown as a key), a number below its bound is not also told
    it is not a mapping; a value that fits no branch lists them all."""
    i = only(issues(mutate("    lead_time: 2\n", f"    lead_time: 2\n    capacity_per_day: {value}\n")))
    assert (i.path, i.message) == (path, message)
