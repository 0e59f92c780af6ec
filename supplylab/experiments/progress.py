"""A progress bar for batches of runs: on a terminal only, quiet otherwise."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    """A rich progress bar on stderr (runs done, ETA, failures), only on a terminal."""

    def __init__(self, total: int, done: int = 0, enabled: bool = True,
                 label: str = "runs") -> None:
        self.bar: Any = None
        self.failures = 0
        if not (enabled and total and sys.stderr.isatty()):
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        self.bar = RichProgress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            TextColumn("{task.fields[failures]} failed"),
                            console=Console(stderr=True), transient=False)
        self.task = self.bar.add_task("runs", total=total, completed=done, failures=0)

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def advance(self, ok: bool) -> None:
        self.failures += not ok
        if self.bar is not None:
            self.bar.update(self.task, advance=1, failures=self.failures)
