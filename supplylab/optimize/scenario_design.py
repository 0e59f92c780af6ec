"""Network design on a scenario: scenario -> NetworkDesignProblem -> solve -> chosen scenario.

What is taken from the scenario (units in brackets; docs/network_design.md has the table):

* demand per customer [units/yr] = mean daily units x 365, with form (a)
  ``orders_per_day x E[lines] x E[quantity]`` (lines and quantity at least 1; a per-product
  quantity is weighted by the product mix) or form (b) the sum of the products' mean daily
  demand; times ``scale`` and the mean weekly factor; with seasonality, 12 monthly periods
  (each a twelfth of the year) whose demand follows the factors (the trend is ignored);
* sites: facilities of kind warehouse or cross_dock (plants are outside sources);
  ``candidate`` sites may open or close, the others are existing (kept unless
  ``allow_close_existing``); capacity [units/yr] = ``capacity_units_per_day x 365`` (absent =
  unlimited), holding in every month; ``capacity_levels`` become the sizes to choose from;
* echelons: a site another one replenishes from is upper tier (a DC) and keeps its source;
  it serves only the customers the input routes to it (``served_by``, or the nearest site
  stocking a product they order, as the engine routes customers without ``served_by``);
  a site replenished from the upper tier may be replenished from any upper-tier site that
  stocks what it stocks, at (the DC's handling + lane unit cost) per unit; the others are
  supplied from outside at the demand-weighted lane unit cost from their sources;
* cost of serving all of customer j from site i [/yr] = (handling_cost_per_unit +
  lane cost_per_unit + cost_per_unit_km x lane distance) x demand + cost_per_shipment x orders
  per year; lanes are the scenario's (explicit lane, else great-circle x road_factor), and an
  explicit lane's ``capacity_units_per_day`` limits its flow;
* CO2 [t/yr] = co2_kg_per_unit_km x distance x demand / 1000; price converted from per kg;
* transit [days] = the lane's mean transit time; distance [km] = the lane's distance;
* a site may serve a customer only if the scenario could route every product the customer
  orders through it (its strategy's kind of site, stocking the product).

The chosen network is written by :mod:`supplylab.optimize.scenario_output`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from supplylab.errors import InputError, Issue
from supplylab.optimize.network import NetworkSolution, solve_network
from supplylab.optimize.order_cost import order_fixed_cost
from supplylab.optimize.problem import (
    CapacityLevel,
    CoverageRule,
    NetworkDesignProblem,
    NetworkOptions,
    ServiceShareRule,
)
from supplylab.optimize.solver import SolverOptions
from supplylab.optimize.stock_cost import SqrtCost

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
    demand, period_demand, orders = _demand(custs)
    lanes = _customer_lanes(scenario, sites, custs)
    cost = (np.array([f.handling_cost_per_unit for f in sites])[:, None] + lanes["unit"]) \
        * demand[None, :] + lanes["shipment"] * orders[None, :]
    co2 = lanes["co2_per_unit"] * demand[None, :] / 1000.0
    levels = tuple(CapacityLevel(f.id, lv.capacity_units_per_day * DAYS_PER_YEAR,
                                 lv.fixed_cost_per_year, f"size{k + 1}")
                   for f in sites for k, lv in enumerate(f.capacity_levels))
    capacity = np.array([np.inf if f.capacity_units_per_day is None
                         else f.capacity_units_per_day * DAYS_PER_YEAR for f in sites])
    inbound, replenish, repl_cap, upper = _echelons(scenario, sites, custs, demand)
    allowed = _allowed(net, sites, custs)
    if upper:
        routed = _routed_sites(net, custs)
        for i, f in enumerate(sites):
            if f.id in upper:  # a DC serves only the customers the input routes to it
                allowed[i] &= np.array([f.id in r for r in routed])
    problem = NetworkDesignProblem(
        tuple(f.id for f in sites), tuple(c.id for c in custs), demand, cost,
        np.array([float(f.fixed_cost_per_year) for f in sites]), capacity, levels,
        existing=np.array([not f.candidate for f in sites]), co2=co2, transit=lanes["transit"],
        name=scenario.name, distance=lanes["distance"], allowed=allowed,
        inbound=inbound, replenish=replenish,
        arc_capacity=lanes["capacity"] if np.isfinite(lanes["capacity"]).any() else None,
        replenish_capacity=repl_cap, period_demand=period_demand,
        sqrt_costs=_stock_costs(scenario, sites, custs, demand))
    return problem, _options(scenario, custs), custs


def _stock_costs(scenario: Any, sites: list[Any], custs: list[Any],
                 demand: np.ndarray) -> tuple[SqrtCost, ...]:
    """Safety stock and EOQ cycle stock per customer-facing site (``network_design.inventory``).

    Safety stock = z sqrt(L_i sum_j sigma_j^2 x_ij) units at value c and holding rate h per
    year; L_i [days] is the site's replenishment lead time from its scenario source (supplier
    lead time or the DC's processing time, plus transit, plus the review period); sigma_j^2 the
    variance of j's daily units. Cycle stock and ordering: sqrt(2 A_i h c D_i) with A_i the
    fixed cost of one replenishment order at site i as the engine charges it (ordering cost plus
    the inbound lane's cost per shipment, weighted by the product mix) and D_i the site's yearly
    units. c is the demand-weighted unit cost.
    """
    inv = scenario.network_design.inventory
    if inv is None:
        return ()
    from statistics import NormalDist

    net = scenario.network
    weights = _product_weights(net, custs, demand)
    value = sum(w * net.products[p].unit_cost for p, w in weights.items())
    h = scenario.costs.holding_rate_per_year
    if value * h <= 0:
        return ()
    lead = np.array([_lead_time(net, f, weights) for f in sites])
    var = np.array([daily_variance(c) for c in custs])
    z = NormalDist().inv_cdf(inv.service_level)
    out = [SqrtCost("safety_stock", lead[:, None] * var[None, :],
                    np.full(len(sites), max(z, 0.0) * h * value), inv.segments)]
    order = np.array([sum(w * order_fixed_cost(scenario, f.id, p) for p, w in weights.items())
                      for f in sites])
    if (order > 0).any():
        out.append(SqrtCost("cycle_stock", np.broadcast_to(demand, (len(sites), len(custs))).copy(),
                            np.sqrt(2 * order * h * value), inv.segments))
    return tuple(out)


def _lead_time(net: Any, site: Any, weights: dict[str, float]) -> float:
    """Mean replenishment lead time of a site from its scenario sources [days]."""
    total = 0.0
    for pid, w in weights.items():
        src = net.upstream(site.id, pid)
        if src is None:
            days = _mean(site.production_lead_time)
        elif src in net.suppliers:
            days = _mean(net.suppliers[src].lead_time) + _mean(net.lane(src, site.id).transit_time)
        else:
            days = _mean(net.facilities[src].order_processing_time) + \
                _mean(net.lane(src, site.id).transit_time)
        total += w * days
    return total + site.review_period_days


def daily_variance(c: Any) -> float:
    """Variance of a customer's daily units [units^2/day]: form (b) the sum of the products'
    variances x scale^2; form (a) compound Poisson, rate x E[U^2] with U the units of an
    order (lines x quantity, each at least 1)."""
    if c.demand is not None:
        return sum(_var(d) for d in c.demand.values()) * c.scale ** 2
    rate = float(c.orders_per_day or 0.0) * c.scale
    lines, lines_var = max(1.0, _mean(c.lines_per_order)), _var(c.lines_per_order)
    if isinstance(c.quantity, dict):
        mix = {p: w for p, w in c.product_mix.items() if w > 0}
        tot = sum(mix.values()) or 1.0
        laws = [(w / tot, c.quantity.get(p, 1)) for p, w in mix.items()]
        qty = sum(w * max(1.0, _mean(q)) for w, q in laws)
        qty_var = sum(w * (_var(q) + max(1.0, _mean(q)) ** 2) for w, q in laws) - qty ** 2
    else:
        qty, qty_var = max(1.0, _mean(c.quantity)), _var(c.quantity)
    mean_u = lines * qty
    var_u = lines * qty_var + lines_var * qty ** 2
    return rate * (var_u + mean_u ** 2)


def _var(law: Any) -> float:
    return float(law.variance()) if hasattr(law, "variance") else 0.0


def _demand(custs: list[Any]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Yearly demand and orders per customer, and monthly demand (None without seasonality)."""
    n = len(custs)
    daily = np.zeros(n)
    orders = np.zeros(n)
    season = np.ones((12, n))
    for j, c in enumerate(custs):
        units, rate = daily_units(c)
        daily[j] = units * c.scale * (float(np.mean(c.weekly)) if c.weekly else 1.0)
        orders[j] = rate * (c.scale if c.demand is None else 1.0) * DAYS_PER_YEAR
        if c.seasonality:
            season[:, j] = c.seasonality
    monthly = daily[None, :] * season * DAYS_PER_YEAR / 12.0
    demand = monthly.sum(axis=0)
    seasonal = any(c.seasonality for c in custs)
    return demand, (monthly if seasonal else None), orders


def _customer_lanes(scenario: Any, sites: list[Any], custs: list[Any]) -> dict[str, np.ndarray]:
    """Site x customer lane data, vectorised: derived lanes from transport_defaults and the
    great-circle distance, explicit lanes through ``Network.lane`` (the engine's own)."""
    from supplylab.scenario.network import haversine_km

    td = scenario.transport_defaults
    net = scenario.network
    lats = np.array([c.location.lat for c in custs])
    lons = np.array([c.location.lon for c in custs])
    dist = np.vstack([haversine_km(f.location.lat, f.location.lon, lats, lons)
                      for f in sites]) * td.road_factor
    out = {"distance": dist, "transit": np.maximum(td.min_transit_days, dist / td.speed_km_per_day),
           "unit": td.cost_per_unit_km * dist, "shipment": np.full(dist.shape, td.cost_per_shipment),
           "co2_per_unit": td.co2_kg_per_unit_km * dist, "capacity": np.full(dist.shape, np.inf)}
    sidx = {f.id: i for i, f in enumerate(sites)}
    cidx = {c.id: j for j, c in enumerate(custs)}
    for ln in scenario.lanes:
        i, j = sidx.get(ln.from_), cidx.get(ln.to)
        if i is None or j is None:
            continue
        lane = net.lane(ln.from_, ln.to)
        out["distance"][i, j] = lane.distance_km
        out["transit"][i, j] = _mean(lane.transit_time)
        out["unit"][i, j] = lane.unit_cost()
        out["shipment"][i, j] = lane.cost_per_shipment
        out["co2_per_unit"][i, j] = lane.co2_kg_per_unit_km * lane.distance_km
        if lane.capacity_units_per_day is not None:
            out["capacity"][i, j] = lane.capacity_units_per_day * DAYS_PER_YEAR
    return out


def _allowed(net: Any, sites: list[Any], custs: list[Any]) -> np.ndarray:
    """(m, n): the scenario can route every product the customer orders through the site."""
    servable: dict[tuple[str, str], frozenset[str]] = {}
    for strategy in {c.strategy for c in custs}:
        for f in sites:
            ok = set()
            for pid in net.products:
                try:
                    net.source_chain(strategy, f.id, pid)
                except LookupError:
                    continue
                ok.add(pid)
            servable[(strategy, f.id)] = frozenset(ok)
    allowed = np.zeros((len(sites), len(custs)), dtype=bool)
    memo: dict[tuple[str, frozenset[str]], np.ndarray] = {}
    for j, c in enumerate(custs):
        key = (c.strategy, frozenset(net.demanded_products(c)))
        col = memo.get(key)
        if col is None:
            col = np.array([key[1] <= servable[(c.strategy, f.id)] for f in sites])
            memo[key] = col
        allowed[:, j] = col
    return allowed


def _routed_sites(net: Any, custs: list[Any]) -> list[frozenset[str]]:
    """Per customer, the sites the input scenario ships its products from: its
    ``served_by``, else the nearest site stocking each product (the engine's default)."""
    out: list[frozenset[str]] = []
    for c in custs:
        if c.served_by is not None:
            out.append(frozenset((c.served_by,)))
            continue
        found = set()
        for pid in net.demanded_products(c):
            try:
                found.add(net.serving_site(c.strategy, None, pid, c.location))
            except LookupError:
                continue
        out.append(frozenset(found))
    return out


def _echelons(scenario: Any, sites: list[Any], custs: list[Any], demand: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, set[str]]:
    """Inbound cost per unit from outside (suppliers, plants), replenishment cost per unit
    between sites, replenishment lane capacities (units/yr), and the upper-tier site ids.

    The upper tier is every design site another one replenishes from in the scenario. An
    upper-tier site keeps its scenario source; a lower-tier site replenished from the upper
    tier may be replenished from any upper-tier site that stocks what it stocks (the sourcing
    decision); the others are supplied from outside as in the scenario. Per-unit costs are
    averaged over products with the network's demand mix.
    """
    net = scenario.network
    ids = [f.id for f in sites]
    idx = {s: i for i, s in enumerate(ids)}
    weights = _product_weights(net, custs, demand)
    m = len(sites)
    sources = [{p: net.upstream(f.id, p) for p in weights} for f in sites]
    upper = {src for srcs in sources for src in srcs.values() if src in idx}
    inbound = np.full(m, np.inf)
    replenish = np.full((m, m), np.inf)
    lane_cap = np.full((m, m), np.inf)
    for i, f in enumerate(sites):
        inside = [s for s in sources[i].values() if s in idx]
        if not inside:
            inbound[i] = sum(w * _inbound_unit(net, sources[i][p], f.id)
                             for p, w in weights.items())
            continue
        stocked = [p for p in weights if f.stocks(p)]
        pool = [max(set(inside), key=inside.count)] if f.id in upper else [
            k for k in upper if k != f.id and all(sites[idx[k]].stocks(p) for p in stocked)]
        for k in pool:
            lane = net.lane(k, f.id)
            replenish[idx[k], i] = sites[idx[k]].handling_cost_per_unit + lane.unit_cost()
            if lane.capacity_units_per_day is not None:
                lane_cap[idx[k], i] = lane.capacity_units_per_day * DAYS_PER_YEAR
    return inbound, replenish, (lane_cap if np.isfinite(lane_cap).any() else None), upper


def _inbound_unit(net: Any, source: str | None, site: str) -> float:
    """Transport cost per unit from an outside source (None: the site's own production)."""
    return 0.0 if source is None else net.lane(source, site).unit_cost()


def _product_weights(net: Any, custs: list[Any], demand: np.ndarray) -> dict[str, float]:
    """Share of the network's yearly units per product (customers' mixes x their demand)."""
    totals: dict[str, float] = {}
    memo: dict[int, dict[str, float]] = {}
    for j, c in enumerate(custs):
        key = id(c.product_mix) if c.demand is None else id(c.demand)
        mix = memo.get(key)
        if mix is None:
            if c.demand is not None:
                raw = {p: _mean(d) for p, d in c.demand.items()}
            else:
                raw = {p: w for p, w in c.product_mix.items() if w > 0}
            tot = sum(raw.values()) or 1.0
            mix = memo[key] = {p: v / tot for p, v in raw.items()}
        for p, w in mix.items():
            totals[p] = totals.get(p, 0.0) + w * demand[j]
    grand = sum(totals.values()) or 1.0
    return {p: v / grand for p, v in totals.items()}


def _options(scenario: Any, custs: list[Any]) -> NetworkOptions:
    nd = scenario.network_design
    coverage = []
    share = []
    for rule in nd.service:
        ids = tuple(c.id for c in custs if rule.tier is None or c.tier == rule.tier)
        if not ids:
            continue
        if rule.share is None or rule.max_transit_days is None:
            coverage.append(CoverageRule(rule.max_transit_days, ids, nd.service_penalty_per_unit,
                                         rule.max_distance_km))
        else:
            share.append(ServiceShareRule(rule.max_transit_days, rule.share,
                                          nd.service_penalty_per_unit,
                                          ids if rule.tier is not None else ()))
    if nd.demand_within is not None:
        share.append(ServiceShareRule(nd.demand_within.days, nd.demand_within.share,
                                      nd.service_penalty_per_unit))
    return NetworkOptions(
        single_source=nd.sourcing == "single", strong=True, method=nd.method,
        existing_policy="may_close" if nd.allow_close_existing else "keep",
        min_open=nd.min_open, max_open=nd.max_open,
        coverage=tuple(coverage), service_share=tuple(share),
        co2_price=nd.co2_price_per_kg * 1000.0,
        capacity_penalty=nd.capacity_penalty_per_unit,
        # HiGHS gets the model as one matrix (the PuLP hand-over took 3-6 s on 2,200 x 24)
        solver=SolverOptions(solver=nd.solver, path="matrix" if nd.solver == "highs" else "pulp",
                             mip_rel_gap=nd.gap, time_limit_s=nd.time_limit_s))


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
                  single_source: bool | None = None, method: str | None = None
                  ) -> NetworkOptions:
    """The scenario's options with only the given settings replaced.

    ``solver_settings``: fields of :class:`SolverOptions` (solver, mip_rel_gap, time_limit_s,
    path, threads); ``path="matrix"`` also turns on lazy linking rows. ``single_source``: None
    keeps the scenario's ``sourcing``; ``method`` (auto | mip | lagrangian): None keeps the
    scenario's ``network_design.method``.
    """
    if solver_settings:
        settings = dict(solver_settings)
        if settings.get("solver") == "cbc":
            settings.setdefault("path", "pulp")  # CBC is reached through PuLP only
        options = replace(options, solver=replace(options.solver, **settings))
        if solver_settings.get("path") == "matrix":
            options = replace(options, lazy_linking=True)
    if single_source is not None:
        options = replace(options, single_source=single_source)
    if method is not None:
        options = replace(options, method=method)  # type: ignore[arg-type]
    return options


def optimise_scenario(path: str | Path, output: str | Path | None = None, *,
                      solver_settings: Mapping[str, Any] | None = None,
                      single_source: bool | None = None,
                      method: str | None = None, alternatives: bool = False) -> ScenarioDesign:
    """Load a scenario, solve its network design, and write the chosen scenario to ``output``.

    The scenario's ``network_design`` section gives the settings; ``solver_settings`` and
    ``single_source`` and ``method`` replace only what they name (see :func:`study_options`).
    The written file is validated by loading it back. ``alternatives``: the caller will also
    ask for N best networks or a Pareto front, which method ``lagrangian`` cannot give, so
    that method is refused before anything is solved.
    """
    from supplylab.scenario import load

    scenario = load(path)
    problem, options, _ = scenario_problem(scenario)
    options = study_options(options, solver_settings, single_source, method)
    if alternatives and options.method == "lagrangian":
        from supplylab.scenario.errors import position

        where = position(getattr(scenario, "_positions", {}) or {},
                         ("network_design", "method"), str(path))
        raise InputError([Issue(*where, "network_design.method",
                                "'lagrangian' cannot give the N best networks or a Pareto front "
                                "(they add rows the pipeline does not take): set auto or mip, "
                                "or pass --method auto")])
    solution = solve_network(problem, options)
    if output is None:
        return ScenarioDesign(scenario, problem, options, solution, None)
    from supplylab.optimize.scenario_output import write_chosen_scenario

    out = write_chosen_scenario(scenario, Path(path), Path(output), problem, solution)
    return ScenarioDesign(scenario, problem, options, solution, out)
