"""tcpcore: a sans-IO reference TCP for teaching (RFC 9293).

The public names below are the contract that the notebooks, the course and outside checks rely on.
The folders show the layers: the wire formats and the protocol sit directly in tcpcore/ for now;
``tcpcore.sim`` is the virtual network, ``tcpcore.capture`` reads captures (numpy only for its
columnar reader, an optional extra), ``tcpcore.conformance`` runs packetdrill scripts, and
``tcpcore.cli`` is the command line.
"""

from __future__ import annotations

from .capture.annotate import shipped_captures, trace_from_capture
from .capture.framing import build_frame, decode_frame, encode_frame
from .capture.pcap import Capture, Packet, read_pcap, write_pcap
from .errors import DecodeError, EncodeError, TCPCoreError
from .protocol.connection import ClockError, Connection, WrongConnectionError, rfc6528_iss
from .protocol.profiles import LINUX, PROFILES, RFC9293, Profile, get_profile
from .protocol.states import State
from .protocol.table import Action, CallError, Row, TransitionError, Trigger, lookup
from .sim.network import Network
from .sim.scenarios import list_scenarios, run_scenario
from .trace import Trace
from .wire.checksum import internet_checksum, pseudo_header, tcp_checksum, verify_tcp_checksum
from .wire.flags import Flags
from .wire.links import LinkType
from .wire.options import (
    MSS,
    Eol,
    Nop,
    Sack,
    SackPermitted,
    Timestamps,
    UnknownOption,
    WindowScale,
)
from .wire.segment import Segment
from .wire.seq import Seq

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
    "build_frame",
    "decode_frame",
    "encode_frame",
    "get_profile",
    "internet_checksum",
    "list_scenarios",
    "lookup",
    "pseudo_header",
    "read_pcap",
    "rfc6528_iss",
    "run_scenario",
    "shipped_captures",
    "tcp_checksum",
    "trace_from_capture",
    "verify_tcp_checksum",
    "write_pcap",
]

__version__ = "0.1.0"
