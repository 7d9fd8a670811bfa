"""Reading the shipped captures as the lessons do: TCP packets only, absolute or relative."""

from __future__ import annotations

import pytest

from tcpcore import Flags, read_pcap
from tcpcore.capture.annotate import shipped_captures, trace_from_capture


@pytest.mark.parametrize("name", sorted(shipped_captures()))
def test_looping_over_tcp_packets_is_safe_in_every_shipped_capture(name: str) -> None:
    """Capture.tcp() gives only packets with a segment, and leaves out no TCP packet."""
    cap = read_pcap(shipped_captures()[name])
    tcp = cap.tcp()
    assert tcp and all(p.segment is not None for p in tcp)
    lines = [f"{p.src} > {p.dst} {p.segment.summary()}" for p in tcp if p.segment]
    assert len(lines) == len(tcp) == sum(p.kind == "tcp" for p in cap)


def test_the_exchange_capture_holds_a_udp_datagram_that_tcp_leaves_out() -> None:
    """exchange.pcap: its one UDP datagram has no segment, and tcp() skips it."""
    cap = read_pcap(shipped_captures()["exchange"])
    others = [p for p in cap if p not in cap.tcp()]
    assert len(others) == 1 and others[0].segment is None and "UDP" in (others[0].error or "")


def test_the_exchange_capture_closes_its_first_connection_in_three_segments() -> None:
    """The real three-segment close of lesson 03: FIN, FIN+ACK covering it, ACK."""
    trace = trace_from_capture(read_pcap(shipped_captures()["exchange"]), connection=0)
    recs = trace.segments()
    first_fin = next(i for i, r in enumerate(recs) if r.segment.flags & Flags.FIN)
    close = recs[first_fin:]
    assert [r.segment.flags.names() for r in close] == ["FIN+ACK", "FIN+ACK", "ACK"]
    assert close[1].segment.ack == close[0].segment.seq + 1
    client = close[0].sender
    assert [str(s) for _, s in trace.timelines[client]][-2:] == ["FIN-WAIT-1", "TIME-WAIT"]


def test_relative_numbers_count_from_each_sides_isn() -> None:
    """relative=True: SYNs are 0, acks count from the peer's ISN, states are unchanged."""
    cap = read_pcap(shipped_captures()["client-closes-first"])
    real = trace_from_capture(cap)
    rel = trace_from_capture(cap, relative=True)
    a, b = real.segments(), rel.segments()
    client_isn, server_isn = a[0].segment.seq, a[1].segment.seq
    assert (b[0].segment.seq, b[1].segment.seq, b[1].segment.ack) == (0, 0, 1)
    for x, y in zip(a, b, strict=True):
        mine, theirs = (
            (client_isn, server_isn) if x.sender == a[0].sender else (server_isn, client_isn)
        )
        assert y.segment.seq == (x.segment.seq - mine) % 2**32
        if x.segment.flags & Flags.ACK:
            assert y.segment.ack == (x.segment.ack - theirs) % 2**32
        assert y.states == x.states and y.segment.flags == x.segment.flags
    # the client's FIN follows its SYN and 11 data bytes: relative 12, acknowledged with 13
    fin = next(r for r in b if r.segment.flags & Flags.FIN)
    assert fin.segment.seq == 12
    assert any(r.segment.ack == 13 for r in b if r.sender != fin.sender)
