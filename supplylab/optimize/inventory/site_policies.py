"""Policies per product and site of a scenario, each meeting a service target at least stock.

The policy family of every (site, product) is the one the scenario already uses there, so the
written scenario changes only numbers (a readable diff); the parameters come from:

* (s,S) and (r,Q): Q = EOQ from the fixed cost of one replenishment, K =
  ``costs.ordering_cost_per_order`` plus the inbound lane's ``cost_per_shipment`` (the engine
  charges both on every replenishment), and the holding cost
  ``holding_rate_per_year x unit_cost / 365`` per unit-day (at least 1 unit); the reorder point
  meets the target over the lead time (plus the review period, if any) with the (r,Q) formulas:
  CSL = P(D <= r), fill rate = 1 - [n(r) - n(r+Q)] / Q; S = s + Q; the reorder point is at
  least 0 (a negative one waits for a backlog that lost or cancelled demand never builds);
* base stock, continuous review: one-for-one, the level is r + q with q the mean line size and
  r the (r,Q) reorder point for Q = q; with a review period it is an order-up-to level;
* RS and periodic base stock: CSL = P(D_{L+R} <= S), fill rate
  = 1 - [n_{L+R}(S) - n_L(S)] / (mu R).

Levels are rounded up to whole units (the engine orders whole units), so targets stay met.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from supplylab.errors import InputError, Issue
from supplylab.optimize.inventory.classify import abc_classes, flow_pattern, law_for_pattern
from supplylab.optimize.inventory.demand_stats import (
    Flow,
    LeadTime,
    check_products_have_demand,
    lead_time,
    protection_moments,
    review_period,
    site_flows,
    supply_rate,
    with_dispatch,
)
from supplylab.optimize.inventory.laws import Law, Mixture, law_for
from supplylab.optimize.inventory.single_site import (
    check_target,
    eoq,
    rq_csl,
    rq_fill_rate,
    rq_reorder_for_fill,
    rs_fill_rate,
    rs_level_for_fill,
)
from supplylab.optimize.order_cost import order_fixed_cost

Measure = Literal["fill_rate", "csl"]
DAYS = 365.0


@dataclass(frozen=True)
class Targets:
    """Where service targets come from: one value, per ABC class, or the tiers (default).

    ``measure`` is fill_rate (Type 2, default: tiers contract fill rates) or csl (Type 1).
    """

    measure: Measure = "fill_rate"
    value: float | None = None
    by_class: Mapping[str, float] | None = None
    law: str | None = None

    def __post_init__(self) -> None:
        if self.measure not in ("fill_rate", "csl"):
            raise InputError(f"service measure must be fill_rate or csl, not {self.measure!r}")
        if self.value is not None:
            check_target(self.value, "--target")
        for k, v in (self.by_class or {}).items():
            if k not in ("A", "B", "C"):
                raise InputError(f"class targets are keyed A, B or C, not {k!r}")
            check_target(v, f"target of class {k}")


@dataclass(frozen=True)
class SitePolicy:
    """The chosen policy of one product at one site and what it is expected to achieve."""

    site: str
    product: str
    policy: str
    params: dict[str, float]
    target: float
    measure: str
    law: str
    pattern: str
    abc: str
    demand_per_day: float
    demand_sd_per_day: float
    lead_time_days: float
    lead_time_sd_days: float
    review_days: float
    protection_mean: float
    protection_sd: float
    safety_stock: float
    expected_fill_rate: float
    expected_csl: float
    on_hand_avg: float
    holding_cost_per_year: float
    by_tier: dict[str, float]

    def row(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in (
            "site", "product", "policy", "target", "measure", "law", "pattern", "abc",
            "demand_per_day", "demand_sd_per_day", "lead_time_days", "lead_time_sd_days",
            "review_days", "protection_mean", "protection_sd", "safety_stock",
            "expected_fill_rate", "expected_csl", "on_hand_avg", "holding_cost_per_year")}
        d["params"] = " ".join(f"{k}={v:g}" for k, v in self.params.items())
        return d


def product_abc(scenario: Any, flows: Mapping[tuple[str, str], Flow]) -> dict[str, str]:
    """ABC class per product: the scenario's ``abc_class``, else Pareto on yearly revenue."""
    revenue: dict[str, float] = {}
    direct: dict[str, float] = {}
    for (_, pid), fl in flows.items():
        direct[pid] = direct.get(pid, 0.0) + fl.direct
    for p in scenario.products:
        revenue[p.id] = direct.get(p.id, 0.0) * DAYS * p.price
    derived = abc_classes(revenue)
    return {p.id: p.abc_class or derived[p.id] for p in scenario.products}


def customer_abc(scenario: Any) -> dict[str, str]:
    """ABC class per customer by expected yearly revenue (price x units x margin)."""
    from supplylab.optimize.inventory.demand_stats import customer_demand

    prices = {p.id: p.price for p in scenario.products}
    cache: dict[Any, tuple[float, float]] = {}
    value = {}
    for c in scenario.network.customers:
        mult = scenario.tiers[c.tier].margin_multiplier if c.tier in scenario.tiers else 1.0
        value[c.id] = DAYS * mult * sum(m * prices.get(pid, 0.0)
                                        for pid, (m, _, _) in customer_demand(c, cache).items())
    return abc_classes(value)


def tier_target(scenario: Any, flow: Flow) -> float:
    """The demand-weighted contracted fill rate of the tiers behind a flow."""
    tot = sum(flow.by_tier.values())
    return sum(u * scenario.tiers[t].target_fill_rate for t, u in flow.by_tier.items()) / tot


def _target(scenario: Any, targets: Targets, flow: Flow, abc: str, where: str) -> float:
    if targets.value is not None:
        return targets.value
    if targets.by_class and abc in targets.by_class:
        return targets.by_class[abc]
    t = tier_target(scenario, flow)
    if not (0.0 < t < 1.0):
        raise InputError([Issue(scenario.source, 0, 0, where,
                                f"the tiers behind it ask for a fill rate of {t:g}; targets "
                                "must be below 1 (set tiers.*.target_fill_rate < 1 or give "
                                "--target)")], scenario.source)
    return t


def choose_policy(scenario: Any, site: str, product: str, flow: Flow, lt: LeadTime,
                  targets: Targets, abc: str, target_override: float | None = None
                  ) -> SitePolicy:
    """The policy of ``product`` at ``site`` meeting its target (the family already used)."""
    fac = scenario.network.facilities[site]
    prod = scenario.network.products[product]
    pol = fac.inventory.policy_for(product)
    family = pol.policy
    review = review_period(fac, pol)
    where = f"facilities.{site}.inventory.{product}"
    target = target_override if target_override is not None else _target(
        scenario, targets, flow, abc, where)
    adi, cv2, pattern = flow_pattern(flow.mean, flow.var, flow.lines_per_day, flow.daily)
    h_day = scenario.costs.holding_rate_per_year * prod.unit_cost / DAYS
    k = order_fixed_cost(scenario, site, product)
    q_eoq = max(1.0, math.ceil(eoq(k, h_day, flow.mean)[0])) if h_day > 0 else max(
        1.0, math.ceil(flow.mean * max(review, 1.0)))
    line = max(1.0, flow.mean / flow.lines_per_day) if flow.lines_per_day > 0 else 1.0
    periodic = review > 0
    order = flow.mean * review if family == "RS" or (family == "base_stock" and periodic) \
        else line if family == "base_stock" else q_eoq
    lt = with_dispatch(lt, order, supply_rate(scenario, site, product))
    pm, pv = protection_moments(flow, lt, review)
    lm, lv = protection_moments(flow, lt, 0.0)
    name = targets.law or law_for_pattern(pattern, pm, pv)
    over_l = _protection_law(name, flow, lt, 0.0)
    over_rl = over_l if review == 0 else _protection_law(name, flow, lt, review)
    if family in ("RS",) or (family == "base_stock" and periodic):
        mu_r = flow.mean * review
        if targets.measure == "csl":
            level = over_rl.quantile(target)
        else:
            level = rs_level_for_fill(over_rl, over_l, mu_r, target)
        level = float(math.ceil(level - 1e-9))
        fill = rs_fill_rate(level, over_rl, over_l, mu_r)
        csl = float(over_rl.cdf(level))
        ss = level - pm
        on_hand = max(ss, 0.0) + mu_r / 2.0
        params = {"S": level} if family == "RS" else {"level": level}
    else:
        q = line if family == "base_stock" else q_eoq
        ltd = over_rl if periodic else over_l
        if targets.measure == "csl":
            r = ltd.quantile(target)
        else:
            r = rq_reorder_for_fill(ltd, q, target)
        # at least 0: a negative reorder point triggers only on a backlog, and the engine loses
        # late demand (importance 1) or cancels it after the customer's patience, so the
        # backlog the formula relies on may never build up and the site would not reorder
        r = max(0.0, float(math.ceil(r - 1e-9)))
        fill = rq_fill_rate(r, q, ltd)
        csl = rq_csl(r, ltd)
        ss = r - ltd.mean
        on_hand = max(ss, 0.0) + q / 2.0
        if family == "sS":
            params = {"s": r, "S": r + q}
        elif family == "rQ":
            params = {"r": r, "Q": q}
        else:
            params = {"level": float(math.ceil(r + q))}
    return SitePolicy(site, product, family, params, target, targets.measure, over_rl.name,
                      pattern, abc, flow.mean, math.sqrt(flow.var), lt.mean, math.sqrt(lt.var),
                      review, pm, math.sqrt(pv), ss, fill, csl, on_hand,
                      on_hand * prod.unit_cost * scenario.costs.holding_rate_per_year,
                      dict(flow.by_tier))


def _protection_law(name: str, flow: Flow, lt: LeadTime, review: float) -> Law | Mixture:
    """Demand over L + R: one law when L is constant, else mixed over the lead-time strata."""
    if not lt.points:
        m, v = protection_moments(flow, lt, review)
        return law_for(name, m, v)
    return Mixture([law_for(name, flow.mean * (x + review), flow.var * (x + review))
                    for x in lt.points])


def optimise_policies(scenario: Any, targets: Targets | None = None,
                      overrides: Mapping[tuple[str, str], float] | None = None,
                      flows: dict[tuple[str, str], Flow] | None = None) -> list[SitePolicy]:
    """A policy for every stocked (site, product) with demand, meeting its target.

    ``overrides`` maps (site, product) to a target that replaces the default one (service
    differentiation uses it); ``flows`` are the scenario's ``site_flows`` when the caller has
    them already (about 1 s on 2,200 customers x 200 products).
    """
    targets = targets or Targets()
    flows = site_flows(scenario) if flows is None else flows
    check_products_have_demand(scenario, flows)
    abc = product_abc(scenario, flows)
    out = []
    leads: dict[tuple[str, str | None], LeadTime] = {}
    net = scenario.network
    for (site, pid), fl in flows.items():
        if fl.mean <= 0:
            continue
        key = (site, net.upstream(site, pid))
        lt = leads.get(key)
        if lt is None:
            lt = leads[key] = lead_time(scenario, site, pid)
        out.append(choose_policy(scenario, site, pid, fl, lt, targets, abc[pid],
                                 (overrides or {}).get((site, pid))))
    return out


def policies_table(policies: list[SitePolicy]):  # noqa: ANN201 - pandas DataFrame
    """Tidy table, one row per (site, product)."""
    import pandas as pd

    return pd.DataFrame([p.row() for p in policies])
