"""The scenario language as pydantic models: the single source of truth for the YAML.

Every field has a unit (in its name where ambiguous: ``_days``, ``_per_year``, ``_km``), a
default and a description; the JSON Schema (``supplylab schema``) and the field reference
(docs/reference.md) are generated from these models. Cross-references between entities (ids)
are checked separately in :mod:`supplylab.scenario.checks`, so that all problems of a file are
reported together.

The models live in three modules: this one (top-level settings, tiers, network design and the
scenario itself), :mod:`.schema_sites` (products, suppliers, facilities) and
:mod:`.schema_flows` (customers, lanes, promotions, disruptions); :mod:`.schema_base` holds the
shared base model and number types. Every model is importable from here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from .limits import MAX_HORIZON_DAYS
from .schema_base import (  # noqa: F401
    DistOrPerProduct,
    Id,
    Location,
    Model,
    NonNeg,
    Pos,
    Prob,
)
from .schema_flows import (  # noqa: F401 - every model is importable from here
    CapacityEffect,
    Customer,
    CustomerGroup,
    DemandFields,
    Disruption,
    Forecast,
    InformationSharing,
    Lane,
    LeadTimeEffect,
    Promotion,
    Region,
)
from .schema_sites import (  # noqa: F401 - every model is importable from here
    RQ,
    RS,
    SS,
    BaseStock,
    CapacityLevel,
    Facility,
    Inventory,
    Product,
    Substitute,
    Supplier,
    SupplierFailure,
)


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
