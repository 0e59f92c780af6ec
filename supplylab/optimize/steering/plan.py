"""Solve the steering model and read the plan: calendar, weekly table, objective parts.

``solve_steering`` follows the staged shape of the other optimisers: check -> build (one
builder per family) -> optional hook -> solve -> extract. With ``integrality="auto"`` the LP
relaxation is solved first; when its promotion variables are integral it is the MILP's optimum
(proven: the relaxation bounds the MILP and is feasible for it) and no branching is needed.
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

INTEGRAL_TOL = 1e-6
PLAN_COLUMNS = ["product", "week", "start_day", "discount", "base_demand", "demand",
                "sold_regular", "sold_promo", "substituted_out", "substituted_in", "lost",
                "backordered", "backlog_served", "supply", "scheduled_receipts", "stock_end"]
CALENDAR_COLUMNS = ["product", "first_week", "last_week", "start_day", "end_day", "discount",
                    "lift"]


@dataclass
class SteeringPlan:
    """The answer: promotion calendar, weekly plan per product and the objective's parts.

    ``objective`` is the planned profit (margin - promotion cost - lost-sale penalty - holding
    - backorder cost), currency; ``best_bound`` an upper bound of it; ``gap`` relative.
    ``method`` says how optimality was reached: ``lp`` (the relaxation was integral) or ``mip``.
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
    them) are planned as separate MILPs unless a budget couples them or a ``hook`` wants the
    whole model. ``baseline`` also plans without new promotions (``baseline_objective``).
    Raises InputError on bad data and OptimizationError (exit 3) when the solver stops
    without a plan.
    """
    from supplylab.optimize.steering.decompose import components, subset

    options = options or SteeringOptions()
    problem.check()
    parts = _batches(components(problem), options.batch_products)
    if hook is not None or options.budget is not None or len(parts) == 1:
        plans = [_solve_whole(problem, options, hook)]
    else:
        plans = [_solve_whole(subset(problem, idx), options, None) for idx in parts]
    plan = _combine(plans, problem) if len(plans) > 1 else plans[0]
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


def _combine(plans: list[SteeringPlan], problem: SteeringProblem) -> SteeringPlan:
    """One plan from the plans of independent parts (sums; the worst status; the gap of
    the sums), with the products in the problem's order."""
    order = {p: k for k, p in enumerate(problem.product_ids)}
    obj = sum(p.objective for p in plans)
    bounds = [p.best_bound for p in plans]
    bound = None if any(b is None for b in bounds) else float(sum(bounds))  # type: ignore[arg-type]
    gap = None if bound is None else max(0.0, (bound - obj) / max(abs(obj), 1e-9))
    status = "optimal" if all(p.status == "optimal" for p in plans) else "feasible"
    method = "lp" if all(p.method == "lp" for p in plans) else "mip"
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


def _solve_whole(problem: SteeringProblem, options: SteeringOptions,
                 hook: Callable[[LinearModel, BuildContext], None] | None) -> SteeringPlan:
    """Build and solve one MILP (LP relaxation first with ``integrality="auto"``)."""
    t0 = time.perf_counter()
    model, ctx = build_model(problem, options)
    if hook is not None:
        hook(model, ctx)
    build = time.perf_counter() - t0
    integ = model.column_arrays()[3] > 0
    integral: bool | None = None
    method = "mip"
    out: SolveOutcome | None = None
    if options.integrality == "auto" and model.is_mip():
        out_lp = solve(_relaxed(model), replace(options.solver, mip_rel_gap=0.0))
        if out_lp.has_solution and out_lp.x is not None:
            xs = out_lp.x[integ]
            integral = bool(np.all(np.abs(xs - np.round(xs)) <= INTEGRAL_TOL))
            if integral:
                out, method = out_lp, "lp"
        elif out_lp.status == "infeasible":
            out = out_lp
    if out is None:
        out = solve(model, options.solver)
    if not out.has_solution or out.x is None or out.objective is None:
        raise OptimizationError(f"the solver stopped without a plan: {out.status_text}",
                                status=out.status, lp_file=out.lp_file)
    x = out.x.copy()
    if method == "lp":
        x[integ] = np.round(x[integ])
    obj = -float(out.objective)
    bound = obj if method == "lp" else (
        None if out.best_bound is None else -float(out.best_bound))
    gap = 0.0 if method == "lp" else (
        None if bound is None else max(0.0, (bound - obj) / max(abs(obj), 1e-9)))
    calendar, weekly, parts = extract(ctx, x)
    parts["approximation"] = obj - (parts["margin"] - parts["promotion_cost"]
                                    - parts["lost_sale_penalty"] - parts["holding_cost"]
                                    - parts["backorder_cost"])
    size = {"variables": model.ncols, "rows": model.nrows,
            "binaries": int(model.column_arrays()[2][integ].sum()), "parts": 1}
    return SteeringPlan(out.status, obj, bound, gap, method, integral, calendar, weekly, parts,
                        build + out.build_time_s, out.solve_time_s, size,
                        dict(zip(problem.product_ids, map(float, problem.initial_stock),
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
    backlog = np.zeros((n, t))
    backlog[:, 1:] = back[:, :-1]
    level = np.full((n, t), -1)
    on = promo.sum(axis=2) > 0.5 if nl else np.zeros((n, t), bool)
    if nl:
        level[on] = promo.argmax(axis=2)[on]
    disc = np.where(level >= 0, np.take_along_axis(np.nan_to_num(pb.discount), np.maximum(level, 0),
                                                   axis=1), 0.0)
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
        "lost_sale_penalty": float((pb.lost_penalty[:, None] * lost).sum()),
        "holding_cost": float((pb.holding[:, None] * stock).sum()),
        "backorder_cost": float((7.0 * pb.backorder_cost[:, None] * back).sum()),
        "demand_units": float(demand.sum()), "lost_units": float(lost.sum()),
        "substituted_units": float(sub_out.sum()),
    }
    return calendar, weekly, parts
