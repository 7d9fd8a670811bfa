"""The hand-built state fixtures equal connections driven into those states by real segments.

smoltcp's sanity check: if a fixture and the real route disagree, either the fixture is wrong
(and every row test built on it proves nothing) or the connection is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fixtures as fx
import pytest

from tcpcore.protocol.connection import Connection
from tcpcore.protocol.states import State

Maker = Callable[..., Connection]

PAIRS: list[tuple[State, Maker, Maker]] = [
    (State.CLOSED, fx.closed, fx.closed),
    (State.LISTEN, fx.listen, fx.drive_listen),
    (State.SYN_SENT, fx.syn_sent, fx.drive_syn_sent),
    (State.SYN_RECEIVED, fx.syn_received, fx.drive_syn_received),
    (State.SYN_RECEIVED, fx.syn_received_active, fx.drive_syn_received_active),
    (State.ESTABLISHED, fx.established, fx.drive_established),
    (State.FIN_WAIT_1, fx.fin_wait_1, fx.drive_fin_wait_1),
    (State.FIN_WAIT_2, fx.fin_wait_2, fx.drive_fin_wait_2),
    (State.CLOSE_WAIT, fx.close_wait, fx.drive_close_wait),
    (State.CLOSING, fx.closing, fx.drive_closing),
    (State.LAST_ACK, fx.last_ack, fx.drive_last_ack),
    (State.TIME_WAIT, fx.time_wait, fx.drive_time_wait),
]
IDS = [f"{maker.__name__}" for _, maker, _ in PAIRS]


def snapshot(conn: Connection, *, deadlines: bool = True) -> dict[str, Any]:
    """What the RFC calls the connection's state: the state, the TCB variables, whether the OPEN
    was passive, whether the user closed, the remote socket, and the timers running."""
    return {
        "state": conn.state,
        "tcb": conn.tcb,
        "passive": conn.passive,
        "user_closed": conn.user_closed,
        "remote_port": conn.remote_port,
        "peer_mss": conn.peer_mss,
        "timers": dict(conn.timers) if deadlines else sorted(conn.timers),
    }


def test_every_state_has_a_fixture() -> None:
    assert {state for state, _, _ in PAIRS} == set(State)


@pytest.mark.parametrize(("state", "fixture", "route"), PAIRS, ids=IDS)
def test_fixture_equals_the_driven_connection(state: State, fixture: Maker, route: Maker) -> None:
    built, driven = fixture(), route()
    assert built.state is state
    assert snapshot(built) == snapshot(driven)


@pytest.mark.parametrize(("state", "fixture", "route"), PAIRS, ids=IDS)
def test_fixture_equals_the_driven_connection_under_linux(
    state: State, fixture: Maker, route: Maker
) -> None:
    # Under Linux's 200 ms minimum RTO the handshake's zero RTT sample moves the FIN's
    # retransmission deadline; which timers run must still agree.
    built, driven = fixture("linux"), route("linux")
    assert snapshot(built, deadlines=False) == snapshot(driven, deadlines=False)


@pytest.mark.parametrize(
    ("fixture", "route"),
    [
        (fx.established, fx.drive_established),
        (fx.fin_wait_2, fx.drive_fin_wait_2),
        (fx.close_wait, fx.drive_close_wait),
    ],
    ids=["established", "fin_wait_2", "close_wait"],
)
def test_fixture_arms_keepalive_like_the_driven_connection(fixture: Maker, route: Maker) -> None:
    built, driven = fixture(keepalive=True), route(keepalive=True)
    assert snapshot(built) == snapshot(driven)


def test_fixtures_start_with_nothing_to_report() -> None:
    for _, fixture, _ in PAIRS:
        conn = fixture()
        assert conn.pop_segments() == []
        assert conn.pop_events() == []
        assert conn.history == []
