"""Reading a trace for the ladder: its lanes, what each segment is (new, retransmitted, a probe),
the arrows' labels, and the timers inferred from what fired (a trace records no arming).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...protocol.states import State
from ...protocol.table import Trigger
from ...trace import SegmentRecord, Trace
from ...wire.flags import Flags
from .ladder_items import _KEEPALIVE, _RESEND, _duration

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
