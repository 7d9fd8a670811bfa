"""A real capture as a :class:`~tcpcore.trace.Trace`, annotated with the states it implies.

A simulated run knows every endpoint's state; a capture only shows segments. This module feeds a
capture's TCP segments, in order, to :class:`tcpcore.capture.observe.Observer`, which infers
both ends' states from the transition table, and records the result the way the network records a
simulation, so a capture can be drawn as a ladder (:func:`tcpcore.viz.ladder`) like any run.

Differences from a simulated trace, because a capture is taken at one point:

* a segment's ``sent`` and ``arrival`` are both the time it was captured (nothing is lost in a
  capture: a segment that never arrived is not known to have been sent);
* endpoints are named by their address ("127.0.0.1:40001"), the time origin is the first
  selected packet, and the trace's profile is "capture";
* a state the observer cannot tell (a capture starting mid-connection) is left out of the
  timeline; the observer's notes (crossed segments, segments missing from the capture) are each
  record's ``doubt``.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from ..trace import SegmentRecord, Trace, TraceEvent
from ..wire.flags import Flags
from ..wire.segment import Segment
from .observe import Transition, observe_stream
from .pcap import Capture, Packet

__all__ = ["SHIPPED", "connections", "shipped_captures", "trace_from_capture"]


def _tcp(packets: Iterable[Packet]) -> list[Packet]:
    return [p for p in packets if p.kind == "tcp" and p.segment is not None and p.src and p.dst]


def connections(capture: Capture | Iterable[Packet]) -> list[tuple[str, str]]:
    """The capture's connections as (first sender, its peer), in order of first appearance."""
    seen: dict[frozenset[str], tuple[str, str]] = {}
    for p in _tcp(capture):
        assert p.src is not None and p.dst is not None
        seen.setdefault(frozenset((p.src, p.dst)), (p.src, p.dst))
    return list(seen.values())


def trace_from_capture(
    capture: Capture | Iterable[Packet],
    *,
    connection: int | tuple[str, str] | None = None,
    name: str = "capture",
    relative: bool = False,
) -> Trace:
    """The capture's TCP segments as a Trace with inferred states.

    ``connection`` keeps one connection: its index in :func:`connections`, or its two
    addresses (either order). None keeps them all.

    ``relative=True`` numbers as Wireshark does by default: each sender's sequence numbers
    count from its ISN (its SYN's seq, else the first seq it sends), so its SYN is 0 and its
    first data byte 1, and an acknowledgment counts from the ISN of the side it acknowledges.
    Only the numbers drawn change; the states are inferred from the real ones.
    """
    packets = _tcp(capture)
    if connection is not None:
        conns = connections(packets)
        if isinstance(connection, int):
            if not 0 <= connection < len(conns):
                raise IndexError(f"the capture has {len(conns)} connections, not {connection + 1}")
            pair = frozenset(conns[connection])
        else:
            pair = frozenset(connection)
        packets = [p for p in packets if frozenset((p.src, p.dst)) == pair]
    trace = Trace(profile="capture")
    trace.scenario = name
    if not packets:
        return trace
    t0 = packets[0].time
    order = 0
    isn: dict[str, int] = {}  # each sender's first sequence number, for relative=True

    def event(t: float, move: Transition) -> None:
        nonlocal order
        order += 1
        who = move.endpoint
        event = TraceEvent(order, t, who, who, "state", str(move.new), old=move.old, new=move.new)
        event.cause = move.cause  # the observer's words: a capture has no table row to name
        trace.events.append(event)
        line = trace.timelines[who]
        if not line or line[-1][1] is not move.new or move.fresh:
            line.append((t, move.new))

    def segment_of(p: Packet) -> tuple[str, str, Segment]:
        assert p.src is not None and p.dst is not None and p.segment is not None
        return p.src, p.dst, p.segment

    for p, seen in observe_stream(packets, segment_of):
        assert seen is not None
        src, dst, seg = segment_of(p)
        t = round(p.time - t0, 9)
        for who in (src, dst):
            if who not in trace.endpoints:
                trace.endpoints[who] = who
                trace.timelines[who] = []
        for move in seen.transitions:
            event(t, move)
        order += 1
        rec = SegmentRecord(order, t, src, dst, seg, sender=src, receiver=dst, arrival=t)
        rec.src_state = seen.state_of.get(src)
        rec.dst_state = seen.state_of.get(dst)
        if relative:
            rec.segment = _relative(seg, src, dst, isn)
        trace.records.append(rec)
        rec.doubt = seen.note
    return trace


def _relative(seg: Segment, src: str, dst: str, isn: dict[str, int]) -> Segment:
    """seg with Wireshark's relative numbers (RFC 9293 3.4: both mod 2**32)."""
    isn.setdefault(src, seg.seq)
    ack = seg.ack
    if seg.flags & Flags.ACK and dst in isn:
        ack = (seg.ack - isn[dst]) % 2**32
    return seg.with_(seq=(seg.seq - isn[src]) % 2**32, ack=ack)


# -- the captures that ship with tcpcore ---------------------------------------------------------

SHIPPED = {
    "client-closes-first": "the textbook teardown, client first: every closing state",
    "server-closes-first": "the server closes first; the client sees end of stream, then closes",
    "simultaneous-close": "both FINs cross: CLOSING on both sides",
    "simultaneous-open": "the SYNs cross (RFC 9293 Figure 7)",
    "half-close": "shutdown(SHUT_WR): the server goes on sending, then closes",
    "refused": "nothing listens: SYN, RST+ACK",
    "abort": "SO_LINGER 0: a RST instead of a FIN",
    "close-unread": "close() with unread data: a RST (RFC 2525 2.17)",
    "ipv6": "the client-closes-first exchange over IPv6",
    "keepalive": "keepalive probes (idle 1 s, interval 1 s, 3 probes) unanswered",
    "exchange": "three connections (two IPv4, one IPv6) and one UDP datagram",
}


def shipped_captures() -> dict[str, Path]:
    """name -> path of the real captures in ``tcpcore/data/captures`` (see its README)."""
    folder = Path(str(resources.files("tcpcore") / "data" / "captures"))
    return {name: folder / f"{name}.pcap" for name in SHIPPED if (folder / f"{name}.pcap").exists()}
