"""Infer each endpoint's state from a capture that sees both directions.

A passive observer sees segments, not states. It can still annotate a capture the way the lessons
annotate a simulation, by asking the reference itself: every segment is

1. *sent* by one endpoint. A SYN means its sender did an active OPEN (CLOSED -> SYN-SENT); a FIN
   means its sender called CLOSE, so the sender moves as the table's SHUTDOWN row for its state
   says (ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK); a RST means the sender has let go
   (CLOSED), unless it is a listener or a SYN-SENT endpoint answering a bad ACK (RFC 9293
   3.10.7.2, 3.10.7.3), which keeps its state;
2. *received* by the other, whose next state is what :func:`tcpcore.rules.classify` and
   :func:`tcpcore.table.lookup` say, given a TCB rebuilt from what that endpoint has been seen to
   send and receive.

The observer assumes each segment reached its receiver (the capture point sits on the path) as
soon as it was captured. When the receiver's next segment shows otherwise (its ACK does not cover
a SYN, FIN or data that the observer had already delivered to it, as when two FINs cross in a
simultaneous close), the observer rewinds that endpoint to before the delivery, applies the send,
and delivers again: the states reported from then on are right, and the note says so.
Where the capture cannot tell, it says so instead of guessing: an endpoint whose state is unknown
is reported as None (``null`` in JSON), e.g. both endpoints of a capture that starts
mid-connection, until a SYN or a RST settles them; and a segment that starts beyond what its
receiver has been seen to receive gets a note that a segment was not captured (or was reordered).
TIME-WAIT is reported until the next segment of the connection: the observer does not know the
endpoint's 2MSL.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace

from .flags import Flags
from .rules import TCB, classify
from .segment import Segment
from .seq import Seq
from .states import State
from .table import Action, TransitionError, Trigger, lookup

SYN, ACK, RST, FIN = Flags.SYN, Flags.ACK, Flags.RST, Flags.FIN
_OBSERVER_WINDOW = 1 << 30  # the observer cannot see buffers: treat every window as wide open


@dataclass
class _Endpoint:
    state: State | None = None
    tcb: TCB = field(default_factory=lambda: TCB(rcv_wnd=_OBSERVER_WINDOW))
    passive: bool = False
    synced: bool = False  # our TCB knows this endpoint's ISS
    # Segments delivered here since this endpoint last sent, with its state before each.
    since_send: list[tuple[Segment, _Endpoint]] = field(default_factory=list)

    def snapshot(self) -> _Endpoint:
        return _Endpoint(self.state, replace(self.tcb), self.passive, self.synced, [])

    def restore(self, snap: _Endpoint) -> None:
        self.state, self.tcb = snap.state, replace(snap.tcb)
        self.passive, self.synced = snap.passive, snap.synced


@dataclass
class Observation:
    """The states after one segment, plus a note when the capture leaves a doubt."""

    states: dict[str, str | None]
    note: str = ""
    trigger: str = ""


class Observer:
    """Feed segments in capture order with :meth:`observe`; get both endpoints' states back."""

    def __init__(self) -> None:
        self._ends: dict[str, _Endpoint] = {}
        self._seen_pairs: set[frozenset[str]] = set()

    def state(self, endpoint: str) -> State | None:
        e = self._ends.get(endpoint)
        return None if e is None else e.state

    def observe(self, src: str, dst: str, seg: Segment) -> Observation:
        """Account for seg going from src to dst ("ip:port" strings)."""
        pair = frozenset((src, dst))
        first = pair not in self._seen_pairs
        self._seen_pairs.add(pair)
        tx = self._ends.setdefault(src, _Endpoint())
        rx = self._ends.setdefault(dst, _Endpoint())
        f = seg.flags
        if f & SYN and not f & ACK and tx.state in (None, State.CLOSED, State.TIME_WAIT):
            # A new connection on these ports: forget whatever we knew of the old one.
            tx.__init__()  # type: ignore[misc]
            if rx.state in (None, State.CLOSED, State.TIME_WAIT):
                rx.__init__()  # type: ignore[misc]
                rx.state, rx.passive = State.LISTEN, True
        note = ""
        if first and not f & SYN:
            note = "capture starts mid-connection: states unknown"
        redo = self._crossed(tx, seg)
        if redo:
            note = "segments crossed: the sender had not yet received the peer's last segment"
        self._sent(tx, rx, seg)
        tx.since_send.clear()
        for held in redo:
            snap = tx.snapshot()
            self._received(tx, held)
            tx.since_send.append((held, snap))
        snap = rx.snapshot()
        trig, extra = self._received(rx, seg)
        rx.since_send.append((seg, snap))
        note = note or extra
        return Observation(
            {src: _name(tx.state), dst: _name(rx.state)}, note, "" if trig is None else str(trig)
        )

    def _crossed(self, tx: _Endpoint, seg: Segment) -> list[Segment]:
        """Segments delivered to tx that its own new segment shows it had not yet received.

        If seg's ACK does not cover a delivered segment that occupies sequence space, tx sent seg
        before that segment arrived: rewind tx to before it and return what must be redelivered.
        """
        if not seg.flags & ACK or seg.flags & RST:
            return []
        ack = Seq(seg.ack)
        for i, (held, snap) in enumerate(tx.since_send):
            if held.seg_len and Seq(held.seq) + held.seg_len > ack:
                redo = [h for h, _ in tx.since_send[i:]]
                tx.restore(snap)
                tx.since_send.clear()
                return redo
        return []

    # -- the sender -----------------------------------------------------------------------------

    def _sent(self, tx: _Endpoint, rx: _Endpoint, seg: Segment) -> None:
        f, t = seg.flags, tx.tcb
        seq = Seq(seg.seq)
        if f & RST:
            answering_bad_ack = tx.state in (State.LISTEN, State.SYN_SENT) and not f & ACK
            if not answering_bad_ack:
                tx.state, tx.synced = State.CLOSED, False
            return
        if f & SYN:
            if tx.state in (None, State.CLOSED) and not f & ACK:
                tx.state = State.SYN_SENT
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
                    tx.state = lookup(tx.state, Trigger.SHUTDOWN).next
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
        rx.state = row.next
        return verdict.trigger, note


def _name(state: State | None) -> str | None:
    return None if state is None else str(state)
