"""Guaranteed-service placement on general acyclic networks as an exact MILP.

With integer processing times, an optimal solution has integer net replenishment times, so the
concave sqrt needs no piecewise approximation: one binary y_kt per stage k and value t = 0..M_k
(M_k its longest inbound replenishment time) picks NRT_k = t at cost h_k z sigma_k sqrt(t).

    min  sum_kt h_k z sigma_k sqrt(t) y_kt
    s.t. sum_t y_kt = 1                                 (one_nrt)
         SI_k - S_k - sum_t t y_kt = -T_k               (nrt_definition)
         S_i - SI_k <= 0           for every arc i -> k  (service_precedence)
         0 <= S_k <= max service, SI_k = external inbound time at stages without suppliers.

Stages without holding cost or demand variability need no binaries (only NRT_k >= 0). The
model goes to HiGHS through the solver facade in one matrix; a tree is solved by the dynamic
programme instead unless ``method="milp"`` is asked for.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np

from supplylab.errors import OptimizationError
from supplylab.optimize.inventory.gsm import GSMNetwork, GSMSolution
from supplylab.optimize.linear import LinearModel
from supplylab.optimize.solver import SolverOptions, solve

Method = Literal["auto", "tree", "milp"]


def gsm_model(net: GSMNetwork) -> tuple[LinearModel, dict[str, np.ndarray]]:
    """The MILP of ``net`` and the column indices of S, SI and the NRT binaries."""
    n = net.n
    M = net.longest_inbound()
    w = net.h * net.z * net.sigma
    sup = net.suppliers()
    has_sup = np.array([bool(s) for s in sup])
    s_top = np.array([min(int(M[k]), net.max_service[k]) if net.max_service[k] is not None
                      else int(M[k]) for k in range(n)], dtype=float)
    si_lo = np.where(has_sup, 0, net.ext_inbound).astype(float)
    si_hi = np.where(has_sup, M - net.T, net.ext_inbound).astype(float)
    lm = LinearModel(name=f"gsm_{net.name}")
    S = lm.add_vars("S", n, lower=0.0, upper=s_top)
    SI = lm.add_vars("SI", n, lower=si_lo, upper=si_hi)
    costly = np.flatnonzero(w > 0)
    sizes = (M[costly] + 1).astype(np.int64)
    owner = np.repeat(np.arange(costly.size), sizes)
    tval = np.concatenate([np.arange(s) for s in sizes]).astype(float) if costly.size else \
        np.zeros(0)
    Y = lm.add_vars("nrt", int(sizes.sum()), lower=0.0, upper=1.0,
                    cost=w[costly][owner] * np.sqrt(tval), integer=True)
    if costly.size:
        lm.add_rows("one_nrt", owner, Y, 1.0, 1.0, 1.0, nrows=costly.size)
        r = np.arange(costly.size)
        rows = np.concatenate([r, r, owner])
        cols = np.concatenate([SI[costly], S[costly], Y])
        vals = np.concatenate([np.ones(costly.size), -np.ones(costly.size), -tval])
        lm.add_rows("nrt_definition", rows, cols, vals, -net.T[costly], -net.T[costly],
                    nrows=costly.size)
    free = np.flatnonzero(w <= 0)
    if free.size:
        r = np.arange(free.size)
        lm.add_rows("nrt_nonnegative", np.concatenate([r, r]),
                    np.concatenate([SI[free], S[free]]),
                    np.concatenate([np.ones(free.size), -np.ones(free.size)]),
                    -net.T[free], np.inf, nrows=free.size)
    if net.arcs:
        a = np.array([x for x, _ in net.arcs])
        b = np.array([y for _, y in net.arcs])
        r = np.arange(len(net.arcs))
        lm.add_rows("service_precedence", np.concatenate([r, r]),
                    np.concatenate([S[a], SI[b]]),
                    np.concatenate([np.ones(r.size), -np.ones(r.size)]), -np.inf, 0.0,
                    nrows=r.size)
    return lm, {"S": S, "SI": SI, "nrt": Y}


def solve_milp(net: GSMNetwork, time_limit_s: float | None = None,
               gap: float = 1e-6, threads: int | None = None) -> GSMSolution:
    """Solve the MILP with HiGHS; status 'feasible' with a gap when the time limit stops it.

    A spanning-forest relaxation (:func:`tree_relaxation`) runs first: its bound is kept when it
    is stronger than the solver's, and its repaired solution is the answer when the solver
    finds nothing better within the limit.
    """
    from supplylab.optimize.inventory.gsm_tree import tree_relaxation

    t0 = time.perf_counter()
    tree_bound, hS, hSI = tree_relaxation(net)
    h_obj = net.cost(hS, hSI)
    if h_obj <= tree_bound * (1 + gap) + 1e-9:  # the relaxation's optimum is feasible
        return GSMSolution(net, hS, hSI, h_obj, "optimal", float(min(tree_bound, h_obj)),
                           "forest-bound", time.perf_counter() - t0)
    lm, cols = gsm_model(net)
    out = solve(lm, SolverOptions(path="matrix", mip_rel_gap=gap, time_limit_s=time_limit_s,
                                  threads=threads))
    bound = max(out.best_bound if out.best_bound is not None else -np.inf, tree_bound)
    if out.has_solution and out.x is not None:
        # the MILP's S, SI may be fractional where it does not matter; tighten to integers
        S, SI = _integral(net, np.round(out.x[cols["S"]], 9), np.round(out.x[cols["SI"]], 9))
        obj = net.cost(S, SI)
        status = out.status
    elif out.status in ("infeasible", "unbounded"):
        raise OptimizationError(f"guaranteed-service MILP of {net.name} ended {out.status_text}",
                                status=out.status, lp_file=out.lp_file)
    else:
        S, SI, obj, status = hS, hSI, h_obj, "feasible"
    if h_obj < obj - 1e-9:
        S, SI, obj = hS, hSI, h_obj
    if obj <= bound * (1 + gap) + 1e-9:
        status = "optimal"
    return GSMSolution(net, S, SI, obj, status, float(min(bound, obj)),
                       "milp+forest-bound", time.perf_counter() - t0)


def _integral(net: GSMNetwork, S: np.ndarray, SI: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer service times whose NRTs are no larger than the MILP's (integral) ones.

    In topological order: SI_k = the largest supplier S (never above the MILP's SI_k), then
    S_k = max(0, SI_k + T_k - NRT_k) (never above the MILP's S_k), so every constraint holds.
    """
    nrt = np.round(SI + net.T - S)
    S_out = np.zeros(net.n)
    SI_out = np.zeros(net.n)
    sup = net.suppliers()
    for k in net.order:
        SI_out[k] = max((S_out[i] for i in sup[k]), default=float(net.ext_inbound[k]))
        S_out[k] = max(0.0, SI_out[k] + net.T[k] - nrt[k])
    return S_out, SI_out


def solve_gsm(net: GSMNetwork, method: Method = "auto", time_limit_s: float | None = None,
              gap: float = 1e-6) -> GSMSolution:
    """Committed service times of ``net``: the tree DP on trees, else the exact MILP."""
    from supplylab.optimize.inventory.gsm_tree import solve_tree

    if method == "tree" or (method == "auto" and net.is_tree()):
        return solve_tree(net)
    return solve_milp(net, time_limit_s=time_limit_s, gap=gap)
