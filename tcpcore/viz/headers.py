"""The TCP header, 32 bits a row, each field labelled with its value; laid out by
:func:`tcpcore.viz.layout.wire.header_fields`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..wire.segment import Segment
from .backends import artist_kit, new_figure, place_axes
from .layout.wire import header_fields
from .palette import FIGURE_WIDTH_IN

if TYPE_CHECKING:
    from .backends import Axes, Figure


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
    fig, ax = new_figure((FIGURE_WIDTH_IN, 0.9 + 0.62 * nrows), ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        place_axes(fig, ax, 0.2, 0.2, 0.55, 0.1)
    kit = artist_kit(ax)
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
