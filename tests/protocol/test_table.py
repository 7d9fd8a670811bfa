"""The transition table's structure: clauses, kinds, lookups, variants, and one test per row.

The row tests (tests/protocol/states/) check what each row does; this module checks that the
table itself is well formed and complete: every clause cites a section that exists in the RFC
text, every missing (state, trigger) pair is an error naming both, every variant names a real
profile switch, every row and variant has exactly one test, and the classifier never produces a
pair the table lacks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import pkgutil
import re
from functools import cache
from pathlib import Path

import fixtures as fx
import pytest
from conftest import SHARED
from fixtures import IRS, ISS, LOCAL, NOW, RCV_WND, REMOTE
from hypothesis import given, settings
from hypothesis import strategies as st

from tcpcore import Flags, Segment
from tcpcore.errors import TCPCoreError
from tcpcore.protocol.profiles import PROFILES, RFC9293, Profile
from tcpcore.protocol.rules import classify
from tcpcore.protocol.states import State
from tcpcore.protocol.table import (
    TABLE,
    Action,
    CallError,
    Row,
    TransitionError,
    Trigger,
    lookup,
    rows,
    triggers_for,
)

RFC_DIR = SHARED / "reference" / "rfc"
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
# RFC 5961 is not among the reference texts; these are its sections the table cites (3.2: RST
# mitigation, 4.2: SYN mitigation, 5.2: ACK mitigation), checked by hand against the RFC.
RFC5961_SECTIONS = {"3.2", "4.2", "5.2"}
# Other RFCs cited but not among the reference texts: the sections taken on trust, so that a new
# citation of an unchecked RFC still fails until someone looks it up. RFC 8985 7.3 is "Sending a
# Loss Probe upon PTO Expiration" (TLP); add its text to the references to check it here.
UNCHECKED_SECTIONS = {8985: {"7.3"}}
# Base rows that describe behaviour no RFC has (their clause names the kernel's source instead).
LINUX_ONLY_ROWS = {(State.FIN_WAIT_2, Trigger.FIN_WAIT_2_TIMEOUT)}
# Reached only under a FreeBSD rule switch (listen_drops_syn_ack, tcpcore.protocol.rules).
FREEBSD_ONLY_ROWS = {(State.LISTEN, Trigger.SYN_ACK)}


def all_rows() -> list[tuple[State, Trigger, str | None, Row]]:
    """Every base row and every variant: (state, trigger, switch or None, row)."""
    out: list[tuple[State, Trigger, str | None, Row]] = []
    for state, trigger, row in rows():
        out.append((state, trigger, None, row))
        out.extend((state, trigger, switch, alt) for switch, alt in row.variants)
    return out


def row_id(item: tuple[State, Trigger, str | None, Row]) -> str:
    state, trigger, switch, _ = item
    return f"{state.name}-{trigger.name}" + (f"-{switch}" if switch else "")


ALL_ROWS = all_rows()
ROW_IDS = [row_id(r) for r in ALL_ROWS]


# -- the RFC texts ---------------------------------------------------------------------------


@cache
def rfc_lines(number: int) -> list[str]:
    path = RFC_DIR / f"rfc{number:04d}.txt"
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _heading(line: str, section: str) -> bool:
    # RFC 9293: "3.10.7.4.  Other States"; RFC 1122: "         4.2.3.6  TCP Keep-Alives";
    # RFC 2525: "2.17."; RFC 1337: "3. Fixes for TWA Hazards".
    return re.match(rf"\s*{re.escape(section)}\.?(\s|$)", line) is not None


@cache
def section_body(number: int, section: str) -> str | None:
    """The text of a section, from its heading (the last one, past the table of contents) to the
    next heading of the same document; None if the RFC has no such section."""
    lines = rfc_lines(number)
    starts = [i for i, line in enumerate(lines) if _heading(line, section)]
    if not starts:
        return None
    start = starts[-1]
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if re.match(r"\d+(\.\d+)*\.\s{2}\S", lines[i]):
            end = i
            break
    return "\n".join(lines[start:end])


def _sections_in_range(first: str, last: str) -> list[str]:
    """ "3.10.2-3.10.5" -> 3.10.2, 3.10.3, 3.10.4, 3.10.5."""
    head, lo = first.rsplit(".", 1)
    head2, hi = last.rsplit(".", 1)
    assert head == head2, f"a range must stay within one section: {first}-{last}"
    return [f"{head}.{n}" for n in range(int(lo), int(hi) + 1)]


def check_rfc9293_part(part: str) -> None:
    """One "3.10.4 CLOSE, SYN-RECEIVED" or "3.10.7.4 fifth (RFC 5961 5.2)" citation."""
    m = re.fullmatch(r"(\d+(?:\.\d+)+)(?:-(\d+(?:\.\d+)+))?(.*)", part)
    assert m, f"not a section citation: {part!r}"
    sections = _sections_in_range(m[1], m[2]) if m[2] else [m[1]]
    rest = m[3]
    inner = re.search(r"\(RFC 5961 ([\d.]+)\)", rest)
    if inner:
        assert inner[1] in RFC5961_SECTIONS, f"RFC 5961 {inner[1]} is not a cited section"
        rest = rest.replace(inner[0], "")
    words = [w for w in re.split(r"[\s,]+", rest) if w]
    for section in sections:
        body = section_body(9293, section)
        assert body is not None, f"RFC 9293 has no section {section} ({part!r})"
        for word in words:
            if word in ORDINALS:
                assert re.search(rf"\b{word.capitalize()},", body), (
                    f"RFC 9293 {section} has no {word} step ({part!r})"
                )
            elif word.upper() == word:  # OPEN, USER TIMEOUT, a state name
                assert word in body, f"RFC 9293 {section} never mentions {word} ({part!r})"
            else:
                raise AssertionError(f"unexpected word {word!r} in {part!r}")
    # A state after the comma must be one the section treats as a case ("LISTEN STATE").
    state = re.search(r", ([A-Z][A-Z-]+[A-Z0-9])$", rest.strip())
    if state:
        for section in sections:
            assert f"{state[1]} STATE" in (section_body(9293, section) or ""), part


def check_other_rfc_part(part: str) -> bool:
    """ "RFC 1122 4.2.3.6", "RFC 1337 section 3, fix F1", "RFC 2525 2.17"; True if cited."""
    m = re.fullmatch(r"RFC (\d+) (?:section )?([\d.]+)(.*)", part)
    if not m:
        return False
    number, section = int(m[1]), m[2]
    if not (RFC_DIR / f"rfc{number:04d}.txt").exists():
        assert section in UNCHECKED_SECTIONS.get(number, set()), (
            f"RFC {number} is not among the reference texts ({part!r})"
        )
        return True
    body = section_body(number, section)
    assert body is not None, f"RFC {number} has no section {section} ({part!r})"
    fix = re.search(r"fix (\w+)", m[3])
    if fix:
        assert f"({fix[1]})" in body, f"RFC {number} {section} has no fix {fix[1]}"
    return True


def cites_rfc(clause: str) -> bool:
    """Check every part of a clause; True if at least one part cites an RFC section."""
    cited = False
    for part in (p.strip() for p in clause.split(";")):
        if re.match(r"\d", part):
            check_rfc9293_part(part)
            cited = True
        elif part.startswith("RFC "):
            cited = check_other_rfc_part(part) or cited
        else:
            assert re.fullmatch(r"(Linux|FreeBSD) \w+(\(\))?", part), (
                f"unrecognised citation {part!r}"
            )
    return cited


# -- clauses ----------------------------------------------------------------------------------


@pytest.mark.parametrize("item", ALL_ROWS, ids=ROW_IDS)
def test_every_clause_cites_a_real_section(item: tuple[State, Trigger, str | None, Row]) -> None:
    state, trigger, switch, row = item
    assert row.clause.strip(), "empty clause"
    if cites_rfc(row.clause):
        return
    # Only Linux-only behaviour may cite nothing but the kernel source.
    assert switch is not None or (state, trigger) in LINUX_ONLY_ROWS | FREEBSD_ONLY_ROWS, row.clause


def test_linux_only_rows_never_happen_under_the_rfc() -> None:
    """The FIN-WAIT-2 timeout has no RFC clause: the rfc9293 profile must never arm it."""
    assert RFC9293.fin_wait_2_timeout is None
    conn = fx.drive_fin_wait_2()
    assert "fin_wait_2" not in conn.timers


def test_the_section_checker_rejects_what_is_not_there() -> None:
    """The clause checker itself can fail (so the test above proves something)."""
    for bad in ("3.10.9", "3.10.7.2 fifth", "3.10.7.1 first", "3.10.4 ABORT", "3.10.8 OPEN"):
        with pytest.raises(AssertionError):
            cites_rfc(bad)
    for bad in ("RFC 1122 4.2.3.99", "RFC 1337 section 3, fix TW1", "Linux is great"):
        with pytest.raises(AssertionError):
            cites_rfc(bad)
    assert cites_rfc("3.10.7.4 eighth") and cites_rfc("RFC 2525 2.17; Linux tcp_close()")


# -- triggers and rows -----------------------------------------------------------------------

USER = {"OPEN_ACTIVE", "OPEN_PASSIVE", "SEND", "CLOSE", "CLOSE_UNREAD", "SHUTDOWN", "ABORT"}
TIMER = {
    "RETRANSMIT_TIMEOUT",
    "USER_TIMEOUT",
    "TIME_WAIT_TIMEOUT",
    "KEEPALIVE_TIMEOUT",
    "KEEPALIVE_EXHAUSTED",
    "FIN_WAIT_2_TIMEOUT",
    "LOSS_PROBE_TIMEOUT",
}


@pytest.mark.parametrize("trigger", list(Trigger), ids=[t.name for t in Trigger])
def test_every_trigger_has_a_kind(trigger: Trigger) -> None:
    expected = "user" if trigger.name in USER else "timer" if trigger.name in TIMER else "segment"
    assert trigger.kind == expected
    assert str(trigger) == trigger.value and trigger.value


def test_every_state_and_trigger_appears_in_the_table() -> None:
    assert {s for s, _ in TABLE} == set(State)
    assert {t for _, t in TABLE} == set(Trigger)


def test_every_user_call_has_a_row_in_every_state() -> None:
    """A user call is never a TransitionError: it is done or refused with the RFC's text."""
    for state in State:
        for trigger in Trigger:
            if trigger.kind == "user":
                assert (state, trigger) in TABLE, f"{state} / {trigger}"


@pytest.mark.parametrize("item", ALL_ROWS, ids=ROW_IDS)
def test_rows_are_well_formed(item: tuple[State, Trigger, str | None, Row]) -> None:
    state, trigger, switch, row = item
    assert isinstance(row.next, State)
    assert all(isinstance(a, Action) for a in row.actions)
    assert len(set(row.actions)) == len(row.actions), "an action twice"
    if Action.ERROR in row.actions:
        # A refused call: nothing else happens, and the state stays.
        assert trigger.kind == "user"
        assert row.actions == (Action.ERROR,)
        assert row.next is state
        assert row.note.startswith("error: ")
    if trigger.kind != "user":
        assert not {Action.ERROR, Action.QUEUE_DATA, Action.MARK_CLOSED} & set(row.actions)
    if row.next is State.TIME_WAIT and state is not State.TIME_WAIT:
        # 3.10.7.4 fifth and eighth: entering TIME-WAIT starts the time-wait timer.
        assert Action.START_2MSL in row.actions
    if Action.ACCEPT_FIN in row.actions:
        # 3.10.7.4 eighth: the FIN moves to CLOSE-WAIT, CLOSING or TIME-WAIT.
        assert row.next in (State.CLOSE_WAIT, State.CLOSING, State.TIME_WAIT)
    if switch is not None:
        assert row.variants == (), "a variant has no variants of its own"


@pytest.mark.parametrize(
    ("state", "trigger"),
    [(s, t) for s, t, _ in rows() if TABLE[s, t].actions == (Action.ERROR,)],
    ids=lambda x: str(x),
)
def test_refusals_quote_the_rfc(state: State, trigger: Trigger) -> None:
    """The error text of every base row is quoted verbatim from RFC 9293 3.10."""
    text = "\n".join(rfc_lines(9293))
    note = TABLE[state, trigger].note
    assert f'"{note}"' in re.sub(r"\s+", " ", text).replace('" ', '"'), note


def test_rows_and_triggers_for_follow_the_table() -> None:
    assert [(s, t) for s, t, _ in rows()] == list(TABLE)
    for state in State:
        assert triggers_for(state) == [t for s, t in TABLE if s is state]


# -- lookup ------------------------------------------------------------------------------------

MISSING = [(s, t) for s in State for t in Trigger if (s, t) not in TABLE]


def test_some_pairs_are_missing() -> None:
    assert (State.LISTEN, Trigger.FIN) in MISSING
    assert (State.CLOSED, Trigger.TIME_WAIT_TIMEOUT) in MISSING


@pytest.mark.parametrize(("state", "trigger"), MISSING, ids=lambda x: str(x))
def test_lookup_of_a_missing_pair_names_both(state: State, trigger: Trigger) -> None:
    for profile in (None, *PROFILES.values()):
        with pytest.raises(TransitionError) as info:
            lookup(state, trigger, profile)
        err = info.value
        assert isinstance(err, LookupError) and isinstance(err, TCPCoreError)
        assert (err.state, err.trigger) == (state, trigger)
        assert str(state) in str(err) and str(trigger) in str(err)
        assert trigger.kind in str(err)


def test_call_error_names_state_trigger_and_clause() -> None:
    err = CallError(State.LISTEN, Trigger.SEND, "error: x", "RFC 9293 3.10.2")
    assert isinstance(err, RuntimeError) and isinstance(err, TCPCoreError)
    assert str(err) == "error: x (SEND in LISTEN, RFC 9293 3.10.2)"


# -- variants ----------------------------------------------------------------------------------

SWITCHES = sorted({switch for _, _, switch, _ in ALL_ROWS if switch is not None})
BOOL_FIELDS = {f.name for f in dataclasses.fields(Profile) if f.type in ("bool", bool)}


def test_variants_only_name_profile_switches() -> None:
    assert set(SWITCHES) <= BOOL_FIELDS
    for profile in PROFILES.values():
        for switch in SWITCHES:
            assert isinstance(profile.switch(switch), bool)


def test_the_rfc_profile_gets_the_rfc_rows() -> None:
    """The RFC's row is the default: no switch is on under rfc9293."""
    assert not any(RFC9293.switch(s) for s in SWITCHES)
    for state, trigger, row in rows():
        assert lookup(state, trigger, RFC9293) is row
        assert lookup(state, trigger) is row


def test_every_switch_is_used_by_a_profile() -> None:
    """A switch that no shipped profile turns on would make its variants dead rows."""
    for switch in SWITCHES:
        assert any(p.switch(switch) for p in PROFILES.values()), switch


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_lookup_picks_the_first_variant_switched_on(name: str) -> None:
    profile = PROFILES[name]
    for state, trigger, row in rows():
        on = [alt for switch, alt in row.variants if profile.switch(switch)]
        assert lookup(state, trigger, profile) is (on[0] if on else row)


@pytest.mark.parametrize("item", [r for r in ALL_ROWS if r[2] is not None], ids=lambda r: row_id(r))
def test_a_variant_differs_from_its_row(item: tuple[State, Trigger, str | None, Row]) -> None:
    state, trigger, _, alt = item
    base = TABLE[state, trigger]
    assert (alt.next, alt.actions) != (base.next, base.actions)


# -- one test per row --------------------------------------------------------------------------


def _load_row_tests() -> dict[tuple[State, Trigger, str | None], set[str]]:
    package = importlib.import_module("states")
    for info in pkgutil.iter_modules([str(Path(package.__file__ or "").parent)]):
        if info.name.startswith("test_"):
            importlib.import_module(f"states.{info.name}")
    return fx.COVERED


def test_every_row_and_variant_has_exactly_one_test() -> None:
    covered = _load_row_tests()
    expected = {(s, t, switch) for s, t, switch, _ in ALL_ROWS}
    missing = sorted(expected - set(covered), key=str)
    extra = sorted(set(covered) - expected, key=str)
    assert not missing, f"rows without a test: {missing}"
    assert not extra, f"tests of rows the table does not have: {extra}"
    doubled = {k: v for k, v in covered.items() if len(v) > 1}
    assert not doubled, f"rows with more than one test: {doubled}"


def test_row_tests_are_named_after_their_row() -> None:
    for (state, trigger, _), names in _load_row_tests().items():
        for name in names:
            module, fn = name.rsplit(".", 1)
            assert module == f"states.test_{state.name.lower()}", name
            assert fn.startswith(f"test_{state.name.lower()}_{trigger.name.lower()}"), name


# -- the classifier never leaves the table ----------------------------------------------------

FIXTURES = [
    fx.closed,
    fx.listen,
    fx.syn_sent,
    fx.syn_received,
    fx.syn_received_active,
    fx.established,
    fx.fin_wait_1,
    fx.fin_wait_2,
    fx.close_wait,
    fx.closing,
    fx.last_ack,
    fx.time_wait,
]
FLAG_BITS = [Flags.SYN, Flags.ACK, Flags.FIN, Flags.RST, Flags.PSH]
# Sequence and acknowledgment numbers near the interesting edges, or anywhere at all.
SEQS = st.one_of(st.integers(IRS - 3, IRS + 4), st.just(IRS + RCV_WND), st.integers(0, 2**32 - 1))
ACKS = st.one_of(st.integers(ISS - 2, ISS + 4), st.integers(0, 2**32 - 1))


@st.composite
def peer_segments(draw: st.DrawFn) -> Segment:
    flags = Flags(0)
    for bit in FLAG_BITS:
        if draw(st.booleans()):
            flags |= bit
    return Segment(
        REMOTE,
        LOCAL,
        draw(SEQS),
        draw(ACKS),
        flags,
        draw(st.sampled_from([0, 6000])),
        payload=draw(st.sampled_from([b"", b"x", b"hello"])),
    )


@settings(max_examples=400, deadline=None)
@given(
    make=st.sampled_from(FIXTURES),
    profile=st.sampled_from(sorted(PROFILES)),
    user_closed=st.booleans(),
    seg=peer_segments(),
)
def test_every_segment_lands_on_a_row(
    make: fx.Callable[..., fx.Connection], profile: str, user_closed: bool, seg: Segment
) -> None:
    """Whatever arrives, in whatever state, the classifier picks a pair the table has, and the
    connection carries the row out without error."""
    conn = make(profile)
    if conn.state in (State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSING, State.LAST_ACK):
        conn.user_closed = user_closed
    verdict = classify(
        conn.state, conn.tcb, seg, passive=conn.passive, user_closed=conn.user_closed
    )
    assert (conn.state, verdict.trigger) in TABLE
    conn.receive(seg, NOW)


@pytest.mark.parametrize("make", FIXTURES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_call_and_timer_lands_on_a_row(
    make: fx.Callable[..., fx.Connection], profile: str
) -> None:
    """Every user call in every state is carried out or refused with CallError; every timer the
    fixture runs fires without error."""
    calls = [
        ("connect", ()),
        ("listen", ()),
        ("send", (b"x",)),
        ("close", ()),
        ("shutdown", ()),
        ("abort", ()),
    ]
    for name, args in calls:
        conn = make(profile, keepalive=True)
        with contextlib.suppress(CallError):
            getattr(conn, name)(*args, now=NOW)
    conn = make(profile, keepalive=True)
    while (deadline := conn.next_deadline()) is not None and deadline < 10_000:
        conn.handle_timer(deadline)


def test_rows_only_a_switch_reaches_are_named_with_their_switch() -> None:
    """SWITCHED_ROWS names a real rule switch for each row the RFC classifier never produces."""
    from tcpcore.protocol.rules import RULE_SWITCHES
    from tcpcore.protocol.table import SWITCHED_ROWS, TABLE

    assert SWITCHED_ROWS.keys() >= FREEBSD_ONLY_ROWS
    for key, switch in SWITCHED_ROWS.items():
        assert key in TABLE and switch in RULE_SWITCHES, (key, switch)
