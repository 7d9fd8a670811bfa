"""The RFC 9293 state diagram, computed from the transition table: pure geometry, no matplotlib.

The edges are the rows of :data:`tcpcore.protocol.table.TABLE` that change state, read through a
profile (its variants may add or remove an edge: Linux keeps a listening socket passive, so it has
no LISTEN -> SYN-SENT edge). Where the nodes go is the one thing written by hand here: the layout of
RFC 9293 Figure 5 (CLOSED at the top, the opening states, ESTABLISHED in the middle, the
active-close states on the left, the passive-close ones on the right, TIME-WAIT at the bottom, and
a second CLOSED box at the bottom right, as in the figure, for connections that have ended).

By default only the rows the RFC's figure shows are drawn (plus FIN-WAIT-1 -> TIME-WAIT on a
FIN that acknowledges our FIN, a shortcut the figure leaves to the text); ``show_minor=True`` adds
the others (ABORT, RST, timeouts, data and FIN in unusual places), thin and grey.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ...protocol.profiles import Profile, get_profile
from ...protocol.states import State
from ...protocol.table import SWITCHED_ROWS, Action, Row, Trigger, lookup, rows
from ..svg import text_width

__all__ = [
    "DiagramEdge",
    "DiagramLayout",
    "EdgeRow",
    "NodeBox",
    "diagram_layout",
    "edge_rows",
    "is_minor",
    "state_edges",
    "transition_label",
]

S, T, A = State, Trigger, Action
Point = tuple[float, float]
Curve = tuple[Point, Point, Point]  # start, control point, end of a quadratic curve

# RFC 9293 Figure 5, in (x, y) with y growing downwards. "CLOSED/end" is the figure's second
# CLOSED box, where finished connections go.
POSITIONS: dict[str, tuple[float, float]] = {
    "CLOSED": (1.5, 0.0),
    "LISTEN": (1.5, 1.25),
    "SYN-RECEIVED": (0.0, 2.5),
    "SYN-SENT": (3.0, 2.5),
    "ESTABLISHED": (1.5, 3.75),
    "FIN-WAIT-1": (0.0, 5.0),
    "CLOSE-WAIT": (3.0, 5.0),
    "FIN-WAIT-2": (-0.3, 6.25),
    "CLOSING": (1.75, 6.25),
    "LAST-ACK": (3.0, 6.25),
    "TIME-WAIT": (1.5, 7.5),
    "CLOSED/end": (3.0, 7.5),
}
BOX_W, BOX_H = 1.08, 0.44
# How the figure is drawn (tcpcore.viz reads these): its size in inches, the data limits and
# the margins around the axes, so labels can be measured here in data units. Every text is at
# least 7.5 points (10 px): the figure is never wider than 8.5 inches (it shows unscaled in a
# notebook on a 1024-px screen); with every row shown it grows taller, never smaller.
FIG_W_IN = 8.5
FIG_H_IN = 8.2
FIG_H_MINOR_IN = 10.5
MARGINS_IN = (0.1, 0.1, 0.4, 0.1)  # left, right, top, bottom
XLIM = (-1.0, 3.9)
XLIM_WIDE = (-2.5, 5.5)  # room for the "→ CLOSED" stubs' labels
YLIM = (8.0, -0.5)
LABEL_PT = 7.5  # edge labels; a highlighted edge's is 8 points bold
NODE_PT = 9.0
LINESPACING = 1.4
_OPENING_SIDE = (S.CLOSED, S.LISTEN, S.SYN_SENT, S.SYN_RECEIVED)
# Hand-set bends (quadratic curve control offsets) so that edges avoid boxes and each other.
_BENDS: dict[tuple[str, str], float] = {
    ("FIN-WAIT-1", "TIME-WAIT"): 0.0,
    ("CLOSED", "SYN-SENT"): -0.18,
    ("CLOSED", "LISTEN"): 0.45,
    ("LISTEN", "CLOSED"): 0.45,
    ("SYN-SENT", "CLOSED"): 0.36,
    ("SYN-RECEIVED", "CLOSE-WAIT"): -0.25,
}

# The rows RFC 9293 Figure 5 draws (and FIN-WAIT-1 -> TIME-WAIT); everything else is minor.
_MAJOR_TRIGGERS = frozenset(
    {
        T.OPEN_ACTIVE,
        T.OPEN_PASSIVE,
        T.SEND,
        T.CLOSE,
        T.SYN,
        T.SYN_ACK,
        T.ACK_OF_SYN,
        T.ACK_OF_FIN,
        T.FIN,
        T.FIN_ACK_OF_FIN,
        T.RST_PASSIVE,
        T.TIME_WAIT_TIMEOUT,
    }
)

_TRIGGER_TEXT = {
    T.OPEN_ACTIVE: "active OPEN",
    T.OPEN_PASSIVE: "passive OPEN",
    T.CLOSE_UNREAD: "CLOSE, unread data",
    T.SYN: "rcv SYN",
    T.SYN_PASSIVE: "rcv new SYN",
    T.SYN_DUPLICATE: "rcv SYN again",
    T.SYN_ACK: "rcv SYN,ACK",
    T.ACK: "rcv ACK",
    T.ACK_OF_SYN: "rcv ACK of SYN",
    T.ACK_OF_FIN: "rcv ACK of FIN",
    T.BAD_ACK: "rcv bad ACK",
    T.ACK_UNACCEPTABLE: "rcv ACK outside window",
    T.DATA: "rcv data",
    T.DATA_AFTER_CLOSE: "rcv data after CLOSE",
    T.FIN: "rcv FIN",
    T.FIN_ACK_OF_FIN: "rcv FIN,ACK of FIN",
    T.RST: "rcv RST",
    T.RST_PASSIVE: "rcv RST",
    T.RST_IN_WINDOW: "rcv RST in window",
    T.SYN_IN_WINDOW: "rcv SYN in window",
    T.RST_INVALID: "rcv bad RST",
    T.UNACCEPTABLE: "rcv out-of-window",
    T.NO_ACK: "rcv no ACK",
    T.ANY: "rcv segment",
    T.RETRANSMIT_TIMEOUT: "RTO",
    T.USER_TIMEOUT: "user timeout",
    T.TIME_WAIT_TIMEOUT: "timeout 2MSL",
    T.KEEPALIVE_TIMEOUT: "keepalive",
    T.KEEPALIVE_EXHAUSTED: "keepalive gives up",
    T.FIN_WAIT_2_TIMEOUT: "FIN-WAIT-2 timeout",
    T.LOSS_PROBE_TIMEOUT: "loss probe",
}


def transition_label(trigger: Trigger, row: Row) -> str:
    """The RFC figure's "event / action" label: "rcv SYN / snd SYN,ACK", "CLOSE / snd FIN",
    "rcv ACK of FIN" (nothing sent)."""
    sends = [w.figure for w in row.wire]
    head = _TRIGGER_TEXT.get(trigger, str(trigger))
    return f"{head} / snd {','.join(dict.fromkeys(sends))}" if sends else head


def is_minor(state: State, trigger: Trigger) -> bool:
    """True for rows the RFC's figure leaves out (the diagram hides them unless asked)."""
    if trigger not in _MAJOR_TRIGGERS:
        return True
    # A FIN riding on the ACK of our SYN: SYN-RECEIVED -> CLOSE-WAIT, in the text only.
    return state is S.SYN_RECEIVED and trigger is T.FIN


@dataclass(frozen=True, slots=True)
class EdgeRow:
    """One state-changing row of the table, under a profile."""

    src: State
    dst: State
    trigger: Trigger
    row: Row
    label: str
    minor: bool


def edge_rows(profile: str | Profile = "rfc9293", *, show_minor: bool = False) -> list[EdgeRow]:
    """The table's rows that change state (variants chosen by ``profile``), in table order."""
    prof = get_profile(profile)
    out: list[EdgeRow] = []
    for state, trigger, _ in rows():
        switch = SWITCHED_ROWS.get((state, trigger))
        if switch is not None and not prof.switch(switch):
            continue  # only a profile's rule switch makes this happen (tcpcore.protocol.rules)
        row = lookup(state, trigger, prof)
        minor = is_minor(state, trigger)
        if row.next is state or (minor and not show_minor):
            continue
        out.append(EdgeRow(state, row.next, trigger, row, transition_label(trigger, row), minor))
    return out


def state_edges(
    profile: str | Profile = "rfc9293", *, show_minor: bool = False
) -> list[tuple[State, State, str]]:
    """(src, dst, label) per drawn edge; rows joining the same two states share one edge whose
    label lists them one per line (duplicates once)."""
    merged: dict[tuple[State, State], list[str]] = {}
    for e in edge_rows(profile, show_minor=show_minor):
        labels = merged.setdefault((e.src, e.dst), [])
        if e.label not in labels:
            labels.append(e.label)
    return [(s, d, "\n".join(labels)) for (s, d), labels in merged.items()]


# -- geometry -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeBox:
    key: str  # "CLOSED", "CLOSED/end", "LISTEN", ...
    state: State
    x: float
    y: float
    current: bool
    on_path: bool


@dataclass(frozen=True, slots=True)
class DiagramEdge:
    src: State
    dst: State
    src_key: str
    dst_key: str
    label: str
    triggers: tuple[Trigger, ...]
    points: Curve
    label_xy: tuple[float, float]
    minor: bool
    highlighted: bool
    loop: bool = False  # a row that keeps the state (drawn only when highlighted)
    stub: bool = False  # a minor edge to CLOSED, drawn as a short arrow marked "→ CLOSED"

    @property
    def name(self) -> str:
        return f"{self.src}->{self.dst}"


@dataclass(slots=True)
class DiagramLayout:
    nodes: list[NodeBox]
    edges: list[DiagramEdge]
    profile: str
    size: tuple[float, float] = (FIG_W_IN, FIG_H_IN)  # the figure, in inches
    xlim: tuple[float, float] = XLIM
    ylim: tuple[float, float] = YLIM

    def edge(self, src: State | str, dst: State | str) -> DiagramEdge:
        s, d = _state(src), _state(dst)
        for e in self.edges:
            if (e.src, e.dst) == (s, d):
                return e
        raise KeyError(f"no edge {s} -> {d} in the diagram")

    def highlighted(self) -> list[tuple[State, State]]:
        return [(e.src, e.dst) for e in self.edges if e.highlighted]

    def current(self) -> list[State]:
        return list(dict.fromkeys(n.state for n in self.nodes if n.current))


PathItem = State | str | tuple[State | str, Trigger | str]
Highlight = PathItem | tuple[State | str, State | str]


def _state(x: State | str) -> State:
    return x if isinstance(x, State) else State.parse(x)


def _trigger(x: Trigger | str) -> Trigger:
    if isinstance(x, Trigger):
        return x
    for t in Trigger:
        if x in (t.value, t.name):
            return t
    raise ValueError(f"unknown trigger {x!r}; expected one of {', '.join(t.name for t in Trigger)}")


def _steps(
    items: Iterable[Highlight] | None, prof: Profile, chain: bool
) -> tuple[list[tuple[State, State, Trigger | None]], set[State]]:
    """Edges named by ``items``: consecutive states when ``chain`` (a path), (state, trigger)
    pairs through the table, or (state, state) pairs; plus the states named."""
    edges: list[tuple[State, State, Trigger | None]] = []
    states: set[State] = set()
    prev: State | None = None
    for item in items or ():
        if isinstance(item, tuple):
            src = _state(item[0])
            second = item[1]
            # A trigger's name wins over a state's: "CLOSE" is the call, not ss's CLOSED.
            if isinstance(second, Trigger) or (
                isinstance(second, str) and (_is_trigger_name(second) or not _is_state(second))
            ):
                trig = _trigger(second)
                dst = lookup(src, trig, prof).next
                edges.append((src, dst, trig))
            else:
                dst = _state(second)
                edges.append((src, dst, None))
            states.update((src, dst))
            prev = dst
        else:
            s = _state(item)
            states.add(s)
            if chain and prev is not None and prev is not s:
                edges.append((prev, s, None))
            prev = s
    return edges, states


def _is_state(text: str) -> bool:
    try:
        State.parse(text)
    except ValueError:
        return False
    return True


def _is_trigger_name(text: str) -> bool:
    return any(text in (t.name, t.value) for t in Trigger)


def _key(state: State, src: State) -> str:
    """Which box a state is drawn as: CLOSED at the top, or the figure's end CLOSED."""
    if state is S.CLOSED and src not in _OPENING_SIDE:
        return "CLOSED/end"
    return str(state)


def diagram_layout(
    *,
    highlight: Highlight | Sequence[Highlight] | None = None,
    path: Sequence[PathItem] | None = None,
    current: State | str | None = None,
    profile: str | Profile = "rfc9293",
    show_minor: bool = False,
) -> DiagramLayout:
    """Nodes and edges to draw, with the path's and highlight's edges marked.

    ``path``: states in order, or (state, trigger) pairs (the table gives each next state).
    ``highlight``: a state, an edge (state, state), a row (state, trigger), or a list of them.
    An edge the path or highlight needs that is hidden (a minor row, or a row that keeps the
    state, drawn as a loop) is drawn anyway.
    """
    prof = get_profile(profile)
    hl_items: list[Highlight] = []
    if isinstance(highlight, State | str | tuple):
        hl_items = [highlight]
    elif highlight is not None:
        hl_items = list(highlight)
    path_edges, path_states = _steps(path, prof, chain=True)
    hl_edges, hl_states = _steps(hl_items, prof, chain=False)
    wanted = path_edges + hl_edges
    wanted_pairs = {(s, d) for s, d, _ in wanted}
    wanted_rows = {(s, t) for s, _, t in wanted if t is not None}

    groups: dict[tuple[State, State], list[EdgeRow]] = {}
    hidden: list[EdgeRow] = []
    for e in edge_rows(prof, show_minor=True):
        if not e.minor or show_minor:
            groups.setdefault((e.src, e.dst), []).append(e)
        else:
            hidden.append(e)
    # A hidden row comes back when asked for by name, or when the path needs its edge.
    for e in hidden:
        if (e.src, e.trigger) in wanted_rows or (
            (e.src, e.dst) in wanted_pairs and (e.src, e.dst) not in groups
        ):
            groups.setdefault((e.src, e.dst), []).append(e)
    for s, d, t in wanted:  # rows that keep the state: loops, drawn only on demand
        if s is d and t is not None:
            row = lookup(s, t, prof)
            groups.setdefault((s, d), []).append(
                EdgeRow(s, d, t, row, transition_label(t, row), is_minor(s, t))
            )

    cur = _state(current) if current is not None else None
    nodes = [
        NodeBox(
            key,
            _state(key.split("/")[0]),
            x,
            y,
            cur is not None and _state(key.split("/")[0]) is cur,
            _state(key.split("/")[0]) in path_states | hl_states,
        )
        for key, (x, y) in POSITIONS.items()
    ]
    edges = [
        _edge(src, dst, rows_, wanted_pairs, wanted_rows, groups)
        for (src, dst), rows_ in groups.items()
    ]
    wide = any(e.stub for e in edges)
    size = (FIG_W_IN, FIG_H_MINOR_IN if wide else FIG_H_IN)
    xlim = XLIM_WIDE if wide else XLIM
    edges = _place_labels(edges, size, xlim, YLIM)
    edges.sort(key=lambda e: (e.highlighted, not e.minor))  # highlighted ones drawn last
    return DiagramLayout(nodes, edges, prof.name, size, xlim, YLIM)


Box = tuple[float, float, float, float]  # left, top, right, bottom, in data units


def label_box(e: DiagramEdge, at: tuple[float, float], scale: tuple[float, float]) -> Box:
    """The box an edge's label takes at ``at`` (data units; ``scale``: inches per unit in x
    and y), as tcpcore.viz draws it (centred, or hanging from its stub's end)."""
    size = 8.0 if e.highlighted else LABEL_PT
    weight = "bold" if e.highlighted else "normal"
    lines = e.label.split("\n")
    # matplotlib's line pitch is ``linespacing`` times a line's height (about 1.2 em)
    width = (max(text_width(line, size, weight) for line in lines) + 4.0) / 72 / scale[0]
    height = (len(lines) * size * LINESPACING * 1.2 + 2.0) / 72 / scale[1]
    x, y = at
    if e.stub:
        left = x if e.points[2][0] > e.points[0][0] else x - width
        return (left, y, left + width, y + height)
    return (x - width / 2, y - height / 2, x + width / 2, y + height / 2)


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _bezier(c: Curve, t: float) -> Point:
    (x0, y0), (x1, y1), (x2, y2) = c
    u = 1 - t
    return (u * u * x0 + 2 * u * t * x1 + t * t * x2, u * u * y0 + 2 * u * t * y1 + t * t * y2)


def _place_labels(
    edges: list[DiagramEdge],
    size: tuple[float, float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
) -> list[DiagramEdge]:
    """Move each label along its edge (or, for a stub, down from its end) to the first spot
    where it overlaps no box and no label placed before it: highlighted edges first, then the
    figure's own, then the minor ones."""
    left, right, top, bottom = MARGINS_IN
    scale = (
        (size[0] - left - right) / (xlim[1] - xlim[0]),
        (size[1] - top - bottom) / abs(ylim[0] - ylim[1]),
    )
    pad = 0.03
    placed: list[Box] = [
        (x - BOX_W / 2 - pad, y - BOX_H / 2 - pad, x + BOX_W / 2 + pad, y + BOX_H / 2 + pad)
        for x, y in POSITIONS.values()
    ]
    order = sorted(range(len(edges)), key=lambda i: (not edges[i].highlighted, edges[i].minor))
    out = list(edges)
    for i in order:
        e = edges[i]
        if e.loop:
            spots = [e.label_xy]
        elif e.stub:
            x, y = e.label_xy
            out_x = 1.0 if e.points[2][0] > e.points[0][0] else -1.0
            spots = [(x + out_x * j * 0.15, y + k * 0.12) for j in range(5) for k in range(10)]
        else:
            along = [
                _bezier(e.points, t) for t in (0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73, 0.2, 0.8)
            ]
            # then a little beside the edge, left or right
            spots = along + [(x + dx, y) for dx in (-0.2, 0.2, -0.4, 0.4) for x, y in along]
        best: tuple[float, Point] | None = None
        for k, spot in enumerate(spots):
            lb = label_box(e, spot, scale)
            harm = sum(_overlap(lb, b) for b in placed) + 1e-6 * k
            # inside the figure: past its edge a label is cut off
            harm += 10 * (max(0.0, xlim[0] - lb[0]) + max(0.0, lb[2] - xlim[1]))
            harm += 10 * max(0.0, lb[3] - max(ylim))
            if best is None or harm < best[0]:
                best = (harm, spot)
            if harm < 1e-4:
                break
        assert best is not None
        out[i] = replace(e, label_xy=best[1])
        placed.append(label_box(e, best[1], scale))
    return out


def _edge(
    src: State,
    dst: State,
    rows_: list[EdgeRow],
    wanted_pairs: set[tuple[State, State]],
    wanted_rows: set[tuple[State, Trigger]],
    groups: dict[tuple[State, State], list[EdgeRow]],
) -> DiagramEdge:
    src_key, dst_key = _key(src, src), _key(dst, src)
    labels = list(dict.fromkeys(r.label for r in rows_))
    triggers = tuple(r.trigger for r in rows_)
    minor = all(r.minor for r in rows_)
    hl = (src, dst) in wanted_pairs or any((src, t) in wanted_rows for t in triggers)
    if src is dst:
        points, label_xy = _loop(src_key)
        return DiagramEdge(
            src,
            dst,
            src_key,
            dst_key,
            "\n".join(labels),
            triggers,
            points,
            label_xy,
            minor,
            hl,
            True,
        )
    if minor and dst is S.CLOSED and not hl:
        # ABORT, RST and the timeouts lead to CLOSED from nearly everywhere: long edges would
        # cross the whole figure, so each is a short arrow saying where it goes.
        points, label_xy = _stub(src_key)
        text = _wrap(", ".join(labels) + " → CLOSED", 24)
        return DiagramEdge(
            src, dst, src_key, dst_key, text, triggers, points, label_xy, minor, hl, stub=True
        )
    reverse = (dst, src) in groups
    bend = _BENDS.get((src_key, dst_key), 0.18 if reverse else (0.1 if minor else 0.0))
    points = _curve(POSITIONS[src_key], POSITIONS[dst_key], bend)
    p0, c, p2 = points
    label_xy = (0.25 * p0[0] + 0.5 * c[0] + 0.25 * p2[0], 0.25 * p0[1] + 0.5 * c[1] + 0.25 * p2[1])
    text = _wrap(", ".join(labels), 30) if minor else "\n".join(labels)
    return DiagramEdge(src, dst, src_key, dst_key, text, triggers, points, label_xy, minor, hl)


def _wrap(text: str, width: int) -> str:
    """Break a comma-separated list into lines of about ``width`` characters."""
    lines: list[str] = []
    parts: list[str] = []
    for part in text.split(", "):
        # a part too long for a line breaks after its " / " ("keepalive gives up /", "snd RST")
        head, sep, tail = part.partition(" / ")
        parts += [head + " /", tail] if sep and len(part) > width else [part]
    for part in parts:
        if lines and not lines[-1].endswith("/") and len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += ", " + part
        else:
            lines.append(part)
    return "\n".join(lines)


def _stub(key: str) -> tuple[Curve, Point]:
    """A short arrow from a box's lower outer corner, and where its label goes."""
    x, y = POSITIONS[key]
    side = -1.0 if x < 1.0 else 1.0
    start = (x + side * BOX_W * 0.3, y + BOX_H / 2 + 0.02)
    end = (start[0] + side * 0.22, start[1] + 0.2)
    mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    return (start, mid, end), (end[0] + side * 0.05, end[1] + 0.03)


def _curve(a: Point, b: Point, bend: float) -> Curve:
    """A quadratic curve from box a to box b bulging ``bend`` times their distance to the
    right of the direction of travel, clipped to the two boxes' edges."""
    (x1, y1), (x2, y2) = a, b
    dx, dy = x2 - x1, y2 - y1
    mid = ((x1 + x2) / 2, (y1 + y2) / 2)
    ctrl = (mid[0] - bend * dy, mid[1] + bend * dx)
    return _clip(a, ctrl), ctrl, _clip(b, ctrl)


def _clip(center: tuple[float, float], toward: tuple[float, float]) -> tuple[float, float]:
    """Where the ray from a box's centre toward a point leaves the box (with a small gap)."""
    cx, cy = center
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return center
    hw, hh = BOX_W / 2 + 0.03, BOX_H / 2 + 0.03
    k = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
    return cx + k * dx, cy + k * dy


def _loop(key: str) -> tuple[Curve, Point]:
    """A loop on the box's outer side, back into the same box."""
    x, y = POSITIONS[key]
    side = -1.0 if x < 1.5 else 1.0
    start = (x + side * BOX_W / 2, y - 0.12)
    end = (x + side * BOX_W / 2, y + 0.12)
    ctrl = (x + side * (BOX_W / 2 + 0.75), y)
    return (start, ctrl, end), (x + side * (BOX_W / 2 + 0.42), y)
