"""The segment on the wire, as boxes: the header of RFC 9293 Figure 1 and the frame around it.

Pure data for :func:`tcpcore.viz.header_layout` and :func:`tcpcore.viz.encapsulation` (and for
the tests): :func:`header_fields` gives each header field's row, first bit, width, value and bits;
:func:`encapsulation_layers` gives each layer's name, offset and size in a frame built by
:func:`tcpcore.capture.framing.build_frame`, so the sizes are those of real encoded bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...capture.framing import build_frame, encode_frame
from ...wire.checksum import verify_tcp_checksum
from ...wire.flags import Flags
from ...wire.links import LinkType
from ...wire.options import Option
from ...wire.segment import Segment

__all__ = [
    "ETHERNET_MIN_FRAME",
    "FLAG_ORDER",
    "HeaderField",
    "Layer",
    "encapsulation_layers",
    "header_fields",
    "option_text",
]

# Byte 13, from the most significant bit (RFC 9293 Figure 1).
FLAG_ORDER = (
    Flags.CWR,
    Flags.ECE,
    Flags.URG,
    Flags.ACK,
    Flags.PSH,
    Flags.RST,
    Flags.SYN,
    Flags.FIN,
)
ETHERNET_MIN_FRAME = 60  # bytes before the FCS (IEEE 802.3 minimum frame of 64 with it)
ETHERNET_FCS = 4
DEFAULT_ADDRESSES = {4: ("10.0.0.1", "10.0.0.2"), 6: ("2001:db8::1", "2001:db8::2")}


@dataclass(frozen=True, slots=True)
class HeaderField:
    """One box of the header diagram.

    ``row`` counts 32-bit words from 0, ``bit`` is the first bit (0 = most significant, as in
    the RFC's ruler), ``rows`` the height in words (options span several). ``bits`` is the value
    in binary, ``width`` digits, or "" for the options and the data.
    """

    name: str
    row: int
    bit: int
    width: int
    value: int | str
    text: str
    bits: str
    rows: int = 1

    @property
    def set(self) -> bool:
        """For a one-bit field (a flag): is it 1?"""
        return self.bits == "1"


def _bits(value: int, width: int) -> str:
    return format(value, f"0{width}b")


def header_fields(
    segment: Segment, src_ip: str | None = None, dst_ip: str | None = None
) -> list[HeaderField]:
    """The header's fields, in wire order, with the segment's values.

    With both addresses, the checksum is computed over the pseudo-header (as
    ``segment.encode(src_ip, dst_ip)`` does) and the text says whether the segment's own
    checksum (when it has one) is right.
    """
    raw = segment.encode(src_ip, dst_ip) if src_ip and dst_ip else segment.encode()
    offset = raw[12] >> 4
    checksum = int.from_bytes(raw[16:18], "big")
    s = segment
    out = [
        HeaderField("Source Port", 0, 0, 16, s.src_port, str(s.src_port), _bits(s.src_port, 16)),
        HeaderField(
            "Destination Port", 0, 16, 16, s.dst_port, str(s.dst_port), _bits(s.dst_port, 16)
        ),
        HeaderField("Sequence Number", 1, 0, 32, s.seq, str(s.seq), _bits(s.seq, 32)),
        HeaderField(
            "Acknowledgment Number",
            2,
            0,
            32,
            s.ack,
            f"{s.ack}" + ("" if s.flags & Flags.ACK else " (ignored: ACK off)"),
            _bits(s.ack, 32),
        ),
        HeaderField(
            "Data Offset", 3, 0, 4, offset, f"{offset} ({offset * 4} bytes)", _bits(offset, 4)
        ),
        HeaderField("Rsrvd", 3, 4, 4, s.reserved, str(s.reserved), _bits(s.reserved, 4)),
    ]
    for k, flag in enumerate(FLAG_ORDER):
        on = int(bool(s.flags & flag))
        out.append(HeaderField(flag.name or "", 3, 8 + k, 1, on, str(on), str(on)))
    out.append(HeaderField("Window", 3, 16, 16, s.window, str(s.window), _bits(s.window, 16)))
    out.append(
        HeaderField(
            "Checksum",
            4,
            0,
            16,
            checksum,
            _checksum_text(segment, checksum, src_ip, dst_ip),
            _bits(checksum, 16),
        )
    )
    out.append(
        HeaderField("Urgent Pointer", 4, 16, 16, s.urgent, str(s.urgent), _bits(s.urgent, 16))
    )
    opt_len = offset * 4 - 20
    if opt_len:
        text = ", ".join(option_text(o) for o in s.options) or "padding"
        out.append(
            HeaderField(
                "Options", 5, 0, 32, opt_len, f"{text} ({opt_len} bytes)", "", rows=opt_len // 4
            )
        )
    row = 5 + opt_len // 4
    out.append(HeaderField("Data", row, 0, 32, len(s.payload), _data_text(s.payload), ""))
    return out


def _checksum_text(seg: Segment, computed: int, src: str | None, dst: str | None) -> str:
    if not (src and dst):
        if seg.checksum is None:
            return "0x0000 (needs the IP addresses)"
        return f"0x{computed:04x}"
    if seg.checksum is None:
        return f"0x{computed:04x} (computed)"
    ok = verify_tcp_checksum(seg.encode(), src, dst)
    return f"0x{seg.checksum:04x} " + (
        "(correct)" if ok else f"(wrong: should be 0x{computed:04x})"
    )


def option_text(o: Option) -> str:
    """An option as a person would write it: "MSS 1460", "WS 7", "TS 1/0", "NOP"."""
    v = o.value()
    if o.name in ("eol", "nop", "sackOK"):
        return {"eol": "EOL", "nop": "NOP", "sackOK": "SACK-permitted"}[o.name]
    if isinstance(v, list):
        if o.name == "TS" and len(v) == 2:
            return f"TS {v[0]}/{v[1]}"
        return "SACK " + " ".join(f"{b[0]}-{b[1]}" for b in v)
    name = {"mss": "MSS", "wscale": "WS"}.get(o.name, o.name)
    return f"{name} {v}"


def _data_text(payload: bytes) -> str:
    if not payload:
        return "no data"
    preview = payload[:24].decode("ascii", "replace")
    preview = "".join(c if c.isprintable() else "." for c in preview)
    more = "..." if len(payload) > 24 else ""
    return f"{len(payload)} bytes: {preview!r}{more}"


# -- encapsulation -------------------------------------------------------------------------------

_LINKS = {
    "ethernet": LinkType.ETHERNET,
    "loopback": LinkType.NULL,
    "linux-sll": LinkType.LINUX_SLL,
    "linux-sll2": LinkType.LINUX_SLL2,
    "raw": LinkType.RAW,
}
_LINK_NAMES = {
    "ethernet": "Ethernet header",
    "loopback": "loopback header",
    "linux-sll": "Linux cooked header",
    "linux-sll2": "Linux cooked v2 header",
}


@dataclass(frozen=True, slots=True)
class Layer:
    """A run of bytes in the frame: ``offset`` from the frame's first byte, ``size`` bytes.

    ``level`` nests: 0 for the boxes in a row (headers, data, padding, FCS); 1 for the TCP
    segment, 2 the IP packet, 3 the whole frame (brackets under the row).
    """

    name: str
    offset: int
    size: int
    level: int
    note: str = ""


def encapsulation_layers(
    segment: Segment,
    *,
    link: str = "ethernet",
    ip_version: int = 4,
    src_ip: str | None = None,
    dst_ip: str | None = None,
) -> list[Layer]:
    """The frame carrying ``segment`` over ``link`` ("ethernet", "loopback", "linux-sll",
    "linux-sll2", "raw") and IPv4 or IPv6, built and encoded by :mod:`tcpcore.capture.framing`."""
    if link not in _LINKS:
        raise ValueError(f"unknown link {link!r}; choose one of {', '.join(_LINKS)}")
    if ip_version not in DEFAULT_ADDRESSES:
        raise ValueError(f"ip_version must be 4 or 6, not {ip_version!r}")
    src, dst = (
        src_ip or DEFAULT_ADDRESSES[ip_version][0],
        dst_ip or DEFAULT_ADDRESSES[ip_version][1],
    )
    frame = build_frame(segment, src, dst, _LINKS[link])
    data = encode_frame(frame)
    assert frame.ip is not None
    link_len = frame.link.header_length if frame.link is not None else 0
    ip_len = frame.ip.header_length
    tcp_total = len(data) - link_len - ip_len
    payload = len(segment.payload)
    tcp_header = tcp_total - payload
    out: list[Layer] = []
    pos = 0
    if link_len:
        out.append(Layer(_LINK_NAMES[link], 0, link_len, 0))
        pos = link_len
    out.append(Layer(f"IPv{ip_version} header", pos, ip_len, 0))
    pos += ip_len
    out.append(Layer("TCP header", pos, tcp_header, 0))
    pos += tcp_header
    if payload:
        out.append(Layer("data", pos, payload, 0))
        pos += payload
    frame_end = pos
    if link == "ethernet":
        pad = max(0, ETHERNET_MIN_FRAME - len(data))
        if pad:
            out.append(Layer("padding", pos, pad, 0, "to the 64-byte minimum frame"))
            pos += pad
        out.append(Layer("FCS", pos, ETHERNET_FCS, 0, "CRC-32, added by the NIC"))
        pos += ETHERNET_FCS
    out.append(Layer("TCP segment", link_len + ip_len, tcp_total, 1))
    out.append(Layer(f"IPv{ip_version} packet", link_len, frame_end - link_len, 2))
    if link_len:
        out.append(Layer(f"{link} frame", 0, pos, 3))
    return out
