"""Scenario models of customers and customer groups, lanes, promotions, disruptions, forecasts
and information sharing.

Part of the scenario language (:mod:`supplylab.scenario.schema` assembles the whole scenario).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .distributions import Dist
from .schema_base import (
    DistOrPerProduct,
    Id,
    Location,
    Model,
    NonNeg,
    Pos,
    Prob,
)


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
