"""Run packetdrill scripts against the reference: ``tcpcore pktscript FILE.pkt [--profile NAME]``.

A packetdrill script tells a real stack's story from the outside: socket calls, the segments the
stack must send (``>``), the segments injected as if from the peer (``<``), each at a time. This
runner tells the same story to a :class:`~tcpcore.protocol.connection.Connection` on a virtual
clock, and compares what the reference sends with the script's ``>`` lines. Exit status and last
line:

* 0, ``PASS: ...`` with the number of lines run and of lines skipped, by kind;
* 1, ``FAIL line N: expected ..., got ...``: the first line whose expectation the reference broke;
* 2, ``NOT RUNNABLE line N: ...``: a syntax error, or a construct outside the subset below.

How the story is told
---------------------
* One connection per script. ``socket()``, ``bind()``, ``listen()`` (a passive OPEN), ``accept()``,
  ``connect()`` (an active OPEN; it returns at once when the script expects EINPROGRESS, and blocks
  until the handshake ends otherwise), ``write()``/``send()``, ``read()``/``recv()``, ``shutdown()``
  (SHUT_WR is the RFC's CLOSE; after SHUT_RD reads return 0 once the queued data is read),
  ``close()`` (the socket close(): CLOSE, or ABORT with ``SO_LINGER`` {1, 0}; closing a listener
  drops a connection that was never accepted: silently in SYN-RECEIVED, as both Linux's request
  sockets and FreeBSD's syncache do, with a RST once it is established, as Linux's
  inet_csk_listen_stop() does), ``setsockopt`` for SO_LINGER, SO_KEEPALIVE, TCP_KEEPIDLE,
  TCP_KEEPINTVL, TCP_KEEPCNT and TCP_USER_TIMEOUT, ``getsockopt(SO_ERROR)`` and ``ioctl(SIOCINQ)``
  (the reference knows both answers), and ``%{ assert tcpi_state == TCPI_* }%``.
* Skipped and counted: shell commands, ``fcntl``, the socket-buffer options SO_RCVBUF/SO_SNDBUF and
  SO_REUSEADDR/SO_REUSEPORT (none of them changes what TCP sends here). A profile with a table of
  sysctls (:data:`.policy.SYSCTLS`: FreeBSD's ``net.inet.tcp.insecure_rst`` and the others a script
  sets) takes ``sysctl -w NAME=VALUE`` as a variant of itself (its switches and values, never other
  logic), and refuses a setting it cannot take as NOT RUNNABLE; under the other profiles the profile
  stands for the stack as the script configures it.
* ``#ifdef NAME`` ... ``#else`` ... ``#endif`` (FreeBSD's suite): the names :data:`.policy.DEFINES`
  gives the profile are defined. ``--ip_version=ipv6`` makes the connection IPv6 (its MSS is 20
  bytes smaller), ``--mtu=N`` sets the MSS to what the MTU leaves after the headers.
* Sequence numbers: the peer's ISN is 0 (``<`` lines are used as written, and ``>`` lines'
  acknowledgment numbers are compared as written); the reference's ISS is :data:`LOCAL_ISS`,
  close to the 2**32 wrap, and ``>`` lines' sequence numbers count from it, as do ``<`` lines'
  acknowledgment numbers. Before the reference has chosen an ISS (a CLOSED port, a listener
  before a SYN) both are absolute, as packetdrill's are before it has seen the stack's SYN: a
  closed port's <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> is ``R. 0:0(0)``.
* Time: microseconds, exact. Before every event the reference's timers run up to the event's
  time. A ``>`` line takes the oldest segment the reference has sent (running timers up to the
  end of the line's time range plus the tolerance if none is there yet); it must have left
  within the range, widened by ``--tolerance_usecs`` (packetdrill's default: 4 ms). A segment the
  reference sent that no ``>`` line has taken when the next other event comes is a FAIL: the
  script expected none. (packetdrill itself only reads a segment when a ``>`` line asks for one,
  so it never sees one sent after a script's last ``>`` line; this runner does, as soon as
  another event follows, as long as a ``>`` line is still to come.) Nothing is checked after
  the last event, nor is a segment sent after the last ``>`` line.
* What a ``>`` line is compared on: flags, relative sequence number, length and (with ACK) the
  acknowledgment number, always; the window and the options as the profile's
  :class:`~.policy.ComparePolicy` says (see :data:`.policy.POLICIES`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import TCPCoreError
from ..protocol import events as ev
from ..protocol.connection import Connection
from ..protocol.profiles import Profile, get_profile
from ..protocol.rules import classify
from ..protocol.states import State
from ..protocol.table import Trigger
from ..wire.flags import Flags
from ..wire.options import Option
from ..wire.segment import Segment
from .parse import (
    Code,
    Event,
    NotRunnable,
    Packet,
    Script,
    ScriptError,
    ScriptSyntaxError,
    Shell,
    Syscall,
    When,
    parse,
)
from .policy import SYSCTLS, ComparePolicy, defines_for, policy_for
from .syscalls import REMOTE_PORT, Blocked, Failure, Socket, SocketCalls, secs

EXIT_PASS, EXIT_FAIL, EXIT_NOT_RUNNABLE = 0, 1, 2
LOCAL_PORT = 8080
LOCAL_ISS = 0xFFFF_FC00  # 1024 below the wrap: a few kilobytes of data cross it
_MASK = 0xFFFFFFFF
SYN, ACK, FIN, RST = Flags.SYN, Flags.ACK, Flags.FIN, Flags.RST
# ``sysctl -w NAME=VALUE`` in a script's shell line (what it means: .policy.SYSCTLS)
_SYSCTL_W = re.compile(r"^sysctl\s+(?:-\w+\s+)*(?P<name>[\w.]+)=(?P<value>\S+)$")


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    """A run's verdict ("pass", "fail", "not runnable"), its last line and the line it names."""

    verdict: str
    message: str
    line: int | None = None

    @property
    def exit_code(self) -> int:
        return {"pass": EXIT_PASS, "fail": EXIT_FAIL}.get(self.verdict, EXIT_NOT_RUNNABLE)


def _opt_text(o: Option) -> str:
    v = o.value()
    if o.name == "TS" and isinstance(v, list):
        return f"TS val {v[0]} ecr {v[1]}"
    if o.name == "sack" and isinstance(v, list):
        return "sack " + " ".join(f"{a}:{b}" for a, b in v)
    return o.name if v is None else f"{o.name} {v}"


# -- the runner -------------------------------------------------------------------------------


@dataclass
class _Sent:
    time: int
    seg: Segment
    after: int  # the script line after which it was sent


_TCPI = {
    "LISTEN": State.LISTEN,
    "SYN_SENT": State.SYN_SENT,
    "SYN_RECV": State.SYN_RECEIVED,
    "SYN_RECEIVED": State.SYN_RECEIVED,
    "ESTABLISHED": State.ESTABLISHED,
    "FIN_WAIT1": State.FIN_WAIT_1,
    "FIN_WAIT_1": State.FIN_WAIT_1,
    "FIN_WAIT2": State.FIN_WAIT_2,
    "FIN_WAIT_2": State.FIN_WAIT_2,
    "CLOSE_WAIT": State.CLOSE_WAIT,
    "CLOSING": State.CLOSING,
    "LAST_ACK": State.LAST_ACK,
    "TIME_WAIT": State.TIME_WAIT,
    "CLOSE": State.CLOSED,
    "CLOSED": State.CLOSED,
}
_ASSERT_STATE = re.compile(r"^assert\s+tcpi_state\s*==\s*TCPI_([A-Z0-9_]+)$")


class Runner(SocketCalls):
    """Drives one Connection through a parsed script (see the module docstring)."""

    def __init__(
        self,
        script: Script,
        profile: Profile,
        policy: ComparePolicy | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.script = script
        self.profile = profile
        self.policy = policy or policy_for(profile)
        self.log = log
        self.tol = script.tolerance_us
        self.now = 0  # microseconds
        self.clock = 0.0  # the last time handed to the reference (seconds, never decreasing)
        self.base = 0  # what relative times count from
        self.line = 0  # the line being run
        self.conn: Connection | None = None
        self.fds: dict[int, Socket] = {}
        self.out: list[_Sent] = []
        self.blocked: list[Blocked] = []
        self.skipped: Counter[str] = Counter()
        self.ran = 0
        self.connected = self.accepted = self.eof = False
        self.error: str | None = None  # pending SO_ERROR, by errno name
        self.user_timeout: float | None = None
        self.keepalive: dict[str, float] = {}
        # packetdrill reads what the stack sent only when a ">" line asks: after the last one,
        # nothing the stack sends can fail the script.
        self.last_expected = max(
            (e.line for e in script.events if isinstance(e, Packet) and not e.inbound), default=0
        )

    # -- checking the subset before running ---------------------------------------------------

    def check(self) -> None:
        """Raise NotRunnable (or ScriptSyntaxError) for the first line outside the subset."""
        sockets = 0
        first = self.script.unsupported
        for e in self.script.events:
            if first is not None and e.line > first.line:
                raise first
            if isinstance(e, Syscall):
                self._syscall(e, dry=True)
                sockets += e.name == "socket"
                if sockets > 1:
                    raise NotRunnable(e.line, "a second socket()", "one connection per script")
            elif isinstance(e, Code):
                self._assertion(e)
            elif isinstance(e, Packet) and e.inbound:
                if e.window is None:
                    raise NotRunnable(e.line, "< without win", "the injected window must be given")
                if e.any_options:
                    raise NotRunnable(e.line, "< with <...>", "an injected segment needs options")
            elif isinstance(e, Shell):
                if e.when is not None and e.when.end is not None:
                    raise ScriptSyntaxError(e.line, "a shell command cannot take a time range")
                self._sysctl(e)
        if first is not None:
            raise first

    # -- running ------------------------------------------------------------------------------

    def run(self) -> Result:
        try:
            self.check()
        except NotRunnable as exc:
            return _not_runnable(exc)
        except ScriptSyntaxError as exc:
            return _not_runnable(exc)
        try:
            for e in self.script.events:
                self._event(e)
            if self.blocked:
                b = self.blocked[0]
                raise Failure(b.event.line, f"expected {b.event.text}, but it never returned")
        except Failure as f:
            return Result("fail", f"FAIL line {f.line}: {f}", f.line)
        except ScriptError as exc:  # only what a state decides (text on a SYN in SYN-SENT)
            return _not_runnable(exc)
        except TCPCoreError as exc:
            # The reference refused what the script gave it (a row missing from the table...).
            msg = f"the reference raised {type(exc).__name__}: {exc}"
            return Result("fail", f"FAIL line {self.line}: {msg}", self.line)
        done = f"{self.ran} lines run"
        total = sum(self.skipped.values())
        if total:
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.skipped.items()))
            return Result("pass", f"PASS: {done}, {total} skipped ({kinds})")
        return Result("pass", f"PASS: {done}, none skipped")

    def _times(self, when: When) -> tuple[int, int]:
        start = self.base + when.start if when.start_rel else when.start
        if when.end is None:
            return start, start
        end = self.base + when.end if when.end_rel else when.end
        return start, end

    def _sysctl(self, e: Shell) -> dict[str, object] | None:
        """The profile values a ``sysctl -w NAME=VALUE`` command sets (the profile's table of
        sysctls, :data:`SYSCTLS`), None for another command; NotRunnable for a setting the
        profile cannot take."""
        table = SYSCTLS.get(self.profile.name)
        m = _SYSCTL_W.match(e.command)
        if table is None or m is None:
            return None
        name, value = m["name"], m["value"]
        if name not in table:
            raise NotRunnable(
                e.line, f"sysctl {name}", f"not modelled by the {self.profile.name} profile"
            )
        if not value.isdigit():
            raise NotRunnable(e.line, f"sysctl {name}={value}", "not a number")
        changes = table[name](int(value))
        if isinstance(changes, str):
            raise NotRunnable(e.line, f"sysctl {name}={value}", changes)
        return changes

    def _shell(self, e: Shell) -> None:
        changes = self._sysctl(e)
        if not changes:
            self.skipped["shell"] += 1
            return
        self._profile_changes(changes)
        self.ran += 1

    def _profile_changes(self, changes: dict[str, object]) -> None:
        """The stack as the script configures it: a variant of the profile, read by the
        connection from now on (the kernel reads its sysctls when they are needed)."""
        self.profile = self.profile.with_(**changes)
        if self.conn is not None:
            self.conn.profile = self.profile

    def _event(self, e: Event) -> None:
        self.line = e.line
        if isinstance(e, Shell) and e.when is None:
            self._shell(e)
            return
        assert e.when is not None
        start, end = self._times(e.when)
        if isinstance(e, Packet) and not e.inbound:
            self._expect(e, start, end)
            self.ran += 1
            return
        self._advance(start)
        if self.out and e.line < self.last_expected:
            s = self.out[0]
            raise Failure(
                e.line,
                f"expected {e.text} next, got an unexpected segment {self._render(s.seg)} "
                f"at {secs(s.time)} s (sent after line {s.after})",
            )
        self.base = start
        if self.log:
            self.log(f"{secs(start):>10} {e.text}")
        if isinstance(e, Shell):
            self._shell(e)
        elif isinstance(e, Packet):
            self._inject(e)
            self.ran += 1
        elif isinstance(e, Code):
            self._check_state(e)
            self.ran += 1
        elif isinstance(e, Syscall):
            self._run_syscall(e, start, end)

    # -- the clock ----------------------------------------------------------------------------

    def _t(self) -> float:
        """The current time for the reference, never earlier than a time it has seen."""
        self.clock = max(self.clock, self.now / 1e6)
        return self.clock

    def _next_timer(self) -> tuple[float, int] | None:
        due = self.conn.next_deadline() if self.conn is not None else None
        if due is None:
            return None
        return due, max(round(due * 1e6), self.now)

    def _fire(self, due: float, due_us: int) -> None:
        assert self.conn is not None
        self.now = due_us
        self.clock = max(self.clock, due)
        self._call(lambda c, t: c.handle_timer(t))
        self._check_blocked()

    def _advance(self, until: int) -> None:
        """Run the reference's timers up to ``until`` (inclusive)."""
        for _ in range(100_000):
            nxt = self._next_timer()
            if nxt is None or nxt[1] > until:
                break
            self._overdue(nxt[1])
            self._fire(*nxt)
        else:  # pragma: no cover - a timer that re-arms in the past
            raise Failure(self.line, "the reference's timers never settle")
        self._overdue(until)
        self.now = max(self.now, until)

    # -- the reference ------------------------------------------------------------------------

    def _call(self, what: Callable[[Connection, float], object]) -> None:
        """Apply ``what`` to the connection now, then collect what it sent and signalled."""
        assert self.conn is not None
        try:
            what(self.conn, self._t())
        finally:
            self._collect()

    def _collect(self) -> None:
        assert self.conn is not None
        for seg in self.conn.pop_segments():
            self.out.append(_Sent(self.now, seg, self.line))
            if self.log:
                self.log(f"{secs(self.now):>10} sent {self._render(seg)}")
        for e in self.conn.pop_events():
            if isinstance(e, ev.Connected):
                self.connected = True
            elif isinstance(e, ev.PeerClosed):
                self.eof = True
            elif isinstance(e, ev.ConnectionReset | ev.ConnectionRefused | ev.TimedOut):
                self.error = self.conn.error  # why it died, pending until the socket reads it

    def _new_connection(self) -> Connection:
        k = self.keepalive
        ipv6 = self.script.options.get("ip_version") == "ipv6"
        mtu = self.script.options.get("mtu")
        # RFC 9293 3.7.1: the MSS is what the link's MTU leaves after the IP and TCP headers.
        mss = int(mtu) - (60 if ipv6 else 40) if mtu else None
        self.conn = Connection(
            mss=mss,
            local_ip="fd00::1" if ipv6 else "192.168.0.1",
            remote_ip="fd00::2" if ipv6 else "192.0.2.1",
            local_port=LOCAL_PORT,
            remote_port=None,
            profile=self.profile,
            iss=LOCAL_ISS,
            auto_read=False,
            user_timeout=self.user_timeout,
            keepalive=bool(k.get("enabled", False)),
            keepalive_idle=k.get("idle"),
            keepalive_interval=k.get("interval"),
            keepalive_probes=int(k["probes"]) if "probes" in k else None,
        )
        self.connected = self.accepted = self.eof = False
        self.error = None
        return self.conn

    def _iss(self) -> int:
        """What the reference's sequence numbers count from: its ISS once it has chosen one;
        before that (a CLOSED port, a listener before a SYN) they are absolute, as in
        packetdrill, which learns the stack's ISN from its SYN or SYN+ACK."""
        chosen = self.conn is not None and self.conn.tcb.iss.value == LOCAL_ISS
        return LOCAL_ISS if chosen else 0

    def _render(self, seg: Segment) -> str:
        rel = (seg.seq - self._iss()) & _MASK
        n = len(seg.payload)
        text = f"{seg.flags.tcpdump() if seg.flags else '-'} {rel}:{rel + n}({n})"
        if seg.flags & ACK:
            text += f" ack {seg.ack}"
        text += f" win {seg.window}"
        if seg.options:
            text += " <" + ",".join(_opt_text(o) for o in seg.options) + ">"
        return text

    # -- segments -----------------------------------------------------------------------------

    def _inject(self, p: Packet) -> None:
        if self.conn is None:
            # No socket: the segment meets a CLOSED endpoint (RFC 9293 3.10.7.1).
            self._new_connection()
        ack = (self._iss() + p.ack) & _MASK if p.ack is not None else 0
        seg = Segment(
            REMOTE_PORT,
            LOCAL_PORT,
            p.seq,
            ack,
            p.flags,
            p.window or 0,
            0,
            p.options or (),
            bytes(p.length),
        )
        conn = self.conn
        assert conn is not None
        if p.flags & SYN and p.length and conn.state is State.SYN_SENT:
            verdict = classify(conn.state, conn.tcb, seg)
            dropped = self.profile.drop_syn_fin and p.flags & FIN
            if verdict.trigger in (Trigger.SYN, Trigger.SYN_ACK) and not dropped:
                raise NotRunnable(
                    p.line,
                    "text on a SYN in SYN-SENT",
                    "tcpcore leaves a SYN's text out (tcpcore.protocol.table); the peer resends it",
                )
        self._call(lambda c, t: c.receive(seg, t))
        self._check_blocked()

    def _expect(self, p: Packet, start: int, end: int) -> None:
        latest = end + self.tol
        while not self.out:
            nxt = self._next_timer()
            if nxt is None or nxt[1] > latest:
                break
            self._overdue(nxt[1])
            self._fire(*nxt)
        when = f"at {secs(start)} s" if start == end else f"in {secs(start)}...{secs(end)} s"
        if not self.out:
            raise Failure(p.line, f"expected {p.text} {when}, got nothing by {secs(latest)} s")
        sent = self._take(p)
        got = f"{self._render(sent.seg)} at {secs(sent.time)} s"
        diffs = self._differences(p, sent.seg)
        if not start - self.tol <= sent.time <= latest:
            diffs.append(f"time (tolerance {secs(self.tol)} s)")
        if diffs:
            raise Failure(p.line, f"expected {p.text} {when}, got {got}: {', '.join(diffs)}")
        self.now = max(self.now, sent.time)
        self.base = sent.time
        if self.log:
            self.log(f"{secs(sent.time):>10} {p.text}  ok")

    def _take(self, p: Packet) -> _Sent:
        first = self.out.pop(0)
        seg = first.seg
        if not (self.policy.coalesce and seg.payload and p.length > len(seg.payload)):
            return first
        while self.out and len(seg.payload) < p.length:
            nxt = self.out[0].seg
            if (
                self.out[0].time != first.time
                or not nxt.payload
                or seg.flags & FIN
                or nxt.flags & (SYN | RST)
                or nxt.seq != (seg.seq + len(seg.payload)) & _MASK
                or nxt.ack != seg.ack
            ):
                break
            self.out.pop(0)
            seg = seg.with_(payload=seg.payload + nxt.payload, flags=seg.flags | nxt.flags)
        return _Sent(first.time, seg, first.after)

    def _differences(self, p: Packet, seg: Segment) -> list[str]:
        diffs = []
        if seg.flags != p.flags:
            diffs.append("flags")
        if (seg.seq - self._iss()) & _MASK != p.seq:
            diffs.append("seq")
        if len(seg.payload) != p.length:
            diffs.append("length")
        if p.flags & ACK and p.ack is not None and seg.ack != p.ack:
            diffs.append("ack")
        if self.policy.window and p.window is not None and seg.window != p.window:
            diffs.append("win")
        if not p.any_options:
            want = p.options or ()
            for name in sorted(self.policy.options):
                if [o.value() for o in want if o.name == name] != [
                    o.value() for o in seg.options if o.name == name
                ]:
                    diffs.append(f"option {name}")
        return diffs

    # -- inline code --------------------------------------------------------------------------

    def _assertion(self, e: Code) -> State:
        m = _ASSERT_STATE.match(e.code)
        if m is None:
            raise NotRunnable(
                e.line, "%{ code }%", "only 'assert tcpi_state == TCPI_<state>' is modelled"
            )
        if m[1] not in _TCPI:
            raise NotRunnable(e.line, f"TCPI_{m[1]}", "not a TCP state name")
        return _TCPI[m[1]]

    def _check_state(self, e: Code) -> None:
        want = self._assertion(e)
        got = self.conn.state if self.conn is not None else State.CLOSED
        if got is not want:
            raise Failure(e.line, f"expected {e.code} ({want}), got {got}")


def _not_runnable(exc: ScriptError) -> Result:
    if isinstance(exc, NotRunnable):
        return Result(
            "not runnable",
            f"NOT RUNNABLE line {exc.line}: {exc.construct}: {exc.reason}",
            exc.line,
        )
    return Result(
        "not runnable", f"NOT RUNNABLE line {exc.line}: syntax error: {exc.detail}", exc.line
    )


# -- running files ----------------------------------------------------------------------------


def profile_for(path: Path, text: str = "") -> str:
    """The profile a script was written for: ``freebsd`` for FreeBSD's testsuite (its path names
    freebsd, or it sets net.inet.* sysctls), ``linux`` for everything else (packetdrill's home,
    where Google's scripts come from)."""
    if any("freebsd" in part.lower() for part in path.parts) or "net.inet." in text:
        return "freebsd"
    return "linux"


def run_text(
    text: str,
    profile: str | Profile = "linux",
    log: Callable[[str], None] | None = None,
) -> Result:
    """Parse and run a script's text under a profile."""
    prof = get_profile(profile)
    try:
        script = parse(text, defines_for(prof))
    except ScriptError as exc:
        return _not_runnable(exc)
    return Runner(script, prof, log=log).run()


def run_file(
    path: str | Path,
    profile: str | Profile | None = None,
    log: Callable[[str], None] | None = None,
) -> Result:
    """Run a script file under ``profile`` (by default: :func:`profile_for` the file)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    return run_text(text, profile or profile_for(p, text), log)
