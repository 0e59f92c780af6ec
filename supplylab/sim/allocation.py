"""Allocation of short stock: backorders, their expiry, the allocation rule and rationing.

Rules held here (docs/engine.md, "Allocation when stock is short"):
- a line that cannot ship waits in its stock point's backlog for at most its wait (then its
  open units are lost);
- receipts serve the backlog by ``allocation.rule``: ``priority`` (a heap by priority key,
  then arrival), ``fifo`` (by arrival) or ``fair_share`` (equal shares, repeatedly);
- a transfer to a downstream stock point (its replenishment) ranks as the best class that
  point serves, itself or through the points it replenishes (``StockPoint.transfer_key``): a
  regional warehouse that serves only silver accounts does not take stock a platinum account
  of the DC waits for;
- stock rationing (``priority`` with ``protect_days > 0``): a class may only take stock above
  its critical level, ``protect_days`` x the expected daily demand of the better classes; a
  transfer is a class like any other, with the expected demand of the point it replenishes.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

from . import kpis as K
from .demand import expected_units
from .stock import CLASSIC, Line, Order, Route, StockPoint

if TYPE_CHECKING:
    from .engine import Model

INF = math.inf


class Allocation:
    """Backlogs of the stock points and the rule that serves them."""

    def __init__(self, m: Model) -> None:
        self.m = m
        sc = m.sc
        self.rule = sc.allocation.rule
        self.priority = self.rule == "priority"
        self.ship_complete = sc.allocation.partial_shipments == "ship_complete"
        self.backorder_cost = sc.costs.backorder_cost_per_unit_day

    def setup_rationing(self) -> None:
        """Transfer keys and, with ``protect_days > 0``, the expected daily demand per priority
        class at each stock point (critical levels), under ``rule: priority``.

        A stock point's classes are its own customers' keys and the transfer keys of the
        points it replenishes (with their whole expected demand, units/day); its own transfer
        key is the best (lowest) of them, or the best tier's key for the product when nothing
        is known to reach it. Points are settled from the most downstream up.
        """
        m = self.m
        if not self.priority:
            return
        protect = m.sc.allocation.protect_days
        rates = self._class_rates() if protect > 0 else self._class_keys()
        for sp in sorted(m.sites.sp.values(), key=_depth, reverse=True):
            d = rates.get((sp.fi, sp.pi), {})
            sp.transfer_key = min(d) if d else m.priority.stock_key(sp.pi)
            if sp.upstream is not None and d:
                up = rates.setdefault((sp.upstream.fi, sp.pi), {})
                up[sp.transfer_key] = up.get(sp.transfer_key, 0.0) + sum(d.values())
        if protect <= 0:
            return
        for (fi, pi), d in rates.items():  # routes are made later: a rationed line never
            if len(d) > 1:                  # takes the fast path (``Routing._like``)
                sp = m.sites.sp[(fi, pi)]
                sp.classes = sorted(d.items())
                sp.protect = protect

    def _class_rates(self) -> dict[tuple[int, int], dict[tuple, float]]:
        """Expected units per day of each priority class at each classic stock point (fi, pi),
        from every customer's expected demand."""
        m = self.m
        rates: dict[tuple[int, int], dict[tuple, float]] = {}
        for cd in m.demand:
            for pi, u in zip(cd.products.tolist(), expected_units(cd).tolist(), strict=True):
                rt = m.routing.proto(cd.index, pi)
                if rt.kind is not CLASSIC:
                    continue
                d = rates.setdefault((rt.fi, pi), {})
                d[rt.key] = d.get(rt.key, 0.0) + u
        return rates

    def _class_keys(self) -> dict[tuple[int, int], dict[tuple, float]]:
        """The priority classes at each classic stock point (fi, pi), each with 0 units: what
        the transfer keys need without rationing. The customers of a ``served_by`` group share
        their routes' prototypes, so each (group, product) is read once."""
        m = self.m
        routing = m.routing
        pairs: dict[int, set[int]] = {}  # a group, or -1 - customer index: products bought
        for cd in m.demand:
            g = routing.group_of(cd.index)
            pairs.setdefault(g if g >= 0 else -1 - cd.index, set()).update(cd.products.tolist())
        rates: dict[tuple[int, int], dict[tuple, float]] = {}
        for g, prods in pairs.items():
            ci = routing.member(g) if g >= 0 else -1 - g
            for pi in sorted(prods):
                rt = routing.proto(ci, pi)
                if rt.kind is CLASSIC:
                    rates.setdefault((rt.fi, pi), {})[rt.key] = 0.0
        return rates

    def backorder(self, sp: StockPoint, order: Order | None, rt: Route | None, qty: float,
                  now: float, deadline: float, downstream: StockPoint | None = None) -> Line:
        """Put ``qty`` units in the stock point's backlog until ``deadline`` (days)."""
        m = self.m
        m.seq += 1
        if not self.priority:
            key: tuple = ()
        elif downstream is not None:
            key = downstream.transfer_key
        else:
            key = rt.key
        line = Line(order, rt, qty, key, m.seq, downstream, now)
        sp.backlog_units += qty
        if self.priority:
            heapq.heappush(sp.backlog, line)
        else:
            sp.backlog.append(line)
        if order is not None:
            order.pending += 1
        if deadline < INF:
            ev = m.env.timeout(deadline - m.env.now)
            ev.callbacks.append(lambda _e, sp=sp, line=line: self._expire(sp, line))
        return line

    def _expire(self, sp: StockPoint, line: Line) -> None:
        """A backordered line whose wait ran out is cancelled: a lost sale."""
        if line.dead or line.open <= 0:
            return
        m = self.m
        now = m.env.now
        sp.touch(now)
        line.dead = True
        sp.backlog_units -= line.open
        order = line.order
        if order is not None:
            m.outcomes.lost(line.route, line.open, now, order.per if order.counted else -1)
            order.lost = True
            order.pending -= 1
            if order.pending == 0:
                m.outcomes.close(order, now)
        line.open = 0

    def allocate(self, sp: StockPoint, now: float) -> None:
        """Serve the backlog from on-hand stock by the allocation rule."""
        if sp.backlog_units <= 0 or sp.on_hand <= 0:
            return
        bl = sp.backlog
        if self.rule == "fair_share":
            live = [ln for ln in bl if not ln.dead and ln.open > 0]
            while sp.on_hand >= 1 and live:
                share = max(1.0, math.floor(sp.on_hand / len(live)))
                for ln in live:
                    if sp.on_hand < 1:
                        break
                    self._fill(sp, ln, min(share, ln.open, sp.on_hand), now)
                live = [ln for ln in live if ln.open > 0]
            sp.backlog = [ln for ln in bl if not ln.dead and ln.open > 0]
            return
        skipped = []
        priority = self.priority
        ship_complete = self.ship_complete
        while bl and sp.on_hand > 0:
            ln = heapq.heappop(bl) if priority else bl.popleft()
            if ln.dead or ln.open <= 0:
                continue
            avail = sp.on_hand
            if sp.classes is not None:
                avail -= sp.critical(ln.key)
                if avail <= 0:
                    skipped.append(ln)
                    continue
            if ship_complete and ln.downstream is None and avail < ln.open:
                skipped.append(ln)
                continue
            self._fill(sp, ln, ln.open if ln.open <= avail else avail, now)
            if ln.open > 0:
                skipped.append(ln)
        if priority:
            for ln in skipped:
                heapq.heappush(bl, ln)
        else:
            bl.extendleft(reversed(skipped))

    def _fill(self, sp: StockPoint, ln: Line, n: float, now: float) -> None:
        """Ship ``n`` units of a backlogged line (to a customer or a downstream stock point)."""
        m = self.m
        sp.on_hand -= n
        sp.backlog_units -= n
        sp.shipped += n
        ln.open -= n
        if ln.downstream is not None:
            m.fulfilment.ship_internal(sp, ln.downstream, n, now)
            if ln.open <= 0:
                ln.dead = True
            return
        order = ln.order
        dispatched: dict = {}
        res = m.fulfilment.ship(ln.route, n, now, dispatched, order)
        if res is None:  # waits at a priority station; the order waits for it
            m.fulfilment.flush(dispatched)
        if order is not None:
            if order.counted:
                m.k.cm[ln.route.base + K.BACKORDER_DAYS] += n * (now - ln.t0)
                m.k.sm[ln.route.sbase + K.BACKORDER_DAYS] += n * (now - ln.t0)
                m.k.penalty += n * (now - ln.t0) * self.backorder_cost
            if res is not None:
                arrive, bad = res
                order.bad |= bad
                if arrive > order.last:
                    order.last = arrive
            if ln.open <= 0:
                ln.dead = True
                order.pending -= 1
                if order.pending == 0:
                    m.outcomes.close(order, now)


def _depth(sp: StockPoint) -> int:
    """Echelons above a stock point (0 = replenished from outside)."""
    n = 0
    while sp.upstream is not None:
        sp = sp.upstream
        n += 1
    return n
