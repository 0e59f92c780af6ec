"""Beyond one optimum: the N best distinct networks and cost-versus-service/CO2 Pareto fronts.

* N best: after each optimum, a no-good cut on the open-site vector y excludes that network
  (``sum_{i open} (1 - y_i) + sum_{i closed} y_i >= 1``) and the MIP is solved again.
* Pareto fronts by the epsilon-constraint method: minimise cost subject to the service share
  within a transit limit being at least eps (or CO2 at most eps), for a grid of eps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from supplylab.errors import InfeasibleError
from supplylab.optimize.instances import FacilityProblem
from supplylab.optimize.network import NetworkSolution, as_problem, solve_network
from supplylab.optimize.problem import NetworkDesignProblem, NetworkOptions, ServiceShareRule


def n_best_networks(problem: NetworkDesignProblem | FacilityProblem, options: NetworkOptions,
                    n: int) -> list[NetworkSolution]:
    """Up to ``n`` solutions with pairwise distinct open-site sets, cheapest first.

    Stops early when no further distinct network is feasible. Each is optimal for its set of
    cuts, so solution k is the k-th best network (within the solver's mip_rel_gap).
    """
    problem = as_problem(problem)
    found: list[NetworkSolution] = []
    cuts: list[np.ndarray] = []
    for _ in range(n):
        try:
            sol = solve_network(problem, options, no_goods=cuts, relax_and_report=False)
        except InfeasibleError:
            break
        found.append(sol)
        cuts.append(sol.open_vector)
    return found


def served_share(problem: NetworkDesignProblem, sol: NetworkSolution, max_transit: float) -> float:
    """Share (0..1) of total demand served by sites within ``max_transit`` in ``sol``."""
    if problem.transit is None:
        raise ValueError("served_share needs a transit matrix")
    sidx = {s: i for i, s in enumerate(problem.site_ids)}
    cidx = {c: j for j, c in enumerate(problem.customer_ids)}
    within = sum(u for s, c, u in sol.flows[["site", "customer", "units"]].itertuples(index=False)
                 if problem.transit[sidx[s], cidx[c]] <= max_transit)
    return float(within / max(problem.demand.sum(), 1e-12))


def pareto_service(problem: NetworkDesignProblem, options: NetworkOptions, max_transit: float,
                   shares: Sequence[float]) -> pd.DataFrame:
    """Cost versus the share of demand served within ``max_transit`` (epsilon-constraint).

    Columns: target_share, status, cost, achieved_share, open_sites (count), open_ids.
    Infeasible targets are reported with status 'infeasible' and NaN cost.
    """
    rows = []
    for eps in shares:
        opts = replace(options, service_share=(*options.service_share,
                                               ServiceShareRule(max_transit, float(eps))))
        try:
            sol = solve_network(problem, opts, relax_and_report=False)
        except InfeasibleError:
            rows.append({"target_share": eps, "status": "infeasible", "cost": np.nan,
                         "achieved_share": np.nan, "open_sites": 0, "open_ids": ""})
            continue
        rows.append({"target_share": eps, "status": sol.status, "cost": sol.objective,
                     "achieved_share": served_share(problem, sol, max_transit),
                     "open_sites": len(sol.open_site_ids),
                     "open_ids": ",".join(sol.open_site_ids)})
    return pd.DataFrame(rows)


def pareto_co2(problem: NetworkDesignProblem, options: NetworkOptions,
               points: int = 5) -> pd.DataFrame:
    """Cost versus CO2 (tonnes/yr): ``points`` CO2 caps from the cost-optimal network's CO2
    down to the minimum achievable CO2 (found by minimising CO2 alone).

    Columns: co2_cap_t, status, cost, co2_t, open_sites, open_ids.
    """
    if problem.co2 is None:
        raise ValueError("pareto_co2 needs a co2 matrix")
    base = solve_network(problem, options)
    co2_hi = float(base.flows["co2_t"].sum())
    # the same problem (capacities, allowed pairs, existing sites) with CO2 as its only cost
    # (CO2 is counted on the customer arcs only: upper-echelon flows keep their routes but
    # cost nothing here)
    free = {nm: np.where(np.isfinite(arr), 0.0, np.inf)
            for nm in ("inbound", "replenish") if (arr := getattr(problem, nm)) is not None}
    green = replace(problem, cost=problem.co2.copy(), fixed=np.zeros(problem.m),
                    levels=tuple(replace(lv, fixed_cost=0.0) for lv in problem.levels),
                    sqrt_costs=(), name=problem.name + "_minco2", **free)
    co2_lo = solve_network(green, replace(options, co2_price=0.0)).objective
    rows = []
    for cap in np.linspace(co2_hi, co2_lo, max(points, 2)):
        cap = max(float(cap), co2_lo) * (1 + 1e-6)  # above the MIP feasibility tolerance
        sol = solve_network(problem, replace(options, co2_cap=cap))
        rows.append({"co2_cap_t": cap, "status": sol.status, "cost": sol.objective,
                     "co2_t": float(sol.flows["co2_t"].sum()),
                     "open_sites": len(sol.open_site_ids),
                     "open_ids": ",".join(sol.open_site_ids)})
    return pd.DataFrame(rows)
