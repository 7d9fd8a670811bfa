"""The answer keys, computed from tcpcore: never written down by hand.

Every expected answer in the course comes from here, and everything here asks tcpcore: the
transition table (:mod:`tcpcore.protocol.table`) for states and replies, the rules beside it
(:mod:`tcpcore.protocol.rules`) for acceptability, :class:`~tcpcore.wire.seq.Seq` for
comparisons, the segment codec and checksum for the header, and
:class:`~tcpcore.protocol.connection.Connection` for timers and traces. If the reference changes,
the course's expectations change with it.

The students' vocabulary is plain data so their code needs nothing but the standard library:
states are the RFC's spellings (``"FIN-WAIT-1"``), events are
:class:`~tcpcore.protocol.table.Trigger` names (``"FIN_ACK_OF_FIN"``), and a reply is the kind of
segment sent (``"SYN+ACK"``, ``"ACK"``, ``"FIN"``, ``"RST"``), ``"retransmit"``, or None.
"""

from __future__ import annotations

from dataclasses import dataclass

from tcpcore.protocol.connection import Connection
from tcpcore.protocol.rules import acceptable
from tcpcore.protocol.states import State
from tcpcore.protocol.table import SWITCHED_ROWS, Action, Row, Trigger, rows
from tcpcore.protocol.tcb import TCB
from tcpcore.wire.checksum import tcp_checksum
from tcpcore.wire.flags import Flags
from tcpcore.wire.segment import Segment
from tcpcore.wire.seq import Seq

S, T, A = State, Trigger, Action


def reply(row: Row) -> str | None:
    """The segment a row sends, or None; an error if a row ever sends two (it would be new)."""
    sends = [w.segment for w in row.wire]
    if len(sends) > 1:
        raise AssertionError(f"row {row} sends {sends}: the course assumes one reply per row")
    return sends[0] if sends else None


def event_text(trigger: Trigger) -> str:
    """The trigger's description from the student's side: "FIN+ACK acknowledging your FIN"."""
    return str(trigger).replace("our ", "your ")


def clause_text(row: Row) -> str:
    """``RFC 9293 3.10.7.4 eighth step``: the row's clause as a citation."""
    clause = row.clause
    for word in ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"):
        clause = (
            clause.replace(f" {word}", f" {word} step", 1)
            if f"{word} step" not in clause
            else clause
        )
    if clause.startswith(("RFC", "Linux")):
        return clause
    return f"RFC 9293 {clause}"


# -- the state machine exercises ---------------------------------------------------------------


@dataclass(frozen=True)
class TableCase:
    """One row to ask about: in ``state``, on ``trigger``, the reference does ``row``."""

    state: State
    trigger: Trigger
    row: Row

    @property
    def expected(self) -> list[str | None]:
        return [self.row.next.value, reply(self.row)]


HANDSHAKE_STATES = (S.CLOSED, S.LISTEN, S.SYN_SENT, S.SYN_RECEIVED)
HANDSHAKE_CALLS = (T.OPEN_ACTIVE, T.OPEN_PASSIVE)
TEARDOWN_STATES = (
    S.ESTABLISHED,
    S.FIN_WAIT_1,
    S.FIN_WAIT_2,
    S.CLOSE_WAIT,
    S.CLOSING,
    S.LAST_ACK,
    S.TIME_WAIT,
)
TEARDOWN_EVENTS = (T.CLOSE, T.FIN, T.FIN_ACK_OF_FIN, T.ACK, T.ACK_OF_FIN, T.TIME_WAIT_TIMEOUT)


def handshake_scope(state: State, trigger: Trigger) -> bool:
    """The handshake exercise: every arriving segment in the four opening states, and OPEN."""
    if state not in HANDSHAKE_STATES or (state, trigger) in SWITCHED_ROWS:
        return False  # a row only a profile switch reaches (FreeBSD's) is not the RFC's
    return trigger.kind == "segment" or (state is S.CLOSED and trigger in HANDSHAKE_CALLS)


def teardown_scope(state: State, trigger: Trigger) -> bool:
    """The teardown exercise: CLOSE, FIN, ACK and the 2MSL timer from ESTABLISHED on."""
    return (
        state in TEARDOWN_STATES
        and trigger in TEARDOWN_EVENTS
        and (state, trigger) not in SWITCHED_ROWS
    )


def table_cases(scope: object, states: tuple[State, ...] | None = None) -> list[TableCase]:
    """The table's rows inside a scope (a predicate), optionally for some states only."""
    out = []
    for state, trigger, row in rows():
        if scope(state, trigger) and (states is None or state in states):  # type: ignore[operator]
            out.append(TableCase(state, trigger, row))
    return out


def events_in(scope: object) -> list[Trigger]:
    """The triggers a scope uses, in table order: the events a student's function must know."""
    seen: dict[Trigger, None] = {}
    for state, trigger, _ in rows():
        if scope(state, trigger):  # type: ignore[operator]
            seen[trigger] = None
    return list(seen)


# -- sequence numbers -------------------------------------------------------------------------


def seq_lt(a: int, b: int) -> bool:
    """RFC 9293 3.4: a < b on the circle (False both ways when they are 2**31 apart)."""
    return Seq(a) < Seq(b)


def ack_acceptable(snd_una: int, seg_ack: int, snd_nxt: int) -> bool:
    """RFC 9293 3.4: an acceptable ACK has SND.UNA < SEG.ACK =< SND.NXT."""
    return Seq(snd_una) < Seq(seg_ack) <= Seq(snd_nxt)


def segment_acceptable(rcv_nxt: int, rcv_wnd: int, seg_seq: int, seg_len: int) -> bool:
    """RFC 9293 Table 6, asked of tcpcore.protocol.rules.acceptable with a segment that long."""
    tcb = TCB(rcv_nxt=Seq(rcv_nxt), rcv_wnd=rcv_wnd)
    seg = Segment(1, 2, seg_seq, 0, Flags.ACK, payload=bytes(seg_len))
    assert seg.seg_len == seg_len
    return acceptable(tcb, seg)


def sequence_space(flags: int, payload_len: int) -> int:
    """SEG.LEN: the payload plus one for SYN and one for FIN (RFC 9293 3.4)."""
    return Segment(1, 2, flags=Flags(flags), payload=bytes(payload_len)).seg_len


# -- the header -------------------------------------------------------------------------------


def flag_names(byte: int) -> str:
    return Flags(byte).names()


def flag_byte(names: str) -> int:
    """Inverse of flag_names: "SYN+ACK" -> 0x12; "none" -> 0."""
    if names == "none":
        return 0
    value = Flags(0)
    for name in names.split("+"):
        value |= Flags[name]
    return int(value)


def header_length(raw: bytes) -> int:
    seg = Segment.decode(raw)
    return len(raw) - len(seg.payload)


def seq_and_ack(raw: bytes) -> list[int]:
    seg = Segment.decode(raw)
    return [seg.seq, seg.ack]


def checksum(raw: bytes, src: str, dst: str) -> int:
    return tcp_checksum(raw, src, dst)


# -- TIME-WAIT --------------------------------------------------------------------------------


def time_wait_ends(entered: float, fin_arrivals: list[float], msl: float) -> float:
    """When a connection that entered TIME-WAIT at ``entered`` may close, asked of a Connection.

    The connection is driven into TIME-WAIT by the ordinary four segments and then receives the
    peer's FIN again at each time in ``fin_arrivals`` (each restarts the 2MSL timer, RFC 9293
    3.10.7.4 eighth step); the answer is its timer's deadline.
    """
    from tcpcore.protocol.profiles import RFC9293

    conn = _time_wait_at(entered, RFC9293.with_(msl=msl, time_wait=2 * msl))
    for t in sorted(fin_arrivals):
        conn.receive(_fin_again(conn), now=t)
        assert conn.state is S.TIME_WAIT
    deadline = conn.next_deadline()
    assert deadline is not None
    return deadline


def _time_wait_at(entered: float, profile: object) -> Connection:
    """A client that enters TIME-WAIT exactly at ``entered``, by the ordinary four segments."""
    from tcpcore.protocol.profiles import Profile

    assert isinstance(profile, Profile)
    c = Connection(40000, 80, profile=profile, iss=1000, name="client")
    c.connect(now=0.0)
    c.pop_segments()
    c.receive(Segment(80, 40000, 5000, 1001, Flags.SYN | Flags.ACK, 65535), now=0.0)
    c.close(now=0.0)
    c.pop_segments()
    c.receive(Segment(80, 40000, 5001, 1002, Flags.ACK, 65535), now=0.0)  # ACK of our FIN
    c.receive(Segment(80, 40000, 5001, 1002, Flags.FIN | Flags.ACK, 65535), now=entered)
    assert c.state is S.TIME_WAIT, c.state
    c.pop_segments()
    return c


def _fin_again(conn: Connection) -> Segment:
    """The peer's FIN retransmitted (its ACK of our last ACK was lost)."""
    t = conn.tcb
    return Segment(80, 40000, (t.rcv_nxt - 1).value, t.snd_nxt.value, Flags.FIN | Flags.ACK, 65535)
