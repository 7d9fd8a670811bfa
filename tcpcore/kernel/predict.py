"""tcpcore's prediction of an experiment: the same socket steps on the reference TCP.

Each step of the experiment is carried out on :class:`~tcpcore.protocol.connection.Connection` s
(the clients) and :class:`~tcpcore.protocol.listener.Listener` s (the servers, with ``auto_read``
off so that unread data stays unread) on a simulated loopback: one network, a 0.5 ms one-way delay,
the ``linux`` profile. Step i happens at i * 0.5 s of the virtual clock (after any sleeps), or at
the moment it started in a kernel run when ``times`` are given; the states are read once the
segments it set off have settled, like the kernel run's ``ss`` after each step.

What the sockets API adds to TCP is modelled here, in one place, as Linux does it:

* errors as the calls see them: a refused open gives ECONNREFUSED; after a RST the next call
  gives ECONNRESET (the socket's pending error, read once), later sends EPIPE and later reads end
  of stream; a blocking connect or accept that nothing answers times out (ETIMEDOUT);
* bind() (inet_csk_bind_conflict()): a port is in use while a socket or a connection of it is
  alive (TIME-WAIT included), unless both the old socket and the new one set SO_REUSEADDR and
  the old one is not listening: EADDRINUSE. A connection inherits its listener's SO_REUSEADDR;
* close() after SO_LINGER 0 is ABORT; a sysctl has no counterpart (the note says so).
"""

from __future__ import annotations

from typing import Any

from ..protocol.connection import Connection
from ..protocol.listener import Listener
from ..protocol.profiles import Profile, get_profile
from ..protocol.states import State
from ..protocol.table import Action, CallError
from ..sim.network import Link, Network
from .experiments import CLIENT_IP, SERVER_IP, Experiment, port_numbers, roles
from .results import Run, StepResult, port_symbols, segment_label

__all__ = ["predict"]

GAP, SETTLE, DELAY = 0.5, 0.4, 0.0005
IP = SERVER_IP
_GONE = (State.CLOSED, State.LISTEN)


class _Model:
    """The experiment's sockets on a simulated network."""

    def __init__(self, ports: dict[str, int], profile: Profile) -> None:
        self.ports, self.profile = ports, profile
        self.net = Network(0, profile=profile.name, link=Link(delay=DELAY))
        self.clients: dict[int, Connection] = {}  # by local port
        self.listeners: dict[int, Listener] = {}  # by local port
        self.socks: dict[str, Connection | Listener] = {}
        self.reuse: dict[int, bool] = {}  # id(socket or listener) -> SO_REUSEADDR
        self.linger0: set[int] = set()
        self.reported: dict[int, int] = {}  # id(conn) -> how many errors it has given
        self.until = 0.0  # the end of the current step's window: a blocking call waits to here

    def port(self, symbol: str) -> int:
        return self.ports[symbol]

    # -- the calls ----------------------------------------------------------------------------

    def do(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        op = step["op"]
        handler = getattr(self, "op_" + op)
        try:
            result: tuple[str | None, str] = handler(step, now)
        except CallError as exc:
            return "EPIPE" if op == "send" else "EINVAL", str(exc)
        return result

    def _in_use(self, port: int, reuse: bool) -> bool:
        """inet_csk_bind_conflict(), for one address: see the module docstring."""
        users: list[tuple[State, bool]] = []
        lst = self.listeners.get(port)
        if lst is not None:
            users.append((lst.state, self.reuse.get(id(lst), True)))
            users += [(c.state, self.reuse.get(id(lst), True)) for c in lst.children.values()]
        conn = self.clients.get(port)
        if conn is not None:
            users.append((conn.state, self.reuse.get(id(conn), True)))
        return any(
            state is not State.CLOSED and not (reuse and old and state is not State.LISTEN)
            for state, old in users
        )

    def op_listen(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        port, reuse = self.port(step["port"]), step.get("reuseaddr", True)
        if self._in_use(port, reuse):
            return "EADDRINUSE", "the port is in use"
        lst = self.listeners.get(port)
        if lst is None:
            lst = Listener(
                port, IP, backlog=int(step.get("backlog", 8)), profile=self.profile,
                name=step["sock"], auto_read=False,
            )  # fmt: skip
            self.listeners[port] = lst
            self.net.add(step["sock"], lst)
        self.reuse[id(lst)] = reuse
        self.socks[step["sock"]] = lst
        lst.listen(now)
        return None, f"listening on {IP}:{port}"

    def op_connect(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        port, to = self.port(step["port"]), self.port(step["to"])
        if self._in_use(port, step.get("reuseaddr", True)):
            return "EADDRINUSE", "the port is in use"
        conn = self.clients.get(port)
        if conn is None:
            conn = Connection(
                port, to, self.profile, name=step["sock"], local_ip=CLIENT_IP, remote_ip=IP,
                auto_read=False,
            )  # fmt: skip
            self.clients[port] = conn
            self.net.add(step["sock"], conn)
        self.reuse[id(conn)] = step.get("reuseaddr", True)
        self.socks[step["sock"]] = conn
        self.reported[id(conn)] = 0
        self.net.at(now, lambda: conn.connect(self.net.now))
        self.net.run(self.until)
        if not step.get("wait", True):
            return None, "SYN sent (not waiting for the answer)"
        if conn.state is State.ESTABLISHED:
            return None, f"connected from port {port}"
        return self._error(conn) or "ETIMEDOUT", "no answer"

    def op_accept(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        lst = self.socks[step["sock"]]
        assert isinstance(lst, Listener)
        child = lst.accept()
        if child is None:
            return "ETIMEDOUT", "no connection to accept"
        self.socks[step["as"]] = child
        self.reported[id(child)] = 0
        return None, f"accepted a connection from port {child.remote_port}"

    def _conn(self, step: dict[str, Any]) -> Connection:
        conn = self.socks[step["sock"]]
        assert isinstance(conn, Connection)
        return conn

    def _error(self, conn: Connection) -> str | None:
        """The socket's pending error (ECONNREFUSED, ECONNRESET), each reported once."""
        signals = [
            a
            for s in conn.history
            for a in s.row.actions
            if a in (Action.SIGNAL_RESET, Action.SIGNAL_REFUSED)
        ]
        if len(signals) <= self.reported.get(id(conn), 0):
            return None
        self.reported[id(conn)] = len(signals)
        return "ECONNREFUSED" if signals[-1] is Action.SIGNAL_REFUSED else "ECONNRESET"

    def op_send(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        conn = self._conn(step)
        error = self._error(conn)
        if error:
            return error, "the connection was reset"
        if conn.state is State.CLOSED:
            return "EPIPE", "the connection is gone"
        data = step["data"].encode()
        self.net.at(now, lambda: conn.send(data, self.net.now))
        return None, f"sent {len(data)} bytes"

    def op_recv(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        conn = self._conn(step)
        error = self._error(conn)
        if error:
            return error, "the connection was reset"
        got = conn.read(int(step.get("n", 4096)))
        return None, f"read {len(got)} bytes" + (": end of stream" if not got else f": {got!r}")

    def op_shutdown(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        conn = self._conn(step)
        self.net.at(now, lambda: conn.shutdown(self.net.now))
        return None, "shutdown(SHUT_WR)"

    def op_close(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        sock = self.socks.pop(step["sock"])
        if isinstance(sock, Listener):
            sock.close(now)
        elif id(sock) in self.linger0:
            self.net.at(now, lambda: sock.abort(self.net.now))
        elif sock.state is not State.CLOSED:
            self.net.at(now, lambda: sock.close(self.net.now))
        return None, "closed"

    def op_linger0(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        self.linger0.add(id(self._conn(step)))
        return None, "SO_LINGER {on, 0 s}"

    def op_sleep(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        return None, f"waited {step['seconds']} s"  # predict() moves the clock on

    def op_keepalive(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        conn = self._conn(step)
        idle, interval, probes = float(step["idle"]), float(step["interval"]), int(step["probes"])
        self.net.at(now, lambda: conn.set_keepalive(self.net.now, True, idle, interval, probes))
        return None, f"keepalive after {idle:g} s idle"

    def op_user_timeout(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        self._conn(step).user_timeout = float(step["seconds"])
        return None, f"user timeout {step['seconds']} s"

    def op_sysctl(self, step: dict[str, Any], now: float) -> tuple[str | None, str]:
        return None, "not modelled: tcpcore has no sysctl (and needs none here)"

    # -- what a step left behind -------------------------------------------------------------

    def state(self, local: str, peer: str) -> State:
        lp = self.port(local)
        if peer == "*":
            lst = self.listeners.get(lp)
            return State.LISTEN if lst is not None and lst.state is State.LISTEN else State.CLOSED
        pp = self.port(peer)
        lst = self.listeners.get(lp)
        if lst is not None:
            child = lst.children.get((CLIENT_IP, pp))
            return State.CLOSED if child is None or child.state in _GONE else child.state
        conn = self.clients.get(lp)
        if conn is not None and conn.remote_port == pp:
            return conn.state
        return State.CLOSED


def predict(
    experiment: Experiment,
    ports: dict[str, int] | None = None,
    profile: str | Profile = "linux",
    times: list[float] | None = None,
) -> Run:
    """tcpcore's run of the experiment's steps (see the module docstring).

    ``times``: when each step started in a kernel run (seconds from its first step); the steps
    then happen at those moments of the virtual clock, and each step's states are read just
    before the next one starts, as the kernel run read ``ss``.
    """
    if times is not None and len(times) != len(experiment.steps):
        times = None
    prof = get_profile(profile)
    ports = {**port_numbers(experiment.steps), **(ports or {})}
    model = _Model(ports, prof)
    names = port_symbols(ports)
    the_roles = roles(experiment.steps)
    results: list[StepResult] = []
    waited = 0.0  # the sleeps so far: the kernel run waits them out, and so does the clock here
    for i, step in enumerate(experiment.steps):
        t = times[i] if times else i * GAP + waited
        pause = min(float(step["seconds"]), 10.0) if step["op"] == "sleep" else 0.0  # as the driver
        waited += pause
        if times and i + 1 < len(times):
            model.until = max(t, times[i + 1] - 1e-6)
        else:
            model.until = t + pause + SETTLE
        model.net.run(t)
        before = len(model.net.trace.records)
        error, detail = model.do(step, t)
        model.net.run(model.until)
        segs = [
            segment_label(
                r.segment.src_port,
                r.segment.dst_port,
                r.segment.flags.tcpdump(),
                len(r.segment.payload),
                names,
            )
            for r in model.net.trace.records[before:]
        ]
        states = {role: model.state(local, peer) for role, local, peer in the_roles}
        results.append(
            StepResult(i + 1, step["op"], step.get("sock", ""), error, detail, states, segs, time=t)
        )
    trace = model.net.trace
    trace.scenario = experiment.name
    return Run(experiment, "tcpcore", results, ports, kernel=f"profile {prof.name}", trace=trace)
