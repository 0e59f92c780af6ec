"""The derived network of a scenario: sites, customers (groups expanded), lanes and routes.

Used by validation (reachability, cycles), the engine (who serves whom, lane times and costs),
the optimiser (distances) and the report (the graph). Pure data; no randomness except the
deterministic, seeded generation of group customers.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from .distributions import Dist, constant
from .schema import (
    Customer,
    CustomerGroup,
    DemandFields,
    Facility,
    Location,
    ScenarioModel,
    Supplier,
)

if TYPE_CHECKING:
    import networkx as nx


EARTH_RADIUS_KM = 6371.0088


def stable_int(text: str) -> int:
    """A 64-bit integer from a string, identical on every run and platform (unlike hash())."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def great_circle_km(a: Location, b: Location) -> float:
    """Haversine distance between two points, km."""
    return float(haversine_km(a.lat, a.lon, np.array([b.lat]), np.array([b.lon]))[0])


def haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distances from one point to many, km."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dphi = p2 - p1
    dl = np.radians(lons) - math.radians(lon)
    h = np.sin(dphi / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


@dataclass(frozen=True)
class ResolvedLane:
    """A lane with every field filled (explicit values, else derived from transport_defaults)."""

    origin: str
    dest: str
    mode: str
    distance_km: float
    transit_time: Dist
    cost_per_unit: float
    cost_per_shipment: float
    cost_per_unit_km: float
    co2_kg_per_unit_km: float
    capacity_units_per_day: float | None
    explicit: bool

    @property
    def key(self) -> str:
        return f"{self.origin}->{self.dest}"

    def unit_cost(self) -> float:
        """Variable transport cost per unit (per-unit plus per-unit-km x distance)."""
        return self.cost_per_unit + self.cost_per_unit_km * self.distance_km


def member_ids(group: CustomerGroup) -> list[str]:
    """The ids of a group's customers, ``{prefix}{n:0w}`` for n = 1..count."""
    width = len(str(group.count))
    return [f"{group.id_prefix}{i + 1:0{width}d}" for i in range(group.count)]


def generate_customers(group: CustomerGroup) -> list[Customer]:
    """The customers of a group: ids ``{prefix}{n:0w}``; locations, tiers and sizes seeded;
    ``served_by_members`` overrides the group's ``served_by`` for the members it names.

    The same group always yields the same customers (seed = group.seed and its id_prefix).
    """
    rng = np.random.default_rng(np.random.SeedSequence([group.seed, stable_int(group.id_prefix)]))
    n = group.count
    r = group.region
    if r.bbox is not None:
        lats = rng.uniform(r.bbox[0], r.bbox[2], n)
        lons = rng.uniform(r.bbox[1], r.bbox[3], n)
    else:
        assert r.center is not None and r.radius_km is not None
        dist = r.radius_km * np.sqrt(rng.uniform(0, 1, n))
        ang = rng.uniform(0, 2 * math.pi, n)
        lats = r.center.lat + np.degrees(dist * np.cos(ang) / EARTH_RADIUS_KM)
        coslat = max(math.cos(math.radians(r.center.lat)), 1e-6)
        lons = r.center.lon + np.degrees(dist * np.sin(ang) / (EARTH_RADIUS_KM * coslat))
        lats = np.clip(lats, -90, 90)
        lons = (lons + 180) % 360 - 180
    tiers = list(group.tier_mix)
    probs = np.asarray([group.tier_mix[t] for t in tiers], dtype=float)
    tier_idx = rng.choice(len(tiers), size=n, p=probs / probs.sum())
    sizes = np.maximum(group.size.sample(rng, n), 0.0)
    width = len(str(n))
    shared = group.model_dump(include=set(DemandFields.model_fields), exclude_unset=True)
    out = []
    members = group.served_by_members
    for i in range(n):
        cid = f"{group.id_prefix}{i + 1:0{width}d}"
        own = {"served_by": members[cid]} if cid in members else {}
        out.append(Customer.model_validate({
            **shared, **own, "id": cid, "tier": tiers[tier_idx[i]],
            "location": {"lat": float(lats[i]), "lon": float(lons[i])},
            "scale": float(sizes[i]),
        }))
    return out


class Network:
    """Sites, customers and lanes of a validated scenario, with routing helpers."""

    def __init__(self, sc: ScenarioModel) -> None:
        self.sc = sc
        self.suppliers: dict[str, Supplier] = {s.id: s for s in sc.suppliers}
        self.facilities: dict[str, Facility] = {f.id: f for f in sc.facilities}
        self.products = {p.id: p for p in sc.products}
        self._lanes = {(ln.from_, ln.to): ln for ln in sc.lanes}
        self._makers: dict[str, list[str]] = {}
        for s in sc.suppliers:
            for pid in s.products:
                self._makers.setdefault(pid, []).append(s.id)

    # ------------------------------------------------------------------ entities
    @cached_property
    def customers(self) -> list[Customer]:
        """Explicit customers followed by every group's generated customers."""
        out = list(self.sc.customers)
        for g in self.sc.customer_groups:
            out.extend(generate_customers(g))
        return out

    @cached_property
    def customer_index(self) -> dict[str, Customer]:
        return {c.id: c for c in self.customers}

    def demand_owners(self) -> Iterator[tuple[str, str, DemandFields]]:
        """(section, id, fields) of every explicit customer and every group (not expanded)."""
        for c in self.sc.customers:
            yield "customers", c.id, c
        for g in self.sc.customer_groups:
            yield "customer_groups", g.id_prefix, g

    def patience_days(self, c: Customer) -> float:
        """Days a customer's backordered line waits before it is cancelled: its own
        ``patience_days``, else its tier's; none = no limit (``inf``)."""
        pat = c.patience_days if c.patience_days is not None else \
            self.sc.tiers[c.tier].patience_days
        return math.inf if pat is None else float(pat)

    @staticmethod
    def demanded_products(c: DemandFields) -> list[str]:
        if c.demand is not None:
            return list(c.demand)
        return [p for p, w in c.product_mix.items() if w > 0]

    def location(self, ident: str) -> Location:
        for pool in (self.facilities, self.suppliers):
            if ident in pool:
                return pool[ident].location
        return self.customer_index[ident].location

    def distance_km(self, a: str, b: str) -> float:
        """Road distance between two ids: the lane's, else great-circle x road_factor."""
        return self.lane(a, b).distance_km

    # ------------------------------------------------------------------ lanes
    def lane(self, origin: str, dest: str) -> ResolvedLane:
        """The lane origin -> dest: explicit fields where given, the rest derived."""
        td = self.sc.transport_defaults
        ln = self._lanes.get((origin, dest))
        if ln is not None and ln.distance_km is not None:
            dist = ln.distance_km
        else:
            dist = great_circle_km(self.location(origin), self.location(dest)) * td.road_factor
        if ln is not None and ln.transit_time is not None:
            transit: Dist = ln.transit_time
        else:
            transit = constant(max(td.min_transit_days, dist / td.speed_km_per_day))

        def pick(name: str, default: float) -> float:
            v = getattr(ln, name, None) if ln is not None else None
            return default if v is None else v

        per_unit_km = pick("cost_per_unit_km", td.cost_per_unit_km)
        return ResolvedLane(
            origin, dest, ln.mode if ln else "truck", dist, transit,
            pick("cost_per_unit", 0.0), pick("cost_per_shipment", td.cost_per_shipment),
            per_unit_km, pick("co2_kg_per_unit_km", td.co2_kg_per_unit_km),
            ln.capacity_units_per_day if ln else None, ln is not None,
        )

    # ------------------------------------------------------------------ routing
    @cached_property
    def _site_ids(self) -> list[str]:
        return [f.id for f in self.sc.facilities] + [s.id for s in self.sc.suppliers]

    @cached_property
    def _site_pos(self) -> dict[str, int]:
        return {sid: i for i, sid in enumerate(self._site_ids)}

    @cached_property
    def _site_coords(self) -> tuple[np.ndarray, np.ndarray]:
        locs = [f.location for f in self.sc.facilities] + [s.location for s in self.sc.suppliers]
        return (np.array([x.lat for x in locs], dtype=float),
                np.array([x.lon for x in locs], dtype=float))

    def _distances(self, loc: Location) -> np.ndarray:
        """Great-circle km from ``loc`` to every site (cached per location)."""
        cache = self.__dict__.setdefault("_dist_cache", {})
        key = (loc.lat, loc.lon)
        row = cache.get(key)
        if row is None:
            lats, lons = self._site_coords
            row = haversine_km(loc.lat, loc.lon, lats, lons)
            if len(cache) < 100_000:
                cache[key] = row
        return row

    def _nearest(self, candidates: list[str], loc: Location | None) -> str | None:
        if not candidates:
            return None
        if loc is None or len(candidates) == 1:
            return candidates[0]
        cand = tuple(candidates)
        memo = self.__dict__.setdefault("_nearest_memo", {})
        key = (cand, loc.lat, loc.lon)
        best = memo.get(key)
        if best is None:
            idx = np.fromiter((self._site_pos[c] for c in cand), dtype=int, count=len(cand))
            best = candidates[int(np.argmin(self._distances(loc)[idx]))]
            if len(memo) < 1_000_000:
                memo[key] = best
        return best

    def supplier_for(self, product: str, loc: Location | None) -> str | None:
        """The nearest supplier that makes ``product``."""
        return self._nearest(self._makers.get(product, []), loc)

    def upstream(self, site: str, product: str) -> str | None:
        """Where ``site`` replenishes ``product`` from (None: a plant's own production)."""
        f = self.facilities[site]
        src = f.source_for(product)
        if src is not None:
            return src
        if f.kind == "plant":
            return None
        return self.supplier_for(product, f.location)

    @cached_property
    def _stockists(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in self.sc.facilities:
            for pid in self.products:
                if f.stocks(pid):
                    out.setdefault(pid, []).append(f.id)
        return out

    def serving_site(self, strategy: str, served_by: str | None, product: str,
                     location: Location | None) -> str:
        """The site that ships ``product`` to a customer (raises LookupError with a hint)."""
        if strategy == "direct":
            if served_by is not None and served_by in self.suppliers:
                if product not in self.suppliers[served_by].products:
                    raise LookupError(f"supplier {served_by!r} does not make {product!r}")
                return served_by
            s = self.supplier_for(product, location)
            if s is None:
                raise LookupError(f"no supplier makes {product!r} for direct shipping")
            return s
        if served_by is not None:
            if served_by in self.suppliers:
                raise LookupError(f"{served_by!r} is a supplier: set `strategy: direct` to "
                                  "ship from it, or name a facility")
            f = self.facilities[served_by]
            if strategy == "cross_dock" and f.kind != "cross_dock":
                raise LookupError(f"strategy cross_dock needs a cross_dock site, but "
                                  f"{served_by!r} is a {f.kind}")
            if strategy == "classic" and not f.stocks(product):
                raise LookupError(f"{served_by!r} holds no stock of {product!r}: add "
                                  f"inventory.{product} or inventory.default to it")
            return served_by
        if strategy == "cross_dock":
            pool = [f.id for f in self.sc.facilities if f.kind == "cross_dock"]
            kind = "cross_dock site"
        else:
            pool = self._stockists.get(product, [])
            kind = f"site that stocks {product!r}"
        site = self._nearest(pool, location)
        if site is None:
            raise LookupError(f"no {kind} can serve this customer: add one, or set "
                              "served_by / strategy")
        return site

    def source_chain(self, strategy: str, served_by: str | None, product: str,
                     location: Location | None = None) -> list[str]:
        """Sites from the origin of ``product`` down to the one that ships it to the customer.

        With ``served_by`` given the answer does not depend on the location, so it is cached
        (network design asks it for every customer x site x product).
        """
        if served_by is None:
            site = self.serving_site(strategy, served_by, product, location)
            return list(self.chain_to(site, product))
        memo = self.__dict__.setdefault("_fixed_chains", {})
        key = (strategy, served_by, product)
        hit = memo.get(key)
        if hit is None:
            try:
                hit = self.chain_to(self.serving_site(strategy, served_by, product, location),
                                    product)
            except LookupError as exc:
                hit = exc
            memo[key] = hit
        if isinstance(hit, LookupError):
            raise LookupError(*hit.args)
        return list(hit)

    def chain_to(self, site: str, product: str) -> tuple[str, ...]:
        """The replenishment chain of ``product`` ending at ``site``, origin first (cached:
        it depends only on the site and the product). Raises LookupError with the reason."""
        memo = self.__dict__.setdefault("_chains", {})
        key = (site, product)
        hit = memo.get(key)
        if hit is None:
            try:
                hit = self._walk_up(site, product)
            except LookupError as exc:
                hit = exc
            memo[key] = hit
        if isinstance(hit, LookupError):
            raise LookupError(*hit.args)
        return hit

    def _walk_up(self, site: str, product: str) -> tuple[str, ...]:
        chain = [site]
        seen = {site}
        while chain[0] in self.facilities:
            src = self.upstream(chain[0], product)
            if src is None:
                break
            if src in seen:
                raise LookupError(f"replenishment of {product!r} loops through {src!r}")
            if src in self.suppliers and product not in self.suppliers[src].products:
                raise LookupError(f"{chain[0]!r} replenishes {product!r} from {src!r}, which "
                                  "does not make it")
            if src not in self.suppliers and src not in self.facilities:
                raise LookupError(f"unknown source {src!r}")
            chain.insert(0, src)
            seen.add(src)
        if chain[0] in self.facilities and self.facilities[chain[0]].kind != "plant":
            raise LookupError(f"no supplier makes {product!r} for {chain[0]!r}")
        return tuple(chain)

    # ------------------------------------------------------------------ graph
    def graph(self) -> nx.DiGraph:
        """Directed graph: suppliers, facilities and customers; edges carry lane data.

        Replenishment edges (source -> facility) and delivery edges (site -> customer) are
        derived from routing; each edge has ``distance_km``, ``transit_days`` (mean),
        ``cost_per_unit`` and ``kind`` ('replenishment' | 'delivery').
        """
        import networkx as nx  # only graph users pay for it (~0.15 s to import)

        g = nx.DiGraph()
        for s in self.sc.suppliers:
            g.add_node(s.id, kind="supplier", lat=s.location.lat, lon=s.location.lon)
        for f in self.sc.facilities:
            g.add_node(f.id, kind=f.kind, operator=f.operator, lat=f.location.lat,
                       lon=f.location.lon, candidate=f.candidate)
        for f in self.sc.facilities:
            for pid in self.products:
                if not (f.stocks(pid) or f.kind == "cross_dock"):
                    continue
                src = self.upstream(f.id, pid)
                if src is not None and src in g and src != f.id:
                    self._edge(g, src, f.id, "replenishment")
        for c in self.customers:
            g.add_node(c.id, kind="customer", tier=c.tier, lat=c.location.lat,
                       lon=c.location.lon)
            for pid in self.demanded_products(c):
                try:
                    chain = self.source_chain(c.strategy, c.served_by, pid, c.location)
                except LookupError:
                    continue
                for a, b in zip(chain, chain[1:], strict=False):
                    if not g.has_edge(a, b):
                        self._edge(g, a, b, "replenishment")
                if not g.has_edge(chain[-1], c.id):  # one edge per site, however many products
                    self._edge(g, chain[-1], c.id, "delivery")
        return g

    def _edge(self, g: nx.DiGraph, a: str, b: str, kind: str) -> None:
        ln = self.lane(a, b)
        g.add_edge(a, b, kind=kind, distance_km=ln.distance_km,
                   transit_days=ln.transit_time.mean(), cost_per_unit=ln.unit_cost(),
                   mode=ln.mode)


def describe(sc: ScenarioModel) -> dict[str, Any]:
    """Counts of the network's parts (for `supplylab validate`)."""
    net = Network(sc)
    return {"products": len(sc.products), "suppliers": len(sc.suppliers),
            "facilities": len(sc.facilities), "customers": len(net.customers),
            "lanes": len(sc.lanes)}
