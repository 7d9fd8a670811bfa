"""What a ladder layout is made of: its sizes, the items it places (lanes, arrows, state and event
marks, timer bars, spans, breaks), :class:`LadderLayout` and the :class:`TimeScale` from seconds
to rows. :func:`~tcpcore.viz.layout.ladder.ladder_layout` fills them in.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from ...protocol.states import State
from ...protocol.table import Trigger
from ...trace import SegmentRecord

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


# -- durations, as labels say them -------------------------------------------------------------


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 60 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.3g} s"
    return f"{seconds * 1000:.3g} ms"
