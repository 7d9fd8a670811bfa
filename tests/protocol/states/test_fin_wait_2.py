"""FIN-WAIT-2: RFC 9293 3.10.1-3.10.5, 3.10.7.4, RFC 1122 4.2.3.6 and Linux's tcp_fin_timeout.

Our FIN is acknowledged: SND.UNA = SND.NXT = ISS + 2, RCV.NXT = IRS + 1. ``fx.fin_wait_2()`` got
here by close(); ``user_closed=False`` by shutdown().
"""

from __future__ import annotations

from dataclasses import replace

import fixtures as fx
import pytest
from fixtures import (
    ACK,
    FIN,
    FIN_WAIT_2_TCB,
    IRS,
    ISS,
    NOW,
    PEER,
    PROFILES,
    RCV_WND,
    RST,
    SYN,
    TIME_WAIT_TCB,
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
    rst_seg,
)

ERR_EXISTS = "error: connection already exists"
ERR_CLOSING = "error: connection closing"
TEMPL = PEER.with_(seq=IRS + 1, ack=ISS + 2)  # SEG.SEQ = RCV.NXT, SEG.ACK = SND.NXT
KEEP = {"keepalive": True, "keepalive_idle": 10.0, "keepalive_interval": 5.0}


def outcome(
    trigger: T,
    sent: list[fx.Segment] | None = None,
    *,
    state: S = S.FIN_WAIT_2,
    events: list[str] | None = None,
    tcb: fx.TCB = FIN_WAIT_2_TCB,
    timers: dict[str, float] | None = None,
) -> Outcome:
    return Outcome(
        steps=[(S.FIN_WAIT_2, trigger)],
        state=state,
        sent=sent or [],
        events=events or [],
        tcb=tcb,
        timers=timers or {},
    )


@covers(S.FIN_WAIT_2, T.OPEN_ACTIVE)
def test_fin_wait_2_open_active() -> None:
    assert_refused(fx.fin_wait_2(), "connect", T.OPEN_ACTIVE, ERR_EXISTS)


@covers(S.FIN_WAIT_2, T.OPEN_PASSIVE)
def test_fin_wait_2_open_passive() -> None:
    assert_refused(fx.fin_wait_2(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.FIN_WAIT_2, T.SEND)
def test_fin_wait_2_send() -> None:
    assert_refused(fx.fin_wait_2(), "send", T.SEND, ERR_CLOSING, b"late")


@covers(S.FIN_WAIT_2, T.CLOSE)
def test_fin_wait_2_close() -> None:
    """3.10.4 FIN-WAIT-2: "ok", no second FIN. (Under rfc9293 no FIN-WAIT-2 timer starts.)"""
    conn = fx.fin_wait_2(user_closed=False)
    assert call(conn, "close") == outcome(T.CLOSE)
    assert conn.user_closed


def _with_unread(profile: str) -> fx.Connection:
    """After shutdown(), 5 bytes arrive and stay unread: RCV.NXT = IRS + 6. (SND.WL1 = SEG.SEQ
    and SND.WL2 = SEG.ACK already, so the window update changes nothing.)"""
    conn = fx.fin_wait_2(profile, user_closed=False, auto_read=False)
    deliver(conn, TEMPL.with_(payload=b"hello"))
    return conn


UNREAD_TCB = replace(FIN_WAIT_2_TCB, rcv_nxt=Seq(IRS + 6), rcv_wnd=RCV_WND - 5)


@covers(S.FIN_WAIT_2, T.CLOSE_UNREAD)
def test_fin_wait_2_close_unread() -> None:
    conn = _with_unread("rfc9293")
    assert call(conn, "close") == outcome(T.CLOSE_UNREAD, tcb=UNREAD_TCB)


@covers(S.FIN_WAIT_2, T.CLOSE_UNREAD, "rst_on_close_with_unread")
def test_fin_wait_2_close_unread_linux() -> None:
    """Linux tcp_close(): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, CLOSED."""
    conn = _with_unread("linux")
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [rst_seg(ISS + 2, IRS + 6)],
        state=S.CLOSED,
        events=["FIN-WAIT-2 -> CLOSED", "Closed"],
        tcb=UNREAD_TCB,
    )


@covers(S.FIN_WAIT_2, T.SHUTDOWN)
def test_fin_wait_2_shutdown() -> None:
    conn = fx.fin_wait_2(user_closed=False)
    assert call(conn, "shutdown") == outcome(T.SHUTDOWN)


@pytest.mark.parametrize("profile", PROFILES)
@covers(S.FIN_WAIT_2, T.ABORT)
def test_fin_wait_2_abort(profile: str) -> None:
    """3.10.5 FIN-WAIT-2: <SEQ=SND.NXT><CTL=RST>, CLOSED (and Linux's orphan timer stops)."""
    conn = fx.fin_wait_2(profile)
    assert call(conn, "abort") == outcome(
        T.ABORT,
        [abort_rst(profile, ISS + 2, IRS + 1)],
        state=S.CLOSED,
        events=["FIN-WAIT-2 -> CLOSED", "Closed"],
    )


@covers(S.FIN_WAIT_2, T.UNACCEPTABLE)
def test_fin_wait_2_unacceptable() -> None:
    conn = fx.fin_wait_2()
    seg = TEMPL.with_(seq=IRS - 9, payload=b"old")
    assert deliver(conn, seg) == outcome(T.UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 1)])


@covers(S.FIN_WAIT_2, T.RST_INVALID)
def test_fin_wait_2_rst_invalid() -> None:
    conn = fx.fin_wait_2()
    assert deliver(conn, PEER.with_(seq=IRS + 1 + RCV_WND, flags=RST)) == outcome(T.RST_INVALID)


@covers(S.FIN_WAIT_2, T.RST_IN_WINDOW)
def test_fin_wait_2_rst_in_window() -> None:
    conn = fx.fin_wait_2()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=RST)) == outcome(
        T.RST_IN_WINDOW, [ack_seg(ISS + 2, IRS + 1)]
    )


@covers(S.FIN_WAIT_2, T.RST)
def test_fin_wait_2_rst() -> None:
    conn = fx.fin_wait_2()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=RST)) == outcome(
        T.RST, state=S.CLOSED, events=["ConnectionReset", "FIN-WAIT-2 -> CLOSED", "Closed"]
    )


@covers(S.FIN_WAIT_2, T.SYN)
def test_fin_wait_2_syn() -> None:
    conn = fx.fin_wait_2()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=SYN)) == outcome(
        T.SYN, [ack_seg(ISS + 2, IRS + 1)]
    )


@covers(S.FIN_WAIT_2, T.NO_ACK)
def test_fin_wait_2_no_ack() -> None:
    conn = fx.fin_wait_2()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=FIN)) == outcome(T.NO_ACK)


@covers(S.FIN_WAIT_2, T.ACK_UNACCEPTABLE)
def test_fin_wait_2_ack_unacceptable() -> None:
    conn = fx.fin_wait_2()
    assert deliver(conn, TEMPL.with_(ack=ISS + 3)) == outcome(
        T.ACK_UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 1)]
    )


@covers(S.FIN_WAIT_2, T.ACK)
def test_fin_wait_2_ack() -> None:
    """3.10.7.4 fifth: SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK: the window update is taken."""
    conn = fx.fin_wait_2()
    assert deliver(conn, TEMPL.with_(window=7000)) == outcome(
        T.ACK, tcb=replace(FIN_WAIT_2_TCB, snd_wnd=7000, max_snd_wnd=7000)
    )


@covers(S.FIN_WAIT_2, T.DATA)
def test_fin_wait_2_data() -> None:
    """3.10.7.4 seventh (after shutdown()): deliver, RCV.NXT + 5, ACK."""
    conn = fx.fin_wait_2(user_closed=False)
    assert deliver(conn, TEMPL.with_(payload=b"hello")) == outcome(
        T.DATA,
        [ack_seg(ISS + 2, IRS + 6)],
        events=["DataReceived(b'hello')"],
        tcb=replace(FIN_WAIT_2_TCB, rcv_nxt=Seq(IRS + 6)),
    )


@covers(S.FIN_WAIT_2, T.DATA_AFTER_CLOSE)
def test_fin_wait_2_data_after_close() -> None:
    conn = fx.fin_wait_2()
    assert deliver(conn, TEMPL.with_(payload=b"hello")) == outcome(
        T.DATA_AFTER_CLOSE,
        [ack_seg(ISS + 2, IRS + 6)],
        events=["DataReceived(b'hello')"],
        tcb=replace(FIN_WAIT_2_TCB, rcv_nxt=Seq(IRS + 6)),
    )


@covers(S.FIN_WAIT_2, T.DATA_AFTER_CLOSE, "rst_on_data_after_close")
def test_fin_wait_2_data_after_close_linux() -> None:
    """Linux: <SEQ=SEG.ACK><CTL=RST>, CLOSED."""
    conn = fx.fin_wait_2("linux")
    assert deliver(conn, TEMPL.with_(payload=b"hello")) == outcome(
        T.DATA_AFTER_CLOSE,
        [rst_seg(ISS + 2)],
        state=S.CLOSED,
        events=["FIN-WAIT-2 -> CLOSED", "Closed"],
    )


@covers(S.FIN_WAIT_2, T.FIN)
def test_fin_wait_2_fin() -> None:
    """3.10.7.4 eighth: RCV.NXT + 1, ACK the FIN, "Enter the TIME-WAIT state. Start the
    time-wait timer, turn off the other timers"."""
    conn = fx.fin_wait_2()
    assert deliver(conn, TEMPL.with_(flags=FIN | ACK)) == outcome(
        T.FIN,
        [ack_seg(ISS + 2, IRS + 2)],
        state=S.TIME_WAIT,
        events=["PeerClosed", "FIN-WAIT-2 -> TIME-WAIT"],
        tcb=TIME_WAIT_TCB,
        timers={"time_wait": NOW + 240.0},
    )


@covers(S.FIN_WAIT_2, T.KEEPALIVE_TIMEOUT)
def test_fin_wait_2_keepalive_timeout() -> None:
    """RFC 1122 4.2.3.6: probe <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>."""
    conn = fx.fin_wait_2(**KEEP)
    assert expire(conn, 10.0) == outcome(
        T.KEEPALIVE_TIMEOUT, [ack_seg(ISS + 1, IRS + 1)], timers={"keepalive": 15.0}
    )


@covers(S.FIN_WAIT_2, T.KEEPALIVE_EXHAUSTED)
def test_fin_wait_2_keepalive_exhausted() -> None:
    conn = fx.fin_wait_2(**KEEP, keepalive_probes=1)
    expire(conn, 10.0)
    assert expire(conn, 15.0) == outcome(
        T.KEEPALIVE_EXHAUSTED,
        state=S.CLOSED,
        events=["TimedOut", "FIN-WAIT-2 -> CLOSED", "Closed"],
    )


@covers(S.FIN_WAIT_2, T.KEEPALIVE_EXHAUSTED, "rst_on_keepalive_give_up")
def test_fin_wait_2_keepalive_exhausted_linux() -> None:
    conn = fx.fin_wait_2("linux", **KEEP, keepalive_probes=1)
    expire(conn, 10.0)
    assert expire(conn, 15.0) == outcome(
        T.KEEPALIVE_EXHAUSTED,
        [rst_seg(ISS + 2, IRS + 1)],
        state=S.CLOSED,
        events=["TimedOut", "FIN-WAIT-2 -> CLOSED", "Closed"],
    )


@covers(S.FIN_WAIT_2, T.FIN_WAIT_2_TIMEOUT)
def test_fin_wait_2_fin_wait_2_timeout() -> None:
    """Linux tcp_fin_timeout: a closed (orphaned) FIN-WAIT-2 is dropped after 60 s, silently."""
    conn = fx.fin_wait_2("linux")
    assert expire(conn, 60.0) == outcome(
        T.FIN_WAIT_2_TIMEOUT, state=S.CLOSED, events=["FIN-WAIT-2 -> CLOSED", "Closed"]
    )


@covers(S.FIN_WAIT_2, T.SYN_IN_WINDOW)
def test_fin_wait_2_syn_in_window() -> None:
    """RFC 793 3.9 (syn_in_window_resets, FreeBSD's insecure_syn): a SYN in the window resets."""
    fx.check_syn_in_window_resets(fx.fin_wait_2, fx.IRS + 1, fx.ISS + 2)
