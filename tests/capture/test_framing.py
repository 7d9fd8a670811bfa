"""Link, IP and frame decoding and encoding (tcpcore.capture.framing, tcpcore.wire.links,
tcpcore.wire.ip).

Expected values come from the layouts (RFC 791, RFC 8200, RFC 9293, IEEE 802.1Q, the Linux cooked
headers), through the hand-packed frames of capture_factory, or from dpkt, never from tcpcore.
"""

from __future__ import annotations

import ipaddress
import random

import dpkt
import pytest
from capture_factory import (
    ETHERNET,
    IPV4,
    IPV6,
    LOOP,
    NULL,
    RAW,
    SLL,
    SLL2,
    big_segment,
    checksum,
    ethernet,
    ext_header,
    fragment_header,
    ipv4,
    ipv6,
    jumbogram,
    loop,
    null,
    odd_frames,
    random_tcp_frame,
    sll,
    sll2,
    tcp,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from wire_helpers import reference_ones_sum as ones_sum

from tcpcore import MSS, DecodeError, EncodeError, Flags, Segment, Timestamps, WindowScale
from tcpcore.capture.framing import (
    Ethernet,
    Frame,
    LinkType,
    LinuxSLL,
    LinuxSLL2,
    Loopback,
    build_frame,
    decode_frame,
    encode_frame,
)
from tcpcore.wire.ip import IPv4, IPv6
from tcpcore.wire.links import Vlan
from tcpcore.wire.options import Nop, SackPermitted

A4, B4, A6, B6 = "192.0.2.1", "198.51.100.2", "2001:db8::1", "2001:db8::2"


def test_reference_sum_is_rfc1071s_example() -> None:
    """Check the test's own checksum against RFC 1071 section 3's worked example."""
    assert ones_sum(bytes.fromhex("0001f203f4f5f6f7")) == 0xDDF2
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


# A SYN from 192.0.2.1:40000 to 198.51.100.2:80 as it appears on an Ethernet link, written field
# by field (RFC 894 / IEEE 802.3, RFC 791 3.1, RFC 9293 3.1); the two checksums are left zero here
# and filled in below with the reference RFC 1071 sum.
SYN_FRAME = (
    "020000000002 020000000001 0800"  # dst MAC, src MAC, ethertype IPv4
    "45 00 003c 1234 4000 40 06 0000"  # v4 IHL 5, TOS, total 60, id, DF, TTL 64, TCP, checksum
    "c0000201 c6336402"  # 192.0.2.1 -> 198.51.100.2
    "9c40 0050 000003e8 00000000"  # ports 40000 -> 80, seq 1000, ack 0
    "a0 02 ffff 0000 0000"  # data offset 10 (40 bytes), SYN, window 65535, checksum, urgent
    "020405b4 0402 080a 00000064 00000000 01 030307"  # MSS 1460, SACK-perm, TS 100/0, NOP, WS 7
)


def _syn_frame() -> bytes:
    raw = bytearray(bytes.fromhex(SYN_FRAME.replace(" ", "")))
    raw[24:26] = checksum(bytes(raw[14:34])).to_bytes(2, "big")
    pseudo = raw[26:34] + bytes((0, 6)) + (len(raw) - 34).to_bytes(2, "big")
    raw[50:52] = checksum(bytes(pseudo + raw[34:])).to_bytes(2, "big")
    return bytes(raw)


def test_ethernet_ipv4_syn_known_answer() -> None:
    raw = _syn_frame()
    f = decode_frame(LinkType.ETHERNET, raw)
    assert f.link == Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", 0x0800)
    ip = f.ip
    assert isinstance(ip, IPv4)
    assert (ip.src, ip.dst, ip.ttl, ip.protocol, ip.identification) == (A4, B4, 64, 6, 0x1234)
    assert (ip.flags, ip.fragment_offset, ip.total_length, ip.tos) == (0b010, 0, 60, 0)
    assert ip.dont_fragment and not ip.is_fragment and ip.header_checksum_ok
    seg = f.segment
    assert seg is not None
    assert (seg.src_port, seg.dst_port, seg.seq, seg.ack) == (40000, 80, 1000, 0)
    assert seg.flags == Flags.SYN and seg.window == 65535 and seg.payload == b""
    assert seg.mss == 1460 and seg.sack_permitted and seg.wscale == 7
    assert seg.timestamps == (100, 0)
    assert f.checksum_ok is True and f.reason is None and f.trailer == b""
    assert encode_frame(f) == raw


def test_build_frame_makes_the_same_syn() -> None:
    seg = Segment(
        40000,
        80,
        1000,
        0,
        Flags.SYN,
        65535,
        options=(MSS(1460), SackPermitted(), Timestamps(100, 0), Nop(), WindowScale(7)),
    )
    frame = build_frame(seg, A4, B4)
    frame = Frame(frame.linktype, frame.link, IPv4(A4, B4, identification=0x1234), frame.segment)
    assert encode_frame(frame) == _syn_frame()


# -- every link type ---------------------------------------------------------------------------

SEG4 = tcp(40000, 80, 7, 9, 0x18, 512, payload=b"data", src=A4, dst=B4)
SEG6 = tcp(40000, 80, 7, 9, 0x18, 512, payload=b"data", src=A6, dst=B6)


@pytest.mark.parametrize(
    ("linktype", "raw", "link"),
    [
        (NULL, null(ipv4(A4, B4, SEG4), 2, "<"), Loopback(2, "little")),
        (NULL, null(ipv4(A4, B4, SEG4), 2, ">"), Loopback(2, "big")),
        (NULL, null(ipv6(A6, B6, SEG6), 24, "<"), Loopback(24, "little")),
        (NULL, null(ipv6(A6, B6, SEG6), 28, ">"), Loopback(28, "big")),
        (NULL, null(ipv6(A6, B6, SEG6), 30, "<"), Loopback(30, "little")),
        (LOOP, loop(ipv4(A4, B4, SEG4), 2), Loopback(2, "big")),
        (LOOP, loop(ipv6(A6, B6, SEG6), 24), Loopback(24, "big")),
        (
            ETHERNET,
            ethernet(ipv6(A6, B6, SEG6), 0x86DD),
            Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", 0x86DD),
        ),
        (RAW, ipv4(A4, B4, SEG4), None),
        (RAW, ipv6(A6, B6, SEG6), None),
        (IPV4, ipv4(A4, B4, SEG4), None),
        (IPV6, ipv6(A6, B6, SEG6), None),
        (
            SLL,
            sll(ipv4(A4, B4, SEG4), packet_type=4),
            LinuxSLL(4, 1, 6, bytes.fromhex("0200000000010000"), 0x0800),
        ),
        (
            SLL2,
            sll2(ipv6(A6, B6, SEG6), 0x86DD, ifindex=3),
            LinuxSLL2(0x86DD, 0, 3, 1, 4, 6, bytes.fromhex("0200000000010000")),
        ),
    ],
)
def test_every_link_type(linktype: int, raw: bytes, link: object) -> None:
    f = decode_frame(linktype, raw)
    assert f.link == link
    assert f.segment is not None and f.segment.payload == b"data"
    assert (f.segment.seq, f.segment.ack, f.segment.window) == (7, 9, 512)
    assert f.checksum_ok is True
    assert encode_frame(f) == raw


def test_linktype_values_are_tcpdumps() -> None:
    expected = {"NULL": 0, "ETHERNET": 1, "RAW": 101, "LOOP": 108, "LINUX_SLL": 113}
    expected |= {"IPV4": 228, "IPV6": 229, "LINUX_SLL2": 276}
    assert {t.name: int(t) for t in LinkType} == expected


@pytest.mark.parametrize(
    ("tags", "offset"),
    [([(0x8100, 0x2005)], 18), ([(0x88A8, 100), (0x8100, 0xE07B)], 22), ([(0x9100, 1)] * 3, 26)],
)
def test_vlan_tags_are_walked(tags: list[tuple[int, int]], offset: int) -> None:
    raw = ethernet(ipv4(A4, B4, SEG4), vlans=tags)
    f = decode_frame(ETHERNET, raw)
    assert isinstance(f.link, Ethernet)
    assert f.link.vlans == tuple(Vlan(tpid, tci) for tpid, tci in tags)
    assert f.link.ethertype == 0x0800 and f.link.header_length == offset
    assert f.segment is not None and f.checksum_ok
    assert encode_frame(f) == raw
    with pytest.raises(DecodeError, match=f"IPv4 IHL 3 < 5 at byte {offset}$"):
        decode_frame(ETHERNET, ethernet(ipv4(A4, B4, SEG4, ihl=3), vlans=tags))


def test_vlan_tag_fields() -> None:
    tag = Vlan(0x8100, 0xB07B)  # PCP 5, DEI 1, VID 123
    assert (tag.pcp, tag.dei, tag.vid) == (5, True, 123)


def test_cooked_header_with_a_vlan_tag() -> None:
    raw = sll(bytes.fromhex("0005 0800") + ipv4(A4, B4, SEG4), 0x8100)
    f = decode_frame(SLL, raw)
    assert isinstance(f.link, LinuxSLL)
    assert f.link.vlans == (Vlan(0x8100, 5),) and f.link.protocol == 0x0800
    assert f.segment is not None and encode_frame(f) == raw


# -- IPv4 --------------------------------------------------------------------------------------


def test_ipv4_options_are_kept_and_tcp_found_after_them() -> None:
    router_alert = bytes.fromhex("94040000")  # RFC 2113
    raw = ethernet(ipv4(A4, B4, SEG4, options=router_alert + bytes.fromhex("01010100")))
    f = decode_frame(ETHERNET, raw)
    assert isinstance(f.ip, IPv4)
    assert f.ip.options == router_alert + bytes.fromhex("01010100")
    assert f.ip.header_length == 28 and f.ip.header_checksum_ok
    assert f.segment is not None and f.segment.payload == b"data" and f.checksum_ok
    assert encode_frame(f) == raw


def test_bad_ipv4_header_checksum_is_reported() -> None:
    raw = ethernet(ipv4(A4, B4, SEG4, csum=0x1111))
    f = decode_frame(ETHERNET, raw)
    assert isinstance(f.ip, IPv4) and f.ip.checksum == 0x1111
    assert not f.ip.header_checksum_ok
    assert f.segment is not None and encode_frame(f) == raw


def test_bad_tcp_checksum_is_reported_not_rejected() -> None:
    raw = ethernet(ipv4(A4, B4, tcp(src=A4, dst=B4, csum=0xDEAD)))
    f = decode_frame(ETHERNET, raw)
    assert f.segment is not None and f.segment.checksum == 0xDEAD
    assert f.checksum_ok is False
    assert encode_frame(f) == raw


def test_segment_cut_by_the_capture_cannot_be_verified() -> None:
    raw = ethernet(ipv4(A4, B4, SEG4))[:-2]
    f = decode_frame(ETHERNET, raw)
    assert f.segment is not None and f.segment.payload == b"da"
    assert f.checksum_ok is None
    assert encode_frame(f) == raw


def test_tcp_header_cut_by_the_capture_is_no_segment() -> None:
    raw = ethernet(ipv4(A4, B4, tcp(options=bytes.fromhex("020405b4"), src=A4, dst=B4)))[: 34 + 22]
    f = decode_frame(ETHERNET, raw)
    assert f.segment is None and f.reason is not None and "cut short" in f.reason
    assert encode_frame(f) == raw


def test_ethernet_padding_is_the_trailer() -> None:
    packet = ipv4(A4, B4, tcp(0x1234, 80, flags=0x10, src=A4, dst=B4))
    raw = ethernet(packet) + bytes(6)  # 54-byte frame padded to the 60-byte minimum
    f = decode_frame(ETHERNET, raw)
    assert f.trailer == bytes(6) and f.checksum_ok is True
    assert f.segment is not None and f.segment.payload == b""
    assert encode_frame(f) == raw


def test_tso_packet_with_zero_length_runs_to_the_end_of_the_capture() -> None:
    raw = ethernet(ipv4(A4, B4, SEG4, total=0))
    f = decode_frame(ETHERNET, raw)
    assert f.segment is not None and f.segment.payload == b"data" and f.checksum_ok
    assert encode_frame(f) == raw


def test_first_fragment_with_a_whole_header_gives_a_segment_without_checksum() -> None:
    f = decode_frame(ETHERNET, ethernet(ipv4(A4, B4, SEG4, flags=0b001)))
    assert isinstance(f.ip, IPv4) and f.ip.is_fragment and f.ip.more_fragments
    assert f.segment is not None and f.checksum_ok is None


def test_first_fragment_with_part_of_the_header_is_a_fragment_not_an_error() -> None:
    raw = ethernet(ipv4(A4, B4, SEG4[:16], flags=0b001))
    f = decode_frame(ETHERNET, raw)
    assert f.segment is None and f.reason is not None and "fragment" in f.reason
    assert f.payload == SEG4[:16] and encode_frame(f) == raw


def test_later_fragment_is_not_parsed_as_tcp() -> None:
    junk = bytes.fromhex("0000000000000000000000001f")  # a data offset of 1: TCP would reject it
    raw = ethernet(ipv4(A4, B4, junk, frag=185))
    f = decode_frame(ETHERNET, raw)
    assert f.segment is None and f.reason == "IPv4 fragment at offset 1480, not reassembled"
    assert encode_frame(f) == raw


# -- IPv6 --------------------------------------------------------------------------------------


def test_ipv6_extension_headers_are_walked_to_tcp() -> None:
    hop = ext_header(43, bytes.fromhex("010400000000"))  # PadN
    routing = ext_header(44, bytes.fromhex("0400") + bytes(4))  # type 4, segments left 0
    frag = fragment_header(51, 0, False)  # atomic fragment (RFC 6946)
    ah = bytes((60, 4)) + bytes(2) + bytes.fromhex("00000100 00000001") + bytes(12)
    dest = ext_header(6, bytes(6))
    raw = ethernet(ipv6(A6, B6, SEG6, nh=0, ext=hop + routing + frag + ah + dest), 0x86DD)
    f = decode_frame(ETHERNET, raw)
    assert isinstance(f.ip, IPv6)
    assert [e.header_type for e in f.ip.extensions] == [0, 43, 44, 51, 60]
    assert f.ip.protocol == 6 and f.ip.header_length == 40 + 8 + 8 + 8 + 24 + 8
    assert not f.ip.is_fragment
    assert f.segment is not None and f.segment.payload == b"data" and f.checksum_ok
    assert encode_frame(f) == raw


@pytest.mark.parametrize(
    ("nh", "ext", "reason"),
    [
        (50, b"", "IP protocol 50 (ESP), not TCP"),
        (59, b"", "IP protocol 59 (no next header), not TCP"),
        (44, fragment_header(6, 10, True), "IPv6 fragment at offset 80, not reassembled"),
        (17, b"", "IP protocol 17 (UDP), not TCP"),
    ],
)
def test_ipv6_chain_ends_elsewhere(nh: int, ext: bytes, reason: str) -> None:
    raw = ethernet(ipv6(A6, B6, bytes(24), nh=nh, ext=ext), 0x86DD)
    f = decode_frame(ETHERNET, raw)
    assert f.segment is None and f.reason == reason
    assert encode_frame(f) == raw


def test_ipv6_extension_header_cut_by_the_capture() -> None:
    raw = ethernet(ipv6(A6, B6, SEG6, nh=0, ext=ext_header(6, bytes(14))), 0x86DD)[: 14 + 40 + 9]
    f = decode_frame(ETHERNET, raw)
    assert f.segment is None and f.reason is not None and "cut short" in f.reason


def test_ipv6_extension_header_past_the_packet_is_an_error() -> None:
    raw = ethernet(ipv6(A6, B6, b"", nh=0, ext=bytes((6, 3)) + bytes(6)), 0x86DD)
    with pytest.raises(
        DecodeError, match="IPv6 extension header 0 runs past the packet at byte 54"
    ):
        decode_frame(ETHERNET, raw)


# -- what is not TCP, and what is malformed ------------------------------------------------------


@pytest.mark.parametrize(
    ("linktype", "raw", "reason"),
    [
        (ETHERNET, ethernet(bytes(28), 0x0806), "ethertype 0x0806 (ARP), not IP"),
        (ETHERNET, ethernet(bytes(28), 0x1234), "ethertype 0x1234, not IP"),
        (ETHERNET, ethernet(bytes(40), 40), "802.3 frame (length field 40), not IP"),
        (ETHERNET, ethernet(ipv4(A4, B4, bytes(8), proto=1)), "IP protocol 1 (ICMP), not TCP"),
        (NULL, null(bytes(20), 17), "loopback address family 17, not IP"),
        (105, bytes(30), "link type 105 is not supported"),
    ],
)
def test_frames_without_tcp_say_why(linktype: int, raw: bytes, reason: str) -> None:
    f = decode_frame(linktype, raw)
    assert f.segment is None and f.reason == reason
    assert encode_frame(f) == raw


@pytest.mark.parametrize(
    ("linktype", "raw", "message", "offset"),
    [
        (
            ETHERNET,
            bytes(10),
            "truncated Ethernet header: frame has 10 bytes, need 14 at byte 10",
            10,
        ),
        (
            ETHERNET,
            ethernet(b"\x00\x05", 0x8100),
            "truncated VLAN tag: frame has 16 bytes, need 18 at byte 16",
            16,
        ),
        (ETHERNET, ethernet(ipv4(A4, B4, SEG4, ihl=3)), "IPv4 IHL 3 < 5 at byte 14", 14),
        (ETHERNET, ethernet(ipv6(A6, B6, SEG6)), "IPv4 version 6 != 4 at byte 14", 14),
        (
            ETHERNET,
            ethernet(ipv4(A4, B4, SEG4))[:30],
            "truncated IPv4 header: 16 bytes, need 20 at byte 14",
            14,
        ),
        (
            ETHERNET,
            ethernet(ipv4(A4, B4, SEG4, total=19)),
            "IPv4 total length 19 < header length 20 at byte 16",
            16,
        ),
        (ETHERNET, ethernet(ipv4(A4, B4, SEG4, ihl=15)), "IPv4 IHL 15 (60 bytes) runs past", 14),
        (SLL, sll(ipv4(A4, B4, SEG4, ihl=2)), "IPv4 IHL 2 < 5 at byte 16", 16),
        (ETHERNET, ethernet(ipv4(A4, B4, tcp(offset=3))), "TCP data offset 3 < 5 at byte 46", 46),
        (
            ETHERNET,
            ethernet(ipv4(A4, B4, bytes(12))),
            "TCP header needs 20 bytes, the IP payload has 12 at byte 34",
            34,
        ),
        (
            ETHERNET,
            ethernet(ipv4(A4, B4, tcp(options=b"\x03\x00\x00\x00"))),
            "TCP option kind 3 length 0 < 2 at byte 55",
            55,
        ),
        (RAW, b"", "empty raw IP packet at byte 0", 0),
        (RAW, b"\x75" + bytes(30), "raw IP version 7 is neither 4 nor 6 at byte 0", 0),
        (IPV6, ipv6(A6, B6, SEG6)[:30], "truncated IPv6 header: 30 bytes, need 40 at byte 0", 0),
        (LOOP, b"\x00\x00", "truncated loopback header: frame has 2 bytes, need 4 at byte 2", 2),
        (
            SLL2,
            bytes(12),
            "truncated Linux cooked v2 header: frame has 12 bytes, need 20 at byte 12",
            12,
        ),
    ],
)
def test_malformed_frames_name_the_field_and_byte(
    linktype: int, raw: bytes, message: str, offset: int
) -> None:
    with pytest.raises(DecodeError) as info:
        decode_frame(linktype, raw)
    assert str(info.value).startswith(message)
    assert info.value.offset == offset


@pytest.mark.parametrize(
    ("linktype", "raw", "what"), odd_frames(), ids=[w for *_, w in odd_frames()]
)
def test_decoded_frames_encode_to_the_same_bytes(linktype: int, raw: bytes, what: str) -> None:
    try:
        f = decode_frame(linktype, raw)
    except DecodeError:
        return
    assert encode_frame(f) == raw


def test_encoding_rejects_values_that_do_not_fit() -> None:
    seg = Segment(1, 2)
    with pytest.raises(EncodeError, match="IPv4 options are 3 bytes"):
        encode_frame(Frame(IPV4, None, IPv4(A4, B4, options=b"\x01\x01\x01"), seg))
    with pytest.raises(EncodeError, match="not a MAC address"):
        encode_frame(Frame(ETHERNET, Ethernet("zz", "02:00:00:00:00:01"), IPv4(A4, B4), seg))
    with pytest.raises(EncodeError, match="not an IPv4 address"):
        encode_frame(Frame(IPV4, None, IPv4(A6, B4), seg))
    with pytest.raises(EncodeError, match="ttl 300"):
        encode_frame(Frame(IPV4, None, IPv4(A4, B4, ttl=300), seg))


# -- round trips and dpkt -------------------------------------------------------------------------

segments = st.builds(
    Segment,
    src_port=st.integers(0, 0xFFFF),
    dst_port=st.integers(0, 0xFFFF),
    seq=st.integers(0, 0xFFFFFFFF),
    ack=st.integers(0, 0xFFFFFFFF),
    flags=st.integers(0, 0xFF).map(Flags),
    window=st.integers(0, 0xFFFF),
    urgent=st.integers(0, 0xFFFF),
    options=st.sampled_from(
        [(), (MSS(536),), (Nop(), Nop(), Timestamps(1, 2)), (WindowScale(14), SackPermitted())]
    ),
    payload=st.binary(max_size=64),
)


@settings(max_examples=150, deadline=None)
@given(
    segments,
    st.sampled_from(list(LinkType)),
    st.booleans(),
)
def test_built_frames_round_trip(seg: Segment, linktype: LinkType, v6: bool) -> None:
    if linktype == LinkType.IPV4:
        v6 = False
    if linktype == LinkType.IPV6:
        v6 = True
    src, dst = (A6, B6) if v6 else (A4, B4)
    frame = build_frame(seg, src, dst, linktype)
    raw = encode_frame(frame)
    back = decode_frame(linktype, raw)
    assert back == frame
    assert back.checksum_ok is True
    assert encode_frame(back) == raw
    if isinstance(back.ip, IPv4):
        start = len(raw) - back.ip.total_length  # type: ignore[operator]
        assert checksum(raw[start : start + 20]) == 0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32))
def test_decoding_agrees_with_dpkt(seed: int) -> None:
    raw = random_tcp_frame(random.Random(seed))
    f = decode_frame(ETHERNET, raw)
    eth = dpkt.ethernet.Ethernet(raw)
    ip, t = eth.data, eth.data.data
    assert f.ip is not None and f.segment is not None
    assert ipaddress.ip_address(f.ip.src).packed == ip.src
    assert ipaddress.ip_address(f.ip.dst).packed == ip.dst
    seg = f.segment
    assert (seg.src_port, seg.dst_port, seg.seq, seg.ack) == (t.sport, t.dport, t.seq, t.ack)
    assert (int(seg.flags), seg.window, seg.urgent, seg.checksum) == (t.flags, t.win, t.urp, t.sum)
    assert seg.payload == t.data
    assert f.checksum_ok is True
    assert encode_frame(f) == raw


def test_build_frame_matches_dpkt() -> None:
    seg = Segment(40000, 443, 5, 6, Flags.ACK | Flags.PSH, 1000, payload=b"hi there")
    ours = encode_frame(build_frame(seg, A4, B4, ttl=63))
    tcp_d = dpkt.tcp.TCP(
        sport=40000, dport=443, seq=5, ack=6, flags=0x18, win=1000, data=b"hi there"
    )
    ip_d = dpkt.ip.IP(
        src=ipaddress.ip_address(A4).packed,
        dst=ipaddress.ip_address(B4).packed,
        p=6,
        ttl=63,
        id=0,
        df=1,
        data=tcp_d,
    )
    eth_d = dpkt.ethernet.Ethernet(
        dst=bytes.fromhex("020000000002"), src=bytes.fromhex("020000000001"), type=0x0800, data=ip_d
    )
    assert ours == bytes(eth_d)


# -- lengths: BIG TCP, jumbograms, lying length fields ------------------------------------------


def test_big_tcp_frame_decodes_with_a_32_bit_pseudo_header_length() -> None:
    """An IPv4 total length of 0 and a 65,620-byte segment: decoded, its checksum verified."""
    seg = big_segment(A4, B4)
    raw = ethernet(ipv4(A4, B4, seg, total=0))
    f = decode_frame(ETHERNET, raw, len(raw))
    assert f.segment is not None and f.segment.payload == seg[20:] and f.checksum_ok is True
    bad = bytearray(raw)
    bad[-1] ^= 0x01
    assert decode_frame(ETHERNET, bytes(bad), len(raw)).checksum_ok is False
    assert decode_frame(ETHERNET, raw).checksum_ok is True  # no original length given


def test_big_tcp_frame_cut_by_the_snap_length_runs_to_the_wire_end() -> None:
    """A cut BIG TCP frame keeps its segment; the checksum cannot be checked."""
    raw = ethernet(ipv4(A4, B4, big_segment(A4, B4), total=0))
    f = decode_frame(ETHERNET, raw[:1514], len(raw))
    assert f.segment is not None and len(f.segment.payload) == 1514 - 14 - 20 - 20
    assert f.checksum_ok is None


def test_jumbogram_takes_its_length_from_the_jumbo_payload_option() -> None:
    """RFC 2675: payload length 0, Jumbo Payload option; Ethernet padding after it is a trailer."""
    seg = big_segment(A6, B6, 70_000)
    raw = ethernet(jumbogram(A6, B6, seg), 0x86DD) + bytes(6)
    f = decode_frame(ETHERNET, raw, len(raw))
    assert f.segment is not None and f.segment.payload == seg[20:]
    assert f.checksum_ok is True and f.trailer == bytes(6)
    assert encode_frame(f) == raw


def test_ipv6_payload_length_0_without_jumbo_option_runs_to_the_frame_end() -> None:
    """A TSO IPv6 packet (payload length 0, no hop-by-hop header) takes the whole frame."""
    seg = big_segment(A6, B6, 70_000)
    f = decode_frame(ETHERNET, ethernet(ipv6(A6, B6, seg, plen=0), 0x86DD))
    assert f.segment is not None and len(f.segment.payload) == 70_000 and f.checksum_ok is True


HELLO4 = tcp(flags=0x18, ack=1, payload=b"hello world", src=A4, dst=B4)  # 31 bytes
TEN6 = tcp(flags=0x10, payload=bytes(10), src=A6, dst=B6)  # 30 bytes


@pytest.mark.parametrize(
    ("raw", "wire", "message", "offset"),
    [
        # caplen = wirelen = 65: 51 bytes from the IP header on (tshark: "IPv4 total length
        # exceeds packet length (51 bytes)")
        (
            ethernet(ipv4(A4, B4, HELLO4, total=200)),
            None,
            "IPv4 total length 200 exceeds the 51",
            16,
        ),
        # cut to 50 bytes of a 100-byte frame, but the IP header claims 200 from byte 14
        (
            ethernet(ipv4(A4, B4, HELLO4, total=200))[:50],
            100,
            "IPv4 total length 200 exceeds the 86",
            16,
        ),
        (
            ethernet(ipv6(A6, B6, TEN6, plen=300), 0x86DD),
            None,
            "IPv6 payload length 300 exceeds the 30 bytes",
            18,
        ),
        (
            ethernet(jumbogram(A6, B6, big_segment(A6, B6), 100_000), 0x86DD),
            None,
            "IPv6 jumbo payload length 100000 exceeds the 65628 bytes",
            14 + 44,
        ),
        (
            ethernet(jumbogram(A6, B6, TEN6, 9000), 0x86DD),
            None,
            "IPv6 jumbo payload length 9000 <= 65535",
            14 + 44,
        ),
    ],
    ids=["v4 uncut", "v4 cut", "v6 uncut", "jumbo uncut", "jumbo too small"],
)
def test_ip_length_beyond_the_frame_on_the_wire_is_malformed(
    raw: bytes, wire: int | None, message: str, offset: int
) -> None:
    """An IP length field claiming more than the frame had on the wire: DecodeError, not a cut."""
    with pytest.raises(DecodeError) as info:
        decode_frame(ETHERNET, raw, len(raw) if wire is None else wire)
    assert str(info.value).startswith(message)
    assert info.value.offset == offset


def test_ip_length_beyond_the_capture_is_a_cut_when_the_wire_had_the_bytes() -> None:
    """The same short frame is a snap-length cut when the wire length covers the IP length."""
    whole = ethernet(ipv4(A4, B4, HELLO4))
    for wire in (len(whole), None):
        f = decode_frame(ETHERNET, whole[:59], wire)  # 14 + 20 + 20 + 5
        assert f.segment is not None and f.segment.payload == b"hello" and f.checksum_ok is None
