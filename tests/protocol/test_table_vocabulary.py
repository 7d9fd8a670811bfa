"""What a row sends is one fact of the table: every consumer reads it from ``Action.wire``."""

from __future__ import annotations

import pytest

from autograder import keys
from tcpcore import widgets
from tcpcore.protocol.profiles import PROFILES, Profile
from tcpcore.protocol.states import State
from tcpcore.protocol.table import Action, Row, Trigger, lookup, rows
from tcpcore.viz.layout.diagram import edge_rows, transition_label


def _profile_rows(profile: Profile) -> list[tuple[State, Trigger, Row]]:
    return [(s, t, lookup(s, t, profile)) for s, t, _ in rows()]


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_row_of_every_profile_goes_through_every_consumer(name: str) -> None:
    """Each row under each profile is described by the widget, the diagram and the answer keys."""
    profile = PROFILES[name]
    for state, trigger, row in _profile_rows(profile):
        wire = row.wire
        assert len(wire) == len(row.sends) <= 1, (state, trigger, row)
        html = widgets.row_html(state, trigger, row)
        label = transition_label(trigger, row)
        key = keys.reply(row)
        if wire:
            assert f"reply: {wire[0].text}".replace("<", "&lt;").replace(">", "&gt;") in html
            assert label.endswith(f"/ snd {wire[0].figure}")
            assert key == wire[0].segment
        else:
            assert "reply: none" in html and "/ snd" not in label and key is None
    drawn = edge_rows(profile, show_minor=True)
    assert drawn and all(e.label == transition_label(e.trigger, e.row) for e in drawn)


def test_the_loss_probe_rows_have_an_answer_key() -> None:
    """The tail loss probe resends the last segment: the students' word for it is "retransmit"."""
    probes = [r for _, t, r in rows() if t is Trigger.LOSS_PROBE_TIMEOUT]
    assert len(probes) == 5
    assert {keys.reply(r) for r in probes} == {"retransmit"}


def test_sending_actions_are_exactly_those_with_a_wire_meaning() -> None:
    """An action sends a segment iff it has a wire meaning; the rest (ISS, timers...) have none."""
    senders = {a for a in Action if a.wire is not None}
    assert senders == {
        Action.SEND_SYN,
        Action.SEND_SYN_ACK,
        Action.SEND_ACK,
        Action.SEND_CHALLENGE_ACK,
        Action.SEND_FIN,
        Action.SEND_RST,
        Action.REPLY_RST,
        Action.RETRANSMIT,
        Action.SEND_KEEPALIVE,
        Action.SEND_LOSS_PROBE,
    }
    row = lookup(State.SYN_SENT, Trigger.SYN_ACK)
    assert [w.segment for w in row.wire] == ["ACK"]


def test_the_explorer_widget_shows_the_loss_probes_reply() -> None:
    """The live state machine explorer, on a loss-probe row, names what goes on the wire."""
    w = widgets.state_machine_explorer()
    w.state.value = State.ESTABLISHED
    w.trigger.value = Trigger.LOSS_PROBE_TIMEOUT
    assert "reply: the last segment again (tail loss probe)" in w.result.value
    assert w.row.wire[0].segment == keys.reply(w.row) == "retransmit"
