"""Patches for :mod:`tcpcore.viz.svg`: rectangles, rounded boxes and arrows, with matplotlib's
keywords (``fc``/``ec``/``color``, ``lw``, ``ls``, ``boxstyle``, ``arrowstyle``,
``connectionstyle``, ``mutation_scale``, ``shrinkA``/``shrinkB``) and its defaults."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

from .artists import RGBA, Artist, Point, Transform, num, paint, stroke, to_rgba


class Path:
    """Vertices with matplotlib's path codes (only MOVETO, LINETO and CURVE3 are drawn)."""

    MOVETO: ClassVar[int] = 1
    LINETO: ClassVar[int] = 2
    CURVE3: ClassVar[int] = 3

    def __init__(self, vertices: Sequence[Point], codes: Sequence[int] | None = None) -> None:
        self.vertices = [(float(x), float(y)) for x, y in vertices]
        self.codes = (
            list(codes)
            if codes is not None
            else ([self.MOVETO] + [self.LINETO] * (len(self.vertices) - 1))
        )
        if len(self.codes) != len(self.vertices):
            raise ValueError(
                f"a path needs one code per vertex: {len(self.vertices)} vertices, "
                f"{len(self.codes)} codes"
            )


class Patch(Artist):
    """A filled shape with an outline: matplotlib's colour keywords and their precedence."""

    def __init__(
        self,
        *,
        color: str | None = None,
        fc: str | None = None,
        ec: str | None = None,
        facecolor: str | None = None,
        edgecolor: str | None = None,
        lw: float | None = None,
        linewidth: float | None = None,
        ls: str = "-",
        fill: bool = True,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        face = fc or facecolor or color or "C0"
        self.facecolor = face if fill else "none"
        self.edgecolor = ec or edgecolor or color or "none"
        width = lw if lw is not None else linewidth
        self.lw = 1.0 if width is None else float(width)
        self.ls = ls

    def get_facecolor(self) -> RGBA:
        return to_rgba(self.facecolor, self.alpha)

    def get_edgecolor(self) -> RGBA:
        return to_rgba(self.edgecolor, self.alpha)

    def get_linewidth(self) -> float:
        return self.lw

    def style(self) -> str:
        return paint("fill", self.get_facecolor()) + stroke(
            self.get_edgecolor(), self.lw, self.ls, "butt"
        )


class Rectangle(Patch):
    """``Rectangle((x, y), width, height)`` in data coordinates (either axis may be the Axes'
    fraction instead: that is how ``axhspan`` spans the whole width)."""

    def __init__(
        self,
        xy: Point,
        width: float,
        height: float,
        *,
        xcoord: str = "data",
        ycoord: str = "data",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.xy, self.width, self.height = xy, float(width), float(height)
        self.coords = (xcoord, ycoord)

    def get_xy(self) -> Point:
        return self.xy

    def get_width(self) -> float:
        return self.width

    def get_height(self) -> float:
        return self.height

    def corners(self, tr: Transform) -> tuple[float, float, float, float]:
        x, y = self.xy
        (ax, ay), (bx, by) = (
            tr(x, y, *self.coords),
            tr(x + self.width, y + self.height, *self.coords),
        )
        return min(ax, bx), min(ay, by), abs(bx - ax), abs(by - ay)

    def body(self, tr: Transform) -> str:
        x, y, w, h = self.corners(tr)
        return f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"{self.style()}/>'


class FancyBboxPatch(Rectangle):
    """A box grown by ``pad`` (data units) on every side, its corners rounded by ``pad`` for
    ``boxstyle="round,pad=..."``; "square" keeps them sharp."""

    def __init__(
        self,
        xy: Point,
        width: float,
        height: float,
        *,
        boxstyle: str = "round",
        mutation_scale: float = 1.0,
        **kw: Any,
    ) -> None:
        kind, *params = [p.strip() for p in boxstyle.split(",")]
        if kind not in ("round", "square"):
            raise ValueError(f"boxstyle must be 'round' or 'square', not {kind!r}")
        pad = 0.3
        for p in params:
            key, _, value = p.partition("=")
            if key != "pad":
                raise ValueError(f"unknown boxstyle parameter {key!r} in {boxstyle!r}")
            pad = float(value)
        pad *= mutation_scale
        x, y = xy
        super().__init__((x - pad, y - pad), width + 2 * pad, height + 2 * pad, **kw)
        self.round, self.pad, self.boxstyle = kind == "round", pad, boxstyle

    def body(self, tr: Transform) -> str:
        x, y, w, h = self.corners(tr)
        r = ""
        if self.round and self.width and self.height:
            r = f' rx="{num(w * self.pad / self.width)}" ry="{num(h * self.pad / self.height)}"'
        return (
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"{r}{self.style()}/>'
        )


# matplotlib's head sizes, in multiples of mutation_scale: (length, half width).
HEADS = {"-": None, "-|>": (0.4, 0.2), "->": (0.4, 0.2)}


class FancyArrowPatch(Patch):
    """An arrow from ``posA`` to ``posB`` (shrunk by ``shrinkA``/``shrinkB`` points, straight
    or ``connectionstyle="arc3,rad=r"``), or along a ``path`` of one quadratic curve."""

    zorder_default = 1.0

    def __init__(
        self,
        posA: Point | None = None,
        posB: Point | None = None,
        *,
        path: Path | None = None,
        arrowstyle: str = "-|>",
        connectionstyle: str = "arc3",
        mutation_scale: float = 1.0,
        shrinkA: float = 2.0,
        shrinkB: float = 2.0,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        if (path is None) == (posA is None or posB is None):
            raise ValueError("FancyArrowPatch needs posA and posB, or path (not both)")
        if arrowstyle.replace(" ", "") not in HEADS:
            raise ValueError(f"arrowstyle must be one of {', '.join(HEADS)}, not {arrowstyle!r}")
        kind, _, rad = connectionstyle.replace(" ", "").partition(",rad=")
        if kind != "arc3":
            raise ValueError(f"connectionstyle must be 'arc3[,rad=r]', not {connectionstyle!r}")
        self.posA, self.posB, self.path = posA, posB, path
        self.arrowstyle, self.rad = arrowstyle.replace(" ", ""), float(rad or 0.0)
        self.mutation_scale, self.shrink = float(mutation_scale), (shrinkA, shrinkB)

    def get_arrowstyle(self) -> str:
        return self.arrowstyle

    def get_mutation_scale(self) -> float:
        return self.mutation_scale

    def _curve(self, tr: Transform) -> list[Point]:
        """Two points (a line) or three (a quadratic Bezier curve), in figure points."""
        if self.path is not None:
            pts = [tr(x, y, "data", "data") for x, y in self.path.vertices]
            if self.path.codes[1:] == [Path.CURVE3, Path.CURVE3] or len(pts) == 2:
                return pts
            raise ValueError("an arrow's path is a line or one quadratic curve (MOVETO, CURVE3 x2)")
        assert self.posA is not None and self.posB is not None
        (ax, ay), (bx, by) = tr(*self.posA, "data", "data"), tr(*self.posB, "data", "data")
        length = math.hypot(bx - ax, by - ay) or 1.0
        ux, uy = (bx - ax) / length, (by - ay) / length
        sa, sb = self.shrink
        a, b = (ax + ux * sa, ay + uy * sa), (bx - ux * sb, by - uy * sb)
        if not self.rad:
            return [a, b]
        # arc3: the control point sits off the middle, rad times the chord, to the right
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        dx, dy = b[0] - a[0], b[1] - a[1]
        return [a, (mx + self.rad * dy, my - self.rad * dx), b]

    def body(self, tr: Transform) -> str:
        pts = self._curve(tr)
        rgba = self.get_edgecolor()
        head = HEADS[self.arrowstyle]
        tip = pts[-1]
        out = ""
        if head is not None:
            before = pts[-2]
            tx, ty = tip[0] - before[0], tip[1] - before[1]
            n = math.hypot(tx, ty) or 1.0
            ux, uy = tx / n, ty / n
            length, half = head[0] * self.mutation_scale, head[1] * self.mutation_scale
            base = (tip[0] - ux * length, tip[1] - uy * length)
            w1 = (base[0] - uy * half, base[1] + ux * half)
            w2 = (base[0] + uy * half, base[1] - ux * half)
            if self.arrowstyle == "-|>":
                pts = [*pts[:-1], base]  # the line stops where the filled head begins
                corners = " ".join(f"{num(x)},{num(y)}" for x, y in (tip, w1, w2))
                out = f'<polygon points="{corners}"{paint("fill", rgba)}{stroke(rgba, self.lw)}/>'
            else:
                d = f"M{num(w1[0])} {num(w1[1])}L{num(tip[0])} {num(tip[1])}"
                d += f"L{num(w2[0])} {num(w2[1])}"
                out = f'<path d="{d}" fill="none"{stroke(rgba, self.lw)}/>'
        d = f"M{num(pts[0][0])} {num(pts[0][1])}"
        if len(pts) == 3:
            d += f"Q{num(pts[1][0])} {num(pts[1][1])} {num(pts[2][0])} {num(pts[2][1])}"
        else:
            d += f"L{num(pts[1][0])} {num(pts[1][1])}"
        line = f'<path d="{d}" fill="none"{stroke(rgba, self.lw, self.ls, "butt")}/>'
        return line + out
