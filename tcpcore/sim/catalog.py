"""The named scenarios as data: each one sets up endpoints, calls and faults on a Network.

A scenario is a function ``fn(net, profile, **params)`` registered under its name with
:func:`_scenario`; its docstring's first paragraph is its description and its keyword arguments
are its parameters. :mod:`.scenarios` runs them (:func:`~tcpcore.sim.scenarios.run_scenario`);
the conventions (addresses, ISNs, delay) are in its docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..protocol import events as ev
from ..protocol.connection import Connection, Step
from ..protocol.listener import Listener
from ..protocol.profiles import Profile
from ..protocol.states import State
from ..protocol.table import Row, Trigger
from ..wire.flags import Flags
from ..wire.segment import Segment
from .network import Network

CLIENT_IP, SERVER_IP = "10.0.0.1", "10.0.0.2"
CLIENT_PORT, SERVER_PORT = 40000, 80
SYN, ACK, FIN = Flags.SYN, Flags.ACK, Flags.FIN


ScenarioFn = Callable[..., None]
SCENARIOS: dict[str, ScenarioFn] = {}


class ScenarioError(ValueError):
    """An unknown scenario name or parameter."""


def _scenario(name: str) -> Callable[[ScenarioFn], ScenarioFn]:
    def register(fn: ScenarioFn) -> ScenarioFn:
        SCENARIOS[name] = fn
        return fn

    return register


# -- building blocks ------------------------------------------------------------------------------


def _client(p: Profile, iss: int, **kw: Any) -> Connection:
    return Connection(
        CLIENT_PORT,
        SERVER_PORT,
        p,
        iss=iss,
        name="A",
        local_ip=CLIENT_IP,
        remote_ip=SERVER_IP,
        **kw,
    )


def _server(p: Profile, iss: int, **kw: Any) -> Connection:
    # A passive OPEN with the foreign port unspecified (RFC 9293 3.10.1): the SYN fills it in.
    return Connection(
        SERVER_PORT, None, p, iss=iss, name="B", local_ip=SERVER_IP, remote_ip=CLIENT_IP, **kw
    )


def _connected_pair(
    net: Network, p: Profile, client_iss: int, server_iss: int, **server_kw: Any
) -> tuple[Connection, Connection]:
    """A and B, B listening and A connecting at t=0 (RFC 9293 Figure 6)."""
    a = net.add("A", _client(p, client_iss))
    b = net.add("B", _server(p, server_iss, **server_kw))
    net.at(0.0, "B", "listen")
    net.at(0.0, "A", "connect")
    return a, b


# -- opening ---------------------------------------------------------------------------------------


@_scenario("handshake")
def handshake(
    net: Network,
    profile: Profile,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """The three-way handshake of RFC 9293 Figure 6: A sends SYN, B answers SYN+ACK, A's ACK
    completes it. Both ends end ESTABLISHED, each having learned the other's initial sequence
    number; nothing else is sent."""
    _connected_pair(net, profile, client_iss, server_iss)


@_scenario("simultaneous-open")
def simultaneous_open(
    net: Network,
    profile: Profile,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """Both ends open actively at the same moment (RFC 9293 Figure 7). The SYNs cross; each
    end goes SYN-SENT -> SYN-RECEIVED and answers with SYN+ACK, and the other's SYN+ACK takes it
    to ESTABLISHED. Each end also acknowledges that SYN+ACK, whose SYN it has already seen (the
    figure leaves these ACKs out; Linux sends them)."""
    net.add("A", _client(profile, client_iss))
    b = Connection(
        SERVER_PORT,
        CLIENT_PORT,
        profile,
        iss=server_iss,
        name="B",
        local_ip=SERVER_IP,
        remote_ip=CLIENT_IP,
    )
    net.add("B", b)
    net.at(0.0, "A", "connect")
    net.at(0.0, "B", "connect")


@_scenario("lost-syn")
def lost_syn(
    net: Network,
    profile: Profile,
    losses: int = 1,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """A's SYN is lost (once; ``losses=N`` loses it N times). A retransmits it on a timer that
    doubles each time (1 s, then 2, 4, 8 ...: sent at 0, 1, 3, 7 s), and gives up after the
    profile's limit (3 minutes in RFC 1122, 6 retries on Linux)."""
    _connected_pair(net, profile, client_iss, server_iss)
    net.drop_first("A", flags=SYN, count=losses)


@_scenario("lost-syn-ack")
def lost_syn_ack(
    net: Network,
    profile: Profile,
    losses: int = 1,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """B's SYN+ACK is lost (once; ``losses=N`` loses it N times). Both ends retransmit: A its
    SYN (B, in SYN-RECEIVED, answers the repeated SYN with an ACK under the RFC, with its
    SYN+ACK again on Linux) and B its SYN+ACK on its own timer, until one SYN+ACK gets
    through."""
    _connected_pair(net, profile, client_iss, server_iss)
    net.drop_first("B", flags=SYN | ACK, count=losses)


@_scenario("old-duplicate-syn")
def old_duplicate_syn(
    net: Network,
    profile: Profile,
    variant: str = "three-way",
    old_iss: int = 90,
    client_iss: int = 100,
    server_iss: int = 300,
    client_syn_delay: float = 0.15,
    delay: float = 0.05,
) -> None:
    """An old duplicate SYN (seq 90, from an earlier incarnation of A's connection) reaches B
    before A's real SYN (RFC 9293 3.5 Figure 8). With the three-way handshake B's SYN+ACK
    acknowledges 91, A sees it is wrong and answers with a RST, B returns to LISTEN, and A's
    real SYN then opens the connection normally. With ``variant="two-way"`` the ends run a
    naive two-step handshake that is NOT TCP: B trusts the old SYN, considers itself connected
    with the wrong sequence numbers, and A never gets a connection."""
    if variant not in ("three-way", "two-way"):
        raise ScenarioError(f"variant must be 'three-way' or 'two-way', not {variant!r}")
    if variant == "three-way":
        net.add("A", _client(profile, client_iss))
        lst = Listener(
            SERVER_PORT, SERVER_IP, profile=profile, name="B", iss=lambda n: server_iss + 100 * n
        )
        net.add("B", lst)
    else:
        net.add(
            "A",
            TwoWayEndpoint(
                CLIENT_PORT, SERVER_PORT, iss=client_iss, local_ip=CLIENT_IP, remote_ip=SERVER_IP
            ),
        )
        net.add(
            "B",
            TwoWayEndpoint(
                SERVER_PORT, CLIENT_PORT, iss=server_iss, local_ip=SERVER_IP, remote_ip=CLIENT_IP
            ),
        )
    net.at(0.0, "B", "listen")
    net.at(0.0, "A", "connect")
    net.delay_nth("A", 1, client_syn_delay)
    old = Segment(CLIENT_PORT, SERVER_PORT, old_iss, 0, SYN, 65535)
    net.inject(0.0, old, (CLIENT_IP, CLIENT_PORT), (SERVER_IP, SERVER_PORT), note="old duplicate")


@_scenario("connection-refused")
def connection_refused(
    net: Network, profile: Profile, client_iss: int = 100, delay: float = 0.05
) -> None:
    """A connects to a port where nothing listens. B's host answers the SYN as a CLOSED port
    must (RFC 9293 3.10.7.1): <SEQ=0><ACK=101><CTL=RST,ACK>. A accepts the RST because it
    acknowledges its SYN, and reports "connection refused"."""
    net.add("A", _client(profile, client_iss))
    net.host("B", SERVER_IP)
    net.at(0.0, "A", "connect")


# -- closing ---------------------------------------------------------------------------------------


@_scenario("client-closes-first")
def client_closes_first(
    net: Network,
    profile: Profile,
    close_at: float = 1.0,
    server_close_at: float = 2.0,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """The four-way close, client first: A's FIN takes it to FIN-WAIT-1, B's ACK to FIN-WAIT-2
    while B sits in CLOSE-WAIT until its application closes too; B's FIN takes A to TIME-WAIT
    and B to LAST-ACK, and A's last ACK closes B. A stays in TIME-WAIT for 2*MSL (240 s under
    RFC 9293, 60 s on Linux)."""
    _connected_pair(net, profile, client_iss, server_iss)
    net.at(close_at, "A", "close")
    net.at(server_close_at, "B", "close")


@_scenario("server-closes-first")
def server_closes_first(
    net: Network,
    profile: Profile,
    close_at: float = 1.0,
    client_close_at: float = 2.0,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """The four-way close with the server closing first: now B goes through FIN-WAIT-1,
    FIN-WAIT-2 and TIME-WAIT while A passes CLOSE-WAIT and LAST-ACK. Whoever closes first pays
    for TIME-WAIT, which is why busy servers prefer their clients to close."""
    _connected_pair(net, profile, client_iss, server_iss)
    net.at(close_at, "B", "close")
    net.at(client_close_at, "A", "close")


@_scenario("simultaneous-close")
def simultaneous_close(
    net: Network,
    profile: Profile,
    close_at: float = 1.0,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """Both ends close at the same moment (RFC 9293 Figure 13). The FINs cross; each end,
    in FIN-WAIT-1, receives a FIN that does not acknowledge its own and goes to CLOSING; the ACKs
    then take both to TIME-WAIT, so both wait 2*MSL."""
    _connected_pair(net, profile, client_iss, server_iss)
    net.at(close_at, "A", "close")
    net.at(close_at, "B", "close")


@_scenario("half-close")
def half_close(
    net: Network,
    profile: Profile,
    shutdown_at: float = 1.0,
    reply_at: float = 2.0,
    reply: bytes = b"still talking",
    server_close_at: float = 3.0,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """A half-close: A calls shutdown(SHUT_WR), sending its FIN but still reading. B, in
    CLOSE-WAIT, can go on sending: its data reaches A in FIN-WAIT-2 and is acknowledged. Only
    when B closes too does A reach TIME-WAIT."""
    _connected_pair(net, profile, client_iss, server_iss)
    net.at(shutdown_at, "A", "shutdown")
    net.at(reply_at, "B", "send", reply)
    net.at(server_close_at, "B", "close")


@_scenario("lost-final-ack")
def lost_final_ack(
    net: Network,
    profile: Profile,
    phase: str = "teardown",
    close_at: float = 1.0,
    server_close_at: float = 2.0,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """The last ACK is lost. In the teardown (the default), B in LAST-ACK retransmits its FIN;
    A, still in TIME-WAIT, acknowledges it again and restarts its 2*MSL timer: this is why
    TIME-WAIT exists. With ``phase="handshake"`` the third handshake segment is lost: B stays in
    SYN-RECEIVED and retransmits its SYN+ACK, which A, already ESTABLISHED, acknowledges."""
    if phase not in ("teardown", "handshake"):
        raise ScenarioError(f"phase must be 'teardown' or 'handshake', not {phase!r}")
    _connected_pair(net, profile, client_iss, server_iss)
    if phase == "handshake":
        net.drop_first("A", flags=ACK)
        return
    net.at(close_at, "A", "close")
    net.at(server_close_at, "B", "close")
    net.drop_first("A", flags=ACK, after=server_close_at)


@_scenario("abort")
def abort(
    net: Network,
    profile: Profile,
    abort_at: float = 1.0,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """A aborts an established connection (RFC 9293 3.10.5): it sends <SEQ=SND.NXT><CTL=RST>
    and forgets the connection at once, with no FIN and no TIME-WAIT. B checks that the RST's
    sequence number is exactly RCV.NXT (RFC 5961 3.2) and reports "connection reset"."""
    _connected_pair(net, profile, client_iss, server_iss)
    net.at(abort_at, "A", "abort")


@_scenario("time-wait-reuse")
def time_wait_reuse(
    net: Network,
    profile: Profile,
    close_at: float = 1.0,
    client_close_at: float = 2.0,
    reconnect_at: float = 3.0,
    client_iss: int = 100,
    server_iss: int = 300,
    new_client_iss: int = 5000,
    delay: float = 0.05,
) -> None:
    """The server closes first and keeps the connection in TIME-WAIT; then the client connects
    again from the same port, with a new ISS above the server's old RCV.NXT. Under ``linux`` the
    SYN reopens the connection: TIME-WAIT -> SYN-RECEIVED -> ESTABLISHED, with a new ISS above
    the old SND.NXT (RFC 9293 3.6.1 MAY-2, RFC 6191). Under ``rfc9293`` TIME-WAIT answers with a
    challenge ACK, the client resets it (the ACK does not acknowledge its SYN) and its
    retransmitted SYN, a second later, reaches the listening socket."""
    a = net.add("A", _client(profile, client_iss))
    lst = Listener(SERVER_PORT, SERVER_IP, profile=profile, name="B", iss=server_iss)
    net.add("B", lst)
    net.at(0.0, "B", "listen")
    net.at(0.0, "A", "connect")

    def server_close() -> None:
        lst.children[CLIENT_IP, CLIENT_PORT].close(net.now)

    def new_isn() -> None:
        a.iss = new_client_iss

    net.at(close_at, server_close)
    net.at(client_close_at, "A", "close")
    net.at(reconnect_at, new_isn)
    net.at(reconnect_at, "A", "connect")


@_scenario("time-wait-assassination")
def time_wait_assassination(
    net: Network,
    profile: Profile,
    close_at: float = 1.0,
    server_close_at: float = 2.0,
    stray_at: float = 3.0,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """TIME-WAIT assassination (RFC 1337). The client closes first and sits in TIME-WAIT. A
    delayed duplicate of its last ACK reaches the server, which has closed by then: the
    server answers it with <SEQ=SEG.ACK><CTL=RST>, exactly at the client's RCV.NXT. Under
    ``rfc9293`` and ``linux`` (tcp_rfc1337=0) the RST ends TIME-WAIT at once, long before 2*MSL;
    ``linux-rfc1337`` (RFC 1337's fix: ignore RST in TIME-WAIT) stays in TIME-WAIT."""
    _connected_pair(net, profile, client_iss, server_iss)
    net.at(close_at, "A", "close")
    net.at(server_close_at, "B", "close")
    old = Segment(CLIENT_PORT, SERVER_PORT, client_iss + 2, server_iss + 2, ACK, 65535)
    net.inject(
        stray_at, old, (CLIENT_IP, CLIENT_PORT), (SERVER_IP, SERVER_PORT), note="delayed duplicate"
    )


# -- failures -------------------------------------------------------------------------------------


@_scenario("client-crash-keepalive")
def client_crash_keepalive(
    net: Network,
    profile: Profile,
    crash_at: float = 1.0,
    idle: float = 20.0,
    interval: float = 5.0,
    probes: int = 3,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """The client's host dies silently after the handshake. The server has keepalive on, with
    short timers (``idle=20`` s of silence, then ``probes=3`` probes ``interval=5`` s apart,
    where Linux waits 2 h, then sends 9 probes 75 s apart): after the idle time without a
    segment it sends a probe <SEQ=SND.NXT-1>, then another after each interval; when the last
    probe goes unanswered it declares the peer dead, idle + probes * interval after the last
    segment it received (RFC 1122 4.2.3.6)."""
    keep = {
        "keepalive": True,
        "keepalive_idle": idle,
        "keepalive_interval": interval,
        "keepalive_probes": probes,
    }
    _connected_pair(net, profile, client_iss, server_iss, **keep)
    net.crash("A", at=crash_at)


@_scenario("half-open-after-server-reboot")
def half_open_after_server_reboot(
    net: Network,
    profile: Profile,
    crash_at: float = 1.0,
    restart_at: float = 5.0,
    send_at: float = 10.0,
    data: bytes = b"hello",
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """The server reboots and loses its TCB while the client still thinks the connection is
    open: a half-open connection (RFC 9293 3.5.1, Figure 10 with the roles swapped). When A next
    sends data, B's new listening socket has no connection for it and answers
    <SEQ=SEG.ACK><CTL=RST>; the RST is exactly at A's RCV.NXT, so A aborts: "connection
    reset"."""
    _connected_pair(net, profile, client_iss, server_iss)
    net.crash(
        "B",
        at=crash_at,
        restart_at=restart_at,
        restart=Listener(SERVER_PORT, SERVER_IP, profile=profile, name="B"),
    )
    net.at(restart_at, "B", "listen")
    net.at(send_at, "A", "send", data)


@_scenario("syn-flood")
def syn_flood(
    net: Network,
    profile: Profile,
    backlog: int = 4,
    spoofed: int = 4,
    attack_at: float = 0.0,
    client_at: float = 0.5,
    syncookies: bool = False,
    client_iss: int = 100,
    server_iss: int = 300,
    delay: float = 0.05,
) -> None:
    """A SYN flood (RFC 4987). Spoofed SYNs (``spoofed=4``) from addresses that do not answer
    fill the server's backlog of half-open connections (``backlog=4``); they sit in
    SYN-RECEIVED retransmitting their SYN+ACK into the void, each from its own ISN (300, 1300,
    2300, ...).

    With ``syncookies=False`` (RFC 9293 has no cookies; on Linux this is
    net.ipv4.tcp_syncookies=0, not the default) a legitimate client's SYN is dropped without an
    answer and A retransmits it at growing intervals. It only gets in if a retransmission
    arrives after the half-open connections give up (Linux: after 5 SYN+ACK retries, 63 s;
    RFC: 3 minutes, by which time A has given up as well).

    With ``syncookies=True`` (Linux's default, tcp_syncookies=1: cookies once the SYN queue
    overflows) the full backlog answers A's SYN at once with a SYN+ACK whose ISN is a SYN
    cookie, keeps nothing, and creates A's connection when A's ACK returns cookie + 1."""
    net.add("A", _client(profile, client_iss))
    net.add(
        "B",
        Listener(
            SERVER_PORT,
            SERVER_IP,
            backlog=backlog,
            profile=profile,
            name="B",
            iss=lambda n: server_iss + 1000 * n,
            syncookies=syncookies,
        ),
    )
    ips = [f"10.66.0.{i + 1}" for i in range(spoofed)]
    net.host("M", *ips)
    net.at(0.0, "B", "listen")
    for i, ip in enumerate(ips):
        net.unreachable(ip)  # spoofed: nobody there to answer or to reset
        syn = Segment(1024 + i, SERVER_PORT, 1000 * (i + 1), 0, SYN, 65535)
        net.inject(attack_at, syn, (ip, 1024 + i), (SERVER_IP, SERVER_PORT), note="spoofed")
    net.at(client_at, "A", "connect")


# -- NOT TCP: a naive two-way handshake, for old-duplicate-syn ----------------------------------

_NOT_TCP = Row(State.CLOSED, (), "NOT TCP: a naive two-way handshake, for comparison")


class TwoWayEndpoint:
    """NOT TCP. A naive protocol whose connection opens in two steps, to show why TCP needs three.

    The client sends SYN and is connected once a SYN+ACK acknowledges it; the server is connected
    as soon as it receives a SYN and answers it. There is no RST: the client ignores an answer
    that acknowledges the wrong number, and the server, once "connected", keeps re-sending its
    answer to any further SYN. An old duplicate SYN therefore connects the server to nobody, with
    the wrong sequence numbers, and the real client never gets in. (Used by old-duplicate-syn.)
    """

    def __init__(
        self,
        local_port: int,
        remote_port: int,
        *,
        iss: int,
        local_ip: str,
        remote_ip: str,
        retries: int = 3,
        rto: float = 1.0,
    ) -> None:
        self.local_port, self.remote_port = local_port, remote_port
        self.local_ip, self.remote_ip = local_ip, remote_ip
        self.iss, self.irs = iss, 0
        self.state = State.CLOSED
        self.history: list[Step] = []
        self._retries, self._rto, self._tries = retries, rto, 0
        self._due: float | None = None
        self._out: list[Segment] = []
        self._events: list[ev.Event] = []

    def listen(self, now: float) -> None:
        self._go(State.LISTEN, Trigger.OPEN_PASSIVE, now, user=True)

    def connect(self, now: float) -> None:
        self._go(State.SYN_SENT, Trigger.OPEN_ACTIVE, now, user=True)
        self._syn(now)

    def receive(self, seg: Segment, now: float) -> None:
        if self.state is State.LISTEN and seg.flags == SYN:
            self.irs = seg.seq
            self._go(State.ESTABLISHED, Trigger.SYN, now)
            self._events.append(ev.Connected(now))
        if self.state is State.ESTABLISHED and seg.flags == SYN:
            self._out.append(
                Segment(
                    self.local_port,
                    self.remote_port,
                    self.iss,
                    (self.irs + 1) & 0xFFFFFFFF,
                    SYN | ACK,
                    65535,
                )
            )
        elif (
            self.state is State.SYN_SENT
            and seg.flags == SYN | ACK
            and seg.ack == (self.iss + 1) & 0xFFFFFFFF  # otherwise ignored: there is no RST
        ):
            self.irs, self._due = seg.seq, None
            self._go(State.ESTABLISHED, Trigger.SYN_ACK, now)
            self._events.append(ev.Connected(now))

    def next_deadline(self) -> float | None:
        return self._due

    def handle_timer(self, now: float) -> None:
        if self._due is None or now < self._due:
            return
        self._step(Trigger.RETRANSMIT_TIMEOUT, now)
        if self._tries > self._retries:
            self._due = None
            self._events.append(ev.TimedOut(now, "SYN retransmissions exhausted"))
            self._go(State.CLOSED, Trigger.USER_TIMEOUT, now)
        else:
            self._syn(now)

    def pop_segments(self) -> list[Segment]:
        out, self._out = self._out, []
        return out

    def pop_events(self) -> list[ev.Event]:
        out, self._events = self._events, []
        return out

    def _syn(self, now: float) -> None:
        self._out.append(Segment(self.local_port, self.remote_port, self.iss, 0, SYN, 65535))
        self._due = now + self._rto * 2**self._tries
        self._tries += 1

    def _step(self, trigger: Trigger, now: float) -> None:
        self.history.append(Step(now, self.state, trigger, _NOT_TCP))

    def _go(self, new: State, trigger: Trigger, now: float, user: bool = False) -> None:
        if user:
            self._step(trigger, now)
        old, self.state = self.state, new
        self._events.append(ev.StateChanged(now, old, new, trigger, _NOT_TCP.clause))
