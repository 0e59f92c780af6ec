"""Solve the steering model and read the plan: calendar, weekly table, objective parts.

``solve_steering`` follows the staged shape of the other optimisers: check -> build (one
builder per family) -> optional hook -> solve -> extract. With ``integrality="auto"`` the LP
relaxation is solved first; when its integer variables are integral it is the MILP's optimum
(proven: the relaxation bounds the MILP and is feasible for it) and no branching is needed;
otherwise it is rounded (``rounding.py``) and parts are branched on, worst gap first, only
until the whole plan is within the relative gap of the sum of the parts' bounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from supplylab.errors import OptimizationError
from supplylab.optimize.linear import LinearModel
from supplylab.optimize.solver import SolveOutcome, solve
from supplylab.optimize.steering.formulation import BuildContext, build_model
from supplylab.optimize.steering.problem import SteeringOptions, SteeringProblem
from supplylab.optimize.steering.rounding import rounded as rounded_plan

INTEGRAL_TOL = 1e-6
PLAN_COLUMNS = ["product", "week", "start_day", "discount", "base_demand", "demand",
                "sold_regular", "sold_promo", "substituted_out", "substituted_in", "lost",
                "backordered", "backlog_served", "supply", "scheduled_receipts", "stock_end"]
CALENDAR_COLUMNS = ["product", "first_week", "last_week", "start_day", "end_day", "discount",
                    "lift"]


@dataclass
class SteeringPlan:
    """The answer: promotion calendar, weekly plan per product and the objective's parts.

    ``objective`` is the planned profit (margin - promotion cost - extra orders' cost -
    lost-sale penalty - holding - backorder cost), currency; ``best_bound`` an upper bound of it; ``gap`` relative.
    ``method`` says how optimality was reached: ``lp`` (the relaxation was integral),
    ``round`` (its rounded calendar is within the gap of the relaxation's bound) or ``mip``.
    ``baseline_objective`` is the planned profit without new promotions (same supply model),
    so ``objective - baseline_objective`` is what the calendar is planned to earn.
    """

    status: str
    objective: float
    best_bound: float | None
    gap: float | None
    method: str
    relaxation_integral: bool | None
    calendar: pd.DataFrame
    weekly: pd.DataFrame
    parts: dict[str, float]
    build_time_s: float
    solve_time_s: float
    size: dict[str, int]
    initial_stock: dict[str, float]
    baseline_objective: float | None = None

    def summary(self) -> dict[str, Any]:
        """Plain JSON-able summary (no tables)."""
        return {"status": self.status, "objective": self.objective,
                "baseline_objective": self.baseline_objective, "best_bound": self.best_bound, "gap": self.gap, "method": self.method,
                "relaxation_integral": self.relaxation_integral, **self.parts,
                "promotions": len(self.calendar), "build_time_s": self.build_time_s,
                "solve_time_s": self.solve_time_s, **self.size}

    def conservation(self) -> pd.DataFrame:
        """Per product: demand (from the demand model) against sold + substituted + lost +
        backordered (from the solution), and the stock balance: initial + receipts + supply -
        shipped (own sales, substitutes served, backlog) - end stock. Residuals are ~0."""
        w = self.weekly
        g = w.groupby("product", sort=False)
        shipped = g["sold_regular"].sum() + g["sold_promo"].sum() + g["substituted_in"].sum() \
            + g["backlog_served"].sum()
        out = pd.DataFrame({
            "demand": g["demand"].sum(),
            "served": g["sold_regular"].sum() + g["sold_promo"].sum(),
            "substituted": g["substituted_out"].sum(),
            "lost": g["lost"].sum(),
            "backordered": g["backordered"].sum(),
        })
        out["residual"] = out["demand"] - out["served"] - out["substituted"] - out["lost"] \
            - out["backordered"]
        out["stock_residual"] = (pd.Series(self.initial_stock, index=out.index)
                                 + g["scheduled_receipts"].sum() + g["supply"].sum() - shipped
                                 - g["stock_end"].last())
        return out.reset_index()


def solve_steering(problem: SteeringProblem, options: SteeringOptions | None = None,
                   hook: Callable[[LinearModel, BuildContext], None] | None = None,
                   baseline: bool = True) -> SteeringPlan:
    """Plan promotions that maximise profit under supply (see docs/steering.md).

    Products that do not interact (no cross effect, substitute or shared supply pool between
    them) are planned as separate models unless a budget couples them or a ``hook`` wants the
    whole model. Each part's LP relaxation is solved and its calendar rounded first; parts are
    then branched on (worst absolute gap first) only until the plan as a whole is within the
    relative gap ``options.solver.mip_rel_gap`` of the sum of the parts' bounds.
    ``baseline`` also plans without new promotions (``baseline_objective``).
    Raises InputError on bad data and OptimizationError (exit 3) when the solver stops
    without a plan.
    """
    from supplylab.optimize.steering.decompose import components, subset

    options = options or SteeringOptions()
    problem.check()
    groups = _batches(components(problem), options.batch_products)
    if hook is not None or options.budget is not None or len(groups) == 1:
        part = _relax(problem, options, hook)
        if part.gap() > options.solver.mip_rel_gap:
            _branch(part, options)
        plan = _plan(part, options.solver.mip_rel_gap)
    else:
        parts = [_relax(subset(problem, idx), options, None) for idx in groups]
        _close_gap(parts, options)
        plan = _combine([_plan(p, None) for p in parts], problem, options.solver.mip_rel_gap)
    if baseline:
        none = replace(problem, allowed=np.zeros_like(problem.allowed))
        plan.baseline_objective = solve_steering(none, options, hook, baseline=False).objective
    return plan


def _batches(parts: list[np.ndarray], size: int) -> list[np.ndarray]:
    """Independent parts packed (in order) into groups of about ``size`` products: one MILP
    per group keeps the solver's fixed cost per call low and each model small."""
    out: list[list[np.ndarray]] = [[]]
    count = 0
    for idx in parts:
        if count and count + len(idx) > size:
            out.append([])
            count = 0
        out[-1].append(idx)
        count += len(idx)
    return [np.sort(np.concatenate(g)) for g in out if g]


def _close_gap(parts: list[_Part], options: SteeringOptions) -> None:
    """Branch on parts, largest absolute gap first, until sum(bound) - sum(value) is within
    the relative gap of sum(value) (each branched part is then within it too, so the loop
    ends at the latest when every part has been branched on)."""
    tol = options.solver.mip_rel_gap
    todo = sorted((p for p in parts if p.gap() > tol), key=lambda p: p.bound - p.value,
                  reverse=True)
    for part in todo:
        value = sum(p.value for p in parts)
        bound = sum(p.bound for p in parts)
        if np.isfinite(value) and bound - value <= tol * max(abs(value), 1e-9):
            return
        _branch(part, options)


def _combine(plans: list[SteeringPlan], problem: SteeringProblem, tol: float) -> SteeringPlan:
    """One plan from the plans of independent parts (sums; the gap of the sums, optimal when
    it is within ``tol``), with the products in the problem's order."""
    order = {p: k for k, p in enumerate(problem.product_ids)}
    obj = sum(p.objective for p in plans)
    bounds = [p.best_bound for p in plans]
    bound = None if any(b is None for b in bounds) else float(sum(bounds))  # type: ignore[arg-type]
    gap = None if bound is None else max(0.0, (bound - obj) / max(abs(obj), 1e-9))
    status = "optimal" if gap is not None and gap <= tol * (1 + 1e-9) else "feasible"
    methods = {p.method for p in plans}
    method = "mip" if "mip" in methods else "round" if "round" in methods else "lp"
    integral = all(bool(p.relaxation_integral) for p in plans) if all(
        p.relaxation_integral is not None for p in plans) else None
    weekly = pd.concat([p.weekly for p in plans], ignore_index=True)
    weekly = weekly.sort_values(["product", "week"], key=lambda c: c.map(order)
                                if c.name == "product" else c, kind="stable")
    calendar = pd.concat([p.calendar for p in plans], ignore_index=True)
    calendar = calendar.sort_values(["product", "first_week"], key=lambda c: c.map(order)
                                    if c.name == "product" else c, kind="stable")
    keys = plans[0].parts.keys()
    size = {k: sum(p.size[k] for p in plans) for k in plans[0].size}
    size["parts"] = len(plans)
    return SteeringPlan(status, obj, bound, gap, method, integral,
                        calendar.reset_index(drop=True), weekly.reset_index(drop=True),
                        {k: float(sum(p.parts[k] for p in plans)) for k in keys},
                        sum(p.build_time_s for p in plans), sum(p.solve_time_s for p in plans),
                        size, {k: v for p in plans for k, v in p.initial_stock.items()})


@dataclass
class _Part:
    """One model on its way through the stages: relaxation, rounding, branching.

    ``value`` is the profit of the best integral plan found (-inf: none yet), ``bound`` an
    upper bound of the part's optimum (the relaxation's, then branch and bound's)."""

    problem: SteeringProblem
    model: LinearModel
    ctx: BuildContext
    build_s: float
    integ: np.ndarray
    out: SolveOutcome | None = None
    method: str = "mip"
    integral: bool | None = None
    value: float = -np.inf
    bound: float = np.inf
    solve_s: float = 0.0

    def gap(self) -> float:
        """Relative gap of the part (inf without an integral plan)."""
        if not np.isfinite(self.value):
            return np.inf
        return max(0.0, (self.bound - self.value) / max(abs(self.value), 1e-9))


def _relax(problem: SteeringProblem, options: SteeringOptions,
           hook: Callable[[LinearModel, BuildContext], None] | None) -> _Part:
    """Build the model; with ``integrality="auto"`` solve its LP relaxation (integral: the
    optimum, method ``lp``) and round it (method ``round``, the relaxation's bound)."""
    t0 = time.perf_counter()
    model, ctx = build_model(problem, options)
    if hook is not None:
        hook(model, ctx)
    part = _Part(problem, model, ctx, time.perf_counter() - t0, model.column_arrays()[3] > 0)
    if options.integrality != "auto":
        return part
    lp = solve(_relaxed(model), replace(options.solver, mip_rel_gap=0.0))
    part.build_s += lp.build_time_s
    part.solve_s += lp.solve_time_s
    if lp.status == "infeasible":
        part.out = lp
        return part
    if not lp.has_solution or lp.x is None or lp.objective is None:
        return part
    part.bound = -float(lp.objective)
    xs = lp.x[part.integ]
    part.integral = bool(np.all(np.abs(xs - np.round(xs)) <= INTEGRAL_TOL))
    if part.integral:
        part.out, part.method, part.value = lp, "lp", part.bound
        return part
    rounded = rounded_plan(model, ctx, lp, options)
    if rounded is not None and rounded.objective is not None:
        part.build_s += rounded.build_time_s
        part.solve_s += rounded.solve_time_s
        part.out, part.method, part.value = rounded, "round", -float(rounded.objective)
    return part


def _branch(part: _Part, options: SteeringOptions) -> None:
    """Branch and bound on the part (the rounded plan as the first incumbent); keeps the
    better of its answer and the rounded plan, and the tighter bound."""
    if part.out is not None and part.out.status == "infeasible":
        return
    start = part.out.x if part.method == "round" and part.out is not None else None
    if start is not None and options.solver.path == "matrix":
        start = start.copy()
        start[part.integ] = np.round(start[part.integ])
    out = solve(part.model, options.solver,
                start=start if options.solver.path == "matrix" else None)
    part.build_s += out.build_time_s
    part.solve_s += out.solve_time_s
    if out.status == "infeasible":
        part.out, part.value = out, -np.inf
        return
    if out.best_bound is not None:
        part.bound = min(part.bound, -float(out.best_bound))
    if out.has_solution and out.objective is not None and -float(out.objective) >= part.value:
        part.out, part.method, part.value = out, "mip", -float(out.objective)
    elif part.out is None:
        part.out = out


def _plan(part: _Part, tol: float | None) -> SteeringPlan:
    """The part's plan (calendar, weekly table, parts); status from ``tol`` when given."""
    out = part.out
    if out is None or not out.has_solution or out.x is None or out.objective is None:
        status = out.status_text if out is not None else "no solution"
        raise OptimizationError(f"the solver stopped without a plan: {status}",
                                status=out.status if out is not None else "not_solved",
                                lp_file=out.lp_file if out is not None else None)
    x = out.x.copy()
    x[part.integ] = np.round(x[part.integ])
    obj = part.value
    bound = part.bound if np.isfinite(part.bound) else None
    gap = None if bound is None else max(0.0, (bound - obj) / max(abs(obj), 1e-9))
    status = out.status if part.method == "mip" else "optimal"
    if tol is not None and part.method != "lp":
        status = "optimal" if gap is not None and gap <= tol * (1 + 1e-9) else "feasible"
    calendar, weekly, parts = extract(part.ctx, x)
    parts["approximation"] = obj - (parts["margin"] - parts["promotion_cost"]
                                    - parts["order_cost"] - parts["lost_sale_penalty"]
                                    - parts["holding_cost"] - parts["backorder_cost"])
    model = part.model
    size = {"variables": model.ncols, "rows": model.nrows,
            "binaries": int(model.column_arrays()[2][part.integ].sum()), "parts": 1}
    return SteeringPlan(status, obj, bound, gap, part.method, part.integral, calendar, weekly,
                        parts, part.build_s, part.solve_s, size,
                        dict(zip(part.problem.product_ids, map(float, part.problem.initial_stock),
                                 strict=True)))


def _relaxed(model: LinearModel) -> LinearModel:
    """The same model with every integer block made continuous (shares the arrays)."""
    blocks = {k: replace(b, integer=False) for k, b in model.blocks.items()}
    return replace(model, blocks=blocks)


def planned_demand(problem: SteeringProblem, promo: np.ndarray) -> np.ndarray:
    """(N, T) demand under a 0/1 calendar ``promo[i, t, l]``, from the demand model itself
    (base + own lift + cross effects - pull-forward dip), independent of the solver."""
    pb = problem
    n, t = pb.n, pb.weeks
    lift = np.where(pb.has_level, pb.lift, 1.0)
    extra = ((lift - 1.0)[:, None, :] * pb.target_base[:, :, None] * promo).sum(axis=2) \
        if pb.levels else np.zeros((n, t))
    d = pb.base + extra + pb.cross.T @ extra
    for i in range(n):
        dw = int(pb.dip_weeks[i])
        if dw and pb.pull_forward[i]:
            for k in range(1, min(dw, t - 1) + 1):
                d[i, k:] -= pb.pull_forward[i] * extra[i, :-k] / dw
    return d


def _sub_discount(ctx: BuildContext, x: np.ndarray) -> float:
    """Discount given on substitutes sold while their product is on promotion."""
    pb = ctx.problem
    if not len(ctx.pairs) or not pb.levels:
        return 0.0
    j = ctx.pairs[:, 1]
    spend = pb.price[j][:, None] * np.nan_to_num(pb.discount[j])  # (K, L)
    return float((x[ctx.blocks["sub_promo"]] * spend[:, None, :]).sum())


def extract(ctx: BuildContext, x: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame,
                                                       dict[str, float]]:
    """(calendar, weekly table, objective parts) of a solution vector.

    Sold units are demand (from the demand model, :func:`planned_demand`) less the short
    units of the solution; the stock balance is then checked by :meth:`SteeringPlan.
    conservation` against the solution's supply and stock.
    """
    pb, b = ctx.problem, ctx.blocks
    n, t, nl = pb.n, pb.weeks, pb.levels
    promo = np.round(x[b["promo"]]) if nl else np.zeros((n, t, 0))
    sub, lost, back = x[b["sub"]], x[b["lost"]], x[b["back"]]
    stock = x[b["stock"]]
    supply = np.zeros((n, t))
    for k, a in enumerate(ctx.arcs):
        supply[a[1]] += x[b["supply"][k]]
    sub_out, sub_in = np.zeros((n, t)), np.zeros((n, t))
    for r, (i, j) in enumerate(ctx.pairs):
        sub_out[i] += sub[r]
        sub_in[j] += sub[r]
    demand = planned_demand(pb, promo)
    sold = np.maximum(demand - x[b["short"]], 0.0)
    extra_units = (ctx.extra * promo).sum(axis=2) if nl else np.zeros((n, t))
    backlog = np.zeros((n, t))
    backlog[:, 1:] = back[:, :-1]
    level = np.full((n, t), -1)
    on = promo.sum(axis=2) > 0.5 if nl else np.zeros((n, t), bool)
    if nl:
        level[on] = promo.argmax(axis=2)[on]
    disc = np.where(level >= 0, np.take_along_axis(np.nan_to_num(pb.discount),
                                                   np.maximum(level, 0), axis=1),
                    0.0) if nl else np.zeros((n, t))
    sold_promo = np.where(on, sold, 0.0)
    sale_reg = sold - sold_promo
    ids = np.repeat(np.asarray(pb.product_ids, dtype=object), t)
    weekly = pd.DataFrame({
        "product": ids, "week": np.tile(np.arange(t), n), "start_day": np.tile(np.arange(t) * 7, n),
        "discount": disc.reshape(-1), "base_demand": pb.base.reshape(-1),
        "demand": demand.reshape(-1), "sold_regular": sale_reg.reshape(-1),
        "sold_promo": sold_promo.reshape(-1), "substituted_out": sub_out.reshape(-1),
        "substituted_in": sub_in.reshape(-1), "lost": lost.reshape(-1),
        "backordered": back.reshape(-1), "backlog_served": backlog.reshape(-1),
        "supply": supply.reshape(-1), "scheduled_receipts": pb.receipts.reshape(-1),
        "stock_end": stock.reshape(-1)}, columns=PLAN_COLUMNS)
    num = weekly.select_dtypes("number").columns
    weekly[num] = weekly[num].where(weekly[num].abs() > 1e-9, 0.0)
    rows = []
    for i in range(n):
        w = 0
        while w < t:
            if level[i, w] < 0:
                w += 1
                continue
            e = w
            while e + 1 < t and level[i, e + 1] == level[i, w]:
                e += 1
            k = int(level[i, w])
            rows.append((pb.product_ids[i], w, e, 7 * w, 7 * (e + 1), float(pb.discount[i, k]),
                         float(pb.lift[i, k])))
            w = e + 1
    calendar = pd.DataFrame(rows, columns=CALENDAR_COLUMNS)
    margin = pb.margin()
    served = sold + backlog
    sub_margin = float((margin[ctx.pairs[:, 1]][:, None] * sub).sum()) if len(ctx.pairs) else 0.0
    parts = {
        "margin": float((margin[:, None] * served).sum()) + sub_margin,
        "promotion_cost": float((pb.price[:, None] * disc * sold_promo).sum()
                                + _sub_discount(ctx, x)
                                + ctx.options.fixed_cost_per_promotion * len(calendar)),
        "order_cost": float((pb.order_cost[:, None] * extra_units).sum()),
        "lost_sale_penalty": float((pb.lost_penalty[:, None] * lost).sum()),
        "holding_cost": float((pb.holding[:, None] * stock).sum()),
        "backorder_cost": float((7.0 * pb.backorder_cost[:, None] * back).sum()),
        "demand_units": float(demand.sum()), "lost_units": float(lost.sum()),
        "substituted_units": float(sub_out.sum()),
    }
    return calendar, weekly, parts
