"""FIN-WAIT-1: RFC 9293 3.10.1-3.10.5, 3.10.7.4 and 3.10.8.

Our FIN <SEQ=ISS+1> is out and unacknowledged: SND.UNA = ISS + 1, SND.NXT = ISS + 2,
RCV.NXT = IRS + 1. ``fx.fin_wait_1()`` got here by close(); ``user_closed=False`` by shutdown().
"""

from __future__ import annotations

from dataclasses import replace

import fixtures as fx
import pytest
from fixtures import (
    ACK,
    CLOSING_TCB,
    FIN,
    FIN_WAIT_1_TCB,
    FIN_WAIT_2_TCB,
    IRS,
    ISS,
    NOW,
    PEER,
    PROFILES,
    RCV_WND,
    RST,
    RTO,
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
    out,
    rst_seg,
)

ERR_EXISTS = "error: connection already exists"
ERR_CLOSING = "error: connection closing"
FIN_AT_1 = {"retransmit": 0.0 + RTO}  # our FIN went out at 0 s
TEMPL = PEER.with_(seq=IRS + 1, ack=ISS + 1)  # in sequence, not acknowledging our FIN
WL1_MOVED = replace(FIN_WAIT_1_TCB, snd_wl1=Seq(IRS + 1))  # SND.WL1 IRS -> IRS + 1


def outcome(
    trigger: T,
    sent: list[fx.Segment] | None = None,
    *,
    state: S = S.FIN_WAIT_1,
    events: list[str] | None = None,
    tcb: fx.TCB = FIN_WAIT_1_TCB,
    timers: dict[str, float] | None = None,
) -> Outcome:
    return Outcome(
        steps=[(S.FIN_WAIT_1, trigger)],
        state=state,
        sent=sent or [],
        events=events or [],
        tcb=tcb,
        timers=FIN_AT_1 if timers is None else timers,
    )


@covers(S.FIN_WAIT_1, T.OPEN_ACTIVE)
def test_fin_wait_1_open_active() -> None:
    assert_refused(fx.fin_wait_1(), "connect", T.OPEN_ACTIVE, ERR_EXISTS)


@covers(S.FIN_WAIT_1, T.OPEN_PASSIVE)
def test_fin_wait_1_open_passive() -> None:
    assert_refused(fx.fin_wait_1(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.FIN_WAIT_1, T.SEND)
def test_fin_wait_1_send() -> None:
    """3.10.2 FIN-WAIT-1: "error: connection closing" and do not service the request."""
    assert_refused(fx.fin_wait_1(), "send", T.SEND, ERR_CLOSING, b"late")


@covers(S.FIN_WAIT_1, T.CLOSE)
def test_fin_wait_1_close() -> None:
    """3.10.4 FIN-WAIT-1: "ok" is acceptable "as long as a second FIN is not emitted"."""
    conn = fx.fin_wait_1(user_closed=False)
    assert call(conn, "close") == outcome(T.CLOSE)
    assert conn.user_closed


def _with_unread(profile: str) -> fx.Connection:
    """After shutdown(), 5 bytes arrive and stay unread: RCV.NXT = IRS + 6."""
    conn = fx.fin_wait_1(profile, user_closed=False, auto_read=False)
    deliver(conn, TEMPL.with_(payload=b"hello"))
    return conn


UNREAD_TCB = replace(WL1_MOVED, rcv_nxt=Seq(IRS + 6), rcv_wnd=RCV_WND - 5)


@covers(S.FIN_WAIT_1, T.CLOSE_UNREAD)
def test_fin_wait_1_close_unread() -> None:
    """3.10.4 FIN-WAIT-1: "ok", no second FIN, whatever is unread."""
    conn = _with_unread("rfc9293")
    assert call(conn, "close") == outcome(T.CLOSE_UNREAD, tcb=UNREAD_TCB)


@covers(S.FIN_WAIT_1, T.CLOSE_UNREAD, "rst_on_close_with_unread")
def test_fin_wait_1_close_unread_linux() -> None:
    """Linux tcp_close(): unread data is reset, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>."""
    conn = _with_unread("linux")
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [rst_seg(ISS + 2, IRS + 6)],
        state=S.CLOSED,
        events=["FIN-WAIT-1 -> CLOSED", "Closed"],
        tcb=UNREAD_TCB,
        timers={},
    )


@covers(S.FIN_WAIT_1, T.SHUTDOWN)
def test_fin_wait_1_shutdown() -> None:
    """3.10.4 FIN-WAIT-1: "ok", and no second FIN."""
    conn = fx.fin_wait_1(user_closed=False)
    assert call(conn, "shutdown") == outcome(T.SHUTDOWN)


@pytest.mark.parametrize("profile", PROFILES)
@covers(S.FIN_WAIT_1, T.ABORT)
def test_fin_wait_1_abort(profile: str) -> None:
    """3.10.5 FIN-WAIT-1: <SEQ=SND.NXT><CTL=RST> (SND.NXT is past our FIN), CLOSED."""
    conn = fx.fin_wait_1(profile)
    assert call(conn, "abort") == outcome(
        T.ABORT,
        [abort_rst(profile, ISS + 2, IRS + 1)],
        state=S.CLOSED,
        events=["FIN-WAIT-1 -> CLOSED", "Closed"],
        timers={},
    )


@covers(S.FIN_WAIT_1, T.UNACCEPTABLE)
def test_fin_wait_1_unacceptable() -> None:
    """3.10.7.4 first: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop."""
    conn = fx.fin_wait_1()
    seg = TEMPL.with_(seq=IRS + 1 + RCV_WND, payload=b"x")
    assert deliver(conn, seg) == outcome(T.UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 1)])


@covers(S.FIN_WAIT_1, T.RST_INVALID)
def test_fin_wait_1_rst_invalid() -> None:
    conn = fx.fin_wait_1()
    assert deliver(conn, PEER.with_(seq=IRS - 1, flags=RST)) == outcome(T.RST_INVALID)


@covers(S.FIN_WAIT_1, T.RST_IN_WINDOW)
def test_fin_wait_1_rst_in_window() -> None:
    conn = fx.fin_wait_1()
    assert deliver(conn, PEER.with_(seq=IRS + 2, flags=RST)) == outcome(
        T.RST_IN_WINDOW, [ack_seg(ISS + 2, IRS + 1)]
    )


@covers(S.FIN_WAIT_1, T.RST)
def test_fin_wait_1_rst() -> None:
    """3.10.7.4 second: "connection reset", flush the queues, CLOSED."""
    conn = fx.fin_wait_1()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=RST)) == outcome(
        T.RST,
        state=S.CLOSED,
        events=["ConnectionReset", "FIN-WAIT-1 -> CLOSED", "Closed"],
        timers={},
    )


@covers(S.FIN_WAIT_1, T.SYN)
def test_fin_wait_1_syn() -> None:
    conn = fx.fin_wait_1()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=SYN)) == outcome(
        T.SYN, [ack_seg(ISS + 2, IRS + 1)]
    )


@covers(S.FIN_WAIT_1, T.NO_ACK)
def test_fin_wait_1_no_ack() -> None:
    conn = fx.fin_wait_1()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=FIN)) == outcome(T.NO_ACK)


@covers(S.FIN_WAIT_1, T.ACK_UNACCEPTABLE)
def test_fin_wait_1_ack_unacceptable() -> None:
    """3.10.7.4 fifth: SEG.ACK > SND.NXT: send an ACK, drop."""
    conn = fx.fin_wait_1()
    assert deliver(conn, TEMPL.with_(ack=ISS + 3)) == outcome(
        T.ACK_UNACCEPTABLE, [ack_seg(ISS + 2, IRS + 1)]
    )


@covers(S.FIN_WAIT_1, T.ACK)
def test_fin_wait_1_ack() -> None:
    """3.10.7.4 fifth: an ACK that does not cover our FIN (a window update): SND.WND <- 7000,
    SND.WL1 <- SEG.SEQ; stay, the FIN's timer keeps running."""
    conn = fx.fin_wait_1()
    assert deliver(conn, TEMPL.with_(window=7000)) == outcome(
        T.ACK, tcb=replace(WL1_MOVED, snd_wnd=7000, max_snd_wnd=7000)
    )


@covers(S.FIN_WAIT_1, T.ACK_OF_FIN)
def test_fin_wait_1_ack_of_fin() -> None:
    """3.10.7.4 fifth: "if the FIN segment is now acknowledged, then enter FIN-WAIT-2";
    SND.UNA <- ISS + 2 and the retransmission timer stops."""
    conn = fx.fin_wait_1()
    assert deliver(conn, TEMPL.with_(ack=ISS + 2)) == outcome(
        T.ACK_OF_FIN,
        state=S.FIN_WAIT_2,
        events=["FIN-WAIT-1 -> FIN-WAIT-2"],
        tcb=FIN_WAIT_2_TCB,
        timers={},
    )


@covers(S.FIN_WAIT_1, T.DATA)
def test_fin_wait_1_data() -> None:
    """3.10.7.4 seventh (after shutdown()): the text is delivered and acknowledged."""
    conn = fx.fin_wait_1(user_closed=False)
    assert deliver(conn, TEMPL.with_(payload=b"hello")) == outcome(
        T.DATA,
        [ack_seg(ISS + 2, IRS + 6)],
        events=["DataReceived(b'hello')"],
        tcb=replace(WL1_MOVED, rcv_nxt=Seq(IRS + 6)),
    )


@covers(S.FIN_WAIT_1, T.DATA_AFTER_CLOSE)
def test_fin_wait_1_data_after_close() -> None:
    """3.10.7.4 seventh: the RFC's CLOSE still receives, even after close()."""
    conn = fx.fin_wait_1()
    assert deliver(conn, TEMPL.with_(payload=b"hello")) == outcome(
        T.DATA_AFTER_CLOSE,
        [ack_seg(ISS + 2, IRS + 6)],
        events=["DataReceived(b'hello')"],
        tcb=replace(WL1_MOVED, rcv_nxt=Seq(IRS + 6)),
    )


@covers(S.FIN_WAIT_1, T.DATA_AFTER_CLOSE, "rst_on_data_after_close")
def test_fin_wait_1_data_after_close_linux() -> None:
    """RFC 1122 4.2.2.13 / Linux tcp_rcv_state_process(): nobody will read it: reset with
    <SEQ=SEG.ACK><CTL=RST> and CLOSED (the user, who closed, is not told)."""
    conn = fx.fin_wait_1("linux")
    assert deliver(conn, TEMPL.with_(payload=b"hello")) == outcome(
        T.DATA_AFTER_CLOSE,
        [rst_seg(ISS + 1)],
        state=S.CLOSED,
        events=["FIN-WAIT-1 -> CLOSED", "Closed"],
        timers={},
    )


@covers(S.FIN_WAIT_1, T.FIN)
def test_fin_wait_1_fin() -> None:
    """3.10.7.4 eighth: our FIN not yet acknowledged: RCV.NXT + 1, ACK the FIN, enter CLOSING
    (our FIN's timer keeps running)."""
    conn = fx.fin_wait_1()
    assert deliver(conn, TEMPL.with_(flags=FIN | ACK)) == outcome(
        T.FIN,
        [ack_seg(ISS + 2, IRS + 2)],
        state=S.CLOSING,
        events=["PeerClosed", "FIN-WAIT-1 -> CLOSING"],
        tcb=CLOSING_TCB,
    )


@covers(S.FIN_WAIT_1, T.FIN_ACK_OF_FIN)
def test_fin_wait_1_fin_ack_of_fin() -> None:
    """3.10.7.4 eighth: "If our FIN has been ACKed (perhaps in this segment), then enter
    TIME-WAIT, start the time-wait timer, turn off the other timers": 2*MSL = 240 s."""
    conn = fx.fin_wait_1()
    assert deliver(conn, TEMPL.with_(ack=ISS + 2, flags=FIN | ACK)) == outcome(
        T.FIN_ACK_OF_FIN,
        [ack_seg(ISS + 2, IRS + 2)],
        state=S.TIME_WAIT,
        events=["PeerClosed", "FIN-WAIT-1 -> TIME-WAIT"],
        tcb=TIME_WAIT_TCB,
        timers={"time_wait": NOW + 240.0},
    )


@covers(S.FIN_WAIT_1, T.RETRANSMIT_TIMEOUT)
def test_fin_wait_1_retransmit_timeout() -> None:
    """3.10.8: our FIN again, <SEQ=ISS+1><ACK=RCV.NXT><CTL=FIN,ACK>; the timer doubles."""
    conn = fx.fin_wait_1()
    assert expire(conn, 1.0) == outcome(
        T.RETRANSMIT_TIMEOUT,
        [out(ISS + 1, IRS + 1, FIN | ACK)],
        timers={"retransmit": 1.0 + 2 * RTO},
    )


@covers(S.FIN_WAIT_1, T.USER_TIMEOUT)
def test_fin_wait_1_user_timeout() -> None:
    """3.10.8 USER TIMEOUT: our FIN unacknowledged for the user timeout (1 s): CLOSED."""
    conn = fx.fin_wait_1(user_timeout=1.0)
    assert expire(conn, 1.0) == outcome(
        T.USER_TIMEOUT,
        state=S.CLOSED,
        events=["TimedOut", "FIN-WAIT-1 -> CLOSED", "Closed"],
        timers={},
    )


@covers(S.FIN_WAIT_1, T.LOSS_PROBE_TIMEOUT)
def test_fin_wait_1_loss_probe_timeout() -> None:
    """RFC 8985 7.3 (linux): our FIN <SEQ=ISS+2>, sent at 2 s, is the tail: probed at 3.2 s."""
    conn = fx.established("linux")
    fx.half_second_rtt(conn, IRS + 1)
    call(conn, "close", now=2.0)
    conn.pop_segments()
    assert expire(conn, fx.PROBE_AT) == outcome(
        T.LOSS_PROBE_TIMEOUT,
        [out(ISS + 2, IRS + 1, FIN | ACK)],
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


@covers(S.FIN_WAIT_1, T.SYN_IN_WINDOW)
def test_fin_wait_1_syn_in_window() -> None:
    """RFC 793 3.9 (syn_in_window_resets, FreeBSD's insecure_syn): a SYN in the window resets."""
    fx.check_syn_in_window_resets(fx.fin_wait_1, fx.IRS + 1, fx.ISS + 2)
