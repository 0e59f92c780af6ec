"""Solve the network-design MIP and return decision tables; relax-and-report when infeasible.

Stages (as in PyPSA's optimize): check -> build (one function per family, see
:mod:`supplylab.optimize.formulation`) -> user hook -> solve (facade) -> extract DataFrames.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from supplylab.errors import InfeasibleError, OptimizationError
from supplylab.optimize.formulation import BuildContext, build_model
from supplylab.optimize.instances import FacilityProblem
from supplylab.optimize.linear import LinearModel
from supplylab.optimize.problem import NetworkDesignProblem, NetworkOptions
from supplylab.optimize.solver import SolveOutcome, solve
from supplylab.optimize.strategy import choose_method, solve_auto, solve_lagrangian

#: shares below this are treated as zero in the output tables
SHARE_TOL = 1e-7
#: the source name of supply from outside the network (suppliers, plants)
OUTSIDE = "(outside)"


@dataclass
class NetworkSolution:
    """Result of one network-design solve.

    Tables (pandas DataFrames):

    * ``open_sites``: site, level, capacity (units/yr), fixed_cost (/yr), throughput (units/yr),
      utilisation (throughput/capacity), overflow (units/yr accepted above capacity);
    * ``flows``: site, customer, share (0..1 of the customer's demand), units (/yr), cost (/yr,
      allocation cost of this share), co2_t (tonnes/yr);
    * ``assignments``: customer, site (the site with the largest share), share, n_sources;
    * ``cost_breakdown``: component, value (/yr): fixed, allocation, co2, penalty_capacity,
      penalty_coverage, penalty_service_share, total.

    With upper echelons or periods (``problem.staged``) also ``replenishment``: period, source
    (a site id, or ``OUTSIDE`` for suppliers and plants), site, units (in that period), cost;
    ``sourcing`` maps every open site to its source; throughput is the site's outbound units
    (customers plus the sites it replenishes) and utilisation that of its peak period; the
    breakdown gains ``inbound`` and ``replenishment``.

    ``shortfall`` maps soft families to the accepted violation (units/yr). ``gap`` is the
    relative MIP gap proven by the solver; times are wall-clock seconds. ``method`` is the
    method that ran (``mip`` or ``lagrangian``, see :mod:`supplylab.optimize.strategy`) and
    ``method_stats`` its figures (bound, iterations, fixed sites, seconds).
    """

    status: str
    objective: float
    best_bound: float | None
    gap: float | None
    open_sites: pd.DataFrame
    flows: pd.DataFrame
    assignments: pd.DataFrame
    cost_breakdown: pd.DataFrame
    shortfall: dict[str, float]
    model_time_s: float
    build_time_s: float
    solve_time_s: float
    solver: str
    path: str
    open_vector: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, bool))
    replenishment: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["period", "source", "site", "units", "cost"]))
    sourcing: dict[str, str] = field(default_factory=dict)
    method: str = "mip"
    method_stats: dict[str, float] = field(default_factory=dict)

    @property
    def proven(self) -> bool:
        """True when the objective is proven optimal (within the requested relative gap)."""
        return self.status == "optimal"

    @property
    def open_site_ids(self) -> list[str]:
        return list(self.open_sites["site"])

    def summary(self) -> dict[str, object]:
        """Flat dict for JSON/CLI output."""
        return {"objective": self.objective, "status": self.status, "gap": self.gap,
                "best_bound": self.best_bound, "open_facilities": self.open_site_ids,
                "model_time_s": self.model_time_s, "build_time_s": self.build_time_s,
                "solve_time_s": self.solve_time_s, "solver": self.solver, "path": self.path,
                "shortfall": self.shortfall, "method": self.method, "proven": self.proven,
                "cost_breakdown": dict(zip(self.cost_breakdown["component"],
                                           self.cost_breakdown["value"], strict=True)),
                **({"sourcing": self.sourcing} if self.sourcing else {})}


def as_problem(problem: NetworkDesignProblem | FacilityProblem) -> NetworkDesignProblem:
    """Accept a benchmark instance wherever a network-design problem is expected."""
    if isinstance(problem, FacilityProblem):
        return NetworkDesignProblem.from_facility(problem)
    return problem


def solve_network(problem: NetworkDesignProblem | FacilityProblem,
                  options: NetworkOptions | None = None, *,
                  no_goods: Sequence[np.ndarray] = (),
                  relax_and_report: bool = True) -> NetworkSolution:
    """Solve the facility-location MIP; raise typed errors when there is no usable answer.

    Infeasible: re-solve with every relaxable family elastic and raise
    :class:`~supplylab.errors.InfeasibleError` naming the families whose slack is positive
    (``shortfall`` in demand units, sites for site_count/forced_open scaled by mean demand).
    Unbounded or no solution within the limits: :class:`~supplylab.errors.OptimizationError`.
    """
    problem = as_problem(problem)
    options = options or NetworkOptions()
    if choose_method(problem, options, no_goods) == "lagrangian":
        options.check(problem)
        sol = solve_auto(problem, options) if options.method == "auto" else \
            solve_lagrangian(problem, options)
        if sol is not None:
            return sol
    t0 = time.perf_counter()
    model, ctx = build_model(problem, options, no_goods=no_goods)
    t1 = time.perf_counter()
    out = solve(model, options.solver)
    if out.status == "infeasible":
        if relax_and_report:
            raise diagnose_infeasible(problem, options, out, no_goods)
        raise InfeasibleError(f"network design {problem.name} is infeasible", lp_file=out.lp_file)
    if not out.has_solution:
        raise OptimizationError(f"network design {problem.name}: no solution ({out.status_text})",
                                status=out.status, lp_file=out.lp_file)
    return extract(model, ctx, out, t1 - t0)


def diagnose_infeasible(problem: NetworkDesignProblem, options: NetworkOptions,
                        out: SolveOutcome, no_goods: Sequence[np.ndarray] = ()
                        ) -> InfeasibleError:
    """Relax-and-report: the error naming the families that need slack to become feasible."""
    model, ctx = build_model(problem, options, no_goods=no_goods, elastic=True)
    rel = solve(model, options.solver)
    if not rel.has_solution:
        return InfeasibleError(f"network design {problem.name} is infeasible, and so is its "
                               f"elastic relaxation ({rel.status_text})", lp_file=out.lp_file)
    shortfall: dict[str, float] = {}
    for fam, (s_lo, s_up) in ctx.elastic.items():
        cols = np.concatenate([s_lo[s_lo >= 0], s_up[s_up >= 0]])
        total = float(rel.x[cols].sum()) if cols.size else 0.0
        if fam == "demand":
            total = float(rel.x[s_lo[s_lo >= 0]] @ problem.demand[s_lo >= 0]
                          + rel.x[s_up[s_up >= 0]] @ problem.demand[s_up >= 0])
        if total > 1e-6:
            shortfall[fam] = total
    families = sorted(shortfall, key=lambda f: -shortfall[f])
    return InfeasibleError(f"network design {problem.name} is infeasible",
                           families=families, shortfall=shortfall, lp_file=out.lp_file)


def extract(model: LinearModel, ctx: BuildContext, out: SolveOutcome,
            model_time_s: float) -> NetworkSolution:
    """Turn the solver's column values into the decision tables."""
    if out.x is None or out.objective is None:
        raise OptimizationError("no solution values to extract", status=out.status)
    problem, options = ctx.problem, ctx.options
    z = np.round(model.value(out.x, "open")).astype(bool)
    share = np.clip(model.value(out.x, "assign"), 0.0, 1.0)
    if options.single_source:
        share = np.round(share)
    share[share < SHARE_TOL] = 0.0
    units = share * problem.demand[None, :]
    overflow = (np.zeros(problem.m) if ctx.cap_slack is None
                else np.maximum(model.value(out.x, "overflow"), 0.0))
    if overflow.ndim == 2:
        overflow = overflow.sum(axis=0)
    dp, pshare = problem.periods
    period_out = share @ dp.T  # (m, P) outbound units per site and period
    replenishment, sourcing, stage_cost = _stages(model, ctx, out, z)
    for row in replenishment.itertuples(index=False):
        if row.source != OUTSIDE:
            period_out[problem.site_ids.index(row.source), int(row.period)] += row.units
    throughput = period_out.sum(axis=1)
    open_rows = []
    for k in np.flatnonzero(z):
        i = int(ctx.level_site[k])
        cap = float(ctx.level_capacity[k])
        peak = float((period_out[i] / pshare).max()) if period_out.shape[1] else 0.0
        open_rows.append({"site": problem.site_ids[i], "level": ctx.level_names[k],
                          "capacity": cap, "fixed_cost": float(ctx.level_fixed[k]),
                          "throughput": float(throughput[i]),
                          "utilisation": peak / cap if np.isfinite(cap) and cap > 0 else 0.0,
                          "overflow": float(overflow[i])})
    open_sites = pd.DataFrame(open_rows, columns=["site", "level", "capacity", "fixed_cost",
                                                  "throughput", "utilisation", "overflow"])
    ii, jj = np.nonzero(share)
    co2 = problem.co2[ii, jj] * share[ii, jj] if problem.co2 is not None else np.zeros(len(ii))
    flows = pd.DataFrame({"site": [problem.site_ids[i] for i in ii],
                          "customer": [problem.customer_ids[j] for j in jj],
                          "share": share[ii, jj], "units": units[ii, jj],
                          "cost": problem.cost[ii, jj] * share[ii, jj], "co2_t": co2})
    main = share.argmax(axis=0)
    assignments = pd.DataFrame({"customer": list(problem.customer_ids),
                                "site": [problem.site_ids[i] for i in main],
                                "share": share[main, np.arange(problem.n)],
                                "n_sources": (share > 0).sum(axis=0)})
    shortfall = _shortfall(model, ctx, out, share)
    breakdown = {
        "fixed": float(ctx.level_fixed[z].sum()),
        "allocation": float(flows["cost"].sum()),
        "co2": float(options.co2_price * co2.sum()),
        "penalty_capacity": float((options.capacity_penalty or 0.0) * overflow.sum()),
        "penalty_coverage": float((ctx.soft_out_of_range * units).sum())
        if ctx.soft_out_of_range is not None else 0.0,
        "penalty_service_share": _share_penalty(model, ctx, out),
        **stage_cost,
        **{sc.name: float(sc.evaluate(share).sum()) for sc in problem.sqrt_costs},
    }
    breakdown["total"] = sum(breakdown.values())
    cost_breakdown = pd.DataFrame({"component": list(breakdown), "value": list(breakdown.values())})
    y = np.zeros(problem.m, dtype=bool)
    y[ctx.level_site[z]] = True
    return NetworkSolution(out.status, out.objective, out.best_bound, out.gap, open_sites, flows,
                           assignments, cost_breakdown, shortfall, model_time_s,
                           out.build_time_s, out.solve_time_s, out.solver, out.path, y,
                           replenishment, sourcing)


def _stages(model: LinearModel, ctx: BuildContext, out: SolveOutcome, z: np.ndarray
            ) -> tuple[pd.DataFrame, dict[str, str], dict[str, float]]:
    """Replenishment flows per period, each open site's source, and the two stage costs."""
    cols = ["period", "source", "site", "units", "cost"]
    if ctx.arcs is None or out.x is None:
        return pd.DataFrame(columns=cols), {}, {}
    problem = ctx.problem
    ids = problem.site_ids
    kk, ii = ctx.arcs
    q = np.maximum(model.value(out.x, "replenish"), 0.0)
    r = np.maximum(model.value(out.x, "inbound"), 0.0)
    q[q < SHARE_TOL] = 0.0
    r[r < SHARE_TOL] = 0.0
    inbound = np.zeros(problem.m) if problem.inbound is None else problem.inbound
    unit_q = problem.replenish[kk, ii] if len(kk) else np.zeros(0)
    rows = []
    for p in range(q.shape[0]):
        for a in np.flatnonzero(q[p]):
            rows.append((p, ids[kk[a]], ids[ii[a]], float(q[p, a]), float(q[p, a] * unit_q[a])))
        for i in np.flatnonzero(r[p]):
            rows.append((p, OUTSIDE, ids[i], float(r[p, i]), float(r[p, i] * inbound[i])))
    table = pd.DataFrame(rows, columns=cols)
    v = np.round(model.value(out.x, "source")).astype(bool)
    u = np.round(model.value(out.x, "outside")).astype(bool)
    y = np.zeros(problem.m, dtype=bool)
    y[ctx.level_site[z]] = True
    sourcing = {ids[i]: OUTSIDE for i in np.flatnonzero(u & y)}
    sourcing.update({ids[ii[a]]: ids[kk[a]] for a in np.flatnonzero(v) if y[ii[a]]})
    is_out = table["source"] == OUTSIDE
    cost = {"inbound": float(table.loc[is_out, "cost"].sum()),
            "replenishment": float(table.loc[~is_out, "cost"].sum())}
    return table, sourcing, cost


def _share_penalty(model: LinearModel, ctx: BuildContext, out: SolveOutcome) -> float:
    if ctx.share_slack is None or out.x is None:
        return 0.0
    short = np.maximum(model.value(out.x, "service_short"), 0.0)
    pens = np.array([r.penalty_per_unit or 0.0 for r in ctx.options.service_share])
    return float(short @ pens)


def _shortfall(model: LinearModel, ctx: BuildContext, out: SolveOutcome,
               share: np.ndarray) -> dict[str, float]:
    res: dict[str, float] = {}
    units = share * ctx.problem.demand[None, :]
    if ctx.cap_slack is not None:
        res["capacity"] = float(np.maximum(model.value(out.x, "overflow"), 0.0).sum())
    if ctx.soft_out_of_range is not None and ctx.soft_out_of_range.any():
        res["coverage"] = float(units[ctx.soft_out_of_range > 0].sum())
    if ctx.share_slack is not None:
        res["service_share"] = float(np.maximum(model.value(out.x, "service_short"), 0.0).sum())
    return res
