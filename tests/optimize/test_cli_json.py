"""``--json`` is pure JSON on stdout, read from a real subprocess (the HiGHS banner is printed by
C code on file descriptor 1, which in-process capture cannot see)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "supplylab", "optimize", "network", *args],
                          capture_output=True, text=True, timeout=120)


def test_json_stdout_feasible(facility_dir: Path) -> None:
    res = _run("--orlib", str(facility_dir / "orlib" / "cap41.txt"), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)  # fails on any banner line before or after the document
    assert doc["status"] == "optimal"
    assert abs(doc["objective"] - 1040444.375) < 1e-3


def test_json_stdout_infeasible(facility_dir: Path) -> None:
    res = _run("--orlib", str(facility_dir / "orlib" / "cap41.txt"), "--single-source", "--json")
    assert res.returncode == 3
    doc = json.loads(res.stdout)
    assert doc["status"] == "infeasible"
    assert doc["families"] == ["capacity"]
    assert "capacity" in res.stderr


def test_optimize_network_loads_neither_scipy_stats_nor_the_experiments_layer(
        facility_dir: Path) -> None:
    code = f"""
import contextlib, io, sys
import supplylab.cli as cli
light = 'pulp' not in sys.modules and 'highspy' not in sys.modules
with contextlib.redirect_stdout(io.StringIO()):
    rc = cli.main(['optimize', 'network', '--orlib', {str(facility_dir / 'orlib' / 'cap41.txt')!r},
                   '--json'])
heavy = sorted(m for m in sys.modules if m == 'scipy.stats' or m.startswith(
    ('supplylab.experiments.', 'supplylab.sim')) and m not in (
    'supplylab.experiments.commands', 'supplylab.experiments._io'))
print(rc, light, heavy)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.stdout.strip() == "0 True []", res.stdout + res.stderr


def test_method_flag_reported_with_bound_and_proof(facility_dir: Path) -> None:
    """``--method lagrangian`` runs the pipeline (cap64: 16 x 50) and the document says so, with
    a lower bound at most the objective; ``--method mip`` reports the plain MIP."""
    cap64 = str(facility_dir / "orlib" / "cap64.txt")
    for method in ("lagrangian", "mip"):
        res = _run("--orlib", cap64, "--method", method, "--json")
        assert res.returncode == 0, res.stderr
        doc = json.loads(res.stdout)
        assert doc["method"] == method
        assert doc["proven"] is True and doc["status"] == "optimal"
        assert abs(doc["objective"] - 1045650.25) < 1e-2
        assert doc["best_bound"] <= doc["objective"] + 1e-6
    table = _run("--orlib", cap64, "--method", "lagrangian")
    assert table.returncode == 0 and "lagrangian" in table.stdout and "proven" in table.stdout
    bad = _run("--orlib", cap64, "--method", "benders")
    assert bad.returncode == 2 and "--method" in bad.stderr
