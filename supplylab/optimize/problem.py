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
        for nm in ("co2", "transit", "distance", "allowed"):
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
        if problems:
            raise InputError("; ".join(problems), file=self.name)

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
    """At least ``min_share`` (0..1) of total demand is served within ``max_transit``.

    Soft when ``penalty_per_unit`` is set (currency per unit of demand below the target).
    """

    max_transit: float
    min_share: float
    penalty_per_unit: float | None = None


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


def site_mask(problem: NetworkDesignProblem, ids: Sequence[str]) -> np.ndarray:
    """Boolean (m,) mask of the given site ids."""
    wanted = set(ids)
    return np.array([s in wanted for s in problem.site_ids], dtype=bool)
