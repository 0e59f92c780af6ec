"""Fixtures of the inventory tests: the published cases and the Willems chains."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SHARED = (Path(__file__).resolve().parents[3] / ".." / "shared").resolve()
INVENTORY = SHARED / "benchmarks" / "inventory"


@pytest.fixture(scope="session")
def cases() -> dict[str, dict]:
    """The cases of ``cases.yaml`` by id; skip when the shared data is absent."""
    path = INVENTORY / "cases.yaml"
    if not path.is_file():
        pytest.skip(f"shared benchmark data not found at {path}")
    data = yaml.safe_load(path.read_text())
    return {c["id"]: c for c in data["cases"]}


@pytest.fixture(scope="session")
def willems_dir() -> Path:
    path = INVENTORY / "willems2008"
    if not (path / "README.md").is_file():
        pytest.skip(f"Willems chains not found at {path}")
    return path
