"""tcpcore reads real Linux captures exactly as dpkt does, and ``tcpcore trace`` prints them right.

Two sources of captures of the same exchange (``captures.py`` describes it):

* ``tests/data/captures/*.pcap``, made once with ``python tests/captures.py record`` and committed,
  so that every machine runs these tests (no root needed);
* a fresh capture made now (``@pytest.mark.capture``): root, tcpdump and network namespaces are
  required; a laptop without them skips, CI fails (``conftest.require``).

dpkt is the oracle for every header field; the flag letters, option values and checksums expected
from it are derived here by hand, from the RFCs, not from tcpcore.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from captures import (
    ABORT_V4,
    ORDERLY_V4,
    ORDERLY_V6,
    CaptureError,
    RefSegment,
    capture_exchange,
    capture_unavailable,
    dpkt_segments,
    namespace_name,
)
from conftest import ROOT, require
from wire_helpers import ipv4_pseudo_header, ipv6_pseudo_header, reference_tcp_checksum

import tcpcore
from tcpcore.capture.pcap import read_pcap
from tcpcore.wire.segment import options_json

DATA = ROOT / "tests" / "data" / "captures"
COMMITTED = sorted(DATA.glob("*.pcap"))
KEYS = ["t", "src", "dst", "seq", "ack", "flags", "win", "len", "options", "checksum_ok", "states"]
FLAG_LETTERS = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, ".")]
FLAG_LETTERS += [(0x20, "U"), (0x40, "E"), (0x80, "W")]
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
CLIENT_PORTS = {ORDERLY_V4[3], ABORT_V4[3], ORDERLY_V6[3]}


# -- expectations derived by hand from dpkt's fields -------------------------------------------


def letters(flags: int, reserved: int) -> str:
    """DESIGN.md: tcpdump's letters, ascending bit value, ACK as "."; "none" for no flag."""
    text = "".join(letter for bit, letter in FLAG_LETTERS if flags & bit)
    text += "e" if reserved & 1 else ""
    return text or "none"


def option_values(opts: list[tuple[int, bytes]]) -> list[list[object]]:
    """[name, value] pairs read from raw (kind, data), per RFC 9293 3.2, RFC 7323, RFC 2018."""
    out: list[list[object]] = []
    for kind, data in opts:
        if kind == 0:
            continue  # EOL padding: tcpcore drops the canonical form, Linux sends none
        if kind == 1:
            out.append(["nop", None])
        elif kind == 2 and len(data) == 2:
            out.append(["mss", int.from_bytes(data, "big")])
        elif kind == 3 and len(data) == 1:
            out.append(["wscale", data[0]])
        elif kind == 4 and not data:
            out.append(["sackOK", None])
        elif kind == 8 and len(data) == 8:
            out.append(["TS", [int.from_bytes(data[:4], "big"), int.from_bytes(data[4:], "big")]])
        elif kind == 5 and data and len(data) % 8 == 0:
            edges = [int.from_bytes(data[i : i + 4], "big") for i in range(0, len(data), 4)]
            out.append(["sack", [edges[i : i + 2] for i in range(0, len(edges), 2)]])
        else:
            out.append(["unknown", f"{kind}:{data.hex()}"])
    return out


def expected_checksum_ok(ref: RefSegment) -> bool | None:
    """RFC 1071 over the pseudo-header and the segment, or None when the capture cut it."""
    if ref.caplen < ref.wire_len:
        return None
    v6 = len(ref.ip_src) == 16
    src = str(ipaddress.ip_address(ref.ip_src))
    dst = str(ipaddress.ip_address(ref.ip_dst))
    pseudo_of = ipv6_pseudo_header if v6 else ipv4_pseudo_header
    pseudo = pseudo_of(src, dst, len(ref.segment_bytes))
    return reference_tcp_checksum(ref.segment_bytes, pseudo) == ref.sum


def connections(refs: list[RefSegment]) -> dict[int, list[RefSegment]]:
    """The segments of each connection, keyed by the client's (fixed) port."""
    by_port: dict[int, list[RefSegment]] = defaultdict(list)
    for r in refs:
        by_port[r.sport if r.sport in CLIENT_PORTS else r.dport].append(r)
    return by_port


def acked_by_peer(conn: list[RefSegment], fin: RefSegment) -> bool:
    """Some later segment from the FIN's receiver acknowledges it: ack = seq + len + 1, the FIN
    taking one sequence number after the payload (RFC 9293 3.4)."""
    target = (fin.seq + fin.payload_wire_len + 1) % 2**32
    later = conn[conn.index(fin) + 1 :]
    return any(r.sport == fin.dport and r.flags & ACK and r.ack == target for r in later)


# -- the checks, shared by committed and fresh captures ------------------------------------------


def check_exchange_shape(refs: list[RefSegment], others: int) -> None:
    """The exchange described in captures.py, as dpkt reads it."""
    conns = connections(refs)
    assert sorted(conns) == [ORDERLY_V4[3], ABORT_V4[3], ORDERLY_V6[3]]
    assert others == 1  # the UDP end marker
    for port, conn in conns.items():
        first = [(r.sport == port, r.flags & (SYN | ACK | FIN | RST)) for r in conn[:3]]
        assert first == [(True, SYN), (False, SYN | ACK), (True, ACK)], f"handshake of {port}"
        assert conn[1].ack == (conn[0].seq + 1) % 2**32
        assert conn[2].ack == (conn[1].seq + 1) % 2**32
        data = [r for r in conn if r.payload_wire_len]
        senders = {r.sport for r in data}
        if port == ABORT_V4[3]:
            assert senders == {port}
            resets = [r for r in conn if r.flags & RST]
            assert [r.sport for r in resets] == [port]  # SO_LINGER 0: the client resets
            assert not any(r.flags & FIN for r in conn)
        else:
            assert len(senders) == 2, f"data both ways on {port}"
            fins = [r for r in conn if r.flags & FIN]
            assert len(fins) == 2 and {r.sport for r in fins} == {port, conn[1].sport}
            assert all(acked_by_peer(conn, fin) for fin in fins)
            assert not any(r.flags & RST for r in conn)
            # Who closed first: the client on IPv4, the server on IPv6.
            assert (fins[0].sport == port) == (port == ORDERLY_V4[3])
    assert all(r.src.startswith("[::1]:") for r in conns[ORDERLY_V6[3]])
    assert all(r.src.startswith("127.0.0.1:") for r in conns[ORDERLY_V4[3]])


def check_reader_agrees(path: Path, refs: list[RefSegment], others: int) -> None:
    """tcpcore.read_pcap against dpkt (and the record headers), every field of every segment."""
    capture = read_pcap(path)
    assert list(capture.problems) == []
    packets = list(capture)
    assert [p for p in packets if p.kind == "error"] == []
    assert sum(p.kind == "other" for p in packets) == others
    tcp = [p for p in packets if p.kind == "tcp"]
    assert len(tcp) == len(refs)
    for p, r in zip(tcp, refs, strict=True):
        where = f"{path.name} packet {r.index}"
        s = p.segment
        assert s is not None
        assert (p.index, p.linktype, p.time_ns, p.wire_len, len(p.data)) == (
            r.index,
            1,  # tcpdump on lo writes Ethernet
            r.time_ns,
            r.wire_len,
            r.caplen,
        ), where
        assert p.time == pytest.approx(r.time, abs=1e-6), where
        assert (p.src, p.dst) == (r.src, r.dst), where
        got = (s.src_port, s.dst_port, s.seq, s.ack, int(s.flags), s.reserved)
        assert got == (r.sport, r.dport, r.seq, r.ack, r.flags, r.reserved), where
        assert (s.window, s.urgent, s.checksum) == (r.win, r.urp, r.sum), where
        assert options_json(s.options) == option_values(r.opts), where
        assert s.payload == r.payload, where
        assert p.checksum_ok == expected_checksum_ok(r), where


def check_trace_json(path: Path, refs: list[RefSegment]) -> None:
    """``tcpcore trace FILE --json`` in a real process: one line per segment, dpkt's values."""
    done = subprocess.run(
        [sys.executable, "-m", "tcpcore.cli", "trace", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(refs)
    for line, r in zip(lines, refs, strict=True):
        assert list(line) == KEYS
        assert line["t"] == pytest.approx(r.time, abs=1e-6)
        assert (line["src"], line["dst"], line["seq"], line["ack"]) == (r.src, r.dst, r.seq, r.ack)
        assert line["flags"] == letters(r.flags, r.reserved)
        assert (line["win"], line["len"]) == (r.win, r.payload_wire_len)
        assert line["options"] == option_values(r.opts)
        assert line["checksum_ok"] == expected_checksum_ok(r)
        if r.caplen == r.wire_len:
            assert isinstance(line["checksum_ok"], bool)  # loopback: often False (offload)
        assert set(line["states"]) == {r.src, r.dst}


# -- committed captures: every machine --------------------------------------------------------


def test_read_pcap_is_public() -> None:
    """DESIGN.md's public contract names ``tcpcore.read_pcap``; the notebooks import it so."""
    assert tcpcore.read_pcap is read_pcap


def test_committed_captures_are_present_and_small() -> None:
    names = {p.name for p in COMMITTED}
    assert {"exchange.pcap", "exchange-nano.pcap", "exchange-snap96.pcap"} <= names
    assert all(p.stat().st_size < 20_000 for p in COMMITTED)
    assert (DATA / "README.md").exists()


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_committed_capture_has_the_exchange_shape(path: Path) -> None:
    check_exchange_shape(*dpkt_segments(path))


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_committed_capture_reads_as_dpkt_reads_it(path: Path) -> None:
    check_reader_agrees(path, *dpkt_segments(path))


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_committed_capture_trace_json_agrees_with_dpkt(path: Path) -> None:
    check_trace_json(path, dpkt_segments(path)[0])


def test_snap96_capture_cut_every_payload() -> None:
    """The point of that file: no payload was captured whole, so no checksum is verifiable."""
    refs, _ = dpkt_segments(DATA / "exchange-snap96.pcap")
    data = [r for r in refs if r.payload_wire_len]
    assert data and all(len(r.payload) < r.payload_wire_len for r in data)
    assert all(r.caplen == r.wire_len for r in refs if not r.payload_wire_len)


TCPDUMP_LINE = re.compile(
    r"^(?P<clock>\d+\.\d{6}) IP6? (?P<src>\S+)\.(?P<sport>\d+) > (?P<dst>\S+)\.(?P<dport>\d+): "
    r"Flags \[(?P<flags>[^\]]+)\],(?: seq (?P<seq>\d+)(?::\d+)?,)?(?: ack (?P<ack>\d+),)? "
    r"win (?P<win>\d+),(?: options \[(?P<options>[^\]]*)\],)? length (?P<len>\d+)$"
)
OUR_LINE = re.compile(
    r"^(?P<clock>\d+\.\d{6}) (?P<src>\S+):(?P<sport>\d+) > (?P<dst>\S+):(?P<dport>\d+): "
    r"Flags \[(?P<flags>[^\]]+)\], seq (?P<seq>\d+),(?: ack (?P<ack>\d+),)? "
    r"win (?P<win>\d+),(?: options \[(?P<options>[^\]]*)\],)? length (?P<len>\d+)"
    r"(?:, bad checksum|, checksum not verifiable)?(?:  \[.*\])?$"
)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_committed_capture_trace_text_matches_tcpdump(path: Path) -> None:
    """The text output against tcpdump's own (``-n -tt -S``: absolute sequence numbers)."""
    require(shutil.which("tcpdump") is not None, "tcpdump is not installed")
    theirs = subprocess.run(
        ["tcpdump", "-n", "-tt", "-S", "-r", str(path), "tcp"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    done = subprocess.run(
        [sys.executable, "-m", "tcpcore.cli", "trace", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0
    ours = done.stdout.splitlines()
    assert len(ours) == len(theirs)
    for mine, tcpdump in zip(ours, theirs, strict=True):
        m, t = OUR_LINE.match(mine), TCPDUMP_LINE.match(tcpdump)
        assert m is not None, mine
        assert t is not None, tcpdump
        for key in ("clock", "sport", "dport", "flags", "ack", "win", "options", "len"):
            assert m[key] == t[key], f"{key}: {mine!r} vs {tcpdump!r}"
        assert m["src"].strip("[]") == t["src"] and m["dst"].strip("[]") == t["dst"]
        if t["seq"] is not None:  # tcpdump leaves seq out of bare ACKs
            assert m["seq"] == t["seq"]
    summary = done.stderr.strip()
    assert f"{len(theirs)} TCP segments" in summary and "1 other packet skipped" in summary


# -- a fresh capture: needs root, tcpdump and network namespaces -----------------------------------


@pytest.fixture(scope="module")
def fresh_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = capture_unavailable()
    require(reason is None, reason or "")
    return capture_exchange(tmp_path_factory.mktemp("live") / "exchange.pcap")


@pytest.mark.capture
def test_fresh_capture_has_the_exchange_shape(fresh_capture: Path) -> None:
    check_exchange_shape(*dpkt_segments(fresh_capture))


@pytest.mark.capture
def test_fresh_capture_reads_as_dpkt_reads_it(fresh_capture: Path) -> None:
    check_reader_agrees(fresh_capture, *dpkt_segments(fresh_capture))


@pytest.mark.capture
def test_fresh_capture_trace_json_agrees_with_dpkt(fresh_capture: Path) -> None:
    check_trace_json(fresh_capture, dpkt_segments(fresh_capture)[0])


def _left_behind(name: str, path: Path) -> list[str]:
    """The namespace ``name`` if it still exists, and any process still writing ``path``."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    left = [line for line in listed.splitlines() if line.split()[0] == name]
    pgrep = subprocess.run(["pgrep", "-af", str(path)], capture_output=True, text=True)
    return left + pgrep.stdout.splitlines()


@pytest.mark.capture
def test_capture_cleans_up_when_tcpdump_cannot_start(tmp_path: Path) -> None:
    reason = capture_unavailable()
    require(reason is None, reason or "")
    name, path = namespace_name(), tmp_path / "x.pcap"
    with pytest.raises(CaptureError, match="tcpdump exited before capturing"):
        capture_exchange(path, ["--no-such-tcpdump-option"], namespace=name)
    assert _left_behind(name, path) == []


@pytest.mark.capture
def test_capture_cleans_up_when_the_exchange_fails(tmp_path: Path) -> None:
    """tcpdump is running in the namespace when the exchange fails: both must go."""
    reason = capture_unavailable()
    require(reason is None, reason or "")
    name, path = namespace_name(), tmp_path / "x.pcap"
    # The failing command prints the namespace it runs in: proof that it ran inside it.
    failing = ["sh", "-c", "ip netns identify $$ >&2; exit 3"]
    with pytest.raises(CaptureError, match=f"the exchange failed \\(3\\): {name}"):
        capture_exchange(path, namespace=name, command=failing)
    assert _left_behind(name, path) == []
