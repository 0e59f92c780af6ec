"""The opt-in event log: one CSV row per demand line, shipment, loss, replenishment, receipt.

Nothing is formatted unless a log is requested (the engine checks ``log is not None``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..scenario.scenario import Scenario
from .engine import run_replication
from .result import ReplicationResult

COLUMNS = ("time_days", "event", "customer", "product", "site", "units", "arrival_days")


def write_event_log(scenario: Scenario, seed: int, replication: int, path: str | Path,
                    days: float | None = None) -> ReplicationResult:
    """Run one replication with its event log written to ``path`` (CSV, written atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)

        def log(t: float, event: str, customer: str, product: str, site: str, units: float,
                arrival: Any = "") -> None:
            writer.writerow((f"{t:.6f}", event, customer, product, site, f"{units:g}",
                             f"{arrival:.6f}" if arrival != "" else ""))

        result = run_replication(scenario, seed, replication, days=days, events=log)
    tmp.replace(path)
    return result
