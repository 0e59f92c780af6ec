"""Start-up cost of the command line: CPU and wall time of `supplylab --help`, a few command
helps, a validation and short runs (to the terminal, ``--json``, ``--out``), in fresh
interpreters (median of N runs), and the heavy modules they load.

    python bench/startup.py            # 7 runs each
    python bench/startup.py --runs 15

Targets (issue 11): `supplylab --help` under 0.3 s of CPU (the command line imports typer
only; each command imports what it needs when it runs); a short run's start-up (its whole
process minus the simulate call) under 0.5 s. The runs simulate regional_3pl for 130 days
(the 30-day warm-up and 100 measured days, one replication): their figures include that
simulate call. CPU time (user + sys of the child) is the figure to compare on a busy machine;
wall time includes waiting for a core. With ``PYTHONDONTWRITEBYTECODE`` set (as on the
project's shared machine) every run also compiles supplylab's sources, about 0.06-0.08 CPU-s
that an installed copy does not pay.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "regional_3pl.yaml")
SHORT_RUN = ["run", SCENARIO, "--days", "130", "--replications", "1"]
#: ``{out}`` is a fresh folder for each run
COMMANDS = (["--help"], ["--version"], ["run", "--help"], ["compare", "--help"],
            ["sweep", "--help"], ["optimize", "--help"], ["validate", SCENARIO], SHORT_RUN,
            [*SHORT_RUN, "--json"], [*SHORT_RUN, "--out", "{out}"])
HEAVY = ("pandas", "scipy", "numpy", "networkx", "pulp", "simpy", "highspy", "pydantic", "rich")
#: the console entry point itself (as ``supplylab ARGS`` runs it), the modules loaded printed
#: on the way out
PROBE = ("import atexit, sys\n"
         "atexit.register(lambda: print('LOADED', ' '.join(m for m in {heavy!r} "
         "if m in sys.modules)))\n"
         "from supplylab.cli import entry\nentry()\n")


def measure(args: list[str], runs: int) -> tuple[float, float, str]:
    """Median CPU and wall seconds of ``supplylab ARGS`` and the heavy modules it loaded."""
    cpu, wall = [], []
    loaded = ""
    for i in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            argv = [a.replace("{out}", str(Path(tmp) / f"out{i}")) for a in args]
            t0 = time.perf_counter()
            before = os.times()
            out = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
                                 capture_output=True, text=True, check=False, cwd=ROOT)
            after = os.times()
            wall.append(time.perf_counter() - t0)
        cpu.append((after.children_user - before.children_user)
                   + (after.children_system - before.children_system))
        loaded = out.stdout.strip().splitlines()[-1].removeprefix("LOADED").strip()
    return statistics.median(cpu), statistics.median(wall), loaded or "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    ns = parser.parse_args()
    labels = ["supplylab " + " ".join(Path(a).name if a == SCENARIO else a.replace("{out}", "DIR")
                                      for a in args) for args in COMMANDS]
    width = max(len(label) for label in labels)
    print(f"{'command':{width}} {'cpu s':>7} {'wall s':>7}  heavy modules loaded")
    for label, args in zip(labels, COMMANDS, strict=True):
        cpu, wall, loaded = measure(args, ns.runs)
        print(f"{label:{width}} {cpu:7.3f} {wall:7.3f}  {loaded}")
    print(f"(the runs' simulate call, in a warm process: {simulate_cpu():.3f} CPU-s; start-up = "
          "cpu s - this)")


def simulate_cpu() -> float:
    """CPU seconds of the short runs' simulate call (regional_3pl, 130 days, replication 0),
    measured after a first call in this process (imports and caches warm)."""
    from supplylab.scenario import load
    from supplylab.sim import run_replication

    sc = load(SCENARIO)
    run_replication(sc, sc.simulation.seed, 0, days=130.0)
    t0 = time.process_time()
    run_replication(sc, sc.simulation.seed, 0, days=130.0)
    return time.process_time() - t0


if __name__ == "__main__":
    main()
