"""Small file helpers of the experiments layer: atomic table writes, CSV for people, slugs.

Every write goes through :func:`supplylab.io.atomic_path` (temp file beside the target,
renamed over it, removed on failure; ``OSError`` becomes an exit-2 ``OutputError``). CSV files
are read by people in spreadsheets, so text cells that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``;
Parquet and JSON keep every value exact.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from supplylab.io import OutputError, atomic_path, check_output_dir, output_folder

if TYPE_CHECKING:  # pandas loads when a table is written, not when this module is imported
    import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

__all__ = ["FORMULA_STARTS", "OutputError", "atomic_write", "check_output_dir", "for_spreadsheets",
           "output_folder", "slug", "write_csv", "write_parquet_if_possible", "write_rows",
           "write_text"]


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    A reader never sees a half-written file: it sees the old one or the new one.
    """
    with atomic_path(path) as tmp:
        write(tmp)


def write_text(path: Path, text: str) -> None:
    """Atomically write ``text`` (UTF-8) to ``path``."""
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, made inert with a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def for_spreadsheets(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell neutralised (numbers untouched); a copy if needed."""
    import pandas as pd

    text_cols = [c for c in frame.columns if frame[c].dtype == object
                 or pd.api.types.is_string_dtype(frame[c].dtype)]
    risky = [c for c in text_cols
             if frame[c].map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS)).any()]
    if not risky and not any(str(c).startswith(FORMULA_STARTS) for c in frame.columns):
        return frame
    out = frame.copy()
    for c in risky:
        out[c] = out[c].map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Atomically write ``frame`` as CSV for people (formula cells neutralised), without the
    index; floats at their shortest representation that reads back exactly (Python's
    ``repr``: ``0.1``, not 17 digits)."""
    safe = for_spreadsheets(frame)
    atomic_write(path, lambda tmp: safe.to_csv(tmp, index=False))


def csv_cell(value: object) -> object:
    """One cell as :func:`write_csv` writes it: missing (None, NaN) empty, text neutralised,
    anything else as ``str`` gives it (floats at their shortest exact form, ``True``)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return neutralise(value)


def write_rows(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Atomically write plain rows as CSV for people, the file :func:`write_csv` writes for a
    table of these columns and values (pandas' ``to_csv``: minimal quoting, the system's line
    ends, missing values empty), without building the table: a command that writes files
    needs no pandas (start-up). Each column's values must be of one type, as a table's are
    (an integral float stays ``3.0``, an integer ``3``)."""
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh, lineterminator=os.linesep)
            out.writerow([neutralise(c) for c in columns])
            out.writerows([csv_cell(v) for v in row] for row in rows)

    atomic_write(path, write)


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
