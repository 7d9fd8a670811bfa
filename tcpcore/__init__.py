"""tcpcore: a sans-IO reference TCP for teaching (RFC 9293).

The public names below are the contract that the notebooks, the course and outside checks rely on.
"""

from __future__ import annotations

from .checksum import internet_checksum, pseudo_header, tcp_checksum, verify_tcp_checksum
from .connection import ClockError, Connection, WrongConnectionError
from .errors import DecodeError, EncodeError, TCPCoreError
from .flags import Flags
from .links import LinkType
from .network import Network
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
from .pcap import Capture, Packet, read_pcap, write_pcap
from .profiles import LINUX, PROFILES, RFC9293, Profile, get_profile
from .scenarios import list_scenarios, run_scenario
from .segment import Segment
from .seq import Seq
from .states import State
from .table import Action, CallError, Row, TransitionError, Trigger, lookup
from .trace import Trace

__all__ = [
    "LINUX",
    "MSS",
    "PROFILES",
    "RFC9293",
    "Action",
    "CallError",
    "Capture",
    "ClockError",
    "Connection",
    "DecodeError",
    "EncodeError",
    "Eol",
    "Flags",
    "LinkType",
    "Network",
    "Nop",
    "Packet",
    "Profile",
    "Row",
    "Sack",
    "SackPermitted",
    "Segment",
    "Seq",
    "State",
    "TCPCoreError",
    "Timestamps",
    "Trace",
    "TransitionError",
    "Trigger",
    "UnknownOption",
    "WindowScale",
    "WrongConnectionError",
    "get_profile",
    "internet_checksum",
    "list_scenarios",
    "lookup",
    "pseudo_header",
    "read_pcap",
    "run_scenario",
    "tcp_checksum",
    "verify_tcp_checksum",
    "write_pcap",
]

__version__ = "0.1.0"
