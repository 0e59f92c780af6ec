"""Single-site inventory formulas: EOQ, newsvendor, base stock, (R,S) and (r,Q) service levels.

Conventions (docs/inventory.md): a periodic-review policy protects over the lead time plus the
review period (L + R; FoSCT's L + 1 with R = 1 period); an (s,S) or (r,Q) policy orders when the
inventory position is *at or below* the reorder point, which is what the engine does. Service
measures: cycle service level (CSL, Type 1) = P(no stock-out in a replenishment cycle); fill
rate (Type 2) = share of demand served from stock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from supplylab.errors import InputError
from supplylab.optimize.inventory.laws import Law, std_normal_loss, std_normal_loss2


def check_target(target: float, what: str = "service target") -> float:
    """A service target must lie in (0, 1): 1.0 would need infinite stock."""
    if not (isinstance(target, int | float) and math.isfinite(target) and 0.0 < target < 1.0):
        raise InputError(f"{what} must be in (0, 1), got {target!r}: a target of 1 or more "
                         "needs unbounded stock; use e.g. 0.999", file=what)
    return float(target)


# ------------------------------------------------------------------------------ EOQ
def eoq(fixed_cost: float, holding_cost: float, demand_rate: float) -> tuple[float, float]:
    """Economic order quantity Q* = sqrt(2 K lambda / h) and its cost sqrt(2 K lambda h) per
    time unit (K per order, h per unit per time unit, lambda units per time unit)."""
    if holding_cost <= 0 or demand_rate < 0 or fixed_cost < 0:
        raise InputError("EOQ needs h > 0, K >= 0 and demand >= 0")
    q = math.sqrt(2.0 * fixed_cost * demand_rate / holding_cost)
    return q, math.sqrt(2.0 * fixed_cost * demand_rate * holding_cost)


# ------------------------------------------------------------------------------ newsvendor
def newsvendor_cost(law: Law, level: float, h: float, p: float) -> float:
    """Expected cost h E[(S - X)+] + p E[(X - S)+] of stocking ``level`` against ``law``."""
    short = float(law.loss(level))
    return h * (level - law.mean + short) + p * short


def newsvendor_level(law: Law, h: float, p: float) -> float:
    """The cost-minimising level: the p/(p+h) quantile (smallest integer for discrete laws)."""
    return law.quantile(p / (p + h))


# ------------------------------------------------------------------------------ service levels
def csl_level(law: Law, target: float) -> float:
    """Order-up-to / reorder level meeting a cycle service level: the target quantile."""
    return law.quantile(check_target(target, "cycle service level"))


def rs_fill_rate(level: float | np.ndarray, over_rl: Law, over_l: Law,
                 review_demand: float) -> float | np.ndarray:
    """Fill rate of an order-up-to level under periodic review (exact for backorders):
    1 - [n_{R+L}(S) - n_L(S)] / (mu R), with n the loss function over R+L and over L."""
    if review_demand <= 0:
        return 1.0 if np.ndim(level) == 0 else np.ones(np.shape(level))
    short = np.asarray(over_rl.loss(level)) - np.asarray(over_l.loss(level))
    out = 1.0 - np.maximum(short, 0.0) / review_demand
    return float(out) if np.ndim(out) == 0 else out


def rq_fill_rate(r: float | np.ndarray, q: float, ltd: Law) -> float | np.ndarray:
    """Fill rate of (r,Q) with the inventory position uniform on (r, r+Q]:
    1 - [n(r) - n(r+Q)] / Q (Hadley-Whitin; exact for continuous review)."""
    r = np.asarray(r, dtype=float)
    out = 1.0 - (np.asarray(ltd.loss(r)) - np.asarray(ltd.loss(r + q))) / q
    return float(out) if np.ndim(out) == 0 else out


def rq_csl(r: float, ltd: Law) -> float:
    """Cycle service level of a reorder point: P(lead-time demand <= r)."""
    return float(ltd.cdf(r))


def _solve_increasing(fn, target: float, lo: float, hi: float, integer: bool) -> float:  # noqa: ANN001
    """Smallest x in [lo, hi] with fn(x) >= target (fn non-decreasing, vectorised)."""
    while float(fn(hi)) < target:
        hi = hi + max(1.0, hi - lo)
        if hi - lo > 1e9:
            raise InputError("no finite stock level meets the fill-rate target")
    if integer:
        xs = np.arange(math.floor(lo), math.ceil(hi) + 1, dtype=float)
        ok = np.asarray(fn(xs)) >= target
        return float(xs[int(np.argmax(ok))])
    if float(fn(lo)) >= target:
        return lo
    return float(optimize.brentq(lambda x: float(fn(x)) - target, lo, hi, xtol=1e-9))


def rs_level_for_fill(over_rl: Law, over_l: Law, review_demand: float, target: float) -> float:
    """Smallest order-up-to level whose periodic-review fill rate meets ``target``."""
    check_target(target, "fill rate")
    lo = math.floor(min(0.0, over_rl.mean - 10 * over_rl.sd))
    hi = over_rl.mean + 10 * over_rl.sd + 10
    return _solve_increasing(lambda s: rs_fill_rate(s, over_rl, over_l, review_demand), target,
                             lo, hi, over_rl.discrete)


def rq_reorder_for_fill(ltd: Law, q: float, target: float) -> float:
    """Smallest reorder point r whose (r,Q) fill rate meets ``target``."""
    check_target(target, "fill rate")
    lo = math.floor(min(-q, ltd.mean - 10 * ltd.sd - q))
    hi = ltd.mean + 10 * ltd.sd + 10
    return _solve_increasing(lambda r: rq_fill_rate(r, q, ltd), target, lo, hi, ltd.discrete)


# ------------------------------------------------------------------------------ (r,Q) costs
@dataclass(frozen=True)
class RQResult:
    """An (r,Q) policy with its expected cost per time unit."""

    r: float
    Q: float
    cost: float


def rq_cost_normal(r: float, q: float, h: float, p: float, k: float, rate: float,
                   ltd_mean: float, ltd_sd: float) -> float:
    """Exact expected cost per time unit of (r,Q) with normal lead-time demand (backorders):
    h E[OH] + p E[B] + K lambda / Q with E[B] = sd^2 [L2(z_r) - L2(z_{r+Q})] / Q."""
    zr, zq = (r - ltd_mean) / ltd_sd, (r + q - ltd_mean) / ltd_sd
    eb = ltd_sd ** 2 * (std_normal_loss2(zr) - std_normal_loss2(zq)) / q
    eoh = q / 2.0 + r - ltd_mean + eb
    return float(h * eoh + p * eb + k * rate / q)


def rq_eil_approximation(h: float, p: float, k: float, rate: float, ltd_mean: float,
                         ltd_sd: float, tol: float = 1e-9) -> RQResult:
    """(r,Q) by the expected-inventory-level approximation (FoSCT Sec. 5.2.2), iterated:
    Q = sqrt(2 lambda (K + p n(r)) / h) and 1 - Phi((r-mu)/sd) = Q h / (p lambda). ``cost`` is
    the approximate cost h (r - mu + Q/2) + K lambda / Q + p lambda n(r) / Q it minimises."""
    q = eoq(k, h, rate)[0]
    r = ltd_mean
    for _ in range(1000):
        ratio = min(q * h / (p * rate), 1.0 - 1e-12)
        r_new = ltd_mean + ltd_sd * float(stats.norm.isf(ratio))
        n_r = ltd_sd * float(std_normal_loss((r_new - ltd_mean) / ltd_sd))
        q_new = math.sqrt(2.0 * rate * (k + p * n_r) / h)
        done = abs(q_new - q) < tol and abs(r_new - r) < tol
        r, q = r_new, q_new
        if done:
            break
    n_r = ltd_sd * float(std_normal_loss((r - ltd_mean) / ltd_sd))
    return RQResult(r, q, h * (r - ltd_mean + q / 2) + k * rate / q + p * rate * n_r / q)


def rq_loss_approximation(h: float, p: float, k: float, rate: float, ltd_mean: float,
                          ltd_sd: float, tol: float = 1e-9) -> RQResult:
    """(r,Q) by the loss-function approximation (Hadley-Whitin 1963; FoSCT Sec. 5.2.3), iterated:
    n(r) = h Q / (h + p) and Q = sqrt(2 (K lambda + (h + p) n2(r)) / h), n2 the second-order
    loss. ``cost`` is the exact normal (r,Q) cost at the answer."""
    q = eoq(k, h, rate)[0]
    r = ltd_mean
    for _ in range(1000):
        target = h * q / (h + p) / ltd_sd
        z = float(optimize.brentq(lambda z, tg=target: std_normal_loss(z) - tg, -20.0, 20.0,
                                  xtol=1e-14))
        r_new = ltd_mean + ltd_sd * z
        n2 = ltd_sd ** 2 * float(std_normal_loss2(z))
        q_new = math.sqrt(2.0 * (k * rate + (h + p) * n2) / h)
        done = abs(q_new - q) < tol and abs(r_new - r) < tol
        r, q = r_new, q_new
        if done:
            break
    return RQResult(r, q, rq_cost_normal(r, q, h, p, k, rate, ltd_mean, ltd_sd))


def rq_poisson_optimal(h: float, p: float, k: float, rate: float, lead_time: float) -> RQResult:
    """Exact optimal (r,Q) for unit Poisson demand (Federgruen-Zheng 1992).

    g(r,Q) = (K lambda + sum_{y=r+1}^{r+Q} G(y)) / Q with G(y) the newsvendor cost at IL = y
    against Poisson(lambda L). G is convex, so growing the interval {r+1..r+Q} by the cheaper end
    point gives the best interval of every length; the cost is unimodal in Q.
    """
    ltd = Law("poisson", rate * lead_time, rate * lead_time)
    top = ltd.upper() + int(10 * math.sqrt(max(k * rate / h, 1.0))) + 10
    ys = np.arange(-top, top + 1)
    loss = np.asarray(ltd.loss(ys.astype(float)))
    g = h * (ys - ltd.mean + loss) + p * loss
    i = int(np.argmin(g))
    lo = hi = i
    total = g[i]
    best = RQResult(float(ys[i] - 1), 1.0, float(k * rate + total))
    while lo > 0 and hi < len(ys) - 1:
        if g[lo - 1] <= g[hi + 1]:
            lo -= 1
            total += g[lo]
        else:
            hi += 1
            total += g[hi]
        q = hi - lo + 1
        cost = float((k * rate + total) / q)
        if cost > best.cost + 1e-12:
            break
        best = RQResult(float(ys[lo] - 1), float(q), cost)
    return best


def rq_cost_discrete(r: int, q: int, h: float, p: float, k: float, rate: float,
                     ltd: Law) -> float:
    """Expected cost per time unit of (r,Q) with integer demand: IP uniform on r+1..r+Q."""
    ys = np.arange(r + 1, r + q + 1, dtype=float)
    loss = np.asarray(ltd.loss(ys))
    g = h * (ys - ltd.mean + loss) + p * loss
    return float((k * rate + g.sum()) / q)


# ------------------------------------------------------------------------------ (s,S) heuristic
def ss_power_approximation(h: float, p: float, k: float, mean: float, sd: float,
                           lead_time: float = 0.0) -> tuple[float, float]:
    """(s,S) by the power approximation (Ehrhardt 1979; Ehrhardt and Mosier 1984; FoSCT eqs.
    4.77-4.80): Q = 1.30 mu^0.494 (K/h)^0.506 (1 + sd_L^2/mu^2)^0.116, z = sqrt(Q h / (sd_L p)),
    s = 0.973 mu_L + sd_L (0.183/z + 1.063 - 2.192 z), S = s + Q; demand per period
    N(mean, sd^2), protection L + 1 periods. A heuristic, not an optimum."""
    mu_l = mean * (lead_time + 1.0)
    sd_l = sd * math.sqrt(lead_time + 1.0)
    qp = 1.30 * mean ** 0.494 * (k / h) ** 0.506 * (1.0 + sd_l ** 2 / mean ** 2) ** 0.116
    z = math.sqrt(qp / sd_l * h / p)
    sp = 0.973 * mu_l + sd_l * (0.183 / z + 1.063 - 2.192 * z)
    return sp, sp + qp
