"""Placing text in a ladder: the boxes texts take, and the spot for an arrow's label or a lost
segment's note that covers no other text, no arrow and no cross.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...trace import SegmentRecord
from ..svg import text_width
from .ladder_items import (
    CROSS_IN,
    FONT,
    LABEL_H,
    LABEL_PAD_PT,
    NOTE_GAP_IN,
    ROW_IN,
    STATE_FONT,
    EventMark,
    StateMark,
)

Box = tuple[float, float, float, float]  # left, top, right, bottom: lane widths and rows


def _tw(text: str, lane_in: float, size: float = FONT, weight: str = "normal") -> float:
    """A text's width in lane widths."""
    return text_width(text, size, weight) / 72.0 / lane_in


def _text_box(m: StateMark | EventMark, side: int, lane_in: float) -> Box:
    """The box a lane's text takes: (left, top, right, bottom)."""
    if isinstance(m, StateMark):
        width = _tw(m.text, lane_in, STATE_FONT, "bold")
    else:
        width = _tw(m.text, lane_in) * 1.03  # italic
    left = m.x - width if side < 0 else m.x
    return (left, m.label_y - LABEL_H / 2, left + width, m.label_y + LABEL_H / 2)


@dataclass(slots=True)
class _Path:
    """An arrow's geometry before its label is placed."""

    record: SegmentRecord
    a: int
    b: int
    x0: float
    y0: float
    x1: float
    y1: float
    t1: float
    partial: bool
    kind: str
    label: str
    note: str = ""
    note_x: float = 0.0
    note_y: float = 0.0


def _cross_box(p: _Path, lane_in: float) -> Box:
    hw, hh = CROSS_IN / 2 / lane_in, CROSS_IN / 2 / ROW_IN
    return (p.x1 - hw, p.y1 - hh, p.x1 + hw, p.y1 + hh)


def _place_note(p: _Path, lane_in: float, placed: list[Box]) -> None:
    """Put "lost: <reason>" just past the cross, reading away from the sender, below it or,
    when text is in the way there, above it."""
    p.note = f"lost: {p.record.reason}" if p.record.reason else "lost"
    width = _tw(p.note, lane_in)
    right = p.x1 >= p.x0
    gap = NOTE_GAP_IN / lane_in
    left = p.x1 + gap if right else p.x1 - gap - width
    best: tuple[float, Box] | None = None
    for top in (p.y1 + 0.1, p.y1 - 0.1 - LABEL_H, p.y1 + 0.1 + LABEL_H):
        box = (left, top, left + width, top + LABEL_H)
        clash = sum(_overlap(box, other) for other in placed)
        if best is None or clash < best[0] - 1e-12:
            best = (clash, box)
        if clash == 0:
            break
    assert best is not None
    box = best[1]
    p.note_x = box[0] if right else box[2]
    p.note_y = box[1]
    placed.append(box)


def _covered(seg: tuple[float, float, float, float], box: Box, lane_in: float) -> float:
    """How much of a segment (inches) runs under a box."""
    x0, y0, x1, y1 = seg
    length = math.hypot((x1 - x0) * lane_in, (y1 - y0) * ROW_IN)
    n = 24
    inside = 0
    for k in range(n + 1):
        x, y = x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n
        if box[0] < x < box[2] and box[1] < y < box[3]:
            inside += 1
    return length * inside / (n + 1)


def _place_label(
    p: _Path,
    lane_in: float,
    placed: list[Box],
    others: list[tuple[float, float, float, float]],
    crosses: list[Box],
) -> tuple[float, float]:
    """Where the arrow's label goes: along the arrow (middle first) or just above or below it,
    at the first spot where it overlaps no text placed so far, hides no other arrow and no
    cross, and leaves half of its own arrow (or half an inch of it) in sight; failing that,
    the spot that does least harm. The label's box joins ``placed``."""
    pad = LABEL_PAD_PT / 72 / lane_in
    half_w, half_h = _tw(p.label, lane_in) / 2 + pad, LABEL_H / 2
    own = (p.x0, p.y0, p.x1, p.y1)
    length = math.hypot((p.x1 - p.x0) * lane_in, (p.y1 - p.y0) * ROW_IN)
    # beside the arrow: far enough above or below it that the box clears its line
    slope = abs(p.y1 - p.y0) / max(abs(p.x1 - p.x0), 1e-9)
    clear = half_h + min(slope * half_w, 3.0) + 0.05
    fractions = (0.5, 0.38, 0.62, 0.26, 0.74, 0.16, 0.84)
    candidates = [(f, 0.0) for f in fractions]
    candidates += [(f, dy) for dy in (-clear, clear) for f in fractions]
    candidates += [(f, dy) for dy in (-clear - LABEL_H, clear + LABEL_H) for f in fractions[:3]]
    best: tuple[float, float, float] | None = None
    for k, (f, dy) in enumerate(candidates):
        x, y = p.x0 + f * (p.x1 - p.x0), p.y0 + f * (p.y1 - p.y0) + dy
        box = (x - half_w, y - half_h, x + half_w, y + half_h)
        harm = 1000 * sum(_overlap(box, other) for other in placed)
        harm += 1000 * sum(_overlap(box, c) for c in crosses)
        harm += 10 * sum(max(0.0, _covered(seg, box, lane_in) - 0.05) for seg in others)
        # its own arrow must show half its length, or at least half an inch of it
        shown = length - _covered(own, box, lane_in)
        if shown < 0.5 * length and shown < 0.5:
            harm += 5 * (0.5 - shown)
        harm += 1e-4 * k  # otherwise, the earlier candidate
        if best is None or harm < best[2]:
            best = (x, y, harm)
        if harm < 1e-3:
            break
    assert best is not None
    x, y, _ = best
    placed.append((x - half_w, y - half_h, x + half_w, y + half_h))
    return x, y


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0
