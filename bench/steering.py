"""Benchmark the steering optimiser: synthetic catalogues up to 200 products x 52 weeks.

For each size: build and solve times, model size, binaries, objective, gap, the planned gain
over no new promotion, and the number of promotion events; target 200 x 52 under 10 s. The
fast path solves each independent part's LP relaxation, rounds it and branches only where the
plan's overall gap needs it; ``--reference`` also runs branch and bound on every part (the
previous path) and prints its objective, bound and time for comparison.

Usage::

    python bench/steering.py [--sizes 50x52,100x52,200x52] [--seed 0] [--solver highs]
                             [--max-promotions 4] [--min-gap 1] [--gap 0.01] [--path matrix]
                             [--reference]

Not part of the test suite; timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supplylab.optimize.solver import SolverOptions  # noqa: E402
from supplylab.optimize.steering import SteeringOptions, solve_steering  # noqa: E402
from supplylab.optimize.steering.synthetic import synthetic_problem  # noqa: E402

TARGET_S = 10.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50x52,100x52,200x52")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solver", default="highs", choices=("highs", "cbc"))
    ap.add_argument("--max-promotions", type=int, default=4)
    ap.add_argument("--min-gap", type=int, default=1)
    ap.add_argument("--gap", type=float, default=1e-2, help="relative MIP gap")
    ap.add_argument("--path", default="matrix", choices=("pulp", "matrix"))
    ap.add_argument("--reference", action="store_true",
                    help="also branch on every part (integrality mip) and compare")
    args = ap.parse_args()
    opts = SteeringOptions(max_promotions=args.max_promotions, min_gap_weeks=args.min_gap,
                           solver=SolverOptions(solver=args.solver, mip_rel_gap=args.gap,
                                                time_limit_s=120,
                                                path=args.path if args.solver == "highs"
                                                else "pulp"))
    print(f"{'size':>8} {'vars':>7} {'rows':>7} {'bin':>6} {'build_s':>8} {'solve_s':>8} "
          f"{'total_s':>8} {'status':>8} {'method':>6} {'gap':>9} {'objective':>14} "
          f"{'gain':>12} {'events':>6} {'parts':>5}")
    worst = 0.0
    for size in args.sizes.split(","):
        n, t = (int(v) for v in size.lower().split("x"))
        pb = synthetic_problem(n, t, args.seed)
        t0 = time.perf_counter()
        plan = solve_steering(pb, opts, baseline=False)
        total = time.perf_counter() - t0
        base = solve_steering(replace(pb, allowed=pb.allowed & False), opts,
                              baseline=False).objective
        s = plan.summary()
        gap = f"{plan.gap:.2e}" if plan.gap is not None else "n/a"
        print(f"{size:>8} {s['variables']:>7} {s['rows']:>7} {s['binaries']:>6} "
              f"{plan.build_time_s:>8.2f} {plan.solve_time_s:>8.2f} {total:>8.2f} "
              f"{plan.status:>8} {plan.method:>6} {gap:>9} {plan.objective:>14,.0f} "
              f"{plan.objective - base:>12,.0f} {len(plan.calendar):>6} {s['parts']:>5}")
        if n >= 200:
            worst = max(worst, total)
        if args.reference:
            t0 = time.perf_counter()
            ref = solve_steering(pb, replace(opts, integrality="mip"), baseline=False)
            took = time.perf_counter() - t0
            print(f"{'':>8} reference (branch every part): {took:.2f} s, objective "
                  f"{ref.objective:,.0f}, bound {ref.best_bound or float('nan'):,.0f}; fast "
                  f"path {100 * (plan.objective / ref.objective - 1):+.3f}% of it, within "
                  f"{100 * (1 - plan.objective / min(ref.best_bound or 1e300, plan.best_bound or 1e300)):.3f}% "
                  "of the best bound")
    if worst:
        verdict = "meets" if worst < TARGET_S else "MISSES"
        print(f"200-product plan: {worst:.2f} s, {verdict} the {TARGET_S:g} s target "
              "(wall clock, shared machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
