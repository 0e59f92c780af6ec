"""Simulation speed: supplylab against hand-written SimPy models of the same systems.

Prints one table (the aims of issue 11; docs/engine.md records it):
  * the peer network (1 supplier -> 1 DC -> 20 retailers with (s, S), Poisson demand at each
    retailer, 365 days): CPU seconds of the simulate call (``run_replication``) against
    - a *lean* hand-written SimPy model (plain lists, one process per retailer's customers,
      replenishments as timeouts with callbacks), and
    - an *idiomatic* SimPy model (``Container`` stocks, a process per order and per shipment);
  * the small system (1 supplier, 1 warehouse, 10 products, 50 customers, 365 days) against
    its lean hand-written model, and orders per CPU-second;
  * start-up: CPU seconds of ``supplylab --help`` and of a whole ``supplylab run`` process
    beyond its simulate call, printing the table, the document (``--json``) or writing the
    files (``--out DIR``); the processes run with the environment's bytecode setting (with
    ``PYTHONDONTWRITEBYTECODE`` set, each compiles supplylab's sources, about 0.08 CPU-s
    that an installed copy, whose bytecode pip writes, does not pay);
  * the large network (scenarios/large_network.yaml: 2,200 customers, 200 products, 24 sites)
    over 365 days;
  * peak memory (RSS of a fresh process) of the large network at 365 / 1,460 / 3,650 days.

The machine may be shared: every time is CPU time of this process (``time.process_time``) or of
a child process (``resource.getrusage``), and each ratio is the median of paired runs
(supplylab and the hand-written model alternately).

Run:  python bench/sim_throughput.py [--quick] [--repeat N]
Not a test: targets are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import simpy
import yaml

from supplylab.scenario import build, load
from supplylab.sim import run_replication

ROOT = Path(__file__).resolve().parents[1]
HERE = {"lat": 45.0, "lon": 7.0}

# ---------------------------------------------------------------------------- small system
N_PRODUCTS, N_CUSTOMERS, RATE, LEAD, S_LOW, S_UP = 10, 50, 2.0, 3.0, 40, 120


def small_scenario(horizon: float):
    """The small system in the scenario language (same parameters as ``small_lean``)."""
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


def small_lean(horizon: float, seed: int = 1) -> int:
    """A lean SimPy model of the small system: one process per customer, (s, S) on inventory
    position, FIFO backorders, constant lead time. Returns the number of orders."""
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
    return stats["orders"]


# ---------------------------------------------------------------------------- peer network
N_RETAIL, R_RATE, R_LOW, R_UP, DC_LOW, DC_UP, DC_LEAD, R_TRANSIT = 20, 10.0, 20, 60, 300, 900, 3.0, 1.0


def peer_data(horizon: float) -> dict:
    """1 supplier -> 1 DC -> 20 retailers, (s, S) everywhere, Poisson unit demand at each
    retailer, FIFO backorders (the network SupplyNetPy's examples use), as scenario data."""
    far = {"lat": 46.0, "lon": 7.0}
    data = {
        "name": "bench peer", "simulation": {"horizon_days": horizon},
        "allocation": {"rule": "fifo"},
        "transport_defaults": {"speed_km_per_day": 1e9, "min_transit_days": 0,
                               "cost_per_shipment": 0, "cost_per_unit_km": 0,
                               "co2_kg_per_unit_km": 0},
        "products": [{"id": "P", "price": 10, "unit_cost": 4, "importance": 3,
                      "max_backorder_days": 1e6}],
        "suppliers": [{"id": "S", "location": HERE, "products": ["P"], "lead_time": DC_LEAD}],
        "facilities": [{"id": "DC", "location": HERE, "replenish_from": "S",
                        "inventory": {"P": {"policy": "sS", "s": DC_LOW, "S": DC_UP}}}]
        + [{"id": f"R{i}", "location": far, "replenish_from": "DC",
            "inventory": {"P": {"policy": "sS", "s": R_LOW, "S": R_UP}}}
           for i in range(N_RETAIL)],
        "lanes": [{"from": "DC", "to": f"R{i}", "transit_time": R_TRANSIT}
                  for i in range(N_RETAIL)],
        "customers": [{"id": f"C{i}", "tier": "standard", "location": far, "served_by": f"R{i}",
                       "orders_per_day": R_RATE, "product_mix": {"P": 1}}
                      for i in range(N_RETAIL)],
    }
    return data


def peer_scenario(horizon: float):
    """The peer network as a scenario."""
    return build(peer_data(horizon), {}, "<bench>")


def peer_lean(horizon: float, seed: int = 1) -> int:
    """The peer network with plain state and callbacks: (s, S) on inventory position at the
    DC and each retailer, FIFO backorders at both. Returns the number of orders."""
    env = simpy.Environment()
    rng = random.Random(seed)
    n = N_RETAIL
    on_hand = [float(R_UP)] * n + [float(DC_UP)]  # index n is the DC
    on_order = [0.0] * (n + 1)
    backlog = [deque() for _ in range(n + 1)]  # retailers: units; DC: (retailer, units)
    backlog_units = [0.0] * (n + 1)
    stats = {"orders": 0, "from_stock": 0}

    def dc_receive(q: float) -> None:
        on_hand[n] += q
        on_order[n] -= q
        bl = backlog[n]
        while bl and on_hand[n] > 0:
            r, need = bl[0]
            k = min(need, on_hand[n])
            on_hand[n] -= k
            backlog_units[n] -= k
            ship(r, k)
            if k == need:
                bl.popleft()
            else:
                bl[0] = (r, need - k)
        dc_review()

    def dc_review() -> None:
        ip = on_hand[n] + on_order[n] - backlog_units[n]
        if ip <= DC_LOW:
            q = DC_UP - ip
            on_order[n] += q
            env.timeout(DC_LEAD).callbacks.append(lambda _e, q=q: dc_receive(q))

    def ship(r: int, q: float) -> None:
        env.timeout(R_TRANSIT).callbacks.append(lambda _e, r=r, q=q: r_receive(r, q))

    def r_receive(r: int, q: float) -> None:
        on_hand[r] += q
        on_order[r] -= q
        bl = backlog[r]
        while bl and on_hand[r] > 0:
            need = bl[0]
            k = min(need, on_hand[r])
            on_hand[r] -= k
            backlog_units[r] -= k
            if k == need:
                bl.popleft()
            else:
                bl[0] = need - k

    def r_review(r: int) -> None:
        ip = on_hand[r] + on_order[r] - backlog_units[r]
        if ip <= R_LOW:
            q = R_UP - ip
            on_order[r] += q
            take = min(q, on_hand[n])
            if take > 0:
                on_hand[n] -= take
                ship(r, take)
            if take < q:
                backlog[n].append((r, q - take))
                backlog_units[n] += q - take
            dc_review()

    def customers(r: int):
        while True:
            yield env.timeout(rng.expovariate(R_RATE))
            stats["orders"] += 1
            if on_hand[r] >= 1:
                on_hand[r] -= 1
                stats["from_stock"] += 1
            else:
                backlog[r].append(1.0)
                backlog_units[r] += 1
            r_review(r)

    for r in range(n):
        env.process(customers(r))
    env.run(until=horizon)
    return stats["orders"]


def peer_idiomatic(horizon: float, seed: int = 1) -> int:
    """The peer network as SimPy's documentation would write it: a ``Container`` per stock,
    a process per customer order (it waits on ``get`` when the shelf is empty: a FIFO
    backorder), a process per replenishment order and per shipment."""
    env = simpy.Environment()
    rng = random.Random(seed)
    dc = simpy.Container(env, init=DC_UP)
    shelves = [simpy.Container(env, init=R_UP) for _ in range(N_RETAIL)]
    position = [float(R_UP)] * N_RETAIL
    dc_position = [float(DC_UP)]
    stats = {"orders": 0}

    def supply(q: float):
        yield env.timeout(DC_LEAD)
        yield dc.put(q)

    def dc_order(q: float) -> None:
        dc_position[0] -= q
        if dc_position[0] <= DC_LOW:
            qty = DC_UP - dc_position[0]
            dc_position[0] += qty
            env.process(supply(qty))

    def deliver(r: int, q: float):
        yield dc.get(q)
        yield env.timeout(R_TRANSIT)
        yield shelves[r].put(q)

    def order(r: int):
        yield shelves[r].get(1)

    def customers(r: int):
        while True:
            yield env.timeout(rng.expovariate(R_RATE))
            stats["orders"] += 1
            env.process(order(r))
            position[r] -= 1
            if position[r] <= R_LOW:
                qty = R_UP - position[r]
                position[r] += qty
                dc_order(qty)
                env.process(deliver(r, qty))

    for r in range(N_RETAIL):
        env.process(customers(r))
    env.run(until=horizon)
    return stats["orders"]


# ---------------------------------------------------------------------------- measuring
def cpu(fn, *args):
    """(result, CPU seconds of this process)."""
    t = time.process_time()
    out = fn(*args)
    return out, time.process_time() - t


def paired(repeat: int, ours, theirs) -> tuple[float, float, float]:
    """Median CPU seconds of ``ours`` and ``theirs`` run alternately, and the median of the
    paired ratios ours / theirs."""
    a, b, r = [], [], []
    for _ in range(repeat):
        _, ta = cpu(ours)
        _, tb = cpu(theirs)
        a.append(ta)
        b.append(tb)
        r.append(ta / tb)
    return statistics.median(a), statistics.median(b), statistics.median(r)


def child_cpu(cmd: list[str]) -> float:
    """CPU seconds (user + system) of a child process running ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


RSS_CHILD = """
import resource, sys, time
from supplylab.scenario import load
from supplylab.sim import run_replication
sc = load(sys.argv[1])
t = time.process_time()
r = run_replication(sc, sc.simulation.seed, 0, days=float(sys.argv[2]))
print(time.process_time() - t, r.kpis["orders"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def large_run(days: float) -> tuple[float, float, float]:
    """(CPU seconds of the simulate call, orders, peak RSS MiB) of the large network in a
    fresh process."""
    out = subprocess.run([sys.executable, "-c", RSS_CHILD,
                          str(ROOT / "scenarios" / "large_network.yaml"), str(days)],
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]) / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="skip the large network and the memory runs")
    ap.add_argument("--repeat", type=int, default=5, help="paired runs per ratio (default 5)")
    args = ap.parse_args()
    rows: list[tuple[str, str, str]] = []

    peer = peer_scenario(365)
    orders = run_replication(peer, 1, 0).kpis["orders"]
    t_sl, t_lean, ratio_lean = paired(args.repeat, lambda: run_replication(peer, 1, 0),
                                      lambda: peer_lean(365.0))
    _, t_idio, ratio_idio = paired(args.repeat, lambda: run_replication(peer, 1, 0),
                                   lambda: peer_idiomatic(365.0))
    rows.append(("peer network, simulate call / lean SimPy",
                 f"{ratio_lean:.2f}x ({t_sl:.3f} vs {t_lean:.3f} CPU-s, {orders:,.0f} orders)",
                 "<= 1.5x"))
    rows.append(("peer network, simulate call / idiomatic SimPy",
                 f"{ratio_idio:.2f}x (idiomatic {t_idio:.3f} CPU-s)", "<= 0.8x"))

    small = small_scenario(365)
    r = run_replication(small, 1, 0)
    t_s, t_h, ratio_s = paired(args.repeat, lambda: run_replication(small, 1, 0),
                               lambda: small_lean(365.0))
    rows.append(("small system, simulate call / hand-written",
                 f"{ratio_s:.2f}x ({t_s:.3f} vs {t_h:.3f} CPU-s)", "<= 1.5x"))
    rows.append(("small system, orders per CPU-second",
                 f"{r.kpis['orders'] / t_s:,.0f} (hand-written {small_lean(365.0) / t_h:,.0f})",
                 ""))

    help_cpu = statistics.median(child_cpu([sys.executable, "-m", "supplylab", "--help"])
                                 for _ in range(3))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "peer.yaml"
        path.write_text(yaml.safe_dump(peer_data(365)))
        sc = load(path)
        _, t_sim = cpu(lambda: run_replication(sc, sc.simulation.seed, 0, days=30.0))
        run = [sys.executable, "-m", "supplylab", "run", str(path), "--days", "30",
               "--replications", "1"]
        whole = statistics.median(child_cpu(run) for _ in range(3))
        whole_json = statistics.median(child_cpu([*run, "--json"]) for _ in range(3))
        whole_out = statistics.median(child_cpu([*run, "--out", str(Path(tmp) / f"out{i}")])
                                      for i in range(3))
    rows.append(("`supplylab --help`", f"{help_cpu:.2f} CPU-s", "< 0.3 s"))
    rows.append(("start-up: `supplylab run` process - simulate call (peer, 30 d)",
                 f"{whole - t_sim:.2f} CPU-s (whole {whole:.2f}, simulate {t_sim:.2f})",
                 "< 0.5 s"))
    rows.append(("start-up: `supplylab run --json` process - simulate call (peer, 30 d)",
                 f"{whole_json - t_sim:.2f} CPU-s (whole {whole_json:.2f})", "< 0.5 s"))
    rows.append(("start-up: `supplylab run --out DIR` process - simulate call (peer, 30 d)",
                 f"{whole_out - t_sim:.2f} CPU-s (whole {whole_out:.2f})", "< 0.5 s"))

    if not args.quick:
        t_big, o_big, rss1 = large_run(365)
        rows.append(("large network (2,200 customers, 200 products, 24 sites), 365 d",
                     f"{t_big:.1f} CPU-s simulate ({o_big:,.0f} orders)", "< 3 s"))
        _, _, rss4 = large_run(1460)
        _, _, rss10 = large_run(3650)
        rows.append(("large network peak RSS, 365 / 1,460 / 3,650 d",
                     f"{rss1:.0f} / {rss4:.0f} / {rss10:.0f} MiB", "flat"))

    width = max(len(a) for a, _, _ in rows)
    vwidth = max(len(b) for _, b, _ in rows)
    print(f"| {'measure':<{width}} | {'now':<{vwidth}} | aim |")
    print(f"|{'-' * (width + 2)}|{'-' * (vwidth + 2)}|---|")
    for a, b, c in rows:
        print(f"| {a:<{width}} | {b:<{vwidth}} | {c} |")
    print(f"(CPU time; paired medians of {args.repeat}; python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
