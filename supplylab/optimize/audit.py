"""Independent audit of a network-design solution, from its output tables only.

Nothing here reads the model or the solver's column values: the cost, capacity use, demand
coverage, single sourcing, site counts and service rules are recomputed from the problem data
and the ``open_sites``/``flows`` tables, then compared with what the solver reported. A failed
audit means a bug in the optimiser, never in the user's input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supplylab.errors import AuditError
from supplylab.optimize.network import NetworkSolution
from supplylab.optimize.problem import NetworkDesignProblem, NetworkOptions


@dataclass(frozen=True)
class AuditReport:
    """Recomputed yearly cost and the list of violated properties (empty = solution valid)."""

    recomputed_cost: float
    reported_cost: float
    violations: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def audit_solution(problem: NetworkDesignProblem, options: NetworkOptions,
                   solution: NetworkSolution, *, rel_tol: float = 1e-6,
                   abs_tol: float = 1e-6) -> AuditReport:
    """Recompute cost and check every constraint family from the solution tables."""
    bad: list[str] = []
    sidx = {s: i for i, s in enumerate(problem.site_ids)}
    cidx = {c: j for j, c in enumerate(problem.customer_ids)}
    m, n = problem.m, problem.n
    share = np.zeros((m, n))
    for s, c, sh in solution.flows[["site", "customer", "share"]].itertuples(index=False):
        if s not in sidx or c not in cidx:
            bad.append(f"flow {s}->{c} names an unknown site or customer")
            continue
        if sh < -abs_tol or sh > 1 + abs_tol:
            bad.append(f"flow {s}->{c} has share {sh} outside [0, 1]")
        share[sidx[s], cidx[c]] += sh
    units = share * problem.demand[None, :]

    open_ = np.zeros(m, dtype=bool)
    cap = np.zeros(m)
    ovf = np.zeros(m)  # accepted overflow (soft capacity), units/yr
    fixed = 0.0
    levels = _level_table(problem)
    for s, lvl, ov in solution.open_sites[["site", "level", "overflow"]].itertuples(index=False):
        if s not in sidx:
            bad.append(f"open site {s!r} is unknown")
            continue
        if open_[sidx[s]]:
            bad.append(f"site {s} is open at more than one level")
        if (s, lvl) not in levels:
            bad.append(f"site {s} has no level {lvl!r}")
            continue
        open_[sidx[s]] = True
        c, f = levels[(s, lvl)]
        cap[sidx[s]] = c
        ovf[sidx[s]] = ov if options.capacity_penalty is not None else 0.0
        fixed += f

    served = share.sum(axis=0)
    for j in np.flatnonzero(np.abs(served - 1.0) > 1e-6):
        bad.append(f"customer {problem.customer_ids[j]} is served {served[j]:.6f} of its demand")
    for i, j in zip(*np.nonzero((share > abs_tol) & ~open_[:, None]), strict=True):
        bad.append(f"flow from closed site {problem.site_ids[i]} to {problem.customer_ids[j]}")
    if problem.allowed is not None:
        for i, j in zip(*np.nonzero((share > abs_tol) & ~problem.allowed.astype(bool)),
                        strict=True):
            bad.append(f"flow on forbidden arc {problem.site_ids[i]}->{problem.customer_ids[j]}")
    dp, pshare = problem.periods
    outbound = share @ dp.T  # (m, P)
    stage_cost, stage_bad = _stages(problem, solution, share, open_, outbound, abs_tol, rel_tol)
    bad += stage_bad
    for p in range(outbound.shape[1]):
        # soft capacity: the accepted overflow is a yearly total, so allow it in any period
        limit = np.where(np.isfinite(cap), cap * pshare[p], np.inf) + ovf
        over = outbound[:, p] - limit
        for i in np.flatnonzero(open_ & (over > abs_tol + rel_tol * np.maximum(limit, 1.0))):
            bad.append(f"site {problem.site_ids[i]} ships {outbound[i, p]} units in period {p} "
                       f"above its capacity {limit[i]}")
    if options.single_source:
        frac = (share > abs_tol) & (share < 1 - 1e-6)
        for j in np.flatnonzero(frac.any(axis=0) | ((share > abs_tol).sum(axis=0) > 1)):
            bad.append(f"customer {problem.customer_ids[j]} is not single-sourced")
    bad += _site_rules(problem, options, open_)
    bad += _service_rules(problem, options, share, units)

    cost = fixed + float((problem.cost * share).sum()) + stage_cost
    cost += sum(float(sc.evaluate(share).sum()) for sc in problem.sqrt_costs)
    if problem.co2 is not None:
        co2 = float((problem.co2 * share).sum())
        cost += options.co2_price * co2
        if options.co2_cap is not None and co2 > options.co2_cap * (1 + rel_tol) + abs_tol:
            bad.append(f"CO2 {co2} t above the cap {options.co2_cap} t")
    cost += _penalties(problem, options, units, solution)
    reported = solution.objective
    if abs(cost - reported) > rel_tol * max(abs(reported), 1.0) + abs_tol:
        bad.append(f"recomputed cost {cost} differs from the reported objective {reported}")
    return AuditReport(cost, reported, tuple(bad))


def check_solution(problem: NetworkDesignProblem, options: NetworkOptions,
                   solution: NetworkSolution, **tols: float) -> AuditReport:
    """:func:`audit_solution`, raising :class:`~supplylab.errors.AuditError` on any violation."""
    rep = audit_solution(problem, options, solution, **tols)
    if not rep.ok:
        raise AuditError("network-design audit failed:\n  " + "\n  ".join(rep.violations))
    return rep


def _stages(problem: NetworkDesignProblem, solution: NetworkSolution, share: np.ndarray,
            open_: np.ndarray, outbound: np.ndarray, abs_tol: float,
            rel_tol: float) -> tuple[float, list[str]]:
    """Cost of the replenishment table and its checks: supply balance per site and period,
    allowed arcs, one open source per open site, none for closed ones. Adds each period's
    replenishment out of a site to ``outbound`` (in place)."""
    if not problem.staged:
        return 0.0, []
    from supplylab.optimize.echelon import inbound_cost
    from supplylab.optimize.network import OUTSIDE

    bad: list[str] = []
    sidx = {s: i for i, s in enumerate(problem.site_ids)}
    n_p = outbound.shape[1]
    inflow = np.zeros((problem.m, n_p))
    cost = 0.0
    inbound = inbound_cost(problem)
    repl = (np.full((problem.m, problem.m), np.inf) if problem.replenish is None
            else problem.replenish)
    used: dict[str, set[str]] = {}
    for p, src, site, units in solution.replenishment[["period", "source", "site", "units"]] \
            .itertuples(index=False):
        i = sidx[site]
        unit = inbound[i] if src == OUTSIDE else repl[sidx[src], i]
        if not np.isfinite(unit):
            bad.append(f"replenishment {src}->{site} is not an allowed arc")
            continue
        if src != OUTSIDE:
            outbound[sidx[src], int(p)] += units
        inflow[i, int(p)] += units
        cost += float(unit * units)
        used.setdefault(site, set()).add(src)
    scale = max(float(problem.demand.sum()), 1.0)
    for i, p in zip(*np.nonzero(np.abs(inflow - outbound) > abs_tol + rel_tol * scale),
                    strict=True):
        bad.append(f"site {problem.site_ids[i]} receives {inflow[i, p]} units in period {p} "
                   f"but ships {outbound[i, p]}")
    for site, srcs in used.items():
        if len(srcs) > 1:
            bad.append(f"site {site} is replenished from several sources {sorted(srcs)}")
    for site, src in solution.sourcing.items():
        if not open_[sidx[site]]:
            bad.append(f"closed site {site} has a source")
        if src != OUTSIDE and not open_[sidx[src]]:
            bad.append(f"site {site} is replenished from the closed site {src}")
    bad += [f"open site {s} has no source" for i, s in enumerate(problem.site_ids)
            if open_[i] and s not in solution.sourcing]
    return cost, bad


def _level_table(problem: NetworkDesignProblem) -> dict[tuple[str, str], tuple[float, float]]:
    named = {lv.site for lv in problem.levels}
    table: dict[tuple[str, str], tuple[float, float]] = {}
    for i, s in enumerate(problem.site_ids):
        if s not in named:
            cap = np.inf if problem.capacity is None else float(problem.capacity[i])
            table[(s, "base")] = (cap, float(problem.fixed[i]))
    for k, lv in enumerate(problem.levels):
        table[(lv.site, lv.name or f"L{k}")] = (float(lv.capacity), float(lv.fixed_cost))
    return table


def _site_rules(problem: NetworkDesignProblem, options: NetworkOptions,
                open_: np.ndarray) -> list[str]:
    bad: list[str] = []
    ids = np.array(problem.site_ids, dtype=object)
    must = set(options.forced_open)
    if options.existing_policy == "keep" and problem.existing is not None:
        must |= set(ids[problem.existing.astype(bool)])
    bad += [f"site {s} must be open" for s in sorted(must) if not open_[problem.site_ids.index(s)]]
    bad += [f"site {s} must be closed" for s in options.forced_closed
            if open_[problem.site_ids.index(s)]]
    k = int(open_.sum())
    if options.min_open is not None and k < options.min_open:
        bad.append(f"{k} sites open, fewer than min_open={options.min_open}")
    if options.max_open is not None and k > options.max_open:
        bad.append(f"{k} sites open, more than max_open={options.max_open}")
    return bad


def _service_rules(problem: NetworkDesignProblem, options: NetworkOptions, share: np.ndarray,
                   units: np.ndarray) -> list[str]:
    bad: list[str] = []
    for rule in options.coverage:
        if rule.penalty_per_unit is None and (share[rule.out_of_range(problem)] > 1e-9).any():
            bad.append(f"coverage rule {rule} is broken")
    if problem.transit is None:
        return bad
    for rule in options.service_share:
        if rule.penalty_per_unit is not None:
            continue
        members = rule.members(problem)
        total = float(problem.demand[members].sum())
        within = float(units[(problem.transit <= rule.max_transit) & members[None, :]].sum())
        if within < rule.min_share * total - 1e-6 * max(total, 1.0):
            bad.append(f"only {within} of {total} units within transit {rule.max_transit}, "
                       f"below share {rule.min_share}")
    return bad


def _penalties(problem: NetworkDesignProblem, options: NetworkOptions, units: np.ndarray,
               solution: NetworkSolution) -> float:
    pen = 0.0
    if options.capacity_penalty is not None:
        accepted = solution.open_sites.set_index("site")["overflow"]
        pen += options.capacity_penalty * float(accepted.sum())
    for rule in options.coverage:
        if rule.penalty_per_unit is not None:
            pen += rule.penalty_per_unit * float(units[rule.out_of_range(problem)].sum())
    if problem.transit is None:
        return pen
    for rule in options.service_share:
        if rule.penalty_per_unit is None:
            continue
        members = rule.members(problem)
        total = float(problem.demand[members].sum())
        within = float(units[(problem.transit <= rule.max_transit) & members[None, :]].sum())
        pen += rule.penalty_per_unit * max(0.0, rule.min_share * total - within)
    return pen
