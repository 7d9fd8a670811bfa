"""tcpcore: a sans-IO reference TCP for teaching (RFC 9293).

The public names below are the contract that the notebooks, the course and outside checks rely on.
The folders are the layers, bottom up; a module imports only from its own layer or below
(tests/test_layers.py checks every import):

- ``errors``; ``wire`` (bytes to values: flags, seq, segment, options, checksum, ip, links);
- ``protocol`` (the reference TCP: states, THE transition table, rules, tcb, connection,
  handlers, timers, listener, events, profiles);
- ``trace`` (one record of a run, simulated or captured) and ``conformance`` (packetdrill);
- ``sim`` (the virtual network and the named scenarios) and ``capture`` (pcap/pcapng, frames,
  the observer; numpy only for the columnar reader, the optional ``fast`` extra), with
  ``kernel`` (this machine's own TCP, driven for lesson 09);
- ``viz`` (figures; SVG by default, matplotlib for ``ax=`` and PNG) and ``quiz``;
- ``widgets`` (the lessons' apps) and ``cli`` (the ``tcpcore`` command).
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
