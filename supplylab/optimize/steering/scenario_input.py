"""A scenario -> SteeringProblem: weekly demand, discount levels, effects and supply.

What is taken from the scenario (units in brackets):

* baseline demand [units/week] per product: every customer's expected units per day (form (a)
  ``orders_per_day x E[lines] (clipped to 1..products bought) x mix share x E[quantity]``, form
  (b) the mean daily demand), times ``scale``, seasonality, day-of-week factor and trend at each
  day, summed over the week; the promotions already in the scenario are *commitments*: their
  lift, cross effects and pull-forward dip are part of the baseline and their weeks are taken;
* discount levels: ``products[].promotion_lift`` ``{discount: lift}`` (lift >= 1);
* cross effects of a new promotion of p: ``SteeringInputs.cross_effects[p]``, else those of
  the scenario's first promotion of p that states some; likewise pull-forward and dip;
* substitution: ``products[].substitutes`` in order, share ``a_k x prod_{m<k} (1 - a_m)``;
* backorders: a product whose longest accepted delay is at least 7 days may wait one week;
  ``waiting`` is the share of a product's demand from customers whose wait
  ``min(max_backorder_days, patience)`` is positive (the engine backorders their shortfall and
  serves it from the next receipts first, so more of the shortfall meets the substitute);
* money: price x the demand-weighted tier ``margin_multiplier``; unit cost plus the variable
  logistics cost of a unit delivered (transport per unit along its replenishment chain and to
  the customer, handling at each facility; demand-weighted over customers), so that the
  plan's margin is what the simulation's profit earns per unit; holding =
  ``holding_rate_per_year x unit_cost / 52.14`` [per unit-week]; lost-sale penalty =
  ``stockout_penalty_per_unit``; backorder cost per unit-day;
* supply: stock on hand at day 0 in all facilities (``inventory.initial``, else the policy's
  order-up-to level); suppliers' ``capacity_per_day`` x 7 (per product, or one pool shared by
  the supplier's products; absent = unlimited), cut by scheduled disruptions day by day and by
  random ones in expectation, times the expected delivered share of a shipment
  (reliability, short shipments); lead = supplier lead time + transit, rounded to weeks;
  plants with ``production_capacity_per_day`` likewise; ``receipts`` scheduled by the user.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from supplylab.errors import InputError, Issue
from supplylab.optimize.steering.problem import SteeringProblem, SupplyPool

DAYS_PER_MONTH = 365.0 / 12.0
WEEKS_PER_YEAR = 365.0 / 7.0


@dataclass(frozen=True)
class SteeringInputs:
    """What the scenario language does not say about a steering study.

    * ``weeks``: weeks planned from day 0 (default: the horizon, last week partial);
    * ``window_days``: (first, last) day new promotions may run in (default: warm-up end to
      the plan's end); it must lie inside the horizon;
    * ``targets``: tiers or customer ids the new promotions address (default: everyone);
    * ``cross_effects``: {promoted product: {other product: share}} for new promotions;
    * ``pull_forward`` / ``dip_weeks``: per product, for new promotions;
    * ``receipts``: {product: {week: units}} scheduled receipts.
    """

    weeks: int | None = None
    window_days: tuple[float, float] | None = None
    targets: tuple[str, ...] = ()
    cross_effects: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    pull_forward: Mapping[str, float] = field(default_factory=dict)
    dip_weeks: Mapping[str, int] = field(default_factory=dict)
    receipts: Mapping[str, Mapping[int, float]] = field(default_factory=dict)


class _Issues:
    """Collects input problems with the file position of the path they are about."""

    def __init__(self, scenario: Any) -> None:
        self.file = scenario.source
        self.positions = getattr(scenario, "_positions", {}) or {}
        self.items: list[Issue] = []

    def add(self, path: tuple[Any, ...], message: str, option: str | None = None) -> None:
        from supplylab.scenario.errors import position
        from supplylab.scenario.yaml_io import dotted

        if option is not None:
            self.items.append(Issue(option, 0, 0, dotted(path), message))
            return
        f, line, col = position(self.positions, path, self.file)
        self.items.append(Issue(f, line, col, dotted(path), message))

    def raise_any(self) -> None:
        if self.items:
            raise InputError(self.items, self.file)


def _mean(law: Any) -> float:
    return float(law.mean()) if hasattr(law, "mean") else float(law)


def promotion_lift(discount: float, lift: float | None, table: Mapping[float, float]) -> float:
    """A promotion's lift: its own, else the product's table interpolated in the discount."""
    if lift is not None:
        return float(lift)
    if not table:
        return 1.0
    items = sorted((float(k), float(v)) for k, v in table.items())
    return float(np.interp(discount, [0.0] + [k for k, _ in items], [1.0] + [v for _, v in items]))


def customer_units(c: Any, pidx: dict[str, int]) -> np.ndarray:
    """Expected units per day of each product for one customer, before time factors."""
    out = np.zeros(len(pidx))
    if c.demand is not None:
        for p, law in c.demand.items():
            out[pidx[p]] = max(0.0, _mean(law)) * c.scale
        return out
    mix = {p: w for p, w in c.product_mix.items() if w > 0}
    if not c.orders_per_day or not mix:
        return out
    lines = min(max(1.0, _mean(c.lines_per_order)), float(len(mix)))
    tot = sum(mix.values())
    for p, w in mix.items():
        law = c.quantity.get(p, 1) if isinstance(c.quantity, dict) else c.quantity
        out[pidx[p]] = c.orders_per_day * c.scale * lines * w / tot * max(1.0, _mean(law))
    return out


def time_factor(c: Any, days: np.ndarray) -> np.ndarray:
    """Seasonality x day of week x trend of a customer at the middle of each day."""
    f = np.ones(len(days))
    mid = days + 0.5
    if c.seasonality is not None:
        f = f * np.asarray(c.seasonality)[(mid // DAYS_PER_MONTH).astype(int) % 12]
    if c.weekly is not None:
        f = f * np.asarray(c.weekly)[days.astype(int) % 7]
    if c.trend_per_year:
        f = f * np.maximum(0.0, 1.0 + c.trend_per_year * mid / 365.0)
    return f


def _targeted(c: Any, targets: tuple[str, ...] | list[str]) -> bool:
    return not targets or c.tier in targets or c.id in targets


def _daily(customers: list[Any], units: np.ndarray, days: np.ndarray,
           mask: np.ndarray) -> np.ndarray:
    """(P, D) expected units per product and day of the customers in ``mask``."""
    out = np.zeros((units.shape[1], len(days)))
    plain = [k for k, c in enumerate(customers) if mask[k] and c.seasonality is None
             and c.weekly is None and not c.trend_per_year]
    if plain:
        out += units[plain].sum(axis=0)[:, None]
    for k, c in enumerate(customers):
        if mask[k] and k not in set(plain):
            out += units[k][:, None] * time_factor(c, days)[None, :]
    return out


def _weekly(daily: np.ndarray, weeks: int) -> np.ndarray:
    d = daily.shape[1]
    pad = np.zeros((daily.shape[0], weeks * 7))
    pad[:, :min(d, weeks * 7)] = daily[:, :weeks * 7]
    return pad.reshape(daily.shape[0], weeks, 7).sum(axis=2)


def steering_problem(scenario: Any, inputs: SteeringInputs | None = None) -> SteeringProblem:
    """Build the steering problem of a validated scenario; InputError (exit 2) lists every
    problem with file, line and dotted path (lift below 1, window outside the horizon, an
    unknown product in a cross effect or a receipt, ...)."""
    inputs = inputs or SteeringInputs()
    issues = _Issues(scenario)
    products = list(scenario.products)
    pidx = {p.id: i for i, p in enumerate(products)}
    n = len(products)
    horizon = float(scenario.simulation.horizon_days)
    max_weeks = math.ceil(horizon / 7.0)
    weeks = inputs.weeks if inputs.weeks is not None else max_weeks
    if weeks < 1 or weeks > max_weeks:
        issues.add(("weeks",), f"{weeks} weeks do not fit the horizon of {horizon:g} days "
                   f"(1 to {max_weeks} weeks)", option="--weeks")
        issues.raise_any()
    end = min(horizon, 7.0 * weeks)
    days = np.arange(int(math.ceil(end)), dtype=float)
    # ---------------------------------------------------------------- discount levels
    tables = []
    for p in products:
        rows = sorted((float(k), float(v)) for k, v in p.promotion_lift.items())
        for dsc, lift in rows:
            path = ("products", p.id, "promotion_lift", dsc)
            if not 0 < dsc < 1:
                issues.add(path, f"discount {dsc:g} must be a share of the price in (0, 1)")
            if lift < 1:
                issues.add(path, f"lift {lift:g} at discount {dsc:g} is below 1: a discount "
                           "cannot lower demand (use a lift >= 1, e.g. 1.3)")
        tables.append(rows)
    nl = max((len(r) for r in tables), default=0)
    discount = np.full((n, nl), np.nan)
    lift = np.full((n, nl), np.nan)
    for i, rows in enumerate(tables):
        for k, (dsc, lf) in enumerate(rows):
            discount[i, k], lift[i, k] = dsc, lf
    # ---------------------------------------------------------------- window
    lo, hi = inputs.window_days or (float(scenario.simulation.warmup_days), end)
    if not (0 <= lo < hi <= horizon):
        issues.add(("window",), f"promotion window days {lo:g}..{hi:g} is outside the horizon "
                   f"(0..{horizon:g} days) or empty", option="--window")
    # ---------------------------------------------------------------- customers and demand
    customers = list(scenario.network.customers)
    for k, tgt in enumerate(inputs.targets):
        known = set(scenario.tiers) | {c.id for c in customers}
        if tgt not in known:
            from supplylab.scenario.errors import suggest

            issues.add(("targets", k), f"unknown tier or customer {tgt!r}{suggest(tgt, known)}",
                       option="--target")
    _check_maps(inputs, pidx, issues, weeks)
    for i, pr in enumerate(scenario.promotions):
        if pr.end_day > horizon:
            issues.add(("promotions", pr.id or i, "end_day"), f"promotion ends on day "
                       f"{pr.end_day:g}, after the horizon ({horizon:g} days): shorten it or "
                       "lengthen simulation.horizon_days")
    issues.raise_any()
    units = np.array([customer_units(c, pidx) for c in customers]).reshape(len(customers), n)
    everyone = np.ones(len(customers), bool)
    base_daily = _daily(customers, units, days, everyone)
    tmask = np.array([_targeted(c, inputs.targets) for c in customers], bool)
    target_daily = base_daily.copy() if tmask.all() else _daily(customers, units, days, tmask)
    committed = np.zeros((n, weeks), bool)
    events = np.zeros(n, int)
    cross = np.zeros((n, n))
    pull = np.zeros(n)
    dip = np.zeros(n, int)
    extra_daily = np.zeros_like(base_daily)
    for pr in scenario.promotions:
        i = pidx[pr.product]
        lf = promotion_lift(pr.discount, pr.lift, products[i].promotion_lift)
        mask = np.array([_targeted(c, pr.targets) for c in customers], bool)
        own = base_daily[i] if mask.all() else _daily(customers, units, days, mask)[i]
        on = (days >= pr.start_day) & (days < pr.end_day)
        extra = np.where(on, (lf - 1.0) * own, 0.0)
        extra_daily[i] += extra
        for q, share in pr.cross_effects.items():
            extra_daily[pidx[q]] += share * extra
        if pr.dip_days > 0 and pr.pull_forward > 0:
            length = pr.end_day - pr.start_day
            factor = max(0.0, 1.0 - pr.pull_forward * (lf - 1.0) * length / pr.dip_days)
            after = (days >= pr.end_day) & (days < pr.end_day + pr.dip_days)
            extra_daily[i] -= np.where(after, (1.0 - factor) * own, 0.0)
        w0, w1 = int(pr.start_day // 7), int(math.ceil(min(pr.end_day, 7 * weeks) / 7))
        committed[i, w0:w1] = True
        events[i] += 1
        if pr.cross_effects and not cross[i].any():
            for q, share in pr.cross_effects.items():
                cross[i, pidx[q]] = share
        if pr.pull_forward > 0 and pull[i] == 0:
            pull[i], dip[i] = pr.pull_forward, int(math.ceil(pr.dip_days / 7))
    for p, effects in inputs.cross_effects.items():
        cross[pidx[p]] = 0.0
        for q, share in effects.items():
            cross[pidx[p], pidx[q]] = share
    for p, v in inputs.pull_forward.items():
        pull[pidx[p]] = v
    for p, v in inputs.dip_weeks.items():
        dip[pidx[p]] = v
    base = np.maximum(_weekly(base_daily + extra_daily, weeks), 0.0)
    target = np.minimum(_weekly(target_daily, weeks), base)
    # ---------------------------------------------------------------- weeks allowed
    wk = np.arange(weeks)
    allowed = np.broadcast_to((7.0 * wk >= lo - 1e-9) & (np.minimum(7.0 * wk + 7, end) <= hi + 1e-9),
                              (n, weeks)).copy()
    # ---------------------------------------------------------------- money and substitution
    mult = np.array([scenario.tiers[c.tier].margin_multiplier for c in customers])
    tot = units.sum(axis=0)
    avg_mult = np.where(tot > 0, (units * mult[:, None]).sum(axis=0) / np.where(tot > 0, tot, 1),
                        1.0) if len(customers) else np.ones(n)
    price = np.array([p.price for p in products]) * avg_mult
    unit_cost = np.array([p.unit_cost for p in products])
    logistics, order_cost = logistics_cost(scenario, customers, units, pidx)
    subst = np.zeros((n, n))
    for i, p in enumerate(products):
        left = 1.0
        for s in p.substitutes:
            subst[i, pidx[s.product]] += left * s.acceptance
            left *= 1.0 - s.acceptance
    patience = [scenario.network.patience_days(c) for c in customers]
    waits = np.array([[min(p.backorder_days(), pat) > 0 for p in products] for pat in patience],
                     float).reshape(len(customers), n)
    waiting = np.where(tot > 0, (units * waits).sum(axis=0) / np.where(tot > 0, tot, 1), 0.0)
    costs = scenario.costs
    receipts = np.zeros((n, weeks))
    for p, byweek in inputs.receipts.items():
        for w, q in byweek.items():
            receipts[pidx[p], int(w)] += float(q)
    return SteeringProblem(
        tuple(p.id for p in products), price, unit_cost + logistics, base, discount, lift,
        initial_stock(scenario, pidx), supply_pools(scenario, pidx, weeks, end),
        target_base=target, receipts=receipts,
        holding=costs.holding_rate_per_year * unit_cost / WEEKS_PER_YEAR,
        lost_penalty=np.full(n, float(costs.stockout_penalty_per_unit)),
        backorder_cost=np.full(n, float(costs.backorder_cost_per_unit_day)),
        backorder_weeks=np.array([1 if p.backorder_days() >= 7 else 0 for p in products]),
        allowed=allowed, committed=committed, committed_events=events, cross=cross,
        substitution=subst, waiting=waiting, order_cost=order_cost, pull_forward=pull, dip_weeks=dip,
        name=scenario.name)


def logistics_cost(scenario: Any, customers: list[Any], units: np.ndarray,
                   pidx: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per product, weighted by each customer's expected units [currency/unit]: (a) the
    variable cost of delivering a unit: transport per unit on every lane of its replenishment
    chain (origin first) and on the lane to the customer, plus handling per unit at each
    facility passed; (b) the order cost of a promotion's extra unit: the engine brings the
    extra units as single-line orders, each paying the shipment cost of the customer's lane,
    so ``cost_per_shipment / E[quantity]`` (customers with a daily quantity, form (b): 0)."""
    net = scenario.network
    facilities = {f.id: f for f in scenario.facilities}
    cost, extra, weight = np.zeros(len(pidx)), np.zeros(len(pidx)), np.zeros(len(pidx))
    memo: dict[tuple[tuple[str, ...], str], float] = {}
    for k, c in enumerate(customers):
        for p, i in pidx.items():
            if units[k, i] <= 0:
                continue
            try:
                chain = tuple(net.source_chain(c.strategy, c.served_by, p, c.location))
            except LookupError:
                continue
            per = memo.get((chain, p))
            if per is None:
                per = sum(net.lane(a, b).unit_cost() for a, b in zip(chain, chain[1:],
                                                                     strict=False))
                per += sum(facilities[s].handling_cost_per_unit for s in chain
                           if s in facilities)
                memo[(chain, p)] = per
            last = net.lane(chain[-1], c.id)
            cost[i] += units[k, i] * (per + last.unit_cost())
            if c.demand is None:
                law = c.quantity.get(p, 1) if isinstance(c.quantity, dict) else c.quantity
                extra[i] += units[k, i] * last.cost_per_shipment / max(1.0, _mean(law))
            weight[i] += units[k, i]
    safe = np.where(weight > 0, weight, 1.0)
    return np.where(weight > 0, cost / safe, 0.0), np.where(weight > 0, extra / safe, 0.0)


def _check_maps(inputs: SteeringInputs, pidx: dict[str, int], issues: _Issues,
                weeks: int) -> None:
    from supplylab.scenario.errors import suggest

    def known(p: str, path: tuple[Any, ...], option: str) -> bool:
        if p in pidx:
            return True
        issues.add(path, f"unknown product {p!r}{suggest(p, pidx)}", option=option)
        return False

    for p, effects in inputs.cross_effects.items():
        known(p, ("cross_effects", p), "--cross-effect")
        for q, share in effects.items():
            if known(q, ("cross_effects", p, q), "--cross-effect") and q == p:
                issues.add(("cross_effects", p, q), "a promotion has no cross effect on its "
                           "own product", option="--cross-effect")
            if not (math.isfinite(share) and -1 <= share <= 1):
                issues.add(("cross_effects", p, q), f"share {share:g} must be in [-1, 1]",
                           option="--cross-effect")
    for p, v in inputs.pull_forward.items():
        if known(p, ("pull_forward", p), "--pull-forward") and not 0 <= v <= 1:
            issues.add(("pull_forward", p), f"{v:g} must be a share in [0, 1]",
                       option="--pull-forward")
    for p, v in inputs.dip_weeks.items():
        if known(p, ("dip_weeks", p), "--dip-weeks") and v < 0:
            issues.add(("dip_weeks", p), f"{v} must be >= 0 weeks", option="--dip-weeks")
    for p, byweek in inputs.receipts.items():
        if not known(p, ("receipts", p), "--receipts"):
            continue
        for w, q in byweek.items():
            if not (0 <= int(w) < weeks) or not (math.isfinite(q) and q >= 0):
                issues.add(("receipts", p, w), f"week {w} units {q:g}: the week must be in "
                           f"0..{weeks - 1} and the units finite and >= 0", option="--receipts")


def initial_stock(scenario: Any, pidx: dict[str, int]) -> np.ndarray:
    """Units on hand at day 0 in every facility, per product."""
    out = np.zeros(len(pidx))
    for f in scenario.facilities:
        for p, i in pidx.items():
            if not f.stocks(p):
                continue
            if p in f.inventory.initial:
                out[i] += f.inventory.initial[p]
            else:
                out[i] += _order_up_to(f.inventory.policy_for(p))
    return out


def _order_up_to(pol: Any) -> float:
    if pol is None:
        return 0.0
    if pol.policy in ("sS", "RS"):
        return float(pol.S)
    if pol.policy == "rQ":
        return float(pol.r + pol.Q)
    return float(pol.level)


def _availability(scenario: Any, target: str, days: np.ndarray) -> np.ndarray:
    """Share of capacity per day left by the target's disruptions (random: in expectation)."""
    f = np.ones(len(days))
    for d in scenario.disruptions:
        if d.target != target:
            continue
        eff = d.effect
        left = 0.0 if eff == "outage" else getattr(eff, "capacity", 1.0)
        if d.start_day is not None:
            on = (days + 0.5 >= d.start_day) & (days + 0.5 < d.start_day + d.duration_days)
            f = np.where(on, f * left, f)
        else:
            dur = _mean(d.duration)
            down = dur / (d.mean_time_between_days + dur) if dur > 0 else 0.0
            f = f * (1.0 - down * (1.0 - left))
    return f


def supply_pools(scenario: Any, pidx: dict[str, int], weeks: int, end: float
                 ) -> tuple[SupplyPool, ...]:
    """Weekly dispatch capacity of every supplier (and capacitated plant), as pools."""
    days = np.arange(weeks * 7, dtype=float)
    inside = days < end
    net = scenario.network
    pools = []
    for s in scenario.suppliers:
        avail = _availability(scenario, s.id, days) * inside
        week_share = avail.reshape(weeks, 7).sum(axis=1)
        rel = s.reliability
        fl = s.failure
        y = rel + (1.0 - rel) * (fl.late_share + (1.0 - fl.late_share) * fl.short_fill)
        y = max(y, 1e-6)
        lead = _mean(s.lead_time)
        prods = [p for p in s.products if p in pidx]
        leads = {p: int(round((lead + _transit(net, s.id, p, scenario)) / 7.0)) for p in prods}
        cap = s.capacity_per_day
        if isinstance(cap, int | float):
            pools.append(SupplyPool(s.id, tuple(pidx[p] for p in prods), cap * week_share,
                                    tuple(leads[p] for p in prods), tuple(y for _ in prods)))
            continue
        for p in prods:
            rate = cap.get(p) if isinstance(cap, dict) else None
            capacity = np.full(weeks, np.inf) if rate is None else rate * week_share
            pools.append(SupplyPool(f"{s.id}:{p}", (pidx[p],), capacity, (leads[p],), (y,)))
    for f in scenario.facilities:
        if f.kind != "plant":
            continue
        prods = [p for p in pidx if f.stocks(p) and net.upstream(f.id, p) is None]
        if not prods:
            continue
        rate = f.production_capacity_per_day
        avail = _availability(scenario, f.id, days) * inside
        capacity = np.full(weeks, np.inf) if rate is None else \
            rate * avail.reshape(weeks, 7).sum(axis=1)
        lead = int(round(_mean(f.production_lead_time) / 7.0))
        pools.append(SupplyPool(f.id, tuple(pidx[p] for p in prods), capacity,
                                tuple(lead for _ in prods), tuple(1.0 for _ in prods)))
    return tuple(pools)


def _transit(net: Any, supplier: str, product: str, scenario: Any) -> float:
    """Mean transit from the supplier to the nearest facility that stocks the product, days."""
    best = math.inf
    for f in scenario.facilities:
        if f.stocks(product) and f.kind != "plant":
            try:
                best = min(best, _mean(net.lane(supplier, f.id).transit_time))
            except (KeyError, LookupError, ValueError):
                continue
    return 0.0 if math.isinf(best) else best
