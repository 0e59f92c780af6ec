"""``--report`` on run, compare and sweep, through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from supplylab.cli import main

from .conftest import QUICKSTART, ROOT


def test_run_report_keeps_json_pure(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "supplylab", "run", str(QUICKSTART), "--days",
                           "35", "--replications", "1", "--workers", "1", "--out", str(out),
                           "--report", "--json"], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["scenario"] == "Regional 3PL network"
    assert "report written to" in proc.stderr
    html = (out / "report.html").read_text()
    assert '<section id="network"' in html
    assert (out / "network.json").is_file() and (out / "figures" / "network_map.svg").is_file()


def test_report_option_needs_out():
    assert main(["run", str(QUICKSTART), "--report"]) == 2
    assert main(["compare", str(QUICKSTART), str(QUICKSTART), "--report"]) == 2


def test_compare_and_sweep_report(tmp_path: Path):
    cmp_out = tmp_path / "cmp"
    assert main(["compare", str(QUICKSTART), str(QUICKSTART), "--days", "35",
                 "--replications", "1", "--workers", "1", "--out", str(cmp_out),
                 "--report"]) == 0
    html = (cmp_out / "report.html").read_text()
    assert '<section id="comparison"' in html and '<section id="network"' in html
    exp = tmp_path / "exp.yaml"
    exp.write_text(f"name: tiny\nscenario: {QUICKSTART}\ndesign: list\nparameters:\n"
                   "  costs.holding_rate_per_year: [0.2, 0.3]\nreplications: 1\nseed: 3\n"
                   "days: 35\nkpis: [fill_rate, total_cost]\n")
    sw_out = tmp_path / "sw"
    assert main(["sweep", str(exp), "--out", str(sw_out), "--workers", "1", "--report"]) == 0
    html = (sw_out / "report.html").read_text()
    assert '<section id="sweep"' in html and '<figure id="fig-sweep_frontier"' in html


def test_command_line_starts_without_matplotlib():
    code = ("import sys, supplylab.cli; "
            "sys.exit(int(any(m in sys.modules for m in ('matplotlib', 'jinja2'))))")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
