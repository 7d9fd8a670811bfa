"""CLOSING: RFC 9293 3.10.1-3.10.5, 3.10.7.4 and 3.10.8 (simultaneous close).

Both FINs are out, ours <SEQ=ISS+1> unacknowledged: SND.UNA = ISS + 1, SND.NXT = ISS + 2,
RCV.NXT = IRS + 2. ``fx.closing()`` came by close(); ``user_closed=False`` by shutdown().
"""

from __future__ import annotations

from dataclasses import replace

import fixtures as fx
from fixtures import (
    ACK,
    CLOSING_TCB,
    FIN,
    IRS,
    ISS,
    NOW,
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
WL1_MOVED = replace(CLOSING_TCB, snd_wl1=Seq(IRS + 2))  # SND.WL1 IRS + 1 -> IRS + 2


def outcome(
    trigger: T,
    sent: list[fx.Segment] | None = None,
    *,
    state: S = S.CLOSING,
    events: list[str] | None = None,
    tcb: fx.TCB = CLOSING_TCB,
    timers: dict[str, float] | None = None,
) -> Outcome:
    return Outcome(
        steps=[(S.CLOSING, trigger)],
        state=state,
        sent=sent or [],
        events=events or [],
        tcb=tcb,
        timers=FIN_AT_1 if timers is None else timers,
    )


def closes(trigger: T, events: list[str] | None = None) -> Outcome:
    return outcome(
        trigger,
        state=S.CLOSED,
        events=[*(events or []), "CLOSING -> CLOSED", "Closed"],
        timers={},
    )


@covers(S.CLOSING, T.OPEN_ACTIVE)
def test_closing_open_active() -> None:
    assert_refused(fx.closing(), "connect", T.OPEN_ACTIVE, ERR_EXISTS)


@covers(S.CLOSING, T.OPEN_PASSIVE)
def test_closing_open_passive() -> None:
    assert_refused(fx.closing(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.CLOSING, T.SEND)
def test_closing_send() -> None:
    assert_refused(fx.closing(), "send", T.SEND, ERR_CLOSING, b"late")


@covers(S.CLOSING, T.CLOSE)
def test_closing_close() -> None:
    """socket close() after shutdown() lets go of the socket; no second FIN."""
    conn = fx.closing(user_closed=False)
    assert call(conn, "close") == outcome(T.CLOSE)
    assert conn.user_closed


def _with_unread(profile: str) -> fx.Connection:
    """After shutdown(), "hello" and the peer's FIN cross our FIN; the 5 bytes stay unread."""
    conn = fx.fin_wait_1(profile, user_closed=False, auto_read=False)
    deliver(conn, PEER.with_(seq=IRS + 1, ack=ISS + 1, flags=FIN | ACK, payload=b"hello"))
    assert conn.state is S.CLOSING
    return conn


UNREAD_TCB = replace(CLOSING_TCB, rcv_nxt=Seq(IRS + 7), rcv_wnd=RCV_WND - 5)


@covers(S.CLOSING, T.CLOSE_UNREAD)
def test_closing_close_unread() -> None:
    conn = _with_unread("rfc9293")
    assert call(conn, "close") == outcome(T.CLOSE_UNREAD, tcb=UNREAD_TCB)


@covers(S.CLOSING, T.CLOSE_UNREAD, "rst_on_close_with_unread")
def test_closing_close_unread_linux() -> None:
    """Linux tcp_close() resets on unread data in any state it finds it (RFC 1122 4.2.2.13):
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>."""
    conn = _with_unread("linux")
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [rst_seg(ISS + 2, IRS + 7)],
        state=S.CLOSED,
        events=["CLOSING -> CLOSED", "Closed"],
        tcb=UNREAD_TCB,
        timers={},
    )


@covers(S.CLOSING, T.SHUTDOWN)
def test_closing_shutdown() -> None:
    """3.10.4 CLOSING: "Respond with "error: connection closing"" (the RFC's CLOSE again)."""
    assert_refused(fx.closing(user_closed=False), "shutdown", T.SHUTDOWN, ERR_CLOSING)


@covers(S.CLOSING, T.ABORT)
def test_closing_abort() -> None:
    """3.10.5 CLOSING: "Respond with "ok" and delete the TCB, enter CLOSED"; no RST."""
    assert call(fx.closing(), "abort") == closes(T.ABORT)


@covers(S.CLOSING, T.UNACCEPTABLE)
def test_closing_unacceptable() -> None:
    """3.10.7.4 first: the peer's FIN again is old: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>."""
    conn = fx.closing()
    seg = PEER.with_(seq=IRS + 1, ack=ISS + 1, flags=FIN | ACK)
    assert deliver(conn, seg) == outcome(T.UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 2)])


@covers(S.CLOSING, T.RST_INVALID)
def test_closing_rst_invalid() -> None:
    conn = fx.closing()
    assert deliver(conn, PEER.with_(seq=IRS + 2 + RCV_WND, flags=RST)) == outcome(T.RST_INVALID)


@covers(S.CLOSING, T.RST_IN_WINDOW)
def test_closing_rst_in_window() -> None:
    conn = fx.closing()
    assert deliver(conn, PEER.with_(seq=IRS + 3, flags=RST)) == outcome(
        T.RST_IN_WINDOW, [ack_seg(ISS + 2, IRS + 2)]
    )


@covers(S.CLOSING, T.RST)
def test_closing_rst() -> None:
    """3.10.7.4 second, CLOSING: "enter the CLOSED state, delete the TCB, and return" (no
    signal: the user has already closed)."""
    conn = fx.closing()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=RST)) == closes(T.RST)


@covers(S.CLOSING, T.SYN)
def test_closing_syn() -> None:
    conn = fx.closing()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=SYN)) == outcome(
        T.SYN, [ack_seg(ISS + 2, IRS + 2)]
    )


@covers(S.CLOSING, T.NO_ACK)
def test_closing_no_ack() -> None:
    conn = fx.closing()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=PSH, payload=b"x")) == outcome(T.NO_ACK)


@covers(S.CLOSING, T.ACK_UNACCEPTABLE)
def test_closing_ack_unacceptable() -> None:
    conn = fx.closing()
    assert deliver(conn, TEMPL.with_(ack=ISS + 3)) == outcome(
        T.ACK_UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 2)]
    )


@covers(S.CLOSING, T.ACK)
def test_closing_ack() -> None:
    """3.10.7.4 fifth, CLOSING: the ACK does not acknowledge our FIN: "ignore the segment" once
    the ESTABLISHED processing (the window update) is done."""
    conn = fx.closing()
    assert deliver(conn, TEMPL.with_(window=7000)) == outcome(
        T.ACK, tcb=replace(WL1_MOVED, snd_wnd=7000, max_snd_wnd=7000)
    )


@covers(S.CLOSING, T.ACK_OF_FIN)
def test_closing_ack_of_fin() -> None:
    """3.10.7.4 fifth, CLOSING: "if the ACK acknowledges our FIN, then enter the TIME-WAIT
    state"; the 2*MSL timer starts, the others stop."""
    conn = fx.closing()
    assert deliver(conn, TEMPL.with_(ack=ISS + 2)) == outcome(
        T.ACK_OF_FIN,
        state=S.TIME_WAIT,
        events=["CLOSING -> TIME-WAIT"],
        tcb=replace(WL1_MOVED, snd_una=Seq(ISS + 2), snd_wl2=Seq(ISS + 2)),
        timers={"time_wait": NOW + 240.0},
    )


@covers(S.CLOSING, T.DATA)
def test_closing_data() -> None:
    """3.10.7.4 seventh, CLOSING: "Ignore the segment text"; the ACK field is processed."""
    conn = fx.closing(user_closed=False)
    assert deliver(conn, TEMPL.with_(payload=b"late", window=7000)) == outcome(
        T.DATA, tcb=replace(WL1_MOVED, snd_wnd=7000, max_snd_wnd=7000)
    )


@covers(S.CLOSING, T.DATA_AFTER_CLOSE)
def test_closing_data_after_close() -> None:
    """As for DATA: the text is ignored but the fifth step (the ACK field) still applies."""
    conn = fx.closing()
    assert deliver(conn, TEMPL.with_(payload=b"late", window=7000)) == outcome(
        T.DATA_AFTER_CLOSE, tcb=replace(WL1_MOVED, snd_wnd=7000, max_snd_wnd=7000)
    )


@covers(S.CLOSING, T.FIN)
def test_closing_fin() -> None:
    """3.10.7.4 eighth, CLOSING: "Remain in the CLOSING state"; acknowledge."""
    conn = fx.closing()
    assert deliver(conn, TEMPL.with_(flags=FIN | ACK)) == outcome(
        T.FIN, [ack_seg(ISS + 2, IRS + 2)], tcb=WL1_MOVED
    )


@covers(S.CLOSING, T.RETRANSMIT_TIMEOUT)
def test_closing_retransmit_timeout() -> None:
    """3.10.8: our FIN again, now acknowledging the peer's: <SEQ=ISS+1><ACK=IRS+2>."""
    conn = fx.closing()
    assert expire(conn, 1.0) == outcome(
        T.RETRANSMIT_TIMEOUT,
        [out(ISS + 1, IRS + 2, FIN | ACK)],
        timers={"retransmit": 1.0 + 2 * RTO},
    )


@covers(S.CLOSING, T.USER_TIMEOUT)
def test_closing_user_timeout() -> None:
    conn = fx.closing(user_timeout=1.0)
    assert expire(conn, 1.0) == closes(T.USER_TIMEOUT, ["TimedOut"])


@covers(S.CLOSING, T.LOSS_PROBE_TIMEOUT)
def test_closing_loss_probe_timeout() -> None:
    """RFC 8985 7.3 (linux): our FIN <SEQ=ISS+2> (sent at 2 s) crossed the peer's; unanswered,
    it is probed at 3.2 s, now acknowledging the peer's FIN."""
    conn = fx.established("linux")
    fx.half_second_rtt(conn, IRS + 1)
    call(conn, "close", now=2.0)
    deliver(conn, PEER.with_(seq=IRS + 1, ack=ISS + 2, flags=FIN | ACK), now=2.1)
    conn.pop_segments()
    assert expire(conn, fx.PROBE_AT) == outcome(
        T.LOSS_PROBE_TIMEOUT,
        [out(ISS + 2, IRS + 2, FIN | ACK)],
        tcb=replace(
            CLOSING_TCB,
            snd_una=Seq(ISS + 2),
            snd_nxt=Seq(ISS + 3),
            snd_wl2=Seq(ISS + 2),
            fin_seq=Seq(ISS + 2),
            sack_ok=True,
        ),
        timers={"retransmit": fx.RTO_AFTER_PROBE},
    )


@covers(S.CLOSING, T.SYN_IN_WINDOW)
def test_closing_syn_in_window() -> None:
    """RFC 793 3.9 (syn_in_window_resets, FreeBSD's insecure_syn): a SYN in the window resets."""
    fx.check_syn_in_window_resets(fx.closing, fx.IRS + 2, fx.ISS + 2)


@covers(S.CLOSING, T.RST, "reset_reported_when_closing")
def test_closing_rst_reported() -> None:
    """FreeBSD tcp_input(): the RST that closes CLOSING is reported (SO_ERROR ECONNRESET)."""
    conn = fx.closing(fx.rfc9293_with(reset_reported_when_closing=True))
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=RST)) == closes(
        T.RST, events=["ConnectionReset"]
    )
    assert conn.error == "ECONNRESET"
