"""Guaranteed-service placement on spanning trees by dynamic programming (Graves-Willems 2000).

Stages are visited leaves first (reverse breadth-first order from a root), so every stage but the
root has exactly one neighbour visited after it. A stage whose later neighbour is its customer
gets the function f_k(S) = least cost of its visited subtree when it quotes S; one whose later
neighbour is its supplier gets g_k(SI) = least cost when it is quoted SI. Both come from one
array over (S, SI) per stage:

    c_k(S, SI) = h_k z sigma_k sqrt(SI + T_k - S) + sum_{suppliers i visited} min_{x <= SI} f_i(x)
                 + sum_{customers j visited} min_{y >= S} g_j(y),

reduced along SI (f) or S (g) with numpy, so a stage costs a few array operations of size
(M_k + 1)^2, M_k its longest inbound replenishment time. Exact for integer processing times.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np

from supplylab.errors import InputError
from supplylab.optimize.inventory.gsm import GSMNetwork, GSMSolution


def solve_tree(net: GSMNetwork) -> GSMSolution:
    """Optimal committed service times of a tree (or forest) network, exactly."""
    t0 = time.perf_counter()
    if not net.is_tree():
        raise InputError(f"{net.name}: the network has an undirected cycle, so the tree "
                         "dynamic programme does not apply; use solve_gsm (MILP)")
    n = net.n
    M = net.longest_inbound()
    sqrt = np.sqrt(np.arange(int(M.max()) + 2, dtype=float))
    w = net.h * net.z * net.sigma
    sup = net.suppliers()
    has_sup = np.array([bool(s) for s in sup])
    nbr: list[list[tuple[int, bool]]] = [[] for _ in range(n)]  # (other, other is supplier)
    for a, b in net.arcs:
        nbr[b].append((a, True))
        nbr[a].append((b, False))
    s_top = np.array([min(int(M[k]), net.max_service[k]) if net.max_service[k] is not None
                      else int(M[k]) for k in range(n)])
    if np.any(s_top < 0):
        raise InputError(f"{net.name}: a maximum service time is negative")
    si_lo = np.where(has_sup, 0, net.ext_inbound)
    si_hi = np.where(has_sup, M - net.T, net.ext_inbound)

    visited = np.zeros(n, dtype=bool)
    parent = np.full(n, -1)
    roots, order = [], []
    for r in range(n):
        if visited[r]:
            continue
        roots.append(r)
        visited[r] = True
        q = deque([r])
        while q:
            k = q.popleft()
            order.append(k)
            for j, _ in nbr[k]:
                if not visited[j]:
                    visited[j] = True
                    parent[j] = k
                    q.append(j)

    fun: list[np.ndarray | None] = [None] * n   # f_k over S = 0..s_top, or g_k over SI
    arg: list[np.ndarray | None] = [None] * n   # the minimising SI (f) or S (g)
    # parent p is k's customer (f_k wanted) when the arc runs k -> p
    to_parent_is_customer = np.zeros(n, dtype=bool)
    for a, b in net.arcs:
        if parent[a] == b:
            to_parent_is_customer[a] = True
    ranges = np.arange(int(M.max()) + 2)
    T = net.T.tolist()
    for k in reversed(order):
        S = ranges[:s_top[k] + 1]
        SI = ranges[si_lo[k]:si_hi[k] + 1]
        nrt = SI[None, :] + (T[k] - S)[:, None]
        cost = w[k] * sqrt[np.maximum(nrt, 0)]
        cost[nrt < 0] = np.inf
        p = parent[k]
        for j, j_is_sup in nbr[k]:
            if j == p:
                continue
            fj = fun[j]
            if j_is_sup:   # f_j(S_j): need min over S_j <= SI
                pre = np.minimum.accumulate(fj)
                cost += pre[np.minimum(SI, fj.size - 1)][None, :]
            else:          # g_j(SI_j) over SI_j = 0..: need min over SI_j >= S
                suf = np.minimum.accumulate(fj[::-1])[::-1]
                cost += suf[S][:, None]
        if p < 0:
            flat = int(np.argmin(cost))
            fun[k] = np.array([cost.flat[flat]])
            arg[k] = np.array(np.unravel_index(flat, cost.shape))
        elif to_parent_is_customer[k]:
            a = np.argmin(cost, axis=1)
            fun[k] = cost[S, a]
            arg[k] = SI[a]
        else:
            a = np.argmin(cost, axis=0)
            full = np.full(si_hi[k] + 1, np.inf)
            full[SI] = cost[a, np.arange(SI.size)]
            fun[k] = full
            args = np.zeros(si_hi[k] + 1, dtype=np.int64)
            args[SI] = S[a]
            arg[k] = args

    s_out = np.zeros(n)
    si_out = np.zeros(n)
    total = 0.0
    for r in roots:
        total += float(fun[r][0])
        s_out[r], si_idx = arg[r][0], arg[r][1]
        si_out[r] = si_lo[r] + si_idx
    for k in order:
        for j, j_is_sup in nbr[k]:
            if parent[j] != k:
                continue
            fj = fun[j]
            if j_is_sup:
                x = int(min(si_out[k], fj.size - 1))
                s_j = int(np.argmin(fj[:x + 1]))
                s_out[j] = s_j
                si_out[j] = arg[j][s_j]
            else:
                y0 = int(s_out[k])
                si_j = y0 + int(np.argmin(fj[y0:]))
                si_out[j] = si_j
                s_out[j] = arg[j][si_j]
    if not np.isfinite(total):
        raise InputError(f"{net.name}: no feasible service times (a maximum service time "
                         "below what the network can quote)")
    return GSMSolution(net, s_out, si_out, net.cost(s_out, si_out), "optimal", total,
                       "tree-dp", time.perf_counter() - t0)


def tree_relaxation(net: GSMNetwork) -> tuple[float, np.ndarray, np.ndarray]:
    """A lower bound and a feasible solution of a general network from one spanning forest.

    Every stage keeps only the arc from its critical supplier (the one with the longest inbound
    time, so no stage's time range shrinks); dropping the other arcs' constraints S_i <= SI_k is
    a relaxation, so the forest's DP optimum is a lower bound (the idea behind Humair and
    Willems 2011). Its service times made consistent again (SI_k = the largest S of all
    suppliers, which only lengthens NRTs) are feasible: an upper bound.
    Returns (bound, S, SI) of the repaired feasible solution.
    """
    M = net.longest_inbound()
    sup = net.suppliers()
    arcs = [(max(s, key=lambda i: (M[i], -i)), k) for k, s in enumerate(sup) if s]
    forest = GSMNetwork(list(net.ids), net.T.copy(), net.h.copy(), net.sigma.copy(), net.z,
                        arcs, list(net.max_service), net.ext_inbound.copy(), net.mean.copy(),
                        f"{net.name} (spanning forest)")
    sol = solve_tree(forest)
    S = sol.S.copy()
    SI = np.zeros(net.n)
    for k in net.order:
        SI[k] = max((S[i] for i in sup[k]), default=float(net.ext_inbound[k]))
    return sol.objective, S, SI
