"""The pcapng reader (IETF draft-ietf-opsawg-pcapng, "PCAP Next Generation Dump File Format").

A pcapng file is a sequence of blocks, each framed the same way so that a reader can skip what it
does not know::

    block type (4) | block total length (4) | body ... | block total length (4)

* Section Header Block (0x0A0D0D0A) starts a section; its byte-order magic 0x1A2B3C4D, read in
  the writer's byte order, sets the byte order of every block up to the next section (sections of
  one file may differ). Interface ids restart at 0 in each section.
* Interface Description Block (1): link type, snap length, options; ``if_tsresol`` (9) gives
  the timestamp units (10**-n, or 2**-n when the top bit is set; default 10**-6) and
  ``if_tsoffset`` (14) seconds to add to every timestamp.
* Enhanced Packet Block (6): interface id, 64-bit timestamp, captured and original lengths,
  data padded to 32 bits, options.
* Simple Packet Block (3): original length and data only, on interface 0, no timestamp; the
  captured length is the smaller of the original length, the room in the block and the snap
  length.
* Packet Block (2, obsolete): like the enhanced one with a 16-bit interface id and a drop count.

Every other block (name resolution, statistics, decryption secrets, custom...) is skipped.
A block whose framing is broken (a length below 12 or not a multiple of 4, trailing length not
equal to the leading one) is reported and the reader looks for the next well-framed block.
Problems take a record index when the damaged block says it is a packet block.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from .records import RESYNC_WINDOW, CaptureProblem, Record, Source

SHB = 0x0A0D0D0A
IDB, OPB, SPB, EPB = 1, 2, 3, 6
PACKET_BLOCKS = frozenset({OPB, SPB, EPB})
KNOWN_BLOCKS = frozenset({SHB, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xBAD, 0x40000BAD})
BYTE_ORDER_MAGIC = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}
UNKNOWN_LINKTYPE = 0xFFFF
MAX_RESYNC_BLOCK = 1 << 24  # a candidate block longer than this is taken for noise


@dataclass(frozen=True, slots=True)
class Interface:
    linktype: int
    snaplen: int
    units: int = 1_000_000
    tsoffset: int = 0


class PcapngReader:
    """Records of a pcapng file, with problems interleaved where they occur."""

    format = "pcapng"

    def __init__(self, source: Source) -> None:
        self.source = source
        self.linktypes: list[int] = []
        self.index = 0
        self.order: str | None = None
        self.interfaces: list[Interface] = []
        self.skipping = False

    def __iter__(self) -> Iterator[Record | CaptureProblem]:
        offset = 0
        while True:
            self.source.release(offset)
            head = self.source.get(offset, 12)
            if not head:
                return
            if len(head) < 12:
                msg = f"truncated block header: {len(head)} of 12 bytes at the end of the file"
                yield CaptureProblem(self.index, offset, msg)
                return
            btype, blen = SHB, 0
            if int.from_bytes(head[:4], "big") == SHB:
                self.order = BYTE_ORDER_MAGIC.get(head[8:12])
            if self.order is None:
                fault: str | None = f"bad byte-order magic 0x{head[8:12].hex()}"
            else:
                btype, blen = struct.unpack(self.order + "II", head[:8])
                fault = self._framing(offset, blen)
            if fault is not None:
                found = self._resync(offset)
                yield CaptureProblem(self._take(btype), offset, _damage(fault, offset, found))
                if found is None:
                    return
                offset = found
                continue
            body = self.source.get(offset + 8, blen - 12)
            yield from self._block(btype, offset, body)
            offset += blen

    # -- framing -----------------------------------------------------------------------------

    def _framing(self, offset: int, blen: int) -> str | None:
        """None for a well-framed block, else what is wrong with its framing."""
        if blen < 12 or blen % 4:
            return f"block total length {blen} is not a multiple of 4 of at least 12"
        tail = self.source.get(offset + blen - 4, 4)
        if len(tail) < 4:
            return f"the file ends inside this {blen}-byte block"
        assert self.order is not None
        if struct.unpack(self.order + "I", tail)[0] != blen:
            return f"trailing block length does not match the leading {blen}"
        return None

    def _take(self, btype: int) -> int:
        """The index a damaged block gets: its own when its type says packet, else the next."""
        index = self.index
        if btype in PACKET_BLOCKS:
            self.index += 1
        return index

    def _resync(self, offset: int) -> int | None:
        """The offset of the next well-framed block of a known type (4-byte steps), or None."""
        saved = self.order
        for at in range(offset + 4, offset + RESYNC_WINDOW, 4):
            head = self.source.get(at, 12)
            if len(head) < 12:
                break
            self.order = saved
            if int.from_bytes(head[:4], "big") == SHB:
                self.order = BYTE_ORDER_MAGIC.get(head[8:12])
            if self.order is None:
                continue
            btype, blen = struct.unpack(self.order + "II", head[:8])
            known = btype in KNOWN_BLOCKS and blen <= MAX_RESYNC_BLOCK
            if known and self._framing(at, blen) is None:
                return at
        self.order = saved
        return None

    # -- blocks ------------------------------------------------------------------------------

    def _block(self, btype: int, offset: int, body: bytes) -> Iterator[Record | CaptureProblem]:
        assert self.order is not None
        if btype == SHB:
            self.interfaces = []
            major, minor = (
                struct.unpack_from(self.order + "HH", body, 4) if len(body) >= 8 else (0, 0)
            )
            self.skipping = major != 1
            if self.skipping:
                what = f"version {major}.{minor}" if len(body) >= 8 else "a too short header"
                msg = f"pcapng section with {what} is not supported: section skipped"
                yield CaptureProblem(self.index, offset, msg)
        elif self.skipping:
            return
        elif btype == IDB:
            yield from self._interface(offset, body)
        elif btype in PACKET_BLOCKS:
            yield self._packet(btype, offset, body)

    def _interface(self, offset: int, body: bytes) -> Iterator[CaptureProblem]:
        assert self.order is not None
        if len(body) < 8:
            self.interfaces.append(Interface(UNKNOWN_LINKTYPE, 0))
            self.linktypes.append(UNKNOWN_LINKTYPE)
            yield CaptureProblem(self.index, offset, "interface description block too short")
            return
        linktype, _reserved, snaplen = struct.unpack_from(self.order + "HHI", body)
        units, tsoffset = 1_000_000, 0
        for code, value in _options(body, 8, self.order):
            if code == 9 and len(value) == 1:
                units = 2 ** (value[0] & 0x7F) if value[0] & 0x80 else 10 ** value[0]
            elif code == 14 and len(value) == 8:
                tsoffset = int.from_bytes(
                    value, "little" if self.order == "<" else "big", signed=True
                )
        self.interfaces.append(Interface(linktype, snaplen, units, tsoffset))
        self.linktypes.append(linktype)

    def _packet(self, btype: int, offset: int, body: bytes) -> Record | CaptureProblem:
        assert self.order is not None
        index = self.index
        self.index += 1
        if btype == SPB:
            if len(body) < 4:
                return CaptureProblem(index, offset, "simple packet block too short")
            iface_id, ts, wire, start = 0, 0, struct.unpack_from(self.order + "I", body)[0], 4
            caplen = min(wire, len(body) - 4)
        else:
            if len(body) < 20:
                return CaptureProblem(index, offset, "packet block too short")
            fmt = "IIIII" if btype == EPB else "HHIIII"
            fields = struct.unpack_from(self.order + fmt, body)
            iface_id = fields[0]
            hi, lo, caplen, wire = fields[-4:]
            ts, start = (hi << 32) | lo, 20
            if caplen > len(body) - 20:
                msg = f"captured length {caplen} runs past the {len(body) + 12}-byte block"
                return CaptureProblem(index, offset, msg)
        if iface_id >= len(self.interfaces):
            return CaptureProblem(index, offset, f"packet on undeclared interface {iface_id}")
        iface = self.interfaces[iface_id]
        if btype == SPB and iface.snaplen:
            caplen = min(caplen, iface.snaplen)
        sec, frac = divmod(ts, iface.units)
        if btype != SPB:  # a simple packet block has no timestamp at all: 0, not the offset
            sec += iface.tsoffset
        data = body[start : start + caplen]
        return Record(
            index,
            offset,
            offset + 8 + start,
            sec,
            frac,
            iface.units,
            iface.linktype,
            iface_id,
            wire,
            data,
        )


def _damage(fault: str, offset: int, found: int | None) -> str:
    if found is None:
        return f"damaged block: {fault}; no well-framed block follows, stopped"
    return f"damaged block: {fault}; skipped {found - offset} bytes"


def _options(body: bytes, pos: int, order: str) -> Iterator[tuple[int, bytes]]:
    """(code, value) pairs of an options list, up to opt_endofopt or the first malformed one."""
    while pos + 4 <= len(body):
        code, length = struct.unpack_from(order + "HH", body, pos)
        if code == 0:
            return
        value = body[pos + 4 : pos + 4 + length]
        if len(value) < length:
            return
        yield code, value
        pos += 4 + length + (-length % 4)
