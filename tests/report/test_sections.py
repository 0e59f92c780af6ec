"""Each section appears exactly for the folders that hold its data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from supplylab.cli import main
from supplylab.errors import InputError
from supplylab.report import report
from supplylab.report.build import build_report
from supplylab.report.folder import read_folder
from supplylab.report.network import network_snapshot

from .conftest import synthetic_sweep, write_minimal_run


def section_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)" class="report-section">', html)


def figures(html: str) -> list[str]:
    return re.findall(r'<figure id="fig-([^"]+)"', html)


def render(folder: Path, tmp_path: Path, **kw) -> str:
    out = report(folder, tmp_path / "out" / "report.html", **kw)
    return out.read_text(encoding="utf-8")


def test_run_folder_has_every_run_section_once(run_report):
    html = run_report.read_text(encoding="utf-8")
    assert section_ids(html) == ["summary", "network", "service", "inventory", "money",
                                 "customers"]
    figs = figures(html)
    for name in ("network_map", "service_by_tier", "service_by_site", "contracts",
                 "cycle_time", "inventory_over_time", "inventory_abc", "cost_breakdown",
                 "money", "customers_by_tier"):
        assert figs.count(name) == 1, name
    assert "units conserved" in html


def test_scenario_option_supplies_the_map(tmp_path, quickstart):
    folder = write_minimal_run(tmp_path / "bare")
    assert "network" not in section_ids(render(folder, tmp_path))
    html = render(folder, tmp_path, scenario=quickstart.source)
    assert section_ids(html) == ["summary", "network", "service"]


def test_minimal_run_has_only_what_it_holds(tmp_path):
    folder = write_minimal_run(tmp_path / "min", by={"tier": {"gold": {"fill_rate": 0.95}}},
                               kpis={"fill_rate": 0.9, "otif_rate": 0.8})
    html = render(folder, tmp_path)
    assert section_ids(html) == ["summary", "service"]
    assert figures(html) == ["service_by_tier"]


def test_money_only_run(tmp_path):
    folder = write_minimal_run(tmp_path / "m", kpis={"total_cost": 10.0, "holding_cost": 4.0,
                                                     "transport_cost": 6.0, "profit": 2.0})
    html = render(folder, tmp_path)
    assert section_ids(html) == ["summary", "money"]


def test_comparison_sections(compare_dir, tmp_path):
    html = render(compare_dir, tmp_path)
    assert section_ids(html) == ["summary", "network", "comparison", "service", "money"]
    assert figures(html).count("forest") == 1
    assert "Higher DC reorder point" in html
    for sec in ("inventory", "customers", "sweep"):
        assert sec not in section_ids(html)


def test_sweep_sections(sweep_dir, tmp_path):
    html = render(sweep_dir, tmp_path)
    assert section_ids(html) == ["summary", "sweep"]
    figs = figures(html)
    assert figs.count("sweep_kpis_1") == 1 and figs.count("sweep_kpis_2") == 1
    assert figs.count("sweep_heatmap") == 1
    assert figs.count("sweep_frontier") == 1


def test_one_parameter_sweep_has_no_heat_map(tmp_path):
    folder = synthetic_sweep(tmp_path / "one", {"stock.level": [90.0, 110.0, 130.0]})
    figs = figures(render(folder, tmp_path))
    assert "sweep_heatmap" not in figs
    assert "sweep_kpis_1" in figs and "sweep_kpis_2" not in figs


def test_frontier_needs_service_and_cost(tmp_path):
    folder = synthetic_sweep(tmp_path / "nocost", {"stock.level": [90.0, 110.0]})
    summary = folder / "summary.csv"
    lines = [ln for ln in summary.read_text().splitlines() if ",total_cost," not in ln]
    summary.write_text("\n".join(lines) + "\n")
    (folder / "experiment.json").write_text(
        json.dumps({**json.loads((folder / "experiment.json").read_text()), "kpis": None}))
    assert "sweep_frontier" not in figures(render(folder, tmp_path))


def test_network_design_document_adds_before_and_after(tmp_path, quickstart):
    folder = write_minimal_run(tmp_path / "nd", network=network_snapshot(quickstart))
    (folder / "network_design.json").write_text(json.dumps(
        {"objective": 1.0, "status": "optimal", "gap": 0.0,
         "open_facilities": ["DC-KS", "WH-MUC", "XD-FRA"]}))
    html = render(folder, tmp_path)
    assert section_ids(html) == ["summary", "network", "service", "optimisation"]
    assert {"network_design_before", "network_design_after"} <= set(figures(html))


def test_frontier_and_calendar_documents(tmp_path):
    folder = write_minimal_run(tmp_path / "opt")
    (folder / "inventory_opt.json").write_text(json.dumps(
        {"frontier": [{"holding_cost": 1.0, "fill_rate": 0.9},
                      {"holding_cost": 2.0, "fill_rate": 0.95}]}))
    (folder / "steering.json").write_text(json.dumps(
        {"calendar": [{"product": "MON-27", "start_day": 10, "end_day": 24}]}))
    ids = section_ids(render(folder, tmp_path))
    assert ids == ["summary", "service", "optimisation", "optimisation-2"]


def test_not_a_results_folder_is_input_error(tmp_path):
    with pytest.raises(InputError):
        read_folder(tmp_path)
    assert main(["report", str(tmp_path)]) == 2
    assert main(["report", str(tmp_path / "missing")]) == 2


def test_broken_json_is_input_error(tmp_path):
    (tmp_path / "results.json").write_text("{not json")
    assert main(["report", str(tmp_path)]) == 2


def test_report_command_writes_default_output(tmp_path):
    folder = write_minimal_run(tmp_path / "cmd")
    assert main(["report", str(folder)]) == 0
    assert (folder / "report.html").is_file()
    assert main(["report", str(folder), "-o", str(tmp_path / "r.pdf")]) == 2


def test_audit_failure_is_shown(tmp_path):
    folder = write_minimal_run(tmp_path / "bad")
    doc = json.loads((folder / "results.json").read_text())
    doc["audit"]["units_conserved"] = False
    (folder / "results.json").write_text(json.dumps(doc))
    rep = build_report(read_folder(folder))
    assert rep.audit_ok is False
    assert "units NOT conserved" in render(folder, tmp_path)


def test_periods_only_in_the_tidy_rows_still_plot(tmp_path):
    """An older folder: week rows in timeseries.csv only, not in results.json."""
    folder = write_minimal_run(tmp_path / "weeks", kpis={"on_hand_units_avg": 5.0})
    rows = ["replication,dimension,key,kpi,value"]
    rows += [f"{r},week,{w},on_hand_units_avg,{10 + w + r}" for r in range(3) for w in range(6)]
    (folder / "timeseries.csv").write_text("\n".join(rows) + "\n")
    html = render(folder, tmp_path)
    assert section_ids(html) == ["summary", "inventory"]
    assert figures(html) == ["inventory_over_time"]


def test_early_warning_document_is_the_at_risk_list(tmp_path):
    folder = write_minimal_run(tmp_path / "warn")
    (folder / "early_warning.json").write_text(json.dumps(
        {"at_risk": [{"customer": "RET-07", "p_alive": 0.2, "value_at_risk": 900.0}]}))
    html = render(folder, tmp_path)
    assert section_ids(html) == ["summary", "service", "customers"]
    assert "RET-07" in html and (tmp_path / "out" / "tables" / "at_risk.csv").is_file()


def test_sweep_without_finished_runs_says_so(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "experiment.json").write_text(json.dumps(
        {"name": "e", "design": "grid", "parameters": {"stock.level": [1, 2]},
         "points": [{"stock.level": 1}, {"stock.level": 2}]}))
    (folder / "summary.csv").write_text("point,stock.level,kpi,mean,ci_low,ci_high,half_width,n\n")
    html = render(folder, tmp_path)
    assert section_ids(html) == ["summary", "sweep"] and figures(html) == []
    assert "No finished runs" in html


def test_sweep_over_whole_policies(tmp_path):
    """A parameter whose values are mappings (a whole policy) is shown by its JSON text."""
    folder = synthetic_sweep(tmp_path / "pol", {"stock.level": [90.0, 130.0]})
    exp = json.loads((folder / "experiment.json").read_text())
    exp["points"] = [{"stock.level": {"policy": "sS", "s": v}} for v in (90, 130)]
    (folder / "experiment.json").write_text(json.dumps(exp))
    html = render(folder, tmp_path)
    assert "sweep_kpis_1" in figures(html)


def test_inventory_frontier_is_one_line_per_tier(tmp_path):
    folder = write_minimal_run(tmp_path / "inv")
    rows = [{"point": f"targets {d:+.2f}", "holding_cost_per_year": 1000.0 * (i + 1),
             "profit_per_year": 5.0, "target_gold": 0.9 + d, "achieved_gold": 0.91 + d,
             "achieved_silver": 0.85 + d} for i, d in enumerate((-0.02, 0.0, 0.02))]
    (folder / "inventory.json").write_text(json.dumps({"frontier": rows}))
    rep = build_report(read_folder(folder))
    sec = next(s for s in rep.sections if s.id == "optimisation")
    fig = next(b.figure for b in sec.blocks if b.kind == "figure")
    lines = fig.axes[0].get_lines()
    assert sorted(ln.get_label() for ln in lines) == ["gold", "silver"]
    assert list(lines[0].get_xdata()) == [1000.0, 2000.0, 3000.0]
