"""Figures for the lessons: ladder diagrams, the state diagram, the header, the frame, timers.

Every function returns a Figure that renders headless, in tests and in any notebook front end,
where it shows itself as SVG when it is a cell's value; pass ``ax`` to draw into an existing
Axes instead.

Two backends draw the same figures. By default it is :mod:`tcpcore.viz.svg`, a small
pure-Python writer of SVG: it redraws a widget's figure 22-36 times faster than matplotlib
(benchmarks/results/drawing.md) and needs nothing in JupyterLite (Pyodide). matplotlib (its
object-oriented API, no pyplot, no global state) draws when ``TCPCORE_DRAW=matplotlib`` is set or
when a matplotlib Axes is passed as ``ax=``; :func:`to_png` needs a matplotlib figure, so PNG
export goes through one of those two. :func:`backend` tells which draws new figures. Figures from
either have :func:`to_svg`, ``findobj`` and ``_repr_svg_``. matplotlib is imported only when it
draws: ``import tcpcore`` (and this module) never imports it.

What goes where is computed by pure functions in ``layout/`` that tests and other tools can read
without rendering anything; one painter module per figure only paints their results:

| figure                 | painter         | layout                                               |
|------------------------|-----------------|------------------------------------------------------|
| :func:`ladder`         | ``ladders.py``  | :func:`~tcpcore.viz.layout.ladder.ladder_layout`     |
| :func:`state_diagram`  | ``diagrams.py`` | :func:`~tcpcore.viz.layout.diagram.diagram_layout`   |
| :func:`header_layout`  | ``headers.py``  | :func:`~tcpcore.viz.layout.wire.header_fields`        |
| :func:`encapsulation`  | ``frames.py``   | :func:`~tcpcore.viz.layout.wire.encapsulation_layers` |
| :func:`timer_timeline` | ``timers.py``   | :func:`~tcpcore.sim.schedules.timer_schedule`        |

``backends.py`` chooses the backend and makes and exports figures; ``palette.py`` holds the
colours; ``svg/`` is the SVG backend, whose surface is frozen (see its ``__init__``).

Artists carry a ``gid`` naming what they show ("arrow:0", "cross:0", "edge:LISTEN->SYN-RECEIVED",
"node:ESTABLISHED", "field:SYN"), so a test can find them in a figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sim.schedules import timer_schedule
from .backends import BACKENDS, backend, to_png, to_svg
from .diagrams import draw_diagram, state_diagram
from .frames import encapsulation
from .headers import header_layout
from .ladders import draw_ladder, ladder
from .layout.diagram import diagram_layout, edge_rows, state_edges, transition_label
from .layout.ladder import ladder_layout
from .layout.wire import encapsulation_layers, header_fields
from .palette import GROUP_COLORS
from .timers import draw_schedules, timer_timeline

if TYPE_CHECKING:
    from .backends import Axes as Axes
    from .backends import Figure as Figure

__all__ = [
    "BACKENDS",
    "GROUP_COLORS",
    "backend",
    "diagram_layout",
    "draw_diagram",
    "draw_ladder",
    "draw_schedules",
    "edge_rows",
    "encapsulation",
    "encapsulation_layers",
    "header_fields",
    "header_layout",
    "ladder",
    "ladder_layout",
    "state_diagram",
    "state_edges",
    "timer_schedule",
    "timer_timeline",
    "to_png",
    "to_svg",
    "transition_label",
]
