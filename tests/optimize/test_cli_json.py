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
