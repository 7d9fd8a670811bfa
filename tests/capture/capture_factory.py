"""Frames and capture files built by hand, for the capture-layer tests.

Nothing here imports tcpcore: every header is packed with ``struct`` straight from its layout
(RFC 791 3.1, RFC 8200 3-4, RFC 9293 3.1, IEEE 802.3/802.1Q, the Linux cooked headers, the pcap and
pcapng drafts), and checksums come from the plain RFC 1071 loop in ``wire_helpers``, so a test
comparing tcpcore's decoding with the values given here can fail.
"""

from __future__ import annotations

import ipaddress
import random
import struct
from collections.abc import Iterable, Sequence

from wire_helpers import reference_checksum as checksum  # RFC 1071, written out plainly

ETHERNET, RAW, NULL, LOOP, SLL, SLL2, IPV4, IPV6 = 1, 101, 0, 108, 113, 276, 228, 229
MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


def packed(address: str) -> bytes:
    return ipaddress.ip_address(address).packed


# -- network and transport --------------------------------------------------------------------


def tcp(
    sport: int = 40000,
    dport: int = 80,
    seq: int = 1000,
    ack: int = 0,
    flags: int = 0x02,
    window: int = 65535,
    options: bytes = b"",
    payload: bytes = b"",
    *,
    urgent: int = 0,
    offset: int | None = None,
    reserved: int = 0,
    src: str | None = None,
    dst: str | None = None,
    csum: int | None = None,
) -> bytes:
    """A TCP segment (RFC 9293 Figure 1). With ``src``/``dst`` the checksum is computed over
    the pseudo-header (RFC 9293 3.1 for IPv4, RFC 8200 8.1 for IPv6); ``csum`` forces a value."""
    off = (20 + len(options)) // 4 if offset is None else offset
    head = struct.pack(
        "!HHIIBBHHH", sport, dport, seq, ack, (off << 4) | reserved, flags, window, 0, urgent
    )
    seg = head + options + payload
    if csum is None and src is not None and dst is not None:
        s, d = packed(src), packed(dst)
        if len(s) == 4:
            # Zero, protocol, TCP length: one 32-bit word, so that a "BIG TCP" segment longer
            # than 65,535 bytes carries into the upper half (as Wireshark sums it).
            pseudo = s + d + struct.pack("!I", (6 << 16) + len(seg))
        else:
            pseudo = s + d + struct.pack("!I3xB", len(seg), 6)
        csum = checksum(pseudo + seg)
    return seg[:16] + struct.pack("!H", csum or 0) + seg[18:]


def ipv4(
    src: str,
    dst: str,
    payload: bytes,
    *,
    proto: int = 6,
    ttl: int = 64,
    ident: int = 0x1234,
    flags: int = 0b010,
    frag: int = 0,
    options: bytes = b"",
    total: int | None = None,
    tos: int = 0,
    ihl: int | None = None,
    csum: int | None = None,
) -> bytes:
    """An IPv4 packet (RFC 791 3.1); the header checksum is computed unless given."""
    hl = 20 + len(options)
    first = 0x40 | ((hl // 4) if ihl is None else ihl)
    length = hl + len(payload) if total is None else total
    head = struct.pack(
        "!BBHHHBBH4s4s",
        first,
        tos,
        length,
        ident,
        (flags << 13) | frag,
        ttl,
        proto,
        0,
        packed(src),
        packed(dst),
    )
    head += options
    value = checksum(head) if csum is None else csum
    return head[:10] + struct.pack("!H", value) + head[12:] + payload


def ipv6(
    src: str,
    dst: str,
    payload: bytes,
    *,
    nh: int = 6,
    hop: int = 64,
    tc: int = 0,
    flow: int = 0,
    plen: int | None = None,
    ext: bytes = b"",
) -> bytes:
    """An IPv6 packet (RFC 8200 3); ``ext`` is the extension headers, already chained."""
    length = len(ext) + len(payload) if plen is None else plen
    word = (6 << 28) | (tc << 20) | flow
    return struct.pack("!IHBB", word, length, nh, hop) + packed(src) + packed(dst) + ext + payload


def ext_header(next_header: int, body: bytes) -> bytes:
    """A hop-by-hop / routing / destination options header (RFC 8200 4.3): next header, length
    in 8-byte units after the first 8, then ``body`` (padded by the caller to 6 + 8n bytes)."""
    assert (len(body) + 2) % 8 == 0
    return bytes((next_header, (len(body) + 2) // 8 - 1)) + body


def jumbo_header(next_header: int, length: int) -> bytes:
    """A hop-by-hop header holding only the Jumbo Payload option (RFC 2675 2): type 0xC2,
    length 4, the 32-bit payload length (everything after the fixed IPv6 header)."""
    return ext_header(next_header, struct.pack("!BBI", 0xC2, 4, length))


def fragment_header(next_header: int, offset: int, more: bool, ident: int = 7) -> bytes:
    """RFC 8200 4.5: next header, reserved, offset (13 bits) | res (2) | M, identification."""
    return struct.pack("!BBHI", next_header, 0, (offset << 3) | int(more), ident)


def udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


# -- link layers ------------------------------------------------------------------------------


def ethernet(
    payload: bytes,
    ethertype: int = 0x0800,
    vlans: Sequence[tuple[int, int]] = (),
    dst: bytes = MAC_B,
    src: bytes = MAC_A,
) -> bytes:
    """Ethernet II, with (TPID, TCI) VLAN tags outermost first (IEEE 802.1Q 9.3)."""
    types = [tpid for tpid, _ in vlans] + [ethertype]
    tags = b"".join(struct.pack("!HH", tci, types[i + 1]) for i, (_, tci) in enumerate(vlans))
    return dst + src + struct.pack("!H", types[0]) + tags + payload


def sll(payload: bytes, protocol: int = 0x0800, packet_type: int = 0) -> bytes:
    """Linux cooked v1: packet type, ARPHRD_ETHER, address length 6, 8 address bytes, protocol."""
    return struct.pack("!HHH8sH", packet_type, 1, 6, MAC_A, protocol) + payload


def sll2(payload: bytes, protocol: int = 0x0800, ifindex: int = 3) -> bytes:
    """Linux cooked v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, addr."""
    return struct.pack("!HHIHBB8s", protocol, 0, ifindex, 1, 4, 6, MAC_A) + payload


def null(payload: bytes, family: int = 2, order: str = "<") -> bytes:
    """BSD loopback: the address family in the capturing host's byte order."""
    return struct.pack(order + "I", family) + payload


def loop(payload: bytes, family: int = 2) -> bytes:
    """OpenBSD loopback: the address family in network byte order."""
    return struct.pack("!I", family) + payload


def frame(linktype: int, packet: bytes, version: int = 4) -> bytes:
    """Wrap an IP packet in the usual header of a link type."""
    if linktype == ETHERNET:
        return ethernet(packet, 0x0800 if version == 4 else 0x86DD)
    if linktype == SLL:
        return sll(packet, 0x0800 if version == 4 else 0x86DD)
    if linktype == SLL2:
        return sll2(packet, 0x0800 if version == 4 else 0x86DD)
    if linktype == NULL:
        return null(packet, 2 if version == 4 else 30)
    if linktype == LOOP:
        return loop(packet, 2 if version == 4 else 24)
    return packet


# -- capture files ----------------------------------------------------------------------------


def pcap(
    records: Iterable[tuple[int, int, bytes] | tuple[int, int, bytes, int]],
    *,
    order: str = "<",
    nano: bool = False,
    linktype: int = ETHERNET,
    snaplen: int = 65535,
) -> bytes:
    """A pcap file (draft-ietf-opsawg-pcap 4-5) of (seconds, fraction, data[, original length])."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for rec in records:
        sec, frac, data = rec[0], rec[1], rec[2]
        wire = rec[3] if len(rec) == 4 else len(data)  # type: ignore[misc]
        out.append(struct.pack(order + "IIII", sec, frac, len(data), wire) + data)
    return b"".join(out)


def record_offsets(records: Sequence[tuple[int, int, bytes]]) -> list[int]:
    """Where each record of :func:`pcap` starts."""
    offsets, at = [], 24
    for rec in records:
        offsets.append(at)
        at += 16 + len(rec[2])
    return offsets


def block(btype: int, body: bytes, order: str = "<") -> bytes:
    """A pcapng block: type, total length, body (padded to 32 bits), total length."""
    body += b"\x00" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(order + "II", btype, n) + body + struct.pack(order + "I", n)


def option(code: int, value: bytes, order: str = "<") -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def shb(order: str = "<", major: int = 1) -> bytes:
    """Section Header Block: byte-order magic, version, section length -1, no options."""
    body = struct.pack(order + "IHHq", 0x1A2B3C4D, major, 0, -1)
    return block(0x0A0D0D0A, body, order)


def idb(linktype: int, snaplen: int = 0, options: bytes = b"", order: str = "<") -> bytes:
    """Interface Description Block; end the options with opt_endofopt when there are some."""
    if options:
        options += struct.pack(order + "HH", 0, 0)
    return block(1, struct.pack(order + "HHI", linktype, 0, snaplen) + options, order)


def epb(iface: int, ts: int, data: bytes, wire: int | None = None, order: str = "<") -> bytes:
    """Enhanced Packet Block: interface, timestamp high and low words, lengths, data."""
    wire = len(data) if wire is None else wire
    head = struct.pack(order + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), wire)
    return block(6, head + data, order)


def spb(data: bytes, wire: int | None = None, order: str = "<") -> bytes:
    """Simple Packet Block: original length and data."""
    return block(3, struct.pack(order + "I", len(data) if wire is None else wire) + data, order)


def opb(iface: int, ts: int, data: bytes, order: str = "<") -> bytes:
    """The obsolete Packet Block: 16-bit interface id, drops count, timestamp, lengths, data."""
    head = struct.pack(order + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data))
    return block(2, head + data, order)


# -- generated traffic ------------------------------------------------------------------------


def random_tcp_frame(rng: random.Random, linktype: int = ETHERNET) -> bytes:
    """A well-formed frame with a TCP segment: random addresses, flags, options, payload."""
    v6 = linktype == IPV6 or (linktype != IPV4 and rng.random() < 0.25)
    host, peer = rng.randint(1, 254), rng.randint(1, 254)
    src = f"2001:db8::{host:x}" if v6 else f"10.0.0.{host}"
    dst = f"2001:db8::1:{peer:x}" if v6 else f"10.0.1.{peer}"
    options = rng.choice(
        [
            b"",
            b"\x01\x01\x08\x0a" + rng.randbytes(8),
            b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + rng.randbytes(8) + b"\x01\x03\x03\x07",
            b"\x01\x01\x05\x0a" + rng.randbytes(8),
            b"\x02\x04\x05\xb4",
        ]
    )
    payload = rng.randbytes(rng.choice([0, 0, 1, rng.randint(2, 300)]))
    seg = tcp(
        rng.randint(0, 65535),
        rng.randint(0, 65535),
        rng.getrandbits(32),
        rng.getrandbits(32),
        rng.getrandbits(8),
        rng.randint(0, 65535),
        options,
        payload,
        src=src,
        dst=dst,
    )
    packet = ipv6(src, dst, seg) if v6 else ipv4(src, dst, seg, ident=rng.getrandbits(16))
    return frame(linktype, packet, 6 if v6 else 4)


def big_segment(src: str, dst: str, size: int = 65_600) -> bytes:
    """An ACK carrying ``size`` bytes (over 65,535 by default: a Linux "BIG TCP" / TSO segment,
    whose IPv4 total length must be 0 and whose IPv6 header needs a Jumbo Payload option)."""
    return tcp(flags=0x10, ack=1, payload=bytes(i % 251 for i in range(size)), src=src, dst=dst)


def jumbogram(src: str, dst: str, segment: bytes, length: int | None = None) -> bytes:
    """An IPv6 jumbogram (RFC 2675): payload length 0, hop-by-hop Jumbo Payload option."""
    jumbo = 8 + len(segment) if length is None else length
    return ipv6(src, dst, segment, nh=0, plen=0, ext=jumbo_header(6, jumbo))


def odd_frames() -> list[tuple[int, bytes, str]]:
    """Frames that exercise every branch of the decoder: (link type, bytes, what it is)."""
    a4, b4, a6, b6 = "192.0.2.1", "198.51.100.2", "2001:db8::1", "2001:db8::2"
    seg4 = tcp(src=a4, dst=b4, options=b"\x02\x04\x05\xb4", payload=b"hello")
    seg6 = tcp(src=a6, dst=b6, payload=b"six")
    out: list[tuple[int, bytes, str]] = [
        (ETHERNET, ethernet(ipv4(a4, b4, seg4)), "plain"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4), vlans=[(0x8100, 5)]), "one VLAN tag"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4), vlans=[(0x88A8, 7), (0x8100, 5)]), "QinQ"),
        (
            ETHERNET,
            ethernet(ipv4(a4, b4, seg4), vlans=[(0x88A8, 1), (0x8100, 2), (0x8100, 3)]),
            "three tags",
        ),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4, options=b"\x94\x04\x00\x00")), "IPv4 options"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4, total=0)), "TSO zero length"),
        (ETHERNET, ethernet(ipv4(a4, b4, big_segment(a4, b4), total=0)), "BIG TCP"),
        (ETHERNET, ethernet(jumbogram(a6, b6, big_segment(a6, b6)), 0x86DD), "IPv6 jumbogram"),
        (ETHERNET, ethernet(jumbogram(a6, b6, seg6, 9000), 0x86DD), "jumbo length < 65536"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4, flags=0b001)), "first fragment, whole header"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4[:12], flags=0b001)), "first fragment, short"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4, frag=3)), "later fragment"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4) + bytes(10)), "Ethernet padding"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4)[:40]), "cut inside the TCP header"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4)[:-3]), "cut inside the payload"),
        (ETHERNET, ethernet(ipv4(a4, b4, tcp(src=a4, dst=b4, csum=0xBEEF))), "bad checksum"),
        (ETHERNET, ethernet(ipv4(a4, b4, tcp(offset=4))), "data offset 4"),
        (ETHERNET, ethernet(ipv4(a4, b4, tcp(offset=15))), "data offset past the packet"),
        (ETHERNET, ethernet(ipv4(a4, b4, tcp(options=b"\x02\x01\x00\x00"))), "option len 1"),
        (ETHERNET, ethernet(ipv4(a4, b4, tcp(options=b"\x01\x01\x01\x08"))), "no length byte"),
        (ETHERNET, ethernet(ipv4(a4, b4, tcp(options=b"\x08\x0a\x00\x00"))), "option too long"),
        (ETHERNET, ethernet(ipv4(a4, b4, tcp(options=b"\x00\xff\xff\xff"))), "EOL then junk"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4, ihl=4)), "IHL 4"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4, total=10)), "total length 10"),
        (ETHERNET, ethernet(ipv4(a4, b4, udp(53, 53, b"dns"), proto=17)), "UDP"),
        (ETHERNET, ethernet(b"\x00\x01\x08\x00\x06\x04" + bytes(22), 0x0806), "ARP"),
        (ETHERNET, ethernet(b"\xaa\xaa\x03" + bytes(40), 46), "802.3 LLC"),
        (ETHERNET, ethernet(ipv6(a6, b6, seg6), 0x86DD), "IPv6"),
        (ETHERNET, ethernet(ipv6(a6, b6, seg6, plen=0), 0x86DD), "IPv6 zero length"),
        (
            ETHERNET,
            ethernet(
                ipv6(a6, b6, seg6, nh=0, ext=ext_header(60, bytes(6)) + ext_header(6, bytes(6))),
                0x86DD,
            ),
            "IPv6 hop-by-hop and destination options",
        ),
        (
            ETHERNET,
            ethernet(ipv6(a6, b6, seg6, nh=44, ext=fragment_header(6, 0, False)), 0x86DD),
            "IPv6 atomic fragment",
        ),
        (
            ETHERNET,
            ethernet(ipv6(a6, b6, seg6, nh=44, ext=fragment_header(6, 8, True)), 0x86DD),
            "IPv6 later fragment",
        ),
        (ETHERNET, ethernet(ipv6(a6, b6, bytes(16), nh=50), 0x86DD), "IPv6 ESP"),
        (ETHERNET, ethernet(ipv6(a6, b6, b"", nh=59), 0x86DD), "IPv6 no next header"),
        (ETHERNET, ethernet(ipv6(a6, b6, seg6)[:44], 0x86DD), "IPv6 cut in TCP"),
        (ETHERNET, ethernet(ipv4(a4, b4, seg4))[:20], "cut in the IP header"),
        (ETHERNET, b"\x00" * 10, "runt"),
        (SLL, sll(ipv4(a4, b4, seg4)), "cooked v1"),
        (SLL, sll(struct.pack("!HH", 5, 0x0800) + ipv4(a4, b4, seg4), 0x8100), "cooked, VLAN"),
        (SLL2, sll2(ipv6(a6, b6, seg6), 0x86DD), "cooked v2 IPv6"),
        (NULL, null(ipv4(a4, b4, seg4), 2, "<"), "NULL little-endian"),
        (NULL, null(ipv6(a6, b6, seg6), 30, ">"), "NULL big-endian AF_INET6 30"),
        (NULL, null(ipv6(a6, b6, seg6), 28, "<"), "NULL AF_INET6 28"),
        (NULL, null(b"\x00" * 30, 7, "<"), "NULL unknown family"),
        (LOOP, loop(ipv6(a6, b6, seg6), 24), "LOOP IPv6"),
        (RAW, ipv4(a4, b4, seg4), "raw IPv4"),
        (RAW, ipv6(a6, b6, seg6), "raw IPv6"),
        (RAW, b"\x50" + bytes(30), "raw version 5"),
        (IPV4, ipv4(a4, b4, seg4), "LINKTYPE_IPV4"),
        (IPV6, ipv6(a6, b6, seg6), "LINKTYPE_IPV6"),
        (147, b"anything", "unsupported link type"),
    ]
    return out


# -- captures for the tshark differential -----------------------------------------------------

A4, B4, A6, B6 = "192.0.2.1", "198.51.100.2", "2001:db8::1", "2001:db8::2"
SYN_OPTIONS = b"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x07\x00\x00\x00\x00\x01\x03\x03\x07"
TS_OPTIONS = b"\x01\x01\x08\x0a\x00\x00\x00\x09\x00\x00\x00\x07"


def sack_option(*blocks: tuple[int, int]) -> bytes:
    """NOP NOP SACK (RFC 2018 3) with the given (left, right) edges."""
    body = b"".join(struct.pack("!II", left, right) for left, right in blocks)
    return b"\x01\x01" + bytes((5, 2 + len(body))) + body


def conversation(src: str, dst: str, sport: int = 40000, dport: int = 80) -> list[bytes]:
    """A whole connection's segments (handshake with options, data with timestamps and SACK,
    FIN exchange, a RST), checksummed for ``src``/``dst``."""
    c, s = 1_000_000, 3_000_000_000  # the server's ISN near the top: sequence wrap in the data

    def out(seq: int, ack: int, flags: int, opts: bytes = b"", data: bytes = b"") -> bytes:
        return tcp(sport, dport, seq, ack, flags, 64240, opts, data, src=src, dst=dst)

    def back(seq: int, ack: int, flags: int, opts: bytes = b"", data: bytes = b"") -> bytes:
        return tcp(dport, sport, seq, ack, flags, 65160, opts, data, src=dst, dst=src)

    data = bytes(range(200))
    return [
        out(c, 0, 0x02, SYN_OPTIONS),
        back(s, c + 1, 0x12, SYN_OPTIONS),
        out(c + 1, s + 1, 0x10, TS_OPTIONS),
        out(c + 1, s + 1, 0x18, TS_OPTIONS, data),
        back(s + 1, c + 1, 0x10, TS_OPTIONS + sack_option((c + 101, c + 201))),
        back(s + 1, c + 201, 0x18, TS_OPTIONS, data * 7),
        out(c + 201, (s + 1401) & 0xFFFFFFFF, 0x11, TS_OPTIONS),
        back((s + 1401) & 0xFFFFFFFF, c + 202, 0x11, TS_OPTIONS),
        out(c + 202, (s + 1402) & 0xFFFFFFFF, 0x10, TS_OPTIONS),
        out(c + 202, 0, 0x04),
    ]


def _records(frames: Iterable[bytes | tuple[bytes, int]]) -> list[tuple[int, int, bytes, int]]:
    """pcap records one millisecond apart; a (frame, wire length) pair keeps its length."""
    out = []
    for i, item in enumerate(frames):
        raw, wire = item if isinstance(item, tuple) else (item, len(item))
        out.append((1_700_000_000 + i // 1000, (i % 1000) * 1000, raw, wire))
    return out


def differential_captures() -> dict[str, bytes]:
    """Capture files (name -> bytes) for the tshark differential: link types, VLANs, IPv6
    extension headers, TSO and BIG TCP, snap-length cuts, bad checksums, options, lying lengths
    and malformed headers, and seeded random traffic. Deterministic: same bytes on every run."""
    rng = random.Random(16)
    files: dict[str, bytes] = {}
    v4, v6 = conversation(A4, B4), conversation(A6, B6, 50000, 443)
    for name, linktype in [("sll", SLL), ("sll2", SLL2), ("null", NULL), ("loop", LOOP)]:
        frames = [frame(linktype, ipv4(A4, B4, seg)) for seg in v4]
        frames += [frame(linktype, ipv6(A6, B6, seg), 6) for seg in v6]
        files[f"{name}.pcap"] = pcap(_records(frames), linktype=linktype)
    files["raw.pcap"] = pcap(
        _records([ipv4(A4, B4, seg) for seg in v4] + [ipv6(A6, B6, seg) for seg in v6]),
        linktype=RAW,
    )
    files["vlan.pcap"] = pcap(
        _records(
            [ethernet(ipv4(A4, B4, seg), vlans=[(0x8100, 10)]) for seg in v4]
            + [
                ethernet(ipv6(A6, B6, seg), 0x86DD, vlans=[(0x88A8, 20), (0x8100, 30)])
                for seg in v6
            ]
        )
    )
    hbh = ext_header(60, bytes(6))
    dest = ext_header(6, b"\x01\x04" + bytes(4))  # a PadN option
    files["ipv6-extensions.pcap"] = pcap(
        _records(
            [ethernet(ipv6(A6, B6, seg, nh=0, ext=hbh + dest), 0x86DD) for seg in v6[:5]]
            + [
                ethernet(ipv6(A6, B6, seg, nh=44, ext=fragment_header(6, 0, False)), 0x86DD)
                for seg in v6[5:]
            ]
        )
    )
    big4, big6 = big_segment(A4, B4), big_segment(A6, B6, 70_000)
    small4 = tcp(flags=0x18, ack=1, payload=b"x" * 1000, src=A4, dst=B4)
    files["tso.pcap"] = pcap(
        _records(
            [
                ethernet(ipv4(A4, B4, big4, total=0)),  # BIG TCP
                ethernet(ipv4(A4, B4, small4, total=0)),  # TSO, under 64 KiB
                ethernet(jumbogram(A6, B6, big6), 0x86DD),  # RFC 2675
                ethernet(ipv6(A6, B6, big6, plen=0), 0x86DD),  # TSO IPv6, no jumbo option
                (ethernet(ipv4(A4, B4, big4, total=0))[:2000], 14 + 20 + len(big4)),  # cut
            ]
        ),
        snaplen=262144,
    )
    whole = [ethernet(ipv4(A4, B4, seg)) for seg in v4] + [
        ethernet(ipv6(A6, B6, seg), 0x86DD) for seg in v6
    ]
    files["snaplen96.pcap"] = pcap(
        _records((raw[:96], len(raw)) if len(raw) > 96 else raw for raw in whole), snaplen=96
    )
    files["snaplen60.pcap"] = pcap(
        _records((raw[:60], len(raw)) if len(raw) > 60 else raw for raw in whole), snaplen=60
    )
    bad = [
        ethernet(ipv4(A4, B4, tcp(flags=0x10, payload=b"bad", src=A4, dst=B4, csum=0xBEEF))),
        ethernet(ipv6(A6, B6, tcp(flags=0x10, payload=b"bad", src=A6, dst=B6, csum=1)), 0x86DD),
        ethernet(ipv4(A4, B4, tcp(flags=0x10, payload=b"ok", src=A4, dst=B4), options=b"\x01" * 4)),
        ethernet(ipv4(A4, B4, tcp(flags=0x10, src=A4, dst=B4, csum=0))),  # offloaded: zero
    ]
    files["checksums.pcap"] = pcap(_records(bad))
    odd_options = [
        b"\x1c\x04\x00\x0a",  # User Timeout (RFC 5482)
        b"\x22\x0a" + bytes(range(8)) + b"\x01\x01",  # TCP Fast Open cookie (RFC 7413)
        b"\xfd\x06\x12\x34\x56\x78" + b"\x01\x01",  # experimental (RFC 4727) then NOPs
        b"\x63\x03\x07\x00",  # unassigned kind 99, then EOL
        b"\x02\x04\x05\xb4\x00\x00\x00\x00",  # MSS, EOL, padding
        b"\x01\x03\x03\x0e",  # window scale 14
        sack_option((1, 2), (3, 4), (5, 6)),
        b"\x04\x02\x01\x01",
    ]
    files["options.pcap"] = pcap(
        _records(
            ethernet(ipv4(A4, B4, tcp(flags=0x12, ack=5, options=o, src=A4, dst=B4)))
            for o in odd_options
        )
    )
    lying4 = tcp(flags=0x18, ack=1, payload=b"hello world", src=A4, dst=B4)
    files["lying-lengths.pcap"] = pcap(
        _records(
            [
                ethernet(ipv4(A4, B4, lying4, total=200)),
                (ethernet(ipv4(A4, B4, lying4, total=200))[:50], 100),
                ethernet(ipv6(A6, B6, tcp(flags=0x10, src=A6, dst=B6), plen=300), 0x86DD),
                ethernet(jumbogram(A6, B6, tcp(flags=0x10, src=A6, dst=B6), 9000), 0x86DD),
                ethernet(ipv4(A4, B4, lying4)),  # one honest segment after them
            ]
        )
    )
    files["malformed.pcap"] = pcap(
        _records(
            [
                ethernet(ipv4(A4, B4, tcp(offset=4))),
                ethernet(ipv4(A4, B4, tcp(offset=15))),
                ethernet(ipv4(A4, B4, tcp(options=b"\x02\x01\x00\x00"))),
                ethernet(ipv4(A4, B4, tcp(options=b"\x08\x0a\x00\x00"))),
                ethernet(ipv4(A4, B4, lying4, ihl=4)),
                ethernet(ipv4(A4, B4, lying4, total=10)),
            ]
        )
    )
    mixed = [(lt, random_tcp_frame(rng, lt)) for lt in (ETHERNET, SLL, SLL2, NULL, LOOP, RAW) * 100]
    rng.shuffle(mixed)
    kinds = [ETHERNET, SLL, SLL2, NULL, LOOP, RAW]
    blocks = [shb()] + [idb(lt, 0, option(9, b"\x09")) for lt in kinds]
    blocks += [
        epb(kinds.index(lt), 1_700_000_000_000_000_000 + i, raw)
        for i, (lt, raw) in enumerate(mixed)
    ]
    files["random-mixed.pcapng"] = b"".join(blocks)
    return files
