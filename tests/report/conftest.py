"""Results folders to report on, made once per test session (short horizons, serial runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplylab.experiments.compare import compare
from supplylab.experiments.results import replicate
from supplylab.experiments.sweep import sweep
from supplylab.experiments.synthetic import SyntheticScenario, run_synthetic
from supplylab.report.network import write_network
from supplylab.scenario import load

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "regional_3pl.yaml"


@pytest.fixture(scope="session")
def quickstart():
    return load(QUICKSTART)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory, quickstart) -> Path:
    """The quickstart scenario, 2 replications of 90 days, with its network.json."""
    out = tmp_path_factory.mktemp("run")
    replicate(quickstart, 2, runner="serial", days=90).write(out)
    write_network(quickstart, out)
    return out


@pytest.fixture(scope="session")
def run_report(tmp_path_factory, run_dir) -> Path:
    """The HTML report of :func:`run_dir`, rendered once for the tests that read it."""
    from supplylab.report import report

    return report(run_dir, tmp_path_factory.mktemp("run_report") / "report.html")


@pytest.fixture(scope="session")
def compare_dir(tmp_path_factory, quickstart) -> Path:
    """Quickstart against a higher reorder point at the Kassel DC (CRN, 2 x 45 days)."""
    out = tmp_path_factory.mktemp("compare")
    alt = quickstart.with_overrides({"name": "Higher DC reorder point",
                                     "facilities.DC-KS.inventory.default.s": 260})
    compare([quickstart, alt], 2, runner="serial", days=45).write(out)
    write_network(quickstart, out / "0-regional-3pl-network")
    return out


def synthetic_sweep(out: Path, parameters: dict, replications: int = 2) -> Path:
    """A grid sweep of the synthetic model (exact, fast) written to ``out``."""
    sweep(SyntheticScenario(), parameters, runner="serial", replications=replications,
          out=out, progress=False, run_fn=run_synthetic)
    return out


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory) -> Path:
    """A 3 x 3 grid over demand and stock level (fill rate and total cost vary)."""
    return synthetic_sweep(tmp_path_factory.mktemp("sweep"),
                           {"demand.mean": [80.0, 100.0, 120.0],
                            "stock.level": [90.0, 110.0, 130.0]})


def write_minimal_run(folder: Path, by: dict | None = None, kpis: dict | None = None,
                      network: dict | None = None) -> Path:
    """A hand-made run folder: results.json only, with the given overall and by-KPIs."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"scenario": "minimal", "version": "0.1.0", "seed": 1, "replications": 2,
           "horizon_days": 10, "warmup_days": 0,
           "kpis": {k: {"mean": v, "ci95": [v, v], "values": [v, v]}
                    for k, v in (kpis or {"fill_rate": 0.9}).items()},
           "by": {dim: {key: {k: {"mean": v, "ci95": [v, v]} for k, v in block.items()}
                        for key, block in keys.items()} for dim, keys in (by or {}).items()},
           "audit": {"units_conserved": True}}
    (folder / "results.json").write_text(json.dumps(doc))
    if network is not None:
        (folder / "network.json").write_text(json.dumps(network))
    return folder
