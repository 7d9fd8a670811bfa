"""One record of a run: timestamped segments plus each endpoint's state timeline.

Every simulated run (:mod:`tcpcore.sim.network`) produces a :class:`Trace`; plots, widgets, the
CLI and the grader read traces and nothing else, so a lesson can show the same run as a ladder
diagram, as JSON lines or as a table of states.

A trace holds:

* :class:`SegmentRecord` s: when a segment was sent, from which "ip:port" to which, the segment
  itself, when it arrived or was lost (and why), and the state of both ends after it was
  processed: the sender's state as it sent it, the receiver's state after processing it;
* a state timeline per endpoint: ``[(time, State), ...]`` from the StateChanged events;
* :class:`TraceEvent` s: user calls and timer firings (from the connection's ``history``), state
  changes, what the connection told its user (reset, refused, timed out), and what the network
  or a listener did on its own (a crash, a SYN dropped because the backlog was full).

Times are seconds on the network's virtual clock. Segment lines in :meth:`Trace.to_json_lines` use
the time the segment was *sent* (a capture at the sender), with the keys of ``tcpcore trace
--json`` (DESIGN.md) and ``"dropped": true`` on lost segments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .protocol.states import State
from .protocol.table import Trigger
from .wire.segment import Segment, options_json


def address(ip: str, port: int) -> str:
    """ "ip:port", with IPv6 addresses in brackets as DESIGN.md asks: "[2001:db8::1]:80"."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


@dataclass(slots=True)
class SegmentRecord:
    """One segment on the wire: sent at ``sent``, delivered or lost at ``arrival``."""

    order: int  # position among everything recorded, to break ties between equal times
    sent: float
    src: str  # "ip:port"
    dst: str
    segment: Segment
    sender: str | None = None  # endpoint name; None for injected segments and closed ports
    receiver: str | None = None
    arrival: float | None = None  # time delivered, or time lost
    dropped: bool = False
    reason: str = ""  # why it was lost: "loss", "blackhole 10.0.0.2", "listen backlog full"
    note: str = ""  # "duplicate", "old duplicate", "spoofed"
    # What a capture leaves in doubt about this segment (tcpcore.observe): "a segment was not
    # captured", "segments crossed". Simulated segments have none.
    doubt: str = ""
    src_state: State | None = None  # the sender's state as it sent the segment
    dst_state: State | None = None  # the receiver's state after processing it

    @property
    def states(self) -> dict[str, str]:
        """ "ip:port" -> RFC state name after this segment (only ends that the run simulates)."""
        out: dict[str, str] = {}
        if self.src_state is not None:
            out[self.src] = str(self.src_state)
        if self.dst_state is not None:
            out[self.dst] = str(self.dst_state)
        return out

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md trace keys (``tcpcore trace --json``), plus "dropped" when lost."""
        s = self.segment
        # simulated segments are never corrupted, so their checksum always verifies
        line = segment_json(round(self.sent, 9), self.src, self.dst, s, len(s.payload), True)
        line["states"] = self.states
        if self.dropped:
            line["dropped"] = True
        return line

    def label(self) -> str:
        """The ladder label: "SYN+ACK seq=300 ack=101"."""
        return self.segment.label()


def segment_json(
    t: float, src: str, dst: str, seg: Segment, length: int, checksum_ok: bool | None
) -> dict[str, Any]:
    """One DESIGN.md trace line for a segment, without "states" (the caller knows those).

    The one builder of these keys: ``tcpcore trace --json`` on a capture and
    :meth:`Trace.to_json_lines` on a simulation must print the same shape, so both come here.
    """
    return {
        "t": t,
        "src": src,
        "dst": dst,
        "seq": seg.seq,
        "ack": seg.ack,
        "flags": seg.flags.tcpdump(seg.reserved),
        "win": seg.window,
        "len": length,
        "options": options_json(seg.options),
        "checksum_ok": checksum_ok,
    }


@dataclass(slots=True)
class TraceEvent:
    """Something that is not a segment. ``kind`` is one of :data:`EVENT_KINDS`.

    The facts are typed: a "state" event carries ``old`` and ``new`` as :class:`State` (``old``
    None when a capture did not show it), and what caused it as a :class:`Trigger` (``trigger``)
    or, when no row of the table did (a listener's call, a state a capture implies), as words
    (``cause``); "call" and "timer" events carry their ``trigger``. ``text`` is what a person
    reads; strings for JSON are made only in :meth:`to_json`.
    """

    order: int
    time: float
    endpoint: str  # endpoint name ("A", "B", "B[10.0.0.1:40000]")
    address: str  # "ip:port"
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)  # extra JSON keys
    old: State | None = None
    new: State | None = None
    trigger: Trigger | None = None
    cause: str = ""

    def to_json(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "t": round(self.time, 9),
            "event": self.kind,
            "endpoint": self.address,
            "name": self.endpoint,
            "text": self.text,
        }
        if self.kind == "state" and self.new is not None:
            line["old"] = "unknown" if self.old is None else str(self.old)
            line["new"] = str(self.new)
            line["trigger"] = self.cause if self.trigger is None else str(self.trigger)
        line.update(self.data)
        return line


# call: a user call (OPEN, SEND, CLOSE, ...); timer: a timer fired; state: a state change;
# signal: what the connection told its user (reset, refused, timed out, connected, closed);
# error: a call the RFC refused; drop: a segment dropped by the receiving host (listen backlog);
# crash, restart: a host lost its memory or came back.
EVENT_KINDS = ("call", "timer", "state", "signal", "error", "drop", "crash", "restart")


class Trace:
    """Everything one run produced; built by the network, read by everything else."""

    def __init__(self, profile: str = "rfc9293", seed: int | None = None) -> None:
        self.profile = profile
        self.seed = seed
        self.scenario = ""
        self.params: dict[str, Any] = {}
        self.endpoints: dict[str, str] = {}  # name -> "ip:port", in the order added
        self.parent: dict[str, str] = {}  # a listener's child -> the listener's name
        self.hosts: dict[str, list[str]] = {}  # name -> IPs of hosts without simulated sockets
        self.timelines: dict[str, list[tuple[float, State]]] = {}
        self.records: list[SegmentRecord] = []
        self.events: list[TraceEvent] = []

    # -- reading ------------------------------------------------------------------------------

    def segments(self, *, dropped: bool = True) -> list[SegmentRecord]:
        """Segment records in the order they were sent (lost ones too unless dropped=False)."""
        recs = sorted(self.records, key=lambda r: (r.sent, r.order))
        return recs if dropped else [r for r in recs if not r.dropped]

    def states_at(self, t: float) -> dict[str, State]:
        """Each endpoint's state at time t (after everything that happened at t)."""
        out: dict[str, State] = {}
        for name, line in self.timelines.items():
            current: State | None = None
            for when, state in line:
                if when > t:
                    break
                current = state
            if current is not None:
                out[name] = current
        return out

    def final_states(self) -> dict[str, State]:
        """Each endpoint's last state."""
        return {name: line[-1][1] for name, line in self.timelines.items() if line}

    def state_sequence(self, name: str) -> list[State]:
        """The states an endpoint went through, starting with its first one."""
        return [s for _, s in self.timelines[name]]

    def events_of(self, kind: str | None = None, endpoint: str | None = None) -> list[TraceEvent]:
        """Events of one kind and/or one endpoint, in order."""
        return [
            e
            for e in self.events
            if (kind is None or e.kind == kind) and (endpoint is None or e.endpoint == endpoint)
        ]

    def to_json_lines(self) -> str:
        """One JSON object per line: segments (DESIGN.md keys) and events, in time order."""
        items: list[tuple[float, int, dict[str, Any]]] = [
            (r.sent, r.order, r.to_json()) for r in self.records
        ]
        items += [(e.time, e.order, e.to_json()) for e in self.events]
        items.sort(key=lambda x: (x[0], x[1]))
        return "".join(json.dumps(obj, separators=(", ", ": ")) + "\n" for _, _, obj in items)

    def ladder_text(self, width: int = 100) -> str:
        """A plain-text ladder diagram at most ``width`` columns wide (see :func:`ladder`)."""
        return ladder(self, width)

    def __repr__(self) -> str:
        return (
            f"Trace(scenario={self.scenario!r}, profile={self.profile!r}, seed={self.seed}, "
            f"{len(self.records)} segments, {len(self.events)} events)"
        )


# -- the ladder diagram ---------------------------------------------------------------------------
#
# Time runs down the page, one row per segment or event. Each endpoint is a vertical line ("|");
# a segment is an arrow from its sender's line to its receiver's, labelled in the RFC's words, and
# a lost segment stops two thirds of the way with an "X", the reason written after it. State
# changes, user calls and timers are written beside the line of the endpoint they happened to:
# to the right of it, except for the rightmost line, where they stand to its left. A listener's
# children share the listener's line.

_TIME_W = 10
_LADDER_KINDS = ("call", "timer", "state", "signal", "error", "drop", "crash", "restart")
_SIGNALS_SHOWN = ("connection reset", "connection refused", "timed out")
_Row = tuple[float, int, SegmentRecord | TraceEvent]


def ladder(trace: Trace, width: int = 100) -> str:
    """Draw ``trace`` as text no wider than ``width`` columns (at least 60)."""
    width = max(width, 60)
    columns, column_of = _columns(trace)
    n = len(columns)
    inner = width - _TIME_W
    lanes = [1] if n == 1 else [1 + round(i * (inner - 3) / (n - 1)) for i in range(n)]
    multi = _listeners_with_many_remotes(trace)

    def blank() -> list[str]:
        row = [" "] * inner
        for x in lanes:
            row[x] = "|"
        return row

    def beside(row: list[str], col: int, text: str) -> None:
        if n > 1 and col == n - 1:  # the rightmost line: text to its left
            left = lanes[col - 1] + 2
            x = max(left, lanes[col] - 1 - len(text))
            _put(row, x, text, lanes[col] - 1)
        else:
            _put(row, lanes[col] + 2, text, lanes[col + 1] - 1 if col + 1 < n else inner)

    out: list[str] = []
    for texts in ([c[0] for c in columns], [c[1] for c in columns]):
        head = [" "] * inner
        for i, text in enumerate(texts):
            x = lanes[i] - len(text) + 1 if n > 1 and i == n - 1 else lanes[i]
            _put(head, max(x, 0), text, inner)
        out.append(" " * _TIME_W + "".join(head).rstrip())
    first = blank()
    for name, line in trace.timelines.items():
        col = column_of.get(name)
        if name not in trace.parent and line and col is not None and line[0][0] <= 0.0:
            beside(first, col, str(line[0][1]))
    out.append(" " * _TIME_W + "".join(first).rstrip())

    last_t: float | None = None
    for t, _order, item in _rows(trace):
        row = blank()
        if isinstance(item, SegmentRecord):
            a = column_of.get(item.src, column_of.get(_ip(item.src), n - 1))
            b = column_of.get(item.dst, column_of.get(_ip(item.dst), n - 1))
            _arrow(
                row, lanes[a], lanes[b], _segment_label(item), item.reason if item.dropped else ""
            )
        else:
            beside(row, column_of.get(item.endpoint, n - 1), _event_text(item, multi))
        stamp = "" if t == last_t else f"{t:.3f}"
        last_t = t
        out.append(f"{stamp:>{_TIME_W - 2}}  " + "".join(row).rstrip())
    return "\n".join(out) + "\n"


def _columns(trace: Trace) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """One column per top-level endpoint and named host, plus "other" for addresses the run
    does not simulate. ``column_of`` maps names, "ip:port" addresses and bare IPs to columns."""
    columns: list[tuple[str, str]] = []
    column_of: dict[str, int] = {}
    for name, addr in trace.endpoints.items():
        if name in trace.parent:
            continue
        col = column_of.get(addr, column_of.get(_ip(addr)))
        if col is None:  # a restarted endpoint keeps its column
            col = len(columns)
            columns.append((name, addr))
        column_of[name] = column_of[addr] = col
        column_of.setdefault(_ip(addr), col)
    for child, parent in trace.parent.items():
        column_of[child] = column_of[parent]
    for name, ips in trace.hosts.items():
        for ip in ips:
            column_of.setdefault(ip, len(columns))
        column_of[name] = len(columns)
        columns.append((name, ips[0] if len(ips) == 1 else f"{ips[0]} (+{len(ips) - 1})"))
    if any(_ip(a) not in column_of for r in trace.records for a in (r.src, r.dst)):
        columns.append(("other", "(not simulated)"))
    return columns or [("(none)", "")], column_of


def _ip(addr: str) -> str:
    """The IP of "ip:port" or "[ip]:port"."""
    if addr.startswith("["):
        return addr[1 : addr.index("]")]
    return addr.rsplit(":", 1)[0]


def _rows(trace: Trace) -> list[_Row]:
    rows: list[_Row] = [(r.sent, r.order, r) for r in trace.records]
    for e in trace.events:
        if e.kind not in _LADDER_KINDS:
            continue
        if e.kind == "signal" and not e.text.startswith(_SIGNALS_SHOWN):
            continue
        rows.append((e.time, e.order, e))
    rows.sort(key=lambda x: (x[0], x[1]))
    # Write "CLOSE -> FIN-WAIT-1" on one row when a call or timer changes the state at once.
    out: list[_Row] = []
    for row in rows:
        item, prev = row[2], out[-1][2] if out else None
        if (
            isinstance(item, TraceEvent)
            and item.kind == "state"
            and isinstance(prev, TraceEvent)
            and prev.kind in ("call", "timer")
            and (prev.endpoint, prev.time) == (item.endpoint, item.time)
        ):
            text = f"{_event_text(prev, set())} -> {item.text}"
            merged = TraceEvent(prev.order, prev.time, prev.endpoint, prev.address, "state", text)
            out[-1] = (prev.time, prev.order, merged)
        else:
            out.append(row)
    return out


def _listeners_with_many_remotes(trace: Trace) -> set[str]:
    """Listeners whose children talk to more than one remote: their rows name the remote."""
    remotes: dict[str, set[str]] = {}
    for child, parent in trace.parent.items():
        remotes.setdefault(parent, set()).add(trace.endpoints.get(child, "") + child)
    return {
        p for p, r in remotes.items() if len({c.split("[", 1)[-1].split("]", 1)[0] for c in r}) > 1
    }


def _event_text(e: TraceEvent, multi: set[str]) -> str:
    text = {"timer": f"({e.text})", "call": e.text, "state": e.text, "restart": e.text}.get(
        e.kind, f"[{e.text}]"
    )
    parent = e.endpoint.split("[", 1)[0]
    if parent in multi and parent != e.endpoint:
        text += " " + e.endpoint[len(parent) :]
    return text


def _segment_label(r: SegmentRecord) -> str:
    return f"{r.label()} ({r.note})" if r.note else r.label()


def _put(row: list[str], x: int, text: str, limit: int) -> None:
    """Write text at x, cut with "~" so that it stops before ``limit``."""
    room = limit - x
    if room <= 0:
        return
    if len(text) > room:
        text = text[: room - 1] + "~"
    row[x : x + len(text)] = list(text)


def _arrow(row: list[str], a: int, b: int, label: str, lost: str) -> None:
    """An arrow from line a to line b; a lost one ends in "X" two thirds along, then the reason."""
    if a == b:
        _put(row, a + 2, "<> " + label, len(row))
        return
    lo, hi = min(a, b), max(a, b)
    length = hi - lo - 1
    # A lost arrow stops two thirds of the way, or further if its label needs the room.
    reach = min(length, max(3, (2 * length) // 3, len(label) + 8)) if lost else length
    shaft = ["-"] * reach
    if lost:
        shaft[-1 if a < b else 0] = "X"
    else:
        shaft[-1 if a < b else 0] = ">" if a < b else "<"
    text = f" {label} "
    if len(text) > reach - 4:
        text = text[: max(reach - 6, 0)] + "~ "
    if reach > 6:
        start = (reach - len(text)) // 2
        shaft[start : start + len(text)] = list(text)
    gap = [" "] * (length - reach)
    if lost:
        note = lost[: max(len(gap) - 2, 0)]
        if a < b:
            gap[1 : 1 + len(note)] = list(note)
        else:
            gap[len(gap) - 1 - len(note) : len(gap) - 1] = list(note)
    row[lo + 1 : hi] = shaft + gap if a < b else gap + shaft
