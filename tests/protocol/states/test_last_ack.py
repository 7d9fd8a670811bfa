"""LAST-ACK: RFC 9293 3.10.1-3.10.5, 3.10.7.4 and 3.10.8.

The peer closed first; our FIN <SEQ=ISS+1> is unacknowledged: SND.UNA = ISS + 1,
SND.NXT = ISS + 2, RCV.NXT = IRS + 2. ``fx.last_ack()`` came by close(); ``user_closed=False``
by shutdown().
"""

from __future__ import annotations

from dataclasses import replace

import fixtures as fx
from fixtures import (
    ACK,
    FIN,
    IRS,
    ISS,
    LAST_ACK_TCB,
    PEER,
    PSH,
    RCV_WND,
    RST,
    RTO,
    SYN,
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
    out,
    rst_seg,
)

ERR_EXISTS = "error: connection already exists"
ERR_CLOSING = "error: connection closing"
FIN_AT_1 = {"retransmit": 0.0 + RTO}
TEMPL = PEER.with_(seq=IRS + 2, ack=ISS + 1)  # in sequence, not acknowledging our FIN
WL1_MOVED = replace(LAST_ACK_TCB, snd_wl1=Seq(IRS + 2))  # SND.WL1 IRS + 1 -> IRS + 2


def outcome(
    trigger: T,
    sent: list[fx.Segment] | None = None,
    *,
    state: S = S.LAST_ACK,
    events: list[str] | None = None,
    tcb: fx.TCB = LAST_ACK_TCB,
    timers: dict[str, float] | None = None,
) -> Outcome:
    return Outcome(
        steps=[(S.LAST_ACK, trigger)],
        state=state,
        sent=sent or [],
        events=events or [],
        tcb=tcb,
        timers=FIN_AT_1 if timers is None else timers,
    )


def closes(trigger: T, events: list[str] | None = None, tcb: fx.TCB = LAST_ACK_TCB) -> Outcome:
    return outcome(
        trigger,
        state=S.CLOSED,
        events=[*(events or []), "LAST-ACK -> CLOSED", "Closed"],
        tcb=tcb,
        timers={},
    )


@covers(S.LAST_ACK, T.OPEN_ACTIVE)
def test_last_ack_open_active() -> None:
    assert_refused(fx.last_ack(), "connect", T.OPEN_ACTIVE, ERR_EXISTS)


@covers(S.LAST_ACK, T.OPEN_PASSIVE)
def test_last_ack_open_passive() -> None:
    assert_refused(fx.last_ack(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.LAST_ACK, T.SEND)
def test_last_ack_send() -> None:
    assert_refused(fx.last_ack(), "send", T.SEND, ERR_CLOSING, b"late")


@covers(S.LAST_ACK, T.CLOSE)
def test_last_ack_close() -> None:
    """socket close() after shutdown(): let go, no second FIN."""
    conn = fx.last_ack(user_closed=False)
    assert call(conn, "close") == outcome(T.CLOSE)
    assert conn.user_closed


def _with_unread(profile: str) -> fx.Connection:
    """ "hello" and the peer's FIN arrive, left unread; then shutdown() sends our FIN."""
    conn = fx.established(profile, auto_read=False)
    deliver(conn, PEER.with_(seq=IRS + 1, ack=ISS + 1, flags=FIN | ACK, payload=b"hello"))
    call(conn, "shutdown")
    assert conn.state is S.LAST_ACK
    return conn


UNREAD_TCB = replace(LAST_ACK_TCB, rcv_nxt=Seq(IRS + 7), rcv_wnd=RCV_WND - 5)
FIN_AT_1_5 = {"retransmit": 0.5 + RTO}  # the FIN of _with_unread went out at 0.5 s


@covers(S.LAST_ACK, T.CLOSE_UNREAD)
def test_last_ack_close_unread() -> None:
    conn = _with_unread("rfc9293")
    assert call(conn, "close") == outcome(T.CLOSE_UNREAD, tcb=UNREAD_TCB, timers=FIN_AT_1_5)


@covers(S.LAST_ACK, T.CLOSE_UNREAD, "rst_on_close_with_unread")
def test_last_ack_close_unread_linux() -> None:
    """Linux tcp_close(): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, CLOSED."""
    conn = _with_unread("linux")
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [rst_seg(ISS + 2, IRS + 7)],
        state=S.CLOSED,
        events=["LAST-ACK -> CLOSED", "Closed"],
        tcb=UNREAD_TCB,
        timers={},
    )


@covers(S.LAST_ACK, T.SHUTDOWN)
def test_last_ack_shutdown() -> None:
    """3.10.4 LAST-ACK: "Respond with "error: connection closing""."""
    assert_refused(fx.last_ack(user_closed=False), "shutdown", T.SHUTDOWN, ERR_CLOSING)


@covers(S.LAST_ACK, T.ABORT)
def test_last_ack_abort() -> None:
    """3.10.5 LAST-ACK: "ok", delete the TCB, CLOSED; no RST."""
    assert call(fx.last_ack(), "abort") == closes(T.ABORT)


@covers(S.LAST_ACK, T.UNACCEPTABLE)
def test_last_ack_unacceptable() -> None:
    """3.10.7.4 first: the peer's FIN again is old: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>."""
    conn = fx.last_ack()
    seg = PEER.with_(seq=IRS + 1, ack=ISS + 1, flags=FIN | ACK)
    assert deliver(conn, seg) == outcome(T.UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 2)])


@covers(S.LAST_ACK, T.RST_INVALID)
def test_last_ack_rst_invalid() -> None:
    conn = fx.last_ack()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=RST)) == outcome(T.RST_INVALID)


@covers(S.LAST_ACK, T.RST_IN_WINDOW)
def test_last_ack_rst_in_window() -> None:
    conn = fx.last_ack()
    assert deliver(conn, PEER.with_(seq=IRS + 3, flags=RST)) == outcome(
        T.RST_IN_WINDOW, [ack_seg(ISS + 2, IRS + 2)]
    )


@covers(S.LAST_ACK, T.RST)
def test_last_ack_rst() -> None:
    """3.10.7.4 second, LAST-ACK: "enter the CLOSED state, delete the TCB, and return"."""
    conn = fx.last_ack()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=RST)) == closes(T.RST)


@covers(S.LAST_ACK, T.SYN)
def test_last_ack_syn() -> None:
    conn = fx.last_ack()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=SYN)) == outcome(
        T.SYN, [ack_seg(ISS + 2, IRS + 2)]
    )


@covers(S.LAST_ACK, T.NO_ACK)
def test_last_ack_no_ack() -> None:
    conn = fx.last_ack()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=PSH, payload=b"x")) == outcome(T.NO_ACK)


@covers(S.LAST_ACK, T.ACK_UNACCEPTABLE)
def test_last_ack_ack_unacceptable() -> None:
    conn = fx.last_ack()
    assert deliver(conn, TEMPL.with_(ack=ISS + 3)) == outcome(
        T.ACK_UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 2)]
    )


@covers(S.LAST_ACK, T.ACK)
def test_last_ack_ack() -> None:
    """3.10.7.4 fifth, LAST-ACK: not yet the ACK of our FIN: stay (the window is updated)."""
    conn = fx.last_ack()
    assert deliver(conn, TEMPL.with_(window=7000)) == outcome(
        T.ACK, tcb=replace(WL1_MOVED, snd_wnd=7000, max_snd_wnd=7000)
    )


@covers(S.LAST_ACK, T.ACK_OF_FIN)
def test_last_ack_ack_of_fin() -> None:
    """3.10.7.4 fifth, LAST-ACK: "If our FIN is now acknowledged, delete the TCB, enter the
    CLOSED state, and return"."""
    conn = fx.last_ack()
    assert deliver(conn, TEMPL.with_(ack=ISS + 2)) == closes(
        T.ACK_OF_FIN, tcb=replace(WL1_MOVED, snd_una=Seq(ISS + 2), snd_wl2=Seq(ISS + 2))
    )


@covers(S.LAST_ACK, T.DATA)
def test_last_ack_data() -> None:
    """3.10.7.4 seventh, LAST-ACK: "Ignore the segment text"; its ACK field is processed."""
    conn = fx.last_ack(user_closed=False)
    assert deliver(conn, TEMPL.with_(payload=b"late", window=7000)) == outcome(
        T.DATA, tcb=replace(WL1_MOVED, snd_wnd=7000, max_snd_wnd=7000)
    )


@covers(S.LAST_ACK, T.DATA_AFTER_CLOSE)
def test_last_ack_data_after_close() -> None:
    conn = fx.last_ack()
    assert deliver(conn, TEMPL.with_(payload=b"late", window=7000)) == outcome(
        T.DATA_AFTER_CLOSE, tcb=replace(WL1_MOVED, snd_wnd=7000, max_snd_wnd=7000)
    )


@covers(S.LAST_ACK, T.FIN)
def test_last_ack_fin() -> None:
    """3.10.7.4 eighth, LAST-ACK: "Remain in the LAST-ACK state"; acknowledge."""
    conn = fx.last_ack()
    assert deliver(conn, TEMPL.with_(flags=FIN | ACK)) == outcome(
        T.FIN, [ack_seg(ISS + 2, IRS + 2)], tcb=WL1_MOVED
    )


@covers(S.LAST_ACK, T.RETRANSMIT_TIMEOUT)
def test_last_ack_retransmit_timeout() -> None:
    conn = fx.last_ack()
    assert expire(conn, 1.0) == outcome(
        T.RETRANSMIT_TIMEOUT,
        [out(ISS + 1, IRS + 2, FIN | ACK)],
        timers={"retransmit": 1.0 + 2 * RTO},
    )


@covers(S.LAST_ACK, T.USER_TIMEOUT)
def test_last_ack_user_timeout() -> None:
    conn = fx.last_ack(user_timeout=1.0)
    assert expire(conn, 1.0) == closes(T.USER_TIMEOUT, ["TimedOut"])


@covers(S.LAST_ACK, T.LOSS_PROBE_TIMEOUT)
def test_last_ack_loss_probe_timeout() -> None:
    """RFC 8985 7.3 (linux): our FIN <SEQ=ISS+2>, sent at 2 s after the peer's, is probed."""
    conn = fx.close_wait("linux")
    fx.half_second_rtt(conn, IRS + 2)
    call(conn, "close", now=2.0)
    conn.pop_segments()
    assert expire(conn, fx.PROBE_AT) == outcome(
        T.LOSS_PROBE_TIMEOUT,
        [out(ISS + 2, IRS + 2, FIN | ACK)],
        tcb=replace(
            WL1_MOVED,
            snd_una=Seq(ISS + 2),
            snd_nxt=Seq(ISS + 3),
            snd_wl2=Seq(ISS + 2),
            fin_seq=Seq(ISS + 2),
            sack_ok=True,
        ),
        timers={"retransmit": fx.RTO_AFTER_PROBE},
    )


@covers(S.LAST_ACK, T.SYN_IN_WINDOW)
def test_last_ack_syn_in_window() -> None:
    """RFC 793 3.9 (syn_in_window_resets, FreeBSD's insecure_syn): a SYN in the window resets."""
    fx.check_syn_in_window_resets(fx.last_ack, fx.IRS + 2, fx.ISS + 2)


@covers(S.LAST_ACK, T.RST, "reset_reported_when_closing")
def test_last_ack_rst_reported() -> None:
    """FreeBSD tcp_input(): the RST that closes LAST-ACK is reported (SO_ERROR ECONNRESET)."""
    conn = fx.last_ack(fx.rfc9293_with(reset_reported_when_closing=True))
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=RST)) == closes(
        T.RST, events=["ConnectionReset"]
    )
    assert conn.error == "ECONNRESET"
