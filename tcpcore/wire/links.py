"""Link-layer headers found in captures: decode and encode.

Link types are tcpdump's LINKTYPE_ values (IETF draft-ietf-opsawg-pcaplinktype, the registry
behind https://www.tcpdump.org/linktypes.html). The headers handled here:

| link type       | value | header                                                           |
|-----------------|-------|------------------------------------------------------------------|
| NULL            | 0     | 4-byte address family in the *capturing host's* byte order (BSD) |
| ETHERNET        | 1     | Ethernet II (IEEE 802.3 clause 3), 802.1Q / 802.1ad tags         |
| RAW             | 101   | none: the version nibble says IPv4 or IPv6                       |
| LOOP            | 108   | 4-byte address family in network byte order (OpenBSD)           |
| LINUX_SLL       | 113   | Linux "cooked" v1, 16 bytes (tcpdump -i any before libpcap 1.10) |
| IPV4, IPV6      | 228/9 | none                                                             |
| LINUX_SLL2      | 276   | Linux "cooked" v2, 20 bytes                                      |

BSD loopback families: AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD,
DragonFly) or 30 (macOS). VLAN tags (TPID 0x8100 for 802.1Q, 0x88a8 for the 802.1ad service
tag, 0x9100 and 0x9200 for pre-standard QinQ) may be stacked; each is kept with its TPID.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from ..errors import DecodeError, EncodeError

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
VLAN_TPIDS = frozenset({0x8100, 0x88A8, 0x9100, 0x9200})
ETHERTYPE_NAMES = {
    0x0806: "ARP",
    0x8035: "RARP",
    0x8847: "MPLS",
    0x8863: "PPPoE discovery",
    0x8864: "PPPoE session",
    0x888E: "EAPOL",
    0x88CC: "LLDP",
    0x88F7: "PTP",
}
LOOPBACK_INET = 2
LOOPBACK_INET6 = 30
LOOPBACK_INET6_ALL = frozenset({24, 28, 30})
NOT_IP = -1


class LinkType(enum.IntEnum):
    """The link types tcpcore decodes (LINKTYPE_ values)."""

    NULL = 0
    ETHERNET = 1
    RAW = 101
    LOOP = 108
    LINUX_SLL = 113
    IPV4 = 228
    IPV6 = 229
    LINUX_SLL2 = 276


def _u16(value: int, what: str) -> bytes:
    if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
        raise EncodeError(f"{what} {value!r} is outside 0..65535")
    return value.to_bytes(2, "big")


def _mac(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text.replace(":", "").replace("-", ""))
    except ValueError:
        raw = b""
    if len(raw) != 6:
        raise EncodeError(f"not a MAC address: {text!r}")
    return raw


@dataclass(frozen=True, slots=True)
class Vlan:
    """One VLAN tag: TPID and Tag Control Information (IEEE 802.1Q 9.6)."""

    tpid: int
    tci: int

    @property
    def pcp(self) -> int:
        """Priority code point (3 bits)."""
        return self.tci >> 13

    @property
    def dei(self) -> bool:
        """Drop eligible indicator."""
        return bool(self.tci & 0x1000)

    @property
    def vid(self) -> int:
        """VLAN identifier (12 bits)."""
        return self.tci & 0x0FFF


def _tags(vlans: tuple[Vlan, ...], ethertype: int) -> tuple[int, bytes]:
    """The outer type field and the bytes of the tags that follow it."""
    if not vlans:
        return ethertype, b""
    inner = [v.tpid for v in vlans[1:]] + [ethertype]
    pairs = zip(vlans, inner, strict=True)
    body = b"".join(_u16(v.tci, "VLAN TCI") + _u16(t, "ethertype") for v, t in pairs)
    return vlans[0].tpid, body


@dataclass(frozen=True, slots=True)
class Ethernet:
    """An Ethernet II header. ``ethertype`` is the innermost type, after any VLAN tags."""

    dst: str
    src: str
    ethertype: int = ETHERTYPE_IPV4
    vlans: tuple[Vlan, ...] = ()

    @property
    def header_length(self) -> int:
        return 14 + 4 * len(self.vlans)

    def encode(self, payload: bytes = b"") -> bytes:
        outer, tags = _tags(self.vlans, self.ethertype)
        return _mac(self.dst) + _mac(self.src) + _u16(outer, "ethertype") + tags + payload


@dataclass(frozen=True, slots=True)
class LinuxSLL:
    """Linux cooked header v1 (LINKTYPE_LINUX_SLL): packet type (0 to us, 4 outgoing...),
    ARPHRD_ device type, address length, 8 address bytes (zero-padded), protocol."""

    packet_type: int
    arphrd: int
    address_length: int
    address: bytes
    protocol: int = ETHERTYPE_IPV4
    vlans: tuple[Vlan, ...] = ()

    @property
    def header_length(self) -> int:
        return 16 + 4 * len(self.vlans)

    def encode(self, payload: bytes = b"") -> bytes:
        if len(self.address) != 8:
            raise EncodeError(f"cooked header address is {len(self.address)} bytes, need 8")
        outer, tags = _tags(self.vlans, self.protocol)
        return (
            _u16(self.packet_type, "packet type")
            + _u16(self.arphrd, "ARPHRD type")
            + _u16(self.address_length, "address length")
            + self.address
            + _u16(outer, "protocol")
            + tags
            + payload
        )


@dataclass(frozen=True, slots=True)
class LinuxSLL2:
    """Linux cooked header v2 (LINKTYPE_LINUX_SLL2): protocol, reserved, interface index,
    ARPHRD_ type, packet type, address length, 8 address bytes."""

    protocol: int
    reserved: int
    interface_index: int
    arphrd: int
    packet_type: int
    address_length: int
    address: bytes
    vlans: tuple[Vlan, ...] = ()

    @property
    def header_length(self) -> int:
        return 20 + 4 * len(self.vlans)

    def encode(self, payload: bytes = b"") -> bytes:
        if len(self.address) != 8:
            raise EncodeError(f"cooked header address is {len(self.address)} bytes, need 8")
        for what, value in (
            ("packet type", self.packet_type),
            ("address length", self.address_length),
        ):
            if not isinstance(value, int) or not 0 <= value <= 0xFF:
                raise EncodeError(f"{what} {value!r} is outside 0..255")
        if not isinstance(self.interface_index, int) or not 0 <= self.interface_index < 1 << 32:
            raise EncodeError(f"interface index {self.interface_index!r} is outside 0..2**32-1")
        outer, tags = _tags(self.vlans, self.protocol)
        return (
            _u16(outer, "protocol")
            + _u16(self.reserved, "reserved")
            + self.interface_index.to_bytes(4, "big")
            + _u16(self.arphrd, "ARPHRD type")
            + bytes((self.packet_type, self.address_length))
            + self.address
            + tags
            + payload
        )


@dataclass(frozen=True, slots=True)
class Loopback:
    """The 4-byte BSD loopback header: an address family in ``byteorder``."""

    family: int
    byteorder: Literal["little", "big"] = "little"

    @property
    def header_length(self) -> int:
        return 4

    def encode(self, payload: bytes = b"") -> bytes:
        if not isinstance(self.family, int) or not 0 <= self.family < 1 << 32:
            raise EncodeError(f"address family {self.family!r} is outside 0..2**32-1")
        return self.family.to_bytes(4, self.byteorder) + payload


LinkHeader = Ethernet | LinuxSLL | LinuxSLL2 | Loopback


def _need(data: bytes, end: int, what: str) -> None:
    """Raise unless the frame holds ``end`` bytes: the error points at the first missing byte."""
    if len(data) < end:
        n = len(data)
        raise DecodeError(f"truncated {what}: frame has {n} bytes, need {end} at byte {n}", n)


def _vlans(data: bytes, pos: int, ethertype: int) -> tuple[tuple[Vlan, ...], int, int]:
    """Walk stacked VLAN tags from ``pos``: (tags, inner ethertype, position after the tags)."""
    tags: list[Vlan] = []
    while ethertype in VLAN_TPIDS:
        _need(data, pos + 4, "VLAN tag")
        tags.append(Vlan(ethertype, int.from_bytes(data[pos : pos + 2], "big")))
        ethertype = int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 4
    return tuple(tags), ethertype, pos


def decode_link(linktype: int, data: bytes) -> tuple[LinkHeader | None, int | None, int]:
    """Read the link header: (header, ethertype of what follows, offset of what follows).

    The ethertype is None for an unsupported link type and NOT_IP for a loopback family that is
    not IP; raw IP link types give the IP version's ethertype and no header.
    """
    if linktype == LinkType.ETHERNET:
        _need(data, 14, "Ethernet header")
        ethertype = int.from_bytes(data[12:14], "big")
        vlans, ethertype, pos = _vlans(data, 14, ethertype)
        return Ethernet(data[0:6].hex(":"), data[6:12].hex(":"), ethertype, vlans), ethertype, pos
    if linktype == LinkType.LINUX_SLL:
        _need(data, 16, "Linux cooked header")
        ethertype = int.from_bytes(data[14:16], "big")
        vlans, ethertype, pos = _vlans(data, 16, ethertype)
        words = [int.from_bytes(data[i : i + 2], "big") for i in (0, 2, 4)]
        link = LinuxSLL(words[0], words[1], words[2], data[6:14], ethertype, vlans)
        return link, ethertype, pos
    if linktype == LinkType.LINUX_SLL2:
        _need(data, 20, "Linux cooked v2 header")
        ethertype = int.from_bytes(data[0:2], "big")
        vlans, ethertype, pos = _vlans(data, 20, ethertype)
        link2 = LinuxSLL2(
            ethertype,
            int.from_bytes(data[2:4], "big"),
            int.from_bytes(data[4:8], "big"),
            int.from_bytes(data[8:10], "big"),
            data[10],
            data[11],
            data[12:20],
            vlans,
        )
        return link2, ethertype, pos
    if linktype in (LinkType.NULL, LinkType.LOOP):
        _need(data, 4, "loopback header")
        loop = _loopback(data[:4], linktype == LinkType.LOOP)
        if loop.family == LOOPBACK_INET:
            return loop, ETHERTYPE_IPV4, 4
        if loop.family in LOOPBACK_INET6_ALL:
            return loop, ETHERTYPE_IPV6, 4
        return loop, NOT_IP, 4
    if linktype == LinkType.RAW:
        if not data:
            raise DecodeError("empty raw IP packet at byte 0", 0)
        version = data[0] >> 4
        if version == 4:
            return None, ETHERTYPE_IPV4, 0
        if version == 6:
            return None, ETHERTYPE_IPV6, 0
        raise DecodeError(f"raw IP version {version} is neither 4 nor 6 at byte 0", 0)
    if linktype == LinkType.IPV4:
        return None, ETHERTYPE_IPV4, 0
    if linktype == LinkType.IPV6:
        return None, ETHERTYPE_IPV6, 0
    return None, None, 0


def _loopback(raw: bytes, network_order: bool) -> Loopback:
    if network_order:
        return Loopback(int.from_bytes(raw, "big"), "big")
    # NULL: the capturing host's byte order, which the file does not record. A known family
    # read one way or the other settles it; anything else is kept little-endian (it round-trips).
    little = int.from_bytes(raw, "little")
    if little == LOOPBACK_INET or little in LOOPBACK_INET6_ALL:
        return Loopback(little, "little")
    big = int.from_bytes(raw, "big")
    if big == LOOPBACK_INET or big in LOOPBACK_INET6_ALL:
        return Loopback(big, "big")
    return Loopback(little, "little")
