"""Demand and lead-time statistics per product and site, read from a scenario.

What is taken from the scenario (units in brackets):

* demand per customer and product [units/day]: form (a) is treated as compound Poisson: lines of
  product p arrive at rate ``orders_per_day x scale x E[lines] x share_p`` (lines clipped to
  1..number of products, as the engine draws them), each line max(1, round(quantity)) units, so
  mean = rate E[q] and variance = rate E[q^2]; form (b) is one draw of the daily law a day
  (mean x scale, variance x scale^2); the mean weekly and monthly factors scale the rate
  (the pattern itself, promotions and disruptions are ignored: stationary planning);
* the demand a site sees: every customer's demand routed through it, pooled upstream (a
  regional DC sees the end demand of the forward warehouses it replenishes; order batching
  downstream is not added);
* lead time [days]: supplier ``lead_time`` + inbound lane transit, plus the expected lateness of
  unreliable suppliers ((1 - reliability) x late_share x late_days, as a mixture); from another
  facility: its ``order_processing_time`` + transit; at a plant, ``production_lead_time``;
  a capacity-limited source adds the making of one order (``with_dispatch``, applied by the
  policy choice, which knows the order size);
* review period [days]: an RS policy's R, else the site's ``review_period_days`` (0 =
  continuous review).

The protection interval is L + R; its demand has mean mu (E[L] + R) and variance
sigma^2 (E[L] + R) + mu^2 Var[L] (random lead times included).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from supplylab.errors import InputError, Issue

_SAMPLES = 20_000


@dataclass
class Flow:
    """Demand of one product at one site: moments per day, the tiers and customers behind it."""

    mean: float = 0.0
    var: float = 0.0
    lines_per_day: float = 0.0
    daily: bool = False          # some customer orders every day (form b): ADI = 1
    by_tier: dict[str, float] = field(default_factory=dict)
    direct: float = 0.0          # units/day the site ships to customers itself
    direct_var: float = 0.0      # variance per day of that direct demand
    direct_lines: float = 0.0    # lines/day of it
    direct_waiting: float = 0.0  # units/day of it from customers who wait for a backorder
    direct_by_tier: dict[str, float] = field(default_factory=dict)
    customers: int = 0
    spill_in: dict[str, float] = field(default_factory=dict)  # substitution: primary -> units/day


@dataclass(frozen=True)
class LeadTime:
    """Replenishment lead time of a site for a product, days (mean, variance) and its source.

    ``points`` (random lead times only) are the means of ``STRATA`` equal-probability strata of
    the lead-time distribution, so lead-time demand can be mixed over them exactly.
    """

    mean: float
    var: float
    source: str
    points: tuple[float, ...] = ()


STRATA = 12


def _strata(parts: list[Any], late: tuple[float, Any] | None = None, seed: int = 0
            ) -> tuple[float, ...]:
    """Stratum means of the sum of the random parts (fixed sample: reproducible)."""
    rng = np.random.default_rng(seed)
    total = np.zeros(_SAMPLES)
    for law in parts:
        if law is not None and not getattr(law, "is_constant", False):
            total += np.maximum(law.sample(rng, _SAMPLES), 0.0)
        elif law is not None:
            total += law.mean()
    if late is not None and late[0] > 0:
        hit = rng.random(_SAMPLES) < late[0]
        total += np.where(hit, np.maximum(late[1].sample(rng, _SAMPLES), 0.0), 0.0)
    total.sort()
    return tuple(float(x.mean()) for x in np.array_split(total, STRATA))


def _moments_of_rounded(law: Any, lo: float, hi: float, seed: int = 0) -> tuple[float, float]:
    """E[X], E[X^2] of clip(round(law), lo, hi) (what the engine draws), by a fixed sample."""
    if getattr(law, "is_constant", False) or isinstance(law, int | float):
        v = float(np.clip(np.rint(law.mean() if hasattr(law, "mean") else law), lo, hi))
        return v, v * v
    x = np.clip(np.rint(law.sample(np.random.default_rng(seed), _SAMPLES)), lo, hi)
    return float(x.mean()), float((x * x).mean())


def _factor(c: Any) -> float:
    f = 1.0
    if c.seasonality:
        f *= float(np.mean(c.seasonality))
    if c.weekly:
        f *= float(np.mean(c.weekly))
    return f


def _key(law: Any) -> Any:
    """A cache key equal for equal laws (generated customers hold copies)."""
    try:
        hash(law)
    except TypeError:
        return repr(law)
    return law


def customer_demand(c: Any, cache: dict[Any, tuple[float, float]]) -> dict[str, tuple[float, float, float]]:
    """(mean, variance, lines) per day of each product a customer buys."""
    out: dict[str, tuple[float, float, float]] = {}
    f = _factor(c)
    if c.demand is not None:
        for pid, law in c.demand.items():
            m = law.mean() * c.scale * f
            out[pid] = (m, law.variance() * (c.scale * f) ** 2, 1.0 if m > 0 else 0.0)
        return out
    mix = {p: w for p, w in c.product_mix.items() if w > 0}
    tot = sum(mix.values())
    if not mix or not c.orders_per_day:
        return out
    key = (_key(c.lines_per_order), 1, len(mix))
    if key not in cache:
        cache[key] = _moments_of_rounded(c.lines_per_order, 1, len(mix))
    lines = cache[key][0]
    rate = c.orders_per_day * c.scale * f * lines
    for pid, w in mix.items():
        law = c.quantity.get(pid, 1) if isinstance(c.quantity, dict) else c.quantity
        qk = (_key(law), 1, math.inf)
        if qk not in cache:
            cache[qk] = _moments_of_rounded(law, 1, math.inf) if hasattr(law, "sample") \
                else (max(1.0, float(law)), max(1.0, float(law)) ** 2)
        eq, eq2 = cache[qk]
        r = rate * w / tot
        out[pid] = (r * eq, r * eq2, r)
    return out


def site_flows(scenario: Any) -> dict[tuple[str, str], Flow]:
    """Demand per (site, product) for every stocking site, pooled upstream along the chains.

    Customers are accumulated as vectors over products at the site that ships to them (the
    nearest stockist is looked up once per customer and set of stockists), then every
    (serving site, product) total is passed up its replenishment chain once.
    """
    net = scenario.network
    pids = [p.id for p in scenario.products]
    pidx = {p: k for k, p in enumerate(pids)}
    sites = [f.id for f in scenario.facilities] + [s.id for s in scenario.suppliers]
    sidx = {s: k for k, s in enumerate(sites)}
    tiers = sorted({c.tier for c in net.customers})
    tidx = {t: k for k, t in enumerate(tiers)}
    shape = (len(sites), len(pids))
    d_mean, d_var, d_lines = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    d_wait = np.zeros(shape)
    d_daily = np.zeros(shape, dtype=bool)
    backorders = np.array([p.backorder_days() > 0 for p in scenario.products])
    d_count = np.zeros(shape, dtype=np.int64)
    d_tier = np.zeros((len(tiers), *shape))
    stockists: dict[tuple[str, ...], list[int]] = {}
    for pid in pids:
        key = tuple(f.id for f in scenario.facilities if f.stocks(pid))
        stockists.setdefault(key, []).append(pidx[pid])
    groups = [(np.array(ks), pids[ks[0]]) for ks in stockists.values()]
    cache: dict[Any, tuple[float, float]] = {}
    for c in net.customers:
        dem = customer_demand(c, cache)
        if not dem:
            continue
        vm, vv, vl = np.zeros(len(pids)), np.zeros(len(pids)), np.zeros(len(pids))
        for pid, (m, v, lines) in dem.items():
            k = pidx[pid]
            vm[k], vv[k], vl[k] = m, v, lines
        t = tidx[c.tier]
        waits = vm * (backorders & (net.patience_days(c) > 0))
        if c.strategy == "classic":
            for ks, rep in groups:
                sel = ks[vm[ks] > 0]
                if sel.size == 0:
                    continue
                try:
                    site = net.serving_site("classic", c.served_by, rep, c.location)
                except LookupError:
                    continue
                i = sidx[site]
                d_mean[i, sel] += vm[sel]
                d_var[i, sel] += vv[sel]
                d_lines[i, sel] += vl[sel]
                d_wait[i, sel] += waits[sel]
                d_tier[t, i, sel] += vm[sel]
                d_count[i, sel] += 1
                if c.demand is not None:
                    d_daily[i, sel] = True
            continue
        for k in np.flatnonzero(vm > 0):
            try:
                chain = net.source_chain(c.strategy, c.served_by, pids[k], c.location)
            except LookupError:
                continue
            i = sidx[chain[-1]]
            d_mean[i, k] += vm[k]
            d_var[i, k] += vv[k]
            d_lines[i, k] += vl[k]
            d_wait[i, k] += waits[k]
            d_tier[t, i, k] += vm[k]
            d_count[i, k] += 1
            d_daily[i, k] |= c.demand is not None
    flows: dict[tuple[str, str], Flow] = {}
    for f in scenario.facilities:
        for pid in pids:
            if f.stocks(pid):
                flows[(f.id, pid)] = Flow()
    for i, k in zip(*np.nonzero(d_mean > 0), strict=True):
        by_tier = {tiers[t]: float(d_tier[t, i, k]) for t in range(len(tiers))
                   if d_tier[t, i, k] > 0}
        pool(flows, net, sites[i], pids[k], Flow(
            mean=float(d_mean[i, k]), var=float(d_var[i, k]),
            lines_per_day=float(d_lines[i, k]), daily=bool(d_daily[i, k]),
            by_tier=by_tier, customers=int(d_count[i, k])), waiting=float(d_wait[i, k]))
    from supplylab.optimize.inventory.substitution import add_shortfall_spill

    add_shortfall_spill(scenario, flows)
    return flows


def pool(flows: dict[tuple[str, str], Flow], net: Any, site: str, pid: str, demand: Flow,
         waiting: float = 0.0) -> None:
    """Add a demand that ``site`` ships to customers itself to it and, pooled, to every stock
    point up its replenishment chain (``demand``'s mean, var, lines and by_tier are read;
    ``waiting``: units/day of it from customers who wait for a backorder)."""
    try:
        chain = net.chain_to(site, pid)
    except LookupError:
        return
    last = True
    for s in reversed(chain):
        fl = flows.get((s, pid))
        if fl is None:
            continue
        fl.mean += demand.mean
        fl.var += demand.var
        fl.lines_per_day += demand.lines_per_day
        fl.daily = fl.daily or demand.daily
        fl.customers += demand.customers
        for tier, u in demand.by_tier.items():
            fl.by_tier[tier] = fl.by_tier.get(tier, 0.0) + u
            if last:
                fl.direct_by_tier[tier] = fl.direct_by_tier.get(tier, 0.0) + u
        if last:
            fl.direct += demand.mean
            fl.direct_var += demand.var
            fl.direct_lines += demand.lines_per_day
            fl.direct_waiting += waiting
        last = False


def check_products_have_demand(scenario: Any, flows: dict[tuple[str, str], Flow]) -> None:
    """A product stocked somewhere but demanded by nobody is an input error (exit 2)."""
    total: dict[str, float] = {}
    for (_, pid), fl in flows.items():
        total[pid] = total.get(pid, 0.0) + fl.mean
    dead = [p for p, m in total.items() if m <= 0]
    if dead:
        idx = {p.id: k for k, p in enumerate(scenario.products)}
        raise InputError([Issue(scenario.source, 0, 0, f"products.{p}",
                                f"product {p!r} is stocked but no customer demands it, so "
                                "there is nothing to set a policy against: add it to a "
                                "customer's demand or product_mix, or remove its policies")
                          for p in sorted(dead, key=idx.get)], scenario.source)


def _law_mv(law: Any) -> tuple[float, float]:
    if law is None:
        return 0.0, 0.0
    return float(law.mean()), float(law.variance())


def lead_time(scenario: Any, site: str, product: str) -> LeadTime:
    """Replenishment lead time of ``site`` for ``product`` (mean, variance in days^2)."""
    net = scenario.network
    f = net.facilities[site]
    src = net.upstream(site, product)
    if src is None:
        m, v = _law_mv(f.production_lead_time)
        return LeadTime(m, v, site, _strata([f.production_lead_time]) if v > 0 else ())
    lane = net.lane(src, site)
    tm, tv = _law_mv(lane.transit_time)
    if src in net.suppliers:
        s = net.suppliers[src]
        m, v = _law_mv(s.lead_time)
        q = (1.0 - s.reliability) * s.failure.late_share
        lm, lv = _law_mv(s.failure.late_days)
        late_mean = q * lm
        late_var = q * (lv + lm * lm) - late_mean ** 2
        var = v + tv + late_var
        pts = _strata([s.lead_time, lane.transit_time], (q, s.failure.late_days)) \
            if var > 1e-12 else ()
        return LeadTime(m + tm + late_mean, var, src, pts)
    up = net.facilities[src]
    m, v = _law_mv(up.order_processing_time)
    pts = _strata([up.order_processing_time, lane.transit_time]) if v + tv > 1e-12 else ()
    return LeadTime(m + tm, v + tv, src, pts)


def supply_rate(scenario: Any, site: str, product: str) -> float | None:
    """Units/day at which the source of ``site``'s ``product`` makes one order: the supplier's
    ``capacity_per_day`` for the product (its own, or the one its products share), or the
    plant's ``production_capacity_per_day``; None = unlimited (or a facility upstream)."""
    net = scenario.network
    src = net.upstream(site, product)
    if src is None:
        cap = net.facilities[site].production_capacity_per_day
        return None if cap is None else float(cap)
    if src not in net.suppliers:
        return None
    cap = net.suppliers[src].capacity_per_day
    if isinstance(cap, dict):
        cap = cap.get(product)
    return None if cap is None else float(cap)


def with_dispatch(lt: LeadTime, qty: float, rate: float | None) -> LeadTime:
    """The lead time of an order of ``qty`` units from a source making ``rate`` units/day.

    The engine dispatches an order when its last unit is made, ``qty / rate`` days after its
    production starts (``sim/resources.py``, ``sim/replenishment.py``), so the lead time grows
    by that much. Waiting behind other orders for a capacity that is busy is not added: one
    stock point's orders of the EOQ size are spaced ``qty / demand`` days apart, longer than
    ``qty / rate`` whenever the capacity exceeds the demand (else ``supply_check`` warns).
    """
    if rate is None or rate <= 0 or qty <= 0:  # no capacity at all: supply_check warns
        return lt
    d = qty / rate
    return LeadTime(lt.mean + d, lt.var, lt.source, tuple(x + d for x in lt.points))


def review_period(facility: Any, policy: Any) -> float:
    """The review period of a policy at a site, days (0 = continuous)."""
    if getattr(policy, "policy", None) == "RS":
        return float(policy.R)
    return float(facility.review_period_days)


def protection_moments(flow: Flow, lt: LeadTime, review: float) -> tuple[float, float]:
    """Mean and variance of demand over the protection interval L + R, units."""
    span = lt.mean + review
    return flow.mean * span, flow.var * span + flow.mean ** 2 * lt.var
