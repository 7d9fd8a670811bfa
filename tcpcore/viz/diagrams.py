"""The state diagram, drawn from the table with a path highlighted; laid out by
:func:`tcpcore.viz.layout.diagram.diagram_layout`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..protocol.profiles import Profile
from ..protocol.states import State
from .backends import artist_kit, new_figure, place_axes
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
)
from .layout.ladder import state_group
from .palette import GROUP_COLORS, HIGHLIGHT, TEXT_COLORS

if TYPE_CHECKING:
    from .backends import Axes, Figure


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
    """RFC 9293 Figure 5, with its edges generated from :data:`tcpcore.protocol.table.TABLE`.

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
    fig, ax = new_figure(lay.size, ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        place_axes(fig, ax, *MARGINS_IN)
    _draw_diagram(ax, lay)
    ax.set_title(
        title if title is not None else f"TCP connection states ({lay.profile})",
        fontsize=10,
        loc="left",
    )
    return fig


def _draw_diagram(ax: Axes, lay: DiagramLayout) -> None:
    kit = artist_kit(ax)
    Path = kit.Path

    ax.set_xlim(*lay.xlim)
    ax.set_ylim(*lay.ylim)
    ax.set_axis_off()
    for n in lay.nodes:
        group = state_group(n.state)
        face = GROUP_COLORS[group] if n.current else "white"
        edge = HIGHLIGHT if n.on_path else TEXT_COLORS[group]
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
            color="white" if n.current else TEXT_COLORS[group],
            zorder=4,
        )
    for e in lay.edges:
        color = HIGHLIGHT if e.highlighted else ("#9e9e9e" if e.minor else "#37474f")
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
