"""KPI accumulation while the simulation runs, and the KPI formulas at the end.

Hot-path design: a line's metrics are added to its customer, to its product-site (product x
serving facility) and to its period; an order's outcome is one 6-bit code (first shipment full,
on time, promise kept, OTIF, perfect, complete) counted per customer, product, facility and
period. Tiers are sums of customers, products, ABC classes, facilities and operators sums of
product-sites at the end. Memory is bounded by customers, product-sites and periods, not by the
number of orders or of customer-product pairs. Cycle times go into a fixed-bin histogram.
The one-line fast path appends a record per order instead, folded into the same counts with
numpy (``express.py``).
"""

from __future__ import annotations

import math
from array import array

import numpy as np

# line metrics (per customer, per product-site and per period) ---------------------------------
#: REVENUE is at the price paid (list price x tier multiplier, less discounts), COGS at unit cost
#: (per customer; the product-sites' is derived). EXPRESS: units of one-line orders served in
#: full at entry and delivered within the run (the fast path), which count as demanded, from
#: stock and delivered (``fold_express``: one counter update instead of three). CYCLE_SUM is
#: kept per product-site and period (a customer's is its order cycle sum, ``Collector.cs``).
DEMAND, FROM_STOCK, LINES_FILLED, LOST, SUBST, DELIVERED, DISCOUNT, BACKORDER_DAYS, RETURNED, \
    CYCLE_SUM, REVENUE, COGS, EXPRESS = range(13)
ML = 13
# order outcome code bits ----------------------------------------------------------------------
FIRST_FULL, ON_TIME, KEPT, OTIF, PERFECT, COMPLETE = 1, 2, 4, 8, 16, 32
NCODES = 64

HIST_BIN = 0.01  # days
HIST_BINS = 20_000  # up to 200 days; beyond goes to the last bin

#: code -> (orders, first_full, on_time, kept, otif, perfect, complete) indicator matrix
DECODE = np.array([[1, c & 1, (c >> 1) & 1, (c >> 2) & 1, (c >> 3) & 1, (c >> 4) & 1,
                    (c >> 5) & 1] for c in range(NCODES)], dtype=float)


def order_code(first_full: bool, on_time: bool, kept: bool, otif: bool, perfect: bool,
               complete: bool) -> int:
    return (first_full | on_time << 1 | kept << 2 | otif << 3 | perfect << 4 | complete << 5)


class Histogram:
    """Fixed-bin histogram of non-negative values (days) with percentiles by interpolation.

    The hot path increments ``counts[bin(x)]`` directly (``bin_of``); ``counts`` is an
    ``array("q")``, so the percentiles read it without conversion; ``n`` is their sum.
    """

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts = array("q", bytes(8 * (HIST_BINS + 1)))

    @property
    def n(self) -> int:
        return int(np.asarray(self.counts).sum())

    def add(self, x: float) -> None:
        self.counts[bin_of(x)] += 1

    def reset(self) -> None:
        self.counts[:] = array("q", bytes(8 * (HIST_BINS + 1)))

    def percentile(self, q: float) -> float:
        counts = np.asarray(self.counts)
        cum = np.cumsum(counts)
        n = int(cum[-1])
        if n == 0:
            return math.nan
        target = q / 100.0 * n
        i = int(np.searchsorted(cum, target, side="left"))
        below = cum[i - 1] if i > 0 else 0
        inside = counts[i]
        frac = (target - below) / inside if inside else 0.0
        return (i + min(max(frac, 0.0), 1.0)) * HIST_BIN


def bin_of(x: float) -> int:
    """Histogram bin of ``x`` days (bins of 0.01 day; the last bin holds everything beyond)."""
    i = int(x * 100.0)  # 1 / HIST_BIN
    return i if i < HIST_BINS else HIST_BINS


class Collector:
    """Counters of one replication (reset at the end of the warm-up)."""

    def __init__(self, n_customers: int, n_products: int, n_facilities: int, n_tiers: int,
                 n_periods: int, n_weeks: int) -> None:
        self.nc, self.nf, self.nt = n_customers, n_facilities, n_tiers
        self.n_periods = n_periods
        #: line metrics per customer and per product-site (product x (facility or outside))
        self.cm = array("d", bytes(8 * ML * n_customers))
        self.sm = array("d", bytes(8 * ML * n_products * (n_facilities + 1)))
        self.pcodes = [0] * (n_products * NCODES)  # order outcome codes by line's product
        self.fcodes = [0] * ((n_facilities + 1) * NCODES)  # ... and by line's facility
        self.cc = [0] * (n_customers * NCODES)
        self.cs = [0.0] * n_customers  # cycle time sums per customer
        self.cl = [0] * n_customers  # order lines per customer (closed orders)
        self.cpl = [0.0] * n_customers  # promised lead time sums per customer (judged orders)
        self.clt = [0.0] * n_customers  # lateness against the promise, sums (complete orders)
        # orders damaged / with document errors (2 slots each) by customer, facility, period
        self.cq = [0] * (2 * n_customers)
        self.fq = [0] * (2 * (n_facilities + 1))
        self.pq = [0] * (2 * n_periods)
        self.pl = [0.0] * (n_periods * ML)
        self.pc = [0] * (n_periods * NCODES)
        #: cycle times of complete orders by the customer's tier (all orders: ``cycle_all``)
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
        # weekly series for the bullwhip ratio (by week of the run, from day 0)
        self.week_demand = [0.0] * n_weeks  # units demanded by customers
        self.week_orders_up = [0.0] * n_weeks  # units ordered from suppliers and plants
        self.fac_week_in = [[0.0] * n_weeks for _ in range(n_facilities + 1)]  # faced by a site
        self.fac_week_out = [[0.0] * n_weeks for _ in range(n_facilities + 1)]  # ordered by it

    @property
    def cycle_all(self) -> Histogram:
        """Cycle times of all complete orders: the sum of the tiers' histograms (every order
        is counted in its customer's tier, so the hot path updates one histogram)."""
        h = Histogram()
        if self.cycle_tier:
            total = np.sum([np.asarray(t.counts) for t in self.cycle_tier], axis=0)
            h.counts = array("q", total.astype(np.int64).tobytes())
        return h

    def reset(self) -> None:
        """Zero every counter in place (components hold references to these lists)."""
        for arr in (self.cm, self.sm):
            arr[:] = array("d", bytes(8 * len(arr)))
        for lst in (self.pcodes, self.fcodes, self.cc, self.cl, self.pc, self.repl_orders,
                    self.wait_n, self.cq, self.fq, self.pq):
            lst[:] = [0] * len(lst)
        for lst in (self.cs, self.cpl, self.clt, self.pl, self.transport, self.handling, self.ordering, self.co2,
                    self.wait_sum, self.per_onhand_area, self.week_demand, self.week_orders_up,
                    *self.fac_week_in, *self.fac_week_out):
            lst[:] = [0.0] * len(lst)
        self.penalty = 0.0
        for h in self.cycle_tier:
            h.reset()


def fold_express(line: np.ndarray) -> np.ndarray:
    """Line metrics (rows of ML columns) with the EXPRESS units added to the demanded, from
    stock and delivered units (in place; returns ``line``)."""
    ex = line[..., EXPRESS]
    for col in (DEMAND, FROM_STOCK, DELIVERED):
        line[..., col] += ex
    return line


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def service_kpis(line: np.ndarray, codes: np.ndarray, cycle_sum: float, revenue: float,
                 cogs: float) -> dict[str, float]:
    """Service and money KPIs from summed line metrics (length ML) and order codes (NCODES)."""
    o = codes @ DECODE  # orders, first_full, on_time, kept, otif, perfect, complete
    return {
        "fill_rate": ratio(line[FROM_STOCK], line[DEMAND]),
        "line_fill_rate": ratio(line[LINES_FILLED], o[0]),
        "order_fill_rate": ratio(o[1], o[0]),
        "on_time_rate": ratio(o[2], o[0]),
        "promise_kept_rate": ratio(o[3], o[0]),
        "otif_rate": ratio(o[4], o[0]),
        "perfect_order_rate": ratio(o[5], o[0]),
        "order_cycle_time_mean": ratio(cycle_sum, o[6]),
        "lost_sales_units": float(line[LOST]),
        "lost_sales_rate": ratio(line[LOST], line[DEMAND]),
        "substituted_units": float(line[SUBST]),
        "returned_units": float(line[RETURNED]),
        "return_rate": ratio(line[RETURNED], line[DELIVERED]),
        "demand_units": float(line[DEMAND]),
        "delivered_units": float(line[DELIVERED]),
        "orders": float(o[0]),
        "revenue": float(revenue),
        "gross_margin": float(revenue - cogs),
        "promotion_cost": float(line[DISCOUNT]),
    }
