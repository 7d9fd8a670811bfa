"""The Internet checksum (RFC 1071) and the TCP pseudo-headers (RFC 9293 3.1, RFC 8200 8.1)."""

from __future__ import annotations

import ipaddress
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import IP as ScapyIP
from scapy.layers.inet import TCP as ScapyTCP
from scapy.layers.inet6 import IPv6 as ScapyIPv6
from wire_helpers import (
    ipv4_pseudo_header,
    ipv6_pseudo_header,
    reference_checksum,
    reference_ones_sum,
    reference_tcp_checksum,
)

from tcpcore import (
    EncodeError,
    Flags,
    Segment,
    internet_checksum,
    pseudo_header,
    tcp_checksum,
    verify_tcp_checksum,
)
from tcpcore.wire.checksum import ones_sum

V4 = ("192.0.2.1", "198.51.100.2")
V6 = ("2001:db8::1", "2001:db8:0:0:0:0:0:2")


# -- RFC 1071 -------------------------------------------------------------------------------------


def test_rfc_1071_numerical_example() -> None:
    # RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 2ddf0, folded ddf2.
    data = bytes.fromhex("0001 f203 f4f5 f6f7")
    assert ones_sum(data) == 0xDDF2
    assert internet_checksum(data) == 0x220D


def test_rfc_1071_byte_order_independence_example() -> None:
    # RFC 1071 section 2(B): with every pair of bytes swapped, the sum comes out swapped (f2dd).
    assert ones_sum(bytes.fromhex("0100 03f2 f5f4 f7f6")) == 0xF2DD


def test_data_with_its_checksum_appended_sums_to_all_ones() -> None:
    data = bytes.fromhex("0001 f203 f4f5 f6f7")
    assert ones_sum(data + bytes.fromhex("220d")) == 0xFFFF


@pytest.mark.parametrize(
    ("hex_", "total"),
    [
        ("", 0x0000),
        ("01", 0x0100),  # an odd byte is the high half of a word padded with zero
        ("ab", 0xAB00),
        ("0001 f2", 0xF201),
        ("0001 f203 f4f5 f6f7 01", 0xDEF2),
        ("ffff ffff", 0xFFFF),  # 1fffe: the carry comes back round
        ("ffff 0001", 0x0001),
        ("8000 8000", 0x0001),
        ("ff", 0xFF00),
        ("ffff ff", 0xFF00),  # ffff + ff00 = 1feff -> ff00
        # Sums whose first fold carries again, read either way round: 2ffff -> 10001 -> 0002.
        ("ffff ffff 0001", 0x0001),
        ("ffff ffff 0100", 0x0100),
        ("ffff ffff ffff 0002", 0x0002),
        ("ffff ffff ffff 0200", 0x0200),
    ],
)
def test_ones_sum_known_answers_including_odd_lengths(hex_: str, total: int) -> None:
    assert ones_sum(bytes.fromhex(hex_)) == total
    assert internet_checksum(bytes.fromhex(hex_)) == 0xFFFF ^ total


@given(st.binary(max_size=300))
def test_sum_and_checksum_match_a_plain_word_loop(data: bytes) -> None:
    assert ones_sum(data) == reference_ones_sum(data)
    assert internet_checksum(data) == reference_checksum(data)
    assert internet_checksum(bytearray(data)) == reference_checksum(data)
    assert internet_checksum(memoryview(data)) == reference_checksum(data)


@given(st.binary(max_size=300).map(lambda b: b + b"\x00" * (len(b) % 2)))
def test_even_data_plus_its_checksum_verifies(data: bytes) -> None:
    checked = data + struct.pack("!H", internet_checksum(data))
    assert ones_sum(checked) == 0xFFFF


# -- pseudo-headers -------------------------------------------------------------------------------


def test_ipv4_pseudo_header_layout() -> None:
    # RFC 9293 Figure 2: source, destination, zero, PTCL (6), TCP length (16 bits).
    expected = bytes.fromhex("c0000201 c6336402 00 06 0014")
    assert pseudo_header(*V4, 20) == expected
    assert pseudo_header(bytes.fromhex("c0000201"), bytes.fromhex("c6336402"), 20) == expected
    assert pseudo_header(ipaddress.ip_address(V4[0]), ipaddress.ip_address(V4[1]), 20) == expected


def test_ipv6_pseudo_header_layout() -> None:
    # RFC 8200 8.1: source, destination, upper-layer length (32 bits), 3 zeros, next header (6).
    expected = bytes.fromhex(
        "20010db8 00000000 00000000 00000001"  # source
        "20010db8 00000000 00000000 00000002"  # destination
        "00010000 000000 06"
    )
    assert pseudo_header(*V6, 65536) == expected
    assert pseudo_header(*V6, 65536) == ipv6_pseudo_header(*V6, 65536)


def test_pseudo_header_refuses_mixed_versions_and_bad_addresses() -> None:
    with pytest.raises(ValueError, match="not the same IP version"):
        pseudo_header(V4[0], V6[1], 20)
    with pytest.raises(ValueError, match="not an IPv4 or IPv6 address"):
        pseudo_header("10.0.0.256", V4[1], 20)
    with pytest.raises(ValueError, match="not an IPv4 or IPv6 address"):
        pseudo_header(b"\x0a\x00\x00", V4[1], 20)


def test_ipv4_pseudo_header_refuses_a_length_over_16_bits() -> None:
    assert pseudo_header(*V4, 0xFFFF).endswith(b"\xff\xff")
    with pytest.raises(EncodeError, match="TCP length 65536"):
        pseudo_header(*V4, 0x10000)
    with pytest.raises(EncodeError, match="TCP length -1"):
        pseudo_header(*V6, -1)


# -- segments built both ways ---------------------------------------------------------------------


def hand_built(payload: bytes, pseudo_for: tuple[str, str], version: int) -> bytes:
    """A PSH+ACK segment packed with struct, its checksum from the reference loop."""
    header = struct.pack("!HHIIBBHHH", 443, 51000, 1000, 2000, 0x50, 0x18, 512, 0, 0)
    raw = header + payload
    pseudo = (ipv4_pseudo_header if version == 4 else ipv6_pseudo_header)(*pseudo_for, len(raw))
    csum = reference_tcp_checksum(raw, pseudo)
    return raw[:16] + struct.pack("!H", csum) + raw[18:]


@pytest.mark.parametrize(("addresses", "version"), [(V4, 4), (V6, 6)])
@pytest.mark.parametrize("payload", [b"", b"x", b"hello", b"even", bytes(range(255))])
def test_hand_built_segment_verifies(
    addresses: tuple[str, str], version: int, payload: bytes
) -> None:
    raw = hand_built(payload, addresses, version)
    assert verify_tcp_checksum(raw, *addresses)
    assert tcp_checksum(raw, *addresses) == struct.unpack_from("!H", raw, 16)[0]
    seg = Segment.decode(raw)
    assert seg.checksum_ok(*addresses)
    assert seg.encode(*addresses) == raw
    built = Segment(443, 51000, 1000, 2000, Flags.PSH | Flags.ACK, 512, payload=payload)
    assert built.encode(*addresses) == raw


@pytest.mark.parametrize(("addresses", "version"), [(V4, 4), (V6, 6)])
@pytest.mark.parametrize("payload", [b"", b"x", b"hello", b"even"])
def test_scapy_built_segment_verifies(
    addresses: tuple[str, str], version: int, payload: bytes
) -> None:
    ip = ScapyIP if version == 4 else ScapyIPv6
    packet = ip(src=addresses[0], dst=addresses[1]) / ScapyTCP(sport=443, dport=51000) / payload
    raw = bytes(packet[ScapyTCP])
    assert verify_tcp_checksum(raw, *addresses)
    assert Segment.decode(raw).checksum_ok(*addresses)
    pseudo = (ipv4_pseudo_header if version == 4 else ipv6_pseudo_header)(*addresses, len(raw))
    assert struct.unpack_from("!H", raw, 16)[0] == reference_tcp_checksum(raw, pseudo)


@given(
    st.binary(max_size=80),
    st.sampled_from([(V4, 4), (V6, 6)]),
    st.integers(0, 8 * 20 - 1),  # a bit of the header, checksum field included
)
def test_any_single_bit_flip_fails_verification(
    payload: bytes, where: tuple[tuple[str, str], int], bit: int
) -> None:
    addresses, version = where
    raw = bytearray(hand_built(payload, addresses, version))
    assert verify_tcp_checksum(raw, *addresses)
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    assert not verify_tcp_checksum(raw, *addresses)
    if bit // 8 != 12:  # a flip in the data offset byte leaves no segment to decode
        assert not Segment.decode(bytes(raw)).checksum_ok(*addresses)


def test_checksum_covers_the_addresses() -> None:
    raw = hand_built(b"data", V4, 4)
    assert not verify_tcp_checksum(raw, V4[0], "198.51.100.3")
    assert not verify_tcp_checksum(raw, "192.0.2.2", V4[1])
