"""Fulfilment: shipping units to customers and between stock points, with their costs.

Rules held here: a shipment leaves a site after its processing station (lines of one order from
one site leave together: one processing job, one per-shipment lane cost); damage and document
errors make an order imperfect; cross-dock and direct lines are ordered to demand from the
supplier (flow-through); transport cost, CO2 and handling are charged per unit and per shipment;
delivered units earn revenue at the customer's price (less any promotion discount) and may come
back as returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import kpis as K
from .stock import DIRECT, Route, StockPoint

if TYPE_CHECKING:
    from .engine import Model


class Fulfilment:
    """Shipments and deliveries."""

    def __init__(self, m: Model) -> None:
        self.m = m
        self.k = m.k
        self.ledger = m.ledger
        self.price = m.price
        self.margin_mult = m.crm.margin_mult
        self.return_rate = [p.return_rate for p in m.products]

    def ship(self, rt: Route, units: float, now: float,
             dispatched: dict[int, float]) -> tuple[float, bool]:
        """Send units of a route's product from its site; (arrival time, damaged or doc error).

        ``dispatched`` maps the sites this order has already been processed at to the time its
        shipment leaves them (one processing job and one shipment per order and site).
        """
        m = self.m
        k = self.k
        fi = rt.fi
        lane = rt.lane
        counting = m.counting
        depart = dispatched.get(fi)
        sites = m.sites
        if depart is None:
            st = sites.stations[fi]
            if st.instant:
                depart = now
                wait = 0.0
            else:
                wait, depart = st.dispatch(now, units)
            dispatched[fi] = depart
            if counting:
                k.wait_sum[fi] += wait
                k.wait_n[fi] += 1
                k.transport[fi] += lane.per_shipment
        c = lane.const
        arrive = depart + c if c is not None else lane.arrive(depart, units)
        pi = rt.pi
        self.ledger.to_customers[pi] += units
        bad = False
        dmg, doc, u = sites.quality[fi]
        if dmg > 0 and u() < dmg:
            bad = True
        if doc > 0 and u() < doc:
            bad = True
        if counting:
            k.transport[fi] += lane.unit_cost * units
            k.co2[fi] += lane.co2_per_unit * units
            k.handling[fi] += sites.handling_cost[fi] * units
        self.delivered(rt, units, now, arrive)
        if m.log is not None:
            m.log(now, "ship", m.customers[rt.ci].id, m.products[pi].id, sites.site_name(fi),
                  units, arrive)
        return arrive, bad

    def delivered(self, rt: Route, units: float, now: float, arrive: float) -> None:
        """Delivered units, revenue (by period; by route it is derived at the end), promotion
        discounts, and the returns they will cause."""
        m = self.m
        pi = rt.pi
        if m.counting:
            k = self.k
            k.rl[rt.base + K.DELIVERED] += units
            pb = int((now - m.warmup) / m.period_len) * K.ML
            k.pl[pb + K.DELIVERED] += units
            price = self.price[pi] * self.margin_mult[rt.ci]
            k.pl[pb + K.REVENUE] += units * price
            if m.promo_customers and rt.ci in m.promo_customers:
                disc = m.promo_customers[rt.ci].discount(pi, now)
                if disc:
                    k.rl[rt.base + K.DISCOUNT] += units * price * disc
                    k.pl[pb + K.DISCOUNT] += units * price * disc
        if self.return_rate[pi] > 0:
            m.returns.sample(rt, units, arrive)

    def ship_internal(self, up: StockPoint, down: StockPoint, units: float, now: float) -> None:
        """Units from an upstream stock point to a downstream one (its replenishment)."""
        m = self.m
        sites = m.sites
        _, depart = sites.stations[up.fi].dispatch(now, units)
        lane = down.in_lane
        arrive = lane.arrive(depart, units)
        if m.counting:
            k = self.k
            k.transport[down.fi] += lane.unit_cost * units + lane.per_shipment
            k.co2[down.fi] += lane.co2_per_unit * units
            k.handling[up.fi] += sites.handling_cost[up.fi] * units
        m.replenishment.schedule_receipt(down, arrive, units, units)

    def flow_through(self, rt: Route, q: float, now: float,
                     legs: set[tuple[str, int, str]]) -> tuple[float, float]:
        """Cross-dock or direct: ordered to demand from the supplier; (arrival, units shipped).

        ``legs`` holds the legs this order has already paid a shipment on: the lines of one
        order from one supplier travel (and are costed) as one shipment per leg.
        """
        m = self.m
        sites = m.sites
        pi, fi = rt.pi, rt.fi
        src = rt.src
        depart, shipped = src.ship(now, m.products[pi].id, q)
        ledger = self.ledger
        ledger.supplier_shipped[pi] += shipped
        if rt.kind is DIRECT:
            arrive = rt.lane.arrive(depart, shipped)
        else:
            inbound = rt.inbound
            at_dock = inbound.arrive(depart, shipped)
            ledger.cross_units[fi] += shipped
            out = at_dock + sites.dwell[fi]()
            st = sites.stations[fi]
            if st.windows.spans:
                out = st.windows.available_from(out)
            arrive = rt.lane.arrive(out, shipped)
            if m.counting:
                k = self.k
                k.transport[fi] += inbound.unit_cost * shipped
                k.co2[fi] += inbound.co2_per_unit * shipped
                k.handling[fi] += sites.handling_cost[fi] * shipped
                if ("in", fi, src.id) not in legs:  # one inbound shipment per order and dock
                    legs.add(("in", fi, src.id))
                    k.transport[fi] += inbound.per_shipment
        ledger.to_customers[pi] += shipped
        if m.counting:
            k = self.k
            k.transport[fi] += rt.lane.unit_cost * shipped
            k.co2[fi] += rt.lane.co2_per_unit * shipped
            if ("out", fi, src.id) not in legs:  # lines of one order travel together
                legs.add(("out", fi, src.id))
                k.transport[fi] += rt.lane.per_shipment
        if shipped > 0:
            self.delivered(rt, shipped, now, arrive)
        return arrive, shipped
