"""Reading pcap and pcapng files, damaged ones too, and writing pcap (tcpcore.capture.pcap).

The files are packed by hand (capture_factory) from the layouts in draft-ietf-opsawg-pcap and
draft-ietf-opsawg-pcapng; expected indexes, offsets and times are computed from those layouts.
"""

from __future__ import annotations

import io
import ipaddress
import json
import random
import struct
from pathlib import Path

import dpkt
import pytest
from capture_factory import (
    ETHERNET,
    RAW,
    SLL,
    big_segment,
    epb,
    ethernet,
    idb,
    ipv4,
    ipv6,
    opb,
    option,
    pcap,
    random_tcp_frame,
    record_offsets,
    shb,
    spb,
    tcp,
)
from capture_factory import (
    block as pcapng_block,
)

from tcpcore import Capture, DecodeError, LinkType, Packet, read_pcap, write_pcap
from tcpcore.capture.pcap import iter_pcap

A4, B4, A6, B6 = "192.0.2.1", "198.51.100.2", "2001:db8::1", "2001:db8::2"


def syn(n: int) -> bytes:
    """A distinct SYN frame per n (source port 1000 + n)."""
    return ethernet(ipv4(A4, B4, tcp(1000 + n, 80, seq=n, src=A4, dst=B4)))


def write(tmp_path: Path, data: bytes, name: str = "c.pcap") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- classic pcap ------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
def test_pcap_both_byte_orders_and_resolutions(tmp_path: Path, order: str, nano: bool) -> None:
    recs = [(1_700_000_000, 123_456, syn(0)), (1_700_000_001, 999_999, syn(1), 1500)]
    cap = read_pcap(write(tmp_path, pcap(recs, order=order, nano=nano)))
    assert isinstance(cap, Capture) and cap.format == "pcap" and cap.linktypes == [1]
    assert len(cap) == 2 and cap.problems == []
    first, second = cap
    unit = 1 if nano else 1000
    assert first.time_ns == 1_700_000_000 * 10**9 + 123_456 * unit
    assert second.time_ns == 1_700_000_001 * 10**9 + 999_999 * unit
    assert first.time == pytest.approx(1_700_000_000 + 123_456 * unit / 1e9, abs=1e-6)
    assert (first.index, first.offset, second.index, second.offset) == (0, 24, 1, 24 + 16 + 54)
    assert second.wire_len == 1500 and second.data == syn(1)
    assert first.kind == "tcp" and first.src == f"{A4}:1000" and first.dst == f"{B4}:80"
    assert first.segment is not None and first.segment.seq == 0 and first.checksum_ok is True
    assert first.linktype == 1 and first.interface == 0 and first.error is None


def test_packet_fields_for_other_and_error_and_ipv6(tmp_path: Path) -> None:
    frames = [
        ethernet(ipv6(A6, B6, tcp(5, 6, src=A6, dst=B6)), 0x86DD),
        ethernet(ipv4(A4, B4, b"\x00\x35\x00\x35\x00\x08\x00\x00", proto=17)),
        ethernet(bytes(28), 0x0806),
        ethernet(ipv4(A4, B4, tcp(offset=2))),
    ]
    cap = read_pcap(write(tmp_path, pcap([(1, 0, f) for f in frames])))
    v6, udp, arp, bad = cap
    assert (v6.kind, v6.src, v6.dst) == ("tcp", f"[{A6}]:5", f"[{B6}]:6")
    assert (udp.kind, udp.src, udp.dst, udp.segment) == ("other", A4, B4, None)
    assert udp.error == "IP protocol 17 (UDP), not TCP" and udp.ip is not None
    assert (arp.kind, arp.src, arp.ip) == ("other", None, None)
    assert bad.kind == "error" and bad.error == "TCP data offset 2 < 5 at byte 46"
    assert bad.segment is None and bad.checksum_ok is None and bad.src is None


def test_snaplen_cut_packet_has_no_checksum_verdict(tmp_path: Path) -> None:
    full = ethernet(ipv4(A4, B4, tcp(payload=b"0123456789", src=A4, dst=B4)))  # 64 bytes
    cap = read_pcap(write(tmp_path, pcap([(1, 0, full[:60], len(full))], snaplen=60)))
    (p,) = cap
    assert p.kind == "tcp" and p.checksum_ok is None and p.wire_len == 64
    assert p.segment is not None and p.segment.payload == b"012345"


def test_bad_magic(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match=r"^bad pcap magic 0x7f454c46 at byte 0$"):
        read_pcap(write(tmp_path, b"\x7fELF" + bytes(40)))
    with pytest.raises(DecodeError, match=r"bad pcap magic 0x .*at byte 0"):
        read_pcap(write(tmp_path, b""))
    with pytest.raises(DecodeError, match="bad pcap magic 0xd4c3"):
        read_pcap(write(tmp_path, b"\xd4\xc3"))


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError):
        read_pcap("/nonexistent/capture.pcap")


def test_truncated_file_header_is_a_problem(tmp_path: Path) -> None:
    cap = read_pcap(write(tmp_path, pcap([])[:20]))
    assert len(cap) == 0 and len(cap.problems) == 1
    assert cap.problems[0].offset == 0 and "file header" in cap.problems[0].message


def test_damaged_record_header_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    recs = [(1_700_000_000, i, syn(i)) for i in range(6)]
    data = bytearray(pcap(recs))
    offsets = record_offsets(recs)
    data[offsets[2] + 8 : offsets[2] + 12] = struct.pack("<I", 0x7FFFFFFF)  # captured length
    cap = read_pcap(write(tmp_path, bytes(data)))
    assert [p.index for p in cap] == [0, 1, 3, 4, 5]
    assert [p.offset for p in cap] == [offsets[i] for i in (0, 1, 3, 4, 5)]
    assert [p.segment.seq for p in cap if p.segment] == [0, 1, 3, 4, 5]
    (problem,) = cap.problems
    assert (problem.index, problem.offset) == (2, offsets[2])
    assert "2147483647" in problem.message and "skipped" in problem.message


def test_truncated_last_record(tmp_path: Path) -> None:
    recs = [(1, i, syn(i)) for i in range(3)]
    data = pcap(recs)[:-10]
    cap = read_pcap(write(tmp_path, data))
    assert [p.index for p in cap] == [0, 1]
    (problem,) = cap.problems
    assert (problem.index, problem.offset) == (2, record_offsets(recs)[2])
    assert "truncated record: 44 of 54 bytes" in problem.message


def test_truncated_record_header(tmp_path: Path) -> None:
    recs = [(1, 0, syn(0))]
    cap = read_pcap(write(tmp_path, pcap(recs) + bytes(7)))
    assert len(cap) == 1
    (problem,) = cap.problems
    assert (problem.index, problem.offset) == (1, 24 + 16 + 54)
    assert "7 of 16 bytes" in problem.message


def test_garbage_after_damage_stops_with_a_problem(tmp_path: Path) -> None:
    recs = [(1, 0, syn(0))]
    data = pcap(recs) + struct.pack("<IIII", 1, 0, 0xFFFFFF, 0xFFFFFF) + bytes(100)
    cap = read_pcap(write(tmp_path, data))
    assert len(cap) == 1 and len(cap.problems) == 1
    assert cap.problems[0].index == 1 and "stopped" in cap.problems[0].message


# -- pcapng ------------------------------------------------------------------------------------


def two_interface_pcapng() -> bytes:
    """Section 1 (little-endian): interface 0 Ethernet with nanosecond timestamps and an offset,
    interface 1 raw IP with the default microseconds; an EPB on each, an SPB, an obsolete packet
    block, and blocks to skip. Section 2 (big-endian): interface 0 is Linux cooked with 2**-20 s
    timestamps."""
    e0 = ethernet(ipv4(A4, B4, tcp(1, 2, src=A4, dst=B4)))
    r1 = ipv6(A6, B6, tcp(3, 4, src=A6, dst=B6))
    s2 = struct.pack("!HHH8sH", 0, 1, 6, bytes(8), 0x0800) + ipv4(A4, B4, tcp(5, 6, src=A4, dst=B4))
    tsres_ns = option(9, b"\x09") + option(14, struct.pack("<q", 100))
    return b"".join(
        [
            shb("<"),
            idb(ETHERNET, 0, tsres_ns),
            idb(RAW, 0),
            pcapng_block(4, bytes(8)),  # name resolution: skipped
            epb(0, 1_500_000_000_123_456_789, e0),
            epb(1, 1_700_000_000_250_000, r1, wire=200),
            spb(e0),
            pcapng_block(0x40000BAD, bytes(12)),  # custom block: skipped
            opb(1, 42_000_001, r1),
            pcapng_block(5, bytes(16)),  # interface statistics: skipped
            shb(">"),
            idb(SLL, 0, option(9, b"\x94", ">"), ">"),
            epb(0, (1 << 20) * 3 + (1 << 19), s2, order=">"),
        ]
    )


def test_pcapng_two_interfaces_and_sections(tmp_path: Path) -> None:
    cap = read_pcap(write(tmp_path, two_interface_pcapng(), "c.pcapng"))
    assert cap.format == "pcapng" and cap.problems == []
    assert cap.linktypes == [ETHERNET, RAW, SLL]
    eth, raw, simple, old, cooked = cap
    assert [p.index for p in cap] == [0, 1, 2, 3, 4]
    assert [(p.interface, p.linktype) for p in cap] == [
        (0, 1),
        (1, 101),
        (0, 1),
        (1, 101),
        (0, 113),
    ]
    assert eth.time_ns == 1_500_000_000_123_456_789 + 100 * 10**9
    assert eth.src == f"{A4}:1" and eth.kind == "tcp" and eth.checksum_ok
    assert raw.time_ns == 1_700_000_000_250_000_000 and raw.wire_len == 200
    assert raw.src == f"[{A6}]:3"
    assert simple.kind == "tcp" and simple.time_ns == 0
    assert old.time_ns == 42_000_001_000 and old.kind == "tcp"
    assert cooked.time == 3.5 and cooked.src == f"{A4}:5"
    # offsets: SHB 28, IDB with two options and opt_endofopt 44, IDB 20, NRB 20, the first EPB
    assert eth.offset == 28 + 44 + 20 + 20


def test_pcapng_damaged_block_is_skipped(tmp_path: Path) -> None:
    blocks = [shb("<"), idb(ETHERNET)] + [epb(0, i, syn(i)) for i in range(4)]
    offsets = [sum(len(b) for b in blocks[:k]) for k in range(len(blocks))]
    data = bytearray(b"".join(blocks))
    at = offsets[3]  # the second EPB: break its trailing length
    end = offsets[4]
    data[end - 4 : end] = struct.pack("<I", 999)
    cap = read_pcap(write(tmp_path, bytes(data), "c.pcapng"))
    assert [p.index for p in cap] == [0, 2, 3]
    assert [p.segment.seq for p in cap if p.segment] == [0, 2, 3]
    (problem,) = cap.problems
    assert (problem.index, problem.offset) == (1, at)
    assert "trailing block length" in problem.message


def test_pcapng_undeclared_interface_and_truncation(tmp_path: Path) -> None:
    blocks = [shb("<"), idb(ETHERNET), epb(5, 0, syn(0)), epb(0, 0, syn(1))]
    data = b"".join(blocks)
    cap = read_pcap(write(tmp_path, data + epb(0, 0, syn(2))[:30], "c.pcapng"))
    assert [p.index for p in cap] == [1]
    first, last = cap.problems
    assert (first.index, first.offset) == (0, len(blocks[0]) + len(blocks[1]))
    assert "undeclared interface 5" in first.message
    assert (last.index, last.offset) == (2, len(data))


def test_pcapng_unknown_version_section_is_skipped(tmp_path: Path) -> None:
    data = shb("<") + idb(ETHERNET) + epb(0, 0, syn(0)) + shb("<", major=2) + epb(0, 0, syn(1))
    cap = read_pcap(write(tmp_path, data, "c.pcapng"))
    assert len(cap) == 1 and "version 2.0" in cap.problems[0].message


# -- streaming, file objects, writing ----------------------------------------------------------


def test_iter_pcap_streams_what_read_pcap_reads(tmp_path: Path) -> None:
    recs = [(1, i, syn(i)) for i in range(50)]
    data = bytearray(pcap(recs))
    data[record_offsets(recs)[10] + 9] = 0xFF
    path = write(tmp_path, bytes(data))
    problems: list[object] = []
    assert list(iter_pcap(path, problems)) == read_pcap(path).packets  # type: ignore[arg-type]
    assert problems == read_pcap(path).problems


class _PipeLike(io.RawIOBase):
    """A stream that can only be read, in small pieces (no seek, no len)."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = 7 if n < 0 else min(n, 7)
        piece = self._data[self._at : self._at + n]
        self._at += len(piece)
        return piece


def test_reading_from_file_objects(tmp_path: Path) -> None:
    data = two_interface_pcapng()
    expected = read_pcap(write(tmp_path, data, "c.pcapng")).packets
    assert read_pcap(io.BytesIO(data)).packets == expected
    assert list(iter_pcap(_PipeLike(data))) == expected  # type: ignore[arg-type]


def test_write_pcap_from_times_and_frames(tmp_path: Path) -> None:
    path = tmp_path / "w.pcap"
    frames = [(1_700_000_000.25, syn(0)), (1_700_000_001.000001, syn(1)), (3.9999999, syn(2))]
    write_pcap(path, frames, snaplen=40)
    raw = path.read_bytes()
    assert raw[:24] == struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 40, 1)
    assert raw[24:40] == struct.pack("<IIII", 1_700_000_000, 250_000, 40, 54)
    cap = read_pcap(path)
    assert [p.time_ns for p in cap] == [
        1_700_000_000_250_000_000,
        1_700_000_001_000_001_000,
        4_000_000_000,
    ]
    assert all(p.wire_len == 54 and len(p.data) == 40 for p in cap)


def test_write_pcap_round_trips_packets(tmp_path: Path) -> None:
    src = write(tmp_path, pcap([(5, i * 7, syn(i), 99) for i in range(5)], nano=True, order=">"))
    out = tmp_path / "again.pcap"
    write_pcap(out, read_pcap(src), nanosecond=True, snaplen=65535)
    assert out.read_bytes() == pcap([(5, i * 7, syn(i), 99) for i in range(5)], nano=True)
    with pytest.raises(ValueError, match="link type 1"):
        write_pcap(tmp_path / "x.pcap", read_pcap(src), linktype=LinkType.RAW)


def test_write_pcap_to_a_file_object() -> None:
    out = io.BytesIO()
    write_pcap(out, [(0.5, b"\x45" + bytes(19))], linktype=LinkType.RAW)
    assert out.getvalue()[20:24] == struct.pack("<I", 101)
    assert struct.unpack_from("<II", out.getvalue(), 24) == (0, 500_000)


# -- dpkt as an independent reader ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_every_field_agrees_with_dpkt(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    recs = [
        (rng.randint(0, 2**31), rng.randint(0, 999_999), random_tcp_frame(rng)) for _ in range(300)
    ]
    path = write(tmp_path, pcap(recs, order=rng.choice("<>")))
    ours = read_pcap(path)
    with open(path, "rb") as f:
        theirs = list(dpkt.pcap.Reader(f))
    assert len(ours) == len(theirs) == 300
    for p, (ts, buf) in zip(ours, theirs, strict=True):
        assert p.data == buf and p.time == pytest.approx(ts, abs=1e-6)
        ip = dpkt.ethernet.Ethernet(buf).data
        t = ip.data
        seg = p.segment
        assert seg is not None and p.ip is not None
        assert ipaddress.ip_address(p.ip.src).packed == ip.src  # type: ignore[attr-defined]
        assert ipaddress.ip_address(p.ip.dst).packed == ip.dst  # type: ignore[attr-defined]
        assert (seg.src_port, seg.dst_port, seg.seq, seg.ack) == (t.sport, t.dport, t.seq, t.ack)
        assert (int(seg.flags), seg.window, seg.urgent, seg.checksum) == (
            t.flags,
            t.win,
            t.urp,
            t.sum,
        )
        assert seg.encode()[20 : seg.header_length] == t.opts
        assert seg.payload == t.data
        assert p.checksum_ok is True


def test_packet_is_frozen() -> None:
    p = Packet(0, 24, 0.0, 0, 1, 0, 0, b"", "other", None, None, None, None, "x", None)
    with pytest.raises(AttributeError):
        p.kind = "tcp"  # type: ignore[misc]


def test_record_whose_ip_length_exceeds_its_original_length_is_an_error(tmp_path: Path) -> None:
    """caplen = wirelen and an IP total length beyond it: an error packet; a real cut is not."""
    a, b = "192.0.2.1", "198.51.100.2"
    seg = tcp(flags=0x18, ack=1, payload=b"hello world", src=a, dst=b)
    lying = ethernet(ipv4(a, b, seg, total=200))
    whole = ethernet(ipv4(a, b, seg))
    path = tmp_path / "l.pcap"
    path.write_bytes(pcap([(1, 0, lying), (2, 0, whole[:59], len(whole))]))
    first, second = read_pcap(path)
    assert first.kind == "error" and first.error is not None
    assert first.error.startswith("IPv4 total length 200 exceeds the 51 bytes")
    assert second.kind == "tcp" and second.checksum_ok is None


def test_trace_survives_big_tcp_and_reports_the_lying_length(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tcpcore trace: a BIG TCP segment is a line with its length, a lying length an error line."""
    from tcpcore.cli import main

    a, b = "192.0.2.1", "198.51.100.2"
    big = ethernet(ipv4(a, b, big_segment(a, b), total=0))
    lying = ethernet(ipv4(a, b, tcp(flags=0x10, src=a, dst=b), total=900))
    path = tmp_path / "big.pcap"
    path.write_bytes(pcap([(1, 0, big), (2, 0, lying), (3, 0, big[:1514], len(big))]))
    assert main(["trace", "--json", str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.get("len") for line in lines] == [65_600, None, 65_600]
    assert [line.get("checksum_ok") for line in lines] == [True, None, None]
    assert lines[1]["error"].startswith("IPv4 total length 900 exceeds the 40 bytes")
