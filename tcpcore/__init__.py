"""tcpcore: a sans-IO reference TCP for teaching (RFC 9293).

The public names below are the contract that the notebooks, the course and outside checks rely on.
"""

from __future__ import annotations

from .checksum import internet_checksum, pseudo_header, tcp_checksum, verify_tcp_checksum
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
from .segment import Segment
from .seq import Seq

__all__ = [
    "MSS",
    "DecodeError",
    "EncodeError",
    "Eol",
    "Flags",
    "Nop",
    "Sack",
    "SackPermitted",
    "Segment",
    "Seq",
    "TCPCoreError",
    "Timestamps",
    "UnknownOption",
    "WindowScale",
    "internet_checksum",
    "pseudo_header",
    "tcp_checksum",
    "verify_tcp_checksum",
]

__version__ = "0.1.0"
