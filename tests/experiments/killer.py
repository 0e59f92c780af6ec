"""A run function whose worker process dies (SIGKILL) on chosen replications, for the tests
of the process runner. The scenario's ``name`` is a folder: a replication listed in
``KILL_ONCE`` kills its worker the first time only (a marker file remembers); replication
``POISON`` kills every worker it meets when the folder name ends in ``poison``."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from supplylab.experiments.synthetic import run_synthetic

KILL_ONCE = (1, 4)
POISON = 2


def killing_run(scenario: Any, seed: int, replication: int, days: float | None = None) -> Any:
    folder = Path(scenario.name)
    if replication == POISON and folder.name.endswith("poison"):
        os.kill(os.getpid(), signal.SIGKILL)
    marker = folder / f"killed-{replication}"
    if replication in KILL_ONCE and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return run_synthetic(scenario, seed, replication, days=days)
