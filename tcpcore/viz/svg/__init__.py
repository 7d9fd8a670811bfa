"""The SVG backend, the default one: a small pure-Python writer of the lessons' figures.

It emulates the part of matplotlib's object-oriented API that the painters of :mod:`tcpcore.viz`
(and the tests that read their figures) use, and nothing more. Its surface is frozen here:
``__all__`` is what may be imported from it, :data:`SURFACE` the public attributes of ``Figure``
and ``Axes`` that painters, widgets and tests may use, and :data:`INTERNAL` those that are public
only because the backend's own modules call them on each other. tests/viz/test_svgdraw.py checks
that the two classes have exactly these, that each is used, and that painters reach no further.

Modules: ``figure`` (Figure, Axes), ``artists`` (lines, the SVG attribute helpers), ``patches``
(rectangles, rounded boxes, arrows), ``axis`` (spines and ticks), ``text`` (text and its widths).
"""

from __future__ import annotations

from .artists import Line2D, LineCollection
from .figure import Axes, Figure
from .patches import FancyArrowPatch, FancyBboxPatch, Path, Rectangle
from .text import Text, text_width

__all__ = [
    "INTERNAL",
    "SURFACE",
    "Axes",
    "FancyArrowPatch",
    "FancyBboxPatch",
    "Figure",
    "Line2D",
    "LineCollection",
    "Path",
    "Rectangle",
    "Text",
    "text_width",
]

SURFACE: dict[str, frozenset[str]] = {
    "Figure": frozenset(
        {"add_axes", "axes", "findobj", "get_size_inches", "savefig", "subplots", "to_svg"}
    ),
    "Axes": frozenset(
        {
            "add_collection",
            "add_patch",
            "axhline",
            "axhspan",
            "axvspan",
            "figure",
            "get_position",
            "lines",
            "patches",
            "plot",
            "set_axis_off",
            "set_position",
            "set_title",
            "set_xlabel",
            "set_xlim",
            "set_xticks",
            "set_ylim",
            "set_yticks",
            "spines",
            "text",
            "texts",
            "tick_params",
            "transform",
        }
    ),
}
INTERNAL: dict[str, frozenset[str]] = {
    "Figure": frozenset({"facecolor", "size_points"}),
    "Axes": frozenset(
        {
            "artists",
            "axison",
            "box",
            "decorations",
            "get_children",
            "svg",
            "title",
            "title_pad",
            "xaxis",
            "yaxis",
        }
    ),
}
