"""Escaping of names from scenarios for CSV (spreadsheets), Markdown and table cells.

HTML escaping is done by Jinja2's autoescape; this module covers the rest. A spreadsheet runs
a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and tab or carriage return) as a formula,
so such text cells get a leading apostrophe (OWASP's advice); numbers stay numbers.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MD_SPECIAL = "\\`*_{}[]<>()#+-.!|"


def csv_cell(value: Any) -> Any:
    """A text cell that cannot become a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and column name passed through :func:`csv_cell`."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out


def md_text(value: Any) -> str:
    """Text for Markdown: HTML-significant characters as entities, Markdown punctuation
    backslash-escaped, line breaks as spaces (a table cell stays one cell)."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join("\\" + ch if ch in _MD_SPECIAL and ch not in "<>" else ch for ch in text)


def fmt(value: Any) -> str:
    """A table cell: 4 significant digits for small numbers, grouped for large ones."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and not isinstance(value, bool):
        x = float(value)
        if math.isnan(x):
            return "-"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if abs(x) >= 1000:
            return f"{x:,.0f}"
        if x == int(x) and abs(x) < 1000:
            return f"{int(x)}"
        return f"{x:.4g}"
    return str(value)
