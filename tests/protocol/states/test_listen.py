"""LISTEN: RFC 9293 3.10.1-3.10.5 (user calls) and 3.10.7.2 (segments)."""

from __future__ import annotations

import fixtures as fx
from fixtures import (
    ACK,
    FIN,
    IRS,
    ISS,
    LISTEN_TCB,
    NOW,
    OUR_MSS,
    PEER,
    PSH,
    REMOTE,
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
    out,
    rst_seg,
)

ERR_EXISTS = "error: connection already exists"
ERR_UNSPECIFIED = "error: remote socket unspecified"  # 3.10.1, 3.10.2


def nothing_happens(trigger: T) -> Outcome:
    return Outcome(
        steps=[(S.LISTEN, trigger)],
        state=S.LISTEN,
        sent=[],
        events=[],
        tcb=LISTEN_TCB,
        timers={},
    )


def closes(trigger: T) -> Outcome:
    return Outcome(
        steps=[(S.LISTEN, trigger)],
        state=S.CLOSED,
        sent=[],
        events=["LISTEN -> CLOSED", "Closed"],
        tcb=LISTEN_TCB,
        timers={},
    )


@covers(S.LISTEN, T.OPEN_ACTIVE)
def test_listen_open_active() -> None:
    """3.10.1 LISTEN: an active OPEN with the remote socket specified "change[s] the connection
    from passive to active": <SEQ=ISS><CTL=SYN>, SND.UNA <- ISS, SND.NXT <- ISS+1, SYN-SENT.
    Without a remote socket: "error: remote socket unspecified"."""
    assert_refused(fx.listen(), "connect", T.OPEN_ACTIVE, ERR_UNSPECIFIED)
    conn = fx.listen()
    assert call(conn, "connect", remote_port=REMOTE) == Outcome(
        steps=[(S.LISTEN, T.OPEN_ACTIVE)],
        state=S.SYN_SENT,
        sent=[out(ISS, 0, SYN, options=OUR_MSS)],
        events=["LISTEN -> SYN-SENT"],
        tcb=SYN_SENT_TCB,
        timers={"retransmit": NOW + RTO},
    )
    assert conn.passive is False


@covers(S.LISTEN, T.OPEN_ACTIVE, "passive_open_stays_passive")
def test_listen_open_active_linux() -> None:
    """Linux: connect() on a listening socket fails (EISCONN, "already connected")."""
    assert_refused(fx.listen("linux"), "connect", T.OPEN_ACTIVE, ERR_EXISTS, remote_port=REMOTE)


@covers(S.LISTEN, T.OPEN_PASSIVE)
def test_listen_open_passive() -> None:
    """3.10.1: a second OPEN on an existing connection: "error: connection already exists"."""
    assert_refused(fx.listen(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.LISTEN, T.SEND)
def test_listen_send() -> None:
    """3.10.2 LISTEN: with the remote socket specified, turn active (send the SYN) and queue the
    data "for transmission after entering ESTABLISHED state"; without one, "error: remote socket
    unspecified"."""
    assert_refused(fx.listen(), "send", T.SEND, ERR_UNSPECIFIED, b"hello")
    conn = fx.listen(remote_port=REMOTE)
    assert call(conn, "send", b"hello") == Outcome(
        steps=[(S.LISTEN, T.SEND)],
        state=S.SYN_SENT,
        sent=[out(ISS, 0, SYN, options=OUR_MSS)],
        events=["LISTEN -> SYN-SENT"],
        tcb=SYN_SENT_TCB,
        timers={"retransmit": NOW + RTO},
    )
    # Once ESTABLISHED, the data rides on the ACK of the peer's SYN.
    assert deliver(conn, SYN_ACK_FROM_PEER, now=0.6).sent == [
        out(ISS + 1, IRS + 1, ACK | PSH, payload=b"hello")
    ]


@covers(S.LISTEN, T.SEND, "passive_open_stays_passive")
def test_listen_send_linux() -> None:
    """Linux: a listening socket cannot send."""
    conn = fx.listen("linux", remote_port=REMOTE)
    assert_refused(conn, "send", T.SEND, "error: connection not yet open", b"hello")


@covers(S.LISTEN, T.CLOSE)
def test_listen_close() -> None:
    """3.10.4 LISTEN: "Delete TCB, enter CLOSED state, and return"."""
    assert call(fx.listen(), "close") == closes(T.CLOSE)


@covers(S.LISTEN, T.CLOSE_UNREAD)
def test_listen_close_unread() -> None:
    """3.10.4 LISTEN, as for CLOSE. (A listener has no received data; only a caller filling
    `unread` by hand gets here.)"""
    conn = fx.listen()
    conn.unread += b"stale"
    assert call(conn, "close") == closes(T.CLOSE_UNREAD)


@covers(S.LISTEN, T.SHUTDOWN)
def test_listen_shutdown() -> None:
    """3.10.4 LISTEN: "Delete TCB, enter CLOSED state, and return"."""
    assert call(fx.listen(), "shutdown") == closes(T.SHUTDOWN)


@covers(S.LISTEN, T.ABORT)
def test_listen_abort() -> None:
    """3.10.5 LISTEN: "Delete TCB, enter CLOSED state, and return"; no RST, no peer."""
    assert call(fx.listen(), "abort") == closes(T.ABORT)


@covers(S.LISTEN, T.RST)
def test_listen_rst() -> None:
    """3.10.7.2 first: "An incoming RST should be ignored" (with or without an ACK)."""
    conn = fx.listen()
    assert deliver(conn, PEER.with_(seq=IRS, flags=RST)) == nothing_happens(T.RST)
    assert deliver(conn, PEER.with_(seq=IRS, ack=ISS, flags=RST | ACK)) == nothing_happens(T.RST)


@covers(S.LISTEN, T.BAD_ACK)
def test_listen_bad_ack() -> None:
    """3.10.7.2 second: "Any acknowledgment is bad": <SEQ=SEG.ACK><CTL=RST>, even on a SYN+ACK
    (the ACK is checked before the SYN)."""
    conn = fx.listen()
    assert deliver(conn, PEER.with_(seq=IRS, ack=ISS + 9)) == Outcome(
        steps=[(S.LISTEN, T.BAD_ACK)],
        state=S.LISTEN,
        sent=[rst_seg(ISS + 9)],
        events=[],
        tcb=LISTEN_TCB,
        timers={},
    )
    assert deliver(conn, PEER.with_(seq=IRS, ack=77, flags=SYN | ACK)).sent == [rst_seg(77)]
    assert conn.remote_port is None


@covers(S.LISTEN, T.SYN)
def test_listen_syn() -> None:
    """3.10.7.2 third: RCV.NXT <- SEG.SEQ+1, IRS <- SEG.SEQ, select ISS, send
    <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, SND.NXT <- ISS+1, SND.UNA <- ISS, SYN-RECEIVED; the
    unspecified remote socket is filled in from the SYN."""
    conn = fx.listen()
    assert deliver(conn, SYN_FROM_PEER) == Outcome(
        steps=[(S.LISTEN, T.SYN)],
        state=S.SYN_RECEIVED,
        sent=[out(ISS, IRS + 1, SYN | ACK, options=OUR_MSS)],
        events=["LISTEN -> SYN-RECEIVED"],
        tcb=SYN_RECEIVED_TCB,
        timers={"retransmit": NOW + RTO},
    )
    assert (conn.remote_port, conn.passive) == (REMOTE, True)


@covers(S.LISTEN, T.NO_ACK)
def test_listen_no_ack() -> None:
    """3.10.7.2 fourth: anything else (no RST, no ACK, no SYN): drop the segment."""
    conn = fx.listen()
    assert deliver(conn, PEER.with_(seq=IRS, flags=FIN)) == nothing_happens(T.NO_ACK)
    assert deliver(conn, PEER.with_(seq=IRS, flags=PSH, payload=b"x")) == nothing_happens(T.NO_ACK)


@covers(S.LISTEN, T.SYN_ACK)
def test_listen_syn_ack() -> None:
    """FreeBSD tcp_input() (listen_drops_syn_ack): a SYN+ACK for a listener is dropped without a
    RST; any other ACK still draws one (3.10.7.2 second)."""
    conn = fx.listen(fx.rfc9293_with(listen_drops_syn_ack=True))
    assert deliver(conn, PEER.with_(seq=IRS, ack=77, flags=SYN | ACK)) == nothing_happens(T.SYN_ACK)
    assert deliver(conn, PEER.with_(seq=IRS, ack=77)).sent == [rst_seg(77)]
