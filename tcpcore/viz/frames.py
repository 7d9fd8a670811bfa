"""Encapsulation: a frame's layers (link, IP, TCP, data) nested, with their sizes; laid out by
:func:`tcpcore.viz.layout.wire.encapsulation_layers`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..wire.segment import Segment
from .backends import artist_kit, new_figure, place_axes
from .layout.wire import encapsulation_layers
from .palette import FIGURE_WIDTH_IN

if TYPE_CHECKING:
    from .backends import Axes, Figure


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

    fig, ax = new_figure((FIGURE_WIDTH_IN, 1.4 + 0.45 * (len(nested) + 1)), ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        place_axes(fig, ax, 0.2, 0.2, 0.45, 0.1)
    kit = artist_kit(ax)
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
