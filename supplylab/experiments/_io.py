"""Small file helpers: atomic writes (temp file + ``os.replace``) and folder-name slugs."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    A reader never sees a half-written file: it sees the old one or the new one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())  # the usual permissions, not mkstemp's private 0600
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Atomically write ``text`` (UTF-8) to ``path``."""
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Atomically write ``frame`` as CSV without the index; floats at their shortest
    representation that reads back exactly (Python's ``repr``: ``0.1``, not 17 digits)."""
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_parquet_if_possible(path: Path, frame: pd.DataFrame) -> bool:
    """Write Parquet when pyarrow is importable; returns whether a file was written."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    return True


def slug(text: str) -> str:
    """A folder-safe lower-case name: ``"Holding-rate sweep"`` -> ``"holding-rate-sweep"``."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "experiment"
