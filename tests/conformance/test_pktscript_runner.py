"""The packetdrill runner (tcpcore.conformance.runner) on scripts written for this file.

Each script tells a short story whose every expected segment was worked out by hand from RFC 9293
and the profile's values; each test then checks that the runner passes it, and that a changed
expectation or a different profile makes it fail at the right line for the right reason. The
real-world scripts are in tests/conformance/test_conformance_packetdrill.py.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from tcpcore.cli import main as tcpcore_main
from tcpcore.cli import pktscript as pktscript_cli
from tcpcore.conformance import (
    EXIT_FAIL,
    EXIT_NOT_RUNNABLE,
    EXIT_PASS,
    POLICIES,
    policy_for,
    profile_for,
    run_file,
    run_text,
)
from tcpcore.conformance.runner import LOCAL_ISS
from tcpcore.protocol.profiles import LINUX, ProfileError

sys.path.insert(0, str(ROOT / "tools"))
import conformance_report  # tools/ is not a package: found through sys.path

# An active open under linux: our SYN offers SACK and window scale 8; the peer's SYN+ACK offers
# window scale 3 and MSS 500. Its window of 1000 is 1000 bytes in the SYN+ACK (never scaled, RFC
# 7323 2.2) but 8000 in its next segment, so 1200 bytes leave as 500 + 500 + 200, which
# packetdrill on Linux would see as one segment. From ISS 2**32 - 1024 the data crosses the wrap.
ACTIVE = """--tolerance_usecs=4000
0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0   > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 8>
+.05 < S. 0:0(0) ack 1 win 1000 <mss 500,nop,wscale 3>
+0   > . 1:1(0) ack 1
+0   %{ assert tcpi_state == TCPI_ESTABLISHED }%
+0   < . 1:1(0) ack 1 win 1000
+0   write(3, ..., 1200) = 1200
+0   > P. 1:1201(1200) ack 1
+.05 < . 1:1(0) ack 1201 win 1000
+0   close(3) = 0
+0   > F. 1201:1201(0) ack 1
+.05 < F. 1:1(0) ack 1202 win 1000
+0   > . 1202:1202(0) ack 2
+0   %{ assert tcpi_state == TCPI_TIME_WAIT }%
"""

# A passive open under linux; the peer's data is left partly unread, so close() resets
# (RFC 2525 2.17, Linux tcp_close()) with RST+ACK (tcp_send_active_reset()).
PASSIVE = """0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 4000 <mss 1000>
+0  > S. 0:0(0) ack 1 <mss 1460>
+.1 < . 1:1(0) ack 1 win 4000
+0  accept(3, ..., ...) = 4
+0  < P. 1:301(300) ack 1 win 4000
+0  > . 1:1(0) ack 301
+0  ioctl(4, SIOCINQ, [300]) = 0
+0  read(4, ..., 100) = 100
+0  ioctl(4, SIOCINQ, [200]) = 0
+.1 close(4) = 0
+0  > R. 1:1(0) ack 301
+0  close(3) = 0
"""

HANDSHAKE = """0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0   > S 0:0(0) <...>
+.1  < S. 0:0(0) ack 1 win 1000
+0   > . 1:1(0) ack 1
"""


def last_line_of(text: str, profile: str = "linux") -> str:
    result = run_text(text, profile)
    assert result.exit_code == {"pass": 0, "fail": 1}.get(result.verdict, 2)
    return result.message


def with_line(text: str, number: int, new: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


# -- whole stories ------------------------------------------------------------------------------


def test_active_open_data_and_close_pass_under_linux() -> None:
    result = run_text(ACTIVE, "linux")
    assert (result.verdict, result.exit_code) == ("pass", EXIT_PASS)
    assert result.message == "PASS: 15 lines run, none skipped"
    assert LOCAL_ISS + 1201 > 2**32  # the data did cross the wrap


def test_passive_open_read_and_reset_on_close_pass_under_linux() -> None:
    assert last_line_of(PASSIVE) == "PASS: 15 lines run, none skipped"


def test_the_same_story_fails_under_another_profile_where_it_differs() -> None:
    # FreeBSD offers window scale 6, not 8.
    assert last_line_of(ACTIVE, "freebsd") == (
        "FAIL line 4: expected > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 8> at 0.000 s, "
        "got S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,eol,eol> at 0.000 s: option wscale"
    )
    # The RFC's endpoint scales no window: the peer's 1000 bytes are 1000, sent as 500 + 500.
    assert last_line_of(ACTIVE, "rfc9293") == (
        "FAIL line 10: expected > P. 1:1201(1200) ack 1 at 0.050 s, "
        "got . 1:501(500) ack 1 win 65535 at 0.050 s: flags, length"
    )
    # close() with unread data sends a FIN in the RFC (3.10.4), a RST on Linux.
    assert last_line_of(PASSIVE, "rfc9293") == (
        "FAIL line 14: expected > R. 1:1(0) ack 301 at 0.200 s, "
        "got F. 1:1(0) ack 301 win 65335 at 0.200 s: flags"
    )


# -- what makes a run fail ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "line", "why"),
    [
        (6, "+0   > . 1:1(0) ack 2", "ack"),
        (6, "+0   > . 2:2(0) ack 1", "seq"),
        (6, "+0   > F. 1:1(0) ack 1", "flags"),
        (6, "+0   > . 1:1(0) ack 1 win 7", "win"),
        (6, "+0   > . 1:1(0) ack 1 <mss 1460>", "option mss"),
        # Coalescing stops at the line's length: 1000 of 1200 bytes, without the last one's PSH.
        (10, "+0   > P. 1:1001(1000) ack 1", "flags"),
        (10, "+0   > P. 1:1301(1300) ack 1", "length"),
        (13, "+0   > F. 1201:1201(0) ack 1 <nop,nop,sack 1:2>", "option sack"),
        (4, "+0   > S 0:0(0) <mss 1400,nop,nop,sackOK,nop,wscale 8>", "option mss"),
        (4, "+0   > S 0:0(0) <mss 1460,nop,wscale 8>", "option sackOK"),
        (4, "+.003 > S 0:0(0) <...>", ""),
        (4, "+.005 > S 0:0(0) <...>", "time (tolerance 0.004 s)"),
        (16, "+0   %{ assert tcpi_state == TCPI_CLOSING }%", "(CLOSING), got TIME-WAIT"),
    ],
)
def test_a_wrong_expectation_fails_naming_its_line(number: int, line: str, why: str) -> None:
    message = last_line_of(with_line(ACTIVE, number, line))
    if not why:
        assert message.startswith("PASS")  # within the tolerance
    else:
        assert message.startswith(f"FAIL line {number}: expected ")
        assert message.endswith(why)


def test_a_segment_no_line_expects_fails_at_the_next_event() -> None:
    text = with_line(ACTIVE, 6, "// the ACK of the SYN+ACK is not expected")
    assert last_line_of(text) == (
        "FAIL line 7: expected %{ assert tcpi_state == TCPI_ESTABLISHED }% next, got an "
        "unexpected segment . 1:1(0) ack 1 win 255 at 0.050 s (sent after line 5)"
    )


def test_a_segment_that_never_comes_fails() -> None:
    text = HANDSHAKE + "+0 > P. 1:11(10) ack 1\n"
    assert last_line_of(text) == (
        "FAIL line 6: expected > P. 1:11(10) ack 1 at 0.100 s, got nothing by 0.104 s"
    )


def test_the_tolerance_comes_from_the_script() -> None:
    late = with_line(ACTIVE, 4, "+.02 > S 0:0(0) <...>")
    assert last_line_of(late).endswith("time (tolerance 0.004 s)")
    assert last_line_of(with_line(late, 1, "--tolerance_usecs=25000")).startswith("PASS")


def test_time_windows_follow_the_retransmission_timer() -> None:
    """rfc9293: the SYN again after the initial RTO (1 s), then after 2 s (RFC 6298 2.1, 5.5)."""
    base = HANDSHAKE.splitlines()[:3]
    good = [*base, "+.9~+1.1 > S 0:0(0) <mss 1460>", "+1.9~+2.1 > S 0:0(0) <mss 1460>"]
    assert last_line_of("\n".join(good) + "\n", "rfc9293").startswith("PASS")
    early = [*base, "+.5~+.6 > S 0:0(0) <mss 1460>"]
    assert last_line_of("\n".join(early) + "\n", "rfc9293") == (
        "FAIL line 4: expected > S 0:0(0) <mss 1460> in 0.500...0.600 s, got nothing by 0.604 s"
    )


# -- blocking calls -----------------------------------------------------------------------------

BLOCKING_CONNECT = """0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.3 connect(3, ..., ...) = 0
+0  > S 0:0(0) <...>
+.3 < S. 0:0(0) ack 1 win 1000
+0  > . 1:1(0) ack 1
"""


def test_a_blocking_call_returns_within_its_range() -> None:
    assert last_line_of(BLOCKING_CONNECT).startswith("PASS")
    slow = with_line(BLOCKING_CONNECT, 2, "+0...0.1 connect(3, ..., ...) = 0")
    assert last_line_of(slow) == (
        "FAIL line 2: expected connect(3, ..., ...) = 0 by 0.100 s, still blocked at 0.300 s"
    )
    never = "\n".join(BLOCKING_CONNECT.splitlines()[:3]) + "\n"
    assert last_line_of(never) == (
        "FAIL line 2: expected connect(3, ..., ...) = 0, but it never returned"
    )


def test_a_blocking_read_returns_when_data_arrives() -> None:
    text = [
        *PASSIVE.splitlines()[:7],
        "+0...0.3 read(4, ..., 100) = 50",
        "+.2 < P. 1:51(50) ack 1 win 4000",
        "+0 > . 1:1(0) ack 51",
        "+0 read(4, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)",
    ]
    assert last_line_of("\n".join(text) + "\n").startswith("PASS")


# -- socket options and errors ------------------------------------------------------------------


def test_connection_refused_is_reported_by_so_error_once() -> None:
    text = """0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+.1 < R. 0:0(0) ack 1 win 0
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0 write(3, ..., 10) = -1 EPIPE (Broken pipe)
"""
    assert last_line_of(text).startswith("PASS")
    wrong = with_line(text, 5, "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0")
    assert last_line_of(wrong) == (
        "FAIL line 5: expected getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0, "
        "got SO_ERROR [ECONNREFUSED]"
    )


KEEPALIVE = """0  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0
+0 setsockopt(3, SOL_TCP, TCP_KEEPIDLE, [5], 4) = 0
+0 setsockopt(3, SOL_TCP, TCP_KEEPINTVL, [2], 4) = 0
+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPCNT, [2], 4) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+.1 < S. 0:0(0) ack 1 win 1000
+0 > . 1:1(0) ack 1
+5 > . 0:0(0) ack 1
+2 > . 0:0(0) ack 1
+2 > R. 1:1(0) ack 1
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ETIMEDOUT], [4]) = 0
"""


def test_keepalive_probes_then_reset_under_linux() -> None:
    """RFC 1122 4.2.3.6: probes <SEQ=SND.NXT-1> after 5 s idle, then every 2 s; after 2
    unanswered, Linux gives up with a RST (tcp_keepalive_timer())."""
    assert last_line_of(KEEPALIVE).startswith("PASS")


def test_keepalive_switched_on_after_the_handshake_counts_from_the_last_segment() -> None:
    lines = KEEPALIVE.splitlines()
    moved = [lines[0], *lines[2:9], "+.9 setsockopt(3, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0"]
    moved += ["+4.1 > . 0:0(0) ack 1", *lines[10:]]
    assert last_line_of("\n".join(moved) + "\n").startswith("PASS")


def test_so_linger_zero_turns_close_into_abort() -> None:
    text = HANDSHAKE + (
        "+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
        "+0 close(3) = 0\n"
        "+0 > R. 1:1(0) ack 1\n"
    )
    assert last_line_of(text).startswith("PASS")
    assert last_line_of(text, "rfc9293") == (
        "FAIL line 8: expected > R. 1:1(0) ack 1 at 0.100 s, got R 1:1(0) win 0 at 0.100 s: "
        "flags, ack"
    )


def test_user_timeout_ends_the_connection() -> None:
    """RTO 0.3 s (SRTT 0.1 s), so the data is resent at 0.5 s; the 0.5 s user timeout counted
    from the first transmission ends it at 0.7 s without a segment (RFC 1122 4.2.3.5)."""
    text = [
        *PASSIVE.splitlines()[:7],
        "+0 setsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [500], 4) = 0",
        "+.1 write(4, ..., 100) = 100",
        "+0 > P. 1:101(100) ack 1",
        "+.3 > P. 1:101(100) ack 1",
        "+.3 getsockopt(4, SOL_SOCKET, SO_ERROR, [ETIMEDOUT], [4]) = 0",
        "+0 %{ assert tcpi_state == TCPI_CLOSE }%",
    ]
    assert last_line_of("\n".join(text) + "\n").startswith("PASS")


def test_skipped_lines_are_counted_by_kind() -> None:
    text = """`echo setup`
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], [4]) = 0
+0 `sysctl -q net.ipv4.tcp_sack=1`
+0 close(3) = 0
"""
    assert last_line_of(text) == (
        "PASS: 2 lines run, 5 skipped (1 fcntl, 1 getsockopt SO_RCVBUF, "
        "1 setsockopt SO_REUSEADDR, 2 shell)"
    )


def test_calls_on_a_closed_fd_fail() -> None:
    text = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n+0 close(3) = 0\n"
    assert last_line_of(text) == (
        "FAIL line 3: expected close(3) = 0, but fd 3 is not open (EBADF)"
    )


# -- policies, profiles, files ------------------------------------------------------------------


def test_every_profile_has_a_comparison_policy() -> None:
    from tcpcore.protocol.profiles import PROFILES

    for profile in PROFILES.values():
        assert policy_for(profile) is POLICIES[profile.name]
    with pytest.raises(ProfileError, match="no pktscript comparison policy"):
        policy_for(LINUX.with_(name="bsd-2.11"))


def test_the_profile_follows_the_stack_the_script_was_written_for() -> None:
    assert profile_for(Path("freebsd-net-tcp-testsuite/snippets/x.pkt")) == "freebsd"
    assert profile_for(Path("x.pkt"), "`sysctl -w net.inet.tcp.msl=3`") == "freebsd"
    assert profile_for(Path("google-packetdrill/gtests/net/tcp/close/x.pkt")) == "linux"


def test_command_line_exit_codes_and_last_line(tmp_path: Path) -> None:
    good, bad, odd = tmp_path / "good.pkt", tmp_path / "bad.pkt", tmp_path / "odd.pkt"
    good.write_text(ACTIVE)
    bad.write_text(with_line(ACTIVE, 6, "+0   > . 1:1(0) ack 9"))
    odd.write_text(ACTIVE + "+0 poll([], 0, 0) = 0\n")
    for path, code, start in (
        (good, EXIT_PASS, "PASS: "),
        (bad, EXIT_FAIL, "FAIL line 6: "),
        (odd, EXIT_NOT_RUNNABLE, "NOT RUNNABLE line 17: poll()"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "tcpcore.cli", "pktscript", str(path), "--profile", "linux"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == code, proc.stderr
        assert proc.stdout.splitlines()[-1].startswith(start)
    assert run_file(good).verdict == "pass"


def test_command_line_reports_a_missing_file(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    args = argparse.Namespace(file=str(tmp_path / "nope.pkt"), profile=None, verbose=False)
    assert pktscript_cli.run(args, out, err) == EXIT_NOT_RUNNABLE
    assert err.getvalue().startswith("tcpcore pktscript: cannot read ")
    assert out.getvalue() == ""


def test_the_subcommand_wiring(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``tcpcore pktscript FILE -v`` through main: the profile line, each event, the verdict."""
    script = tmp_path / "s.pkt"
    script.write_text(PASSIVE)
    assert tcpcore_main(["pktscript", str(script), "--profile", "rfc9293", "-v"]) == EXIT_FAIL
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{script} under profile rfc9293"
    assert any(line.endswith("sent F. 1:1(0) ack 301 win 65335") for line in lines)
    assert lines[-1].startswith("FAIL line 14: ")


def test_the_table_generator(tmp_path: Path) -> None:
    (tmp_path / "freebsd").mkdir()
    (tmp_path / "freebsd" / "a.pkt").write_text(PASSIVE)
    (tmp_path / "b.pkt").write_text(ACTIVE)
    table = conformance_report.render_table([tmp_path])
    lines = table.splitlines()
    rows = [line for line in lines if line.startswith(f"| {tmp_path.name}/") and ".pkt |" in line]
    # Counts per group (the suite's first folders) and profile come first.
    assert [line for line in lines if line.startswith(f"| {tmp_path.name} ")] == [
        f"| {tmp_path.name} | linux | 1 | 1 | 0 | 0 |"
    ]
    assert f"| {tmp_path.name}/freebsd | freebsd | 1 | 0 | 0 | 1 |" in lines
    assert rows == [
        f"| {tmp_path.name}/b.pkt | linux | pass | 15 lines run, none skipped |",
        # FreeBSD closes with a FIN even with unread data. Its window: 65536 bytes rounded up to
        # 66 segments of the peer's 1000, less 200 unread, shown as at most 65535.
        f"| {tmp_path.name}/freebsd/a.pkt | freebsd | fail | FAIL line 14: expected > R. 1:1(0) "
        "ack 301 at 0.200 s, got F. 1:1(0) ack 301 win 65535 at 0.200 s: flags |",
    ]
    out = io.StringIO()
    assert conformance_report.main(["--table", str(tmp_path)], out) == 0
    assert out.getvalue() == table


def test_the_table_generator_names_a_folder_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tools/conformance_report.py refuses a DIR that does not exist: exit 2, naming it."""
    missing = tmp_path / "nope"
    with pytest.raises(SystemExit) as exc:
        conformance_report.main(["--summary", str(missing)], io.StringIO())
    assert exc.value.code == 2
    assert f"not a folder: {missing}" in capsys.readouterr().err


# FreeBSD over IPv6, as its tcp-testsuite writes it: the SYN offers MSS 1440 (the IPv6 header is 20
# bytes longer) in FreeBSD's layout; the sysctl lines choose RFC 793's answer to a RST in the
# window (insecure_rst=1), so a RST at RCV.NXT + 10 resets and SO_ERROR says why.
FREEBSD_V6 = """--ip_version=ipv6
 0.00 `sysctl -w net.inet.tcp.insecure_rst=1`
+0.00 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0.00 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0.00 > S 0:0(0) win 65535 <mss 1440,nop,wscale 6,sackOK,eol,eol>
+0.10 < S. 0:0(0) ack 1 win 32767 <mss 1440,sackOK,eol,eol>
+0.00 > . 1:1(0) ack 1 win 65535
+0.10 < R 11:11(0) win 32767
+0.00 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0
+0.00 close(3) = 0
"""


def test_a_freebsd_sysctl_is_a_variant_of_the_profile() -> None:
    """insecure_rst=1 makes an in-window RST reset (RFC 793); without it, a challenge ACK."""
    assert run_text(FREEBSD_V6, "freebsd").message == "PASS: 9 lines run, none skipped"
    secure = FREEBSD_V6.replace("insecure_rst=1", "insecure_rst=0")
    assert run_text(secure, "freebsd").message == (
        "FAIL line 9: expected getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0, "
        "got SO_ERROR [0]"
    )


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("net.inet.tcp.ecn.enable=1", "ECN negotiation (RFC 3168) is outside the course's subset"),
        ("net.inet.tcp.abc_l_var=2", "not modelled by the freebsd profile"),
        ("net.inet.tcp.insecure_rst=2", "only 0 and 1 are modelled, not 2"),
    ],
)
def test_a_sysctl_the_profile_cannot_take_is_not_runnable(setting: str, reason: str) -> None:
    """A FreeBSD setting outside the profile's table names itself and why, before anything runs."""
    script = FREEBSD_V6.replace("net.inet.tcp.insecure_rst=1", setting)
    result = run_text(script, "freebsd")
    assert result.exit_code == EXIT_NOT_RUNNABLE
    assert result.message.startswith("NOT RUNNABLE line 2: sysctl net.inet.tcp.")
    assert result.message.endswith(reason)


def test_a_closed_port_answers_with_absolute_numbers() -> None:
    """Before any ISS is chosen, numbers are absolute (as packetdrill's): the RST for a closed
    port is <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, "R. 0:0(0) ack 4"; a listener answers an
    ACK with <SEQ=SEG.ACK><CTL=RST>."""
    closed = "0 < F 0:3(3) win 1000\n+0 > R. 0:0(0) ack 4 win 0\n"
    assert run_text(closed, "freebsd").exit_code == EXIT_PASS
    listener = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n"
        "+0 listen(3, 1) = 0\n+0 < . 0:0(0) ack 77 win 1000\n+0 > R 77:77(0) win 0\n"
        "+0 close(3) = 0\n"
    )
    assert run_text(listener, "rfc9293").exit_code == EXIT_PASS


def test_mtu_sets_the_mss_and_keepinit_the_syn_give_up() -> None:
    """--mtu=1280 over IPv6 leaves MSS 1220; TCP_KEEPINIT [3] gives up the SYN after 3 s."""
    script = """--ip_version=ipv6
--mtu=1280
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPINIT, [3], 4) = 0
0...3 connect(3, ..., ...) = -1 ETIMEDOUT (Operation timed out)
0 > S 0:0(0) <mss 1220,nop,wscale 6,sackOK,eol,eol>
1 > S 0:0(0) <mss 1220,nop,wscale 6,sackOK,eol,eol>
3.2 close(3) = 0
"""
    assert run_text(script, "freebsd").exit_code == EXIT_PASS


def test_nothing_after_the_last_expected_segment_can_fail() -> None:
    """packetdrill reads nothing after a script's last ">" line; an ACK it never asked for
    (tcpcore acknowledges at once where Linux delays) fails only before a later ">" line."""
    tail = PASSIVE.replace("+0  > . 1:1(0) ack 301\n", "").split("+.1 close(4)")[0]
    assert run_text(tail, "linux").exit_code == EXIT_PASS
    assert run_text(PASSIVE.replace("+0  > . 1:1(0) ack 301\n", ""), "linux").message.startswith(
        "FAIL line 9: expected ioctl(4, SIOCINQ, [300]) = 0 next, got an unexpected segment ."
    )
