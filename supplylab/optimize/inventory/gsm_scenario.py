"""Guaranteed-service placement on a scenario: one GSM per product over its stocking sites.

Stages are the (site, product) pairs with demand; an arc joins a site to each stocking site it
replenishes. Per stage (days, units/day):

* T_k = round(mean lead time + review period) (supplier or upstream processing plus transit);
* h_k = holding_rate_per_year x unit_cost / 365 per unit-day;
* sigma_k = the sd of the pooled daily demand the site sees, times its own safety factor
  z_k = Phi^-1(target_k) (so stages may have different targets; the model then uses z = 1);
* S_k <= 0 at sites that ship to customers (they serve from stock); SI = 0 at supplier-fed sites.

The optimal service times give each site a net replenishment time NRT_k and the base stock
B_k = mu_k NRT_k + z_k sigma_k sqrt(NRT_k). It is written with the site's policy family: the
level of a base stock, S of an RS, and for (s,S) and (r,Q) the reorder point ceil(B_k) - 1 with
the EOQ batch of the single-site policy (S = s + Q).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from scipy import stats

from supplylab.optimize.inventory.demand_stats import lead_time, review_period, site_flows
from supplylab.optimize.inventory.gsm import GSMNetwork
from supplylab.optimize.inventory.gsm_milp import solve_gsm
from supplylab.optimize.inventory.site_policies import SitePolicy, Targets, optimise_policies

DAYS = 365.0


def multi_echelon_policies(scenario: Any, targets: Targets | None = None,
                           time_limit_s: float | None = None) -> tuple[list[SitePolicy], Any]:
    """Single-site policies re-levelled by guaranteed-service placement, and the stage table."""
    import pandas as pd

    targets = targets or Targets()
    single = optimise_policies(scenario, targets)
    by_key = {(p.site, p.product): p for p in single}
    flows = site_flows(scenario)
    net = scenario.network
    rows = []
    out = dict(by_key)
    for prod in scenario.products:
        keys = [k for k in by_key if k[1] == prod.id]
        if not keys:
            continue
        ids = [f"{s}" for s, _ in keys]
        T, h, sig, mean, arcs, ms = [], [], [], [], [], {}
        for site, pid in keys:
            fl = flows[(site, pid)]
            fac = net.facilities[site]
            lt = lead_time(scenario, site, pid)
            pol = by_key[(site, pid)]
            T.append(int(math.floor(lt.mean + review_period(fac, fac.inventory.policy_for(pid))
                                    + 0.5)))
            h.append(scenario.costs.holding_rate_per_year * prod.unit_cost / DAYS)
            z = float(stats.norm.ppf(pol.target))
            sig.append(z * math.sqrt(fl.var))
            mean.append(fl.mean)
            src = net.upstream(site, pid)
            if (src, pid) in by_key:
                arcs.append((src, site))
            if fl.direct > 0:
                ms[site] = 0
        gsm = GSMNetwork.build(ids, T, h, sig, 1.0, arcs, ms, mean=mean,
                               name=f"gsm_{prod.id}")
        sol = solve_gsm(gsm, time_limit_s=time_limit_s)
        base = sol.base_stock()
        for k, (site, pid) in enumerate(keys):
            p = by_key[(site, pid)]
            b = float(math.ceil(base[k] - 1e-9))
            if p.policy == "base_stock":
                params = {"level": b}
            elif p.policy == "RS":
                params = {"S": b}
            elif p.policy == "sS":
                q = p.params["S"] - p.params["s"]
                params = {"s": b - 1.0, "S": b - 1.0 + q}
            else:
                params = {"r": b - 1.0, "Q": p.params["Q"]}
            ss = float(sol.safety_stock()[k])
            out[(site, pid)] = replace(p, params=params, safety_stock=ss,
                                       expected_csl=p.target, expected_fill_rate=float("nan"))
            rows.append({"product": pid, "site": site, "T": int(gsm.T[k]), "S": sol.S[k],
                         "SI": sol.SI[k], "NRT": float(sol.nrt[k]), "safety_stock": ss,
                         "base_stock": float(base[k]), "status": sol.status})
    return [out[(p.site, p.product)] for p in single], pd.DataFrame(rows)
