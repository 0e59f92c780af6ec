"""Docs are tests: the tutorial's scenario validates, runs, and its error examples are real."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from supplylab.errors import ScenarioError
from supplylab.scenario import load
from supplylab.sim import run_replication

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _final_block() -> str:
    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    tail = text.split("<!-- tutorial-final", 1)[1]
    return re.search(r"```yaml\n(.*?)```", tail, re.S).group(1)


def _shown_errors() -> list[str]:
    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    return re.findall(r"^(bikes\.yaml:\d+:\d+: .*)$", text, re.M)


def test_tutorial_scenario_validates_and_runs(tmp_path: Path) -> None:
    p = tmp_path / "bikes.yaml"
    p.write_text(_final_block(), encoding="utf-8")
    sc = load(p)
    assert len(sc.network.customers) == 21
    res = run_replication(sc, sc.simulation.seed, 0, days=60)
    assert res.audit.units_conserved
    assert 0.5 < res.kpis["fill_rate"] <= 1.0


@pytest.mark.parametrize(("old", "new"), [("lead_time:", "lead_tme:"), ("tier: key", "tier: kye")])
def test_tutorial_error_examples_are_what_validate_prints(tmp_path: Path, monkeypatch,  # noqa: ANN001
                                                          old: str, new: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bikes.yaml").write_text(_final_block().replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load("bikes.yaml")
    printed = [str(i) for i in exc.value.issues]
    assert len(printed) == 1
    assert printed[0] in _shown_errors()
