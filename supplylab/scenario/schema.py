"""The scenario language as pydantic models: the single source of truth for the YAML.

Every field has a unit (in its name where ambiguous: ``_days``, ``_per_year``, ``_km``), a
default and a description; the JSON Schema (``supplylab schema``) and the field reference
(docs/reference.md) are generated from these models. Cross-references between entities (ids)
are checked separately in :mod:`supplylab.scenario.checks`, so that all problems of a file are
reported together.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Strict, Tag, model_validator

from .distributions import Dist
from .limits import MAX_HORIZON_DAYS

Prob = Annotated[float, Field(ge=0, le=1)]
NonNeg = Annotated[float, Field(ge=0)]
Pos = Annotated[float, Field(gt=0)]
Id = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=r"^[^.\s\[\]]+$",
          description="Identifier, unique across the scenario (no dots, spaces or brackets)."),
]


def _law_or_map(value: Any) -> str:
    if isinstance(value, dict) and "dist" not in value:
        return "per_product"
    return "law"


DistOrPerProduct = Annotated[
    Annotated[Dist, Tag("law")] | Annotated[dict[str, Dist], Tag("per_product")],
    Discriminator(_law_or_map),
]
"""A distribution, or a mapping product id -> distribution."""


class Model(BaseModel):
    """Base of every scenario model: unknown keys are errors, and every number is a finite
    number written as one (``strict``: ``'180'`` or ``true`` is not a price; ``.inf`` and
    ``.nan`` are refused; see docs/robustness.md). Validators are built at first use
    (``defer_build``): the scenario's one validator covers the whole tree, and importing the
    module does not build one per model (start-up)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True,
                              strict=True, allow_inf_nan=False, defer_build=True)


class Location(Model):
    """A point on Earth in decimal degrees (WGS84)."""

    lat: float = Field(ge=-90, le=90, description="Latitude, degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees.")


# --------------------------------------------------------------------------- top-level settings
class Simulation(Model):
    """How to simulate: horizon, warm-up, replications and the seed of every random stream."""

    horizon_days: Pos = Field(365, le=MAX_HORIZON_DAYS,
                              description="Simulated time, days (warm-up included).")
    warmup_days: NonNeg = Field(0, description="Initial days excluded from every KPI, days.")
    replications: int = Field(10, ge=1, description="Independent replications per run.")
    seed: int = Field(42, ge=0, description="Root seed: fixes every random stream of the run.")
    period: Literal["week", "month"] = Field(
        "week", description="Period of the KPI time series (timeseries.csv)."
    )
    perfect_order_on_time: Literal["requested", "promised"] = Field(
        "requested", description="A perfect order is delivered complete, undamaged, with "
        "correct documents and on time against this date: the customer's requested date or "
        "the date promised at order entry."
    )


class Costs(Model):
    """Cost rates in the scenario's currency."""

    holding_rate_per_year: NonNeg = Field(
        0.25, description="Holding cost per year as a share of the unit cost (1/year)."
    )
    stockout_penalty_per_unit: NonNeg = Field(0, description="Penalty per lost unit.")
    backorder_cost_per_unit_day: NonNeg = Field(
        0, description="Cost per backordered unit per day waiting."
    )
    ordering_cost_per_order: NonNeg = Field(
        0, description="Fixed cost of placing one replenishment order."
    )
    discount_rate_per_year: NonNeg = Field(
        0.1, description="Discount rate for customer lifetime value (1/year)."
    )


class TransportDefaults(Model):
    """Defaults for lanes derived from great-circle distance (no explicit lane given)."""

    speed_km_per_day: Pos = Field(600, description="Average travel speed, km/day.")
    cost_per_unit_km: NonNeg = Field(0.002, description="Cost per unit per km.")
    cost_per_shipment: NonNeg = Field(50, description="Fixed cost per shipment.")
    co2_kg_per_unit_km: NonNeg = Field(0.0001, description="Emissions, kg CO2 per unit per km.")
    road_factor: float = Field(
        1.2, ge=1, description="Road distance over great-circle distance (>= 1)."
    )
    min_transit_days: NonNeg = Field(
        0, description="Lower bound on a derived transit time, days (loading, last mile)."
    )


class Allocation(Model):
    """How open orders are served when stock or capacity is short (docs/priority.md)."""

    rule: Literal["priority", "fifo", "fair_share"] = Field(
        "priority",
        description="priority: every shared resource (a stock point's backlog, a site's order "
        "processing and handling, a supplier's capacity, a lane's capacity) serves by the "
        "priority key of priority_order; fifo: by arrival; fair_share: each waiting line gets "
        "the same share of a receipt (resources by arrival).",
    )
    priority_order: list[Literal["tier", "score", "weighted", "importance", "profit_grade"]] = Field(
        default_factory=lambda: ["tier", "score"], min_length=1, max_length=5,
        description="Terms of the priority key, compared in this order (lower served first): "
        "tier = the tier's priority; score = rank of profit_grade x importance over the "
        "products (equal scores share a rank); weighted = tier priority ** tier_weight x "
        "score; importance, profit_grade = the product's fields. [tier, score]: tier first; "
        "[score, tier]: score first; [weighted, tier]: a weighted product.",
    )
    tier_weight: Annotated[float, Field(ge=0, le=10)] = Field(
        1.0, description="Exponent of the tier priority in the 'weighted' term (0 = the score "
        "alone, 1 = tier x score).",
    )
    protect_days: NonNeg = Field(
        1.0, description="priority rule: stock rationing. A class is served only from stock "
        "above a critical level = protect_days x expected daily demand of the better classes "
        "at that site (0 = serve arrivals first come, first served; priority then orders "
        "only the backlog).",
    )
    partial_shipments: Literal["ship_available", "ship_complete"] = Field(
        "ship_available",
        description="ship_available: ship what is on hand and backorder the rest; "
        "ship_complete: hold a line until it can ship in full.",
    )

    @model_validator(mode="after")
    def _distinct_terms(self) -> Allocation:
        seen = [t for i, t in enumerate(self.priority_order) if t in self.priority_order[:i]]
        if seen:
            raise ValueError(f"priority_order names {seen[0]!r} twice; give each term once, "
                             "e.g. [tier, score]")
        return self


class Defection(Model):
    """Partial defection: a customer orders less for a while after a backordered order.

    Defaults from Bhan and Anderson (2023), a B2B distributor's data: a backorder delay cuts the
    customer's orders of the next year by about 2.1%, a delay of more than 10 days by about
    6.1% (docs/engine.md, "Customers: churn and lifetime value")."""

    after_backorder: Prob = Field(0.021, description="Cut of the order rate after an order "
                                  "with a backordered line delivered within long_delay_days.")
    after_long_delay: Prob = Field(0.061, description="Cut of the order rate after an order "
                                   "delivered more than long_delay_days after its request.")
    long_delay_days: Annotated[float, Field(ge=0, le=365)] = Field(
        10, description="Days late beyond which a delay counts as long, days.")
    lasts_days: Annotated[float, Field(gt=0, le=3650)] = Field(
        365, description="How long a cut lasts, days (cuts multiply while they last).")


class Churn(Model):
    """Customer attrition of a tier."""

    base_rate_per_year: Prob = Field(0.0, description="Yearly churn probability when served well.")
    per_failure: Prob = Field(
        0.0, description="Added churn probability per failed order (not OTIF)."
    )
    at_risk_threshold: Prob = Field(
        0.5, description="A customer whose churn probability exceeds this is 'at risk'."
    )
    hazard_per_failure_per_year: Annotated[float, Field(ge=0, le=1000)] = Field(
        0.0, description="Churn with memory: each failed order (not OTIF) adds this to the "
        "customer's churn hazard, per year, decaying with failure_memory_days (0 = off)."
    )
    failure_memory_days: Annotated[float, Field(gt=0, le=3650)] = Field(
        90, description="Time constant of the failure memory, days: a failure's extra hazard "
        "falls by a factor e every failure_memory_days."
    )
    defection: Defection | None = Field(
        None, description="Partial defection after backorders (absent = off; {} = the "
        "defaults of Bhan and Anderson 2023)."
    )
    win_back_per_year: Annotated[float, Field(ge=0, le=1000)] = Field(
        0.0, description="Win-back: a customer who left comes back after an exponential "
        "time of this rate per year (0 = never), with a new lifetime."
    )


class Tier(Model):
    """A customer segment with its service contract (the CRM side)."""

    priority: int = Field(1, ge=1, description="1 = served first under shortage.")
    target_fill_rate: Prob = Field(0.95, description="Contracted fill rate (reported against).")
    target_otif_rate: Prob | None = Field(None, description="Contracted OTIF rate, judged in "
                                          "the customer analytics (absent: not a contract term).")
    promised_lead_time_days: NonNeg | None = Field(
        None, description="Contracted delivery lead time of this tier, days: the requested "
        "date of its customers' orders unless a customer sets its own."
    )
    patience_days: NonNeg | None = Field(
        None, description="Default patience of this tier's customers for backorders, days."
    )
    promise_confidence: Annotated[float, Field(ge=0.5, le=0.999)] = Field(
        0.9, description="Confidence of the promised date: each order is promised the "
        "quantile of its delivery time at this probability (available-to-promise and "
        "capable-to-promise; docs/promises.md), so about this share of promises is kept."
    )
    churn: Churn = Field(default_factory=Churn)
    acquisition_per_year: Annotated[float, Field(ge=0, le=100_000)] = Field(
        0.0, description="New customers of this tier per year (a Poisson process over the "
        "horizon); each is a copy of one of the tier's customers, chosen at random, with its "
        "own id '<copied id>~new<n>' and its own random streams."
    )
    margin_multiplier: NonNeg = Field(1.0, description="Price multiplier for this tier.")


# --------------------------------------------------------------------------- products
class Substitute(Model):
    """A product a customer accepts instead, with the share of customers who accept it."""

    product: Id
    acceptance: Prob = Field(description="Share of customers who take the substitute.")


class Product(Model):
    """A stock-keeping unit."""

    id: Id
    name: str | None = None
    price: NonNeg = Field(0, description="Selling price per unit.")
    unit_cost: NonNeg = Field(0, description="Purchase cost per unit (inventory value).")
    weight_kg: NonNeg = Field(1, description="Weight per unit, kg.")
    volume_m3: NonNeg = Field(0.01, description="Volume per unit, m3.")
    profit_grade: int = Field(1, ge=1, description="1 = most profitable.")
    importance: Literal[1, 2, 3] = Field(
        2, description="1 = a late order is a lost sale; 2 = a slight delay is accepted; "
        "3 = a long delay is accepted.",
    )
    max_backorder_days: NonNeg | None = Field(
        None, description="Longest accepted delay of a backordered line, days (default by "
        "importance: 1 -> 0, 2 -> 3, 3 -> 30; importance 1 is never backordered, so only 0 "
        "is allowed with it)."
    )
    substitutes: list[Substitute] = Field(default_factory=list)
    promotion_lift: dict[Annotated[float, Strict(False)], Pos] = Field(
        default_factory=dict, description="Demand multiplier per discount level {0.1: 1.3}."
    )
    return_rate: Prob = Field(0, description="Share of delivered units returned.")
    return_delay: Dist = Field(7, description="Days from delivery to return, days.")
    restockable_share: Prob = Field(1, description="Share of returned units restocked.")
    abc_class: Literal["A", "B", "C"] | None = Field(
        None, description="Default: derived by Pareto on expected revenue (80/15/5)."
    )

    @model_validator(mode="after")
    def _importance_one_is_never_backordered(self) -> Product:
        if self.importance == 1 and self.max_backorder_days:
            raise ValueError(
                f"importance 1 means a late line is a lost sale, so it is never backordered; "
                f"max_backorder_days: {self.max_backorder_days:g} contradicts it: drop "
                "max_backorder_days or use importance 2 (a slight delay is accepted)")
        return self

    def backorder_days(self) -> float:
        """Longest accepted delay, days."""
        if self.max_backorder_days is not None:
            return self.max_backorder_days
        return {1: 0.0, 2: 3.0, 3: 30.0}[self.importance]


# --------------------------------------------------------------------------- suppliers
class SupplierFailure(Model):
    """What an unreliable shipment does (probability 1 - reliability)."""

    late_share: Prob = Field(0.5, description="Share of failures that are late (rest: short).")
    late_days: Dist = Field(3, description="Extra delay of a late shipment, days.")
    short_fill: Prob = Field(0.8, description="Share of the quantity a short shipment carries.")


class Supplier(Model):
    """An external source of products."""

    id: Id
    name: str | None = None
    location: Location
    products: list[Id] = Field(min_length=1)
    capacity_per_day: NonNeg | dict[str, NonNeg] | None = Field(
        None, description="Units per day it can dispatch (per product or in total; "
        "absent = unlimited)."
    )
    lead_time: Dist = Field(0, description="Order to dispatch, days.")
    reliability: Prob = Field(1, description="Probability a shipment is complete and on time.")
    failure: SupplierFailure = Field(default_factory=SupplierFailure)
    min_order_qty: NonNeg = Field(0, description="Minimum order quantity, units.")
    damage_rate: Prob = Field(0, description="Share of its direct shipments to customers "
                              "damaged (one draw per shipment of an order).")
    doc_error_rate: Prob = Field(0, description="Share of its direct shipments to customers "
                                 "with document errors (one draw per shipment of an order).")
    cost_per_unit: dict[str, NonNeg] = Field(
        default_factory=dict, description="Price per product (default: the product's unit_cost)."
    )


# --------------------------------------------------------------------------- facilities
class SS(Model):
    """(s, S): when the inventory position is at or below s, order up to S."""

    policy: Literal["sS"]
    s: float = Field(description="Reorder point, units.")
    S: NonNeg = Field(description="Order-up-to level, units (>= s).")


class RQ(Model):
    """(r, Q): when the inventory position is at or below r, order Q (repeatedly if needed)."""

    policy: Literal["rQ"]
    r: float = Field(description="Reorder point, units.")
    Q: Pos = Field(description="Order quantity, units.")


class BaseStock(Model):
    """Base stock: after each demand (or review), order up to ``level``."""

    policy: Literal["base_stock"]
    level: NonNeg = Field(description="Base-stock level (order-up-to), units.")


class RS(Model):
    """Periodic order-up-to: every ``R`` days order up to ``S``."""

    policy: Literal["RS"]
    R: Pos = Field(description="Review period, days.")
    S: NonNeg = Field(description="Order-up-to level, units.")


Policy = Annotated[SS | RQ | BaseStock | RS, Field(discriminator="policy")]


class Inventory(Model):
    """Inventory policies of a site: ``default``, one entry per product id, and ``initial``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    __pydantic_extra__: dict[str, Policy] = Field(init=False)  # type: ignore[assignment]

    default: Policy | None = Field(None, description="Policy of products without their own.")
    initial: dict[str, NonNeg] = Field(
        default_factory=dict, description="Initial on-hand units per product "
        "(default: the policy's order-up-to level)."
    )

    def policies(self) -> dict[str, Policy]:
        """The per-product policies (without ``default``)."""
        return dict(self.__pydantic_extra__ or {})

    def policy_for(self, product: str) -> Policy | None:
        return (self.__pydantic_extra__ or {}).get(product, self.default)


class CapacityLevel(Model):
    """One size a candidate site can be built at (network design)."""

    capacity_units_per_day: Pos
    fixed_cost_per_year: NonNeg


class Facility(Model):
    """A site of the (3PL) network: warehouse, cross-dock or plant."""

    id: Id
    name: str | None = None
    kind: Literal["warehouse", "cross_dock", "plant"] = "warehouse"
    operator: str = Field("own", description="Who runs it (a 3PL provider); reports group by it.")
    location: Location
    candidate: bool = Field(False, description="True: network design may open or close it.")
    open: bool = Field(
        True, description="False: the site is closed: it is left out of the network together "
        "with the lanes and disruptions that name it (network design writes this)."
    )
    fixed_cost_per_year: NonNeg = Field(0, description="Fixed cost per year of keeping it open.")
    capacity_units_per_day: Pos | None = Field(
        None, description="Handling (pick/pack) throughput, units/day (absent = unlimited)."
    )
    capacity_levels: list[CapacityLevel] = Field(
        default_factory=list, description="Sizes network design may choose from."
    )
    storage_capacity_units: Pos | None = Field(
        None, description="Most units it can hold; receipts beyond it are refused."
    )
    handling_cost_per_unit: NonNeg = Field(0, description="Cost per unit handled.")
    order_processors: int = Field(1, ge=1, description="Parallel order-processing servers.")
    order_processing_time: Dist = Field(0, description="Per order, days.")
    damage_rate: Prob = Field(0, description="Share of its shipments to customers damaged "
                              "(one draw per shipment: an order's lines from this site, a "
                              "backorder fill, a cross-dock leg).")
    doc_error_rate: Prob = Field(0, description="Share of its shipments to customers with "
                                 "document errors (one draw per shipment).")
    replenish_from: Id | dict[str, Id] | None = Field(
        None, description="Supplier or facility id (or a map product -> id, key 'default' "
        "for the rest); absent: a supplier that makes the product.",
    )
    fallback: Id | None = Field(
        None, description="Facility that serves this site's customer orders while an outage "
        "closes it ('nearest': the nearest open site that stocks the product); absent: those "
        "orders are backordered until it reopens, or lost by importance."
    )
    review_period_days: NonNeg = Field(0, description="0 = continuous review, days.")
    dwell_time: Dist = Field(0.5, description="Cross-dock: inbound to outbound, days.")
    production_lead_time: Dist = Field(1, description="Plant: days to produce a batch.")
    production_capacity_per_day: Pos | None = Field(
        None, description="Plant: units produced per day (absent = unlimited)."
    )
    inventory: Inventory = Field(default_factory=Inventory)

    def source_for(self, product: str) -> str | None:
        """The id this site replenishes ``product`` from, if set."""
        rf = self.replenish_from
        if isinstance(rf, dict):
            return rf.get(product, rf.get("default"))
        return rf

    def stocks(self, product: str) -> bool:
        """Whether this site holds stock of ``product`` (has a policy for it)."""
        return self.kind != "cross_dock" and self.inventory.policy_for(product) is not None


# --------------------------------------------------------------------------- customers
class DemandFields(Model):
    """Demand of a customer: (a) Poisson orders with lines, or (b) a quantity per product per day."""

    orders_per_day: NonNeg | None = Field(
        None, description="(a) Poisson order rate, orders/day."
    )
    lines_per_order: Dist = Field(1, description="(a) Lines per order (at least 1).")
    product_mix: dict[str, NonNeg] = Field(
        default_factory=dict, description="(a) Relative weight of each product in the lines."
    )
    quantity: DistOrPerProduct = Field(
        1, description="(a) Units per line (at least 1), or a map per product."
    )
    demand: dict[str, Dist] | None = Field(
        None, description="(b) Units per product per day, placed as one order a day."
    )
    order_time_of_day: Annotated[float, Field(ge=0, lt=1)] | None = Field(
        None, description="(b) Fraction of the day at which the daily order is placed "
        "(default: a random time each day)."
    )
    seasonality: list[NonNeg] | None = Field(
        None, min_length=12, max_length=12, description="12 monthly factors."
    )
    weekly: list[NonNeg] | None = Field(
        None, min_length=7, max_length=7, description="7 day-of-week factors (day 0 = Monday)."
    )
    trend_per_year: float = Field(0, ge=-1, description="Linear growth of the rate per year.")
    strategy: Literal["classic", "cross_dock", "direct"] = Field(
        "classic", description="classic (warehouse stock), cross_dock or direct (supplier)."
    )
    served_by: Id | None = Field(
        None, description="Serving site (default: the nearest site that can serve)."
    )
    requested_lead_time_days: NonNeg | None = Field(
        None, description="Days from order to the requested delivery date (default: the "
        "tier's promised_lead_time_days, else 2)."
    )
    patience_days: NonNeg | None = Field(
        None, description="How long a backordered line waits before it is cancelled, days."
    )

    @model_validator(mode="after")
    def _one_form(self) -> DemandFields:
        if self.demand is not None and self.orders_per_day is not None:
            raise ValueError("give either orders_per_day (orders with lines) or demand "
                             "(quantity per product per day), not both")
        if self.orders_per_day is not None and not self.product_mix:
            raise ValueError("orders_per_day needs a product_mix")
        return self


class Customer(DemandFields):
    """One customer (an account of the CRM)."""

    id: Id
    name: str | None = None
    tier: str = Field(description="A key of `tiers`.")
    location: Location
    scale: NonNeg = Field(
        1, description="Multiplier of the order rate (a) or of the daily demand (b)."
    )


class Region(Model):
    """Where a group's customers are placed: a disc (center, radius) or a box."""

    center: Location | None = None
    radius_km: NonNeg | None = None
    bbox: list[float] | None = Field(
        None, min_length=4, max_length=4, description="[min_lat, min_lon, max_lat, max_lon]."
    )

    @model_validator(mode="after")
    def _one_form(self) -> Region:
        if self.bbox is None and (self.center is None or self.radius_km is None):
            raise ValueError("give center and radius_km, or bbox")
        if self.bbox is not None and not (
            self.bbox[0] <= self.bbox[2] and self.bbox[1] <= self.bbox[3]
        ):
            raise ValueError("bbox needs min_lat <= max_lat and min_lon <= max_lon")
        return self


class CustomerGroup(DemandFields):
    """Generates ``count`` customers ``{id_prefix}{n}`` for large studies (deterministic)."""

    id_prefix: Id
    count: int = Field(ge=1, le=1_000_000)
    tier_mix: dict[str, Prob] = Field(description="Share of customers per tier (sums to 1).")
    region: Region
    size: Dist = Field(1, description="Per-customer multiplier of the order rate or demand.")
    seed: int = Field(0, ge=0, description="Seed of the generation (locations, tiers, sizes).")
    served_by_members: dict[str, Id] = Field(
        default_factory=dict, description="Serving site of single members by customer id "
        "(e.g. SEA-017), overriding the group's served_by (network design writes this)."
    )


# --------------------------------------------------------------------------- transport
class Lane(Model):
    """A transport link; fields left out are derived from `transport_defaults`."""

    id: Id | None = Field(None, description="Default: 'FROM->TO'.")
    from_: Id = Field(alias="from")
    to: Id
    mode: Literal["truck", "rail", "sea", "air", "parcel"] = "truck"
    distance_km: NonNeg | None = Field(None, description="Default: great-circle x road_factor.")
    transit_time: Dist | None = Field(None, description="Days (default: distance / speed).")
    cost_per_unit: NonNeg | None = None
    cost_per_shipment: NonNeg | None = None
    cost_per_unit_km: NonNeg | None = None
    co2_kg_per_unit_km: NonNeg | None = None
    capacity_units_per_day: Pos | None = Field(None, description="Units per day (absent = no limit).")

    @property
    def key(self) -> str:
        return self.id or f"{self.from_}->{self.to}"


class Promotion(Model):
    """A price promotion that lifts a product's demand (and may steer demand away from others)."""

    id: Id | None = None
    product: Id
    start_day: NonNeg
    end_day: NonNeg
    discount: Prob = Field(description="Price discount as a share of the price.")
    lift: Pos | None = Field(None, description="Demand multiplier (default: product.promotion_lift).")
    pull_forward: Prob = Field(0, description="Share of the lift borrowed from the next dip_days.")
    dip_days: NonNeg = Field(0, description="Days after the promotion whose demand is lowered.")
    targets: list[str] = Field(default_factory=list, description="Tiers, customer ids or "
                               "customer groups (their id_prefix); default all customers.")
    cross_effects: dict[str, Annotated[float, Field(ge=-1, le=1)]] = Field(
        default_factory=dict, description="Share of the lift moved from (negative) or to other products."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Promotion:
        if self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day:g}) must be after start_day ({self.start_day:g})")
        return self


class CapacityEffect(Model):
    capacity: Prob = Field(description="Remaining share of capacity.")


class LeadTimeEffect(Model):
    lead_time_multiplier: Annotated[float, Field(ge=1)]


class Disruption(Model):
    """An outage, capacity cut or lead-time stretch, scheduled or random."""

    id: Id | None = None
    target: Id = Field(description="A supplier, facility or lane id.")
    start_day: NonNeg | None = Field(None, description="Scheduled: first day.")
    duration_days: Pos | None = Field(None, description="Scheduled: length, days.")
    mean_time_between_days: Pos | None = Field(None, description="Random: mean days between starts.")
    duration: Dist | None = Field(None, description="Random: length, days.")
    effect: Literal["outage"] | CapacityEffect | LeadTimeEffect = "outage"

    @model_validator(mode="after")
    def _one_form(self) -> Disruption:
        scheduled = self.start_day is not None or self.duration_days is not None
        random_ = self.mean_time_between_days is not None or self.duration is not None
        if scheduled == random_:
            raise ValueError("give start_day and duration_days (scheduled) or "
                             "mean_time_between_days and duration (random)")
        if scheduled and (self.start_day is None or self.duration_days is None):
            raise ValueError("a scheduled disruption needs both start_day and duration_days")
        if random_ and (self.mean_time_between_days is None or self.duration is None):
            raise ValueError("a random disruption needs mean_time_between_days and duration")
        return self


class Forecast(Model):
    method: Literal["moving_average", "exponential_smoothing"] = "moving_average"
    window_days: Pos = Field(7, description="Moving-average window, days.")
    alpha: Annotated[float, Field(gt=0, le=1)] = Field(0.3, description="Smoothing constant.")


class InformationSharing(Model):
    """Whether upstream replenishment sees end-customer demand (dampens the bullwhip)."""

    pos_to_suppliers: bool = False
    forecast_updates_per_day: Pos = Field(1, description="Forecast updates per day.")
    forecast: Forecast = Field(default_factory=Forecast)


# --------------------------------------------------------------------------- network design
class ServiceRule(Model):
    """Customers (all, or of one tier) may only be served from sites within these limits; with
    ``share``, at least that share of their demand must be (a tier's contract)."""

    tier: str | None = None
    max_transit_days: Pos | None = None
    max_distance_km: Pos | None = None
    share: Prob | None = Field(
        None, description="Share of the customers' demand that must be served within "
        "max_transit_days (absent: all of it, and max_distance_km applies too)."
    )

    @model_validator(mode="after")
    def _share_needs_transit(self) -> ServiceRule:
        if self.share is not None and self.max_transit_days is None:
            raise ValueError("share needs max_transit_days (the share of demand served "
                             "within that transit time)")
        return self


class DemandWithin(Model):
    """At least ``share`` of total demand is served from sites within ``days`` of transit."""

    days: Pos
    share: Prob


class DesignInventory(Model):
    """Inventory cost of the customer-facing sites in network design (the square-root law:
    safety stock grows with the root of the demand variance a site pools, cycle stock with the
    root of its throughput), so that closing a site trades transport against inventory."""

    service_level: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.95, description="Cycle service level the safety stock is sized for (z = its normal "
        "quantile)."
    )
    segments: int = Field(
        6, ge=1, le=50, description="Pieces of the piecewise-linear square root in the MIP."
    )


class NetworkDesign(Model):
    """Options of `supplylab optimize network`."""

    sourcing: Literal["single", "multi"] = "single"
    min_open: int | None = Field(None, ge=0)
    max_open: int | None = Field(None, ge=0)
    allow_close_existing: bool = Field(False, description="May close non-candidate sites.")
    service: list[ServiceRule] = Field(default_factory=list)
    demand_within: DemandWithin | None = None
    co2_price_per_kg: NonNeg = 0
    capacity_penalty_per_unit: NonNeg | None = Field(
        None, description="Soft capacity: cost per unit over capacity (absent = hard)."
    )
    service_penalty_per_unit: NonNeg | None = Field(
        None, description="Soft service: cost per unit of demand outside the rules (absent = hard)."
    )
    solver: Literal["highs", "cbc"] = "highs"
    method: Literal["auto", "mip", "lagrangian"] = Field(
        "auto", description="How the model is solved: the plain MIP, or the Lagrangian "
        "pipeline (bound, heuristics, site fixing, reduced MIP) for hard capacitated studies; "
        "auto picks by size. The command line's --method replaces it."
    )
    time_limit_s: Pos = 120
    gap: NonNeg = 1e-4
    inventory: DesignInventory | None = Field(
        None, description="Model the inventory cost of each site (absent: not modelled)."
    )


# --------------------------------------------------------------------------- the scenario
class ScenarioModel(Model):
    """A whole scenario as validated data (see :class:`supplylab.scenario.Scenario`)."""

    name: str = "unnamed scenario"
    description: str = ""
    currency: str = "EUR"
    simulation: Simulation = Field(default_factory=Simulation)
    costs: Costs = Field(default_factory=Costs)
    transport_defaults: TransportDefaults = Field(default_factory=TransportDefaults)
    allocation: Allocation = Field(default_factory=Allocation)
    tiers: dict[str, Tier] = Field(default_factory=lambda: {"standard": Tier()})
    products: list[Product] = Field(min_length=1)
    suppliers: list[Supplier] = Field(default_factory=list)
    facilities: list[Facility] = Field(default_factory=list)
    customers: list[Customer] = Field(default_factory=list)
    customer_groups: list[CustomerGroup] = Field(default_factory=list)
    lanes: list[Lane] = Field(default_factory=list)
    promotions: list[Promotion] = Field(default_factory=list)
    disruptions: list[Disruption] = Field(default_factory=list)
    information_sharing: InformationSharing = Field(default_factory=InformationSharing)
    network_design: NetworkDesign = Field(default_factory=NetworkDesign)


def all_field_names() -> set[str]:
    """Every key the language knows (for 'did you mean' on unknown keys)."""
    names: set[str] = set()
    seen: set[type] = set()

    def walk(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                return
            seen.add(tp)
            for fname, f in tp.model_fields.items():
                names.add(f.alias or fname)
                walk(f.annotation)
            return
        for arg in getattr(tp, "__args__", ()) or ():
            walk(arg)
        meta = getattr(tp, "__metadata__", None)
        if meta:
            walk(tp.__origin__)

    walk(ScenarioModel)
    from .distributions import LAWS

    for law in LAWS.values():
        walk(law)
    return names
