"""The customer analytics of a run: contracts, lifetime value, the early warning, the exports."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from supplylab.customers import roc_auc
from supplylab.customers.analytics import CustomerAnalytics
from supplylab.customers.comparison import value_differences
from supplylab.customers.contracts import Term, contract_terms, judge_contracts
from supplylab.customers.early_warning import score
from supplylab.customers.history import CustomerSummary, average_ranks
from supplylab.customers.lifetime import customer_values, discounted_lifetime
from supplylab.sim.result import CustomerStates

from .test_models import _draw_bgnbd

STARVED = """
name: starved
simulation: {horizon_days: 200, warmup_days: 20, replications: 1, seed: 3}
tiers:
  key: {priority: 1, target_fill_rate: 0.98, target_otif_rate: 0.95,
        promised_lead_time_days: 1, patience_days: 5, churn: {per_failure: 0.05}}
  std: {priority: 2, target_fill_rate: 0.9, promised_lead_time_days: 2, patience_days: 2,
        churn: {per_failure: 0.05}}
products:
  - {id: P1, price: 100, unit_cost: 60}
suppliers:
  - {id: S1, location: {lat: 50, lon: 5}, products: [P1], capacity_per_day: 20,
     lead_time: {dist: gamma, mean: 4, sd: 1}}
facilities:
  - id: DC
    location: {lat: 51, lon: 6}
    inventory: {default: {policy: base_stock, level: 120}}
customer_groups:
  - id_prefix: "=C"
    count: 40
    tier_mix: {key: 0.3, std: 0.7}
    region: {center: {lat: 51, lon: 6.5}, radius_km: 100}
    orders_per_day: 0.25
    quantity: {dist: poisson, mean: 2.5}
    product_mix: {P1: 1}
"""


@dataclass
class Tier:
    target_fill_rate: float = 0.95
    target_otif_rate: float | None = None
    promised_lead_time_days: float | None = None


@dataclass
class Rep:
    """The parts of a ReplicationResult the analytics read."""

    replication: int
    by: dict
    customers: CustomerStates | None = None
    history: CustomerSummary | None = None
    kpis: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def starved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("starved") / "starved.yaml"
    path.write_text(STARVED, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def starved_run(starved: Path):
    import supplylab as sl

    return sl.simulate(starved, replications=2)


# ---------------------------------------------------------------- ROC AUC and ranks
def test_auc_on_a_constructed_case_equals_the_hand_value():
    # pairs (churner, stayer): (0.35 vs 0.1) win, (0.35 vs 0.4) loss, (0.8 vs both) wins: 3/4
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    # a tie counts one half: (0.5 vs 0.5) 1/2, (0.5 vs 0.2) 1 -> 0.75
    assert roc_auc(np.array([0.5, 0.5, 0.2]), np.array([1, 0, 0])) == 0.75
    assert math.isnan(roc_auc(np.array([0.5, 0.2]), np.array([1, 1])))


@given(st.lists(st.integers(0, 6), min_size=0, max_size=40))
def test_average_ranks_are_scipys(values: list[int]):
    from scipy.stats import rankdata

    v = np.asarray(values, dtype=float)
    assert np.array_equal(average_ranks(v), rankdata(v) if v.size else np.zeros(0))


# ---------------------------------------------------------------- contracts
def _contract_reps() -> list[Rep]:
    states = CustomerStates(["c1", "c2"], ["gold", "gold"], [math.nan, math.nan], ["", ""],
                            [0, 3])
    values = [(0.97, 0.93, 1.5, 0.99, 0.80), (0.96, 0.928, 1.6, 0.97, 0.90),
              (0.98, 0.932, 1.4, 0.98, 0.85)]
    return [Rep(k, {"tier": {"gold": {"fill_rate": f, "otif_rate": o,
                                      "order_cycle_time_mean": lt}},
                    "customer": {"c1": {"fill_rate": c1, "otif_rate": 1.0,
                                        "order_cycle_time_mean": 1.0},
                                 "c2": {"fill_rate": c2, "otif_rate": math.nan,
                                        "order_cycle_time_mean": 3.0}}}, states)
            for k, (f, o, lt, c1, c2) in enumerate(values)]


def test_contracts_are_judged_on_a_hand_made_result():
    terms = contract_terms({"gold": Tier(0.95, 0.95, 2.0)})
    assert terms["gold"] == [Term("fill_rate", 0.95), Term("otif_rate", 0.95),
                             Term("order_cycle_time_mean", 2.0, at_most=True)]
    c = judge_contracts(_contract_reps(), terms).set_index(["scope", "key", "kpi"])
    fill = c.loc[("tier", "gold", "fill_rate")]
    assert fill["achieved"] == pytest.approx(0.97)
    assert fill["margin"] == pytest.approx(0.02)
    # margins 0.02, 0.01, 0.03: s = 0.01, t(0.975, 2) = 4.303 -> half-width 0.02484
    assert fill["margin_low"] == pytest.approx(0.02 - 4.3027 * 0.01 / math.sqrt(3), abs=1e-4)
    assert fill["verdict"] == "met (interval spans target)" and fill["met"]
    otif = c.loc[("tier", "gold", "otif_rate")]
    assert otif["margin"] == pytest.approx(-0.02) and otif["verdict"] == "missed"
    lead = c.loc[("tier", "gold", "order_cycle_time_mean")]
    assert lead["margin"] == pytest.approx(0.5) and lead["verdict"] == "met"  # 2 - 1.5 days
    assert c.loc[("customer", "c1", "fill_rate"), "verdict"] == "met"
    c2 = c.loc[("customer", "c2", "fill_rate")]  # margins -0.15, -0.05, -0.10
    assert c2["margin"] == pytest.approx(-0.10) and not c2["met"]
    assert c2["verdict"] == "missed (interval spans target)"
    assert c.loc[("customer", "c2", "order_cycle_time_mean"), "margin"] == pytest.approx(-1.0)
    otif_c2 = c.loc[("customer", "c2", "otif_rate")]
    assert otif_c2["n"] == 0 and otif_c2["verdict"] == "not measured"


def test_a_contract_term_the_tier_does_not_set_is_not_judged():
    c = judge_contracts(_contract_reps()[:1], contract_terms({"gold": Tier(0.95)}))
    assert set(c["kpi"]) == {"fill_rate"}
    assert list(c["verdict"]) == ["met", "met", "missed"]  # one replication: no interval


# ---------------------------------------------------------------- lifetime value
def test_discounted_lifetime_by_hand():
    assert discounted_lifetime(1.0, 0.0, 5) == 5.0
    q = 0.9 / 1.1
    assert discounted_lifetime(0.9, 0.1, 3) == pytest.approx(1 + q + q * q)
    assert math.isnan(discounted_lifetime(math.nan, 0.1, 3))


def test_customer_value_by_hand():
    # c1 churned at day 200, c2 stayed to day 365: tier hazard 1 / ((200 + 365) / 365) per year
    states = CustomerStates(["c1", "c2"], ["t", "t"], [200.0, math.nan], ["service", ""],
                            [4, 0])
    rep = Rep(0, {"customer": {"c1": {"orders": 10, "revenue": 1000, "gross_margin": 200},
                               "c2": {"orders": 20, "revenue": 3000, "gross_margin": 500}}},
              states)
    v = customer_values(rep, horizon_days=365, warmup_days=0, discount_rate=0.1, years=5)
    v = v.set_index("customer")
    life = discounted_lifetime(math.exp(-365 / 565), 0.1, 5)
    assert v.loc["c2", "lifetime_years"] == pytest.approx(life)
    assert v.loc["c2", "clv"] == pytest.approx(500 * life)  # 25 margin/order x 20 orders/year
    assert v.loc["c1", "orders_per_year"] == pytest.approx(10 / (200 / 365))
    # c1 left for service: lost at the served-well lifetime (no base churn: retention 1)
    assert v.loc["c1", "clv_lost"] == pytest.approx(200 / (200 / 365) * discounted_lifetime(
        1.0, 0.1, 5))
    assert v.loc["c1", "clv_active"] == 0 and v.loc["c2", "clv_lost"] == 0


def test_clv_per_customer_sums_to_the_tier_and_overall_totals(starved_run):
    ca = starved_run.customers
    cust = ca.customers
    assert len(cust) == 2 * 40
    parts = cust["avg_order_margin"] * cust["orders_per_year"] * cust["lifetime_years"]
    assert np.allclose(cust["clv"], parts.fillna(0.0))
    assert (cust.loc[cust["churned"], "clv_active"] == 0).all()
    assert (cust.loc[~cust["churned"], "clv_lost"] == 0).all()
    value = ca.value.set_index(["replication", "tier", "metric"])["value"]
    for (rep, tier), sub in cust.groupby(["replication", "tier"]):
        assert value[(rep, tier, "clv_active")] == pytest.approx(sub["clv_active"].sum())
        assert value[(rep, tier, "churned")] == sub["churned"].sum()
    for rep, sub in cust.groupby("replication"):
        assert value[(rep, "all", "clv_lost")] == pytest.approx(sub["clv_lost"].sum())
        assert value[(rep, "all", "clv_active")] == pytest.approx(
            sum(value[(rep, t, "clv_active")] for t in ("key", "std")))
        # ABC on CLV: A holds the first 80% of the value; a churned customer is C
        assert set(sub.loc[sub["churned"], "abc"]) <= {"C"}
        assert {"A", "C"} <= set(sub["abc"])


# ---------------------------------------------------------------- the early warning
def test_a_service_starved_run_gives_a_warning_that_separates_churners(starved_run):
    ca = starved_run.customers
    w = ca.warning
    assert (w["churned"] > 0).all() and (w["scored"] > w["churned"]).all()
    assert (w["auc"] > 0.5).all()
    risk = ca.at_risk
    assert not risk.empty and risk["churned"].mean() > 0.5  # most named really left
    assert (risk.groupby("replication")["value_at_risk"].apply(
        lambda s: s.is_monotonic_decreasing)).all()
    # the contracts were judged: the starved standard tier misses its fill rate
    tier = ca.contracts[(ca.contracts["scope"] == "tier") & (ca.contracts["key"] == "std")]
    assert not tier.set_index("kpi").loc["fill_rate", "met"]


def test_degenerate_histories_give_a_note_not_a_crash():
    few = CustomerSummary(["a", "b"], np.array([1.0, 0.0]), np.array([3.0, 0.0]),
                          np.array([9.0, 9.0]), np.array([5.0, 0.0]), 1.0)
    s = score(few)
    assert np.isnan(s.p_alive).all() and "2 customer(s)" in s.notes[0]
    once = CustomerSummary(list("abcdef"), np.zeros(6), np.zeros(6), np.full(6, 30.0),
                           np.zeros(6), 1.0)
    s = score(once)
    assert s.model is None and "no customer ordered twice" in s.notes[0]


def test_the_warning_on_bgnbd_histories_matches_the_model():
    x, t_x, T, dead = _draw_bgnbd(800, 300.0, 0.8, 40.0, 0.6, 3.0, seed=11)
    m = np.where(x > 0, 50.0 + 10.0 * (x % 3), 0.0)
    s = score(CustomerSummary([f"c{i}" for i in range(800)], x, t_x, T, m, 1.0))
    assert s.model is not None and s.spend_model is not None
    assert roc_auc(1.0 - s.p_alive, dead) > 0.75
    assert np.all(s.clv_predicted >= 0) and np.all(np.isfinite(s.clv_predicted))


# ---------------------------------------------------------------- outputs
def test_the_csv_files_round_trip_with_names_made_spreadsheet_safe(starved_run, tmp_path):
    starved_run.write(tmp_path)
    risk = pd.read_csv(tmp_path / "at_risk.csv")
    assert list(risk.columns) == list(starved_run.customers.at_risk.columns)
    assert len(risk) == len(starved_run.customers.at_risk)
    assert risk["customer"].str.startswith("'=C").all()  # a formula made inert
    expect = starved_run.customers.at_risk
    assert risk["customer"].str[1:].tolist() == expect["customer"].tolist()
    assert np.allclose(risk["p_alive"], expect["p_alive"])
    assert np.allclose(risk["value_at_risk"], expect["value_at_risk"])
    hist = pd.read_csv(tmp_path / "order_history.csv")
    assert list(hist.columns[:7]) == ["replication", "customer_id", "tier", "frequency",
                                      "recency", "T", "monetary"]
    assert set(hist["time_unit"]) == {"days"}
    h0 = starved_run.replications[0].history
    first = hist[hist["replication"] == 0]
    assert first["frequency"].tolist() == h0.frequency.astype(int).tolist()
    assert np.allclose(first["T"], h0.T) and np.allclose(first["monetary"], h0.monetary)
    for name in ("customers.csv", "contracts.csv", "customer_value.csv"):
        assert (tmp_path / name).exists()


def test_run_json_is_pure_and_carries_the_customer_section(starved: Path):
    done = subprocess.run([sys.executable, "-m", "supplylab", "run", str(starved), "--json",
                           "--days", "120", "--replications", "1"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)["customers"]
    assert doc["basis"] == "gross margin" and doc["time_unit"] == "days"
    assert doc["contracts"]["tier"]["key"]["otif_rate"]["target"] == 0.95
    assert "otif_rate" not in doc["contracts"]["tier"]["std"]
    assert set(doc["value"]) == {"all", "key", "std"}
    assert 0.0 <= doc["warning"]["auc"]["mean"] <= 1.0
    assert all(row["customer"].startswith("=C") for row in doc["at_risk"])
    assert len(doc["per_customer"]) == 40


def test_a_comparison_with_itself_has_no_value_difference(starved_run):
    ca = starved_run.customers
    d = value_differences(["a", "b"], [ca, ca])
    assert not d.empty and (d["diff"] == 0).all() and not d["significant"].any()


def test_replications_without_customer_states_give_empty_tables_and_strict_json():
    ca = CustomerAnalytics([Rep(0, {})], {"t": Tier()}, horizon_days=10, warmup_days=0,
                           discount_rate=0.1)
    assert ca.customers.empty and ca.at_risk.empty and ca.warning.empty
    assert list(ca.contracts["verdict"]) == ["not measured"]
    doc = json.loads(json.dumps(ca.to_document(), allow_nan=False))
    assert doc["at_risk"] == [] and doc["warning"]["auc"]["mean"] is None


# ---------------------------------------------------------------- the document without pandas
_MEAN_VALUES = st.one_of(st.just(math.nan), st.floats(-1e9, 1e9, allow_nan=False),
                         st.sampled_from([0.1, 0.2, 0.3, 1e16, -1e16, 1.0]))


@given(st.lists(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]),
                                   st.sampled_from(["gold", "std"]), _MEAN_VALUES, st.booleans()),
                         max_size=6), max_size=5))
@example(tables=[[("a", "gold", 29826162.0, False), ("a", "gold", 89478485.94709134, False),
                  ("a", "gold", 0.1, False)]])
def test_customer_means_are_pandas_groupby_means(tables):
    """The per-customer means of the document are the numbers pandas' groupby mean gives
    (NaN left out, first-appearance order), also for a customer seen twice in one replication
    or missing from one: to within the error bound of a compensated sum (a few units of the
    last place of the group's mean absolute value). Both sums are compensated, but pandas 3.1
    does not add in the plain Kahan order: on (268435458.0, 805306373.5238221, 0.9) its mean
    is one unit of the last place below Kahan's, found by this test on CI."""
    from supplylab.customers.columns import MEAN_COLUMNS, customer_means

    cols = []
    for rows in tables:
        c = {"customer": [r[0] for r in rows], "tier": [r[1] for r in rows]}
        for k, name in enumerate(MEAN_COLUMNS):
            c[name] = (np.asarray([r[3] for r in rows], dtype=bool) if name in ("churned",
                                                                                "at_risk")
                       else np.asarray([r[2] * (k + 1) for r in rows], dtype=float))
        cols.append(c)
    got = customer_means(cols)
    frame = pd.DataFrame({k: np.concatenate([np.asarray(c[k], dtype=object if k in (
        "customer", "tier") else None) for c in cols]) if cols else [] for k in
        ["customer", "tier", *MEAN_COLUMNS]})
    frame = frame.astype({k: float for k in MEAN_COLUMNS})
    want = frame.groupby(["customer", "tier"], sort=False)[MEAN_COLUMNS].mean().reset_index()
    assert got["customer"] == list(want["customer"]) and got["tier"] == list(want["tier"])
    scale = frame.assign(**{k: frame[k].abs() for k in MEAN_COLUMNS}).groupby(
        ["customer", "tier"], sort=False)[MEAN_COLUMNS].mean().reset_index()
    for name in MEAN_COLUMNS:
        w, g = want[name].to_numpy(), np.asarray(got[name], dtype=float)
        assert np.array_equal(np.isnan(g), np.isnan(w)), name
        ok = ~np.isnan(w)
        bound = 8 * np.finfo(float).eps * scale[name].to_numpy()[ok]
        assert (np.abs(g[ok] - w[ok]) <= bound).all(), name


def _plain(v):
    """A table's cell as the JSON document writes it (NaN -> None)."""
    return None if isinstance(v, float) and math.isnan(v) else v


def test_the_document_holds_the_tables_numbers(starved_run):
    """The JSON document is computed without pandas; its per-customer means, at-risk list and
    fits are exactly the rows of the tables the Python API gives."""
    ca = starved_run.customers
    doc = json.loads(starved_run.to_json())["customers"]
    per = ca.per_customer()
    assert list(doc["per_customer"]) == list(per["customer"])
    for row in per.to_dict("records"):
        assert doc["per_customer"][row.pop("customer")] == {k: _plain(v) for k, v in row.items()}
    assert len(doc["at_risk"]) > 0
    assert doc["at_risk"] == [{k: _plain(v) for k, v in row.items()}
                              for row in ca.at_risk.to_dict("records")]
    assert doc["warning"]["fits"] == [{k: _plain(v) for k, v in row.items()}
                                      for row in ca.warning.to_dict("records")]
