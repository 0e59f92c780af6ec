"""``optimize_inventory``: scenario -> policies (-> differentiation) -> OUT.yaml (-> verify).

The Python face of ``supplylab optimize inventory``; every step is also usable on its own
(:func:`optimise_policies`, :func:`service_frontier`, :func:`verify_policies`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supplylab.optimize.inventory.site_policies import SitePolicy, Targets, optimise_policies


@dataclass
class InventoryResult:
    """What the optimiser chose: policies per (site, product), tables, the written file."""

    scenario: str
    policies: list[SitePolicy]
    output: Path | None = None
    frontier: Any = None
    differentiation: dict[str, Any] | None = None
    verification: Any = None
    stages: Any = None
    calibration: list[dict[str, Any]] = field(default_factory=list)
    #: sources whose capacity is below the mean demand reaching them (see ``supply_check``)
    supply_shortfalls: list[Any] = field(default_factory=list)
    #: demand planned at substitutes of short products (see ``substitution``): site, product,
    #: from (the primary), units_per_day
    substitution_spill: list[dict[str, Any]] = field(default_factory=list)

    def table(self):  # noqa: ANN201 - pandas DataFrame
        """One row per (site, product): demand, policy, safety stock, expected service, cost."""
        from supplylab.optimize.inventory.site_policies import policies_table

        return policies_table(self.policies)

    def summary(self) -> dict[str, Any]:
        """Totals and counts (JSON-ready)."""
        return {
            "scenario": self.scenario,
            "output": str(self.output) if self.output else None,
            "policies": len(self.policies),
            "holding_cost_per_year": float(sum(p.holding_cost_per_year for p in self.policies)),
            "safety_stock_units": float(sum(p.safety_stock for p in self.policies)),
            "supply_shortfalls": [x.record() for x in self.supply_shortfalls],
            "substitution_spill": self.substitution_spill,
        }

    def to_document(self) -> dict[str, Any]:
        """Everything as one JSON-ready document (the ``--json`` output)."""
        doc: dict[str, Any] = dict(self.summary())
        doc["table"] = _records(self.table())
        if self.differentiation is not None:
            doc["differentiation"] = self.differentiation
        if self.frontier is not None:
            doc["frontier"] = _records(self.frontier)
        if self.stages is not None:
            doc["stages"] = _records(self.stages)
        if self.verification is not None:
            doc["verification"] = _records(self.verification)
        if self.calibration:
            doc["calibration"] = self.calibration
        return _clean(doc)


def _clean(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, non-finite numbers to None, recursively."""
    import math

    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: Any) -> list[dict[str, Any]]:
    import math

    out = []
    for rec in frame.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and not math.isfinite(v) else
                        v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
    return out


def optimize_inventory(scenario: str | Path, output: str | Path | None = None, *,
                       targets: Targets | None = None, differentiate: bool = False,
                       menu: tuple[float, ...] | None = None, levels: str = "analytic",
                       multi_echelon: bool = False,
                       verify: bool = False,
                       calibrate: bool = False, replications: int = 5,
                       days: float | None = None, seed: int | None = None,
                       max_rounds: int = 5) -> InventoryResult:
    """Set every stocked product's policy at every site for its service target.

    ``targets`` picks the measure and where targets come from (default: each site's
    demand-weighted tier fill rate). ``differentiate`` chooses a service level per (site,
    product) from ``menu`` so that every tier's demand-weighted fill rate meets its target at
    least holding cost (a PuLP model) and adds the service-cost frontier. ``verify`` simulates
    the result (common random numbers); ``calibrate`` raises levels where the simulation
    misses and repeats (at most ``max_rounds``). ``levels="simulation"`` replaces the analytic
    levels by simulation-based ones (one run with ample stock, see :mod:`sim_safety`).
    ``multi_echelon`` places safety stock across echelons with the guaranteed-service model
    (one per product; the stage table is ``result.stages``). ``output`` receives the extending
    scenario.
    """
    from supplylab.scenario import load

    if differentiate and multi_echelon:
        from supplylab.errors import InputError

        raise InputError("--differentiate and --multi-echelon choose levels differently: "
                         "give one of them", "--multi-echelon")
    from supplylab.optimize.inventory.demand_stats import site_flows
    from supplylab.optimize.inventory.substitution import spill_records
    from supplylab.optimize.inventory.supply_check import supply_shortfalls

    sc = load(scenario)
    targets = targets or Targets()
    flows = site_flows(sc)
    result = InventoryResult(str(scenario), optimise_policies(sc, targets, flows=flows))
    result.supply_shortfalls = supply_shortfalls(sc, flows)
    result.substitution_spill = spill_records(flows)
    if differentiate:
        from supplylab.optimize.inventory.differentiation import differentiate_service

        diff = differentiate_service(sc, targets, menu)
        result.policies = diff.policies
        result.frontier = diff.frontier
        result.differentiation = diff.summary
    if multi_echelon:
        from supplylab.optimize.inventory.gsm_scenario import multi_echelon_policies

        result.policies, result.stages = multi_echelon_policies(sc, targets)
    if levels not in ("analytic", "simulation"):
        from supplylab.errors import InputError

        raise InputError(f"levels must be analytic or simulation, not {levels!r}", "--levels")
    if levels == "simulation":
        from supplylab.optimize.inventory.sim_safety import simulated_policies

        result.policies = simulated_policies(scenario, result.policies, days=days, seed=seed)
    if (verify or calibrate) and output is None:
        from supplylab.errors import InputError

        raise InputError("--verify and --calibrate simulate the written scenario: give -o OUT.yaml")
    if output is not None:
        from supplylab.optimize.inventory.scenario_output import write_scenario

        result.output = write_scenario(scenario, output, result.policies, _comment(result))
    if verify or calibrate:
        from supplylab.optimize.inventory.verify import calibrate_policies, verify_policies

        if calibrate:
            result.policies, result.verification, result.calibration = calibrate_policies(
                scenario, output, result.policies, replications=replications, days=days,
                seed=seed, max_rounds=max_rounds, comment=_comment(result),
                tier_target=targets.value)
        else:
            result.verification = verify_policies(output, result.policies,
                                                  replications=replications, days=days,
                                                  seed=seed, tier_target=targets.value)
    return result


def _comment(result: InventoryResult) -> list[str]:
    s = result.summary()
    return [f"Written by `supplylab optimize inventory` from {Path(result.scenario).name}:",
            f"{s['policies']} policies (site x product), expected holding cost "
            f"{s['holding_cost_per_year']:,.0f} per year.",
            "Only the chosen policy numbers are set here; everything else comes from the base.",
            *(f"Warning: {x.message()}." for x in result.supply_shortfalls),
            *(f"Planned for substitution: {spill_message(x)}." for x in result.substitution_spill)]


def spill_message(spill: dict[str, Any]) -> str:
    """One line: the demand a substitute's policy was set for on top of its own."""
    return (f"{spill['product']} at {spill['site']} +{spill['units_per_day']:.4g} units/day "
            f"from customers of {spill['from']} meeting its empty shelf (short supply)")
