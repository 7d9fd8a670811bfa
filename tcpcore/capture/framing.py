"""Whole frames: from a captured frame to a TCP segment, and back (the encapsulation lesson).

A capture file records frames of one *link type* (tcpdump's LINKTYPE_ values, listed in the
IETF draft draft-ietf-opsawg-pcaplinktype; the headers are in :mod:`tcpcore.wire.links`, IPv4 and
IPv6 in :mod:`tcpcore.wire.ip`). :func:`decode_frame` peels the layers one by one:

    link header (Ethernet, BSD loopback, Linux cooked...)  ->  IPv4 / IPv6  ->  TCP

and returns a :class:`Frame` with every layer it read. A frame that carries no TCP segment (ARP,
UDP, a fragment, a TCP header cut off by the capture's snap length) is not an error: the Frame
says why in ``reason``. Bytes that break a header's rules raise
:class:`~tcpcore.errors.DecodeError` naming the field and its byte offset in the frame.

Lengths. An IP length field that runs past the captured bytes is a snap-length cut only if the
frame was longer on the wire: given the record's original length (``wire_len``), a length field
that claims more than the frame had on the wire is malformed (DecodeError). A length of 0 (IPv4
total length, IPv6 payload length) is what Linux shows for TSO and "BIG TCP" super-packets, which
may exceed 65,535 bytes: the packet runs to the end of the frame, as Wireshark takes it. An IPv6
jumbogram (RFC 2675) takes its length from the Jumbo Payload option.

:func:`encode_frame` is the exact inverse (``encode_frame(decode_frame(t, b)) == b``): padding after
the IP packet is kept in ``trailer``, checksums and lengths are written as received.
:func:`build_frame` wraps a new segment for the encapsulation lesson, with every length and
checksum (IPv4 header, TCP with its pseudo-header) computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..errors import DecodeError
from ..wire.checksum import ones_sum
from ..wire.ip import (
    EXTENSION_HEADERS,
    PROTO_TCP,
    PROTOCOL_NAMES,
    IPv4,
    IPv6,
    address_bytes,
    ext_header_size,
)
from ..wire.links import (
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_NAMES,
    LOOPBACK_INET,
    LOOPBACK_INET6,
    Ethernet,
    LinkHeader,
    LinkType,
    LinuxSLL,
    LinuxSLL2,
    Loopback,
    decode_link,
)
from ..wire.segment import Segment

__all__ = [
    "Ethernet",
    "Frame",
    "LinkHeader",
    "LinkType",
    "LinuxSLL",
    "LinuxSLL2",
    "Loopback",
    "build_frame",
    "decode_frame",
    "encode_frame",
]

IPHeader = IPv4 | IPv6


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame.

    ``segment`` is set when the frame carries a TCP segment; otherwise ``reason`` says why not.
    ``checksum_ok`` is the TCP checksum check: None when it cannot be verified (the capture cut
    the segment, or it is the first fragment of a datagram). A wrong checksum is reported, not
    rejected: captures taken on the sending host often hold checksums the NIC fills in later.
    ``payload`` holds the bytes where decoding stopped (the IP payload of a UDP packet, the
    body of an ARP frame...); ``trailer`` the bytes captured after the end of the IP packet
    (Ethernet padding to 60 bytes, sometimes the FCS).
    """

    linktype: int
    link: LinkHeader | None
    ip: IPHeader | None = None
    segment: Segment | None = None
    checksum_ok: bool | None = field(default=None, compare=False)
    reason: str | None = None
    payload: bytes = b""
    trailer: bytes = b""


def decode_frame(
    linktype: int, data: bytes | bytearray | memoryview, wire_len: int | None = None
) -> Frame:
    """Decode a captured frame of the given link type down to its TCP segment.

    ``wire_len`` is the frame's length on the wire (the capture record's original length). With
    it, an IP length field larger than the frame on the wire is malformed, not a snap-length
    cut; without it, any IP length beyond the captured bytes is taken as a cut.
    """
    data = bytes(data)
    link, ethertype, l3 = decode_link(linktype, data)
    if ethertype is None:
        return Frame(linktype, link, reason=f"link type {linktype} is not supported", payload=data)
    # Where the frame ended on the wire; None when unknown (any length may be a cut).
    wire = None if wire_len is None else max(wire_len, len(data))
    if ethertype == ETHERTYPE_IPV4:
        return _ipv4(linktype, link, data, l3, wire)
    if ethertype == ETHERTYPE_IPV6:
        return _ipv6(linktype, link, data, l3, wire)
    return Frame(linktype, link, reason=_not_ip(link, ethertype), payload=data[l3:])


def _not_ip(link: LinkHeader | None, ethertype: int) -> str:
    if isinstance(link, Loopback):
        return f"loopback address family {link.family}, not IP"
    if ethertype < 0x0600:
        return f"802.3 frame (length field {ethertype}), not IP"
    name = ETHERTYPE_NAMES.get(ethertype)
    return f"ethertype 0x{ethertype:04x}{f' ({name})' if name else ''}, not IP"


def _ipv4(linktype: int, link: LinkHeader | None, data: bytes, l3: int, wire: int | None) -> Frame:
    ip = IPv4.decode(data, l3)
    start = l3 + ip.header_length
    total = ip.total_length or 0
    if total == 0:
        # A length of 0 is what Linux shows for TSO super-packets it hands to the NIC: take the
        # packet to run to the end of the frame (as Wireshark does).
        end = len(data) if wire is None else wire
    elif total < ip.header_length:
        raise DecodeError(
            f"IPv4 total length {total} < header length {ip.header_length} at byte {l3 + 2}",
            l3 + 2,
        )
    else:
        end = l3 + total
        if wire is not None and end > wire:
            raise DecodeError(
                f"IPv4 total length {total} exceeds the {wire - l3} bytes the frame carried "
                f"from the IP header on (not a snap-length cut) at byte {l3 + 2}",
                l3 + 2,
            )
    if ip.fragment_offset:
        reason = f"IPv4 fragment at offset {ip.fragment_offset * 8}, not reassembled"
        return _stop(linktype, link, ip, data, start, end, reason)
    if ip.protocol != PROTO_TCP:
        return _stop(linktype, link, ip, data, start, end, _not_tcp(ip.protocol))
    return _tcp(linktype, link, ip, data, start, end, data[l3 + 12 : l3 + 20])


def _ipv6(linktype: int, link: LinkHeader | None, data: bytes, l3: int, wire: int | None) -> Frame:
    plen = int.from_bytes(data[l3 + 4 : l3 + 6], "big") if len(data) >= l3 + 6 else 0
    # A payload length of 0 announces a jumbogram (RFC 2675) or, again, a TSO packet: take
    # the frame to its end unless a Jumbo Payload option says otherwise.
    end = l3 + 40 + plen if plen else (len(data) if wire is None else wire)
    ip = IPv6.decode(data, l3, end)
    what, value, at = "payload length", plen, l3 + 4
    if not plen and (jumbo := ip.jumbo) is not None:
        what, (at, value) = "jumbo payload length", (l3 + jumbo[0], jumbo[1])
        if value <= 0xFFFF:
            raise DecodeError(f"IPv6 {what} {value} <= 65535 (RFC 2675 2) at byte {at}", at)
        end = l3 + 40 + value
        ip = IPv6.decode(data, l3, end)
    if wire is not None and end > wire:
        raise DecodeError(
            f"IPv6 {what} {value} exceeds the {wire - l3 - 40} bytes the frame carried after "
            f"the IPv6 header (not a snap-length cut) at byte {at}",
            at,
        )
    start = l3 + ip.header_length
    proto = ip.protocol
    if proto in EXTENSION_HEADERS:
        # The walk stopped at a header that does not fit: cut by the capture, or malformed.
        size = ext_header_size(data, start, proto) or 2
        if start + size <= end:
            reason = f"IPv6 extension header {proto} cut short by the capture"
            return _stop(linktype, link, ip, data, start, end, reason)
        raise DecodeError(
            f"IPv6 extension header {proto} runs past the packet at byte {start}", start
        )
    if ip.is_fragment and ip.fragment_offset:
        reason = f"IPv6 fragment at offset {ip.fragment_offset * 8}, not reassembled"
        return _stop(linktype, link, ip, data, start, end, reason)
    if proto != PROTO_TCP:
        return _stop(linktype, link, ip, data, start, end, _not_tcp(proto))
    return _tcp(linktype, link, ip, data, start, end, data[l3 + 8 : l3 + 40])


def _not_tcp(proto: int) -> str:
    name = PROTOCOL_NAMES.get(proto)
    return f"IP protocol {proto}{f' ({name})' if name else ''}, not TCP"


def _stop(
    linktype: int,
    link: LinkHeader | None,
    ip: IPHeader,
    data: bytes,
    start: int,
    end: int,
    reason: str,
) -> Frame:
    """A frame whose decoding stops after the IP header(s)."""
    return Frame(linktype, link, ip, reason=reason, payload=data[start:end], trailer=data[end:])


def _tcp(
    linktype: int,
    link: LinkHeader | None,
    ip: IPHeader,
    data: bytes,
    start: int,
    end: int,
    addresses: bytes,
) -> Frame:
    """Decode the TCP segment in ``data[start:end]``; ``end`` (from the IP length fields) may lie
    beyond the capture, and ``addresses`` are the packed source and destination."""
    declared = end - start
    captured = min(end, len(data)) - start
    fragment = ip.is_fragment  # a first fragment: later ones never get here
    if declared < 20:
        if fragment:
            return _stop(linktype, link, ip, data, start, end, _FIRST_FRAGMENT)
        raise DecodeError(
            f"TCP header needs 20 bytes, the IP payload has {declared} at byte {start}", start
        )
    if captured < 20:
        return _stop(linktype, link, ip, data, start, end, _cut(captured))
    offset = data[start + 12] >> 4
    if offset < 5:
        raise DecodeError(f"TCP data offset {offset} < 5 at byte {start + 12}", start + 12)
    if offset * 4 > declared:
        if fragment:
            return _stop(linktype, link, ip, data, start, end, _FIRST_FRAGMENT)
        raise DecodeError(
            f"TCP data offset {offset} ({offset * 4} bytes) runs past the {declared}-byte "
            f"IP payload at byte {start + 12}",
            start + 12,
        )
    if offset * 4 > captured:
        return _stop(linktype, link, ip, data, start, end, _cut(captured))
    raw = data[start:end]
    try:
        segment = Segment.decode(raw)
    except DecodeError as exc:
        raise _shifted(exc, start) from None
    checksum_ok: bool | None = None
    if declared == captured and not fragment:
        # RFC 9293 3.1 (IPv4) and RFC 8200 8.1 (IPv6) pseudo-headers. (Behind an IPv6 routing
        # header the pseudo-header should carry the final destination, not the destination
        # field used here: such a segment may be reported with a bad checksum.)
        if ip.version == 4:
            # Zero, protocol and TCP length summed as one 32-bit word, so that the length of a
            # BIG TCP segment (over 65,535 bytes, IPv4 total length 0) carries into the upper
            # half, as Wireshark verifies it; for any other segment this is the 16-bit field.
            pseudo = addresses + b"\x00\x06" + declared.to_bytes(4, "big")
        else:
            pseudo = addresses + declared.to_bytes(4, "big") + b"\x00\x00\x00\x06"
        checksum_ok = ones_sum(pseudo + raw) == 0xFFFF
    return Frame(linktype, link, ip, segment, checksum_ok, trailer=data[end:])


_FIRST_FRAGMENT = "first fragment of a datagram, TCP header incomplete: not reassembled"


def _cut(captured: int) -> str:
    return f"TCP header cut short by the capture ({captured} bytes captured)"


def _shifted(exc: DecodeError, start: int) -> DecodeError:
    """The segment decoder's error, with its byte offset moved from the segment to the frame."""
    message, offset = str(exc), exc.offset
    if offset is None:
        return DecodeError(f"TCP {message} (segment at byte {start})", start)
    suffix = f" at byte {offset}"
    if message.endswith(suffix):
        message = message[: -len(suffix)]
    return DecodeError(f"TCP {message} at byte {start + offset}", start + offset)


# -- encoding --------------------------------------------------------------------------------


def encode_frame(frame: Frame) -> bytes:
    """The frame's bytes: the inverse of :func:`decode_frame`.

    Lengths and checksums left as None (a frame from :func:`build_frame`) are computed; values
    read from a capture are written back as they were, so a frame re-encodes byte for byte.
    """
    if frame.segment is not None:
        seg = frame.segment
        if seg.checksum is None and frame.ip is not None:
            for address in (frame.ip.src, frame.ip.dst):  # EncodeError names a bad one
                address_bytes(address, frame.ip.version)
            upper = seg.encode(frame.ip.src, frame.ip.dst)
        else:
            upper = seg.encode()
    else:
        upper = frame.payload
    packet = frame.ip.encode(upper) if frame.ip is not None else upper
    framed = frame.link.encode(packet) if frame.link is not None else packet
    return framed + frame.trailer


def build_frame(
    segment: Segment,
    src: str,
    dst: str,
    linktype: int = LinkType.ETHERNET,
    *,
    link: LinkHeader | None = None,
    ttl: int = 64,
) -> Frame:
    """A new frame carrying ``segment`` from ``src`` to ``dst`` (IPv4 or IPv6 addresses).

    The link header defaults to a plausible one for ``linktype`` (Ethernet between two locally
    administered MAC addresses, a Linux cooked header for an outgoing packet, a BSD loopback
    header); pass ``link`` to choose it. ``encode_frame`` of the result fills in every length and
    checksum.
    """
    version = 6 if ":" in src else 4
    address_bytes(dst, version)  # both ends must be the same IP version
    ip: IPHeader = IPv4(src, dst, ttl=ttl) if version == 4 else IPv6(src, dst, hop_limit=ttl)
    if link is None:
        link = default_link(linktype, version)
    return Frame(linktype, link, ip, segment.with_(checksum=None))


def default_link(linktype: int, version: int) -> LinkHeader | None:
    """The link header :func:`build_frame` uses for a link type and IP version."""
    ethertype = ETHERTYPE_IPV4 if version == 4 else ETHERTYPE_IPV6
    family = LOOPBACK_INET if version == 4 else LOOPBACK_INET6
    byteorder: Literal["little", "big"] = "big" if linktype == LinkType.LOOP else "little"
    if linktype == LinkType.ETHERNET:
        return Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", ethertype)
    if linktype == LinkType.LINUX_SLL:
        return LinuxSLL(4, 1, 6, bytes.fromhex("020000000001") + bytes(2), ethertype)
    if linktype == LinkType.LINUX_SLL2:
        return LinuxSLL2(ethertype, 0, 1, 1, 4, 6, bytes.fromhex("020000000001") + bytes(2))
    if linktype in (LinkType.NULL, LinkType.LOOP):
        return Loopback(family, byteorder)
    if linktype == LinkType.RAW or linktype == (LinkType.IPV4 if version == 4 else LinkType.IPV6):
        return None
    raise ValueError(f"cannot build an IPv{version} frame for link type {linktype}")
