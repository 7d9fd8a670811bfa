"""The columnar reader gives exactly what the per-packet reader gives (tcpcore.capture.columnar).

Every comparison goes through :func:`reference_rows`, which derives each column from the Packets
of ``read_pcap``; known answers come from the hand-packed frames of capture_factory.
"""

from __future__ import annotations

import io
import ipaddress
import random
import struct
from pathlib import Path
from typing import Any

import numpy as np
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
    epb,
    ethernet,
    idb,
    ipv4,
    ipv6,
    jumbogram,
    odd_frames,
    option,
    pcap,
    random_tcp_frame,
    record_offsets,
    shb,
    spb,
    tcp,
)

import tcpcore.capture.columnar as columnar
from tcpcore import DecodeError, read_pcap
from tcpcore.capture.columnar import Columns, pcap_offsets, read_columns
from tcpcore.capture.framing import decode_frame
from tcpcore.wire.ip import IPv4

LINKTYPES = [ETHERNET, SLL, SLL2, NULL, LOOP, RAW, IPV4, IPV6]
# The documented columns and types (tcpcore.capture.columnar's docstring), in order.
DTYPES = {
    "index": np.int64,
    "time": np.float64,
    "time_ns": np.int64,
    "ip_version": np.uint8,
    "src_ip": np.uint32,
    "dst_ip": np.uint32,
    "src_ip6_hi": np.uint64,
    "src_ip6_lo": np.uint64,
    "dst_ip6_hi": np.uint64,
    "dst_ip6_lo": np.uint64,
    "src_port": np.uint16,
    "dst_port": np.uint16,
    "seq": np.uint32,
    "ack": np.uint32,
    "flags": np.uint8,
    "window": np.uint16,
    "header_len": np.uint8,
    "payload_len": np.uint32,
    "wire_payload_len": np.uint32,
}


def reference_rows(path: Path) -> dict[str, list[Any]]:
    """The columns as read_pcap's TCP packets spell them."""
    rows: dict[str, list[Any]] = {name: [] for name in DTYPES}
    for p in read_pcap(path):
        if p.kind != "tcp":
            continue
        seg, ip = p.segment, p.ip
        assert seg is not None and ip is not None
        frame = decode_frame(p.linktype, p.data)
        l3 = frame.link.header_length if frame.link is not None else 0
        if isinstance(ip, IPv4):
            v4 = (int(ipaddress.IPv4Address(ip.src)), int(ipaddress.IPv4Address(ip.dst)))
            v6 = (0, 0)
            # A length of 0 (TSO, BIG TCP) runs to the end of the frame on the wire.
            frame_end = max(p.wire_len, len(p.data))
            ip_payload = (ip.total_length or frame_end - l3) - ip.header_length
        else:
            v4 = (0, 0)
            v6 = (int(ipaddress.IPv6Address(ip.src)), int(ipaddress.IPv6Address(ip.dst)))
            jumbo = ip.jumbo  # type: ignore[attr-defined]
            plen = ip.payload_length or (  # type: ignore[attr-defined]
                jumbo[1] if jumbo is not None else max(p.wire_len, len(p.data)) - l3 - 40
            )
            ip_payload = plen - (ip.header_length - 40)  # type: ignore[attr-defined]
        values = {
            "index": p.index,
            "time": p.time,
            "time_ns": p.time_ns,
            "ip_version": ip.version,  # type: ignore[attr-defined]
            "src_ip": v4[0],
            "dst_ip": v4[1],
            "src_ip6_hi": v6[0] >> 64,
            "src_ip6_lo": v6[0] & (2**64 - 1),
            "dst_ip6_hi": v6[1] >> 64,
            "dst_ip6_lo": v6[1] & (2**64 - 1),
            "src_port": seg.src_port,
            "dst_port": seg.dst_port,
            "seq": seg.seq,
            "ack": seg.ack,
            "flags": int(seg.flags),
            "window": seg.window,
            "header_len": seg.header_length,
            "payload_len": len(seg.payload),
            "wire_payload_len": ip_payload - seg.header_length,
        }
        for name, value in values.items():
            rows[name].append(value)
    return rows


def assert_same(path: Path) -> Columns:
    cols = read_columns(path)
    expected = reference_rows(path)
    got = cols.as_dict()
    assert list(got) == list(expected)
    for name, values in expected.items():
        assert got[name].tolist() == values, name
        assert got[name].dtype == DTYPES[name], name
    src, dst = cols.endpoints()
    tcp_packets = [p for p in read_pcap(path) if p.kind == "tcp"]
    assert src == [p.src for p in tcp_packets] and dst == [p.dst for p in tcp_packets]
    return cols


def mixed_records(rng: random.Random, linktype: int, n: int) -> list[tuple[int, int, bytes]]:
    """Random TCP frames with every odd frame of this link type mixed in."""
    odd = [raw for lt, raw, _ in odd_frames() if lt == linktype]
    frames = [random_tcp_frame(rng, linktype) for _ in range(n)] + odd
    rng.shuffle(frames)
    return [(1_700_000_000 + i, rng.randint(0, 999_999), f) for i, f in enumerate(frames)]


# -- the same answers as read_pcap -------------------------------------------------------------


@pytest.mark.parametrize("linktype", LINKTYPES)
def test_every_link_type_matches_read_pcap(tmp_path: Path, linktype: int) -> None:
    rng = random.Random(linktype)
    path = tmp_path / "c.pcap"
    path.write_bytes(pcap(mixed_records(rng, linktype, 150), linktype=linktype))
    cols = assert_same(path)
    assert len(cols) > 100


@pytest.mark.parametrize(("order", "nano"), [("<", False), (">", False), ("<", True), (">", True)])
def test_byte_orders_and_resolutions(tmp_path: Path, order: str, nano: bool) -> None:
    rng = random.Random(7)
    recs = [
        (1_700_000_000 + i, rng.randint(0, 999_999_999 if nano else 999_999), f)
        for i, f in enumerate(random_tcp_frame(rng) for _ in range(50))
    ]
    path = tmp_path / "c.pcap"
    path.write_bytes(pcap(recs, order=order, nano=nano))
    cols = assert_same(path)
    assert cols.time_ns.tolist() == [s * 10**9 + f * (1 if nano else 1000) for s, f, _ in recs]


def test_pcapng_with_interfaces_of_every_link_type(tmp_path: Path) -> None:
    rng = random.Random(3)
    blocks = [shb("<")]
    for k, lt in enumerate(LINKTYPES):
        blocks.append(idb(lt, 0, option(9, bytes((9 if k % 2 else 6,)))))
    for _ in range(300):
        k = rng.randrange(len(LINKTYPES))
        blocks.append(epb(k, rng.getrandbits(50), random_tcp_frame(rng, LINKTYPES[k])))
    for lt, raw, _ in odd_frames():
        if lt in LINKTYPES:
            blocks.append(epb(LINKTYPES.index(lt), rng.getrandbits(40), raw))
    blocks.append(spb(random_tcp_frame(rng, ETHERNET)))
    path = tmp_path / "c.pcapng"
    path.write_bytes(b"".join(blocks))
    assert len(assert_same(path)) > 250


def test_damaged_files_match_read_pcap(tmp_path: Path) -> None:
    rng = random.Random(11)
    recs = mixed_records(rng, ETHERNET, 100)
    data = bytearray(pcap(recs))
    offsets = record_offsets(recs)
    data[offsets[30] + 10] = 0xEE  # a captured length far too large
    path = tmp_path / "c.pcap"
    path.write_bytes(bytes(data[:-5]))  # and a truncated last record
    assert pcap_offsets(np.frombuffer(bytes(data), np.uint8), len(data), "<", 262144) is None
    cols = assert_same(path)
    assert 30 not in cols.index.tolist()


def test_mutated_frames_match_read_pcap(tmp_path: Path) -> None:
    """Bit flips in the headers reach every vectorised rule; read_pcap decides what is right."""
    rng = random.Random(5)
    recs = []
    for i in range(2000):
        linktype_frame = bytearray(random_tcp_frame(rng))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(min(len(linktype_frame), 120))
            linktype_frame[at] ^= 1 << rng.randrange(8)
        cut = rng.random() < 0.2
        data = bytes(
            linktype_frame[: rng.randrange(len(linktype_frame))] if cut else linktype_frame
        )
        # The original length: the whole frame (an honest cut), what was captured (the IP
        # length then lies), or anything between and beyond.
        wire = rng.choice([len(linktype_frame), len(data), rng.randint(len(data), 400)])
        recs.append((i, 0, data, wire))
    path = tmp_path / "c.pcap"
    path.write_bytes(pcap(recs))
    assert len(assert_same(path)) > 1000


def test_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "CHUNK", 7)
    rng = random.Random(2)
    path = tmp_path / "c.pcap"
    path.write_bytes(pcap(mixed_records(rng, ETHERNET, 60)))
    assert_same(path)


# -- known answers and the edges -------------------------------------------------------------


def test_known_answer_columns(tmp_path: Path) -> None:
    a, b = "192.0.2.1", "198.51.100.2"
    seg = tcp(
        443, 50000, 7, 8, 0x18, 1000, b"\x01\x01\x08\x0a" + bytes(8), b"x" * 100, src=a, dst=b
    )
    v6 = ipv6(
        "2001:db8::1",
        "2001:db8::ff",
        tcp(1, 2, 3, 4, 0x12, 5, src="2001:db8::1", dst="2001:db8::ff"),
    )
    recs = [
        (10, 500_000, ethernet(ipv4(a, b, b"", proto=17))),  # not TCP: no row
        (11, 250_000, ethernet(ipv4(a, b, seg))[:100], 166),  # cut by the capture
        (12, 0, ethernet(v6, 0x86DD)),
    ]
    path = tmp_path / "c.pcap"
    path.write_bytes(pcap(recs))
    cols = read_columns(path)
    assert cols.index.tolist() == [1, 2]
    assert cols.time.tolist() == [11.25, 12.0]
    assert cols.ip_version.tolist() == [4, 6]
    assert cols.src_ip.tolist() == [0xC0000201, 0] and cols.dst_ip.tolist() == [0xC6336402, 0]
    assert cols.src_ip6_hi.tolist() == [0, 0x20010DB800000000]
    assert cols.dst_ip6_lo.tolist() == [0, 0xFF]
    assert cols.src_port.tolist() == [443, 1] and cols.dst_port.tolist() == [50000, 2]
    assert cols.seq.tolist() == [7, 3] and cols.ack.tolist() == [8, 4]
    assert cols.flags.tolist() == [0x18, 0x12] and cols.window.tolist() == [1000, 5]
    assert cols.header_len.tolist() == [32, 20]
    assert cols.payload_len.tolist() == [100 - 14 - 20 - 32, 0]
    assert cols.wire_payload_len.tolist() == [100, 0]


def test_empty_capture(tmp_path: Path) -> None:
    path = tmp_path / "c.pcap"
    path.write_bytes(pcap([]))
    cols = read_columns(path)
    assert len(cols) == 0 and cols.seq.dtype == np.uint32 and cols.time.dtype == np.float64


def test_file_objects_and_errors(tmp_path: Path) -> None:
    rng = random.Random(1)
    data = pcap(mixed_records(rng, ETHERNET, 20))
    path = tmp_path / "c.pcap"
    path.write_bytes(data)
    assert read_columns(io.BytesIO(data)).as_dict().keys() == read_columns(path).as_dict().keys()
    assert read_columns(io.BytesIO(data)).seq.tolist() == read_columns(path).seq.tolist()
    with pytest.raises(DecodeError, match="bad pcap magic"):
        read_columns(io.BytesIO(b"nope"))
    with pytest.raises(FileNotFoundError):
        read_columns(tmp_path / "missing.pcap")


def test_pcap_offsets_follows_the_chain() -> None:
    recs = [(1, 0, bytes(n)) for n in (60, 0, 1514, 7)]
    data = pcap(recs)
    buf = np.frombuffer(data, np.uint8)
    offs = pcap_offsets(buf, len(data), "<", 262144)
    assert offs is not None and offs.tolist() == record_offsets(recs)
    assert pcap_offsets(buf, len(data) - 1, "<", 262144) is None  # ends inside a record
    assert pcap_offsets(buf, len(data), "<", 1000) is None  # a record over the limit
    header_only = np.frombuffer(pcap([]), np.uint8)
    offs = pcap_offsets(header_only, 24, "<", 262144)
    assert offs is not None and len(offs) == 0
    assert pcap_offsets(np.frombuffer(data[:30], np.uint8), 30, "<", 262144) is None
    big = pcap(recs, order=">")
    assert pcap_offsets(np.frombuffer(big, np.uint8), len(big), ">", 262144) is not None
    assert struct.unpack_from(">I", big, 24 + 8)[0] == 60


def test_length_fields_beyond_the_wire_and_big_tcp_match_read_pcap(tmp_path: Path) -> None:
    """Lying IP lengths are rejected, BIG TCP and jumbograms accepted, in pcap and pcapng alike."""
    a, b, a6, b6 = "192.0.2.1", "198.51.100.2", "2001:db8::1", "2001:db8::2"
    seg = tcp(flags=0x18, ack=1, payload=b"hello world", src=a, dst=b)
    whole = ethernet(ipv4(a, b, seg))
    big = ethernet(ipv4(a, b, big_segment(a, b), total=0))
    frames: list[tuple[bytes, int]] = [
        (ethernet(ipv4(a, b, seg, total=200)), 0),  # 0: lying, not cut
        (ethernet(ipv4(a, b, seg, total=200))[:50], 100),  # 1: lying beyond the wire length
        (whole[:59], len(whole)),  # 2: an honest snap-length cut
        (big, len(big)),  # 3: BIG TCP
        (big[:1514], len(big)),  # 4: BIG TCP, cut
        (ethernet(jumbogram(a6, b6, big_segment(a6, b6)), 0x86DD), 0),  # 5: jumbogram
        (ethernet(ipv6(a6, b6, tcp(src=a6, dst=b6), plen=300), 0x86DD), 0),  # 6: v6 lying
        (ethernet(ipv6(a6, b6, tcp(src=a6, dst=b6), plen=0), 0x86DD), 0),  # 7: v6 TSO
    ]
    frames = [(raw, wire or len(raw)) for raw, wire in frames]  # 0: not cut by the capture
    recs = [(1_700_000_000 + i, 0, raw, wire) for i, (raw, wire) in enumerate(frames)]
    path = tmp_path / "l.pcap"
    path.write_bytes(pcap(recs, snaplen=262144))
    ng = tmp_path / "l.pcapng"
    blocks = [shb(), idb(ETHERNET)] + [epb(0, i, raw, wire) for i, (raw, wire) in enumerate(frames)]
    ng.write_bytes(b"".join(blocks))
    for file in (path, ng):
        cols = assert_same(file)
        assert cols.index.tolist() == [2, 3, 4, 5, 7]
        assert cols.wire_payload_len.tolist() == [11, 65_600, 65_600, 65_600, 0]
