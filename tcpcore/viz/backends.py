"""Which backend draws: :func:`backend`, new figures and Axes for either, and export
(:func:`to_svg`, :func:`to_png`).

The SVG backend (:mod:`tcpcore.viz.svg`) is the default; matplotlib is imported only when it
draws (``TCPCORE_DRAW=matplotlib`` or an ``ax=`` of its own).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from typing import TYPE_CHECKING, Any

from . import svg

if TYPE_CHECKING:
    from typing import TypeAlias

    from matplotlib.axes import Axes as MplAxes
    from matplotlib.figure import Figure as MplFigure

    Figure: TypeAlias = MplFigure | svg.Figure
    Axes: TypeAlias = MplAxes | svg.Axes


BACKENDS = ("matplotlib", "svg")


@functools.cache
def backend() -> str:
    """The backend new figures are drawn with: "svg" (:mod:`tcpcore.viz.svg`) unless
    ``TCPCORE_DRAW=matplotlib`` (an ``ax=`` given to a painter draws with that Axes' own
    backend whatever this says). Chosen once per process (``backend.cache_clear()`` chooses
    again)."""
    forced = os.environ.get("TCPCORE_DRAW", "").strip()
    if forced and forced not in BACKENDS:
        raise ValueError(
            f"TCPCORE_DRAW={forced!r} is not a backend: use one of {', '.join(BACKENDS)}"
        )
    if forced == "matplotlib" and not _have_matplotlib():
        raise ImportError("TCPCORE_DRAW=matplotlib, but matplotlib cannot be imported")
    return forced or "svg"


def _have_matplotlib() -> bool:
    """Whether matplotlib is installed, without importing it (nor triggering Pyodide's
    download of it: only an ``import`` statement in a cell does that)."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # a blocked or half-installed package
        return False


@functools.cache
def _mpl_kit() -> Any:
    """matplotlib's classes under the names :mod:`tcpcore.viz.svg` gives its own."""
    from types import SimpleNamespace

    from matplotlib.collections import LineCollection
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
    from matplotlib.path import Path

    return SimpleNamespace(
        FancyArrowPatch=FancyArrowPatch,
        FancyBboxPatch=FancyBboxPatch,
        Rectangle=Rectangle,
        LineCollection=LineCollection,
        Path=Path,
    )


def artist_kit(ax: Axes) -> Any:
    """The artist classes that fit ``ax``: the SVG backend's for its Axes, else matplotlib's."""
    return svg if isinstance(ax, svg.Axes) else _mpl_kit()


@functools.cache
def _figure_class() -> type[MplFigure]:
    from matplotlib.figure import Figure

    class LessonFigure(Figure):
        """A Figure that shows itself in a notebook (as SVG) without pyplot: a bare Figure
        as a cell's last expression would otherwise print "<Figure size ...>"."""

        def _repr_svg_(self) -> str:
            return to_svg(self).decode("utf-8")

    return LessonFigure


def new_figure(size: tuple[float, float], ax: Axes | None) -> tuple[Figure, Axes]:
    """A fresh Figure with one Axes, or the figure of the Axes given."""
    if ax is not None:
        return _root(ax), ax
    fig: Figure = svg.Figure(figsize=size) if backend() == "svg" else _figure_class()(figsize=size)
    return fig, fig.add_axes((0.0, 0.0, 1.0, 1.0))


def _root(ax: Axes) -> Figure:
    if isinstance(ax, svg.Axes):
        return ax.figure
    from matplotlib.figure import Figure

    fig: Any = ax.figure
    while not isinstance(fig, Figure):
        fig = fig.figure
    return fig


def place_axes(fig: Figure, ax: Axes, left: float, right: float, top: float, bottom: float) -> None:
    """Margins in inches around the Axes."""
    w, h = fig.get_size_inches()
    ax.set_position((left / w, bottom / h, 1 - (left + right) / w, 1 - (top + bottom) / h))


def to_png(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes, rendered by the Agg backend (no display needed)."""
    if isinstance(fig, svg.Figure):
        raise RuntimeError(
            "to_png needs matplotlib (pip install matplotlib), and this figure was drawn by "
            "tcpcore.viz.svg (the default): draw it with TCPCORE_DRAW=matplotlib or into a "
            "matplotlib Axes (ax=), or use to_svg instead"
        )
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def to_svg(fig: Figure) -> bytes:
    """The figure as SVG bytes with text left as text (``svg.fonttype`` "none"): several
    times faster to produce than a PNG, and sharp at any zoom. The widgets show these."""
    if isinstance(fig, svg.Figure):
        return fig.to_svg()
    import io

    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tcpcore"}):
        fig.savefig(buf, format="svg")
    return buf.getvalue()
