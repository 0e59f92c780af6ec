"""Service differentiation: a fill-rate level per (site, product) from a menu so that every
tier's demand-weighted fill rate meets its contract at least holding cost, and the service-cost
frontier.

Model (a PuLP MILP through the solver facade), with d_it the units/day of tier t that site-
product i ships to customers, f_im and c_im the expected fill rate and holding cost per year of
menu level m at i (from :func:`choose_policy`):

    min  sum_im c_im x_im
    s.t. sum_m x_im = 1                                              (one_level)
         sum_im d_it f_im x_im >= target_t sum_i d_it   for each tier  (tier_fill_rate)
         x binary.

Site-products that ship to no customer (a DC replenishing warehouses only) keep the policy for
their pooled tier target. The frontier re-solves with every tier target moved by the same
amount; the profit-maximising point picks, per item, the level maximising margin x served units
- holding cost, where margin is price - unit_cost (plus ``stockout_penalty_per_unit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from supplylab.errors import InfeasibleError
from supplylab.optimize.inventory.demand_stats import lead_time, site_flows
from supplylab.optimize.inventory.site_policies import (
    DAYS,
    SitePolicy,
    Targets,
    choose_policy,
    optimise_policies,
    product_abc,
)
from supplylab.optimize.linear import LinearModel
from supplylab.optimize.solver import SolverOptions, solve

DEFAULT_MENU = (0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995)
SHIFTS = (-0.06, -0.04, -0.02, 0.0, 0.01, 0.02)


@dataclass
class Differentiation:
    """Chosen policies, the frontier table and a summary (per-tier targets and achievement)."""

    policies: list[SitePolicy]
    frontier: Any
    summary: dict[str, Any]


class _Menu:
    """Candidate policies per direct-serving site-product and their fill, cost and tier mix."""

    def __init__(self, scenario: Any, targets: Targets, menu: tuple[float, ...]) -> None:
        flows = site_flows(scenario)
        abc = product_abc(scenario, flows)
        self.tiers = sorted(scenario.tiers)
        self.items: list[tuple[str, str]] = []
        self.options: list[list[SitePolicy]] = []
        self.demand: list[np.ndarray] = []
        self.margin: list[float] = []
        prices = {p.id: p for p in scenario.products}
        penalty = scenario.costs.stockout_penalty_per_unit
        for key, fl in flows.items():
            if fl.direct <= 0:
                continue
            lt = lead_time(scenario, *key)
            opts = [choose_policy(scenario, key[0], key[1], fl, lt, targets, abc[key[1]], m)
                    for m in menu]
            self.items.append(key)
            self.options.append(opts)
            self.demand.append(np.array([fl.direct_by_tier.get(t, 0.0) for t in self.tiers]))
            p = prices[key[1]]
            self.margin.append(max(p.price - p.unit_cost, 0.0) + penalty)
        self.fill = np.array([[o.expected_fill_rate for o in opts] for opts in self.options])
        self.cost = np.array([[o.holding_cost_per_year for o in opts] for opts in self.options])
        self.d = np.array(self.demand).reshape(len(self.items), len(self.tiers))

    def solve(self, target: dict[str, float]) -> np.ndarray:
        """The least-cost menu choice per item meeting every tier target (index per item)."""
        n, m = self.fill.shape
        lm = LinearModel(name="service_differentiation")
        x = lm.add_vars("x", (n, m), lower=0.0, upper=1.0, cost=self.cost, integer=True)
        lm.add_rows("one_level", np.repeat(np.arange(n), m), x.reshape(-1), 1.0, 1.0, 1.0,
                    nrows=n)
        rows, cols, vals, lo = [], [], [], []
        for r, t in enumerate(self.tiers):
            need = target[t] * self.d[:, r].sum()
            w = self.d[:, r][:, None] * self.fill
            rows.append(np.full(n * m, r))
            cols.append(x.reshape(-1))
            vals.append(w.reshape(-1))
            lo.append(need)
        lm.add_rows("tier_fill_rate", np.concatenate(rows), np.concatenate(cols),
                    np.concatenate(vals), np.array(lo), np.inf, nrows=len(self.tiers))
        best = self.fill.max(axis=1)
        short = [t for r, t in enumerate(self.tiers)
                 if self.d[:, r].sum() > 0 and self.d[:, r] @ best < lo[r] - 1e-9]
        if short:
            raise InfeasibleError(
                "service differentiation is infeasible: even the highest menu level misses "
                f"the fill-rate target of tier(s) {', '.join(short)}",
                families=[f"tier_fill_rate[{t}]" for t in short],
                shortfall={f"tier_fill_rate[{t}]": float(target[t] - self.d[:, r] @ best
                                                        / self.d[:, r].sum())
                           for r, t in enumerate(self.tiers) if t in short})
        out = solve(lm, SolverOptions(path="pulp", mip_rel_gap=1e-6))
        if not out.has_solution or out.x is None:
            raise InfeasibleError("service differentiation found no solution",
                                  families=["tier_fill_rate"], lp_file=out.lp_file)
        return np.argmax(lm.value(out.x, "x"), axis=1)

    def achieved(self, choice: np.ndarray) -> dict[str, float]:
        f = self.fill[np.arange(len(choice)), choice]
        return {t: float(self.d[:, r] @ f / self.d[:, r].sum()) if self.d[:, r].sum() > 0
                else float("nan") for r, t in enumerate(self.tiers)}

    def total_cost(self, choice: np.ndarray) -> float:
        return float(self.cost[np.arange(len(choice)), choice].sum())

    def profit(self, choice: np.ndarray) -> float:
        f = self.fill[np.arange(len(choice)), choice]
        served = self.d.sum(axis=1) * DAYS * f
        return float(np.asarray(self.margin) @ served - self.total_cost(choice))


def differentiate_service(scenario: Any, targets: Targets | None = None,
                          menu: tuple[float, ...] | None = None) -> Differentiation:
    """Tier-differentiated policies at least holding cost, with the service-cost frontier."""
    import pandas as pd

    targets = targets or Targets()
    menu = tuple(sorted(menu or DEFAULT_MENU))
    mm = _Menu(scenario, targets, menu)
    base = {t: scenario.tiers[t].target_fill_rate for t in mm.tiers}
    choice = mm.solve(base)
    chosen = {item: mm.options[i][choice[i]] for i, item in enumerate(mm.items)}
    policies = [chosen.get((p.site, p.product), p) for p in optimise_policies(scenario, targets)]
    rows = []
    for shift in SHIFTS:
        tgt = {t: min(max(v + shift, 0.0), menu[-1]) for t, v in base.items()}
        try:
            ch = mm.solve(tgt)
        except InfeasibleError:
            continue
        ach = mm.achieved(ch)
        rows.append({"point": f"targets {shift:+.2f}", "holding_cost_per_year": mm.total_cost(ch),
                     "profit_per_year": mm.profit(ch),
                     **{f"target_{t}": tgt[t] for t in mm.tiers},
                     **{f"achieved_{t}": ach[t] for t in mm.tiers}})
    unit_gain = (np.asarray(mm.margin)[:, None] * mm.d.sum(axis=1)[:, None] * DAYS * mm.fill
                 - mm.cost)
    pm = np.argmax(unit_gain, axis=1)
    ach = mm.achieved(pm)
    rows.append({"point": "profit_max", "holding_cost_per_year": mm.total_cost(pm),
                 "profit_per_year": mm.profit(pm),
                 **{f"target_{t}": float("nan") for t in mm.tiers},
                 **{f"achieved_{t}": ach[t] for t in mm.tiers}})
    frontier = pd.DataFrame(rows)
    summary = {"menu": list(menu), "tiers": {t: {"target": base[t],
                                                  "achieved": mm.achieved(choice)[t]}
                                              for t in mm.tiers},
               "holding_cost_per_year": mm.total_cost(choice),
               "items": len(mm.items)}
    return Differentiation(policies, frontier, summary)
