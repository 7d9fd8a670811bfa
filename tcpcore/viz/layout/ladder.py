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
DejaVu Sans' own (:func:`tcpcore.viz.svg.text.text_width`). Lanes are 3.6 inches apart, closer when
the figure would be wider than :data:`MAX_WIDTH_IN` (it would no longer fit a notebook).

Timers are not in a trace as such: what fired is (``timer`` events), and when each was armed is
inferred here (a retransmission timer from the send it retransmits, 2MSL from entering TIME-WAIT
or the FIN that restarted it, keepalive from the last segment seen).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from ...flags import Flags
from ...states import State
from ...table import Trigger
from ...trace import SegmentRecord, Trace, TraceEvent
from ..svg.text import text_width

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

# Sizes, in lane widths (x) and rows (y).
MIN_STEP = 1.0  # rows between consecutive moments, at least
SUB_STEP = 1.1  # rows between segments sent at the same instant (room for their labels)
BREAK_STEP = 2.0  # rows a compressed gap takes (its band clears the arrow heads around it)
MAX_LINEAR = 30.0  # rows the proportional (unbroken) part of the diagram may take at most
MAX_GAP = 6.0  # rows the longest unbroken gap may take
IDLE_RTTS = 5.0  # an idle stretch longer than this many round trips is cut out
LANE_WIDTH_IN = 3.6  # inches between two lanes, at most
MIN_LANE_IN = 1.8  # ... and at least
MAX_WIDTH_IN = 8.5  # the widest figure: 816 px, shown unscaled in a notebook on a 1024-px screen
ROW_IN = 0.27  # inches per row
FONT = 7.5  # points: arrow labels, events, notes (10 px on screen); states are STATE_FONT bold
STATE_FONT = 8.0
LABEL_H = 0.6  # a line of 7.5-point text with the box behind it, in rows
LABEL_PAD_PT = 1.5  # the box behind a label reaches this far past its text
SIDE_TEXT_IN = 0.306  # state and event text: this far from the lane
BAR_GAP_IN = 0.108  # timer bars: this far from the lane
BAR_STEP_IN = 0.079  # overlapping timer bars stack outwards by this much
NOTE_GAP_IN = 0.11  # a lost segment's note ("lost: ...") starts this far from its cross
CROSS_IN = 0.14  # the cross that ends a lost segment: its width and height

# Timers that end the connection: always drawn, even with show_timers.
_GIVE_UPS = (Trigger.USER_TIMEOUT, Trigger.KEEPALIVE_EXHAUSTED, Trigger.FIN_WAIT_2_TIMEOUT)
_RESEND = {
    Trigger.RETRANSMIT_TIMEOUT: "retransmission",
    Trigger.LOSS_PROBE_TIMEOUT: "loss probe",
}
_KEEPALIVE = (Trigger.KEEPALIVE_TIMEOUT, Trigger.KEEPALIVE_EXHAUSTED)
_SIGNALS_SHOWN = ("connection reset", "connection refused", "timed out")


def state_group(state: State) -> str:
    """The part of a connection's life a state belongs to (the ladder colours lanes by it):
    "closed", "listen", "opening", "established", "active-close", "passive-close"."""
    if state is State.CLOSED:
        return "closed"
    if state is State.LISTEN:
        return "listen"
    if state in (State.SYN_SENT, State.SYN_RECEIVED):
        return "opening"
    if state is State.ESTABLISHED:
        return "established"
    if state in (State.CLOSE_WAIT, State.LAST_ACK):
        return "passive-close"
    return "active-close"


# -- items ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lane:
    """One endpoint's vertical line."""

    index: int
    name: str
    address: str
    x: float
    side: int  # -1: its texts stand to the left of the line, +1: to the right


@dataclass(frozen=True, slots=True)
class Arrow:
    """A segment: from (x0, y0) at its sender to (x1, y1): its receiver, or the cross."""

    index: int  # position among the trace's segments, in the order they were sent
    record: SegmentRecord = field(repr=False, compare=False)
    label: str
    src_lane: int
    dst_lane: int
    x0: float
    y0: float
    x1: float
    y1: float
    t0: float  # sent
    t1: float  # arrived, or was lost
    label_x: float
    label_y: float
    lost: bool = False
    reason: str = ""  # why it was lost
    retransmission: bool = False
    keepalive: bool = False
    partial: bool = False  # still in flight at ``until``: drawn part of the way
    note: str = ""  # "lost: <reason>" beside the cross of a lost segment
    note_x: float = 0.0  # where that note starts (it reads away from the sender) ...
    note_y: float = 0.0  # ... and its top

    @property
    def flags(self) -> str:
        """The flag names: "SYN+ACK"."""
        return self.record.segment.flags.names()


@dataclass(frozen=True, slots=True)
class StateMark:
    """An endpoint entering a state, written beside its lane."""

    lane: int
    endpoint: str
    state: State
    t: float
    x: float
    y: float  # where the change happens
    label_y: float  # where the text stands (pushed down to avoid its neighbours)
    text: str  # "FIN-WAIT-1", or "CLOSE → FIN-WAIT-1" when a call or timer caused it
    cause: str = ""
    initial: bool = False


@dataclass(frozen=True, slots=True)
class EventMark:
    """A call, a crash, a refusal, a give-up: text beside a lane."""

    lane: int
    endpoint: str
    kind: str  # a TraceEvent kind
    t: float
    x: float
    y: float
    label_y: float
    text: str


@dataclass(frozen=True, slots=True)
class TimerBar:
    """A timer running beside a lane from t0 to t1 (fired: it expired at t1)."""

    lane: int
    endpoint: str
    kind: str  # "retransmission", "2MSL", "keepalive", "FIN-WAIT-2", "loss probe"
    t0: float
    t1: float
    x: float
    y0: float
    y1: float
    label: str  # "RTO 1 s", "2MSL 240 s"
    fired: bool
    show_label: bool = True  # False when the bar is too short for it, or text is in the way


@dataclass(frozen=True, slots=True)
class LaneSpan:
    """A stretch of a lane spent in one state (the lane is coloured by state group)."""

    lane: int
    state: State
    y0: float
    y1: float

    @property
    def group(self) -> str:
        return state_group(self.state)


@dataclass(frozen=True, slots=True)
class Break:
    """A long idle gap cut out of the time axis: from t0 to t1, drawn between y0 and y1."""

    t0: float
    t1: float
    y0: float
    y1: float

    @property
    def label(self) -> str:
        return f"{_duration(self.t1 - self.t0)} later"


Item = Arrow | StateMark | EventMark | TimerBar | LaneSpan | Break


@dataclass(slots=True)
class LadderLayout:
    """Everything to draw, with coordinates. Iterating gives every item."""

    lanes: list[Lane]
    arrows: list[Arrow]
    states: list[StateMark]
    events: list[EventMark]
    timers: list[TimerBar]
    spans: list[LaneSpan]
    breaks: list[Break]
    scale: TimeScale
    until: float | None
    ticks: list[tuple[float, float]]  # (y, t) for the time axis
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    lane_in: float = LANE_WIDTH_IN  # inches between two lanes

    @property
    def items(self) -> list[Item]:
        return [*self.spans, *self.breaks, *self.timers, *self.arrows, *self.states, *self.events]

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def size(self) -> tuple[float, float]:
        """A figure size (inches) at which the nominal text sizes fit."""
        width = (self.x_max - self.x_min) * self.lane_in + 0.9
        height = (self.y_max - self.y_min) * ROW_IN + 0.9
        return max(width, 5.0), max(height, 2.5)

    def labels(self) -> list[str]:
        """The arrows' labels in the order the segments were sent."""
        return [a.label for a in self.arrows]

    def states_of(self, lane: int | str) -> list[State]:
        """The states written beside one lane (by index or endpoint name), top to bottom."""
        idx = lane if isinstance(lane, int) else self.lane_index(lane)
        return [m.state for m in sorted(self.states, key=lambda m: m.y) if m.lane == idx]

    def lane_index(self, name: str) -> int:
        for lane in self.lanes:
            if lane.name == name or lane.address == name:
                return lane.index
        raise KeyError(f"no lane {name!r}; lanes: {', '.join(ln.name for ln in self.lanes)}")


# -- the time axis ----------------------------------------------------------------------------


class TimeScale:
    """Seconds to rows: at least ``min_step`` rows between consecutive moments, proportional
    up to ``break_after`` seconds, a :class:`Break` of ``break_step`` rows beyond.

    The scale is one row per ``unit`` seconds, reduced so that the proportional part takes at
    most ``max_linear`` rows and its longest gap at most ``max_gap`` rows (but never so far
    that the longest gap is under one step). ``extra[t]`` adds rows right after moment t
    (sub-rows for segments sent at the same instant). The gaps that start at one of ``cuts``
    are breaks too, whatever their length."""

    def __init__(
        self,
        moments: Iterable[float],
        *,
        unit: float = 0.05,
        break_after: float = 10.0,
        min_step: float = MIN_STEP,
        break_step: float = BREAK_STEP,
        max_linear: float = MAX_LINEAR,
        max_gap: float | None = MAX_GAP,
        extra: dict[float, float] | None = None,
        cuts: Iterable[float] = (),
    ) -> None:
        times = sorted({round(t, 9) for t in moments}) or [0.0]
        extra = extra or {}
        cut = {round(t, 9) for t in cuts}

        def broken(a: float, b: float) -> bool:
            return b - a > break_after or a in cut

        kept = [b - a for a, b in pairwise(times) if not broken(a, b)]
        linear = sum(kept)
        scale = 1.0 / unit if unit > 0 else 1.0
        if linear * scale > max_linear:
            scale = max_linear / linear
        if kept and max_gap is not None and max(kept) * scale > max_gap:
            scale = max_gap / max(kept)
        scale = max(scale, min_step / max(kept) if kept and max(kept) > 0 else 0.0)
        self.scale = scale
        self.times = times
        self.ys: list[float] = [0.0]  # where each moment is
        self.starts: list[float] = [extra.get(times[0], 0.0)]  # after its sub-rows
        self.breaks: list[Break] = []
        for a, b in pairwise(times):
            base = self.starts[-1]
            if broken(a, b):
                self.breaks.append(Break(a, b, base + 0.4, base + break_step - 0.25))
                y = base + break_step
            else:
                y = base + max(min_step, (b - a) * scale)
            self.ys.append(y)
            self.starts.append(y + extra.get(b, 0.0))

    def __call__(self, t: float) -> float:
        times = self.times
        i = bisect.bisect_right(times, round(t, 9)) - 1
        if i < 0:
            return self.ys[0] - (times[0] - t) * self.scale
        if times[i] == round(t, 9):
            return self.ys[i]
        if i == len(times) - 1:
            return self.starts[-1] + (t - times[-1]) * self.scale
        a, b = times[i], times[i + 1]
        start, end = self.starts[i], self.ys[i + 1]
        return start + (t - a) / (b - a) * (end - start)

    @property
    def end(self) -> float:
        return self.starts[-1]


# -- lanes ------------------------------------------------------------------------------------


def _ip(addr: str) -> str:
    if addr.startswith("["):
        return addr[1 : addr.index("]")]
    return addr.rsplit(":", 1)[0]


def _lanes(trace: Trace) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """(name, address) per lane, and a map from names, addresses and bare IPs to lanes."""
    cols: list[tuple[str, str]] = []
    lane_of: dict[str, int] = {}
    for name, addr in trace.endpoints.items():
        if name in trace.parent:
            continue
        col = lane_of.get(addr)
        if col is None:
            col = len(cols)
            cols.append((name, addr))
        lane_of[name] = lane_of[addr] = col
        lane_of.setdefault(_ip(addr), col)
    for child, parent in trace.parent.items():
        lane_of[child] = lane_of[parent]
    for name, ips in trace.hosts.items():
        for ip in ips:
            lane_of.setdefault(ip, len(cols))
        lane_of[name] = len(cols)
        cols.append((name, ips[0] if len(ips) == 1 else f"{ips[0]} (+{len(ips) - 1})"))
    if any(
        a not in lane_of and _ip(a) not in lane_of for r in trace.records for a in (r.src, r.dst)
    ):
        lane_of["(other)"] = len(cols)
        cols.append(("other", "(not simulated)"))
    return cols or [("(none)", "")], lane_of


def _lane_for(lane_of: dict[str, int], name: str | None, addr: str) -> int:
    if name is not None and name in lane_of:
        return lane_of[name]
    return lane_of.get(addr, lane_of.get(_ip(addr), lane_of.get("(other)", 0)))


def _child_suffixes(trace: Trace) -> dict[str, str]:
    """A listener's children are written "SYN-RECEIVED [10.66.0.1:1024]" when the listener
    talks to more than one remote; otherwise their states need no suffix."""
    remotes: dict[str, set[str]] = {}
    for child, parent in trace.parent.items():
        remotes.setdefault(parent, set()).add(_remote(child))
    return {
        child: f" [{_remote(child)}]" for child, p in trace.parent.items() if len(remotes[p]) > 1
    }


def _remote(child: str) -> str:
    return child.split("[", 1)[-1].split("]", 1)[0]


# -- segments -----------------------------------------------------------------------------------


def _kinds(records: list[SegmentRecord]) -> dict[int, str]:
    """Which records are retransmissions or keepalive probes (by id)."""
    seen: dict[str, set[tuple[int, int, int]]] = {}
    snd_nxt: dict[str, int] = {}
    out: dict[int, str] = {}
    for r in records:
        who = r.sender or r.src
        s = r.segment
        key = (s.seq, int(s.flags & (Flags.SYN | Flags.FIN | Flags.RST)), len(s.payload))
        mine = seen.setdefault(who, set())
        if r.note == "duplicate":
            pass
        elif s.seg_len and key in mine:
            out[id(r)] = "retransmission"
        elif (
            s.flags == Flags.ACK
            and not s.payload
            and who in snd_nxt
            and (s.seq + 1) & 0xFFFFFFFF == snd_nxt[who]
        ):
            out[id(r)] = "keepalive"
        if s.seg_len:
            mine.add(key)
            end = (s.seq + s.seg_len) & 0xFFFFFFFF
            snd_nxt[who] = end if who not in snd_nxt else _seq_max(snd_nxt[who], end)
    return out


def _seq_max(a: int, b: int) -> int:
    return b if 0 < (b - a) & 0xFFFFFFFF < 1 << 31 else a


def _label(r: SegmentRecord, kind: str) -> str:
    text = r.segment.label()
    notes = [n for n in (r.note, "retransmission" if kind == "retransmission" else "") if n]
    if kind == "keepalive":
        notes.append("keepalive probe")
    return f"{text} ({', '.join(notes)})" if notes else text


# -- timers -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Timer:
    endpoint: str
    kind: str
    t0: float
    t1: float
    fired: bool


def _infer_timers(trace: Trace, end: float) -> list[_Timer]:
    """Timers that ran, from the timer events, the segments and the state timelines."""
    sends: dict[str, list[SegmentRecord]] = {}
    arrivals: dict[str, list[float]] = {}
    for r in trace.records:
        if r.sender is not None:
            sends.setdefault(r.sender, []).append(r)
        if r.receiver is not None and not r.dropped and r.arrival is not None:
            arrivals.setdefault(r.receiver, []).append(r.arrival)
    out: list[_Timer] = []
    for e in trace.events:
        if e.kind != "timer":
            continue
        mine = sends.get(e.endpoint, [])
        before = [r.sent for r in mine if r.sent < e.time]
        if e.trigger in _RESEND:
            occupied = [r.sent for r in mine if r.sent < e.time and r.segment.seg_len]
            if occupied:
                out.append(_Timer(e.endpoint, _RESEND[e.trigger], max(occupied), e.time, True))
        elif e.trigger in _KEEPALIVE:
            heard = [t for t in arrivals.get(e.endpoint, []) if t < e.time]
            start = max([*before, *heard], default=None)
            if start is not None:
                out.append(_Timer(e.endpoint, "keepalive", start, e.time, True))
        elif e.trigger is Trigger.FIN_WAIT_2_TIMEOUT:
            entered = [t for t, s in trace.timelines.get(e.endpoint, []) if s is State.FIN_WAIT_2]
            if entered:
                out.append(_Timer(e.endpoint, "FIN-WAIT-2", max(entered), e.time, True))
    out += _time_wait_timers(trace, end)
    return out


def _time_wait_timers(trace: Trace, end: float) -> list[_Timer]:
    """One 2MSL bar per stretch of TIME-WAIT, split where a retransmitted FIN restarted it."""
    out: list[_Timer] = []
    for name, line in trace.timelines.items():
        for (t, state), nxt in zip(line, [*line[1:], None], strict=True):
            if state is not State.TIME_WAIT:
                continue
            stop = nxt[0] if nxt is not None else end
            fired = nxt is not None and any(
                e.endpoint == name and e.kind == "timer" and e.trigger is Trigger.TIME_WAIT_TIMEOUT
                for e in trace.events
                if e.time == stop
            )
            restarts = sorted(
                r.arrival
                for r in trace.records
                if r.receiver == name
                and not r.dropped
                and r.arrival is not None
                and t < r.arrival < stop
                and r.segment.flags & Flags.FIN
            )
            starts = [t, *restarts]
            for a, b in zip(starts, [*restarts, stop], strict=True):
                out.append(_Timer(name, "2MSL", a, b, fired if b == stop else False))
    return out


def _timer_label(kind: str, t0: float, t1: float, fired: bool) -> str:
    name = {"retransmission": "RTO", "keepalive": "keepalive"}.get(kind, kind)
    return f"{name} {_duration(t1 - t0)}" if fired or kind != "2MSL" else f"{name} running"


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 60 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.3g} s"
    return f"{seconds * 1000:.3g} ms"


# -- the layout ---------------------------------------------------------------------------------


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


Box = tuple[float, float, float, float]  # left, top, right, bottom: lane widths and rows


def _tw(text: str, lane_in: float, size: float = FONT, weight: str = "normal") -> float:
    """A text's width in lane widths."""
    return text_width(text, size, weight) / 72.0 / lane_in


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


def _text_box(m: StateMark | EventMark, side: int, lane_in: float) -> Box:
    """The box a lane's text takes: (left, top, right, bottom)."""
    if isinstance(m, StateMark):
        width = _tw(m.text, lane_in, STATE_FONT, "bold")
    else:
        width = _tw(m.text, lane_in) * 1.03  # italic
    left = m.x - width if side < 0 else m.x
    return (left, m.label_y - LABEL_H / 2, left + width, m.label_y + LABEL_H / 2)


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
