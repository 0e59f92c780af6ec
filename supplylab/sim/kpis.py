"""KPI accumulation while the simulation runs, and the KPI formulas at the end.

Counters live in flat Python lists indexed ``key * M + metric`` for four base dimensions
(customer, product, facility, period); tiers, ABC classes and operators are sums of their
customers, products and facilities at the end, so memory does not grow with the horizon
(except the period series, which is the output). Order cycle times go into a fixed-bin
histogram for percentiles.
"""

from __future__ import annotations

import math

import numpy as np

# metric slots of the base counters -------------------------------------------------------
DEMAND, FROM_STOCK, LINES, LINES_FILLED, LOST, SUBST, DELIVERED, REVENUE, COGS, DISCOUNT, \
    ORDERS, ORDERS_FILLED, ON_TIME, PROMISE_KEPT, OTIF, PERFECT, CYCLE_SUM, CYCLE_N, \
    RETURNED, BACKORDER_DAYS = range(20)
M = 20

HIST_BIN = 0.01  # days
HIST_BINS = 20_000  # up to 200 days; beyond goes to the last bin


class Histogram:
    """Fixed-bin histogram of non-negative values (days) with percentiles by interpolation."""

    __slots__ = ("counts", "n")

    def __init__(self) -> None:
        self.counts = np.zeros(HIST_BINS + 1, dtype=np.int64)
        self.n = 0

    def add(self, x: float) -> None:
        i = int(x / HIST_BIN)
        self.counts[i if i < HIST_BINS else HIST_BINS] += 1
        self.n += 1

    def reset(self) -> None:
        self.counts[:] = 0
        self.n = 0

    def percentile(self, q: float) -> float:
        if self.n == 0:
            return math.nan
        cum = np.cumsum(self.counts)
        target = q / 100.0 * self.n
        i = int(np.searchsorted(cum, target, side="left"))
        below = cum[i - 1] if i > 0 else 0
        inside = self.counts[i]
        frac = (target - below) / inside if inside else 0.0
        return (i + min(max(frac, 0.0), 1.0)) * HIST_BIN


class Collector:
    """Counters of one replication (reset at the end of the warm-up)."""

    def __init__(self, n_customers: int, n_products: int, n_facilities: int, n_tiers: int,
                 n_periods: int) -> None:
        self.nc, self.np_, self.nf, self.nt = n_customers, n_products, n_facilities, n_tiers
        self.n_periods = n_periods
        self.cust = [0.0] * (n_customers * M)
        self.prod = [0.0] * (n_products * M)
        self.fac = [0.0] * (n_facilities * M)
        self.per = [0.0] * (n_periods * M)
        self.cycle_all = Histogram()
        self.cycle_tier = [Histogram() for _ in range(n_tiers)]
        # costs and flows by facility (index nf = outside any facility: suppliers, direct)
        self.transport = [0.0] * (n_facilities + 1)
        self.handling = [0.0] * (n_facilities + 1)
        self.ordering = [0.0] * (n_facilities + 1)
        self.co2 = [0.0] * (n_facilities + 1)
        self.repl_orders = [0] * (n_facilities + 1)
        self.wait_sum = [0.0] * n_facilities
        self.wait_n = [0] * n_facilities
        self.penalty = 0.0
        self.per_onhand_area = [0.0] * n_periods

    def reset(self) -> None:
        for name in ("cust", "prod", "fac", "per", "transport", "handling", "ordering", "co2",
                     "wait_sum", "per_onhand_area"):
            lst = getattr(self, name)
            lst[:] = [0.0] * len(lst)
        self.repl_orders[:] = [0] * len(self.repl_orders)
        self.wait_n[:] = [0] * len(self.wait_n)
        self.penalty = 0.0
        self.cycle_all.reset()
        for h in self.cycle_tier:
            h.reset()

    def line(self, ci: int, pi: int, fi: int, per: int, slot: int, v: float) -> None:
        """Add v to a line-level metric in all four base dimensions."""
        self.cust[ci * M + slot] += v
        self.prod[pi * M + slot] += v
        self.fac[fi * M + slot] += v
        if per >= 0:
            self.per[per * M + slot] += v


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def service_kpis(v: list[float] | np.ndarray) -> dict[str, float]:
    """Service and money KPIs from one aggregated counter vector (length M)."""
    return {
        "fill_rate": ratio(v[FROM_STOCK], v[DEMAND]),
        "line_fill_rate": ratio(v[LINES_FILLED], v[LINES]),
        "order_fill_rate": ratio(v[ORDERS_FILLED], v[ORDERS]),
        "on_time_rate": ratio(v[ON_TIME], v[ORDERS]),
        "promise_kept_rate": ratio(v[PROMISE_KEPT], v[ORDERS]),
        "otif_rate": ratio(v[OTIF], v[ORDERS]),
        "perfect_order_rate": ratio(v[PERFECT], v[ORDERS]),
        "order_cycle_time_mean": ratio(v[CYCLE_SUM], v[CYCLE_N]),
        "lost_sales_units": float(v[LOST]),
        "lost_sales_rate": ratio(v[LOST], v[DEMAND]),
        "substituted_units": float(v[SUBST]),
        "returned_units": float(v[RETURNED]),
        "return_rate": ratio(v[RETURNED], v[DELIVERED]),
        "demand_units": float(v[DEMAND]),
        "delivered_units": float(v[DELIVERED]),
        "orders": float(v[ORDERS]),
        "revenue": float(v[REVENUE]),
        "gross_margin": float(v[REVENUE] - v[COGS]),
        "promotion_cost": float(v[DISCOUNT]),
    }


def group_sum(flat: list[float], groups: list[int], n_groups: int) -> np.ndarray:
    """Sum base-dimension counter vectors into groups: shape (n_groups, M)."""
    arr = np.asarray(flat, dtype=float).reshape(-1, M)
    out = np.zeros((n_groups, M))
    np.add.at(out, np.asarray(groups, dtype=int), arr)
    return out
