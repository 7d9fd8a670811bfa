"""What a connection tells its user: small frozen dataclasses, each stamped with the time."""

from __future__ import annotations

from dataclasses import dataclass

from .states import State
from .table import Trigger


@dataclass(frozen=True, slots=True)
class Event:
    time: float


@dataclass(frozen=True, slots=True)
class Connected(Event):
    """The handshake completed: the connection is ESTABLISHED (or beyond)."""


@dataclass(frozen=True, slots=True)
class DataReceived(Event):
    """In-order bytes from the peer (RFC 9293 3.10.7.4 seventh step)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PeerClosed(Event):
    """The peer's FIN arrived: it will send no more ("connection closing", eighth step)."""


@dataclass(frozen=True, slots=True)
class ConnectionReset(Event):
    """A valid RST ended the connection ("connection reset")."""


@dataclass(frozen=True, slots=True)
class ConnectionRefused(Event):
    """A RST answered our SYN ("connection refused")."""


@dataclass(frozen=True, slots=True)
class TimedOut(Event):
    """The connection gave up: retransmissions exhausted, user timeout or keepalive."""

    reason: str


@dataclass(frozen=True, slots=True)
class Closed(Event):
    """The connection entered CLOSED and its TCB is gone."""


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    """A row of the table moved the connection to another state."""

    old: State
    new: State
    trigger: Trigger
    clause: str
