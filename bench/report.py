"""Time the report of a 100-point sweep (target: under 30 s) and of the quickstart run.

    python bench/report.py                    # 10 x 10 grid of the synthetic model, 3 reps
    python bench/report.py --engine           # the real engine: 100 points of the quickstart
                                              # scenario, 1 replication of 35 days each (slow)
    python bench/report.py --quickstart       # also the quickstart run (5 x 240 days)

Only the report is timed; making the results folder is reported separately. The figures are
wall-clock seconds on this machine: other jobs sharing the cores slow them (the CPU seconds
printed beside them show how much of the wall time the report itself used).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_sweep(out: Path, engine: bool) -> float:
    """Write a 100-point grid sweep to ``out``; returns its wall seconds."""
    from supplylab.experiments.sweep import sweep

    t0 = time.perf_counter()
    if engine:
        from supplylab.scenario import load

        sc = load(ROOT / "scenarios" / "regional_3pl.yaml")
        params = {"facilities.DC-KS.inventory.default.s": [100 + 20 * i for i in range(10)],
                  "costs.holding_rate_per_year": [0.1 + 0.03 * i for i in range(10)]}
        sweep(sc, params, replications=1, days=35, out=out, progress=False)
    else:
        from supplylab.experiments.synthetic import SyntheticScenario, run_synthetic

        params = {"demand.mean": [70.0 + 6 * i for i in range(10)],
                  "stock.level": [80.0 + 6 * i for i in range(10)]}
        sweep(SyntheticScenario(), params, replications=3, runner="serial", out=out,
              progress=False, run_fn=run_synthetic)
    return time.perf_counter() - t0


def time_report(folder: Path, output: Path, scenario: Path | None = None) -> None:
    from supplylab.report import report

    w0, c0 = time.perf_counter(), time.process_time()
    path = report(folder, output, scenario=scenario)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    html = path.read_text(encoding="utf-8")
    print(f"  report: {wall:.1f} s wall ({cpu:.1f} s CPU), {path.stat().st_size / 1e6:.2f} MB, "
          f"{html.count('<figure ')} figures, {html.count('<table id=')} tables -> {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", action="store_true", help="sweep the real engine (slow)")
    ap.add_argument("--quickstart", action="store_true", help="also time the quickstart run")
    ap.add_argument("--out", type=Path, help="keep the folders here (default: a temp dir)")
    args = ap.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="supplylab-bench-report-"))
    folder = base / "sweep100"
    made = make_sweep(folder, args.engine)
    kind = "engine (quickstart, 1 x 35 days)" if args.engine else "synthetic model (3 reps)"
    print(f"100-point sweep, {kind}: made in {made:.1f} s")
    time_report(folder, folder / "report.html",
                ROOT / "scenarios" / "regional_3pl.yaml" if args.engine else None)
    if args.quickstart:
        from supplylab.experiments.results import replicate
        from supplylab.report import write_network
        from supplylab.scenario import load

        sc = load(ROOT / "scenarios" / "regional_3pl.yaml")
        run = base / "quickstart"
        t0 = time.perf_counter()
        replicate(sc, runner="processes").write(run)
        write_network(sc, run)
        print(f"quickstart run (5 x 240 days): made in {time.perf_counter() - t0:.1f} s")
        time_report(run, run / "report.html")


if __name__ == "__main__":
    main()
