"""The network map: sites and customers at their coordinates over a country outline.

The outline is Natural Earth's 1:110m Admin 0 countries (public domain), shipped as
``templates/world_110m.json`` (177 countries, coordinates rounded to 0.01 degree, 141 kB);
nothing is fetched at run time. The projection is equirectangular with the aspect set by the
cosine of the mid latitude, which keeps distances right to a few per cent over a regional map.
Where no country falls inside the frame (open sea, or a made-up coordinate system) the map is a
plain longitude/latitude frame.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .network import lane_flows
from .style import KIND_COLOURS, KIND_MARKERS, colour_for, label, new_figure

OUTLINE_FILE = "world_110m.json"


@lru_cache(maxsize=1)
def outline() -> dict[str, Any]:
    """The shipped outline document (``source``, ``licence``, ``countries`` with rings)."""
    text = resources.files("supplylab.report").joinpath("templates", OUTLINE_FILE).read_text(
        encoding="utf-8")
    return json.loads(text)


def rings_in(extent: tuple[float, float, float, float]) -> list[np.ndarray]:
    """Country rings (``n x 2`` lon/lat arrays) whose bounding box meets ``extent``."""
    x0, x1, y0, y1 = extent
    out = []
    for country in outline()["countries"]:
        for flat in country["rings"]:
            ring = np.asarray(flat, dtype=float).reshape(-1, 2)
            if (ring[:, 0].max() >= x0 and ring[:, 0].min() <= x1 and ring[:, 1].max() >= y0
                    and ring[:, 1].min() <= y1):
                out.append(ring)
    return out


#: Widest and tallest frame drawn, as projected width / height: a network spread along one
#: direction (a coast, two continents) otherwise becomes a thin strip in the page.
MAX_ASPECT, MIN_ASPECT = 2.0, 0.6


def extent_of(lons: np.ndarray, lats: np.ndarray) -> tuple[float, float, float, float]:
    """A frame around the points: 12% margin, at least 1 degree, widened along the short side
    to a projected aspect between ``MIN_ASPECT`` and ``MAX_ASPECT``, clipped to the globe."""
    x0, x1, y0, y1 = float(lons.min()), float(lons.max()), float(lats.min()), float(lats.max())
    dx, dy = max((x1 - x0) * 0.12, 1.0), max((y1 - y0) * 0.12, 1.0)
    x0, x1 = max(x0 - dx, -180.0), min(x1 + dx, 180.0)
    y0, y1 = max(y0 - dy, -90.0), min(y1 + dy, 90.0)
    for _ in range(50):  # widening moves the mid latitude, hence the scale: repeat
        scale = max(math.cos(math.radians((y0 + y1) / 2)), 0.2)  # projected / degree east
        width, height = (x1 - x0) * scale, y1 - y0
        if width > MAX_ASPECT * height * 1.00001:
            y0, y1 = _widen(y0, y1, width / MAX_ASPECT, -90.0, 90.0)
        elif width < MIN_ASPECT * height * 0.99999:
            x0, x1 = _widen(x0, x1, MIN_ASPECT * height / scale, -180.0, 180.0)
        else:
            break
    return (x0, x1, y0, y1)


def _widen(lo: float, hi: float, span: float, floor: float, ceil: float) -> tuple[float, float]:
    """``[lo, hi]`` grown to ``span`` around its middle, shifted to stay within the limits."""
    span = min(span, ceil - floor)
    mid = (lo + hi) / 2
    lo, hi = mid - span / 2, mid + span / 2
    if lo < floor:
        lo, hi = floor, floor + span
    if hi > ceil:
        lo, hi = ceil - span, ceil
    return lo, hi


def network_map(network: dict[str, Any], customer_units: pd.Series | None = None,
                title: str = "Network", open_sites: set[str] | None = None) -> Figure:
    """Sites by kind, customers by tier, lanes with width by estimated flow (units).

    ``open_sites`` (network design): facilities not in the set are drawn hollow and their
    lanes dropped, so a before/after pair shows what the optimiser chose.
    """
    nodes = {n["id"]: n for n in network.get("nodes", [])}
    if open_sites is not None:
        closed = {i for i, n in nodes.items() if n["kind"] not in ("supplier", "customer")
                  and i not in open_sites}
    else:
        closed = set()
    lons = np.array([n["lon"] for n in nodes.values()], dtype=float)
    lats = np.array([n["lat"] for n in nodes.values()], dtype=float)
    fig = new_figure(height=5.6)
    ax = fig.add_subplot()
    if not len(lons):
        ax.set_title(title)
        ax.text(0.5, 0.5, "no located sites", ha="center", transform=ax.transAxes)
        return fig
    ext = extent_of(lons, lats)
    rings = rings_in(ext)
    if rings:
        ax.add_collection(PolyCollection(rings, facecolors="#EEF0EC", edgecolors="#B9BDB5",
                                         linewidths=0.6, zorder=0))
        ax.set_facecolor("#F4F8FB")
    flows = lane_flows(network, customer_units)
    top = max(flows.values(), default=1.0) or 1.0
    segs, widths, cols = [], [], []
    for e in network.get("edges", []):
        a, b = nodes.get(e["source"]), nodes.get(e["target"])
        if a is None or b is None or e["source"] in closed or e["target"] in closed:
            continue
        segs.append([(a["lon"], a["lat"]), (b["lon"], b["lat"])])
        widths.append(0.3 + 4.2 * math.sqrt(flows.get((e["source"], e["target"]), 0.0) / top))
        cols.append("#5A6B7B" if e["kind"] == "replenishment" else "#B7C3CE")
    if segs:
        ax.add_collection(LineCollection(segs, linewidths=widths, colors=cols, alpha=0.8,
                                         zorder=1, capstyle="round"))
    customers = [n for n in nodes.values() if n["kind"] == "customer"]
    tiers = list(dict.fromkeys(str(n.get("tier") or "customer") for n in customers))
    for tier in tiers:
        pts = [n for n in customers if str(n.get("tier") or "customer") == tier]
        ax.scatter([n["lon"] for n in pts], [n["lat"] for n in pts], s=12,
                   color=colour_for(tier), edgecolors="white", linewidths=0.3, zorder=2,
                   label=f"customer: {label(tier)} ({len(pts)})")
    sites = [n for n in nodes.values() if n["kind"] != "customer"]
    for kind in dict.fromkeys(n["kind"] for n in sites):
        pts = [n for n in sites if n["kind"] == kind]
        colour = KIND_COLOURS.get(kind, "#444444")
        for hollow in (False, True):
            sub = [n for n in pts if (n["id"] in closed) == hollow]
            if not sub:
                continue
            ax.scatter([n["lon"] for n in sub], [n["lat"] for n in sub], s=70,
                       marker=KIND_MARKERS.get(kind, "o"),
                       color="white" if hollow else colour, edgecolors=colour,
                       linewidths=1.4, zorder=3,
                       label=f"{label(kind.replace('_', ' '))}{' (closed)' if hollow else ''}")
        for n in pts:
            ax.annotate(label(n["id"]), (n["lon"], n["lat"]), xytext=(5, 4),
                        textcoords="offset points", fontsize=7, zorder=4, color="#222222")
    if segs:
        ax.add_line(Line2D([], [], color="#5A6B7B", lw=2, label="replenishment lane"))
        ax.add_line(Line2D([], [], color="#B7C3CE", lw=2, label="delivery lane"))
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    mid = math.radians((ext[2] + ext[3]) / 2)
    ax.set_aspect(1.0 / max(math.cos(mid), 0.2))
    ax.grid(True, axis="both", color="#E2E6EA", linewidth=0.4)
    ax.set_xlabel("longitude (degrees east)")
    ax.set_ylabel("latitude (degrees north)")
    ax.set_title(title)
    handles, labels_ = ax.get_legend_handles_labels()
    ax.legend(handles, labels_, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if rings:
        fig.text(0.995, 0.005, "outline: Natural Earth 1:110m (public domain); lane width ~ "
                 "estimated units", ha="right", va="bottom", fontsize=6, color="#777777")
    return fig
