"""Generated traces: two reference endpoints talking over a scripted link.

The grader checks a student's state machine not only row by row but along whole conversations, as
they happen: a lost SYN+ACK, crossing SYNs, a last ACK that never arrives. Each scenario here runs
two :class:`~tcpcore.protocol.connection.Connection` objects over a link with a fixed delay and
scripted drops ("drop the 1st segment B sends"), on a virtual clock. Each endpoint's ``history``
then holds every row applied, with the state, the trigger and the segment: the reference's side of
the trace.

Scenarios take a seed: it picks the initial sequence numbers, and in the lossy scenarios which
segment is lost, so that each student's hidden traces differ (the states do not depend on the
ISNs, but the segments in the feedback do).

The wire is tcpcore's own :class:`~tcpcore.sim.network.Network` (the simulator the lessons
use), seen through :class:`Link`, which keeps the grader's vocabulary: two endpoints, scripted
drops, a log.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from tcpcore.protocol.connection import Connection, Step
from tcpcore.protocol.profiles import RFC9293, Profile
from tcpcore.sim.network import Link as Path
from tcpcore.sim.network import Network
from tcpcore.wire.flags import Flags
from tcpcore.wire.segment import Segment

# Short timers keep the virtual runs small; the states are the same as with the RFC's values.
PROFILE: Profile = RFC9293.with_(msl=2.0, time_wait=4.0)
DELAY = 0.1


@dataclass
class Sent:
    time: float
    sender: str
    segment: Segment
    dropped: bool


class Link:
    """Two endpoints on a :class:`~tcpcore.sim.network.Network` with a one-way delay and the
    segments to drop: {(sender name, n-th)}, counted from 1 as ``Network.drop_nth`` counts."""

    def __init__(
        self,
        a: Connection,
        b: Connection,
        drops: set[tuple[str, int]] | None = None,
        delay: float = DELAY,
    ) -> None:
        self.a, self.b = a, b
        self.net = Network(seed=0, link=Path(delay=delay))
        self.net.add(a.name, a)
        self.net.add(b.name, b)
        for sender, nth in sorted(drops or ()):
            self.net.drop_nth(sender, nth)

    @property
    def now(self) -> float:
        return self.net.now

    def call(self, conn: Connection, method: str) -> None:
        """``conn.method(now=...)`` at the current time, on the next :meth:`run`."""
        self.net.at(self.now, conn.name, method)

    def run(self, until: float) -> None:
        """Deliver segments and fire timers in time order up to ``until``."""
        self.net.run(until=until)

    @property
    def log(self) -> list[Sent]:
        """Every segment the two endpoints sent, in order, lost ones marked."""
        return [
            Sent(r.sent, r.sender, r.segment, r.dropped)
            for r in self.net.trace.records
            if r.sender is not None
        ]

    def last_from(self, conn: Connection, flag: Flags) -> Segment | None:
        for sent in reversed(self.log):
            if sent.sender == conn.name and sent.segment.flags & flag:
                return sent.segment
        return None


@dataclass
class Trace:
    """A finished scenario: both endpoints' histories and every segment sent."""

    name: str
    description: str
    a: Connection
    b: Connection
    log: list[Sent]

    def endpoints(self) -> list[tuple[str, list[Step]]]:
        return [(self.a.name, self.a.history), (self.b.name, self.b.history)]


def _pair(seed: int) -> tuple[Connection, Connection]:
    rng = random.Random(seed)
    a = Connection(40000, 80, profile=PROFILE, iss=rng.getrandbits(32), name="A")
    b = Connection(
        80, 40000, PROFILE, rng.getrandbits(32), "B", local_ip=a.remote_ip, remote_ip=a.local_ip
    )
    return a, b


def _open(link: Link, simultaneous: bool = False) -> None:
    if simultaneous:
        link.call(link.a, "connect")
        link.call(link.b, "connect")
    else:
        link.call(link.b, "listen")
        link.call(link.a, "connect")
    link.run(until=link.now + 10)


def open_normal(seed: int) -> Trace:
    a, b = _pair(seed)
    link = Link(a, b)
    _open(link)
    return Trace("open", "A connects to B, which listens", a, b, link.log)


def open_simultaneous(seed: int) -> Trace:
    a, b = _pair(seed)
    link = Link(a, b)
    _open(link, simultaneous=True)
    return Trace("simultaneous open", "A and B both connect; their SYNs cross", a, b, link.log)


def open_refused(seed: int) -> Trace:
    a, b = _pair(seed)
    link = Link(a, b)
    link.call(a, "connect")
    link.run(until=5)
    return Trace("refused", "A connects to B, which is not listening", a, b, link.log)


def open_lost_synack(seed: int) -> Trace:
    a, b = _pair(seed)
    link = Link(a, b, drops={("B", 1)})
    _open(link)
    return Trace("lost SYN+ACK", "B's first SYN+ACK is lost", a, b, link.log)


def _established(seed: int, drops: set[tuple[str, int]]) -> Link:
    a, b = _pair(seed)
    link = Link(a, b, drops=drops)
    _open(link)
    return link


def close_active(seed: int) -> Trace:
    link = _established(seed, set())
    link.call(link.a, "close")
    link.run(until=link.now + 1)
    link.call(link.b, "close")
    link.run(until=link.now + 20)
    return Trace("active close", "A closes, later B closes", link.a, link.b, link.log)


def close_simultaneous(seed: int) -> Trace:
    link = _established(seed, set())
    link.call(link.a, "close")
    link.call(link.b, "close")
    link.run(until=link.now + 20)
    return Trace("simultaneous close", "A and B close at once", link.a, link.b, link.log)


def close_fin_ack(seed: int) -> Trace:
    """B's ACK of A's FIN is lost and B closes: its FIN is the first to acknowledge A's FIN."""
    link = _established(seed, {("B", 2)})
    link.call(link.a, "close")
    link.run(until=link.now + DELAY * 1.5)
    link.call(link.b, "close")
    link.run(until=link.now + 20)
    return Trace("FIN+ACK", "B's ACK of A's FIN is lost, then B closes", *_ends(link))


def close_lost_last_ack(seed: int) -> Trace:
    # A sends SYN, ACK (handshake), FIN, ACK of B's FIN: the 4th is the last ACK.
    link = _established(seed, {("A", 4)})
    link.call(link.a, "close")
    link.run(until=link.now + 1)
    link.call(link.b, "close")
    link.run(until=link.now + 20)
    return Trace("lost last ACK", "A's last ACK is lost; B sends its FIN again", *_ends(link))


def close_random_loss(seed: int) -> Trace:
    """One of the segments after the handshake is lost; the seed says which."""
    rng = random.Random(seed ^ 0x5EED)
    who, nth = rng.choice([("A", 3), ("A", 4), ("B", 2), ("B", 3)])
    link = _established(seed, {(who, nth)})
    link.call(link.a, "close")
    link.run(until=link.now + 1)
    link.call(link.b, "close")
    link.run(until=link.now + 30)
    text = f"the {_ordinal(nth)} segment {who} sends is lost"
    return Trace("lossy close", text, *_ends(link))


def _ends(link: Link) -> tuple[Connection, Connection, list[Sent]]:
    return link.a, link.b, link.log


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


Scenario = Callable[[int], Trace]
HANDSHAKE_TRACES: tuple[Scenario, ...] = (
    open_normal,
    open_simultaneous,
    open_refused,
    open_lost_synack,
)
TEARDOWN_TRACES: tuple[Scenario, ...] = (
    close_active,
    close_simultaneous,
    close_fin_ack,
    close_lost_last_ack,
    close_random_loss,
)
