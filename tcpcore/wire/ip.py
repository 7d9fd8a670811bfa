"""IPv4 and IPv6 headers (RFC 791 3.1, RFC 8200 3-4): exact decode and encode.

```
IPv4 (RFC 791 3.1)                      IPv6 (RFC 8200 3)
 0       4       8              16      0       4           12                     31
|Version|  IHL  |Type of Service| Total Length |  |Version| Traffic Class |   Flow Label   |
|    Identification   |Flags| Fragment Offset |  | Payload Length | Next Header | Hop Limit |
| Time to Live  |   Protocol    |Header Checksum|  |          Source Address (128 bits)      |
|  Source Address  |  Destination Address  |     |       Destination Address (128 bits)    |
|                    Options (IHL > 5)           |  (extension headers, then the upper layer)
```

Both headers are frozen dataclasses that keep everything they read: IPv4 options as raw bytes,
the IPv4 header checksum and the length fields as received, IPv6 extension headers as raw bytes.
So ``decode`` then ``encode`` gives the same bytes. A header built by hand leaves ``total_length``
/ ``payload_length`` and ``checksum`` as None, and ``encode`` computes them.

Decoding only reads the header; where the packet's payload ends, and whether the capture cut it,
is the framing layer's business (:mod:`tcpcore.capture.framing`). Error messages give byte
offsets counted from ``base``, the header's position in the frame.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

from ..errors import DecodeError, EncodeError
from .checksum import internet_checksum

PROTO_TCP = 6
# RFC 8200 4.1 (and RFC 4302 for AH): extension headers walked to reach the upper layer.
HOP_BY_HOP, ROUTING, FRAGMENT, DEST_OPTIONS, AH = 0, 43, 44, 60, 51
ESP, NO_NEXT_HEADER = 50, 59
JUMBO_PAYLOAD = 0xC2  # hop-by-hop option type (RFC 2675 2)
EXTENSION_HEADERS = frozenset({HOP_BY_HOP, ROUTING, FRAGMENT, DEST_OPTIONS, AH})
PROTOCOL_NAMES = {
    1: "ICMP",
    2: "IGMP",
    6: "TCP",
    17: "UDP",
    47: "GRE",
    50: "ESP",
    51: "AH",
    58: "ICMPv6",
    59: "no next header",
    132: "SCTP",
}

_TEXT_CACHE: dict[bytes, str] = {}
_IPV4 = struct.Struct("!BBHHHBBH4s4s")


def address_text(packed: bytes) -> str:
    """An address in its usual text form (RFC 5952 for IPv6), cached: captures reuse few."""
    text = _TEXT_CACHE.get(packed)
    if text is None:
        if len(_TEXT_CACHE) >= 4096:
            _TEXT_CACHE.clear()
        text = _TEXT_CACHE[packed] = str(ipaddress.ip_address(packed))
    return text


def address_bytes(text: str, version: int) -> bytes:
    """The packed form of an IPv4 (version 4) or IPv6 (version 6) address given as text."""
    try:
        addr = ipaddress.ip_address(text)
    except ValueError as exc:
        raise EncodeError(f"not an IP address: {text!r}") from exc
    if addr.version != version:
        raise EncodeError(f"{text} is not an IPv{version} address")
    return addr.packed


def _check(what: str, value: int, top: int) -> None:
    if not isinstance(value, int) or not 0 <= value <= top:
        raise EncodeError(f"IP {what} {value!r} is outside 0..{top}")


@dataclass(frozen=True, slots=True)
class IPv4:
    """An IPv4 header (RFC 791 3.1).

    ``tos`` is the whole second byte (DSCP and ECN, RFC 2474 / RFC 3168); ``flags`` the three
    flag bits (0b010 = Don't Fragment, 0b001 = More Fragments); ``fragment_offset`` counts
    8-byte units. ``total_length`` and ``checksum`` are as received, or None to be computed.
    """

    src: str
    dst: str
    protocol: int = PROTO_TCP
    ttl: int = 64
    tos: int = 0
    identification: int = 0
    flags: int = 0b010
    fragment_offset: int = 0
    options: bytes = b""
    total_length: int | None = field(default=None, compare=False)
    checksum: int | None = field(default=None, compare=False)

    version = 4

    @property
    def header_length(self) -> int:
        """IHL * 4: 20 bytes plus the options."""
        return 20 + len(self.options)

    @property
    def more_fragments(self) -> bool:
        return bool(self.flags & 0b001)

    @property
    def dont_fragment(self) -> bool:
        return bool(self.flags & 0b010)

    @property
    def is_fragment(self) -> bool:
        """True for any piece of a fragmented datagram (RFC 791 3.2: MF set or offset != 0)."""
        return self.more_fragments or self.fragment_offset != 0

    @property
    def header_checksum_ok(self) -> bool:
        """True when the header checksum is right (always, for a header still to be encoded)."""
        if self.checksum is None:
            return True
        total = self.header_length if self.total_length is None else self.total_length
        return internet_checksum(self._header(total, self.checksum)) == 0

    @classmethod
    def decode(cls, data: bytes, base: int = 0) -> IPv4:
        """Read the header at ``data[base:]``; DecodeError names the field and byte."""
        n = len(data) - base
        if n < 20:
            raise DecodeError(
                f"truncated IPv4 header: {max(n, 0)} bytes, need 20 at byte {base}", base
            )
        version, ihl = data[base] >> 4, data[base] & 0x0F
        if version != 4:
            raise DecodeError(f"IPv4 version {version} != 4 at byte {base}", base)
        if ihl < 5:
            raise DecodeError(f"IPv4 IHL {ihl} < 5 at byte {base}", base)
        if ihl * 4 > n:
            raise DecodeError(
                f"IPv4 IHL {ihl} ({ihl * 4} bytes) runs past the {n} captured bytes at byte {base}",
                base,
            )
        _, tos, total, ident, frag, ttl, proto, csum, src, dst = _IPV4.unpack_from(data, base)
        return cls(
            address_text(src),
            address_text(dst),
            proto,
            ttl,
            tos,
            ident,
            frag >> 13,
            frag & 0x1FFF,
            bytes(data[base + 20 : base + ihl * 4]),
            total,
            csum,
        )

    def encode(self, payload: bytes = b"") -> bytes:
        """Header plus payload; a None length or checksum is computed."""
        if len(self.options) % 4 or len(self.options) > 40:
            raise EncodeError(
                f"IPv4 options are {len(self.options)} bytes: need a multiple of 4, at most 40"
            )
        total = (
            self.header_length + len(payload) if self.total_length is None else self.total_length
        )
        header = self._header(total, 0 if self.checksum is None else self.checksum)
        if self.checksum is None:
            csum = internet_checksum(header)
            header = header[:10] + csum.to_bytes(2, "big") + header[12:]
        return header + payload

    def _header(self, total: int, checksum: int) -> bytes:
        for what, value, top in (
            ("total length", total, 0xFFFF),
            ("protocol", self.protocol, 0xFF),
            ("ttl", self.ttl, 0xFF),
            ("tos", self.tos, 0xFF),
            ("identification", self.identification, 0xFFFF),
            ("flags", self.flags, 0b111),
            ("fragment offset", self.fragment_offset, 0x1FFF),
            ("checksum", checksum, 0xFFFF),
        ):
            _check(what, value, top)
        return (
            bytes((0x40 | (self.header_length // 4), self.tos))
            + total.to_bytes(2, "big")
            + self.identification.to_bytes(2, "big")
            + ((self.flags << 13) | self.fragment_offset).to_bytes(2, "big")
            + bytes((self.ttl, self.protocol))
            + checksum.to_bytes(2, "big")
            + address_bytes(self.src, 4)
            + address_bytes(self.dst, 4)
            + self.options
        )


@dataclass(frozen=True, slots=True)
class ExtensionHeader:
    """One IPv6 extension header (RFC 8200 4), kept as its raw bytes (next-header byte first)."""

    header_type: int
    raw: bytes

    @property
    def next_header(self) -> int:
        return self.raw[0]

    @property
    def fragment(self) -> tuple[int, bool] | None:
        """For a Fragment header (RFC 8200 4.5): (offset in 8-byte units, M flag); else None."""
        if self.header_type != FRAGMENT or len(self.raw) < 8:
            return None
        word = int.from_bytes(self.raw[2:4], "big")
        return word >> 3, bool(word & 1)


@dataclass(frozen=True, slots=True)
class IPv6:
    """An IPv6 header (RFC 8200 3) and the extension headers before the upper layer.

    ``next_header`` is the fixed header's field; :attr:`protocol` is where the chain ends (6 for
    TCP, 50 for ESP, 59 for "no next header"...). ``payload_length`` is as received, or None.
    """

    src: str
    dst: str
    next_header: int = PROTO_TCP
    hop_limit: int = 64
    traffic_class: int = 0
    flow_label: int = 0
    extensions: tuple[ExtensionHeader, ...] = ()
    payload_length: int | None = field(default=None, compare=False)

    version = 6

    @property
    def protocol(self) -> int:
        return self.extensions[-1].next_header if self.extensions else self.next_header

    @property
    def header_length(self) -> int:
        """40 bytes plus the extension headers."""
        return 40 + sum(len(e.raw) for e in self.extensions)

    @property
    def is_fragment(self) -> bool:
        """True when a Fragment header marks a piece of a larger packet (RFC 8200 4.5); an
        "atomic fragment" (offset 0, M clear, RFC 6946) is whole and does not count."""
        for ext in self.extensions:
            frag = ext.fragment
            if frag is not None and (frag[0] != 0 or frag[1]):
                return True
        return False

    @property
    def jumbo(self) -> tuple[int, int] | None:
        """The Jumbo Payload option (RFC 2675 2) of a hop-by-hop header right after the fixed
        header: (its value's byte offset from the start of the IPv6 header, the length); None
        when there is none."""
        if not self.extensions or self.extensions[0].header_type != HOP_BY_HOP:
            return None
        raw, pos = self.extensions[0].raw, 2
        while pos < len(raw):
            kind = raw[pos]
            if kind == 0:  # Pad1 (RFC 8200 4.2): a single byte
                pos += 1
                continue
            if pos + 2 > len(raw):
                return None
            size = raw[pos + 1]
            if kind == JUMBO_PAYLOAD and size == 4 and pos + 6 <= len(raw):
                return 40 + pos + 2, int.from_bytes(raw[pos + 2 : pos + 6], "big")
            pos += 2 + size
        return None

    @property
    def fragment_offset(self) -> int:
        for ext in self.extensions:
            frag = ext.fragment
            if frag is not None:
                return frag[0]
        return 0

    @classmethod
    def decode(cls, data: bytes, base: int = 0, end: int | None = None) -> IPv6:
        """Read the fixed header at ``data[base:]`` and walk the extension headers.

        The walk stops at the upper layer, at ESP (50, encrypted) or "no next header" (59), or
        at ``end`` (default: the end of ``data``) when the next header would not fit before it.
        """
        n = len(data) - base
        if n < 40:
            raise DecodeError(
                f"truncated IPv6 header: {max(n, 0)} bytes, need 40 at byte {base}", base
            )
        version = data[base] >> 4
        if version != 6:
            raise DecodeError(f"IPv6 version {version} != 6 at byte {base}", base)
        word = int.from_bytes(data[base : base + 4], "big")
        first = data[base + 6]
        exts, nh, pos = [], first, base + 40
        stop = len(data) if end is None else min(end, len(data))
        while nh in EXTENSION_HEADERS:
            size = ext_header_size(data, pos, nh)
            if size is None or pos + size > stop:
                break
            exts.append(ExtensionHeader(nh, bytes(data[pos : pos + size])))
            nh = data[pos]
            pos += size
        return cls(
            src=address_text(data[base + 8 : base + 24]),
            dst=address_text(data[base + 24 : base + 40]),
            next_header=first,
            hop_limit=data[base + 7],
            traffic_class=(word >> 20) & 0xFF,
            flow_label=word & 0xFFFFF,
            extensions=tuple(exts),
            payload_length=int.from_bytes(data[base + 4 : base + 6], "big"),
        )

    def encode(self, payload: bytes = b"") -> bytes:
        """Fixed header, extension headers, payload; a None payload length is computed."""
        ext = b"".join(e.raw for e in self.extensions)
        plen = len(ext) + len(payload) if self.payload_length is None else self.payload_length
        for what, value, top in (
            ("payload length", plen, 0xFFFF),
            ("next header", self.next_header, 0xFF),
            ("hop limit", self.hop_limit, 0xFF),
            ("traffic class", self.traffic_class, 0xFF),
            ("flow label", self.flow_label, 0xFFFFF),
        ):
            _check(what, value, top)
        word = (6 << 28) | (self.traffic_class << 20) | self.flow_label
        return (
            word.to_bytes(4, "big")
            + plen.to_bytes(2, "big")
            + bytes((self.next_header, self.hop_limit))
            + address_bytes(self.src, 6)
            + address_bytes(self.dst, 6)
            + ext
            + payload
        )


def ext_header_size(data: bytes, pos: int, kind: int) -> int | None:
    """Size of the extension header of type ``kind`` at ``pos``, or None when its length byte
    is not in ``data``. Fragment headers are 8 bytes (RFC 8200 4.5); AH counts 4-byte words
    minus 2 (RFC 4302 2.2); the others count 8-byte units after the first 8 (RFC 8200 4.3)."""
    if kind == FRAGMENT:
        return 8
    if pos + 2 > len(data):
        return None
    if kind == AH:
        return (data[pos + 1] + 2) * 4
    return (data[pos + 1] + 1) * 8
