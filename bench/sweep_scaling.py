"""Scaling of the experiment runners: 64 replications serially, on 2 processes and on a
2-worker Dask LocalCluster; wall times, speed-up and per-run overhead.

    python bench/sweep_scaling.py                       # real engine, scenarios/regional_3pl.yaml
    python bench/sweep_scaling.py --synthetic 1.0       # calibrated CPU-bound run of ~1 s
    python bench/sweep_scaling.py --runs 16 --days 60   # quicker

Overhead per run = (wall of N no-op runs - wall of 1 no-op run) / (N - 1) on the same runner,
so pool/cluster start-up is reported separately from the per-task cost. Every runner must
return bit-identical KPIs (checked).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Any

from supplylab.experiments.runners import RunOutcome, RunPlan, execute
from supplylab.experiments.synthetic import SyntheticScenario, run_noop, run_synthetic

ROOT = Path(__file__).resolve().parents[1]
RUNNERS = (("serial", None, None), ("processes", 2, None), ("dask", 2, "local"))


def timed(plan: RunPlan, n: int, runner: str, workers: int | None,
          dask: str | None) -> tuple[float, list[RunOutcome]]:
    """Wall seconds to run replications 0..n-1 of the plan, and the outcomes in order."""
    out: list[RunOutcome] = []
    t0 = time.perf_counter()
    execute(plan, [(0, k) for k in range(n)], out.append, runner=runner, workers=workers,
            dask=dask)
    wall = time.perf_counter() - t0
    bad = [o.error for o in out if not o.ok]
    if bad:
        raise SystemExit(f"{runner}: {len(bad)} runs failed: {bad[0]}")
    return wall, sorted(out, key=lambda o: o.replication)


def scenario_plan(args: argparse.Namespace) -> tuple[RunPlan, str]:
    if args.synthetic:
        sc = SyntheticScenario().with_overrides({"work.cpu_seconds": args.synthetic})
        return (RunPlan((sc,), ((0, {}),), seed=1, run_fn=run_synthetic),
                f"synthetic CPU-bound run of {args.synthetic:g} s")
    from supplylab.scenario import load

    sc = load(ROOT / "scenarios" / "regional_3pl.yaml")
    days = args.days
    label = f"{sc.name} ({days or sc.simulation.horizon_days:g} days per run)"
    return RunPlan((sc,), ((0, {}),), seed=1, days=days), label


def free_cores(workers: int = 2, cpu_seconds: float = 2.0) -> float:
    """Cores this benchmark really gets: ``workers`` CPU burns of ``cpu_seconds`` at once.

    On an idle machine the result equals ``workers``; other jobs sharing the cores lower it,
    and every speed-up below is bounded by it.
    """
    sc = SyntheticScenario().with_overrides({"work.cpu_seconds": cpu_seconds})
    plan = RunPlan((sc,), ((0, {}),), seed=1, run_fn=run_synthetic)
    timed(plan, workers, "processes", workers, None)  # start the fork server first
    wall, _ = timed(plan, workers, "processes", workers, None)
    return workers * cpu_seconds / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=64)
    ap.add_argument("--synthetic", type=float, default=0.0,
                    help="CPU seconds of a synthetic run instead of the real engine")
    ap.add_argument("--days", type=float, default=None, help="horizon override (real engine)")
    ap.add_argument("--noop-runs", type=int, default=400)
    args = ap.parse_args()
    plan, label = scenario_plan(args)
    noop = RunPlan((SyntheticScenario(),), ((0, {}),), seed=1, run_fn=run_noop)
    print(f"{args.runs} runs of {label}; {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; cores free for this benchmark: {free_cores():.2f}")
    rows: list[dict[str, Any]] = []
    reference = None
    for runner, workers, dask in RUNNERS:
        wall, outcomes = timed(plan, args.runs, runner, workers, dask)
        # repr compares NaN (an empty rate) equal to NaN, bit for bit otherwise
        kpis = [repr(sorted(o.result.kpis.items())) for o in outcomes if o.result is not None]
        if reference is None:
            reference = kpis
        identical = kpis == reference
        start, _ = timed(noop, 1, runner, workers, dask)
        many, _ = timed(noop, args.noop_runs, runner, workers, dask)
        per_run = (many - start) / (args.noop_runs - 1)
        run_s = sum(o.wall_seconds for o in outcomes) / len(outcomes)
        rows.append({"runner": f"{runner}" + (f" x{workers}" if workers else ""), "wall": wall,
                     "run_s": run_s, "start": start, "overhead_ms": per_run * 1000,
                     "identical": identical})
    base = rows[0]["wall"]
    # "run s": mean wall time of one run inside its worker; if it grows with the worker
    # count, the workers are competing for cores (other jobs), not waiting on the runner.
    print(f"{'runner':<14}{'wall s':>9}{'speed-up':>10}{'run s':>8}{'start-up s':>12}"
          f"{'overhead ms/run':>17}{'same KPIs':>11}")
    for r in rows:
        print(f"{r['runner']:<14}{r['wall']:>9.2f}{base / r['wall']:>10.2f}{r['run_s']:>8.3f}"
              f"{r['start']:>12.2f}{r['overhead_ms']:>17.2f}"
              f"{'yes' if r['identical'] else 'NO':>11}")
    if not all(r["identical"] for r in rows):
        raise SystemExit("runners disagree")


if __name__ == "__main__":
    main()
