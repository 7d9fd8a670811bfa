"""The socket calls of a packetdrill script, played on one tcpcore Connection.

:class:`SocketCalls` is the half of :class:`tcpcore.conformance.runner.Runner` that understands
``socket()``, ``connect()``, ``write()``, ``close()`` and the rest, as the runner's docstring lists
them. Each call is a method ``_sys_NAME(event, dry, resume)``: with ``dry`` it only checks that the
call is inside the subset (raising :class:`~tcpcore.conformance.parse.NotRunnable` or
:class:`~tcpcore.conformance.parse.ScriptSyntaxError` naming the line), so a script is refused
before it runs; otherwise it runs the call and returns ``(result, errno)``, ``"block"`` for a call
that has to wait (a blocking ``connect()``, ``accept()`` or ``read()``; the runner retries it with
``resume`` after every step), or None for a call that is skipped and counted.

What a call does to the connection is the socket API's meaning on Linux and FreeBSD alike
(connect(2), accept(2), shutdown(2), close(2), tcp(7)); where they differ the profile decides,
not this module.
"""

from __future__ import annotations

import contextlib
import errno as errno_codes
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..protocol.states import State
from ..protocol.table import CallError
from .parse import NotRunnable, ScriptSyntaxError, Syscall

if TYPE_CHECKING:
    from ..protocol.connection import Connection

REMOTE_PORT = 40123  # the script's peer
_SKIPPED_OPTS = {"SO_REUSEADDR", "SO_REUSEPORT", "SO_RCVBUF", "SO_SNDBUF"}
_TCP_LEVELS = {"SOL_TCP", "IPPROTO_TCP"}
_FIN_SENT = (State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSING, State.LAST_ACK, State.TIME_WAIT)
_UNSUPPORTED_OPTS = {
    "TCP_NOOPT": "a SYN without any option, not even the MSS (RFC 9293 3.7.1), is not modelled",
    "TCP_NODELAY": "Nagle's algorithm (RFC 896) is not modelled",
    "TCP_MAXSEG": "a user-set MSS is not modelled",
}
_UNSUPPORTED_CALLS = {
    "sendto": "only write() and send() are modelled",
    "sendmsg": "only write() and send() are modelled",
    "recvmsg": "only read() and recv() are modelled",
    "poll": "readiness is not modelled",
    "epoll_wait": "readiness is not modelled",
    "splice": "not a TCP operation",
}


class Failure(Exception):
    """The reference broke the expectation of a line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Socket:
    """A file descriptor of the script: a new socket, a listener or a connection's socket."""

    fd: int
    role: str = "new"  # "new", "listener" or "connection"
    abort_on_close: bool = False  # SO_LINGER {onoff=1, linger=0}
    shut_rd: bool = False


@dataclass
class Blocked:
    """A call waiting to return: it must do so between ``start`` and ``end`` (microseconds)."""

    event: Syscall
    start: int
    end: int


def secs(us: int) -> str:
    """Microseconds as seconds, at least three decimals: 52000 -> '0.052'."""
    text = f"{us / 1e6:.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac:0<3}"


def _bracket(line: int, text: str) -> str:
    m = re.fullmatch(r"\[\s*([^\]]*?)\s*\]", text)
    if m is None:
        raise ScriptSyntaxError(line, f"expected a [value], got {text!r}")
    return m[1]


def _int_arg(line: int, text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise ScriptSyntaxError(line, f"{what} {text!r} is not a number") from None


def _errno_value(name_or_number: str) -> int:
    if name_or_number.lstrip("-").isdigit():
        return int(name_or_number)
    return int(getattr(errno_codes, name_or_number, -1))


class SocketCalls:
    """The socket-call half of the runner (see the module docstring)."""

    # Provided by the runner.
    conn: Connection | None
    fds: dict[int, Socket]
    blocked: list[Blocked]
    skipped: Counter[str]
    ran: int
    now: int
    tol: int
    connected: bool
    accepted: bool
    eof: bool
    error: str | None
    user_timeout: float | None
    keepalive: dict[str, float]

    if TYPE_CHECKING:

        def _call(self, what: Callable[[Connection, float], object]) -> None: ...

        def _new_connection(self) -> Connection: ...

        def _profile_changes(self, changes: dict[str, object]) -> None: ...

    def _run_syscall(self, e: Syscall, start: int, end: int) -> None:
        outcome = self._syscall(e, dry=False)
        if outcome is None:  # skipped
            return
        self.ran += 1
        if outcome == "block":
            self.blocked.append(Blocked(e, start, end))
            self._check_blocked()
            return
        assert isinstance(outcome, tuple)
        self._verify_return(e, outcome, start, end)

    def _verify_return(self, e: Syscall, got: tuple[int, str | None], start: int, end: int) -> None:
        want = (e.result, e.errno)
        if not start - self.tol <= self.now <= end + self.tol:
            window = secs(start) if start == end else f"{secs(start)}...{secs(end)}"
            raise Failure(
                e.line, f"expected {e.text} at {window} s, it returned at {secs(self.now)} s"
            )
        if got != want:
            shown = str(got[0]) if got[1] is None else f"{got[0]} {got[1]}"
            raise Failure(e.line, f"expected {e.text}, got {shown}")

    def _check_blocked(self) -> None:
        for b in list(self.blocked):
            outcome = self._syscall(b.event, dry=False, resume=True)
            if isinstance(outcome, tuple):
                self.blocked.remove(b)
                self._verify_return(b.event, outcome, b.start, b.end)

    def _overdue(self, t: int) -> None:
        for b in self.blocked:
            if t > b.end + self.tol:
                raise Failure(
                    b.event.line,
                    f"expected {b.event.text} by {secs(b.end)} s, still blocked at {secs(t)} s",
                )

    def _sock(self, e: Syscall, role: str | None = None) -> Socket:
        fd = _int_arg(e.line, e.args[0] if e.args else "", "file descriptor")
        sock = self.fds.get(fd)
        if sock is None:
            raise Failure(e.line, f"expected {e.text}, but fd {fd} is not open (EBADF)")
        if role is not None and sock.role != role:
            raise Failure(e.line, f"expected {e.text}, but fd {fd} is not a {role} socket")
        return sock

    def _free_fd(self) -> int:
        fd = 3
        while fd in self.fds:
            fd += 1
        return fd

    def _nargs(self, e: Syscall, n: int) -> None:
        if len(e.args) != n:
            raise ScriptSyntaxError(e.line, f"{e.name}() takes {n} arguments, got {len(e.args)}")

    def _syscall(self, e: Syscall, dry: bool, resume: bool = False) -> object:
        """Check (dry) or run one call: returns None (skipped), "block", or (result, errno)."""
        handler = getattr(self, f"_sys_{e.name}", None)
        if handler is None:
            reason = _UNSUPPORTED_CALLS.get(e.name, "a system call tcpcore does not model")
            if e.name == "sendto" and any("MSG_FASTOPEN" in a for a in e.args):
                reason = "TCP Fast Open (RFC 7413) puts data on the SYN, which tcpcore does not"
            raise NotRunnable(e.line, f"{e.name}()", reason)
        result: object = handler(e, dry, resume)
        return result

    def _sys_fcntl(self, e: Syscall, dry: bool, resume: bool) -> object:
        if not dry:
            self.skipped["fcntl"] += 1
        return None

    def _sys_socket(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 3)
        if e.args[1] != "SOCK_STREAM" or e.args[2] not in ("IPPROTO_TCP", "0"):
            raise NotRunnable(e.line, f"socket({', '.join(e.args)})", "only TCP sockets")
        if dry:
            return None
        fd = self._free_fd()
        self.fds[fd] = Socket(fd)
        return (fd, None)

    def _sys_bind(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 3)
        if not dry:
            self._sock(e, "new")
        return None if dry else (0, None)

    def _sys_listen(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 2)
        if dry:
            return None
        sock = self._sock(e, "new")
        sock.role = "listener"
        self._new_connection()
        self._call(lambda c, t: c.listen(t))
        return (0, None)

    def _sys_accept(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 3)
        if dry:
            return None
        self._sock(e, "listener")
        if self.connected and not self.accepted:
            self.accepted = True
            fd = self._free_fd()
            self.fds[fd] = Socket(fd, role="connection")
            return (fd, None)
        if e.errno == "EAGAIN" and not resume:
            return (-1, "EAGAIN")
        return "block"

    def _sys_connect(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 3)
        if dry:
            return None
        if not resume:
            sock = self._sock(e, "new")
            sock.role = "connection"
            self.accepted = True
            self._new_connection()
            self._call(lambda c, t: c.connect(t, remote_port=REMOTE_PORT))
            if e.errno == "EINPROGRESS":
                return (-1, "EINPROGRESS")
        if self.connected:
            return (0, None)
        if self.error is not None:
            err, self.error = self.error, None
            return (-1, err)
        return "block"

    def _io_args(self, e: Syscall) -> int:
        if e.name in ("send", "recv"):
            self._nargs(e, 4)
            if e.args[3] != "0":
                raise NotRunnable(e.line, f"{e.name}() flags {e.args[3]}", "only flags 0")
        else:
            self._nargs(e, 3)
        return _int_arg(e.line, e.args[2], "byte count")

    def _sys_write(self, e: Syscall, dry: bool, resume: bool) -> object:
        size = self._io_args(e)
        if dry:
            return None
        self._sock(e, "connection")
        if self.error is not None:
            err, self.error = self.error, None
            return (-1, err)
        try:
            self._call(lambda c, t: c.send(bytes(size), t))
        except CallError:
            return (-1, "EPIPE")
        return (size, None)

    _sys_send = _sys_write

    def _sys_read(self, e: Syscall, dry: bool, resume: bool) -> object:
        size = self._io_args(e)
        if dry:
            return None
        sock = self._sock(e, "connection")
        assert self.conn is not None
        if self.conn.unread:  # queued data is read even after SHUT_RD (tcp_recvmsg())
            return (len(self.conn.read(size)), None)
        if self.error is not None:
            err, self.error = self.error, None
            return (-1, err)
        if self.eof or sock.shut_rd:
            return (0, None)
        if e.errno == "EAGAIN" and not resume:
            return (-1, "EAGAIN")
        return "block"

    _sys_recv = _sys_read

    def _sys_shutdown(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 2)
        how = e.args[1]
        if how not in ("SHUT_RD", "SHUT_WR", "SHUT_RDWR"):
            raise NotRunnable(e.line, f"shutdown({how})", "not a shutdown() mode")
        if dry:
            return None
        sock = self._sock(e, "connection")
        if how != "SHUT_WR":
            sock.shut_rd = True
        if how != "SHUT_RD":
            try:
                self._call(lambda c, t: c.shutdown(t))
            except CallError:
                assert self.conn is not None
                if self.conn.state not in _FIN_SENT:
                    return (-1, "ENOTCONN")
        return (0, None)

    def _sys_close(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 1)
        if dry:
            return None
        sock = self._sock(e)
        del self.fds[sock.fd]
        conn = self.conn
        if conn is None or sock.role == "new":
            return (0, None)
        if sock.role == "listener" and self.accepted:
            return (0, None)  # the accepted connection lives on
        if sock.role == "listener" and conn.state is State.SYN_RECEIVED:
            # Never accepted, not yet established: dropped without a word (Linux's request
            # sockets, FreeBSD's syncache). Segments that follow meet a CLOSED endpoint.
            self._new_connection()
            return (0, None)
        if conn.state is State.CLOSED:
            return (0, None)
        abort = sock.abort_on_close or (sock.role == "listener" and conn.state is not State.LISTEN)
        # A socket close() always succeeds; an error row of the table is the RFC's CLOSE.
        with contextlib.suppress(CallError):
            self._call(lambda c, t: c.abort(t) if abort else c.close(t))
        return (0, None)

    def _sys_setsockopt(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 5)
        level, name, value = e.args[1], e.args[2], e.args[3]
        if name in _SKIPPED_OPTS:
            if not dry:
                self._sock(e)
                self.skipped[f"setsockopt {name}"] += 1
            return None
        change: Callable[[], None]
        if name == "SO_LINGER" and level == "SOL_SOCKET":
            m = re.fullmatch(
                r"\{\s*(?:l_)?onoff\s*=\s*(\d+)\s*,\s*(?:l_)?linger\s*=\s*(\d+)\s*\}", value
            )
            if m is None:
                raise ScriptSyntaxError(e.line, f"expected {{onoff=N, linger=N}}, got {value!r}")
            if m[1] != "0" and m[2] != "0":
                raise NotRunnable(e.line, "SO_LINGER with a timeout", "a lingering close()")

            def change() -> None:
                self._sock(e).abort_on_close = m[1] != "0"

        elif name == "SO_KEEPALIVE" and level == "SOL_SOCKET":
            on = _int_arg(e.line, _bracket(e.line, value), "SO_KEEPALIVE") != 0

            def change() -> None:
                self._keepalive(enabled=on)

        elif name in ("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT") and level in _TCP_LEVELS:
            n = _int_arg(e.line, _bracket(e.line, value), name)
            key = {"TCP_KEEPIDLE": "idle", "TCP_KEEPINTVL": "interval", "TCP_KEEPCNT": "probes"}

            def change() -> None:
                self._keepalive(**{key[name]: n})

        elif name == "TCP_KEEPINIT" and level in _TCP_LEVELS:
            # FreeBSD tcp(4): how long a connection may take to be established, in seconds.
            n = _int_arg(e.line, _bracket(e.line, value), name)
            if n <= 0:
                raise NotRunnable(e.line, f"TCP_KEEPINIT [{n}]", "only a positive time")

            def change() -> None:
                self._profile_changes({"syn_give_up": float(n)})

        elif name == "TCP_USER_TIMEOUT" and level in _TCP_LEVELS:
            ms = _int_arg(e.line, _bracket(e.line, value), name)

            def change() -> None:
                # tcp(7): 0 means "use the system default".
                self.user_timeout = ms / 1000 if ms else None
                if self.conn is not None:
                    self.conn.user_timeout = self.user_timeout

        else:
            raise NotRunnable(
                e.line, f"setsockopt {name}", _UNSUPPORTED_OPTS.get(name, "not modelled")
            )
        if dry:
            return None
        self._sock(e)
        change()
        return (0, None)

    def _keepalive(self, **values: float | bool) -> None:
        self.keepalive.update({k: float(v) for k, v in values.items()})
        if self.conn is not None:
            k = self.keepalive
            self._call(
                lambda c, t: c.set_keepalive(
                    t,
                    enabled=bool(k.get("enabled", c.keepalive)),
                    idle=k.get("idle"),
                    interval=k.get("interval"),
                    probes=int(k["probes"]) if "probes" in k else None,
                )
            )

    def _sys_getsockopt(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 5)
        level, name, value = e.args[1], e.args[2], e.args[3]
        if name in _SKIPPED_OPTS:
            if not dry:
                self._sock(e)
                self.skipped[f"getsockopt {name}"] += 1
            return None
        if name != "SO_ERROR" or level != "SOL_SOCKET":
            raise NotRunnable(e.line, f"getsockopt {name}", "the reference cannot answer it")
        want = _bracket(e.line, value)
        if dry:
            return None
        self._sock(e)
        got, self.error = self.error, None
        if _errno_value(want) != (_errno_value(got) if got else 0):
            raise Failure(e.line, f"expected {e.text}, got SO_ERROR [{got or 0}]")
        return (0, None)

    def _sys_ioctl(self, e: Syscall, dry: bool, resume: bool) -> object:
        self._nargs(e, 3)
        if e.args[1] not in ("SIOCINQ", "FIONREAD"):
            raise NotRunnable(e.line, f"ioctl {e.args[1]}", "only SIOCINQ/FIONREAD is modelled")
        want = _int_arg(e.line, _bracket(e.line, e.args[2]), "byte count")
        if dry:
            return None
        self._sock(e, "connection")
        got = len(self.conn.unread) if self.conn is not None else 0
        if got != want:
            raise Failure(e.line, f"expected {e.text}, got [{got}] unread bytes")
        return (0, None)
