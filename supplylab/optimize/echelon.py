"""Multi-echelon, multi-period flows of the network-design MIP (supplier -> DC -> warehouse ->
customer).

Used instead of the single capacity family of :mod:`supplylab.optimize.formulation` when the
problem has upper echelons, periods or lane limits (``NetworkDesignProblem.staged``).

Sets: sites i, k; allowed replenishment arcs a = (k, i) (``replenish[k, i]`` finite); periods p
with demand ``dp[p, j]`` and capacity share ``s_p``.
Variables: ``q[p, a] >= 0`` units site k ships to site i in period p; ``r[p, i] >= 0`` units
site i receives from outside (suppliers, plants); binaries ``v[a]`` (i is replenished from k)
and ``u[i]`` (i is supplied from outside): each open site has exactly one source.

Families:

* supply (per p, i): ``r_pi + sum_{a into i} q_pa = sum_j dp_pj x_ij + sum_{a out of i} q_pa``;
* capacity (per p, i): ``sum_j dp_pj x_ij + sum_{a out of i} q_pa <= s_p sum_{k at i} cap_k
  z_k (+ o_pi)``, the outbound throughput (an uncapacitated level counts R_pi, below);
* sourcing (per i): ``sum_{a into i} v_a + u_i = y_i``;
* source_open (per a): ``v_a <= y_k``, so the named source is an open site;
* arc_use (per p, a and p, i): ``q_pa <= M_pa v_a``, ``r_pi <= R_pi u_i`` where ``R_pi`` is
  the most site i can ship in period p (its possible customers' demand, plus what its possible
  destinations can ship) and ``M_pa`` the smaller of the lane's capacity and R of its
  destination. R also stands in for an uncapacitated level's capacity.

Costs: ``replenish[k, i]`` per unit on q, ``inbound[i]`` per unit on r.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from supplylab.optimize.linear import INF, LinearModel

if TYPE_CHECKING:
    from supplylab.optimize.formulation import BuildContext
    from supplylab.optimize.problem import NetworkDesignProblem


def replenishment_arcs(problem: NetworkDesignProblem) -> tuple[np.ndarray, np.ndarray]:
    """(source k, destination i) index arrays of the allowed replenishment arcs."""
    if problem.replenish is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    kk, ii = np.nonzero(np.isfinite(problem.replenish))
    return kk.astype(np.int64), ii.astype(np.int64)


def inbound_cost(problem: NetworkDesignProblem) -> np.ndarray:
    """Cost per unit of outside supply per site (0 for every site when not modelled)."""
    return np.zeros(problem.m) if problem.inbound is None else problem.inbound


def arc_upper(problem: NetworkDesignProblem) -> np.ndarray | None:
    """Upper bound on each share x_ij from the customer lanes' capacities (None: no limits):
    ``min_p s_p cap_ij / dp_pj``, clipped to [0, 1]."""
    if problem.arc_capacity is None:
        return None
    dp, share = problem.periods
    with np.errstate(divide="ignore", invalid="ignore"):
        per = (share[:, None, None] * problem.arc_capacity[None, :, :]) / dp[:, None, :]
    per = np.where(dp[:, None, :] > 0, per, INF)
    return np.clip(per.min(axis=0), 0.0, 1.0)


def add_stages(model: LinearModel, ctx: BuildContext) -> None:
    """Flow blocks and the supply, capacity, sourcing, source_open and arc_use families."""
    problem = ctx.problem
    m = problem.m
    dp, share = problem.periods
    n_p = len(share)
    kk, ii = replenishment_arcs(problem)
    na = len(kk)
    ctx.arcs = (kk, ii)
    reach = _reach(model, ctx, dp, kk, ii)  # (P, m): the most each site can ship, a big-M
    lane_cap = (np.full(na, INF) if problem.replenish_capacity is None
                else problem.replenish_capacity[kk, ii])
    q_up = np.minimum(share[:, None] * lane_cap[None, :], reach[:, ii])
    inbound = inbound_cost(problem)
    outside = np.isfinite(inbound)
    ctx.q = model.add_vars("replenish", (n_p, na), upper=q_up,
                           cost=np.broadcast_to(problem.replenish[kk, ii] if na else
                                                np.zeros(0), (n_p, na)))
    ctx.r = model.add_vars("inbound", (n_p, m), upper=np.where(outside[None, :], INF, 0.0),
                           cost=np.broadcast_to(np.where(outside, inbound, 0.0), (n_p, m)))
    ctx.v = model.add_vars("source", na, upper=1.0, integer=True)
    ctx.u = model.add_vars("outside", m, upper=outside.astype(float), integer=True)
    _supply(model, ctx, dp, kk, ii)
    _capacity(model, ctx, dp, share, reach, kk)
    _sourcing(model, ctx, kk, ii)
    _arc_use(model, ctx, q_up, reach)


def _reach(model: LinearModel, ctx: BuildContext, dp: np.ndarray, kk: np.ndarray,
           ii: np.ndarray) -> np.ndarray:
    """(P, m) the most site i can ship in period p: its possible customers' demand plus, for
    a source, what its possible destinations can ship (arcs are acyclic: m passes suffice).
    Tighter than the period's total demand as a big-M, and still valid."""
    m, n = ctx.x.shape
    x_up = model.blocks["assign"].upper.reshape(m, n)
    direct = dp @ x_up.T
    reach = direct.copy()
    for _ in range(m):
        nxt = direct.copy()
        np.add.at(nxt.T, kk, reach[:, ii].T)
        if np.array_equal(nxt, reach):
            break
        reach = nxt
    return np.maximum(np.minimum(reach, dp.sum(axis=1)[:, None]), 1e-9)

def _supply(model: LinearModel, ctx: BuildContext, dp: np.ndarray, kk: np.ndarray,
            ii: np.ndarray) -> None:
    m, n = ctx.x.shape
    n_p, na = ctx.q.shape
    rows, cols, vals = [], [], []
    for p in range(n_p):
        base = p * m
        rows += [base + np.arange(m), base + ii, base + kk,
                 base + np.repeat(np.arange(m), n)]
        cols += [ctx.r[p], ctx.q[p], ctx.q[p], ctx.x.reshape(-1)]
        vals += [np.ones(m), np.ones(na), -np.ones(na), -np.tile(dp[p], m)]
    model.add_rows("supply", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                   0.0, 0.0, nrows=n_p * m)


def _capacity(model: LinearModel, ctx: BuildContext, dp: np.ndarray, share: np.ndarray,
              reach: np.ndarray, kk: np.ndarray) -> None:
    options = ctx.options
    m, n = ctx.x.shape
    n_p = len(share)
    finite = np.isfinite(ctx.level_capacity)
    if options.capacity_penalty is not None:
        ctx.cap_slack = model.add_vars("overflow", (n_p, m), cost=options.capacity_penalty)
        model.add_rows("overflow_link",
                       np.concatenate([np.arange(n_p * m),
                                       (np.arange(n_p)[:, None] * m
                                        + ctx.level_site[None, :]).reshape(-1)]),
                       np.concatenate([ctx.cap_slack.reshape(-1), np.tile(ctx.z, n_p)]),
                       np.concatenate([np.ones(n_p * m),
                                       -reach[:, ctx.level_site].reshape(-1)]), -INF, 0.0,
                       nrows=n_p * m)
    rows, cols, vals = [], [], []
    for p in range(n_p):
        base = p * m
        cap = np.where(finite, np.minimum(ctx.level_capacity * share[p],
                                          reach[p, ctx.level_site]), reach[p, ctx.level_site])
        rows += [base + np.repeat(np.arange(m), n), base + kk, base + ctx.level_site]
        cols += [ctx.x.reshape(-1), ctx.q[p], ctx.z]
        vals += [np.tile(dp[p], m), np.ones(len(kk)), -cap]
        if ctx.cap_slack is not None:
            rows.append(base + np.arange(m))
            cols.append(ctx.cap_slack[p])
            vals.append(-np.ones(m))
    model.add_rows("capacity", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                   -INF, 0.0, nrows=n_p * m)


def _sourcing(model: LinearModel, ctx: BuildContext, kk: np.ndarray, ii: np.ndarray) -> None:
    m = ctx.problem.m
    na = len(kk)
    model.add_rows("sourcing", np.concatenate([ii, np.arange(m), ctx.level_site]),
                   np.concatenate([ctx.v, ctx.u, ctx.z]),
                   np.concatenate([np.ones(na), np.ones(m), -np.ones(len(ctx.z))]), 0.0, 0.0,
                   nrows=m)
    if na == 0:
        return
    # v_a <= y_k: one row per arc, with every level of the source site
    rows = [np.arange(na)]
    cols = [ctx.v]
    vals = [np.ones(na)]
    for lvl, site in enumerate(ctx.level_site):
        at = np.flatnonzero(kk == site)
        rows.append(at)
        cols.append(np.full(len(at), ctx.z[lvl]))
        vals.append(-np.ones(len(at)))
    model.add_rows("source_open", np.concatenate(rows), np.concatenate(cols),
                   np.concatenate(vals), -INF, 0.0, nrows=na)


def _arc_use(model: LinearModel, ctx: BuildContext, q_up: np.ndarray,
            reach: np.ndarray) -> None:
    n_p, na = ctx.q.shape
    m = ctx.problem.m
    big = q_up
    model.add_rows("arc_use",
                   np.concatenate([np.arange(n_p * na), np.arange(n_p * na),
                                   n_p * na + np.arange(n_p * m), n_p * na + np.arange(n_p * m)]),
                   np.concatenate([ctx.q.reshape(-1), np.tile(ctx.v, n_p), ctx.r.reshape(-1),
                                   np.tile(ctx.u, n_p)]),
                   np.concatenate([np.ones(n_p * na), -big.reshape(-1), np.ones(n_p * m),
                                   -reach.reshape(-1)]), -INF, 0.0, nrows=n_p * (na + m))
