"""Demand a substitute receives while its primary's supply cannot carry the demand.

Where a source's capacity is below the mean demand reaching it (``supply_check``), a share
``u = 1 - capacity / demand`` of the primary's demand at every stock point behind that source
goes unserved in the long run, and the customers who meet the empty shelf take the product's
substitutes as the engine offers them (``sim/orders.py``): at the same site, in the order
listed, the k-th by ``s_k = a_k prod_{m<k} (1 - a_m)`` of them (``a`` = acceptance,
``A = sum_k s_k``). Of those who do not substitute, the ones who wait for a backorder
(``w``: the share of the site's direct demand from customers whose
``min(max_backorder_days, patience)`` is positive) are served later from the same supply, ahead
of new arrivals. The supply, X = (1 - u) D per day, then serves the arrivals who meet stock
(S) and the backorders ((1 - A) w N), and N = D - S arrivals meet the empty shelf:

    N = (D - X) / (1 - (1 - A) w) = u D / (1 - (1 - A) w)   (at most D),

the formula of the steering model (docs/steering.md). ``s_k N`` units/day move to substitute k
at that site; as a random thinning of the primary's compound-Poisson line stream with share
``theta = s_k N / D``, they add ``theta`` times the primary's direct mean, variance and lines,
carry its tier mix, and are pooled up the substitute's replenishment chain like any direct
demand. The substitute's flow records them in ``Flow.spill_in`` so the optimiser can say what
it planned for.

Not added: the substitution at ordinary stock-outs of a primary whose supply is sufficient
(at a fill-rate target beta, at most ``A (1 - beta) D``, a few percent), and a second round
(a substitute whose own supply then becomes short passing demand on).
"""

from __future__ import annotations

from typing import Any

from supplylab.optimize.inventory.demand_stats import Flow, pool


def substitution_shares(product: Any) -> list[tuple[str, float]]:
    """(substitute, s_k) in the engine's order: the share of customers meeting an empty shelf
    of ``product`` who take substitute k."""
    left, out = 1.0, []
    for sub in product.substitutes:
        out.append((sub.product, left * sub.acceptance))
        left *= 1.0 - sub.acceptance
    return out


def add_shortfall_spill(scenario: Any, flows: dict[tuple[str, str], Flow]) -> None:
    """Add to the substitutes' flows the demand that short supply of their primaries sends
    them (units/day; see the module docstring). Changes ``flows`` in place."""
    from supplylab.optimize.inventory.supply_check import supply_shortfalls

    products = {p.id: p for p in scenario.products}
    unmet: dict[tuple[str, str], float] = {}
    for short in supply_shortfalls(scenario, flows):
        u = 1.0 - short.capacity_per_day / short.demand_per_day
        for pid in short.products:
            if not products[pid].substitutes:
                continue
            for site in short.sites:
                unmet[(site, pid)] = max(unmet.get((site, pid), 0.0), u)
    net = scenario.network
    for (site, pid), u in sorted(unmet.items()):
        fl = flows[(site, pid)]
        if fl.direct <= 0:
            continue
        shares = [(q, s) for q, s in substitution_shares(products[pid]) if (site, q) in flows]
        total = sum(s for _, s in shares)
        if total <= 0:
            continue
        waiting = fl.direct_waiting / fl.direct
        meet_empty = min(fl.direct, u * fl.direct / (1.0 - (1.0 - total) * waiting))
        for q, s in shares:
            theta = s * meet_empty / fl.direct
            extra = Flow(mean=theta * fl.direct, var=theta * fl.direct_var,
                         lines_per_day=theta * fl.direct_lines, daily=fl.daily,
                         by_tier={t: theta * x for t, x in fl.direct_by_tier.items()})
            pool(flows, net, site, q, extra)
            into = flows[(site, q)].spill_in
            into[pid] = into.get(pid, 0.0) + extra.mean


def spill_records(flows: dict[tuple[str, str], Flow]) -> list[dict[str, Any]]:
    """What was planned for substitution, JSON-ready: site, substitute, primary, units/day."""
    return [{"site": site, "product": q, "from": pid, "units_per_day": units}
            for (site, q), fl in flows.items() for pid, units in fl.spill_in.items()]
