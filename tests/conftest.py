"""Shared test helpers: where the shared benchmark data is, and replication statistics."""

from __future__ import annotations

import math
import signal
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]

# A shell without job control starts a background job (`.ci/run &`, nohup) with SIGINT
# ignored, and an ignored signal stays ignored in every child: the sweeps that the Ctrl-C tests
# start would then never see their SIGINT and run to the end. With Python's own handler here,
# each child starts with the default disposition, as under a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test when the shared folder is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not found: {p}")
    return p


def inventory_case(case_id: str) -> dict:
    """One named case of ../shared/benchmarks/inventory/cases.yaml (textbook instances)."""
    data = yaml.safe_load(shared_path("benchmarks", "inventory", "cases.yaml").read_text())
    for case in data["cases"]:
        if case["id"] == case_id:
            return case
    raise KeyError(case_id)


def interval(values: list[float], level: float = 0.99) -> tuple[float, float]:
    """(mean, half-width) of the Student-t interval over replications."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    hw = stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)
    return float(x.mean()), float(hw)


def assert_covers(values: list[float], expected: float, level: float = 0.99,
                  floor: float = 0.0) -> None:
    """The analytic value lies in the replications' t-interval (fixed seeds: deterministic)."""
    mean, hw = interval(values, level)
    assert abs(mean - expected) <= max(hw, floor), (
        f"simulated {mean:.5f} +- {hw:.5f} does not cover the analytic {expected:.5f}")
