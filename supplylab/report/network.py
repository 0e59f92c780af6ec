"""The network a report draws: a JSON snapshot of sites, customers and lanes, and lane flows.

Results folders hold numbers, not the scenario; the map needs coordinates. ``run --report``
(and ``compare``/``sweep --report``) write ``network.json`` next to the results with
:func:`write_network`; ``supplylab report DIR --scenario FILE`` builds it from the scenario
on the fly. The snapshot is plain data (no scenario import needed to read it)::

    {"name", "description", "currency",
     "nodes": [{"id", "name", "kind", "tier", "operator", "candidate", "lat", "lon"}],
     "edges": [{"source", "target", "kind", "distance_km"}]}
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd


def _routes(scenario: Any) -> dict[tuple[str, str], str]:
    """The lanes routing uses, ``(source, target) -> kind``, as :meth:`Network.graph` finds
    them but without resolving every lane's costs (a 2,000-customer scenario has 400,000
    customer x product pairs and a few thousand distinct lanes)."""
    net = scenario.network
    edges: dict[tuple[str, str], str] = {}
    for f in scenario.facilities:
        for pid in net.products:
            if not (f.stocks(pid) or f.kind == "cross_dock"):
                continue
            src = net.upstream(f.id, pid)
            if src is not None and src != f.id:
                edges.setdefault((src, f.id), "replenishment")
    for c in net.customers:
        for pid in net.demanded_products(c):
            try:
                chain = net.source_chain(c.strategy, c.served_by, pid, c.location)
            except LookupError:
                continue
            for a, b in zip(chain, chain[1:], strict=False):
                edges.setdefault((a, b), "replenishment")
            edges[(chain[-1], c.id)] = "delivery"
    return edges


def network_snapshot(scenario: Any) -> dict[str, Any]:
    """Sites, customers (with tier) and the lanes their routing uses, from a Scenario."""
    from supplylab.scenario.network import great_circle_km

    net = scenario.network
    nodes = []
    for s in scenario.suppliers:
        nodes.append({"id": s.id, "name": str(s.name or s.id), "kind": "supplier", "tier": None,
                      "operator": None, "candidate": False, "lat": float(s.location.lat),
                      "lon": float(s.location.lon)})
    for f in scenario.facilities:
        nodes.append({"id": f.id, "name": str(f.name or f.id), "kind": str(f.kind),
                      "tier": None, "operator": f.operator, "candidate": bool(f.candidate),
                      "lat": float(f.location.lat), "lon": float(f.location.lon)})
    for c in net.customers:
        nodes.append({"id": c.id, "name": str(getattr(c, "name", None) or c.id),
                      "kind": "customer", "tier": c.tier, "operator": None, "candidate": False,
                      "lat": float(c.location.lat), "lon": float(c.location.lon)})
    edges = [{"source": a, "target": b, "kind": kind,
              "distance_km": float(great_circle_km(net.location(a), net.location(b)))}
             for (a, b), kind in _routes(scenario).items()]
    return {"name": str(scenario.name), "description": str(getattr(scenario, "description", "")
                                                            or ""),
            "currency": str(getattr(scenario, "currency", "") or ""), "nodes": nodes,
            "edges": edges}


def write_network(scenario: Any, folder: str | Path) -> Path:
    """Write ``network.json`` of ``scenario`` into ``folder`` (atomically); returns its path."""
    from supplylab.io import write_text_atomic

    path = Path(folder) / "network.json"
    write_text_atomic(path, json.dumps(network_snapshot(scenario), indent=1) + "\n")
    return path


def load_network(scenario_file: str | Path) -> dict[str, Any]:
    """The snapshot of a scenario file (validated as usual; bad input raises InputError)."""
    from supplylab.scenario import load

    return network_snapshot(load(scenario_file))


def lane_flows(network: dict[str, Any], customer_units: pd.Series | None) -> dict[tuple[str, str],
                                                                                  float]:
    """Estimated units per lane: each customer's demand split evenly over its delivery lanes,
    then every site's outflow split evenly over its inbound lanes, upstream to the suppliers.

    ``customer_units`` is demand (units, mean over replications) by customer id; without it
    every customer counts one unit, so widths still show the structure.
    """
    edges = [(e["source"], e["target"], e["kind"]) for e in network.get("edges", [])]
    inbound: dict[str, list[str]] = defaultdict(list)
    for a, b, _ in edges:
        inbound[b].append(a)
    kinds = {n["id"]: n["kind"] for n in network.get("nodes", [])}
    flow: dict[tuple[str, str], float] = defaultdict(float)
    outflow: dict[str, float] = defaultdict(float)
    for cid, kind in kinds.items():
        if kind != "customer" or not inbound.get(cid):
            continue
        units = 1.0
        if customer_units is not None and cid in customer_units.index:
            units = max(float(customer_units[cid]), 0.0)
        share = units / len(inbound[cid])
        for src in inbound[cid]:
            flow[(src, cid)] += share
            outflow[src] += share
    pending = dict(outflow)
    for _ in range(len(kinds) + 1):  # bounded: the sourcing graph has no cycles
        if not pending:
            break
        nxt: dict[str, float] = defaultdict(float)
        for site, units in pending.items():
            ups = inbound.get(site, [])
            for src in ups:
                flow[(src, site)] += units / len(ups)
                nxt[src] += units / len(ups)
        pending = dict(nxt)
    return dict(flow)
