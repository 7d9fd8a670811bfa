"""Bad input to Connection's public API: every mistake is a named error that changes nothing.

* a call the RFC refuses in the current state: CallError with the RFC's error text;
* a segment for another connection: WrongConnectionError;
* a negative time, time going backwards, NaN: ClockError;
* a value of the wrong type: TypeError; a port outside 1..65535: ValueError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fixtures as fx
import pytest
from fixtures import ACK, FIN, IRS, ISS, LOCAL, NOW, PEER, REMOTE, RST, SYN, S, T

from tcpcore import Segment
from tcpcore.errors import TCPCoreError
from tcpcore.protocol.connection import ClockError, Connection, WrongConnectionError
from tcpcore.protocol.profiles import ProfileError

# -- calls the RFC refuses -----------------------------------------------------------------------

REFUSALS = [
    # (fixture, call, args, trigger, RFC 9293's words, section)
    (fx.closed, "send", (b"x",), T.SEND, "error: connection does not exist", "3.10.2"),
    (fx.closed, "close", (), T.CLOSE, "error: connection does not exist", "3.10.2-3.10.5"),
    (fx.closed, "abort", (), T.ABORT, "error: connection does not exist", "3.10.2-3.10.5"),
    (fx.listen, "connect", (), T.OPEN_ACTIVE, "error: remote socket unspecified", "3.10.1"),
    (fx.listen, "send", (b"x",), T.SEND, "error: remote socket unspecified", "3.10.2"),
    (fx.established, "connect", (), T.OPEN_ACTIVE, "error: connection already exists", "3.10.1"),
    (fx.syn_sent, "listen", (), T.OPEN_PASSIVE, "error: connection already exists", "3.10.1"),
    (fx.fin_wait_1, "send", (b"x",), T.SEND, "error: connection closing", "3.10.2"),
    (fx.time_wait, "send", (b"x",), T.SEND, "error: connection closing", "3.10.2"),
    (fx.last_ack, "shutdown", (), T.SHUTDOWN, "error: connection closing", "3.10.4"),
]


@pytest.mark.parametrize(
    ("make", "name", "args", "trigger", "words", "section"),
    REFUSALS,
    ids=[f"{m.__name__}-{n}" for m, n, *_ in REFUSALS],
)
def test_a_refused_call_raises_call_error_with_the_rfc_text(
    make: Callable[..., Connection],
    name: str,
    args: tuple[Any, ...],
    trigger: T,
    words: str,
    section: str,
) -> None:
    conn = make()
    err = fx.refused(conn, name, *args)  # also checks that nothing changed
    assert isinstance(err, RuntimeError) and isinstance(err, TCPCoreError)
    assert (err.state, err.trigger) == (conn.state, trigger)
    assert str(err).startswith(f"{words} ({trigger} in {conn.state}, RFC 9293 {section}")
    assert err.clause.startswith(f"RFC 9293 {section}")


def test_a_refused_call_leaves_no_step_behind_it_that_did_anything() -> None:
    conn = fx.fin_wait_2()
    fx.refused(conn, "send", b"x")
    fx.refused(conn, "send", b"y")
    assert conn.tcb == fx.FIN_WAIT_2_TCB
    assert conn.pop_segments() == []


# -- segments for another connection ---------------------------------------------------------


def test_a_segment_to_another_local_port_is_refused() -> None:
    conn = fx.established()
    seg = PEER.with_(dst_port=LOCAL + 1, seq=IRS + 1, ack=ISS + 1)
    with pytest.raises(WrongConnectionError) as info:
        conn.receive(seg, NOW)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TCPCoreError)
    assert f"{REMOTE}->{LOCAL + 1}" in str(info.value)
    assert f"{REMOTE}->{LOCAL}" in str(info.value)
    assert conn.state is S.ESTABLISHED and conn.tcb == fx.ESTABLISHED_TCB
    assert conn.pop_segments() == [] and conn.pop_events() == [] and conn.history == []


def test_a_segment_from_another_remote_port_is_refused() -> None:
    conn = fx.established()
    with pytest.raises(WrongConnectionError):
        conn.receive(PEER.with_(src_port=REMOTE + 1, seq=IRS + 1, ack=ISS + 1), NOW)
    assert conn.tcb == fx.ESTABLISHED_TCB and conn.history == []


def test_a_listener_with_no_remote_takes_a_syn_from_anyone() -> None:
    conn = fx.listen()
    conn.receive(fx.SYN_FROM_PEER.with_(src_port=12345), NOW)
    assert conn.state is S.SYN_RECEIVED and conn.remote_port == 12345


def test_the_syn_fills_in_the_remote_socket_for_good() -> None:
    """RFC 9293 3.10.7.2 third: "the unspecified fields should be filled in now". From then on
    a second client's SYN is not this connection's business (it must not get our ACK)."""
    conn = fx.listen()
    conn.receive(fx.SYN_FROM_PEER, NOW)
    conn.pop_segments()
    with pytest.raises(WrongConnectionError):
        conn.receive(Segment(REMOTE + 1, LOCAL, 9000, 0, SYN, 6000), 0.6)
    assert conn.state is S.SYN_RECEIVED and conn.pop_segments() == []
    # Back in LISTEN (RST after a passive OPEN), the remote socket is unspecified again.
    conn.receive(PEER.with_(seq=IRS + 1, flags=RST), 0.7)
    assert conn.state is S.LISTEN and conn.remote_port is None
    conn.receive(Segment(REMOTE + 1, LOCAL, 9000, 0, SYN, 6000), 0.8)
    assert conn.state is S.SYN_RECEIVED and conn.remote_port == REMOTE + 1


# -- time ------------------------------------------------------------------------------------------

ENTRY_POINTS: list[tuple[str, Callable[[Connection, Any], None]]] = [
    ("connect", lambda c, now: c.connect(now)),
    ("listen", lambda c, now: c.listen(now)),
    ("send", lambda c, now: c.send(b"x", now)),
    ("close", lambda c, now: c.close(now)),
    ("shutdown", lambda c, now: c.shutdown(now)),
    ("abort", lambda c, now: c.abort(now)),
    ("receive", lambda c, now: c.receive(PEER.with_(seq=IRS + 1, ack=ISS + 1), now)),
    ("handle_timer", lambda c, now: c.handle_timer(now)),
]
ENTRY_IDS = [name for name, _ in ENTRY_POINTS]


def _unchanged(conn: Connection) -> None:
    assert conn.state is S.ESTABLISHED and conn.tcb == fx.ESTABLISHED_TCB
    assert conn.pop_segments() == [] and conn.pop_events() == [] and conn.history == []


@pytest.mark.parametrize(("name", "enter"), ENTRY_POINTS, ids=ENTRY_IDS)
def test_a_negative_time_is_a_clock_error(
    name: str, enter: Callable[[Connection, Any], None]
) -> None:
    conn = fx.established()
    with pytest.raises(ClockError, match="negative") as info:
        enter(conn, -0.001)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TCPCoreError)
    _unchanged(conn)


@pytest.mark.parametrize(("name", "enter"), ENTRY_POINTS, ids=ENTRY_IDS)
def test_time_going_backwards_is_a_clock_error(
    name: str, enter: Callable[[Connection, Any], None]
) -> None:
    conn = fx.established()
    conn.handle_timer(5.0)  # nothing due; the clock now stands at 5 s
    with pytest.raises(ClockError, match="earlier"):
        enter(conn, 4.999)
    _unchanged(conn)


@pytest.mark.parametrize(("name", "enter"), ENTRY_POINTS, ids=ENTRY_IDS)
def test_nan_is_a_clock_error(name: str, enter: Callable[[Connection, Any], None]) -> None:
    conn = fx.established()
    with pytest.raises(ClockError):
        enter(conn, float("nan"))
    _unchanged(conn)


@pytest.mark.parametrize("bad", ["1.0", None, True, b"1", [1]], ids=repr)
@pytest.mark.parametrize(("name", "enter"), ENTRY_POINTS, ids=ENTRY_IDS)
def test_a_time_that_is_not_a_number_is_a_type_error(
    name: str, enter: Callable[[Connection, Any], None], bad: Any
) -> None:
    conn = fx.established()
    with pytest.raises(TypeError, match="now"):
        enter(conn, bad)
    _unchanged(conn)


def test_the_same_time_twice_is_fine() -> None:
    conn = fx.established()
    conn.handle_timer(3)
    conn.handle_timer(3.0)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 1), 3.0)
    assert conn.state is S.ESTABLISHED


# -- types and ports -------------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["text", 42, None, [1, 2]], ids=repr)
def test_send_needs_bytes(data: Any) -> None:
    conn = fx.established()
    with pytest.raises(TypeError, match="bytes"):
        conn.send(data, NOW)
    assert conn.pop_segments() == [] and conn.tcb == fx.ESTABLISHED_TCB


@pytest.mark.parametrize("data", [bytearray(b"ab"), memoryview(b"ab")], ids=type)
def test_send_takes_any_bytes_like(data: Any) -> None:
    conn = fx.established()
    conn.send(data, NOW)
    assert [s.payload for s in conn.pop_segments()] == [b"ab"]


@pytest.mark.parametrize("thing", [b"raw bytes", None, "segment"], ids=repr)
def test_receive_needs_a_segment(thing: Any) -> None:
    conn = fx.established()
    with pytest.raises(TypeError, match="Segment"):
        conn.receive(thing, NOW)
    assert conn.history == []


@pytest.mark.parametrize("port", ["80", 80.0, True, None], ids=repr)
def test_a_local_port_that_is_not_an_int_is_a_type_error(port: Any) -> None:
    with pytest.raises(TypeError, match="local_port"):
        Connection(local_port=port)


@pytest.mark.parametrize("port", ["80", 80.0, False], ids=repr)
def test_a_remote_port_that_is_not_an_int_is_a_type_error(port: Any) -> None:
    with pytest.raises(TypeError, match="remote_port"):
        Connection(local_port=LOCAL, remote_port=port)
    conn = Connection(local_port=LOCAL)
    with pytest.raises(TypeError, match="remote_port"):
        conn.connect(NOW, remote_port=port)
    assert conn.state is S.CLOSED and conn.remote_port is None


@pytest.mark.parametrize("port", [0, -1, 65536, 2**32])
def test_a_port_outside_1_to_65535_is_a_value_error(port: int) -> None:
    with pytest.raises(ValueError, match="local_port"):
        Connection(local_port=port)
    with pytest.raises(ValueError, match="remote_port"):
        Connection(local_port=LOCAL, remote_port=port)
    conn = Connection(local_port=LOCAL)
    with pytest.raises(ValueError, match="remote_port"):
        conn.connect(NOW, remote_port=port)
    assert conn.state is S.CLOSED and conn.remote_port is None and conn.pop_segments() == []


@pytest.mark.parametrize("port", [1, 65535])
def test_the_edge_ports_are_fine(port: int) -> None:
    conn = Connection(local_port=port, remote_port=port, iss=ISS)
    conn.connect(NOW)
    (syn,) = conn.pop_segments()
    assert (syn.src_port, syn.dst_port) == (port, port)


def test_an_active_open_needs_a_remote_port() -> None:
    conn = Connection(local_port=LOCAL)
    with pytest.raises(ValueError, match="remote_port"):
        conn.connect(NOW)
    assert conn.state is S.CLOSED and conn.pop_segments() == []


def test_an_unknown_profile_is_a_value_error() -> None:
    with pytest.raises(ProfileError, match="rfc9293") as info:
        Connection(local_port=LOCAL, profile="bsd")
    assert isinstance(info.value, ValueError)


# -- a connection object used twice -----------------------------------------------------------


def test_an_open_after_closed_starts_a_new_tcb() -> None:
    """RFC 9293 3.10.1, OPEN in CLOSED: "Create a new transmission control block". Nothing of
    the first connection (its FIN, the user's close(), unread data) leaks into the second."""
    conn = fx.drive_established(auto_read=False)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 1, payload=b"old"), 0.0)
    conn.close(0.0)  # FIN <SEQ=ISS+1>, with "old" still unread
    conn.receive(PEER.with_(seq=IRS + 4, ack=ISS + 2, flags=FIN | ACK), 0.0)
    conn.handle_timer(240.0)
    assert conn.state is S.CLOSED and conn.user_closed and conn.unread == b"old"
    conn.connect(300.0)
    assert conn.tcb == fx.SYN_SENT_TCB and not conn.user_closed
    conn.receive(PEER.with_(seq=9000, ack=ISS + 1, flags=SYN | ACK), 300.0)
    conn.receive(PEER.with_(seq=9001, ack=ISS + 1, payload=b"again"), 300.1)
    assert conn.unread == b"again"
    conn.receive(PEER.with_(seq=9006, ack=ISS + 1, flags=FIN | ACK), 300.2)
    assert conn.state is S.CLOSE_WAIT
    # The ACK of "again" and of the FIN: the new connection's numbers only.
    assert [(s.seq, s.ack, s.flags) for s in conn.pop_segments()][-2:] == [
        (ISS + 1, 9006, ACK),
        (ISS + 1, 9007, ACK),
    ]


def test_a_listener_reopened_after_closed_forgets_its_last_peer() -> None:
    conn = fx.drive_syn_received()
    conn.abort(1.0)
    conn.listen(2.0)
    assert conn.remote_port is None and conn.passive and conn.tcb == fx.LISTEN_TCB
    conn.receive(fx.SYN_FROM_PEER.with_(src_port=REMOTE + 1), 2.5)
    assert conn.state is S.SYN_RECEIVED and conn.remote_port == REMOTE + 1


def test_every_action_of_the_table_has_a_handler() -> None:
    """The connection's dispatch table has exactly one handler for each Action, named after it."""
    from tcpcore.protocol.handlers import HANDLERS
    from tcpcore.protocol.table import Action

    assert set(HANDLERS) == set(Action)
    assert all(h.__name__ == a.name.lower() for a, h in HANDLERS.items())
