"""Demand a substitute receives while its primary's supply is short (``substitution``).

P's supplier makes 6 units/day against 10/day of demand, so 4/day of P's demand goes unserved;
the customers who meet P's empty shelf take Q with probability ``acceptance``. Hand-computed
(module docstring): with nobody waiting, N = 4/day meet the empty shelf and 0.5 x 4 = 2/day move
to Q; with everyone waiting, N = 4 / (1 - 0.5) = 8 and 4/day move; with acceptance 0.2,
N = 4 / 0.2 = 20, capped at D = 10, so 2/day. The engine substitutes at the same rates.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import supplylab
from supplylab.optimize.inventory.demand_stats import site_flows

TEXT = """name: spill
simulation: {{horizon_days: {days}, warmup_days: 50, replications: 1, seed: 5}}
tiers: {{standard: {{target_fill_rate: 0.95}}}}
products:
  - {{id: P, price: 20, unit_cost: 10, importance: {importance},
     substitutes: [{{product: Q, acceptance: {acceptance}}}]}}
  - {{id: Q, price: 25, unit_cost: 12, importance: 1}}
suppliers:
  - {{id: SP, location: {{lat: 50, lon: 8}}, products: [P], lead_time: 1, capacity_per_day: 6}}
  - {{id: SQ, location: {{lat: 50, lon: 8}}, products: [Q], lead_time: 1}}
facilities:
  - id: WH
    location: {{lat: 50, lon: 8}}
    inventory: {{P: {{policy: base_stock, level: 100}}, {q_policy}}}
customers:
  - {{id: C, tier: standard, location: {{lat: 50, lon: 8}}, served_by: WH, orders_per_day: 20,
     product_mix: {{P: 1, Q: 1}}}}
lanes:
  - {{from: SP, to: WH, transit_time: 0}}
  - {{from: SQ, to: WH, transit_time: 0}}
"""
Q_STOCKED = "Q: {policy: base_stock, level: 300}"


def _scenario(tmp_path: Path, importance: int, acceptance: float, days: int = 1000,
              q_policy: str = Q_STOCKED) -> Path:
    path = tmp_path / f"spill_{importance}_{acceptance}.yaml"
    path.write_text(TEXT.format(days=days, importance=importance, acceptance=acceptance,
                                q_policy=q_policy))
    return path


CASES = [(1, 0.5, 2.0), (3, 0.5, 4.0), (3, 0.2, 2.0)]


@pytest.mark.parametrize("importance, acceptance, spill", CASES)
def test_the_spill_is_the_hand_computed_one(tmp_path: Path, importance: int,
                                            acceptance: float, spill: float) -> None:
    """Q's flow is its own Poisson(10) lines of one unit plus the spill, a thinning of P's
    stream (mean = variance = lines = 10 + spill); P's own flow is unchanged."""
    sc = supplylab.load(_scenario(tmp_path, importance, acceptance))
    flows = site_flows(sc)
    q = flows[("WH", "Q")]
    assert q.spill_in == {"P": pytest.approx(spill)}
    assert (q.mean, q.var, q.lines_per_day) == pytest.approx((10 + spill,) * 3)
    assert q.direct_by_tier == {"standard": pytest.approx(10 + spill)}
    assert flows[("WH", "P")].mean == pytest.approx(10.0)
    assert flows[("WH", "P")].spill_in == {}


@pytest.mark.parametrize("importance, acceptance, spill", CASES)
def test_the_engine_substitutes_at_the_planned_rate(tmp_path: Path, importance: int,
                                                    acceptance: float, spill: float) -> None:
    """950 measured days: the simulated substituted units of P per day are within 10% of
    the planned spill (they were within 5% for seed 5; a spill that ignored the waiting
    customers would be 2/day instead of 4 in the second case)."""
    sc = supplylab.load(_scenario(tmp_path, importance, acceptance))
    k = supplylab.simulate(sc, replications=1, seed=5).kpis
    row = k[(k.dimension == "product") & (k.key == "P") & (k.kpi == "substituted_units")]
    assert row.value.iloc[0] / 950 == pytest.approx(spill, rel=0.10)


def test_no_spill_without_a_shortfall_or_where_the_substitute_is_not_stocked(
        tmp_path: Path) -> None:
    enough = _scenario(tmp_path, 1, 0.5).read_text().replace("capacity_per_day: 6",
                                                             "capacity_per_day: 12")
    path = tmp_path / "enough.yaml"
    path.write_text(enough)
    assert site_flows(supplylab.load(path))[("WH", "Q")].spill_in == {}
    # Q stocked elsewhere only: the engine substitutes at the same site, so nothing moves
    text = _scenario(tmp_path, 1, 0.5, q_policy="default: null").read_text().replace(
        "  - id: WH\n", "  - id: WH2\n    location: {lat: 51, lon: 8}\n"
        "    inventory: {Q: {policy: base_stock, level: 300}}\n  - id: WH\n").replace(
        "product_mix: {P: 1, Q: 1}", "product_mix: {P: 1}")
    path = tmp_path / "elsewhere.yaml"
    path.write_text(text)
    flows = site_flows(supplylab.load(path))
    assert ("WH", "Q") not in flows
    assert flows[("WH2", "Q")].mean == 0.0


def test_the_spill_is_pooled_up_the_substitutes_chain(tmp_path: Path) -> None:
    """WH is replenished by a central DC for Q: the central DC sees WH's Q demand including
    the spill (pooled), but ships none of it to customers itself."""
    text = _scenario(tmp_path, 1, 0.5).read_text()
    text = text.replace("    inventory: {P: {policy: base_stock, level: 100}, ",
                        "    replenish_from: {P: SP, Q: CDC}\n"
                        "    inventory: {P: {policy: base_stock, level: 100}, ")
    text = text.replace("customers:", "  - id: CDC\n    location: {lat: 50.5, lon: 8}\n"
                        "    inventory: {Q: {policy: base_stock, level: 300}}\ncustomers:")
    path = tmp_path / "chain.yaml"
    path.write_text(text)
    flows = site_flows(supplylab.load(path))
    assert flows[("WH", "Q")].mean == pytest.approx(12.0)
    assert flows[("CDC", "Q")].mean == pytest.approx(12.0)
    assert flows[("CDC", "Q")].direct == 0.0
    assert flows[("CDC", "Q")].spill_in == {}


def test_the_plan_names_the_spill_in_the_terminal_json_and_the_written_scenario(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from supplylab.cli import main

    path = _scenario(tmp_path, 1, 0.5)
    out = tmp_path / "out.yaml"
    assert main(["optimize", "inventory", str(path), "-o", str(out)]) == 0
    line = "Q at WH +2 units/day from customers of P meeting its empty shelf (short supply)"
    assert f"planned for substitution: {line}" in capsys.readouterr().out
    assert f"# Planned for substitution: {line}." in out.read_text()
    assert main(["optimize", "inventory", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["substitution_spill"] == [{"site": "WH", "product": "Q", "from": "P",
                                          "units_per_day": pytest.approx(2.0)}]
    (q_row,) = [r for r in doc["table"] if r["product"] == "Q"]
    assert q_row["demand_per_day"] == pytest.approx(12.0)
