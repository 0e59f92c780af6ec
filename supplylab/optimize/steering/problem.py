"""The promotion-steering problem as arrays (products x weeks), and the options of a study.

Units: quantities are units per week, money in the scenario's currency, time in weeks (the
week ``t`` covers days ``[7t, 7t + 7)``). A :class:`SteeringProblem` can be built from a
scenario (:func:`supplylab.optimize.steering.scenario_input.steering_problem`) or directly from
arrays (tests, benchmarks, researchers); :meth:`SteeringProblem.check` rejects values outside
their documented range with an :class:`~supplylab.errors.InputError` (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from supplylab.errors import InputError
from supplylab.optimize.solver import SolverOptions


@dataclass(frozen=True)
class SupplyPool:
    """Supply that several products share: ``capacity[t]`` units dispatched in week t.

    ``products`` index the problem's products; ``lead_weeks[k]`` is the delay from dispatch to
    receipt of ``products[k]`` (weeks); ``yield_share[k]`` the expected share of a dispatch
    that arrives (supplier reliability and short shipments). ``inf`` capacity = unlimited.
    """

    name: str
    products: tuple[int, ...]
    capacity: np.ndarray
    lead_weeks: tuple[int, ...]
    yield_share: tuple[float, ...]


@dataclass
class SteeringProblem:
    """Data of the steering model over N products and T weeks (L discount levels at most).

    * ``base[i, t]``: expected demand without new promotions (committed ones included), units;
      ``target_base[i, t]``: the part of it from the customers new promotions target;
    * ``discount[i, l]`` (share of the price, NaN = no level) and ``lift[i, l]`` (>= 1);
    * ``allowed[i, t]``: week t may hold a new promotion of i (window, commitments, gaps);
    * ``committed[i, t]``: week t already holds a promotion of i from the scenario;
    * ``cross[p, q]``: share of the extra units of a promotion of p moved to q (negative: taken
      from q, Cohen-Kalas-Perakis pairwise cross effects);
    * ``pull_forward[i]``: share of the extra units borrowed from the next ``dip_weeks[i]``;
    * ``substitution[i, j]``: share of the customers who find i out of stock that take j,
      if j has stock (``A_i = sum_j substitution[i, j]``);
    * ``waiting[i]`` in [0, 1]: share of i's demand from customers who wait for a backorder
      (the simulation serves them from the next receipts ahead of new arrivals, who then meet
      the empty shelf in turn): of D units demanded and S sold from stock, up to
      ``min(A_i D, A_i (D - S) / (1 - (1 - A_i) waiting_i))`` are substituted;
    * ``backorder_weeks[i]`` 0 or 1: unmet demand may wait one week (then served first);
    * supply: ``initial_stock[i]``, ``receipts[i, t]`` (scheduled), ``pools``;
    * ``order_cost[i]``: cost per extra unit a promotion of i brings beyond ``unit_cost``
      (the simulation adds single-line orders, each paying a shipment), currency per unit;
    * money: ``price`` and ``unit_cost`` per unit, ``holding`` per unit-week, ``lost_penalty``
      per lost unit, ``backorder_cost`` per unit-week waiting.
    """

    product_ids: tuple[str, ...]
    price: np.ndarray
    unit_cost: np.ndarray
    base: np.ndarray
    discount: np.ndarray
    lift: np.ndarray
    initial_stock: np.ndarray
    pools: tuple[SupplyPool, ...] = ()
    target_base: np.ndarray | None = None
    receipts: np.ndarray | None = None
    holding: np.ndarray | None = None
    lost_penalty: np.ndarray | None = None
    backorder_cost: np.ndarray | None = None
    backorder_weeks: np.ndarray | None = None
    allowed: np.ndarray | None = None
    committed: np.ndarray | None = None
    committed_events: np.ndarray | None = None
    cross: np.ndarray | None = None
    substitution: np.ndarray | None = None
    waiting: np.ndarray | None = None
    order_cost: np.ndarray | None = None
    pull_forward: np.ndarray | None = None
    dip_weeks: np.ndarray | None = None
    name: str = "steering"

    def __post_init__(self) -> None:
        self.base = np.asarray(self.base, float)
        n, t = self.base.shape
        disc = np.asarray(self.discount, float)
        levels = disc.shape[1] if disc.ndim == 2 else 0
        self.price = np.asarray(self.price, float)
        self.unit_cost = np.asarray(self.unit_cost, float)
        self.base = np.asarray(self.base, float)
        self.discount = np.asarray(self.discount, float).reshape(n, levels)
        self.lift = np.asarray(self.lift, float).reshape(n, levels)
        self.initial_stock = np.asarray(self.initial_stock, float)
        zeros, nn = np.zeros((n, t)), np.zeros((n, n))
        self.target_base = self.base.copy() if self.target_base is None \
            else np.asarray(self.target_base, float)
        self.receipts = zeros.copy() if self.receipts is None else np.asarray(self.receipts, float)
        self.holding = np.zeros(n) if self.holding is None else np.asarray(self.holding, float)
        self.lost_penalty = np.zeros(n) if self.lost_penalty is None \
            else np.asarray(self.lost_penalty, float)
        self.backorder_cost = np.zeros(n) if self.backorder_cost is None \
            else np.asarray(self.backorder_cost, float)
        self.backorder_weeks = np.zeros(n, int) if self.backorder_weeks is None \
            else np.asarray(self.backorder_weeks, int)
        self.allowed = np.ones((n, t), bool) if self.allowed is None \
            else np.asarray(self.allowed, bool)
        self.committed = np.zeros((n, t), bool) if self.committed is None \
            else np.asarray(self.committed, bool)
        self.committed_events = np.zeros(n, int) if self.committed_events is None \
            else np.asarray(self.committed_events, int)
        self.cross = nn.copy() if self.cross is None else np.asarray(self.cross, float)
        self.substitution = nn.copy() if self.substitution is None \
            else np.asarray(self.substitution, float)
        self.waiting = np.zeros(n) if self.waiting is None else np.asarray(self.waiting, float)
        self.order_cost = np.zeros(n) if self.order_cost is None \
            else np.asarray(self.order_cost, float)
        self.pull_forward = np.zeros(n) if self.pull_forward is None \
            else np.asarray(self.pull_forward, float)
        self.dip_weeks = np.zeros(n, int) if self.dip_weeks is None \
            else np.asarray(self.dip_weeks, int)

    @property
    def n(self) -> int:
        """Number of products."""
        return self.base.shape[0]

    @property
    def weeks(self) -> int:
        """Number of weeks planned."""
        return self.base.shape[1]

    @property
    def levels(self) -> int:
        """Most discount levels of any product."""
        return self.discount.shape[1]

    @property
    def has_level(self) -> np.ndarray:
        """(N, L) bool: the level exists for the product."""
        return np.isfinite(self.discount)

    def margin(self) -> np.ndarray:
        """Regular unit margin per product (price - unit cost)."""
        return self.price - self.unit_cost

    def check(self, file: str = "<problem>") -> None:
        """Raise InputError listing every value outside its range (shapes, signs, shares)."""
        n, t = self.n, self.weeks
        bad: list[str] = []

        def need(ok: bool, msg: str) -> None:
            if not ok:
                bad.append(msg)

        shapes = {"price": (n,), "unit_cost": (n,), "initial_stock": (n,), "holding": (n,),
                  "lost_penalty": (n,), "receipts": (n, t), "target_base": (n, t),
                  "allowed": (n, t), "committed": (n, t), "cross": (n, n),
                  "substitution": (n, n), "pull_forward": (n,), "dip_weeks": (n,),
                  "backorder_weeks": (n,), "backorder_cost": (n,), "committed_events": (n,),
                  "waiting": (n,), "order_cost": (n,)}
        for attr, shape in shapes.items():
            need(np.shape(getattr(self, attr)) == shape,
                 f"{attr} has shape {np.shape(getattr(self, attr))}, expected {shape}")
        need(len(self.product_ids) == n, f"{len(self.product_ids)} product ids for {n} products")
        if bad:
            raise InputError("; ".join(bad), file)
        for attr in ("price", "unit_cost", "base", "target_base", "initial_stock", "receipts",
                     "holding", "lost_penalty", "backorder_cost", "order_cost"):
            arr = getattr(self, attr)
            need(bool(np.isfinite(arr).all() and (arr >= 0).all()),
                 f"{attr} must be finite and >= 0")
        need(bool((self.target_base <= self.base + 1e-9).all()),
             "target_base cannot exceed base demand")
        lv = self.has_level
        need(bool(((self.discount[lv] > 0) & (self.discount[lv] < 1)).all()),
             "discounts must be in (0, 1)")
        need(bool(np.isfinite(self.lift[lv]).all()), "every discount level needs a finite lift")
        for i, pid in enumerate(self.product_ids):
            for k in np.flatnonzero(lv[i]):
                if self.lift[i, k] < 1:
                    bad.append(f"product {pid!r}: lift {self.lift[i, k]:g} at discount "
                               f"{self.discount[i, k]:g} is below 1 (a discount cannot lower "
                               "demand; use a lift >= 1)")
        need(bool(np.isfinite(self.cross).all() and (np.abs(self.cross) <= 1).all()),
             "cross effects must be shares in [-1, 1]")
        need(bool((np.diag(self.cross) == 0).all()), "a product has no cross effect on itself")
        s = self.substitution
        need(bool(np.isfinite(s).all() and (s >= 0).all() and (s.sum(axis=1) <= 1 + 1e-9).all()),
             "substitution shares must be >= 0 and add up to at most 1 per product")
        need(bool((np.diag(s) == 0).all()), "a product cannot substitute itself")
        need(bool(np.isfinite(self.waiting).all() and ((self.waiting >= 0)
                                                        & (self.waiting <= 1)).all()),
             "waiting shares must be in [0, 1]")
        need(bool(((self.pull_forward >= 0) & (self.pull_forward <= 1)).all()),
             "pull_forward must be in [0, 1]")
        need(bool((self.dip_weeks >= 0).all()), "dip_weeks must be >= 0")
        need(bool(np.isin(self.backorder_weeks, (0, 1)).all()), "backorder_weeks must be 0 or 1")
        for pool in self.pools:
            need(pool.capacity.shape == (t,), f"pool {pool.name}: capacity needs {t} weeks")
            need(bool((np.nan_to_num(pool.capacity, posinf=0) >= 0).all()
                      and not np.isnan(pool.capacity).any()),
                 f"pool {pool.name}: capacity must be >= 0")
            need(all(0 <= p < n for p in pool.products), f"pool {pool.name}: unknown product")
            need(all(0 < y <= 1 for y in pool.yield_share), f"pool {pool.name}: yield in (0, 1]")
            need(all(w >= 0 for w in pool.lead_weeks), f"pool {pool.name}: lead_weeks >= 0")
        if bad:
            raise InputError("; ".join(bad), file)


@dataclass(frozen=True)
class SteeringOptions:
    """Business rules and solver settings of a steering study.

    * ``max_promotions``: most promotion events per product over the plan (committed ones
      count); None = no limit. An event is a run of consecutive weeks at one discount.
    * ``min_gap_weeks``: weeks without promotion between two events of one product.
    * ``max_event_weeks``: longest event, weeks (None = no limit).
    * ``budget``: most promotion spend (discount given + fixed costs), currency; None = none.
    * ``price_floor_share``: a discounted price must stay >= this share of the list price;
      ``price_floor``: per product id, the lowest discounted price (currency).
    * ``fixed_cost_per_promotion``: cost of launching one event (advertising), currency.
    * ``batch_products``: independent groups of products (no cross effect, substitute or shared
      pool between them) are packed into MILPs of about this many products.
    * ``integrality``: ``"auto"`` solves the LP relaxation first and stops when its optimum
      is integral (then status optimal, gap 0), rounds it otherwise and branches only where
      the gap requires; ``"mip"`` goes straight to branch and bound.
    * ``solver``: HiGHS through the matrix path by default (the model handed over as one
      sparse matrix); ``path="pulp"`` builds the same model in PuLP (the reference path).
    """

    max_promotions: int | None = None
    min_gap_weeks: int = 0
    max_event_weeks: int | None = None
    budget: float | None = None
    price_floor_share: float = 0.0
    price_floor: dict[str, float] = field(default_factory=dict)
    fixed_cost_per_promotion: float = 0.0
    integrality: str = "auto"
    batch_products: int = 1
    solver: SolverOptions = field(
        default_factory=lambda: SolverOptions(mip_rel_gap=1e-6, path="matrix"))

    def __post_init__(self) -> None:
        bad = []
        if self.max_promotions is not None and self.max_promotions < 0:
            bad.append(f"max_promotions must be >= 0, got {self.max_promotions}")
        if self.min_gap_weeks < 0:
            bad.append(f"min_gap_weeks must be >= 0, got {self.min_gap_weeks}")
        if self.max_event_weeks is not None and self.max_event_weeks < 1:
            bad.append(f"max_event_weeks must be >= 1, got {self.max_event_weeks}")
        if self.budget is not None and not (np.isfinite(self.budget) and self.budget >= 0):
            bad.append(f"budget must be a finite amount >= 0, got {self.budget}")
        if not (0.0 <= self.price_floor_share <= 1.0):
            bad.append(f"price_floor_share must be in [0, 1], got {self.price_floor_share}")
        if any(not (np.isfinite(v) and v >= 0) for v in self.price_floor.values()):
            bad.append("price floors must be finite amounts >= 0")
        if not (np.isfinite(self.fixed_cost_per_promotion) and self.fixed_cost_per_promotion >= 0):
            bad.append("fixed_cost_per_promotion must be a finite amount >= 0")
        if self.batch_products < 1:
            bad.append(f"batch_products must be >= 1, got {self.batch_products}")
        if self.integrality not in ("auto", "mip"):
            bad.append(f"integrality must be 'auto' or 'mip', got {self.integrality!r}")
        if bad:
            raise InputError("; ".join(bad), "--options")
