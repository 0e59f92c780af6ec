"""Benchmark the customer analytics of a run against the simulation it analyses.

Prints, for scenarios/crm_tiers.yaml (120 customers) and scenarios/large_network.yaml (2,200
customers): the simulation's wall time; the analytics' build (CLV, segments, histories) and
fit (BG/NBD and Gamma-Gamma per replication, including scipy's first import); the ``--json``
document's (contracts included); and the warning's AUC.
Timings are wall-clock on a possibly shared machine; the target is analytics well under the
simulation (docs/customers.md).

Usage::

    python bench/customer_analytics.py [--days 120] [--replications 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import supplylab as sl  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=120.0)
    ap.add_argument("--replications", type=int, default=1)
    args = ap.parse_args()
    print(f"{'scenario':22s} {'customers':>9s} {'sim s':>7s} {'build s':>7s} {'fit s':>7s} "
          f"{'json s':>7s} {'AUC':>6s}")
    for name in ("crm_tiers.yaml", "large_network.yaml"):
        sc = sl.load(ROOT / "scenarios" / name)
        t0 = time.perf_counter()
        res = sl.simulate(sc, replications=args.replications, days=args.days)
        t1 = time.perf_counter()
        ca = res.customers
        t2 = time.perf_counter()
        ca.fit()
        t3 = time.perf_counter()
        res.to_json()
        t4 = time.perf_counter()
        auc = float(ca.warning["auc"].mean())
        print(f"{name:22s} {len(sc.network.customers):9d} {t1 - t0:7.2f} {t2 - t1:7.2f} "
              f"{t3 - t2:7.2f} {t4 - t3:7.2f} {auc:6.3f}")


if __name__ == "__main__":
    main()
