"""The scenarios the Linux oracle runs, and the record of one run (see :mod:`linux_oracle`).

Why a module of its own: the scenarios are data that three parties read, the harness that runs
them on the kernel (:mod:`linux_oracle`), the checks that replay them on tcpcore
(:mod:`linux_checks`) and the tests of the shipped recordings; none of them should need the
others to know what a scenario is.

A scenario is a list of steps for the driver in :mod:`linux_programs` ("listen", "connect",
"send", "recv", "shutdown", "close", "linger0", "keepalive", "blackhole", "sleep", "sysctl" for
a per-namespace net.ipv4 switch, "sniff" and "inject_rst" for a RST forged from outside the
sockets...), each a small dict; ``listen`` with a ``backlog`` is replayed on a tcpcore Listener.
``expect`` names the errno a step must end with, ``settle`` overrides the pause before the
kernel's states are read after it, and ``read=False`` skips reading them (when the next call must
follow at once, as the second of two crossing SYNs or FINs).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVER_PORT, CLIENT_PORT = 5001, 40001
SHIPPED = Path(__file__).resolve().parent / "data" / "linux"  # the recorded runs


def _s(op: str, sock: str | None = None, **kw: Any) -> dict[str, Any]:
    """One step, as the driver reads it."""
    return {"op": op, **({"sock": sock} if sock else {}), **kw}


REQUEST, REPLY = "GET /hello\n", "hello, world\n"


def _open() -> list[dict[str, Any]]:
    """Listen, connect, accept, and one line each way: a connection with data seen both ways."""
    return [
        _s("listen", "listener", port=SERVER_PORT),
        _s("connect", "client", port=CLIENT_PORT, to=SERVER_PORT),
        _s("accept", "listener", **{"as": "server"}),
        _s("send", "client", data=REQUEST),
        _s("recv", "server", n=len(REQUEST)),
        _s("send", "server", data=REPLY),
        _s("recv", "client", n=len(REPLY)),
    ]


@dataclass(frozen=True)
class Scenario:
    """A script of socket calls; ``delay`` is the delay line's one-way delay (seconds)."""

    name: str
    about: str
    steps: tuple[dict[str, Any], ...]
    ipv6: bool = False
    delay: float = 0.0
    settle: float = 0.05  # pause after each step before the kernel's states are read
    roles: tuple[tuple[int, str], ...] = ((CLIENT_PORT, "client"), (SERVER_PORT, "server"))
    # (role, state) pairs the kernel must report, and the observer be compared on, at least
    # once: the point of the scenario, so that a run whose timing missed it fails, not passes.
    shows: tuple[tuple[str, str], ...] = ()
    # What a capture cannot show, as (role, the kernel's state, the observer's) and why: the
    # observer check must find exactly these differences (a pinned limit), and no others.
    observer_blind: tuple[tuple[str, str, str], ...] = ()
    blind_because: str = ""

    @property
    def address(self) -> str:
        return "::1" if self.ipv6 else "127.0.0.1"

    def role(self, port: int) -> str:
        return dict(self.roles).get(port, f"port {port}")


# With the delay line at D seconds a round trip takes 2D. D = 0.25 keeps a FIN's round trip
# (0.5 s, plus up to 40 ms of delayed ACK) well under the RTO that a handshake over the same wire
# gives (about 1.5 s), so nothing is retransmitted; and reading the states D + 0.1 s after the
# call (MIDWAY) falls 0.1 s after the segment arrives and 0.15 s before its answer does: margins
# that held with every CPU of the machine busy, where 0.15 s did not.
CROSS_DELAY = 0.25
MIDWAY = CROSS_DELAY + 0.1  # settle: after a segment has arrived, before its answer has
# Linux acknowledges a FIN after the delayed-ACK timer (at least 40 ms, TCP_DELACK_MIN: tcp_fin()
# enters ping-pong mode), which tcpcore does not model (it ACKs at once). The default settle of
# 50 ms is just past it and a busy machine lets the ACK slip behind the reading of the states
# (seen once: FIN-WAIT-1 where the reference was in FIN-WAIT-2); rst-in-time-wait-* wait longer.
ACK_SETTLE = 0.15

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "client-closes-first",
            "the client closes first, then the server: the textbook teardown, every state of it",
            (
                *_open(),
                # Read the states once the FIN has arrived and before its ACK has: FIN-WAIT-1.
                _s("close", "client", settle=MIDWAY),
                _s("recv_eof", "server"),
                _s("close", "server", settle=MIDWAY),  # LAST-ACK, likewise
                _s("sleep", seconds=0.1),
                _s("close", "listener"),
            ),
            delay=CROSS_DELAY,
            settle=MIDWAY,
            shows=(
                ("client", "FIN-WAIT-1"),
                ("client", "FIN-WAIT-2"),
                ("server", "CLOSE-WAIT"),
                ("server", "LAST-ACK"),
                ("client", "TIME-WAIT"),
            ),
        ),
        Scenario(
            "server-closes-first",
            "the server closes first; the client sees end of stream, then closes",
            (
                *_open(),
                _s("close", "server"),
                _s("recv_eof", "client"),
                _s("close", "client"),
                _s("close", "listener"),
            ),
            shows=(("server", "FIN-WAIT-2"), ("client", "CLOSE-WAIT"), ("server", "TIME-WAIT")),
        ),
        Scenario(
            "half-close",
            "the client shuts down its sending side; the server goes on sending, then closes",
            (
                *_open(),
                _s("shutdown", "client"),
                _s("recv_eof", "server"),
                _s("send", "server", data="more after your FIN\n"),
                _s("recv", "client", n=len("more after your FIN\n")),
                _s("close", "server"),
                _s("recv_eof", "client"),
                _s("close", "client"),
                _s("close", "listener"),
            ),
            shows=(("client", "FIN-WAIT-2"), ("server", "CLOSE-WAIT"), ("client", "TIME-WAIT")),
        ),
        Scenario(
            "refused",
            "connect to a port where nothing listens: SYN, RST+ACK, ECONNREFUSED",
            (
                _s("connect", "client", port=CLIENT_PORT, to=SERVER_PORT, expect="ECONNREFUSED"),
                _s("close", "client"),
            ),
            shows=(("client", "CLOSED"),),
        ),
        Scenario(
            "abort",
            "the client closes with SO_LINGER 0: a RST instead of a FIN",
            (
                *_open(),
                _s("linger0", "client"),
                _s("close", "client"),
                _s("recv", "server", n=1, expect="ECONNRESET"),
                _s("close", "server"),
                _s("close", "listener"),
            ),
            shows=(("client", "CLOSED"), ("server", "CLOSED")),
        ),
        Scenario(
            "close-unread",
            "the server closes without reading what arrived: a RST (RFC 2525 2.17)",
            (
                *_open(),
                _s("send", "client", data="nobody will read this\n"),
                _s("close", "server"),
                _s("recv", "client", n=1, expect="ECONNRESET"),
                _s("close", "client"),
                _s("close", "listener"),
            ),
            shows=(("server", "CLOSED"), ("client", "CLOSED")),
        ),
        Scenario(
            "simultaneous-close",
            "both sides shut down while the other's FIN is on the wire: CLOSING on both sides",
            (
                *_open(),
                _s("shutdown", "client", settle=0.0, read=False),
                _s("shutdown", "server", settle=MIDWAY),
                _s("sleep", seconds=0.4),
                _s("close", "client"),
                _s("close", "server"),
                _s("close", "listener"),
            ),
            delay=CROSS_DELAY,
            settle=MIDWAY,
            shows=(
                ("client", "CLOSING"),
                ("server", "CLOSING"),
                ("client", "TIME-WAIT"),
                ("server", "TIME-WAIT"),
            ),
        ),
        Scenario(
            "simultaneous-open",
            "two sockets on fixed ports connect to each other; the SYNs cross (RFC 9293 Fig. 8)",
            (
                _s(
                    "connect",
                    "a",
                    port=CLIENT_PORT,
                    to=SERVER_PORT,
                    wait=False,
                    settle=0,
                    read=False,
                ),
                _s(
                    "connect",
                    "b",
                    port=SERVER_PORT,
                    to=CLIENT_PORT,
                    wait=False,
                    settle=MIDWAY,
                ),
                _s("sleep", seconds=0.4),
                _s("wait_connected", "a"),
                _s("wait_connected", "b"),
                _s("send", "a", data=REQUEST),
                _s("recv", "b", n=len(REQUEST)),
                _s("close", "a"),
                _s("recv_eof", "b"),
                _s("close", "b"),
            ),
            delay=CROSS_DELAY,
            settle=MIDWAY,
            roles=((CLIENT_PORT, "a"), (SERVER_PORT, "b")),
            shows=(("a", "SYN-RECEIVED"), ("b", "SYN-RECEIVED"), ("a", "ESTABLISHED")),
        ),
        Scenario(
            "ipv6",
            "the client-closes-first exchange over IPv6 loopback",
            (
                *_open(),
                _s("shutdown", "client"),
                _s("recv_eof", "server"),
                _s("close", "server"),
                _s("recv_eof", "client"),
                _s("close", "client"),
                _s("close", "listener"),
            ),
            ipv6=True,
            shows=(("client", "FIN-WAIT-2"), ("client", "TIME-WAIT")),
        ),
        Scenario(
            "keepalive",
            "keepalive (idle 1 s, interval 1 s, 3 probes) while the server's answers are dropped",
            (
                *_open(),
                _s("keepalive", "client", idle=1, interval=1, probes=3),
                _s("blackhole", from_port=SERVER_PORT),
                _s("sleep", seconds=1.6),
                _s("sleep", seconds=3.0),
                _s("recv", "client", n=1, expect="ETIMEDOUT"),
                _s("close", "client"),
                _s("close", "server"),
                _s("close", "listener"),
            ),
            shows=(("client", "ESTABLISHED"), ("client", "CLOSED"), ("server", "CLOSED")),
        ),
        Scenario(
            "time-wait-reuse",
            "the server closes first and sits in TIME-WAIT; the client reconnects from the same "
            "port: Linux takes the new SYN (a higher ISN) and opens a new connection at once, "
            "its ISS the old SND.NXT + 65537 (tcp_timewait_state_process(), tcp_tw_isn)",
            (
                *_open(),
                _s("close", "server"),
                _s("recv_eof", "client"),
                _s("close", "client"),
                _s("sleep", seconds=0.3),  # the client's LAST-ACK ends: its port is free again
                # Read once the new SYN has reached the server's TIME-WAIT and before the
                # SYN+ACK is back: TIME-WAIT -> SYN-RECEIVED on the server, SYN-SENT here.
                _s("connect", "client2", port=CLIENT_PORT, to=SERVER_PORT, wait=False),
                _s("wait_connected", "client2"),
                _s("accept", "listener", **{"as": "server2"}),
                _s("send", "client2", data=REQUEST),
                _s("recv", "server2", n=len(REQUEST)),
                _s("close", "client2"),
                _s("recv_eof", "server2"),
                _s("close", "server2"),
                _s("close", "listener"),
            ),
            delay=CROSS_DELAY,
            settle=MIDWAY,
            shows=(
                ("server", "TIME-WAIT"),
                ("client", "CLOSED"),
                ("client", "SYN-SENT"),
                ("server", "SYN-RECEIVED"),
                ("client", "TIME-WAIT"),
            ),
        ),
        *(
            Scenario(
                f"rst-in-time-wait-rfc1337-{value}",
                "a RST forged from outside the sockets (a raw socket, at exactly the client's "
                "RCV.NXT) reaches the client in TIME-WAIT with net.ipv4.tcp_rfc1337 = "
                f"{value}: {about}",
                (
                    _s("sysctl", name="tcp_rfc1337", value=value),
                    _s("sniff"),
                    *_open(),
                    _s("close", "client"),
                    _s("recv_eof", "server"),
                    _s("close", "server"),
                    _s("inject_rst", from_port=SERVER_PORT, to_port=CLIENT_PORT),
                    _s("close", "listener"),
                ),
                settle=ACK_SETTLE,
                shows=(("client", "TIME-WAIT"), *shows),
                observer_blind=blind,
                blind_because=(
                    "the wire looks the same whether a RST killed TIME-WAIT or was ignored "
                    "(no answer either way): only the receiver's tcp_rfc1337 decides, and a "
                    "capture does not show it; the observer follows RFC 9293 (closed)"
                    if blind
                    else ""
                ),
            )
            for value, about, shows, blind in (
                (
                    0,
                    "TIME-WAIT is killed (assassination, RFC 1337)",
                    (("client", "CLOSED"),),
                    (),
                ),
                (
                    1,
                    "the RST is ignored, TIME-WAIT stays (RFC 1337 section 3)",
                    (),
                    (("client", "TIME-WAIT", "CLOSED"),),
                ),
            )
        ),
        *(
            Scenario(
                f"listen-overflow-syncookies-{value}",
                "listen(backlog 1) and three connects while the first two handshakes are on "
                f"the wire, net.ipv4.tcp_syncookies = {value}: the third SYN finds the SYN "
                f"queue full and {about}",
                (
                    _s("sysctl", name="tcp_syncookies", value=value),
                    _s("listen", "listener", port=SERVER_PORT, backlog=1),
                    *(
                        _s("connect", c, port=p, to=SERVER_PORT, wait=False, settle=0, read=False)
                        for c, p in (("c1", CLIENT_PORT), ("c2", CLIENT_PORT + 1))
                    ),
                    _s("sleep", seconds=0.05, settle=0.25),
                    _s("connect", "c3", port=CLIENT_PORT + 2, to=SERVER_PORT, wait=False),
                    _s("accept", "listener", settle=0, read=False, **{"as": "s1"}),
                    _s("accept", "listener", **{"as": "s2"}),
                    _s("sleep", seconds=1.3),
                    _s("wait_connected", "c1"),
                    _s("wait_connected", "c2"),
                    _s("wait_connected", "c3"),
                    _s("accept", "listener", **{"as": "s3"}),
                    *(_s("close", c, settle=0, read=False) for c in ("c1", "c2", "c3")),
                    *(_s("close", s, settle=0, read=False) for s in ("s1", "s2", "s3")),
                    _s("close", "listener"),
                ),
                delay=CROSS_DELAY,
                settle=MIDWAY,
                roles=(
                    (CLIENT_PORT, "c1"),
                    (CLIENT_PORT + 1, "c2"),
                    (CLIENT_PORT + 2, "c3"),
                    (SERVER_PORT, "server"),
                ),
                shows=shows,
            )
            for value, about, shows in (
                (
                    1,
                    "is answered with a SYN cookie: no state kept until the ACK comes back",
                    (("c3", "ESTABLISHED"),),
                ),
                (
                    0,
                    "is dropped; the client sends it again after its 1 s RTO",
                    (("c3", "SYN-SENT"), ("c3", "ESTABLISHED")),
                ),
            )
        ),
    )
}


@dataclass
class Run:
    """What one scenario did on the kernel: steps, state snapshots, packets through the delay line.

    ``flights`` has one entry per TCP packet: when it entered the delay line ("in"), when it left
    ("out"), its "src", "dst" and tcpdump-style "flags". ``checksums_complete`` says that every
    TCP packet passed the delay line, so every captured checksum must verify.
    """

    scenario: str
    kernel: str
    date: str
    steps: list[dict[str, Any]]
    snapshots: list[dict[str, Any]]
    flights: list[dict[str, Any]]
    checksums_complete: bool
    pcap: Path = field(default=Path(), compare=False)

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        del data["pcap"]
        return json.dumps(data, indent=1)

    @classmethod
    def load(cls, json_path: Path) -> Run:
        """A shipped run: NAME.json beside NAME.pcap."""
        data = json.loads(json_path.read_text())
        return cls(**data, pcap=json_path.with_suffix(".pcap"))

    @property
    def spec(self) -> Scenario:
        return SCENARIOS[self.scenario]
