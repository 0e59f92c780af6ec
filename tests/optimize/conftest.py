"""Fixtures of the network-design tests: where the shared benchmark data lives."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
FACILITY = SHARED / "benchmarks" / "facility"


@pytest.fixture(scope="session")
def facility_dir() -> Path:
    """The facility-location benchmark folder; skip when the shared data is absent."""
    if not (FACILITY / "optima.csv").is_file():
        pytest.skip(f"shared benchmark data not found at {FACILITY}")
    return FACILITY


@pytest.fixture(scope="session")
def optima(facility_dir: Path) -> dict[tuple[str, str], str]:
    """(instance, problem kind) -> published optimal value (or 'infeasible').

    Kinds: 'ms' (multi-source CFLP), 'ss' (single-source CFLP), 'ufl' (UFLP).
    """
    out: dict[tuple[str, str], str] = {}
    with open(facility_dir / "optima.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            prob = row["problem"]
            kind = "ms" if "multi-source" in prob else "ss" if "single-source" in prob else "ufl"
            out[(row["instance"], kind)] = row["optimal_value"]
    return out
