"""Fixtures per state, segment templates and outcome helpers for the transition tests.

In smoltcp's style: every state has a fixture that puts a :class:`Connection` straight into it with
a hand-built TCB (``established()``, ``fin_wait_1()``, ...), and
``tests/protocol/test_fixtures.py`` checks that a connection driven there by real segments equals
the fixture. Each row test then builds the
state's fixture, delivers one trigger, and compares the whole :class:`Outcome` with values worked
out by hand from RFC 9293.

One connection is used throughout, seen from our side:

* we are port ``LOCAL``, the peer is port ``REMOTE``;
* our ISS is 1000, the peer's (IRS) is 5000; neither side sends data during the handshake;
* the peer offers a window of 6000 and sends no MSS option; ours is 65535 (the profile's);
* the active-open route: SYN <SEQ=1000>, SYN+ACK <SEQ=5000><ACK=1001>, ACK <SEQ=1001><ACK=5001>;
* when we close first our FIN is <SEQ=1001>; when the peer closes first its FIN is <SEQ=5001>;
* everything before the trigger happened at 0 s; the trigger arrives at ``NOW`` = 0.5 s, before
  the initial retransmission timeout of 1 s (RFC 6298 2.1) runs out.

Fixtures set a few private fields of the connection (the retransmission queue); that is done here,
in :func:`_outstanding`, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import pytest

from tcpcore import MSS, Flags, Nop, SackPermitted, Segment, Seq, WindowScale
from tcpcore.protocol import events as ev
from tcpcore.protocol.connection import Connection, _Pending
from tcpcore.protocol.profiles import Profile, get_profile
from tcpcore.protocol.states import State
from tcpcore.protocol.table import CallError, Trigger
from tcpcore.protocol.tcb import TCB
from tcpcore.wire.options import Option

S = State
T = Trigger
SYN, ACK, FIN, RST, PSH = Flags.SYN, Flags.ACK, Flags.FIN, Flags.RST, Flags.PSH

LOCAL, REMOTE = 40000, 80
ISS, IRS = 1000, 5000
PEER_WND = 6000
RCV_WND = 65535  # the rfc9293 and linux profiles' receive window
OUR_MSS = (MSS(1460),)  # the option on every SYN we send under rfc9293, and on every SYN+ACK
# Linux offers SACK and window scaling (shift 8) on its SYN, in tcp_options_write()'s layout
# without timestamps: MSS, NOP, NOP, SACK-permitted, NOP, window scale. A SYN+ACK only echoes
# what the peer's SYN offered, and the peer here offers nothing but its SYN.
LINUX_SYN_OPTIONS = (MSS(1460), Nop(), Nop(), SackPermitted(), Nop(), WindowScale(8))
NOW = 0.5
RTO = 1.0  # RFC 6298 2.1: the initial RTO, in both profiles
PROFILES = ("rfc9293", "linux")
Prof = str | Profile

# -- the TCB of each state, by hand ----------------------------------------------------------

CLOSED_TCB = TCB()
LISTEN_TCB = TCB()
# 3.10.1: SND.UNA <- ISS, SND.NXT <- ISS+1; nothing is known of the peer yet.
SYN_SENT_TCB = TCB(iss=Seq(ISS), snd_una=Seq(ISS), snd_nxt=Seq(ISS + 1))
# 3.10.7.2 third: IRS <- SEG.SEQ, RCV.NXT <- SEG.SEQ+1; SND.UNA = ISS, SND.NXT = ISS+1. The
# window comes from the SYN (SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ); the SYN has no ACK.
SYN_RECEIVED_TCB = TCB(
    iss=Seq(ISS),
    irs=Seq(IRS),
    snd_una=Seq(ISS),
    snd_nxt=Seq(ISS + 1),
    snd_wnd=PEER_WND,
    snd_wl1=Seq(IRS),
    snd_wl2=Seq(0),
    max_snd_wnd=PEER_WND,
    rcv_nxt=Seq(IRS + 1),
)
# 3.10.7.3 fourth: the SYN+ACK <SEQ=5000><ACK=1001> advances SND.UNA to 1001 and sets
# SND.WND <- 6000, SND.WL1 <- 5000, SND.WL2 <- 1001.
ESTABLISHED_TCB = TCB(
    iss=Seq(ISS),
    irs=Seq(IRS),
    snd_una=Seq(ISS + 1),
    snd_nxt=Seq(ISS + 1),
    snd_wnd=PEER_WND,
    snd_wl1=Seq(IRS),
    snd_wl2=Seq(ISS + 1),
    max_snd_wnd=PEER_WND,
    rcv_nxt=Seq(IRS + 1),
)
# Our FIN <SEQ=1001> takes one sequence number: SND.NXT = 1002.
FIN_WAIT_1_TCB = replace(ESTABLISHED_TCB, snd_nxt=Seq(ISS + 2), fin_seq=Seq(ISS + 1))
# The peer's ACK <SEQ=5001><ACK=1002>: SND.UNA <- 1002; WL1 5000 < 5001, so the window is taken
# again: SND.WL1 <- 5001, SND.WL2 <- 1002.
FIN_WAIT_2_TCB = replace(
    FIN_WAIT_1_TCB, snd_una=Seq(ISS + 2), snd_wl1=Seq(IRS + 1), snd_wl2=Seq(ISS + 2)
)
# The peer's FIN <SEQ=5001><ACK=1001>: RCV.NXT <- 5002; the window update sets SND.WL1 <- 5001.
CLOSE_WAIT_TCB = replace(ESTABLISHED_TCB, rcv_nxt=Seq(IRS + 2), snd_wl1=Seq(IRS + 1))
# FIN-WAIT-1, then the peer's FIN <SEQ=5001><ACK=1001> (crossing ours): RCV.NXT <- 5002.
CLOSING_TCB = replace(FIN_WAIT_1_TCB, rcv_nxt=Seq(IRS + 2), snd_wl1=Seq(IRS + 1))
# CLOSE-WAIT, then our FIN <SEQ=1001>.
LAST_ACK_TCB = replace(CLOSE_WAIT_TCB, snd_nxt=Seq(ISS + 2), fin_seq=Seq(ISS + 1))
# FIN-WAIT-2, then the peer's FIN <SEQ=5001><ACK=1002>: RCV.NXT <- 5002.
TIME_WAIT_TCB = replace(FIN_WAIT_2_TCB, rcv_nxt=Seq(IRS + 2))

# -- segments ----------------------------------------------------------------------------------

# The peer's segments are built from this template, overriding only what matters.
PEER = Segment(REMOTE, LOCAL, flags=ACK, window=PEER_WND)


def out(
    seq: int,
    ack: int = 0,
    flags: Flags = ACK,
    *,
    payload: bytes = b"",
    window: int = RCV_WND,
    options: tuple[Option, ...] = (),
) -> Segment:
    """A segment we send: <SEQ=seq><ACK=ack><CTL=flags>, our window, no urgent pointer."""
    return Segment(LOCAL, REMOTE, seq, ack, flags, window, 0, options, payload)


def ack_seg(seq: int, ack: int) -> Segment:
    """<SEQ=seq><ACK=ack><CTL=ACK>."""
    return out(seq, ack, ACK)


def rst_seg(seq: int, ack: int | None = None, dst: int = REMOTE) -> Segment:
    """<SEQ=seq><CTL=RST>, or <SEQ=seq><ACK=ack><CTL=RST,ACK>; a RST offers no window."""
    if ack is None:
        return Segment(LOCAL, dst, seq, 0, RST, 0)
    return Segment(LOCAL, dst, seq, ack, RST | ACK, 0)


def syn_options(profile: Prof) -> tuple[Option, ...]:
    """The options on our SYN (not a SYN+ACK) under the profile."""
    return LINUX_SYN_OPTIONS if get_profile(profile).name.startswith("linux") else OUR_MSS


def abort_rst(profile: Prof, seq: int, rcv_nxt: int) -> Segment:
    """ABORT's <SEQ=SND.NXT><CTL=RST> (3.10.5); Linux adds <ACK=RCV.NXT> (rst_carries_ack)."""
    return rst_seg(seq, rcv_nxt if get_profile(profile).rst_carries_ack else None)


# RFC 793's answers that FreeBSD's sysctls bring back (insecure_syn, and the rest of the switches a
# row test turns on alone on top of the RFC's profile).
def rfc9293_with(**switches: bool) -> Profile:
    """The rfc9293 profile with some switches on."""
    return get_profile("rfc9293").with_(**switches)


def check_syn_in_window_resets(make: Callable[..., Connection], rcv_nxt: int, snd_nxt: int) -> None:
    """RFC 793 3.9 under syn_in_window_resets: a SYN beyond the window still draws the challenge
    ACK of RFC 5961 4.2; a SYN at its right edge is SYN_IN_WINDOW: <SEQ=SND.NXT><CTL=RST>, and
    the connection is reset."""
    conn = make(rfc9293_with(syn_in_window_resets=True))
    state = conn.state
    beyond = deliver(conn, PEER.with_(seq=rcv_nxt + RCV_WND, flags=SYN))
    assert (beyond.steps, beyond.sent) == ([(state, Trigger.SYN)], [ack_seg(snd_nxt, rcv_nxt)])
    edge = deliver(conn, PEER.with_(seq=rcv_nxt + RCV_WND - 1, flags=SYN))
    assert edge.steps == [(state, Trigger.SYN_IN_WINDOW)]
    assert (edge.state, edge.sent, edge.timers) == (State.CLOSED, [rst_seg(snd_nxt)], {})
    assert edge.events == ["ConnectionReset", f"{state.value} -> CLOSED", "Closed"]
    assert conn.error == "ECONNRESET"


# -- outcomes ----------------------------------------------------------------------------------


def describe(event: ev.Event) -> str:
    """An event as the tests spell it: "ESTABLISHED -> CLOSE-WAIT", "DataReceived(b'hi')"."""
    if isinstance(event, ev.StateChanged):
        return f"{event.old} -> {event.new}"
    if isinstance(event, ev.DataReceived):
        return f"DataReceived({event.data!r})"
    return type(event).__name__


@dataclass
class Outcome:
    """Everything one input did: the rows applied, the state, what was sent and signalled, the
    TCB and the timers afterwards."""

    steps: list[tuple[State, Trigger]]
    state: State
    sent: list[Segment]
    events: list[str]
    tcb: TCB
    timers: dict[str, float]


def _outcome(conn: Connection, before: int) -> Outcome:
    return Outcome(
        steps=[(s.state, s.trigger) for s in conn.history[before:]],
        state=conn.state,
        sent=conn.pop_segments(),
        events=[describe(e) for e in conn.pop_events()],
        tcb=replace(conn.tcb),
        timers=dict(conn.timers),
    )


def deliver(conn: Connection, seg: Segment, now: float = NOW) -> Outcome:
    """The segment arrives at ``now``."""
    before = len(conn.history)
    conn.receive(seg, now)
    return _outcome(conn, before)


def call(conn: Connection, name: str, *args: Any, now: float = NOW, **kw: Any) -> Outcome:
    """The user calls ``conn.<name>(*args, now=now, **kw)``."""
    before = len(conn.history)
    getattr(conn, name)(*args, now=now, **kw)
    return _outcome(conn, before)


def expire(conn: Connection, deadline: float) -> Outcome:
    """The next timer is due at ``deadline`` (worked out by hand): fire it there."""
    assert conn.next_deadline() == deadline
    before = len(conn.history)
    conn.handle_timer(deadline)
    return _outcome(conn, before)


def refused(conn: Connection, name: str, *args: Any, now: float = NOW, **kw: Any) -> CallError:
    """The call must raise CallError and change nothing at all."""
    state, tcb, timers = conn.state, replace(conn.tcb), dict(conn.timers)
    with pytest.raises(CallError) as info:
        getattr(conn, name)(*args, now=now, **kw)
    assert (conn.state, conn.tcb, conn.timers) == (state, tcb, timers)
    assert conn.pop_segments() == []
    assert conn.pop_events() == []
    return info.value


def assert_refused(
    conn: Connection, name: str, trigger: Trigger, message: str, *args: Any, **kw: Any
) -> None:
    """The call is refused with the RFC's error text, naming the state and the trigger."""
    state = conn.state
    err = refused(conn, name, *args, **kw)
    assert (err.state, err.trigger) == (state, trigger)
    assert str(err).startswith(message + " (")
    assert err.clause.startswith("RFC 9293 3.10.")


# -- the registry of rows under test -------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])
COVERED: dict[tuple[State, Trigger, str | None], set[str]] = {}


def covers(state: State, trigger: Trigger, variant: str | None = None) -> Callable[[F], F]:
    """Mark a test as THE test of the table row (state, trigger), or of one of its variants
    (named by its profile switch). tests/protocol/test_table.py checks every row has exactly one."""

    def mark(fn: F) -> F:
        COVERED.setdefault((state, trigger, variant), set()).add(f"{fn.__module__}.{fn.__name__}")
        return fn

    return mark


# -- fixtures per state --------------------------------------------------------------------------


def connection(profile: Prof = "rfc9293", *, passive: bool = False, **kw: Any) -> Connection:
    """A new connection from LOCAL to REMOTE (remote unspecified when passive), ISS 1000."""
    return Connection(
        local_port=LOCAL,
        remote_port=None if passive else REMOTE,
        profile=profile,
        iss=ISS,
        **kw,
    )


def _put(
    conn: Connection, state: State, tcb: TCB, *, passive: bool = False, user_closed: bool = False
) -> Connection:
    conn.state = state
    conn.tcb = replace(tcb)
    conn.passive = passive
    conn.user_closed = user_closed
    conn.remote_port = REMOTE
    p = conn.profile_obj
    if conn.keepalive and state in (S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_2):
        # RFC 1122 4.2.3.6: the first probe after `idle` seconds without a segment (the last
        # one arrived at 0 s).
        idle = conn.keepalive_idle if conn.keepalive_idle is not None else p.keepalive_idle
        conn.timers["keepalive"] = idle
    return conn


def _outstanding(conn: Connection, seq: int, flags: Flags) -> None:
    """Our SYN or FIN, sent at 0 s and not yet acknowledged: on the retransmission queue, the
    retransmission timer due after the initial RTO."""
    conn._rtx.append(_Pending(Seq(seq), flags, b"", 0.0))
    conn.timers["retransmit"] = 0.0 + conn.profile_obj.rto_initial


def closed(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    return connection(profile, **kw)


def listen(profile: Prof = "rfc9293", *, remote_port: int | None = None, **kw: Any) -> Connection:
    """A passive OPEN, the remote socket unspecified unless given."""
    if remote_port is None:
        conn = connection(profile, passive=True, **kw)
    else:
        conn = Connection(local_port=LOCAL, remote_port=remote_port, profile=profile, iss=ISS, **kw)
    conn.state = S.LISTEN
    conn.passive = True
    return conn


def syn_sent(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = _put(connection(profile, **kw), S.SYN_SENT, SYN_SENT_TCB)
    _outstanding(conn, ISS, SYN)
    return conn


def syn_received(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    """After a passive OPEN: the peer's SYN filled in the remote socket (3.10.7.2)."""
    conn = _put(connection(profile, passive=True, **kw), S.SYN_RECEIVED, SYN_RECEIVED_TCB)
    conn.passive = True
    _outstanding(conn, ISS, SYN | ACK)
    return conn


def syn_received_active(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    """After an active OPEN whose SYN crossed the peer's (simultaneous open, Figure 7)."""
    conn = _put(connection(profile, **kw), S.SYN_RECEIVED, SYN_RECEIVED_TCB)
    _outstanding(conn, ISS, SYN)
    return conn


def established(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    return _put(connection(profile, **kw), S.ESTABLISHED, ESTABLISHED_TCB)


def fin_wait_1(profile: Prof = "rfc9293", *, user_closed: bool = True, **kw: Any) -> Connection:
    """After close() (user_closed) or shutdown() in ESTABLISHED."""
    conn = _put(connection(profile, **kw), S.FIN_WAIT_1, FIN_WAIT_1_TCB, user_closed=user_closed)
    _outstanding(conn, ISS + 1, FIN | ACK)
    return conn


def fin_wait_2(profile: Prof = "rfc9293", *, user_closed: bool = True, **kw: Any) -> Connection:
    conn = _put(connection(profile, **kw), S.FIN_WAIT_2, FIN_WAIT_2_TCB, user_closed=user_closed)
    timeout = conn.profile_obj.fin_wait_2_timeout
    if user_closed and timeout is not None:
        conn.timers["fin_wait_2"] = 0.0 + timeout  # Linux: an orphan waits tcp_fin_timeout
    return conn


def close_wait(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    return _put(connection(profile, **kw), S.CLOSE_WAIT, CLOSE_WAIT_TCB)


def closing(profile: Prof = "rfc9293", *, user_closed: bool = True, **kw: Any) -> Connection:
    conn = _put(connection(profile, **kw), S.CLOSING, CLOSING_TCB, user_closed=user_closed)
    _outstanding(conn, ISS + 1, FIN | ACK)
    return conn


def last_ack(profile: Prof = "rfc9293", *, user_closed: bool = True, **kw: Any) -> Connection:
    conn = _put(connection(profile, **kw), S.LAST_ACK, LAST_ACK_TCB, user_closed=user_closed)
    _outstanding(conn, ISS + 1, FIN | ACK)
    return conn


def time_wait(profile: Prof = "rfc9293", *, user_closed: bool = True, **kw: Any) -> Connection:
    conn = _put(connection(profile, **kw), S.TIME_WAIT, TIME_WAIT_TCB, user_closed=user_closed)
    conn.timers["time_wait"] = 0.0 + conn.profile_obj.time_wait  # 2*MSL from 0 s
    return conn


# -- tail loss probe (RFC 8985 7) ----------------------------------------------------------------

# With SRTT = 0.5 s: PTO = 2*SRTT + 200 ms (one segment in flight, RFC 8985 7.2; Linux's
# TCP_RTO_MIN), so a segment sent at 2 s is probed at 3.2 s, before its RTO (1.5 s) at 3.5 s;
# after the probe the RTO is armed afresh: 3.2 + 1.5 s (7.3).
PROBE_AT = 2.0 + (2 * 0.5 + 0.2)
RTO_AFTER_PROBE = PROBE_AT + 1.5


def half_second_rtt(conn: Connection, rcv_nxt: int) -> None:
    """Negotiated SACK (TLP needs it, RFC 8985 2) and one RTT sample: a byte sent at 0.5 s
    <SEQ=ISS+1> is acknowledged at 1.0 s, so R = 0.5 s, SRTT = 0.5, RTTVAR = 0.25 and
    RTO = 0.5 + 4 * 0.25 = 1.5 s (RFC 6298 2.2). Afterwards SND.UNA = SND.NXT = ISS + 2."""
    conn.tcb.sack_ok = True
    conn.send(b"a", 0.5)
    conn.receive(PEER.with_(seq=rcv_nxt, ack=ISS + 2), 1.0)
    conn.pop_segments()
    conn.pop_events()


# -- the same states, reached by real segments (all at 0 s) --------------------------------------

SYN_FROM_PEER = PEER.with_(seq=IRS, flags=SYN)
SYN_ACK_FROM_PEER = PEER.with_(seq=IRS, ack=ISS + 1, flags=SYN | ACK)


def drive_listen(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = connection(profile, passive=True, **kw)
    conn.listen(now=0.0)
    return conn


def drive_syn_sent(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = connection(profile, **kw)
    conn.connect(now=0.0)
    return conn


def drive_syn_received(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = drive_listen(profile, **kw)
    conn.receive(SYN_FROM_PEER, 0.0)
    return conn


def drive_syn_received_active(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = drive_syn_sent(profile, **kw)
    conn.receive(SYN_FROM_PEER, 0.0)
    return conn


def drive_established(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = drive_syn_sent(profile, **kw)
    conn.receive(SYN_ACK_FROM_PEER, 0.0)
    return conn


def drive_fin_wait_1(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = drive_established(profile, **kw)
    conn.close(now=0.0)
    return conn


def drive_fin_wait_2(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = drive_fin_wait_1(profile, **kw)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 2), 0.0)
    return conn


def drive_close_wait(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = drive_established(profile, **kw)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 1, flags=FIN | ACK), 0.0)
    return conn


def drive_closing(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = drive_fin_wait_1(profile, **kw)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 1, flags=FIN | ACK), 0.0)
    return conn


def drive_last_ack(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = drive_close_wait(profile, **kw)
    conn.close(now=0.0)
    return conn


def drive_time_wait(profile: Prof = "rfc9293", **kw: Any) -> Connection:
    conn = drive_fin_wait_2(profile, **kw)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 2, flags=FIN | ACK), 0.0)
    return conn
