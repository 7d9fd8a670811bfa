"""Segment: the RFC 9293 Figure 1 codec, against hand-written bytes, generated segments, dpkt
and scapy."""

from __future__ import annotations

import ipaddress
import struct

import dpkt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP as ScapyIP
from scapy.layers.inet import TCP as ScapyTCP
from scapy.layers.inet import TCPOptions as SCAPY_TCP_OPTIONS
from scapy.layers.inet import in4_chksum
from scapy.layers.inet6 import IPv6 as ScapyIPv6
from scapy.layers.inet6 import in6_chksum
from scapy.packet import NoPayload, Packet
from wire_helpers import (
    FIXED_OPTION_LENGTH,
    U16,
    U32,
    ipv4_pseudo_header,
    ipv6_pseudo_header,
    raw_segments,
    reference_tcp_checksum,
)

from tcpcore import (
    MSS,
    DecodeError,
    EncodeError,
    Eol,
    Flags,
    Nop,
    Sack,
    SackPermitted,
    Segment,
    Timestamps,
    UnknownOption,
    WindowScale,
    verify_tcp_checksum,
)
from tcpcore.wire.options import Option

CLIENT4, SERVER4 = "10.0.0.1", "10.0.0.2"
CLIENT6, SERVER6 = "2001:db8::1", "2001:db8::2"


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# -- known answers, written from RFC 9293 Figure 1 ------------------------------------------------
#
#   sport dport | seq | ack | offset<<4|rsvd  flags | window | checksum | urgent | options | data

# Linux's SYN from 10.0.0.1:40000 to port 80: data offset 10 (40 bytes), window 64240, and
# options mss 1460, sackOK, TS val 123456 ecr 0, nop, wscale 7.
SYN_HEX = (
    "9c40 0050 12345678 00000000 a0 02 faf0 0000 0000"
    " 020405b4 0402 080a 0001e240 00000000 01 030307"
)
SYN = Segment(
    40000,
    80,
    seq=0x12345678,
    ack=0,
    flags=Flags.SYN,
    window=64240,
    options=(MSS(1460), SackPermitted(), Timestamps(123456, 0), Nop(), WindowScale(7)),
)

# The SYN+ACK in reply (Linux orders its options the same way).
SYN_ACK_HEX = (
    "0050 9c40 abcdef01 12345679 a0 12 fe88 0000 0000"
    " 020405b4 0402 080a 00bc614e 0001e240 01 030307"
)
SYN_ACK = Segment(
    80,
    40000,
    seq=0xABCDEF01,
    ack=0x12345679,
    flags=Flags.SYN | Flags.ACK,
    window=65160,
    options=(MSS(1460), SackPermitted(), Timestamps(12345678, 123456), Nop(), WindowScale(7)),
)

# A FIN+ACK carrying "bye\n", with Linux's nop, nop, TS: data offset 8 (32 bytes).
FIN_ACK_HEX = (
    "9c40 0050 12345680 abcdef02 80 11 01f6 0000 0000 0101 080a 0001e241 00bc614f 6279650a"
)
FIN_ACK = Segment(
    40000,
    80,
    seq=0x12345680,
    ack=0xABCDEF02,
    flags=Flags.FIN | Flags.ACK,
    window=502,
    options=(Nop(), Nop(), Timestamps(123457, 12345679)),
    payload=b"bye\n",
)

# A bare RST: data offset 5, no options, window 0.
RST_HEX = "0050 9c40 abcdef02 00000000 50 04 0000 0000 0000"
RST = Segment(80, 40000, seq=0xABCDEF02, flags=Flags.RST)

VECTORS = [
    pytest.param(SYN, SYN_HEX, (CLIENT4, SERVER4), (CLIENT6, SERVER6), id="syn"),
    pytest.param(SYN_ACK, SYN_ACK_HEX, (SERVER4, CLIENT4), (SERVER6, CLIENT6), id="syn-ack"),
    pytest.param(FIN_ACK, FIN_ACK_HEX, (CLIENT4, SERVER4), (CLIENT6, SERVER6), id="fin-ack"),
    pytest.param(RST, RST_HEX, (SERVER4, CLIENT4), (SERVER6, CLIENT6), id="rst"),
]
Addresses = tuple[str, str]


@pytest.mark.parametrize(("seg", "hex_", "v4", "v6"), VECTORS)
def test_known_segment_encodes_to_hand_written_bytes(
    seg: Segment, hex_: str, v4: Addresses, v6: Addresses
) -> None:
    raw = seg.encode()
    assert raw == h(hex_)
    assert seg.header_length == 4 * (raw[12] >> 4)


@pytest.mark.parametrize(("seg", "hex_", "v4", "v6"), VECTORS)
def test_known_segment_decodes_from_hand_written_bytes(
    seg: Segment, hex_: str, v4: Addresses, v6: Addresses
) -> None:
    assert Segment.decode(h(hex_)) == seg
    assert Segment.decode(bytearray(h(hex_))) == seg
    assert Segment.decode(memoryview(h(hex_))) == seg


def test_known_syn_fields() -> None:
    seg = Segment.decode(h(SYN_HEX))
    assert (seg.src_port, seg.dst_port, seg.seq, seg.ack) == (40000, 80, 0x12345678, 0)
    assert (seg.window, seg.urgent, seg.checksum, seg.reserved) == (64240, 0, 0, 0)
    assert (seg.mss, seg.wscale, seg.sack_permitted) == (1460, 7, True)
    assert seg.timestamps == (123456, 0)
    assert seg.sack_blocks == ()
    assert seg.header_length == 40
    assert seg.seg_len == 1
    assert seg.label() == "SYN seq=305419896"


def test_known_fin_ack_fields() -> None:
    seg = Segment.decode(h(FIN_ACK_HEX))
    assert seg.payload == b"bye\n"
    assert seg.seg_len == 5  # four bytes of data and one for the FIN (RFC 9293 3.4)
    assert (seg.mss, seg.wscale, seg.sack_permitted) == (None, None, False)
    assert seg.label() == "FIN+ACK seq=305419904 ack=2882400002 len=4"


def test_received_checksum_and_urgent_pointer_are_kept() -> None:
    raw = h("0050 9c40 00000001 00000002 50 38 1000 beef 0003 41424344")
    seg = Segment.decode(raw)
    assert seg.flags == Flags.URG | Flags.ACK | Flags.PSH
    assert (seg.checksum, seg.urgent) == (0xBEEF, 3)
    assert seg.encode() == raw


def test_sack_blocks_view() -> None:
    seg = Segment(1, 2, options=(Nop(), Nop(), Sack(((10, 20), (30, 40)))))
    assert seg.encode()[20:] == h("0101 0512 0000000a 00000014 0000001e 00000028")
    assert seg.sack_blocks == ((10, 20), (30, 40))


# -- checksums: RFC 9293 Figure 2 (IPv4) and RFC 8200 8.1 (IPv6) ----------------------------------


def test_rst_checksum_worked_by_hand() -> None:
    # IPv4 pseudo-header words 0a00 0002 0a00 0001 0006 0014 sum to 141d; the RST's words
    # 0050 9c40 abcd ef02 0000 0000 5004 0000 0000 0000 sum to 28763. 28763 + 141d = 29b80,
    # folded 9b82, complemented 647d. For IPv6 the pseudo-header sums to 5b8f:
    # 28763 + 5b8f = 2e2f2, folded e2f4, complemented 1d0b.
    assert RST.encode(SERVER4, CLIENT4)[16:18] == h("647d")
    assert RST.encode(SERVER6, CLIENT6)[16:18] == h("1d0b")


@pytest.mark.parametrize(("seg", "hex_", "v4", "v6"), VECTORS)
def test_ipv4_checksum_matches_reference_and_scapy(
    seg: Segment, hex_: str, v4: Addresses, v6: Addresses
) -> None:
    raw = h(hex_)
    expected = reference_tcp_checksum(raw, ipv4_pseudo_header(*v4, len(raw)))
    assert in4_chksum(6, ScapyIP(src=v4[0], dst=v4[1]), raw) == expected
    out = seg.encode(*v4)
    assert out == raw[:16] + struct.pack("!H", expected) + raw[18:]
    decoded = Segment.decode(out)
    assert decoded.checksum == expected
    assert decoded.checksum_ok(*v4)
    # The sum is commutative, so swapping the addresses cannot be noticed; another one can.
    assert decoded.checksum_ok(v4[1], v4[0])
    assert not decoded.checksum_ok(v4[0], "10.0.0.3")


@pytest.mark.parametrize(("seg", "hex_", "v4", "v6"), VECTORS)
def test_ipv6_checksum_matches_reference_and_scapy(
    seg: Segment, hex_: str, v4: Addresses, v6: Addresses
) -> None:
    raw = h(hex_)
    expected = reference_tcp_checksum(raw, ipv6_pseudo_header(*v6, len(raw)))
    assert in6_chksum(6, ScapyIPv6(src=v6[0], dst=v6[1]), raw) == expected
    out = seg.encode(*v6)
    assert out == raw[:16] + struct.pack("!H", expected) + raw[18:]
    assert Segment.decode(out).checksum_ok(*v6)


def test_addresses_may_be_text_packed_bytes_or_ipaddress_objects() -> None:
    by_text = SYN.encode(CLIENT4, SERVER4)
    assert SYN.encode(h("0a000001"), h("0a000002")) == by_text
    assert SYN.encode(ipaddress.ip_address(CLIENT4), ipaddress.ip_address(SERVER4)) == by_text
    assert SYN.encode(ipaddress.ip_address(CLIENT6).packed, CLIENT6) != by_text


def test_checksum_is_computed_even_when_one_is_stored() -> None:
    stale = SYN.with_(checksum=0x1234)
    assert stale.encode()[16:18] == h("1234")
    assert stale.encode(CLIENT4, SERVER4) == SYN.encode(CLIENT4, SERVER4)
    assert not stale.checksum_ok(CLIENT4, SERVER4)


def test_scapy_built_segments_verify() -> None:
    for ip in (ScapyIP(src=CLIENT4, dst=SERVER4), ScapyIPv6(src=CLIENT6, dst=SERVER6)):
        packet = ip / ScapyTCP(
            sport=40000,
            dport=80,
            seq=7,
            flags="PA",
            options=[("NOP", None), ("NOP", None), ("Timestamp", (1, 2))],
        )
        packet = packet / b"odd"
        tcp = bytes(packet[ScapyTCP])
        seg = Segment.decode(tcp)
        assert seg.options == (Nop(), Nop(), Timestamps(1, 2))
        assert seg.payload == b"odd"
        assert seg.checksum_ok(ip.src, ip.dst)
        assert seg.encode(ip.src, ip.dst) == tcp


# -- decode errors --------------------------------------------------------------------------------


def with_options(region: str, payload: bytes = b"") -> bytes:
    """A header whose data offset covers ``region`` (a multiple of four bytes)."""
    options = h(region)
    offset = 5 + len(options) // 4
    fixed = h("0001 0002 00000001 00000002") + bytes((offset << 4, 0x10)) + bytes(6)
    return fixed + options + payload


@pytest.mark.parametrize(
    ("raw", "message", "offset"),
    [
        pytest.param(b"", "truncated TCP header: 0 bytes, need at least 20", 0, id="empty"),
        pytest.param(bytes(19), "truncated TCP header: 19 bytes, need at least 20", 19, id="19"),
        pytest.param(
            h("0001 0002 00000001 00000002 40 10 0000 0000 0000"),
            "data offset 4 < 5",
            12,
            id="offset-4",
        ),
        pytest.param(bytes(20), "data offset 0 < 5", 12, id="offset-0"),
        pytest.param(
            h("0001 0002 00000001 00000002 60 10 0000 0000 0000"),
            "data offset 6 (24 bytes) runs past the 20-byte segment",
            12,
            id="offset-past-end",
        ),
        pytest.param(
            h("0001 0002 00000001 00000002 f0 10 0000 0000 0000") + bytes(36),
            "data offset 15 (60 bytes) runs past the 56-byte segment",
            12,
            id="offset-15-past-end",
        ),
        pytest.param(
            with_options("02 00 0000"), "option kind 2 length 0 < 2", 21, id="option-length-0"
        ),
        pytest.param(
            with_options("01 1e 01 00"), "option kind 30 length 1 < 2", 22, id="option-length-1"
        ),
        pytest.param(
            with_options("08 0a 0000", payload=bytes(10)),
            "option kind 8 length 10 runs past the header (4 bytes left)",
            21,
            id="option-overruns-into-payload",
        ),
        pytest.param(
            with_options("0101 1e03"),
            "option kind 30 length 3 runs past the header (2 bytes left)",
            23,
            id="option-overruns-by-one",
        ),
        pytest.param(
            with_options("01 01 01 1e"),
            "option kind 30 has no length byte",
            23,
            id="option-missing-length",
        ),
    ],
)
def test_decode_error_names_field_and_byte(raw: bytes, message: str, offset: int) -> None:
    with pytest.raises(DecodeError) as info:
        Segment.decode(raw)
    assert str(info.value) == f"{message} at byte {offset}"
    assert info.value.offset == offset
    assert isinstance(info.value, ValueError)


# -- encode errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("src_port", 65536),
        ("src_port", -1),
        ("dst_port", 70000),
        ("seq", 2**32),
        ("ack", -1),
        ("flags", Flags(0x100)),
        ("window", 65536),
        ("checksum", 0x10000),
        ("urgent", 65536),
        ("reserved", 16),
        ("reserved", 0x30),
    ],
)
def test_field_out_of_range_is_an_encode_error_naming_it(field: str, value: object) -> None:
    seg = Segment(1, 2).with_(**{field: value})
    with pytest.raises(EncodeError, match=rf"\b{field}="):
        seg.encode()


def test_checksum_needs_both_addresses() -> None:
    with pytest.raises(EncodeError, match="both src_ip and dst_ip"):
        SYN.encode(CLIENT4, None)
    with pytest.raises(EncodeError, match="both src_ip and dst_ip"):
        SYN.encode(None, CLIENT4)


def test_too_many_options_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="at most 40"):
        Segment(1, 2, options=(Timestamps(1, 2),) * 5).encode()


def test_ipv4_segment_longer_than_its_length_field_is_an_encode_error() -> None:
    big = Segment(1, 2, payload=bytes(65536))
    with pytest.raises(EncodeError, match="TCP length 65556"):
        big.encode(CLIENT4, SERVER4)
    assert verify_tcp_checksum(big.encode(CLIENT6, SERVER6), CLIENT6, SERVER6)


# -- generated segments ---------------------------------------------------------------------------


def _well_formed_known(o: UnknownOption) -> bool:
    """True when these bytes would decode as a known option, so UnknownOption is not their form."""
    length = len(o.data) + 2
    return FIXED_OPTION_LENGTH.get(o.opt_kind) == length or (
        o.opt_kind == 5 and length > 2 and (length - 2) % 8 == 0
    )


OPTION = st.one_of(
    st.just(Nop()),
    st.builds(MSS, U16),
    st.builds(WindowScale, st.integers(0, 255)),
    st.just(SackPermitted()),
    st.builds(Timestamps, U32, U32),
    st.builds(Sack, st.lists(st.tuples(U32, U32), min_size=1, max_size=4).map(tuple)),
    st.builds(UnknownOption, st.integers(2, 255), st.binary(max_size=12)).filter(
        lambda o: not _well_formed_known(o)
    ),
)


@st.composite
def segments(draw: st.DrawFn) -> Segment:
    """Any segment in the form decode gives back: options that fit, an optional final EOL whose
    padding is not the encoder's own zero padding (see ``decode_options``)."""
    options: list[Option] = []
    used = 0
    for o in draw(st.lists(OPTION, max_size=8)):
        size = len(o.encode())
        if used + size > 39:
            break
        options.append(o)
        used += size
    padding = b""
    if draw(st.booleans()):
        after_eol = used + 1
        least = -after_eol % 4
        size = draw(st.sampled_from(range(least, 40 - after_eol + 1, 4)))
        junk = draw(st.booleans())
        padding = draw(st.binary(min_size=size, max_size=size)) if junk else bytes(size)
        options.append(Eol())
        if size == least and not any(padding):
            # Only the encoder's own zeros follow the EOL: they are implied, and so is the EOL
            # itself unless it starts a fresh word.
            padding = b""
            if used % 4:
                options.pop()
    return Segment(
        draw(U16),
        draw(U16),
        draw(U32),
        draw(U32),
        Flags(draw(st.integers(0, 255))),
        draw(U16),
        draw(U16),
        tuple(options),
        draw(st.binary(max_size=100)),
        draw(st.integers(0, 15)),
        draw(st.none() | U16),
        padding,
    )


@given(segments())
def test_decode_of_encode_gives_back_the_segment(seg: Segment) -> None:
    raw = seg.encode()
    back = Segment.decode(raw)
    assert back == seg
    assert back.checksum == (seg.checksum or 0)
    assert back.encode() == raw
    assert len(raw) == seg.header_length + len(seg.payload)
    assert raw[12] >> 4 == seg.header_length // 4


@given(segments(), st.sampled_from([(CLIENT4, SERVER4), (CLIENT6, SERVER6)]))
def test_encode_with_addresses_gives_a_verifiable_checksum(
    seg: Segment, addresses: Addresses
) -> None:
    raw = seg.encode(*addresses)
    version = ipaddress.ip_address(addresses[0]).version
    pseudo = (ipv4_pseudo_header if version == 4 else ipv6_pseudo_header)(*addresses, len(raw))
    assert struct.unpack_from("!H", raw, 16)[0] == reference_tcp_checksum(raw, pseudo)
    assert Segment.decode(raw).checksum_ok(*addresses)
    assert Segment.decode(raw) == seg


@given(raw_segments())
def test_encode_of_decode_gives_back_the_bytes(raw: bytes) -> None:
    seg = Segment.decode(raw)
    assert seg.encode() == raw
    assert Segment.decode(seg.encode()) == seg
    assert seg.header_length == 4 * (raw[12] >> 4)
    assert seg.payload == raw[seg.header_length :]


# -- differential: dpkt and scapy read the same bytes ---------------------------------------------

# scapy turns kind 25 ("Mood", a Pascal string) and kind 29 (TCP-AO, a packet) into values that do
# not give back their bytes, so the differential run leaves those two kinds out.
SCAPY_LOSSY_KINDS = frozenset({25, 29})


def ours(seg: Segment) -> list[tuple[int, bytes]]:
    """Our options as (kind, data) up to the EOL."""
    out = []
    for o in seg.options:
        if isinstance(o, Eol):
            break
        out.append((o.kind, o.encode()[2:]))
    return out


def dpkt_options(opts: bytes) -> list[tuple[int, bytes]]:
    out = []
    for item in dpkt.tcp.parse_opts(opts):
        if item is None or item[0] == 0:
            break
        out.append((item[0], bytes(item[1])))
    return out


def scapy_options(options: list[tuple[object, object]]) -> list[tuple[int, bytes]]:
    out = []
    for name, value in options:
        if name == "EOL":
            break
        if isinstance(name, int):
            out.append((name, bytes(value)))  # type: ignore[call-overload]
            continue
        kind = SCAPY_TCP_OPTIONS[1][name]
        fmt = SCAPY_TCP_OPTIONS[0][kind][1]
        if value is None:
            data = b""
        elif isinstance(value, bytes):
            data = value
        elif isinstance(value, Packet):
            data = bytes(value)
        else:
            values = value if isinstance(value, tuple) else (value,)
            if kind == 5:
                fmt = f"!{len(values)}I"
            data = struct.pack(fmt, *values)
        out.append((kind, data))
    return out


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_segments(exclude_kinds=SCAPY_LOSSY_KINDS))
def test_dpkt_and_scapy_read_every_field_as_we_do(raw: bytes) -> None:
    seg = Segment.decode(raw)
    ns = seg.reserved & 1

    d = dpkt.tcp.TCP(raw)
    assert (d.sport, d.dport, d.seq, d.ack) == (seg.src_port, seg.dst_port, seg.seq, seg.ack)
    assert (d.win, d.urp, d.sum) == (seg.window, seg.urgent, seg.checksum)
    assert d.off * 4 == seg.header_length
    assert d.flags == int(seg.flags) | ns << 8
    assert (d._off_flags >> 9) & 0b111 == seg.reserved >> 1
    assert dpkt_options(bytes(d.opts)) == ours(seg)
    assert bytes(d.data) == seg.payload

    s = ScapyTCP(raw)
    assert (s.sport, s.dport, s.seq, s.ack) == (seg.src_port, seg.dst_port, seg.seq, seg.ack)
    assert (s.window, s.urgptr, s.chksum) == (seg.window, seg.urgent, seg.checksum)
    assert s.dataofs * 4 == seg.header_length
    assert int(s.flags) == int(seg.flags) | ns << 8
    assert s.reserved == seg.reserved >> 1
    assert scapy_options(s.options) == ours(seg)
    payload = b"" if isinstance(s.payload, NoPayload) else s.payload.original
    assert payload == seg.payload


def test_scapy_built_options_decode_as_ours() -> None:
    raw = bytes(
        ScapyTCP(
            sport=40000,
            dport=80,
            seq=0x12345678,
            flags="S",
            window=64240,
            chksum=0,
            options=[
                ("MSS", 1460),
                ("SAckOK", b""),
                ("Timestamp", (123456, 0)),
                ("NOP", None),
                ("WScale", 7),
            ],
        )
    )
    assert raw == h(SYN_HEX)
    assert Segment.decode(raw) == SYN
