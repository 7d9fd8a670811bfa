"""The passive observer: states inferred from segments alone must match the endpoints' own.

Two reference connections talk directly (each segment delivered at once, as a capture point on
the wire sees it); the observer sees only the segments, and after each one its inferred states
are compared with the states the two connections are actually in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DATA

from tcpcore import Connection, Flags, Segment, State
from tcpcore.capture.annotate import shipped_captures, trace_from_capture
from tcpcore.capture.observe import Observer, observe_stream, possible_transition
from tcpcore.capture.pcap import Packet, read_pcap

A, B = "10.0.0.1:40000", "10.0.0.2:80"


class Wire:
    """Two connections, one observer; every segment is observed, delivered and checked."""

    def __init__(self, profile: str = "rfc9293") -> None:
        self.a = Connection(40000, 80, iss=100, profile=profile)
        self.b = Connection(80, None, iss=300, profile=profile)
        self.obs = Observer()
        self.t = 0.0
        self.lines: list[tuple[str, dict[str, str | None], str]] = []

    def flush(self, *, check: bool = True) -> None:
        """Deliver every pending segment, both ways, until the wire is quiet."""
        moved = True
        while moved:
            moved = False
            for src, dst, s_name, d_name in ((self.a, self.b, A, B), (self.b, self.a, B, A)):
                for seg in src.pop_segments():
                    moved = True
                    self.t += 0.01
                    o = self.obs.observe(s_name, d_name, seg)
                    dst.receive(seg, self.t)
                    self.lines.append((seg.label(), o.states, o.note))
                    if check:
                        assert o.states == {s_name: str(src.state), d_name: str(dst.state)}, (
                            seg.label(),
                            o.note,
                        )

    def call(self, fn: Callable[[float], None]) -> None:
        self.t += 0.01
        fn(self.t)


def established() -> Wire:
    w = Wire()
    w.b.listen(0)
    w.a.connect(0)
    w.flush()
    assert w.a.state is w.b.state is State.ESTABLISHED
    return w


def test_handshake_and_client_closes_first_match_the_endpoints() -> None:
    w = established()
    w.call(lambda t: w.a.send(b"GET /", t))
    w.flush()
    w.call(w.a.close)
    w.flush()
    w.call(w.b.close)
    w.flush()
    assert w.obs.state(A) is State.TIME_WAIT
    assert w.obs.state(B) is State.CLOSED


def test_server_closes_first_and_half_close_with_data_after_the_fin() -> None:
    w = established()
    w.call(w.b.shutdown)
    w.flush()
    assert w.obs.state(B) is State.FIN_WAIT_2 and w.obs.state(A) is State.CLOSE_WAIT
    w.call(lambda t: w.a.send(b"still talking", t))
    w.flush()
    w.call(w.a.close)
    w.flush()
    assert w.obs.state(B) is State.TIME_WAIT and w.obs.state(A) is State.CLOSED


def test_simultaneous_close_is_recognised_from_the_crossing_fins() -> None:
    """Each FIN reaches its receiver after that receiver sent its own: CLOSING, never CLOSE-WAIT."""
    w = established()
    w.call(w.a.close)
    w.call(w.b.close)  # both FINs are on the wire before either arrives
    fins = w.a.pop_segments() + w.b.pop_segments()
    assert [s.flags for s in fins] == [Flags.FIN | Flags.ACK] * 2
    for seg, dst in ((fins[0], w.b), (fins[1], w.a)):
        w.t += 0.01
        dst.receive(seg, w.t)
    acks = w.a.pop_segments() + w.b.pop_segments()
    # The capture point sees A's FIN, B's FIN, then the two ACKs; each observation is told the
    # receiver's next segment, as observe_stream would find it.
    seen = [
        w.obs.observe(A, B, fins[0], reply=fins[1]),
        w.obs.observe(B, A, fins[1], reply=acks[0]),
        w.obs.observe(A, B, acks[0], reply=acks[1]),
        w.obs.observe(B, A, acks[1]),
    ]
    assert seen[0].states == {A: "FIN-WAIT-1", B: "ESTABLISHED"}
    assert seen[1].states == {B: "CLOSING", A: "CLOSING"}
    assert "crossed" in seen[1].note
    assert seen[2].states == {A: "CLOSING", B: "TIME-WAIT"}
    assert seen[3].states == {B: "TIME-WAIT", A: "TIME-WAIT"}
    moves = [(m.endpoint, str(m.old), str(m.new)) for o in seen for m in o.transitions]
    assert (B, "FIN-WAIT-1", "CLOSING") in moves
    assert not any(new == "CLOSE-WAIT" for _, _, new in moves)


def test_crossed_fins_without_lookahead_still_follow_the_table() -> None:
    """Fed without replies, the observer is wrong about who closed first, but never impossible."""
    w = established()
    w.call(w.a.close)
    w.call(w.b.close)
    fins = w.a.pop_segments() + w.b.pop_segments()
    moves = [
        m
        for seg, src, dst in ((fins[0], A, B), (fins[1], B, A))
        for m in w.obs.observe(src, dst, seg).transitions
    ]
    assert moves and all(possible_transition(m.old, m.new, fresh=m.fresh) for m in moves)


def _conn(cport: int, sport: int = 80) -> tuple[str, str]:
    return f"10.0.0.{cport % 250}:{cport}", f"10.0.0.2:{sport}"


def test_two_clients_of_one_server_port_have_separate_states() -> None:
    """A second client's SYN does not move the server's first connection (issue: keyed by port)."""
    obs = Observer()
    c1, srv = "10.0.0.1:40000", "10.0.0.2:80"
    c2 = "10.0.0.3:40001"
    syn = Segment(40000, 80, 100, 0, Flags.SYN, 1000)
    obs.observe(c1, srv, syn)
    obs.observe(srv, c1, Segment(80, 40000, 300, 101, Flags.SYN | Flags.ACK, 1000))
    done = obs.observe(c1, srv, Segment(40000, 80, 101, 301, Flags.ACK, 1000))
    assert done.states == {c1: "ESTABLISHED", srv: "ESTABLISHED"}
    second = obs.observe(c2, srv, Segment(40001, 80, 700, 0, Flags.SYN, 1000))
    assert second.states == {c2: "SYN-SENT", srv: "SYN-RECEIVED"}
    # The first connection's server side is still ESTABLISHED: its FIN moves it to FIN-WAIT-1.
    fin = obs.observe(srv, c1, Segment(80, 40000, 301, 101, Flags.FIN | Flags.ACK, 1000))
    assert fin.states == {srv: "FIN-WAIT-1", c1: "CLOSE-WAIT"}
    reply = obs.observe(srv, c2, Segment(80, 40001, 900, 701, Flags.SYN | Flags.ACK, 1000))
    assert reply.states == {srv: "SYN-RECEIVED", c2: "ESTABLISHED"}


def test_a_new_syn_after_time_wait_starts_a_new_incarnation() -> None:
    """The same 4-tuple reused: the old connection's TIME-WAIT ends and a new one begins."""
    w = established()
    w.call(w.a.close)
    w.flush()
    w.call(w.b.close)
    w.flush()
    assert w.obs.state(A) is State.TIME_WAIT
    fresh = w.obs.observe(A, B, Segment(40000, 80, 5000, 0, Flags.SYN, 1000))
    assert fresh.states == {A: "SYN-SENT", B: "SYN-RECEIVED"}
    assert any(m.fresh and m.endpoint == A for m in fresh.transitions)


def test_abort_and_refused() -> None:
    w = established()
    w.call(w.a.abort)
    w.flush()
    assert w.obs.state(A) is State.CLOSED and w.obs.state(B) is State.CLOSED

    refused = Wire()
    refused.b.state = State.CLOSED  # nobody listens on port 80
    refused.a.connect(0)
    # A passive observer cannot know that nobody listens until the RST comes back, so the
    # SYN's receiver is reported as SYN-RECEIVED for one line; only the end state is checked.
    refused.flush(check=False)
    assert refused.obs.state(A) is State.CLOSED
    assert refused.a.state is State.CLOSED


def test_simultaneous_open() -> None:
    w = Wire()
    w.b = Connection(80, 40000, iss=300)
    w.a.connect(0)
    w.b.connect(0)
    w.flush()
    assert w.obs.state(A) is State.ESTABLISHED and w.obs.state(B) is State.ESTABLISHED


def test_capture_starting_mid_connection_reports_unknown_states() -> None:
    obs = Observer()
    data = Segment(40000, 80, 5000, 9000, Flags.ACK | Flags.PSH, 1000, payload=b"x")
    o = obs.observe(A, B, data)
    assert o.states == {A: None, B: None}
    assert "mid-connection" in o.note
    # A RST settles its sender: whatever it was, it has let go.
    o = obs.observe(B, A, Segment(80, 40000, 9000, 5001, Flags.RST | Flags.ACK))
    assert o.states[B] == "CLOSED"


def test_a_missing_segment_is_noted_not_guessed() -> None:
    w = established()
    w.call(lambda t: w.a.send(b"a" * 3000, t))
    segs = w.a.pop_segments()
    assert len(segs) >= 2
    # The capture misses the first data segment but sees the second.
    o = w.obs.observe(A, B, segs[1])
    assert "not captured" in o.note


# -- every capture we have, walked against the table --------------------------------------------

CAPTURES = sorted(
    {*DATA.glob("**/*.pcap"), *DATA.glob("**/*.pcapng"), *shipped_captures().values()}
)


def _tcp(p: Packet) -> tuple[str, str, Segment] | None:
    if p.kind == "tcp" and p.segment is not None and p.src and p.dst:
        return p.src, p.dst, p.segment
    return None


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_observed_transition_is_impossible(path: Path) -> None:
    """Every state change the observer reports on a real capture is a row of the table."""
    moves = [m for _, o in observe_stream(read_pcap(path), _tcp) if o for m in o.transitions]
    assert moves, "the capture should move some endpoint"
    bad = [m for m in moves if not possible_transition(m.old, m.new, fresh=m.fresh)]
    assert bad == []


@pytest.mark.parametrize("name", ["simultaneous-close", "simultaneous-open"])
def test_crossing_captures_pass_through_the_rfc_states(name: str) -> None:
    """Lesson 07's crossings: FIN-WAIT-1 -> CLOSING on both sides; SYN-SENT on both sides."""
    trace = trace_from_capture(read_pcap(shipped_captures()[name]))
    paths = {who: [str(s) for _, s in line] for who, line in trace.timelines.items()}
    middle = ["FIN-WAIT-1", "CLOSING", "TIME-WAIT"] if "close" in name else ["SYN-SENT"]
    for who, path in paths.items():
        assert "CLOSE-WAIT" not in path or "close" not in name, (who, path)
        assert all(state in path for state in middle), (who, path)


def test_possible_transition_knows_the_table() -> None:
    """The checker itself: a real row passes, an invented one does not."""
    assert possible_transition(State.FIN_WAIT_1, State.CLOSING)
    assert possible_transition(State.SYN_SENT, State.SYN_RECEIVED)
    assert not possible_transition(State.CLOSE_WAIT, State.CLOSING)
    assert not possible_transition(State.LISTEN, State.TIME_WAIT)
    assert possible_transition(State.TIME_WAIT, State.SYN_SENT, fresh=True)
