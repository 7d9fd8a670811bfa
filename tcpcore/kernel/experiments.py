"""The lesson's experiments on the live kernel, as data: one list of socket steps each.

A step is a dict that :mod:`tcpcore.kernel.driver` carries out on real sockets and
:mod:`tcpcore.kernel.predict` on tcpcore (``linux`` profile):

* ``listen`` sock, port [, backlog, reuseaddr]; ``connect`` sock, port, to [, wait]; ``accept``
  sock, as; ``send`` sock, data; ``recv`` sock [, n]; ``shutdown`` sock (SHUT_WR); ``close``
  sock; ``linger0`` sock (SO_LINGER {on, 0}: the next close() resets); ``sleep`` seconds;
  ``sysctl`` name, value (only inside the experiment's own namespace);
* ports are symbols ("S" the server, "C", "C2"... the clients, "X" nobody): fixed numbers in the
  namespace (8080, 40000, ...), free ports on the host;
* ``expect`` names the errno the step should fail with (EADDRINUSE, ECONNREFUSED, ...); any other
  error ends the run with a message naming the step;
* every socket gets SO_REUSEADDR unless ``reuseaddr`` is false.

The *roles* whose states are compared are the connections: a client socket ``cli`` (its side)
and ``cli@server`` (the server's side of the same connection), and each listening socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CLIENT_IP",
    "EXPERIMENTS",
    "OPS",
    "SERVER_IP",
    "Experiment",
    "check_steps",
    "port_numbers",
    "roles",
]

Step = dict[str, Any]
# Servers on 127.0.0.1, clients on 127.0.0.2: Linux routes all of 127.0.0.0/8 to lo, and two
# addresses give a ladder two columns.
SERVER_IP, CLIENT_IP = "127.0.0.1", "127.0.0.2"
NAMESPACE_PORTS = {"S": 8080, "T": 8081, "C": 40000, "C2": 40001, "C3": 40002, "C4": 40003, "X": 9}


# Each op and the keys it needs.
OPS: dict[str, tuple[str, ...]] = {
    "listen": ("sock", "port"),
    "connect": ("sock", "port", "to"),
    "accept": ("sock", "as"),
    "send": ("sock", "data"),
    "recv": ("sock",),
    "shutdown": ("sock",),
    "close": ("sock",),
    "linger0": ("sock",),
    "keepalive": ("sock", "idle", "interval", "probes"),
    "user_timeout": ("sock", "seconds"),
    "sleep": ("seconds",),
    "sysctl": ("name", "value"),
}


def check_steps(steps: tuple[Step, ...] | list[Step]) -> None:
    """ValueError naming the first step that is not one (unknown op, a missing key, a socket
    used before a listen, connect or accept made it)."""
    made: set[str] = set()
    for i, step in enumerate(steps, 1):
        op = step.get("op") if isinstance(step, dict) else None
        if op not in OPS:
            raise ValueError(f"step {i}: unknown op {op!r}; choose one of {', '.join(OPS)}")
        missing = [k for k in OPS[op] if k not in step]
        if missing:
            raise ValueError(f"step {i} ({op}) needs {', '.join(missing)}")
        if op in ("listen", "connect"):
            made.add(step["sock"])
        elif "sock" in step and step["sock"] not in made:
            raise ValueError(f"step {i} ({op}): no socket {step['sock']!r} yet")
        if op == "accept":
            made.add(step["as"])


@dataclass(frozen=True)
class Experiment:
    """One experiment: a name, a title, what to predict, and the steps (checked at once)."""

    name: str
    title: str
    question: str
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        check_steps(self.steps)


def _open(cli: str = "cli", port: str = "C", conn: str = "conn", srv: str = "srv") -> list[Step]:
    return [
        {"op": "connect", "sock": cli, "port": port, "to": "S"},
        {"op": "accept", "sock": srv, "as": conn},
    ]


LISTEN: Step = {"op": "listen", "sock": "srv", "port": "S"}

_EXPERIMENTS = [
    Experiment(
        "handshake-and-close",
        "The handshake and the four-way close",
        "Which side ends in TIME-WAIT, and which segments cross the wire?",
        (
            LISTEN,
            *_open(),
            {"op": "send", "sock": "cli", "data": "hello"},
            {"op": "recv", "sock": "conn", "n": 5},
            {"op": "close", "sock": "cli"},
            {"op": "close", "sock": "conn"},
        ),
    ),
    Experiment(
        "close-wait-forever",
        "CLOSE-WAIT that never ends",
        "Three clients hang up; the server never calls close(). What does ss show?",
        (
            LISTEN,
            *_open("c1", "C", "s1"),
            *_open("c2", "C2", "s2"),
            *_open("c3", "C3", "s3"),
            {"op": "close", "sock": "c1"},
            {"op": "close", "sock": "c2"},
            {"op": "close", "sock": "c3"},
        ),
    ),
    Experiment(
        "time-wait-and-eaddrinuse",
        "TIME-WAIT on the side that closes first; restarting the server",
        "The server closes first. Can a new server bind the same port at once?",
        (
            {"op": "listen", "sock": "srv", "port": "S", "reuseaddr": False},
            *_open(),
            {"op": "close", "sock": "conn"},
            {"op": "close", "sock": "cli"},
            {"op": "close", "sock": "srv"},
            {
                "op": "listen",
                "sock": "srv2",
                "port": "S",
                "reuseaddr": False,
                "expect": "EADDRINUSE",
            },
            {
                "op": "listen",
                "sock": "srv3",
                "port": "S",
                "reuseaddr": True,
                "expect": "EADDRINUSE",
            },
            {"op": "listen", "sock": "web", "port": "T", "reuseaddr": True},
            {"op": "connect", "sock": "c2", "port": "C2", "to": "T"},
            {"op": "accept", "sock": "web", "as": "w"},
            {"op": "close", "sock": "w"},
            {"op": "close", "sock": "c2"},
            {"op": "close", "sock": "web"},
            {"op": "listen", "sock": "web2", "port": "T", "reuseaddr": True},
        ),
    ),
    Experiment(
        "refused-reset-broken-pipe",
        "Connection refused, reset by the peer, broken pipe",
        "Which errno does each call get: connect to a closed port, recv after the peer's RST, "
        "send after that?",
        (
            {"op": "connect", "sock": "x", "port": "C4", "to": "X", "expect": "ECONNREFUSED"},
            LISTEN,
            *_open(),
            {"op": "send", "sock": "cli", "data": "never read"},
            {"op": "close", "sock": "conn"},
            {"op": "recv", "sock": "cli", "expect": "ECONNRESET"},
            {"op": "send", "sock": "cli", "data": "more", "expect": "EPIPE"},
            *_open("c2", "C2", "conn2"),
            {"op": "linger0", "sock": "conn2"},
            {"op": "close", "sock": "conn2"},
            {"op": "recv", "sock": "c2", "expect": "ECONNRESET"},
        ),
    ),
    Experiment(
        "time-wait-syn-reuse",
        "A new SYN on a 4-tuple still in TIME-WAIT",
        "The server holds the connection in TIME-WAIT; the client connects again from the same "
        "port. Refused, ignored, or accepted?",
        (
            LISTEN,
            *_open(),
            {"op": "close", "sock": "conn"},
            {"op": "close", "sock": "cli"},
            {"op": "connect", "sock": "cli", "port": "C", "to": "S"},
            {"op": "accept", "sock": "srv", "as": "conn2"},
        ),
    ),
    Experiment(
        "listen-backlog",
        "The listen backlog: a server that never accepts",
        "backlog 1, nobody calls accept(), four clients connect. How many get in?",
        (
            {"op": "sysctl", "name": "net.ipv4.tcp_syncookies", "value": 1},
            {"op": "listen", "sock": "srv", "port": "S", "backlog": 1},
            {"op": "connect", "sock": "c1", "port": "C", "to": "S", "wait": False},
            {"op": "connect", "sock": "c2", "port": "C2", "to": "S", "wait": False},
            {"op": "connect", "sock": "c3", "port": "C3", "to": "S", "wait": False},
            {"op": "sysctl", "name": "net.ipv4.tcp_syncookies", "value": 0},
            {"op": "connect", "sock": "c4", "port": "C4", "to": "S", "wait": False},
        ),
    ),
    Experiment(
        "half-close",
        "Half-close: shutdown(SHUT_WR)",
        "The client shuts down its sending side. Can the server still send to it?",
        (
            LISTEN,
            *_open(),
            {"op": "shutdown", "sock": "cli"},
            {"op": "recv", "sock": "conn"},
            {"op": "send", "sock": "conn", "data": "still talking"},
            {"op": "recv", "sock": "cli", "n": 13},
            {"op": "close", "sock": "conn"},
            {"op": "close", "sock": "cli"},
        ),
    ),
]

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in _EXPERIMENTS}


def roles(steps: tuple[Step, ...] | list[Step]) -> list[tuple[str, str, str]]:
    """(role, local port symbol, peer port symbol) of every connection and listener, in order.

    A listener's peer is "*". A client ``cli`` gives ``cli`` (local C, peer S) and, when
    something listens on S in this experiment, ``cli@server`` (local S, peer C).
    """
    listened = {s["port"] for s in steps if s["op"] == "listen"}
    out: list[tuple[str, str, str]] = []
    for s in steps:
        if s["op"] == "listen":
            entry = (s["sock"], s["port"], "*")
            if not s.get("expect") and all(o[1:] != entry[1:] for o in out):
                out.append(entry)  # one role per listening port, named by its first socket
        elif s["op"] == "connect":
            for entry in (
                (s["sock"], s["port"], s["to"]),
                (s["sock"] + "@server", s["to"], s["port"]),
            ):
                if entry not in out and (not entry[0].endswith("@server") or s["to"] in listened):
                    out.append(entry)
    return out


def port_numbers(steps: tuple[Step, ...] | list[Step]) -> dict[str, int]:
    """The port symbols of the steps, with their numbers in the experiment's namespace."""
    symbols = {p for s in steps for k in ("port", "to") if isinstance(p := s.get(k), str)}
    return {sym: NAMESPACE_PORTS.get(sym, 41000 + i) for i, sym in enumerate(sorted(symbols))}
