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

What goes where is computed by pure functions that tests and other tools can read without
rendering anything; this module only paints their results:

| figure                 | layout                                                         |
|------------------------|----------------------------------------------------------------|
| :func:`ladder`         | :func:`~tcpcore.viz.layout.ladder.ladder_layout`                    |
| :func:`state_diagram`  | :func:`~tcpcore.viz.layout.diagram.diagram_layout`, `state_edges`   |
| :func:`header_layout`  | :func:`~tcpcore.viz.layout.wire.header_fields`                      |
| :func:`encapsulation`  | :func:`~tcpcore.viz.layout.wire.encapsulation_layers`               |
| :func:`timer_timeline` | :func:`~tcpcore.sim.schedules.timer_schedule`                    |

Artists carry a ``gid`` naming what they show ("arrow:0", "cross:0", "edge:LISTEN->SYN-RECEIVED",
"node:ESTABLISHED", "field:SYN"), so a test can find them in a figure.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..profiles import Profile
from ..segment import Segment
from ..sim.schedules import TimerSchedule, timer_schedule
from ..states import State
from ..trace import Trace
from . import svg
from .layout.diagram import (
    BOX_H,
    BOX_W,
    LABEL_PT,
    LINESPACING,
    MARGINS_IN,
    NODE_PT,
    DiagramLayout,
    Highlight,
    PathItem,
    diagram_layout,
    edge_rows,
    state_edges,
    transition_label,
)
from .layout.ladder import LadderLayout, ladder_layout, state_group
from .layout.wire import encapsulation_layers, header_fields

if TYPE_CHECKING:
    from typing import TypeAlias

    from matplotlib.axes import Axes as MplAxes
    from matplotlib.figure import Figure as MplFigure

    Figure: TypeAlias = MplFigure | svg.Figure
    Axes: TypeAlias = MplAxes | svg.Axes

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

GROUP_COLORS = {
    "closed": "#9e9e9e",
    "listen": "#4fc3f7",
    "opening": "#1e88e5",
    "established": "#43a047",
    "active-close": "#ef6c00",
    "passive-close": "#8e24aa",
}
_TEXT_COLORS = {
    "closed": "#616161",
    "listen": "#0277bd",
    "opening": "#1565c0",
    "established": "#2e7d32",
    "active-close": "#e65100",
    "passive-close": "#6a1b9a",
}
_TIMER_COLORS = {
    "retransmission": "#d84315",
    "2MSL": "#6d4c41",
    "keepalive": "#00897b",
    "FIN-WAIT-2": "#5e35b1",
    "loss probe": "#f9a825",
}
_HIGHLIGHT = "#d81b60"
_INK = "#263238"
# The widest figure, in inches: 816 px, unscaled in a notebook's output area on a 1024-px screen
# (844 px) and beside the file browser at 1366 px (934 px). Text is never under 7.5 points
# (10 px) at that size.
FIGURE_WIDTH_IN = 8.5


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


def _kit(ax: Axes) -> Any:
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


def _new_figure(size: tuple[float, float], ax: Axes | None) -> tuple[Figure, Axes]:
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


def _place(fig: Figure, ax: Axes, left: float, right: float, top: float, bottom: float) -> None:
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


# -- the ladder diagram -------------------------------------------------------------------------


def ladder(
    trace: Trace,
    *,
    ax: Axes | None = None,
    show_timers: bool = True,
    title: str | None = None,
    until: float | None = None,
    break_after: float | None = None,
) -> Figure:
    """The trace as a ladder (sequence) diagram: one timeline per endpoint, time flowing down.

    Each segment is an arrow from its send time to its arrival, labelled "SYN+ACK seq=300
    ack=101"; a lost one ends in a cross half-way, with the reason. Each side's state is written
    beside its timeline where it changes (the timeline is coloured by state), timers that ran are
    bars beside it, and idle gaps longer than ``break_after`` seconds are cut out with a visible
    break. ``until`` draws only what happened up to that time (on the whole trace's time axis).
    """
    lay = ladder_layout(trace, until=until, show_timers=show_timers, break_after=break_after)
    name = trace.scenario or "trace"
    return draw_ladder(
        lay, ax=ax, title=title if title is not None else f"{name} ({trace.profile})"
    )


def draw_ladder(lay: LadderLayout, *, ax: Axes | None = None, title: str = "") -> Figure:
    """Paint a :func:`ladder_layout` (what :func:`ladder` does after laying the trace out)."""
    fig, ax = _new_figure(lay.size, ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        _place(fig, ax, 0.75, 0.15, 0.45, 0.1)
    _draw_ladder(ax, lay)
    ax.set_title(title, fontsize=10, loc="left")
    return fig


def _draw_ladder(ax: Axes, lay: LadderLayout) -> None:
    kit = _kit(ax)

    ax.set_xlim(lay.x_min, lay.x_max)
    ax.set_ylim(lay.y_max, lay.y_min)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([y for y, _ in lay.ticks], [_tick(t) for _, t in lay.ticks], fontsize=7.5)
    ax.tick_params(axis="y", length=2, colors="#607d8b")
    end = lay.scale(lay.until) if lay.until is not None else lay.scale.end
    for lane in lay.lanes:
        ax.text(lane.x, -1.35, lane.name, ha="center", va="center", fontsize=10, weight="bold")
        if lane.address and lane.address != lane.name:
            ax.text(
                lane.x, -0.8, lane.address, ha="center", va="center", fontsize=7.5, color="#546e7a"
            )
        ax.plot(
            [lane.x, lane.x],
            [-0.4, end + 0.4],
            color=_INK,
            lw=1.0,
            zorder=1,
            gid=f"lane:{lane.index}",
        )
    for span in lay.spans:
        x = lay.lanes[span.lane].x
        ax.plot(
            [x, x],
            [span.y0, span.y1],
            color=GROUP_COLORS[span.group],
            lw=7,
            alpha=0.45,
            solid_capstyle="butt",
            zorder=0.5,
            gid=f"span:{span.lane}:{span.state}",
        )
    for brk in lay.breaks:
        ax.axhspan(brk.y0, brk.y1, color="#eceff1", zorder=1.5, lw=0)
        for lane in lay.lanes:
            for y in (brk.y0, brk.y1):
                ax.plot(
                    [lane.x - 0.03, lane.x + 0.03],
                    [y + 0.12, y - 0.12],
                    color=_INK,
                    lw=1,
                    zorder=1.6,
                )
        mid = (lay.lanes[0].x + lay.lanes[-1].x) / 2
        ax.text(
            mid,
            (brk.y0 + brk.y1) / 2,
            f"⋯  {brk.label}  ⋯",
            ha="center",
            va="center",
            fontsize=8,
            color="#455a64",
            style="italic",
            zorder=1.7,
            gid="break",
        )
    for bar in lay.timers:
        color = _TIMER_COLORS.get(bar.kind, "#757575")
        ax.plot(
            [bar.x, bar.x],
            [bar.y0, bar.y1],
            color=color,
            lw=3,
            solid_capstyle="butt",
            zorder=2,
            gid=f"timer:{bar.kind}",
        )
        ax.plot([bar.x - 0.012, bar.x + 0.012], [bar.y0, bar.y0], color=color, lw=1.2, zorder=2)
        if bar.fired:
            ax.plot(bar.x, bar.y1, marker="v", ms=4, color=color, zorder=2)
        if bar.show_label:
            side = 1 if bar.x >= lay.lanes[bar.lane].x else -1
            ax.text(
                bar.x + side * 0.06 / lay.lane_in,
                (bar.y0 + bar.y1) / 2,
                bar.label,
                rotation=90,
                ha="left" if side > 0 else "right",
                va="center",
                fontsize=7.5,
                color=color,
                zorder=2,
            )
    for a in lay.arrows:
        color = "#c62828" if a.lost else ("#d84315" if a.retransmission else _INK)
        if a.keepalive:
            color = "#00897b"
        head = "-" if (a.lost and not a.partial) or a.partial else "-|>"
        ax.add_patch(
            kit.FancyArrowPatch(
                (a.x0, a.y0),
                (a.x1, a.y1),
                arrowstyle=head,
                mutation_scale=10,
                shrinkA=0,
                shrinkB=0,
                color=color,
                lw=1.2,
                ls="--" if a.lost else "-",
                zorder=3,
                gid=f"arrow:{a.index}",
            )
        )
        if a.lost and not a.partial:
            ax.plot(
                a.x1,
                a.y1,
                marker="x",
                ms=9,
                mew=2.2,
                color="#c62828",
                zorder=4,
                gid=f"cross:{a.index}",
            )
            ax.text(
                a.note_x,
                a.note_y,
                a.note,
                ha="left" if a.x1 >= a.x0 else "right",
                va="top",
                fontsize=7.5,
                color="#c62828",
                zorder=4,
            )
        ax.text(
            a.label_x,
            a.label_y,
            a.label,
            ha="center",
            va="center",
            fontsize=7.5,
            color=color,
            zorder=5,
            gid=f"label:{a.index}",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
        )
    for m in lay.states:
        lane = lay.lanes[m.lane]
        if m.label_y - m.y > 0.3:
            ax.plot([lane.x, m.x], [m.y, m.label_y], color="#b0bec5", lw=0.6, zorder=1)
        ax.text(
            m.x,
            m.label_y,
            m.text,
            ha="right" if lane.side < 0 else "left",
            va="center",
            fontsize=8,
            weight="bold",
            color=_TEXT_COLORS[state_group(m.state)],
            zorder=5,
            gid=f"state:{m.lane}:{m.state}",
        )
    for e in lay.events:
        lane = lay.lanes[e.lane]
        ax.text(
            e.x,
            e.label_y,
            e.text,
            ha="right" if lane.side < 0 else "left",
            va="center",
            fontsize=7.5,
            style="italic",
            color="#546e7a",
            zorder=5,
            gid=f"event:{e.kind}",
        )
    if lay.until is not None:
        y = lay.scale(lay.until)
        ax.axhline(y, color="#90a4ae", lw=0.8, ls=":", zorder=0.4)


def _tick(t: float) -> str:
    return f"{t:.3f}" if t < 1000 else f"{t:.1f}"


# -- the state diagram ---------------------------------------------------------------------------


def state_diagram(
    *,
    highlight: Highlight | Sequence[Highlight] | None = None,
    path: Sequence[PathItem] | None = None,
    current: State | str | None = None,
    profile: str | Profile = "rfc9293",
    ax: Axes | None = None,
    show_minor: bool = False,
    title: str | None = None,
) -> Figure:
    """RFC 9293 Figure 5, with its edges generated from :data:`tcpcore.table.TABLE`.

    ``path`` (states, or (state, trigger) pairs) and ``highlight`` (a state, an edge, a row, or
    a list of them) are drawn in colour; ``current`` is filled. Rows the RFC's figure leaves
    out (timeouts, RST, ABORT...) are hidden unless ``show_minor``; parallel rows share one
    edge whose label lists them.
    """
    lay = diagram_layout(
        highlight=highlight, path=path, current=current, profile=profile, show_minor=show_minor
    )
    return draw_diagram(lay, ax=ax, title=title)


def draw_diagram(lay: DiagramLayout, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Paint a :func:`diagram_layout` (what :func:`state_diagram` does after laying it out)."""
    fig, ax = _new_figure(lay.size, ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        _place(fig, ax, *MARGINS_IN)
    _draw_diagram(ax, lay)
    ax.set_title(
        title if title is not None else f"TCP connection states ({lay.profile})",
        fontsize=10,
        loc="left",
    )
    return fig


def _draw_diagram(ax: Axes, lay: DiagramLayout) -> None:
    kit = _kit(ax)
    Path = kit.Path

    ax.set_xlim(*lay.xlim)
    ax.set_ylim(*lay.ylim)
    ax.set_axis_off()
    for n in lay.nodes:
        group = state_group(n.state)
        face = GROUP_COLORS[group] if n.current else "white"
        edge = _HIGHLIGHT if n.on_path else _TEXT_COLORS[group]
        ax.add_patch(
            kit.FancyBboxPatch(
                (n.x - BOX_W / 2, n.y - BOX_H / 2),
                BOX_W,
                BOX_H,
                boxstyle="round,pad=0.02",
                fc=face,
                ec=edge,
                lw=2.4 if n.on_path or n.current else 1.3,
                zorder=3,
                gid=f"node:{n.key}",
            )
        )
        ax.text(
            n.x,
            n.y,
            str(n.state),
            ha="center",
            va="center",
            fontsize=NODE_PT,
            weight="bold",
            color="white" if n.current else _TEXT_COLORS[group],
            zorder=4,
        )
    for e in lay.edges:
        color = _HIGHLIGHT if e.highlighted else ("#9e9e9e" if e.minor else "#37474f")
        lw = 2.6 if e.highlighted else (0.8 if e.minor else 1.3)
        path = Path(list(e.points), [Path.MOVETO, Path.CURVE3, Path.CURVE3])
        ax.add_patch(
            kit.FancyArrowPatch(
                path=path,
                arrowstyle="-|>",
                mutation_scale=12,
                color=color,
                lw=lw,
                zorder=2.5 if e.highlighted else 2,
                gid=f"edge:{e.name}",
            )
        )
        ha = "center"
        if e.stub:
            ha = "left" if e.points[2][0] > e.points[0][0] else "right"
        ax.text(
            e.label_xy[0],
            e.label_xy[1],
            e.label,
            ha=ha,
            va="top" if e.stub else "center",
            fontsize=8 if e.highlighted else LABEL_PT,
            color=color,
            weight="bold" if e.highlighted else "normal",
            zorder=5 if e.highlighted else 3.5,
            linespacing=LINESPACING,
            gid=f"edge-label:{e.name}",
            bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85},
        )


# -- the header, the frame --------------------------------------------------------------------


def header_layout(
    segment: Segment,
    ax: Axes | None = None,
    *,
    src_ip: str | None = None,
    dst_ip: str | None = None,
    title: str | None = None,
) -> Figure:
    """RFC 9293 Figure 1, 32 bits wide, each field's box holding the segment's value and bits.

    With ``src_ip`` and ``dst_ip`` the checksum is computed over the pseudo-header.
    """
    fields = header_fields(segment, src_ip, dst_ip)
    # Options are drawn at most two words high (the field holds up to ten).
    top = {f.row: float(f.row) for f in fields}
    height = {f.name: float(min(f.rows, 2)) for f in fields}
    for f in sorted(fields, key=lambda f: f.row):
        if f.name == "Data":
            top[f.row] = max(top[g.row] + height[g.name] for g in fields if g.row < f.row)
    nrows = max(top[f.row] + height[f.name] for f in fields)
    fig, ax = _new_figure((FIGURE_WIDTH_IN, 0.9 + 0.62 * nrows), ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        _place(fig, ax, 0.2, 0.2, 0.55, 0.1)
    kit = _kit(ax)
    ax.set_xlim(-0.2, 32.2)
    ax.set_ylim(nrows + 0.1, -0.75)
    ax.set_axis_off()
    # The bit ruler: a tick per bit, numbers every eight (few texts: each one costs a render).
    ticks = [[(b + 0.5, -0.3), (b + 0.5, -0.12 if b % 8 else -0.02)] for b in range(32)]
    ax.add_collection(kit.LineCollection(ticks, colors="#90a4ae", linewidths=0.8))
    for bit in (0, 8, 16, 24, 31):
        ax.text(bit + 0.5, -0.5, str(bit), ha="center", va="center", fontsize=7.5, color="#78909c")
    for f in fields:
        is_flag = f.width == 1 and f.name not in ("Rsrvd",)
        face = "#ffe082" if is_flag and f.set else ("#fff8e1" if is_flag else "#e3f2fd")
        if f.name in ("Options", "Data"):
            face = "#f1f8e9"
        ax.add_patch(
            kit.Rectangle(
                (f.bit, top[f.row]),
                f.width,
                height[f.name],
                fc=face,
                ec="#37474f",
                lw=1,
                gid=f"field:{f.name}",
            )
        )
        y, h = top[f.row], height[f.name]
        cx, cy = f.bit + f.width / 2, y + h / 2
        if is_flag:
            ax.text(cx, y + 0.28, f.name, ha="center", va="center", fontsize=7.5, color="#455a64")
            ax.text(
                cx,
                y + 0.68,
                f.bits,
                ha="center",
                va="center",
                fontsize=10,
                weight="bold",
                gid=f"bits:{f.name}",
            )
            continue
        ax.text(cx, y + 0.2, f.name, ha="center", va="center", fontsize=7.5, color="#455a64")
        ax.text(
            cx,
            cy + (0.0 if f.bits else 0.1),
            f.text,
            ha="center",
            va="center",
            fontsize=9 if f.width >= 16 else 7.5,
            weight="bold",
            gid=f"value:{f.name}",
        )
        if f.bits:
            nibbles = " ".join(f.bits[k : k + 4] for k in range(0, len(f.bits), 4))
            ax.text(
                cx,
                y + 0.82,
                nibbles,
                ha="center",
                va="center",
                fontsize=7.5,
                family="monospace",
                color="#1565c0",
                gid=f"bits:{f.name}",
            )
    ax.set_title(title if title is not None else segment.summary(), fontsize=9, loc="left")
    return fig


def encapsulation(
    segment: Segment,
    *,
    link: str = "ethernet",
    ip_version: int = 4,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """The frame around the segment: link header | IP header | TCP header | data | FCS, with
    byte sizes (from the bytes :mod:`tcpcore.capture.framing` encodes) and brackets for the TCP
    segment, the IP packet and the frame. Boxes are to scale, except that a box is never
    narrower than its label needs and long data is drawn shortened (its size is written)."""
    layers = encapsulation_layers(segment, link=link, ip_version=ip_version)
    row = [ly for ly in layers if ly.level == 0]
    nested = [ly for ly in layers if ly.level > 0]
    # Visual widths: at least 9 units, data at most 60.
    widths = {ly.name: min(max(ly.size, 9.0), 60.0) for ly in row}
    xs: dict[int, float] = {}
    x = 0.0
    for ly in row:
        xs[ly.offset] = x
        x += widths[ly.name]
    total = x
    xs[row[-1].offset + row[-1].size] = total

    def at(offset: int) -> float:
        return xs.get(offset, total)

    fig, ax = _new_figure((FIGURE_WIDTH_IN, 1.4 + 0.45 * (len(nested) + 1)), ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        _place(fig, ax, 0.2, 0.2, 0.45, 0.1)
    kit = _kit(ax)
    colors = {
        "TCP header": "#ffe082",
        "data": "#c5e1a5",
        "padding": "#eeeeee",
        "FCS": "#cfd8dc",
    }
    ax.set_xlim(-1, total + 1)
    ax.set_ylim(len(nested) + 1.6, -0.2)
    ax.set_axis_off()
    for ly in row:
        x0 = at(ly.offset)
        color = colors.get(ly.name, "#90caf9" if ly.name.startswith("IP") else "#b39ddb")
        ax.add_patch(
            kit.Rectangle(
                (x0, 0), widths[ly.name], 1, fc=color, ec="#37474f", lw=1, gid=f"layer:{ly.name}"
            )
        )
        ax.text(
            x0 + widths[ly.name] / 2,
            0.38,
            ly.name,
            ha="center",
            va="center",
            fontsize=7.5,
            weight="bold",
        )
        ax.text(
            x0 + widths[ly.name] / 2, 0.72, f"{ly.size} B", ha="center", va="center", fontsize=7.5
        )
    for k, ly in enumerate(sorted(nested, key=lambda ly: ly.level)):
        y = 1.45 + k * 0.55
        x0, x1 = at(ly.offset), at(ly.offset + ly.size)
        ax.plot(
            [x0, x0, x1, x1],
            [y - 0.18, y, y, y - 0.18],
            color="#455a64",
            lw=1,
            gid=f"bracket:{ly.name}",
        )
        ax.text(
            (x0 + x1) / 2,
            y + 0.05,
            f"{ly.name}: {ly.size} bytes",
            ha="center",
            va="top",
            fontsize=7.5,
            bbox={"fc": "white", "ec": "none", "pad": 0.5},
        )
    head = title if title is not None else f"{segment.label()} over {link}, IPv{ip_version}"
    ax.set_title(head, fontsize=9, loc="left")
    return fig


# -- timers -----------------------------------------------------------------------------------

_WHAT_TITLES = {
    "keepalive": "Keepalive: from the last segment heard to the peer declared dead",
    "time-wait": "TIME-WAIT: from the last ACK to CLOSED",
    "syn-retries": "SYN retransmissions: from connect() to giving up",
}
_SPAN_COLORS = {"idle": "#b2dfdb", "interval": "#4db6ac", "time-wait": "#bcaaa4", "rto": "#ffccbc"}


def timer_timeline(
    profiles: Sequence[str | Profile] = ("rfc9293", "linux"),
    *,
    what: str = "keepalive",
    ax: Axes | None = None,
    title: str | None = None,
    **overrides: Any,
) -> Figure:
    """One timeline per profile for a timer: ``what`` is "keepalive" (idle, probes, when the
    peer is declared dead), "time-wait" (its length) or "syn-retries" (each SYN and the
    give-up). ``overrides`` change profile values for every profile (``keepalive_idle=60``,
    ``probes=3``, ``msl=30``); pass Profile objects to vary them one by one. Times come from
    running the reference (:func:`~tcpcore.sim.schedules.timer_schedule`)."""
    schedules = [timer_schedule(p, what, **overrides) for p in profiles]
    return draw_schedules(schedules, ax=ax, title=title)


def draw_schedules(
    schedules: Sequence[TimerSchedule], *, ax: Axes | None = None, title: str | None = None
) -> Figure:
    """Draw timer schedules one above the other on a shared (possibly broken) time axis."""
    from .layout.ladder import TimeScale

    what = schedules[0].what if schedules else "keepalive"
    moments = [0.0]
    for s in schedules:
        moments += [m.t for m in s.marks] + [s.end]
    intervals = [sp.t1 - sp.t0 for s in schedules for sp in s.spans if sp.kind == "interval"]
    idle = [sp.t1 - sp.t0 for s in schedules for sp in s.spans if sp.kind == "idle"]
    break_after = float("inf")
    if intervals and idle and max(idle) > 8 * max(intervals):
        break_after = 4 * max(intervals)
    scale = TimeScale(
        moments,
        unit=1e-9,
        break_after=break_after,
        min_step=0.0,
        break_step=9.0,
        max_linear=100.0,
        max_gap=None,
    )
    fig, ax = _new_figure((FIGURE_WIDTH_IN, 1.3 + 1.0 * len(schedules)), ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        _place(fig, ax, 1.1, 0.4, 0.45, 0.45)
    ax.set_ylim(len(schedules) - 0.3, -0.75)
    ax.set_xlim(-2, scale.end + 4)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_yticks(range(len(schedules)), [s.profile for s in schedules], fontsize=9)
    ax.tick_params(axis="y", length=0)

    def open_ended(s: TimerSchedule) -> bool:
        return s.what == "keepalive" and bool(s.values.get("unspecified_after_idle"))

    ticks = sorted(
        {round(m.t, 6) for s in schedules if not open_ended(s) for m in s.marks}
        | {round(s.values["keepalive_idle"], 6) for s in schedules if open_ended(s)}
        | {0.0}
    )
    shown: list[float] = []
    for t in ticks:
        if not shown or scale(t) - scale(shown[-1]) >= 3.5:
            shown.append(t)
    ax.set_xticks([scale(t) for t in shown], [_seconds(t) for t in shown], fontsize=7.5)
    ax.set_xlabel("seconds", fontsize=8)
    for brk in scale.breaks:
        ax.axvspan(brk.y0, brk.y1, color="#eceff1", lw=0)
        ax.text((brk.y0 + brk.y1) / 2, -0.55, "⋯", ha="center", fontsize=10, color="#607d8b")
    for i, s in enumerate(schedules):
        if open_ended(s):
            _draw_open_keepalive(ax, s, i, scale)
            continue
        for sp in s.spans:
            x0, x1 = scale(sp.t0), scale(sp.t1)
            ax.add_patch(
                _rect(
                    ax,
                    x0,
                    i - 0.14,
                    x1 - x0,
                    0.28,
                    _SPAN_COLORS.get(sp.kind, "#e0e0e0"),
                    f"span:{s.profile}:{sp.kind}",
                )
            )
            if x1 - x0 > 0.9 * len(sp.label) * 0.55:
                ax.text((x0 + x1) / 2, i, sp.label, ha="center", va="center", fontsize=7.5)
        for m in s.marks:
            x = scale(m.t)
            if m.kind == "end":
                ax.plot(x, i, marker="X", ms=10, color="#c62828", gid=f"end:{s.profile}")
                ax.text(
                    x + 0.6,
                    i - 0.3,
                    f"{m.label} at {_seconds(m.t)}",
                    fontsize=7.5,
                    color="#c62828",
                    va="bottom",
                    ha="right",
                    gid=f"end-label:{s.profile}",
                )
            else:
                color = "#c62828" if m.kind == "rst" else _INK
                ax.plot(
                    [x, x],
                    [i - 0.22, i + 0.22],
                    color=color,
                    lw=1.4,
                    gid=f"mark:{s.profile}:{m.kind}",
                )
        if what == "keepalive" and s.values.get("sends_rst"):
            ax.text(
                scale(s.end) + 0.6,
                i + 0.3,
                "and sends RST",
                fontsize=7.5,
                color="#c62828",
                va="top",
                ha="right",
            )
    ax.set_title(
        title if title is not None else _WHAT_TITLES.get(what, what), fontsize=10, loc="left"
    )
    return fig


def _draw_open_keepalive(ax: Axes, s: TimerSchedule, i: int, scale: Any) -> None:
    """The RFC's keepalive row: the idle time it specifies (at least two hours), then nothing
    it specifies (no interval, no probe count: RFC 1122 4.2.3.6), to the end of the axis."""
    idle = float(s.values["keepalive_idle"])
    x1 = scale(idle)
    ax.add_patch(_rect(ax, 0.0, i - 0.14, x1, 0.28, _SPAN_COLORS["idle"], f"span:{s.profile}:idle"))
    ax.text(x1 / 2, i, f"idle ≥ {_seconds(idle)}", ha="center", va="center", fontsize=7.5)
    x2 = scale.end + 3.5
    ax.add_patch(_rect(ax, x1, i - 0.14, x2 - x1, 0.28, "#f5f5f5", f"span:{s.profile}:unspecified"))
    ax.text(
        (x1 + x2) / 2,
        i,
        "then unspecified: RFC 1122 sets no interval, no probe count",
        ha="center",
        va="center",
        fontsize=7.5,
        style="italic",
        color="#546e7a",
        gid=f"unspecified:{s.profile}",
    )


def _rect(ax: Axes, x: float, y: float, w: float, h: float, color: str, gid: str) -> Any:
    return _kit(ax).Rectangle((x, y), w, h, fc=color, ec="#607d8b", lw=0.6, gid=gid)


def _seconds(t: float) -> str:
    if t >= 3600 and t % 60 == 0:
        return f"{t / 3600:g} h" if t % 3600 == 0 else f"{t:.0f} s"
    return f"{t:g} s" if t < 1000 else f"{t:.0f} s"
