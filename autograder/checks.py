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

from tcpcore.flags import Flags
from tcpcore.options import MSS, Nop, SackPermitted, Timestamps, WindowScale
from tcpcore.segment import Segment
from tcpcore.states import State
from tcpcore.table import Trigger

from . import keys, traces
from .compare import Case, Check, Outcome, _goes, seed_for

__all__ = ["CHECKS", "Case", "Check", "Outcome", "for_assignment", "seed_for"]


# -- the cases, from the keys -----------------------------------------------------------------


def _table_cases(scope: Callable[[State, Trigger], bool], states: tuple[State, ...]) -> list[Case]:
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
            )
        )
    return out


def _fn_cases(
    name: str, fn: Callable[..., Any], argsets: Sequence[tuple[Any, ...]], clause: str
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
    rng = random.Random(seed + 1)
    out = []
    for s in _segments(seed, 20):
        src = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        dst = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        out.append((s.encode(), src, dst))
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
    rand = []
    for _ in range(20):
        a = rng.getrandbits(32)
        rand.append((a, (a + rng.randrange(1, 1 << 20)) % _M))
        rand.append(((a + rng.randrange(1, 1 << 20)) % _M, a))
    return fixed + rand


def _acks(seed: int) -> list[tuple[int, int, int]]:
    rng = random.Random(seed)
    out = []
    for base in (1000, _M - 3, rng.getrandbits(32)):
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
    from tcpcore.connection import Connection

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


# -- the registry ---------------------------------------------------------------------------------

CHECKS: dict[str, Check] = {}


def _add(check: Check) -> None:
    if check.grade_id in CHECKS:
        raise AssertionError(f"duplicate grade_id {check.grade_id}")
    CHECKS[check.grade_id] = check


def _cases(name: str, fn: Callable[..., Any], args: Callable[[int], Any], clause: str) -> Any:
    return lambda seed: _fn_cases(name, fn, args(seed), clause)


def _state_cases(states: tuple[State, ...]) -> Callable[[int], list[Case]]:
    return lambda seed: _table_cases(keys.handshake_scope, states)


H = "header"
_add(
    Check(
        "header-flag-names",
        H,
        "Flag byte to names",
        2,
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
        2,
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
        2,
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
        2,
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
        3,
        "checksum",
        "cases",
        _cases("checksum", keys.checksum, _checksummed, "RFC 9293 3.1, Checksum"),
        personal=True,
    )
)

Q = "sequence"
_add(
    Check(
        "sequence-compare",
        Q,
        "Modular comparison",
        3,
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
        2,
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
        4,
        "segment_acceptable",
        "cases",
        _cases("segment_acceptable", keys.segment_acceptable, _windows, "RFC 9293 3.4, Table 6"),
        personal=True,
    )
)
_add(
    Check(
        "sequence-space",
        Q,
        "Sequence space of SYN and FIN",
        1,
        "sequence_space",
        "cases",
        _cases("sequence_space", keys.sequence_space, _spaces, "RFC 9293 3.4, SEG.LEN"),
    )
)

D = "handshake"
for gid, title, pts, states in (
    ("handshake-closed", "CLOSED", 1, (State.CLOSED,)),
    ("handshake-listen", "LISTEN", 2, (State.LISTEN,)),
    ("handshake-syn-sent", "SYN-SENT", 3, (State.SYN_SENT,)),
    ("handshake-syn-received", "SYN-RECEIVED", 4, (State.SYN_RECEIVED,)),
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
        )
    )
_add(
    Check(
        "handshake-traces",
        D,
        "Generated handshake traces",
        4,
        "handshake",
        "traces",
        lambda seed: [sc(seed) for sc in traces.HANDSHAKE_TRACES],
        personal=True,
        scope=keys.handshake_scope,
    )
)

W = "teardown"
_F = State
_GROUPS = {
    "teardown-active-close": (
        "Active close",
        3,
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
        3,
        {
            (_F.ESTABLISHED, Trigger.FIN),
            (_F.ESTABLISHED, Trigger.ACK),
            *((s, t) for s in (_F.CLOSE_WAIT, _F.LAST_ACK) for t in keys.TEARDOWN_EVENTS),
        },
    ),
    "teardown-simultaneous-close": (
        "Simultaneous close",
        2,
        {(_F.FIN_WAIT_1, Trigger.FIN), *((_F.CLOSING, t) for t in keys.TEARDOWN_EVENTS)},
    ),
    "teardown-time-wait": ("TIME-WAIT", 2, {(_F.TIME_WAIT, t) for t in keys.TEARDOWN_EVENTS}),
}


def _group(pairs: set[tuple[State, Trigger]]) -> Callable[[int], list[Case]]:
    def scope(s: State, t: Trigger) -> bool:
        return keys.teardown_scope(s, t) and (s, t) in pairs

    return lambda seed: _table_cases(scope, keys.TEARDOWN_STATES)


for gid, (title, pts, pairs) in _GROUPS.items():
    _add(Check(gid, W, title, pts, "teardown", "cases", _group(pairs)))
_add(
    Check(
        "teardown-2msl",
        W,
        "The 2MSL timer",
        2,
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
        4,
        "teardown",
        "traces",
        lambda seed: [sc(seed) for sc in traces.TEARDOWN_TRACES],
        personal=True,
        scope=keys.teardown_scope,
    )
)

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
    )
)


def for_assignment(assignment: str) -> list[Check]:
    return [c for c in CHECKS.values() if c.assignment == assignment]


ASSIGNMENTS = ("header", "sequence", "handshake", "teardown", "interview")
