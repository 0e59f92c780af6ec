"""Common random numbers: identical scenarios differ by exactly zero; pairing narrows."""

from __future__ import annotations

import json

import numpy as np
import pytest

from supplylab.errors import ExperimentError
from supplylab.experiments import compare
from supplylab.experiments.stats import unpaired_difference
from supplylab.experiments.synthetic import SyntheticScenario, run_synthetic


def test_identical_scenarios_have_exactly_zero_paired_difference() -> None:
    sc = SyntheticScenario()
    cmp = compare([sc, sc], replications=6, seed=3, run_fn=run_synthetic)
    d = cmp.differences
    assert set(d["kpi"]) == {"fill_rate", "total_cost", "lost_sales_units"}
    assert (d["diff"] == 0.0).all() and (d["ci_low"] == 0.0).all() and (d["ci_high"] == 0.0).all()
    assert not d["significant"].any()
    assert cmp.names == ["synthetic", "synthetic#2"]


def test_replication_k_gets_the_same_seed_and_index_in_every_alternative() -> None:
    a = SyntheticScenario()
    b = a.with_overrides({"stock.level": 95.0})
    cmp = compare([a, b], replications=4, seed=9, run_fn=run_synthetic)
    for res in cmp.results:
        assert [(r.seed, r.replication) for r in res.replications] == [(9, k) for k in range(4)]
    # total_cost does not depend on the stock level: with shared streams it is equal per pair
    ta, tb = cmp.results[0].values("total_cost"), cmp.results[1].values("total_cost")
    assert ta == tb


def test_paired_interval_is_narrower_than_unpaired_for_a_small_change() -> None:
    a = SyntheticScenario()
    b = a.with_overrides({"stock.level": 108.0})
    cmp = compare([a, b], replications=10, seed=21, run_fn=run_synthetic)
    row = cmp.differences.set_index("kpi").loc["fill_rate"]
    unpaired = unpaired_difference(cmp.results[1].values("fill_rate"),
                                   cmp.results[0].values("fill_rate"))
    assert row["diff"] == pytest.approx(unpaired.mean)
    assert row["half_width"] < unpaired.half_width / 3
    assert row["diff"] < 0 and bool(row["significant"])


def test_comparison_summary_document_and_files(tmp_path) -> None:
    a = SyntheticScenario()
    b = a.with_overrides({"stock.level": 90.0})
    cmp = compare([a, b], replications=3, seed=1, run_fn=run_synthetic)
    summary = cmp.summary()
    assert list(summary.columns[:2]) == ["alternative", "kpi"]
    assert set(summary["alternative"]) == {"synthetic", "synthetic#2"}
    doc = json.loads(cmp.to_json())
    assert doc["baseline"] == "synthetic" and doc["common_random_numbers"] is True
    assert doc["differences"]["synthetic#2"]["fill_rate"]["significant"] in (True, False)
    cmp.write(tmp_path)
    assert (tmp_path / "comparison.json").is_file() and (tmp_path / "differences.csv").is_file()
    assert (tmp_path / "1-synthetic-2" / "results.json").is_file()
    by_tier = cmp.paired("tier")
    assert set(by_tier["key"]) == {"gold", "silver"}


def test_compare_needs_two_scenarios_and_raises_on_a_failed_run() -> None:
    sc = SyntheticScenario()
    with pytest.raises(ExperimentError, match="at least two"):
        compare([sc], replications=2, run_fn=run_synthetic)
    bad = sc.with_overrides({"fail.replications": [1]})
    with pytest.raises(Exception, match="replication 1"):
        compare([sc, bad], replications=3, run_fn=run_synthetic)


def test_differences_agree_with_numpy() -> None:
    a = SyntheticScenario()
    b = a.with_overrides({"costs.unit": 2.5})
    cmp = compare([a, b], replications=5, seed=2, run_fn=run_synthetic)
    diff = np.subtract(cmp.results[1].values("total_cost"), cmp.results[0].values("total_cost"))
    row = cmp.differences.set_index("kpi").loc["total_cost"]
    assert row["diff"] == pytest.approx(diff.mean())


def _pivot_paired(cmp, dimension: str):
    """The paired differences as pandas' pivot tables lay them out (the layout the plain rows
    of ``Comparison.paired_rows`` follow)."""
    import pandas as pd

    from supplylab.experiments.compare import DIFF_COLUMNS
    from supplylab.experiments.stats import paired_difference

    group = ["kpi"] if dimension == "all" else ["key", "kpi"]

    def wide(res):
        sub = res.kpis[res.kpis["dimension"] == dimension]
        return sub.pivot_table(index="replication", columns=group, values="value",
                               aggfunc="first", sort=False, dropna=False)

    base, rows = wide(cmp.results[0]), []
    for name, res in zip(cmp.names[1:], cmp.results[1:], strict=True):
        alt = wide(res)
        for ident in alt.columns:
            if ident in base.columns:
                b, a = base[ident].to_numpy(), alt[ident].to_numpy()
                d = paired_difference(a, b, kpi=str(ident[-1] if len(group) == 2 else ident))
                rows.append((name, *(ident if len(group) == 2 else (ident,)),
                             float(pd.Series(b).mean()), float(pd.Series(a).mean()), d.mean,
                             d.ci_low, d.ci_high, d.half_width, d.n, d.significant))
    return pd.DataFrame(rows, columns=["alternative", *group, *DIFF_COLUMNS[2:]])


@pytest.mark.parametrize("dimension", ["all", "tier", "product", "week"])
def test_paired_rows_are_the_pivot_tables_differences(dimension: str) -> None:
    """``supplylab compare`` pairs the replications without pandas: the same rows, in the same
    order and to the last digit, as the pivot tables give (a key x KPI missing in one
    alternative included)."""
    import pandas as pd

    a = SyntheticScenario()
    b = a.with_overrides({"stock.level": 97.0})
    cmp = compare([a, b, a], replications=5, seed=4, run_fn=run_synthetic)
    pd.testing.assert_frame_equal(cmp.paired(dimension), _pivot_paired(cmp, dimension),
                                  check_exact=True)
