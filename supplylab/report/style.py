"""The house matplotlib style of every report figure, in one place.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas attached
directly, never through ``pyplot``: no global figure registry, no GUI backend, and the
backend a notebook user chose is left alone. Colours are fixed per tier, per site kind and per name (a site keeps its colour in
every figure of a report because the colour comes from a stable hash of its id).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Okabe-Ito palette (colour-blind safe), then two greys.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000", "#7F7F7F", "#B8B8B8")
TIER_COLOURS = {"platinum": "#4B4B8F", "gold": "#C9A227", "silver": "#8C9AA6",
                "bronze": "#A0643C", "standard": "#5E8C61"}
KIND_COLOURS = {"supplier": "#D55E00", "warehouse": "#0072B2", "cross_dock": "#009E73",
                "plant": "#CC79A7", "customer": "#7F7F7F"}
KIND_MARKERS = {"supplier": "s", "warehouse": "^", "cross_dock": "D", "plant": "P",
                "customer": "o"}
#: Width of a report figure in inches (the HTML shows it at up to 900 px).
WIDTH = 8.0

RC: dict[str, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#444444",
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "font.family": "DejaVu Sans",
    "svg.fonttype": "none",
    "svg.hashsalt": "supplylab",
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
}


def colour_for(name: str) -> str:
    """The colour of a tier: its own for the usual tier names, else a stable palette colour
    from a hash of the name (the same in every figure and every report)."""
    if name in TIER_COLOURS:
        return TIER_COLOURS[name]
    return PALETTE[zlib.crc32(str(name).encode()) % 8]


def colours(names: Sequence[str]) -> list[str]:
    """Colours for a list of names: tiers their own, others distinct palette entries in order."""
    if all(n in TIER_COLOURS for n in names):
        return [TIER_COLOURS[n] for n in names]
    return [PALETTE[i % 8] for i in range(len(names))]


def new_figure(height: float = 3.6, width: float = WIDTH) -> Figure:
    """An empty figure in the house style (call inside :func:`house_style`)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


@contextmanager
def house_style() -> Iterator[None]:
    """Apply the house rc settings while figures are built and saved."""
    with rc_context(RC):
        yield


def label(text: object) -> str:
    """A name from a scenario as plain figure text: ``$`` would start matplotlib mathtext and
    control characters would garble the label."""
    clean = "".join(ch if ch.isprintable() else " " for ch in str(text))
    return clean.replace("$", r"\$")


def short(text: object, n: int = 18) -> str:
    """A label cut to ``n`` characters with an ellipsis (tick labels stay readable)."""
    text = label(text)
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _compact(x: float, _pos: object = None) -> str:
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.4g}{suffix}"
    return f"{x:.4g}"


def big_numbers(ax: Any, axis: str = "y") -> None:
    """Tick labels as 1.2M / 800k instead of a 1e6 offset (money and unit counts)."""
    from matplotlib.ticker import FuncFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(_compact))


def tail(text: object, n: int = 24) -> str:
    """A long dotted path cut from the left (``...inventory.default.s``): its end names it."""
    text = label(text)
    return text if len(text) <= n else "\u2026" + text[-(n - 1):]


def legend_outside(ax: Any, **kw: Any) -> None:
    """A legend to the right of the axes, so it never covers data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), **kw)
