"""Reports a consultant can hand to a client: one self-contained HTML (or Markdown) file with
figures, a network map and tables, from any results folder (docs/report.md).

    from supplylab.report import report
    report("out/quickstart", "out/quickstart/report.html")

matplotlib is imported only when a report is built, so other commands start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def report(results_dir: str | Path, output: str | Path, *, scenario: Any = None) -> Path:
    """Write the report of ``results_dir`` to ``output`` (``.html`` or ``.md``).

    ``scenario`` (a Scenario or a scenario file) supplies the network map when the folder has
    no ``network.json``. Figures go to ``figures/`` and tables to ``tables/`` beside
    ``output``. Returns the path written. Bad input raises :class:`~supplylab.InputError`.
    """
    from .build import build_report
    from .folder import read_folder
    from .network import load_network, network_snapshot
    from .render import write_report

    network = None
    if scenario is not None:
        network = (load_network(scenario) if isinstance(scenario, str | Path)
                   else network_snapshot(scenario))
    folder = read_folder(results_dir, network=network)
    return write_report(build_report(folder), output)


def write_network(scenario: Any, folder: str | Path) -> Path:
    """Store ``network.json`` of ``scenario`` in a results folder (what ``--report`` does)."""
    from .network import write_network as _write

    return _write(scenario, folder)


__all__ = ["report", "write_network"]
