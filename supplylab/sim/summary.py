"""KPI formulas at the end of a replication: overall values and every breakdown.

Definitions follow docs/kpis.md (textbook ones). Time-averages use the measured window
[warm-up, horizon]; money per window (not annualised) except where the name says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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


Row = dict[str, float]
By = dict[str, dict[str, Row]]


def _group(values: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
    """Sums of ``values`` rows by integer ``keys`` in [0, n)."""
    out = np.zeros((n, *values.shape[1:]))
    if len(keys):
        np.add.at(out, keys, values)
    return out


@dataclass
class Tables:
    """The replication's counters as arrays, summed by customer, product and facility.

    ``*_line`` are line metrics (``kpis.ML`` columns), ``*_codes`` order-outcome code counts
    (``kpis.NCODES`` columns), ``*_rev`` / ``*_cogs`` revenue and cost of goods delivered.
    Facility arrays have one more row: supplier-direct flows.
    """

    window: float  # measured days
    years: float
    cc: np.ndarray  # customer x NCODES
    cs: np.ndarray  # cycle time sum per customer
    cq: np.ndarray  # customer x (orders damaged, orders with document errors)
    fq: np.ndarray  # facility x (damaged, document errors), by each line's facility
    pq: np.ndarray  # period x (damaged, document errors)
    cpl: np.ndarray  # promised lead time sum per customer
    clt: np.ndarray  # lateness against the promise, sum per customer
    c_line: np.ndarray
    c_rev: np.ndarray
    c_cogs: np.ndarray
    c_lines: np.ndarray  # order lines per customer (closed orders)
    p_line: np.ndarray
    p_codes: np.ndarray
    p_rev: np.ndarray
    p_cogs: np.ndarray
    f_line: np.ndarray
    f_codes: np.ndarray
    f_rev: np.ndarray
    f_cogs: np.ndarray
    pl: np.ndarray  # period x ML
    pc: np.ndarray  # period x NCODES


def tables(m: Model) -> Tables:
    """Counters of the collector as arrays, and their sums by customer, product, facility."""
    k = m.k
    window = max(m.horizon - m.warmup, 1e-12)
    nC, nP, nF = len(m.customers), len(m.products), len(m.facilities)
    c_line = K.fold_express(np.frombuffer(k.cm, dtype=float).reshape(nC, K.ML).copy())
    # product-site lines: product x (facility or outside), summed either way
    s_line = K.fold_express(np.frombuffer(k.sm, dtype=float).reshape(nP, nF + 1, K.ML).copy())
    s_line[..., K.COGS] = s_line[..., K.DELIVERED] * np.asarray(m.cost)[:, None]
    p_line, f_line = s_line.sum(axis=1), s_line.sum(axis=0)
    return Tables(
        window=window, years=window / 365.0,
        cc=np.asarray(k.cc, dtype=float).reshape(nC, K.NCODES) if nC else np.zeros((0, K.NCODES)),
        cs=np.asarray(k.cs, dtype=float), cpl=np.asarray(k.cpl, dtype=float),
        cq=np.asarray(k.cq, dtype=float).reshape(nC, 2) if nC else np.zeros((0, 2)),
        fq=np.asarray(k.fq, dtype=float).reshape(nF + 1, 2),
        pq=np.asarray(k.pq, dtype=float).reshape(-1, 2),
        clt=np.asarray(k.clt, dtype=float),
        c_line=c_line, c_rev=c_line[:, K.REVENUE], c_cogs=c_line[:, K.COGS],
        c_lines=np.asarray(k.cl, dtype=float),
        p_line=p_line,
        p_codes=np.asarray(k.pcodes, dtype=float).reshape(nP, K.NCODES),
        p_rev=p_line[:, K.REVENUE], p_cogs=p_line[:, K.COGS],
        f_line=f_line,
        f_codes=np.asarray(k.fcodes, dtype=float).reshape(nF + 1, K.NCODES),
        f_rev=f_line[:, K.REVENUE], f_cogs=f_line[:, K.COGS],
        pl=K.fold_express(np.asarray(k.pl, dtype=float).reshape(-1, K.ML)),
        pc=np.asarray(k.pc, dtype=float).reshape(-1, K.NCODES),
    )


def by_customers(line: np.ndarray, codes: np.ndarray, lines: float, cycle: float,
                 rev: float, cogs: float) -> Row:
    """Service KPIs of a customer-based group: order KPIs count orders (not lines)."""
    row = K.service_kpis(line, codes, cycle, rev, cogs)
    row["line_fill_rate"] = K.ratio(line[K.LINES_FILLED], lines)
    return row


def promise_kpis(codes: np.ndarray, promised: float, late: float) -> Row:
    """Mean promised lead time (judged orders) and mean lateness against the promise
    (complete orders; 0 for a kept promise), days."""
    o = codes @ K.DECODE
    return {"promised_lead_time_mean": K.ratio(promised, o[0]),
            "promise_lateness_days_mean": K.ratio(late, o[6])}


def perfect_reasons(codes: np.ndarray, quality: np.ndarray, promised: bool) -> Row:
    """Orders failing each test of a perfect order (one order may fail several): not in full
    (first shipment incomplete), late (against the requested date, or the promise when
    ``simulation.perfect_order_on_time: promised``), damaged, document errors."""
    o = codes @ K.DECODE
    return {"orders_incomplete": float(o[0] - o[1]),
            "orders_late": float(o[0] - (o[3] if promised else o[2])),
            "orders_damaged": float(quality[0]), "orders_doc_error": float(quality[1])}


def by_routes(line: np.ndarray, codes: np.ndarray, rev: float, cogs: float) -> Row:
    """Service KPIs of a route-based group (product, facility): order outcomes are
    attributed to each line, so 'orders' counts order lines here."""
    return K.service_kpis(line, codes, line[K.CYCLE_SUM], rev, cogs)


@dataclass
class Stock:
    """Time-averaged inventory by product and facility, with holding and fixed costs."""

    onhand_p: np.ndarray
    backlog_p: np.ndarray
    pipe_p: np.ndarray
    value_p: np.ndarray
    cyc_p: np.ndarray  # (cycles without stock-out, replenishment cycles)
    onhand_f: np.ndarray
    value_f: np.ndarray
    cyc_f: np.ndarray
    holding_f: np.ndarray
    fixed_f: np.ndarray


def stock(m: Model, t: Tables) -> Stock:
    """Averages over the measured window of every stock point, summed by product and site."""
    nP, nF = len(m.products), len(m.facilities)
    window = t.window
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
    return Stock(
        onhand_p=onhand_p, backlog_p=backlog_p, pipe_p=pipe_p,
        value_p=onhand_p * np.asarray(m.cost), cyc_p=cyc_p, onhand_f=onhand_f, value_f=value_f,
        cyc_f=cyc_f, holding_f=m.sc.costs.holding_rate_per_year * value_f * t.years,
        fixed_f=np.asarray([f.fixed_cost_per_year * t.years for f in m.facilities] + [0.0]),
    )


def inventory(t: Tables, onhand: float, value: float, backlog: float, demand_units: float,
              cogs: float, cycles: np.ndarray) -> Row:
    """Inventory KPIs of a group from its averages (units, money) and measured demand."""
    return {
        "on_hand_units_avg": onhand,
        "inventory_value_avg": value,
        "backorder_units_avg": backlog,
        "inventory_turns": (cogs / t.years) / value if value > 0 else math.nan,
        "days_of_supply": onhand / (demand_units / t.window) if demand_units > 0 else math.nan,
        "cycle_service_level": cycles[0] / cycles[1] if cycles[1] > 0 else math.nan,
    }


def overall(m: Model, t: Tables, st: Stock) -> Row:
    """The overall KPIs except the customer-base ones."""
    k = m.k
    total_line = t.c_line.sum(axis=0) if len(t.c_line) else np.zeros(K.ML)
    rev, cogs = float(total_line[K.REVENUE]), float(total_line[K.COGS])
    kp = by_customers(total_line, t.cc.sum(axis=0), float(t.c_lines.sum()), float(t.cs.sum()),
                      rev, cogs)
    kp["order_cycle_time_p50"] = k.cycle_all.percentile(50)
    kp["order_cycle_time_p95"] = k.cycle_all.percentile(95)
    kp.update(promise_kpis(t.cc.sum(axis=0), float(t.cpl.sum()), float(t.clt.sum())))
    kp.update(perfect_reasons(t.cc.sum(axis=0), t.cq.sum(axis=0), _against_promise(m)))
    kp.update(inventory(t, st.onhand_p.sum(), st.value_p.sum(), st.backlog_p.sum(),
                        total_line[K.DEMAND], cogs, st.cyc_p.sum(axis=0)))
    kp["pipeline_units_avg"] = float(st.pipe_p.sum())
    kp["order_wait_days_mean"] = (sum(k.wait_sum) / sum(k.wait_n)) if sum(k.wait_n) else math.nan
    kp["holding_cost"] = float(st.holding_f.sum())
    kp["ordering_cost"] = float(sum(k.ordering))
    kp["transport_cost"] = float(sum(k.transport))
    kp["handling_cost"] = float(sum(k.handling))
    kp["facility_fixed_cost"] = float(st.fixed_f.sum())
    kp["stockout_penalty_cost"] = float(k.penalty)
    kp["replenishment_orders"] = float(sum(k.repl_orders))
    kp["total_cost"] = (kp["holding_cost"] + kp["ordering_cost"] + kp["transport_cost"]
                        + kp["handling_cost"] + kp["facility_fixed_cost"]
                        + kp["stockout_penalty_cost"])
    kp["profit"] = kp["gross_margin"] - kp["total_cost"]
    kp["co2_kg"] = float(sum(k.co2))
    first, last = _weeks(m)
    kp["bullwhip_ratio"] = _variance_ratio(k.week_orders_up, k.week_demand, first, last)
    return kp


def _weeks(m: Model) -> tuple[int, int]:
    """The whole weeks of the measured window (indices of the weekly series)."""
    return math.ceil(m.warmup / 7.0), int(m.horizon // 7.0)


@dataclass
class CustomerBase:
    """Churn and lifetime value per tier."""

    churned: np.ndarray  # customers churned by the horizon, per tier
    clv: np.ndarray  # lifetime value of the remaining customers, per tier
    clv_total: float  # their sum (in customer order)
    at_risk: int


def customer_base(m: Model, t: Tables) -> CustomerBase:
    """Churned customers, the at-risk count and the CLV of those who stay (docs/kpis.md)."""
    d = m.sc.costs.discount_rate_per_year
    churned = np.zeros(len(m.tiers))
    clv = np.zeros(len(m.tiers))
    at_risk = 0
    total = 0.0
    for ci, c in enumerate(m.customers):
        ti = m.crm.tier[ci]
        if m.crm.churned(ci, m.horizon):
            churned[ti] += 1
            continue
        ch = m.sc.tiers[c.tier].churn
        fails_per_year = m.crm.failures[ci] / (m.horizon / 365.0)
        p = min(1.0, ch.base_rate_per_year + 1 - (1 - ch.per_failure) ** fails_per_year)
        if p > ch.at_risk_threshold:
            at_risk += 1
        margin_per_year = (t.c_rev[ci] - t.c_cogs[ci]) / t.years
        r = 1.0 - p
        value = margin_per_year * (1.0 + d) / (1.0 + d - r) if (1.0 + d - r) > 0 else 0.0
        clv[ti] += value
        total += value
    return CustomerBase(churned, clv, total, at_risk)


def customer_kpis(m: Model, cb: CustomerBase) -> Row:
    """The overall customer-base KPIs (docs/kpis.md, "Customers (CRM)")."""
    nC = len(m.customers)
    churned = float(sum(1 for c in range(nC) if m.crm.churned(c, m.horizon)))
    return {"active_customers_end": float(nC - churned), "churned_customers": churned,
            "churn_rate": churned / nC if nC else math.nan, "at_risk_customers": float(cb.at_risk),
            "clv_total": float(cb.clv_total)}


def by_tier(m: Model, t: Tables, cb: CustomerBase) -> dict[str, Row]:
    """Service, churn and CLV per tier (orders counted per order)."""
    t_of_c = np.asarray(m.crm.tier, dtype=int)
    nT = len(m.tiers)
    t_line, t_codes, t_lines = (_group(t.c_line, t_of_c, nT), _group(t.cc, t_of_c, nT),
                                _group(t.c_lines, t_of_c, nT))
    t_cycle, t_rev, t_cogs = (_group(t.cs, t_of_c, nT), _group(t.c_rev, t_of_c, nT),
                              _group(t.c_cogs, t_of_c, nT))
    t_promised, t_late = _group(t.cpl, t_of_c, nT), _group(t.clt, t_of_c, nT)
    t_quality = _group(t.cq, t_of_c, nT)
    tier_count = np.bincount(t_of_c, minlength=nT)
    out = {}
    for ti, name in enumerate(m.tiers):
        row = by_customers(t_line[ti], t_codes[ti], t_lines[ti], t_cycle[ti], t_rev[ti],
                           t_cogs[ti])
        row["order_cycle_time_p50"] = m.k.cycle_tier[ti].percentile(50)
        row["order_cycle_time_p95"] = m.k.cycle_tier[ti].percentile(95)
        row.update(promise_kpis(t_codes[ti], float(t_promised[ti]), float(t_late[ti])))
        row.update(perfect_reasons(t_codes[ti], t_quality[ti], _against_promise(m)))
        row["target_fill_rate"] = m.sc.tiers[name].target_fill_rate
        row["churned_customers"] = float(cb.churned[ti])
        row["churn_rate"] = cb.churned[ti] / tier_count[ti] if tier_count[ti] else math.nan
        row["clv_total"] = float(cb.clv[ti])
        out[name] = _clean(row)
    return out


def by_product(m: Model, t: Tables, st: Stock) -> dict[str, Row]:
    """Service and inventory per product (order outcomes per line)."""
    out = {}
    for pi, p in enumerate(m.products):
        row = by_routes(t.p_line[pi], t.p_codes[pi], t.p_rev[pi], t.p_cogs[pi])
        row.update(inventory(t, st.onhand_p[pi], st.value_p[pi], st.backlog_p[pi],
                             t.p_line[pi, K.DEMAND], t.p_cogs[pi], st.cyc_p[pi]))
        out[p.id] = _clean(row)
    return out


def by_abc(m: Model, t: Tables, st: Stock) -> dict[str, Row]:
    """Service and inventory per ABC class."""
    classes = abc_classes(m)
    names = ["A", "B", "C"]
    idx = [names.index(c) for c in classes]
    arr = np.asarray(idx, dtype=int)
    a_line, a_codes = _group(t.p_line, arr, 3), _group(t.p_codes, arr, 3)
    a_rev, a_cogs = _group(t.p_rev, arr, 3), _group(t.p_cogs, arr, 3)
    out = {}
    for i, name in enumerate(names):
        if name in classes:
            sel = [pi for pi in range(len(m.products)) if idx[pi] == i]
            row = by_routes(a_line[i], a_codes[i], a_rev[i], a_cogs[i])
            row.update(inventory(t, st.onhand_p[sel].sum(), st.value_p[sel].sum(),
                                 st.backlog_p[sel].sum(), a_line[i, K.DEMAND], a_cogs[i],
                                 st.cyc_p[sel].sum(axis=0)))
            out[name] = _clean(row)
    return out


def by_facility(m: Model, t: Tables, st: Stock) -> dict[str, Row]:
    """Service, inventory, cost and bullwhip per serving site."""
    k = m.k
    nF = len(m.facilities)
    first, last = _weeks(m)
    out = {}
    for fi, name in enumerate([f.id for f in m.facilities] + ["(supplier direct)"]):
        if fi == nF and t.f_codes[fi].sum() == 0:
            continue
        row = by_routes(t.f_line[fi], t.f_codes[fi], t.f_rev[fi], t.f_cogs[fi])
        row.update(inventory(t, st.onhand_f[fi], st.value_f[fi], 0.0, t.f_line[fi, K.DEMAND],
                             t.f_cogs[fi], st.cyc_f[fi]))
        row.pop("backorder_units_avg")
        row["holding_cost"] = st.holding_f[fi]
        row["transport_cost"] = k.transport[fi]
        row["handling_cost"] = k.handling[fi]
        row["facility_fixed_cost"] = st.fixed_f[fi]
        row["co2_kg"] = k.co2[fi]
        row.update(perfect_reasons(t.f_codes[fi], t.fq[fi], _against_promise(m)))
        if fi < nF:
            row["order_wait_days_mean"] = (k.wait_sum[fi] / k.wait_n[fi]) if k.wait_n[fi] \
                else math.nan
            row["bullwhip_ratio"] = _variance_ratio(k.fac_week_out[fi], k.fac_week_in[fi],
                                                    first, last)
        out[name] = _clean(row)
    return out


def by_operator(m: Model, t: Tables, st: Stock) -> dict[str, Row]:
    """Service, inventory and cost per 3PL operator."""
    k = m.k
    nF = len(m.facilities)
    operators = sorted({f.operator for f in m.facilities})
    if not operators:
        return {}
    op_idx = [operators.index(f.operator) for f in m.facilities]
    arr = np.asarray(op_idx, dtype=int)
    n = len(operators)
    o_line, o_codes = _group(t.f_line[:nF], arr, n), _group(t.f_codes[:nF], arr, n)
    o_rev, o_cogs = _group(t.f_rev[:nF], arr, n), _group(t.f_cogs[:nF], arr, n)
    out = {}
    for oi, name in enumerate(operators):
        sel = [fi for fi in range(nF) if op_idx[fi] == oi]
        row = by_routes(o_line[oi], o_codes[oi], o_rev[oi], o_cogs[oi])
        row["on_hand_units_avg"] = float(st.onhand_f[sel].sum())
        row["inventory_value_avg"] = float(st.value_f[sel].sum())
        row["transport_cost"] = float(sum(k.transport[fi] for fi in sel))
        row["handling_cost"] = float(sum(k.handling[fi] for fi in sel))
        row["facility_fixed_cost"] = float(st.fixed_f[sel].sum())
        out[name] = _clean(row)
    return out


REASONS = ("orders_incomplete", "orders_late", "orders_damaged", "orders_doc_error")
CUSTOMER_KPIS = ("fill_rate", "otif_rate", "on_time_rate", "order_cycle_time_mean", "orders",
                 "demand_units", "lost_sales_units", "revenue", "gross_margin",
                 "perfect_order_rate", "promise_kept_rate", *REASONS)
PERIOD_KPIS = ("fill_rate", "otif_rate", "on_time_rate", "order_fill_rate", "orders",
               "demand_units", "lost_sales_units", "revenue", "on_hand_units_avg",
               "perfect_order_rate", *REASONS)


def _against_promise(m: Model) -> bool:
    return m.sc.simulation.perfect_order_on_time == "promised"


def by_customer(m: Model, t: Tables) -> dict[str, Row]:
    """The main service KPIs of every customer that ordered."""
    out = {}
    for ci, c in enumerate(m.customers):
        if t.c_lines[ci] == 0 and t.c_line[ci, K.DEMAND] == 0:
            continue
        row = by_customers(t.c_line[ci], t.cc[ci], t.c_lines[ci], t.cs[ci], t.c_rev[ci],
                           t.c_cogs[ci])
        row.update(perfect_reasons(t.cc[ci], t.cq[ci], _against_promise(m)))
        out[c.id] = _clean({key: row[key] for key in CUSTOMER_KPIS})
    return out


def by_period(m: Model, t: Tables) -> dict[str, Row]:
    """The main KPIs per week or month of the measured window."""
    out = {}
    for i in range(t.pl.shape[0]):
        row = K.service_kpis(t.pl[i], t.pc[i], t.pl[i, K.CYCLE_SUM], t.pl[i, K.REVENUE], 0.0)
        row["on_hand_units_avg"] = m.k.per_onhand_area[i] / m.period_days(i)
        row.update(perfect_reasons(t.pc[i], t.pq[i], _against_promise(m)))
        out[str(i)] = _clean({key: row[key] for key in PERIOD_KPIS})
    return out


def summarise(m: Model) -> tuple[Row, By]:
    """(overall KPIs, breakdowns by dimension) of a finished replication."""
    t = tables(m)
    st = stock(m, t)
    kp = overall(m, t, st)
    cb = customer_base(m, t)
    kp.update(customer_kpis(m, cb))
    by: By = {
        "tier": by_tier(m, t, cb),
        "product": by_product(m, t, st),
        "abc_class": by_abc(m, t, st),
        "facility": by_facility(m, t, st),
        "operator": by_operator(m, t, st),
        "customer": by_customer(m, t),
        m.sc.simulation.period: by_period(m, t),
    }
    return kp, by
