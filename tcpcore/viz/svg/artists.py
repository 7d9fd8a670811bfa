"""The artists of :mod:`tcpcore.viz.svg`: lines, texts, patches, each writing itself as SVG.

They mirror the few matplotlib classes :mod:`tcpcore.viz` uses (``Line2D``, ``Text``,
``Rectangle``, ``FancyBboxPatch``, ``FancyArrowPatch``, ``LineCollection``, ``Path``), with the
same constructor keywords and the getters the tests read (``get_gid``, ``get_text``,
``get_color``, ``get_facecolor``, ``get_edgecolor``, ``get_linewidth``, ``get_marker``). Sizes
given in points (line widths, font sizes, marker sizes, arrow heads) are SVG user units: the
figure is laid out at 72 units per inch, as matplotlib's own SVG backend does.

Text widths are estimated from DejaVu Sans' advance widths (matplotlib's default font, which the
SVG asks for by name) and used only where a size must be known before the browser lays the text
out: the box behind a label. Horizontal alignment is left to the browser (``text-anchor``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from html import escape
from typing import Any

RGBA = tuple[float, float, float, float]
Point = tuple[float, float]
# Data coordinates to figure pixels, per axis kind ("data" or "axes" fraction).
Transform = Callable[[float, float, str, str], Point]

NAMED = {
    "white": "#ffffff",
    "black": "#000000",
    "red": "#ff0000",
    "green": "#008000",
    "blue": "#0000ff",
    "gray": "#808080",
    "grey": "#808080",
    "C0": "#1f77b4",
    "C1": "#ff7f0e",
    "C2": "#2ca02c",
    "C3": "#d62728",
}


_ALIASES = {
    "linewidth": "lw",
    "linestyle": "ls",
    "markersize": "ms",
    "markeredgewidth": "mew",
    "fontweight": "weight",
    "fontstyle": "style",
    "fontfamily": "family",
    "horizontalalignment": "ha",
    "verticalalignment": "va",
    "size": "fontsize",
    "c": "color",
}


def shorten(kw: dict[str, Any]) -> dict[str, Any]:
    """matplotlib's long keyword names mapped to the short ones the artists take."""
    return {_ALIASES.get(k, k): v for k, v in kw.items()}


def to_rgba(color: str | Sequence[float], alpha: float | None = None) -> RGBA:
    """A colour as matplotlib spells it ("#rrggbb", "#rgb", a few names, "none", a tuple)."""
    if not isinstance(color, str):
        parts = [float(c) for c in color]
        if len(parts) not in (3, 4):
            raise ValueError(f"a colour tuple has 3 or 4 parts, not {tuple(color)!r}")
        r, g, b = parts[:3]
        a = parts[3] if len(parts) == 4 else 1.0
    elif color.lower() == "none":
        return (0.0, 0.0, 0.0, 0.0)
    else:
        text = NAMED.get(color, NAMED.get(color.lower(), color))
        digits = text[1:] if text.startswith("#") else ""
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        try:
            if len(digits) not in (6, 8):
                raise ValueError
            values = [int(digits[k : k + 2], 16) / 255 for k in range(0, len(digits), 2)]
        except ValueError:
            raise ValueError(
                f"unknown colour {color!r} (use '#rrggbb' or one of "
                f"{', '.join(sorted(NAMED))}, 'none')"
            ) from None
        r, g, b = values[:3]
        a = values[3] if len(values) == 4 else 1.0
    return (r, g, b, a if alpha is None else alpha)


def hex6(rgba: RGBA) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])


def num(v: float) -> str:
    """A coordinate for the SVG text: two decimals, no trailing zeros."""
    s = f"{v:.2f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def paint(attr: str, rgba: RGBA) -> str:
    """``fill="#..."`` (plus its opacity), or ``fill="none"`` for a transparent colour."""
    if rgba[3] == 0:
        return f' {attr}="none"'
    out = f' {attr}="{hex6(rgba)}"'
    return out + (f' {attr}-opacity="{num(rgba[3])}"' if rgba[3] < 1 else "")


# matplotlib's dash patterns, in multiples of the line width (lines.*_pattern, scaled).
DASHES = {
    "--": (3.7, 1.6),
    "dashed": (3.7, 1.6),
    ":": (1.0, 1.65),
    "dotted": (1.0, 1.65),
    "-.": (6.4, 1.6, 1.0, 1.6),
    "dashdot": (6.4, 1.6, 1.0, 1.6),
}
SOLID = {"-", "solid", "None", "none", ""}


def stroke(rgba: RGBA, lw: float, ls: str = "-", cap: str = "butt") -> str:
    if lw <= 0 or rgba[3] == 0:
        return ' stroke="none"'
    out = paint("stroke", rgba) + f' stroke-width="{num(lw)}"'
    if ls not in SOLID:
        if ls not in DASHES:
            raise ValueError(f"unknown line style {ls!r}: use one of '-', '--', ':', '-.'")
        out += f' stroke-dasharray="{",".join(num(d * max(lw, 1.0)) for d in DASHES[ls])}"'
    caps = {"projecting": "square", "butt": "butt", "round": "round"}
    return out + f' stroke-linecap="{caps.get(cap, cap)}" stroke-linejoin="round"'


class Artist:
    """What every artist has: a gid, a zorder, visibility and clipping to its Axes."""

    zorder_default = 1.0

    def __init__(
        self,
        gid: str | None = None,
        zorder: float | None = None,
        alpha: float | None = None,
        clip_on: bool = True,
        visible: bool = True,
        label: str = "",
    ) -> None:
        self._gid = gid
        self.zorder = self.zorder_default if zorder is None else float(zorder)
        self.alpha = alpha
        self.clip_on = clip_on
        self.visible = visible
        self.label = label

    def get_gid(self) -> str | None:
        return self._gid

    def set_gid(self, gid: str | None) -> None:
        self._gid = gid

    def get_zorder(self) -> float:
        return self.zorder

    def set_zorder(self, z: float) -> None:
        self.zorder = z

    def get_visible(self) -> bool:
        return self.visible

    def set_visible(self, visible: bool) -> None:
        self.visible = visible

    def get_alpha(self) -> float | None:
        return self.alpha

    def get_children(self) -> list[Artist]:
        return []

    def body(self, tr: Transform) -> str:  # pragma: no cover - every artist overrides it
        raise NotImplementedError

    def svg(self, tr: Transform, clip: str = "") -> str:
        inner = self.body(tr)
        attrs = clip if self.clip_on else ""
        if self._gid:
            kind = self._gid.split(":", 1)[0]
            attrs += f' data-gid="{escape(self._gid)}" class="{escape(kind)}"'
        return f"<g{attrs}>{inner}</g>" if attrs else inner


# -- lines ------------------------------------------------------------------------------------


def _marker(name: str, x: float, y: float, ms: float, face: str, edge: str) -> str:
    s = ms / 2
    if name in ("x", "+"):
        d = (
            f"M{num(x - s)} {num(y - s)}L{num(x + s)} {num(y + s)}"
            f"M{num(x - s)} {num(y + s)}L{num(x + s)} {num(y - s)}"
        )
        if name == "+":
            d = f"M{num(x - s)} {num(y)}L{num(x + s)} {num(y)}"
            d += f"M{num(x)} {num(y - s)}L{num(x)} {num(y + s)}"
        return f'<path d="{d}" fill="none"{edge}/>'
    if name == "o":
        return f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(s)}"{face}{edge}/>'
    shapes: dict[str, list[tuple[float, float]]] = {
        # screen y grows downwards: "v" points down, "^" up
        "v": [(0, 1), (-1, -1), (1, -1)],
        "^": [(0, -1), (-1, 1), (1, 1)],
        "s": [(-1, -1), (1, -1), (1, 1), (-1, 1)],
        "D": [(0, -1), (1, 0), (0, 1), (-1, 0)],
        # matplotlib's filled X: a plus of arm width 1/2, turned by 45 degrees
        "X": [
            (-0.5, -1),
            (0, -0.5),
            (0.5, -1),
            (1, -0.5),
            (0.5, 0),
            (1, 0.5),
            (0.5, 1),
            (0, 0.5),
            (-0.5, 1),
            (-1, 0.5),
            (-0.5, 0),
            (-1, -0.5),
        ],
    }
    if name not in shapes:
        raise ValueError(
            f"unknown marker {name!r}: use one of {', '.join(sorted(shapes))}, x, +, o"
        )
    pts = " ".join(f"{num(x + px * s)},{num(y + py * s)}" for px, py in shapes[name])
    return f'<polygon points="{pts}"{face}{edge}/>'


class Line2D(Artist):
    """A polyline with an optional marker at each vertex (what ``Axes.plot`` makes)."""

    zorder_default = 2.0

    def __init__(
        self,
        xdata: Sequence[float],
        ydata: Sequence[float],
        *,
        color: str = "C0",
        lw: float = 1.5,
        ls: str = "-",
        marker: str = "",
        ms: float = 6.0,
        mew: float = 1.0,
        solid_capstyle: str = "projecting",
        xcoord: str = "data",
        ycoord: str = "data",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.xdata, self.ydata = list(xdata), list(ydata)
        self.color, self.lw, self.ls = color, float(lw), ls
        self.marker, self.ms, self.mew = marker, float(ms), float(mew)
        self.capstyle = solid_capstyle if ls in SOLID else "butt"
        self.coords = (xcoord, ycoord)

    def get_color(self) -> str:
        return self.color

    def get_linewidth(self) -> float:
        return self.lw

    def get_linestyle(self) -> str:
        return self.ls

    def get_marker(self) -> str:
        return self.marker or "None"

    def get_xdata(self) -> list[float]:
        return self.xdata

    def get_ydata(self) -> list[float]:
        return self.ydata

    def body(self, tr: Transform) -> str:
        rgba = to_rgba(self.color, self.alpha)
        pts = [tr(x, y, *self.coords) for x, y in zip(self.xdata, self.ydata, strict=True)]
        out = ""
        if len(pts) > 1 and self.ls not in ("None", "none", ""):
            d = "M" + "L".join(f"{num(x)} {num(y)}" for x, y in pts)
            out += f'<path d="{d}" fill="none"{stroke(rgba, self.lw, self.ls, self.capstyle)}/>'
        if self.marker and self.marker not in ("None", "none"):
            filled = self.marker not in ("x", "+")
            face = paint("fill", rgba) if filled else ""
            edge = stroke(rgba, self.mew if not filled else 1.0, "-", "butt")
            out += "".join(_marker(self.marker, x, y, self.ms, face, edge) for x, y in pts)
        return out


class LineCollection(Artist):
    """Many separate line segments sharing one style (one SVG path)."""

    zorder_default = 2.0

    def __init__(
        self,
        segments: Iterable[Sequence[Point]],
        *,
        colors: str = "C0",
        linewidths: float = 1.5,
        linestyles: str = "-",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.segments = [list(s) for s in segments]
        self.colors, self.lw, self.ls = colors, float(linewidths), linestyles

    def get_color(self) -> str:
        return self.colors

    def get_linewidth(self) -> float:
        return self.lw

    def get_segments(self) -> list[list[Point]]:
        return self.segments

    def body(self, tr: Transform) -> str:
        d = ""
        for seg in self.segments:
            pts = [tr(x, y, "data", "data") for x, y in seg]
            d += "M" + "L".join(f"{num(x)} {num(y)}" for x, y in pts)
        style = stroke(to_rgba(self.colors, self.alpha), self.lw, self.ls, "projecting")
        return f'<path d="{d}" fill="none"{style}/>'
