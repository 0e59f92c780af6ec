"""KPI formulas at the end of a replication: overall values and every breakdown.

Definitions follow docs/kpis.md (textbook ones). Time-averages use the measured window
[warm-up, horizon]; money per window (not annualised) except where the name says so.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import kpis as K
from .demand import expected_units

if TYPE_CHECKING:
    from .engine import Model


def abc_classes(m: Model) -> list[str]:
    """ABC class per product: given, else Pareto on expected revenue (A: first 80%, B: 15%)."""
    rev = np.zeros(len(m.products))
    price = np.asarray(m.price)
    for cd in m.demand:
        np.add.at(rev, cd.products, expected_units(cd) * price[cd.products])
    order = np.argsort(-rev, kind="stable")
    total = rev.sum()
    out = ["C"] * len(m.products)
    cum = 0.0
    for pi in order:
        share_before = cum / total if total > 0 else 1.0
        cum += rev[pi]
        out[pi] = "A" if share_before < 0.80 else "B" if share_before < 0.95 else "C"
    for pi, p in enumerate(m.products):
        if p.abc_class is not None:
            out[pi] = p.abc_class
    return out


def _clean(d: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in d.items() if v is not None and not math.isnan(v)}


def _variance_ratio(num: list[float], den: list[float], first: int, last: int) -> float:
    """Variance of weekly orders placed over variance of weekly demand faced (whole weeks)."""
    if last - first < 3:
        return math.nan
    a = np.asarray(num[first:last])
    b = np.asarray(den[first:last])
    vb = b.var(ddof=1)
    return float(a.var(ddof=1) / vb) if vb > 0 else math.nan


def summarise(m: Model) -> tuple[dict[str, float], dict[str, dict[str, dict[str, float]]]]:
    """(overall KPIs, breakdowns by dimension) of a finished replication."""
    k = m.k
    window = max(m.horizon - m.warmup, 1e-12)
    years = window / 365.0
    nC, nP, nF = len(m.customers), len(m.products), len(m.facilities)
    nR = len(m.route_list)
    rl = np.frombuffer(k.rl, dtype=float).reshape(nR, K.ML) if nR else np.zeros((0, K.ML))
    r_ci = np.asarray([rt.ci for rt in m.route_list], dtype=int)
    r_pi = np.asarray([rt.pi for rt in m.route_list], dtype=int)
    r_fi = np.asarray([rt.fi for rt in m.route_list], dtype=int)
    price = np.asarray(m.price)
    cost = np.asarray(m.cost)
    mult = np.asarray(m.margin_mult) if nC else np.zeros(0)
    r_rev = rl[:, K.DELIVERED] * price[r_pi] * (mult[r_ci] if nR else 0.0) if nR else np.zeros(0)
    r_cogs = rl[:, K.DELIVERED] * cost[r_pi] if nR else np.zeros(0)
    cc = np.asarray(k.cc, dtype=float).reshape(nC, K.NCODES) if nC else np.zeros((0, K.NCODES))
    cs = np.asarray(k.cs, dtype=float)
    pl = np.asarray(k.pl, dtype=float).reshape(-1, K.ML)
    pc = np.asarray(k.pc, dtype=float).reshape(-1, K.NCODES)
    costs = m.sc.costs

    def group(values: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
        out = np.zeros((n, *values.shape[1:]))
        if len(keys):
            np.add.at(out, keys, values)
        return out

    # per-customer, product and facility sums of the route counters
    c_line, c_rev, c_cogs = group(rl, r_ci, nC), group(r_rev, r_ci, nC), group(r_cogs, r_ci, nC)
    c_lines = np.asarray(k.cl, dtype=float)
    p_line = group(rl, r_pi, nP)
    p_codes = np.asarray(k.pcodes, dtype=float).reshape(nP, K.NCODES)
    p_rev, p_cogs = group(r_rev, r_pi, nP), group(r_cogs, r_pi, nP)
    f_line = group(rl, r_fi, nF + 1)
    f_codes = np.asarray(k.fcodes, dtype=float).reshape(nF + 1, K.NCODES)
    f_rev, f_cogs = group(r_rev, r_fi, nF + 1), group(r_cogs, r_fi, nF + 1)

    def by_customers(line: np.ndarray, codes: np.ndarray, lines: float, cycle: float,
                     rev: float, cogs: float) -> dict[str, float]:
        """Order KPIs count orders (not lines) for customer-based groups."""
        row = K.service_kpis(line, codes, cycle, rev, cogs)
        row["line_fill_rate"] = K.ratio(line[K.LINES_FILLED], lines)
        return row

    def by_routes(line: np.ndarray, codes: np.ndarray, rev: float, cogs: float) -> dict[str, float]:
        """Order outcomes attributed to each line: 'orders' counts order lines here."""
        return K.service_kpis(line, codes, line[K.CYCLE_SUM], rev, cogs)

    total_line = rl.sum(axis=0) if nR else np.zeros(K.ML)
    total = {"line": total_line, "rev": float(r_rev.sum()), "cogs": float(r_cogs.sum())}

    # inventory per product and facility --------------------------------------------------
    onhand_p = np.zeros(nP)
    backlog_p = np.zeros(nP)
    pipe_p = np.zeros(nP)
    onhand_f = np.zeros(nF + 1)
    value_f = np.zeros(nF + 1)
    cyc_p = np.zeros((nP, 2))
    cyc_f = np.zeros((nF + 1, 2))
    for (fi, pi), sp in m.sp.items():
        onhand_p[pi] += sp.area_onhand / window
        backlog_p[pi] += sp.area_backlog / window
        pipe_p[pi] += sp.area_pipeline / window
        onhand_f[fi] += sp.area_onhand / window
        value_f[fi] += sp.area_onhand / window * m.cost[pi]
        cyc_p[pi] += (sp.cycles_ok, sp.cycles)
        cyc_f[fi] += (sp.cycles_ok, sp.cycles)
    value_p = onhand_p * np.asarray(m.cost)
    holding_f = costs.holding_rate_per_year * value_f * years
    fixed_f = np.asarray([f.fixed_cost_per_year * years for f in m.facilities] + [0.0])

    def inventory(onhand: float, value: float, backlog: float, demand_units: float,
                  cogs: float, cycles: np.ndarray) -> dict[str, float]:
        return {
            "on_hand_units_avg": onhand,
            "inventory_value_avg": value,
            "backorder_units_avg": backlog,
            "inventory_turns": (cogs / years) / value if value > 0 else math.nan,
            "days_of_supply": onhand / (demand_units / window) if demand_units > 0 else math.nan,
            "cycle_service_level": cycles[0] / cycles[1] if cycles[1] > 0 else math.nan,
        }

    kp = by_customers(total["line"], cc.sum(axis=0), float(c_lines.sum()), float(cs.sum()),
                      total["rev"], total["cogs"])
    kp["order_cycle_time_p50"] = k.cycle_all.percentile(50)
    kp["order_cycle_time_p95"] = k.cycle_all.percentile(95)
    kp.update(inventory(onhand_p.sum(), value_p.sum(), backlog_p.sum(), total_line[K.DEMAND],
                        total["cogs"], cyc_p.sum(axis=0)))
    kp["pipeline_units_avg"] = float(pipe_p.sum())
    kp["order_wait_days_mean"] = (sum(k.wait_sum) / sum(k.wait_n)) if sum(k.wait_n) else math.nan
    kp["holding_cost"] = float(holding_f.sum())
    kp["ordering_cost"] = float(sum(k.ordering))
    kp["transport_cost"] = float(sum(k.transport))
    kp["handling_cost"] = float(sum(k.handling))
    kp["facility_fixed_cost"] = float(fixed_f.sum())
    kp["stockout_penalty_cost"] = float(k.penalty)
    kp["replenishment_orders"] = float(sum(k.repl_orders))
    kp["total_cost"] = (kp["holding_cost"] + kp["ordering_cost"] + kp["transport_cost"]
                        + kp["handling_cost"] + kp["facility_fixed_cost"]
                        + kp["stockout_penalty_cost"] + kp["promotion_cost"])
    kp["profit"] = kp["gross_margin"] - kp["total_cost"]
    kp["co2_kg"] = float(sum(k.co2))
    first_week = math.ceil(m.warmup / 7.0)
    last_week = int(m.horizon // 7.0)
    kp["bullwhip_ratio"] = _variance_ratio(m.week_orders_up, m.week_demand, first_week, last_week)

    # customers: churn and lifetime value --------------------------------------------------
    churned = sum(1 for c in range(nC) if not m.active[c] or m.churned_at[c] <= m.horizon)
    active_end = nC - churned
    at_risk = 0
    clv = 0.0
    d = costs.discount_rate_per_year
    churn_tier = np.zeros(len(m.tiers))
    clv_tier = np.zeros(len(m.tiers))
    for ci, c in enumerate(m.customers):
        ti = m.cust_tier[ci]
        if not m.active[ci] or m.churned_at[ci] <= m.horizon:
            churn_tier[ti] += 1
            continue
        ch = m.sc.tiers[c.tier].churn
        fails_per_year = m.failures[ci] / (m.horizon / 365.0)
        p = min(1.0, ch.base_rate_per_year + 1 - (1 - ch.per_failure) ** fails_per_year)
        if p > ch.at_risk_threshold:
            at_risk += 1
        margin_per_year = (c_rev[ci] - c_cogs[ci]) / years
        r = 1.0 - p
        value = margin_per_year * (1.0 + d) / (1.0 + d - r) if (1.0 + d - r) > 0 else 0.0
        clv += value
        clv_tier[ti] += value
    kp["active_customers_end"] = float(active_end)
    kp["churned_customers"] = float(churned)
    kp["churn_rate"] = churned / nC if nC else math.nan
    kp["at_risk_customers"] = float(at_risk)
    kp["clv_total"] = float(clv)

    # breakdowns ---------------------------------------------------------------------------
    by: dict[str, dict[str, dict[str, float]]] = {}
    t_of_c = np.asarray(m.cust_tier, dtype=int)
    nT = len(m.tiers)
    t_line, t_codes, t_lines = group(c_line, t_of_c, nT), group(cc, t_of_c, nT), group(c_lines, t_of_c, nT)
    t_cycle, t_rev, t_cogs = group(cs, t_of_c, nT), group(c_rev, t_of_c, nT), group(c_cogs, t_of_c, nT)
    tier_count = np.bincount(t_of_c, minlength=nT)
    by["tier"] = {}
    for ti, t in enumerate(m.tiers):
        row = by_customers(t_line[ti], t_codes[ti], t_lines[ti], t_cycle[ti], t_rev[ti], t_cogs[ti])
        row["order_cycle_time_p50"] = k.cycle_tier[ti].percentile(50)
        row["order_cycle_time_p95"] = k.cycle_tier[ti].percentile(95)
        row["target_fill_rate"] = m.sc.tiers[t].target_fill_rate
        row["churned_customers"] = float(churn_tier[ti])
        row["churn_rate"] = churn_tier[ti] / tier_count[ti] if tier_count[ti] else math.nan
        row["clv_total"] = float(clv_tier[ti])
        by["tier"][t] = _clean(row)
    by["product"] = {}
    for pi, p in enumerate(m.products):
        row = by_routes(p_line[pi], p_codes[pi], p_rev[pi], p_cogs[pi])
        row.update(inventory(onhand_p[pi], value_p[pi], backlog_p[pi], p_line[pi, K.DEMAND],
                             p_cogs[pi], cyc_p[pi]))
        by["product"][p.id] = _clean(row)
    classes = abc_classes(m)
    cls_names = ["A", "B", "C"]
    cls_idx = [cls_names.index(c) for c in classes]
    ci_arr = np.asarray(cls_idx, dtype=int)
    a_line, a_codes = group(p_line, ci_arr, 3), group(p_codes, ci_arr, 3)
    a_rev, a_cogs = group(p_rev, ci_arr, 3), group(p_cogs, ci_arr, 3)
    by["abc_class"] = {}
    for i, name in enumerate(cls_names):
        if name in classes:
            sel = [pi for pi in range(nP) if cls_idx[pi] == i]
            row = by_routes(a_line[i], a_codes[i], a_rev[i], a_cogs[i])
            row.update(inventory(onhand_p[sel].sum(), value_p[sel].sum(), backlog_p[sel].sum(),
                                 a_line[i, K.DEMAND], a_cogs[i], cyc_p[sel].sum(axis=0)))
            by["abc_class"][name] = _clean(row)
    by["facility"] = {}
    fac_names = [f.id for f in m.facilities] + ["(supplier direct)"]
    for fi, name in enumerate(fac_names):
        if fi == nF and f_codes[fi].sum() == 0:
            continue
        row = by_routes(f_line[fi], f_codes[fi], f_rev[fi], f_cogs[fi])
        row.update(inventory(onhand_f[fi], value_f[fi], 0.0, f_line[fi, K.DEMAND], f_cogs[fi],
                             cyc_f[fi]))
        row.pop("backorder_units_avg")
        row["holding_cost"] = holding_f[fi]
        row["transport_cost"] = k.transport[fi]
        row["handling_cost"] = k.handling[fi]
        row["facility_fixed_cost"] = fixed_f[fi]
        row["co2_kg"] = k.co2[fi]
        if fi < nF:
            row["order_wait_days_mean"] = (k.wait_sum[fi] / k.wait_n[fi]) if k.wait_n[fi] else math.nan
            row["bullwhip_ratio"] = _variance_ratio(m.fac_week_out[fi], m.fac_week_in[fi],
                                                    first_week, last_week)
        by["facility"][name] = _clean(row)
    operators = sorted({f.operator for f in m.facilities})
    op_idx = [operators.index(f.operator) for f in m.facilities]
    by["operator"] = {}
    if operators:
        oi_arr = np.asarray(op_idx, dtype=int)
        o_line, o_codes = group(f_line[:nF], oi_arr, len(operators)), group(f_codes[:nF], oi_arr, len(operators))
        o_rev, o_cogs = group(f_rev[:nF], oi_arr, len(operators)), group(f_cogs[:nF], oi_arr, len(operators))
        for oi, name in enumerate(operators):
            sel = [fi for fi in range(nF) if op_idx[fi] == oi]
            row = by_routes(o_line[oi], o_codes[oi], o_rev[oi], o_cogs[oi])
            row["on_hand_units_avg"] = float(onhand_f[sel].sum())
            row["inventory_value_avg"] = float(value_f[sel].sum())
            row["transport_cost"] = float(sum(k.transport[fi] for fi in sel))
            row["handling_cost"] = float(sum(k.handling[fi] for fi in sel))
            row["facility_fixed_cost"] = float(fixed_f[sel].sum())
            by["operator"][name] = _clean(row)
    by["customer"] = {}
    for ci, c in enumerate(m.customers):
        if c_lines[ci] == 0 and c_line[ci, K.DEMAND] == 0:
            continue
        row = by_customers(c_line[ci], cc[ci], c_lines[ci], cs[ci], c_rev[ci], c_cogs[ci])
        by["customer"][c.id] = _clean({key: row[key] for key in (
            "fill_rate", "otif_rate", "on_time_rate", "order_cycle_time_mean", "orders",
            "demand_units", "lost_sales_units", "revenue", "gross_margin")})
    period_name = m.sc.simulation.period
    by[period_name] = {}
    for i in range(pl.shape[0]):
        row = K.service_kpis(pl[i], pc[i], pl[i, K.CYCLE_SUM], pl[i, K.REVENUE], 0.0)
        row["on_hand_units_avg"] = k.per_onhand_area[i] / m.period_len
        by[period_name][str(i)] = _clean({key: row[key] for key in (
            "fill_rate", "otif_rate", "on_time_rate", "order_fill_rate", "orders",
            "demand_units", "lost_sales_units", "revenue", "on_hand_units_avg")})
    return kp, by
