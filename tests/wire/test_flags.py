"""Flags: the eight control bits of RFC 9293 3.1, tcpdump's rendering, and the reserved nibble."""

from __future__ import annotations

import dpkt
import pytest
from scapy.layers.inet import TCP as ScapyTCP

from tcpcore import EncodeError, Flags, Segment
from tcpcore.wire.flags import tcpdump_flags

# RFC 9293 Figure 1: byte 13 holds, from the most significant bit, CWR ECE URG ACK PSH RST SYN FIN.
RFC_BITS = {
    "CWR": 0x80,
    "ECE": 0x40,
    "URG": 0x20,
    "ACK": 0x10,
    "PSH": 0x08,
    "RST": 0x04,
    "SYN": 0x02,
    "FIN": 0x01,
}

# tcpdump's print-tcp.c table, lowest bit first: F S R P . U E W (then "e" for the AE bit).
TCPDUMP_LETTERS = "FSRP.UEW"

# A bare 20-byte header (ports 1 -> 2, seq 1, ack 2, window 0) with byte 12 and byte 13 left open.
HEADER_HEAD = bytes.fromhex("0001 0002 00000001 00000002")
HEADER_TAIL = bytes.fromhex("0000 0000 0000")


def header(byte12: int, byte13: int) -> bytes:
    return HEADER_HEAD + bytes((byte12, byte13)) + HEADER_TAIL


def tcpdump_model(bits: int) -> str:
    return "".join(letter for i, letter in enumerate(TCPDUMP_LETTERS) if bits >> i & 1) or "none"


@pytest.mark.parametrize(("name", "value"), RFC_BITS.items())
def test_flag_bit_value_matches_rfc_9293(name: str, value: int) -> None:
    assert int(Flags[name]) == value


def test_flags_has_exactly_the_eight_rfc_bits() -> None:
    assert {f.name for f in Flags} == set(RFC_BITS)


@pytest.mark.parametrize(("name", "value"), RFC_BITS.items())
def test_each_flag_bit_decodes_from_header_byte_13(name: str, value: int) -> None:
    seg = Segment.decode(header(0x50, value))
    assert seg.flags == Flags[name]
    assert seg.reserved == 0


@pytest.mark.parametrize(
    ("flags", "text"),
    [
        (Flags.SYN, "S"),
        (Flags.SYN | Flags.ACK, "S."),
        (Flags.ACK, "."),
        (Flags.PSH | Flags.ACK, "P."),
        (Flags.FIN | Flags.ACK, "F."),
        (Flags.FIN | Flags.PSH | Flags.ACK, "FP."),
        (Flags.RST, "R"),
        (Flags.RST | Flags.ACK, "R."),
        (Flags.SYN | Flags.ACK | Flags.ECE, "S.E"),
        (Flags(0), "none"),
        (Flags.URG | Flags.ACK, ".U"),
        (Flags.SYN | Flags.ECE | Flags.CWR, "SEW"),
        (Flags(0xFF), "FSRP.UEW"),
    ],
)
def test_tcpdump_rendering(flags: Flags, text: str) -> None:
    assert flags.tcpdump() == text
    assert tcpdump_flags(int(flags)) == text


@pytest.mark.parametrize("bits", range(256))
def test_tcpdump_rendering_matches_tcpdump_table_and_parse_inverts_it(bits: int) -> None:
    text = Flags(bits).tcpdump()
    assert text == tcpdump_model(bits)
    assert Flags.parse(text) == bits


def test_tcpdump_appends_e_for_the_ae_bit_only() -> None:
    # tcpdump's table maps TH_AE (the lowest reserved bit, once NS) to "e", after "W".
    assert Flags.SYN.tcpdump(reserved=0b0001) == "Se"
    assert (Flags.SYN | Flags.ACK | Flags.ECE | Flags.CWR).tcpdump(reserved=1) == "S.EWe"
    assert Flags(0).tcpdump(reserved=1) == "e"
    assert Flags.SYN.tcpdump(reserved=0b1110) == "S"
    assert Flags(0).tcpdump(reserved=0b1110) == "none"
    assert tcpdump_flags(0x12, reserved=1) == "S.e"


def test_tcpdump_ignores_bits_above_the_flag_byte() -> None:
    # Asked in both orders so that a render cache keyed without masking would be caught whichever
    # value it saw first: 0x100 is not a flag, and must not share an entry with the AE bit.
    assert Flags(0x100).tcpdump() == "none"
    assert Flags(0).tcpdump(reserved=1) == "e"
    assert Flags(0x100).tcpdump() == "none"
    assert Flags(0x102).tcpdump(reserved=1) == "Se"
    assert tcpdump_flags(0x1FF) == "FSRP.UEW"


@pytest.mark.parametrize(
    ("text", "bad", "position"), [("SX", "X", 1), ("e", "e", 0), ("FS?", "?", 2)]
)
def test_parse_names_the_bad_letter(text: str, bad: str, position: int) -> None:
    with pytest.raises(ValueError, match=rf"{bad!r} at position {position}"):
        Flags.parse(text)


@pytest.mark.parametrize(
    ("flags", "names"),
    [
        (Flags.SYN, "SYN"),
        (Flags.SYN | Flags.ACK, "SYN+ACK"),
        (Flags.FIN | Flags.ACK, "FIN+ACK"),
        (Flags.RST | Flags.ACK, "RST+ACK"),
        (Flags.PSH | Flags.ACK, "PSH+ACK"),
        (Flags.FIN | Flags.PSH | Flags.ACK, "FIN+PSH+ACK"),
        (Flags.SYN | Flags.ECE | Flags.CWR, "CWR+ECE+SYN"),
        (Flags(0), "none"),
        (Flags(0xFF), "CWR+ECE+URG+SYN+RST+FIN+PSH+ACK"),
    ],
)
def test_names(flags: Flags, names: str) -> None:
    assert flags.names() == names


@pytest.mark.parametrize("bits", range(1, 256))
def test_names_lists_each_set_bit_once(bits: int) -> None:
    parts = Flags(bits).names().split("+")
    assert len(parts) == len(set(parts))
    assert {RFC_BITS[p] for p in parts} == {b for b in RFC_BITS.values() if bits & b}


# -- the reserved nibble --------------------------------------------------------------------------


@pytest.mark.parametrize("reserved", range(16))
def test_reserved_bits_survive_decode_and_encode(reserved: int) -> None:
    raw = header(0x50 | reserved, 0x12)
    seg = Segment.decode(raw)
    assert seg.reserved == reserved
    assert seg.flags == Flags.SYN | Flags.ACK
    assert seg.header_length == 20
    assert seg.encode() == raw


def test_encoded_ae_bit_is_the_low_bit_of_byte_12() -> None:
    raw = Segment(1, 2, 1, 2, Flags.SYN | Flags.ACK, reserved=1).encode()
    assert raw == header(0x51, 0x12)


def test_scapy_sees_our_reserved_low_bit_as_ns() -> None:
    # scapy 2.5+ (2.8 here) splits the 16 bits after the data offset as 3 reserved bits and
    # 9 flag bits "FSRPAUECN": the ninth, N (0x100), is the reserved nibble's lowest bit.
    with_ns = ScapyTCP(Segment(1, 2, 1, 2, Flags.SYN | Flags.ACK, reserved=1).encode())
    assert with_ns.flags.N
    assert "N" in str(with_ns.flags)
    assert int(with_ns.flags) == 0x112
    assert with_ns.reserved == 0

    others = ScapyTCP(Segment(1, 2, 1, 2, Flags.SYN, reserved=0b1110).encode())
    assert not others.flags.N
    assert int(others.flags) == 0x002
    assert others.reserved == 0b111


def test_scapy_ns_bit_decodes_as_our_reserved_low_bit() -> None:
    raw = bytes(ScapyTCP(sport=1, dport=2, seq=1, ack=2, flags="SAN", window=0, chksum=0))
    seg = Segment.decode(raw)
    assert seg.reserved == 1
    assert seg.flags == Flags.SYN | Flags.ACK
    assert seg.encode() == raw


def test_dpkt_sees_our_reserved_low_bit_as_ns() -> None:
    tcp = dpkt.tcp.TCP(Segment(1, 2, flags=Flags.FIN, reserved=0b1011).encode())
    assert tcp.flags == dpkt.tcp.TH_NS | dpkt.tcp.TH_FIN
    assert tcp.off == 5
    # dpkt's 3-bit "_rsv" sits between the data offset (4 bits) and its 9 flag bits.
    assert (tcp._off_flags >> 9) & 0b111 == 0b101


@pytest.mark.parametrize("reserved", [16, 0x30, -1])
def test_reserved_out_of_range_is_an_encode_error(reserved: int) -> None:
    with pytest.raises(EncodeError, match="reserved"):
        Segment(1, 2, reserved=reserved).encode()
