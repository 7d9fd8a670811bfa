"""TIME-WAIT: RFC 9293 3.10.1-3.10.5, 3.10.7.4, 3.10.8 and RFC 1337.

Both FINs are acknowledged: SND.UNA = SND.NXT = ISS + 2, RCV.NXT = IRS + 2; the 2*MSL timer
started at 0 s (240 s under rfc9293, 60 s under linux). ``fx.time_wait()`` came by close();
``user_closed=False`` by shutdown().
"""

from __future__ import annotations

from dataclasses import replace

import fixtures as fx
import pytest
from fixtures import (
    ACK,
    FIN,
    IRS,
    ISS,
    NOW,
    PEER,
    PROFILES,
    PSH,
    RCV_WND,
    RST,
    SYN,
    TIME_WAIT_TCB,
    Outcome,
    S,
    Seq,
    T,
    ack_seg,
    assert_refused,
    call,
    covers,
    deliver,
    expire,
)

from tcpcore.protocol.profiles import get_profile

ERR_EXISTS = "error: connection already exists"
ERR_CLOSING = "error: connection closing"
TW_240 = {"time_wait": 0.0 + 240.0}  # RFC 9293 3.4.2: 2 * MSL, MSL = 2 minutes
TEMPL = PEER.with_(seq=IRS + 2, ack=ISS + 2)  # SEG.SEQ = RCV.NXT, SEG.ACK = SND.NXT


def outcome(
    trigger: T,
    sent: list[fx.Segment] | None = None,
    *,
    state: S = S.TIME_WAIT,
    events: list[str] | None = None,
    tcb: fx.TCB = TIME_WAIT_TCB,
    timers: dict[str, float] | None = None,
) -> Outcome:
    return Outcome(
        steps=[(S.TIME_WAIT, trigger)],
        state=state,
        sent=sent or [],
        events=events or [],
        tcb=tcb,
        timers=TW_240 if timers is None else timers,
    )


def closes(trigger: T) -> Outcome:
    return outcome(trigger, state=S.CLOSED, events=["TIME-WAIT -> CLOSED", "Closed"], timers={})


@covers(S.TIME_WAIT, T.OPEN_ACTIVE)
def test_time_wait_open_active() -> None:
    assert_refused(fx.time_wait(), "connect", T.OPEN_ACTIVE, ERR_EXISTS)


@covers(S.TIME_WAIT, T.OPEN_PASSIVE)
def test_time_wait_open_passive() -> None:
    assert_refused(fx.time_wait(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.TIME_WAIT, T.SEND)
def test_time_wait_send() -> None:
    assert_refused(fx.time_wait(), "send", T.SEND, ERR_CLOSING, b"late")


@covers(S.TIME_WAIT, T.CLOSE)
def test_time_wait_close() -> None:
    """socket close() after shutdown(): let go; TIME-WAIT runs its course."""
    conn = fx.time_wait(user_closed=False)
    assert call(conn, "close") == outcome(T.CLOSE)
    assert conn.user_closed


@pytest.mark.parametrize("profile", PROFILES)
@covers(S.TIME_WAIT, T.CLOSE_UNREAD)
def test_time_wait_close_unread(profile: str) -> None:
    """Unread data in TIME-WAIT: close() is "ok" and sends nothing, under both profiles (Linux's
    socket is detached from a TIME-WAIT connection, so tcp_close() has nothing to reset)."""
    conn = fx.fin_wait_2(profile, user_closed=False, auto_read=False)
    deliver(conn, PEER.with_(seq=IRS + 1, ack=ISS + 2, flags=FIN | ACK, payload=b"hello"))
    assert conn.state is S.TIME_WAIT
    time_wait = get_profile(profile).time_wait
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        tcb=replace(TIME_WAIT_TCB, rcv_nxt=Seq(IRS + 7), rcv_wnd=RCV_WND - 5),
        timers={"time_wait": NOW + time_wait},
    )


@covers(S.TIME_WAIT, T.SHUTDOWN)
def test_time_wait_shutdown() -> None:
    """3.10.4 TIME-WAIT: "Respond with "error: connection closing""."""
    assert_refused(fx.time_wait(user_closed=False), "shutdown", T.SHUTDOWN, ERR_CLOSING)


@covers(S.TIME_WAIT, T.ABORT)
def test_time_wait_abort() -> None:
    """3.10.5 TIME-WAIT: "ok", delete the TCB, CLOSED; no RST."""
    assert call(fx.time_wait(), "abort") == closes(T.ABORT)


@covers(S.TIME_WAIT, T.UNACCEPTABLE)
def test_time_wait_unacceptable() -> None:
    """3.10.7.4 first: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the 2*MSL timer is not restarted."""
    conn = fx.time_wait()
    seg = TEMPL.with_(seq=IRS + 2 + RCV_WND, payload=b"x")
    assert deliver(conn, seg, now=100.0) == outcome(T.UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 2)])


@covers(S.TIME_WAIT, T.RST_INVALID)
def test_time_wait_rst_invalid() -> None:
    conn = fx.time_wait()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=RST)) == outcome(T.RST_INVALID)


@covers(S.TIME_WAIT, T.RST_IN_WINDOW)
def test_time_wait_rst_in_window() -> None:
    conn = fx.time_wait()
    assert deliver(conn, PEER.with_(seq=IRS + 3, flags=RST)) == outcome(
        T.RST_IN_WINDOW, [ack_seg(ISS + 2, IRS + 2)]
    )


@pytest.mark.parametrize("profile", PROFILES)
@covers(S.TIME_WAIT, T.RST)
def test_time_wait_rst(profile: str) -> None:
    """3.10.7.4 second, TIME-WAIT: "enter the CLOSED state, delete the TCB" (TIME-WAIT
    assassination, RFC 1337 section 2); Linux's default (tcp_rfc1337=0) does the same."""
    conn = fx.time_wait(profile)
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=RST)) == closes(T.RST)


@covers(S.TIME_WAIT, T.RST, "ignore_rst_in_time_wait")
def test_time_wait_rst_linux_rfc1337() -> None:
    """RFC 1337 section 3 fix (F1), Linux tcp_rfc1337=1: "Ignore RST segments in TIME-WAIT"."""
    conn = fx.time_wait("linux-rfc1337")
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=RST)) == outcome(
        T.RST, timers={"time_wait": 0.0 + 60.0}
    )


@pytest.mark.parametrize("profile", PROFILES)
@covers(S.TIME_WAIT, T.SYN)
def test_time_wait_syn(profile: str) -> None:
    """3.10.7.4 fourth: a SYN at or below RCV.NXT (no newer timestamp) cannot open a new
    incarnation: the challenge ACK of RFC 5961 4.2, under Linux too."""
    conn = fx.time_wait(profile)
    tw = {"time_wait": 0.0 + get_profile(profile).time_wait}
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=SYN)) == outcome(
        T.SYN, [ack_seg(ISS + 2, IRS + 2)], timers=tw
    )


@covers(S.TIME_WAIT, T.SYN_REOPEN)
def test_time_wait_syn_reopen() -> None:
    """3.10.7.4 fourth: the RFC answers even a SYN above RCV.NXT with the challenge ACK (the
    reuse of 3.6.1 MAY-2 is only allowed, not required)."""
    conn = fx.time_wait()
    assert deliver(conn, PEER.with_(seq=IRS + 100000, flags=SYN)) == outcome(
        T.SYN_REOPEN, [ack_seg(ISS + 2, IRS + 2)]
    )


REOPEN_ISS = ISS + 2 + 65537  # Linux: the old SND.NXT + 65535 + 2 (tcp_tw_isn)
NEW_IRS = IRS + 100000


@covers(S.TIME_WAIT, T.SYN_REOPEN, "accept_syn_in_time_wait")
def test_time_wait_syn_reopen_linux() -> None:
    """3.6.1 MAY-2, Linux tcp_timewait_state_process(): a SYN above RCV.NXT reopens the
    connection: a new TCB whose ISS lies above the old SND.NXT, SYN+ACK, SYN-RECEIVED."""
    conn = fx.time_wait("linux")
    syn = PEER.with_(seq=NEW_IRS, flags=SYN)
    assert deliver(conn, syn) == Outcome(
        steps=[(S.TIME_WAIT, T.SYN_REOPEN)],
        state=S.SYN_RECEIVED,
        sent=[fx.out(REOPEN_ISS, NEW_IRS + 1, SYN | ACK, options=fx.OUR_MSS)],
        events=["TIME-WAIT -> SYN-RECEIVED"],
        tcb=fx.TCB(
            iss=Seq(REOPEN_ISS),
            irs=Seq(NEW_IRS),
            snd_una=Seq(REOPEN_ISS),
            snd_nxt=Seq(REOPEN_ISS + 1),
            snd_wnd=fx.PEER_WND,
            snd_wl1=Seq(NEW_IRS),
            max_snd_wnd=fx.PEER_WND,
            rcv_nxt=Seq(NEW_IRS + 1),
        ),
        timers={"retransmit": NOW + fx.RTO},
    )
    ack = PEER.with_(seq=NEW_IRS + 1, ack=REOPEN_ISS + 1)
    assert deliver(conn, ack, now=NOW + 0.1).state is S.ESTABLISHED


@pytest.mark.parametrize(
    ("seq", "tsval", "reopens"),
    [
        (IRS + 2, None, False),  # at RCV.NXT: not above it
        (IRS + 3, None, True),
        (IRS + 1, 501, True),  # below RCV.NXT, but a newer timestamp (RFC 6191)
        (IRS + 100000, 499, False),  # above RCV.NXT, but an older timestamp: PAWS rejects it
        (IRS + 100000, 500, True),  # the same timestamp: the sequence number decides
    ],
)
def test_time_wait_reopen_rule(seq: int, tsval: int | None, reopens: bool) -> None:
    """rules.reopens: sequence above RCV.NXT or a newer timestamp; never an older timestamp."""
    from tcpcore.wire.options import Timestamps

    conn = fx.time_wait("linux")
    conn.tcb.ts_recent = 500
    opts = () if tsval is None else (Timestamps(tsval, 0),)
    out = deliver(conn, PEER.with_(seq=seq, flags=SYN, options=opts))
    assert out.steps == [(S.TIME_WAIT, T.SYN_REOPEN if reopens else T.SYN)]
    assert out.state is (S.SYN_RECEIVED if reopens else S.TIME_WAIT)


@covers(S.TIME_WAIT, T.NO_ACK)
def test_time_wait_no_ack() -> None:
    conn = fx.time_wait()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=PSH, payload=b"x")) == outcome(T.NO_ACK)


@covers(S.TIME_WAIT, T.ACK_UNACCEPTABLE)
def test_time_wait_ack_unacceptable() -> None:
    conn = fx.time_wait()
    assert deliver(conn, TEMPL.with_(ack=ISS + 3)) == outcome(
        T.ACK_UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 2)]
    )


@covers(S.TIME_WAIT, T.ACK)
def test_time_wait_ack() -> None:
    """3.10.7.4 fifth, TIME-WAIT: "The only thing that can arrive in this state is a
    retransmission of the remote FIN": a plain ACK is dropped, the timer untouched."""
    conn = fx.time_wait()
    assert deliver(conn, TEMPL.with_(window=7000), now=100.0) == outcome(T.ACK)


@covers(S.TIME_WAIT, T.DATA)
def test_time_wait_data() -> None:
    """3.10.7.4 seventh, TIME-WAIT: "Ignore the segment text"."""
    conn = fx.time_wait(user_closed=False)
    assert deliver(conn, TEMPL.with_(payload=b"late")) == outcome(T.DATA)


@covers(S.TIME_WAIT, T.DATA_AFTER_CLOSE)
def test_time_wait_data_after_close() -> None:
    conn = fx.time_wait()
    assert deliver(conn, TEMPL.with_(payload=b"late")) == outcome(T.DATA_AFTER_CLOSE)


@covers(S.TIME_WAIT, T.FIN)
def test_time_wait_fin() -> None:
    """3.10.7.4 fifth and eighth, TIME-WAIT: a retransmission of the peer's FIN (SEG.SEQ =
    IRS + 1): "Acknowledge it, and restart the 2 MSL timeout" - at 100 s, due at 340 s."""
    conn = fx.time_wait()
    seg = PEER.with_(seq=IRS + 1, ack=ISS + 2, flags=FIN | ACK)
    assert deliver(conn, seg, now=100.0) == outcome(
        T.FIN, [ack_seg(ISS + 2, IRS + 2)], timers={"time_wait": 100.0 + 240.0}
    )


@pytest.mark.parametrize(("profile", "deadline"), [("rfc9293", 240.0), ("linux", 60.0)])
@covers(S.TIME_WAIT, T.TIME_WAIT_TIMEOUT)
def test_time_wait_time_wait_timeout(profile: str, deadline: float) -> None:
    """3.10.8 TIME-WAIT TIMEOUT: delete the TCB, CLOSED, after 2*MSL (Linux: a fixed 60 s)."""
    conn = fx.time_wait(profile)
    assert expire(conn, deadline) == closes(T.TIME_WAIT_TIMEOUT)
