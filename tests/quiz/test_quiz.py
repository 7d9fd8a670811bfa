"""The interview questions (tcpcore.quiz): well formed, and each answer shown by its simulation.

For every question the test runs its scenario (and the further demonstrations in ``also``) and
asserts the concrete facts the explanation relies on: which segment was lost, what was sent
again, which states each end went through and when. If the reference changes behaviour, the
question whose explanation no longer holds fails here, by name.

Scenario conventions (tcpcore.sim.scenarios): A is 10.0.0.1:40000 with ISS 100, B is 10.0.0.2:80
with ISS 300, the one-way delay is 0.05 s, B listens and A connects at t=0.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT

from tcpcore import Flags, State, Trigger, lookup, quiz, read_pcap
from tcpcore import Segment as Segment_
from tcpcore.capture.annotate import shipped_captures, trace_from_capture
from tcpcore.protocol.connection import Connection, rfc6528_iss
from tcpcore.sim.scenarios import SCENARIOS, list_scenarios, parameters
from tcpcore.trace import SegmentRecord, Trace

SYN, ACK, FIN, RST, PSH = Flags.SYN, Flags.ACK, Flags.FIN, Flags.RST, Flags.PSH
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


# -- helpers ------------------------------------------------------------------------------------


def wire(trace: Trace) -> list[tuple[float, str, str, int, int, bool]]:
    """(sent, sender, flags as RFC names, seq, ack, lost) for every segment, in order."""
    return [
        (
            round(r.sent, 6),
            r.sender or "?",
            r.segment.flags.names(),
            r.segment.seq,
            r.segment.ack,
            r.dropped,
        )
        for r in trace.segments()
    ]


def sent_by(trace: Trace, name: str, flags: Flags | None = None) -> list[SegmentRecord]:
    """Segments sent by endpoint ``name`` (or its listener's children), optionally with exactly
    these flags."""
    return [
        r
        for r in trace.segments()
        if r.sender is not None
        and (r.sender == name or r.sender.startswith(name + "["))
        and (flags is None or r.segment.flags == flags)
    ]


def when(trace: Trace, name: str, state: State, nth: int = 0) -> float:
    """The time endpoint ``name`` entered ``state`` (the nth time)."""
    times = [t for t, s in trace.timelines[name] if s is state]
    assert len(times) > nth, f"{name} never entered {state} (x{nth + 1}): {trace.timelines[name]}"
    return times[nth]


def states(trace: Trace, name: str) -> list[State]:
    """The states an endpoint went through, each entry once (repeats of the same state
    collapsed)."""
    out: list[State] = []
    for s in trace.state_sequence(name):
        if not out or out[-1] is not s:
            out.append(s)
    return out


def signals(trace: Trace, name: str) -> list[str]:
    return [e.text for e in trace.events_of("signal", name)]


def demo(qid: str, index: int) -> Trace:
    """Run demonstration ``index`` of question ``qid`` (0 is the question's own scenario)."""
    return quiz.get(qid).demos[index].run()


# -- the data itself ----------------------------------------------------------------------------


def test_ids_are_unique_and_in_course_order() -> None:
    ids = quiz.ids()
    assert len(ids) == len(set(ids)) == len(quiz.QUESTIONS) >= 16
    assert ids[0] == "three-way-handshake"


@pytest.mark.parametrize("question", quiz.QUESTIONS, ids=lambda q: q.id)
def test_every_question_is_complete(question: quiz.Question) -> None:
    assert question.prompt and question.title and question.explanation
    assert question.rfc_refs and all(r.startswith("RFC ") for r in question.rfc_refs)
    assert question.lesson[:2].isdigit()
    assert (ROOT / "notebooks" / f"{question.lesson}.ipynb").exists()
    if question.choices is not None:
        assert isinstance(question.answer, int) and len(question.choices) >= 2
        assert len(set(question.choices)) == len(question.choices)


@pytest.mark.parametrize("question", quiz.QUESTIONS, ids=lambda q: q.id)
def test_every_demonstration_names_a_scenario_and_runs(question: quiz.Question) -> None:
    for d in question.demos:
        assert d.scenario in SCENARIOS
        own = parameters(d.scenario)
        assert set(d.params) <= {*own, "profile", "delay", "time_wait", "msl"}, d.params
        trace = d.run()
        assert trace.scenario == d.scenario and trace.profile == d.profile
        assert trace.records, f"{question.id}: {d.scenario} sent nothing"


def test_the_quiz_shows_most_scenarios() -> None:
    used = {d.scenario for q in quiz.QUESTIONS for d in q.demos}
    assert used >= {name for name, _ in list_scenarios()} - {"handshake", "lost-syn"}


def test_questions_are_frozen_and_their_parameters_read_only() -> None:
    q = quiz.get("many-close-wait")
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        q.scenario_params["server_close_at"] = 1.0  # type: ignore[index]
    assert hash(q) == hash(quiz.get("many-close-wait"))


def test_a_bad_question_is_refused_when_it_is_built() -> None:
    base = quiz.get("half-close")
    with pytest.raises(quiz.QuizError, match="unknown scenario"):
        dataclasses.replace(base, scenario="no-such-scenario")
    with pytest.raises(quiz.QuizError, match="index"):
        dataclasses.replace(base, answer=9)
    with pytest.raises(quiz.QuizError, match="accepted answers"):
        dataclasses.replace(base, choices=None, answer=1)
    with pytest.raises(quiz.QuizError, match="lowercase"):
        dataclasses.replace(base, id="Half Close")


# -- check() --------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", quiz.QUESTIONS, ids=lambda q: q.id)
def test_check_accepts_the_answer_and_refuses_the_others(question: quiz.Question) -> None:
    ok, why = quiz.check(question.id, question.correct)
    assert ok and why == question.explanation
    if question.choices is None:
        assert quiz.check(question.id, "  " + question.correct.upper() + ". ")[0]
        assert not quiz.check(question.id, "certainly not this")[0]
    else:
        assert quiz.check(question.id, question.answer)[0]
        assert quiz.check(question.id, "abcd"[question.answer])[0]
        for i in range(len(question.choices)):
            if i != question.answer:
                assert quiz.check(question.id, i) == (False, question.explanation)


def test_check_takes_a_number_for_a_short_answer() -> None:
    assert quiz.check("sequence-space", 102) == (True, quiz.get("sequence-space").explanation)
    assert not quiz.check("sequence-space", 101)[0]


def test_check_names_what_was_wrong() -> None:
    with pytest.raises(quiz.QuizError, match="no question 'nope'; known ids: three-way"):
        quiz.check("nope", 1)
    with pytest.raises(quiz.QuizError, match="from 0 to 3"):
        quiz.check("half-close", 4)
    with pytest.raises(quiz.QuizError, match="not bool"):
        quiz.check("half-close", True)
    with pytest.raises(quiz.QuizError, match="not NoneType"):
        quiz.check("half-close", None)


# -- each answer, demonstrated ---------------------------------------------------------------------


def test_three_way_handshake_rejects_the_old_duplicate_syn() -> None:
    t = demo("three-way-handshake", 0)
    assert wire(t) == [
        (0.0, "A", "SYN", 100, 0, False),  # A's real SYN, delayed in the network
        (0.0, "?", "SYN", 90, 0, False),  # the old duplicate
        (0.05, "B[10.0.0.1:40000]", "SYN+ACK", 300, 91, False),
        (0.1, "A", "RST", 91, 0, False),  # A never sent 90: reset, <SEQ=SEG.ACK>
        (0.2, "B[10.0.0.1:40000]#2", "SYN+ACK", 400, 101, False),
        (0.25, "A", "ACK", 101, 401, False),
    ]
    assert states(t, "B[10.0.0.1:40000]") == [LISTEN, SYN_RCVD, LISTEN]
    assert t.final_states()["A"] is ESTAB
    assert t.final_states()["B[10.0.0.1:40000]#2"] is ESTAB


def test_a_two_way_handshake_connects_b_to_a_ghost_and_never_a() -> None:
    t = demo("three-way-handshake", 1)
    assert t.params["variant"] == "two-way"
    assert when(t, "B", ESTAB) == pytest.approx(0.05)  # on the old SYN alone
    answers = sent_by(t, "B", SYN | ACK)
    assert answers and {r.segment.ack for r in answers} == {91}  # the wrong numbers, forever
    assert ESTAB not in t.state_sequence("A")
    assert t.final_states()["A"] is CLOSED
    assert any(s.startswith("timed out") for s in signals(t, "A"))


def test_three_way_handshake_b_is_not_committed_until_the_third_segment() -> None:
    t = demo("three-way-handshake", 2)
    lost = [r for r in t.segments() if r.dropped]
    assert [(r.sender, r.segment.flags) for r in lost] == [("B", SYN | ACK)]
    assert t.states_at(1.0)["B"] is SYN_RCVD  # a second after its SYN+ACK left
    assert len(sent_by(t, "B", SYN | ACK)) == 2  # B retransmits it
    assert when(t, "B", ESTAB) == pytest.approx(1.15)  # only when A's ACK arrives


def test_four_way_close_ack_at_once_fin_when_the_application_closes() -> None:
    t = demo("four-way-close", 0)
    close = wire(t)[3:]
    assert close == [
        (1.0, "A", "FIN+ACK", 101, 301, False),
        (1.05, "B", "ACK", 301, 102, False),  # B's TCP, at once
        (2.0, "B", "FIN+ACK", 301, 102, False),  # B's application, a second later
        (2.05, "A", "ACK", 102, 302, False),
    ]
    assert t.states_at(1.9)["B"] is CW and t.states_at(1.9)["A"] is FW2
    assert states(t, "A")[-4:] == [FW1, FW2, TW, CLOSED]
    # Three segments: a FIN that also acknowledges ours takes FIN-WAIT-1 straight to TIME-WAIT.
    row = lookup(FW1, Trigger.FIN_ACK_OF_FIN)
    assert row.next is TW and row.clause.startswith("3.10.7.4 eighth")


def test_four_way_close_crossed_fins_are_still_four_segments() -> None:
    t = demo("four-way-close", 1)
    close = [r for r in t.segments() if r.sent >= 1.0]
    assert sorted(r.segment.flags.names() for r in close) == ["ACK", "ACK", "FIN+ACK", "FIN+ACK"]


def test_time_wait_acknowledges_the_fin_resent_after_the_last_ack_is_lost() -> None:
    t = demo("time-wait-2msl", 0)
    lost = [r for r in t.segments() if r.dropped]
    assert [(r.sender, r.segment.label()) for r in lost] == [("A", "ACK seq=102 ack=302")]
    fins = sent_by(t, "B", FIN | ACK)
    assert [round(r.sent, 3) for r in fins] == [2.0, 3.0]  # resent on B's RTO
    assert fins[1].dst_state is TW  # A was still in TIME-WAIT when it came
    again = sent_by(t, "A", ACK)[-1]
    assert (round(again.sent, 3), again.segment.ack, again.dropped) == (3.05, 302, False)
    assert when(t, "B", CLOSED, nth=1) == pytest.approx(3.1)
    # The 2*MSL timer restarted at the resent FIN: 3.05 + 240, not 2.05 + 240.
    assert t.timelines["A"][-1] == (pytest.approx(3.05 + 240.0), CLOSED)
    assert "2MSL timeout" in [e.text for e in t.events_of("timer", "A")]


def test_without_time_wait_the_resent_fin_draws_a_rst() -> None:
    t = demo("time-wait-2msl", 1)
    assert when(t, "A", CLOSED, nth=1) == pytest.approx(2.55)  # TIME-WAIT of 0.5 s
    resent = sent_by(t, "B", FIN | ACK)[1]
    assert resent.dst_state is None or resent.dst_state is CLOSED
    rst = [r for r in t.segments() if r.segment.flags & RST]
    assert [(round(r.sent, 3), r.segment.seq) for r in rst] == [(3.05, 102)]
    assert t.final_states()["B"] is CLOSED


def test_time_wait_is_60_seconds_on_linux() -> None:
    t = demo("time-wait-2msl", 2)
    # Linux's tail loss probe (RFC 8985) resends the FIN after 0.25 s rather than a full RTO.
    resent = sent_by(t, "B", FIN | ACK)[1]
    assert resent.sent == pytest.approx(2.3) and resent.dst_state is TW
    last_ack = sent_by(t, "A", ACK)[-1]
    assert t.timelines["A"][-1] == (pytest.approx(last_ack.sent + 60.0), CLOSED)


def test_keepalive_finds_the_crashed_client() -> None:
    t = demo("client-crash", 0)  # idle 20 s, interval 5 s, 3 probes
    assert [e.text for e in t.events_of("crash")] == ["crash: all connection state lost"]
    probes = sent_by(t, "B", ACK)
    assert [round(r.sent, 3) for r in probes] == [20.15, 25.15, 30.15]
    assert all(r.dropped and r.segment.seq == 300 for r in probes)  # SND.NXT - 1
    assert when(t, "B", CLOSED, nth=1) == pytest.approx(0.15 + 20 + 3 * 5)
    assert any(s.startswith("timed out: keepalive") for s in signals(t, "B"))


def test_linux_keepalive_sends_nine_probes_75_s_apart_after_two_hours() -> None:
    t = demo("client-crash", 1)
    probes = sent_by(t, "B", ACK)
    assert len(probes) == 9  # tcp_keepalive_probes, not 10
    gaps = {round(b.sent - a.sent, 6) for a, b in itertools.pairwise(probes)}
    assert gaps == {75.0}
    assert probes[0].sent == pytest.approx(0.15 + 7200)
    assert when(t, "B", CLOSED, nth=1) == pytest.approx(0.15 + 7875)
    assert sent_by(t, "B", RST | ACK)  # Linux resets as it gives up


def test_a_rebooted_host_resets_the_half_open_connection() -> None:
    t = demo("client-crash", 2)
    data = sent_by(t, "A", PSH | ACK)[0]
    rst = next(r for r in t.segments() if r.segment.flags == RST)
    assert rst.segment.seq == data.segment.ack  # <SEQ=SEG.ACK><CTL=RST>
    assert "connection reset" in signals(t, "A")


def test_syn_flood_keeps_the_client_out_until_the_half_open_entries_give_up() -> None:
    t = demo("syn-flood", 0)  # Linux
    drops = t.events_of("drop", "B")
    assert len(drops) == 6 and all("backlog full" in e.text for e in drops)
    syns = sent_by(t, "A", SYN)
    assert [round(r.sent, 3) for r in syns] == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 63.5]
    assert [r.dropped for r in syns] == [True] * 6 + [False]
    half_open = [n for n in t.timelines if n.startswith("B[10.66.")]
    assert len(half_open) == 4
    assert all(t.timelines[n][-1] == (pytest.approx(63.05), CLOSED) for n in half_open)
    assert when(t, "A", ESTAB) == pytest.approx(63.6)


def test_syn_flood_under_rfc_timers_the_client_never_gets_in() -> None:
    t = demo("syn-flood", 1)
    last = sent_by(t, "A", SYN)[-1]
    assert last.sent == pytest.approx(123.5) and last.dropped
    assert ESTAB not in t.state_sequence("A")
    assert when(t, "A", CLOSED, nth=1) == pytest.approx(180.5)


def test_close_wait_lasts_until_the_application_closes() -> None:
    t = demo("many-close-wait", 0)  # Linux, B closes ten minutes late
    assert when(t, "B", CW) == pytest.approx(1.05)
    assert when(t, "B", LAST_ACK) == pytest.approx(600.0)
    assert t.states_at(599.0)["B"] is CW
    assert when(t, "A", CLOSED, nth=1) == pytest.approx(61.1)  # orphaned FIN-WAIT-2, 60 s
    late_fin = sent_by(t, "B", FIN | ACK)[0]
    assert late_fin.sent == pytest.approx(600.0)
    rst = [r for r in t.segments() if r.segment.flags & RST]
    assert [(r.src, round(r.sent, 3)) for r in rst] == [("10.0.0.1:40000", 600.05)]


def test_time_wait_belongs_to_whoever_closes_first() -> None:
    server_first, client_first = demo("many-time-wait", 0), demo("many-time-wait", 1)
    assert TW in server_first.state_sequence("B") and TW not in server_first.state_sequence("A")
    assert TW in client_first.state_sequence("A") and TW not in client_first.state_sequence("B")
    assert server_first.timelines["B"][-1] == (pytest.approx(2.05 + 240), CLOSED)
    assert server_first.timelines["A"][-1] == (pytest.approx(2.1), CLOSED)


def test_isns_follow_rfc_6528_clock_plus_keyed_hash() -> None:
    secret = b"k" * 32
    a, b = ("10.0.0.1", 40000), ("10.0.0.2", 80)
    first, later = rfc6528_iss(0.0, a, b, secret), rfc6528_iss(1.0, a, b, secret)
    assert (later - first) % 2**32 == 250_000  # the 4-microsecond clock M
    other_port = rfc6528_iss(0.0, ("10.0.0.1", 40001), b, secret)
    other_key = rfc6528_iss(0.0, a, b, b"x" * 32)
    assert len({first, other_port, other_key}) == 3  # F depends on the four-tuple and the key
    conn = Connection(40000, 80, iss=None, secret=secret)
    conn.connect(now=2.0)
    (syn,) = conn.pop_segments()
    assert syn.seq == rfc6528_iss(2.0, ("10.0.0.1", 40000), ("10.0.0.2", 80), secret)


def test_old_duplicate_is_told_apart_only_by_the_isn() -> None:
    t = demo("random-isn", 0)
    old = next(r for r in t.segments() if r.note == "old duplicate")
    rst = sent_by(t, "A", RST)[0]
    assert old.segment.seq == 90 and rst.segment.seq == old.segment.seq + 1


def test_half_close_data_flows_from_close_wait_to_fin_wait_2() -> None:
    t = demo("half-close", 0)
    data = sent_by(t, "B", PSH | ACK)[0]
    assert data.src_state is CW and data.dst_state is FW2
    assert data.segment.payload == b"still talking"
    ack = next(r for r in sent_by(t, "A", ACK) if r.sent > data.sent)
    assert ack.segment.ack == 301 + 13 == 314
    assert when(t, "A", TW) == pytest.approx(3.05)  # only once B's FIN arrives
    assert t.states_at(2.5)["A"] is FW2


def test_rst_for_a_closed_port() -> None:
    t = demo("when-rst", 0)
    assert wire(t) == [(0.0, "A", "SYN", 100, 0, False), (0.05, "?", "RST+ACK", 0, 101, False)]
    assert "connection refused" in signals(t, "A")


def test_rst_for_an_abort_without_fin_or_time_wait() -> None:
    t = demo("when-rst", 1)
    assert wire(t)[-1] == (1.0, "A", "RST", 101, 0, False)  # <SEQ=SND.NXT><CTL=RST>
    assert not [r for r in t.segments() if r.segment.flags & FIN]
    assert TW not in t.state_sequence("A")
    assert "connection reset" in signals(t, "B")


def test_rst_for_data_on_a_forgotten_connection() -> None:
    t = demo("when-rst", 2)
    assert wire(t)[-1] == (10.05, "?", "RST", 301, 0, False)


def test_rst_for_an_acknowledgment_of_something_never_sent() -> None:
    t = demo("when-rst", 3)
    assert sent_by(t, "A", RST)[0].segment.seq == 91


def test_linux_resets_when_it_closes_with_unread_data() -> None:
    capture = read_pcap(shipped_captures()["close-unread"])
    segs = [(p.src, p.segment) for p in capture if p.segment is not None]
    client = segs[0][0]
    last_from_client = [s for src, s in segs if src == client][-1]
    assert len(last_from_client.payload) == 22  # "nobody will read this\n"
    src, rst = segs[-1]
    assert src != client and rst.flags == RST | ACK
    assert not any(s.flags & FIN for _, s in segs)  # no FIN at all: the RST replaces it


def test_linux_passes_through_closing_when_fins_cross() -> None:
    trace = trace_from_capture(read_pcap(shipped_captures()["simultaneous-close"]))
    closing = {addr for r in trace.segments() for addr, s in r.states.items() if s == "CLOSING"}
    assert len(closing) == 2  # both ends, as the kernel's own ss reported


def test_linux_acknowledges_both_crossed_syn_acks() -> None:
    capture = read_pcap(shipped_captures()["simultaneous-open"])
    flags = [p.segment.flags.names() for p in capture if p.segment is not None][:6]
    assert flags == ["SYN", "SYN", "SYN+ACK", "SYN+ACK", "ACK", "ACK"]


def test_simultaneous_open_makes_one_connection() -> None:
    t = demo("simultaneous-open", 0)
    for name in ("A", "B"):
        assert states(t, name) == [CLOSED, SYN_SENT, SYN_RCVD, ESTAB]
        assert len(sent_by(t, name, SYN)) == 1 and len(sent_by(t, name, SYN | ACK)) == 1
    assert len(t.segments()) == 6  # Figure 7's four, plus an ACK from each side


def test_simultaneous_close_passes_closing_on_both_sides() -> None:
    t = demo("simultaneous-close", 0)
    for name in ("A", "B"):
        assert states(t, name)[-4:] == [FW1, CLOSING, TW, CLOSED]
    fins = [r for r in t.segments() if r.segment.flags & FIN]
    assert {r.segment.ack for r in fins} == {101, 301}  # neither FIN acknowledges the other


def test_syn_and_fin_occupy_one_number_ack_none() -> None:
    t = demo("sequence-space", 0)
    w = wire(t)
    assert w[0][2:5] == ("SYN", 100, 0) and w[1][2:5] == ("SYN+ACK", 300, 101)
    a_fin = sent_by(t, "A", FIN | ACK)[0].segment
    assert a_fin.seq == 101 and a_fin.seg_len == 1 and not a_fin.payload
    b_ack = next(r for r in sent_by(t, "B", ACK) if r.sent > 1.0).segment
    assert b_ack.ack == 102 and quiz.check("sequence-space", str(b_ack.ack))[0]
    a_last = sent_by(t, "A", ACK)[-1].segment
    assert a_last.seq == 102 and a_last.seg_len == 0  # an ACK takes no number


def test_a_syn_can_arrive_after_the_handshake_began() -> None:
    rfc, linux = demo("syn-after-handshake", 0), demo("syn-after-handshake", 1)
    for t in (rfc, linux):
        second = sent_by(t, "A", SYN)[1]
        assert second.sent == pytest.approx(1.0) and second.dst_state is SYN_RCVD
    answers = [r for r in rfc.segments() if r.sender == "B" and r.sent == pytest.approx(1.05)]
    assert ("ACK", 301, 101) in {
        (r.segment.flags.names(), r.segment.seq, r.segment.ack) for r in answers
    }
    again = [r for r in linux.segments() if r.sender == "B" and r.sent > 1.0]
    assert {r.segment.flags for r in again} == {SYN | ACK}
    assert lookup(ESTAB, Trigger.SYN).actions[0].name == "SEND_CHALLENGE_ACK"


def test_only_the_first_syn_has_no_ack() -> None:
    t = demo("ack-flag", 0)
    without = [r.segment for r in t.segments() if not r.segment.flags & ACK]
    assert [s.label() for s in without] == ["SYN seq=100"]
    assert quiz.check("ack-flag", "the SYN")[0]


def test_fin_wait_1_lasts_one_round_trip_with_a_live_peer() -> None:
    t = demo("fin-wait-1", 0)  # one-way delay 0.4 s
    assert when(t, "A", FW2) - when(t, "A", FW1) == pytest.approx(0.8)
    assert when(t, "A", TW) - when(t, "A", FW2) == pytest.approx(1.6)  # waits for B's app


# -- the questions lesson 06 asks on its own ----------------------------------------------------


def test_a_fin_ack_in_fin_wait_1_leads_to_closing_unless_it_acknowledges_our_fin() -> None:
    """Crossed FINs carry the ACK flag but acknowledge only old data: CLOSING, not TIME-WAIT."""
    t = demo("fin-ack-in-fin-wait-1", 0)
    b_fin = sent_by(t, "B", FIN | ACK)[0].segment
    a_fin = sent_by(t, "A", FIN | ACK)[0].segment
    assert b_fin.flags & ACK and b_fin.ack == a_fin.seq  # ACK set, A's FIN not covered
    assert states(t, "A")[-4:] == [FW1, CLOSING, TW, CLOSED]
    t = demo("fin-ack-in-fin-wait-1", 1)
    assert states(t, "A")[-4:] == [FW1, FW2, TW, CLOSED]


def test_without_delayed_acks_the_reference_closes_in_four_segments() -> None:
    """B closes 10 ms after A's FIN arrives, yet its ACK has already left: four segments."""
    t = demo("three-segment-close", 0)
    closing = [r for r in t.segments() if r.sent >= 1.0]
    assert [r.segment.flags for r in closing] == [FIN | ACK, ACK, FIN | ACK, ACK]
    assert closing[1].sent == pytest.approx(1.05) and closing[2].sent == pytest.approx(1.06)


def test_a_linux_server_closing_first_holds_time_wait_for_60_s() -> None:
    """The side that closes first (here B, the server) is the one left in TIME-WAIT, 60 s."""
    t = demo("so-reuseaddr", 0)
    assert TW in states(t, "B") and TW not in states(t, "A")
    assert when(t, "B", CLOSED, nth=1) - when(t, "B", TW) == pytest.approx(60.0)


def test_a_syn_in_time_wait_reopens_under_linux_and_is_challenged_under_the_rfc() -> None:
    """syn-in-time-wait: Linux goes TIME-WAIT -> SYN-RECEIVED -> ESTABLISHED (MAY-2); the
    rfc9293 profile answers with a challenge ACK and B stays in TIME-WAIT until A's RST."""
    linux, rfc = demo("syn-in-time-wait", 0), demo("syn-in-time-wait", 1)
    child = "B[10.0.0.1:40000]"  # the listener's child for A's four-tuple
    path = states(linux, child)
    i = path.index(TW)
    assert path[i + 1 :] == [SYN_RCVD, ESTAB]  # reopened from TIME-WAIT, same child
    after = states(rfc, child)[states(rfc, child).index(TW) + 1 :]
    assert after == [CLOSED]  # the challenge ACK drew A's RST at RCV.NXT: no reopening
    assert states(rfc, child + "#2")[-1] is ESTAB  # A's retried SYN found the listener


def test_rfc1337_profile_alone_ignores_a_rst_in_time_wait() -> None:
    """tcp_rfc1337=1 is the only profile that survives TIME-WAIT assassination."""
    from tcpcore.protocol.profiles import get_profile

    q = quiz.get("time-wait-assassination")
    assert q.scenario == "time-wait-assassination" and q.also[0].profile == "linux-rfc1337"
    assert get_profile("linux-rfc1337").ignore_rst_in_time_wait
    assert not get_profile("linux").ignore_rst_in_time_wait
    assert not get_profile("rfc9293").ignore_rst_in_time_wait
    row = lookup(TW, Trigger.RST)
    assert row.next is CLOSED and row.clause == "3.10.7.4 second"
    assert dict(row.variants)["ignore_rst_in_time_wait"].next is TW
    killed, kept = demo("time-wait-assassination", 0), demo("time-wait-assassination", 1)
    assert when(killed, "A", CLOSED, nth=1) - when(killed, "A", TW) < 5.0
    assert when(kept, "A", CLOSED, nth=1) - when(kept, "A", TW) == pytest.approx(60.0)


def test_a_half_connection_is_an_entry_of_the_syn_queue() -> None:
    """The forged SYNs leave four connections in SYN-RECEIVED, the 半连接 of the SYN queue."""
    t = demo("half-connection", 0)
    forged = [n for n in t.timelines if n.startswith("B[10.66.")]
    assert len(forged) == 4
    assert all(t.states_at(1.0)[n] is SYN_RCVD for n in forged)


def test_syn_flood_spoofed_entries_each_get_their_own_isn() -> None:
    """Every half-open child answers from an ISN of its own."""
    t = demo("syn-flood", 0)
    isns = {r.segment.seq for r in t.segments() if r.segment.flags == SYN | ACK}
    assert {300, 1300, 2300, 3300} <= isns
    assert t.params["syncookies"] is False


def test_with_syn_cookies_the_client_gets_in_at_once_and_the_cookie_is_not_resent() -> None:
    """Linux's default: the full SYN queue answers A with a cookie SYN+ACK, never resent, and
    A's ACK creates an ESTABLISHED child with nothing dropped."""
    for qid, index in (("syn-flood", 2), ("listen-queues", 0)):
        t = demo(qid, index)
        assert not t.events_of("drop", "B")
        to_a = [r for r in t.segments() if r.segment.flags == SYN | ACK and r.segment.ack == 101]
        assert len(to_a) == 1 and to_a[0].sent == pytest.approx(0.55)
        cookie = to_a[0].segment.seq
        assert cookie not in {300, 1300, 2300, 3300, 4300}
        assert sent_by(t, "A", ACK)[0].segment.ack == cookie + 1
        assert when(t, "A", ESTAB) == pytest.approx(0.6)
        child = "B[10.0.0.1:40000]"
        assert states(t, child) == [LISTEN, SYN_RCVD, ESTAB]
        assert when(t, child, ESTAB) == pytest.approx(0.65)


def test_a_listener_accepts_only_an_ack_that_returns_its_cookie() -> None:
    """A wrong cookie is answered as a stray ACK in LISTEN (a RST); the right one connects."""
    from tcpcore.protocol.listener import Listener

    lst = Listener(80, backlog=1, syncookies=True, iss=300)
    lst.listen(0.0)
    lst.receive(Segment_(1, 80, 1000, 0, SYN), 0.0, "10.9.9.9")  # fills the backlog
    scratch = lst.receive(Segment_(40000, 80, 100, 0, SYN), 0.0, "10.0.0.1")
    assert scratch is not None and ("10.0.0.1", 40000) not in lst.children
    (syn_ack,) = scratch.pop_segments()
    assert syn_ack.flags == SYN | ACK and syn_ack.ack == 101 and lst.cookies_sent == 1
    wrong = lst.receive(Segment_(40000, 80, 101, syn_ack.seq + 2, ACK), 1.0, "10.0.0.1")
    assert wrong is not None and [s.flags for s in wrong.pop_segments()] == [RST]
    right = lst.receive(Segment_(40000, 80, 101, syn_ack.seq + 1, ACK), 1.0, "10.0.0.1")
    assert right is lst.children[("10.0.0.1", 40000)] and right.state is ESTAB
    assert right.pop_segments() == []  # the replayed SYN's SYN+ACK never leaves
    late = lst.receive(Segment_(40001, 80, 501, syn_ack.seq + 1, ACK), 200.0, "10.0.0.1")
    assert late is not None and ("10.0.0.1", 40001) not in lst.children  # another port: RST


def test_abort_sends_a_rst_and_no_fin() -> None:
    """The RST a close can send instead of a FIN: no FIN, no TIME-WAIT."""
    t = demo("rst-on-close-with-unread-data", 0)
    assert not [r for r in t.segments() if r.segment.flags & FIN]
    assert sent_by(t, "A", RST | ACK) and TW not in states(t, "A")


def test_when_the_third_segment_is_lost_a_is_established_and_b_is_not() -> None:
    """What ss shows: A ESTAB from 0.1 s, B SYN-RECV until A's second ACK arrives at 1.15 s."""
    t = demo("ss-during-the-handshake", 0)
    assert when(t, "A", ESTAB) == pytest.approx(0.1)
    assert t.states_at(1.0)["B"] is SYN_RCVD
    assert when(t, "B", ESTAB) == pytest.approx(1.15)


def test_during_a_linux_close_the_states_ss_shows() -> None:
    """The times the ss-during-the-close explanation gives for each state."""
    t = demo("ss-during-the-close", 0)
    assert (when(t, "B", CW), when(t, "B", LAST_ACK)) == (pytest.approx(1.05), pytest.approx(2.0))
    assert (when(t, "A", FW2), when(t, "A", TW)) == (pytest.approx(1.1), pytest.approx(2.05))
    assert when(t, "A", CLOSED, nth=1) == pytest.approx(62.05)


# -- fair questions: neither the position nor the length of a choice gives the answer away ------

MULTIPLE = [q for q in quiz.QUESTIONS if q.choices is not None]


def _longest(q: quiz.Question) -> bool:
    assert q.choices is not None
    return len(q.correct) >= max(len(c) for c in q.choices if c != q.correct)


def test_the_right_choice_is_the_longest_in_at_most_a_quarter_of_the_questions() -> None:
    """Length must not give the answer away (ties count as longest)."""
    longest = [q.id for q in MULTIPLE if _longest(q)]
    assert len(longest) * 4 <= len(MULTIPLE), longest


def test_the_length_check_catches_a_quiz_where_the_truth_is_longest() -> None:
    """The check above fails on a question set whose right answers are padded."""
    padded = [
        dataclasses.replace(q, choices=tuple(c + " (more)" * (c == q.correct) for c in q.choices))
        for q in MULTIPLE
        if q.choices is not None
    ]
    assert sum(map(_longest, padded)) * 4 > len(padded)


def test_choice_lengths_are_comparable() -> None:
    """No choice is less than two thirds as long as the longest of its question."""
    for q in MULTIPLE:
        assert q.choices is not None
        lengths = [len(c) for c in q.choices]
        assert min(lengths) * 3 >= max(lengths) * 2, (q.id, lengths)


def test_stored_answer_positions_are_spread_evenly() -> None:
    """Each stored position holds the answer about equally often."""
    counts = Counter(q.answer for q in MULTIPLE)
    assert set(counts) == {0, 1, 2, 3} and max(counts.values()) - min(counts.values()) <= 1


STUDENTS = [f"student{i:02d}" for i in range(40)]


@pytest.mark.parametrize("question", MULTIPLE, ids=lambda q: q.id)
def test_choices_for_is_a_permutation_fixed_per_student(question: quiz.Question) -> None:
    """Every student sees all the choices, the same order each time, and orders differ."""
    assert question.choices is not None
    orders = {question.choices_for(s) for s in STUDENTS}
    for s in STUDENTS[:5]:
        shown = question.choices_for(s)
        assert shown == question.choices_for(s) and sorted(shown) == sorted(question.choices)
    assert len(orders) >= 10  # 24 orders are possible
    assert {question.choices_for(s).index(question.correct) for s in STUDENTS} == {0, 1, 2, 3}


def test_choices_for_does_not_depend_on_the_process() -> None:
    """A fresh interpreter with another hash seed gives the same orders (no hash() inside)."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json; from tcpcore import quiz; "
        "print(json.dumps([quiz.get(i).choices_for(s) for i in ('syn-flood', 'half-close') "
        "for s in ('ada', 'bo')]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    ).stdout
    here = [
        list(quiz.get(i).choices_for(s)) for i in ("syn-flood", "half-close") for s in ("ada", "bo")
    ]
    assert json.loads(out) == here
    assert quiz.get("sequence-space").choices_for("ada") == ()


def test_student_id_is_resolved_as_the_assignments_resolve_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TCPCOURSE_STUDENT, then JUPYTERHUB_USER, then the login: the same as autograder.lab."""
    from autograder import lab

    monkeypatch.delenv("TCPCOURSE_STUDENT", raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-ada")
    assert quiz.student_id() == lab.student_id() == "hub-ada"
    monkeypatch.setenv("TCPCOURSE_STUDENT", "nb-ada")
    assert quiz.student_id() == lab.student_id() == "nb-ada"
    monkeypatch.delenv("TCPCOURSE_STUDENT")
    monkeypatch.delenv("JUPYTERHUB_USER")
    assert quiz.student_id() == lab.student_id()
    import getpass

    def no_login() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert quiz.student_id() == "student"


# -- explanations: the answer in two sentences, then the evidence --------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])[\")]?\s+(?=[A-Z0-9\"(])")


@pytest.mark.parametrize("question", quiz.QUESTIONS, ids=lambda q: q.id)
def test_explanations_lead_with_a_two_sentence_answer(question: quiz.Question) -> None:
    """The first paragraph is the answer in one or two sentences; evidence follows."""
    paragraphs = question.paragraphs()
    assert len(paragraphs) >= 2, question.id
    sentences = _SENTENCE_END.split(paragraphs[0])
    assert 1 <= len(sentences) <= 2, sentences


def test_the_rfc_is_quoted_exactly() -> None:
    """Every long quotation in a paragraph that cites an RFC is verbatim in one of the RFCs
    in the reference folder (9293 first), ignoring case and line breaks."""
    from conftest import SHARED

    texts = [
        " ".join(p.read_text().split())
        for p in sorted((SHARED / "reference" / "rfc").glob("*.txt"))
    ]
    rfc = "\n".join(t.replace("- ", "-").casefold() for t in texts)  # hyphens split at a line end
    checked = 0
    for q in quiz.QUESTIONS:
        for par in q.paragraphs():
            if "RFC " not in par:
                continue
            for quoted in [x for x in re.findall(r'"([^"]*)"', par) if len(x) >= 25]:
                if "..." in quoted or quoted.startswith("the "):
                    continue
                quoted = quoted.replace("'", '"').casefold()  # the RFC's inner quotes: double
                assert quoted in rfc or quoted.replace("-", "- ") in rfc, (q.id, quoted)
                checked += 1
    assert checked >= 10


def test_a_question_in_another_language_keeps_its_answer_and_order() -> None:
    """Texts for another language replace the words, not the answer or a student's order."""
    q = quiz.get("half-close")
    assert q.choices is not None
    other = dataclasses.replace(
        q,
        translations={
            "xx": quiz.Texts(
                title="T", prompt="P", choices=tuple(f"c{i}" for i in range(4)), explanation="E"
            )
        },
    )
    xx = other.in_language("xx")
    assert xx.prompt == "P" and xx.language == "xx" and xx.answer == q.answer
    assert xx.order_for("ada") == q.order_for("ada")
    assert xx.check(f"c{q.answer}")[0] and other.in_language("fr") is other
    with pytest.raises(quiz.QuizError, match="as many choices"):
        dataclasses.replace(q, translations={"xx": quiz.Texts("T", "P", ("one",), "E")})


# -- lesson 06 asks questions of its own ----------------------------------------------------------

NOTEBOOKS = ROOT / "notebooks"


def asked(notebook: Path) -> set[str]:
    """The question ids a lesson shows in a predict-then-reveal widget."""
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return set(re.findall(r'predict_then_reveal\(\s*quiz\.get\("([a-z0-9-]+)"\)', code))


def test_lesson_06_asks_at_least_eight_questions_no_other_lesson_asks() -> None:
    """Lesson 06 is not a rerun of lessons 01-05."""
    lessons = {nb.stem: asked(nb) for nb in sorted(NOTEBOOKS.glob("*.ipynb"))}
    six = "06-answer-the-interview-questions"
    others = set().union(*(ids for name, ids in lessons.items() if name != six))
    own = lessons[six] - others
    assert len(own) >= 8, own
    assert all(quiz.get(i).lesson == six for i in own)
    assert {q.id for q in quiz.QUESTIONS if q.lesson == six} <= lessons[six]


def test_every_question_prompt_in_lesson_06_has_its_answer_folded_after_it() -> None:
    """Each **Question.** is followed, in its cell, by a <details> answer before the next one."""
    cells = json.loads((NOTEBOOKS / "06-answer-the-interview-questions.ipynb").read_text())
    prompts = 0
    for cell in cells["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] != "markdown" or "**Question.**" not in text:
            continue
        for part in text.split("**Question.**")[1:]:
            prompts += 1
            m = re.search(r"<details><summary>Answer</summary>(.*?)</details>", part, re.S)
            assert m and len(m.group(1).split()) >= 10, part[:80]
            assert "**Question.**" not in part[: m.start()]
    assert prompts >= 4


# -- the lesson widget reads the questions as they are --------------------------------------------


# Every question with parameters (a profile among them), and one without: each reveal draws a
# ladder, so the others are left to the notebooks that show them.
REVEALED = [q for q in quiz.QUESTIONS if q.scenario_params] + [quiz.get("half-close")]


@pytest.mark.parametrize("question", REVEALED, ids=lambda q: q.id)
def test_predict_then_reveal_accepts_the_answer_and_runs_the_same_demonstration(
    question: quiz.Question,
) -> None:
    pytest.importorskip("ipywidgets")
    from tcpcore import widgets

    app = widgets.predict_then_reveal(question, student="ada")
    if question.choices is None:
        app.choice.value = question.correct
    else:
        app.choose(app.choices.index(question.correct))
    app.do_commit()
    app.reveal()
    assert app.correct is True
    assert app.trace.scenario == question.scenario
    assert app.trace.profile == question.profile
    assert app.trace.params == question.run().params


def test_the_widget_shows_choices_for_order_and_judges_with_question_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The widget lists exactly choices_for(student), defaulting to the logged-in student, and
    asks Question.check, the one checker, for the verdict."""
    pytest.importorskip("ipywidgets")
    from tcpcore import widgets

    q = quiz.get("half-close")
    monkeypatch.delenv("TCPCOURSE_STUDENT", raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "student07")
    app = widgets.predict_then_reveal(q)
    assert app.student == "student07" and app.choices == q.choices_for("student07")
    shown = [lab.value for lab in app.labels]
    assert all(html.escape(c) in v for c, v in zip(app.choices, shown, strict=True))
    other = widgets.predict_then_reveal(q, student="student08")
    assert other.choices == q.choices_for("student08") != app.choices
    calls: list[object] = []
    real = quiz.Question.check

    def spy(self: quiz.Question, answer: object) -> tuple[bool, str]:
        calls.append(answer)
        return real(self, answer)

    monkeypatch.setattr(quiz.Question, "check", spy)
    wrong = next(i for i, c in enumerate(app.choices) if c != q.correct)
    app.choose(wrong)
    app.do_commit()
    app.reveal()
    assert calls == [app.choices[wrong]] and app.correct is False


def test_the_widget_renders_each_paragraph_of_the_explanation() -> None:
    """A blank line in the explanation is a new <p> on the page, not a run-on block."""
    pytest.importorskip("ipywidgets")
    from tcpcore import widgets

    q = quiz.get("fin-wait-1")
    app = widgets.predict_then_reveal(q, student="ada")
    app.choose(0)
    app.do_commit()
    app.reveal()
    paragraphs = re.findall(r"<p[ >](.*?)</p>", app.explanation.value, re.S)
    assert len(paragraphs) == len(q.paragraphs()) + 1  # and the RFC references
    assert html.escape(q.paragraphs()[0]) in paragraphs[0]
