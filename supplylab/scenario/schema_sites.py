"""Scenario models of products, suppliers and facilities (sites with their inventory policies).

Part of the scenario language (:mod:`supplylab.scenario.schema` assembles the whole scenario).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, Strict, model_validator

from .distributions import Dist
from .schema_base import (
    Id,
    Location,
    Model,
    NonNeg,
    Pos,
    Prob,
)


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
