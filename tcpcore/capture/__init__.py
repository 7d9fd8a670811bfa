"""Captures: reading and writing pcap/pcapng, frames down to TCP segments, and what they show.

* :mod:`.records` walks a capture file's records (classic pcap) and :mod:`.pcapng` its blocks;
* :mod:`.pcap` turns them into :class:`Packet` objects (:func:`read_pcap`, :func:`write_pcap`);
* :mod:`.framing` decodes and builds link-layer frames around a TCP segment;
* :mod:`.observe` infers both ends' states from the segments a capture shows;
* :mod:`.annotate` turns a capture into a :class:`~tcpcore.trace.Trace` the figures draw, and
  lists the captures shipped with the course (:func:`shipped_captures`);
* :mod:`.columnar` (with :mod:`.columnrules`) reads millions of packets' header fields into numpy
  arrays (:func:`read_columns`). numpy is the optional extra ``tcpcourse[fast]``: it is imported
  when ``read_columns`` is first asked for, never by ``import tcpcore``; without it that import
  fails with one line naming the extra.

Layer: above the wire formats and the protocol's table; capture never imports the simulator.
"""

from __future__ import annotations

import importlib
from typing import Any

from .annotate import SHIPPED, connections, shipped_captures, trace_from_capture
from .framing import Frame, build_frame, decode_frame, encode_frame
from .observe import Observation, Observer, Transition, observe_stream
from .pcap import Capture, CaptureProblem, Packet, iter_pcap, read_pcap, write_pcap

__all__ = [
    "SHIPPED",
    "Capture",
    "CaptureProblem",
    "Columns",
    "Frame",
    "Observation",
    "Observer",
    "Packet",
    "Transition",
    "build_frame",
    "connections",
    "decode_frame",
    "encode_frame",
    "iter_pcap",
    "observe_stream",
    "read_columns",
    "read_pcap",
    "shipped_captures",
    "trace_from_capture",
    "write_pcap",
]

# The columnar reader needs numpy (the ``fast`` extra): it is imported when first asked for.
_COLUMNAR = ("Columns", "read_columns")


def __getattr__(name: str) -> Any:
    if name in _COLUMNAR:
        return getattr(importlib.import_module(".columnar", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
