"""SYN-RECEIVED: RFC 9293 3.10.1-3.10.5, 3.10.7.4 and 3.10.8.

``fx.syn_received()`` came from LISTEN (passive OPEN); ``fx.syn_received_active()`` from SYN-SENT
(simultaneous open). Here RCV.NXT = IRS + 1, SND.UNA = ISS, SND.NXT = ISS + 1.
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
    LISTEN_TCB,
    OUR_MSS,
    PEER,
    PROFILES,
    PSH,
    RCV_WND,
    RST,
    RTO,
    SYN,
    SYN_FROM_PEER,
    SYN_RECEIVED_TCB,
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

from tcpcore.protocol.profiles import RFC9293

ERR_EXISTS = "error: connection already exists"
SYN_ACK_AT_1 = {"retransmit": 0.0 + RTO}
TEMPL = PEER.with_(seq=IRS + 1, ack=ISS + 1)  # the peer's ACK of our SYN, in sequence
# What the ACK of our SYN does to the TCB (fifth step): SND.UNA <- SEG.ACK, SND.WND <- SEG.WND,
# SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK.
SYN_ACKED = replace(
    SYN_RECEIVED_TCB, snd_una=Seq(ISS + 1), snd_wl1=Seq(IRS + 1), snd_wl2=Seq(ISS + 1)
)


def outcome(
    trigger: T,
    sent: list[fx.Segment] | None = None,
    *,
    state: S = S.SYN_RECEIVED,
    events: list[str] | None = None,
    tcb: fx.TCB = SYN_RECEIVED_TCB,
    timers: dict[str, float] | None = None,
) -> Outcome:
    return Outcome(
        steps=[(S.SYN_RECEIVED, trigger)],
        state=state,
        sent=sent or [],
        events=events or [],
        tcb=tcb,
        timers=SYN_ACK_AT_1 if timers is None else timers,
    )


@covers(S.SYN_RECEIVED, T.OPEN_ACTIVE)
def test_syn_received_open_active() -> None:
    assert_refused(fx.syn_received(), "connect", T.OPEN_ACTIVE, ERR_EXISTS)


@covers(S.SYN_RECEIVED, T.OPEN_PASSIVE)
def test_syn_received_open_passive() -> None:
    assert_refused(fx.syn_received(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.SYN_RECEIVED, T.SEND)
def test_syn_received_send() -> None:
    """3.10.2 SYN-RECEIVED: "Queue the data for transmission after entering ESTABLISHED"."""
    conn = fx.syn_received()
    assert call(conn, "send", b"hello") == outcome(T.SEND)
    assert deliver(conn, TEMPL, now=0.6).sent == [
        out(ISS + 1, IRS + 1, ACK | PSH, payload=b"hello")
    ]


@covers(S.SYN_RECEIVED, T.CLOSE)
def test_syn_received_close() -> None:
    """3.10.4 SYN-RECEIVED: no SENDs issued, nothing pending: "form a FIN segment and send it,
    and enter FIN-WAIT-1". The FIN is <SEQ=SND.NXT=ISS+1>."""
    conn = fx.syn_received()
    assert call(conn, "close") == outcome(
        T.CLOSE,
        [out(ISS + 1, IRS + 1, FIN | ACK)],
        state=S.FIN_WAIT_1,
        events=["SYN-RECEIVED -> FIN-WAIT-1"],
        tcb=replace(SYN_RECEIVED_TCB, snd_nxt=Seq(ISS + 2), fin_seq=Seq(ISS + 1)),
    )
    assert conn.user_closed


@covers(S.SYN_RECEIVED, T.CLOSE_UNREAD)
def test_syn_received_close_unread() -> None:
    """3.10.4, as for CLOSE (only a caller filling `unread` by hand gets here)."""
    conn = fx.syn_received()
    conn.unread += b"stale"
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [out(ISS + 1, IRS + 1, FIN | ACK)],
        state=S.FIN_WAIT_1,
        events=["SYN-RECEIVED -> FIN-WAIT-1"],
        tcb=replace(SYN_RECEIVED_TCB, snd_nxt=Seq(ISS + 2), fin_seq=Seq(ISS + 1)),
    )


@covers(S.SYN_RECEIVED, T.CLOSE_UNREAD, "rst_on_close_with_unread")
def test_syn_received_close_unread_linux() -> None:
    """Linux tcp_close() (RFC 2525 2.17): unread data is reset, <SEQ=SND.NXT><ACK=RCV.NXT>."""
    conn = fx.syn_received("linux")
    conn.unread += b"stale"
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [rst_seg(ISS + 1, IRS + 1)],
        state=S.CLOSED,
        events=["SYN-RECEIVED -> CLOSED", "Closed"],
        timers={},
    )


@covers(S.SYN_RECEIVED, T.SHUTDOWN)
def test_syn_received_shutdown() -> None:
    """3.10.4 SYN-RECEIVED: send a FIN, enter FIN-WAIT-1; the user may still receive."""
    conn = fx.syn_received()
    assert call(conn, "shutdown") == outcome(
        T.SHUTDOWN,
        [out(ISS + 1, IRS + 1, FIN | ACK)],
        state=S.FIN_WAIT_1,
        events=["SYN-RECEIVED -> FIN-WAIT-1"],
        tcb=replace(SYN_RECEIVED_TCB, snd_nxt=Seq(ISS + 2), fin_seq=Seq(ISS + 1)),
    )
    assert not conn.user_closed


@pytest.mark.parametrize("profile", PROFILES)
@covers(S.SYN_RECEIVED, T.ABORT)
def test_syn_received_abort(profile: str) -> None:
    """3.10.5 SYN-RECEIVED: <SEQ=SND.NXT><CTL=RST>, flush the queues, enter CLOSED."""
    conn = fx.syn_received(profile)
    assert call(conn, "abort") == outcome(
        T.ABORT,
        [abort_rst(profile, ISS + 1, IRS + 1)],
        state=S.CLOSED,
        events=["SYN-RECEIVED -> CLOSED", "Closed"],
        timers={},
    )


@covers(S.SYN_RECEIVED, T.UNACCEPTABLE)
def test_syn_received_unacceptable() -> None:
    """3.10.7.4 first: SEG.SEQ beyond RCV.NXT + RCV.WND fails Table 6: send
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and drop (its ACK of our SYN is not looked at)."""
    conn = fx.syn_received()
    seg = TEMPL.with_(seq=IRS + 1 + RCV_WND, payload=b"x")
    assert deliver(conn, seg) == outcome(T.UNACCEPTABLE, [ack_seg(ISS + 1, IRS + 1)])


@covers(S.SYN_RECEIVED, T.RST_INVALID)
def test_syn_received_rst_invalid() -> None:
    """3.10.7.4 second (RFC 5961 3.2) 1): RST outside the window: silently drop."""
    conn = fx.syn_received()
    seg = PEER.with_(seq=IRS + 1 + RCV_WND, flags=RST)
    assert deliver(conn, seg) == outcome(T.RST_INVALID)


@covers(S.SYN_RECEIVED, T.RST_IN_WINDOW)
def test_syn_received_rst_in_window() -> None:
    """3.10.7.4 second 3): RST in the window but not at RCV.NXT: challenge ACK
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop."""
    conn = fx.syn_received()
    seg = PEER.with_(seq=IRS + 2, flags=RST)
    assert deliver(conn, seg) == outcome(T.RST_IN_WINDOW, [ack_seg(ISS + 1, IRS + 1)])


@covers(S.SYN_RECEIVED, T.RST_PASSIVE)
def test_syn_received_rst_passive() -> None:
    """3.10.7.4 second: RST at RCV.NXT after a passive OPEN: "return this connection to LISTEN
    state"; "The user need not be informed"; the retransmission queue is flushed. The remote
    socket, filled in by the SYN, is unspecified again."""
    conn = fx.syn_received()
    seg = PEER.with_(seq=IRS + 1, flags=RST)
    assert deliver(conn, seg) == outcome(
        T.RST_PASSIVE,
        state=S.LISTEN,
        events=["SYN-RECEIVED -> LISTEN"],
        tcb=LISTEN_TCB,
        timers={},
    )
    assert conn.remote_port is None


@covers(S.SYN_RECEIVED, T.RST)
def test_syn_received_rst() -> None:
    """3.10.7.4 second: RST at RCV.NXT after an active OPEN: "the connection was refused";
    signal "connection refused", flush the retransmission queue, enter CLOSED."""
    conn = fx.syn_received_active()
    seg = PEER.with_(seq=IRS + 1, flags=RST)
    assert deliver(conn, seg) == outcome(
        T.RST,
        state=S.CLOSED,
        events=["ConnectionRefused", "SYN-RECEIVED -> CLOSED", "Closed"],
        timers={},
    )


@covers(S.SYN_RECEIVED, T.SYN_PASSIVE)
def test_syn_received_syn_passive() -> None:
    """3.10.7.4 fourth: a SYN (in the window) after a passive OPEN: "return this connection to
    the LISTEN state and return"."""
    conn = fx.syn_received()
    seg = PEER.with_(seq=IRS + 100, flags=SYN)
    assert deliver(conn, seg) == outcome(
        T.SYN_PASSIVE,
        state=S.LISTEN,
        events=["SYN-RECEIVED -> LISTEN"],
        tcb=LISTEN_TCB,
        timers={},
    )


@covers(S.SYN_RECEIVED, T.SYN_DUPLICATE)
def test_syn_received_syn_duplicate() -> None:
    """3.10.7.4 first: the peer's SYN again (SEG.SEQ = IRS < RCV.NXT) fails Table 6:
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop."""
    conn = fx.syn_received()
    assert deliver(conn, SYN_FROM_PEER) == outcome(T.SYN_DUPLICATE, [ack_seg(ISS + 1, IRS + 1)])


@covers(S.SYN_RECEIVED, T.SYN_DUPLICATE, "synrecv_resend_synack_on_dup_syn")
def test_syn_received_syn_duplicate_linux() -> None:
    """Linux tcp_check_req(): the peer evidently lost our SYN+ACK: send it again,
    <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>."""
    conn = fx.syn_received("linux")
    assert deliver(conn, SYN_FROM_PEER) == outcome(
        T.SYN_DUPLICATE, [out(ISS, IRS + 1, SYN | ACK, options=OUR_MSS)]
    )


@covers(S.SYN_RECEIVED, T.SYN)
def test_syn_received_syn() -> None:
    """3.10.7.4 fourth: after an active OPEN a SYN is handled as in the synchronized states:
    challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> whatever its sequence number (RFC 5961
    4.2), drop."""
    conn = fx.syn_received_active()
    seg = PEER.with_(seq=IRS + 100, flags=SYN)
    assert deliver(conn, seg) == outcome(T.SYN, [ack_seg(ISS + 1, IRS + 1)])


@covers(S.SYN_RECEIVED, T.NO_ACK)
def test_syn_received_no_ack() -> None:
    """3.10.7.4 fifth: "if the ACK bit is off, drop the segment and return"."""
    conn = fx.syn_received()
    seg = PEER.with_(seq=IRS + 1, flags=PSH, payload=b"x")
    assert deliver(conn, seg) == outcome(T.NO_ACK)


@covers(S.SYN_RECEIVED, T.BAD_ACK)
def test_syn_received_bad_ack() -> None:
    """3.10.7.4 fifth: SEG.ACK outside SND.UNA < SEG.ACK =< SND.NXT: <SEQ=SEG.ACK><CTL=RST>."""
    conn = fx.syn_received()
    assert deliver(conn, TEMPL.with_(ack=ISS)) == outcome(T.BAD_ACK, [rst_seg(ISS)])
    assert deliver(conn, TEMPL.with_(ack=ISS + 2)) == outcome(T.BAD_ACK, [rst_seg(ISS + 2)])


@covers(S.SYN_RECEIVED, T.ACK_OF_SYN)
def test_syn_received_ack_of_syn() -> None:
    """3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT: enter ESTABLISHED with SND.WND <- SEG.WND,
    SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK; the SYN+ACK leaves the retransmission queue."""
    conn = fx.syn_received()
    assert deliver(conn, TEMPL) == outcome(
        T.ACK_OF_SYN,
        state=S.ESTABLISHED,
        events=["Connected", "SYN-RECEIVED -> ESTABLISHED"],
        tcb=SYN_ACKED,
        timers={},
    )


@covers(S.SYN_RECEIVED, T.SYN_ACK)
def test_syn_received_syn_ack() -> None:
    """Simultaneous open (RFC 9293 Figure 8, line 6): the peer's SYN+ACK <SEQ=IRS><ACK=ISS+1>
    crosses ours. Its SYN is old (3.10.7.4 first: acknowledge it, <SEQ=SND.NXT><ACK=RCV.NXT>);
    its ACK acknowledges our SYN (fifth: SND.UNA <- ISS+1, SND.WL1 <- IRS+1 once the SYN is
    trimmed off, SND.WL2 <- ISS+1) and the connection is ESTABLISHED."""
    conn = fx.syn_received_active()
    seg = PEER.with_(seq=IRS, ack=ISS + 1, flags=SYN | ACK)
    assert deliver(conn, seg) == outcome(
        T.SYN_ACK,
        [ack_seg(ISS + 1, IRS + 1)],
        state=S.ESTABLISHED,
        events=["Connected", "SYN-RECEIVED -> ESTABLISHED"],
        tcb=SYN_ACKED,
        timers={},
    )


@covers(S.SYN_RECEIVED, T.DATA)
def test_syn_received_data() -> None:
    """3.10.7.4 fifth then seventh: ESTABLISHED, then the text: RCV.NXT advances over the 5 bytes
    and <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> is sent."""
    conn = fx.syn_received()
    assert deliver(conn, TEMPL.with_(payload=b"hello")) == outcome(
        T.DATA,
        [ack_seg(ISS + 1, IRS + 6)],
        state=S.ESTABLISHED,
        events=["Connected", "DataReceived(b'hello')", "SYN-RECEIVED -> ESTABLISHED"],
        tcb=replace(SYN_ACKED, rcv_nxt=Seq(IRS + 6)),
        timers={},
    )


@covers(S.SYN_RECEIVED, T.FIN)
def test_syn_received_fin() -> None:
    """3.10.7.4 fifth then eighth: ESTABLISHED, then the FIN: signal "connection closing",
    RCV.NXT <- RCV.NXT + 1, acknowledge it, and (SYN-RECEIVED/ESTABLISHED) enter CLOSE-WAIT."""
    conn = fx.syn_received()
    assert deliver(conn, TEMPL.with_(flags=FIN | ACK)) == outcome(
        T.FIN,
        [ack_seg(ISS + 1, IRS + 2)],
        state=S.CLOSE_WAIT,
        events=["Connected", "PeerClosed", "SYN-RECEIVED -> CLOSE-WAIT"],
        tcb=replace(SYN_ACKED, rcv_nxt=Seq(IRS + 2)),
        timers={},
    )


@covers(S.SYN_RECEIVED, T.RETRANSMIT_TIMEOUT)
def test_syn_received_retransmit_timeout() -> None:
    """3.10.8: resend the front of the queue, our SYN+ACK <SEQ=ISS><ACK=RCV.NXT>, and restart
    the timer at twice the RTO (RFC 6298 5.5)."""
    conn = fx.syn_received()
    assert expire(conn, 1.0) == outcome(
        T.RETRANSMIT_TIMEOUT,
        [out(ISS, IRS + 1, SYN | ACK, options=OUR_MSS)],
        timers={"retransmit": 1.0 + 2 * RTO},
    )


@covers(S.SYN_RECEIVED, T.USER_TIMEOUT)
def test_syn_received_user_timeout() -> None:
    """3.10.8 USER TIMEOUT: signal the user, delete the TCB, enter CLOSED (give-up cut to 1 s)."""
    conn = fx.syn_received(RFC9293.with_(syn_give_up=1.0))
    assert expire(conn, 1.0) == outcome(
        T.USER_TIMEOUT,
        state=S.CLOSED,
        events=["TimedOut", "SYN-RECEIVED -> CLOSED", "Closed"],
        timers={},
    )
