"""SYN-SENT: RFC 9293 3.10.1-3.10.5 (user calls), 3.10.7.3 (segments), 3.10.8 (timeouts)."""

from __future__ import annotations

import fixtures as fx
import pytest
from fixtures import (
    ACK,
    ESTABLISHED_TCB,
    FIN,
    IRS,
    ISS,
    OUR_MSS,
    PEER,
    PROFILES,
    PSH,
    RST,
    RTO,
    SYN,
    SYN_ACK_FROM_PEER,
    SYN_FROM_PEER,
    SYN_RECEIVED_TCB,
    SYN_SENT_TCB,
    Outcome,
    S,
    T,
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
SYN_AT_1 = {"retransmit": 0.0 + RTO}  # our SYN went out at 0 s


def nothing_happens(trigger: T) -> Outcome:
    return Outcome(
        steps=[(S.SYN_SENT, trigger)],
        state=S.SYN_SENT,
        sent=[],
        events=[],
        tcb=SYN_SENT_TCB,
        timers=SYN_AT_1,
    )


def closes(trigger: T, events: list[str] | None = None) -> Outcome:
    return Outcome(
        steps=[(S.SYN_SENT, trigger)],
        state=S.CLOSED,
        sent=[],
        events=[*(events or []), "SYN-SENT -> CLOSED", "Closed"],
        tcb=SYN_SENT_TCB,
        timers={},
    )


@covers(S.SYN_SENT, T.OPEN_ACTIVE)
def test_syn_sent_open_active() -> None:
    assert_refused(fx.syn_sent(), "connect", T.OPEN_ACTIVE, ERR_EXISTS)


@covers(S.SYN_SENT, T.OPEN_PASSIVE)
def test_syn_sent_open_passive() -> None:
    assert_refused(fx.syn_sent(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.SYN_SENT, T.SEND)
def test_syn_sent_send() -> None:
    """3.10.2 SYN-SENT: "Queue the data for transmission after entering ESTABLISHED state"."""
    conn = fx.syn_sent()
    assert call(conn, "send", b"hello") == Outcome(
        steps=[(S.SYN_SENT, T.SEND)],
        state=S.SYN_SENT,
        sent=[],
        events=[],
        tcb=SYN_SENT_TCB,
        timers=SYN_AT_1,
    )
    # 3.10.7.3 fourth: "Data or controls that were queued for transmission MAY be included" in
    # the ACK of the peer's SYN.
    assert deliver(conn, SYN_ACK_FROM_PEER, now=0.6).sent == [
        out(ISS + 1, IRS + 1, ACK | PSH, payload=b"hello")
    ]


@covers(S.SYN_SENT, T.CLOSE)
def test_syn_sent_close() -> None:
    """3.10.4 SYN-SENT: "Delete the TCB"; no FIN (nothing is synchronized), timers stop."""
    assert call(fx.syn_sent(), "close") == closes(T.CLOSE)


@covers(S.SYN_SENT, T.CLOSE_UNREAD)
def test_syn_sent_close_unread() -> None:
    """3.10.4 SYN-SENT, as for CLOSE (only a caller filling `unread` by hand gets here)."""
    conn = fx.syn_sent()
    conn.unread += b"stale"
    assert call(conn, "close") == closes(T.CLOSE_UNREAD)


@covers(S.SYN_SENT, T.SHUTDOWN)
def test_syn_sent_shutdown() -> None:
    assert call(fx.syn_sent(), "shutdown") == closes(T.SHUTDOWN)


@covers(S.SYN_SENT, T.ABORT)
def test_syn_sent_abort() -> None:
    """3.10.5 SYN-SENT: "Delete the TCB, enter CLOSED state"; no RST."""
    assert call(fx.syn_sent(), "abort") == closes(T.ABORT)


@covers(S.SYN_SENT, T.BAD_ACK)
def test_syn_sent_bad_ack() -> None:
    """3.10.7.3 first: SEG.ACK =< ISS or SEG.ACK > SND.NXT: <SEQ=SEG.ACK><CTL=RST>, drop."""
    conn = fx.syn_sent()
    assert deliver(conn, PEER.with_(seq=IRS, ack=ISS)) == Outcome(
        steps=[(S.SYN_SENT, T.BAD_ACK)],
        state=S.SYN_SENT,
        sent=[rst_seg(ISS)],
        events=[],
        tcb=SYN_SENT_TCB,
        timers=SYN_AT_1,
    )
    # SND.NXT = ISS + 1, so ISS + 2 acknowledges something never sent, even on a SYN+ACK.
    assert deliver(conn, SYN_ACK_FROM_PEER.with_(ack=ISS + 2)).sent == [rst_seg(ISS + 2)]
    assert conn.state is S.SYN_SENT


@covers(S.SYN_SENT, T.RST_INVALID)
def test_syn_sent_rst_invalid() -> None:
    """3.10.7.3 first and second: a RST with an unacceptable ACK is dropped ("unless the RST bit
    is set, if so drop the segment"), and so is a RST without an ACK ("Otherwise (no ACK), drop
    the segment and return")."""
    conn = fx.syn_sent()
    assert deliver(conn, PEER.with_(seq=0, ack=ISS + 5, flags=RST | ACK)) == nothing_happens(
        T.RST_INVALID
    )
    assert deliver(conn, PEER.with_(seq=0, flags=RST)) == nothing_happens(T.RST_INVALID)


@covers(S.SYN_SENT, T.RST)
def test_syn_sent_rst() -> None:
    """3.10.7.3 second: RST with an acceptable ACK: signal the user, drop the segment, enter
    CLOSED. (The RFC's words are "error: connection reset"; tcpcore reports it as the socket
    API does, ConnectionRefused.)"""
    conn = fx.syn_sent()
    assert deliver(conn, PEER.with_(seq=0, ack=ISS + 1, flags=RST | ACK)) == closes(
        T.RST, ["ConnectionRefused"]
    )


@covers(S.SYN_SENT, T.SYN_ACK)
def test_syn_sent_syn_ack() -> None:
    """3.10.7.3 fourth: RCV.NXT <- SEG.SEQ+1, IRS <- SEG.SEQ, SND.UNA <- SEG.ACK (the SYN leaves
    the retransmission queue, its timer stops); SND.UNA > ISS so enter ESTABLISHED and send
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>."""
    conn = fx.syn_sent()
    assert deliver(conn, SYN_ACK_FROM_PEER) == Outcome(
        steps=[(S.SYN_SENT, T.SYN_ACK)],
        state=S.ESTABLISHED,
        sent=[out(ISS + 1, IRS + 1, ACK)],
        events=["Connected", "SYN-SENT -> ESTABLISHED"],
        tcb=ESTABLISHED_TCB,
        timers={},
    )


@covers(S.SYN_SENT, T.SYN)
def test_syn_sent_syn() -> None:
    """3.10.7.3 fourth, simultaneous open: the peer's SYN without an ACK: IRS, RCV.NXT, enter
    SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; SND.WND <- SEG.WND,
    SND.WL1 <- SEG.SEQ."""
    conn = fx.syn_sent()
    assert deliver(conn, SYN_FROM_PEER) == Outcome(
        steps=[(S.SYN_SENT, T.SYN)],
        state=S.SYN_RECEIVED,
        sent=[out(ISS, IRS + 1, SYN | ACK, options=OUR_MSS)],
        events=["SYN-SENT -> SYN-RECEIVED"],
        tcb=SYN_RECEIVED_TCB,
        timers=SYN_AT_1,
    )
    assert conn.passive is False


@covers(S.SYN_SENT, T.ACK)
def test_syn_sent_ack() -> None:
    """3.10.7.3 fifth: an acceptable ACK without SYN or RST: "drop the segment and return"."""
    conn = fx.syn_sent()
    assert deliver(conn, PEER.with_(seq=IRS, ack=ISS + 1)) == nothing_happens(T.ACK)


@covers(S.SYN_SENT, T.NO_ACK)
def test_syn_sent_no_ack() -> None:
    """3.10.7.3 fifth: neither SYN nor RST (nor ACK): drop."""
    conn = fx.syn_sent()
    assert deliver(conn, PEER.with_(seq=IRS, flags=PSH, payload=b"x")) == nothing_happens(T.NO_ACK)
    assert deliver(conn, PEER.with_(seq=IRS, flags=FIN)) == nothing_happens(T.NO_ACK)


@pytest.mark.parametrize("profile", PROFILES)
@covers(S.SYN_SENT, T.RETRANSMIT_TIMEOUT)
def test_syn_sent_retransmit_timeout(profile: str) -> None:
    """3.10.8: send the segment at the front of the queue (our SYN) again and restart the timer,
    backed off to 2 * RTO (RFC 6298 5.5, 5.6)."""
    conn = fx.syn_sent(profile)
    assert expire(conn, 1.0) == Outcome(
        steps=[(S.SYN_SENT, T.RETRANSMIT_TIMEOUT)],
        state=S.SYN_SENT,
        sent=[out(ISS, 0, SYN, options=fx.syn_options(profile))],
        events=[],
        tcb=SYN_SENT_TCB,
        timers={"retransmit": 1.0 + 2 * RTO},
    )


@covers(S.SYN_SENT, T.USER_TIMEOUT)
def test_syn_sent_user_timeout() -> None:
    """3.10.8 USER TIMEOUT (RFC 1122 4.2.3.5 R2 for a SYN): signal the user, delete the TCB,
    enter CLOSED. Here the give-up time is cut to 1 s so that the first expiry is the last."""
    conn = fx.syn_sent(RFC9293.with_(syn_give_up=1.0))
    assert expire(conn, 1.0) == closes(T.USER_TIMEOUT, ["TimedOut"])
