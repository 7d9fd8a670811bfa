"""CLOSE-WAIT: RFC 9293 3.10.1-3.10.5, 3.10.7.4, 3.10.8 and RFC 1122 4.2.3.6.

The peer's FIN <SEQ=IRS+1> is in: RCV.NXT = IRS + 2, SND.UNA = SND.NXT = ISS + 1.
"""

from __future__ import annotations

from dataclasses import replace

import fixtures as fx
import pytest
from fixtures import (
    ACK,
    CLOSE_WAIT_TCB,
    FIN,
    IRS,
    ISS,
    LAST_ACK_TCB,
    NOW,
    PEER,
    PROFILES,
    PSH,
    RCV_WND,
    RST,
    RTO,
    SYN,
    Outcome,
    S,
    Seq,
    T,
    abort_rst,
    ack_seg,
    assert_refused,
    call,
    covers,
    deliver,
    expire,
    out,
    rst_seg,
)

ERR_EXISTS = "error: connection already exists"
TEMPL = PEER.with_(seq=IRS + 2, ack=ISS + 1)  # SEG.SEQ = RCV.NXT, SEG.ACK = SND.NXT
WL1_MOVED = replace(CLOSE_WAIT_TCB, snd_wl1=Seq(IRS + 2))  # SND.WL1 IRS + 1 -> IRS + 2
KEEP = {"keepalive": True, "keepalive_idle": 10.0, "keepalive_interval": 5.0}


def outcome(
    trigger: T,
    sent: list[fx.Segment] | None = None,
    *,
    state: S = S.CLOSE_WAIT,
    events: list[str] | None = None,
    tcb: fx.TCB = CLOSE_WAIT_TCB,
    timers: dict[str, float] | None = None,
) -> Outcome:
    return Outcome(
        steps=[(S.CLOSE_WAIT, trigger)],
        state=state,
        sent=sent or [],
        events=events or [],
        tcb=tcb,
        timers=timers or {},
    )


@covers(S.CLOSE_WAIT, T.OPEN_ACTIVE)
def test_close_wait_open_active() -> None:
    assert_refused(fx.close_wait(), "connect", T.OPEN_ACTIVE, ERR_EXISTS)


@covers(S.CLOSE_WAIT, T.OPEN_PASSIVE)
def test_close_wait_open_passive() -> None:
    assert_refused(fx.close_wait(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.CLOSE_WAIT, T.SEND)
def test_close_wait_send() -> None:
    """3.10.2 CLOSE-WAIT: we may still send: <SEQ=SND.NXT><ACK=RCV.NXT>, SND.NXT + 5."""
    conn = fx.close_wait()
    assert call(conn, "send", b"hello") == outcome(
        T.SEND,
        [out(ISS + 1, IRS + 2, ACK | PSH, payload=b"hello")],
        tcb=replace(CLOSE_WAIT_TCB, snd_nxt=Seq(ISS + 6)),
        timers={"retransmit": NOW + RTO},
    )


@covers(S.CLOSE_WAIT, T.CLOSE)
def test_close_wait_close() -> None:
    """3.10.4 CLOSE-WAIT: "send a FIN segment, enter LAST-ACK state"."""
    conn = fx.close_wait()
    assert call(conn, "close") == outcome(
        T.CLOSE,
        [out(ISS + 1, IRS + 2, FIN | ACK)],
        state=S.LAST_ACK,
        events=["CLOSE-WAIT -> LAST-ACK"],
        tcb=LAST_ACK_TCB,
        timers={"retransmit": NOW + RTO},
    )
    assert conn.user_closed


def _with_unread(profile: str) -> fx.Connection:
    """ "hello" and the FIN in one segment, the 5 bytes left unread: RCV.NXT = IRS + 7."""
    conn = fx.established(profile, auto_read=False)
    deliver(conn, PEER.with_(seq=IRS + 1, ack=ISS + 1, flags=FIN | ACK, payload=b"hello"))
    assert conn.state is S.CLOSE_WAIT
    return conn


UNREAD_TCB = replace(CLOSE_WAIT_TCB, rcv_nxt=Seq(IRS + 7), rcv_wnd=RCV_WND - 5)


@covers(S.CLOSE_WAIT, T.CLOSE_UNREAD)
def test_close_wait_close_unread() -> None:
    conn = _with_unread("rfc9293")
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [out(ISS + 1, IRS + 7, FIN | ACK, window=RCV_WND - 5)],
        state=S.LAST_ACK,
        events=["CLOSE-WAIT -> LAST-ACK"],
        tcb=replace(UNREAD_TCB, snd_nxt=Seq(ISS + 2), fin_seq=Seq(ISS + 1)),
        timers={"retransmit": NOW + RTO},
    )


@covers(S.CLOSE_WAIT, T.CLOSE_UNREAD, "rst_on_close_with_unread")
def test_close_wait_close_unread_linux() -> None:
    conn = _with_unread("linux")
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [rst_seg(ISS + 1, IRS + 7)],
        state=S.CLOSED,
        events=["CLOSE-WAIT -> CLOSED", "Closed"],
        tcb=UNREAD_TCB,
    )


@covers(S.CLOSE_WAIT, T.SHUTDOWN)
def test_close_wait_shutdown() -> None:
    conn = fx.close_wait()
    assert call(conn, "shutdown") == outcome(
        T.SHUTDOWN,
        [out(ISS + 1, IRS + 2, FIN | ACK)],
        state=S.LAST_ACK,
        events=["CLOSE-WAIT -> LAST-ACK"],
        tcb=LAST_ACK_TCB,
        timers={"retransmit": NOW + RTO},
    )
    assert not conn.user_closed


@pytest.mark.parametrize("profile", PROFILES)
@covers(S.CLOSE_WAIT, T.ABORT)
def test_close_wait_abort(profile: str) -> None:
    conn = fx.close_wait(profile)
    assert call(conn, "abort") == outcome(
        T.ABORT,
        [abort_rst(profile, ISS + 1, IRS + 2)],
        state=S.CLOSED,
        events=["CLOSE-WAIT -> CLOSED", "Closed"],
    )


@covers(S.CLOSE_WAIT, T.UNACCEPTABLE)
def test_close_wait_unacceptable() -> None:
    """3.10.7.4 first: the peer's FIN again (SEG.SEQ = IRS + 1 < RCV.NXT) is an old duplicate:
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>."""
    conn = fx.close_wait()
    seg = PEER.with_(seq=IRS + 1, ack=ISS + 1, flags=FIN | ACK)
    assert deliver(conn, seg) == outcome(T.UNACCEPTABLE, [ack_seg(ISS + 1, IRS + 2)])


@covers(S.CLOSE_WAIT, T.RST_INVALID)
def test_close_wait_rst_invalid() -> None:
    conn = fx.close_wait()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=RST)) == outcome(T.RST_INVALID)


@covers(S.CLOSE_WAIT, T.RST_IN_WINDOW)
def test_close_wait_rst_in_window() -> None:
    conn = fx.close_wait()
    assert deliver(conn, PEER.with_(seq=IRS + 3, flags=RST)) == outcome(
        T.RST_IN_WINDOW, [ack_seg(ISS + 1, IRS + 2)]
    )


@covers(S.CLOSE_WAIT, T.RST)
def test_close_wait_rst() -> None:
    conn = fx.close_wait()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=RST)) == outcome(
        T.RST, state=S.CLOSED, events=["ConnectionReset", "CLOSE-WAIT -> CLOSED", "Closed"]
    )


@covers(S.CLOSE_WAIT, T.SYN)
def test_close_wait_syn() -> None:
    conn = fx.close_wait()
    assert deliver(conn, PEER.with_(seq=IRS, flags=SYN)) == outcome(
        T.SYN, [ack_seg(ISS + 1, IRS + 2)]
    )


@covers(S.CLOSE_WAIT, T.NO_ACK)
def test_close_wait_no_ack() -> None:
    conn = fx.close_wait()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=PSH, payload=b"x")) == outcome(T.NO_ACK)


@covers(S.CLOSE_WAIT, T.ACK_UNACCEPTABLE)
def test_close_wait_ack_unacceptable() -> None:
    conn = fx.close_wait()
    assert deliver(conn, TEMPL.with_(ack=ISS + 2)) == outcome(
        T.ACK_UNACCEPTABLE, [ack_seg(ISS + 1, IRS + 2)]
    )


@covers(S.CLOSE_WAIT, T.ACK)
def test_close_wait_ack() -> None:
    """3.10.7.4 fifth, "the same processing as for the ESTABLISHED state": our 3 bytes are
    acknowledged, the timer stops, the window is updated."""
    conn = fx.close_wait()
    call(conn, "send", b"abc")
    conn.pop_segments()
    assert deliver(conn, TEMPL.with_(ack=ISS + 4, window=7000), now=0.6) == outcome(
        T.ACK,
        tcb=replace(
            WL1_MOVED,
            snd_una=Seq(ISS + 4),
            snd_nxt=Seq(ISS + 4),
            snd_wnd=7000,
            snd_wl2=Seq(ISS + 4),
            max_snd_wnd=7000,
        ),
    )


@covers(S.CLOSE_WAIT, T.DATA)
def test_close_wait_data() -> None:
    """3.10.7.4 seventh, CLOSE-WAIT: "This should not occur since a FIN has been received from
    the remote side. Ignore the segment text." Its ACK field is still processed (fifth step)."""
    conn = fx.close_wait()
    assert deliver(conn, TEMPL.with_(payload=b"late")) == outcome(T.DATA, tcb=WL1_MOVED)


@covers(S.CLOSE_WAIT, T.FIN)
def test_close_wait_fin() -> None:
    """3.10.7.4 eighth, CLOSE-WAIT: "Remain in the CLOSE-WAIT state"; the FIN is acknowledged.
    (A FIN at RCV.NXT after the peer's FIN; tcpcore does not advance RCV.NXT a second time.)"""
    conn = fx.close_wait()
    assert deliver(conn, TEMPL.with_(flags=FIN | ACK)) == outcome(
        T.FIN, [ack_seg(ISS + 1, IRS + 2)], tcb=WL1_MOVED
    )


@covers(S.CLOSE_WAIT, T.RETRANSMIT_TIMEOUT)
def test_close_wait_retransmit_timeout() -> None:
    conn = fx.close_wait()
    call(conn, "send", b"abc")
    conn.pop_segments()
    assert expire(conn, NOW + RTO) == outcome(
        T.RETRANSMIT_TIMEOUT,
        [out(ISS + 1, IRS + 2, ACK | PSH, payload=b"abc")],
        tcb=replace(CLOSE_WAIT_TCB, snd_nxt=Seq(ISS + 4)),
        timers={"retransmit": NOW + RTO + 2 * RTO},
    )


@covers(S.CLOSE_WAIT, T.USER_TIMEOUT)
def test_close_wait_user_timeout() -> None:
    conn = fx.close_wait(user_timeout=1.0)
    call(conn, "send", b"abc")
    conn.pop_segments()
    assert expire(conn, NOW + 1.0) == outcome(
        T.USER_TIMEOUT,
        state=S.CLOSED,
        events=["TimedOut", "CLOSE-WAIT -> CLOSED", "Closed"],
        tcb=replace(CLOSE_WAIT_TCB, snd_nxt=Seq(ISS + 4)),
    )


@covers(S.CLOSE_WAIT, T.KEEPALIVE_TIMEOUT)
def test_close_wait_keepalive_timeout() -> None:
    conn = fx.close_wait(**KEEP)
    assert expire(conn, 10.0) == outcome(
        T.KEEPALIVE_TIMEOUT, [ack_seg(ISS, IRS + 2)], timers={"keepalive": 15.0}
    )


@covers(S.CLOSE_WAIT, T.KEEPALIVE_EXHAUSTED)
def test_close_wait_keepalive_exhausted() -> None:
    conn = fx.close_wait(**KEEP, keepalive_probes=1)
    expire(conn, 10.0)
    assert expire(conn, 15.0) == outcome(
        T.KEEPALIVE_EXHAUSTED,
        state=S.CLOSED,
        events=["TimedOut", "CLOSE-WAIT -> CLOSED", "Closed"],
    )


@covers(S.CLOSE_WAIT, T.KEEPALIVE_EXHAUSTED, "rst_on_keepalive_give_up")
def test_close_wait_keepalive_exhausted_linux() -> None:
    conn = fx.close_wait("linux", **KEEP, keepalive_probes=1)
    expire(conn, 10.0)
    assert expire(conn, 15.0) == outcome(
        T.KEEPALIVE_EXHAUSTED,
        [rst_seg(ISS + 1, IRS + 2)],
        state=S.CLOSED,
        events=["TimedOut", "CLOSE-WAIT -> CLOSED", "Closed"],
    )


@covers(S.CLOSE_WAIT, T.LOSS_PROBE_TIMEOUT)
def test_close_wait_loss_probe_timeout() -> None:
    """RFC 8985 7.3 (linux): we may still send in CLOSE-WAIT; a lost tail is probed."""
    conn = fx.close_wait("linux")
    fx.half_second_rtt(conn, IRS + 2)
    call(conn, "send", b"hello", now=2.0)
    conn.pop_segments()
    assert expire(conn, fx.PROBE_AT) == outcome(
        T.LOSS_PROBE_TIMEOUT,
        [out(ISS + 2, IRS + 2, ACK | PSH, payload=b"hello")],
        tcb=replace(
            WL1_MOVED,
            snd_una=Seq(ISS + 2),
            snd_nxt=Seq(ISS + 7),
            snd_wl2=Seq(ISS + 2),
            sack_ok=True,
        ),
        timers={"retransmit": fx.RTO_AFTER_PROBE},
    )


@covers(S.CLOSE_WAIT, T.SYN_IN_WINDOW)
def test_close_wait_syn_in_window() -> None:
    """RFC 793 3.9 (syn_in_window_resets, FreeBSD's insecure_syn): a SYN in the window resets."""
    fx.check_syn_in_window_resets(fx.close_wait, fx.IRS + 2, fx.ISS + 1)
