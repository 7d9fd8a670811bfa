"""Reading pcap and pcapng captures into packets, and writing pcap files.

``read_pcap(path)`` gives a :class:`Capture`: every record of the file as a :class:`Packet`,
decoded down to its TCP segment when it has one (:func:`.framing.decode_frame`). Nothing in
a file stops the reader except a first four bytes that are no capture magic at all
(DecodeError "bad pcap magic 0x... at byte 0"):

* a packet whose bytes are malformed becomes ``kind == "error"`` with the decoder's message
  (an IP length field longer than the record's original length included: that frame was not
  cut by the capture, its header lies);
* a packet without TCP (ARP, UDP, a fragment...) becomes ``kind == "other"`` with the reason;
* a record that cannot even be read (damaged or truncated record header, truncated data)
  becomes a :class:`CaptureProblem` in ``capture.problems``, and reading goes on with the next
  record the reader can find.

Formats: pcap (draft-ietf-opsawg-pcap; both byte orders, micro- and nanosecond timestamps) and
pcapng (draft-ietf-opsawg-pcapng; see :mod:`.pcapng`). ``write_pcap`` writes classic
little-endian pcap. For millions of packets, :func:`.columnar.read_columns` reads the TCP
header fields into numpy arrays far faster.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

from ..errors import DecodeError
from ..wire.links import LinkType
from ..wire.segment import Segment
from .framing import decode_frame
from .pcapng import SHB, PcapngReader
from .records import PCAP_MICRO, PCAP_NANO, CaptureProblem, PcapReader, Record, Source

__all__ = [
    "Capture",
    "CaptureProblem",
    "LinkType",
    "Packet",
    "iter_pcap",
    "open_records",
    "read_pcap",
    "write_pcap",
]

PathOrFile = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True, slots=True)
class Packet:
    """One record of a capture file, decoded.

    ``index`` counts every record of the file from 0 (unreadable ones too), ``offset`` is the
    record's byte offset in the file. ``time`` is seconds since the epoch; ``time_ns`` keeps the
    full precision of nanosecond files. ``kind`` is "tcp" (``segment`` decoded), "other" (no
    TCP; ``error`` says why) or "error" (malformed; ``error`` is the decoder's message).
    ``src``/``dst`` are "ip:port" ("[v6addr]:port") for TCP, the bare address for other IP
    packets, None otherwise. ``checksum_ok`` is None when the capture cut the segment.
    """

    index: int
    offset: int
    time: float
    time_ns: int
    linktype: int
    interface: int
    wire_len: int
    data: bytes
    kind: str
    src: str | None
    dst: str | None
    segment: Segment | None
    checksum_ok: bool | None
    error: str | None
    ip: object | None


class Capture:
    """The packets of a capture file (iterable, sized, indexable) and the problems met."""

    def __init__(
        self,
        packets: list[Packet],
        problems: list[CaptureProblem],
        format: str,
        linktypes: list[int],
    ) -> None:
        self.packets = packets
        self.problems = problems
        self.format = format
        self.linktypes = linktypes

    def __iter__(self) -> Iterator[Packet]:
        return iter(self.packets)

    def __len__(self) -> int:
        return len(self.packets)

    def __getitem__(self, i: int) -> Packet:
        return self.packets[i]

    def tcp(self) -> list[Packet]:
        """The packets that hold a decoded TCP segment (``p.segment`` is never None in them).

        Loop over this, not over the capture, to read segments: a capture may also hold other
        packets (the shipped ``exchange`` capture has a UDP datagram), whose ``segment`` is None.
        """
        return [p for p in self.packets if p.kind == "tcp" and p.segment is not None]

    def __repr__(self) -> str:
        return (
            f"<Capture {self.format}: {len(self.packets)} packets, "
            f"{len(self.problems)} problems, link types {self.linktypes}>"
        )


def read_pcap(path: PathOrFile) -> Capture:
    """Read a whole pcap or pcapng file (a path, or a binary file object left open)."""
    packets: list[Packet] = []
    problems: list[CaptureProblem] = []
    with _opened(path, "rb") as stream:
        reader = open_records(Source(stream))
        for item in reader:
            if isinstance(item, Record):
                packets.append(to_packet(item))
            else:
                problems.append(item)
    return Capture(packets, problems, reader.format, list(reader.linktypes))


def iter_pcap(path: PathOrFile, problems: list[CaptureProblem] | None = None) -> Iterator[Packet]:
    """The packets of a capture one at a time, reading the file as it goes (bounded memory).

    Problems are appended to ``problems`` when a list is given.
    """
    with _opened(path, "rb") as stream:
        for item in open_records(Source(stream)):
            if isinstance(item, Record):
                yield to_packet(item)
            elif problems is not None:
                problems.append(item)


@contextlib.contextmanager
def _opened(path: PathOrFile, mode: str) -> Iterator[BinaryIO]:
    """Open a path, or pass a file object through (the caller keeps it open)."""
    if isinstance(path, str | os.PathLike):
        with open(path, mode) as stream:
            yield cast(BinaryIO, stream)
    else:
        yield path


def open_records(source: Source) -> PcapReader | PcapngReader:
    """The reader for the file's format, from its first four bytes."""
    head = source.get(0, 4)
    if len(head) == 4 and int.from_bytes(head, "big") == SHB:
        return PcapngReader(source)
    if len(head) == 4 and (
        int.from_bytes(head, "little") in (PCAP_MICRO, PCAP_NANO)
        or int.from_bytes(head, "big") in (PCAP_MICRO, PCAP_NANO)
    ):
        return PcapReader(source)
    short = f" (the file has {len(head)} bytes)" if len(head) < 4 else ""
    raise DecodeError(f"bad pcap magic 0x{head.hex()}{short} at byte 0", 0)


def to_packet(rec: Record) -> Packet:
    """Decode one record's frame into a Packet."""
    time, time_ns = rec.time, rec.time_ns
    try:
        frame = decode_frame(rec.linktype, rec.data, rec.wire_len)
    except DecodeError as exc:
        return Packet(
            rec.index,
            rec.offset,
            time,
            time_ns,
            rec.linktype,
            rec.interface,
            rec.wire_len,
            rec.data,
            "error",
            None,
            None,
            None,
            None,
            str(exc),
            None,
        )
    ip, seg = frame.ip, frame.segment
    src = dst = None
    if ip is not None and seg is not None:
        if ip.version == 4:
            src, dst = f"{ip.src}:{seg.src_port}", f"{ip.dst}:{seg.dst_port}"
        else:
            src, dst = f"[{ip.src}]:{seg.src_port}", f"[{ip.dst}]:{seg.dst_port}"
    elif ip is not None:
        src, dst = ip.src, ip.dst
    return Packet(
        rec.index,
        rec.offset,
        time,
        time_ns,
        rec.linktype,
        rec.interface,
        rec.wire_len,
        rec.data,
        "tcp" if seg is not None else "other",
        src,
        dst,
        seg,
        frame.checksum_ok,
        frame.reason,
        ip,
    )


# -- writing ---------------------------------------------------------------------------------


def write_pcap(
    path: PathOrFile,
    packets: Iterable[tuple[float, bytes] | Packet],
    linktype: int = LinkType.ETHERNET,
    nanosecond: bool = False,
    snaplen: int = 262144,
) -> None:
    """Write a little-endian pcap file of (time, frame bytes) pairs or of Packets.

    Frames longer than ``snaplen`` are cut, keeping their original length. A Packet keeps its
    original length and ``time_ns``; a Packet of another link type than ``linktype`` is an error
    (ValueError), since a pcap file has one link type.
    """
    units = 1_000_000_000 if nanosecond else 1_000_000
    magic = PCAP_NANO if nanosecond else PCAP_MICRO
    record = struct.Struct("<IIII")
    with _opened(path, "wb") as out:
        chunks = [struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
        for n, item in enumerate(packets, 1):
            if isinstance(item, Packet):
                if item.linktype != linktype:
                    raise ValueError(
                        f"packet {item.index} has link type {item.linktype}, "
                        f"the file is written as {int(linktype)}"
                    )
                sec, rem = divmod(item.time_ns, 1_000_000_000)
                frac, data, wire = rem * units // 1_000_000_000, item.data, item.wire_len
            else:
                t, data = item
                sec = math.floor(t)
                frac = round((t - sec) * units)
                if frac >= units:
                    sec, frac = sec + 1, frac - units
                wire = len(data)
            if not 0 <= sec < 1 << 32:
                raise ValueError(f"time {sec} s does not fit a pcap timestamp (0 to 2**32 - 1)")
            caplen = min(len(data), snaplen)
            chunks.append(record.pack(sec, frac, caplen, wire))
            chunks.append(bytes(data[:caplen]))
            if n % 4096 == 0:
                out.write(b"".join(chunks))
                chunks = []
        out.write(b"".join(chunks))
