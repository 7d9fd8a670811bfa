"""What each graded cell checks, how it is scored, and how the feedback reads.

One :class:`Check` per autograded test cell, keyed by the cell's nbgrader ``grade_id``. A check
asks the student's process questions through an :class:`~autograder.sandbox.Answerer` and compares
each answer with :mod:`autograder.keys`. It never runs student code itself.

Scoring is partial, per transition group: a cell covers one group (the LISTEN rows, the
simultaneous-close rows, the generated handshake traces...), and earns ``points * right / asked``,
rounded to hundredths. The feedback names the first divergence in the RFC's words, e.g.
"in FIN-WAIT-1, on FIN+ACK acknowledging your FIN (FIN_ACK_OF_FIN), you returned
['CLOSING', 'ACK']; the reference goes to TIME-WAIT and sends ACK, RFC 9293 3.10.7.4 eighth step".

Seeds: checks marked ``personal`` derive their cases from the student's id, so that two students
get different segments, ISNs and losses; ``python -m autograder check`` uses seed 0 and, for
written-down predictions, checks only their form.
"""

from __future__ import annotations

import ipaddress
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tcpcore.flags import Flags
from tcpcore.options import MSS, Nop, SackPermitted, Timestamps, WindowScale
from tcpcore.segment import Segment
from tcpcore.states import State
from tcpcore.table import Trigger

from . import keys, traces
from .sandbox import Answer, Answerer


def seed_for(student: str) -> int:
    """A stable seed from a student id (the same on every machine and every run)."""
    return zlib.crc32(student.encode()) if student else 0


# -- results ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """How one graded cell went: score, counts, the first divergence and per-item results."""

    grade_id: str
    title: str
    points: float
    right: int = 0
    asked: int = 0
    first: str = ""  # the first divergence, one sentence
    detail: str = ""  # optional side-by-side table
    items: dict[str, bool] = field(default_factory=dict)  # item key -> right (for the report)

    @property
    def score(self) -> float:
        if not self.asked:
            return 0.0
        return round(self.points * self.right / self.asked, 2)

    def feedback(self) -> str:
        head = (
            f"{self.title}: {self.right}/{self.asked} right, "
            f"{self.score:g} of {self.points:g} points."
        )
        if not self.first:
            return head + " All agree with the reference."
        text = f"{head}\nFirst divergence: {self.first}"
        if self.detail:
            text += "\n" + self.detail
        return text


def normal(value: Any) -> Any:
    """Compare leniently where spelling is not the lesson: case, '_' for '-', tuple for list."""
    if isinstance(value, str):
        return value.strip().upper().replace("_", "-")
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    return value


def shown(answer: Answer) -> str:
    return repr(answer.value) if answer.ok else f"an error ({answer.error})"


# -- checks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One question and the reference's answer, with the words to explain a divergence."""

    key: str  # stable id for the class report, e.g. "FIN-WAIT-1 / FIN_ACK_OF_FIN"
    label: str  # "in FIN-WAIT-1, on FIN+ACK acknowledging your FIN (FIN_ACK_OF_FIN)"
    args: tuple[Any, ...]
    expected: Any
    reference: str  # "the reference goes to TIME-WAIT and sends ACK, RFC 9293 ..."


@dataclass(frozen=True)
class Check:
    """One autograded cell: which function or variable, how to ask, how many points."""

    grade_id: str
    assignment: str
    title: str
    points: float
    target: str  # the student's function (or, for kind "value", variable)
    kind: str  # "cases", "traces" or "value"
    make: Callable[[int], Any]  # seed -> the cases, traces or expected value
    personal: bool = False  # cases depend on the student
    scope: Callable[[State, Trigger], bool] | None = None  # traces: which steps to ask
    prelude: Callable[[int], str] | None = None  # seed -> code run before the student's

    def run(self, answerer: Answerer, seed: int = 0, reveal: bool = True) -> Outcome:
        out = Outcome(self.grade_id, self.title, self.points)
        if self.kind == "cases":
            _run_cases(self, answerer, self.make(seed), out)
        elif self.kind == "traces":
            _run_traces(self, answerer, self.make(seed), out)
        else:
            _run_value(self, answerer, self.make(seed), out, reveal)
        return out


def _run_cases(check: Check, answerer: Answerer, cases: Sequence[Case], out: Outcome) -> None:
    for case in cases:
        got = answerer.call(check.target, *case.args)
        ok = got.ok and normal(got.value) == normal(case.expected)
        out.asked += 1
        out.right += ok
        out.items[case.key] = ok
        if not ok and not out.first:
            verb = "returned" if got.ok else "raised"
            what = repr(got.value) if got.ok else got.error
            out.first = f"{case.label}, you {verb} {what}; {case.reference}."


def _run_value(check: Check, answerer: Answerer, expected: Any, out: Outcome, reveal: bool) -> None:
    got = answerer.get(check.target)
    want = list(expected)
    out.asked = len(want)
    if not got.ok:
        out.first = f"{check.target}: {got.error}"
        return
    value = got.value
    if not isinstance(value, list):
        out.first = f"{check.target} should be a list, not {type(value).__name__}"
        return
    if not reveal:
        # Self-check without the answer key: only the form is checked, and no points given.
        form = _form_problem(value, want)
        out.first = form or "(well formed; it is scored when graded)"
        out.asked = 0
        return
    for i, w in enumerate(want):
        g = value[i] if i < len(value) else None
        ok = normal(g) == normal(w)
        out.right += ok
        out.items[f"{check.target}[{i}]"] = ok
        if not ok and not out.first:
            out.first = f"{check.target}[{i}]: you wrote {g!r}; the reference has {w!r}"
    if len(value) > len(want) and not out.first:
        out.first = f"{check.target} has {len(value) - len(want)} entries too many"
        out.right = max(0, out.right - (len(value) - len(want)))


def _form_problem(value: list[Any], want: list[Any]) -> str:
    names = {s.value for s in State}
    for i, v in enumerate(value):
        if isinstance(want[0], str) and (not isinstance(v, str) or normal(v) not in names):
            return f"entry {i} ({v!r}) is not a state name such as 'SYN-SENT'"
        if isinstance(want[0], list) and not (isinstance(v, list) and len(v) == len(want[0])):
            return f"entry {i} ({v!r}) should be a list of {len(want[0])} items"
    return ""


def _run_traces(
    check: Check, answerer: Answerer, scenarios: Sequence[traces.Trace], out: Outcome
) -> None:
    assert check.scope is not None
    for trace in scenarios:
        out.asked += 1
        bad = ""
        lines: list[str] = []
        for who, history in trace.endpoints():
            for i, step in enumerate(history):
                if not check.scope(step.state, step.trigger):
                    continue
                want = keys.TableCase(step.state, step.trigger, step.row).expected
                got = answerer.call(check.target, step.state.value, step.trigger.name)
                ok = got.ok and normal(got.value) == normal(want)
                seg = step.segment.label() if step.segment is not None else "-"
                lines.append(
                    f"  {who} {step.time:7.3f}s  {step.state.value:<12} {step.trigger.name:<18} "
                    f"{_pair(want):<24} {shown(got) if not ok else 'same':<26} {seg}"
                )
                if not ok:
                    bad = (
                        f"in the {trace.name} trace ({trace.description}), {who} step {i + 1}: "
                        f"in {step.state}, on {keys.event_text(step.trigger)} "
                        f"({step.trigger.name}), you returned {shown(got)}; the reference "
                        f"{_goes(step.row, step.state)}, {keys.clause_text(step.row)}"
                    )
                    break
            if bad:
                break
        out.items[f"trace: {trace.name}"] = not bad
        if bad:
            if not out.first:
                out.first = bad
                head = (
                    f"  {'who':<3} {'time':>8}  {'state':<12} {'event':<18} "
                    f"{'reference':<24} {'yours':<26} segment"
                )
                out.detail = "Side by side (your machine against the reference):\n" + "\n".join(
                    [head, *lines]
                )
        else:
            out.right += 1


def _pair(want: list[Any]) -> str:
    return f"{want[0]}, {want[1] or '-'}"


def _goes(row: Any, state: State | None = None) -> str:
    verb = "stays in" if row.next is state else "goes to"
    text = f"{verb} {row.next}"
    sent = keys.reply(row)
    return text + (f" and sends {sent}" if sent else " and sends nothing")


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
    b = Connection(80, 40000, profile=traces.PROFILE, iss=sc["server_isn"], name="B")
    link = traces.Link(a, b, drops={_LOST[sc["lost"]]})
    b.listen(now=0.0)
    a.connect(now=0.0)
    link.run(until=5.0)
    a.close(now=link.now)
    link.run(until=link.now + 1)
    b.close(now=link.now)
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
