"""The unit-conservation audit run at the end of every replication.

Independent of the code paths that move stock: it only reads counters kept at each place a unit
can be (on hand per stock point, shipments in transit, with customers, returns in transit,
scrapped, refused at receipt) and checks that every unit that entered the network is somewhere.
A balance that is not a finite number (infinite stock, NaN) fails the audit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .result import AuditReport

if TYPE_CHECKING:
    from .engine import Model


class Ledger:
    """Where units are outside the stock points, per product (never reset at the warm-up)."""

    def __init__(self, n_products: int, n_facilities: int) -> None:
        self.supplier_shipped = [0.0] * n_products  # entered the network (suppliers, plants)
        self.to_customers = [0.0] * n_products  # handed to customers
        self.refused = [0.0] * n_products  # refused at receipt (storage full)
        self.returned_total = [0.0] * n_products  # came back from customers
        self.returns_in_transit = [0.0] * n_products
        self.returns_scrapped = [0.0] * n_products
        self.cross_units = [0.0] * n_facilities  # flowed through each cross-dock
        self.outstanding: dict[int, tuple[int, float]] = {}  # shipment id -> (product, units)


def audit(m: Model) -> AuditReport:
    """Conservation of units per (location, product) and across the network."""
    bad: list[tuple[str, str, float]] = []
    checked = 0
    led = m.ledger
    for (fi, pi), sp in m.sites.sp.items():
        checked += 1
        diff = sp.initial + sp.received + sp.restocked - sp.shipped - sp.on_hand
        if not abs(diff) <= 1e-6 or sp.on_hand < -1e-9:  # NaN / infinite balances fail too
            bad.append((m.facilities[fi].id, m.products[pi].id, float(diff)))
    in_transit = [0.0] * len(m.products)
    for pi, units in led.outstanding.values():
        in_transit[pi] += units
    on_hand = [0.0] * len(m.products)
    initial = [0.0] * len(m.products)
    for (_, pi), sp in m.sites.sp.items():
        on_hand[pi] += sp.on_hand
        initial[pi] += sp.initial
    for pi, p in enumerate(m.products):
        checked += 1
        # every unit that entered the network is on hand, in transit, with a customer,
        # or came back and was scrapped
        inflow = led.supplier_shipped[pi] + initial[pi]
        outflow = on_hand[pi] + in_transit[pi] + led.to_customers[pi] \
            - led.returned_total[pi] + led.returns_in_transit[pi] + led.returns_scrapped[pi]
        outflow += led.refused[pi]
        if not abs(inflow - outflow) <= 1e-6 or not math.isfinite(inflow):
            bad.append(("network", p.id, float(inflow - outflow)))
    return AuditReport(units_conserved=not bad, checked=checked, imbalances=bad)
