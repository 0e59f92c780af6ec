"""Schema errors and cross-reference errors of one file are reported together."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplylab.errors import ScenarioError
from supplylab.scenario import load

BAD = """\
name: bad
products:
  - {id: A, price: 10, importanse: 2}
  - {id: B, price: -1}
  - {id: D}
suppliers:
  - id: S
    location: {lat: 0, lon: 0}
    products: [A, C, D]
  - id: T
    products: [D]
facilities:
  - id: W
    location: {lat: 1, lon: 1}
    replenish_from: SS
    inventory:
      default: {policy: sS, s: 100, S: 50}
customers:
  - {id: C1, tier: gld, location: {lat: 1.1, lon: 1}, orders_per_day: 2,
     product_mix: {A: 1, B: 1}}
"""


def test_schema_and_reference_errors_together(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(BAD)
    with pytest.raises(ScenarioError) as info:
        load(f)
    got = {(i.line, i.path): i.message for i in info.value.issues}
    assert "did you mean 'importance'" in got[(3, "products.A.importanse")]
    assert "greater than or equal to 0" in got[(4, "products.B.price")]
    assert got[(9, "suppliers.S.products.1")] == "unknown product 'C'"
    assert got[(10, "suppliers.T.location")] == "required field 'location' is missing"
    assert "did you mean 'S'" in got[(15, "facilities.W.replenish_from")]
    assert "below s" in got[(17, "facilities.W.inventory.default.S")]
    assert got[(19, "customers.C1.tier")] == "unknown tier 'gld'"
    # supplier T was set aside (schema error): no spurious reports that depend on it
    assert len(got) == 7, got
