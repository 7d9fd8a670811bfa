"""ESTABLISHED: RFC 9293 3.10.1-3.10.5, 3.10.7.4, 3.10.8 and RFC 1122 4.2.3.6 (keepalive).

Here SND.UNA = SND.NXT = ISS + 1 and RCV.NXT = IRS + 1 (nothing sent or received yet).
"""

from __future__ import annotations

from dataclasses import replace

import fixtures as fx
import pytest
from fixtures import (
    ACK,
    CLOSE_WAIT_TCB,
    ESTABLISHED_TCB,
    FIN,
    FIN_WAIT_1_TCB,
    IRS,
    ISS,
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
TEMPL = PEER.with_(seq=IRS + 1, ack=ISS + 1)  # SEG.SEQ = RCV.NXT, SEG.ACK = SND.NXT
# A segment at RCV.NXT updates the window (SND.WL1 = IRS < SEG.SEQ): SND.WL1 <- IRS + 1.
WL1_MOVED = replace(ESTABLISHED_TCB, snd_wl1=Seq(IRS + 1))
KEEP = {"keepalive": True, "keepalive_idle": 10.0, "keepalive_interval": 5.0}


def outcome(
    trigger: T,
    sent: list[fx.Segment] | None = None,
    *,
    state: S = S.ESTABLISHED,
    events: list[str] | None = None,
    tcb: fx.TCB = ESTABLISHED_TCB,
    timers: dict[str, float] | None = None,
) -> Outcome:
    return Outcome(
        steps=[(S.ESTABLISHED, trigger)],
        state=state,
        sent=sent or [],
        events=events or [],
        tcb=tcb,
        timers=timers or {},
    )


@covers(S.ESTABLISHED, T.OPEN_ACTIVE)
def test_established_open_active() -> None:
    assert_refused(fx.established(), "connect", T.OPEN_ACTIVE, ERR_EXISTS)


@covers(S.ESTABLISHED, T.OPEN_PASSIVE)
def test_established_open_passive() -> None:
    assert_refused(fx.established(), "listen", T.OPEN_PASSIVE, ERR_EXISTS)


@covers(S.ESTABLISHED, T.SEND)
def test_established_send() -> None:
    """3.10.2 ESTABLISHED: segmentize and send with ACK = RCV.NXT; SND.NXT advances by 5 and
    the retransmission timer starts (RFC 6298 5.1)."""
    conn = fx.established()
    assert call(conn, "send", b"hello") == outcome(
        T.SEND,
        [out(ISS + 1, IRS + 1, ACK | PSH, payload=b"hello")],
        tcb=replace(ESTABLISHED_TCB, snd_nxt=Seq(ISS + 6)),
        timers={"retransmit": NOW + RTO},
    )


@covers(S.ESTABLISHED, T.CLOSE)
def test_established_close() -> None:
    """3.10.4 ESTABLISHED: form a FIN <SEQ=SND.NXT> and send it; enter FIN-WAIT-1."""
    conn = fx.established()
    assert call(conn, "close") == outcome(
        T.CLOSE,
        [out(ISS + 1, IRS + 1, FIN | ACK)],
        state=S.FIN_WAIT_1,
        events=["ESTABLISHED -> FIN-WAIT-1"],
        tcb=FIN_WAIT_1_TCB,
        timers={"retransmit": NOW + RTO},
    )
    assert conn.user_closed


def _with_unread(profile: str) -> fx.Connection:
    """ESTABLISHED with 5 bytes received and not read: RCV.NXT = IRS + 6, RCV.WND 5 smaller."""
    conn = fx.established(profile, auto_read=False)
    deliver(conn, TEMPL.with_(payload=b"hello"))
    return conn


UNREAD_TCB = replace(WL1_MOVED, rcv_nxt=Seq(IRS + 6), rcv_wnd=RCV_WND - 5)


@covers(S.ESTABLISHED, T.CLOSE_UNREAD)
def test_established_close_unread() -> None:
    """3.10.4 ESTABLISHED: the RFC's CLOSE sends a FIN whatever is unread."""
    conn = _with_unread("rfc9293")
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [out(ISS + 1, IRS + 6, FIN | ACK, window=RCV_WND - 5)],
        state=S.FIN_WAIT_1,
        events=["ESTABLISHED -> FIN-WAIT-1"],
        tcb=replace(UNREAD_TCB, snd_nxt=Seq(ISS + 2), fin_seq=Seq(ISS + 1)),
        timers={"retransmit": NOW + RTO},
    )


@covers(S.ESTABLISHED, T.CLOSE_UNREAD, "rst_on_close_with_unread")
def test_established_close_unread_linux() -> None:
    """RFC 2525 2.17 / RFC 1122 4.2.2.13, Linux tcp_close(): data was lost, so reset:
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, CLOSED."""
    conn = _with_unread("linux")
    assert call(conn, "close") == outcome(
        T.CLOSE_UNREAD,
        [rst_seg(ISS + 1, IRS + 6)],
        state=S.CLOSED,
        events=["ESTABLISHED -> CLOSED", "Closed"],
        tcb=UNREAD_TCB,
    )


@covers(S.ESTABLISHED, T.SHUTDOWN)
def test_established_shutdown() -> None:
    """3.10.4 ESTABLISHED: FIN, FIN-WAIT-1; the user can still receive."""
    conn = fx.established()
    assert call(conn, "shutdown") == outcome(
        T.SHUTDOWN,
        [out(ISS + 1, IRS + 1, FIN | ACK)],
        state=S.FIN_WAIT_1,
        events=["ESTABLISHED -> FIN-WAIT-1"],
        tcb=FIN_WAIT_1_TCB,
        timers={"retransmit": NOW + RTO},
    )
    assert not conn.user_closed


@pytest.mark.parametrize("profile", PROFILES)
@covers(S.ESTABLISHED, T.ABORT)
def test_established_abort(profile: str) -> None:
    """3.10.5: <SEQ=SND.NXT><CTL=RST>, flush everything, CLOSED."""
    conn = fx.established(profile)
    assert call(conn, "abort") == outcome(
        T.ABORT,
        [abort_rst(profile, ISS + 1, IRS + 1)],
        state=S.CLOSED,
        events=["ESTABLISHED -> CLOSED", "Closed"],
    )


@covers(S.ESTABLISHED, T.UNACCEPTABLE)
def test_established_unacceptable() -> None:
    """3.10.7.4 first: data wholly before RCV.NXT (an old duplicate) or beyond the window fails
    Table 6: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop."""
    conn = fx.established()
    old = TEMPL.with_(seq=IRS - 4, payload=b"old")  # IRS-4 .. IRS-2, all below RCV.NXT
    assert deliver(conn, old) == outcome(T.UNACCEPTABLE, [ack_seg(ISS + 1, IRS + 1)])
    beyond = TEMPL.with_(seq=IRS + 1 + RCV_WND, payload=b"x")
    assert deliver(conn, beyond) == outcome(T.UNACCEPTABLE, [ack_seg(ISS + 1, IRS + 1)])


@covers(S.ESTABLISHED, T.RST_INVALID)
def test_established_rst_invalid() -> None:
    """3.10.7.4 second 1): RST outside the window: silently drop."""
    conn = fx.established()
    seg = PEER.with_(seq=IRS + 1 + RCV_WND, flags=RST)
    assert deliver(conn, seg) == outcome(T.RST_INVALID)


@covers(S.ESTABLISHED, T.RST_IN_WINDOW)
def test_established_rst_in_window() -> None:
    """3.10.7.4 second 3): challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop."""
    conn = fx.established()
    seg = PEER.with_(seq=IRS + 1000, flags=RST)
    assert deliver(conn, seg) == outcome(T.RST_IN_WINDOW, [ack_seg(ISS + 1, IRS + 1)])


@covers(S.ESTABLISHED, T.RST)
def test_established_rst() -> None:
    """3.10.7.4 second 2): RST at RCV.NXT: "connection reset", flush, CLOSED."""
    conn = fx.established()
    seg = PEER.with_(seq=IRS + 1, flags=RST)
    assert deliver(conn, seg) == outcome(
        T.RST, state=S.CLOSED, events=["ConnectionReset", "ESTABLISHED -> CLOSED", "Closed"]
    )


@covers(S.ESTABLISHED, T.SYN)
def test_established_syn() -> None:
    """3.10.7.4 fourth (RFC 5961 4.2): a SYN, whatever its sequence number: challenge ACK."""
    conn = fx.established()
    assert deliver(conn, PEER.with_(seq=IRS + 1, flags=SYN)) == outcome(
        T.SYN, [ack_seg(ISS + 1, IRS + 1)]
    )
    assert deliver(conn, PEER.with_(seq=12345678, flags=SYN)) == outcome(
        T.SYN, [ack_seg(ISS + 1, IRS + 1)]
    )


@covers(S.ESTABLISHED, T.NO_ACK)
def test_established_no_ack() -> None:
    """3.10.7.4 fifth: the ACK bit off: drop (the text is not accepted)."""
    conn = fx.established()
    seg = PEER.with_(seq=IRS + 1, flags=PSH, payload=b"hello")
    assert deliver(conn, seg) == outcome(T.NO_ACK)


@covers(S.ESTABLISHED, T.ACK_UNACCEPTABLE)
def test_established_ack_unacceptable() -> None:
    """3.10.7.4 fifth: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an
    ACK, drop the segment, and return" (the text is not accepted either)."""
    conn = fx.established()
    seg = TEMPL.with_(ack=ISS + 2, payload=b"hello")
    assert deliver(conn, seg) == outcome(T.ACK_UNACCEPTABLE, [ack_seg(ISS + 1, IRS + 1)])


@covers(S.ESTABLISHED, T.ACK)
def test_established_ack() -> None:
    """3.10.7.4 fifth: after sending 3 bytes, the peer's ACK of all three: SND.UNA <- SEG.ACK,
    the retransmission queue empties and its timer stops; SND.WL1 < SEG.SEQ, so
    SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK."""
    conn = fx.established()
    call(conn, "send", b"abc")
    conn.pop_segments()
    assert deliver(conn, TEMPL.with_(ack=ISS + 4, window=7000), now=0.6) == outcome(
        T.ACK,
        tcb=replace(
            ESTABLISHED_TCB,
            snd_una=Seq(ISS + 4),
            snd_nxt=Seq(ISS + 4),
            snd_wnd=7000,
            snd_wl1=Seq(IRS + 1),
            snd_wl2=Seq(ISS + 4),
            max_snd_wnd=7000,
        ),
    )


@covers(S.ESTABLISHED, T.DATA)
def test_established_data() -> None:
    """3.10.7.4 seventh: deliver the text, RCV.NXT <- RCV.NXT + 5, send
    <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>."""
    conn = fx.established()
    assert deliver(conn, TEMPL.with_(flags=ACK | PSH, payload=b"hello")) == outcome(
        T.DATA,
        [ack_seg(ISS + 1, IRS + 6)],
        events=["DataReceived(b'hello')"],
        tcb=replace(WL1_MOVED, rcv_nxt=Seq(IRS + 6)),
    )


@covers(S.ESTABLISHED, T.FIN)
def test_established_fin() -> None:
    """3.10.7.4 eighth: signal "connection closing", RCV.NXT <- RCV.NXT + 1, ACK the FIN,
    enter CLOSE-WAIT."""
    conn = fx.established()
    assert deliver(conn, TEMPL.with_(flags=FIN | ACK)) == outcome(
        T.FIN,
        [ack_seg(ISS + 1, IRS + 2)],
        state=S.CLOSE_WAIT,
        events=["PeerClosed", "ESTABLISHED -> CLOSE-WAIT"],
        tcb=CLOSE_WAIT_TCB,
    )


@covers(S.ESTABLISHED, T.RETRANSMIT_TIMEOUT)
def test_established_retransmit_timeout() -> None:
    """3.10.8: 3 bytes sent at 0.5 s, unacknowledged at 0.5 + RTO: send them again (with the
    current ACK) and restart the timer at 2 * RTO."""
    conn = fx.established()
    call(conn, "send", b"abc")
    conn.pop_segments()
    assert expire(conn, NOW + RTO) == Outcome(
        steps=[(S.ESTABLISHED, T.RETRANSMIT_TIMEOUT)],
        state=S.ESTABLISHED,
        sent=[out(ISS + 1, IRS + 1, ACK | PSH, payload=b"abc")],
        events=[],
        tcb=replace(ESTABLISHED_TCB, snd_nxt=Seq(ISS + 4)),
        timers={"retransmit": NOW + RTO + 2 * RTO},
    )


@covers(S.ESTABLISHED, T.USER_TIMEOUT)
def test_established_user_timeout() -> None:
    """3.10.8 USER TIMEOUT: with a user timeout of 1 s, data unacknowledged 1 s after it was
    sent: "connection aborted due to user timeout", CLOSED, nothing sent."""
    conn = fx.established(user_timeout=1.0)
    call(conn, "send", b"abc")
    conn.pop_segments()
    assert expire(conn, NOW + 1.0) == Outcome(
        steps=[(S.ESTABLISHED, T.USER_TIMEOUT)],
        state=S.CLOSED,
        sent=[],
        events=["TimedOut", "ESTABLISHED -> CLOSED", "Closed"],
        tcb=replace(ESTABLISHED_TCB, snd_nxt=Seq(ISS + 4)),
        timers={},
    )


@covers(S.ESTABLISHED, T.KEEPALIVE_TIMEOUT)
def test_established_keepalive_timeout() -> None:
    """RFC 1122 4.2.3.6: idle for 10 s: probe <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, the next
    one an interval (5 s) later."""
    conn = fx.established(**KEEP)
    assert expire(conn, 10.0) == outcome(
        T.KEEPALIVE_TIMEOUT, [ack_seg(ISS, IRS + 1)], timers={"keepalive": 15.0}
    )


@covers(S.ESTABLISHED, T.KEEPALIVE_EXHAUSTED)
def test_established_keepalive_exhausted() -> None:
    """RFC 1122 4.2.3.6: the one allowed probe went unanswered for an interval: the peer is
    dead; signal the user and enter CLOSED."""
    conn = fx.established(**KEEP, keepalive_probes=1)
    expire(conn, 10.0)
    assert expire(conn, 15.0) == outcome(
        T.KEEPALIVE_EXHAUSTED,
        state=S.CLOSED,
        events=["TimedOut", "ESTABLISHED -> CLOSED", "Closed"],
    )


@covers(S.ESTABLISHED, T.KEEPALIVE_EXHAUSTED, "rst_on_keepalive_give_up")
def test_established_keepalive_exhausted_linux() -> None:
    """Linux tcp_keepalive_timer(): gives up with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>."""
    conn = fx.established("linux", **KEEP, keepalive_probes=1)
    expire(conn, 10.0)
    assert expire(conn, 15.0) == outcome(
        T.KEEPALIVE_EXHAUSTED,
        [rst_seg(ISS + 1, IRS + 1)],
        state=S.CLOSED,
        events=["TimedOut", "ESTABLISHED -> CLOSED", "Closed"],
    )


@covers(S.ESTABLISHED, T.LOSS_PROBE_TIMEOUT)
def test_established_loss_probe_timeout() -> None:
    """RFC 8985 7.3 (linux): the probe timeout runs out before the RTO: send the last segment
    again, <SEQ=ISS+2><ACK=RCV.NXT> "hello", and arm the RTO anew."""
    conn = fx.established("linux")
    fx.half_second_rtt(conn, IRS + 1)
    call(conn, "send", b"hello", now=2.0)
    conn.pop_segments()
    assert expire(conn, fx.PROBE_AT) == outcome(
        T.LOSS_PROBE_TIMEOUT,
        [out(ISS + 2, IRS + 1, ACK | PSH, payload=b"hello")],
        tcb=replace(
            ESTABLISHED_TCB,
            snd_una=Seq(ISS + 2),
            snd_nxt=Seq(ISS + 7),
            snd_wl1=Seq(IRS + 1),
            snd_wl2=Seq(ISS + 2),
            sack_ok=True,
        ),
        timers={"retransmit": fx.RTO_AFTER_PROBE},
    )


@covers(S.ESTABLISHED, T.SYN_IN_WINDOW)
def test_established_syn_in_window() -> None:
    """RFC 793 3.9 (syn_in_window_resets, FreeBSD's insecure_syn): a SYN in the window resets."""
    fx.check_syn_in_window_resets(fx.established, fx.IRS + 1, fx.ISS + 1)
