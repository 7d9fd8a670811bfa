"""The eight TCP control bits of RFC 9293 section 3.1, and tcpdump's way of printing them.

Byte 13 of the header holds, from the most significant bit: CWR ECE URG ACK PSH RST SYN FIN.
The four bits before them (the low nibble of byte 12) are reserved; tcpcore keeps them in
``Segment.reserved`` so that a decode followed by an encode loses nothing (RFC 3540 once used the
lowest of them as the "NS" bit, and scapy still calls it that; RFC 9768 now calls it AE).
"""

from __future__ import annotations

import enum


class Flags(enum.IntFlag):
    """TCP control bits (RFC 9293 3.1; ECE and CWR from RFC 3168)."""

    FIN = 0x01
    SYN = 0x02
    RST = 0x04
    PSH = 0x08
    ACK = 0x10
    URG = 0x20
    ECE = 0x40
    CWR = 0x80

    def tcpdump(self, reserved: int = 0) -> str:
        """tcpdump's letters, in tcpdump's order (ascending bit value, ACK shown as ".").

        ``Flags.SYN | Flags.ACK`` gives ``"S."``; no flag at all gives ``"none"``. When the
        lowest reserved bit (AE, formerly NS) is set, tcpdump appends ``"e"``.
        """
        return _render(int(self), reserved)

    def names(self) -> str:
        """The RFC's names joined with '+' in the order people say them: ``"SYN+ACK"``,
        ``"FIN+ACK"``, ``"FIN+PSH+ACK"``, ``"CWR+ECE+SYN"`` (CWR ECE URG, then SYN RST FIN, then
        PSH and ACK last); no flag gives ``"none"``."""
        if not self:
            return "none"
        order = (
            Flags.CWR,
            Flags.ECE,
            Flags.URG,
            Flags.SYN,
            Flags.RST,
            Flags.FIN,
            Flags.PSH,
            Flags.ACK,
        )
        return "+".join(f.name or "" for f in order if self & f)

    @classmethod
    def parse(cls, text: str) -> Flags:
        """Inverse of :meth:`tcpdump`: ``"S."`` -> SYN|ACK, ``"none"`` -> no flag.

        Raises ValueError naming the first character that is not a tcpdump flag letter.
        """
        if text == "none":
            return cls(0)
        value = 0
        for i, ch in enumerate(text):
            bit = _LETTER_TO_BIT.get(ch)
            if bit is None:
                raise ValueError(f"unknown tcpdump flag letter {ch!r} at position {i} of {text!r}")
            value |= bit
        return cls(value)


# tcpdump's print-tcp.c table, in its order: lowest bit first, ACK printed as ".".
_LETTERS = (
    (0x01, "F"),
    (0x02, "S"),
    (0x04, "R"),
    (0x08, "P"),
    (0x10, "."),
    (0x20, "U"),
    (0x40, "E"),
    (0x80, "W"),
)
_LETTER_TO_BIT = {letter: bit for bit, letter in _LETTERS}
_RENDER_CACHE: dict[int, str] = {}


def _render(bits: int, reserved: int = 0) -> str:
    # Only the eight flag bits are rendered; a stray higher bit must not reach the cache key,
    # where it would collide with the AE bit (0x100) and poison the entry for another value.
    bits &= 0xFF
    key = bits | ((reserved & 1) << 8)
    text = _RENDER_CACHE.get(key)
    if text is None:
        text = "".join(letter for bit, letter in _LETTERS if bits & bit)
        if reserved & 1:
            text += "e"
        text = text or "none"
        _RENDER_CACHE[key] = text
    return text


def tcpdump_flags(bits: int, reserved: int = 0) -> str:
    """Render a raw flag byte the way tcpdump does (see :meth:`Flags.tcpdump`)."""
    return _render(bits & 0xFF, reserved)


# Every one of the 256 flag bytes as a Flags member, built once: constructing an IntFlag costs
# microseconds, and the codec and the connection make one per segment.
FLAGS_BY_VALUE: tuple[Flags, ...] = tuple(Flags(i) for i in range(256))


def flags_of(value: int) -> Flags:
    """The Flags for a flag byte (0..255), without the cost of ``Flags(value)``."""
    return FLAGS_BY_VALUE[value & 0xFF]
