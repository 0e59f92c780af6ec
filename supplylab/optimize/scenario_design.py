"""Network design on a scenario: scenario -> NetworkDesignProblem -> solve -> chosen scenario.

What is taken from the scenario (units in brackets):

* demand per customer [units/yr] = mean daily units x 365, with form (a)
  ``orders_per_day x E[lines] x E[quantity]`` (lines and quantity at least 1; a per-product
  quantity is weighted by the product mix) or form (b) the sum of the products' mean daily
  demand; times ``scale`` and the mean seasonality and weekly factors (the trend is ignored);
* sites: facilities of kind warehouse or cross_dock (plants stay as they are); ``candidate``
  sites may open or close, the others are existing (kept unless ``allow_close_existing``); a
  facility that another facility replenishes from is kept open (the design is single-echelon);
  capacity [units/yr] = ``capacity_units_per_day x 365`` (absent = unlimited);
  ``capacity_levels`` become the sizes to choose from;
* cost of serving all of customer j from site i [/yr] = (handling_cost_per_unit +
  lane cost_per_unit + cost_per_unit_km x lane distance) x demand + cost_per_shipment x orders
  per year; lanes are the scenario's (explicit lane, else great-circle x road_factor);
* CO2 [t/yr] = co2_kg_per_unit_km x distance x demand / 1000; price converted from per kg;
* transit [days] = the lane's mean transit time; distance [km] = the lane's distance;
* a site may serve a customer only if the scenario could route every product the customer
  orders through it (its strategy's kind of site, stocking the product).

The output scenario has the closed sites removed (with the lanes and disruptions that name
them), each chosen size written as the site's capacity and fixed cost, and every modelled
customer's ``served_by`` set to its main site (groups: when all their customers share one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from supplylab.errors import InputError
from supplylab.optimize.network import NetworkSolution, solve_network
from supplylab.optimize.problem import (
    CapacityLevel,
    CoverageRule,
    NetworkDesignProblem,
    NetworkOptions,
    ServiceShareRule,
)
from supplylab.optimize.solver import SolverOptions
from supplylab.scenario.network import generate_customers

DAYS_PER_YEAR = 365.0
DESIGN_KINDS = ("warehouse", "cross_dock")


def _mean(law: Any) -> float:
    return float(law.mean()) if hasattr(law, "mean") else float(law)


def daily_units(c: Any) -> tuple[float, float]:
    """(mean units/day, orders/day) of a customer, before scale and seasonal factors."""
    if c.demand is not None:
        return sum(_mean(d) for d in c.demand.values()), 1.0
    rate = float(c.orders_per_day or 0.0)
    lines = max(1.0, _mean(c.lines_per_order))
    if isinstance(c.quantity, dict):
        mix = {p: w for p, w in c.product_mix.items() if w > 0}
        tot = sum(mix.values()) or 1.0
        qty = sum(w / tot * max(1.0, _mean(c.quantity.get(p, 1))) for p, w in mix.items())
    else:
        qty = max(1.0, _mean(c.quantity))
    return rate * lines * qty, rate


def scenario_problem(scenario: Any) -> tuple[NetworkDesignProblem, NetworkOptions, list[Any]]:
    """Build the network-design problem and options of a validated scenario.

    Returns (problem, options, customers) where ``customers`` are the modelled customer
    objects (explicit and generated), in the problem's column order.
    """
    net = scenario.network
    sites = [f for f in scenario.facilities if f.kind in DESIGN_KINDS]
    custs = [c for c in net.customers if c.strategy in ("classic", "cross_dock")]
    if not sites or not custs:
        raise InputError("network design needs at least one warehouse or cross_dock and one "
                         "customer served through one", file=scenario.source)
    m, n = len(sites), len(custs)
    demand = np.zeros(n)
    orders = np.zeros(n)
    for j, c in enumerate(custs):
        units, rate = daily_units(c)
        factor = c.scale
        if c.seasonality:
            factor *= float(np.mean(c.seasonality))
        if c.weekly:
            factor *= float(np.mean(c.weekly))
        demand[j] = units * factor * DAYS_PER_YEAR
        orders[j] = rate * (c.scale if c.demand is None else 1.0) * DAYS_PER_YEAR
    cost = np.zeros((m, n))
    co2 = np.zeros((m, n))
    transit = np.zeros((m, n))
    distance = np.zeros((m, n))
    allowed = np.zeros((m, n), dtype=bool)
    for i, f in enumerate(sites):
        for j, c in enumerate(custs):
            lane = net.lane(f.id, c.id)
            unit = f.handling_cost_per_unit + lane.unit_cost()
            cost[i, j] = unit * demand[j] + lane.cost_per_shipment * orders[j]
            co2[i, j] = lane.co2_kg_per_unit_km * lane.distance_km * demand[j] / 1000.0
            transit[i, j] = _mean(lane.transit_time)
            distance[i, j] = lane.distance_km
            allowed[i, j] = _can_serve(net, c, f.id)
    levels = tuple(CapacityLevel(f.id, lv.capacity_units_per_day * DAYS_PER_YEAR,
                                 lv.fixed_cost_per_year, f"size{k + 1}")
                   for f in sites for k, lv in enumerate(f.capacity_levels))
    capacity = np.array([np.inf if f.capacity_units_per_day is None
                         else f.capacity_units_per_day * DAYS_PER_YEAR for f in sites])
    problem = NetworkDesignProblem(
        tuple(f.id for f in sites), tuple(c.id for c in custs), demand, cost,
        np.array([float(f.fixed_cost_per_year) for f in sites]), capacity, levels,
        existing=np.array([not f.candidate for f in sites]), co2=co2, transit=transit,
        name=scenario.name, distance=distance, allowed=allowed)
    return problem, _options(scenario, sites, custs), custs


def _can_serve(net: Any, customer: Any, site: str) -> bool:
    for pid in net.demanded_products(customer):
        try:
            net.source_chain(customer.strategy, site, pid, location=customer.location)
        except LookupError:
            return False
    return True


def _options(scenario: Any, sites: list[Any], custs: list[Any]) -> NetworkOptions:
    nd = scenario.network_design
    upstream = {f.source_for(p.id) for f in scenario.facilities for p in scenario.products}
    keep = tuple(f.id for f in sites if f.id in upstream)
    coverage = []
    for rule in nd.service:
        ids = tuple(c.id for c in custs if rule.tier is None or c.tier == rule.tier)
        if ids:
            coverage.append(CoverageRule(rule.max_transit_days, ids, nd.service_penalty_per_unit,
                                         rule.max_distance_km))
    share = ()
    if nd.demand_within is not None:
        share = (ServiceShareRule(nd.demand_within.days, nd.demand_within.share,
                                  nd.service_penalty_per_unit),)
    return NetworkOptions(
        single_source=nd.sourcing == "single", strong=True,
        existing_policy="may_close" if nd.allow_close_existing else "keep",
        forced_open=keep, min_open=nd.min_open, max_open=nd.max_open,
        coverage=tuple(coverage), service_share=share,
        co2_price=nd.co2_price_per_kg * 1000.0,
        capacity_penalty=nd.capacity_penalty_per_unit,
        solver=SolverOptions(solver=nd.solver, mip_rel_gap=nd.gap, time_limit_s=nd.time_limit_s))


def chosen_scenario_data(scenario: Any, problem: NetworkDesignProblem,
                         solution: NetworkSolution) -> dict[str, Any]:
    """The scenario's data with the chosen network written in (closed sites removed)."""
    data = scenario.data()
    open_ids = set(solution.open_site_ids)
    closed = {s for s in problem.site_ids if s not in open_ids}
    sizes = solution.open_sites.set_index("site")
    facilities = []
    for f in data.get("facilities", []):
        if f["id"] in closed:
            continue
        if f["id"] in sizes.index and f.get("capacity_levels"):
            row = sizes.loc[f["id"]]
            f = {k: v for k, v in f.items() if k != "capacity_levels"}
            f["capacity_units_per_day"] = float(row["capacity"]) / DAYS_PER_YEAR
            f["fixed_cost_per_year"] = float(row["fixed_cost"])
        facilities.append(f)
    data["facilities"] = facilities
    if "lanes" in data:
        data["lanes"] = [ln for ln in data["lanes"]
                         if ln.get("from") not in closed and ln.get("to") not in closed]
    if "disruptions" in data:
        data["disruptions"] = [d for d in data["disruptions"] if d.get("target") not in closed]
    main = dict(zip(solution.assignments["customer"], solution.assignments["site"], strict=True))
    for c in data.get("customers", []):
        if c["id"] in main:
            c["served_by"] = main[c["id"]]
    groups = {g.id_prefix: g for g in scenario.customer_groups}
    for g in data.get("customer_groups", []):
        members = {main[c.id] for c in generate_customers(groups[g["id_prefix"]])
                   if c.id in main}
        if len(members) == 1:
            g["served_by"] = members.pop()
        else:
            g.pop("served_by", None)
    return data


@dataclass
class ScenarioDesign:
    """What :func:`optimise_scenario` did: the scenario, the problem and options built from it,
    the solution, and the written scenario (None when no output was asked for)."""

    scenario: Any
    problem: NetworkDesignProblem
    options: NetworkOptions
    solution: NetworkSolution
    output: Path | None


def study_options(options: NetworkOptions, solver_settings: Mapping[str, Any] | None = None,
                  single_source: bool | None = None) -> NetworkOptions:
    """The scenario's options with only the given settings replaced.

    ``solver_settings``: fields of :class:`SolverOptions` (solver, mip_rel_gap, time_limit_s,
    path, threads); ``path="matrix"`` also turns on lazy linking rows. ``single_source``: None
    keeps the scenario's ``sourcing``.
    """
    if solver_settings:
        options = replace(options, solver=replace(options.solver, **solver_settings))
        if solver_settings.get("path") == "matrix":
            options = replace(options, lazy_linking=True)
    if single_source is not None:
        options = replace(options, single_source=single_source)
    return options


def optimise_scenario(path: str | Path, output: str | Path | None = None, *,
                      solver_settings: Mapping[str, Any] | None = None,
                      single_source: bool | None = None) -> ScenarioDesign:
    """Load a scenario, solve its network design, and write the chosen scenario to ``output``.

    The scenario's ``network_design`` section gives the settings; ``solver_settings`` and
    ``single_source`` replace only what they name (see :func:`study_options`). The written
    file is validated by loading it back.
    """
    from supplylab.scenario import load
    from supplylab.scenario.scenario import build
    from supplylab.scenario.yaml_io import dump_yaml

    scenario = load(path)
    problem, options, _ = scenario_problem(scenario)
    options = study_options(options, solver_settings, single_source)
    solution = solve_network(problem, options)
    if output is None:
        return ScenarioDesign(scenario, problem, options, solution, None)
    data = chosen_scenario_data(scenario, problem, solution)
    build(data, {}, str(output))
    out = Path(output)
    from supplylab.io import write_text_atomic

    write_text_atomic(out, dump_yaml(data))
    return ScenarioDesign(scenario, problem, options, solution, out)
