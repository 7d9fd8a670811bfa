"""TCP options: byte layouts from RFC 9293 3.2, RFC 7323 and RFC 2018, written out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wire_helpers import parse_options_region, raw_options_region

from tcpcore import (
    MSS,
    DecodeError,
    EncodeError,
    Eol,
    Nop,
    Sack,
    SackPermitted,
    Timestamps,
    UnknownOption,
    WindowScale,
)
from tcpcore.wire.options import Option, decode_options, encode_options
from tcpcore.wire.segment import options_json

# Each option with its bytes, written from the layouts:
#   EOL  kind 0                        (RFC 9293 3.2)
#   NOP  kind 1                        (RFC 9293 3.2)
#   MSS  kind 2, length 4, 16-bit MSS  (RFC 9293 3.2)
#   WS   kind 3, length 3, shift.cnt   (RFC 7323 2.2)
#   SACK-permitted kind 4, length 2    (RFC 2018 2)
#   SACK kind 5, length 2+8n, n pairs of 32-bit left/right edges (RFC 2018 3)
#   TS   kind 8, length 10, TSval, TSecr (RFC 7323 3.2)
KNOWN = [
    (Eol(), "00"),
    (Nop(), "01"),
    (MSS(1460), "02 04 05b4"),
    (MSS(0xFFFF), "02 04 ffff"),
    (WindowScale(7), "03 03 07"),
    (WindowScale(14), "03 03 0e"),
    (SackPermitted(), "04 02"),
    (Sack(((0x01020304, 0x05060708),)), "05 0a 01020304 05060708"),
    (
        Sack(((1, 2), (3, 4), (0xFFFFFFFF, 0))),
        "05 1a 00000001 00000002 00000003 00000004 ffffffff 00000000",
    ),
    (Timestamps(0x01020304, 0x0A0B0C0D), "08 0a 01020304 0a0b0c0d"),
    (UnknownOption(30, b"\xab\xcd"), "1e 04 abcd"),
    (UnknownOption(254, b""), "fe 02"),
]


@pytest.mark.parametrize(("option", "hex_"), KNOWN, ids=[h for _, h in KNOWN])
def test_option_encodes_to_its_rfc_layout(option: Option, hex_: str) -> None:
    assert option.encode() == bytes.fromhex(hex_)


@pytest.mark.parametrize(("option", "hex_"), KNOWN[1:], ids=[h for _, h in KNOWN[1:]])
def test_option_decodes_from_its_rfc_layout(option: Option, hex_: str) -> None:
    raw = bytes.fromhex(hex_)
    region = raw + b"\x00" * (-len(raw) % 4)
    options, padding = decode_options(region)
    assert options == (option,)
    assert padding == b""


def test_linux_syn_options() -> None:
    # Linux's SYN: mss 1460, sackOK, TS val 123456 ecr 0, nop, wscale 7 (20 bytes, no padding).
    region = bytes.fromhex("020405b4 0402 080a 0001e240 00000000 01 030307")
    expected = (MSS(1460), SackPermitted(), Timestamps(123456, 0), Nop(), WindowScale(7))
    assert decode_options(region) == (expected, b"")
    assert encode_options(expected) == region


def test_options_json_gives_name_value_pairs() -> None:
    options = (MSS(1460), SackPermitted(), Timestamps(5, 6), Nop(), WindowScale(7))
    assert options_json(options) == [
        ["mss", 1460],
        ["sackOK", None],
        ["TS", [5, 6]],
        ["nop", None],
        ["wscale", 7],
    ]


@pytest.mark.parametrize(
    ("hex_", "kept"),
    [
        ("02 03 05 00", UnknownOption(2, b"\x05")),  # MSS with length 3
        ("02 05 05b4 ff 000000", UnknownOption(2, b"\x05\xb4\xff")),  # MSS with length 5
        ("03 02 0000", UnknownOption(3, b"")),  # window scale without its shift
        ("04 03 aa 00", UnknownOption(4, b"\xaa")),  # SACK-permitted carrying a byte
        ("05 02 0000", UnknownOption(5, b"")),  # SACK with no block
        ("05 06 00000001 0000", UnknownOption(5, b"\x00\x00\x00\x01")),  # half a block
        ("08 06 01020304 0000", UnknownOption(8, b"\x01\x02\x03\x04")),  # TS without TSecr
    ],
)
def test_known_kind_with_wrong_length_is_kept_raw(hex_: str, kept: Option) -> None:
    region = bytes.fromhex(hex_)
    options, padding = decode_options(region)
    assert options == (kept,)
    assert encode_options(options, padding) == region


# -- EOL and what follows it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_", "options", "padding"),
    [
        # EOL plus zeros to the boundary right after the last option: the encoder's own padding.
        ("01 000000", (Nop(),), ""),
        ("020405b4 01 000000", (MSS(1460), Nop()), ""),
        ("030307 00", (WindowScale(7),), ""),
        # An EOL on a word boundary is written on purpose: kept, its three zeros implied.
        ("020405b4 00 000000", (MSS(1460), Eol()), ""),
        ("00 000000", (Eol(),), ""),
        # Longer zero runs and non-zero bytes after EOL are kept as padding.
        ("01 00 0000 00000000", (Nop(), Eol()), "0000 00000000"),
        ("01 00 ff00", (Nop(), Eol()), "ff00"),
        ("00 020405b4 000000", (Eol(),), "020405b4 000000"),
        ("020405b4 00 000001", (MSS(1460), Eol()), "000001"),
    ],
)
def test_eol_padding_normal_form(hex_: str, options: tuple[Option, ...], padding: str) -> None:
    region = bytes.fromhex(hex_)
    assert decode_options(region) == (options, bytes.fromhex(padding))
    assert encode_options(options, bytes.fromhex(padding)) == region


def test_options_ending_with_eol_round_trip() -> None:
    # A hand-built list that spells out the EOL decodes to the same list.
    for options in [(MSS(1460), Eol()), (Eol(),), (Nop(), Nop(), Nop(), Nop(), Eol())]:
        assert decode_options(encode_options(options)) == (options, b"")


@given(raw_options_region())
def test_options_region_round_trips_and_matches_a_plain_parser(region: bytes) -> None:
    options, padding = decode_options(region)
    assert encode_options(options, padding) == region
    found = [(o.kind, o.encode()[2:]) for o in options if not isinstance(o, Eol)]
    assert found == parse_options_region(region)


# -- structural errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hex_", "message", "where"),
    [
        ("02 00 0000", "option kind 2 length 0 < 2", 1),
        ("01 1e 01 00", "option kind 30 length 1 < 2", 2),
        ("08 0a 0000", "option kind 8 length 10 runs past the header (4 bytes left)", 1),
        ("01 01 05 12", "option kind 5 length 18 runs past the header (2 bytes left)", 3),
        ("01 01 1e 03", "option kind 30 length 3 runs past the header (2 bytes left)", 3),
        ("01 01 01 1e", "option kind 30 has no length byte", 3),
    ],
)
@pytest.mark.parametrize("base", [0, 20, 40])
def test_malformed_option_names_kind_and_byte(
    hex_: str, message: str, where: int, base: int
) -> None:
    with pytest.raises(DecodeError) as info:
        decode_options(bytes.fromhex(hex_), base=base)
    assert str(info.value) == f"{message} at byte {base + where}"
    assert info.value.offset == base + where
    assert isinstance(info.value, ValueError)


# -- encode errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "field"),
    [
        (MSS(0x10000), "mss"),
        (MSS(-1), "mss"),
        (WindowScale(256), "wscale"),
        (Timestamps(2**32, 0), "TS val"),
        (Timestamps(0, -1), "TS ecr"),
        (Sack(()), "sack"),
        (Sack(((1, 2),) * 5), "sack"),
        (Sack(((2**32, 0),)), "sack edge"),
        (UnknownOption(256), "option kind"),
        (UnknownOption(0), "kinds 0 and 1"),
        (UnknownOption(1), "kinds 0 and 1"),
        (UnknownOption(30, bytes(254)), "option kind 30"),
    ],
)
def test_option_out_of_range_is_an_encode_error(option: Option, field: str) -> None:
    with pytest.raises(EncodeError, match=field):
        option.encode()


def test_options_over_40_bytes_are_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="at most 40"):
        encode_options((Timestamps(1, 2),) * 4 + (Nop(),))
    assert len(encode_options((Timestamps(1, 2),) * 4)) == 40


def test_padding_must_fill_to_the_boundary() -> None:
    with pytest.raises(EncodeError, match="multiple of 4"):
        encode_options((Nop(), Eol()), b"\x00")


def test_options_after_eol_are_an_encode_error() -> None:
    # RFC 9293 3.1: what follows EOL is padding; a decoder would not read these as options.
    with pytest.raises(EncodeError, match="option 0 is Eol but 1 options follow"):
        encode_options((Eol(), MSS(1460)))


def test_padding_without_eol_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="padding without a final Eol"):
        encode_options((Nop(),), b"\x01\x01\x01")
    with pytest.raises(EncodeError, match="padding without a final Eol"):
        encode_options((), b"\x00\x00\x00\x00")


@given(st.lists(st.sampled_from([Nop(), MSS(1), WindowScale(2), SackPermitted()]), max_size=8))
def test_encoded_options_are_padded_to_a_word(options: list[Option]) -> None:
    raw = encode_options(tuple(options))
    body = b"".join(o.encode() for o in options)
    assert raw[: len(body)] == body
    assert len(raw) == len(body) + (-len(body) % 4)
    assert not any(raw[len(body) :])
