"""The packetdrill parser (tcpcore.conformance.parse) on hand-written snippets.

Every snippet here is written for this file. Lines are numbered from 1 as an editor shows them,
so a test that says "line 3" means the third line of its snippet (the snippets start right after
the opening quotes). Syntax errors and constructs outside the subset must both end in exit 2
with a last line that names the line; what the runner does with valid scripts is in
tests/conformance/test_pktscript_runner.py.
"""

from __future__ import annotations

import pytest

from tcpcore import MSS, Eol, Flags, Nop, Sack, SackPermitted, Timestamps, WindowScale
from tcpcore.conformance import EXIT_NOT_RUNNABLE, run_text
from tcpcore.conformance.parse import (
    DEFAULT_TOLERANCE_US,
    Code,
    NotRunnable,
    Packet,
    ScriptSyntaxError,
    Shell,
    Syscall,
    When,
    logical_lines,
    parse,
    split_args,
)

SYN, ACK, FIN, PSH, RST = Flags.SYN, Flags.ACK, Flags.FIN, Flags.PSH, Flags.RST


def events(text: str) -> list[object]:
    script = parse(text)
    assert script.unsupported is None
    return list(script.events)


# -- what is read -------------------------------------------------------------------------------


def test_times_absolute_relative_and_ranges() -> None:
    text = """0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0.25 bind(3, ..., ...) = 0
+.1...0.4 accept(3, ..., ...) = 4
1.5 close(4) = 0
+.3~+.400 > F. 1:1(0) ack 1
+0 close(3) = 0
"""
    got = [e.when for e in events(text)]  # type: ignore[attr-defined]
    assert got == [
        When(0, False),
        When(250_000, True),
        When(100_000, True, 400_000, True, blocking=True),
        When(1_500_000, False),
        When(300_000, True, 400_000, True, blocking=False),
        When(0, True),
    ]


def test_segment_lines_with_every_field() -> None:
    text = """0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+0 < P. 1:1001(1000) ack 1 win 257
+0 > . 1:1(0) ack 1001 <nop,nop,TS val 200 ecr 201,nop,nop,sack 1:3 5:9>
+0 < - 1:1001(1000) win 20000
+0 > R 2:2(0)
+0 < F. 1:1(0) ack 2 win 0 <mss 1460,eol,eol>
"""
    p = events(text)
    assert p[0] == Packet(
        1,
        "< S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>",
        When(0, False),
        True,
        SYN,
        0,
        0,
        None,
        32792,
        (MSS(1000), SackPermitted(), Nop(), Nop(), Nop(), WindowScale(7)),
    )
    assert isinstance(p[1], Packet) and p[1].any_options and not p[1].inbound
    assert (p[1].flags, p[1].ack, p[1].window, p[1].options) == (SYN | ACK, 1, None, ())
    assert isinstance(p[2], Packet) and (p[2].flags, p[2].seq, p[2].length) == (PSH | ACK, 1, 1000)
    assert isinstance(p[3], Packet) and p[3].options == (
        Nop(),
        Nop(),
        Timestamps(200, 201),
        Nop(),
        Nop(),
        Sack(((1, 3), (5, 9))),
    )
    assert isinstance(p[4], Packet) and p[4].flags == Flags(0)
    assert isinstance(p[5], Packet) and (p[5].flags, p[5].options) == (RST, None)
    assert isinstance(p[6], Packet) and p[6].options == (MSS(1460), Eol(), Eol())


def test_system_calls_keep_their_arguments_and_result() -> None:
    text = """0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
+0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
"""
    calls = events(text)
    assert calls[0] == Syscall(
        1,
        "connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)",
        When(0, False),
        "connect",
        ("3", "...", "..."),
        -1,
        "EINPROGRESS",
    )
    assert isinstance(calls[1], Syscall)
    assert calls[1].args == ("3", "SOL_SOCKET", "SO_LINGER", "{onoff=1, linger=0}", "8")
    assert isinstance(calls[2], Syscall) and (calls[2].result, calls[2].errno) == (2, None)
    assert isinstance(calls[3], Syscall) and calls[3].args[2] == "O_RDWR | O_NONBLOCK"
    assert isinstance(calls[4], Syscall) and calls[4].args[3:] == ("[0]", "[4]")


def test_comments_shell_commands_and_code_blocks() -> None:
    text = """// a comment line
--ip_version=ipv4 // trailing comment
--tolerance_usecs=25000
`../common/defaults.sh
 ./more.sh --flag`
/* a block comment
   over two lines */ 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 `echo // not a comment`
+0 %{
assert tcpi_state == TCPI_CLOSE
}%
"""
    script = parse(text)
    assert script.options == {"ip_version": "ipv4", "tolerance_usecs": "25000"}
    assert script.tolerance_us == 25_000
    shell, sock, echo, code = script.events
    assert isinstance(shell, Shell) and shell.line == 4 and shell.when is None
    assert shell.command == "../common/defaults.sh\n ./more.sh --flag"
    assert isinstance(sock, Syscall) and sock.line == 7
    assert isinstance(echo, Shell) and echo.command == "echo // not a comment"
    assert isinstance(code, Code) and code.line == 9
    assert code.code == "assert tcpi_state == TCPI_CLOSE"


def test_default_tolerance_is_packetdrills() -> None:
    assert parse("0 close(3) = 0\n").tolerance_us == DEFAULT_TOLERANCE_US == 4000


def test_split_args_nests_brackets() -> None:
    assert split_args("3, [1], {a=1, b=2}, (x, y)") == ("3", "[1]", "{a=1, b=2}", "(x, y)")
    assert split_args("") == ()
    with pytest.raises(ValueError, match="unbalanced"):
        split_args("3, [1")


def test_logical_lines_skip_blank_and_comment_only_lines() -> None:
    assert list(logical_lines("\n// x\n  \n0 close(3) = 0\n")) == [(4, "0 close(3) = 0")]


# -- syntax errors: exit 2, naming the line -----------------------------------------------------

SYNTAX_ERRORS = [
    ("close(3) = 0", 2, "expected a time"),
    ("+0 > S. 1:10(5) ack 1", 2, "is not 9 bytes long"),
    ("+0 > Sx 0:0(0)", 2, "unknown TCP flag 'x'"),
    ("+0 > S 0:0", 2, "cannot read segment"),
    ("+0 < . 1:1(0) ack 1 win 70000", 2, "win 70000 is larger than 65535"),
    ("+0 < . 1:1(0) ack 1 win 10 wobble", 2, "unexpected 'wobble'"),
    ("+0 < S 0:0(0) win 1 <mss x>", 2, "cannot read TCP option 'mss x'"),
    ("+0 connect(3, ..., ...)", 2, "expected 'name(args) = result'"),
    ("+0 setsockopt(3, [1, 4) = 0", 2, "unbalanced"),
    ("+0 close(3) = 0 EBADF", 2, "returns 0 with errno EBADF"),
    ("+0.2...0.1 accept(3, ..., ...) = 4", 2, "ends before it starts"),
    ("+0", 2, "a time with no event"),
    ("+0 `unterminated", 2, "unterminated backtick"),
    ("--tolerance_usecs=abc", 2, "is not a number"),
    ("+0 > S 0:0(0)...", 2, "unexpected"),
]


@pytest.mark.parametrize(("line", "number", "words"), SYNTAX_ERRORS)
def test_a_syntax_error_exits_2_naming_the_line(line: str, number: int, words: str) -> None:
    text = f"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n{line}\n+0 close(3) = 0\n"
    with pytest.raises(ScriptSyntaxError) as exc:
        parse(text)
    assert exc.value.line == number and words in str(exc.value)
    result = run_text(text)
    assert result.exit_code == EXIT_NOT_RUNNABLE
    assert result.message.startswith(f"NOT RUNNABLE line {number}: syntax error: ")
    assert words in result.message


def test_an_unterminated_block_names_the_line_it_starts_on() -> None:
    result = run_text("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{\nassert 1\n")
    assert result.message.startswith("NOT RUNNABLE line 2: syntax error: unterminated %{ block")


def test_a_call_with_the_wrong_number_of_arguments_is_a_syntax_error() -> None:
    result = run_text("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3) = 0\n")
    assert result.message == (
        "NOT RUNNABLE line 2: syntax error: listen() takes 2 arguments, got 1"
    )


# -- constructs outside the subset: exit 2, naming the line and the construct -----------------

UNSUPPORTED = [
    ("+0 sendto(3, ..., 0, MSG_FASTOPEN, ..., ...) = 0", "sendto(): TCP Fast Open"),
    ("+0 poll([{fd=3, events=POLLIN}], 1, 0) = 0", "poll(): readiness is not modelled"),
    ("+0 > S 0:0(0) <mss 1460,FO abcd1234>", "TCP option FO: TCP Fast Open cookie"),
    ("+0 > S 0:0(0) <md5 1234>", "TCP option md5"),
    ("+0 > SEW 0:0(0) <...>", "flag E: ECE (RFC 3168 ECN)"),
    ("+0 > S. 0:0(0) ack 1 urg 3", "segment field 'urg'"),
    ("+0 < [ect0] S 0:0(0) win 100", "IP field [ect0]"),
    ("* > S 0:0(0) <...>", "time *"),
    ("--tcp_ts_tick_usecs=1000", "option --tcp_ts_tick_usecs: checks TCP timestamp values"),
    ("--wire_server=1.2.3.4", "option --wire_server"),
    ("+0 getsockopt(3, SOL_TCP, TCP_INFO, [x], [4]) = 0", "getsockopt TCP_INFO"),
    ("+0 setsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4) = 0", "setsockopt TCP_NODELAY"),
    ("+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=5}, 8) = 0", "SO_LINGER with"),
    ("+0 ioctl(3, SIOCOUTQ, [0]) = 0", "ioctl SIOCOUTQ"),
    ("+0 %{ assert tcpi_rto == 1000 }%", "%{ code }%: only 'assert tcpi_state"),
    ("+0 %{ assert tcpi_state == TCPI_WEIRD }%", "TCPI_WEIRD: not a TCP state name"),
    ("+0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 4", "socket(..., SOCK_DGRAM, IPPROTO_UDP)"),
    ("+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4", "a second socket(): one connection"),
    ("+0 < S 0:0(0) <mss 1000>", "< without win"),
    ("+0 < S 0:0(0) win 10 <...>", "< with <...>"),
    ("+0 send(3, ..., 10, MSG_MORE) = 10", "send() flags MSG_MORE"),
    ("+0 shutdown(3, SHUT_SIDEWAYS) = 0", "shutdown(SHUT_SIDEWAYS)"),
]


@pytest.mark.parametrize(("line", "construct"), UNSUPPORTED)
def test_a_construct_outside_the_subset_exits_2_naming_it(line: str, construct: str) -> None:
    text = f"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n{line}\n+0 close(3) = 0\n"
    result = run_text(text)
    assert result.exit_code == EXIT_NOT_RUNNABLE
    assert result.message.startswith(f"NOT RUNNABLE line 2: {construct}")


def test_the_earliest_unsupported_line_is_the_one_named() -> None:
    """The parser meets the FO option (line 3) before the runner checks sendto() (line 2)."""
    text = """0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 sendto(3, ..., 0, MSG_FASTOPEN, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <mss 1460,FO,nop,nop>
"""
    script = parse(text)
    assert isinstance(script.unsupported, NotRunnable) and script.unsupported.line == 3
    assert run_text(text).message.startswith("NOT RUNNABLE line 2: sendto()")


def test_nothing_runs_when_a_later_line_is_unsupported() -> None:
    """The subset is checked before the first event: a FAIL-worthy line 2 is never reached."""
    text = """0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5
+0 poll([], 0, 0) = 0
"""
    assert run_text(text).message.startswith("NOT RUNNABLE line 2: poll()")


IFDEF = """0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
#ifdef STANDARD
+0 close(3) = 0
#else
+0 bind(3, ..., ...) = 0
#endif
#ifndef FreeBSD
+ 0.5 listen(3, 1) = 0
#endif
"""


def test_ifdef_blocks_keep_the_lines_of_the_names_defined() -> None:
    """#ifdef/#ifndef/#else/#endif (FreeBSD's suite) keep only the lines their names select."""
    assert [e.text for e in parse(IFDEF, frozenset({"STANDARD"})).events] == [
        "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
        "close(3) = 0",
        "listen(3, 1) = 0",
    ]
    freebsd = [e.text for e in parse(IFDEF, frozenset({"FreeBSD"})).events]
    assert freebsd == ["socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", "bind(3, ..., ...) = 0"]


@pytest.mark.parametrize(
    ("text", "number", "words"),
    [
        ("#ifdef X\n0 close(3) = 0\n", 1, "#ifdef without #endif"),
        ("#endif\n", 1, "#endif without #ifdef"),
        ("#define X 1\n", 1, "only #ifdef, #ifndef, #else, #endif"),
    ],
)
def test_a_broken_ifdef_is_a_syntax_error_naming_its_line(
    text: str, number: int, words: str
) -> None:
    """An unbalanced or unknown preprocessor line is a syntax error at its line."""
    with pytest.raises(ScriptSyntaxError) as info:
        parse(text)
    assert info.value.line == number and words in info.value.detail


@pytest.mark.parametrize(
    ("line", "construct"),
    [
        ("+0 > S. ...(0) ack 65537 win 65535", "sequence number ..."),
        ("+0 < icmp unreachable frag_needed mtu 1200 [1:1(0)]", "icmp packet"),
        ("+0 < udp (8)", "udp packet"),
    ],
)
def test_segments_outside_tcp_or_of_an_unknown_iss_are_not_runnable(
    line: str, construct: str
) -> None:
    """Any-sequence segments and non-TCP packets are outside the subset, named as such."""
    script = parse(f"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n{line}\n")
    assert script.unsupported is not None
    assert (script.unsupported.line, script.unsupported.construct) == (2, construct)
