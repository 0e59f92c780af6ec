"""Check chosen policies by simulation and, if asked, raise them until the simulation agrees.

Composes the optimiser's output with the public simulation API (``supplylab.simulate``); the
engine never sees the optimiser. Every round simulates the written scenario with the same seed
(common random numbers), so rounds differ only by the policies.

Rows compare target and simulated value with its 95% interval per tier (fill rate), per product
class (fill rate) and per site (fill rate or cycle service level, as optimised). ``status`` is
``met`` (mean at or above target), ``within interval`` (below, but the interval reaches it) or
``missed`` (the whole interval is below the target).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from supplylab.optimize.inventory.site_policies import SitePolicy, Targets, optimise_policies

MAX_TARGET = 0.999


def _weighted(policies: Sequence[SitePolicy], key) -> dict[str, float]:  # noqa: ANN001
    num: dict[str, float] = {}
    den: dict[str, float] = {}
    for p in policies:
        k = key(p)
        w = p.demand_per_day
        num[k] = num.get(k, 0.0) + w * p.target
        den[k] = den.get(k, 0.0) + w
    return {k: num[k] / den[k] for k in num if den[k] > 0}


def verify_policies(path: str | Path, policies: Sequence[SitePolicy], replications: int = 5,
                    days: float | None = None, seed: int | None = None,
                    tier_target: float | None = None):  # noqa: ANN201
    """Target against simulated service per tier, product class and site (a DataFrame).

    Tiers are held to their contracted ``target_fill_rate``, or to ``tier_target`` when one
    target was set for everything (``--target``).
    """
    import pandas as pd

    import supplylab

    sc = supplylab.load(path)
    res = supplylab.simulate(sc, replications=replications, seed=seed, days=days)
    measure = policies[0].measure if policies else "fill_rate"
    targets: list[tuple[str, str, str, float]] = []
    if measure == "fill_rate":
        for t, tier in sc.tiers.items():
            targets.append(("tier", t, "fill_rate",
                            tier.target_fill_rate if tier_target is None else tier_target))
        for k, v in _weighted(policies, lambda p: p.abc).items():
            targets.append(("abc_class", k, "fill_rate", v))
    kpi = "fill_rate" if measure == "fill_rate" else "cycle_service_level"
    for k, v in _weighted(policies, lambda p: p.site).items():
        targets.append(("facility", k, kpi, v))
    rows = []
    tables = {dim: res.summary(dim) for dim in {d for d, _, _, _ in targets}}
    for dim, key, k, tgt in targets:
        tab = tables[dim]
        hit = tab[(tab["key"] == key) & (tab["kpi"] == k)]
        if hit.empty or not math.isfinite(float(hit["mean"].iloc[0])):
            continue
        r = hit.iloc[0]
        mean, hi = float(r["mean"]), float(r["ci_high"])
        status = "met" if mean >= tgt else "within interval" if hi >= tgt else "missed"
        rows.append({"dimension": dim, "key": key, "kpi": k, "target": tgt, "mean": mean,
                     "ci_low": float(r["ci_low"]), "ci_high": hi, "status": status})
    return pd.DataFrame(rows)


def calibrate_policies(base: str | Path, output: str | Path, policies: list[SitePolicy], *,
                       replications: int = 5, days: float | None = None,
                       seed: int | None = None, max_rounds: int = 5,
                       comment: list[str] | None = None, tier_target: float | None = None
                       ) -> tuple[list[SitePolicy], Any, list[dict[str, Any]]]:
    """Raise the targets of the sites whose simulated service misses, rewrite, re-simulate.

    A missed site's policies get the planning target t' = 1 - (1 - t') (1 - t_site) /
    (1 - achieved): the miss probability scaled by the observed ratio (capped at 0.999).
    Every round is judged against the original targets (the policies keep them in ``target``).
    Returns the final policies, the last verification table and one record per round.
    """
    from supplylab.optimize.inventory.scenario_output import write_scenario
    from supplylab.scenario import load

    sc = load(base)
    targets = Targets(measure=policies[0].measure) if policies else Targets()
    current = {(p.site, p.product): p.target for p in policies}
    original = dict(current)
    rounds = []
    table = None
    for k in range(max_rounds + 1):
        table = verify_policies(output, policies, replications, days, seed, tier_target)
        missed = table[(table["status"] == "missed") & (table["dimension"] == "facility")]
        rounds.append({"round": k, "missed": [f"{r.dimension}:{r.key}"
                                              for r in table[table["status"] == "missed"]
                                              .itertuples()],
                       "holding_cost_per_year": float(sum(p.holding_cost_per_year
                                                          for p in policies))})
        if missed.empty or k == max_rounds:
            break
        for r in missed.itertuples():
            ratio = (1.0 - r.target) / max(1.0 - r.mean, 1e-9)
            for key in current:
                if key[0] == r.key:
                    current[key] = min(MAX_TARGET, 1.0 - (1.0 - current[key]) * ratio)
        policies = [replace(p, target=original[(p.site, p.product)])
                    for p in optimise_policies(sc, targets, overrides=current)]
        write_scenario(base, output, policies, (comment or []) + [
            f"Calibrated by simulation: round {k + 1}."])
    return policies, table, rounds
