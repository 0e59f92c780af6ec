"""Simulation throughput: supplylab against a lean hand-written SimPy model of the same system.

Prints simulated orders per second, wall time and peak memory for
  * the small system (1 supplier, 1 warehouse with (s, S) on 10 products, 50 customers with
    Poisson orders of one unit line, backorders served FIFO, lead time 3 days, 365 days),
    once through supplylab and once as a lean hand-written SimPy model; their ratio is the
    engine's overhead (target: at most 1.5);
  * the large example scenario (scenarios/large_network.yaml, 365 days; target < 60 s);
  * memory flatness: the small system at 365 and 1,460 days (peak memory should not grow with
    the horizon: KPIs are aggregated while running).

Run:  python bench/sim_throughput.py [--quick] [--repeat N]
Not a test: targets are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections import deque
from pathlib import Path

import simpy

from supplylab.scenario import build, load
from supplylab.sim import run_replication

ROOT = Path(__file__).resolve().parents[1]
HERE = {"lat": 45.0, "lon": 7.0}
N_PRODUCTS, N_CUSTOMERS, RATE, LEAD, S_LOW, S_UP = 10, 50, 2.0, 3.0, 40, 120


def small_scenario(horizon: float):
    """The small system in the scenario language (same parameters as ``handwritten``)."""
    products = [f"P{i}" for i in range(N_PRODUCTS)]
    data = {
        "name": "bench small", "simulation": {"horizon_days": horizon},
        "allocation": {"rule": "fifo"},
        "products": [{"id": p, "price": 10, "unit_cost": 4, "importance": 3,
                      "max_backorder_days": 1e6} for p in products],
        "suppliers": [{"id": "S", "location": HERE, "products": products, "lead_time": LEAD}],
        "facilities": [{"id": "W", "location": HERE, "inventory": {
            "default": {"policy": "sS", "s": S_LOW, "S": S_UP}}}],
        "customers": [{"id": f"C{j}", "tier": "standard", "location": HERE,
                       "orders_per_day": RATE, "product_mix": dict.fromkeys(products, 1)}
                      for j in range(N_CUSTOMERS)],
    }
    return build(data, {}, "<bench>")


def handwritten(horizon: float, seed: int = 1) -> tuple[int, float]:
    """A lean SimPy model of the small system: one process per customer, (s, S) on inventory
    position, FIFO backorders, constant lead time. Returns (orders, fill rate)."""
    env = simpy.Environment()
    rng = random.Random(seed)
    on_hand = [float(S_UP)] * N_PRODUCTS
    on_order = [0.0] * N_PRODUCTS
    backlog: list[deque] = [deque() for _ in range(N_PRODUCTS)]
    backlog_units = [0.0] * N_PRODUCTS
    stats = {"orders": 0, "demand": 0.0, "from_stock": 0.0}

    def receive(p: int, q: float) -> None:
        on_hand[p] += q
        on_order[p] -= q
        bl = backlog[p]
        while bl and on_hand[p] > 0:
            need = bl[0]
            n = min(need, on_hand[p])
            on_hand[p] -= n
            backlog_units[p] -= n
            if n == need:
                bl.popleft()
            else:
                bl[0] = need - n

    def review(p: int) -> None:
        ip = on_hand[p] + on_order[p] - backlog_units[p]
        if ip <= S_LOW:
            q = S_UP - ip
            on_order[p] += q
            env.timeout(LEAD).callbacks.append(lambda _e, p=p, q=q: receive(p, q))

    def customer():
        while True:
            yield env.timeout(rng.expovariate(RATE))
            p = rng.randrange(N_PRODUCTS)
            stats["orders"] += 1
            stats["demand"] += 1
            if on_hand[p] >= 1:
                on_hand[p] -= 1
                stats["from_stock"] += 1
            else:
                backlog[p].append(1.0)
                backlog_units[p] += 1
            review(p)

    for _ in range(N_CUSTOMERS):
        env.process(customer())
    env.run(until=horizon)
    return stats["orders"], stats["from_stock"] / stats["demand"]


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def peak_memory(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the large scenario")
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    args = ap.parse_args()

    sc = small_scenario(365)
    best_sl = best_hw = float("inf")
    for _ in range(args.repeat):
        r, t_sl = timed(run_replication, sc, 1, 0)
        (orders_hw, fill_hw), t_hw = timed(handwritten, 365.0)
        best_sl, best_hw = min(best_sl, t_sl), min(best_hw, t_hw)
    orders = r.kpis["orders"]
    print(f"small system, 365 days (best of {args.repeat})")
    print(f"  supplylab    : {orders:9,.0f} orders  {best_sl:7.3f} s  {orders / best_sl:10,.0f} "
          f"orders/s  fill_rate {r.kpis['fill_rate']:.4f}  audit {r.audit.units_conserved}")
    print(f"  hand-written : {orders_hw:9,d} orders  {best_hw:7.3f} s  {orders_hw / best_hw:10,.0f} "
          f"orders/s  fill_rate {fill_hw:.4f}")
    ratio = (best_sl / orders) / (best_hw / orders_hw)
    print(f"  ratio (time per order, supplylab / hand-written): {ratio:.2f}  (target <= 1.5)")

    m1 = peak_memory(run_replication, small_scenario(365), 1, 0)
    m4 = peak_memory(run_replication, small_scenario(1460), 1, 0)
    print(f"peak memory (tracemalloc): 365 days {m1:.1f} MiB, 1,460 days {m4:.1f} MiB "
          f"(ratio {m4 / m1:.2f}; flat = about 1)")

    if not args.quick:
        big = load(ROOT / "scenarios" / "large_network.yaml")
        net = big.network
        print(f"large network: {len(net.customers):,} customers, {len(big.products)} products, "
              f"{len(big.facilities)} sites, {big.simulation.horizon_days:g} days")
        tracemalloc.start()
        r, t = timed(run_replication, big, big.simulation.seed, 0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {r.kpis['orders']:,.0f} orders, {r.kpis['demand_units']:,.0f} units in {t:.1f} s "
              f"(under tracemalloc) -> {r.kpis['orders'] / t:,.0f} orders/s; peak {peak / 2**20:.0f} MiB;"
              f" fill_rate {r.kpis['fill_rate']:.3f}; audit {r.audit.units_conserved}")
        r, t = timed(run_replication, big, big.simulation.seed, 0)
        print(f"  without tracemalloc: {t:.1f} s (target < 60 s)")


if __name__ == "__main__":
    main()
