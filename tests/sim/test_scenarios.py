"""Every named scenario, end to end, against values worked out by hand from the RFCs.

Conventions of the scenarios (tcpcore.sim.scenarios): A is 10.0.0.1:40000 with ISS 100, B is
10.0.0.2:80 with ISS 300, the one-way delay is 0.05 s, B listens and A connects at t=0.

How the expected numbers are derived:
* sequence numbers: a SYN or FIN occupies one number (RFC 9293 3.4), so after the handshake A
  sends from 101 and B from 301; an ACK carries RCV.NXT, the next number expected;
* times: a segment sent at t arrives at t + 0.05; a reply leaves the moment its cause arrives;
* retransmission: the initial RTO is 1 s and doubles on each expiry (RFC 6298 2.1, 5.5), up to
  60 s (rfc9293) or 120 s (linux); after one RTT sample of R = 0.1 s the RTO is
  R + 4 * R/2 = 0.3 s (RFC 6298 2.2), raised to the minimum of 1 s (rfc9293) or 0.2 s (linux);
* TIME-WAIT is 2*MSL = 240 s (RFC 9293 3.4.2) under rfc9293 and 60 s under linux;
* at equal times, events run in the order they were scheduled (tcpcore.sim.network).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import re

import pytest

from tcpcore.cli import main
from tcpcore.protocol.states import State
from tcpcore.sim.scenarios import (
    SCENARIOS,
    ScenarioError,
    TwoWayEndpoint,
    describe,
    list_scenarios,
    parameters,
    run_scenario,
)
from tcpcore.trace import Trace
from tcpcore.wire.flags import Flags

A, B = "10.0.0.1:40000", "10.0.0.2:80"
CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTAB = (
    State.CLOSED,
    State.LISTEN,
    State.SYN_SENT,
    State.SYN_RECEIVED,
    State.ESTABLISHED,
)
FW1, FW2, CW, CLOSING, LAST_ACK, TW = (
    State.FIN_WAIT_1,
    State.FIN_WAIT_2,
    State.CLOSE_WAIT,
    State.CLOSING,
    State.LAST_ACK,
    State.TIME_WAIT,
)
NAMES = {A: "A", B: "B"}

# The handshake of RFC 9293 Figure 6 that most scenarios start with: (sent, from, flags, seq,
# ack, len, lost).
HANDSHAKE = [
    (0.0, "A", "S", 100, 0, 0, False),
    (0.05, "B", "S.", 300, 101, 0, False),
    (0.1, "A", ".", 101, 301, 0, False),
]


def wire(trace: Trace) -> list[tuple[float, str, str, int, int, int, bool]]:
    """The segments as (sent, sender, flags, seq, ack, payload length, lost), in send order."""
    return [
        (
            round(r.sent, 6),
            NAMES.get(r.src, r.src),
            r.segment.flags.tcpdump(),
            r.segment.seq,
            r.segment.ack,
            len(r.segment.payload),
            r.dropped,
        )
        for r in trace.segments()
    ]


def states(trace: Trace, name: str) -> list[State]:
    return trace.state_sequence(name)


def entered(trace: Trace, name: str, state: State) -> list[float]:
    """The times at which endpoint ``name`` entered ``state``."""
    return [round(t, 6) for t, s in trace.timelines[name][1:] if s is state]


def signals(trace: Trace, name: str) -> list[str]:
    return [e.text for e in trace.events_of("signal", name) if not e.text.startswith("data")]


# -- the registry ---------------------------------------------------------------------------------


def test_registry_has_exactly_the_issue_names() -> None:
    assert set(SCENARIOS) == {
        "handshake",
        "client-closes-first",
        "server-closes-first",
        "simultaneous-open",
        "simultaneous-close",
        "half-close",
        "lost-syn",
        "lost-syn-ack",
        "lost-final-ack",
        "old-duplicate-syn",
        "connection-refused",
        "abort",
        "client-crash-keepalive",
        "half-open-after-server-reboot",
        "syn-flood",
        "time-wait-reuse",
        "time-wait-assassination",
    }


def test_every_scenario_has_a_description_of_a_sentence_or_more() -> None:
    for name, description in list_scenarios():
        assert len(description) > 60, name
        assert "\n" not in description


def test_descriptions_name_parameters_as_they_are_passed() -> None:
    """A parameter in a description reads "losses=N", never a bare "losses" (issue 18 item 9)."""
    for name, _ in list_scenarios():
        doc = (inspect.getdoc(SCENARIOS[name]) or "").split("\n\n", 1)[0]
        for word in re.findall(r"``([^`]*)``", doc):
            if word in parameters(name):
                raise AssertionError(f"{name}: ``{word}`` reads as a word once its quotes go")
        for sentence in re.split(r"(?<=\.) ", describe(name)):
            assert not sentence[:1].islower(), f"{name}: {sentence!r}"
    assert "lost losses times" not in describe("lost-syn")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_every_scenario_is_deterministic_and_records_its_setup(name: str, profile: str) -> None:
    first = run_scenario(name, profile=profile)
    assert first.to_json_lines() == run_scenario(name, profile=profile).to_json_lines()
    assert (first.scenario, first.profile, first.seed) == (name, profile, 0)


def test_unknown_names_and_parameters_say_what_is_valid() -> None:
    with pytest.raises(ScenarioError, match="choose one of handshake"):
        run_scenario("three-way")
    with pytest.raises(ScenarioError, match=r"has no parameter 'colour'.*client_iss"):
        run_scenario("handshake", colour="red")
    with pytest.raises(ValueError, match="unknown profile 'bsd'"):
        run_scenario("handshake", profile="bsd")


# -- opening ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_handshake(profile: str) -> None:
    t = run_scenario("handshake", profile=profile)
    assert wire(t) == HANDSHAKE
    assert states(t, "A") == [CLOSED, SYN_SENT, ESTAB]
    assert states(t, "B") == [CLOSED, LISTEN, SYN_RCVD, ESTAB]
    assert entered(t, "A", ESTAB) == [0.1] and entered(t, "B", ESTAB) == [0.15]
    assert signals(t, "A") == ["connected"] == signals(t, "B")


def test_handshake_isns_are_parameters() -> None:
    t = run_scenario("handshake", client_iss=4294967295, server_iss=7)
    # The client's SYN occupies 4294967295; the next number wraps to 0 (RFC 9293 3.4).
    assert wire(t) == [
        (0.0, "A", "S", 4294967295, 0, 0, False),
        (0.05, "B", "S.", 7, 0, 0, False),
        (0.1, "A", ".", 0, 8, 0, False),
    ]


def test_simultaneous_open_follows_figure_7() -> None:
    t = run_scenario("simultaneous-open")
    # A's SYN was scheduled first, so it reaches B first and B's SYN+ACK leaves first. Each
    # crossed SYN+ACK repeats a SYN already received, which is old (RFC 9293 Table 6): it is
    # acknowledged (3.10.7.4 first step) while its ACK completes the open. Figure 7 leaves these
    # two ACKs out; Linux sends them.
    assert wire(t) == [
        (0.0, "A", "S", 100, 0, 0, False),
        (0.0, "B", "S", 300, 0, 0, False),
        (0.05, "B", "S.", 300, 101, 0, False),
        (0.05, "A", "S.", 100, 301, 0, False),
        (0.1, "A", ".", 101, 301, 0, False),
        (0.1, "B", ".", 301, 101, 0, False),
    ]
    for name in "AB":
        assert states(t, name) == [CLOSED, SYN_SENT, SYN_RCVD, ESTAB]
        assert entered(t, name, ESTAB) == [0.1]


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_lost_syn_is_retransmitted_after_one_second(profile: str) -> None:
    t = run_scenario("lost-syn", profile=profile)
    assert wire(t) == [
        (0.0, "A", "S", 100, 0, 0, True),
        (1.0, "A", "S", 100, 0, 0, False),
        (1.05, "B", "S.", 300, 101, 0, False),
        (1.1, "A", ".", 101, 301, 0, False),
    ]
    assert [e.text for e in t.events_of("timer", "A")] == ["retransmission timeout"]
    assert t.final_states() == {"A": ESTAB, "B": ESTAB}


def test_syn_retransmissions_double_1_3_7_15() -> None:
    t = run_scenario("lost-syn", losses=4)
    syn_times = [r[0] for r in wire(t) if r[2] == "S"]
    assert syn_times == [0.0, 1.0, 3.0, 7.0, 15.0]
    assert entered(t, "A", ESTAB) == [15.1]


def test_syn_give_up_rfc9293_after_three_minutes() -> None:
    t = run_scenario("lost-syn", losses=100)
    syn_times = [r[0] for r in wire(t) if r[2] == "S"]
    # RTO 1, 2, 4, 8, 16, 32, then capped at 60 s; R2 of RFC 1122 4.2.3.5: 3 minutes.
    assert syn_times == [0.0, 1.0, 3.0, 7.0, 15.0, 31.0, 63.0, 123.0]
    assert entered(t, "A", CLOSED) == [180.0]
    assert signals(t, "A") == ["timed out: SYN retransmissions exhausted", "closed"]
    assert t.final_states()["B"] is LISTEN


def test_syn_give_up_linux_after_six_retries() -> None:
    t = run_scenario("lost-syn", profile="linux", losses=100)
    syn_times = [r[0] for r in wire(t) if r[2] == "S"]
    assert syn_times == [0.0, 1.0, 3.0, 7.0, 15.0, 31.0, 63.0]  # tcp_syn_retries = 6
    assert entered(t, "A", CLOSED) == [127.0]


def test_lost_syn_ack_rfc9293() -> None:
    t = run_scenario("lost-syn-ack")
    assert wire(t) == [
        (0.0, "A", "S", 100, 0, 0, False),
        (0.05, "B", "S.", 300, 101, 0, True),
        (1.0, "A", "S", 100, 0, 0, False),  # A's RTO
        (1.05, "B", "S.", 300, 101, 0, False),  # B's own RTO (scheduled at 0.05, runs first)
        (1.05, "B", ".", 301, 101, 0, False),  # the repeated SYN: <SEQ=SND.NXT><ACK=RCV.NXT>
        (1.1, "A", ".", 101, 301, 0, False),
    ]
    assert states(t, "B") == [CLOSED, LISTEN, SYN_RCVD, ESTAB]
    assert entered(t, "B", ESTAB) == [1.15]


def test_lost_syn_ack_linux_resends_syn_ack_for_the_repeated_syn() -> None:
    t = run_scenario("lost-syn-ack", profile="linux")
    assert wire(t)[3:] == [
        (1.05, "B", "S.", 300, 101, 0, False),
        (1.05, "B", "S.", 300, 101, 0, False),  # tcp_check_req(): SYN+ACK again
        (1.1, "A", ".", 101, 301, 0, False),
        (1.1, "A", ".", 101, 301, 0, False),  # a SYN when ESTABLISHED: challenge ACK
    ]


def test_old_duplicate_syn_three_way_follows_figure_8() -> None:
    t = run_scenario("old-duplicate-syn")
    assert wire(t) == [
        (0.0, "A", "S", 100, 0, 0, False),  # delayed: arrives at 0.2
        (0.0, "A", "S", 90, 0, 0, False),  # the old duplicate, injected with A's address
        (0.05, "B", "S.", 300, 91, 0, False),
        (0.1, "A", "R", 91, 0, 0, False),  # <SEQ=SEG.ACK><CTL=RST>: the ACK is not for 100
        (0.2, "B", "S.", 400, 101, 0, False),
        (0.25, "A", ".", 101, 401, 0, False),
    ]
    first, second = "B[10.0.0.1:40000]", "B[10.0.0.1:40000]#2"
    assert states(t, "A") == [CLOSED, SYN_SENT, ESTAB]
    assert states(t, first) == [LISTEN, SYN_RCVD, LISTEN]  # the RST returns it to LISTEN
    assert states(t, second) == [LISTEN, SYN_RCVD, ESTAB]
    assert entered(t, first, LISTEN) == [0.15]
    assert [r.note for r in t.segments()][:2] == ["delayed 0.15 s", "old duplicate"]
    assert t.segments()[0].arrival == pytest.approx(0.2)


def test_old_duplicate_syn_two_way_connects_the_server_to_nobody() -> None:
    t = run_scenario("old-duplicate-syn", variant="two-way")
    answers = [r for r in wire(t) if r[1] == "B"]
    # Every answer acknowledges the old SYN (91), never A's 100: A ignores them all.
    assert {(r[2], r[3], r[4]) for r in answers} == {("S.", 300, 91)}
    syn_times = [r[0] for r in wire(t) if r[1] == "A" and r[3] == 100]
    assert syn_times == [0.0, 1.0, 3.0, 7.0]
    assert t.final_states() == {"A": CLOSED, "B": ESTAB}
    assert states(t, "B") == [CLOSED, LISTEN, ESTAB]
    assert entered(t, "B", ESTAB) == [0.05]  # connected by the old duplicate alone
    assert "NOT TCP" in (TwoWayEndpoint.__doc__ or "")


def test_connection_refused() -> None:
    t = run_scenario("connection-refused")
    # RFC 9293 3.10.7.1: no ACK on the SYN, so <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    assert wire(t) == [(0.0, "A", "S", 100, 0, 0, False), (0.05, "B", "R.", 0, 101, 0, False)]
    assert states(t, "A") == [CLOSED, SYN_SENT, CLOSED]
    assert signals(t, "A") == ["connection refused", "closed"]
    assert t.segments()[1].states == {B: "CLOSED", A: "CLOSED"}


# -- closing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "time_wait"), [("rfc9293", 240.0), ("linux", 60.0)])
def test_client_closes_first(profile: str, time_wait: float) -> None:
    t = run_scenario("client-closes-first", profile=profile)
    assert wire(t) == [
        *HANDSHAKE,
        (1.0, "A", "F.", 101, 301, 0, False),
        (1.05, "B", ".", 301, 102, 0, False),
        (2.0, "B", "F.", 301, 102, 0, False),
        (2.05, "A", ".", 102, 302, 0, False),
    ]
    assert states(t, "A") == [CLOSED, SYN_SENT, ESTAB, FW1, FW2, TW, CLOSED]
    assert states(t, "B") == [CLOSED, LISTEN, SYN_RCVD, ESTAB, CW, LAST_ACK, CLOSED]
    assert entered(t, "B", CLOSED) == [2.1]
    assert entered(t, "A", TW) == [2.05]
    assert entered(t, "A", CLOSED) == [pytest.approx(2.05 + time_wait)]
    assert [e.text for e in t.events_of("timer", "A")] == ["2MSL timeout"]


def test_time_wait_follows_an_msl_override() -> None:
    t = run_scenario("client-closes-first", msl=5.0)
    assert entered(t, "A", CLOSED) == [pytest.approx(2.05 + 10.0)]


@pytest.mark.parametrize(("profile", "time_wait"), [("rfc9293", 240.0), ("linux", 60.0)])
def test_server_closes_first_puts_the_server_in_time_wait(profile: str, time_wait: float) -> None:
    t = run_scenario("server-closes-first", profile=profile)
    assert wire(t)[3:] == [
        (1.0, "B", "F.", 301, 101, 0, False),
        (1.05, "A", ".", 101, 302, 0, False),
        (2.0, "A", "F.", 101, 302, 0, False),
        (2.05, "B", ".", 302, 102, 0, False),
    ]
    assert states(t, "B")[3:] == [ESTAB, FW1, FW2, TW, CLOSED]
    assert states(t, "A")[2:] == [ESTAB, CW, LAST_ACK, CLOSED]
    assert entered(t, "B", CLOSED) == [pytest.approx(2.05 + time_wait)]


# server-closes-first with B a listening socket (child B[A]), then A connects again at 3.0 with
# ISS 5000: B's child holds TIME-WAIT from 2.05 with RCV.NXT = 102 and SND.NXT = 302.
TW_CLOSE = [
    (1.0, "B", "F.", 301, 101, 0, False),
    (1.05, "A", ".", 101, 302, 0, False),
    (2.0, "A", "F.", 101, 302, 0, False),
    (2.05, "B", ".", 302, 102, 0, False),
]
CHILD = "B[10.0.0.1:40000]"


def test_time_wait_reuse_linux_reopens_the_connection() -> None:
    """Linux: 5000 > RCV.NXT 102, so the SYN reopens TIME-WAIT; new ISS 302 + 65537 = 65839."""
    t = run_scenario("time-wait-reuse", profile="linux")
    assert wire(t)[3:] == [
        *TW_CLOSE,
        (3.0, "A", "S", 5000, 0, 0, False),
        (3.05, "B", "S.", 65839, 5001, 0, False),
        (3.1, "A", ".", 5001, 65840, 0, False),
    ]
    assert states(t, CHILD)[-4:] == [FW2, TW, SYN_RCVD, ESTAB]
    assert entered(t, CHILD, SYN_RCVD) == [0.05, 3.05]
    assert states(t, "A")[-3:] == [CLOSED, SYN_SENT, ESTAB]


def test_time_wait_reuse_rfc9293_challenge_ack_then_a_new_child() -> None:
    """RFC 9293: challenge ACK <SEQ=302><ACK=102>; A's RST <SEQ=102> is at RCV.NXT and closes
    TIME-WAIT; A's SYN again at 4.0 (RTO 1 s) finds only the listener: a new child, ISS 300."""
    t = run_scenario("time-wait-reuse", profile="rfc9293")
    assert wire(t)[3:] == [
        *TW_CLOSE,
        (3.0, "A", "S", 5000, 0, 0, False),
        (3.05, "B", ".", 302, 102, 0, False),
        (3.1, "A", "R", 102, 0, 0, False),
        (4.0, "A", "S", 5000, 0, 0, False),
        (4.05, "B", "S.", 300, 5001, 0, False),
        (4.1, "A", ".", 5001, 301, 0, False),
    ]
    assert states(t, CHILD)[-2:] == [TW, CLOSED]
    assert states(t, CHILD + "#2") == [LISTEN, SYN_RCVD, ESTAB]


@pytest.mark.parametrize(
    ("profile", "a_closed_at"),
    [("rfc9293", 3.1), ("linux", 3.1), ("linux-rfc1337", 2.05 + 60.0)],
)
def test_time_wait_assassination(profile: str, a_closed_at: float) -> None:
    """A's last ACK again at 3.0 reaches closed B, whose RST <SEQ=SEG.ACK=302> is A's RCV.NXT:
    it ends TIME-WAIT (RFC 1337 section 2) unless RST is ignored there (section 3, F1)."""
    t = run_scenario("time-wait-assassination", profile=profile)
    assert wire(t)[-2:] == [
        (3.0, "A", ".", 102, 302, 0, False),  # injected from A's address
        (3.05, "B", "R", 302, 0, 0, False),
    ]
    assert states(t, "A")[-2:] == [TW, CLOSED]
    assert entered(t, "A", CLOSED) == [pytest.approx(a_closed_at)]


def test_simultaneous_close_goes_through_closing_on_both_sides() -> None:
    t = run_scenario("simultaneous-close")
    assert wire(t)[3:] == [
        (1.0, "A", "F.", 101, 301, 0, False),
        (1.0, "B", "F.", 301, 101, 0, False),
        (1.05, "B", ".", 302, 102, 0, False),  # acknowledges A's FIN, after its own
        (1.05, "A", ".", 102, 302, 0, False),
    ]
    for name in "AB":
        assert states(t, name)[-5:] == [ESTAB, FW1, CLOSING, TW, CLOSED]
        assert entered(t, name, TW) == [1.1]
        assert entered(t, name, CLOSED) == [pytest.approx(241.1)]


def test_half_close_lets_the_server_keep_sending() -> None:
    t = run_scenario("half-close")
    assert wire(t)[3:] == [
        (1.0, "A", "F.", 101, 301, 0, False),
        (1.05, "B", ".", 301, 102, 0, False),
        (2.0, "B", "P.", 301, 102, 13, False),  # data from CLOSE-WAIT
        (2.05, "A", ".", 102, 314, 0, False),  # acknowledged from FIN-WAIT-2
        (3.0, "B", "F.", 314, 102, 0, False),
        (3.05, "A", ".", 102, 315, 0, False),
    ]
    assert t.states_at(2.5) == {"A": FW2, "B": CW}
    assert "data received (13 bytes)" in [e.text for e in t.events_of("signal", "A")]
    assert entered(t, "A", CLOSED) == [pytest.approx(243.05)]


@pytest.mark.parametrize(
    ("profile", "fin_again", "time_wait"), [("rfc9293", 3.0, 240.0), ("linux", 2.3, 60.0)]
)
def test_lost_final_ack_restarts_time_wait(
    profile: str, fin_again: float, time_wait: float
) -> None:
    t = run_scenario("lost-final-ack", profile=profile)
    assert wire(t)[5:] == [
        (2.0, "B", "F.", 301, 102, 0, False),
        (2.05, "A", ".", 102, 302, 0, True),
        (fin_again, "B", "F.", 301, 102, 0, False),  # B's RTO after one 0.1 s sample
        (round(fin_again + 0.05, 6), "A", ".", 102, 302, 0, False),
    ]
    assert entered(t, "B", CLOSED) == [pytest.approx(fin_again + 0.1)]
    # The retransmitted FIN restarts the 2MSL timer (RFC 9293 3.10.7.4, TIME-WAIT).
    assert entered(t, "A", CLOSED) == [pytest.approx(fin_again + 0.05 + time_wait)]


def test_lost_final_ack_of_the_handshake() -> None:
    t = run_scenario("lost-final-ack", phase="handshake")
    assert wire(t) == [
        *HANDSHAKE[:2],
        (0.1, "A", ".", 101, 301, 0, True),
        (1.05, "B", "S.", 300, 101, 0, False),
        (1.1, "A", ".", 101, 301, 0, False),
    ]
    assert t.states_at(1.0) == {"A": ESTAB, "B": SYN_RCVD}
    assert entered(t, "B", ESTAB) == [1.15]


@pytest.mark.parametrize(("profile", "flags", "ack"), [("rfc9293", "R", 0), ("linux", "R.", 301)])
def test_abort_sends_rst_at_snd_nxt(profile: str, flags: str, ack: int) -> None:
    t = run_scenario("abort", profile=profile)
    assert wire(t) == [*HANDSHAKE, (1.0, "A", flags, 101, ack, 0, False)]
    assert states(t, "A")[-2:] == [ESTAB, CLOSED] and entered(t, "A", CLOSED) == [1.0]
    assert signals(t, "B")[-2:] == ["connection reset", "closed"]
    assert entered(t, "B", CLOSED) == [1.05]


# -- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_keepalive_declares_the_crashed_client_dead(profile: str) -> None:
    t = run_scenario("client-crash-keepalive", profile=profile)
    probes = [r for r in wire(t) if r[1] == "B" and r[2] == "."]
    # Last segment from A at 0.15; probes <SEQ=SND.NXT-1> at 0.15 + 20, + 5, + 5, all lost.
    assert probes == [
        (20.15, "B", ".", 300, 101, 0, True),
        (25.15, "B", ".", 300, 101, 0, True),
        (30.15, "B", ".", 300, 101, 0, True),
    ]
    assert entered(t, "B", CLOSED) == [pytest.approx(0.15 + 20 + 3 * 5)]
    assert "timed out: keepalive: the peer did not answer" in signals(t, "B")
    assert [e.text for e in t.events_of("crash")] == ["crash: all connection state lost"]
    rst = [r for r in wire(t) if r[2].startswith("R")]
    assert rst == ([] if profile == "rfc9293" else [(35.15, "B", "R.", 301, 101, 0, True)])


def test_keepalive_with_the_seed_articles_numbers() -> None:
    t = run_scenario("client-crash-keepalive", idle=7200.0, interval=75.0, probes=10)
    assert entered(t, "B", CLOSED) == [pytest.approx(0.15 + 7200 + 10 * 75)]


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_half_open_after_server_reboot_is_reset(profile: str) -> None:
    t = run_scenario("half-open-after-server-reboot", profile=profile)
    assert wire(t) == [
        *HANDSHAKE,
        (10.0, "A", "P.", 101, 301, 5, False),
        (10.05, "B", "R", 301, 0, 0, False),  # <SEQ=SEG.ACK><CTL=RST> from the new listener
    ]
    assert states(t, "B") == [CLOSED, LISTEN, SYN_RCVD, ESTAB, CLOSED, CLOSED, LISTEN]
    assert t.states_at(3.0)["B"] is CLOSED  # crashed at 1.0
    assert signals(t, "A")[-2:] == ["connection reset", "closed"]
    assert entered(t, "A", CLOSED) == [10.1]


def test_syn_flood_rfc9293_the_client_gives_up_first() -> None:
    t = run_scenario("syn-flood")
    client = [r for r in wire(t) if r[1] == "A"]
    assert [r[0] for r in client] == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 63.5, 123.5]
    assert all(r[6] for r in client)  # every one dropped on arrival
    assert {r.reason for r in t.segments() if r.src == A} == {"listen backlog full (4)"}
    assert len(t.events_of("drop", "B")) == 8
    assert entered(t, "A", CLOSED) == [180.5]
    children = [n for n in t.parent if t.parent[n] == "B"]
    assert len(children) == 4
    for child in children:
        assert states(t, child) == [LISTEN, SYN_RCVD, CLOSED]
        assert entered(t, child, CLOSED) == [pytest.approx(180.05)]


def test_syn_flood_linux_lets_the_client_in_after_63_seconds() -> None:
    t = run_scenario("syn-flood", profile="linux")
    syn_ack_times = sorted({r[0] for r in wire(t) if r[2] == "S." and r[4] > 1000})
    assert syn_ack_times == [0.05, 1.05, 3.05, 7.05, 15.05, 31.05]  # tcp_synack_retries = 5
    client = [r for r in wire(t) if r[1] == "A"]
    assert [(r[0], r[6]) for r in client] == [
        (0.5, True),
        (1.5, True),
        (3.5, True),
        (7.5, True),
        (15.5, True),
        (31.5, True),
        (63.5, False),  # the half-open connections died at 63.05
        (63.6, False),
    ]
    assert entered(t, "A", ESTAB) == [63.6]
    assert t.final_states()["B[10.0.0.1:40000]"] is ESTAB


def test_syn_flood_below_the_backlog_does_not_hurt() -> None:
    t = run_scenario("syn-flood", spoofed=3)
    assert entered(t, "A", ESTAB) == [0.6]


# -- the trace of a scenario ----------------------------------------------------------------------


def test_json_lines_have_exactly_the_design_keys() -> None:
    t = run_scenario("lost-syn")
    lines = [json.loads(line) for line in t.to_json_lines().splitlines()]
    segments = [x for x in lines if "event" not in x]
    keys = {"t", "src", "dst", "seq", "ack", "flags", "win", "len", "options", "checksum_ok"}
    keys.add("states")
    assert set(segments[0]) == keys | {"dropped"} and segments[0]["dropped"] is True
    assert all(set(x) == keys for x in segments[1:])
    assert segments[0]["options"] == [["mss", 1460]]
    assert segments[2] == {
        "t": 1.05,
        "src": B,
        "dst": A,
        "seq": 300,
        "ack": 101,
        "flags": "S.",
        "win": 65535,
        "len": 0,
        "options": [["mss", 1460]],
        "checksum_ok": True,
        "states": {B: "SYN-RECEIVED", A: "ESTABLISHED"},
    }
    events = [x for x in lines if "event" in x]
    assert {"call", "timer", "state"} <= {x["event"] for x in events}
    times = [x["t"] for x in lines]
    assert times == sorted(times)


def test_ladder_shows_arrows_losses_and_states() -> None:
    text = run_scenario("lost-syn").ladder_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[0].split() == ["A", "B"]
    syn_lines = [line for line in lines if "SYN seq=100" in line]
    assert "X" in syn_lines[0] and ">|" not in syn_lines[0]  # lost: no arrowhead
    assert syn_lines[1].rstrip().endswith("->|")
    assert any("<--" in line and "SYN+ACK seq=300 ack=101" in line for line in lines)
    assert any("active OPEN -> SYN-SENT" in line for line in lines)
    assert any(line.rstrip().endswith("SYN-RECEIVED |") for line in lines)


# -- the command line -----------------------------------------------------------------------------


def cli(*argv: str) -> tuple[int, str, str]:
    """``tcpcore scenario ARGV...`` through the one wiring: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["scenario", *argv])
    return code, out.getvalue(), err.getvalue()


def test_cli_lists_every_scenario() -> None:
    code, out, _ = cli("--list")
    assert code == 0
    assert [line for line in out.splitlines() if not line.startswith(" ")] == list(SCENARIOS)


def test_cli_prints_the_ladder_and_json() -> None:
    code, out, _ = cli("handshake")
    assert code == 0 and "SYN+ACK seq=300 ack=101" in out
    code, out, _ = cli("abort", "--profile", "linux", "--json")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [x["flags"] for x in lines if "flags" in x] == ["S", "S.", ".", "R."]


@pytest.mark.parametrize(
    ("argv", "names"),
    [(["nope"], "handshake, simultaneous-open"), (["handshake", "--profile", "bsd"], "linux")],
)
def test_cli_rejects_unknown_names_with_the_choices(argv: list[str], names: str) -> None:
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and names in err


def test_faults_are_applied_after_setup_and_before_the_run() -> None:
    plain = run_scenario("handshake")
    lossy = run_scenario("handshake", faults=lambda net: net.drop_nth("A", 1))
    first = next(r for r in lossy.segments() if r.sender == "A")
    assert first.dropped and first.segment.flags == Flags.SYN
    # the SYN is sent again after the initial RTO (RFC 6298 2.1: 1 s), so the open ends later
    assert lossy.segments()[-1].sent > plain.segments()[-1].sent + 0.9
    assert lossy.state_sequence("A")[-1] == plain.state_sequence("A")[-1]
