"""What one simulated replication returns: lean records that the experiments layer aggregates.

This is the contract between the engine (``supplylab.sim``) and everything that runs many
replications (``supplylab.experiments``): the engine produces one ``ReplicationResult`` per
(scenario, seed, replication index); aggregation, intervals and tables happen elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

#: Every overall KPI a replication reports (docs/kpis.md); a test keeps it in step with the
#: engine's output.
KPI_NAMES: tuple[str, ...] = (
    "fill_rate", "line_fill_rate", "order_fill_rate", "cycle_service_level", "on_time_rate",
    "promise_kept_rate", "promised_lead_time_mean", "promise_lateness_days_mean", "otif_rate",
    "perfect_order_rate", "orders_incomplete", "orders_late", "orders_damaged",
    "orders_doc_error", "order_cycle_time_mean",
    "order_cycle_time_p50", "order_cycle_time_p95", "backorder_units_avg", "lost_sales_units",
    "lost_sales_rate", "returned_units", "return_rate", "substituted_units", "on_hand_units_avg",
    "inventory_value_avg", "inventory_turns", "days_of_supply", "pipeline_units_avg",
    "order_wait_days_mean", "revenue", "gross_margin", "holding_cost", "ordering_cost",
    "transport_cost", "handling_cost", "facility_fixed_cost", "stockout_penalty_cost",
    "promotion_cost", "total_cost", "profit", "bullwhip_ratio", "active_customers_end",
    "churned_customers", "churn_rate", "at_risk_customers", "clv_total", "co2_kg",
    "delivered_units", "demand_units", "orders", "replenishment_orders",
)

#: Dimensions a KPI is broken down by (besides the overall value, dimension ``"all"``).
DIMENSIONS: tuple[str, ...] = (
    "tier", "product", "abc_class", "facility", "operator", "customer", "week", "month",
)


@dataclass
class AuditReport:
    """Conservation of units per (product, location), checked at the end of a replication.

    ``imbalances`` lists the (location, product, imbalance in units) that did not balance;
    empty when every unit is accounted for.
    """

    units_conserved: bool
    checked: int
    imbalances: list[tuple[str, str, float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"units_conserved": self.units_conserved, "checked": self.checked,
                "imbalances": [list(x) for x in self.imbalances]}


@dataclass
class CustomerStates:
    """Each customer's fate in one replication, aligned lists in the model's customer order.

    The engine knows who really left, which no CRM system does: ``churned_day`` is the day
    (from day 0) a customer left, NaN when it was still active at the horizon; ``cause`` is
    ``"service"`` (after failed orders), ``"base"`` (the tier's base churn) or ``""``;
    ``failures`` counts its failed (not on time in full) orders over the whole run (a churn
    after failures through the hazard with memory is ``"service"`` too). The customer
    analytics (supplylab.customers) read it to judge an early warning against the truth.
    """

    ids: list[str]
    tiers: list[str]
    churned_day: list[float]
    cause: list[str]
    failures: list[int]
    #: day each customer joined (0 for the scenario's customers; acquired ones later); the
    #: engine fills this and the fields below, None in states built by hand (= not known)
    joined_day: list[float] | None = None
    #: failure memory at the horizon (sum of exp(-age / failure_memory_days) over failures;
    #: 0 when the tier churns without memory)
    failure_memory: list[float] | None = None
    #: share of its normal order rate the customer keeps at the horizon (partial defection)
    order_rate_multiplier: list[float] | None = None
    #: times each customer came back after leaving (``churn.win_back_per_year``)
    won_back: list[int] | None = None

    def churned(self) -> list[bool]:
        """Whether each customer had left by the horizon."""
        return [d == d for d in self.churned_day]


@dataclass
class ReplicationResult:
    """KPIs of one replication, measured after the warm-up.

    ``kpis`` holds the overall value of each KPI (names of docs/kpis.md); ``by`` holds the
    breakdowns: ``by[dimension][key][kpi] = value`` (dimension one of ``DIMENSIONS``; the
    period dimensions ``week``/``month`` have keys ``"0", "1", ...`` counted from the end of
    the warm-up). ``replication`` is the index k whose random streams are common to every
    scenario compared with the same seed.
    """

    seed: int
    replication: int
    kpis: dict[str, float]
    by: dict[str, dict[str, dict[str, float]]]
    audit: AuditReport
    wall_seconds: float = 0.0
    events: int = 0
    #: each customer's order history after the warm-up as ``frequency / recency / T /
    #: monetary`` in days (``supplylab.customers.CustomerSummary``; sim/history.py)
    history: Any = None
    #: who really churned, when and why (``CustomerStates``; sim/customers.py)
    customers: CustomerStates | None = None

    def rows(self) -> Iterator[tuple[str, str, str, float]]:
        """Tidy rows ``(dimension, key, kpi, value)``; the overall values have ("all", "all")."""
        for kpi, value in self.kpis.items():
            yield ("all", "all", kpi, value)
        for dim, keys in self.by.items():
            for key, kpis in keys.items():
                for kpi, value in kpis.items():
                    yield (dim, key, kpi, value)
