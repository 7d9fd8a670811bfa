"""Trace events carry typed facts (State, Trigger); strings are made only for JSON and people."""

from __future__ import annotations

import dataclasses
import json

from tcpcore.capture.annotate import shipped_captures, trace_from_capture
from tcpcore.capture.pcap import read_pcap
from tcpcore.protocol.states import State
from tcpcore.protocol.table import Trigger
from tcpcore.sim.scenarios import run_scenario
from tcpcore.viz.layout.ladder import ladder_layout

S, T = State, Trigger


def test_a_state_event_holds_states_and_its_trigger_and_prints_the_same_json() -> None:
    """A's first state change is CLOSED -> SYN-SENT on active OPEN, as objects and as JSON."""
    trace = run_scenario("handshake")
    first = trace.events_of("state", "A")[0]
    assert (first.old, first.new, first.trigger) == (S.CLOSED, S.SYN_SENT, T.OPEN_ACTIVE)
    line = first.to_json()
    assert {k: line[k] for k in ("event", "text", "old", "new", "trigger")} == {
        "event": "state",
        "text": "SYN-SENT",
        "old": "CLOSED",
        "new": "SYN-SENT",
        "trigger": "active OPEN",
    }
    assert json.loads(trace.to_json_lines().splitlines()[0])  # still one object per line


def test_a_listeners_call_is_a_cause_in_words() -> None:
    """A listener's listen() changes state with no table row: its cause is words, no Trigger."""
    trace = run_scenario("syn-flood")
    moved = [e for e in trace.events if e.kind == "state" and e.trigger is None]
    assert moved and all(e.cause and isinstance(e.new, State) for e in moved)
    assert all(e.to_json()["trigger"] == e.cause for e in moved)


def test_timers_are_found_by_their_trigger_not_their_text() -> None:
    """The ladder finds a retransmission timer even if the event's text says something else."""
    trace = run_scenario("lost-syn")
    timers = [e for e in trace.events if e.kind == "timer"]
    assert {e.trigger for e in timers} >= {T.RETRANSMIT_TIMEOUT}
    before = [(b.endpoint, b.kind, b.t0, b.t1) for b in ladder_layout(trace).timers]
    trace.events = [
        dataclasses.replace(e, text="renamed") if e.kind == "timer" else e for e in trace.events
    ]
    after = [(b.endpoint, b.kind, b.t0, b.t1) for b in ladder_layout(trace).timers]
    assert after == before and any(kind == "retransmission" for _, kind, _, _ in after)


def test_a_captures_doubt_is_a_field_of_its_segment() -> None:
    """The observer's note on a crossed segment lands on that record, with States beside it."""
    trace = trace_from_capture(read_pcap(shipped_captures()["simultaneous-close"]))
    doubted = [r for r in trace.segments() if r.doubt]
    assert [r.doubt.split(":")[0] for r in doubted] == ["segments crossed"]
    assert all(isinstance(r.src_state, State) for r in trace.segments())
    moves = trace.events_of("state")
    assert moves and all(isinstance(e.new, State) and e.trigger is None for e in moves)
