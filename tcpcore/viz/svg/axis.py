"""The frame of an :class:`~tcpcore.viz.svg.Axes`: spines, ticks, tick labels, axis labels and
the title, made into artists at drawing time so they sort into the zorder like the rest (as
matplotlib's axis and spines do, at zorder 2.5). Sizes and pads are matplotlib's defaults."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .artists import Artist, Line2D, Point, num, shorten, stroke, to_rgba
from .text import ASCENT, DESCENT, Text

if TYPE_CHECKING:
    from .figure import Axes


class Spine:
    """One edge of the Axes frame (black, 0.8 pt, as matplotlib draws it)."""

    def __init__(self, side: str) -> None:
        self.side, self.visible, self.color, self.lw = side, True, "black", 0.8

    def set_visible(self, visible: bool) -> None:
        self.visible = visible

    def get_visible(self) -> bool:
        return self.visible

    def set_color(self, color: str) -> None:
        self.color = color

    def set_linewidth(self, lw: float) -> None:
        self.lw = lw


class AxisTicks:
    """Ticks of one axis: positions and labels as set, and their style."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.labels: list[str] | None = None
        self.fontsize, self.length, self.color, self.labelcolor = 10.0, 3.5, "black", "black"
        self.label: Text | None = None


def decorations(self: Axes) -> list[Artist]:
    """Spines, ticks, tick labels, axis labels and the title, as artists to sort in."""
    out: list[Artist] = []
    if self.title is not None:
        out.append(Shifted(self.title, 0.0, -self.title_pad))
    if not self.axison:
        return out
    for side, spine in self.spines.items():
        if spine.visible:
            xs, ys = {
                "left": ([0.0, 0.0], [0.0, 1.0]),
                "right": ([1.0, 1.0], [0.0, 1.0]),
                "bottom": ([0.0, 1.0], [0.0, 0.0]),
                "top": ([0.0, 1.0], [1.0, 1.0]),
            }[side]
            out.append(
                Line2D(
                    xs,
                    ys,
                    color=spine.color,
                    lw=spine.lw,
                    zorder=2.5,
                    solid_capstyle="projecting",
                    xcoord="axes",
                    ycoord="axes",
                    clip_on=False,
                )
            )
    for name, axis in (("x", self.xaxis), ("y", self.yaxis)):
        labels = axis.labels if axis.labels is not None else [f"{t:g}" for t in axis.ticks]
        gap = axis.length + 3.5  # tick length plus matplotlib's label pad
        for t, label in zip(axis.ticks, labels, strict=True):
            xs, ys = ([t, t], [0.0, 0.0]) if name == "x" else ([0.0, 0.0], [t, t])
            xc, yc = ("data", "axes") if name == "x" else ("axes", "data")
            if axis.length > 0:
                out.append(
                    Tick(
                        xs,
                        ys,
                        name,
                        axis.length,
                        color=axis.color,
                        lw=0.8,
                        zorder=2.5,
                        clip_on=False,
                        xcoord=xc,
                        ycoord=yc,
                    )
                )
            text = Text(
                xs[0],
                ys[0],
                label,
                fontsize=axis.fontsize,
                color=axis.labelcolor,
                ha="center" if name == "x" else "right",
                va="top" if name == "x" else "center",
                zorder=2.5,
                xcoord=xc,
                ycoord=yc,
            )
            out.append(Shifted(text, 0.0, gap) if name == "x" else Shifted(text, -gap, 0))
        if axis.label is not None:
            drop = gap + (ASCENT + DESCENT) * axis.fontsize + 4.0 if axis.ticks else 4.0
            out.append(
                Shifted(axis.label, 0.0, drop)
                if name == "x"
                else Shifted(axis.label, -drop - 3 * axis.fontsize, 0.0)
            )
    return out


class Shifted(Artist):
    """An artist drawn a fixed number of points away from its place (tick labels, title)."""

    def __init__(self, inner: Artist, dx: float, dy: float) -> None:
        super().__init__(zorder=inner.zorder, clip_on=False)
        self.inner, self.dx, self.dy = inner, dx, dy

    def body(self, tr: Callable[[float, float, str, str], Point]) -> str:
        def moved(x: float, y: float, xc: str = "data", yc: str = "data") -> Point:
            px, py = tr(x, y, xc, yc)
            return px + self.dx, py + self.dy

        return self.inner.svg(moved)


class Tick(Line2D):
    """A tick mark: ``length`` points outwards from the axis at a data position."""

    def __init__(
        self, xs: list[float], ys: list[float], axis: str, length: float, **kw: Any
    ) -> None:
        super().__init__(xs, ys, **kw)
        self.axis, self.length = axis, length

    def body(self, tr: Callable[[float, float, str, str], Point]) -> str:
        x, y = tr(self.xdata[0], self.ydata[0], *self.coords)
        x1, y1 = (x, y + self.length) if self.axis == "x" else (x - self.length, y)
        return (
            f'<path d="M{num(x)} {num(y)}L{num(x1)} {num(y1)}" fill="none"'
            f"{stroke(to_rgba(self.color), self.lw)}/>"
        )


def set_ticks(
    axis: AxisTicks, ticks: Iterable[float], labels: Iterable[str] | None, kw: dict[str, Any]
) -> None:
    axis.ticks = [float(t) for t in ticks]
    axis.labels = [str(s) for s in labels] if labels is not None else None
    if axis.labels is not None and len(axis.labels) != len(axis.ticks):
        raise ValueError(f"{len(axis.ticks)} ticks but {len(axis.labels)} tick labels")
    kw = shorten(kw)
    axis.fontsize = float(kw.pop("fontsize", axis.fontsize))
    if kw:
        raise TypeError(f"set_ticks: unsupported keywords {', '.join(sorted(kw))}")
