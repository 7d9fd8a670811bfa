"""Infer each endpoint's state from a capture that sees both directions.

A passive observer sees segments, not states. It can still annotate a capture the way the lessons
annotate a simulation, by asking the reference itself: every segment is

1. *sent* by one endpoint. A SYN means its sender did an active OPEN (CLOSED -> SYN-SENT); a FIN
   means its sender called CLOSE, so the sender moves as the table's SHUTDOWN row for its state
   says (ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK); a RST means the sender has let go
   (CLOSED), unless it is a listener or a SYN-SENT endpoint answering a bad ACK (RFC 9293
   3.10.7.2, 3.10.7.3), which keeps its state;
2. *received* by the other, whose next state is what :func:`tcpcore.protocol.rules.classify` and
   :func:`tcpcore.protocol.table.lookup` say, given a TCB rebuilt from what that endpoint has been
   seen to send and receive.

**Connections, not addresses.** The observer keeps one pair of endpoints per connection (the
two "ip:port" names of its 4-tuple), so a server port with two clients at once has two
independent states; a new SYN on the ports of a connection that is closed or in TIME-WAIT starts
a new incarnation of it.

**When did the receiver receive?** A capture point sits somewhere on the path: a segment that
passes it has not yet reached its receiver, and the order in which segments pass the capture point
is not the order in which each endpoint handled them. The receiver's *own* next segment tells:
its ACK field says what it had received when it sent it. So the observer looks ahead (see
:func:`observe_stream`): when the receiver's next segment does not acknowledge a SYN, FIN or data
that the capture already showed travelling towards it (two FINs crossing in a simultaneous close,
two SYNs in a simultaneous open), that segment reached the receiver only after the receiver had
sent its own; it is delivered then, and each endpoint passes through the states the table allows,
one row at a time (:attr:`Observation.transitions`). The receiver's reply also tells who it is: a
bare SYN means it opened actively too, a RST means nobody listened.

Where the capture cannot tell, it says so instead of guessing: an endpoint whose state is unknown
is reported as None (``null`` in JSON), e.g. both endpoints of a capture that starts
mid-connection, until a SYN or a RST settles them; and a segment that starts beyond what its
receiver has been seen to receive gets a note that a segment was not captured (or was reordered).
TIME-WAIT is reported until the next segment of the connection: the observer does not know the
endpoint's 2MSL.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from ..protocol.rules import classify
from ..protocol.states import State
from ..protocol.table import Action, TransitionError, Trigger, lookup, rows
from ..protocol.tcb import TCB
from ..wire.flags import Flags
from ..wire.segment import Segment
from ..wire.seq import Seq

__all__ = ["Observation", "Observer", "Transition", "observe_stream", "possible_transition"]

SYN, ACK, RST, FIN = Flags.SYN, Flags.ACK, Flags.RST, Flags.FIN
_OBSERVER_WINDOW = 1 << 30  # the observer cannot see buffers: treat every window as wide open
#: How many segments :func:`observe_stream` may look ahead for a receiver's next segment.
HORIZON = 512

T = TypeVar("T")


@dataclass(frozen=True)
class Transition:
    """One endpoint moving from one state to the next, and why."""

    endpoint: str
    old: State | None
    new: State
    cause: str
    #: the first state of a new incarnation of the connection (a new SYN on the same ports)
    fresh: bool = False


@dataclass
class _Endpoint:
    name: str
    state: State | None = None
    tcb: TCB = field(default_factory=lambda: TCB(rcv_wnd=_OBSERVER_WINDOW))
    passive: bool = False
    synced: bool = False  # our TCB knows this endpoint's ISS
    #: segments that reached this endpoint only after it sent its next segment (see the module
    #: docstring): delivered right after that segment
    late: list[Segment] = field(default_factory=list)


@dataclass
class Observation:
    """The states after one segment, plus a note when the capture leaves a doubt.

    ``states`` names the two endpoints of this segment's connection. ``transitions`` lists every
    state change this segment implied, in order (several when a delayed delivery was settled).
    """

    states: dict[str, str | None]  # the RFC names, for printing (``tcpcore trace``)
    note: str = ""
    trigger: str = ""
    transitions: list[Transition] = field(default_factory=list)
    state_of: dict[str, State | None] = field(default_factory=dict)  # the same, as States


class Observer:
    """Feed segments in capture order with :meth:`observe`; get both endpoints' states back.

    :meth:`observe` alone delivers every segment as it is captured; pass ``reply`` (the
    receiver's next segment of the same connection, which :func:`observe_stream` finds) to let
    the observer tell when the receiver really received it.
    """

    def __init__(self) -> None:
        self._conns: dict[frozenset[str], dict[str, _Endpoint]] = {}
        self._latest: dict[str, _Endpoint] = {}
        self._log: list[Transition] = []

    def state(self, endpoint: str) -> State | None:
        """The state of ``endpoint`` in the connection it was last seen in."""
        e = self._latest.get(endpoint)
        return None if e is None else e.state

    def observe(
        self, src: str, dst: str, seg: Segment, *, reply: Segment | None = None
    ) -> Observation:
        """Account for seg going from src to dst ("ip:port" strings).

        ``reply``: dst's next segment to src, if known. When it shows that dst had not received
        seg when it sent it, seg is delivered to dst only after that reply.
        """
        key = frozenset((src, dst))
        first = key not in self._conns
        ends = self._conns.setdefault(key, {src: _Endpoint(src), dst: _Endpoint(dst)})
        tx, rx = ends[src], ends[dst]
        self._latest[src], self._latest[dst] = tx, rx
        self._log = []
        note = ""
        f = seg.flags
        late = reply is not None and _unreceived(seg, reply)
        if f & SYN and not f & ACK and tx.state in (None, State.CLOSED, State.TIME_WAIT):
            self._new_incarnation(tx, rx, reply)
        if first and not f & SYN:
            note = "capture starts mid-connection: states unknown"
        self._sent(tx, seg)
        if tx.late:
            # tx sent seg before the held segments reached it: they arrive right after it.
            note = "segments crossed: the sender had not yet received the peer's last segment"
            for held in tx.late:
                self._received(tx, held)
            tx.late = []
        trig: Trigger | None = None
        if late:
            rx.late.append(seg)
        else:
            trig, extra = self._received(rx, seg)
            note = note or extra
        return Observation(
            {src: _name(tx.state), dst: _name(rx.state)},
            note,
            "" if trig is None else str(trig),
            self._log,
            {src: tx.state, dst: rx.state},
        )

    def finish(self) -> list[Transition]:
        """Deliver what is still held back at the end of a capture; the transitions it implies."""
        self._log = []
        for ends in self._conns.values():
            for end in ends.values():
                for held in end.late:
                    self._received(end, held)
                end.late = []
        return self._log

    # -- bookkeeping ----------------------------------------------------------------------------

    def _move(self, end: _Endpoint, new: State | None, cause: str, fresh: bool = False) -> None:
        if new is not None and (new is not end.state or fresh):
            self._log.append(Transition(end.name, end.state, new, cause, fresh))
        end.state = new

    def _new_incarnation(self, tx: _Endpoint, rx: _Endpoint, reply: Segment | None) -> None:
        """A SYN on these ports starts a new connection: forget whatever we knew of the old one.

        The receiver's reply tells what it is: a bare SYN (it opened actively too: the SYNs
        crossed), a RST (nobody listens), a plain ACK from TIME-WAIT (it refused the new SYN
        with a challenge ACK and stays), otherwise a listener.
        """
        rflags = Flags(0) if reply is None else reply.flags
        tx.tcb, tx.passive, tx.synced = TCB(rcv_wnd=_OBSERVER_WINDOW), False, False
        if tx.state is None:
            self._move(tx, State.CLOSED, "before its active OPEN", fresh=True)
        elif tx.state is State.TIME_WAIT:  # what was held back belonged to the old connection
            tx.late = []
            self._move(tx, State.CLOSED, "new connection on the same ports", fresh=True)
        if rx.state not in (None, State.CLOSED, State.TIME_WAIT):
            return
        if rx.state is State.TIME_WAIT and rflags & ACK and not rflags & (SYN | RST):
            return
        rx.tcb, rx.synced, rx.late = TCB(rcv_wnd=_OBSERVER_WINDOW), False, []
        if rflags & (SYN | ACK) == SYN:  # its own SYN crossed ours: an active opener
            rx.passive = False
            self._move(rx, State.CLOSED, "new connection on the same ports", fresh=True)
        elif rflags & RST:
            rx.passive = False
            self._move(rx, State.CLOSED, "nobody listens on this port", fresh=True)
        else:
            rx.passive = True
            self._move(rx, State.LISTEN, "a listener (passive OPEN)", fresh=True)

    # -- the sender -----------------------------------------------------------------------------

    def _sent(self, tx: _Endpoint, seg: Segment) -> None:
        f, t = seg.flags, tx.tcb
        seq = Seq(seg.seq)
        if f & RST:
            answering_bad_ack = tx.state in (State.LISTEN, State.SYN_SENT) and not f & ACK
            if not answering_bad_ack:
                self._move(tx, State.CLOSED, "sent RST")
                tx.synced = False
            return
        if f & SYN:
            if tx.state in (None, State.CLOSED) and not f & ACK:
                self._move(tx, State.SYN_SENT, "sent SYN")
            if not tx.synced:
                t.iss, t.snd_una, t.snd_nxt, tx.synced = seq, seq, seq + 1, True
        end = seq + seg.seg_len
        if tx.synced and end > t.snd_nxt:
            t.snd_nxt = end
        if f & FIN:
            fin = seq + (len(seg.payload) + (1 if f & SYN else 0))
            if t.fin_seq is None and tx.state is not None:
                t.fin_seq = fin
                with contextlib.suppress(TransitionError):
                    self._move(tx, lookup(tx.state, Trigger.SHUTDOWN).next, "sent FIN")
            elif t.fin_seq is None:
                t.fin_seq = fin

    # -- the receiver ---------------------------------------------------------------------------

    def _received(self, rx: _Endpoint, seg: Segment) -> tuple[Trigger | None, str]:
        if rx.state is None:
            return None, ""
        t = rx.tcb
        if rx.state.synchronized and not rx.synced:
            return None, "the receiver's initial sequence number was not captured"
        verdict = classify(rx.state, t, seg, passive=rx.passive)
        try:
            row = lookup(rx.state, verdict.trigger)
        except TransitionError:
            rx.state = None
            return verdict.trigger, f"{verdict.trigger} has no row in this state: state unknown"
        note = ""
        if verdict.out_of_order:
            note = "starts beyond what the receiver has seen: a segment was not captured"
        s = verdict.segment
        for action in row.actions:
            if action is Action.RECORD_IRS:
                t.irs, t.rcv_nxt = Seq(s.seq), Seq(s.seq) + 1
            elif action is Action.PROCESS_ACK:
                ack = Seq(s.ack)
                if t.snd_una < ack <= t.snd_nxt:
                    t.snd_una = ack
            elif action is Action.ACCEPT_TEXT and not verdict.out_of_order:
                if s.payload and Seq(s.seq) == t.rcv_nxt:
                    t.rcv_nxt = t.rcv_nxt + len(s.payload)
            elif action is Action.ACCEPT_FIN:
                t.rcv_nxt = t.rcv_nxt + 1
            elif action is Action.RESET_TO_LISTEN:
                rx.tcb, rx.synced = TCB(rcv_wnd=_OBSERVER_WINDOW), False
        if row.next is State.CLOSED:
            rx.synced = False
        self._move(rx, row.next, str(verdict.trigger))
        return verdict.trigger, note


def _unreceived(seg: Segment, reply: Segment) -> bool:
    """Does ``reply`` (the receiver's next segment) show it had not yet received ``seg``?

    Only a segment that occupies sequence space can be acknowledged. A RST says nothing
    about it; a bare SYN means the receiver opened on its own, before our SYN reached it.
    """
    if not seg.seg_len or reply.flags & RST:
        return False
    if seg.flags & SYN and reply.flags & SYN and not reply.flags & ACK:
        return True
    if not reply.flags & ACK:
        return False
    return Seq(reply.ack) < Seq(seg.seq) + seg.seg_len


def observe_stream(
    items: Iterable[T],
    segment_of: Callable[[T], tuple[str, str, Segment] | None],
    *,
    horizon: int = HORIZON,
    observer: Observer | None = None,
) -> Iterator[tuple[T, Observation | None]]:
    """Observe a capture in order, looking ahead for each receiver's next segment.

    ``segment_of`` gives (src, dst, segment) for an item that is a TCP segment, None for anything
    else (those are yielded with None). Items come out in the order they went in, each as soon
    as its receiver's next segment is known or ``horizon`` items lie ahead of it, so memory stays
    bounded and a reader of the first lines does not wait for the end of a large capture.
    """
    obs = observer or Observer()
    buf: deque[tuple[int, T, tuple[str, str, Segment] | None]] = deque()
    # For each (connection, sender): the indices of its segments in the buffer, in order.
    ahead: dict[tuple[frozenset[str], str], deque[int]] = {}
    it = iter(items)
    counter = 0
    exhausted = False

    def pull() -> bool:
        nonlocal counter, exhausted
        try:
            item = next(it)
        except StopIteration:
            exhausted = True
            return False
        tcp = segment_of(item)
        buf.append((counter, item, tcp))
        if tcp is not None:
            ahead.setdefault((frozenset(tcp[:2]), tcp[0]), deque()).append(counter)
        counter += 1
        return True

    while True:
        if not buf and not pull():
            break
        index, item, tcp = buf[0]
        if tcp is None:
            buf.popleft()
            yield item, None
            continue
        src, dst, seg = tcp
        key = frozenset((src, dst))
        mine, theirs = ahead[(key, src)], ahead.setdefault((key, dst), deque())
        while not theirs and len(buf) <= horizon and not exhausted and pull():
            pass
        reply = None
        if theirs:
            _, _, found = buf[theirs[0] - index]
            assert found is not None
            reply = found[2]
        buf.popleft()
        mine.popleft()
        yield item, obs.observe(src, dst, seg, reply=reply)
    obs.finish()


# -- what the table allows ----------------------------------------------------------------------


def _reachable() -> set[tuple[State, State]]:
    pairs = set()
    for state, _, row in rows():
        for r in (row, *(alt for _, alt in row.variants)):
            if r.next is not None:
                pairs.add((state, r.next))
    # Sending: the observer moves a sender by its SYN, FIN or RST (see _sent).
    pairs |= {(State.CLOSED, State.SYN_SENT)}
    pairs |= {(s, State.CLOSED) for s in State}
    return pairs


_REACHABLE: set[tuple[State, State]] | None = None


def possible_transition(old: State | None, new: State, *, fresh: bool = False) -> bool:
    """Can an endpoint go from ``old`` to ``new`` by one row of the table (or a send)?

    An unknown old state, and the first state of a new incarnation, are always possible.
    """
    global _REACHABLE
    if old is None or fresh or old is new:
        return True
    if _REACHABLE is None:
        _REACHABLE = _reachable()
    return (old, new) in _REACHABLE


def _name(state: State | None) -> str | None:
    return None if state is None else str(state)
