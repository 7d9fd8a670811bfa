"""The lessons' widgets, driven without a browser: set a control's value (or click a button) as
a student would, then check the app's model, its text and the figure it drew. Every test runs
twice: with figures drawn by matplotlib and by :mod:`tcpcore.viz.svg` (``TCPCORE_DRAW=svg``)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

pytest.importorskip("ipywidgets")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.colors import to_hex  # noqa: E402

from tcpcore import Flags, Segment, State, Trigger, quiz, read_pcap, viz, widgets  # noqa: E402
from tcpcore.capture.annotate import shipped_captures  # noqa: E402
from tcpcore.capture.framing import build_frame, encode_frame  # noqa: E402
from tcpcore.protocol.table import triggers_for  # noqa: E402
from tcpcore.wire.checksum import verify_tcp_checksum  # noqa: E402
from tcpcore.wire.links import LinkType  # noqa: E402

S, T = State, Trigger


@pytest.fixture(autouse=True, params=viz.BACKENDS)
def draw(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each app with each backend (the choice is cached: clear it before and after)."""
    monkeypatch.setenv("TCPCORE_DRAW", request.param)
    viz.backend.cache_clear()
    yield request.param
    viz.backend.cache_clear()


def state_texts(w: object) -> list[str]:
    """The state names written in the app's current figure."""
    fig = w.figure  # type: ignore[attr-defined]
    found = fig.findobj(match=lambda a: (a.get_gid() or "").startswith("state:"))
    return [a.get_text() for a in found]


def svg(w: object) -> bytes:
    return bytes(w.image.value)  # type: ignore[attr-defined]


# -- room for every label ----------------------------------------------------------------------

APPS = {
    "header_explorer": widgets.header_explorer,
    "handshake_stepper": lambda: widgets.handshake_stepper("lost-syn-ack"),
    "teardown_explorer": widgets.teardown_explorer,
    "timers_lab": widgets.timers_lab,
    "state_machine_explorer": widgets.state_machine_explorer,
    "capture_viewer": widgets.capture_viewer,
}


def _controls(box: object) -> Iterator[object]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _controls(child)


def _em(width: str) -> float:
    return float(width[:-2]) if width and width.endswith("em") else 0.0


@pytest.mark.parametrize("name", sorted(APPS))
def test_no_label_is_cut_short(name: str) -> None:
    """Every description longer than ipywidgets' 80 px gets its own width, every dropdown is as
    wide as its longest option, toggle buttons size to their text (issue 18 item 7)."""
    ipywidgets = pytest.importorskip("ipywidgets")
    for c in _controls(APPS[name]()):
        description = getattr(c, "description", "") or ""
        style = getattr(c, "style", None)
        if isinstance(c, ipywidgets.ToggleButtons):
            assert c.style.button_width == "auto", (name, c.options)
        elif isinstance(c, ipywidgets.Button | ipywidgets.ToggleButton):
            continue  # a button's own text, not a description
        elif len(description) > 10 and style is not None:
            width = style.description_width
            assert width == "initial" or _em(width) >= 0.6 * len(description), (name, description)
        if isinstance(c, ipywidgets.Dropdown) and c.options:
            longest = max(len(str(label)) for label in c._options_labels)
            wide = c.layout.width.startswith("calc(100%") or _em(c.layout.width) >= 0.6 * longest
            assert wide, (name, description, c.layout.width)


# -- header explorer ------------------------------------------------------------------------------


def test_header_explorer_follows_its_controls() -> None:
    w = widgets.header_explorer()
    assert w.error.value == ""
    assert w.segment.flags == Flags.SYN
    w.flags["ACK"].value = True
    assert w.segment.flags == Flags.SYN | Flags.ACK
    renders = w.renders
    with w.hold():  # several changes, one update
        w.seq.value = 1000
        w.ack.value = 2001
    assert w.renders == renders + 1
    assert w.segment.flags == Flags.SYN | Flags.ACK
    assert (w.segment.seq, w.segment.ack) == (1000, 2001)
    raw = w.encoded
    assert raw[13] == 0x12  # SYN and ACK in byte 13
    assert int.from_bytes(raw[4:8], "big") == 1000
    assert verify_tcp_checksum(raw, "10.0.0.1", "10.0.0.2")
    assert "(computed)" in w.checksum.value
    assert "00010010" in w.bits.value  # byte 13 in the bit rows
    assert raw[:4].hex(" ") in w.hex.value
    bits = w.figure.findobj(match=lambda a: a.get_gid() == "bits:ACK")
    assert [b.get_text() for b in bits] == ["1"]
    assert b"<svg" in svg(w)
    w.mss.value = 0
    assert w.segment.options == () and w.encoded[12] >> 4 == 5


def test_header_explorer_decodes_pasted_hex_and_reports_bad_input() -> None:
    w = widgets.header_explorer()
    seg = Segment(54321, 443, 7, 9, Flags.FIN | Flags.ACK, 1000, payload=b"bye")
    w.hex_input.value = seg.encode().hex(" ")
    w.decode_button.click()
    assert w.error.value == ""
    assert (w.src_port.value, w.dst_port.value, w.seq.value) == (54321, 443, 7)
    assert w.flags["FIN"].value and w.flags["ACK"].value and not w.flags["SYN"].value
    assert w.segment == seg and w.payload.value == "bye"
    w.hex_input.value = "d4310050 00000064 00000000 3002faf0 00000000"  # data offset 3
    w.decode_button.click()
    assert "DecodeError: data offset 3 &lt; 5 at byte 12" in w.error.value
    w.hex_input.value = "not hex"
    w.decode_button.click()
    assert "not hex" in w.error.value
    packet = encode_frame(build_frame(seg, "192.0.2.1", "192.0.2.2", LinkType.RAW))
    w.hex_kind.value = "IP packet"
    w.hex_input.value = packet.hex()
    w.decode_button.click()
    assert w.error.value == "" and w.src_ip.value == "192.0.2.1"
    assert "(correct)" in w.checksum.value


def test_header_explorer_loads_a_packet_from_a_shipped_capture() -> None:
    w = widgets.header_explorer()
    w.capture.value = "client-closes-first"
    cap = read_pcap(shipped_captures()["client-closes-first"])
    assert len(w.packet.options) == len(cap)
    w.packet.value = 1
    assert w.segment == cap[1].segment
    assert w.flags["SYN"].value and w.flags["ACK"].value
    assert "(correct)" in w.checksum.value  # the delay line made the kernel fill them in
    w.src_ip.value = "not an address"
    assert "Error" in w.error.value  # shown, not raised


# -- handshake stepper ----------------------------------------------------------------------------


def test_stepping_through_the_handshake() -> None:
    w = widgets.handshake_stepper()
    assert w.step.value == 0 and w.step.max == 3
    assert w.ladder.arrows == []
    assert "<b>A</b>: CLOSED" in w.states.value and "<b>B</b>: CLOSED" in w.states.value
    w.forward.click()
    assert w.step.value == 1
    assert w.ladder.labels() == ["SYN seq=100"]
    assert "<b>A</b>: SYN-SENT" in w.states.value and "<b>B</b>: SYN-RECEIVED" in w.states.value
    w.step.value = 3
    assert w.ladder.labels() == ["SYN seq=100", "SYN+ACK seq=300 ack=101", "ACK seq=101 ack=301"]
    assert w.states.value.count("ESTABLISHED") == 2
    assert state_texts(w).count("ESTABLISHED") == 2
    w.back.click()
    assert w.step.value == 2 and "<b>B</b>: SYN-RECEIVED" in w.states.value


def test_losing_a_segment_in_the_stepper() -> None:
    w = widgets.handshake_stepper()
    labels = [label for label, _ in w.lose.options]
    assert labels[1:] == [
        "A's segment #1: SYN seq=100",
        "B's segment #1: SYN+ACK seq=300 ack=101",
        "A's segment #2: ACK seq=101 ack=301",
    ]
    w.lose.value = ("A", 1)
    assert w.step.max == 4
    w.step.value = 4
    first, again = w.ladder.arrows[:2]
    assert first.lost and again.retransmission and again.t0 == pytest.approx(1.0)
    assert w.figure.findobj(match=lambda a: a.get_gid() == "cross:0")
    w.step.value = 1
    assert "lost" in w.current.value
    assert "<b>B</b>: LISTEN" in w.states.value


def test_the_stepper_uses_the_isns_it_is_given() -> None:
    w = widgets.handshake_stepper()
    with w.hold():
        w.client_iss.value = 1000
        w.server_iss.value = 5000
    w.step.value = w.step.max
    assert w.ladder.labels() == [
        "SYN seq=1000",
        "SYN+ACK seq=5000 ack=1001",
        "ACK seq=1001 ack=5001",
    ]
    w.scenario.value = "simultaneous-open"
    assert w.lose.value is None and w.error.value == ""
    w.step.value = w.step.max
    assert w.ladder.labels()[:2] == ["SYN seq=1000", "SYN seq=5000"]


# -- teardown explorer ----------------------------------------------------------------------------


def test_teardown_client_first_and_both_at_once() -> None:
    w = widgets.teardown_explorer()
    assert w.scenario_name == "client-closes-first"
    a, b = w.sequences["A"], w.sequences["B"]
    assert a[-4:] == [S.FIN_WAIT_1, S.FIN_WAIT_2, S.TIME_WAIT, S.CLOSED]
    assert b[-3:] == [S.CLOSE_WAIT, S.LAST_ACK, S.CLOSED]
    drawn = state_texts(w)
    for name in ("FIN-WAIT-2", "TIME-WAIT", "CLOSE-WAIT", "CLOSE → LAST-ACK", "CLOSE → FIN-WAIT-1"):
        assert name in drawn
    assert "A waits in TIME-WAIT for 240 s" in w.summary.value
    w.first.value = "both"
    assert w.scenario_name == "simultaneous-close"
    assert S.CLOSING in w.sequences["A"] and S.CLOSING in w.sequences["B"]
    assert state_texts(w).count("CLOSING") == 2
    w.first.value = "server"
    assert w.sequences["B"][-2:] == [S.TIME_WAIT, S.CLOSED]
    assert S.LAST_ACK in w.sequences["A"]


def test_teardown_half_close_delay_and_a_lost_last_ack() -> None:
    w = widgets.teardown_explorer()
    w.gap.value = 3.0
    fins = [r for r in w.trace.segments() if r.segment.flags & Flags.FIN]
    assert [r.sent for r in fins] == [pytest.approx(1.0), pytest.approx(4.0)]
    w.half_close.value = True
    assert w.scenario_name == "half-close"
    data = [r for r in w.trace.segments() if r.sender == "B" and r.segment.payload]
    assert data and data[0].dst_state is S.FIN_WAIT_2  # B still sends after A's FIN
    w.half_close.value = False
    w.lose_last_ack.value = True
    b_fins = [r for r in w.trace.segments() if r.sender == "B" and r.segment.flags & Flags.FIN]
    assert len(b_fins) == 2  # B, in LAST-ACK, sends its FIN again
    assert any(r.dropped and r.sender == "A" for r in w.trace.segments())


# -- timers lab ---------------------------------------------------------------------------------


def test_timers_lab_compares_the_profiles() -> None:
    w = widgets.timers_lab()
    assert set(w.schedules) == {"rfc9293", "linux"}
    assert w.schedules["rfc9293"].end == pytest.approx(7875.0)
    with w.hold():
        w.idle.value = 60.0
        w.interval.value = 10.0
        w.probes.value = 3
    assert w.schedules["rfc9293"].end == pytest.approx(90.0)
    assert w.schedules["linux"].end == pytest.approx(90.0)
    assert "declared dead 90 s after" in w.summary.value and "RST" in w.summary.value
    with w.hold():
        w.what.value = "time-wait"
        w.msl.value = 30.0
    assert w.schedules["rfc9293"].end == pytest.approx(60.0)
    w.msl.value = 200.0
    assert w.schedules["rfc9293"].end == pytest.approx(400.0)
    assert w.schedules["linux"].end == pytest.approx(60.0)  # fixed: TCP_TIMEWAIT_LEN
    w.interval.value = -1.0
    assert "must be positive" in w.error.value


# -- state machine explorer ---------------------------------------------------------------------


def test_state_machine_explorer_shows_the_row_and_highlights_its_edge() -> None:
    w = widgets.state_machine_explorer()
    assert w.row.next is S.FIN_WAIT_1  # ESTABLISHED, CLOSE
    w.state.value = S.FIN_WAIT_1
    assert [t for _, t in w.trigger.options] == triggers_for(S.FIN_WAIT_1)
    w.trigger.value = T.FIN_ACK_OF_FIN
    assert w.row.next is S.TIME_WAIT
    assert "TIME-WAIT" in w.result.value and "3.10.7.4 eighth" in w.result.value
    assert "reply: ACK" in w.result.value
    assert w.diagram.highlighted() == [(S.FIN_WAIT_1, S.TIME_WAIT)]
    assert w.diagram.current() == [S.FIN_WAIT_1]
    edges = w.figure.findobj(match=lambda a: (a.get_gid() or "").startswith("edge:"))
    lit = [a.get_gid() for a in edges if to_hex(a.get_edgecolor()) == "#d81b60"]
    assert lit == ["edge:FIN-WAIT-1->TIME-WAIT"]


def test_state_machine_explorer_follows_the_profile() -> None:
    w = widgets.state_machine_explorer()
    w.state.value = S.LISTEN
    w.trigger.value = T.SEND
    assert w.row.next is S.SYN_SENT
    w.profile.value = "linux"
    assert w.row.next is S.LISTEN and "error" in w.result.value
    w.state.value = S.TIME_WAIT
    w.trigger.value = T.ABORT
    assert w.diagram.highlighted() == [(S.TIME_WAIT, S.CLOSED)]  # a hidden row, drawn


# -- capture viewer --------------------------------------------------------------------------------


def test_capture_viewer_annotates_a_real_capture() -> None:
    w = widgets.capture_viewer()
    assert w.error.value == ""
    client = w.trace.segments()[0].src
    assert S.TIME_WAIT in w.trace.state_sequence(client)
    assert "FIN-WAIT-2" in state_texts(w)
    assert "FIN-WAIT-1" in w.table.value
    w.capture.value = "exchange"
    assert len(w.connection.options) == 4  # three connections, and all of them
    w.connection.value = 2
    assert all(r.src.startswith("[::1]") for r in w.trace.segments())
    w.connection.value = None
    assert len({r.src for r in w.trace.segments()}) == 6


# -- predict, then reveal ---------------------------------------------------------------------


def question(**changes: object) -> quiz.Question:
    base: dict[str, object] = {
        "id": "q-lost-syn",
        "title": "A lost SYN",
        "lesson": "02-walk-the-three-way-handshake",
        "prompt": "A's SYN is lost. When does A send it again?",
        "choices": ("at once", "after 1 s", "never"),
        "answer": 1,
        "explanation": "After 1 s.\n\nThe retransmission timer starts at 1 s (RFC 6298 2.1).",
        "rfc_refs": ("RFC 6298 2.1",),
        "scenario": "lost-syn",
    }
    base.update(changes)
    return quiz.Question(**base)  # type: ignore[arg-type]


def test_predict_then_reveal_needs_a_committed_answer_first() -> None:
    """Nothing is revealed before a commitment; the chosen letter is what gets committed."""
    q = question()
    w = widgets.predict_then_reveal(q, student="ada")
    assert w.run.disabled and not w.revealed
    # no figure yet: the empty image is hidden (else the browser draws a broken-image icon)
    assert w.image.layout.display == "none" and w.image.value == b""
    w.reveal()  # even called directly, nothing is revealed before a commitment
    assert not w.revealed and w.explanation.value == ""
    w.commit.click()
    assert "Choose an answer first" in w.feedback.value and w.committed is None
    right = w.choices.index("after 1 s")
    w.buttons[right].value = True  # a click on its letter
    assert w.selected == right and w.answer == "after 1 s"
    w.commit.click()
    assert w.committed == "after 1 s" and all(b.disabled for b in w.buttons)
    assert not w.run.disabled
    w.run.click()
    assert w.revealed and w.correct is True
    assert "RFC 6298 2.1" in w.explanation.value
    assert w.trace is not None and w.trace.scenario == "lost-syn"
    assert w.image.layout.display is None and bytes(w.image.value).startswith(b"<?xml")
    crosses = w.figure.findobj(match=lambda a: (a.get_gid() or "").startswith("cross:"))
    assert len(crosses) == 1


def test_predict_then_reveal_letters_are_exclusive() -> None:
    """Choosing one letter releases the others; clicking it again chooses nothing."""
    w = widgets.predict_then_reveal(question(), student="ada")
    w.buttons[0].value = True
    w.buttons[2].value = True
    assert [b.value for b in w.buttons] == [False, False, True] and w.selected == 2
    assert w.buttons[2].button_style == "info" and w.buttons[0].button_style == ""
    w.buttons[2].value = False
    assert w.selected is None and w.answer is None
    w.commit.click()
    assert w.committed is None and "Choose an answer first" in w.feedback.value


def test_predict_then_reveal_wrong_and_free_text_answers() -> None:
    """A wrong choice is judged wrong and the right one named; a short answer goes through
    the question's own checker (so "102." is right, as quiz.check says)."""
    w = widgets.predict_then_reveal(question(), student="ada")
    w.choose(w.choices.index("never"))
    w.commit.click()
    w.run.click()
    assert w.correct is False and "after 1 s" in w.feedback.value
    letter = "ABC"[w.choices.index("after 1 s")]
    assert f"{letter}. after 1 s" in w.feedback.value
    seq = quiz.get("sequence-space")
    assert quiz.check("sequence-space", "102.")[0]
    w = widgets.predict_then_reveal(seq)
    w.choice.value = "  102. "
    w.commit.click()
    w.run.click()
    assert w.correct is True and w.trace is not None
    assert w.trace.scenario == "client-closes-first"


def test_predict_then_reveal_refuses_what_is_not_a_question() -> None:
    """A plain object is refused with a message naming what to pass."""
    with pytest.raises(TypeError, match=r"quiz\.get"):
        widgets.predict_then_reveal(SimpleNamespace(prompt="?", choices=None, answer=("x",)))
    assert not hasattr(widgets, "is_correct")  # one checker: Question.check


def test_predict_then_reveal_shows_backquoted_words_as_code_and_escapes_the_rest() -> None:
    """`ss -tan` in a prompt, a choice or an explanation is code on the page; <, > and & are
    text, never markup."""
    q = question(
        prompt="What does `ss -tan` show when A<B & B>A?",
        choices=("`SYN-RECV` on B", "nothing <b>", "ESTAB on both"),
        answer=0,
        explanation="B shows `SYN-RECV`.\n\nIt waits for A's ACK <here>.",
    )
    w = widgets.predict_then_reveal(q, student="ada")
    assert "<code>ss -tan</code>" in w.prompt.value and "A&lt;B &amp; B&gt;A" in w.prompt.value
    labels = " ".join(label.value for label in w.labels)
    assert "<code>SYN-RECV</code> on B" in labels and "nothing &lt;b&gt;" in labels
    w.choose(w.choices.index("`SYN-RECV` on B"))
    w.commit.click()
    w.run.click()
    assert w.correct is True and "<code>SYN-RECV</code>" in w.explanation.value
    assert "ACK &lt;here&gt;" in w.explanation.value
