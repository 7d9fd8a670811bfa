"""The eleven connection states of RFC 9293 3.3.2, spelled as the RFC spells them."""

from __future__ import annotations

import enum


class State(enum.Enum):
    """A TCP connection state. ``str(State.FIN_WAIT_1) == "FIN-WAIT-1"``."""

    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text: str) -> State:
        """A state from its RFC spelling or Python name ("FIN-WAIT-1", "fin_wait_1"), or
        ValueError listing the valid names."""
        key = text.strip().upper().replace("_", "-")
        for s in cls:
            if s.value == key:
                return s
        # Linux's `ss` spells three states differently.
        aliases = {
            "ESTAB": cls.ESTABLISHED,
            "SYN-RECV": cls.SYN_RECEIVED,
            "UNCONN": cls.CLOSED,
            "CLOSE": cls.CLOSED,
        }
        if key in aliases:
            return aliases[key]
        raise ValueError(
            f"unknown TCP state {text!r}; expected one of {', '.join(s.value for s in cls)}"
        )

    @property
    def synchronized(self) -> bool:
        """True from ESTABLISHED on (RFC 9293 3.5.2 calls these the synchronized states);
        SYN-RECEIVED is included because its segments are sequence-checked like theirs
        (RFC 9293 3.10.7.4 lists it with them)."""
        return self not in (State.CLOSED, State.LISTEN, State.SYN_SENT)


SYNCHRONIZED = frozenset(s for s in State if s.synchronized)
