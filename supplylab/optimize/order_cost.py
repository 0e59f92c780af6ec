"""The fixed cost of one replenishment order at a site, as the engine charges it.

Shared by the inventory optimiser (the EOQ of each stock point) and network design (the cycle
stock of each candidate site), so that both price an order the way the simulation does.
"""

from __future__ import annotations

from typing import Any


def order_fixed_cost(scenario: Any, site: str, product: str) -> float:
    """Fixed cost of one replenishment order of ``product`` at ``site`` (currency/order).

    What the engine charges per order: ``costs.ordering_cost_per_order`` plus the inbound
    lane's ``cost_per_shipment`` (supplier or upstream site -> ``site``; plant production has
    no lane). Leaving the lane's part out would make the EOQ 1 unit whenever no ordering cost is
    given, although every shipment of that unit pays the lane's fixed cost.
    """
    net = scenario.network
    k = float(scenario.costs.ordering_cost_per_order)
    src = net.upstream(site, product)
    if src is not None:
        k += float(net.lane(src, site).cost_per_shipment)
    return k
