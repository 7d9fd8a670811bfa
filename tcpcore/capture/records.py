"""Capture records: what the pcap and pcapng readers have in common, and the pcap reader.

The classic pcap format (IETF draft-ietf-opsawg-pcap, "PCAP Capture File Format") is a 24-byte
file header followed by records, each a 16-byte header and the captured bytes:

```
file header: magic(4) version major(2) minor(2) reserved(4) reserved(4) snaplen(4) linktype(4)
record:      seconds(4) fraction(4) captured length(4) original length(4) data(captured length)
```

The magic 0xA1B2C3D4 (fraction in microseconds) or 0xA1B23C4D (nanoseconds), read in the
writer's byte order, tells both the resolution and the byte order of every other field. The
link type field carries the FCS information in its upper bits; the link type is its low 16 bits.

Damaged files. A record header whose captured length is beyond any snap length cannot be
followed: the reader reports it as a :class:`CaptureProblem`, then looks for the next plausible
record header (lengths within the limits, timestamp near the last good one, and the record after
it plausible too) and carries on from there. If none turns up within a window, or the file ends
inside a record, it stops with a problem entry. It never raises on a damaged record.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_SNAPLEN = 262144  # libpcap's MAXIMUM_SNAPLEN: no capture tool writes a longer record
RESYNC_WINDOW = 1 << 20  # how far past a damaged record to look for the next good one
PCAP_MICRO = 0xA1B2C3D4
PCAP_NANO = 0xA1B23C4D


@dataclass(frozen=True, slots=True)
class CaptureProblem:
    """A record that could not be read: its 0-based index, its byte offset, what was wrong."""

    index: int
    offset: int
    message: str


@dataclass(frozen=True, slots=True)
class Record:
    """One packet record, before its bytes are decoded.

    The timestamp is ``sec + frac / units`` seconds (``units`` fractions per second: 10**6 for
    microseconds, 10**9 for nanoseconds, whatever pcapng's if_tsresol says).
    ``data_offset`` is the file offset of ``data``.
    """

    index: int
    offset: int
    data_offset: int
    sec: int
    frac: int
    units: int
    linktype: int
    interface: int
    wire_len: int
    data: bytes

    @property
    def time(self) -> float:
        return self.sec + self.frac / self.units

    @property
    def time_ns(self) -> int:
        return self.sec * 1_000_000_000 + self.frac * 1_000_000_000 // self.units


class Source:
    """Forward reading with look-ahead over a file object or bytes, in bounded memory.

    ``get(offset, n)`` returns up to n bytes at a file offset (fewer at the end of the file);
    ``release(offset)`` says nothing before that offset will be asked for again.
    """

    CHUNK = 1 << 20

    def __init__(self, stream: BinaryIO | None = None, data: bytes | memoryview = b"") -> None:
        self._stream = stream
        self._buf: bytes | memoryview = data
        self._base = 0
        self._keep = 0
        self._eof = stream is None

    def get(self, offset: int, n: int) -> bytes:
        end = offset + n
        while end > self._base + len(self._buf) and not self._eof:
            self._fill(end)
        start = offset - self._base
        return bytes(self._buf[start : start + n])

    def release(self, offset: int) -> None:
        self._keep = offset

    def _fill(self, end: int) -> None:
        assert self._stream is not None
        drop = self._keep - self._base
        if drop > 0:
            self._buf = self._buf[drop:]
            self._base = self._keep
        want = max(self.CHUNK, end - self._base - len(self._buf))
        more = self._stream.read(want)
        if not more:
            self._eof = True
        self._buf = bytes(self._buf) + more


class PcapReader:
    """Records of a classic pcap file, with problems interleaved where they occur."""

    format = "pcap"

    def __init__(self, source: Source) -> None:
        self.source = source
        self.linktypes: list[int] = []
        self.nanosecond = False
        self.byteorder = "<"
        self.snaplen = 0

    def __iter__(self) -> Iterator[Record | CaptureProblem]:
        head = self.source.get(0, 24)
        magic = int.from_bytes(head[:4], "little")
        order = "<" if magic in (PCAP_MICRO, PCAP_NANO) else ">"
        if len(head) < 24:
            yield CaptureProblem(0, 0, f"truncated pcap file header: {len(head)} of 24 bytes")
            return
        magic, _major, _minor, _zone, _sigfigs, snaplen, linkfield = struct.unpack(
            order + "IHHiIII", head
        )
        self.byteorder, self.snaplen = order, snaplen
        self.nanosecond = magic == PCAP_NANO
        linktype = linkfield & 0xFFFF
        self.linktypes = [linktype]
        units = 1_000_000_000 if self.nanosecond else 1_000_000
        yield from walk_pcap(self.source, order, units, linktype, max(snaplen, MAX_SNAPLEN))


def walk_pcap(
    source: Source, order: str, units: int, linktype: int, limit: int, offset: int = 24
) -> Iterator[Record | CaptureProblem]:
    """Follow the record headers from ``offset``: each record, or a problem where one is bad."""
    header = struct.Struct(order + "IIII")
    index, last_sec = 0, None
    while True:
        source.release(offset)
        raw = source.get(offset, 16)
        if not raw:
            return
        if len(raw) < 16:
            msg = f"truncated record header: {len(raw)} of 16 bytes at the end of the file"
            yield CaptureProblem(index, offset, msg)
            return
        sec, frac, caplen, wire = header.unpack(raw)
        data = source.get(offset + 16, caplen) if caplen <= limit else b""
        if caplen <= limit and len(data) == caplen:
            yield Record(index, offset, offset + 16, sec, frac, units, linktype, 0, wire, data)
            index, offset, last_sec = index + 1, offset + 16 + caplen, sec
            continue
        # A damaged header, or the file ends inside this record: look for the next good one.
        found = resync_pcap(source, header, offset + 1, units, limit, last_sec)
        if caplen > limit:
            what = f"captured length {caplen} > {limit}: damaged record header"
        else:
            what = f"truncated record: {len(data)} of {caplen} bytes before the end of the file"
        if found is None:
            yield CaptureProblem(index, offset, f"{what}; no plausible record follows, stopped")
            return
        yield CaptureProblem(index, offset, f"{what}; skipped {found - offset} bytes")
        index, offset = index + 1, found


def resync_pcap(
    source: Source,
    header: struct.Struct,
    start: int,
    units: int,
    limit: int,
    last_sec: int | None,
) -> int | None:
    """The first offset from ``start`` where a plausible record begins and is followed by
    another plausible record (or by the exact end of the file); None within the window."""

    def plausible(raw: bytes, at: int) -> int | None:
        sec: int
        frac: int
        caplen: int
        wire: int
        sec, frac, caplen, wire = header.unpack(raw)
        if caplen > limit or caplen > wire or not 0 < wire <= limit or frac >= units:
            return None
        if last_sec is not None and abs(sec - last_sec) > 86400:
            return None
        return at + 16 + caplen

    for at in range(start, start + RESYNC_WINDOW):
        raw = source.get(at, 16)
        if len(raw) < 16:
            return None
        after = plausible(raw, at)
        if after is None:
            continue
        if len(source.get(at, after - at + 1)) == after - at:
            return at  # the file ends exactly where this record does
        following = source.get(after, 16)
        if len(following) == 16 and plausible(following, after) is not None:
            return at
    return None
