"""Text for :mod:`tcpcore.viz.svg`: matplotlib's alignment rules, written as SVG ``<text>``.

The browser places each line horizontally (``text-anchor``), so labels stay centred whatever
font it picks; vertical placement uses matplotlib's own rule (a line box is the font's
typographic ascent and descent, 0.760 and 0.240 em in DejaVu Sans, plus the line gap between
lines, or ``linespacing`` em per line when that is given), so ``va="center"`` lands where
matplotlib puts it. Widths are only estimated (for the box behind a label and for bounds
checks), from DejaVu Sans' advance widths below, in thousandths of an em, for the characters
space to "~" and the few arrows and dots the lessons use. DejaVu Sans has no Chinese, Japanese
or Korean: the browser sets those in a CJK font (Noto Sans CJK, Source Han, PingFang, Microsoft
YaHei, ...), and every such font gives the characters Unicode calls wide or full-width (East
Asian Width W or F: ideographs, CJK punctuation such as "，" and "。", kana, hangul, the
full-width forms "（）：") one em, and the half-width forms half an em.
"""

from __future__ import annotations

import unicodedata
from html import escape
from typing import Any

from .artists import Artist, Transform, num, paint, stroke, to_rgba

_CHARS = "".join(chr(c) for c in range(32, 127)) + "→⋯×…–—·"
_REGULAR = (
    "318 401 460 838 636 950 780 275 390 390 500 838 318 361 318 337 636 636 636 636 636 636 "
    "636 636 636 636 337 337 838 838 838 531 1000 684 686 698 770 632 575 775 752 295 295 656 "
    "557 863 748 787 603 787 695 635 611 732 684 989 685 611 685 390 337 390 838 500 500 613 "
    "635 550 635 615 352 635 634 278 278 579 278 974 634 612 635 635 411 521 392 634 592 818 "
    "592 592 525 636 337 636 838 838 1000 838 1000 500 1000 318"
)
_BOLD = (
    "348 456 521 838 696 1002 872 306 457 457 523 838 380 415 380 365 696 696 696 696 696 696 "
    "696 696 696 696 400 400 838 838 838 580 1000 774 762 734 830 683 683 821 837 372 372 775 "
    "637 995 837 850 733 850 770 720 682 812 774 1103 771 724 725 457 365 457 838 500 500 675 "
    "716 593 716 678 435 716 712 343 343 665 343 1042 712 687 716 716 493 595 478 712 652 924 "
    "645 652 582 712 365 712 838 838 1000 838 1000 500 1000 380"
)
WIDTHS = {
    "normal": dict(zip(_CHARS, (int(w) / 1000 for w in _REGULAR.split()), strict=True)),
    "bold": dict(zip(_CHARS, (int(w) / 1000 for w in _BOLD.split()), strict=True)),
}
# DejaVu Sans' OS/2 sTypoAscender, -sTypoDescender and sTypoLineGap, in em (of 2048 units)
ASCENT, DESCENT, LINE_GAP = 1556 / 2048, 492 / 2048, 410 / 2048
MONO = 0.602  # every glyph of DejaVu Sans Mono
FAMILIES = {
    "sans-serif": "'DejaVu Sans', 'Bitstream Vera Sans', Arial, Helvetica, sans-serif",
    "monospace": "'DejaVu Sans Mono', 'Bitstream Vera Sans Mono', Menlo, Consolas, monospace",
}
FAMILIES["DejaVu Sans"] = FAMILIES["sans-serif"]
FAMILIES["DejaVu Sans Mono"] = FAMILIES["monospace"]
HA = {"left": "start", "center": "middle", "right": "end"}
VA = ("top", "center", "bottom", "baseline", "center_baseline")


def text_width(line: str, size: float, weight: str = "normal", family: str = "sans-serif") -> float:
    """An estimate of the line's width in points, as DejaVu Sans would set it."""
    if family in ("monospace", "DejaVu Sans Mono"):
        return len(line) * MONO * size
    table = WIDTHS["bold" if weight in ("bold", "heavy", "semibold", "black") else "normal"]
    return sum(table.get(ch) or _other(ch) for ch in line) * size


# East Asian Width classes: W(ide) and F(ull-width) take one em in a CJK font, H(alf-width) half.
_EAST_ASIAN = {"W": 1.0, "F": 1.0, "H": 0.5}


def _other(ch: str) -> float:
    """The width of a character outside the DejaVu table, in em: CJK by its East Asian Width,
    a combining mark nothing, anything else a typical Latin letter's 0.65."""
    if unicodedata.combining(ch):
        return 0.0
    return _EAST_ASIAN.get(unicodedata.east_asian_width(ch), 0.65)


class Text(Artist):
    """A label at a point: matplotlib's ``Text`` with its keywords (ha, va, fontsize, weight,
    style, family, color, rotation 0 or 90, linespacing, bbox)."""

    zorder_default = 3.0

    def __init__(
        self,
        x: float,
        y: float,
        text: str,
        *,
        fontsize: float = 10.0,
        weight: str = "normal",
        style: str = "normal",
        family: str = "sans-serif",
        color: str = "black",
        ha: str = "left",
        va: str = "baseline",
        rotation: float = 0.0,
        linespacing: float | None = None,
        bbox: dict[str, Any] | None = None,
        xcoord: str = "data",
        ycoord: str = "data",
        clip_on: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(clip_on=clip_on, **kw)
        if ha not in HA:
            raise ValueError(f"ha must be one of {', '.join(HA)}, not {ha!r}")
        if va not in VA:
            raise ValueError(f"va must be one of {', '.join(VA)}, not {va!r}")
        if rotation % 360 not in (0, 90):
            raise ValueError(f"rotation must be 0 or 90 degrees, not {rotation!r}")
        self.x, self.y, self.text = x, y, str(text)
        self.fontsize, self.weight, self.style, self.family = float(fontsize), weight, style, family
        self.color, self.ha, self.va = color, ha, va
        self.rotation, self.linespacing = rotation % 360, linespacing
        self.bbox = dict(bbox) if bbox is not None else None
        self.coords = (xcoord, ycoord)

    def get_text(self) -> str:
        return self.text

    def set_text(self, text: str) -> None:
        self.text = str(text)

    def get_color(self) -> str:
        return self.color

    def get_fontsize(self) -> float:
        return self.fontsize

    def get_weight(self) -> str:
        return self.weight

    def get_position(self) -> tuple[float, float]:
        return (self.x, self.y)

    def _layout(self) -> tuple[list[str], float, float, float, float]:
        """Lines, widest width, full height, line pitch and the first baseline's distance from
        the top (points)."""
        lines = self.text.split("\n")
        size = self.fontsize
        width = max(text_width(s, size, self.weight, self.family) for s in lines)
        em = ASCENT + DESCENT
        if self.linespacing is None:  # "normal": the line gap only between lines
            gap = LINE_GAP if len(lines) > 1 else 0.0
            pitch, first = em + gap, ASCENT + gap / 2
        else:  # a fixed pitch, the line's ink centred in it (ink taken as the font's box)
            pitch = self.linespacing * em
            first = (pitch + ASCENT - DESCENT) / 2
        return lines, width, len(lines) * pitch * size, pitch * size, first * size

    def _frame(self) -> tuple[str, float, float, float]:
        """Text-anchor, the box's left and top offsets from the anchor point along the text's
        own axes (before rotation), and the first line's baseline offset."""
        _, width, height, _, first = self._layout()
        # Along the reading direction: ha (va when turned by 90 degrees) picks the anchor.
        if self.rotation == 90:
            anchor = {"bottom": "start", "baseline": "start", "top": "end"}.get(self.va, "middle")
            across = {"left": 0.0, "center": -height / 2, "right": -height}[self.ha]
        else:
            anchor = HA[self.ha]
            base = self.va == "baseline"
            across = {"top": 0.0, "bottom": -height}.get(self.va, -height / 2)
            if base:
                across = -first
        left = {"start": 0.0, "middle": -width / 2, "end": -width}[anchor]
        return anchor, left, across, across + first

    def extent(self, tr: Transform) -> tuple[float, float, float, float]:
        """The text's estimated box in figure points: (x0, y0, x1, y1), y downwards."""
        x, y = tr(self.x, self.y, *self.coords)
        _, width, height, _, _ = self._layout()
        _, left, top, _ = self._frame()
        if self.rotation == 90:
            return (x + top, y - left - width, x + top + height, y - left)
        return (x + left, y + top, x + left + width, y + top + height)

    def body(self, tr: Transform) -> str:
        if not self.text:
            return ""
        x, y = tr(self.x, self.y, *self.coords)
        lines, width, height, pitch, _ = self._layout()
        anchor, left, top, first = self._frame()
        out = ""
        if self.bbox is not None:
            out += self._box(x + left, y + top, width, height)
        fam = FAMILIES.get(self.family, escape(self.family, quote=True))
        style = f"font-family:{fam};font-size:{num(self.fontsize)}px"
        if self.weight != "normal":
            style += f";font-weight:{self.weight}"
        if self.style != "normal":
            style += f";font-style:{self.style}"
        attrs = f' style="{style}" text-anchor="{anchor}"' + paint("fill", to_rgba(self.color))
        if len(lines) == 1:
            out += f'<text x="{num(x)}" y="{num(y + first)}"{attrs}>{escape(self.text)}</text>'
        else:
            spans = "".join(
                f'<tspan x="{num(x)}" y="{num(y + first + k * pitch)}">{escape(s)}</tspan>'
                for k, s in enumerate(lines)
            )
            out += f"<text{attrs}>{spans}</text>"
        if self.rotation == 90:
            out = f'<g transform="rotate(-90 {num(x)} {num(y)})">{out}</g>'
        return out

    def _box(self, x: float, y: float, w: float, h: float) -> str:
        """The patch behind the text: ``boxstyle`` "round,pad=f" or "square,pad=f" (pad in
        fontsize units), or a bare ``pad`` in points (matplotlib's square default)."""
        props = dict(self.bbox or {})
        style = str(props.pop("boxstyle", "square"))
        kind, *params = [p.strip() for p in style.split(",")]
        if kind not in ("round", "square"):
            raise ValueError(f"bbox boxstyle must be 'round' or 'square', not {kind!r}")
        pad = 0.3 * self.fontsize
        for p in params:
            key, _, value = p.partition("=")
            if key != "pad":
                raise ValueError(f"unknown bbox boxstyle parameter {key!r} in {style!r}")
            pad = float(value) * self.fontsize
        if "pad" in props:
            pad = float(props.pop("pad"))
        fc = props.pop("fc", props.pop("facecolor", "C0"))
        ec = props.pop("ec", props.pop("edgecolor", "black"))
        alpha = props.pop("alpha", None)
        lw = float(props.pop("lw", props.pop("linewidth", 1.0)))
        if props:
            raise ValueError(f"unsupported bbox keys: {', '.join(sorted(props))}")
        r = f' rx="{num(pad)}"' if kind == "round" else ""
        return (
            f'<rect x="{num(x - pad)}" y="{num(y - pad)}" width="{num(w + 2 * pad)}" '
            f'height="{num(h + 2 * pad)}"{r}{paint("fill", to_rgba(fc, alpha))}'
            f"{stroke(to_rgba(ec, alpha), lw)}/>"
        )
