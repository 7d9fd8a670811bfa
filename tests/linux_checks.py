"""The three checks of the Linux oracle: a kernel run (a linux_scenarios.Run) against tcpcore.

Why apart from the harness: they need no root and no kernel, only a run's record and its
capture, so they run the same on a fresh live run (tests/test_linux_oracle.py) and on the
recordings shipped in tests/data/linux (tests/test_linux_captures.py). Each returns what differs
(empty when tcpcore agrees with Linux):

* :func:`check_codec`: tcpcore decodes every captured segment, verifies its checksum and encodes
  it back byte for byte;
* :func:`check_observer`: the states :class:`tcpcore.capture.observe.Observer` infers from the
  capture are the states the kernel reported, wherever the capture can know them;
* :func:`check_reference`: two tcpcore Connections with the ``linux`` profile, making the same
  calls at the same moments over a wire with the same delay, send the same segments.
"""

from __future__ import annotations

import heapq
from typing import Any

from linux_scenarios import Run, Scenario

from tcpcore import Connection, Flags, Segment, State
from tcpcore.capture.observe import observe_stream
from tcpcore.capture.pcap import Capture, Packet
from tcpcore.ip import IPv4, IPv6
from tcpcore.profiles import LINUX
from tcpcore.table import CallError

SYN, ACK, FIN, RST = Flags.SYN, Flags.ACK, Flags.FIN, Flags.RST


# -- check (a): the codec -------------------------------------------------------------------------


def tcp_bytes(packet: Packet) -> bytes:
    """The TCP header and payload of a captured frame (Ethernet, as tcpdump writes for lo)."""
    ip, link = packet.ip, 14
    if isinstance(ip, IPv4) and ip.total_length is not None:
        end = link + ip.total_length
    elif isinstance(ip, IPv6) and ip.payload_length is not None:
        end = link + 40 + ip.payload_length
    else:
        raise ValueError(f"packet {packet.index} carries no IP header that tcpcore read")
    return bytes(packet.data[link + ip.header_length : end])


def check_codec(run: Run, capture: Capture) -> list[str]:
    """Every packet is TCP, decodes, verifies (when the delay line completed the checksums) and
    encodes back to the same bytes; and the capture holds every packet the delay line passed."""
    problems = []
    tcp = [p for p in capture if p.kind == "tcp"]
    if len(tcp) != len(capture) or capture.problems:
        problems.append(f"{len(capture) - len(tcp)} packets did not decode: {capture.problems}")
    if len(tcp) != len(run.flights):
        problems.append(f"{len(tcp)} TCP packets captured, {len(run.flights)} left the host")
    for p in tcp:
        raw = tcp_bytes(p)
        again = Segment.decode(raw)
        if again.encode() != raw or again != p.segment:
            problems.append(f"packet {p.index}: decode/encode is not the identity")
        ok = p.checksum_ok
        if (ok is not True) if run.checksums_complete else not isinstance(ok, bool):
            problems.append(f"packet {p.index}: checksum_ok is {ok!r}")
    return problems


# -- check (b): the observer against the kernel's states ------------------------------------------


def kernel_states(run: Run) -> list[tuple[dict[str, Any], dict[str, State]]]:
    """For each snapshot, the state of every connection endpoint the kernel reported.

    ``ss`` wins over TCP_INFO (a socket whose connection went to TIME-WAIT says CLOSE through
    TCP_INFO, while ``ss`` shows the TIME-WAIT socket that replaced it); TCP_INFO covers sockets
    ``ss`` no longer lists (a refused or reset socket, still open, in CLOSE). An endpoint that
    the kernel listed before and lists no more has no TCB: CLOSED. Listeners are left out: the
    observer follows connections.
    """
    out = []
    seen: set[str] = set()
    for snap in run.snapshots:
        states: dict[str, State] = {}
        for _sock, local, _peer, text in snap["tcp_info"]:
            if text != "LISTEN":
                states[local] = State.parse(text)
        for text, local, peer in snap["ss"]:
            if not peer.endswith(":*") and text != "LISTEN":
                states[local] = State.parse(text)
        for gone in seen - states.keys():
            states[gone] = State.CLOSED
        seen |= states.keys()
        out.append((snap, states))
    return out


def _in_doubt(run: Run, endpoint: str, t0: float, t1: float) -> bool:
    """Did endpoint have a state-changing segment in the delay line at the snapshot?

    A segment changes its sender's state when it is sent (SYN: SYN-SENT; FIN: FIN-WAIT-1 or
    LAST-ACK; RST: CLOSED) but the capture sees it only when the delay line lets it go: until
    then the observer cannot know. A SYN+ACK or an ACK changes nothing in its sender.
    """
    for f in run.flights:
        changes = "R" in f["flags"] or "F" in f["flags"] or f["flags"] == "S"
        if f["src"] == endpoint and changes and f["in"] <= t1 and f["out"] > t0:
            return True
    return False


def _segment_of(p: Packet) -> tuple[str, str, Segment] | None:
    if p.kind == "tcp" and p.segment is not None and p.src and p.dst:
        return p.src, p.dst, p.segment
    return None


def check_observer(run: Run, capture: Capture) -> tuple[list[str], list[tuple[str, str]]]:
    """Differences between the observer and the kernel, and the (role, state) pairs compared.

    At each snapshot the observer has seen the packets captured before it. A snapshot during
    which a packet was captured is skipped (the states may have changed while they were read),
    and so is an endpoint whose state-changing segment was still in the delay line.
    """
    inferred: dict[str, str | None] = {}
    timeline: list[tuple[float, dict[str, str | None]]] = []
    for p, seen in observe_stream(capture, _segment_of):
        if seen is not None:
            inferred.update(seen.states)
            timeline.append((p.time, dict(inferred)))
    problems, compared = [], []
    for snap, states in kernel_states(run):
        t0, t1 = snap["t0"], snap["t1"]
        if any(t0 - 0.002 <= t <= t1 for t, _ in timeline):
            continue
        before = [s for t, s in timeline if t < t0]
        now = before[-1] if before else {}
        for endpoint, state in states.items():
            if _in_doubt(run, endpoint, t0, t1):
                continue
            role = run.spec.role(int(endpoint.rsplit(":", 1)[1]))
            compared.append((role, str(state)))
            if now.get(endpoint) != str(state):
                step = run.steps[snap["after"]]
                problems.append(
                    f"after step {step['i']} ({step['op']}): {role} ({endpoint}) is {state} in "
                    f"the kernel, {now.get(endpoint)} in the observer"
                )
    return problems, compared


# -- check (c): tcpcore's Connections against the kernel ------------------------------------------


Emitted = tuple[int, int, Segment]  # (source port, destination port, segment)


def wire_lines(scenario: Scenario, segments: list[Emitted], everything: bool = False) -> list[str]:
    """Segments as "role FLAGS seq=S ack=A" lines, each sequence number relative to its sender's
    ISN and each ACK to the receiver's; PSH is left out (it marks a send call, not a state).

    By default only the control segments: SYN, FIN and RST segments and keepalive probes (an
    empty ACK one below what its sender has already sent, RFC 1122 4.2.3.6). When a pure ACK
    leaves (at once, delayed, or riding on the next segment) is a matter of Linux's delayed-ACK
    timers, which tcpcore does not model, so a live run compares control segments only; a
    recorded run replays exactly, and ``everything=True`` compares every segment (with its
    payload length).
    """
    isn: dict[int, int] = {}
    for sport, _, seg in segments:
        if seg.flags & SYN and sport not in isn:
            isn[sport] = seg.seq
    sent: dict[int, int] = {}
    out = []
    for sport, dport, seg in segments:
        rel = (seg.seq - isn.get(sport, 0)) & 0xFFFFFFFF
        end = rel + seg.seg_len
        probe = not seg.seg_len and seg.flags == ACK and end + 1 == sent.get(sport)
        sent[sport] = max(sent.get(sport, 0), end)
        if everything or seg.flags & (SYN | FIN | RST) or probe:
            flags = Flags(seg.flags & ~Flags.PSH).names()
            ack = f" ack={(seg.ack - isn.get(dport, 0)) & 0xFFFFFFFF}" if seg.flags & ACK else ""
            size = f" len={len(seg.payload)}" if everything else ""
            kind = "keepalive probe " if probe else ""
            out.append(f"{scenario.role(sport)} {kind}{flags} seq={rel}{ack}{size}")
    return out


def captured_segments(capture: Capture) -> list[Emitted]:
    return [
        (p.segment.src_port, p.segment.dst_port, p.segment)
        for p in capture
        if p.kind == "tcp" and p.segment is not None
    ]


class _Replay:
    """Two (or more) tcpcore Connections replaying a kernel run; see :func:`reference_segments`."""

    def __init__(self, run: Run, isn: dict[int, int]) -> None:
        self.sc, self.isn = run.spec, isn
        calls = [d["call"] for d in run.steps]
        self.keep = {s["sock"]: s for s in calls if s["op"] == "keepalive"}
        self.conns: dict[int, Connection] = {}  # by local port
        self.port_of: dict[str, int] = {}  # socket name -> local port
        self.linger: set[str] = set()
        # A tcpcore Connection in LISTEN becomes the accepted connection; the kernel keeps a
        # separate listening socket, whose close() after accept() sends nothing.
        self.listeners: set[str] = set()
        self.dropped_from: dict[int, float] = {}  # port -> when its segments start to be lost
        self.wire: list[tuple[float, int, int, Segment]] = []  # (arrival, order, port, segment)
        self.last_arrival = 0.0
        self.emitted: list[Emitted] = []

    def new(self, sock: str, port: int, remote: int | None) -> Connection:
        # tcpcore has no setsockopt: keepalive is set when the Connection is made. Its idle time
        # counts from the last segment received, as Linux's does, so probes keep their place.
        k = self.keep.get(sock, {})
        conn = Connection(
            port,
            remote,
            profile=LINUX,
            iss=self.isn.get(port),
            auto_read=False,  # unread data must stay unread: close() then sends a RST
            keepalive=bool(k),
            keepalive_idle=k.get("idle"),
            keepalive_interval=k.get("interval"),
            keepalive_probes=k.get("probes"),
        )
        self.conns[port], self.port_of[sock] = conn, port
        return conn

    def collect(self, conn: Connection, now: float) -> None:
        """Record what conn sent and put it on the wire (FIFO, the scenario's delay)."""
        for seg in conn.pop_segments():
            self.emitted.append((conn.local_port, seg.dst_port, seg))
            if now >= self.dropped_from.get(conn.local_port, float("inf")):
                continue
            self.last_arrival = max(now + self.sc.delay, self.last_arrival)
            entry = (self.last_arrival, len(self.emitted), seg.dst_port, seg)
            heapq.heappush(self.wire, entry)

    def step(self, s: dict[str, Any], now: float) -> None:
        """The socket call s, as tcpcore's user calls."""
        op, sock = s["op"], s.get("sock", "")
        if op == "listen":
            self.new(sock, s["port"], None).listen(now)
        elif op == "connect":
            self.new(sock, s["port"], s["to"]).connect(now)
        elif op == "accept":
            self.port_of[s["as"]] = self.port_of[sock]
            self.listeners.add(sock)
        elif op == "blackhole":
            self.dropped_from[s["from_port"]] = now
        elif op == "linger0":
            self.linger.add(sock)
        elif op in ("send", "recv", "shutdown", "close") and sock not in self.listeners:
            conn = self.conns[self.port_of[sock]]
            try:
                if op == "send":
                    conn.send(s["data"].encode(), now)
                elif op == "recv":
                    conn.read(s["n"])
                elif op == "shutdown":
                    conn.shutdown(now)
                elif sock in self.linger:
                    conn.abort(now)
                else:
                    conn.close(now)
            except CallError:
                if conn.state is not State.CLOSED:  # closing a dead socket sends nothing
                    raise
        for c in list(self.conns.values()):
            self.collect(c, now)

    def deliver(self, now: float) -> None:
        _, _, port, seg = heapq.heappop(self.wire)
        # Nobody at that port: a throw-away Connection in CLOSED answers (RFC 9293 3.10.7.1).
        conn = self.conns.get(port) or Connection(port, None, profile=LINUX)
        conn.receive(seg, now)
        self.collect(conn, now)

    def run(self, calls: list[tuple[float, dict[str, Any]]], end: float) -> list[Emitted]:
        """Take the earliest of: a segment arriving, a timer due, the next call; until end."""
        inf = float("inf")
        while True:
            timers = [(c.next_deadline() or inf, p) for p, c in self.conns.items()]
            t_timer, port = min(timers, default=(inf, 0))
            t_wire = self.wire[0][0] if self.wire else inf
            t_call = calls[0][0] if calls else inf
            now = min(t_timer, t_wire, t_call)
            if now > end:
                return self.emitted
            if now == t_wire:
                self.deliver(now)
            elif now == t_call:
                self.step(calls.pop(0)[1], now)
            else:
                self.conns[port].handle_timer(now)
                self.collect(self.conns[port], now)


def reference_segments(run: Run, capture: Capture) -> list[Emitted]:
    """The scenario on tcpcore Connections (``linux`` profile), in virtual time.

    Each call happens at the moment the kernel run made it; the wire holds every segment for the
    scenario's delay, first in first out, as the delay line did; ``blackhole`` drops what a port
    sends from then on, after it has been recorded (the capture saw those segments too). Each
    Connection starts from the ISN the kernel chose, so that the numbers read the same.
    tcpcore.sim.network is not used: it has no one-way blackhole and runs calls on its own
    schedule, where here the schedule must be the kernel run's.
    """
    isn: dict[int, int] = {}
    for port, _, seg in captured_segments(capture):
        if seg.flags & SYN:
            isn.setdefault(port, seg.seq)
    base = run.steps[0]["t0"]
    calls = [(d["t0"] - base, d["call"]) for d in run.steps]
    return _Replay(run, isn).run(calls, end=calls[-1][0] + run.spec.settle)


def check_reference(
    run: Run, capture: Capture, everything: bool = False
) -> tuple[list[str], list[str]]:
    """(the kernel's segments, tcpcore's) as :func:`wire_lines`: equal when tcpcore with the
    ``linux`` profile does what Linux did."""
    kernel = wire_lines(run.spec, captured_segments(capture), everything)
    reference = wire_lines(run.spec, reference_segments(run, capture), everything)
    return kernel, reference
