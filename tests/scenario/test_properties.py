"""Property tests: any small mutation of a valid scenario validates or raises ScenarioError.

Never another exception: a planner's typo must not surface as a Python traceback. Mutations:
delete a key, change a value's type, make a number negative, rename an id, drop a list item.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplylab.errors import ScenarioError
from supplylab.scenario import apply_overrides, loads
from supplylab.scenario.yaml_io import dump_yaml

from .conftest import BASE

EXAMPLES = Path(__file__).resolve().parents[2] / "scenarios"
RICH = BASE + """\
customer_groups:
  - id_prefix: G-
    count: 4
    tier_mix: {gold: 0.25, silver: 0.75}
    region: {center: {lat: 51.0, lon: 9.0}, radius_km: 100}
    size: {dist: lognormal, mean: 1, sd: 0.3}
    demand: {P1: {dist: poisson, mean: 2}, P2: {dist: negbin, mean: 2, sd: 2}}
lanes:
  - {from: SUP, to: DC, mode: rail, transit_time: {dist: triangular, low: 1, mode: 2, high: 4}}
promotions:
  - {id: PR, product: P1, start_day: 20, end_day: 30, discount: 0.1, lift: 1.5,
     cross_effects: {P2: -0.3}, targets: [gold]}
disruptions:
  - {id: D1, target: SUP, start_day: 40, duration_days: 5, effect: {capacity: 0.5}}
  - {id: D2, target: DC, mean_time_between_days: 30, duration: {dist: exponential, mean: 1}}
information_sharing: {pos_to_suppliers: true}
allocation: {rule: priority, protect_days: 1}
"""
BASES = {
    "base": yaml.safe_load(BASE),
    "rich": yaml.safe_load(RICH),
    "monitor_shortage": yaml.safe_load((EXAMPLES / "monitor_shortage.yaml").read_text()),
}
OTHER_VALUES = [None, True, "text", "", -1, 0, -2.5, 1e12, [], {}, [1, "a"], {"x": 1},
                {"dist": "poisson", "mean": 1}]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for p in path[:-1]:
        data = data[p]
    return data


def mutate(data: dict[str, Any], path: tuple[Any, ...], kind: str, other: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with one mutation at ``path``."""
    out = copy.deepcopy(data)
    parent = _parent(out, path)
    key = path[-1]
    value = parent[key]
    if kind == "delete":
        del parent[key]  # a mapping key or a list item
    elif kind == "retype":
        parent[key] = other
    elif kind == "negative":
        parent[key] = -abs(value) - 1 if isinstance(value, int | float) else other
    elif kind == "rename":
        if isinstance(value, str):
            parent[key] = value + "X"
        elif isinstance(parent, dict):
            parent[str(key) + "x"] = parent.pop(key)
    elif kind == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(value))
    return out


def _check(text: str) -> None:
    try:
        sc = loads(text, "mutated.yaml")
    except ScenarioError as exc:
        assert exc.issues and all(i.message for i in exc.issues)
        return
    sc.network.customers  # noqa: B018 - expanding groups must not fail either
    sc.graph()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(data=st.data())
@pytest.mark.parametrize("name", list(BASES))
def test_mutations_validate_or_raise_scenario_error(name: str, data: st.DataObject) -> None:
    base = BASES[name]
    paths = _paths(base)
    path = data.draw(st.sampled_from(paths), label="path")
    kind = data.draw(st.sampled_from(["delete", "retype", "negative", "rename", "duplicate"]),
                     label="kind")
    other = data.draw(st.sampled_from(OTHER_VALUES), label="other")
    _check(dump_yaml(mutate(base, path, kind, other)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(data=st.data())
def test_random_overrides_validate_or_raise_scenario_error(data: st.DataObject) -> None:
    base = BASES["rich"]
    path = data.draw(st.sampled_from(_paths(base)), label="path")
    dotted = ".".join(f"[{p}]" if isinstance(p, str) and "." in p else str(p) for p in path)
    value = data.draw(st.sampled_from(OTHER_VALUES + [0.5, 3, "P1"]), label="value")
    try:
        new = apply_overrides(base, {dotted: value})
    except KeyError:
        return
    _check(dump_yaml(new))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab:- [{}]&*!|>#'\"\n\t0.,")), max_size=60))
def test_random_text_never_crashes(text: str) -> None:
    _check(text)
