"""Inputs of the network-design optimiser: the problem data and the study options.

Units: demand in units per year; costs in currency per year; capacity in units per year;
transit in the unit of the coverage matrix (days or km, the user's choice, used consistently by
the service rules); CO2 in tonnes per year; CO2 price in currency per tonne.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from supplylab.errors import InputError
from supplylab.optimize.instances import FacilityProblem
from supplylab.optimize.solver import SolverOptions
from supplylab.optimize.stock_cost import SqrtCost

if TYPE_CHECKING:
    from supplylab.optimize.formulation import BuildContext
    from supplylab.optimize.linear import LinearModel


@dataclass(frozen=True)
class CapacityLevel:
    """One size a site may be built at: capacity (units/year) for a fixed cost (per year)."""

    site: str
    capacity: float
    fixed_cost: float
    name: str = ""


@dataclass(frozen=True, eq=False)
class NetworkDesignProblem:
    """Data of a capacitated facility-location problem.

    ``cost[i, j]`` is the yearly cost of serving ALL of customer j's demand from site i
    (transport plus handling); ``fixed[i]`` the yearly fixed cost of keeping site i open;
    ``capacity[i]`` its throughput limit in units/year (``inf`` or ``capacity=None`` for
    uncapacitated). ``levels`` (optional) replaces ``fixed``/``capacity`` of the sites it names
    with a choice of at most one of several sizes. ``existing`` marks sites already operating
    (the others are candidates). ``co2[i, j]`` is tonnes/year for serving all of j from i and
    ``transit[i, j]`` the transit time (days) and ``distance[i, j]`` the road distance (km) used
    by service rules. ``allowed[i, j]`` False forbids serving j from i at all (e.g. the site does
    not stock what j orders).

    Upper echelons (optional; see :mod:`supplylab.optimize.echelon`): ``inbound[i]`` is the
    cost per unit of supplying site i from outside the network (suppliers, plants; ``inf``: i
    cannot be supplied that way); ``replenish[k, i]`` the cost per unit site k ships to site
    i (k's handling plus transport; ``inf``: not allowed; the allowed arcs must form no cycle).
    Each open site then has exactly one source: outside, or one open site. ``arc_capacity``
    (m, n) and ``replenish_capacity`` (m, m) limit lanes in units/year (``inf``: no limit).
    Periods (optional): ``period_demand[p, j]`` units of j's demand in period p (rows sum to
    ``demand``), ``period_share[p]`` the share of a year's capacity available in period p
    (sums to 1); capacity and lane limits then hold in every period, so a peak binds.
    """

    site_ids: tuple[str, ...]
    customer_ids: tuple[str, ...]
    demand: np.ndarray
    cost: np.ndarray
    fixed: np.ndarray
    capacity: np.ndarray | None = None
    levels: tuple[CapacityLevel, ...] = ()
    existing: np.ndarray | None = None
    co2: np.ndarray | None = None
    transit: np.ndarray | None = None
    name: str = "network"
    distance: np.ndarray | None = None
    allowed: np.ndarray | None = None
    inbound: np.ndarray | None = None
    replenish: np.ndarray | None = None
    arc_capacity: np.ndarray | None = None
    replenish_capacity: np.ndarray | None = None
    period_demand: np.ndarray | None = None
    period_share: np.ndarray | None = None
    sqrt_costs: tuple[SqrtCost, ...] = ()

    @property
    def staged(self) -> bool:
        """True when the model needs flow variables (upper echelons, periods or lane limits)."""
        return any(a is not None for a in (self.inbound, self.replenish, self.period_demand,
                                           self.replenish_capacity))

    @property
    def periods(self) -> tuple[np.ndarray, np.ndarray]:
        """(period demand (P, n), capacity share (P,)); one period (the year) by default."""
        if self.period_demand is None:
            return self.demand[None, :], np.ones(1)
        share = (self.period_share if self.period_share is not None
                 else np.full(len(self.period_demand), 1.0 / len(self.period_demand)))
        return self.period_demand, share

    def __post_init__(self) -> None:
        m, n = len(self.site_ids), len(self.customer_ids)
        problems = []
        if self.demand.shape != (n,):
            problems.append(f"demand has shape {self.demand.shape}, expected ({n},)")
        if self.cost.shape != (m, n):
            problems.append(f"cost has shape {self.cost.shape}, expected ({m}, {n})")
        if self.fixed.shape != (m,):
            problems.append(f"fixed has shape {self.fixed.shape}, expected ({m},)")
        for nm in ("capacity", "existing"):
            arr = getattr(self, nm)
            if arr is not None and arr.shape != (m,):
                problems.append(f"{nm} has shape {arr.shape}, expected ({m},)")
        for nm in ("co2", "transit", "distance", "allowed", "arc_capacity"):
            arr = getattr(self, nm)
            if arr is not None and arr.shape != (m, n):
                problems.append(f"{nm} has shape {arr.shape}, expected ({m}, {n})")
        if len(set(self.site_ids)) != m or len(set(self.customer_ids)) != n:
            problems.append("site and customer ids must be unique")
        known = set(self.site_ids)
        problems += [f"capacity level for unknown site {lv.site!r}" for lv in self.levels
                     if lv.site not in known]
        if (self.demand < 0).any() or (self.cost < 0).any() or (self.fixed < 0).any():
            problems.append("demand, cost and fixed cost must be non-negative")
        problems += self._stage_problems()
        if problems:
            raise InputError("; ".join(problems), file=self.name)

    def _stage_problems(self) -> list[str]:
        m, n = len(self.site_ids), len(self.customer_ids)
        bad: list[str] = []
        if self.inbound is not None and self.inbound.shape != (m,):
            bad.append(f"inbound has shape {self.inbound.shape}, expected ({m},)")
        for nm in ("replenish", "replenish_capacity"):
            arr = getattr(self, nm)
            if arr is not None and arr.shape != (m, m):
                bad.append(f"{nm} has shape {arr.shape}, expected ({m}, {m})")
        if self.period_demand is not None:
            pd_ = self.period_demand
            if pd_.ndim != 2 or pd_.shape[1] != n:
                bad.append(f"period_demand has shape {pd_.shape}, expected (P, {n})")
            elif not np.allclose(pd_.sum(axis=0), self.demand, rtol=1e-9, atol=1e-9):
                bad.append("period_demand does not sum to demand")
            elif self.period_share is not None and (
                    self.period_share.shape != (len(pd_),)
                    or abs(float(self.period_share.sum()) - 1.0) > 1e-9):
                bad.append("period_share needs one share per period, summing to 1")
        for sc in self.sqrt_costs:
            if sc.weight.shape != (m, n) or sc.scale.shape != (m,) or sc.segments < 1:
                bad.append(f"square-root cost {sc.name!r} needs weight ({m}, {n}), scale "
                           f"({m},) and at least one segment")
            elif (sc.weight < 0).any() or (sc.scale < 0).any():
                bad.append(f"square-root cost {sc.name!r} must be non-negative")
        for nm in ("inbound", "replenish"):
            arr = getattr(self, nm)
            if arr is not None and (np.isnan(arr).any() or (arr < 0).any()):
                bad.append(f"{nm} must be non-negative (inf = not allowed)")
        if self.replenish is not None and not bad:
            arcs = np.isfinite(self.replenish)
            if np.diag(arcs).any():
                bad.append("a site cannot replenish itself (replenish has a finite diagonal)")
            elif _has_cycle(arcs):
                bad.append("the allowed replenishment arcs form a cycle")
        return bad

    @property
    def m(self) -> int:
        return len(self.site_ids)

    @property
    def n(self) -> int:
        return len(self.customer_ids)

    @classmethod
    def from_facility(cls, fp: FacilityProblem) -> NetworkDesignProblem:
        """Wrap a benchmark instance; sites are ``F1..Fm``, customers ``C1..Cn``."""
        return cls(tuple(f"F{i + 1}" for i in range(fp.m)),
                   tuple(f"C{j + 1}" for j in range(fp.n)),
                   fp.demand.astype(float), fp.cost.astype(float), fp.fixed.astype(float),
                   None if fp.capacity is None else fp.capacity.astype(float), name=fp.name)

    def level_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Every buildable (site, size) pair: site index, capacity, fixed cost, level name.

        Sites named in ``levels`` get those sizes; the others one level from
        ``fixed``/``capacity`` (capacity ``inf`` when uncapacitated).
        """
        idx = {s: i for i, s in enumerate(self.site_ids)}
        with_levels = {lv.site for lv in self.levels}
        site, cap, fix, names = [], [], [], []
        for i, s in enumerate(self.site_ids):
            if s in with_levels:
                continue
            site.append(i)
            cap.append(np.inf if self.capacity is None else float(self.capacity[i]))
            fix.append(float(self.fixed[i]))
            names.append("base")
        for k, lv in enumerate(self.levels):
            site.append(idx[lv.site])
            cap.append(float(lv.capacity))
            fix.append(float(lv.fixed_cost))
            names.append(lv.name or f"L{k}")
        order = np.argsort(np.asarray(site), kind="stable")
        return (np.asarray(site, dtype=np.int64)[order], np.asarray(cap, float)[order],
                np.asarray(fix, float)[order], [names[k] for k in order])


@dataclass(frozen=True)
class CoverageRule:
    """Customers (ids; empty = all) may only be served by sites with ``transit <= max_transit``
    (days) and ``distance <= max_distance`` (km); a limit left at None is not applied.

    Hard when ``penalty_per_unit`` is None; soft otherwise: serving out of range is allowed at
    that penalty per unit of demand (currency/unit) and reported as shortfall.
    """

    max_transit: float | None = None
    customers: tuple[str, ...] = ()
    penalty_per_unit: float | None = None
    max_distance: float | None = None

    def out_of_range(self, problem: NetworkDesignProblem) -> np.ndarray:
        """Boolean (m, n) mask of the arcs this rule forbids (or penalises)."""
        bad = np.zeros((problem.m, problem.n), dtype=bool)
        if self.max_transit is not None and problem.transit is not None:
            bad |= problem.transit > self.max_transit
        if self.max_distance is not None and problem.distance is not None:
            bad |= problem.distance > self.max_distance
        if self.customers:
            wanted = set(self.customers)
            bad[:, [c not in wanted for c in problem.customer_ids]] = False
        return bad


@dataclass(frozen=True)
class ServiceShareRule:
    """At least ``min_share`` (0..1) of the demand of ``customers`` (ids; empty = all) is
    served from sites within ``max_transit`` (a tier's contract when they are a tier's).

    Soft when ``penalty_per_unit`` is set (currency per unit of demand below the target).
    """

    max_transit: float
    min_share: float
    penalty_per_unit: float | None = None
    customers: tuple[str, ...] = ()

    def members(self, problem: NetworkDesignProblem) -> np.ndarray:
        """Boolean (n,) mask of the customers whose demand the rule counts (empty = all)."""
        if not self.customers:
            return np.ones(problem.n, dtype=bool)
        wanted = set(self.customers)
        return np.array([c in wanted for c in problem.customer_ids], dtype=bool)


ExistingPolicy = Literal["keep", "may_close"]
Hook = Callable[["LinearModel", "BuildContext"], None]


@dataclass(frozen=True)
class NetworkOptions:
    """Study options of the network-design MIP (defaults give the classic CFLP).

    ``single_source``: each customer served by one site (binary assignment) instead of split
    shares. ``strong``: add ``x_ij <= y_i`` (tighter LP bound, m*n more rows) rather than only
    the aggregated capacity linking. ``lazy_linking`` (with ``strong``): on the matrix path the
    ``x_ij <= y_i`` rows are added only when violated, LP first (a cutting-plane loop), which
    keeps the model small on 100 x 1000 instances; the PuLP path includes them all. ``existing_policy``: 'keep' forces existing sites open,
    'may_close' lets them close. ``forced_open``/``forced_closed``: site ids. ``min_open``/
    ``max_open``: bounds on the number of open sites. ``co2_price``: currency per tonne;
    ``co2_cap``: tonnes/year limit. ``capacity_penalty``: if set, capacity becomes soft at this
    cost per unit/year of overflow. ``hook(model, ctx)`` may add user constraints before solving.
    ``method``: 'mip' (the formulation as it is), 'lagrangian' (bound, heuristics, site fixing,
    then the reduced MIP; see :mod:`supplylab.optimize.strategy`) or 'auto' (by size).
    """

    single_source: bool = False
    strong: bool = True
    lazy_linking: bool = False
    existing_policy: ExistingPolicy = "keep"
    forced_open: tuple[str, ...] = ()
    forced_closed: tuple[str, ...] = ()
    min_open: int | None = None
    max_open: int | None = None
    coverage: tuple[CoverageRule, ...] = ()
    service_share: tuple[ServiceShareRule, ...] = ()
    co2_price: float = 0.0
    co2_cap: float | None = None
    capacity_penalty: float | None = None
    solver: SolverOptions = field(default_factory=SolverOptions)
    hook: Hook | None = None
    method: Literal["auto", "mip", "lagrangian"] = "auto"

    def check(self, problem: NetworkDesignProblem) -> None:
        """Reject options that do not fit ``problem`` (unknown ids, bad ranges), listing all."""
        known_sites, known_cust = set(problem.site_ids), set(problem.customer_ids)
        bad: list[str] = []
        bad += [f"unknown site {s!r} in forced_open" for s in self.forced_open
                if s not in known_sites]
        bad += [f"unknown site {s!r} in forced_closed" for s in self.forced_closed
                if s not in known_sites]
        both = set(self.forced_open) & set(self.forced_closed)
        bad += [f"site {s!r} is both forced open and forced closed" for s in sorted(both)]
        for rule in self.coverage:
            bad += [f"unknown customer {c!r} in coverage rule" for c in rule.customers
                    if c not in known_cust]
        if self.service_share and problem.transit is None:
            bad.append("service-share rules need a transit matrix")
        for rule in self.coverage:
            if rule.max_transit is not None and problem.transit is None:
                bad.append("a coverage rule with max_transit needs a transit matrix")
            if rule.max_distance is not None and problem.distance is None:
                bad.append("a coverage rule with max_distance needs a distance matrix")
        for rule in self.service_share:
            bad += [f"unknown customer {c!r} in service-share rule" for c in rule.customers
                    if c not in known_cust]
            if not 0.0 <= rule.min_share <= 1.0:
                bad.append(f"service share {rule.min_share} is not in [0, 1]")
        if self.co2_cap is not None and problem.co2 is None:
            bad.append("co2_cap needs a co2 matrix")
        if self.co2_price and problem.co2 is None:
            bad.append("co2_price needs a co2 matrix")
        if self.co2_price < 0:
            bad.append("co2_price must be non-negative")
        for nm in ("min_open", "max_open"):
            v = getattr(self, nm)
            if v is not None and not 0 <= v <= problem.m:
                bad.append(f"{nm}={v} is outside 0..{problem.m}")
        if self.min_open is not None and self.max_open is not None \
                and self.min_open > self.max_open:
            bad.append(f"min_open={self.min_open} is above max_open={self.max_open}")
        if self.method not in ("auto", "mip", "lagrangian"):
            bad.append(f"method {self.method!r} is not 'auto', 'mip' or 'lagrangian'")
        if self.existing_policy not in ("keep", "may_close"):
            bad.append(f"existing_policy {self.existing_policy!r} is not 'keep' or 'may_close'")
        if bad:
            raise InputError("; ".join(bad), file=problem.name)


def _has_cycle(arcs: np.ndarray) -> bool:
    """Whether the directed graph of a boolean adjacency matrix has a cycle (Kahn's order)."""
    indeg = arcs.sum(axis=0).astype(int)
    ready = list(np.flatnonzero(indeg == 0))
    seen = 0
    while ready:
        k = ready.pop()
        seen += 1
        for i in np.flatnonzero(arcs[k]):
            indeg[i] -= 1
            if indeg[i] == 0:
                ready.append(i)
    return seen < len(arcs)


def site_mask(problem: NetworkDesignProblem, ids: Sequence[str]) -> np.ndarray:
    """Boolean (m,) mask of the given site ids."""
    wanted = set(ids)
    return np.array([s in wanted for s in problem.site_ids], dtype=bool)
