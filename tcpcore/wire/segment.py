"""The TCP segment: a frozen dataclass with an exact codec (RFC 9293 3.1).

```
    0                   1                   2                   3
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |          Source Port          |       Destination Port        |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                        Sequence Number                        |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                    Acknowledgment Number                      |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |  Data |       |C|E|U|A|P|R|S|F|                               |
   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
   |       |       |R|E|G|K|H|T|N|N|                               |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |           Checksum            |         Urgent Pointer        |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                    [Options]                                  |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   |                              Data                             |
   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
```
(RFC 9293 Figure 1.)

For every valid header ``Segment.decode(b).encode() == b`` byte for byte: the reserved bits, the
checksum field as received, non-canonical option padding and unknown options are all kept.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace

from ..errors import DecodeError, EncodeError
from .checksum import AddressLike, internet_checksum, pseudo_header, verify_tcp_checksum
from .flags import Flags, flags_of
from .options import (
    MSS,
    Option,
    Sack,
    SackPermitted,
    Timestamps,
    WindowScale,
    decode_options,
    encode_options,
)
from .seq import Seq

_NO_FLAGS = Flags(0)
HEADER = struct.Struct("!HHIIBBHHH")
MIN_HEADER = 20


@dataclass(frozen=True, slots=True)
class Segment:
    """One TCP segment. Numbers are plain ints on the wire; ``seg.seq_`` gives a :class:`Seq`.

    ``checksum`` is the value as received (or None: computed by :meth:`encode` when addresses
    are given, else written as 0). ``reserved`` holds the four reserved header bits.
    ``padding`` holds bytes after an EOL option that are not plain zero padding.
    """

    src_port: int
    dst_port: int
    seq: int = 0
    ack: int = 0
    flags: Flags = _NO_FLAGS
    window: int = 0
    urgent: int = 0
    options: tuple[Option, ...] = ()
    payload: bytes = b""
    reserved: int = 0
    checksum: int | None = field(default=None, compare=False)
    padding: bytes = b""

    # -- reading -----------------------------------------------------------------------------

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview) -> Segment:
        """Parse a TCP segment (header, options and payload) from bytes.

        Raises :class:`DecodeError` naming the field and byte offset on a truncated header, a
        data offset below 5 or past the end of the data, or a malformed option.
        """
        n = len(data)
        if n < MIN_HEADER:
            raise DecodeError(
                f"truncated TCP header: {n} bytes, need at least {MIN_HEADER} at byte {n}", n
            )
        sport, dport, seq, ack, off_byte, flag_byte, win, csum, urg = HEADER.unpack_from(data, 0)
        offset = off_byte >> 4
        if offset < 5:
            raise DecodeError(f"data offset {offset} < 5 at byte 12", 12)
        hlen = offset * 4
        if hlen > n:
            raise DecodeError(
                f"data offset {offset} ({hlen} bytes) runs past the {n}-byte segment at byte 12",
                12,
            )
        if hlen > MIN_HEADER:
            options, padding = decode_options(bytes(data[MIN_HEADER:hlen]))
        else:
            options, padding = (), b""
        return cls(
            sport,
            dport,
            seq,
            ack,
            flags_of(flag_byte),
            win,
            urg,
            options,
            bytes(data[hlen:]),
            off_byte & 0x0F,
            csum,
            padding,
        )

    # -- writing -----------------------------------------------------------------------------

    def encode(self, src_ip: AddressLike | None = None, dst_ip: AddressLike | None = None) -> bytes:
        """The segment's bytes. With both addresses, the checksum is computed and filled in
        (IPv4 or IPv6 pseudo-header); without them the ``checksum`` field is written as is."""
        opts = encode_options(self.options, self.padding) if (self.options or self.padding) else b""
        hlen = MIN_HEADER + len(opts)
        # The reserved nibble is OR-ed into the data offset byte, where struct cannot see an
        # out-of-range value: 0x10 would vanish and 0x30 would change the data offset.
        if not isinstance(self.reserved, int) or not 0 <= self.reserved <= 0x0F:
            raise EncodeError(
                f"a header field is out of range: reserved={self.reserved!r} is outside 0..15"
            )
        try:
            header = HEADER.pack(
                self.src_port,
                self.dst_port,
                self.seq,
                self.ack,
                ((hlen // 4) << 4) | self.reserved,
                int(self.flags),
                self.window,
                0 if self.checksum is None else self.checksum,
                self.urgent,
            )
        except struct.error as exc:
            raise EncodeError(f"a header field is out of range: {self._range_problem()}") from exc
        raw = header + opts + self.payload
        if src_ip is not None and dst_ip is not None:
            raw_b = bytearray(raw)
            raw_b[16:18] = b"\x00\x00"
            csum = internet_checksum(pseudo_header(src_ip, dst_ip, len(raw_b)) + raw_b)
            raw_b[16:18] = csum.to_bytes(2, "big")
            return bytes(raw_b)
        if (src_ip is None) != (dst_ip is None):
            raise EncodeError("give both src_ip and dst_ip to compute the checksum, or neither")
        return raw

    def _range_problem(self) -> str:
        for name, value, top in (
            ("src_port", self.src_port, 0xFFFF),
            ("dst_port", self.dst_port, 0xFFFF),
            ("seq", self.seq, 0xFFFFFFFF),
            ("ack", self.ack, 0xFFFFFFFF),
            ("reserved", self.reserved, 0x0F),
            ("flags", int(self.flags), 0xFF),
            ("window", self.window, 0xFFFF),
            ("checksum", self.checksum or 0, 0xFFFF),
            ("urgent", self.urgent, 0xFFFF),
        ):
            if not isinstance(value, int) or not 0 <= value <= top:
                return f"{name}={value!r} is outside 0..{top}"
        return "unknown field"

    def checksum_ok(self, src_ip: AddressLike, dst_ip: AddressLike) -> bool:
        """True when the stored checksum is right for these addresses."""
        return verify_tcp_checksum(self.encode(), src_ip, dst_ip)

    # -- views -------------------------------------------------------------------------------

    @property
    def header_length(self) -> int:
        """Header length in bytes (data offset * 4)."""
        if not self.options and not self.padding:  # most segments after the handshake
            return MIN_HEADER
        n = sum(len(o.encode()) for o in self.options) + len(self.padding)
        return MIN_HEADER + n + (-n % 4)

    @property
    def seq_(self) -> Seq:
        return Seq(self.seq)

    @property
    def ack_(self) -> Seq:
        return Seq(self.ack)

    @property
    def seg_len(self) -> int:
        """SEG.LEN: payload bytes plus one for SYN and one for FIN (RFC 9293 3.4)."""
        f = int(self.flags)  # plain int arithmetic: IntFlag's own operators are slow
        return len(self.payload) + (1 if f & 0x02 else 0) + (f & 0x01)

    def option(self, kind: type[Option]) -> Option | None:
        """The first option of the given class, or None."""
        for o in self.options:
            if isinstance(o, kind):
                return o
        return None

    @property
    def mss(self) -> int | None:
        o = self.option(MSS)
        return o.mss if isinstance(o, MSS) else None

    @property
    def wscale(self) -> int | None:
        o = self.option(WindowScale)
        return o.shift if isinstance(o, WindowScale) else None

    @property
    def sack_permitted(self) -> bool:
        return self.option(SackPermitted) is not None

    @property
    def timestamps(self) -> tuple[int, int] | None:
        o = self.option(Timestamps)
        return (o.tsval, o.tsecr) if isinstance(o, Timestamps) else None

    @property
    def sack_blocks(self) -> tuple[tuple[int, int], ...]:
        o = self.option(Sack)
        return o.blocks if isinstance(o, Sack) else ()

    def with_(self, **changes: object) -> Segment:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def summary(self) -> str:
        """A one-line, tcpdump-like description: ``Flags [S.], seq 100, ack 1, win 65535``."""
        parts = [f"Flags [{self.flags.tcpdump(self.reserved)}]", f"seq {self.seq}"]
        if self.flags & Flags.ACK:
            parts.append(f"ack {self.ack}")
        parts.append(f"win {self.window}")
        if self.options:
            parts.append("options [" + ",".join(_opt_text(o) for o in self.options) + "]")
        parts.append(f"length {len(self.payload)}")
        return ", ".join(parts)

    def label(self) -> str:
        """A ladder-diagram label in the RFC's words: ``SYN+ACK seq=300 ack=101``."""
        text = self.flags.names() if self.flags else "no flags"
        text += f" seq={self.seq}"
        if self.flags & Flags.ACK:
            text += f" ack={self.ack}"
        if self.payload:
            text += f" len={len(self.payload)}"
        return text


def _opt_text(o: Option) -> str:
    v = o.value()
    if v is None:
        return o.name
    if isinstance(v, list):
        return f"{o.name} " + " ".join(str(x) for x in v)
    return f"{o.name} {v}"


def options_json(options: tuple[Option, ...]) -> list[list[object]]:
    """Options as [name, value] pairs, the form used by ``tcpcore trace --json``."""
    return [[o.name, o.value()] for o in options]
