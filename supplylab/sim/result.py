"""What one simulated replication returns: lean records that the experiments layer aggregates.

This is the contract between the engine (``supplylab.sim``) and everything that runs many
replications (``supplylab.experiments``): the engine produces one ``ReplicationResult`` per
(scenario, seed, replication index); aggregation, intervals and tables happen elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

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

    def rows(self) -> Iterator[tuple[str, str, str, float]]:
        """Tidy rows ``(dimension, key, kpi, value)``; the overall values have ("all", "all")."""
        for kpi, value in self.kpis.items():
            yield ("all", "all", kpi, value)
        for dim, keys in self.by.items():
            for key, kpis in keys.items():
                for kpi, value in kpis.items():
                    yield (dim, key, kpi, value)
