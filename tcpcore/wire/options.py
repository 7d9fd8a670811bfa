"""TCP options (RFC 9293 3.2, RFC 7323, RFC 2018): decode and encode, nothing lost.

Each option is a small frozen dataclass. Known kinds with the wrong length, and unknown kinds, are
kept as :class:`UnknownOption` with their raw bytes, so decoding then encoding gives back the same
bytes. Structural errors (a length byte of 0 or 1, an option running past the header) raise
:class:`~tcpcore.errors.DecodeError` with the byte offset.

| kind | length | option                       | source        |
|------|--------|------------------------------|---------------|
| 0    | 1      | End of Option List (EOL)     | RFC 9293 3.2  |
| 1    | 1      | No-Operation (NOP)           | RFC 9293 3.2  |
| 2    | 4      | Maximum Segment Size (MSS)   | RFC 9293 3.2  |
| 3    | 3      | Window Scale                 | RFC 7323 2.2  |
| 4    | 2      | SACK-Permitted               | RFC 2018 2    |
| 5    | 2+8n   | SACK blocks                  | RFC 2018 3    |
| 8    | 10     | Timestamps                   | RFC 7323 3.2  |
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import DecodeError, EncodeError


@dataclass(frozen=True, slots=True)
class Eol:
    """End of Option List (kind 0). What follows it in the header is padding."""

    kind = 0
    name = "eol"

    def encode(self) -> bytes:
        return b"\x00"

    def value(self) -> object:
        return None


@dataclass(frozen=True, slots=True)
class Nop:
    """No-Operation (kind 1), used to align the next option."""

    kind = 1
    name = "nop"

    def encode(self) -> bytes:
        return b"\x01"

    def value(self) -> object:
        return None


@dataclass(frozen=True, slots=True)
class MSS:
    """Maximum Segment Size (kind 2): the largest payload the sender of the SYN will accept."""

    mss: int
    kind = 2
    name = "mss"

    def encode(self) -> bytes:
        _check_range("mss", self.mss, 0xFFFF)
        return struct.pack("!BBH", 2, 4, self.mss)

    def value(self) -> object:
        return self.mss


@dataclass(frozen=True, slots=True)
class WindowScale:
    """Window Scale (kind 3): shift count applied to the peer's window field (RFC 7323 2)."""

    shift: int
    kind = 3
    name = "wscale"

    def encode(self) -> bytes:
        # RFC 7323 2.3 caps the effective shift at 14, but a shift above 14 can be *sent*
        # (the receiver clamps it), so any byte is encodable.
        _check_range("wscale", self.shift, 0xFF)
        return bytes((3, 3, self.shift))

    def value(self) -> object:
        return self.shift


@dataclass(frozen=True, slots=True)
class SackPermitted:
    """SACK-Permitted (kind 4), only in a SYN (RFC 2018 2)."""

    kind = 4
    name = "sackOK"

    def encode(self) -> bytes:
        return b"\x04\x02"

    def value(self) -> object:
        return None


@dataclass(frozen=True, slots=True)
class Sack:
    """SACK blocks (kind 5): (left edge, right edge) pairs of received data (RFC 2018 3)."""

    blocks: tuple[tuple[int, int], ...]
    kind = 5
    name = "sack"

    def encode(self) -> bytes:
        if not 1 <= len(self.blocks) <= 4:
            raise EncodeError(f"sack: {len(self.blocks)} blocks, a header holds 1 to 4")
        out = bytearray((5, 2 + 8 * len(self.blocks)))
        for left, right in self.blocks:
            _check_range("sack edge", left, 0xFFFFFFFF)
            _check_range("sack edge", right, 0xFFFFFFFF)
            out += struct.pack("!II", left, right)
        return bytes(out)

    def value(self) -> object:
        return [list(b) for b in self.blocks]


@dataclass(frozen=True, slots=True)
class Timestamps:
    """Timestamps (kind 8): TSval and TSecr (RFC 7323 3)."""

    tsval: int
    tsecr: int
    kind = 8
    name = "TS"

    def encode(self) -> bytes:
        _check_range("TS val", self.tsval, 0xFFFFFFFF)
        _check_range("TS ecr", self.tsecr, 0xFFFFFFFF)
        return struct.pack("!BBII", 8, 10, self.tsval, self.tsecr)

    def value(self) -> object:
        return [self.tsval, self.tsecr]


@dataclass(frozen=True, slots=True)
class UnknownOption:
    """Any other option (or a known kind with a malformed length), kept as raw bytes.

    ``data`` is what follows the kind and length bytes.
    """

    opt_kind: int
    data: bytes = b""
    name = "unknown"

    @property
    def kind(self) -> int:
        return self.opt_kind

    def encode(self) -> bytes:
        _check_range("option kind", self.opt_kind, 0xFF)
        if self.opt_kind in (0, 1):
            raise EncodeError("kinds 0 and 1 are single bytes: use Eol() or Nop()")
        if len(self.data) > 253:
            raise EncodeError(f"option kind {self.opt_kind}: {len(self.data)} data bytes > 253")
        return bytes((self.opt_kind, len(self.data) + 2)) + self.data

    def value(self) -> object:
        return f"{self.opt_kind}:{self.data.hex()}"


Option = Eol | Nop | MSS | WindowScale | SackPermitted | Sack | Timestamps | UnknownOption

_FIXED_LEN = {2: 4, 3: 3, 4: 2, 8: 10}


def _check_range(what: str, value: int, top: int) -> None:
    if not isinstance(value, int) or not 0 <= value <= top:
        raise EncodeError(f"{what} {value!r} is outside 0..{top}")


def decode_options(data: bytes, base: int = 20) -> tuple[tuple[Option, ...], bytes]:
    """Decode an options region. Returns (options, padding).

    ``padding`` is everything after an EOL option. ``base`` is the region's offset in the
    segment, used in error messages. Canonical padding (EOL then zeros up to the 4-byte boundary,
    as every stack sends) is dropped together with its EOL so that hand-built segments round-trip;
    anything else after the last option is kept so that encoding restores it exactly.

    The result is the one normal form that :func:`encode_options` maps back to ``data``:

    * an EOL that starts an unaligned tail of zeros ending at the boundary is left out (the
      encoder writes those zeros by itself);
    * an EOL at a 4-byte boundary followed by exactly three zeros is kept, with empty padding
      (the encoder adds the three zeros after it);
    * any other EOL is kept, with everything after it as padding.
    """
    opts: list[Option] = []
    i, n = 0, len(data)
    while i < n:
        kind = data[i]
        if kind == 0:
            rest = bytes(data[i + 1 :])
            if not any(rest) and n == (i + 4) & ~3:
                # EOL plus zeros that only pad to the boundary: the encoder writes these zeros
                # itself. Unaligned, the EOL is implied too; aligned, it was written on purpose.
                if i & 3 == 0:
                    opts.append(Eol())
                return tuple(opts), b""
            opts.append(Eol())
            return tuple(opts), rest
        if kind == 1:
            opts.append(Nop())
            i += 1
            continue
        if i + 1 >= n:
            raise DecodeError(f"option kind {kind} has no length byte at byte {base + i}", base + i)
        length = data[i + 1]
        if length < 2:
            raise DecodeError(
                f"option kind {kind} length {length} < 2 at byte {base + i + 1}", base + i + 1
            )
        if i + length > n:
            raise DecodeError(
                f"option kind {kind} length {length} runs past the header "
                f"({n - i} bytes left) at byte {base + i + 1}",
                base + i + 1,
            )
        body = data[i + 2 : i + length]
        opts.append(_decode_one(kind, length, body))
        i += length
    return tuple(opts), b""


def _decode_one(kind: int, length: int, body: bytes) -> Option:
    fixed = _FIXED_LEN.get(kind)
    if fixed is not None and length != fixed:
        return UnknownOption(kind, bytes(body))
    if kind == 2:
        return MSS(int.from_bytes(body, "big"))
    if kind == 3:
        return WindowScale(body[0])
    if kind == 4:
        return SackPermitted()
    if kind == 8:
        tsval, tsecr = struct.unpack("!II", body)
        return Timestamps(tsval, tsecr)
    if kind == 5 and (length - 2) % 8 == 0 and length > 2:
        blocks = tuple(struct.unpack_from("!II", body, j) for j in range(0, length - 2, 8))
        return Sack(blocks)
    return UnknownOption(kind, bytes(body))


def encode_options(options: tuple[Option, ...], padding: bytes = b"") -> bytes:
    """Encode options and padding, then pad with zeros (EOL) to a multiple of four bytes.

    Raises EncodeError when an Eol is followed by more options or when padding is given without a
    final Eol: RFC 9293 3.1 makes everything after the End of Option List padding, so such values
    would decode as something else.
    """
    for k, o in enumerate(options[:-1]):
        if isinstance(o, Eol):
            raise EncodeError(
                f"option {k} is Eol but {len(options) - 1 - k} options follow it; "
                "bytes after the End of Option List belong in padding (RFC 9293 3.1)"
            )
    if padding and not (options and isinstance(options[-1], Eol)):
        raise EncodeError("padding without a final Eol option: padding is what follows an Eol")
    raw = b"".join(o.encode() for o in options) + padding
    extra = -len(raw) % 4
    if extra and padding:
        raise EncodeError(
            f"options plus explicit padding are {len(raw)} bytes, not a multiple of 4"
        )
    raw += b"\x00" * extra
    if len(raw) > 40:
        raise EncodeError(f"options take {len(raw)} bytes; a TCP header holds at most 40")
    return raw
