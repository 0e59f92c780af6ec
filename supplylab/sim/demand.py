"""Customer demand, generated in chunks per customer and merged into one stream of orders.

Instead of one SimPy process per customer (or per customer-product pair), each customer's
orders for the next ``CHUNK_DAYS`` are sampled in batch from its own random stream and all
customers' orders are merged by time; one engine process walks the merged stream, so an order
costs one SimPy event. Non-homogeneous rates (seasonality, weekly pattern, trend, promotions)
use thinning (Lewis & Shedler): candidates at the chunk's peak rate are kept with probability
rate(t) / peak.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..scenario.distributions import _Law
from ..scenario.network import member_ids
from ..scenario.schema import Customer, Product, Promotion, ScenarioModel
from .line_draws import distinct_lines, distinct_lines_many, first_draws
from .streams import Streams

#: days of orders sampled per customer in one batch (52 weeks). Whole days: the daily form
#: samples each day's orders (at the day plus its time of day) in the chunk of the day, so a
#: chunk must end where a day does. Each batch costs a customer about 20 numpy calls whatever
#: its length, so long batches are what makes thousands of customers with a few orders a month
#: cheap; the batch is held as numpy arrays (about 40 bytes an order) and walked in pieces of
#: ``PIECE_DAYS`` (docs/engine.md, issue 11, eighth part). A constant: compared scenarios keep
#: common random numbers.
CHUNK_DAYS = 364.0
#: days of orders turned into Python lists at a time, and folded (``ExpressLog.fold``) after:
#: what the walk holds as objects stays one piece's worth (memory flat in the chunk's length)
PIECE_DAYS = 28.0
DAYS_PER_MONTH = 365.0 / 12.0


@dataclass
class PromoEffect:
    """One promotion as seen by one customer: multipliers by product over time windows."""

    start: float
    end: float
    product: int
    lift: float
    dip_end: float
    dip_factor: float
    cross: dict[int, float]
    discount: float
    #: form (a): per other product, the relative change of its units while the promotion runs
    #: (share x (lift - 1) x units of the promoted product / units of the other, per order)
    cross_rel: dict[int, float] = field(default_factory=dict)


@dataclass
class CustomerDemand:
    """Everything needed to sample one customer's orders (indices are engine product indices)."""

    index: int
    rng: np.random.Generator
    form: str  # "orders" (a) or "daily" (b)
    products: np.ndarray  # product indices the customer buys
    weights: np.ndarray  # (a) mix weights; (b) mean units/day
    rate: float = 0.0  # (a) orders/day
    lines: _Law | None = None
    quantity: _Law | dict[int, _Law] | None = None
    daily: list[_Law] = field(default_factory=list)  # (b) per product
    scale: float = 1.0
    seasonality: np.ndarray | None = None
    weekly: np.ndarray | None = None
    trend_per_year: float = 0.0
    promos: list[PromoEffect] = field(default_factory=list)
    time_of_day: float | None = None  # (b) fixed order time within the day
    _cum_weights: np.ndarray | None = field(default=None, init=False, repr=False)

    @property
    def cum_weights(self) -> np.ndarray:
        """Cumulative mix weights (the inverse CDF of the line sampler), cached."""
        if self._cum_weights is None:
            self._cum_weights = np.cumsum(self.weights)
        return self._cum_weights

    def discount(self, pi: int, now: float) -> float:
        """Share of the price taken off product ``pi`` at ``now`` by a running promotion."""
        for pr in self.promos:
            if pr.product == pi and pr.start <= now < pr.end:
                return pr.discount
        return 0.0

    # ------------------------------------------------------------------ modulation
    def base_factor(self, t: np.ndarray) -> np.ndarray:
        """Seasonality x weekly pattern x trend at times t (days)."""
        f = np.ones_like(t)
        if self.seasonality is not None:
            f = f * self.seasonality[(t // DAYS_PER_MONTH).astype(int) % 12]
        if self.weekly is not None:
            f = f * self.weekly[t.astype(int) % 7]
        if self.trend_per_year:
            f = f * np.maximum(0.0, 1.0 + self.trend_per_year * t / 365.0)
        return f

    def product_factors(self, t: np.ndarray) -> np.ndarray | None:
        """Promotion multipliers of each bought product at times t: shape (len(t), P)."""
        if not self.promos:
            return None
        pos = {int(p): k for k, p in enumerate(self.products)}
        out = np.ones((len(t), len(self.products)))
        for pr in self.promos:
            k = pos.get(pr.product)
            during = (t >= pr.start) & (t < pr.end)
            if k is not None:
                out[during, k] *= pr.lift
                dip = (t >= pr.end) & (t < pr.dip_end)
                out[dip, k] *= pr.dip_factor
            base_p = self.weights[k] if k is not None else 0.0
            for q, share in pr.cross.items():
                kq = pos.get(q)
                if kq is None or self.weights[kq] <= 0:
                    continue
                factor = max(0.0, 1.0 + share * (pr.lift - 1.0) * base_p / self.weights[kq])
                out[during, kq] *= factor
        return out

    @property
    def modulated(self) -> bool:
        """Whether the order rate varies in time (seasonality, weekly pattern, trend);
        promotions act on the lines of the orders (``promote``), not on the order rate."""
        return self.seasonality is not None or self.weekly is not None or bool(self.trend_per_year)

    def peak_factor(self, t0: float, t1: float) -> float:
        """An upper bound of the order-rate multiplier over [t0, t1)."""
        if not self.modulated:
            return 1.0 * 1.02 + 1e-12  # the head-room below, on a constant factor of 1
        grid = np.arange(math.floor(t0), math.ceil(t1) + 1, 0.5)
        grid = grid[(grid >= t0 - 1) & (grid <= t1 + 1)]
        f = self.base_factor(np.maximum(grid, 0.0))
        # trend and windows are piecewise; 2% head-room covers the linear trend within a day
        return float(f.max()) * 1.02 + 1e-12


def promo_lift(promo: Promotion, product: Product) -> float:
    """The promotion's demand multiplier: its own ``lift``, else the product's lift table
    interpolated linearly in the discount (0 discount -> 1)."""
    if promo.lift is not None:
        return promo.lift
    table = sorted(product.promotion_lift.items())
    if not table:
        return 1.0
    xs = [0.0] + [float(k) for k, _ in table]
    ys = [1.0] + [float(v) for _, v in table]
    return float(np.interp(promo.discount, xs, ys))


@dataclass
class Chunk:
    """Orders of all customers in [t0, t1), sorted by time (numpy arrays); lines flat, order
    ``i``'s lines at ``line_start[i]:line_start[i + 1]``."""

    times: np.ndarray
    customers: np.ndarray
    line_start: np.ndarray
    line_product: np.ndarray
    line_qty: np.ndarray

    def pieces(self, t0: float, step: float, end: float
               ) -> Iterator[tuple[list[float], list[int], list[int] | range, list[int], list[int]]]:
        """The orders before ``end`` in pieces of ``step`` days from ``t0``, each as Python
        lists (times, customers, line starts from 0, line products, line units)."""
        times = self.times
        last = int(np.searchsorted(times, end, side="left"))
        edges = np.arange(t0 + step, end, step)
        cuts = [0, *np.minimum(np.searchsorted(times, edges, side="left"), last).tolist(), last]
        single = len(self.line_product) == len(times)
        ls = self.line_start
        for i0, i1 in zip(cuts, cuts[1:], strict=False):
            if i1 <= i0:
                continue
            l0, l1 = (i0, i1) if single else (int(ls[i0]), int(ls[i1]))
            starts = range(i1 - i0 + 1) if single else (ls[i0:i1 + 1] - l0).tolist()
            yield (times[i0:i1].tolist(), self.customers[i0:i1].tolist(), starts,
                   self.line_product[l0:l1].tolist(), self.line_qty[l0:l1].tolist())


_EMPTY = (np.empty(0), np.empty(0, int), np.empty(0, int), np.empty(0, int))  # no orders


def sample_customer(cd: CustomerDemand, t0: float, t1: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One customer's orders in [t0, t1): (times, lines per order, flat products, flat qty)."""
    head = _sample_head(cd, t0, t1)
    if isinstance(head, _Lines):
        head.flat = distinct_lines(cd.cum_weights, head.k, cd.rng)
        return _sample_tail(head)
    return head


class _Lines:
    """An order-form customer's orders whose lines are still to be drawn: the times and lines
    per order, then the product positions (``flat``; the first draws ``cand`` of
    ``line_draws.first_draws`` while ``sample_chunk`` searches them with other customers')."""

    __slots__ = ("cd", "times", "k", "flat", "cand")

    def __init__(self, cd: CustomerDemand, times: np.ndarray, k: np.ndarray) -> None:
        self.cd, self.times, self.k = cd, times, k
        self.flat: np.ndarray | None = None
        self.cand: np.ndarray | None = None


def _sample_head(cd: CustomerDemand, t0: float, t1: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | _Lines:
    """``sample_customer`` up to the lines' products: the orders themselves (daily form, no
    orders, one product, one line each), or the ``_Lines`` of orders with several lines."""
    rng = cd.rng
    empty = _EMPTY
    if cd.form == "daily":
        days = np.arange(math.ceil(t0), math.ceil(t1), dtype=float)
        if len(days) == 0:
            return empty
        times = days + (rng.random(len(days)) if cd.time_of_day is None else cd.time_of_day)
        base = cd.base_factor(days) * cd.scale
        qty = np.empty((len(days), len(cd.products)))
        for k, law in enumerate(cd.daily):
            qty[:, k] = law.sample(rng, len(days))
        qty = np.maximum(qty, 0.0) * base[:, None]
        pf = cd.product_factors(days)
        if pf is not None:
            qty = qty * pf
        qty = np.rint(qty).astype(int)
        nz = qty > 0
        lens = nz.sum(axis=1)
        keep = lens > 0
        rows, cols = np.nonzero(nz)
        return times[keep], lens[keep], cd.products[cols], qty[rows, cols]
    peak = cd.peak_factor(t0, t1)
    n = rng.poisson(cd.rate * cd.scale * peak * (t1 - t0))
    if n == 0:
        return empty
    times = rng.uniform(t0, t1, n)
    times.sort()
    accept = rng.random(n) * peak < (cd.base_factor(times) if cd.modulated else 1.0)
    times = times[accept]
    n = len(times)
    if n == 0:
        return empty
    assert cd.lines is not None and cd.quantity is not None
    nprod = len(cd.products)
    if cd.lines.is_constant:  # the same number of lines in every order (draws nothing)
        kc = min(max(int(np.rint(cd.lines.mean())), 1), nprod)
        k = np.full(n, kc)
        single = kc == 1
    else:
        k = np.minimum(np.maximum(np.rint(cd.lines.sample(rng, n)).astype(int), 1), nprod)
        single = bool((k == 1).all())
    lines = _Lines(cd, times, k)
    if nprod == 1:
        lines.flat = np.zeros(n, dtype=int)
    elif single:
        cum = cd.cum_weights
        lines.flat = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    else:
        return lines
    return _sample_tail(lines)


def _sample_tail(lines: _Lines) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``sample_customer`` after the lines' product positions: products, quantities and the
    promotions (their draws follow the lines' on the customer's stream)."""
    cd, rng = lines.cd, lines.cd.rng
    flat_p = cd.products[lines.flat]
    q = _quantities(cd, rng, flat_p)
    if cd.promos:
        return promote(cd, rng, lines.times, lines.k, flat_p, q)
    return lines.times, lines.k, flat_p, q


def _quantities(cd: CustomerDemand, rng: np.random.Generator, flat_p: np.ndarray) -> np.ndarray:
    """Units of each line (its product's quantity law, rounded, at least 1)."""
    total = len(flat_p)
    if isinstance(cd.quantity, dict):
        q = np.ones(total)
        for pid, law in cd.quantity.items():
            sel = flat_p == pid
            if sel.any():
                q[sel] = law.sample(rng, int(sel.sum()))
    elif cd.quantity.is_constant:  # draws nothing
        return np.full(total, max(int(np.rint(cd.quantity.mean())), 1))
    else:
        q = cd.quantity.sample(rng, total)
    return np.maximum(np.rint(q), 1).astype(int)


def promote(cd: CustomerDemand, rng: np.random.Generator, times: np.ndarray, lens: np.ndarray,
            flat_p: np.ndarray, q: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Apply the promotions to sampled orders (form a), exactly in expected units.

    Each line gets a multiplier m: the lift of a running promotion of its product, the dip
    factor after it, ``1 + cross_rel`` for a product a running promotion draws from (or adds
    to). A line with m < 1 is kept with probability m; a line with m > 1 is kept and brings
    Poisson(m - 1) more single-line orders of its product at the same time, with quantities of
    its own law. So the expected units of every product are multiplied by exactly m, whatever
    the number of lines per order; products no promotion names are left alone.
    """
    line_t = np.repeat(times, lens)
    m = np.ones(len(flat_p))
    for pr in cd.promos:
        during = (line_t >= pr.start) & (line_t < pr.end)
        own = flat_p == pr.product
        m[own & during] *= pr.lift
        m[own & (line_t >= pr.end) & (line_t < pr.dip_end)] *= pr.dip_factor
        for qi, rel in pr.cross_rel.items():
            m[(flat_p == qi) & during] *= max(0.0, 1.0 + rel)
    if (m == 1.0).all():
        return times, lens, flat_p, q
    keep = np.ones(len(m), dtype=bool)
    low = m < 1.0
    if low.any():
        keep[low] = rng.random(int(low.sum())) < m[low]
    extra = np.zeros(len(m), dtype=int)
    high = m > 1.0
    if high.any():
        extra[high] = rng.poisson(m[high] - 1.0)
    order_of = np.repeat(np.arange(len(times)), lens)
    new_lens = np.bincount(order_of[keep], minlength=len(times))
    alive = new_lens > 0
    ex_p = np.repeat(flat_p, extra)
    ex_t = np.repeat(line_t, extra)
    ex_q = _quantities(cd, rng, ex_p)
    all_t = np.concatenate([times[alive], ex_t])
    all_lens = np.concatenate([new_lens[alive], np.ones(len(ex_p), dtype=int)])
    # lines of the kept orders are still grouped by order, in time order
    all_p = np.concatenate([flat_p[keep], ex_p])
    all_q = np.concatenate([q[keep], ex_q])
    idx = np.argsort(all_t, kind="stable")
    starts = np.concatenate([[0], np.cumsum(all_lens)])
    lens_sorted = all_lens[idx]
    new_starts = np.concatenate([[0], np.cumsum(lens_sorted)])
    line_idx = (np.arange(int(new_starts[-1])) - np.repeat(new_starts[:-1], lens_sorted)
                + np.repeat(starts[:-1][idx], lens_sorted))
    return all_t[idx], lens_sorted, all_p[line_idx], all_q[line_idx]


def sample_chunk(customers: list[CustomerDemand], t0: float, t1: float) -> Chunk:
    """All customers' orders in [t0, t1), merged by time (ties: customer order).

    The customers' own arrays are dropped as soon as they are merged, and indices are 32-bit,
    so that the peak memory of a chunk stays near twice what the chunk holds."""
    heads = [(cd.index, _sample_head(cd, t0, t1)) for cd in customers]
    pending = [h for _, h in heads if isinstance(h, _Lines)]
    for h in pending:  # each customer's first draws, from its own stream
        h.cand = first_draws(h.cd.cum_weights, h.k, h.cd.rng)
    for h, flat in zip(pending, distinct_lines_many(
            [(h.cand, h.k, h.cd.cum_weights, h.cd.rng) for h in pending]), strict=True):
        h.flat, h.cand = flat, None
    parts = [(i, _sample_tail(h) if isinstance(h, _Lines) else h) for i, h in heads]
    del heads, pending
    parts = [(i, p) for i, p in parts if len(p[0])]
    if not parts:
        return Chunk(np.empty(0), np.empty(0, np.int32), np.zeros(1, np.int64),
                     np.empty(0, np.int32), np.empty(0, int))
    times = np.concatenate([p[0] for _, p in parts])
    cust = np.repeat(np.asarray([i for i, _ in parts], dtype=np.int32),
                     [len(p[0]) for _, p in parts])
    lens = np.concatenate([p[1] for _, p in parts]).astype(np.int64, copy=False)
    flat_p = np.concatenate([p[2] for _, p in parts]).astype(np.int32)
    flat_q = np.concatenate([p[3] for _, p in parts])
    del parts
    order = np.argsort(times, kind="stable")
    times, cust = times[order], cust[order]
    if len(lens) == len(flat_p):  # one line per order: the lines follow their orders
        return Chunk(times, cust, np.arange(len(order) + 1), flat_p[order], flat_q[order])
    starts = np.cumsum(lens) - lens  # each order's first line before sorting
    new_lens = lens[order]
    new_starts = np.concatenate([[0], np.cumsum(new_lens)])
    idx = np.repeat(starts[order] - new_starts[:-1], new_lens)
    idx += np.arange(len(idx))
    return Chunk(times, cust, new_starts, flat_p[idx], flat_q[idx])


def expected_units(cd: CustomerDemand) -> np.ndarray:
    """Expected units per day of each product the customer buys (ignoring modulation)."""
    if cd.form == "daily":
        return cd.weights * cd.scale
    assert cd.lines is not None and cd.quantity is not None
    k = min(max(1.0, cd.lines.mean()), float(len(cd.products)))
    lines = cd.rate * cd.scale * k
    share = cd.weights / cd.weights.sum()
    if isinstance(cd.quantity, dict):
        q = np.asarray([cd.quantity[p].mean() if p in cd.quantity else 1.0 for p in cd.products])
    else:
        q = np.full(len(cd.products), cd.quantity.mean())
    return lines * share * np.maximum(q, 1.0)


def build_demand(sc: ScenarioModel, customers: list[Customer], pidx: dict[str, int],
                 streams: Streams) -> list[CustomerDemand]:
    """The order stream of every customer that buys something, with its promotions."""
    out = []
    products = {p.id: p for p in sc.products}
    # members of the customer groups that promotions target by id_prefix
    targeted = {t for pr in sc.promotions for t in pr.targets}
    group_of: dict[str, str] = {}
    for g in sc.customer_groups:
        if g.id_prefix in targeted:
            group_of.update(dict.fromkeys(member_ids(g), g.id_prefix))
    #: product mix -> (products bought, their indices, weights, cumulative weights), shared
    mixes: dict[tuple, tuple[list[str], np.ndarray, np.ndarray, np.ndarray | None]] = {}
    for ci, c in enumerate(customers):
        rng = streams.rng("customer", c.id, "demand")
        common = dict(index=ci, rng=rng, scale=c.scale, trend_per_year=c.trend_per_year,
                      seasonality=None if c.seasonality is None else np.asarray(c.seasonality),
                      weekly=None if c.weekly is None else np.asarray(c.weekly))
        if c.demand is not None:
            prods = [p for p in c.demand]
            cd = CustomerDemand(form="daily", products=np.asarray([pidx[p] for p in prods]),
                                weights=np.asarray([c.demand[p].mean() for p in prods], float),
                                daily=[c.demand[p] for p in prods],
                                time_of_day=c.order_time_of_day, **common)
        elif c.orders_per_day:
            key = tuple(c.product_mix.items())
            mix = mixes.get(key)
            if mix is None:  # the members of a customer group share their product mix
                prods = [p for p, w in key if w > 0]
                idx = np.asarray([pidx[p] for p in prods])
                w = np.asarray([c.product_mix[p] for p in prods], float)
                for a in (idx, w):
                    a.setflags(write=False)
                mix = mixes[key] = (prods, idx, w, None)
            prods, idx, w, cum = mix
            if not prods:
                continue
            qty = c.quantity
            if isinstance(qty, dict):
                qty = {pidx[p]: law for p, law in qty.items()}
            cd = CustomerDemand(form="orders", products=idx, weights=w, rate=c.orders_per_day,
                                lines=c.lines_per_order, quantity=qty, **common)
            if cum is None:
                mixes[key] = (prods, idx, w, cd.cum_weights)
            else:
                cd._cum_weights = cum
        else:
            continue
        for pr in sc.promotions:
            if pr.targets and c.tier not in pr.targets and c.id not in pr.targets \
                    and group_of.get(c.id) not in pr.targets:
                continue
            involved = {pr.product, *pr.cross_effects}
            if not involved & set(prods):
                continue
            lift = promo_lift(pr, products[pr.product])
            length = pr.end_day - pr.start_day
            dip = (max(0.0, 1.0 - pr.pull_forward * (lift - 1.0) * length / pr.dip_days)
                   if pr.dip_days > 0 else 1.0)
            effect = PromoEffect(pr.start_day, pr.end_day, pidx[pr.product], lift,
                                 pr.end_day + pr.dip_days, dip,
                                 {pidx[q]: s for q, s in pr.cross_effects.items()},
                                 pr.discount)
            if cd.form == "orders":
                effect.cross_rel = _cross_rel(cd, effect)
            cd.promos.append(effect)
        out.append(cd)
    return out


def units_per_order(cd: CustomerDemand) -> np.ndarray:
    """Expected units of each product the customer buys, per order (form a): the product's
    inclusion probability in an order's lines times its mean line quantity (``lines.py``)."""
    from .lines import inclusion, line_count_pmf, mean_quantity

    assert cd.lines is not None and cd.quantity is not None
    pi = inclusion(cd.weights, line_count_pmf(cd.lines, len(cd.products)))
    if isinstance(cd.quantity, dict):
        mq = np.asarray([mean_quantity(cd.quantity[p]) if p in cd.quantity else 1.0
                         for p in cd.products.tolist()])
    else:
        mq = np.full(len(cd.products), mean_quantity(cd.quantity))
    return pi * mq


def _cross_rel(cd: CustomerDemand, pr: PromoEffect) -> dict[int, float]:
    """Relative change of each cross-effect product's units while ``pr`` runs: the stated
    share of the promoted product's extra units, (lift - 1) x its units, moved from (negative)
    or added to (positive) the other product's units."""
    if not pr.cross:
        return {}
    pos = {int(p): j for j, p in enumerate(cd.products)}
    if pr.product not in pos:
        return {}
    units = units_per_order(cd)
    extra = (pr.lift - 1.0) * units[pos[pr.product]]
    out = {}
    for qi, share in pr.cross.items():
        j = pos.get(qi)
        if j is not None and units[j] > 0:
            out[qi] = share * extra / units[j]
    return out
