"""Write a report: figures (PNG and SVG), tables (CSV), and one HTML or Markdown file.

The HTML file is self-contained: every figure is inlined as a data URI (PNG or SVG, whichever
is smaller), the style sheet is inline, there is no script and no external reference, so it
opens offline in any browser. The Markdown variant links the PNGs under ``figures/``.
Everything is written atomically beside the output file.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from supplylab.io import write_bytes_atomic, write_text_atomic

from .escape import csv_safe, fmt, md_text
from .model import Block, Report
from .style import house_style


@dataclass
class RenderedTable:
    columns: list[str]
    rows: list[list[tuple[str, bool]]]


def _table_cells(frame: pd.DataFrame) -> RenderedTable:
    cols = [str(c) for c in frame.columns]
    rows = []
    for rec in frame.itertuples(index=False):
        rows.append([(fmt(v), not isinstance(v, int | float) or isinstance(v, bool))
                     for v in rec])
    return RenderedTable(cols, rows)


def _unique(name: str, seen: set[str]) -> str:
    base, i = name, 2
    while name in seen:
        name = f"{base}_{i}"
        i += 1
    seen.add(name)
    return name


def _save_figure(block: Block, folder: Path) -> tuple[bytes, bytes]:
    png, svg = io.BytesIO(), io.BytesIO()
    fig = block.figure
    fig.savefig(png, format="png")
    fig.set_layout_engine("none")  # keep the layout just computed: the SVG needs no second pass
    fig.savefig(svg, format="svg", metadata={"Date": None})
    png_bytes, svg_bytes = png.getvalue(), svg.getvalue()
    write_bytes_atomic(folder / f"{block.name}.png", png_bytes)
    write_bytes_atomic(folder / f"{block.name}.svg", svg_bytes)
    return png_bytes, svg_bytes


def write_assets(report: Report, out_dir: Path) -> None:
    """Save every figure under ``figures/`` and every table under ``tables/``; attach the
    inline data and pixel size to each figure block, the formatted cells to each table."""
    figs, tabs = out_dir / "figures", out_dir / "tables"
    seen_f: set[str] = set()
    seen_t: set[str] = set()
    with house_style():
        for sec in report.sections:
            for b in sec.blocks:
                if b.kind == "figure":
                    b.name = _unique(b.name, seen_f)
                    w, h = b.figure.get_size_inches() * b.figure.dpi
                    png, svg = _save_figure(b, figs)
                    b.figure = None  # free the memory of a large report early
                    mime, data = (("image/png", png) if len(png) <= len(svg)
                                  else ("image/svg+xml", svg))
                    b.data_uri = f"data:{mime};base64,{base64.b64encode(data).decode()}"
                    b.width, b.height = int(round(w)), int(round(h))
                elif b.kind == "table":
                    b.name = _unique(b.name, seen_t)
                    write_bytes_atomic(tabs / f"{b.name}.csv",
                                       csv_safe(b.table).to_csv(index=False).encode("utf-8"))
                    b.rendered = _table_cells(b.table)


def html(report: Report) -> str:
    """The HTML text (after :func:`write_assets`)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from supplylab import __version__

    env = Environment(loader=PackageLoader("supplylab.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(report=report, version=__version__)


def markdown(report: Report) -> str:
    """The Markdown text (after :func:`write_assets`); figures link figures/NAME.png."""
    lines = [f"# {md_text(report.title)}", ""]
    if report.subtitle:
        lines += [md_text(report.subtitle), ""]
    lines += ["## Summary", "", "| | |", "|---|---|"]
    lines += [f"| {md_text(k)} | {md_text(v)} |" for k, v in report.facts]
    lines.append("")
    for sec in report.sections:
        lines += [f"## {md_text(sec.title)}", ""]
        for b in sec.blocks:
            if b.kind == "text":
                lines += [md_text(b.text), ""]
            elif b.kind == "figure":
                lines += [f"![{md_text(b.caption or b.name)}](figures/{b.name}.png)", "",
                          f"*{md_text(b.caption)}* (also `figures/{b.name}.svg`)", ""]
            elif b.kind == "table":
                t: Any = b.rendered
                lines += [f"*{md_text(b.caption)}* (`tables/{b.name}.csv`)", "",
                          "| " + " | ".join(md_text(c) for c in t.columns) + " |",
                          "|" + "|".join("---" for _ in t.columns) + "|"]
                lines += ["| " + " | ".join(md_text(c) for c, _ in row) + " |"
                          for row in t.rows]
                lines.append("")
    return "\n".join(lines) + "\n"


def write_report(report: Report, output: str | Path) -> Path:
    """Write figures, tables and the report (``.md`` -> Markdown, else HTML); returns it."""
    out = Path(output)
    write_assets(report, out.parent)
    text = markdown(report) if out.suffix.lower() in (".md", ".markdown") else html(report)
    write_text_atomic(out, text)
    return out
