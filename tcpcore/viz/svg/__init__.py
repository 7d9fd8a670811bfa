"""The SVG backend, the default one: a small pure-Python writer of the lessons' figures.

It emulates the part of matplotlib's object-oriented API that the painters of :mod:`tcpcore.viz`
call, and nothing more. Its surface is frozen: :data:`__all__` lists the classes the painters
use, and :data:`SURFACE` the public methods of the two a painter holds (``Figure`` and ``Axes``);
tests/test_svgdraw.py checks that the classes have exactly these and that each is used by a
painter, a widget or a test. Modules: ``figure`` (Figure, Axes), ``artists`` (lines, the SVG
attribute helpers), ``patches`` (rectangles, rounded boxes, arrows), ``axis`` (spines and ticks),
``text`` (text and its measured widths).
"""

from __future__ import annotations

from .artists import Line2D, LineCollection
from .figure import Axes, Figure
from .patches import FancyArrowPatch, FancyBboxPatch, Path, Rectangle
from .text import Text, text_width

__all__ = [
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
