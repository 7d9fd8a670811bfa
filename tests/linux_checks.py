"""The four checks of the Linux oracle: a kernel run (a linux_scenarios.Run) against tcpcore.

Why apart from the harness: they need no root and no kernel, only a run's record and its
capture, so they run the same on a fresh live run (tests/test_linux_oracle.py) and on the
recordings shipped in tests/data/linux (tests/test_linux_captures.py). Each returns what differs
(empty when tcpcore agrees with Linux):

* :func:`check_codec`: tcpcore decodes every captured segment, verifies its checksum and encodes
  it back byte for byte;
* :func:`check_observer`: the states :class:`tcpcore.capture.observe.Observer` infers from the
  capture are the states the kernel reported, wherever the capture can know them;
* :func:`check_reference`: tcpcore Connections with the ``linux`` profile (a tcpcore Listener
  where the scenario listens with a backlog), making the same calls at the same moments over a
  wire with the same delay, send the same segments;
* :func:`check_states`: those same Connections are, at every moment the kernel's states were
  read, in the state the kernel reported, endpoint by endpoint (``ss`` is the judge).

Endpoints are (local, peer) pairs, so that a server port with several clients has one per client.
"""

from __future__ import annotations

import heapq
from typing import Any

from linux_scenarios import SERVER_PORT, Run, Scenario

from tcpcore import Connection, Flags, Segment, State
from tcpcore.capture.observe import observe_stream
from tcpcore.capture.pcap import Capture, Packet
from tcpcore.protocol.listener import Listener
from tcpcore.protocol.profiles import LINUX, LINUX_RFC1337
from tcpcore.protocol.table import CallError
from tcpcore.wire.ip import IPv4, IPv6

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


Endpoint = tuple[str, str]  # (local "ip:port", peer "ip:port"): one side of one connection


def kernel_states(run: Run) -> list[tuple[dict[str, Any], dict[Endpoint, State]]]:
    """For each snapshot, the state of every connection endpoint the kernel reported, keyed by
    (local, peer): a server port with several clients has one endpoint per client.

    ``ss`` wins over TCP_INFO (a socket whose connection went to TIME-WAIT says CLOSE through
    TCP_INFO, while ``ss`` shows the TIME-WAIT socket that replaced it); TCP_INFO covers sockets
    ``ss`` no longer lists (a refused or reset socket, still open, in CLOSE). An endpoint that
    the kernel listed before and lists no more has no TCB: CLOSED. Listeners are left out: the
    observer follows connections.
    """
    out = []
    seen: set[Endpoint] = set()
    for snap in run.snapshots:
        states: dict[Endpoint, State] = {}
        for _sock, local, peer, text in snap["tcp_info"]:
            if text != "LISTEN":
                states[local, peer] = State.parse(text)
        for text, local, peer in snap["ss"]:
            if not peer.endswith(":*") and text != "LISTEN":
                states[local, peer] = State.parse(text)
        for gone in seen - states.keys():
            states[gone] = State.CLOSED
        seen |= states.keys()
        out.append((snap, states))
    return out


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def label(scenario: Scenario, endpoint: Endpoint) -> str:
    """The role of an endpoint ("client"); with several clients on one server port, the
    server's side of each connection is named by its client ("server for c2")."""
    local, peer = endpoint
    role = scenario.role(_port(local))
    if len(scenario.roles) > 2 and _port(local) == SERVER_PORT:
        return f"{role} for {scenario.role(_port(peer))}"
    return role


def _in_doubt(run: Run, endpoint: Endpoint, t0: float, t1: float) -> bool:
    """Did endpoint have a state-changing segment in the delay line at the snapshot?

    A segment changes its sender's state when it is sent (SYN: SYN-SENT; FIN: FIN-WAIT-1 or
    LAST-ACK; RST: CLOSED) but the capture sees it only when the delay line lets it go: until
    then the observer cannot know. A SYN+ACK or an ACK changes nothing in its sender.
    """
    for f in run.flights:
        changes = "R" in f["flags"] or "F" in f["flags"] or f["flags"] == "S"
        sent = (f["src"], f["dst"]) == endpoint
        if sent and changes and f["in"] <= t1 and f["out"] > t0:
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
    inferred: dict[Endpoint, str | None] = {}
    timeline: list[tuple[float, dict[Endpoint, str | None]]] = []
    for p, seen in observe_stream(capture, _segment_of):
        if seen is not None:
            a, b = seen.states  # this segment's connection: its two endpoints
            inferred[a, b], inferred[b, a] = seen.states[a], seen.states[b]
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
            role = label(run.spec, endpoint)
            compared.append((role, str(state)))
            if now.get(endpoint) != str(state):
                step = run.steps[snap["after"]]
                problems.append(
                    f"after step {step['i']} ({step['op']}): {role} ({endpoint[0]}) is {state} "
                    f"in the kernel, {now.get(endpoint)} in the observer"
                )
    return problems, compared


def split_blind(run: Run, problems: list[str]) -> tuple[list[str], list[str]]:
    """(the observer's differences the scenario does not declare, those it declares in
    ``observer_blind``: what no capture can show, a pinned limit rather than a skip)."""
    pinned = [
        p
        for p in problems
        for role, kernel, seen in run.spec.observer_blind
        if p.split(": ", 1)[1].startswith(f"{role} (")
        and p.endswith(f"is {kernel} in the kernel, {seen} in the observer")
    ]
    return [p for p in problems if p not in pinned], pinned


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
    # The first ISN of each direction (port to port) is the zero: a later incarnation on the same
    # ports (TIME-WAIT reuse) keeps counting from it, so that its ISN shows where it lies.
    isn: dict[tuple[int, int], int] = {}
    for sport, dport, seg in segments:
        if seg.flags & SYN:
            isn.setdefault((sport, dport), seg.seq)
    sent: dict[tuple[int, int], int] = {}
    out = []
    for sport, dport, seg in segments:
        rel = (seg.seq - isn.get((sport, dport), 0)) & 0xFFFFFFFF
        end = rel + seg.seg_len
        probe = not seg.seg_len and seg.flags == ACK and end + 1 == sent.get((sport, dport))
        sent[sport, dport] = max(sent.get((sport, dport), 0), end)
        if everything or seg.flags & (SYN | FIN | RST) or probe:
            flags = Flags(seg.flags & ~Flags.PSH).names()
            ack_rel = (seg.ack - isn.get((dport, sport), 0)) & 0xFFFFFFFF
            ack = f" ack={ack_rel}" if seg.flags & ACK else ""
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
    """tcpcore Connections replaying a kernel run; see :func:`reference_segments`."""

    def __init__(self, run: Run, isn: dict[tuple[int, int | None], list[int]]) -> None:
        self.sc, self.isn = run.spec, isn
        calls = [d["call"] for d in run.steps]
        self.keep = {s["sock"]: s for s in calls if s["op"] == "keepalive"}
        # Connections by (local port, remote port); a passive one waiting in LISTEN is keyed
        # (port, None) and keeps that key once its SYN has come.
        self.conns: dict[tuple[int, int | None], Connection] = {}
        self.sock_of: dict[str, Connection] = {}
        # listen(backlog=N): a tcpcore Listener (one child per client; the SYN and accept
        # queues); without a backlog, one Connection in LISTEN that becomes the accepted one.
        self.listeners: dict[int, Listener] = {}
        self.listening: set[str] = set()  # sockets whose close() after accept() sends nothing
        self.queued: set[str] = set()  # listening sockets that are a Listener
        self.accepting: list[str] = []  # accept() calls still blocked, oldest first
        self.linger: set[str] = set()
        self.profile = LINUX
        self.syncookies = True  # net.ipv4.tcp_syncookies = 1, Linux's default
        self.dropped_from: dict[int, float] = {}  # port -> when its segments start to be lost
        self.wire: list[tuple[float, int, int, int, Segment]] = []  # (arrival, order, ...)
        self.last_arrival = 0.0
        self.emitted: list[Emitted] = []
        self.tracked: dict[tuple[int, int], Connection] = {}  # the newest per (local, remote)

    def new(self, sock: str, port: int, remote: int | None) -> Connection:
        # tcpcore has no setsockopt: keepalive is set when the Connection is made. Its idle time
        # counts from the last segment received, as Linux's does, so probes keep their place.
        k = self.keep.get(sock, {})
        isns = self.isn.get((port, remote), [])
        conn = Connection(
            port,
            remote,
            profile=self.profile,
            iss=isns.pop(0) if isns else None,
            auto_read=False,  # unread data must stay unread: close() then sends a RST
            keepalive=bool(k),
            keepalive_idle=k.get("idle"),
            keepalive_interval=k.get("interval"),
            keepalive_probes=k.get("probes"),
        )
        self.conns[port, remote] = self.sock_of[sock] = conn
        return conn

    def _listen(self, s: dict[str, Any], now: float) -> None:
        port = s["port"]
        if "backlog" not in s:
            self.new(s["sock"], port, None).listen(now)
            return
        # Linux's listen(N) lets N + 1 requests wait in its SYN queue (reqsk_queue_is_full():
        # qlen > sk_max_ack_backlog, as listen-overflow-* shows: two SYN+ACKs for backlog 1)
        # where tcpcore's Listener(backlog=B) lets B wait: the documented modelling limit
        # "backlog counts one less" (docs/conformance.md), pinned by test_linux_captures.py.
        lst = Listener(
            port,
            self.sc.address,
            backlog=s["backlog"] + 1,
            profile=self.profile,
            syncookies=self.syncookies,
            auto_read=False,
        )
        lst.listen(now)
        self.listeners[port] = lst
        self.listening.add(s["sock"])
        self.queued.add(s["sock"])

    def collect(self, conn: Connection, now: float, track: bool = True) -> None:
        """Record what conn sent and put it on the wire (FIFO, the scenario's delay)."""
        if track and conn.remote_port is not None:
            self.tracked[conn.local_port, conn.remote_port] = conn
        for seg in conn.pop_segments():
            self.emitted.append((conn.local_port, seg.dst_port, seg))
            self.put(conn.local_port, seg, now)

    def put(self, port: int, seg: Segment, now: float) -> None:
        if now >= self.dropped_from.get(port, float("inf")):
            return
        self.last_arrival = max(now + self.sc.delay, self.last_arrival)
        entry = (self.last_arrival, len(self.emitted), seg.dst_port, seg.src_port, seg)
        heapq.heappush(self.wire, entry)

    def everyone(self) -> list[Connection]:
        children = [c for lst in self.listeners.values() for c in lst.connections()]
        return [*self.conns.values(), *children]

    def step(self, s: dict[str, Any], now: float) -> None:
        """The socket call s, as tcpcore's user calls."""
        op, sock = s["op"], s.get("sock", "")
        if op == "listen":
            self._listen(s, now)
        elif op == "connect":
            self.new(sock, s["port"], s["to"]).connect(now)
        elif op == "accept" and s["sock"] in self.queued:
            self.accepting.append(s["as"])  # accept() blocks until a child is established
        elif op == "accept":
            self.sock_of[s["as"]] = self.sock_of[sock]
            self.listening.add(sock)
        elif op == "sysctl":
            # Per-namespace switches, set before any socket exists (the scenarios do so).
            if s["name"] == "tcp_rfc1337":
                self.profile = LINUX_RFC1337 if s["value"] else LINUX
            elif s["name"] == "tcp_syncookies":
                self.syncookies = bool(s["value"])
        elif op == "inject_rst":
            # A RST forged at the receiver's RCV.NXT, sent by no Connection (a raw socket).
            target = self.conns[s["to_port"], s["from_port"]]
            rst = Segment(s["from_port"], s["to_port"], target.tcb.rcv_nxt.value, 0, RST, 0)
            self.emitted.append((s["from_port"], s["to_port"], rst))
            self.put(s["from_port"], rst, now)
        elif op == "blackhole":
            self.dropped_from[s["from_port"]] = now
        elif op == "linger0":
            self.linger.add(sock)
        elif op == "close" and sock in self.listening:
            for lst in self.listeners.values():
                lst.close(now)
        elif op in ("send", "recv", "shutdown", "close"):
            conn = self.sock_of[sock]
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
        for c in self.everyone():
            self.collect(c, now)
        self.hand_out()

    def hand_out(self) -> None:
        """Give established children to the accept() calls that wait for them."""
        while self.accepting and self.listeners:
            child = next(iter(self.listeners.values())).accept()
            if child is None:
                return
            self.sock_of[self.accepting.pop(0)] = child

    def deliver(self, now: float) -> None:
        _, _, port, remote, seg = heapq.heappop(self.wire)
        conn = self.conns.get((port, remote)) or self.conns.get((port, None))
        if conn is None and port in self.listeners:
            lst = self.listeners[port]
            got = lst.receive(seg, now, self.sc.address)
            # A SYN cookie's SYN+ACK comes from a throw-away Connection: nothing to follow.
            if got is not None:
                self.collect(got, now, track=got in lst.connections())
            self.hand_out()
            return
        # Nobody at that port: a throw-away Connection in CLOSED answers (RFC 9293 3.10.7.1).
        conn = conn or Connection(port, None, profile=self.profile)
        conn.receive(seg, now)
        self.collect(conn, now, track=conn in self.conns.values())

    def states(self) -> dict[Endpoint, str]:
        """Every connection endpoint's state now, keyed as :func:`kernel_states` keys them."""
        fmt = "[{}]:{}" if self.sc.ipv6 else "{}:{}"
        return {
            (fmt.format(self.sc.address, lp), fmt.format(self.sc.address, rp)): str(c.state)
            for (lp, rp), c in self.tracked.items()
        }

    def run(
        self,
        calls: list[tuple[float, dict[str, Any]]],
        end: float,
        probes: tuple[float, ...] = (),
    ) -> list[dict[Endpoint, str]]:
        """Take the earliest of: a segment arriving, a timer due, the next call; until end.
        Returns the states at each moment of ``probes`` (when the kernel's were read)."""
        inf = float("inf")
        waiting, seen = list(probes), []
        while True:
            timers = [(c.next_deadline() or inf, i) for i, c in enumerate(self.everyone())]
            t_timer, index = min(timers, default=(inf, 0))
            t_wire = self.wire[0][0] if self.wire else inf
            t_call = calls[0][0] if calls else inf
            now = min(t_timer, t_wire, t_call)
            while waiting and waiting[0] < now:
                seen.append(self.states())
                waiting.pop(0)
            if now > end:
                return seen + [self.states() for _ in waiting]
            if now == t_wire:
                self.deliver(now)
            elif now == t_call:
                self.step(calls.pop(0)[1], now)
            else:
                conn = self.everyone()[index]
                conn.handle_timer(now)
                self.collect(conn, now)


def _replay(run: Run, capture: Capture) -> tuple[_Replay, list[dict[Endpoint, str]]]:
    """Replay run on tcpcore; the replay and its states at each of the kernel's snapshots."""
    isn: dict[tuple[int, int | None], list[int]] = {}
    for port, remote, seg in captured_segments(capture):
        if seg.flags & SYN:
            for key in ((port, remote), (port, None)):
                known = isn.setdefault(key, [])
                if seg.seq not in known:  # a retransmitted SYN is the same SYN
                    known.append(seg.seq)
    base = run.steps[0]["t0"]
    calls = [(d["t0"] - base, d["call"]) for d in run.steps]
    probes = tuple(snap["t0"] - base for snap in run.snapshots)
    replay = _Replay(run, isn)
    states = replay.run(calls, end=max(calls[-1][0] + run.spec.settle, *probes), probes=probes)
    return replay, states


def reference_segments(run: Run, capture: Capture) -> list[Emitted]:
    """The scenario on tcpcore Connections (``linux`` profile), in virtual time.

    Each call happens at the moment the kernel run made it; the wire holds every segment for the
    scenario's delay, first in first out, as the delay line did; ``blackhole`` drops what a port
    sends from then on, after it has been recorded (the capture saw those segments too). Each
    Connection starts from the ISN the kernel chose, so that the numbers read the same.
    tcpcore.sim.network is not used: it has no one-way blackhole and runs calls on its own
    schedule, where here the schedule must be the kernel run's.
    """
    return _replay(run, capture)[0].emitted


def check_states(run: Run, capture: Capture) -> tuple[list[str], list[tuple[str, str]]]:
    """The ``linux`` profile's Connections against the kernel, state by state: at each moment
    the kernel's states were read (``ss`` is the judge), the replay's Connection for each
    endpoint must be in the same state. Returns the differences, each naming scenario, step,
    endpoint and both states, and the (role, state) pairs compared. As in
    :func:`check_observer`, an endpoint whose state-changing segment was in the delay line while
    the kernel was read is left out (it changed state at a moment only the kernel knows)."""
    _, states = _replay(run, capture)
    problems, compared = [], []
    for (snap, kernel), reference in zip(kernel_states(run), states, strict=True):
        for endpoint, state in kernel.items():
            if _in_doubt(run, endpoint, snap["t0"], snap["t1"]):
                continue
            role = label(run.spec, endpoint)
            compared.append((role, str(state)))
            ours = reference.get(endpoint, str(State.CLOSED))
            if ours != str(state):
                step = run.steps[snap["after"]]
                problems.append(
                    f"{run.scenario}, after step {step['i']} ({step['op']} "
                    f"{step['call'].get('sock', '')}): {role} ({endpoint[0]}): the kernel says "
                    f"{state}, the linux profile {ours}"
                )
    return problems, compared


def check_reference(
    run: Run, capture: Capture, everything: bool = False
) -> tuple[list[str], list[str]]:
    """(the kernel's segments, tcpcore's) as :func:`wire_lines`: equal when tcpcore with the
    ``linux`` profile does what Linux did."""
    kernel = wire_lines(run.spec, captured_segments(capture), everything)
    reference = wire_lines(run.spec, reference_segments(run, capture), everything)
    return kernel, reference
