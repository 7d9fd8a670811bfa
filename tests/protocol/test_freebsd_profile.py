"""The freebsd profile's values in the connection: SYN options by family, the receive buffer
rounded to the MSS, TIME-WAIT as tcp_twcheck() answers, the sysctl switches, and SO_ERROR.

Every expected segment is worked out by hand from FreeBSD's tcp_addoptions(), tcp_mss_update()
and tcp_twcheck() as the profile's comments cite them (the FreeBSD tcp-testsuite's scripts check
the same against the real stack in tests/conformance/test_conformance_packetdrill.py).
"""

from __future__ import annotations

import fixtures as fx
import pytest
from fixtures import ACK, FIN, IRS, ISS, LOCAL, PEER, REMOTE, RST, SYN, S, T

from tcpcore import MSS, Eol, Nop, SackPermitted, Segment, WindowScale
from tcpcore.protocol.connection import Connection
from tcpcore.protocol.profiles import FREEBSD, LINUX


def syn_of(profile: object, local_ip: str) -> Segment:
    conn = Connection(
        local_port=LOCAL, remote_port=REMOTE, profile=profile, iss=ISS, local_ip=local_ip
    )
    conn.connect(0.0)
    (syn,) = conn.pop_segments()
    return syn


@pytest.mark.parametrize(("local_ip", "mss"), [("10.0.0.1", 1460), ("fd00::1", 1440)])
def test_the_syn_offers_the_mss_of_its_family_in_the_profiles_layout(
    local_ip: str, mss: int
) -> None:
    """IPv6's header is 20 bytes longer, so its MSS is 20 smaller; FreeBSD lays out MSS, NOP,
    window scale, SACK-permitted, EOL padding; Linux aligns each option with NOPs."""
    assert syn_of(FREEBSD, local_ip).options == (
        MSS(mss),
        Nop(),
        WindowScale(6),
        SackPermitted(),
        Eol(),
        Eol(),
    )
    assert syn_of(LINUX, local_ip).options == (
        MSS(mss),
        Nop(),
        Nop(),
        SackPermitted(),
        Nop(),
        WindowScale(8),
    )
    assert syn_of(FREEBSD.with_(wscale=None), local_ip).options == (
        MSS(mss),
        SackPermitted(),
        Eol(),
        Eol(),
    )


def test_the_receive_buffer_is_rounded_up_to_whole_segments_once_established() -> None:
    """tcp_mss_update(): 65536 bytes become 45 segments of 1460 (65700) once the SYN+ACK
    arrives; the window field still shows at most 65535 unscaled."""
    conn = Connection(local_port=LOCAL, remote_port=REMOTE, profile=FREEBSD, iss=ISS)
    conn.connect(0.0)
    assert conn.tcb.rcv_wnd == 65535
    conn.receive(PEER.with_(seq=IRS, ack=ISS + 1, flags=SYN | ACK, options=(MSS(1460),)), 0.1)
    assert conn.state is S.ESTABLISHED and conn.tcb.rcv_wnd == 45 * 1460
    assert [s.window for s in conn.pop_segments()] == [65535, 65535]


@pytest.mark.parametrize(
    ("seg", "answer"),
    [
        (PEER.with_(seq=IRS + 2, ack=ISS + 2), []),  # the duplicate ACK: dropped
        (PEER.with_(seq=IRS + 1, ack=ISS + 2), [fx.ack_seg(ISS + 2, IRS + 2)]),  # old: ACK
        (PEER.with_(seq=IRS + 3, ack=ISS + 2), [fx.ack_seg(ISS + 2, IRS + 2)]),  # beyond: ACK
        (PEER.with_(seq=IRS + 1, flags=FIN), []),  # no ACK bit: dropped
        (PEER.with_(seq=IRS + 2, flags=SYN), []),  # a SYN without ACK at RCV.NXT: dropped
        (PEER.with_(seq=IRS + 2, flags=RST), []),  # "Drop RST"
    ],
)
def test_time_wait_answers_as_tcp_twcheck(seg: Segment, answer: list[Segment]) -> None:
    """FreeBSD TIME-WAIT: anything with ACK but the duplicate ACK is acknowledged; RST and
    segments without ACK are dropped; the connection stays in TIME-WAIT."""
    conn = fx.time_wait(FREEBSD.with_(resend_fin_with_ack=False))
    conn.receive(seg, fx.NOW)
    assert (conn.pop_segments(), conn.state) == (answer, S.TIME_WAIT)


def test_drop_synfin_keeps_a_syn_fin_from_the_state_machine() -> None:
    """net.inet.tcp.drop_synfin=1: a listener never sees a SYN+FIN; a closed port resets it."""
    syn_fin = PEER.with_(seq=IRS, flags=SYN | FIN)
    conn = fx.listen(FREEBSD.with_(drop_syn_fin=True))
    conn.receive(syn_fin, fx.NOW)
    assert (conn.state, conn.pop_segments(), conn.history) == (S.LISTEN, [], [])
    closed = fx.closed(FREEBSD.with_(drop_syn_fin=True))
    closed.receive(syn_fin, fx.NOW)
    assert [s.flags for s in closed.pop_segments()] == [RST | ACK]
    conn = fx.listen(FREEBSD)
    conn.receive(syn_fin, fx.NOW)
    assert conn.state is S.SYN_RECEIVED


def test_rst_in_window_resets_under_the_rfc793_switch() -> None:
    """net.inet.tcp.insecure_rst=1: a RST anywhere in the window is the RST row (RFC 793)."""
    rst = PEER.with_(seq=IRS + 10, flags=RST)
    conn = fx.established(FREEBSD.with_(rst_in_window_resets=True))
    conn.receive(rst, fx.NOW)
    assert (conn.history[-1].trigger, conn.state, conn.error) == (T.RST, S.CLOSED, "ECONNRESET")
    secure = fx.established(FREEBSD)
    secure.receive(rst, fx.NOW)
    assert (secure.history[-1].trigger, secure.state) == (T.RST_IN_WINDOW, S.ESTABLISHED)


def test_the_connection_remembers_why_it_died() -> None:
    """SO_ERROR's answer: ECONNREFUSED after a refused open; a new TCB forgets it."""
    conn = fx.syn_sent()
    conn.receive(PEER.with_(seq=0, ack=ISS + 1, flags=RST | ACK), fx.NOW)
    assert (conn.state, conn.error) == (S.CLOSED, "ECONNREFUSED")
    conn.connect(1.0)
    assert conn.error is None
