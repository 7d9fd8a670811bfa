"""The interview questions (tcpcore.quiz): well formed, and each answer shown by its simulation.

For every question the test runs its scenario (and the further demonstrations in ``also``) and
asserts the concrete facts the explanation relies on: which segment was lost, what was sent
again, which states each end went through and when. If the reference changes behaviour, the
question whose explanation no longer holds fails here, by name.

Scenario conventions (tcpcore.scenarios): A is 10.0.0.1:40000 with ISS 100, B is 10.0.0.2:80
with ISS 300, the one-way delay is 0.05 s, B listens and A connects at t=0.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

from tcpcore import Flags, State, Trigger, lookup, quiz, read_pcap
from tcpcore.capturetrace import shipped_captures, trace_from_capture
from tcpcore.connection import Connection, rfc6528_iss
from tcpcore.scenarios import SCENARIOS, list_scenarios, parameters
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
    assert (Path(__file__).parent.parent / "notebooks" / f"{question.lesson}.ipynb").exists()
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

    app = widgets.predict_then_reveal(question)
    app.choice.value = question.correct
    app.do_commit()
    app.reveal()
    assert app.correct is True
    assert app.trace.scenario == question.scenario
    assert app.trace.profile == question.profile
    assert app.trace.params == question.run().params
