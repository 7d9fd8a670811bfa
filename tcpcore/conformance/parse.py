"""Parse packetdrill scripts: the text of the subset that :mod:`tcpcore.conformance.runner` runs.

A packetdrill script (Cardwell et al., "packetdrill: Scriptable Network Stack Testing, from
Sockets to Packets", USENIX ATC 2013) is a list of events, one a line, each with a time:

    --tolerance_usecs=50000                     a command-line option
    0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
    +0    connect(3, ..., ...) = -1 EINPROGRESS  a system call and what it must return
    +0    > S 0:0(0) win 65535 <mss 1460,...>    a segment the stack must send
    +.1   < S. 0:0(0) ack 1 win 32767            a segment injected as if from the peer
    +0    %{ assert tcpi_state == TCPI_ESTABLISHED }%
          `sysctl -w net.inet.tcp.msl=30000`     a shell command

Times are seconds from the start of the script (``0.1``) or from the previous event (``+0.1``);
``A...B`` is a system call that blocks from A until B and ``A~B`` a segment that may leave at any
time between A and B (each end absolute or ``+``-relative, measured from the same base).
Sequence numbers are relative: the ``<`` lines count from the peer's initial sequence number, the
``>`` lines from the stack's own, and each side's acknowledgment numbers from the other's.

This module only reads text. It returns :class:`Event` records in file order, and raises
:class:`ScriptSyntaxError` for text that is not a packetdrill line and :class:`NotRunnable` for a
packetdrill construct the runner does not model (TCP options such as Fast Open cookies, ECN flags,
"any time" events), each naming the line. Which system calls the runner understands is decided by
the runner (:mod:`tcpcore.conformance.runner`), which uses the same :class:`NotRunnable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..errors import TCPCoreError
from ..wire.flags import Flags
from ..wire.options import MSS, Eol, Nop, Option, Sack, SackPermitted, Timestamps, WindowScale

DEFAULT_TOLERANCE_US = 4000  # packetdrill's default --tolerance_usecs


class ScriptError(TCPCoreError):
    """A script the runner cannot use, at ``line`` (1-based)."""

    kind = "error"

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {self.kind}: {message}")
        self.line = line
        self.detail = message


class ScriptSyntaxError(ScriptError, ValueError):
    """Text that is not a packetdrill line (a missing time, an unbalanced bracket, ...)."""

    kind = "syntax error"


class NotRunnable(ScriptError):
    """A valid packetdrill construct outside the subset that the reference can be run on."""

    kind = "not runnable"

    def __init__(self, line: int, construct: str, reason: str) -> None:
        super().__init__(line, f"{construct}: {reason}")
        self.construct = construct
        self.reason = reason


@dataclass(frozen=True, slots=True)
class When:
    """An event's time in microseconds: ``start``, and ``end`` for a range.

    ``start_rel`` (``end_rel``) says the value counts from the previous event, not from the
    start of the script. ``blocking`` tells ``A...B`` (a call that blocks) from ``A~B``.
    """

    start: int
    start_rel: bool
    end: int | None = None
    end_rel: bool = False
    blocking: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a script: its number, its text (comments removed) and its time."""

    line: int
    text: str
    when: When | None


@dataclass(frozen=True, slots=True)
class Shell(Event):
    """A backtick shell command (the runner counts and skips these)."""

    command: str


@dataclass(frozen=True, slots=True)
class Code(Event):
    """An inline ``%{ ... }%`` Python block."""

    code: str


@dataclass(frozen=True, slots=True)
class Packet(Event):
    """A ``<`` (injected) or ``>`` (expected) segment, with script-relative numbers.

    ``options`` is None when the line gives no ``<...>`` list (the segment carries no options);
    ``any_options`` is the ``<...>`` wildcard.
    """

    inbound: bool
    flags: Flags
    seq: int
    length: int
    ack: int | None = None
    window: int | None = None
    options: tuple[Option, ...] | None = None
    any_options: bool = False


@dataclass(frozen=True, slots=True)
class Syscall(Event):
    """``name(args) = result [ERRNO]``: a socket call and what it must return."""

    name: str
    args: tuple[str, ...]
    result: int
    errno: str | None = None


@dataclass(frozen=True, slots=True)
class Script:
    """A parsed script: its events in file order and its command-line options."""

    events: tuple[Event, ...]
    options: dict[str, str] = field(default_factory=dict)
    tolerance_us: int = DEFAULT_TOLERANCE_US
    # The first line the parser found outside the subset (its event is left out), or None. The
    # runner reports it unless an earlier line is outside the subset too.
    unsupported: NotRunnable | None = None


# -- logical lines ---------------------------------------------------------------------------


def _strip_comments(raw: str, in_comment: bool) -> tuple[str, bool]:
    """Remove ``//`` and ``/* */`` comments outside backticks; say whether a ``/*`` stays open."""
    out: list[str] = []
    i, n, in_tick = 0, len(raw), False
    while i < n:
        if in_comment:
            end = raw.find("*/", i)
            if end < 0:
                return "".join(out), True
            i, in_comment = end + 2, False
            continue
        ch = raw[i]
        if ch == "`":
            in_tick = not in_tick
        elif not in_tick and raw.startswith("//", i):
            break
        elif not in_tick and raw.startswith("/*", i):
            in_comment = True
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), in_comment


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of every non-blank line, comments removed; a backtick command
    or a ``%{ }%`` block that spans several lines is joined into one."""
    in_comment = False
    pending: list[str] = []
    start, closer = 0, ""
    for number, raw in enumerate(text.splitlines(), 1):
        if pending:
            pending.append(raw)
            if closer in raw:
                yield start, "\n".join(pending)
                pending = []
            continue
        line, in_comment = _strip_comments(raw, in_comment)
        if not line.strip():
            continue
        if line.count("`") % 2 == 1:
            pending, start, closer = [line], number, "`"
        elif "%{" in line and "}%" not in line:
            pending, start, closer = [line], number, "}%"
        else:
            yield number, line
    if pending:
        what = "backtick command" if closer == "`" else "%{ block"
        raise ScriptSyntaxError(start, f"unterminated {what} (no closing {closer})")


# -- one line --------------------------------------------------------------------------------

_NUM = r"(?:\d+(?:\.\d+)?|\.\d+)"
_TIME = re.compile(
    rf"^(?:(?P<any>\*)|(?P<p1>\+\s*)?(?P<t1>{_NUM})(?:(?P<sep>\.\.\.|~)(?P<p2>\+)?(?P<t2>{_NUM}))?)"
    r"(?=\s|$)"
)
_OPTION_LINE = re.compile(r"^--(?P<name>[A-Za-z0-9_]+)(?:=(?P<value>\S*))?$")
_SYSCALL = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s*\((?P<args>.*)\)\s*=\s*(?P<ret>-?0x[0-9A-Fa-f]+|-?\d+)"
    r"\s*(?P<errno>[A-Z][A-Z0-9_]*)?\s*(?:\((?P<note>[^()]*)\))?\s*$"
)
_PACKET = re.compile(
    r"^(?P<dir>[<>])\s+(?P<flags>\S+)\s+(?P<start>\d+):(?P<end>\d+)\((?P<len>\d+)\)(?P<rest>.*)$",
    re.DOTALL,
)
_FLAG_BITS = {
    "F": Flags.FIN,
    "S": Flags.SYN,
    "R": Flags.RST,
    "P": Flags.PSH,
    ".": Flags.ACK,
}
_UNMODELLED_FLAGS = {
    "E": "ECE (RFC 3168 ECN): tcpcore does not negotiate ECN",
    "W": "CWR (RFC 3168 ECN): tcpcore does not negotiate ECN",
    "U": "URG: tcpcore leaves urgent data out (tcpcore.protocol.table)",
}
_UNMODELLED_OPTIONS = {
    "FO": "TCP Fast Open cookie (RFC 7413): tcpcore carries no data on a SYN",
    "md5": "TCP MD5 signature (RFC 2385): not modelled",
    "exp": "experimental TCP option: not modelled",
}
_UNMODELLED_CLI = {
    "tcp_ts_tick_usecs": "checks TCP timestamp values (RFC 7323 TSval/TSecr), "
    "which tcpcore does not send",
}
_SUPPORTED_CLI = ("ip_version", "tolerance_usecs", "mtu")
_MAX32 = 0xFFFFFFFF


def _usecs(text: str) -> int:
    try:
        return int(Decimal(text) * 1_000_000)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits numbers only
        raise ValueError(text) from exc


def _parse_time(number: int, text: str) -> tuple[When, str] | None:
    m = _TIME.match(text)
    if m is None:
        return None
    if m["any"]:
        raise NotRunnable(number, "time *", "events at any time cannot be placed on a clock")
    start, start_rel = _usecs(m["t1"]), bool(m["p1"])
    if m["sep"] is None:
        return When(start, start_rel), text[m.end() :].strip()
    # In "+A...B" the end counts from the same base as the start (packetdrill's relative range).
    end, end_rel = _usecs(m["t2"]), bool(m["p2"]) or start_rel
    if end < start:
        raise ScriptSyntaxError(number, f"time range {m[0]} ends before it starts")
    when = When(start, start_rel, end, end_rel, blocking=m["sep"] == "...")
    return when, text[m.end() :].strip()


def split_args(text: str) -> tuple[str, ...]:
    """Split a call's arguments at top-level commas (brackets and braces nest)."""
    out: list[str] = []
    depth, cur = 0, list[str]()
    for ch in text:
        if ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced {ch!r}")
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if depth:
        raise ValueError("unbalanced bracket")
    last = "".join(cur).strip()
    if last or out:
        out.append(last)
    return tuple(out)


def _int(number: int, text: str, what: str, top: int) -> int:
    value = int(text)
    if value > top:
        raise ScriptSyntaxError(number, f"{what} {value} is larger than {top}")
    return value


def _parse_options(number: int, text: str) -> tuple[tuple[Option, ...], bool]:
    body = text.strip()
    if body == "...":
        return (), True
    opts: list[Option] = []
    for item in (part.strip() for part in body.split(",")):
        words = item.split()
        if not words:
            raise ScriptSyntaxError(number, f"empty TCP option in <{text}>")
        name, vals = words[0], words[1:]
        try:
            if name == "nop" and not vals:
                opts.append(Nop())
            elif name == "eol" and not vals:
                opts.append(Eol())
            elif name == "sackOK" and not vals:
                opts.append(SackPermitted())
            elif name == "mss" and len(vals) == 1:
                opts.append(MSS(_int(number, vals[0], "mss", 0xFFFF)))
            elif name == "wscale" and len(vals) == 1:
                opts.append(WindowScale(_int(number, vals[0], "wscale", 0xFF)))
            elif name == "TS" and len(vals) == 4 and vals[0] == "val" and vals[2] == "ecr":
                val, ecr = (_int(number, vals[i], "TS", _MAX32) for i in (1, 3))
                opts.append(Timestamps(val, ecr))
            elif name == "sack" and vals:
                blocks = tuple(
                    (_int(number, a, "sack edge", _MAX32), _int(number, b, "sack edge", _MAX32))
                    for a, b in (v.split(":") for v in vals)
                )
                opts.append(Sack(blocks))
            elif name in _UNMODELLED_OPTIONS:
                raise NotRunnable(number, f"TCP option {name}", _UNMODELLED_OPTIONS[name])
            elif re.fullmatch(r"[A-Za-z][\w-]*", name):
                raise NotRunnable(number, f"TCP option {name}", "not modelled by tcpcore")
            else:
                raise ScriptSyntaxError(number, f"cannot read TCP option {item!r}")
        except ValueError as exc:
            if isinstance(exc, ScriptError):
                raise
            raise ScriptSyntaxError(number, f"cannot read TCP option {item!r}") from None
    return tuple(opts), False


def _parse_flags(number: int, text: str) -> Flags:
    if text == "-":
        return Flags(0)
    value = Flags(0)
    for ch in text:
        if ch in _FLAG_BITS:
            value |= _FLAG_BITS[ch]
        elif ch in _UNMODELLED_FLAGS:
            raise NotRunnable(number, f"flag {ch}", _UNMODELLED_FLAGS[ch])
        else:
            raise ScriptSyntaxError(number, f"unknown TCP flag {ch!r} in {text!r}")
    return value


def _parse_packet(number: int, text: str, when: When) -> Packet:
    if mm := re.match(r"[<>]\s+(\[[^\]]*\])", text):
        raise NotRunnable(number, f"IP field {mm[1]}", "ECN codepoints are not modelled (RFC 3168)")
    if mm := re.match(r"[<>]\s+(icmp|udp|udplite|sctp)\b", text, re.IGNORECASE):
        raise NotRunnable(number, f"{mm[1]} packet", "tcpcore models TCP segments only")
    if mm := re.match(r"[<>]\s+\S+\s+(\.\.\.)\(", text):
        raise NotRunnable(
            number,
            "sequence number ...",
            "a segment of a new connection whose ISS the script cannot know "
            "(one connection per script)",
        )
    m = _PACKET.match(text)
    if m is None:
        raise ScriptSyntaxError(
            number, f"cannot read segment {text!r}: expected '< FLAGS start:end(len) ...'"
        )
    flags = _parse_flags(number, m["flags"])
    start = _int(number, m["start"], "sequence number", _MAX32)
    end = _int(number, m["end"], "sequence number", _MAX32)
    length = int(m["len"])
    if end - start != length:
        raise ScriptSyntaxError(number, f"{start}:{end}({length}) is not {end - start} bytes long")
    ack = window = None
    options: tuple[Option, ...] | None = None
    any_options = False
    rest = m["rest"].strip()
    while rest:
        if mm := re.match(r"ack\s+(\d+)", rest):
            ack = _int(number, mm[1], "ack", _MAX32)
        elif mm := re.match(r"win\s+(\d+)", rest):
            window = _int(number, mm[1], "win", 0xFFFF)
        elif mm := re.match(r"<([^<>]*)>", rest):
            options, any_options = _parse_options(number, mm[1])
        elif mm := re.match(r"(urg|ecn|mpcapable|dss)\b\S*", rest):
            raise NotRunnable(number, f"segment field {mm[1]!r}", "not modelled by tcpcore")
        else:
            raise ScriptSyntaxError(number, f"unexpected {rest.split()[0]!r} in segment line")
        rest = rest[mm.end() :].strip()
    if when.blocking:
        raise ScriptSyntaxError(number, "a segment cannot block: use A~B for a time window")
    return Packet(
        number,
        text,
        when,
        m["dir"] == "<",
        flags,
        start,
        length,
        ack,
        window,
        options,
        any_options,
    )


def _parse_syscall(number: int, text: str, when: When) -> Syscall:
    m = _SYSCALL.match(text)
    if m is None:
        raise ScriptSyntaxError(
            number, f"cannot read {text!r}: expected 'name(args) = result' or a segment"
        )
    try:
        args = split_args(m["args"])
    except ValueError as exc:
        raise ScriptSyntaxError(number, f"{exc} in the arguments of {m['name']}()") from None
    ret = int(m["ret"], 0)
    errno = m["errno"]
    if errno is not None and ret != -1:
        raise ScriptSyntaxError(number, f"{m['name']}() returns {ret} with errno {errno}")
    return Syscall(number, text, when, m["name"], args, ret, errno)


def _parse_event(number: int, text: str) -> Event:
    body = text.strip()
    if body.startswith("`"):
        return Shell(number, body, None, body.strip("`").strip())
    parsed = _parse_time(number, body)
    if parsed is None:
        raise ScriptSyntaxError(
            number, f"expected a time (0.1, +0.1, 0.1...0.2), a --option or a `command`: {body!r}"
        )
    when, rest = parsed
    if not rest:
        raise ScriptSyntaxError(number, "a time with no event after it")
    if rest.startswith("`"):
        if not rest.endswith("`") or len(rest) < 2:
            raise ScriptSyntaxError(number, "unterminated backtick command")
        return Shell(number, rest, when, rest[1:-1].strip())
    if rest.startswith("%{"):
        if not rest.endswith("}%"):
            raise ScriptSyntaxError(number, "text after the closing }%")
        return Code(number, rest, when, rest[2:-2].strip())
    if rest[0] in "<>":
        return _parse_packet(number, rest, when)
    return _parse_syscall(number, rest, when)


def _option(number: int, text: str, options: dict[str, str]) -> None:
    m = _OPTION_LINE.match(text)
    if m is None:
        raise ScriptSyntaxError(number, f"cannot read option {text!r}")
    name, value = m["name"], m["value"] or ""
    if name in _UNMODELLED_CLI:
        raise NotRunnable(number, f"option --{name}", _UNMODELLED_CLI[name])
    if name not in _SUPPORTED_CLI:
        raise NotRunnable(
            number, f"option --{name}", "a packetdrill setting of the test host, not modelled"
        )
    if name in ("tolerance_usecs", "mtu") and not value.isdigit():
        raise ScriptSyntaxError(number, f"--{name}={value!r} is not a number")
    if name == "ip_version" and value not in ("ipv4", "ipv6", "ipv4-mapped-ipv6"):
        raise ScriptSyntaxError(number, f"--ip_version={value!r}: ipv4, ipv6 or ipv4-mapped-ipv6")
    options[name] = value


_DIRECTIVE = re.compile(r"^#\s*(?P<word>\w+)\s*(?P<name>\w*)\s*$")


def _active(stack: list[tuple[int, bool]]) -> bool:
    return all(on for _, on in stack)


def _directive(
    number: int, line: str, stack: list[tuple[int, bool]], defines: frozenset[str]
) -> None:
    """``#ifdef NAME`` / ``#ifndef NAME`` / ``#else`` / ``#endif``: the suite's preprocessor."""
    m = _DIRECTIVE.match(line.strip())
    word, name = (m["word"], m["name"]) if m else ("", "")
    if word in ("ifdef", "ifndef") and name:
        stack.append((number, (name in defines) == (word == "ifdef")))
    elif word == "else" and not name and stack:
        start, on = stack.pop()
        stack.append((start, not on))
    elif word == "endif" and not name and stack:
        stack.pop()
    elif word in ("else", "endif"):
        raise ScriptSyntaxError(number, f"#{word} without #ifdef")
    else:
        raise ScriptSyntaxError(
            number, f"cannot read {line.strip()!r}: only #ifdef, #ifndef, #else, #endif"
        )


def parse(text: str, defines: frozenset[str] = frozenset()) -> Script:
    """Parse a whole script.

    A syntax error anywhere raises ScriptSyntaxError naming its line. A construct outside the
    subset does not stop the parse: the first one is kept in ``Script.unsupported``. Lines
    between ``#ifdef NAME`` and ``#endif`` (or ``#else``) are kept only when NAME is one of
    ``defines``, the names the runner defines for the stack it plays (FreeBSD's suite marks what
    the standard says with ``STANDARD`` and what FreeBSD does with ``FreeBSD``).
    """
    events: list[Event] = []
    options: dict[str, str] = {}
    unsupported: NotRunnable | None = None
    stack: list[tuple[int, bool]] = []
    for number, line in logical_lines(text):
        if line.lstrip().startswith("#"):
            _directive(number, line, stack, defines)
            continue
        if not _active(stack):
            continue
        try:
            if line.strip().startswith("--"):
                _option(number, line.strip(), options)
            else:
                events.append(_parse_event(number, line))
        except NotRunnable as exc:
            unsupported = unsupported or exc
    if stack:
        raise ScriptSyntaxError(stack[-1][0], "#ifdef without #endif")
    tolerance = int(options.get("tolerance_usecs", DEFAULT_TOLERANCE_US))
    return Script(tuple(events), options, tolerance, unsupported)
