"""CLOSED: RFC 9293 3.10.1-3.10.5 (user calls) and 3.10.7.1 (segments)."""

from __future__ import annotations

import fixtures as fx
from fixtures import (
    ACK,
    CLOSED_TCB,
    FIN,
    IRS,
    ISS,
    NOW,
    OUR_MSS,
    PEER,
    RST,
    RTO,
    SYN,
    SYN_SENT_TCB,
    Outcome,
    S,
    T,
    assert_refused,
    call,
    covers,
    deliver,
    out,
    rst_seg,
)

ERR_NONE = "error: connection does not exist"  # 3.10.2-3.10.5, CLOSED STATE


@covers(S.CLOSED, T.OPEN_ACTIVE)
def test_closed_open_active() -> None:
    """3.10.1: select an ISS, send <SEQ=ISS><CTL=SYN>, SND.UNA <- ISS, SND.NXT <- ISS+1, enter
    SYN-SENT. The SYN is timed for retransmission after the initial RTO (RFC 6298 2.1)."""
    conn = fx.closed()
    assert call(conn, "connect") == Outcome(
        steps=[(S.CLOSED, T.OPEN_ACTIVE)],
        state=S.SYN_SENT,
        sent=[out(ISS, 0, SYN, options=OUR_MSS)],
        events=["CLOSED -> SYN-SENT"],
        tcb=SYN_SENT_TCB,
        timers={"retransmit": NOW + RTO},
    )
    assert conn.passive is False


@covers(S.CLOSED, T.OPEN_PASSIVE)
def test_closed_open_passive() -> None:
    """3.10.1: "If passive, enter the LISTEN state and return"; nothing is sent."""
    conn = fx.closed()
    assert call(conn, "listen") == Outcome(
        steps=[(S.CLOSED, T.OPEN_PASSIVE)],
        state=S.LISTEN,
        sent=[],
        events=["CLOSED -> LISTEN"],
        tcb=CLOSED_TCB,
        timers={},
    )
    assert conn.passive is True


@covers(S.CLOSED, T.SEND)
def test_closed_send() -> None:
    """3.10.2 CLOSED: "error: connection does not exist"."""
    assert_refused(fx.closed(), "send", T.SEND, ERR_NONE, b"data")


@covers(S.CLOSED, T.CLOSE)
def test_closed_close() -> None:
    """3.10.4 CLOSED: "error: connection does not exist"."""
    assert_refused(fx.closed(), "close", T.CLOSE, ERR_NONE)


@covers(S.CLOSED, T.CLOSE_UNREAD)
def test_closed_close_unread() -> None:
    """3.10.4 CLOSED, reached by a RST while received data waited unread: the TCB is gone, so
    close() is still "error: connection does not exist"."""
    conn = fx.established(auto_read=False)
    deliver(conn, PEER.with_(seq=IRS + 1, ack=ISS + 1, payload=b"hello"))
    deliver(conn, PEER.with_(seq=IRS + 6, flags=RST))
    assert conn.state is S.CLOSED and conn.unread == b"hello"
    assert_refused(conn, "close", T.CLOSE_UNREAD, ERR_NONE)


@covers(S.CLOSED, T.SHUTDOWN)
def test_closed_shutdown() -> None:
    """3.10.4 CLOSED: "error: connection does not exist"."""
    assert_refused(fx.closed(), "shutdown", T.SHUTDOWN, ERR_NONE)


@covers(S.CLOSED, T.ABORT)
def test_closed_abort() -> None:
    """3.10.5 CLOSED: "error: connection does not exist"."""
    assert_refused(fx.closed(), "abort", T.ABORT, ERR_NONE)


@covers(S.CLOSED, T.ANY)
def test_closed_any() -> None:
    """3.10.7.1: a segment without RST is answered with a RST the sender will accept:
    ACK on: <SEQ=SEG.ACK><CTL=RST>; ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>."""
    conn = fx.closed()
    assert deliver(conn, PEER.with_(seq=IRS, ack=ISS + 7, payload=b"hello")) == Outcome(
        steps=[(S.CLOSED, T.ANY)],
        state=S.CLOSED,
        sent=[rst_seg(ISS + 7)],
        events=[],
        tcb=CLOSED_TCB,
        timers={},
    )
    # A SYN occupies one sequence number: ACK = IRS + 1.
    assert deliver(conn, PEER.with_(seq=IRS, flags=SYN)).sent == [rst_seg(0, IRS + 1)]
    # Three bytes and a FIN: SEG.LEN = 4.
    assert deliver(conn, PEER.with_(seq=IRS, flags=FIN, payload=b"abc")).sent == [
        rst_seg(0, IRS + 4)
    ]


@covers(S.CLOSED, T.RST)
def test_closed_rst() -> None:
    """3.10.7.1: "An incoming segment containing a RST is discarded"."""
    conn = fx.closed()
    expected = Outcome(
        steps=[(S.CLOSED, T.RST)],
        state=S.CLOSED,
        sent=[],
        events=[],
        tcb=CLOSED_TCB,
        timers={},
    )
    assert deliver(conn, PEER.with_(seq=IRS, flags=RST)) == expected
    assert deliver(conn, PEER.with_(seq=IRS, ack=ISS, flags=RST | ACK)) == expected
