"""Benchmark the inventory optimiser: tree GSM, general GSM on the Willems chains, (s,S), scenarios.

Prints (timings are wall-clock on a possibly shared machine; rerun on an idle one to compare
with the targets of docs/inventory.md):

* tree GSM (dynamic programme): median time for random trees of 200 and 5,000 stages;
* general GSM (exact MILP, HiGHS) on every Willems (2008) chain: objective, bound, gap, status,
  time, and the README's reference optimum where there is one;
* Zheng-Federgruen (s,S): mean time per instance over the 24 published instances;
* scenarios: policies for scenarios/regional_3pl.yaml and scenarios/large_network.yaml.

Usage::

    python bench/inventory.py [--time-limit 60] [--only tree,willems,ss,scenarios]
                              [--chains 01,05,...]

Needs ../shared/benchmarks/inventory next to the repository for the Willems part.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supplylab.optimize.inventory import (  # noqa: E402
    GSMNetwork,
    Law,
    read_willems,
    solve_milp,
    solve_tree,
    ss_optimal,
)

WILLEMS = ROOT.parent / "shared" / "benchmarks" / "inventory" / "willems2008"
REFERENCE = {"01": 3965.82, "02": 5406907.0, "03": 2717464.12, "04": 27983.71,
             "05": 708658.58, "06": 258.44, "12": 3639614.65, "13": 3480987.36,
             "15": 558148.37, "17": 687444.51, "18": 55715.54}
OPEN_BEST = {"16": 1857771.54, "19": 292844.51, "20": 147183.71, "27": 531642.84,
             "34": 535102.99, "35": 1130224.31}


def random_tree(n: int, seed: int) -> GSMNetwork:
    """A random mixed tree (assembly and distribution arcs), T in 0..5, demand at the sinks."""
    rng = np.random.default_rng(seed)
    ids = [f"s{k}" for k in range(n)]
    arcs = []
    for k in range(1, n):
        j = int(rng.integers(max(0, k - 50), k))
        arcs.append((ids[j], ids[k]) if rng.random() < 0.7 else (ids[k], ids[j]))
    sinks = {b for _, b in arcs} - {a for a, _ in arcs}
    return GSMNetwork.build(ids, rng.integers(0, 6, n), rng.uniform(0.1, 5, n),
                            rng.uniform(0.5, 3, n), 1.645, arcs, dict.fromkeys(sinks, 0))


def bench_tree() -> None:
    print("tree GSM (dynamic programme), best and median of 9 runs")
    for n in (200, 5000):
        net = random_tree(n, seed=n)
        times = []
        for _ in range(9):
            t0 = time.perf_counter()
            sol = solve_tree(net)
            times.append(time.perf_counter() - t0)
        print(f"  {n:>5} stages: best {1000 * min(times):8.1f} ms, median "
              f"{1000 * statistics.median(times):8.1f} ms "
              f"(max inbound time {int(net.longest_inbound().max())}, cost {sol.objective:,.2f})")


def bench_willems(time_limit: float, chains: list[str] | None) -> None:
    files = sorted(WILLEMS.glob("willems_*.csv"))
    if not files:
        print(f"Willems chains not found at {WILLEMS}")
        return
    print(f"general GSM (exact MILP, HiGHS, {time_limit:g} s limit per chain)")
    print(f"  {'chain':>5} {'stages':>6} {'arcs':>6} {'objective':>15} {'bound':>15} "
          f"{'gap %':>7} {'status':>9} {'time s':>7}  reference")
    proven = 0
    for f in files:
        cid = f.stem.split("_")[1]
        if chains and cid not in chains:
            continue
        net = read_willems(f)
        sol = solve_milp(net, time_limit_s=time_limit)
        proven += sol.status == "optimal"
        ref = REFERENCE.get(cid)
        note = (f"optimum {ref:,.2f}" if ref else
                f"open, best known {OPEN_BEST[cid]:,.2f}" if cid in OPEN_BEST else "")
        print(f"  {cid:>5} {net.n:>6} {len(net.arcs):>6} {sol.objective:>15,.2f} "
              f"{sol.bound:>15,.2f} {100 * sol.gap:>7.3f} {sol.status:>9} {sol.time_s:>7.1f}"
              f"  {note}", flush=True)
    print(f"  proven optimal: {proven}")


def bench_ss() -> None:
    mus = [10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 21, 22, 23, 24, 51, 52, 59,
           61, 63, 64]
    t0 = time.perf_counter()
    for mu in mus:
        ss_optimal(Law("poisson", mu, mu), 1.0, 9.0, 64.0)
    dt = (time.perf_counter() - t0) / len(mus)
    print(f"(s,S) Zheng-Federgruen: {1000 * dt:.2f} ms per instance (24 published instances)")


def bench_scenarios() -> None:
    import supplylab
    from supplylab.optimize.inventory.site_policies import optimise_policies

    for name in ("regional_3pl", "large_network"):
        sc = supplylab.load(ROOT / "scenarios" / f"{name}.yaml")
        t0 = time.perf_counter()
        pols = optimise_policies(sc)
        dt = time.perf_counter() - t0
        print(f"scenario {name}: {len(pols)} site x product policies in {dt:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--only", default="tree,willems,ss,scenarios")
    ap.add_argument("--chains", default="")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    if "tree" in parts:
        bench_tree()
    if "ss" in parts:
        bench_ss()
    if "scenarios" in parts:
        bench_scenarios()
    if "willems" in parts:
        bench_willems(args.time_limit, [c for c in args.chains.split(",") if c] or None)


if __name__ == "__main__":
    main()
