"""tcpcore: a sans-IO reference TCP for teaching (RFC 9293).

The public names below are the contract that the notebooks, the course and outside checks rely on.
"""

from __future__ import annotations

from .checksum import internet_checksum, pseudo_header, tcp_checksum, verify_tcp_checksum
from .connection import ClockError, Connection, WrongConnectionError
from .errors import DecodeError, EncodeError, TCPCoreError
from .flags import Flags
from .options import (
    MSS,
    Eol,
    Nop,
    Sack,
    SackPermitted,
    Timestamps,
    UnknownOption,
    WindowScale,
)
from .profiles import LINUX, PROFILES, RFC9293, Profile, get_profile
from .segment import Segment
from .seq import Seq
from .states import State
from .table import Action, CallError, Row, TransitionError, Trigger, lookup

__all__ = [
    "LINUX",
    "MSS",
    "PROFILES",
    "RFC9293",
    "Action",
    "CallError",
    "ClockError",
    "Connection",
    "DecodeError",
    "EncodeError",
    "Eol",
    "Flags",
    "Nop",
    "Profile",
    "Row",
    "Sack",
    "SackPermitted",
    "Segment",
    "Seq",
    "State",
    "TCPCoreError",
    "Timestamps",
    "TransitionError",
    "Trigger",
    "UnknownOption",
    "WindowScale",
    "WrongConnectionError",
    "get_profile",
    "internet_checksum",
    "lookup",
    "pseudo_header",
    "tcp_checksum",
    "verify_tcp_checksum",
]

__version__ = "0.1.0"
