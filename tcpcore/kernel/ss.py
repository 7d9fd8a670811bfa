"""The kernel's view of its TCP sockets: ``ss -tanoi`` (or /proc/net/tcp) as typed records.

``ss`` (iproute2) asks the kernel over netlink (sock_diag) for every TCP socket of the network
namespace, TIME-WAIT and orphans included, and prints one line per socket::

    State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
    TIME-WAIT  0      0          127.0.0.1:40000    127.0.0.1:8080  timer:(timewait,59sec,0)

``-o`` adds the timer: its kind (``on`` retransmission, ``keepalive``, ``timewait``, ``persist``)
and the time left, printed as ``59sec``, ``4.928ms`` (4 s and 928 ms: ss writes the seconds, a
dot, then the milliseconds), ``1min5sec`` or ``200ms``. ``-i`` adds a second, indented line of
TCP_INFO details, which is kept as text. The kernel's state names are mapped to RFC 9293's
(ESTAB is ESTABLISHED, SYN-RECV is SYN-RECEIVED, UNCONN is CLOSED).

Without ``ss``, /proc/net/tcp and /proc/net/tcp6 say the same in hexadecimal: the state number
of include/net/tcp_states.h, and the timer as ``tr:tm->when`` (kind 1 retransmit, 2 keepalive,
3 TIME-WAIT, 4 zero-window probe; the time left in USER_HZ ticks, 100 a second).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..protocol.states import State

__all__ = ["KERNEL_STATE_NUMBERS", "SocketRecord", "parse_proc_net_tcp", "parse_ss", "read_sockets"]

# include/net/tcp_states.h: the number /proc/net/tcp prints, and the name ss prints for it.
KERNEL_STATE_NUMBERS = {
    1: "ESTAB",
    2: "SYN-SENT",
    3: "SYN-RECV",
    4: "FIN-WAIT-1",
    5: "FIN-WAIT-2",
    6: "TIME-WAIT",
    7: "UNCONN",
    8: "CLOSE-WAIT",
    9: "LAST-ACK",
    10: "LISTEN",
    11: "CLOSING",
    12: "SYN-RECV",  # TCP_NEW_SYN_RECV: a request socket, shown as SYN-RECV
}
_TIMER_NAMES = {"on": "retransmit"}
_PROC_TIMERS = {1: "on", 2: "keepalive", 3: "timewait", 4: "persist"}
_TIMER = re.compile(r"timer:\((\w+),([^,]*),(\d+)\)")
_DURATION = re.compile(r"(?:(\d+)min)?(?:(\d+)(sec|\.))?(?:(\d+)ms)?")


@dataclass(frozen=True, slots=True)
class SocketRecord:
    """One TCP socket as the kernel reports it.

    ``local`` and ``peer`` are "ip:port" ("[v6]:port"; a listener's peer is "*:*"); ``kernel_state``
    is the kernel's own name (ESTAB, SYN-RECV, ...) and ``state`` the RFC state it is. For a
    listener, ``recv_q`` is the accept queue's length and ``send_q`` its limit (the backlog); for
    a connection they are the bytes not yet read and not yet acknowledged. ``timer`` is the kind
    ("on", "keepalive", "timewait", "persist") or None, ``timer_left`` the seconds to go.
    """

    state: State
    kernel_state: str
    local: str
    peer: str
    recv_q: int = 0
    send_q: int = 0
    timer: str | None = None
    timer_left: float | None = None
    retransmits: int = 0
    info: str = field(default="", compare=False)

    @property
    def local_port(self) -> int:
        return _port(self.local)

    @property
    def peer_port(self) -> int:
        return _port(self.peer)

    def line(self) -> str:
        """One line, as ss prints it, with the RFC name beside the kernel's."""
        name = self.kernel_state + (
            "" if self.kernel_state == str(self.state) else f" ({self.state})"
        )
        kind = _TIMER_NAMES.get(self.timer or "", self.timer)
        timer = f"{kind} timer, {self.timer_left:g} s left" if self.timer else ""
        line = f"{name:<25} {self.recv_q:>6} {self.send_q:>6}  {self.local:<21} {self.peer:<21}"
        return (line + timer).rstrip()


def _port(addr: str) -> int:
    tail = addr.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _seconds(text: str) -> float | None:
    """ss's duration ("59sec", "4.928ms", "1min5sec", "200ms") in seconds; None if not one."""
    text = text.lstrip("-")
    m = _DURATION.fullmatch(text)
    if not m or not text:
        return None
    minutes, secs, _sep, ms = m.groups()
    return int(minutes or 0) * 60 + int(secs or 0) + int(ms or 0) / 1000


def _address(text: str) -> str:
    """ss's "127.0.0.1:80", "[::1]:80", "0.0.0.0:*", "*:*", "[::ffff:127.0.0.1]:80"."""
    if text.endswith(":*"):
        return "*:*"
    host, _, port = text.rpartition(":")
    if host.startswith("[::ffff:") and host.count(".") == 3:
        host = host[8:-1]  # an IPv4 client of a dual-stack socket, as tcpcore writes it
    return f"{host}:{port}"


def parse_ss(text: str) -> list[SocketRecord]:
    """The records of ``ss -tan`` output, with or without ``-o``, ``-i``, ``-H``.

    A line that is not a socket (the header, an -i detail line) is not a record; an -i line is
    kept as the ``info`` of the socket above it.
    """
    out: list[SocketRecord] = []
    for raw in text.splitlines():
        if raw[:1].isspace():
            if out and raw.strip():
                last = out[-1]
                out[-1] = SocketRecord(
                    last.state,
                    last.kernel_state,
                    last.local,
                    last.peer,
                    last.recv_q,
                    last.send_q,
                    last.timer,
                    last.timer_left,
                    last.retransmits,
                    (last.info + " " + raw.strip()).strip(),
                )
            continue
        parts = raw.split()
        if len(parts) < 5 or not parts[1].isdigit() or not parts[2].isdigit():
            continue  # the header line, or something that is not a socket
        try:
            state = State.parse(parts[0])
        except ValueError:
            continue
        timer = left = None
        retransmits = 0
        m = _TIMER.search(raw)
        if m:
            timer, left, retransmits = m[1], _seconds(m[2]), int(m[3])
        out.append(
            SocketRecord(
                state,
                parts[0],
                _address(parts[3]),
                _address(parts[4]),
                int(parts[1]),
                int(parts[2]),
                timer,
                left,
                retransmits,
            )
        )
    return out


def _proc_address(hexaddr: str) -> str:
    host, port = hexaddr.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = ".".join(str(b) for b in raw[::-1])  # one little-endian 32-bit word
        return f"{ip}:{int(port, 16)}"
    import ipaddress

    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    v6 = ipaddress.IPv6Address(words)
    if v6.ipv4_mapped is not None:
        return f"{v6.ipv4_mapped}:{int(port, 16)}"
    return f"[{v6}]:{int(port, 16)}"


def parse_proc_net_tcp(text: str) -> list[SocketRecord]:
    """The records of /proc/net/tcp and /proc/net/tcp6 (their header lines are skipped)."""
    out: list[SocketRecord] = []
    for raw in text.splitlines():
        parts = raw.split()
        if len(parts) < 7 or parts[0] == "sl":
            continue
        number = int(parts[3], 16)
        name = KERNEL_STATE_NUMBERS.get(number, "UNCONN")
        tx, rx = (int(x, 16) for x in parts[4].split(":"))
        kind, when = parts[5].split(":")
        timer = _PROC_TIMERS.get(int(kind, 16))
        local, peer = _proc_address(parts[1]), _proc_address(parts[2])
        if name == "LISTEN":
            peer = "*:*"
        out.append(
            SocketRecord(
                State.parse(name),
                name,
                local,
                peer,
                rx,
                tx,
                timer,
                int(when, 16) / 100 if timer else None,
                int(parts[6], 16),
            )
        )
    return out


def read_sockets(ports: Iterable[int] | None = None, timeout: float = 5.0) -> list[SocketRecord]:
    """This namespace's TCP sockets now, from ``ss -tanoi`` (or /proc/net/tcp{,6} when ss is
    missing), keeping those whose local or peer port is one of ``ports`` (all when None)."""
    if shutil.which("ss"):
        result = subprocess.run(
            ["ss", "-tanoiH"], capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise OSError(f"ss -tanoiH failed: {result.stderr.strip() or result.returncode}")
        records = parse_ss(result.stdout)
    else:
        records = []
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(name, encoding="ascii") as f:
                    records += parse_proc_net_tcp(f.read())
            except FileNotFoundError:
                continue
    if ports is None:
        return records
    wanted = set(ports)
    return [r for r in records if r.local_port in wanted or r.peer_port in wanted]
