"""What a report is made of: sections holding figures, tables and short texts.

Section builders return ``None`` when the folder lacks their data, so a section appears
exactly when there is something to show. Figures are matplotlib ``Figure`` objects; tables
are raw DataFrames (written unformatted to CSV, formatted only for HTML and Markdown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Block:
    """One figure, table or paragraph; ``name`` is its file stem under figures/ or tables/."""

    kind: str
    name: str = ""
    caption: str = ""
    figure: Any = None
    table: pd.DataFrame | None = None
    text: str = ""
    #: Filled when written: the inline image, its pixel size, the formatted table cells.
    data_uri: str = ""
    width: int = 0
    height: int = 0
    rendered: Any = None


@dataclass
class Section:
    """A titled part of the report; ``id`` is its HTML anchor and the test's handle."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    intro: str = ""

    def figure(self, name: str, figure: Any, caption: str = "") -> None:
        self.blocks.append(Block("figure", name, caption, figure=figure))

    def table(self, name: str, table: pd.DataFrame, caption: str = "") -> None:
        if table is not None and not table.empty:
            self.blocks.append(Block("table", name, caption, table=table))

    def text(self, text: str) -> None:
        self.blocks.append(Block("text", text=text))

    @property
    def empty(self) -> bool:
        return not any(b.kind in ("figure", "table") for b in self.blocks)


@dataclass
class Report:
    """Title, header facts (label -> value) and the sections, in order."""

    title: str
    facts: list[tuple[str, str]]
    sections: list[Section]
    subtitle: str = ""
    audit_ok: bool | None = None
