"""A simulated network: endpoints with IP addresses, lossy links and scripted faults.

The connections are sans-IO; this module is the IO they never do. It moves segments between
endpoints over links that can delay, jitter, lose, duplicate and reorder them, calls each endpoint
back when its timer is due, runs the user's scheduled calls, and writes it all into one
:class:`~tcpcore.trace.Trace`::

    net = Network(seed=1)
    net.add("A", Connection(40000, 80, iss=100, local_ip="10.0.0.1", remote_ip="10.0.0.2"))
    net.add("B", Connection(80, None, iss=300, local_ip="10.0.0.2", remote_ip="10.0.0.1"))
    net.at(0, "B", "listen")
    net.at(0, "A", "connect")
    net.drop_nth("A", 1)            # the first SYN is lost
    trace = net.run()

The loop (:meth:`Network.run`) always takes the earliest pending thing on the
:class:`~tcpcore.sim.clock.VirtualClock`: a segment arriving, an endpoint's deadline
(``next_deadline()`` then ``handle_timer(now)``), or a scheduled call. Equal times run in the
order they were scheduled and every random choice comes from one ``random.Random(seed)``, drawn
in that order: the same seed gives the same trace. The loop stops when nothing is pending or at
``until``, and raises :class:`SimulationError` after ``max_steps`` steps.

Demultiplexing. An endpoint lives at (ip, port): a Connection at (local_ip, local_port), talking
to (remote_ip, remote_port or any port); a :class:`~tcpcore.protocol.listener.Listener` at its
address, for any remote. A segment that reaches no connection gets what a CLOSED port gives (RFC
9293 3.10.7.1: a RST, unless it is one), worked out by a throw-away Connection in CLOSED so that the
rule is the table's: that is how "connection refused" and half-open discovery happen.

Faults, on top of each link's dice (:class:`Link`): ``drop_nth("A", 3)`` (the 3rd segment A
sends, counting from 1), ``drop_first("B", flags=Flags.FIN | Flags.ACK)`` or
``drop_first(where=pred)``, ``delay_nth``, ``blackhole("B", after=5)`` (everything to or from B
lost), ``unreachable(ip)`` (everything *to* it lost: a spoofed source), ``partition(until=10)``,
and ``crash("B", at=5, restart_at=8, restart=endpoint)`` (B loses its memory, then comes back).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..protocol import events as ev
from ..protocol.connection import Connection
from ..protocol.listener import Listener
from ..protocol.profiles import Profile, get_profile
from ..protocol.states import State
from ..protocol.table import CallError, Trigger
from ..trace import SegmentRecord, Trace, TraceEvent, address
from ..wire.flags import Flags
from ..wire.segment import Segment
from .clock import SimulationError, VirtualClock

__all__ = ["Link", "Network", "SimulationError"]

_INF = float("inf")
_DELIVER, _TIMER, _ACTION = "deliver", "timer", "action"  # what a queued item is
_NO_NOW = frozenset({"read", "accept"})  # endpoint methods that take no ``now``
Addr = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Link:
    """One direction of a path: delay and uniform jitter (seconds), and probabilities.

    ``reorder`` is the chance that a segment is held back an extra ``reorder_delay`` (twice the
    delay when None) so that later segments overtake it; jitter alone reorders as well when it
    exceeds the gap between segments, as on a real path. A duplicate is an extra copy.
    """

    delay: float = 0.05
    jitter: float = 0.0
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_delay: float | None = None

    def __post_init__(self) -> None:
        if self.delay < 0 or self.jitter < 0:
            raise ValueError("a link's delay and jitter must not be negative")
        for name in ("loss", "duplicate", "reorder"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"Link.{name} is a probability, between 0 and 1")


@dataclass(slots=True)
class _Fault:
    """Takes up to ``count`` segments (None: all) for which ``match(sender, nth, seg, t)``."""

    reason: str
    match: Callable[[str | None, int, Segment, float], bool]
    count: int | None = 1
    extra: float | None = None  # None: drop; a number: delay by that much


@dataclass(frozen=True, slots=True)
class _Outage:
    """Everything between IP sets ``a`` and ``b`` (None: any) lost in [start, end);
    ``one_way``: only from ``a`` to ``b``."""

    reason: str
    a: frozenset[str] | None
    b: frozenset[str] | None
    start: float
    end: float
    one_way: bool = False

    def cuts(self, src: str, dst: str, t: float) -> bool:
        if not self.start <= t < self.end:
            return False
        a, b = self.a, self.b
        forth = (a is None or src in a) and (b is None or dst in b)
        back = (a is None or dst in a) and (b is None or src in b)
        return forth or (back and not self.one_way)


class _Node:
    """A named endpoint (a Connection, a Listener, or anything shaped like a Connection)."""

    __slots__ = ("alive", "due", "ep", "ip", "name", "port", "sent")

    def __init__(self, name: str, ep: Any) -> None:
        self.name, self.ep = name, ep
        self.ip: str = ep.local_ip
        self.port: int = ep.local_port
        self.sent = 0  # segments sent so far (drop_nth counts these)
        self.due: float | None = None  # the deadline on the clock's queue
        self.alive = True


class _Conn:
    """A connection whose output the network collects: top-level, a child, or throw-away."""

    __slots__ = ("addr", "conn", "name", "node", "seen", "traced")

    def __init__(self, conn: Any, name: str, node: _Node | None, traced: bool) -> None:
        self.conn, self.name, self.node, self.traced = conn, name, node, traced
        self.addr = address(conn.local_ip, conn.local_port)
        self.seen = 0  # history steps already recorded


class Network:
    """Endpoints, links and faults on a virtual clock; see the module docstring."""

    def __init__(
        self,
        seed: int | None = 0,
        *,
        profile: str | Profile = "rfc9293",
        link: Link | None = None,
        max_steps: int = 1_000_000,
        record: bool = True,
    ) -> None:
        self.rng = random.Random(seed)
        self.clock = VirtualClock(max_steps)
        self.default_link = link or Link()
        self.record = record  # False: no segment records or events (for benchmarks)
        # The network's profile answers for closed ports (a throw-away connection in CLOSED).
        self.profile = get_profile(profile)
        self.trace = Trace(profile=self.profile.name, seed=seed)
        self.receives = 0  # segments handed to a connection (Connection.receive calls)
        self._links: dict[tuple[str, str], Link] = {}
        self._nodes: dict[str, _Node] = {}
        self._hosts: dict[str, str] = {}
        self._by_addr: dict[Addr, _Node] = {}
        self._conns: dict[int, _Conn] = {}
        self._addresses: dict[Addr, str] = {}
        self._faults: list[_Fault] = []
        self._outages: list[_Outage] = []

    @property
    def now(self) -> float:
        return self.clock.now

    # -- building ------------------------------------------------------------------------------

    def add(self, name: str, endpoint: Any) -> Any:
        """Put ``endpoint`` on the network as ``name`` at its (local_ip, local_port)."""
        old = self._nodes.get(name)
        if old is not None and old.alive:
            raise SimulationError(f"an endpoint named {name!r} is already on the network")
        node = _Node(name, endpoint)
        taken = self._by_addr.get((node.ip, node.port))
        if taken is not None:
            raise SimulationError(f"{address(node.ip, node.port)} is already {taken.name}'s")
        self._nodes[name] = self._by_addr[node.ip, node.port] = node
        if not isinstance(endpoint, Listener):
            self._conns[id(endpoint)] = _Conn(endpoint, name, node, True)
        tr = self.trace
        tr.endpoints[name] = address(node.ip, node.port)
        tr.timelines.setdefault(name, []).append((self.now, endpoint.state))
        if old is not None:
            self._event(name, "restart", "restart")
        self._refresh(node)
        return endpoint

    def host(self, name: str, *ips: str) -> None:
        """Name a host without simulated sockets (nothing listening there, the spoofed sources
        of a flood): faults can name it and the ladder gives it a column."""
        self._hosts[name] = ips[0]
        self.trace.hosts[name] = list(ips)

    def endpoint(self, name: str) -> Any:
        """The endpoint added as ``name``."""
        if name not in self._nodes:
            raise SimulationError(f"no endpoint {name!r}; known: {', '.join(self._nodes)}")
        return self._nodes[name].ep

    def set_link(
        self, src: str, dst: str, link: Link | None = None, *, both: bool = False, **params: Any
    ) -> None:
        """The link from ``src`` to ``dst`` (names or IPs), and back too with ``both``.
        Pairs not set use ``default_link``."""
        spec, s, d = link or Link(**params), self._ip_of(src), self._ip_of(dst)
        self._links[s, d] = spec
        if both:
            self._links[d, s] = spec

    # -- faults ----------------------------------------------------------------------------------

    def drop_nth(self, src: str, n: int) -> None:
        """Lose the ``n``-th segment (counting from 1) that endpoint ``src`` sends."""
        if n < 1:
            raise ValueError("segments are counted from 1")
        self._faults.append(
            _Fault(f"script: #{n} from {src}", lambda s, k, _, __: (s, k) == (src, n))
        )

    def delay_nth(self, src: str, n: int, extra: float) -> None:
        """Hold the ``n``-th segment from ``src`` back by ``extra`` seconds."""
        self._faults.append(
            _Fault(f"delayed {extra:g} s", lambda s, k, _, __: (s, k) == (src, n), extra=extra)
        )

    def drop_first(
        self,
        src: str | None = None,
        *,
        flags: Flags | None = None,
        where: Callable[[Segment], bool] | None = None,
        count: int | None = 1,
        after: float = 0.0,
    ) -> None:
        """Lose the first ``count`` segments (None: all) sent by ``src`` (None: anyone) at or
        after ``after`` that have exactly ``flags`` and for which ``where(segment)`` holds."""

        def match(s: str | None, _k: int, seg: Segment, t: float) -> bool:
            return (
                (src is None or s == src)
                and t >= after
                and (flags is None or seg.flags == flags)
                and (where is None or where(seg))
            )

        what = flags.names() if flags is not None else "match"
        self._faults.append(_Fault(f"script: {what} from {src or 'any'}", match, count))

    def blackhole(self, name_or_ip: str, after: float = 0.0, until: float | None = None) -> None:
        """Everything to or from an endpoint's IP is lost in [after, until)."""
        ip = self._ip_of(name_or_ip)
        self._outage(f"blackhole {name_or_ip}", frozenset({ip}), None, after, until)

    def unreachable(self, name_or_ip: str, after: float = 0.0, until: float | None = None) -> None:
        """Everything *to* an address is lost in [after, until); what it sends still arrives."""
        ip = self._ip_of(name_or_ip)
        self._outage(f"{name_or_ip} unreachable", None, frozenset({ip}), after, until, True)

    def partition(
        self, until: float, after: float = 0.0, between: tuple[str, str] | None = None
    ) -> None:
        """Everything (or everything between two endpoints) is lost in [after, until)."""
        a = b = None
        if between is not None:
            a, b = frozenset({self._ip_of(between[0])}), frozenset({self._ip_of(between[1])})
        self._outage("partition", a, b, after, until)

    def crash(
        self, name: str, at: float, restart_at: float | None = None, restart: Any = None
    ) -> None:
        """At ``at`` the endpoint loses all memory and its host stops answering; at
        ``restart_at`` the host is back, with the endpoint ``restart`` on it if given."""
        self._outage(f"{name} is down", frozenset({self._ip_of(name)}), None, at, restart_at)
        self.clock.schedule(at, (_ACTION, lambda: self._crash(name), None))
        if restart_at is not None and restart is not None:
            self.clock.schedule(restart_at, (_ACTION, lambda: self.add(name, restart), None))

    def inject(self, t: float, segment: Segment, src: Addr, dst: Addr, note: str = "") -> None:
        """At ``t``, put ``segment`` on the wire from ``src`` to ``dst`` as if some host had
        sent it: an old duplicate, a spoofed SYN."""
        self.clock.schedule(t, (_ACTION, lambda: self._send(None, segment, src, dst, note), None))

    def heal(self) -> None:
        """From now on the network is perfect: scripted faults and outages are cancelled, and
        every link keeps its delay but loses, duplicates, reorders and jitters nothing. (A
        crashed endpoint stays gone; a scheduled restart still happens.)"""
        self._faults.clear()
        self._outages = [replace(o, end=self.now) if o.end > self.now else o for o in self._outages]
        self.default_link = Link(delay=self.default_link.delay)
        self._links = {k: Link(delay=v.delay) for k, v in self._links.items()}

    # -- running ---------------------------------------------------------------------------------

    def at(
        self, t: float, target: str | Callable[[], object], method: str = "", *args: Any
    ) -> None:
        """At ``t``, call ``target()``, or for an endpoint name ``endpoint.method(*args, now=t)``
        (``net.at(1, "A", "send", b"hi")``). A call the RFC refuses
        (:class:`~tcpcore.protocol.table.CallError`) becomes an "error" event, not an exception."""
        if callable(target):
            self.clock.schedule(t, (_ACTION, target, None))
        else:
            self.clock.schedule(t, (_ACTION, lambda: self._call(target, method, args), target))

    def run(self, until: float | None = None) -> Trace:
        """Process everything due up to ``until`` (or until nothing is pending); the trace."""
        clock = self.clock
        clock.steps = 0
        pop, deliver = clock.pop, self._deliver
        while (item := pop(until)) is not None:
            kind = item[0]
            if kind is _DELIVER:
                deliver(item[1], item[2], item[3])
            elif kind is _TIMER:
                node, due = item[1], item[2]
                if node.alive and node.due == due:  # else a stale entry: the deadline moved
                    node.due = None
                    self._fire(node)
            else:
                item[1]()
                if item[2] is None:  # any endpoint may have been touched
                    for node in list(self._nodes.values()):
                        if node.alive:
                            self._collect_node(node)
        return self.trace

    # -- inside: calls, timers, collection --------------------------------------------------

    def _call(self, name: str, method: str, args: tuple[Any, ...]) -> None:
        node = self._nodes.get(name)
        if node is None or not node.alive:
            raise SimulationError(f"at t={self.now}: no endpoint {name!r} to {method}")
        ep, before = node.ep, node.ep.state
        try:
            fn = getattr(ep, method)
            fn(*args) if method in _NO_NOW else fn(*args, now=self.now)
        except CallError as exc:
            self._event(name, "error", str(exc))
        if isinstance(ep, Listener):  # a listener keeps no history: record its call here
            self._event(name, "call", method)
            self._state(name, before, ep.state, None, method)
        self._collect_node(node)

    def _refresh(self, node: _Node) -> None:
        """Queue the endpoint's next deadline (entries it no longer has are skipped later)."""
        due = node.ep.next_deadline()
        if due != node.due:
            node.due = due
            if due is not None:
                self.clock.schedule(max(due, self.now), (_TIMER, node, due))

    def _fire(self, node: _Node) -> None:
        ep = node.ep
        if isinstance(ep, Listener):
            for child in ep.handle_timer(self.now):
                self._collect(self._child(node, child))
        else:
            ep.handle_timer(self.now)
            self._collect(self._conns[id(ep)])
        self._refresh(node)

    def _collect_node(self, node: _Node) -> None:
        if isinstance(node.ep, Listener):
            for child in node.ep.connections():
                self._collect(self._child(node, child))
        else:
            self._collect(self._conns[id(node.ep)])
        self._refresh(node)

    def _child(self, node: _Node, child: Connection) -> _Conn:
        """The network's record of a listener's child, made on first sight."""
        info = self._conns.get(id(child))
        if info is None:
            base = f"{node.name}[{address(child.remote_ip, child.remote_port or 0)}]"
            name, k = base, 2
            while name in self.trace.endpoints:
                name, k = f"{base}#{k}", k + 1
            info = self._conns[id(child)] = _Conn(child, name, node, True)
            info.seen = 1  # its passive OPEN is the listener's doing, not a user call
            self.trace.endpoints[name] = info.addr
            self.trace.parent[name] = node.name
            self.trace.timelines[name] = [(self.now, State.LISTEN)]
        return info

    def _collect(self, info: _Conn) -> None:
        """Record what a connection did, then send what it has to send."""
        conn = info.conn
        events = conn.pop_events()
        if self.record and info.traced:
            history = conn.history
            for step in history[info.seen :]:
                kind = step.trigger.kind
                if kind != "segment":
                    kind = "call" if kind == "user" else "timer"
                    self._event(info.name, kind, str(step.trigger), trigger=step.trigger)
            info.seen = len(history)
            for e in events:
                self._signal(info.name, e)
        segs = conn.pop_segments()
        if segs and (info.node is None or info.node.alive):
            src = (conn.local_ip, conn.local_port)
            for seg in segs:
                self._send(info, seg, src, (conn.remote_ip, seg.dst_port))

    def _signal(self, name: str, e: ev.Event) -> None:
        """A connection's event, as a trace event (and a timeline entry for a state change)."""
        if isinstance(e, ev.StateChanged):
            self._state(name, e.old, e.new, e.trigger)
        elif isinstance(e, ev.DataReceived):
            self._event(name, "signal", f"data received ({len(e.data)} bytes)")
        elif isinstance(e, ev.TimedOut):
            self._event(name, "signal", f"timed out: {e.reason}")
        else:
            self._event(name, "signal", _SIGNAL_TEXT[type(e)])

    def _state(
        self, name: str, old: State, new: State, trigger: Trigger | None, cause: str = ""
    ) -> None:
        if new is not old and self.record:
            self.trace.timelines[name].append((self.now, new))
            self._event(name, "state", str(new), old=old, new=new, trigger=trigger, cause=cause)

    def _crash(self, name: str) -> None:
        node = self._nodes[name]
        node.alive = False
        del self._by_addr[node.ip, node.port]
        self._event(name, "crash", "crash: all connection state lost")
        conns = node.ep.connections() if isinstance(node.ep, Listener) else [node.ep]
        for conn in conns:
            info = self._conns.get(id(conn))
            if info is not None and conn.state is not State.CLOSED and self.record:
                self.trace.timelines[info.name].append((self.now, State.CLOSED))

    # -- inside: segments ----------------------------------------------------------------------

    def _send(self, info: _Conn | None, seg: Segment, src: Addr, dst: Addr, note: str = "") -> None:
        """A segment enters the network: scripted faults, outages, then the link's dice."""
        t, node = self.clock.now, info.node if info is not None else None
        nth = 0
        if node is not None:
            node.sent += 1
            nth = node.sent
        text = self._addresses.get  # "ip:port", formatted once per address by _address()
        rec = SegmentRecord(
            0, t, text(src) or self._address(src), text(dst) or self._address(dst), seg, note=note
        )
        if info is not None:
            rec.sender = info.name if info.traced else None
            rec.src_state = info.conn.state
        sender = node.name if node is not None else None
        extra = 0.0
        for fault in self._faults or ():
            if fault.count != 0 and fault.match(sender, nth, seg, t):
                if fault.count is not None:
                    fault.count -= 1
                if fault.extra is None:
                    return self._lose(rec, src, dst, fault.reason)
                extra += fault.extra
                rec.note = rec.note or fault.reason
        reason = self._cut(src[0], dst[0], t) if self._outages else ""
        if reason:
            return self._lose(rec, src, dst, reason)
        link = self._links.get((src[0], dst[0]), self.default_link) if self._links else None
        link = link or self.default_link
        rng = self.rng
        copies = [rec]
        if link.duplicate and rng.random() < link.duplicate:
            dup = SegmentRecord(0, t, rec.src, rec.dst, seg, rec.sender, note="duplicate")
            dup.src_state = rec.src_state
            copies.append(dup)
        for r in copies:
            if link.loss and rng.random() < link.loss:
                self._lose(r, src, dst, "loss")
                continue
            delay = link.delay + extra
            if link.jitter:
                delay += rng.uniform(0.0, link.jitter)
            if link.reorder and rng.random() < link.reorder:
                delay += 2 * link.delay if link.reorder_delay is None else link.reorder_delay
            self._put(r)
            self.clock.schedule(round(t + delay, 9), (_DELIVER, r, src, dst))
        return None

    def _put(self, rec: SegmentRecord) -> None:
        rec.order = self.clock.tick()
        if self.record:
            self.trace.records.append(rec)

    def _lose(self, rec: SegmentRecord, src: Addr, dst: Addr, reason: str) -> None:
        if rec.order == 0:
            self._put(rec)
        rec.dropped, rec.reason, rec.arrival = True, reason, self.now
        node = self._by_addr.get(dst)
        if node is not None:  # the state of whatever would have received it
            ep = node.ep
            if isinstance(ep, Listener):
                child = ep.children.get(src)
                rec.dst_state = child.state if child is not None else ep.state
            elif ep.remote_ip == src[0]:
                rec.dst_state = ep.state

    def _deliver(self, rec: SegmentRecord, src: Addr, dst: Addr) -> None:
        now = self.clock.now
        reason = self._cut(src[0], dst[0], now) if self._outages else ""
        if reason:
            return self._lose(rec, src, dst, reason)
        rec.arrival, seg = now, rec.segment
        node = self._by_addr.get(dst)
        if node is not None and isinstance(node.ep, Listener):
            return self._deliver_to_listener(node, node.ep, rec, src)
        ep = node.ep if node is not None else None
        if (
            node is not None
            and ep is not None
            and ep.remote_ip == src[0]
            and ep.remote_port in (None, seg.src_port)
        ):
            ep.receive(seg, now)
            self.receives += 1
            rec.receiver, rec.dst_state = node.name, ep.state
            self._collect(self._conns[id(ep)])
            self._refresh(node)
            return None
        # No connection for it: RFC 9293 3.10.7.1, answered as a connection in CLOSED would.
        closed = Connection(dst[1], profile=self.profile, local_ip=dst[0], remote_ip=src[0])
        closed.receive(seg, self.now)
        self.receives += 1
        rec.dst_state = State.CLOSED
        self._collect(_Conn(closed, "", None, False))
        return None

    def _deliver_to_listener(
        self, node: _Node, lst: Listener, rec: SegmentRecord, src: Addr
    ) -> None:
        conn = lst.receive(rec.segment, self.now, src[0])
        for drop in lst.pop_events():  # the backlog was full: the SYN is dropped on arrival
            rec.dropped, rec.reason = True, drop.reason
            self._event(node.name, "drop", drop.reason)
        rec.dst_state = State.LISTEN
        if conn is not None:
            self.receives += 1
            rec.dst_state = conn.state
            if lst.children.get((src[0], rec.segment.src_port)) is conn:
                info = self._child(node, conn)
                rec.receiver = info.name
                self._collect(info)
            else:  # a throw-away connection answered for the socket
                self._collect(_Conn(conn, node.name, node, False))
        self._refresh(node)

    # -- inside: helpers -----------------------------------------------------------------------

    def _outage(
        self,
        reason: str,
        a: frozenset[str] | None,
        b: frozenset[str] | None,
        start: float,
        end: float | None,
        one_way: bool = False,
    ) -> None:
        self._outages.append(_Outage(reason, a, b, start, _INF if end is None else end, one_way))

    def _cut(self, src_ip: str, dst_ip: str, t: float) -> str:
        """The reason an outage loses a segment from src_ip to dst_ip at t, or ""."""
        for o in self._outages:
            if o.cuts(src_ip, dst_ip, t):
                return o.reason
        return ""

    def _address(self, addr: Addr) -> str:
        """ "ip:port" for (ip, port), formatted once per address (it is asked for every segment)."""
        text = self._addresses.get(addr)
        if text is None:
            text = self._addresses[addr] = address(*addr)
        return text

    def _ip_of(self, name_or_ip: str) -> str:
        node = self._nodes.get(name_or_ip)
        return node.ip if node is not None else self._hosts.get(name_or_ip, name_or_ip)

    def _event(
        self,
        name: str,
        kind: str,
        text: str,
        *,
        old: State | None = None,
        new: State | None = None,
        trigger: Trigger | None = None,
        cause: str = "",
    ) -> None:
        if self.record:
            addr = self.trace.endpoints.get(name, "")
            event = TraceEvent(
                self.clock.tick(), self.now, name, addr, kind, text, {}, old, new, trigger, cause
            )
            self.trace.events.append(event)


_SIGNAL_TEXT: dict[type[ev.Event], str] = {
    ev.Connected: "connected",
    ev.PeerClosed: "peer closed (FIN received)",
    ev.ConnectionReset: "connection reset",
    ev.ConnectionRefused: "connection refused",
    ev.Closed: "closed",
}
