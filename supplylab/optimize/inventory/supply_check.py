"""Where the supply cannot carry the demand the policies are set for.

The analytic policies assume every replenishment order is filled after its lead time. When a
supplier's ``capacity_per_day`` (per product or shared) or a plant's
``production_capacity_per_day`` is below the mean daily demand that reaches it, no stationary
policy reaches its target: the backlog at the source grows without bound and the expected fill
rates printed for the sites behind it are not reachable. The optimiser still writes its
policies (they are the right ones once supply is raised), and says so with these findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from supplylab.optimize.inventory.demand_stats import Flow


@dataclass(frozen=True)
class SupplyShortfall:
    """A source whose capacity is below the mean demand reaching it (units/day)."""

    source: str
    products: tuple[str, ...]
    capacity_per_day: float
    demand_per_day: float
    sites: tuple[str, ...]

    @property
    def utilisation(self) -> float:
        """Mean demand over capacity (> 1 here); infinite for a capacity of 0."""
        return self.demand_per_day / self.capacity_per_day if self.capacity_per_day > 0 \
            else float("inf")

    def message(self) -> str:
        """One line a planner can act on."""
        what = "+".join(self.products)
        return (f"{self.source} can supply {_units(self.capacity_per_day)} units/day of {what} "
                f"but {_units(self.demand_per_day)} units/day reach it "
                f"(through {', '.join(self.sites)}): no policy reaches the fill rates set for "
                f"them; raise the capacity, add a source or steer demand to a substitute "
                f"(supplylab optimize steering)")

    def record(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"source": self.source, "products": list(self.products),
                "capacity_per_day": self.capacity_per_day,
                "demand_per_day": self.demand_per_day, "sites": list(self.sites)}


def supply_shortfalls(scenario: Any, flows: dict[tuple[str, str], Flow]) -> list[SupplyShortfall]:
    """Sources whose capacity is below the mean demand of the stock points they replenish.

    The load of a source for a product is the pooled flow (``site_flows``) of every site it
    replenishes directly; customers a supplier ships to directly are not counted (they load
    it too, so a shortfall found here is a lower bound).
    """
    net = scenario.network
    load: dict[tuple[str, str], float] = {}
    for (site, pid), fl in flows.items():
        if fl.mean <= 0:
            continue
        src = net.upstream(site, pid)
        key = (site if src is None else src, pid)
        load[key] = load.get(key, 0.0) + fl.mean
    out: list[SupplyShortfall] = []
    for sup in scenario.suppliers:
        cap = sup.capacity_per_day
        if cap is None:
            continue
        if isinstance(cap, dict):
            for pid, c in cap.items():
                demand = load.get((sup.id, pid), 0.0)
                if demand > c:
                    out.append(_short(sup.id, (pid,), c, demand, flows, net))
            continue
        pids = tuple(p for (s, p) in load if s == sup.id)
        demand = sum(load[(sup.id, p)] for p in pids)
        if pids and demand > cap:
            out.append(_short(sup.id, pids, cap, demand, flows, net))
    for f in scenario.facilities:
        cap = f.production_capacity_per_day
        if f.kind != "plant" or cap is None:
            continue
        pids = tuple(p for (s, p) in load if s == f.id)
        demand = sum(load[(f.id, p)] for p in pids)
        if pids and demand > cap:
            out.append(_short(f.id, pids, cap, demand, flows, net))
    return out


def _short(source: str, pids: tuple[str, ...], cap: float, demand: float,
           flows: dict[tuple[str, str], Flow], net: Any) -> SupplyShortfall:
    behind = sorted({site for (site, p), fl in flows.items()
                     if p in pids and fl.mean > 0 and _fed_by(net, site, p, source)})
    return SupplyShortfall(source, pids, float(cap), demand, tuple(behind))


def _fed_by(net: Any, site: str, pid: str, source: str) -> bool:
    try:
        return source in net.chain_to(site, pid)
    except LookupError:
        return False


def _units(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"
