"""The course's graded cells: for each grade_id, what to ask and the reference's answers.

Every test cell of every assignment in ``course/source`` has one :class:`~autograder.compare.Check`
in :data:`CHECKS`, with the same grade_id and points (a test keeps the two in step). The cases are
made here from :mod:`autograder.keys`, which asks tcpcore; the ones marked ``personal`` are drawn
from the student's seed: header segments, sequence numbers, generated traces, the interview's
scenario.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Sequence
from typing import Any

from tcpcore.protocol.states import State
from tcpcore.protocol.table import Trigger
from tcpcore.wire.flags import Flags
from tcpcore.wire.options import MSS, Nop, SackPermitted, Timestamps, WindowScale
from tcpcore.wire.segment import Segment

from . import keys, traces
from .compare import Case, Check, Outcome, _goes, seed_for

__all__ = ["CHECKS", "Case", "Check", "Outcome", "for_assignment", "seed_for"]


# -- the cases, from the keys -----------------------------------------------------------------


def _table_cases(scope: Callable[[State, Trigger], bool], states: tuple[State, ...]) -> list[Case]:
    """The table's rows in a scope; each case's stratum is its state, so that answers which ignore
    the event (one per state, such as ``return (state, None)``) earn nothing (compare.skill)."""
    out = []
    for tc in keys.table_cases(scope, states):
        row = tc.row
        note = f" ({row.note})" if row.note else ""
        out.append(
            Case(
                key=f"{tc.state} / {tc.trigger.name}",
                label=f"in {tc.state}, on {keys.event_text(tc.trigger)} ({tc.trigger.name})",
                args=(tc.state.value, tc.trigger.name),
                expected=tc.expected,
                reference=f"the reference {_goes(row, tc.state)}, {keys.clause_text(row)}{note}",
                stratum=tc.state.value,
            )
        )
    return out


def _fn_cases(
    name: str,
    fn: Callable[..., Any],
    argsets: Sequence[tuple[Any, ...]],
    clause: str,
    stratum: Callable[..., str] | None = None,
) -> list[Case]:
    out = []
    for args in argsets:
        want = fn(*args)
        shown_args = ", ".join(_short(a) for a in args)
        out.append(
            Case(
                key=f"{name}({shown_args})",
                label=f"for {name}({shown_args})",
                args=args,
                expected=want,
                reference=f"the reference gives {want!r} ({clause})",
                stratum=stratum(*args) if stratum else "",
            )
        )
    return out


def _short(a: Any) -> str:
    if isinstance(a, bytes):
        return f"<{len(a)} bytes {a[:8].hex()}...>" if len(a) > 8 else f"bytes.fromhex({a.hex()!r})"
    return repr(a)


# header

_OPTION_SETS = [
    (),
    (MSS(1460),),
    (MSS(1460), Nop(), WindowScale(7), SackPermitted()),
    (Nop(), Nop(), Timestamps(1, 0)),
    (MSS(536), SackPermitted(), Timestamps(123456, 654321), Nop(), WindowScale(2)),
]


def _segments(seed: int, n: int) -> list[Segment]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        flags = rng.choice([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x19])
        out.append(
            Segment(
                rng.randrange(1, 65536),
                rng.randrange(1, 65536),
                rng.getrandbits(32),
                rng.getrandbits(32) if flags & 0x10 else 0,
                Flags(flags),
                rng.randrange(65536),
                options=_OPTION_SETS[i % len(_OPTION_SETS)],
                payload=bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 7, 40]))),
            )
        )
    return out


def _flag_bytes(seed: int) -> list[tuple[int]]:
    return [(b,) for b in range(256)]


def _flag_names(seed: int) -> list[tuple[str]]:
    return [(Flags(b).names(),) for b in range(256)]


def _raw(seed: int) -> list[tuple[bytes]]:
    return [(s.encode(),) for s in _segments(seed, 20)]


def _checksummed(seed: int) -> list[tuple[bytes, str, str]]:
    """Segments as they arrive, checksum field filled: half with the right checksum, half with
    a corrupted one (the answer is what the sender should have written: the field counts as 0)."""
    rng = random.Random(seed + 1)
    out = []
    for i, s in enumerate(_segments(seed, 20)):
        src = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        dst = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        raw = bytearray(s.encode(src, dst))
        if i % 2:
            raw[16:18] = rng.getrandbits(16).to_bytes(2, "big")
        out.append((bytes(raw), src, dst))
    return out


# sequence numbers

_M = 1 << 32
_H = 1 << 31


def _pairs(seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    fixed = [
        (1, 2),
        (2, 1),
        (7, 7),
        (_M - 1, 0),
        (0, _M - 1),
        (_M - 10, 5),
        (5, _M - 10),
        (0, _H - 1),
        (0, _H),
        (_H, 0),
        (0, _H + 1),
        (100, 100 + _H),
    ]
    # Half the random pairs straddle the wrap (2**32 - 1 -> 0): comparing on the circle is the
    # lesson, so a comparison without it must fail on half the cases, not on a few edge cases.
    rand = []
    for i in range(40):
        a = rng.getrandbits(32) if i % 2 else (_M - rng.randrange(1, 1 << 20)) % _M
        gap = rng.randrange(1, 1 << 20) if i % 2 else (_M - a) + rng.randrange(0, 1 << 20)
        rand.append((a, (a + gap) % _M))
        rand.append(((a + gap) % _M, a))
    return fixed + rand


def _acks(seed: int) -> list[tuple[int, int, int]]:
    rng = random.Random(seed)
    out = []
    # Half the windows [SND.UNA, SND.NXT] straddle the wrap, for the same reason as _pairs.
    bases = [1000, 1 << 20, rng.randrange(_M - 10), rng.randrange(_M - 10)]
    bases += [_M - 1, _M - 3, _M - 5, _M - rng.randrange(1, 6)]
    for base in bases:
        una, nxt = base, (base + 5) % _M
        for d in (-1, 0, 1, 3, 5, 6, _H):
            out.append((una, (base + d) % _M, nxt))
    out.append((7, 7, 7))
    return out


def _windows(seed: int) -> list[tuple[int, int, int, int]]:
    rng = random.Random(seed)
    out = []
    for nxt in (5000, _M - 2, rng.getrandbits(32)):
        for wnd in (0, 1, 100):
            for d in (-2, -1, 0, 1, 50, 99, 100, 101):
                for length in (0, 1, 3):
                    out.append((nxt, wnd, (nxt + d) % _M, length))
    return out


def _table_6_row(rcv_nxt: int, rcv_wnd: int, seg_seq: int, seg_len: int) -> str:
    """Which of Table 6's four rows a case falls in: the answer must depend on SEG.SEQ inside it."""
    return f"SEG.LEN {'0' if seg_len == 0 else '>0'}, RCV.WND {'0' if rcv_wnd == 0 else '>0'}"


def _payload(flags: int, payload_len: int) -> str:
    """The payload length: for a given one, SEG.LEN must depend on the flags (SYN, FIN)."""
    return f"{payload_len} bytes"


def _spaces(seed: int) -> list[tuple[int, int]]:
    return [(f, n) for f in (0x02, 0x12, 0x10, 0x18, 0x11, 0x19, 0x04, 0x03) for n in (0, 1, 100)]


# TIME-WAIT


def _time_waits(seed: int) -> list[tuple[float, list[float], float]]:
    return [
        (10.0, [], 120.0),
        (10.0, [], 30.0),
        (0.5, [1.0], 30.0),
        (3.0, [4.0, 50.0], 30.0),
        (100.0, [101.0, 102.5, 150.0], 60.0),
        (0.0, [], 1.0),
        (7.0, [8.0], 10.0),
        (20.0, [21.0, 30.0], 5.0),
        (2.0, [2.5, 3.0, 3.5, 4.0], 0.5),
        (60.0, [61.0], 120.0),
    ]


# interview: predicted traces


def interview_scenario(seed: int) -> dict[str, Any]:
    """A student's own scenario: ISNs and the lost segment of the teardown, from the seed."""
    rng = random.Random(seed ^ 0x1A7E)
    return {
        "client_isn": rng.getrandbits(32),
        "server_isn": rng.getrandbits(32),
        "lost": rng.choice(["client FIN", "server ACK", "server FIN", "client last ACK"]),
    }


def scenario_prelude(seed: int) -> str:
    """The student's scenario as the notebook's read-only cell defines it in their kernel."""
    return f"SCENARIO = {interview_scenario(seed)!r}"


_LOST = {
    "client FIN": ("A", 3),
    "server ACK": ("B", 2),
    "server FIN": ("B", 3),
    "client last ACK": ("A", 4),
}


def _interview_link(seed: int) -> traces.Link:
    sc = interview_scenario(seed)
    from tcpcore.protocol.connection import Connection

    a = Connection(40000, 80, profile=traces.PROFILE, iss=sc["client_isn"], name="A")
    b = Connection(
        80,
        40000,
        profile=traces.PROFILE,
        iss=sc["server_isn"],
        name="B",
        local_ip=a.remote_ip,
        remote_ip=a.local_ip,
    )
    link = traces.Link(a, b, drops={_LOST[sc["lost"]]})
    link.call(b, "listen")
    link.call(a, "connect")
    link.run(until=5.0)
    link.call(a, "close")
    link.run(until=link.now + 1)
    link.call(b, "close")
    link.run(until=link.now + 30)
    return link


def expected_handshake_segments(seed: int) -> list[list[Any]]:
    """[flags, seq, ack] of the three handshake segments (ack 0 on the first SYN)."""
    link = _interview_link(seed)
    return [[s.segment.flags.names(), s.segment.seq, s.segment.ack] for s in link.log[:3]]


def expected_client_states(seed: int) -> list[str]:
    """Every state the client enters during its scenario, in order, from CLOSED on."""
    link = _interview_link(seed)
    states = [State.CLOSED.value]
    for step in link.a.history:
        if step.row.next is not step.state:
            states.append(step.row.next.value)
    return states


def handshake_segment_reasons(seed: int) -> list[str]:
    """Why each handshake segment is what it is, with its clause (for the feedback)."""
    return [
        "the client's SYN carries its ISN and no ACK, RFC 9293 3.5, Figure 6",
        "the SYN+ACK carries the server's ISN and acknowledges the client's ISN + 1: a SYN "
        "takes one sequence number, RFC 9293 3.4 and 3.5",
        "the client's ACK is sent at its ISN + 1 and acknowledges the server's ISN + 1, "
        "RFC 9293 3.5, Figure 6",
    ]


def client_state_reasons(seed: int) -> list[str]:
    """Why the client enters each state of its scenario: the event and the row's clause."""
    reasons = ["a connection that does not exist yet is CLOSED, RFC 9293 3.3.2"]
    for step in _interview_link(seed).a.history:
        if step.row.next is not step.state:
            reasons.append(
                f"in {step.state}, {keys.event_text(step.trigger)} ({step.trigger.name}) leads "
                f"to {step.row.next}, {keys.clause_text(step.row)}"
            )
    return reasons


# -- the registry ---------------------------------------------------------------------------------

CHECKS: dict[str, Check] = {}


def _add(check: Check) -> None:
    if check.grade_id in CHECKS:
        raise AssertionError(f"duplicate grade_id {check.grade_id}")
    CHECKS[check.grade_id] = check


def _cases(
    name: str,
    fn: Callable[..., Any],
    args: Callable[[int], Any],
    clause: str,
    stratum: Callable[..., str] | None = None,
) -> Any:
    return lambda seed: _fn_cases(name, fn, args(seed), clause, stratum)


def _state_cases(states: tuple[State, ...]) -> Callable[[int], list[Case]]:
    return lambda seed: _table_cases(keys.handshake_scope, states)


def _every_row(scope: Callable[[State, Trigger], bool]) -> Callable[[int], list[Case]]:
    """A state machine's every row: what compare.informed pools to test that it reads events."""
    return lambda seed: _table_cases(scope, keys.HANDSHAKE_STATES + keys.TEARDOWN_STATES)


# The points: each assignment's central ideas (its "What you'll learn") weigh more than the
# exercises around them, so that the central misconception costs more than an edge case. The
# notebooks' test cells carry the same points (a test keeps them in step) and a "Points" note
# that says the same to the students.

# header (11): where the fields sit, the data offset in 32-bit words, the pseudo-header.
H = "header"
_add(
    Check(
        "header-flag-names",
        H,
        "Flag byte to names",
        2,  # the eight flag bits and their names: reading byte 13
        "flag_names",
        "cases",
        _cases("flag_names", keys.flag_names, _flag_bytes, "RFC 9293 3.1, Control Bits"),
    )
)
_add(
    Check(
        "header-flag-byte",
        H,
        "Names to flag byte",
        1,  # the same bit table read backwards: little new to learn
        "flag_byte",
        "cases",
        _cases("flag_byte", keys.flag_byte, _flag_names, "RFC 9293 3.1, Control Bits"),
    )
)
_add(
    Check(
        "header-length",
        H,
        "Data offset and header length",
        3,  # central: the offset counts 32-bit words, not bytes
        "header_length",
        "cases",
        _cases("header_length", keys.header_length, _raw, "RFC 9293 3.1, Data Offset"),
        personal=True,
    )
)
_add(
    Check(
        "header-seq-ack",
        H,
        "Sequence and acknowledgment numbers",
        2,  # two fields in network byte order
        "seq_and_ack",
        "cases",
        _cases("seq_and_ack", keys.seq_and_ack, _raw, "RFC 9293 3.1"),
        personal=True,
    )
)
_add(
    Check(
        "header-checksum",
        H,
        "Checksum with the pseudo-header",
        3,  # central: the pseudo-header, the field as zero, folding the carries
        "checksum",
        "cases",
        _cases("checksum", keys.checksum, _checksummed, "RFC 9293 3.1, Checksum"),
        personal=True,
    )
)

# sequence (10): comparing on the circle is the assignment; the rest applies it.
Q = "sequence"
_add(
    Check(
        "sequence-compare",
        Q,
        "Modular comparison",
        4,  # central: half its cases cross the wrap, so a plain `a < b` loses all 4
        "seq_lt",
        "cases",
        _cases("seq_lt", keys.seq_lt, _pairs, "RFC 9293 3.4, RFC 1982"),
        personal=True,
    )
)
_add(
    Check(
        "sequence-acceptable-ack",
        Q,
        "The acceptable-ACK test",
        2,  # one application of the comparison, with its two open/closed ends
        "ack_acceptable",
        "cases",
        _cases(
            "ack_acceptable",
            keys.ack_acceptable,
            _acks,
            "RFC 9293 3.4: SND.UNA < SEG.ACK =< SND.NXT",
        ),
        personal=True,
    )
)
_add(
    Check(
        "sequence-table-6",
        Q,
        "Segment acceptability (Table 6)",
        3,  # the four rows: mostly window edges, the comparison again inside each
        "segment_acceptable",
        "cases",
        _cases(
            "segment_acceptable",
            keys.segment_acceptable,
            _windows,
            "RFC 9293 3.4, Table 6",
            _table_6_row,
        ),
        personal=True,
    )
)
_add(
    Check(
        "sequence-space",
        Q,
        "Sequence space of SYN and FIN",
        1,  # one rule (SYN and FIN take a number each), used again in the interview
        "sequence_space",
        "cases",
        _cases("sequence_space", keys.sequence_space, _spaces, "RFC 9293 3.4, SEG.LEN", _payload),
    )
)

# handshake (14): the three-way handshake and simultaneous open first, RST handling second.
D = "handshake"
for gid, title, pts, states in (
    # 4 rows: the two OPENs and the reset a closed port sends.
    ("handshake-closed", "CLOSED", 1, (State.CLOSED,)),
    # 4 rows, the SYN that starts every passive open among them.
    ("handshake-listen", "LISTEN", 2, (State.LISTEN,)),
    # 7 rows: the SYN+ACK that completes the handshake, the crossing SYN, RST and bad ACKs.
    ("handshake-syn-sent", "SYN-SENT", 3, (State.SYN_SENT,)),
    # 14 rows, most of them RST and duplicate-SYN edge cases (RFC 5961): 3, not more.
    ("handshake-syn-received", "SYN-RECEIVED", 3, (State.SYN_RECEIVED,)),
):
    _add(
        Check(
            gid,
            D,
            f"Transitions and replies in {title}",
            pts,
            "handshake",
            "cases",
            _state_cases(states),
            whole=_every_row(keys.handshake_scope),
        )
    )
_add(
    Check(
        "handshake-traces",
        D,
        "Generated handshake traces",
        5,  # central: whole handshakes (normal, simultaneous, refused, lossy), step by step
        "handshake",
        "traces",
        lambda seed: [sc(seed) for sc in traces.HANDSHAKE_TRACES],
        personal=True,
        scope=keys.handshake_scope,
        whole=_every_row(keys.handshake_scope),
    )
)

# teardown (16): the four-way close from both sides weighs most, then simultaneous close and
# TIME-WAIT (its rows and its timer), then whole closes with losses.
W = "teardown"
_F = State
_GROUPS = {
    "teardown-active-close": (
        "Active close",
        3,  # central: FIN-WAIT-1/2, and the FIN that acknowledges your FIN (to TIME-WAIT)
        {
            (_F.ESTABLISHED, Trigger.CLOSE),
            *(
                (_F.FIN_WAIT_1, t)
                for t in (Trigger.CLOSE, Trigger.ACK, Trigger.ACK_OF_FIN, Trigger.FIN_ACK_OF_FIN)
            ),
            *((_F.FIN_WAIT_2, t) for t in keys.TEARDOWN_EVENTS),
        },
    ),
    "teardown-passive-close": (
        "Passive close",
        3,  # central: CLOSE-WAIT until the application closes, then LAST-ACK
        {
            (_F.ESTABLISHED, Trigger.FIN),
            (_F.ESTABLISHED, Trigger.ACK),
            *((s, t) for s in (_F.CLOSE_WAIT, _F.LAST_ACK) for t in keys.TEARDOWN_EVENTS),
        },
    ),
    "teardown-simultaneous-close": (
        "Simultaneous close",
        2,  # one crossing of FINs: FIN-WAIT-1 to CLOSING, CLOSING to TIME-WAIT
        {(_F.FIN_WAIT_1, Trigger.FIN), *((_F.CLOSING, t) for t in keys.TEARDOWN_EVENTS)},
    ),
    # 4 rows: stay, re-acknowledge a repeated FIN, close when the 2MSL timer ends.
    "teardown-time-wait": ("TIME-WAIT", 2, {(_F.TIME_WAIT, t) for t in keys.TEARDOWN_EVENTS}),
}


def _group(pairs: set[tuple[State, Trigger]]) -> Callable[[int], list[Case]]:
    def scope(s: State, t: Trigger) -> bool:
        return keys.teardown_scope(s, t) and (s, t) in pairs

    return lambda seed: _table_cases(scope, keys.TEARDOWN_STATES)


for gid, (title, pts, pairs) in _GROUPS.items():
    _add(
        Check(
            gid,
            W,
            title,
            pts,
            "teardown",
            "cases",
            _group(pairs),
            whole=_every_row(keys.teardown_scope),
        )
    )
_add(
    Check(
        "teardown-2msl",
        W,
        "The 2MSL timer",
        2,  # 2*MSL, restarted by every repeated FIN
        "time_wait_ends",
        "cases",
        _cases(
            "time_wait_ends",
            keys.time_wait_ends,
            _time_waits,
            "RFC 9293 3.10.7.4 eighth step and 3.10.8",
        ),
    )
)
_add(
    Check(
        "teardown-traces",
        W,
        "Generated teardown traces",
        4,  # whole closes, one with a loss that differs per student
        "teardown",
        "traces",
        lambda seed: [sc(seed) for sc in traces.TEARDOWN_TRACES],
        personal=True,
        scope=keys.teardown_scope,
        whole=_every_row(keys.teardown_scope),
    )
)

# interview (6 automatic, beside 9 by hand): two predictions, 3 each (the handshake's numbers;
# the states of a lossy close).
V = "interview"
_add(
    Check(
        "interview-predict-handshake",
        V,
        "Predict the handshake segments",
        3,
        "HANDSHAKE_SEGMENTS",
        "value",
        expected_handshake_segments,
        personal=True,
        prelude=scenario_prelude,
        why=handshake_segment_reasons,
    )
)
_add(
    Check(
        "interview-predict-client-states",
        V,
        "Predict the client's states",
        3,
        "CLIENT_STATES",
        "value",
        expected_client_states,
        personal=True,
        prelude=scenario_prelude,
        why=client_state_reasons,
    )
)


def for_assignment(assignment: str) -> list[Check]:
    return [c for c in CHECKS.values() if c.assignment == assignment]


ASSIGNMENTS = ("header", "sequence", "handshake", "teardown", "interview")
