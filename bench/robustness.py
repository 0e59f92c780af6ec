"""Robustness: hostile and careless inputs with the outcome of each, and the soak figure.

    python bench/robustness.py                 # the input table and a 1,000-run soak
    python bench/robustness.py --runs 200      # a quicker soak
    python bench/robustness.py --no-soak       # only the table

The table runs every input through the command line (``supplylab.cli.main``, in process) and
prints its exit code (0 ok, 2 input error, 3 optimisation; never 1), the wall time and the
first line of what the user reads. The soak runs ``--runs`` replications of a small scenario
through the process runner (2 workers) into a results store while one worker is killed with
SIGKILL every 50 finished runs, then checks that every run is stored exactly once, finished,
with its KPI rows, and that a sample equals the same runs done serially.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import re
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = (ROOT / "tests" / "experiments" / "data" / "small.yaml").read_text()
EXPERIMENT = "name: hostile\nscenario: small.yaml\nparameters:\n  facilities.W.inventory.P.s: [5, 10]\n"


def _bomb() -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]" for k in range(1, 10)]
    return "\n".join(lines) + "\n"


def _grid() -> str:
    values = "[" + ", ".join(map(str, range(1000))) + "]"
    return ("name: giant\nscenario: small.yaml\nparameters:\n"
            f"  facilities.W.inventory.P.s: {values}\n  facilities.W.inventory.P.S: {values}\n"
            f"  costs.holding_rate_per_year: {values}\n")


def _sub(old: str, new: str) -> str:
    assert old in SMALL, old
    return SMALL.replace(old, new)


RUN = ["--replications", "1", "--workers", "1", "--days", "20"]
#: (what, files to write {name: text or bytes}, arguments; "{d}" is the folder)
CASES: list[tuple[str, dict[str, str | bytes], list[str]]] = [
    ("horizon_days: 1e308", {"s.yaml": _sub("horizon_days: 60", "horizon_days: 1e308")},
     ["run", "{d}/s.yaml"]),
    ("--days inf", {}, ["run", "{d}/small.yaml", "--days", "inf"]),
    ("orders_per_day: .inf", {"s.yaml": _sub("orders_per_day: 4", "orders_per_day: .inf")},
     ["validate", "{d}/s.yaml"]),
    ("trend_per_year: .inf", {"s.yaml": _sub("orders_per_day: 4", "orders_per_day: 4, "
                                             "trend_per_year: .inf")}, ["validate", "{d}/s.yaml"]),
    ("NaN reorder point in the file", {"s.yaml": _sub("s: 10", "s: .nan")},
     ["validate", "{d}/s.yaml"]),
    ("NaN reorder point via --set", {}, ["validate", "{d}/small.yaml", "--set",
                                         "facilities.W.inventory.P.s=.nan"]),
    ("price: '180'", {"s.yaml": _sub("price: 10", "price: '180'")}, ["validate", "{d}/s.yaml"]),
    ("reliability: true", {"s.yaml": _sub("lead_time: 3", "lead_time: 3, reliability: true")},
     ["validate", "{d}/s.yaml"]),
    ("lead_time: -3", {"s.yaml": _sub("lead_time: 3", "lead_time: -3")},
     ["validate", "{d}/s.yaml"]),
    ("1e6 orders/day x 3650 days", {"s.yaml": _sub("orders_per_day: 4", "orders_per_day: 1.0e6")
                                    .replace("horizon_days: 60", "horizon_days: 3650")},
     ["run", "{d}/s.yaml"]),
    ("supplier capacity_per_day: 0", {"s.yaml": _sub("lead_time: 3", "lead_time: 3, "
                                                     "capacity_per_day: 0")},
     ["run", "{d}/s.yaml", *RUN]),
    ("extends: /etc/passwd", {"s.yaml": "extends: /etc/passwd\n"}, ["validate", "{d}/s.yaml"]),
    ("extends: ../../../etc/hosts", {"s.yaml": "extends: ../../../../../../../etc/hosts\n"},
     ["validate", "{d}/s.yaml"]),
    ("extends: a list", {"l.yaml": "- a\n- b\n", "s.yaml": "extends: l.yaml\n" + SMALL},
     ["validate", "{d}/s.yaml"]),
    ("nesting 5,000 levels", {"s.yaml": "products: " + "[" * 5000 + "]" * 5000 + "\n"},
     ["validate", "{d}/s.yaml"]),
    ("--set value nested 5,000 levels", {}, ["validate", "{d}/small.yaml", "--set",
                                             "name=" + "[" * 5000 + "]" * 5000]),
    ("--set path of 1,000 segments", {}, ["validate", "{d}/small.yaml", "--set",
                                          ".".join(["costs"] * 1000) + "=1"]),
    ("experiment: not UTF-8", {"e.yaml": "name: caf\u00e9\n".encode("latin-1")},
     ["sweep", "{d}/e.yaml", "--out", "{d}/o"]),
    ("experiment: binary", {"e.yaml": b"\x89PNG\r\n\x1a\n\x00\x00"},
     ["sweep", "{d}/e.yaml", "--out", "{d}/o"]),
    ("experiment: alias bomb", {"e.yaml": _bomb()}, ["sweep", "{d}/e.yaml", "--out", "{d}/o"]),
    ("experiment: 51 MiB file", {"e.yaml": EXPERIMENT + "#" * (51 * 2**20) + "\n"},
     ["sweep", "{d}/e.yaml", "--out", "{d}/o"]),
    ("experiment: 10^9-point grid", {"e.yaml": _grid()},
     ["sweep", "{d}/e.yaml", "--out", "{d}/o"]),
    ("experiment: days: .inf", {"e.yaml": EXPERIMENT + "days: .inf\n"},
     ["sweep", "{d}/e.yaml", "--out", "{d}/o"]),
    ("experiment: days below warm-up", {"e.yaml": EXPERIMENT + "days: 3\n"},
     ["sweep", "{d}/e.yaml", "--out", "{d}/o"]),
    ("experiment: NaN sweep point", {"e.yaml": EXPERIMENT.replace("[5, 10]", "[5, .nan]")},
     ["sweep", "{d}/e.yaml", "--out", "{d}/o"]),
    ("--events DIR (existing folder)", {}, ["run", "{d}/small.yaml", *RUN, "--events", "{d}"]),
    ("--out is a file", {"f.txt": "x"}, ["run", "{d}/small.yaml", *RUN, "--out", "{d}/f.txt"]),
    ("rich markup in names", {"s.yaml": _sub("name: small single site", "name: '[/] [link="
                                             "file:///etc/passwd]x[/link]'")},
     ["run", "{d}/s.yaml", *RUN]),
    ("--precision fill_rate=-1", {}, ["run", "{d}/small.yaml", *RUN, "--precision",
                                      "fill_rate=-1"]),
    ("--precision fill_rate=nan", {}, ["run", "{d}/small.yaml", *RUN, "--precision",
                                       "fill_rate=nan"]),
    ("--precision fil_rate=0.01", {}, ["run", "{d}/small.yaml", *RUN, "--precision",
                                       "fil_rate=0.01"]),
]


def _cli(argv: list[str]) -> tuple[int, float, str]:
    from supplylab.cli import main

    err = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(argv)
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    return rc, time.perf_counter() - t0, lines[0] if lines else ""


def _store_cases(folder: Path) -> list[tuple[str, int, float, str]]:
    """A damaged store on resume, and a second sweep while the first holds the lock."""
    from supplylab.experiments import ResultStore

    (folder / "small.yaml").write_text(SMALL)
    (folder / "e.yaml").write_text(EXPERIMENT + "replications: 1\n")
    out = folder / "store"
    argv = ["sweep", str(folder / "e.yaml"), "--out", str(out), "--workers", "1"]
    _cli(argv)
    with sqlite3.connect(out / "results.sqlite") as db:
        db.execute("DROP TABLE kpi_values")
    rows = [("store: kpi_values dropped, resume", *_cli(argv))]
    (out / "results.sqlite").unlink()
    with ResultStore(out / "results.sqlite"):
        rows.append(("store: second sweep while locked", *_cli(argv)))
    return rows


def table() -> int:
    """Print every case's outcome; returns how many ended in exit 1."""
    rows: list[tuple[str, int, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for what, files, argv in CASES:
            case = Path(tempfile.mkdtemp(dir=tmp))
            (case / "small.yaml").write_text(SMALL)
            for name, data in files.items():
                (case / name).write_bytes(data if isinstance(data, bytes) else data.encode())
            rows.append((what, *_cli([a.replace("{d}", str(case)) for a in argv])))
        rows += _store_cases(Path(tempfile.mkdtemp(dir=tmp)))
    print(f"{'input':34} {'exit':>4} {'seconds':>7}  message (after FILE:LINE:COL)")
    print("-" * 130)
    for what, rc, secs, line in rows:
        line = re.sub(r"^\S*?(:\d+:\d+)?: ", "", line.replace(tmp, "..."))
        print(f"{what:34} {rc:>4} {secs:7.2f}  {line[:80]}")
    bad = sum(rc == 1 for _, rc, _, _ in rows)
    print(f"\n{len(rows)} inputs; exit 1 (internal error): {bad}")
    return bad


def soak(runs: int, every: int, seed: int) -> bool:
    """The soak figure; returns whether every run was stored exactly once."""
    from supplylab.experiments import sweep
    from supplylab.experiments.runners import run_task
    from supplylab.scenario import load

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        scen = Path(tmp) / "small.yaml"
        scen.write_text(SMALL.replace("horizon_days: 60", "horizon_days: 30"))
        sc = load(scen)
        points = max(1, runs // 10)
        params = {"facilities.W.inventory.P.s": [5 + 0.01 * k for k in range(points)]}
        reps = runs // points
        seen: dict[int, None] = {}
        kills = 0
        done = 0

        def on_outcome(o: object) -> None:
            nonlocal kills, done
            done += 1
            pid = int(str(getattr(o, "worker", "")).rpartition(":")[2] or 0)
            if pid:
                seen[pid] = None
            if done % every == 0 and seen:
                victim = rng.choice(list(seen)[-2:])  # one of the current pool's workers
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim, signal.SIGKILL)
                    kills += 1

        t0 = time.perf_counter()
        res = sweep(sc, params, replications=reps, seed=seed, runner="processes", workers=2,
                    out=Path(tmp) / "out", progress=False, on_outcome=on_outcome)
        wall = time.perf_counter() - t0
        with sqlite3.connect(Path(tmp) / "out" / "results.sqlite") as db:
            stored = db.execute("SELECT count(*), count(DISTINCT point || '/' || replication), "
                                "sum(status = 'ok') FROM runs").fetchone()
            missing = db.execute(
                "SELECT count(*) FROM runs r WHERE NOT EXISTS (SELECT 1 FROM kpi_values v "
                "WHERE v.point = r.point AND v.replication = r.replication)").fetchone()[0]
        total = points * reps
        sample = rng.sample([(p, r) for p in range(points) for r in range(reps)], 10)
        plan_exp = res.experiment
        from supplylab.experiments.runners import RunPlan

        plan = RunPlan((sc,), tuple((0, p) for p in plan_exp.points), plan_exp.seed)
        same = all(
            run_task(plan, p, r).result.kpis["fill_rate"]  # type: ignore[union-attr]
            == float(res.table[(res.table["point"] == p) & (res.table["replication"] == r)
                               & (res.table["dimension"] == "all")
                               & (res.table["kpi"] == "fill_rate")]["value"].iloc[0])
            for p, r in sample)
    exactly_once = stored[0] == stored[1] == stored[2] == total and missing == 0
    print(f"\nsoak: {total} runs ({points} points x {reps} replications) of a 30-day scenario on "
          f"2 worker processes, a worker killed (SIGKILL) every {every} finished runs")
    print(f"  workers killed          {kills}")
    print(f"  rows in the store       {stored[0]} ({stored[1]} distinct, {stored[2]} finished, "
          f"{missing} without KPI rows)")
    print(f"  failed runs             {len(res.failures)}")
    print(f"  stored exactly once     {'yes' if exactly_once else 'NO'}")
    print(f"  sample equals serial    {'yes' if same else 'NO'} (10 random runs)")
    print(f"  wall                    {wall:.1f} s ({wall / total * 1000:.0f} ms per run)")
    return exactly_once and same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000, help="soak runs (default 1000)")
    ap.add_argument("--every", type=int, default=50, help="kill a worker every N runs")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-soak", action="store_true")
    args = ap.parse_args()
    bad = table()
    ok = True if args.no_soak else soak(args.runs, args.every, args.seed)
    return 0 if bad == 0 and ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
