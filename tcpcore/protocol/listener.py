"""A listening socket: one passive endpoint that spawns a connection per remote socket.

RFC 9293 models a passive OPEN as one connection in LISTEN that a SYN moves to SYN-RECEIVED
(3.10.7.2 third). A server socket is more: it keeps listening while each arriving SYN gets a
connection of its own. :class:`Listener` is that socket, built from plain
:class:`~tcpcore.protocol.connection.Connection` s so that every decision is still the table's:

* an arriving segment is demultiplexed by its remote (ip, port) to the child connection for it;
* a SYN from a new remote creates a child, opens it passively (LISTEN) and feeds it the SYN, so
  the child answers with SYN+ACK from SYN-RECEIVED exactly as RFC 9293 3.10.7.2 says;
* any other segment from an unknown remote is handled by a throw-away connection in LISTEN
  (a RST is dropped, an ACK is answered with <SEQ=SEG.ACK><CTL=RST>: 3.10.7.2 first and second);
* the *backlog* bounds the half-open (SYN-RECEIVED) children. When it is full a new SYN is
  dropped without an answer, as Linux does without SYN cookies (the SYN queue of
  ``tcp_max_syn_backlog``; RFC 4987 3 describes the attack that fills it). The drop is reported
  as a :class:`SynDropped` event. With ``syncookies=True`` (Linux's default,
  net.ipv4.tcp_syncookies=1) it is answered instead, statelessly, with a SYN+ACK whose ISN is a
  SYN cookie (RFC 4987 3.6); an ACK that returns a valid cookie + 1 then creates the
  connection directly, as if its SYN had been queued (see :meth:`Listener.cookie`). The same
  backlog bounds the accept queue: once more than ``backlog`` established children wait for
  :meth:`accept`, a new SYN is dropped too (Linux's sk_acceptq_is_full(), whatever
  tcp_syncookies says);
* a child that ends (CLOSED, or back in LISTEN after a RST: 3.10.7.4 second step) is forgotten
  at the next arriving segment, so a child whose SYN+ACK retransmissions ran out frees its place;
* :meth:`accept` hands out established children, oldest first.

Like a connection, the listener is sans-IO: it takes ``now``, and the caller collects each
child's segments (``receive`` and ``handle_timer`` return the connections they touched).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..wire.flags import Flags
from ..wire.options import MSS
from ..wire.segment import Segment
from .connection import Connection
from .profiles import Profile
from .states import State

_GONE = (State.CLOSED, State.LISTEN)
# The MSS values a cookie can carry (its two low bits index this table), as Linux's msstab
# (net/ipv4/syncookies.c) does with its own four values.
COOKIE_MSS = (536, 1300, 1440, 1460)
COOKIE_PERIOD = 64.0  # seconds per tick of the cookie's coarse clock (Linux: about 64 s)


@dataclass(frozen=True, slots=True)
class SynDropped:
    """A SYN from ``remote`` was dropped at ``time`` (``reason``: why)."""

    time: float
    remote: tuple[str, int]
    reason: str


class Listener:
    """A passive endpoint at (local_ip, local_port) with a backlog of half-open connections.

    ``iss`` for the children: an int (every child starts there), a function of the child's
    index (0, 1, 2, ...), or None (RFC 6528 ISNs). ``connection_options`` go to every child
    (``keepalive``, ``user_timeout``, ...). ``syncookies``: answer a SYN that finds the backlog
    full with a SYN cookie instead of dropping it (``cookie_secret`` keys the cookies).
    """

    def __init__(
        self,
        local_port: int,
        local_ip: str = "10.0.0.2",
        *,
        backlog: int = 128,
        profile: str | Profile = "rfc9293",
        iss: int | Callable[[int], int] | None = None,
        name: str = "",
        syncookies: bool = False,
        cookie_secret: bytes = b"tcpcore syncookie secret",
        **connection_options: Any,
    ) -> None:
        if backlog < 1:
            raise ValueError(f"backlog must be at least 1, got {backlog}")
        self.local_port = local_port
        self.local_ip = local_ip
        self.backlog = backlog
        self.profile = profile
        self.iss = iss
        self.name = name
        self.syncookies = syncookies
        self.cookie_secret = cookie_secret
        self.cookies_sent = 0
        self.options = connection_options
        self.state = State.CLOSED
        self.children: dict[tuple[str, int], Connection] = {}
        self._accept_queue: list[Connection] = []
        self._accepted: set[int] = set()
        self._events: list[SynDropped] = []
        self._count = itertools.count()

    # -- user calls --------------------------------------------------------------------------

    def listen(self, now: float) -> None:
        """Start accepting SYNs."""
        self.state = State.LISTEN

    def close(self, now: float) -> None:
        """Stop accepting SYNs; existing children carry on (close them one by one)."""
        self.state = State.CLOSED

    def accept(self) -> Connection | None:
        """The oldest established child not yet accepted, or None."""
        for child in self.children.values():
            if id(child) not in self._accepted and child.state not in (
                State.LISTEN,
                State.SYN_RECEIVED,
                State.CLOSED,
            ):
                self._accepted.add(id(child))
                return child
        return None

    @property
    def half_open(self) -> int:
        """How many children are in SYN-RECEIVED (the SYN queue)."""
        return sum(1 for c in self.children.values() if c.state is State.SYN_RECEIVED)

    @property
    def waiting(self) -> int:
        """How many established children wait for accept() (the accept queue)."""
        return sum(
            1
            for c in self.children.values()
            if c.state not in (State.LISTEN, State.SYN_RECEIVED, State.CLOSED)
            and id(c) not in self._accepted
        )

    def pop_events(self) -> list[SynDropped]:
        out, self._events = self._events, []
        return out

    # -- the network -------------------------------------------------------------------------

    def receive(self, seg: Segment, now: float, remote_ip: str) -> Connection | None:
        """Give ``seg`` from ``remote_ip`` to the connection it is for.

        Returns the connection that processed it (a child, or a throw-away connection that
        answered for the socket), or None when the SYN was dropped (backlog full).
        """
        self._forget_finished()
        key = (remote_ip, seg.src_port)
        child = self.children.get(key)
        if child is not None:
            was = child.state
            child.receive(seg, now)
            if was is State.TIME_WAIT and child.state is State.SYN_RECEIVED:
                self._accepted.discard(id(child))  # reopened (TIME-WAIT reuse): a new connection
            return child
        if self.state is not State.LISTEN:
            return self._answer(seg, now, remote_ip, listening=False)
        f = seg.flags
        if self.syncookies and f & Flags.ACK and not f & (Flags.SYN | Flags.RST | Flags.FIN):
            revived = self._from_cookie(seg, now, remote_ip)
            if revived is not None:
                return revived
        if not (f & Flags.SYN) or f & (Flags.ACK | Flags.RST):
            return self._answer(seg, now, remote_ip, listening=True)
        if self.waiting > self.backlog:  # checked first: cookies do not help a full accept queue
            self._events.append(SynDropped(now, key, f"accept queue full ({self.waiting})"))
            return None
        if self.half_open >= self.backlog and self.syncookies:
            return self._send_cookie(seg, now, remote_ip)
        if self.half_open >= self.backlog:
            self._events.append(SynDropped(now, key, f"listen backlog full ({self.backlog})"))
            return None
        child = self._child(remote_ip, seg.src_port, now)
        self.children[key] = child
        child.receive(seg, now)
        return child

    def next_deadline(self) -> float | None:
        """The earliest timer among the children."""
        deadlines = [d for c in self.children.values() if (d := c.next_deadline()) is not None]
        return min(deadlines) if deadlines else None

    def handle_timer(self, now: float) -> list[Connection]:
        """Fire the children's due timers; returns the children whose timers fired."""
        fired = []
        for child in list(self.children.values()):
            due = child.next_deadline()
            if due is not None and due <= now:
                child.handle_timer(now)
                fired.append(child)
        return fired

    def connections(self) -> list[Connection]:
        """The live children, oldest first."""
        return list(self.children.values())

    # -- inside --------------------------------------------------------------------------------

    def cookie(
        self, remote_ip: str, remote_port: int, client_isn: int, mss: int, now: float
    ) -> int:
        """The SYN cookie for a SYN: a keyed hash of the addresses, the ports, the client's
        ISN, a coarse clock (one tick per COOKIE_PERIOD seconds) and the client's MSS, rounded
        down to one of COOKIE_MSS, whose index also fills the two low bits (RFC 4987 3.6)."""
        index = max((i for i, m in enumerate(COOKIE_MSS) if m <= mss), default=0)
        return self._cookie(remote_ip, remote_port, client_isn, int(now // COOKIE_PERIOD), index)

    def _cookie(self, ip: str, port: int, client_isn: int, tick: int, index: int) -> int:
        text = f"{self.local_ip}:{self.local_port} {ip}:{port} {client_isn} {tick} {index}"
        digest = hashlib.sha256(self.cookie_secret + b"\0" + text.encode()).digest()
        return (int.from_bytes(digest[:4], "big") & ~3 & 0xFFFFFFFF) | index

    def _send_cookie(self, seg: Segment, now: float, remote_ip: str) -> Connection:
        """Answer a SYN with a SYN+ACK from a throw-away connection whose ISS is the cookie:
        the listener keeps nothing, so the SYN+ACK is never retransmitted."""
        mss = next((o.mss for o in seg.options if isinstance(o, MSS)), 536)
        cookie = self.cookie(remote_ip, seg.src_port, seg.seq, mss, now)
        scratch = Connection(
            self.local_port,
            profile=self.profile,
            iss=cookie,
            local_ip=self.local_ip,
            remote_ip=remote_ip,
            **self.options,
        )
        scratch.listen(now)
        scratch.receive(seg, now)
        self.cookies_sent += 1
        return scratch

    def _from_cookie(self, seg: Segment, now: float, remote_ip: str) -> Connection | None:
        """The connection an ACK returning a valid cookie + 1 stands for, or None."""
        cookie = (seg.ack - 1) & 0xFFFFFFFF
        client_isn = (seg.seq - 1) & 0xFFFFFFFF
        tick = int(now // COOKIE_PERIOD)
        index = cookie & 3
        made = {
            self._cookie(remote_ip, seg.src_port, client_isn, t, index) for t in (tick, tick - 1)
        }
        if cookie not in made:
            return None
        # Rebuild the connection as if its SYN had been queued: replay the SYN the cookie
        # encodes (its ISN and MSS) into a fresh child, drop the SYN+ACK that child would send
        # (the cookie's SYN+ACK was sent long ago), then give it the ACK.
        child = self._child(remote_ip, seg.src_port, now, iss=cookie)
        syn = Segment(
            seg.src_port,
            self.local_port,
            client_isn,
            0,
            Flags.SYN,
            seg.window,
            options=(MSS(COOKIE_MSS[index]),),
        )
        child.receive(syn, now)
        child.pop_segments()
        self.children[(remote_ip, seg.src_port)] = child
        child.receive(seg, now)
        # The rebuilt SYN+ACK was "sent" just now, so the ACK would time it at 0 s and set the
        # RTO to its minimum; but the real one left when the cookie was made, at a time the
        # listener kept no note of. No RTT sample, then (RFC 6298 2.1: RTO 1 s until one):
        # otherwise the first FIN or data retransmits after 200 ms where Linux waits
        # (tests/data/linux/listen-overflow-syncookies-1).
        child.forget_rtt()
        return child

    def _child(
        self, remote_ip: str, remote_port: int, now: float, iss: int | None = None
    ) -> Connection:
        n = next(self._count)
        if iss is None:
            iss = self.iss(n) if callable(self.iss) else self.iss
        child = Connection(
            self.local_port,
            remote_port,
            profile=self.profile,
            iss=iss,
            name=f"{self.name}[{remote_ip}:{remote_port}]",
            local_ip=self.local_ip,
            remote_ip=remote_ip,
            **self.options,
        )
        child.listen(now)
        child.pop_events()  # the child's passive OPEN is the listener's, not news for anyone
        return child

    def _answer(self, seg: Segment, now: float, remote_ip: str, *, listening: bool) -> Connection:
        """A throw-away connection applies the LISTEN (or CLOSED) rules to a stray segment."""
        scratch = Connection(
            self.local_port, profile=self.profile, local_ip=self.local_ip, remote_ip=remote_ip
        )
        if listening:
            scratch.listen(now)
        scratch.receive(seg, now)
        return scratch

    def _forget_finished(self) -> None:
        for key in [k for k, c in self.children.items() if c.state in _GONE]:
            child = self.children.pop(key)
            self._accepted.discard(id(child))
