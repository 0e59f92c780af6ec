"""Helpers of the scenario-language tests: a small valid scenario and issue lookup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from supplylab.errors import Issue, ScenarioError
from supplylab.scenario import Scenario, load

#: A small valid scenario: two tiers, two products, one supplier, a DC replenishing a
#: warehouse (two echelons) and one customer. Tests mutate it by text replacement.
BASE = """\
name: test scenario
simulation: {horizon_days: 100, warmup_days: 10, replications: 2, seed: 1}
tiers:
  gold: {priority: 1}
  silver: {priority: 2}
products:
  - id: P1
    price: 10
    unit_cost: 5
  - id: P2
    price: 20
    unit_cost: 8
suppliers:
  - id: SUP
    location: {lat: 50.0, lon: 8.0}
    products: [P1, P2]
    lead_time: 2
    reliability: 0.9
facilities:
  - id: DC
    location: {lat: 50.1, lon: 8.7}
    replenish_from: SUP
    inventory:
      default: {policy: sS, s: 10, S: 40}
  - id: WH
    location: {lat: 52.5, lon: 13.4}
    replenish_from: DC
    inventory:
      default: {policy: sS, s: 5, S: 20}
customers:
  - id: C1
    tier: gold
    location: {lat: 50.2, lon: 8.6}
    orders_per_day: 1
    product_mix: {P1: 1, P2: 1}
"""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` occurrence of ``needle`` in ``text``."""
    pos = -1
    for _ in range(nth):
        pos = text.index(needle, pos + 1)
    return text.count("\n", 0, pos) + 1


def mutate(old: str, new: str, text: str = BASE) -> str:
    """``text`` with ``old`` replaced by ``new`` exactly once (fails loudly if absent)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write YAML text into ``tmp_path`` and return the file."""

    def _write(text: str, name: str = "scenario.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return _write


@pytest.fixture
def issues(write: Callable[..., Path]) -> Callable[[str], list[Issue]]:
    """The issues of loading ``text`` from a file (fails if it loads)."""

    def _issues(text: str) -> list[Issue]:
        p = write(text)
        with pytest.raises(ScenarioError) as exc:
            load(p)
        assert exc.value.exit_code == 2
        for i in exc.value.issues:
            assert i.file == str(p)
        return exc.value.issues

    return _issues


@pytest.fixture
def base(write: Callable[..., Path]) -> Scenario:
    return load(write(BASE))


def only(found: list[Issue]) -> Issue:
    """The single issue of a list (fails with the whole list otherwise)."""
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]
