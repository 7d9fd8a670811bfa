"""The connection's timers, worked out by hand from the RFCs.

* retransmission: RFC 6298 (initial RTO 1 s, 2.1; estimation 2.2/2.3; minimum 2.4; maximum 2.5;
  back-off 5.5; Karn's rule, section 3) and RFC 1122 4.2.3.5 (giving up);
* TIME-WAIT: RFC 9293 3.4.2 and 3.10.7.4 (2*MSL, restarted by a retransmitted FIN);
* keepalive: RFC 1122 4.2.3.6 (off by default, after an idle time, <SEQ=SND.NXT-1>);
* FIN-WAIT-2: Linux's tcp_fin_timeout, for a socket the user closed.
"""

from __future__ import annotations

import fixtures as fx
import pytest
from fixtures import ACK, FIN, IRS, ISS, OUR_MSS, PEER, PSH, SYN, S, T, ack_seg, out, rst_seg

from tcpcore.protocol.connection import Connection

SYN_SEG = out(ISS, 0, SYN, options=OUR_MSS)


def run_timers(conn: Connection, until: float) -> list[tuple[float, list[fx.Segment], S]]:
    """Fire every timer up to ``until``: (time, segments sent, state after) for each."""
    seen = []
    while (deadline := conn.next_deadline()) is not None and deadline <= until:
        conn.handle_timer(deadline)
        seen.append((deadline, conn.pop_segments(), conn.state))
    return seen


# -- retransmission: back-off and giving up --------------------------------------------------


def test_syn_backoff_and_give_up_under_rfc9293() -> None:
    """RTO 1 s doubled on each expiry (1, 2, 4 ... s), capped at 60 s (RFC 6298 2.5); the SYN
    is retransmitted for 3 minutes (RFC 1122 4.2.3.5: R2 for a SYN >= 3 minutes): at 1, 3, 7,
    15, 31, 63 and 63 + 60 = 123 s; at 180 s the open fails."""
    conn = fx.drive_syn_sent("rfc9293")
    conn.pop_segments()
    conn.pop_events()
    seen = run_timers(conn, 1000.0)
    retransmits = [1.0, 3.0, 7.0, 15.0, 31.0, 63.0, 123.0]
    assert seen == [(t, [SYN_SEG], S.SYN_SENT) for t in retransmits] + [(180.0, [], S.CLOSED)]
    assert [fx.describe(e) for e in conn.pop_events()][-3:] == [
        "TimedOut",
        "SYN-SENT -> CLOSED",
        "Closed",
    ]
    assert conn.history[-1].trigger is T.USER_TIMEOUT


def test_syn_backoff_and_give_up_under_linux() -> None:
    """tcp_syn_retries = 6: retransmissions at 1, 3, 7, 15, 31, 63 s, then one more RTO (64 s)
    for the last answer: connect() fails at 127 s."""
    conn = fx.drive_syn_sent("linux")
    conn.pop_segments()
    seen = run_timers(conn, 1000.0)
    retransmits = [1.0, 3.0, 7.0, 15.0, 31.0, 63.0]
    syn = out(ISS, 0, SYN, options=fx.LINUX_SYN_OPTIONS)
    assert seen == [(t, [syn], S.SYN_SENT) for t in retransmits] + [(127.0, [], S.CLOSED)]


def test_data_backoff_and_give_up_under_rfc9293() -> None:
    """Data sent at 0.5 s with RTO 1 s: retransmitted at 1.5, 3.5, 7.5, 15.5, 31.5, 63.5 s; the
    next RTO (64 -> 60 s cap) would pass R2 = 100 s (RFC 1122 4.2.3.5), so at 100.5 s the
    connection is given up."""
    conn = fx.established()
    conn.send(b"abc", 0.5)
    (first,) = conn.pop_segments()
    assert first == out(ISS + 1, IRS + 1, ACK | PSH, payload=b"abc")
    seen = run_timers(conn, 1000.0)
    retransmits = [1.5, 3.5, 7.5, 15.5, 31.5, 63.5]
    assert seen == [(t, [first], S.ESTABLISHED) for t in retransmits] + [(100.5, [], S.CLOSED)]


def test_user_timeout_cuts_the_retransmissions_short() -> None:
    """A user timeout of 5 s (RFC 9293 3.10.8, RFC 1122 4.2.3.5 (d)): retransmissions at 1.5 and
    3.5 s, then the timeout at 0.5 + 5 = 5.5 s (before the next RTO at 7.5 s)."""
    conn = fx.established(user_timeout=5.0)
    conn.send(b"abc", 0.5)
    (first,) = conn.pop_segments()
    seen = run_timers(conn, 1000.0)
    assert seen == [
        (1.5, [first], S.ESTABLISHED),
        (3.5, [first], S.ESTABLISHED),
        (5.5, [], S.CLOSED),
    ]


def test_an_ack_resets_the_retry_count() -> None:
    """Giving up counts retransmissions of the same segment (RFC 1122 4.2.3.5 (a)): after an
    ACK of new data, Linux's 6 SYN retries do not carry over into data retries."""
    conn = fx.established("linux")
    conn.send(b"abc", 0.5)
    conn.handle_timer(1.5)  # one retransmission (RTO 1 s -> 2 s)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 4), 2.0)
    assert conn.next_deadline() is None
    conn.send(b"def", 3.0)
    # Karn: no RTT sample from the retransmitted segment, so the backed-off RTO (2 s) stays.
    assert conn.next_deadline() == 5.0


# -- RTT estimation, RFC 6298 2.2 and 2.3 ------------------------------------------------------


def _sample(conn: Connection, sent: float, acked: float, seq: int) -> int:
    """Send one byte at ``sent``, ACK it at ``acked``; the next sequence number."""
    conn.send(b"x", sent)
    conn.receive(PEER.with_(seq=IRS + 1, ack=seq + 1), acked)
    return seq + 1


def test_rtt_estimation_first_and_second_sample() -> None:
    """First sample R = 0.5 s (2.2): SRTT = 0.5, RTTVAR = 0.25, RTO = 0.5 + 4 * 0.25 = 1.5 s.
    Second R' = 1.0 s (2.3, beta 1/4, alpha 1/8, RTTVAR first with the old SRTT):
    RTTVAR = 3/4 * 0.25 + 1/4 * |0.5 - 1.0| = 0.3125; SRTT = 7/8 * 0.5 + 1/8 * 1.0 = 0.5625;
    RTO = 0.5625 + 4 * 0.3125 = 1.8125 s."""
    conn = fx.established()
    seq = _sample(conn, 10.0, 10.5, ISS + 1)
    conn.send(b"y", 11.0)
    assert conn.next_deadline() == 11.0 + 1.5
    conn.receive(PEER.with_(seq=IRS + 1, ack=seq + 1), 12.0)
    conn.send(b"z", 13.0)
    assert conn.next_deadline() == 13.0 + 1.8125


@pytest.mark.parametrize(("profile", "rto"), [("rfc9293", 1.0), ("linux", 0.375)])
def test_rto_minimum(profile: str, rto: float) -> None:
    """R = 0.125 s gives SRTT + 4 * RTTVAR = 0.125 + 0.25 = 0.375 s; RFC 6298 2.4 rounds it up
    to 1 s; Linux's minimum is 200 ms, so 0.375 s stands."""
    conn = fx.established(profile)
    _sample(conn, 10.0, 10.125, ISS + 1)
    conn.send(b"y", 11.0)
    assert conn.next_deadline() == 11.0 + rto


@pytest.mark.parametrize(("profile", "rto"), [("rfc9293", 60.0), ("linux", 120.0)])
def test_rto_maximum(profile: str, rto: float) -> None:
    """R = 40 s gives 40 + 4 * 20 = 120 s; the rfc9293 profile caps it at 60 s (RFC 6298 2.5),
    Linux at TCP_RTO_MAX = 120 s."""
    conn = fx.established(profile)
    _sample(conn, 10.0, 50.0, ISS + 1)
    conn.send(b"y", 51.0)
    assert conn.next_deadline() == 51.0 + rto


def test_karn_no_sample_from_a_retransmitted_segment() -> None:
    """RFC 6298 3 (Karn): the ACK of a retransmitted segment gives no sample; the backed-off RTO
    (2 s) is kept until a segment sent once is acknowledged; that one is the first sample."""
    conn = fx.established()
    conn.send(b"a", 10.0)
    conn.handle_timer(11.0)  # retransmitted; RTO 1 -> 2 s
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 2), 11.2)
    conn.send(b"b", 12.0)
    assert conn.next_deadline() == 12.0 + 2.0
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 3), 12.5)  # R = 0.5: RTO 1.5 s (2.2)
    conn.send(b"c", 13.0)
    assert conn.next_deadline() == 13.0 + 1.5


def test_the_handshake_gives_the_first_sample() -> None:
    """The SYN (sent once at 0 s, acknowledged at 0.5 s) is timed: RTO = 0.5 + 4 * 0.25 = 1.5 s;
    a retransmitted SYN would give none."""
    conn = fx.drive_syn_sent()
    conn.receive(fx.SYN_ACK_FROM_PEER, 0.5)
    conn.send(b"x", 1.0)
    assert conn.next_deadline() == 2.5
    conn = fx.drive_syn_sent()
    conn.handle_timer(1.0)  # the SYN again; RTO 2 s
    conn.receive(fx.SYN_ACK_FROM_PEER, 1.5)
    conn.send(b"x", 2.0)
    assert conn.next_deadline() == 4.0


# -- TIME-WAIT: 2*MSL --------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "length"), [("rfc9293", 240.0), ("linux", 60.0)])
def test_time_wait_lasts_2msl(profile: str, length: float) -> None:
    """RFC 9293 3.4.2: MSL = 2 minutes, TIME-WAIT = 2 * MSL = 240 s; Linux: 60 s fixed."""
    conn = fx.drive_fin_wait_2(profile)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 2, flags=FIN | ACK), 10.0)
    assert conn.state is S.TIME_WAIT and conn.timers == {"time_wait": 10.0 + length}
    conn.handle_timer(10.0 + length - 0.001)
    assert conn.state is S.TIME_WAIT
    conn.handle_timer(10.0 + length)
    assert conn.state is S.CLOSED


@pytest.mark.parametrize(("profile", "length"), [("rfc9293", 240.0), ("linux", 60.0)])
def test_time_wait_restarts_on_a_retransmitted_fin(profile: str, length: float) -> None:
    """3.10.7.4: "Acknowledge it, and restart the 2 MSL timeout" each time the FIN comes again."""
    conn = fx.time_wait(profile)  # entered at 0 s
    fin_again = PEER.with_(seq=IRS + 1, ack=ISS + 2, flags=FIN | ACK)
    for t in (length / 2, length - 1.0):
        conn.receive(fin_again, t)
        assert conn.pop_segments() == [ack_seg(ISS + 2, IRS + 2)]
        assert conn.timers == {"time_wait": t + length}
    conn.handle_timer(length - 1.0 + length)
    assert conn.state is S.CLOSED


# -- keepalive ---------------------------------------------------------------------------------


def test_keepalive_is_off_by_default() -> None:
    """RFC 1122 4.2.3.6: keep-alives "MUST default to off"."""
    for profile in ("rfc9293", "linux"):
        assert fx.drive_established(profile).timers == {}


@pytest.mark.parametrize("profile", ["rfc9293", "linux"])
def test_keepalive_probes_then_declares_the_peer_dead(profile: str) -> None:
    """Idle 7200 s (RFC 1122 4.2.3.6: no less than two hours), then a probe
    <SEQ=SND.NXT-1><ACK=RCV.NXT> every 75 s: 9 probes at 7200 ... 7800 s; the 9th unanswered for
    an interval, the peer is dead at 7875 s. Linux says so with <SEQ=SND.NXT><CTL=RST,ACK>."""
    conn = fx.drive_established(profile, keepalive=True)
    conn.pop_segments()
    seen = run_timers(conn, 100_000.0)
    probe = ack_seg(ISS, IRS + 1)
    probes = [(7200.0 + 75.0 * i, [probe], S.ESTABLISHED) for i in range(9)]
    dead = [rst_seg(ISS + 1, IRS + 1)] if profile == "linux" else []
    assert seen == [*probes, (7875.0, dead, S.CLOSED)]
    assert "TimedOut" in [fx.describe(e) for e in conn.pop_events()]


def test_keepalive_idle_counts_from_the_last_segment_received() -> None:
    """Keep-alives are sent only when nothing arrived "within an interval": a segment at 100 s
    moves the first probe to 7300 s; an answer to a probe starts the count again."""
    conn = fx.drive_established(keepalive=True)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 1), 100.0)
    conn.pop_segments()
    assert conn.next_deadline() == 7300.0
    conn.handle_timer(7300.0)
    assert conn.pop_segments() == [ack_seg(ISS, IRS + 1)]
    assert conn.next_deadline() == 7375.0
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 1), 7301.0)  # the probe's answer
    assert conn.next_deadline() == 7301.0 + 7200.0


# -- FIN-WAIT-2 --------------------------------------------------------------------------------


def test_fin_wait_2_timeout_only_under_linux_after_close() -> None:
    """Linux drops an orphaned FIN-WAIT-2 after tcp_fin_timeout (60 s) once the user closed;
    the RFC keeps FIN-WAIT-2 as long as the peer does."""
    linux = fx.drive_fin_wait_2("linux")  # close() at 0 s, the ACK of our FIN at 0 s
    assert linux.timers == {"fin_wait_2": 60.0}
    linux.pop_segments()
    linux.handle_timer(60.0)
    assert linux.state is S.CLOSED and linux.pop_segments() == []  # silently
    rfc = fx.drive_fin_wait_2("rfc9293")
    assert rfc.timers == {} and rfc.next_deadline() is None


def test_fin_wait_2_timeout_not_after_shutdown_until_close() -> None:
    """After shutdown() the application may still read: no timer. A close() at 30 s makes the
    socket an orphan: dropped at 30 + 60 = 90 s."""
    conn = fx.drive_established("linux")
    conn.shutdown(0.0)
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 2), 0.0)
    assert conn.state is S.FIN_WAIT_2 and conn.timers == {}
    conn.close(30.0)
    assert conn.timers == {"fin_wait_2": 90.0}
    conn.handle_timer(90.0)
    assert conn.state is S.CLOSED and conn.history[-1].trigger is T.FIN_WAIT_2_TIMEOUT


def test_the_peers_fin_stops_the_fin_wait_2_timer() -> None:
    """3.10.7.4 eighth, FIN-WAIT-2: "Start the time-wait timer, turn off the other timers"."""
    conn = fx.drive_fin_wait_2("linux")
    conn.receive(PEER.with_(seq=IRS + 1, ack=ISS + 2, flags=FIN | ACK), 10.0)
    assert conn.timers == {"time_wait": 70.0}
