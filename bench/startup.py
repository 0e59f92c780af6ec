"""Start-up cost of the command line: CPU and wall time of `supplylab --help` and of a few
command helps, in fresh interpreters (median of N runs), and the modules they load.

    python bench/startup.py            # 7 runs each
    python bench/startup.py --runs 15

Target: `supplylab --help` under 0.3 s of CPU (the command line imports typer and rich only;
each command imports what it needs when it runs). CPU time (user + sys of the child) is the
figure to compare on a busy machine; wall time includes waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = (["--help"], ["--version"], ["run", "--help"], ["compare", "--help"],
            ["sweep", "--help"], ["optimize", "--help"])
HEAVY = ("pandas", "scipy", "numpy", "networkx", "pulp", "simpy", "highspy")
PROBE = ("import sys\nfrom supplylab.cli import main\nmain(sys.argv[1:])\n"
         "print('LOADED', ' '.join(m for m in {heavy!r} if m in sys.modules))\n")


def measure(args: list[str], runs: int) -> tuple[float, float, str]:
    """Median CPU and wall seconds of ``supplylab ARGS`` and the heavy modules it loaded."""
    cpu, wall = [], []
    loaded = ""
    for _ in range(runs):
        t0 = time.perf_counter()
        before = os.times()
        out = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
                             capture_output=True, text=True, check=False)
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
    print(f"{'command':28} {'cpu s':>7} {'wall s':>7}  heavy modules loaded")
    for args in COMMANDS:
        cpu, wall, loaded = measure(args, ns.runs)
        print(f"{'supplylab ' + ' '.join(args):28} {cpu:7.3f} {wall:7.3f}  {loaded}")


if __name__ == "__main__":
    main()
