"""Independent references and generators for the wire-layer tests.

Nothing here imports the code under test's checksum or codec: the references are written from the
RFCs (RFC 1071 for the sum, RFC 9293 Figure 2 and RFC 8200 8.1 for the pseudo-headers, RFC 9293
Figure 1 for the header), so that a test comparing tcpcore with them can fail.
"""

from __future__ import annotations

import ipaddress
import struct

from hypothesis import strategies as st

U16 = st.integers(0, 0xFFFF)
U32 = st.integers(0, 0xFFFFFFFF)

# Known option kinds and the one length at which they are well formed (RFC 9293 3.2, RFC 7323,
# RFC 2018). SACK (5) is well formed at 2 + 8n for n = 1..4.
FIXED_OPTION_LENGTH = {2: 4, 3: 3, 4: 2, 8: 10}


def reference_ones_sum(data: bytes) -> int:
    """RFC 1071 the slow way: add 16-bit big-endian words, fold the carries back in."""
    if len(data) % 2:
        data += b"\x00"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return total


def reference_checksum(data: bytes) -> int:
    """The Internet checksum: the ones' complement of the ones'-complement sum."""
    return 0xFFFF ^ reference_ones_sum(data)


def ipv4_pseudo_header(src: str, dst: str, length: int) -> bytes:
    """RFC 9293 Figure 2: source, destination, zero, PTCL=6, TCP length (16 bits)."""
    return (
        ipaddress.IPv4Address(src).packed
        + ipaddress.IPv4Address(dst).packed
        + struct.pack("!BBH", 0, 6, length)
    )


def ipv6_pseudo_header(src: str, dst: str, length: int) -> bytes:
    """RFC 8200 8.1: source, destination, upper-layer length (32 bits), three zeros, next header."""
    return (
        ipaddress.IPv6Address(src).packed
        + ipaddress.IPv6Address(dst).packed
        + struct.pack("!I3xB", length, 6)
    )


def reference_tcp_checksum(segment: bytes, pseudo: bytes) -> int:
    """The checksum a segment should carry: its checksum field (bytes 16-17) taken as zero."""
    return reference_checksum(pseudo + segment[:16] + b"\x00\x00" + segment[18:])


def pack_header(
    *,
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    offset: int,
    reserved: int,
    flags: int,
    window: int,
    checksum: int,
    urgent: int,
) -> bytes:
    """The 20 fixed bytes of RFC 9293 Figure 1."""
    return struct.pack(
        "!HHIIBBHHH",
        sport,
        dport,
        seq,
        ack,
        (offset << 4) | reserved,
        flags,
        window,
        checksum,
        urgent,
    )


# -- raw option bytes -----------------------------------------------------------------------------


@st.composite
def raw_option(draw: st.DrawFn, exclude_kinds: frozenset[int] = frozenset()) -> bytes:
    """One option as bytes: a NOP, or kind-length-data with any kind from 2 to 255.

    Known kinds come both well formed (their fixed length, or a SACK of 1..4 blocks) and with a
    wrong length, which a decoder must keep as an unknown option.
    """
    if draw(st.integers(0, 5)) == 0:
        return b"\x01"
    # Half the time one of the kinds a decoder knows, so that those are well represented.
    kinds = st.sampled_from([2, 3, 4, 5, 8]) | st.integers(2, 255)
    kind = draw(kinds.filter(lambda k: k not in exclude_kinds))
    if kind in FIXED_OPTION_LENGTH and draw(st.booleans()):
        size = FIXED_OPTION_LENGTH[kind] - 2
    elif kind == 5 and draw(st.booleans()):
        size = 8 * draw(st.integers(1, 4))
    else:
        size = draw(st.integers(0, 12))
    return bytes((kind, size + 2)) + draw(st.binary(min_size=size, max_size=size))


@st.composite
def raw_options_region(draw: st.DrawFn, exclude_kinds: frozenset[int] = frozenset()) -> bytes:
    """A whole options region (a multiple of 4 bytes, at most 40), built byte by byte.

    It ends either at the last option (zero-padded, i.e. an implied EOL) or with an explicit EOL
    followed by any bytes at all (zeros as stacks send, longer zero runs, or junk).
    """
    chunks = draw(st.lists(raw_option(exclude_kinds), max_size=10))
    region = b""
    for chunk in chunks:
        if len(region) + len(chunk) > 39:
            break
        region += chunk
    if draw(st.booleans()):
        region += b"\x00" * (-len(region) % 4)
        return region
    region += b"\x00"
    room = 40 - len(region)
    lengths = [n for n in range(-len(region) % 4, room + 1, 4)]
    size = draw(st.sampled_from(lengths))
    junk = draw(st.booleans())
    tail = draw(st.binary(min_size=size, max_size=size)) if junk else b"\x00" * size
    return region + tail


@st.composite
def raw_segments(draw: st.DrawFn, exclude_kinds: frozenset[int] = frozenset()) -> bytes:
    """Bytes of an arbitrary well-formed TCP segment: any header field values (reserved bits and
    checksum included), any options region from :func:`raw_options_region`, any payload."""
    region = draw(raw_options_region(exclude_kinds))
    header = pack_header(
        sport=draw(U16),
        dport=draw(U16),
        seq=draw(U32),
        ack=draw(U32),
        offset=5 + len(region) // 4,
        reserved=draw(st.integers(0, 15)),
        flags=draw(st.integers(0, 255)),
        window=draw(U16),
        checksum=draw(U16),
        urgent=draw(U16),
    )
    return header + region + draw(st.binary(max_size=64))


def parse_options_region(region: bytes) -> list[tuple[int, bytes]]:
    """(kind, data) pairs up to and excluding the first EOL, by the RFC 9293 3.1 rules."""
    out: list[tuple[int, bytes]] = []
    i = 0
    while i < len(region):
        kind = region[i]
        if kind == 0:
            break
        if kind == 1:
            out.append((1, b""))
            i += 1
            continue
        length = region[i + 1]
        out.append((kind, region[i + 2 : i + length]))
        i += length
    return out
