"""Promised dates: available-to-promise and capable-to-promise at the tier's confidence.

Each order gets a promised delivery date when it is placed (docs/promises.md). A line's date is
the ``q``-quantile (``q`` = its tier's ``promise_confidence``) of when it will be delivered:

- **capable-to-promise** (processing and transport): a line that ships now is delivered after
  the site's processing sojourn (queue, processing, handling) and the lane's transit. The
  transit law is known; the sojourn is learnt from the site's recent shipments of the same
  priority class (the last ``WINDOW`` of them; before any, the processing law without a queue),
  as a warehouse system estimates its own throughput time. The date is ``now`` + the
  ``q``-quantile of sojourn + transit (their sum, by Monte Carlo over the recent sojourns and a
  fixed sample of transit times; refreshed every ``REFRESH`` new sojourns).
- **available-to-promise** (stock): a line that must wait for stock is ready when the
  replenishment that covers it, behind the backlog and net of the units promised before it,
  arrives: at the ``q``-quantile of its lead time after it was ordered (or, when no receipt in
  the pipeline covers it, a lead time from now). CTP is then added from that date.
- **flow-through** (cross-dock, direct): the ``q``-quantile of supplier lead time + lanes (+
  dwell).

Quantiles of the laws come from fixed private samples (``SAMPLE`` draws from a generator of its
own), so they are the same in every replication and draw nothing from the run's streams.
Supplier capacity queues and receipts overtaken by better classes are not foreseen: a promise
behind them may be broken, which ``promise_kept_rate`` then shows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .stock import Route, StockPoint

if TYPE_CHECKING:
    from .engine import Model

WINDOW = 256  # recent sojourns remembered per (site, priority class)
MIN_OBS = 16  # observed lead times before they replace the law's
REFRESH = 32  # new sojourns before a quantile is computed again
SAMPLE = 512  # draws of a law for its quantiles
INF = math.inf


def _sample(law: Any, tag: int) -> np.ndarray:
    """A fixed sample of a law (its own generator: the same in every replication)."""
    if law.is_constant:
        return np.full(1, max(float(law.mean()), 0.0))
    rng = np.random.default_rng(20261202 + tag)
    return np.maximum(np.asarray(law.sample(rng, SAMPLE), dtype=float), 0.0)


def quantile(values: list[float] | np.ndarray, q: float) -> float:
    """``q``-quantile of a small sample, interpolated linearly: exactly ``np.quantile``'s
    default (Hyndman-Fan 7, same arithmetic) at a tenth of its cost on a few hundred values."""
    s = sorted(values.tolist() if isinstance(values, np.ndarray) else values)
    n = len(s)
    v = (n - 1) * q
    if v >= n - 1:
        return float(s[-1])
    if v < 0:
        return float(s[0])
    lo = math.floor(v)
    g = v - lo
    a, b = s[lo], s[lo + 1]
    d = b - a
    return float(b - d * (1 - g) if g >= 0.5 else a + d * g)


def _sum_quantile(a: np.ndarray, b: np.ndarray, q: float) -> float:
    """``q``-quantile of A + B for independent samples ``a`` and ``b`` (all pairs)."""
    if len(a) == 1:
        return float(a[0] + quantile(b, q))
    if len(b) == 1:
        return float(quantile(a, q) + b[0])
    if len(b) > 64:  # 64 evenly spaced quantiles represent it
        b = np.quantile(b, (np.arange(64) + 0.5) / 64)
    return float(np.quantile((a[:, None] + b[None, :]).ravel(), q))


class Sojourns:
    """Recent processing sojourns (days from hand-over to departure) of one site and class."""

    __slots__ = ("buf", "i", "n")

    def __init__(self) -> None:
        self.buf: list[float] = []
        self.i = 0
        self.n = 0  # observations so far

    def add(self, x: float) -> None:
        if not x < INF:  # never left (no capacity): nothing learnt
            return
        if len(self.buf) < WINDOW:
            self.buf.append(x)
        else:
            self.buf[self.i] = x
            self.i = (self.i + 1) % WINDOW
        self.n += 1


class Answer:
    """The last capable-to-promise answer of a site, priority class and lane (``law``: the
    lane's transit law, None when it is constant and the route adds it): quantile ``v`` at
    confidence ``q``, computed at ``n`` sojourns of the record ``obs``."""

    __slots__ = ("fi", "key", "law", "v", "n", "q", "obs")

    def __init__(self, fi: int, key: tuple, law: Any) -> None:
        self.fi, self.key, self.law = fi, key, law
        self.v: float | None = None
        self.n = 0
        self.q = 0.0
        self.obs: Sojourns | None = None


class Promising:
    """Promised dates of order lines (ATP + CTP) at each tier's confidence."""

    def __init__(self, m: Model) -> None:
        self.m = m
        self.conf = [m.sc.tiers[c.tier].promise_confidence for c in m.customers]
        self._laws: dict[int, np.ndarray] = {}  # id(law) -> fixed sample
        self._keep: list[Any] = []  # laws whose id is a key (kept alive)
        #: sojourns are learnt per priority class where the site serves by priority
        self.by_class = m.rule == "priority"
        self.sojourn: dict[tuple[int, tuple], Sojourns] = {}
        #: (site, class, id of the transit law or -1, confidence) -> [quantile, sojourn count
        #: at computation]; -1: the lane's transit is constant and added by the route
        self._ctp: dict[tuple[int, tuple, int, float], list[float]] = {}
        #: (site, class, lane position or -1 when its transit is constant) -> last answer
        self._cells: dict[tuple[int, tuple, int], Answer] = {}
        self._lead: dict[tuple[int, float], list[float]] = {}  # (id(sp), q) -> [quantile, n]
        #: (supplier, lane, inbound lane, dock site, q) -> [days, n]
        self._flow: dict[tuple[str, int, int, int, float], list[float]] = {}
        self.leads: dict[int, Sojourns] = {}  # id(stock point) -> observed lead times
        self.supplier_delay: dict[str, Sojourns] = {}  # supplier -> order to dispatch, days

    # ------------------------------------------------------------------ samples
    def law_sample(self, law: Any) -> np.ndarray:
        s = self._laws.get(id(law))
        if s is None:
            s = self._laws[id(law)] = _sample(law, len(self._laws))
            self._keep.append(law)
        return s

    def observe(self, fi: int, key: tuple, days: float) -> None:
        """A shipment of class ``key`` left site ``fi`` ``days`` after it was handed over."""
        if not self.by_class:
            key = ()
        s = self.sojourn.get((fi, key))
        if s is None:
            s = self.sojourn[(fi, key)] = Sojourns()
        s.add(days)

    def observe_lead(self, sp: StockPoint, days: float) -> None:
        """A replenishment of ``sp`` arrived ``days`` after it was ordered."""
        s = self.leads.get(id(sp))
        if s is None:
            s = self.leads[id(sp)] = Sojourns()
        s.add(days)

    def observe_supplier(self, src: str, days: float) -> None:
        """A flow-through order left supplier ``src`` ``days`` after it was placed."""
        s = self.supplier_delay.get(src)
        if s is None:
            s = self.supplier_delay[src] = Sojourns()
        s.add(days)

    # ------------------------------------------------------------------ CTP
    def cell(self, fi: int, key: tuple, lane: Any) -> Answer:
        """The shared capable-to-promise answer of site ``fi``, class ``key`` and ``lane``: one
        per site and class when the lane's transit is constant (``lane`` None or a lane with
        ``promise_days``: the route adds them, ``Route.ctp_add``), else one per site, class
        and lane."""
        if not self.by_class:
            key = ()
        const = lane is None or lane.promise_days is not None
        ck = (fi, key, -1 if const else lane.ix)
        a = self._cells.get(ck)
        if a is None:
            a = self._cells[ck] = Answer(fi, key, None if const else lane.res.transit_time)
        return a

    def ctp(self, rt: Route, q: float) -> float:
        """Days from hand-over at the site to delivery, ``q``-quantile (processing + lane).

        The answer depends on the serving site, the priority class, the lane and the
        confidence only (not on the customer): it is the quantile computed when ``REFRESH``
        more sojourns of the site's class were seen since the last computation at the same
        confidence (``_ctp``). ``Route.ctp`` (an ``Answer`` shared by the routes of a site,
        class and lane) keeps the last of them for the orders' paths to read inline."""
        a = rt.ctp
        if a.v is not None and a.q == q:
            obs = a.obs
            if obs is None:
                if rt.station is None or rt.station.instant:  # nothing to learn: fixed
                    return a.v + rt.ctp_add
            elif obs.n - a.n < REFRESH:
                return a.v + rt.ctp_add
        fi, key = a.fi, a.key
        obs = self.sojourn.get((fi, key))
        n = obs.n if obs is not None else 0
        ck = (fi, key, -1 if a.law is None else id(a.law), q)
        c = self._ctp.get(ck)
        if c is None or not (n - c[1] < REFRESH or n == c[1]):
            if a.law is None:  # the sojourn's quantile; the route adds the constant transit
                v = quantile(obs.buf if obs is not None and obs.buf
                             else self._sojourns(rt, obs), q)
            else:
                v = _sum_quantile(self._sojourns(rt, obs), self.law_sample(a.law), q)
            c = self._ctp[ck] = [v, n]
        a.v, a.n, a.q, a.obs = c[0], c[1], q, obs
        return c[0] + rt.ctp_add

    def _sojourns(self, rt: Route, obs: Sojourns | None) -> np.ndarray:
        """The recent sojourns of the route's class, else the processing law's sample."""
        if obs is not None and obs.buf:
            return np.asarray(obs.buf)
        st = rt.station
        return self.law_sample(st.service._law) if st is not None else np.zeros(1)

    def order_confidence(self, ci: int, legs: int) -> float:
        """Confidence of each of an order's ``legs`` independent shipments so that the whole
        order (delivered when its last leg arrives) is on time with the tier's confidence."""
        q = self.conf[ci]
        return q if legs <= 1 else q ** (1.0 / legs)

    # ------------------------------------------------------------------ ATP
    def lead_quantile(self, sp: StockPoint, q: float) -> float:
        """``q``-quantile of the stock point's replenishment lead time (days): of the lead
        times observed at its receipts (capacity queues, late shipments and closures
        included) once there are ``MIN_OBS``, before that of its source's laws."""
        k = (id(sp), q)
        obs = self.leads.get(id(sp))
        n = obs.n if obs is not None else 0
        c = self._lead.get(k)
        if c is not None and (n - c[1] < REFRESH or n == c[1]):
            return c[0]
        if n >= MIN_OBS:
            v = quantile(obs.buf, q)
        else:
            m = self.m
            f = m.facilities[sp.fi]
            if sp.supplier is not None:
                a = self.law_sample(sp.supplier.lead._law)
            elif sp.upstream is not None:
                a = self.law_sample(m.facilities[sp.upstream.fi].order_processing_time)
            else:
                a = self.law_sample(f.production_lead_time)
            b = (self.law_sample(sp.in_lane.res.transit_time) if sp.in_lane is not None
                 else np.zeros(1))
            v = _sum_quantile(a, b, q)
        self._lead[k] = [v, n]
        return v

    def available(self, sp: StockPoint, need: float, now: float, q: float,
                  key: tuple = ()) -> float:
        """Available-to-promise date of ``need`` more units behind the stock point's backlog:
        the ``q``-quantile arrival of the pipeline receipt that covers them (net of the units
        on hand and promised before), else a lead time from now. Under priority only the
        waiting lines of class ``key`` or better are ahead (and stock reserved for better
        classes is not available)."""
        lead_q = self.lead_quantile(sp, q)
        if self.by_class:
            before = sum(ln.open for ln in sp.backlog
                         if not ln.dead and ln.key <= key)
            stock = sp.on_hand - (sp.critical(key) if sp.classes is not None else 0.0)
            ahead = before + need - stock
        else:
            ahead = sp.backlog_units + need - sp.on_hand
        for eta, qty in sp.pipeline:
            ahead -= qty
            if ahead <= 0:
                return max(eta - sp.mean_lead + lead_q, now)
        return now + lead_q

    def waits(self, rt: Route, sp: StockPoint, q: float, need: float, now: float,
              reopen: float) -> float:
        """Promised date of a backordered line: ATP (not before ``reopen``), then CTP."""
        ready = self.available(sp, need, now, q, rt.key)
        if reopen > ready:
            ready = reopen
        return ready + self.ctp(rt, q)

    # ------------------------------------------------------------------ flow-through
    def flow(self, rt: Route, q: float, now: float) -> float:
        """Promised date of a cross-dock or direct line ordered from the supplier now: the
        supplier's delay (observed once there are ``MIN_OBS``, else its lead-time law), the
        lanes and the dwell at the dock."""
        k = (rt.src.id, rt.lane.ix, rt.inbound.ix if rt.inbound is not None else -1, rt.fi, q)
        obs = self.supplier_delay.get(rt.src.id)
        n = obs.n if obs is not None else 0
        c = self._flow.get(k)
        if c is not None and (n - c[1] < REFRESH or n == c[1]):
            return now + c[0]
        a = (np.asarray(obs.buf) if n >= MIN_OBS else self.law_sample(rt.src.lead._law))
        b = self.law_sample(rt.lane.res.transit_time)
        if rt.inbound is not None:
            inbound = self.law_sample(rt.inbound.res.transit_time)
            dwell = self.law_sample(self.m.facilities[rt.fi].dwell_time)
            a = np.add.outer(a[:64], inbound[:16]).ravel()
            a = np.add.outer(a[:: max(1, len(a) // 256)], dwell[:16]).ravel()
        v = _sum_quantile(a, b, q)
        self._flow[k] = [v, n]
        return now + v
