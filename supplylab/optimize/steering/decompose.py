"""Split a steering problem into independent parts: products linked by a cross effect, a
substitute or a shared supply pool are planned together; other products never interact, so
each connected part is its own (much smaller) MILP. A budget couples every product and turns
the decomposition off."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from supplylab.optimize.steering.problem import SteeringProblem, SupplyPool


def components(problem: SteeringProblem) -> list[np.ndarray]:
    """Product index arrays of the connected parts, in order of their first product."""
    parent = list(range(problem.n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def join(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for a, b in np.argwhere((problem.cross != 0) | (problem.substitution > 0)):
        join(int(a), int(b))
    for pool in problem.pools:
        for p in pool.products[1:]:
            join(pool.products[0], p)
    groups: dict[int, list[int]] = {}
    for i in range(problem.n):
        groups.setdefault(find(i), []).append(i)
    return [np.asarray(g) for g in groups.values()]


def subset(problem: SteeringProblem, idx: np.ndarray) -> SteeringProblem:
    """The problem restricted to the products ``idx`` (pools renumbered; pools reaching
    outside ``idx`` are not allowed, as components never split one)."""
    pos = {int(i): k for k, i in enumerate(idx)}
    pools = []
    for pool in problem.pools:
        inside = [p in pos for p in pool.products]
        if not any(inside):
            continue
        if not all(inside):
            raise ValueError(f"pool {pool.name} spans two components")
        pools.append(SupplyPool(pool.name, tuple(pos[p] for p in pool.products), pool.capacity,
                                pool.lead_weeks, pool.yield_share))
    nn = np.ix_(idx, idx)
    return replace(
        problem, product_ids=tuple(problem.product_ids[i] for i in idx),
        price=problem.price[idx], unit_cost=problem.unit_cost[idx], base=problem.base[idx],
        discount=problem.discount[idx], lift=problem.lift[idx],
        initial_stock=problem.initial_stock[idx], pools=tuple(pools),
        target_base=problem.target_base[idx], receipts=problem.receipts[idx],
        holding=problem.holding[idx], lost_penalty=problem.lost_penalty[idx],
        backorder_cost=problem.backorder_cost[idx], backorder_weeks=problem.backorder_weeks[idx],
        allowed=problem.allowed[idx], committed=problem.committed[idx],
        committed_events=problem.committed_events[idx], cross=problem.cross[nn],
        substitution=problem.substitution[nn], waiting=problem.waiting[idx],
        order_cost=problem.order_cost[idx],
        pull_forward=problem.pull_forward[idx],
        dip_weeks=problem.dip_weeks[idx])
