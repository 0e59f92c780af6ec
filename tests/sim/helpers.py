"""Small scenario builders for engine tests."""

from __future__ import annotations

from typing import Any

import yaml

from supplylab.scenario import Scenario, build


def single_site(*, rate: float, policy: dict[str, Any], lead_time: Any = 0, horizon: float,
                warmup: float = 0.0, importance: int = 3, backorder_days: float | None = 1e9,
                processors: int = 1, processing: Any = 0, extra: dict | None = None,
                qty: Any = 1) -> Scenario:
    """One supplier, one warehouse, one customer, one product, all at the same place.

    Unit Poisson demand of ``rate`` per day (quantity ``qty``); transit times are 0 because
    the distances are 0, so the replenishment lead time is the supplier's ``lead_time``.
    """
    here = {"lat": 45.0, "lon": 7.0}
    data: dict[str, Any] = {
        "name": "single site",
        "simulation": {"horizon_days": horizon, "warmup_days": warmup},
        "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": importance}
                     | ({} if backorder_days is None else {"max_backorder_days": backorder_days})],
        "suppliers": [{"id": "S", "location": here, "products": ["P"], "lead_time": lead_time}],
        "facilities": [{"id": "W", "location": here, "order_processors": processors,
                        "order_processing_time": processing,
                        "inventory": {"P": policy}}],
        "customers": [{"id": "C", "tier": "standard", "location": here, "orders_per_day": rate,
                       "product_mix": {"P": 1}, "quantity": qty}],
    }
    for key, value in (extra or {}).items():
        data[key] = value
    return build(yaml.safe_load(yaml.safe_dump(data)), {}, "<test>")


def replicate(sc: Scenario, n: int, seed: int = 11, days: float | None = None) -> list:
    from supplylab.sim import run_replication

    return [run_replication(sc, seed, k, days=days) for k in range(n)]


def kpi(results: list, name: str) -> list[float]:
    return [r.kpis[name] for r in results]
