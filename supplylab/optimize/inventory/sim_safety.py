"""Simulation-based safety stock: levels read off one simulation with ample stock.

The method commercial planning tools use for fill rates, for any policy, demand and lead-time
process the engine can simulate (promotions, disruptions, unreliable suppliers included):

1. raise every chosen level by a large shift Delta (mean plus eight standard deviations of the
   protection-interval demand), so that no stock-out happens and lead times are those of an
   unconstrained network; simulate one replication with the event log;
2. replay the log per site and product: the net inventory X_i seen by each demand i (and by each
   internal order of a site it replenishes), and the cycles between receipts;
3. lowering all levels by c lowers every X_i by exactly c (the policy's orders and the lead
   times do not change), so the fill rate at c is sum_i min(q_i, max(0, X_i - c)) / sum_i q_i
   and the cycle service level is the share of cycles whose lowest X_i - q_i is >= c; take the
   largest whole c meeting the target and set the levels to shifted - c.

Uses only the public simulation API (``supplylab.simulate`` with ``events=``).
"""

from __future__ import annotations

import csv
import math
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from supplylab.optimize.inventory.site_policies import SitePolicy

SHIFT_SDS = 8.0


def _shift(p: SitePolicy) -> float:
    return float(math.ceil(p.protection_mean + SHIFT_SDS * p.protection_sd + 10.0))


def _shifted(p: SitePolicy, delta: float) -> SitePolicy:
    return replace(p, params={k: (v + delta if k != "Q" else v) for k, v in p.params.items()})


def _replay(path: Path, warmup: float, upstream: dict[tuple[str, str], str],
            initial: dict[tuple[str, str], float]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (site, product): demand sizes, the net inventory before each, cycle minima."""
    il = dict(initial)
    out: dict[tuple[str, str], dict[str, Any]] = {
        k: {"x": [], "q": [], "customer": [], "cycles": [], "low": math.inf} for k in initial}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            t = float(row["time_days"])
            ev, pid, site, units = row["event"], row["product"], row["site"], float(row["units"])
            if ev == "demand":
                key = (site, pid)
            elif ev == "replenish":
                up = upstream.get((site, pid))
                if up is None or (up, pid) not in il:
                    continue
                key = (up, pid)
            elif ev == "receive":
                key = (site, pid)
                if key in il:
                    il[key] += units
                    rec = out[key]
                    if t >= warmup and math.isfinite(rec["low"]):
                        rec["cycles"].append(rec["low"])
                    rec["low"] = math.inf
                continue
            else:
                continue
            if key not in il:
                continue
            rec = out[key]
            if t >= warmup:
                rec["x"].append(il[key])
                rec["q"].append(units)
                rec["customer"].append(ev == "demand")
                rec["low"] = min(rec["low"], il[key] - units)
            il[key] -= units
    return out


def _reduction(rec: dict[str, Any], measure: str, target: float) -> float | None:
    """The largest whole c with simulated service >= target at levels lowered by c."""
    if measure == "csl":
        cyc = np.asarray(rec["cycles"], dtype=float)
        if cyc.size < 10:
            return None
        c = float(np.quantile(cyc, 1.0 - target, method="lower"))
        return math.floor(c)
    cust = np.asarray(rec["customer"], dtype=bool)
    x = np.asarray(rec["x"], dtype=float)[cust]
    q = np.asarray(rec["q"], dtype=float)[cust]
    if q.sum() <= 0:
        return None

    def fill(c: float) -> float:
        return float(np.minimum(q, np.maximum(x - c, 0.0)).sum() / q.sum())

    lo, hi = 0, int(math.ceil(x.max())) + 1
    if fill(lo) < target:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fill(mid) >= target:
            lo = mid
        else:
            hi = mid
    return float(lo)


def simulated_policies(base: str | Path, policies: Sequence[SitePolicy], *,
                       days: float | None = None, seed: int | None = None
                       ) -> list[SitePolicy]:
    """Policies whose levels meet their targets in one simulation with ample stock.

    A site-product whose replay has too few demands or cycles keeps its analytic level.
    ``expected_fill_rate`` / ``expected_csl`` of the result are the simulated estimates.
    """
    import supplylab
    from supplylab.optimize.inventory.scenario_output import write_scenario

    base = Path(base)
    sc = supplylab.load(base)
    deltas = {(p.site, p.product): _shift(p) for p in policies}
    ample = [_shifted(p, deltas[(p.site, p.product)]) for p in policies]
    net = sc.network
    down = {}
    for f in sc.facilities:
        for p in sc.products:
            if f.stocks(p.id):
                src = net.upstream(f.id, p.id)
                if src is not None:
                    down[(f.id, p.id)] = src
    initial = {}
    for p in ample:
        prm = p.params
        initial[(p.site, p.product)] = prm.get("S", prm.get("level", prm.get("r", 0.0)
                                                             + prm.get("Q", 0.0)))
    with tempfile.TemporaryDirectory(dir=base.parent, prefix=".supplylab-sim-") as tmp:
        ample_path = Path(tmp) / "ample.yaml"
        write_scenario(base, ample_path, ample, ["ample stock for simulation-based levels"])
        log = Path(tmp) / "events.csv"
        supplylab.simulate(supplylab.load(ample_path), replications=1, seed=seed, days=days,
                           events=log)
        recs = _replay(log, sc.simulation.warmup_days, down, initial)
    out = []
    for p, a in zip(policies, ample, strict=True):
        key = (p.site, p.product)
        c = _reduction(recs[key], p.measure, p.target)
        if c is None:
            out.append(p)
            continue
        new = _shifted(a, -c)
        drop = float(deltas[key] - c)
        rec = recs[key]
        cust = np.asarray(rec["customer"], dtype=bool)
        x = np.asarray(rec["x"], dtype=float)[cust] - c
        q = np.asarray(rec["q"], dtype=float)[cust]
        fill = float(np.minimum(q, np.maximum(x, 0.0)).sum() / q.sum()) if q.sum() else 1.0
        cyc = np.asarray(rec["cycles"], dtype=float)
        csl = float((cyc >= c).mean()) if cyc.size else float("nan")
        ss = p.safety_stock + drop
        on_hand = max(p.on_hand_avg + drop, 0.0)
        out.append(replace(new, expected_fill_rate=fill, expected_csl=csl, safety_stock=ss,
                           on_hand_avg=on_hand,
                           holding_cost_per_year=p.holding_cost_per_year / max(p.on_hand_avg, 1e-9)
                           * on_hand))
    return out
