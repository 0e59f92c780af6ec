"""Output files: escaping, no external resources, size, figures as PNG and SVG, Markdown."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from supplylab.report import report
from supplylab.report.build import build_report
from supplylab.report.escape import csv_cell, csv_safe, md_text
from supplylab.report.folder import read_folder
from supplylab.report.maps import network_map, outline, rings_in
from supplylab.report.network import lane_flows, network_snapshot
from supplylab.report.sweep_sections import pareto_points

from .conftest import write_minimal_run

EVIL = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'


def evil_folder(tmp_path: Path) -> Path:
    by = {"tier": {EVIL: {"fill_rate": 0.9, "otif_rate": 0.8}, "$x^$": {"fill_rate": 0.7}},
          "product": {FORMULA: {"inventory_value_avg": 5.0, "on_hand_units_avg": 2.0}},
          "customer": {"@SUM(A1)": {"otif_rate": 0.5, "fill_rate": 0.6},
                       "-2+3": {"otif_rate": 0.7, "fill_rate": 0.8}}}
    folder = write_minimal_run(tmp_path / "evil", by=by,
                               kpis={"fill_rate": 0.9, "churn_rate": 0.1})
    (folder / "network.json").write_text(json.dumps({
        "name": "<img src=x onerror=alert(1)>", "description": EVIL, "currency": "EUR",
        "nodes": [{"id": EVIL, "name": FORMULA, "kind": "warehouse", "lat": 50.0, "lon": 8.0},
                  {"id": "$c$", "name": "c", "kind": "customer", "tier": "$x^$", "lat": 51.0,
                   "lon": 9.0}],
        "edges": [{"source": EVIL, "target": "$c$", "kind": "delivery"}]}))
    return folder


def test_names_are_escaped_in_html_csv_and_markdown(tmp_path):
    folder = evil_folder(tmp_path)
    html = report(folder, tmp_path / "o" / "report.html").read_text()
    assert "<script" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    cells = []
    for p in (tmp_path / "o" / "tables").glob("*.csv"):
        with p.open(newline="") as fh:
            cells += [c for row in csv.reader(fh) for c in row]
    assert any(c == "'" + FORMULA for c in cells)
    assert any(c == "'@SUM(A1)" for c in cells) and any(c == "'-2+3" for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]
    md = report(folder, tmp_path / "o" / "report.md").read_text()
    assert "<script" not in md and "&lt;script&gt;" in md


def test_csv_cell_leaves_numbers_alone():
    frame = pd.DataFrame({"name": ["=1+1", "ok", "+x", "\tcmd"], "value": [-1.5, 2.0, -3.0, 0.0]})
    out = csv_safe(frame)
    assert list(out["name"]) == ["'=1+1", "ok", "'+x", "'\tcmd"]
    assert list(out["value"]) == [-1.5, 2.0, -3.0, 0.0]
    assert csv_cell(-4) == -4
    assert md_text("a|b*c") == "a\\|b\\*c"


def test_no_external_resources_and_under_one_megabyte(run_report):
    out = run_report
    html = out.read_text()
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)
    assert refs and all(r.startswith(("data:", "#")) for r in refs), refs
    assert "url(" not in html and "@import" not in html and "<script" not in html
    assert out.stat().st_size < 1_000_000


def test_every_figure_as_png_and_svg_every_table_as_csv(run_report):
    out = run_report
    html = out.read_text()
    names = re.findall(r'<figure id="fig-([^"]+)"', html)
    tables = re.findall(r'<table id="tab-([^"]+)"', html)
    assert names and tables
    for n in names:
        png = out.parent / "figures" / f"{n}.png"
        svg = out.parent / "figures" / f"{n}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in svg.read_bytes()[:2000]
    for t in tables:
        frame = pd.read_csv(out.parent / "tables" / f"{t}.csv")
        assert len(frame) > 0


def test_markdown_links_existing_figures(compare_dir, tmp_path):
    out = report(compare_dir, tmp_path / "m" / "report.md")
    md = out.read_text()
    links = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", md)
    assert len(links) >= 4
    assert all((out.parent / link).is_file() for link in links)
    assert "## Comparison" in md and "| fill\\_rate |" in md


def test_figure_functions_return_figures(run_dir):
    rep = build_report(read_folder(run_dir))
    figs = [b.figure for s in rep.sections for b in s.blocks if b.kind == "figure"]
    assert figs and all(isinstance(f, Figure) for f in figs)


def test_outline_is_natural_earth_and_finds_germany():
    doc = outline()
    assert "Natural Earth" in doc["source"] and "public domain" in doc["licence"]
    assert len(rings_in((6.0, 15.0, 47.5, 55.0))) >= 5
    assert rings_in((-140.0, -135.0, -10.0, -5.0)) == []  # open Pacific: a plain frame


def test_map_in_open_sea_is_a_plain_frame():
    net = {"nodes": [{"id": "A", "kind": "warehouse", "lat": -8.0, "lon": -138.0},
                     {"id": "B", "kind": "customer", "tier": "gold", "lat": -7.0,
                      "lon": -137.0}],
           "edges": [{"source": "A", "target": "B", "kind": "delivery"}]}
    sea = network_map(net)
    assert not any(isinstance(c, PolyCollection) for c in sea.axes[0].collections)
    net["nodes"][0].update(lat=50.0, lon=8.0)
    net["nodes"][1].update(lat=52.0, lon=10.0)
    land = network_map(net)
    assert any(isinstance(c, PolyCollection) for c in land.axes[0].collections)


def test_lane_flows_conserve_customer_demand(run_dir):
    """Every customer's demand reaches the suppliers: flows out of suppliers and direct
    deliveries add up to total customer demand (flow conservation at every site)."""
    folder = read_folder(run_dir)
    s = folder.run.summary("customer")
    units = s[s["kpi"] == "demand_units"].set_index("key")["mean"]
    flows = lane_flows(folder.network, units)
    kinds = {n["id"]: n["kind"] for n in folder.network["nodes"]}
    into_customers = sum(v for (a, b), v in flows.items() if kinds[b] == "customer")
    assert into_customers == pytest.approx(float(units.sum()), rel=1e-9)
    for site, kind in kinds.items():
        if kind in ("customer", "supplier"):
            continue
        inflow = sum(v for (a, b), v in flows.items() if b == site)
        outflow = sum(v for (a, b), v in flows.items() if a == site)
        assert inflow == pytest.approx(outflow, rel=1e-9), site
    out_of_suppliers = sum(v for (a, b), v in flows.items() if kinds[a] == "supplier")
    assert out_of_suppliers == pytest.approx(float(units.sum()), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=25))
def test_pareto_points_are_exactly_the_undominated(points):
    cost = np.array([p[0] for p in points], dtype=float)
    service = np.array([p[1] for p in points], dtype=float)
    got = set(pareto_points(cost, service).tolist())
    for i in range(len(points)):
        dominated = any((cost[j] <= cost[i] and service[j] >= service[i])
                        and (cost[j] < cost[i] or service[j] > service[i])
                        for j in range(len(points)))
        if dominated:
            assert i not in got
    # one representative of every undominated (cost, service) pair
    undominated = {(cost[i], service[i]) for i in range(len(points))
                   if not any((cost[j] <= cost[i] and service[j] >= service[i])
                              and (cost[j] < cost[i] or service[j] > service[i])
                              for j in range(len(points)))}
    assert {(cost[i], service[i]) for i in got} == undominated


def test_snapshot_has_the_lanes_of_the_scenario_graph(quickstart):
    snap = network_snapshot(quickstart)
    graph = quickstart.graph()
    assert {(e["source"], e["target"], e["kind"]) for e in snap["edges"]} == {
        (a, b, d["kind"]) for a, b, d in graph.edges(data=True)}
    assert {n["id"] for n in snap["nodes"]} == set(graph.nodes)
    tiers = {n["id"]: n["tier"] for n in snap["nodes"] if n["kind"] == "customer"}
    assert tiers == {c.id: c.tier for c in quickstart.network.customers}
