"""A tiny synthetic model with known KPI distributions, for tests and the scaling benchmark.

It stands in for the engine wherever the experiments layer must be checked against theory:
``total_cost`` is exactly normal with a known mean, every replication draws its streams from
``SeedSequence([seed, replication])`` (common random numbers, as the engine promises), and a
run can be made to burn CPU, sleep or fail on chosen replications.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from supplylab.errors import Issue, ScenarioError
from supplylab.sim.result import AuditReport, ReplicationResult


@dataclass(frozen=True)
class SyntheticSimulation:
    """Run settings, named as in the scenario language (days)."""

    seed: int = 1
    replications: int = 5
    horizon_days: float = 70.0
    warmup_days: float = 0.0


def _default_params() -> dict[str, Any]:
    return {
        "demand.mean": 100.0,           # units/day, normal
        "demand.sd": 20.0,              # units/day
        "stock.level": 110.0,           # units available each day
        "costs.unit": 2.0,              # money/unit
        "costs.fixed": 50.0,            # money/day
        "work.cpu_seconds": 0.0,        # CPU time burnt per run
        "work.sleep_seconds": 0.0,      # wall time slept per run
        "fail.replications": [],        # replication indices that raise
    }


@dataclass(frozen=True)
class SyntheticScenario:
    """A scenario-like object: flat dotted-path parameters, validated overrides, a hash."""

    name: str = "synthetic"
    params: Mapping[str, Any] = field(default_factory=_default_params)
    simulation: SyntheticSimulation = field(default_factory=SyntheticSimulation)

    @property
    def sha256(self) -> str:
        blob = json.dumps({"name": self.name, "params": dict(self.params),
                           "simulation": self.simulation.__dict__}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def with_overrides(self, overrides: Mapping[str, Any]) -> SyntheticScenario:
        """A copy with ``overrides`` applied; unknown paths and wrong types raise."""
        params = dict(self.params)
        sim = dict(self.simulation.__dict__)
        issues: list[Issue] = []
        for path, value in overrides.items():
            if path.startswith("simulation."):
                key = path.split(".", 1)[1]
                if key not in sim:
                    issues.append(Issue("<scenario>", 0, 0, path, "unknown field"))
                else:
                    sim[key] = value
            elif path not in params:
                issues.append(Issue("<scenario>", 0, 0, path, "unknown field"))
            elif isinstance(params[path], float) and not isinstance(value, int | float):
                issues.append(Issue("<scenario>", 0, 0, path, f"expected a number, got {value!r}"))
            elif isinstance(params[path], float) and value < 0:
                issues.append(Issue("<scenario>", 0, 0, path, "must be >= 0"))
            else:
                params[path] = float(value) if isinstance(params[path], float) else value
        if issues:
            raise ScenarioError(issues)
        return replace(self, params=params, simulation=SyntheticSimulation(**sim))


def expected_total_cost(scenario: SyntheticScenario, days: float | None = None) -> float:
    """Exact mean of ``total_cost``: days * (fixed + unit cost * mean demand)."""
    p = scenario.params
    n = int(days if days is not None else scenario.simulation.horizon_days)
    return n * (p["costs.fixed"] + p["costs.unit"] * p["demand.mean"])


def _burn(cpu_seconds: float) -> None:
    end = time.process_time() + cpu_seconds
    x = 0
    while time.process_time() < end:
        for i in range(2000):
            x += i * i


def run_synthetic(scenario: SyntheticScenario, seed: int, replication: int, *,
                  days: float | None = None) -> ReplicationResult:
    """One replication: daily normal demand served from a fixed daily stock level.

    Demand per day is normal(mean, sd) split over two products; ``total_cost = days * fixed +
    unit * sum(normal draws)`` is exactly normal with mean :func:`expected_total_cost`
    (the draws are used before truncation at zero); ``fill_rate`` = served / demanded units.
    """
    t0 = time.perf_counter()
    p = scenario.params
    if replication in p["fail.replications"]:
        raise RuntimeError(f"synthetic failure in replication {replication}")
    _burn(p["work.cpu_seconds"])
    if p["work.sleep_seconds"]:
        time.sleep(p["work.sleep_seconds"])
    n = int(days if days is not None else scenario.simulation.horizon_days)
    rng = np.random.default_rng(np.random.SeedSequence([seed, replication]))
    raw = rng.normal(p["demand.mean"] / 2.0, p["demand.sd"] / math.sqrt(2.0), size=(n, 2))
    demand = np.maximum(raw, 0.0)
    served = np.minimum(demand, p["stock.level"] / 2.0)
    cost = n * p["costs.fixed"] + p["costs.unit"] * float(raw.sum())

    def rate(s: np.ndarray, d: np.ndarray) -> float:
        return float(s.sum() / d.sum()) if d.sum() > 0 else math.nan

    by: dict[str, dict[str, dict[str, float]]] = {
        "product": {f"P{j + 1}": {"fill_rate": rate(served[:, j], demand[:, j])} for j in range(2)},
        "tier": {"gold": {"fill_rate": rate(served[::2], demand[::2])},
                 "silver": {"fill_rate": rate(served[1::2], demand[1::2])}},
        "week": {str(w): {"fill_rate": rate(served[7 * w:7 * w + 7], demand[7 * w:7 * w + 7])}
                 for w in range(n // 7)},
    }
    kpis = {"fill_rate": rate(served, demand), "total_cost": float(cost),
            "lost_sales_units": float((demand - served).sum())}
    return ReplicationResult(seed, replication, kpis, by, AuditReport(True, 2),
                             wall_seconds=time.perf_counter() - t0, events=2 * n)


def run_noop(scenario: Any, seed: int, replication: int, *,
             days: float | None = None) -> ReplicationResult:
    """A run that does nothing: its wall time across a runner is the runner's overhead."""
    return ReplicationResult(seed, replication, {"x": float(replication)}, {},
                             AuditReport(True, 0))
