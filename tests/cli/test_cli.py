"""``tcpcore trace``: output and error paths, on captures built byte by byte in this file.

Every frame here is packed with struct and checksummed with the RFC-derived references of
``wire_helpers``, and every expected value is written by hand from the header fields chosen below,
so a test fails when tcpcore reads or prints a field wrongly. Real captures are tested in
``test_capture_differential.py``.
"""

from __future__ import annotations

import ipaddress
import json
import pkgutil
import struct
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from wire_helpers import (
    ipv4_pseudo_header,
    ipv6_pseudo_header,
    pack_header,
    reference_checksum,
    reference_tcp_checksum,
)

import tcpcore.cli
from tcpcore.capture.pcap import Packet, iter_pcap
from tcpcore.cli import build_parser, main, subcommands
from tcpcore.cli.trace import TraceCounts, format_text, trace_records

TRACE = [sys.executable, "-m", "tcpcore.cli", "trace"]
KEYS = ["t", "src", "dst", "seq", "ack", "flags", "win", "len", "options", "checksum_ok", "states"]
ERROR_KEYS = {"t", "index", "offset", "error"}
FIN, SYN, RST, PSH, ACK, ECE = 0x01, 0x02, 0x04, 0x08, 0x10, 0x40
A4, B4 = "10.0.0.1", "10.0.0.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
# mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7: 4 + 2 + 10 + 1 + 3 = 20 bytes.
SYN_OPTIONS = bytes.fromhex("020405b40402080a000000010000000001030307")


# -- building captures by hand -----------------------------------------------------------------


def tcp(
    src: str,
    dst: str,
    *,
    sport: int,
    dport: int,
    seq: int,
    ack: int = 0,
    flags: int,
    win: int = 1000,
    opts: bytes = b"",
    payload: bytes = b"",
    reserved: int = 0,
    corrupt: bool = False,
) -> bytes:
    """A TCP segment with a correct checksum (or, with corrupt, that checksum plus one)."""
    assert len(opts) % 4 == 0
    fields = dict(sport=sport, dport=dport, seq=seq, ack=ack, offset=5 + len(opts) // 4)
    fields |= dict(reserved=reserved, flags=flags, window=win, urgent=0)
    raw = pack_header(checksum=0, **fields) + opts + payload
    v6 = ":" in src
    pseudo = (ipv6_pseudo_header if v6 else ipv4_pseudo_header)(src, dst, len(raw))
    checksum = reference_tcp_checksum(raw, pseudo)
    if corrupt:
        checksum = (checksum + 1) & 0xFFFF
    return pack_header(checksum=checksum, **fields) + opts + payload


def ether(src: str, dst: str, upper: bytes, proto: int = 6) -> bytes:
    """Ethernet II + IPv4 (correct header checksum) or IPv6 around ``upper``."""
    if ":" in src:
        ip = struct.pack("!IHBB", 6 << 28, len(upper), proto, 64)
        ip += ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed
        return bytes(12) + b"\x86\xdd" + ip + upper
    addrs = ipaddress.IPv4Address(src).packed + ipaddress.IPv4Address(dst).packed
    head = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(upper), 1, 0x4000, 64, proto, 0) + addrs
    checksum = reference_checksum(head)
    head = head[:10] + checksum.to_bytes(2, "big") + head[12:]
    return bytes(12) + b"\x08\x00" + head + upper


def record(sec: int, usec: int, frame: bytes, caplen: int | None = None) -> bytes:
    """A classic pcap record (little-endian), optionally cut to ``caplen`` bytes."""
    data = frame if caplen is None else frame[:caplen]
    return struct.pack("<IIII", sec, usec, len(data), len(frame)) + data


PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def write(path: Path, records: list[bytes]) -> Path:
    path.write_bytes(PCAP_HEADER + b"".join(records))
    return path


def c2s(**kw: object) -> bytes:
    return ether(A4, B4, tcp(A4, B4, sport=1234, dport=80, **kw))  # type: ignore[arg-type]


def s2c(**kw: object) -> bytes:
    return ether(B4, A4, tcp(B4, A4, sport=80, dport=1234, **kw))  # type: ignore[arg-type]


UDP = ether(A4, B4, struct.pack("!HHHH", 5353, 53, 12, 0) + b"abcd", proto=17)
BIG_PAYLOAD = bytes(range(100))

# The capture, and what each of its TCP segments must print as: (t, src, dst, seq, ack, flags,
# win, len, options, checksum_ok), all from the arguments above, by hand.
STORY = [
    record(1000, 1, c2s(seq=100, flags=SYN, win=65535, opts=SYN_OPTIONS)),
    record(1000, 500000, s2c(seq=300, ack=101, flags=SYN | ACK | ECE, win=64000)),
    record(1001, 0, c2s(seq=101, ack=301, flags=ACK)),
    record(1001, 10, UDP),
    record(1001, 20, c2s(seq=101, ack=301, flags=PSH | ACK, payload=b"hello")),
    record(1001, 30, s2c(seq=301, ack=106, flags=ACK, reserved=1)),
    record(1001, 40, c2s(seq=106, ack=301, flags=FIN | PSH | ACK, payload=b"bye", corrupt=True)),
    record(1001, 50, s2c(seq=301, ack=110, flags=ACK, payload=BIG_PAYLOAD), caplen=14 + 20 + 30),
    record(1001, 60, ether(A6, B6, tcp(A6, B6, sport=5, dport=443, seq=7, flags=0))),
    record(1001, 70, ether(B6, A6, tcp(B6, A6, sport=443, dport=5, seq=0, ack=7, flags=RST | ACK))),
    record(1002, 0, c2s(seq=110, flags=RST)),
]
SYN_OPTIONS_JSON = [["mss", 1460], ["sackOK", None], ["TS", [1, 0]], ["nop", None], ["wscale", 7]]
A, B = f"{A4}:1234", f"{B4}:80"
A_6, B_6 = f"[{A6}]:5", f"[{B6}]:443"
EXPECTED = [
    (1000.000001, A, B, 100, 0, "S", 65535, 0, SYN_OPTIONS_JSON, True),
    (1000.5, B, A, 300, 101, "S.E", 64000, 0, [], True),
    (1001.0, A, B, 101, 301, ".", 1000, 0, [], True),
    (1001.00002, A, B, 101, 301, "P.", 1000, 5, [], True),
    (1001.00003, B, A, 301, 106, ".e", 1000, 0, [], True),
    (1001.00004, A, B, 106, 301, "FP.", 1000, 3, [], False),
    (1001.00005, B, A, 301, 110, ".", 1000, 100, [], None),  # 10 of 100 bytes captured
    (1001.00006, A_6, B_6, 7, 0, "none", 1000, 0, [], True),
    (1001.00007, B_6, A_6, 0, 7, "R.", 1000, 0, [], True),
    (1002.0, A, B, 110, 0, "R", 1000, 0, [], True),
]


@pytest.fixture
def story(tmp_path: Path) -> Path:
    return write(tmp_path / "story.pcap", STORY)


Ran = subprocess.CompletedProcess[str]


def run_trace(*args: str | Path) -> Ran:
    """A real ``python -m tcpcore.cli trace ...`` process."""
    return subprocess.run(
        [*TRACE, *map(str, args)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def trace(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Ran:
    """``tcpcore trace ...`` in this process (fast); the real-process variant is run_trace."""
    capsys.readouterr()
    code = main(["trace", *map(str, args)])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["tcpcore", "trace", *map(str, args)], code, out, err)


def assert_one_clean_line(stderr: str, *needles: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0]


# -- the JSON output -------------------------------------------------------------------------


# Each endpoint's state after each line of STORY, worked out from RFC 9293 3.10.7: the SYN puts
# A in SYN-SENT and B in SYN-RECEIVED; B's FIN-less ACK of 110 covers A's FIN (seq 109), so A
# reaches FIN-WAIT-2 while B sits in CLOSE-WAIT; the IPv6 pair starts mid-connection (unknown)
# and only the RST's sender is certain; A's RST at B's RCV.NXT (110) closes B too.
ES, FW1, FW2, CW = "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT"
EXPECTED_STATES = [
    {A: "SYN-SENT", B: "SYN-RECEIVED"},
    {A: ES, B: "SYN-RECEIVED"},
    {A: ES, B: ES},
    {A: ES, B: ES},
    {A: ES, B: ES},
    {A: FW1, B: CW},
    {A: FW2, B: CW},
    {A_6: None, B_6: None},
    {A_6: None, B_6: "CLOSED"},
    {A: "CLOSED", B: "CLOSED"},
]


def test_json_has_exactly_the_contract_keys_and_hand_derived_values(story: Path) -> None:
    done = run_trace(story, "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the summary is for humans: text mode only
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(EXPECTED)  # the UDP datagram is skipped
    for got, want, states in zip(lines, EXPECTED, EXPECTED_STATES, strict=True):
        assert list(got) == KEYS
        t, *rest = want
        assert got["t"] == pytest.approx(t, abs=1e-7)
        assert [got[k] for k in KEYS[1:-1]] == rest
        assert got["states"] == states


def test_main_in_process_agrees_with_the_subprocess(
    story: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", str(story), "--json"]) == 0
    assert capsys.readouterr().out == run_trace(story, "--json").stdout


# -- the text output -------------------------------------------------------------------------


def test_text_lines_read_like_tcpdump(story: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = trace(capsys, story)
    assert done.returncode == 0
    full = done.stdout.splitlines()
    assert full[0].endswith(f"  [{A} SYN-SENT, {B} SYN-RECEIVED]")
    assert full[7].endswith(f"  [{A_6} unknown, {B_6} unknown]")
    lines = [line.split("  [")[0] for line in full]  # the tcpdump-like part
    assert len(lines) == len(EXPECTED)
    assert lines[0] == (
        f"1000.000001 {A} > {B}: Flags [S], seq 100, win 65535, "
        "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"
    )
    assert lines[1] == f"1000.500000 {B} > {A}: Flags [S.E], seq 300, ack 101, win 64000, length 0"
    assert lines[3] == f"1001.000020 {A} > {B}: Flags [P.], seq 101, ack 301, win 1000, length 5"
    assert lines[5].endswith("Flags [FP.], seq 106, ack 301, win 1000, length 3, bad checksum")
    assert lines[6].endswith("length 100, checksum not verifiable")
    assert lines[7] == f"1001.000060 {A_6} > {B_6}: Flags [none], seq 7, win 1000, length 0"
    assert lines[9] == f"1002.000000 {A} > {B}: Flags [R], seq 110, win 1000, length 0"
    assert_one_clean_line(
        done.stderr, str(story), "10 TCP segments", "0 malformed", "1 other packet skipped"
    )


# -- bad input -------------------------------------------------------------------------------


def test_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pcap"
    done = run_trace(missing)
    assert done.returncode == 2
    assert done.stdout == ""
    assert_one_clean_line(done.stderr, str(missing), "No such file")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"hello, this is not a capture\n" * 10,
        bytes(range(256)) * 4,
        b"\x0a\x0d\x0d",  # three bytes of a pcapng magic
    ],
    ids=["empty", "text", "binary", "three-bytes"],
)
def test_a_file_that_is_not_a_capture_is_one_line_and_exit_2(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.pcap"
    garbage.write_bytes(content)
    done = trace(capsys, garbage, "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert_one_clean_line(done.stderr, str(garbage))


def test_a_directory_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = trace(capsys, tmp_path)
    assert done.returncode == 2
    assert_one_clean_line(done.stderr, str(tmp_path))


def test_malformed_packet_gets_an_error_line_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tcp(A4, B4, sport=1234, dport=80, seq=100, flags=SYN)
    bad = bytearray(good)
    bad[12] = 3 << 4  # data offset 3 < 5: no valid TCP header says that
    path = write(
        tmp_path / "malformed.pcap",
        [record(1, 0, ether(A4, B4, good)), record(2, 0, ether(A4, B4, bytes(bad))), STORY[2]],
    )
    done = trace(capsys, path, "--json")
    assert done.returncode == 0  # a malformed packet is content, reported in-band
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [sorted(line) for line in lines] == [sorted(KEYS), sorted(ERROR_KEYS), sorted(KEYS)]
    error = lines[1]
    assert error["index"] == 1
    assert error["offset"] == 24 + 16 + len(ether(A4, B4, good))  # where record 1 starts
    assert error["t"] == 2.0
    assert "offset" in error["error"] and "3" in error["error"]
    assert lines[2]["seq"] == 101
    text = trace(capsys, path)
    assert "error" in text.stdout.splitlines()[1]
    assert "1 malformed" in text.stderr


def test_tcp_header_cut_by_the_snap_length_is_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record whose captured bytes stop inside the TCP header (a snap length too short): no
    segment to print, not malformed either; the packets around it still print."""
    frame = c2s(seq=555, ack=301, flags=ACK)
    cut = record(1001, 0, frame, caplen=14 + 20 + 12)
    path = write(tmp_path / "cut.pcap", [STORY[0], cut, STORY[2]])
    done = trace(capsys, path, "--json")
    assert done.returncode == 0
    assert [json.loads(line)["seq"] for line in done.stdout.splitlines()] == [100, 101]
    text = trace(capsys, path)
    assert "2 TCP segments, 0 malformed packets" in text.stderr
    assert "1 other packet skipped" in text.stderr


def test_damaged_record_header_in_the_middle_is_an_error_line_then_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record header whose captured length no capture can have: the reader skips to the next
    plausible record; the trace reports the damage where it was and prints what follows."""
    damaged = struct.pack("<IIII", 1001, 5, 0xFFFF_FFF0, 60) + b"\xee" * 60
    path = write(tmp_path / "damaged.pcap", [*STORY[:3], damaged, *STORY[4:]])
    done = trace(capsys, path, "--json")
    assert done.returncode == 1  # the output is incomplete: say so in the status
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line.get("seq") for line in lines[:3]] == [100, 300, 101]
    assert set(lines[3]) == ERROR_KEYS
    assert (lines[3]["index"], lines[3]["offset"]) == (3, 24 + sum(len(r) for r in STORY[:3]))
    assert [line["seq"] for line in lines[4:]] == [want[3] for want in EXPECTED[3:]]


def test_record_cut_short_in_the_middle_does_not_lose_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record that claims 40 bytes more than were written before the next record (a writer
    that died and was restarted): the reader goes wrong, notices, and finds its way back."""
    head, body = STORY[4][:16], STORY[4][16:]
    sec, usec, caplen, wire = struct.unpack("<IIII", head)
    lying = struct.pack("<IIII", sec, usec, caplen + 40, wire + 40) + body
    path = write(tmp_path / "cut.pcap", [*STORY[:4], lying, *STORY[5:]])
    done = trace(capsys, path, "--json")
    assert "Traceback" not in done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line.get("seq") for line in lines[:3]] == [100, 300, 101]
    assert any("error" in line for line in lines[3:])
    tail = [line.get("seq") for line in lines if "error" not in line][-3:]
    assert tail == [want[3] for want in EXPECTED[-3:]]  # the last records are all there


def test_pcapng_block_cut_in_the_middle_is_an_error_line_then_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pcapng frames every block with its length, so a damaged packet block can be stepped over."""

    def block(btype: int, body: bytes) -> bytes:
        body += bytes(-len(body) % 4)
        return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    def epb(usec: int, frame: bytes, caplen: int | None = None) -> bytes:
        n = len(frame) if caplen is None else caplen
        return block(6, struct.pack("<IIIII", 0, 0, usec, n, len(frame)) + frame)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", 1, 0, 0))
    frames = [c2s(seq=100, flags=SYN), c2s(seq=101, flags=ACK), c2s(seq=102, flags=ACK)]
    # The middle block says it captured 200 bytes more than it holds.
    blocks = [epb(1, frames[0]), epb(2, frames[1], caplen=len(frames[1]) + 200), epb(3, frames[2])]
    path = tmp_path / "cut.pcapng"
    path.write_bytes(shb + idb + b"".join(blocks))
    done = trace(capsys, path, "--json")
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [sorted(line) for line in lines] == [sorted(KEYS), sorted(ERROR_KEYS), sorted(KEYS)]
    assert (lines[0]["seq"], lines[2]["seq"]) == (100, 102)
    assert lines[1]["offset"] == len(shb) + len(idb) + len(blocks[0])
    assert lines[0]["t"] == pytest.approx(1e-6)


def test_unreadable_record_at_the_end_is_an_error_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file ends in the middle of a record: what came before is printed, then the error."""
    cut = STORY[4][:30]
    path = write(tmp_path / "truncated.pcap", [*STORY[:3], cut])
    done = trace(capsys, path, "--json")
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line.get("seq") for line in lines[:3]] == [100, 300, 101]
    assert set(lines[3]) == ERROR_KEYS
    assert lines[3]["index"] == 3
    assert lines[3]["offset"] == 24 + sum(len(r) for r in STORY[:3])
    assert lines[3]["t"] is None
    text = trace(capsys, path)
    assert text.returncode == 1
    assert "1 unreadable" in text.stderr


# -- the command line itself -----------------------------------------------------------------


def test_help_explains_the_inferred_states(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--json" in out
    assert "passive observer infers" in out
    assert "null where the capture cannot tell" in out
    assert "two endpoints of this segment's connection" in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "trace" in capsys.readouterr().err


def test_console_script_is_installed_and_runs(story: Path) -> None:
    script = Path(sys.executable).with_name("tcpcore")
    if not script.exists():
        pytest.skip("the tcpcore script is not installed in this environment")
    done = subprocess.run([script, "trace", story, "--json"], capture_output=True, text=True)
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == len(EXPECTED)


# -- a closed pipe ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Far more output (about 1.5 MB) than a pipe buffer holds, so the writer must block."""
    path = tmp_path_factory.mktemp("big") / "big.pcap"
    one = record(1000, 1, c2s(seq=100, flags=SYN, win=65535, opts=SYN_OPTIONS))
    return write(path, [one] * 12_000)


@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["text", "json"])
def test_closed_pipe_ends_quietly(big_capture: Path, mode: list[str]) -> None:
    proc = subprocess.Popen(
        [*TRACE, str(big_capture), *mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    assert b"100" in first
    proc.stdout.close()  # like `head -1` exiting
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert err == "" or "TCP segments" not in err  # no summary for a reader that left
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception" not in err


def test_closed_pipe_in_a_real_shell_pipeline(big_capture: Path) -> None:
    command = f"set -o pipefail; {sys.executable} -m tcpcore.cli trace {big_capture} | head -n 2"
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2
    assert done.stderr == ""


# -- the states hook -------------------------------------------------------------------------


class CountingObserver:
    """A stand-in for the state observer: says how many segments each endpoint has sent."""

    def __init__(self) -> None:
        self.sent: dict[str, int] = {}

    def annotate(self, packets: Iterable[Packet]) -> Iterator[tuple[Packet, dict[str, str | None]]]:
        for packet in packets:
            if packet.kind != "tcp" or packet.src is None or packet.dst is None:
                yield packet, {}
                continue
            self.sent[packet.src] = self.sent.get(packet.src, 0) + 1
            yield packet, {packet.src: f"SENT-{self.sent[packet.src]}", packet.dst: None}


def test_a_plugged_in_observer_fills_states_in_json_and_text(story: Path) -> None:
    counts = TraceCounts()
    records = list(trace_records(iter_pcap(story), [], CountingObserver(), counts))
    assert (counts.tcp, counts.other, counts.malformed) == (10, 1, 0)
    first, second, third = (r for _, r in records[:3])
    assert first["states"] == {A: "SENT-1", B: None}
    assert second["states"] == {B: "SENT-1", A: None}
    assert third["states"] == {A: "SENT-2", B: None}
    text = format_text(third, records[2][0])
    assert text.endswith(f"length 0  [{A} SENT-2, {B} unknown]")


# -- the scenario subcommand, through the real entry point -------------------------------------


def test_every_module_of_the_cli_package_is_a_subcommand_of_main() -> None:
    """Each tcpcore/cli/ module (but __main__) is a subcommand under its own name, in --help."""
    modules = {m.name for m in pkgutil.iter_modules(tcpcore.cli.__path__)} - {"__main__"}
    assert (
        {command.name for command in subcommands()} == modules == {"trace", "scenario", "pktscript"}
    )
    usage = build_parser().format_help()
    assert all(f"    {name} " in usage or f"    {name}\n" in usage for name in modules), usage


def test_scenario_subcommand_is_wired_into_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("handshake", "simultaneous-close", "syn-flood", "old-duplicate-syn"):
        assert name in out
    assert main(["scenario", "no-such-scenario"]) == 2
    assert "unknown scenario" in capsys.readouterr().err


def test_scenario_piped_into_head_exits_quietly() -> None:
    done = subprocess.run(
        f"{sys.executable} -m tcpcore scenario client-closes-first --json | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0
    assert "Traceback" not in done.stderr
    first = json.loads(done.stdout)
    assert first.get("flags") == "S" or "event" in first


def test_pktscript_subcommand_is_wired_into_main(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A passive open whose SYN+ACK the script expects with the wrong ack: the reference must
    # answer ack 1 (the peer's ISN 0 plus its SYN), so "ack 5" fails on that line.
    script = tmp_path / "bad.pkt"
    script.write_text(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0 bind(3, ..., ...) = 0\n"
        "+0 listen(3, 1) = 0\n"
        "+0 < S 0:0(0) win 32792 <mss 1000>\n"
        "+0 > S. 0:0(0) ack 5 <...>\n"
    )
    code = main(["pktscript", str(script), "--profile", "linux"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 1
    assert out[-1].startswith("FAIL") and "line 5" in out[-1]
    script.write_text(script.read_text().replace("ack 5", "ack 1"))
    assert main(["pktscript", str(script), "--profile", "linux"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("PASS")
