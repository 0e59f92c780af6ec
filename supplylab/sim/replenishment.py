"""Replenishment: orders of stock points to their sources, and the receipts that follow.

A stock point's source is a supplier (lead time, capacity, reliability; then the inbound lane),
an upstream stock point (ships what it has through its station and the lane, backorders the
rest) or, for a plant, its own production (``production_lead_time``, then a fluid queue at
``production_capacity_per_day`` shared by the plant's products). A receipt is the only SimPy
event of a replenishment: it adds the units on hand (refusing what does not fit the site's
storage), corrects the pipeline, serves the backlog and reviews the policy. A site closed by an
outage receives nothing and ships nothing: receipts wait until it reopens, requests of the
sites it supplies are backordered, and at the reopening its backlog is served.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .stock import StockPoint

if TYPE_CHECKING:
    from .engine import Model

INF = math.inf


class Replenishment:
    """Replenishment orders and receipts of every stock point."""

    def __init__(self, m: Model) -> None:
        self.m = m
        self.ordering_cost = m.sc.costs.ordering_cost_per_order
        self.plant_free = [0.0] * len(m.facilities)  # when each plant's capacity is next free

    def replenish(self, sp: StockPoint, qty: float, now: float) -> None:
        """Order ``qty`` for ``sp`` from its source at time ``now``; schedule the receipt."""
        m = self.m
        k = m.k
        ledger = m.ledger
        sp.touch(now)
        fi = sp.fi
        pi = sp.pi
        week = int(now * (1 / 7))
        if m.log is not None:
            m.log(now, "replenish", "", m.products[pi].id, m.facilities[fi].id, qty)
        if m.counting:
            k.ordering[fi] += self.ordering_cost
            k.repl_orders[fi] += 1
        k.fac_week_out[fi][week] += qty
        src = sp.supplier
        if src is not None:
            qty = max(qty, src.moq)
            sp.on_order += qty
            lane = sp.in_lane
            ordered = qty

            def left(t: float, units: float) -> None:  # served by a priority capacity
                ledger.supplier_shipped[pi] += units
                self.schedule_receipt(sp, lane.arrive(t, units), units, ordered)

            depart, shipped = src.ship(now, m.products[pi].id, qty, m.priority.stock_key(pi),
                                       left)
            if depart is not None:
                arrive = lane.arrive(depart, shipped)
                ledger.supplier_shipped[pi] += shipped
            k.week_orders_up[week] += qty
            if m.counting:
                k.transport[fi] += lane.unit_cost * shipped + lane.per_shipment
                k.co2[fi] += lane.co2_per_unit * shipped
            if depart is None:
                sp.pipeline.append([now + sp.mean_lead, qty])
                return
        elif sp.upstream is not None:
            sp.on_order += qty
            sp.pipeline.append([now + sp.mean_lead, qty])
            up = sp.upstream
            up.touch(now)
            k.fac_week_in[up.fi][week] += qty
            avail = up.on_hand - (up.critical(sp.transfer_key) if up.classes is not None
                                  else 0.0)
            take = max(0.0, avail if avail < qty else qty)
            if m.sites.stations[up.fi].closed_until(now) > now:
                take = 0  # a closed site ships nothing: the request waits for its reopening
            if take > 0:
                up.on_hand -= take
                up.shipped += take
                m.fulfilment.ship_internal(up, sp, take, now)
            if take < qty:
                up.stocked_out = True
                m.allocation.backorder(up, None, None, qty - take, now, INF, downstream=sp)
            if not up.periodic and not up.echelon:
                up.review(now)
            return
        else:  # a plant producing: lead time, then its capacity (fluid, shared by products)
            sp.on_order += qty
            shipped = qty
            arrive = now + m.sites.production[fi]()
            cap = m.facilities[fi].production_capacity_per_day
            if cap is not None:
                start = arrive if arrive > self.plant_free[fi] else self.plant_free[fi]
                arrive = self.plant_free[fi] = start + qty / cap
            ledger.supplier_shipped[pi] += shipped
            k.week_orders_up[week] += qty
        sp.pipeline.append([now + sp.mean_lead, qty])
        self.schedule_receipt(sp, arrive, shipped, qty)

    def schedule_receipt(self, sp: StockPoint, arrive: float, shipped: float,
                         ordered: float) -> None:
        """``shipped`` units (of ``ordered``) reach ``sp`` at ``arrive`` (days)."""
        m = self.m
        m.seq += 1
        sid = m.seq
        m.ledger.outstanding[sid] = (sp.pi, shipped)
        arrive = m.sites.stations[sp.fi].closed_until(arrive)  # a closed site receives nothing
        ev = m.env.timeout(max(0.0, arrive - m.env.now))
        ev.callbacks.append(lambda _e: self.receive(sp, sid, shipped, ordered))

    def reopen(self, fi: int) -> None:
        """A site opens again after an outage: its stock serves the backlog, policies review."""
        m = self.m
        now = m.env.now
        for sp in m.sites.sp_by_fac[fi]:
            sp.touch(now)
            m.allocation.allocate(sp, now)
            if not sp.periodic and not sp.echelon:
                sp.review(now)

    def receive(self, sp: StockPoint, sid: int, units: float, ordered: float) -> None:
        """A receipt: stock on hand (what fits), pipeline corrected, backlog served, review."""
        m = self.m
        now = m.env.now
        sp.touch(now)
        del m.ledger.outstanding[sid]
        cap = sp.fac.storage_capacity_units
        if cap is not None:
            room = cap - sum(x.on_hand for x in m.sites.sp_by_fac[sp.fi])
            accept = max(0.0, min(units, math.floor(room)))
            m.ledger.refused[sp.pi] += units - accept
            units = accept
        sp.on_hand += units
        sp.received += units
        sp.on_order -= ordered
        if m.log is not None:
            m.log(now, "receive", "", m.products[sp.pi].id, m.facilities[sp.fi].id, units)
        if sp.pipeline:  # the oldest open order's lead time (promises learn from it)
            m.promising.observe_lead(sp, now - (sp.pipeline[0][0] - sp.mean_lead))
        need = ordered
        while need > 0 and sp.pipeline:
            head = sp.pipeline[0]
            used = min(head[1], need)
            head[1] -= used
            need -= used
            if head[1] <= 0:
                sp.pipeline.popleft()
        sp.cycles += 1
        if not sp.stocked_out:
            sp.cycles_ok += 1
        sp.stocked_out = False
        m.allocation.allocate(sp, now)
        if not sp.periodic and not sp.echelon:
            sp.review(now)
