"""``tcpcore trace --json`` against tshark's dissection, field by field, on many captures.

The captures: the shipped ones (tcpcore/data/captures), the committed test captures
(tests/data/captures, tests/data/linux), public captures from other projects' packages
(tests/data/public, sources and licences in its README), and captures made here by
``capture_factory.differential_captures()`` (Linux cooked v1 and v2, BSD and OpenBSD loopback,
raw IP, 802.1Q and QinQ, IPv6 extension headers, TSO and BIG TCP, jumbograms, snap-length cuts,
bad checksums, odd options, lying lengths, malformed headers, seeded random traffic in pcapng).

tshark is the oracle: for each frame it dissects as TCP right above IP, tcpcore must print a
segment with the same src, dst (addresses and ports), seq and ack (absolute), flags, win (the raw
field), len, options and checksum verdict; for each frame tcpcore prints as an error line, tshark
must have flagged the frame (malformed, or an expert warning or error). A frame where the two
differ in any other way fails the test, unless the difference is one of the documented classes in
``CLASSES``, each with its reason; every class must still occur, so the list cannot go stale.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from capture_factory import differential_captures
from conftest import ROOT, require

from tcpcore.capture.pcap import Packet, read_pcap
from tcpcore.cli import main

pytestmark = pytest.mark.slow  # tshark runs once per capture: about 20 s in all
TSHARK = shutil.which("tshark")
FLAG_LETTERS = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, ".")]
FLAG_LETTERS += [(0x20, "U"), (0x40, "E"), (0x80, "W")]
# tshark's dissection settings: absolute numbers, TCP checksums verified, no reassembly (each
# frame on its own, as tcpcore reads it), IPv6 TSO packets (payload length 0) taken whole.
PREFS = {
    "tcp.relative_sequence_numbers": "FALSE",
    "tcp.check_checksum": "TRUE",
    "tcp.desegment_tcp_streams": "FALSE",
    "tcp.analyze_sequence_numbers": "FALSE",
    "ip.defragment": "FALSE",
    "ipv6.defragment": "FALSE",
    "ipv6.tso_support": "TRUE",
}
FIELDS = [
    "frame.number",
    "frame.protocols",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.len",
    "tcp.checksum.status",
    "tcp.option_kind",
    "tcp.option_len",
    "tcp.options",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
    "_ws.malformed",
    "_ws.expert.severity",
    "_ws.expert.message",
]
PI_WARN = 0x00600000  # Wireshark's expert severities: warning, then error (0x00800000)

# The documented classes of difference: name -> why it is not a defect.
CLASSES = {
    "ip-length-beyond-wire": (
        "an IP length field claims more bytes than the frame had on the wire: tshark dissects "
        "what is there and warns ('total length exceeds packet length'); tcpcore reports a "
        "malformed packet (issue 16: not a snap-length cut)"
    ),
    "tcp-header-cut": (
        "the snap length cut the TCP header (its options): tshark shows the fields it got; "
        "tcpcore skips the frame as 'TCP header cut short by the capture' (counted, no line)"
    ),
    "eol-padding": (
        "an End of Option List whose only purpose is to pad the header to a 4-byte boundary "
        "(EOL then zeros, not on a boundary): tshark lists it as an option; tcpcore's decoder "
        "treats it as the header's padding (Segment.padding, re-encoded byte for byte) and "
        "lists no option for it"
    ),
}


@dataclass
class Comparison:
    """What one capture's comparison found."""

    segments: int = 0  # frames both decoded as TCP with every field equal
    errors: int = 0  # tcpcore error lines that tshark flagged too
    classes: Counter[str] = field(default_factory=Counter)
    defects: list[str] = field(default_factory=list)


def captures(made: Path) -> list[Path]:
    """Every capture the differential covers."""
    found = sorted((ROOT / "tcpcore" / "data" / "captures").glob("*.pcap"))
    for folder in ("captures", "linux", "public"):
        found += sorted((ROOT / "tests" / "data" / folder).glob("*.pcap*"))
    for name, data in differential_captures().items():
        (made / name).write_bytes(data)
        found.append(made / name)
    return found


def trace_json(path: Path) -> list[dict[str, object]]:
    """The records of ``tcpcore trace --json`` (run in-process: the same main as the command)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["trace", "--json", str(path)]) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def tshark_rows(path: Path) -> dict[int, dict[str, list[str]]]:
    """tshark's fields for every frame, each a list of its occurrences."""
    assert TSHARK is not None
    command = [TSHARK, "-n", "-r", str(path), "-T", "fields", "-E", "occurrence=a"]
    command += ["-E", "aggregator=|", "-E", "separator=\t"]
    for pref, value in PREFS.items():
        command += ["-o", f"{pref}:{value}"]
    for name in FIELDS:
        command += ["-e", name]
    # An empty configuration folder: no preference of the machine's user changes the dissection.
    with tempfile.TemporaryDirectory() as config:
        env = {**os.environ, "WIRESHARK_CONFIG_DIR": config}
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=True, env=env
        )
    rows = {}
    for line in done.stdout.splitlines():
        values = line.split("\t")
        row = {name: (v.split("|") if v else []) for name, v in zip(FIELDS, values, strict=True)}
        rows[int(row["frame.number"][0])] = row
    return rows


def top_level_tcp(row: dict[str, list[str]]) -> bool:
    """True when tshark found TCP right above the frame's first IP header (extension headers
    between them allowed), not only inside something else (an ICMP quote, a tunnel)."""
    layers = row["frame.protocols"][0].split(":") if row["frame.protocols"] else []
    ip = next((i for i, name in enumerate(layers) if name in ("ip", "ipv6")), None)
    if ip is None:
        return False
    rest = [name for name in layers[ip + 1 :] if not name.startswith("ipv6.")]
    return bool(rest) and rest[0] == "tcp"


def letters(flags: int) -> str:
    """DESIGN.md's flag letters from tshark's 12-bit flags field (bit 8, AE/NS, is 'e')."""
    text = "".join(letter for bit, letter in FLAG_LETTERS if flags & bit)
    text += "e" if flags & 0x100 else ""
    return text or "none"


def endpoint(address: str, port: str) -> str:
    return (
        f"[{address}]:{port}" if ipaddress.ip_address(address).version == 6 else f"{address}:{port}"
    )


def options(row: dict[str, list[str]]) -> list[list[object]]:
    """The options as tcpcore's JSON names them, from tshark's option list: the kinds and
    lengths tshark found walk its raw option bytes; MSS, window scale and timestamp values are
    tshark's own dissected ones, SACK edges (which tshark shows relative) read from the bytes."""
    raw = bytes.fromhex(row["tcp.options"][0].replace(":", "")) if row["tcp.options"] else b""
    lengths = [int(n) for n in row["tcp.option_len"]]
    mss = [int(v) for v in row["tcp.options.mss_val"]]
    shift = [int(v) for v in row["tcp.options.wscale.shift"]]
    tsval = [int(v) for v in row["tcp.options.timestamp.tsval"]]
    tsecr = [int(v) for v in row["tcp.options.timestamp.tsecr"]]
    out: list[list[object]] = []
    pos = 0
    for kind in (int(k) for k in row["tcp.option_kind"]):
        if kind == 0:
            out.append(["eol", None])
            break  # End of Option List: the rest is padding
        if kind == 1:
            out.append(["nop", None])
            pos += 1
            continue
        size = lengths.pop(0)
        data = raw[pos + 2 : pos + size]
        pos += size
        if kind == 2 and size == 4:
            out.append(["mss", mss.pop(0)])
        elif kind == 3 and size == 3:
            out.append(["wscale", shift.pop(0)])
        elif kind == 4 and size == 2:
            out.append(["sackOK", None])
        elif kind == 8 and size == 10:
            out.append(["TS", [tsval.pop(0), tsecr.pop(0)]])
        elif kind == 5 and size > 2 and (size - 2) % 8 == 0:
            edges = [int.from_bytes(data[i : i + 4], "big") for i in range(0, size - 2, 4)]
            out.append(["sack", [list(pair) for pair in zip(edges[::2], edges[1::2], strict=True)]])
        else:
            out.append(["unknown", f"{kind}:{data.hex()}"])
    return out


def first_ip(row: dict[str, list[str]]) -> str:
    """ "ip" or "ipv6": the frame's first IP layer."""
    layers = row["frame.protocols"][0].split(":")
    return next(name for name in layers if name in ("ip", "ipv6"))


def expected(row: dict[str, list[str]]) -> dict[str, object]:
    """The trace record's fields as tshark's dissection gives them."""
    family = first_ip(row)
    status = row["tcp.checksum.status"][0] if row["tcp.checksum.status"] else ""
    return {
        "src": endpoint(row[f"{family}.src"][0], row["tcp.srcport"][0]),
        "dst": endpoint(row[f"{family}.dst"][0], row["tcp.dstport"][0]),
        "seq": int(row["tcp.seq_raw"][0]),
        "ack": int(row["tcp.ack_raw"][0]),
        "flags": letters(int(row["tcp.flags"][0], 16)),
        "win": int(row["tcp.window_size_value"][0]),
        "len": int(row["tcp.len"][0]),
        "options": options(row),
        "checksum_ok": {"1": True, "0": False}.get(status),
    }


def eol_padding(got: dict[str, object], want: dict[str, object], packet: Packet | None) -> bool:
    """The one difference is tshark's final EOL, and it only pads the header with zeros."""
    if {k: v for k, v in got.items() if k != "options"} != {
        k: v for k, v in want.items() if k != "options"
    }:
        return False
    seg = packet.segment if packet is not None else None
    if seg is None or want["options"] != [*got["options"], ["eol", None]]:  # type: ignore[misc]
        return False
    options = seg.encode()[20 : seg.header_length]
    tail = len(options) - len(options.rstrip(b"\x00"))
    return 0 < tail < 4 and (len(options) - tail) % 4 != 0


def flagged(row: dict[str, list[str]]) -> bool:
    """tshark marked the frame malformed, or raised an expert warning or error on it."""
    return bool(row["_ws.malformed"]) or any(int(s) >= PI_WARN for s in row["_ws.expert.severity"])


def compare(path: Path) -> Comparison:
    """tcpcore's trace of one capture against tshark's dissection of it."""
    result = Comparison()
    rows = tshark_rows(path)
    records = trace_json(path)
    packets = {p.index + 1: p for p in read_pcap(path)}  # the same decoding as the trace's
    errors = {int(str(r["index"])) + 1: r for r in records if "error" in r}
    segments = [r for r in records if "error" not in r]
    decoded = [n for n, p in packets.items() if p.kind == "tcp"]
    assert len(segments) == len(decoded)  # one trace line per TCP packet, in file order
    ours = dict(zip(decoded, segments, strict=True))
    for n in sorted(set(rows) | set(packets)):
        row, record, packet = rows.get(n), ours.get(n), packets.get(n)
        tcp = row is not None and top_level_tcp(row)
        where = f"{path.name} frame {n}"
        if record is not None:
            if not tcp:
                result.defects.append(f"{where}: tcpcore has a segment, tshark no TCP")
                continue
            assert row is not None
            want = expected(row)
            got = {key: record[key] for key in want}
            if got == want:
                result.segments += 1
            elif eol_padding(got, want, packet):
                result.classes["eol-padding"] += 1
            else:
                diff = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
                result.defects.append(f"{where}: (tcpcore, tshark) differ: {diff}")
        elif n in errors:
            if row is None or not flagged(row):
                result.defects.append(f"{where}: tcpcore error {errors[n]['error']!r} unflagged")
            elif tcp and any("exceeds" in m for m in row["_ws.expert.message"]):
                result.classes["ip-length-beyond-wire"] += 1
            else:
                result.errors += 1
        elif tcp:
            assert row is not None and packet is not None
            reason = packet.error or ""
            if reason.startswith("TCP header cut short by the capture"):
                result.classes["tcp-header-cut"] += 1
            else:
                result.defects.append(f"{where}: tshark TCP, tcpcore skipped it ({reason})")
    return result


@pytest.fixture(scope="module")
def comparisons(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Comparison]:
    require(TSHARK is not None, "tshark is not installed (Debian package tshark)")
    made = tmp_path_factory.mktemp("made")
    return {label(path, made): compare(path) for path in captures(made)}


def label(path: Path, made: Path) -> str:
    """A capture's name in the results: its path in the repository, or made/NAME."""
    return f"made/{path.name}" if path.parent == made else path.relative_to(ROOT).as_posix()


def test_every_capture_agrees_with_tshark_field_by_field(
    comparisons: dict[str, Comparison],
) -> None:
    """Every TCP frame: the same fields as tshark, or a documented class of difference."""
    defects = [d for c in comparisons.values() for d in c.defects]
    assert defects == []
    total = sum(c.segments for c in comparisons.values())
    assert total > 1000  # the comparison really ran over the captures
    assert len(comparisons) >= 40


def test_every_documented_difference_still_occurs(comparisons: dict[str, Comparison]) -> None:
    """Each class in CLASSES is seen (a class nothing needs any more is removed, not kept)."""
    seen = Counter[str]()
    for c in comparisons.values():
        seen.update(c.classes)
    assert set(seen) == set(CLASSES)


def test_malformed_packets_are_ones_tshark_flags_too(comparisons: dict[str, Comparison]) -> None:
    """tcpcore's error lines on the made captures are frames tshark marks malformed or warns on."""
    assert comparisons["made/malformed.pcap"].errors == 6
    assert comparisons["made/lying-lengths.pcap"].classes["ip-length-beyond-wire"] == 3
    assert comparisons["made/lying-lengths.pcap"].errors == 1  # the jumbogram's length < 65536
    assert comparisons["made/lying-lengths.pcap"].segments == 1


def test_big_tcp_and_jumbograms_agree_with_tshark(comparisons: dict[str, Comparison]) -> None:
    """The TSO / BIG TCP capture: every segment decoded, as tshark decodes it."""
    assert comparisons["made/tso.pcap"].segments == 5


def test_public_captures_are_compared(comparisons: dict[str, Comparison]) -> None:
    """The public captures with TCP in them contribute segments to the comparison."""
    for name in ("pcap-parser-smtp", "gopacket-test_ethernet", "gopacket-test_loopback"):
        assert comparisons[f"tests/data/public/{name}.pcap"].segments > 5, name
