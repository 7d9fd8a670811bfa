"""Where everything in a ladder diagram goes: pure geometry from a Trace, no matplotlib.

:func:`ladder_layout` turns a :class:`~tcpcore.trace.Trace` into drawable items with coordinates
and labels; :func:`tcpcore.viz.ladder` only paints them, and the tests read them directly.

Coordinates. Each endpoint is a vertical *lane* at x = 0, 1, 2, ... Time runs down: y grows with
time, in *rows* (about a line of text). A :class:`TimeScale` maps seconds to rows so that the
diagram stays readable whatever the times are:

* consecutive moments (a send, an arrival, a state change) are at least one row apart, so a
  handshake taking 150 ms is as legible as a 4-second backoff;
* gaps up to ``break_after`` seconds keep their proportions (a doubling RTO looks doubled);
* longer gaps (2*MSL = 240 s, a 2-hour keepalive idle) become a fixed-height :class:`Break`
  drawn as a visible cut with the real duration written on it, and so do idle stretches (no
  segment in flight, no timer running) longer than five round trips, so a second of waiting
  between a handshake and a close does not push the interesting part off the screen;
* segments sent at the same instant get sub-rows, so they do not draw on top of each other.

Labels. An arrow's label goes where it covers no other text, no other arrow and no cross, and
hides at most half of its own arrow (beside a shallow arrow rather than on it); text widths are
DejaVu Sans' own (:func:`tcpcore.viz.svg.text_width`). Lanes are 3.6 inches apart, closer when
the figure would be wider than :data:`MAX_WIDTH_IN` (it would no longer fit a notebook).

Timers are not in a trace as such: what fired is (``timer`` events), and when each was armed is
inferred here (a retransmission timer from the send it retransmits, 2MSL from entering TIME-WAIT
or the FIN that restarted it, keepalive from the last segment seen).

This module lays out; the parts are in ``ladder_items`` (sizes, items, the time scale),
``ladder_trace`` (lanes, segment kinds and labels, timers inferred) and ``ladder_labels``
(where a label or a note goes). The names in ``__all__`` are importable from here.
"""

from __future__ import annotations

import statistics
from itertools import pairwise

from ...protocol.states import State
from ...trace import SegmentRecord, Trace, TraceEvent
from ..svg import text_width
from .ladder_items import (
    _GIVE_UPS,
    _SIGNALS_SHOWN,
    BAR_GAP_IN,
    BAR_STEP_IN,
    FONT,
    IDLE_RTTS,
    LABEL_H,
    LANE_WIDTH_IN,
    MAX_WIDTH_IN,
    MIN_LANE_IN,
    MIN_STEP,
    ROW_IN,
    SIDE_TEXT_IN,
    SUB_STEP,
    Arrow,
    Break,
    EventMark,
    LadderLayout,
    Lane,
    LaneSpan,
    StateMark,
    TimerBar,
    TimeScale,
    state_group,
)
from .ladder_labels import (
    Box,
    _covered,
    _cross_box,
    _overlap,
    _Path,
    _place_label,
    _place_note,
    _text_box,
)
from .ladder_trace import (
    _child_suffixes,
    _infer_timers,
    _kinds,
    _label,
    _lane_for,
    _lanes,
    _Timer,
    _timer_label,
)

__all__ = [
    "Arrow",
    "Break",
    "EventMark",
    "LadderLayout",
    "Lane",
    "LaneSpan",
    "StateMark",
    "TimeScale",
    "TimerBar",
    "ladder_layout",
    "state_group",
]


def ladder_layout(
    trace: Trace,
    *,
    until: float | None = None,
    show_timers: bool = True,
    break_after: float | None = None,
) -> LadderLayout:
    """Lay ``trace`` out as a ladder diagram (see the module docstring).

    ``until`` keeps only what happened up to that time (a segment still in flight is drawn part
    of the way); the time axis and the figure's size are those of the whole trace, so a
    stepper's figure does not jump.
    ``break_after`` (seconds) is the longest gap drawn to scale; by default 10 s or 40 one-way
    delays, whichever is longer. Idle stretches (nothing in flight, no timer running) longer
    than five round trips and a quarter of a second are cut out whatever ``break_after`` says.
    Lanes stand closer when the figure would be wider than :data:`MAX_WIDTH_IN`.
    """
    if until is not None:  # the whole trace's lanes, width and height: the figure stays put
        full = ladder_layout(trace, show_timers=show_timers, break_after=break_after)
        lay = _layout(trace, until, show_timers, break_after, full.lane_in)
        lay.x_min, lay.x_max = min(lay.x_min, full.x_min), max(lay.x_max, full.x_max)
        lay.y_max = max(lay.y_max, full.y_max)
        return lay
    lane_in = LANE_WIDTH_IN
    lay = _layout(trace, until, show_timers, break_after, lane_in)
    for _ in range(3):
        n = len(lay.lanes)
        width = lay.size[0]
        if width <= MAX_WIDTH_IN + 1e-6 or n < 2 or lane_in <= MIN_LANE_IN:
            break
        overhang = width - 0.9 - (n - 1) * lane_in  # inches of text outside the outer lanes
        lane_in = max(MIN_LANE_IN, min(lane_in - 0.05, (MAX_WIDTH_IN - 0.9 - overhang) / (n - 1)))
        lay = _layout(trace, until, show_timers, break_after, lane_in)
    return lay


def _layout(
    trace: Trace,
    until: float | None,
    show_timers: bool,
    break_after: float | None,
    lane_in: float,
) -> LadderLayout:
    records = trace.segments()
    cols, lane_of = _lanes(trace)
    n = len(cols)
    lanes = [
        Lane(i, name, addr, float(i), -1 if (i == 0 and n > 1) else 1)
        for i, (name, addr) in enumerate(cols)
    ]
    delays = [
        r.arrival - r.sent
        for r in records
        if not r.dropped and r.arrival is not None and r.arrival > r.sent
    ]
    unit = statistics.median(delays) if delays else 0.05
    events = [e for e in trace.events if _shown(e, show_timers)]
    moments = _moments(trace, records)
    if break_after is None:
        break_after = max(10.0, 40 * unit)
    extra: dict[float, float] = {}
    rank: dict[int, int] = {}
    by_time: dict[float, int] = {}
    for r in records:
        t = round(r.sent, 9)
        rank[id(r)] = by_time.get(t, 0)
        by_time[t] = rank[id(r)] + 1
    for t, count in by_time.items():
        extra[t] = (count - 1) * SUB_STEP
    last = max(moments, default=0.0)
    cuts = _idle_gaps(trace, records, moments, 2 * unit, last)
    scale = TimeScale(moments, unit=unit, break_after=break_after, extra=extra, cuts=cuts)
    cut = last if until is None else until

    marks = _marks(trace, lanes, lane_of, scale, events, until, lane_in)
    # A break is a band across the whole figure, its duration written in the middle: no label
    # may sit on it. (The bands come first in ``placed`` and do not count for its width.)
    bands: list[Box] = [(-1e3, b.y0, 1e3, b.y1) for b in scale.breaks]
    placed = bands + [_text_box(m, lanes[m.lane].side, lane_in) for m in marks]
    arrows = _arrows(records, lanes, lane_of, scale, rank, until, placed, lane_in)
    timers = (
        _timers(trace, lanes, lane_of, scale, last, until, placed, arrows, lane_in)
        if show_timers
        else []
    )
    states = [m for m in marks if isinstance(m, StateMark)]
    others = [m for m in marks if isinstance(m, EventMark)]
    spans = _spans(trace, lane_of, scale, cut)
    ticks = _ticks(scale, cut)
    margin = 0.8 / lane_in  # room beside the outer lanes (their timer bars), at least
    pad = 0.08 / lane_in
    texts = placed[len(bands) :]
    x_min = min([-margin, *(box[0] - pad for box in texts)])
    x_max = max([lanes[-1].x + (margin if n > 1 else 1.0), *(box[2] + pad for box in texts)])
    y_max = max(
        [
            scale.end + 0.8,
            *(m.label_y + 0.8 for m in marks),
            *(a.y1 + 0.8 for a in arrows),
            *(box[3] + 0.3 for box in texts),
        ]
    )
    return LadderLayout(
        lanes,
        arrows,
        states,
        others,
        timers,
        spans,
        scale.breaks,
        scale,
        until,
        ticks,
        x_min,
        x_max,
        -1.8,
        y_max,
        lane_in,
    )


def _idle_gaps(
    trace: Trace, records: list[SegmentRecord], moments: list[float], rtt: float, end: float
) -> list[float]:
    """The starts of the gaps between moments in which nothing happens: no segment in flight,
    no timer running, longer than IDLE_RTTS round trips and a quarter of a second."""
    times = sorted({round(t, 9) for t in moments})
    busy = [(tm.t0, tm.t1) for tm in _infer_timers(trace, end)]
    busy += [(r.sent, r.arrival) for r in records if r.arrival is not None and r.arrival > r.sent]
    return [
        a
        for a, b in pairwise(times)
        if b - a > max(IDLE_RTTS * rtt, 0.25)
        and not any(t0 < b - 1e-9 and t1 > a + 1e-9 for t0, t1 in busy)
    ]


def _shown(e: TraceEvent, show_timers: bool) -> bool:
    if e.kind == "signal":
        return e.text.startswith(_SIGNALS_SHOWN)
    if e.kind == "timer":
        return e.trigger in _GIVE_UPS or not show_timers
    return e.kind in ("call", "state", "error", "drop", "crash", "restart")


def _moments(trace: Trace, records: list[SegmentRecord]) -> list[float]:
    out: list[float] = []
    for r in records:
        out.append(r.sent)
        if r.arrival is not None:
            out.append(r.arrival)
    for line in trace.timelines.values():
        out += [t for t, _ in line]
    out += [e.time for e in trace.events]
    return out or [0.0]


def _arrows(
    records: list[SegmentRecord],
    lanes: list[Lane],
    lane_of: dict[str, int],
    scale: TimeScale,
    rank: dict[int, int],
    until: float | None,
    placed: list[Box],
    lane_in: float,
) -> list[Arrow]:
    kinds = _kinds(records)
    slants = [
        scale(r.arrival) - scale(r.sent)
        for r in records
        if not r.dropped and r.arrival is not None and r.arrival > r.sent
    ]
    slant = max(statistics.median(slants) if slants else MIN_STEP, 0.6)
    paths: list[tuple[int, _Path]] = []
    for i, r in enumerate(records):
        if until is not None and (
            r.sent > until + 1e-9
            or (r.sent >= until - 1e-9 and (r.arrival or r.sent) > until + 1e-9)
        ):
            continue  # not sent yet, or sent at this very instant: no progress to draw
        a = _lane_for(lane_of, r.sender, r.src)
        b = _lane_for(lane_of, r.receiver, r.dst)
        x0, xb = lanes[a].x, lanes[b].x
        if a == b:  # a lane talking to itself (a host's two addresses): a short hook
            xb = x0 + 0.3 * (1 if lanes[a].side > 0 else -1)
        y0 = scale(r.sent) + rank[id(r)] * SUB_STEP
        t1 = r.arrival if r.arrival is not None else r.sent
        if r.dropped and t1 <= r.sent:  # lost on the way: stop half-way with a cross
            x1, y1 = x0 + 0.5 * (xb - x0), y0 + 0.5 * slant
        elif r.dropped:  # dropped on arrival (a full backlog, an outage): cross at the end
            x1, y1 = x0 + 0.9 * (xb - x0), scale(t1)
        else:
            x1, y1 = xb, max(scale(t1), y0 + 0.6 * slant if t1 <= r.sent else scale(t1))
        partial = False
        if until is not None and t1 > until + 1e-9 and y1 > y0:
            f = max(0.0, min(1.0, (scale(until) - y0) / (y1 - y0)))
            x1, y1, partial = x0 + f * (x1 - x0), y0 + f * (y1 - y0), True
        kind = kinds.get(id(r), "")
        path = _Path(r, a, b, x0, y0, x1, y1, t1, partial, kind, _label(r, kind))
        if r.dropped and not partial:
            _place_note(path, lane_in, placed)
        paths.append((i, path))
    crosses = [_cross_box(p, lane_in) for _, p in paths if p.record.dropped and not p.partial]
    segments = [(p.x0, p.y0, p.x1, p.y1) for _, p in paths]
    out: list[Arrow] = []
    for k, (i, p) in enumerate(paths):
        others = segments[:k] + segments[k + 1 :]
        lx, ly = _place_label(p, lane_in, placed, others, crosses)
        out.append(
            Arrow(
                i,
                p.record,
                p.label,
                p.a,
                p.b,
                p.x0,
                p.y0,
                p.x1,
                p.y1,
                p.record.sent,
                p.t1,
                lx,
                ly,
                lost=p.record.dropped,
                reason=p.record.reason,
                retransmission=p.kind == "retransmission",
                keepalive=p.kind == "keepalive",
                partial=p.partial,
                note=p.note,
                note_x=p.note_x,
                note_y=p.note_y,
            )
        )
    return out


def _timers(
    trace: Trace,
    lanes: list[Lane],
    lane_of: dict[str, int],
    scale: TimeScale,
    end: float,
    until: float | None,
    placed: list[Box],
    arrows: list[Arrow],
    lane_in: float,
) -> list[TimerBar]:
    bars: list[TimerBar] = []
    columns: dict[int, list[float]] = {}  # lane -> the y where each bar column is free again
    # The same timer on several connections of one lane (a listener's children): one bar, "×4".
    same: dict[tuple[int, str, float, float, bool], list[_Timer]] = {}
    for tm in _infer_timers(trace, end):
        lane_index = _lane_for(lane_of, tm.endpoint, trace.endpoints.get(tm.endpoint, ""))
        same.setdefault((lane_index, tm.kind, tm.t0, tm.t1, tm.fired), []).append(tm)
    for (lane_index, kind, t0, t1, fired), group in sorted(same.items(), key=lambda x: x[0][2:4]):
        if until is not None and t0 > until + 1e-9:
            continue
        label = _timer_label(kind, t0, t1, fired)
        if len(group) > 1:
            label += f" ×{len(group)}"
        if until is not None and t1 > until:
            t1, fired = until, False
        lane = lanes[lane_index]
        y0, y1 = scale(t0), scale(t1)
        free = columns.setdefault(lane.index, [])
        col = next((k for k, y in enumerate(free) if y <= y0 + 1e-6), len(free))
        if col == len(free):
            free.append(y1)
        free[col] = y1
        x = lane.x + lane.side * (BAR_GAP_IN + col * BAR_STEP_IN) / lane_in
        who = group[0].endpoint if len(group) == 1 else lanes[lane_index].name
        # The label runs up the bar, beside it on the outer side, if it fits and nothing is
        # in the way (its box: the text's height across, its width along the bar).
        long = text_width(label, FONT) / 72 / ROW_IN
        across = FONT * 1.2 / 72 / lane_in
        near = x + lane.side * 0.06 / lane_in
        left, top = min(near, near + lane.side * across), (y0 + y1 - long) / 2
        box: Box = (left, top, left + across, top + long)
        show = y1 - y0 >= long + 0.2 and not any(_overlap(box, o) > 0 for o in placed)
        show = show and not any(
            _covered((a.x0, a.y0, a.x1, a.y1), box, lane_in) > 0 for a in arrows
        )
        if show:
            placed.append(box)
        bars.append(TimerBar(lane.index, who, kind, t0, t1, x, y0, y1, label, fired, show))
    return bars


def _marks(
    trace: Trace,
    lanes: list[Lane],
    lane_of: dict[str, int],
    scale: TimeScale,
    events: list[TraceEvent],
    until: float | None,
    lane_in: float,
) -> list[StateMark | EventMark]:
    suffix = _child_suffixes(trace)
    raw: list[tuple[float, int, StateMark | EventMark]] = []

    def lane_of_name(name: str) -> Lane:
        return lanes[_lane_for(lane_of, name, trace.endpoints.get(name, ""))]

    # Initial states: the first entry of each top-level timeline (children start in LISTEN,
    # which their listener already shows).
    for name, line in trace.timelines.items():
        if name in trace.parent or not line:
            continue
        t, state = line[0]
        lane = lane_of_name(name)
        x = lane.x + lane.side * SIDE_TEXT_IN / lane_in
        raw.append(
            (t, -1, StateMark(lane.index, name, state, t, x, scale(t), 0.0, str(state), "", True))
        )
    pending: dict[tuple[str, float], str] = {}  # a call or timer waiting for its state change
    for e in events:
        lane = lane_of_name(e.endpoint)
        x = lane.x + lane.side * SIDE_TEXT_IN / lane_in
        y = scale(e.time)
        if e.kind == "state":
            state = e.new if e.new is not None else State.parse(e.text)
            cause = pending.pop((e.endpoint, e.time), "")
            text = str(state) + suffix.get(e.endpoint, "")
            mark = StateMark(lane.index, e.endpoint, state, e.time, x, y, 0.0, text, cause)
            if cause:
                mark = _with_cause(mark, raw)
            raw.append((e.time, e.order, mark))
            continue
        if e.kind in ("call", "timer"):
            pending[(e.endpoint, e.time)] = e.text
        text = _event_text(e) + suffix.get(e.endpoint, "")
        raw.append(
            (e.time, e.order, EventMark(lane.index, e.endpoint, e.kind, e.time, x, y, 0.0, text))
        )
    # A timeline entry without a state event (a crash, a restart, a capture): a plain mark.
    have = {(m.endpoint, m.t, m.state) for _, _, m in raw if isinstance(m, StateMark)}
    for name, line in trace.timelines.items():
        for k, (t, state) in enumerate(line):
            if k == 0 or (name, t, state) in have:
                continue
            lane = lane_of_name(name)
            x = lane.x + lane.side * SIDE_TEXT_IN / lane_in
            text = str(state) + suffix.get(name, "")
            mark = StateMark(lane.index, name, state, t, x, scale(t), 0.0, text)
            raw.append((t, 1 << 60, mark))
    raw.sort(key=lambda item: (item[0], item[1]))
    kept = [
        m
        for t, _, m in raw
        if until is None or t <= until + 1e-9 or (isinstance(m, StateMark) and m.initial)
    ]
    return _declutter(kept)


def _with_cause(mark: StateMark, raw: list[tuple[float, int, StateMark | EventMark]]) -> StateMark:
    """Write "CLOSE → FIN-WAIT-1" on one line: drop the call's own mark."""
    for k in range(len(raw) - 1, -1, -1):
        m = raw[k][2]
        same = isinstance(m, EventMark) and (m.endpoint, m.t) == (mark.endpoint, mark.t)
        if same and isinstance(m, EventMark) and m.kind in ("call", "timer"):
            del raw[k]
            break
    return StateMark(
        mark.lane,
        mark.endpoint,
        mark.state,
        mark.t,
        mark.x,
        mark.y,
        0.0,
        f"{mark.cause} → {mark.text}",
        mark.cause,
    )


def _event_text(e: TraceEvent) -> str:
    if e.kind == "timer":
        return f"({e.text})"
    if e.kind in ("call", "restart"):
        return e.text
    return f"[{e.text}]"


def _declutter(marks: list[StateMark | EventMark]) -> list[StateMark | EventMark]:
    """Push texts beside the same lane down so that none overlaps the one above it."""
    out: list[StateMark | EventMark] = []
    bottom: dict[int, float] = {}
    for m in sorted(marks, key=lambda m: m.y):
        label_y = max(m.y, bottom.get(m.lane, -1e9) + LABEL_H)
        bottom[m.lane] = label_y
        if isinstance(m, StateMark):
            out.append(
                StateMark(
                    m.lane,
                    m.endpoint,
                    m.state,
                    m.t,
                    m.x,
                    m.y,
                    label_y,
                    m.text,
                    m.cause,
                    m.initial,
                )
            )
        else:
            out.append(EventMark(m.lane, m.endpoint, m.kind, m.t, m.x, m.y, label_y, m.text))
    return out


def _spans(trace: Trace, lane_of: dict[str, int], scale: TimeScale, cut: float) -> list[LaneSpan]:
    """Each lane's states over time, from its top-level endpoint's timeline (with its
    listener's children when they all talk to one remote: then the lane is one connection)."""
    out: list[LaneSpan] = []
    suffix = _child_suffixes(trace)
    for name, line in trace.timelines.items():
        if name in trace.parent:
            continue
        lane = lane_of[name]
        children = [c for c, p in trace.parent.items() if p == name and c not in suffix]
        entries = sorted(
            [*line, *(e for c in children for e in trace.timelines.get(c, [])[1:])],
            key=lambda e: e[0],
        )
        entries = [e for e in entries if e[0] <= cut + 1e-9]
        if not entries:
            continue
        for (t, state), nxt in zip(entries, [*entries[1:], None], strict=True):
            stop = cut if nxt is None else nxt[0]
            if stop > t or nxt is None:
                out.append(LaneSpan(lane, state, scale(t), scale(stop)))
    return out


def _ticks(scale: TimeScale, cut: float) -> list[tuple[float, float]]:
    """Time-axis ticks at the moments, skipping any closer than a row to the previous one."""
    out: list[tuple[float, float]] = []
    for t, y in zip(scale.times, scale.ys, strict=True):
        if t > cut + 1e-9:
            break
        if not out or y - out[-1][0] >= 0.95:
            out.append((y, t))
    return out
