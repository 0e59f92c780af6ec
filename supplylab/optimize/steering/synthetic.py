"""Seeded synthetic steering instances (benchmarks, scaling studies, tests).

Products come in pairs: an even product is short (its supplier delivers 60-90% of its mean
demand, with a 4-week capacity cut somewhere), the odd one after it is its plentiful
substitute (acceptance 0.3-0.7; priced 0.9-1.4 x the short one, like the 17-inch monitor for
the 15-inch), whose promotion moves 30-60% of its extra units away from the short one. Every product has two discount levels; a third of them pull demand forward. Every
fifth pair shares one supplier pool. Demand is seasonal (a yearly sine, +-20%).
"""

from __future__ import annotations

import numpy as np

from supplylab.optimize.steering.problem import SteeringProblem, SupplyPool


def synthetic_problem(products: int = 200, weeks: int = 52, seed: int = 0) -> SteeringProblem:
    """A SteeringProblem with ``products`` (even) products over ``weeks`` weeks."""
    if products < 2 or products % 2:
        raise ValueError("products must be an even number >= 2 (pairs of short and plentiful)")
    rng = np.random.default_rng(seed)
    n, t = products, weeks
    mean = rng.uniform(50, 500, n)
    season = 1.0 + 0.2 * np.sin(2 * np.pi * (np.arange(t) / 52.0 + rng.uniform(0, 1, n)[:, None]))
    base = mean[:, None] * season
    price = rng.uniform(20, 400, n)
    price[1::2] = price[0::2] * rng.uniform(0.9, 1.4, n // 2)  # a similar, upmarket substitute
    unit_cost = price * rng.uniform(0.5, 0.8, n)
    d1, d2 = rng.uniform(0.05, 0.15, n), rng.uniform(0.2, 0.3, n)
    l1 = 1.0 + d1 * rng.uniform(3, 8, n)
    l2 = l1 + (d2 - d1) * rng.uniform(3, 7, n)
    discount = np.column_stack([d1, d2])
    lift = np.column_stack([l1, l2])
    cross = np.zeros((n, n))
    subst = np.zeros((n, n))
    pools = []
    for k in range(0, n, 2):
        short, plenty = k, k + 1
        subst[short, plenty] = rng.uniform(0.3, 0.7)
        cross[plenty, short] = -rng.uniform(0.3, 0.6)
        cap = np.full(t, mean[short] * rng.uniform(0.6, 0.9))
        w0 = int(rng.integers(0, max(1, t - 4)))
        cap[w0:w0 + 4] *= 0.5
        cap_plenty = np.full(t, mean[plenty] * 3.0)
        if (k // 2) % 5 == 0:
            pools.append(SupplyPool(f"S{k}", (short, plenty), cap + cap_plenty, (1, 1),
                                    (0.98, 0.98)))
        else:
            pools.append(SupplyPool(f"S{k}", (short,), cap, (1,), (0.98,)))
            pools.append(SupplyPool(f"S{k + 1}", (plenty,), cap_plenty, (1,), (0.98,)))
    pull = np.where(rng.uniform(0, 1, n) < 1 / 3, rng.uniform(0.2, 0.5, n), 0.0)
    dip = np.where(pull > 0, 2, 0)
    return SteeringProblem(
        tuple(f"P{i:03d}" for i in range(n)), price, unit_cost, base, discount, lift,
        initial_stock=2.0 * mean, pools=tuple(pools),
        holding=0.25 * unit_cost / 52.0, lost_penalty=0.2 * price, cross=cross,
        substitution=subst, pull_forward=pull, dip_weeks=dip, name=f"synthetic_{n}x{t}")
