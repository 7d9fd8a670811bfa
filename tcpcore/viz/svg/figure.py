"""A minimal, dependency-free stand-in for the part of matplotlib that :mod:`tcpcore.viz` uses.

JupyterLite runs the lessons in the browser (Pyodide), where matplotlib and numpy come only from a
CDN that offline classrooms cannot reach and take seconds to load; the figures are static line
drawings from precomputed layouts, so a small writer of SVG does the job there. ``Figure`` and
``Axes`` accept the calls and keywords viz makes (``ax.text``, ``ax.plot``, ``ax.add_patch``,
limits, ticks, spines, titles, spans...) and serialise to a standalone SVG document:

- 72 user units per inch (points, as matplotlib's SVG backend), ``viewBox`` and a size in pt;
- data coordinates through each Axes' limits (inverted limits flip the axis), the Axes placed
  by its position in figure fractions, artists drawn in zorder (ties in the order added);
- text kept as ``<text>``; lines and patches clipped to their Axes like matplotlib's;
- an artist with a ``gid`` is wrapped in ``<g data-gid="arrow:0" class="arrow">``, and
  :meth:`Figure.findobj` finds the artist objects themselves, so tests can read the same
  things from both backends (``get_gid``, ``get_text``, ``get_edgecolor``...).

What it does not do: autoscaling, automatic ticks, layout engines, any output but SVG.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

from .artists import Artist, Line2D, LineCollection, Point, num, paint, shorten, to_rgba
from .axis import AxisTicks, Spine, decorations, set_ticks
from .patches import FancyArrowPatch, FancyBboxPatch, Patch, Path, Rectangle
from .text import Text

__all__ = [
    "Axes",
    "FancyArrowPatch",
    "FancyBboxPatch",
    "Figure",
    "Line2D",
    "LineCollection",
    "Path",
    "Rectangle",
    "Text",
]


class Bbox:
    """An Axes' position in figure fractions: ``bounds`` is (left, bottom, width, height)."""

    def __init__(self, bounds: Sequence[float]) -> None:
        left, bottom, width, height = (float(v) for v in bounds)
        self.bounds = (left, bottom, width, height)
        self.x0, self.y0, self.width, self.height = self.bounds
        self.x1, self.y1 = left + width, bottom + height


class Axes:
    """A rectangle of the figure with data coordinates, holding artists."""

    def __init__(self, figure: Figure, rect: Sequence[float]) -> None:
        self.figure = figure
        self._position = Bbox(rect)
        self.artists: list[Artist] = []
        self._xlim, self._ylim = (0.0, 1.0), (0.0, 1.0)
        self.spines = {side: Spine(side) for side in ("left", "right", "bottom", "top")}
        self.xaxis, self.yaxis = AxisTicks(), AxisTicks()
        self.axison = True
        self.title: Text | None = None
        self.title_pad = 6.0
        self._order = itertools.count()

    # -- position, limits ---------------------------------------------------------------------
    def get_position(self) -> Bbox:
        return self._position

    def set_position(self, pos: Sequence[float] | Bbox) -> None:
        self._position = pos if isinstance(pos, Bbox) else Bbox(pos)

    def set_xlim(self, left: float | tuple[float, float], right: float | None = None) -> None:
        self._xlim = _limits(left, right, "x")

    def set_ylim(self, bottom: float | tuple[float, float], top: float | None = None) -> None:
        self._ylim = _limits(bottom, top, "y")

    def set_axis_off(self) -> None:
        self.axison = False

    # -- ticks, labels ------------------------------------------------------------------------
    def set_xticks(
        self, ticks: Iterable[float], labels: Iterable[str] | None = None, **kw: Any
    ) -> None:
        set_ticks(self.xaxis, ticks, labels, kw)

    def set_yticks(
        self, ticks: Iterable[float], labels: Iterable[str] | None = None, **kw: Any
    ) -> None:
        set_ticks(self.yaxis, ticks, labels, kw)

    def tick_params(
        self,
        axis: str = "both",
        *,
        length: float | None = None,
        colors: str | None = None,
        labelsize: float | None = None,
        **kw: Any,
    ) -> None:
        if axis not in ("x", "y", "both"):
            raise ValueError(f"tick_params axis must be 'x', 'y' or 'both', not {axis!r}")
        if kw:
            raise TypeError(f"tick_params: unsupported keywords {', '.join(sorted(kw))}")
        for which in (
            [self.xaxis, self.yaxis]
            if axis == "both"
            else [self.xaxis if axis == "x" else self.yaxis]
        ):
            if length is not None:
                which.length = float(length)
            if colors is not None:
                which.color = which.labelcolor = colors
            if labelsize is not None:
                which.fontsize = float(labelsize)

    def set_xlabel(self, text: str, fontsize: float = 10.0, **kw: Any) -> Text:
        self.xaxis.label = Text(
            0.5,
            0.0,
            text,
            fontsize=fontsize,
            ha="center",
            va="top",
            xcoord="axes",
            ycoord="axes",
            **shorten(kw),
        )
        return self.xaxis.label

    def set_title(
        self, label: str, fontsize: float = 12.0, loc: str = "center", pad: float = 6.0, **kw: Any
    ) -> Text:
        if loc not in ("left", "center", "right"):
            raise ValueError(f"title loc must be 'left', 'center' or 'right', not {loc!r}")
        x = {"left": 0.0, "center": 0.5, "right": 1.0}[loc]
        self.title = Text(
            x,
            1.0,
            label,
            fontsize=fontsize,
            ha=loc,
            va="baseline",
            xcoord="axes",
            ycoord="axes",
            zorder=3.0,
            **shorten(kw),
        )
        self.title_pad = pad
        return self.title

    # -- adding artists -----------------------------------------------------------------------
    def _add(self, artist: Artist) -> Any:
        artist._seq = next(self._order)  # type: ignore[attr-defined]
        self.artists.append(artist)
        return artist

    def text(self, x: float, y: float, s: str, **kw: Any) -> Text:
        result: Text = self._add(Text(x, y, s, **shorten(kw)))
        return result

    def plot(
        self, x: float | Sequence[float], y: float | Sequence[float], fmt: str = "", **kw: Any
    ) -> list[Line2D]:
        if fmt:
            raise TypeError("plot format strings are not supported: use color=, ls=, marker=")
        xs = list(x) if isinstance(x, Sequence) else [float(x)]
        ys = list(y) if isinstance(y, Sequence) else [float(y)]
        if len(xs) != len(ys):
            raise ValueError(f"plot: x has {len(xs)} values and y has {len(ys)}")
        kw = shorten(kw)
        if "marker" in kw and len(xs) == 1:
            kw.setdefault("ls", "None")
        return [self._add(Line2D(xs, ys, **kw))]

    def add_patch(self, patch: Patch) -> Patch:
        result: Patch = self._add(patch)
        return result

    def add_collection(self, collection: LineCollection) -> LineCollection:
        result: LineCollection = self._add(collection)
        return result

    def axhspan(self, ymin: float, ymax: float, **kw: Any) -> Rectangle:
        kw = shorten(kw)
        kw.setdefault("ec", "none")
        result: Rectangle = self._add(Rectangle((0.0, ymin), 1.0, ymax - ymin, xcoord="axes", **kw))
        return result

    def axvspan(self, xmin: float, xmax: float, **kw: Any) -> Rectangle:
        kw = shorten(kw)
        kw.setdefault("ec", "none")
        result: Rectangle = self._add(Rectangle((xmin, 0.0), xmax - xmin, 1.0, ycoord="axes", **kw))
        return result

    def axhline(self, y: float = 0.0, **kw: Any) -> Line2D:
        kw = shorten(kw)
        kw.setdefault("solid_capstyle", "butt")
        result: Line2D = self._add(Line2D([0.0, 1.0], [y, y], xcoord="axes", **kw))
        return result

    @property
    def patches(self) -> list[Patch]:
        return [a for a in self.artists if isinstance(a, Patch)]

    @property
    def lines(self) -> list[Line2D]:
        return [a for a in self.artists if isinstance(a, Line2D)]

    @property
    def texts(self) -> list[Text]:
        return [a for a in self.artists if isinstance(a, Text)]

    def get_children(self) -> list[Artist]:
        extra = [t for t in (self.title, self.xaxis.label, self.yaxis.label) if t is not None]
        return [*self.artists, *extra]

    # -- drawing ----------------------------------------------------------------------------
    def box(self) -> tuple[float, float, float, float]:
        """The Axes' rectangle in figure points: left, top, right, bottom (y downwards)."""
        w, h = self.figure.size_points()
        p = self._position
        return p.x0 * w, h - p.y1 * h, p.x1 * w, h - p.y0 * h

    def transform(self) -> Callable[[float, float, str, str], Point]:
        left, top, right, bottom = self.box()
        (x0, x1), (y0, y1) = self._xlim, self._ylim
        sx, sy = (right - left) / (x1 - x0), (bottom - top) / (y1 - y0)

        def tr(x: float, y: float, xc: str = "data", yc: str = "data") -> Point:
            px = left + (x - x0) * sx if xc == "data" else left + x * (right - left)
            py = bottom - (y - y0) * sy if yc == "data" else bottom - y * (bottom - top)
            return px, py

        return tr

    def decorations(self) -> list[Artist]:
        """Spines, ticks, tick labels, axis labels and the title, as artists to sort in."""
        return decorations(self)

    def svg(self, clip_id: str) -> str:
        tr = self.transform()
        left, top, right, bottom = self.box()
        out = ""
        if self.axison:
            out += (
                f'<rect x="{num(left)}" y="{num(top)}" width="{num(right - left)}" '
                f'height="{num(bottom - top)}" fill="#ffffff"/>'
            )
        items = [a for a in [*self.artists, *self.decorations()] if a.visible]
        # sorted() is stable: equal zorders keep the order they were added in, as in matplotlib
        items.sort(key=lambda a: a.zorder)
        clip = f' clip-path="url(#{clip_id})"'
        return out + "".join(a.svg(tr, clip) for a in items)


def _limits(a: float | tuple[float, float], b: float | None, name: str) -> tuple[float, float]:
    lo, hi = a if isinstance(a, tuple) else (a, b)
    if lo is None or hi is None or float(lo) == float(hi):
        raise ValueError(f"set_{name}lim needs two different limits, not {lo!r} and {hi!r}")
    return float(lo), float(hi)


class Figure:
    """A figure of ``figsize`` inches holding Axes; ``to_svg()`` writes it."""

    def __init__(self, figsize: Sequence[float] = (6.4, 4.8), facecolor: str = "white") -> None:
        w, h = (float(v) for v in figsize)
        if w <= 0 or h <= 0:
            raise ValueError(f"figsize must be positive inches, not {tuple(figsize)!r}")
        self._size = (w, h)
        self.facecolor = facecolor
        self.axes: list[Axes] = []

    def get_size_inches(self) -> tuple[float, float]:
        return self._size

    def size_points(self) -> tuple[float, float]:
        return self._size[0] * 72.0, self._size[1] * 72.0

    def add_axes(self, rect: Sequence[float]) -> Axes:
        ax = Axes(self, rect)
        self.axes.append(ax)
        return ax

    def subplots(self, nrows: int = 1, ncols: int = 1) -> Any:
        """A grid of Axes with matplotlib's default margins (one Axes, a list, or rows)."""
        left, right, bottom, top, ws, hs = 0.125, 0.9, 0.11, 0.88, 0.2, 0.2
        w = (right - left) / (ncols + ws * (ncols - 1))
        h = (top - bottom) / (nrows + hs * (nrows - 1))
        grid = [
            [
                self.add_axes((left + c * w * (1 + ws), top - h - r * h * (1 + hs), w, h))
                for c in range(ncols)
            ]
            for r in range(nrows)
        ]
        if nrows == 1 and ncols == 1:
            return grid[0][0]
        return grid[0] if nrows == 1 else ([row[0] for row in grid] if ncols == 1 else grid)

    def findobj(self, match: Callable[[Any], bool] | type | None = None) -> list[Any]:
        """Every artist of the figure (and its Axes) that ``match`` accepts: a function of the
        artist, or a class."""
        found: list[Any] = []
        for ax in self.axes:
            for a in ax.get_children():
                ok = match is None or (
                    isinstance(a, match) if isinstance(match, type) else match(a)
                )
                if ok:
                    found.append(a)
        return found

    def to_svg(self) -> bytes:
        w, h = self.size_points()
        parts = [
            '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{num(w)}pt" '
            f'height="{num(h)}pt" viewBox="0 0 {num(w)} {num(h)}">\n'
            f'<rect width="{num(w)}" height="{num(h)}"{paint("fill", to_rgba(self.facecolor))}/>'
        ]
        clips = []
        for k, ax in enumerate(self.axes):
            left, top, right, bottom = ax.box()
            clips.append(
                f'<clipPath id="tcpclip{k}"><rect x="{num(left)}" y="{num(top)}" '
                f'width="{num(right - left)}" height="{num(bottom - top)}"/></clipPath>'
            )
        parts.append(f"<defs>{''.join(clips)}</defs>\n")
        for k, ax in enumerate(self.axes):
            parts.append(f'<g class="axes">{ax.svg(f"tcpclip{k}")}</g>\n')
        parts.append("</svg>\n")
        return "".join(parts).encode("utf-8")

    def savefig(self, fname: str | IO[bytes], format: str | None = None, **kw: Any) -> None:
        fmt = format or (fname.rsplit(".", 1)[-1] if isinstance(fname, str) else "svg")
        if fmt != "svg":
            raise ValueError(f"tcpcore.viz.svg writes SVG only, not {fmt!r}: PNG needs matplotlib")
        data = self.to_svg()
        if isinstance(fname, str):
            with open(fname, "wb") as f:
                f.write(data)
        else:
            fname.write(data)

    def _repr_svg_(self) -> str:
        return self.to_svg().decode("utf-8")
