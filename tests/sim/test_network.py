"""The simulated network: links, scripted faults, determinism, closed ports, the listener.

Expected values come from the link parameters (a segment sent at t arrives at t + delay, plus
jitter or the reorder hold) and from RFC 9293 (what a CLOSED port answers, 3.10.7.1).
"""

from __future__ import annotations

import pytest

from tcpcore.protocol.connection import Connection
from tcpcore.protocol.listener import Listener
from tcpcore.protocol.states import State
from tcpcore.sim.network import Link, Network, SimulationError
from tcpcore.trace import Trace
from tcpcore.wire.flags import Flags
from tcpcore.wire.segment import Segment

A_IP, B_IP = "10.0.0.1", "10.0.0.2"
SYN, ACK, FIN = Flags.SYN, Flags.ACK, Flags.FIN


def pair(net: Network, **kw: object) -> tuple[Connection, Connection]:
    """A (client, ISS 100) and B (server, ISS 300); B listens and A connects at t=0."""
    a = Connection(40000, 80, iss=100, local_ip=A_IP, remote_ip=B_IP, **kw)  # type: ignore[arg-type]
    b = Connection(80, None, iss=300, local_ip=B_IP, remote_ip=A_IP, **kw)  # type: ignore[arg-type]
    net.add("A", a)
    net.add("B", b)
    net.at(0.0, "B", "listen")
    net.at(0.0, "A", "connect")
    return a, b


def data_bytes(trace: Trace, name: str) -> int:
    return sum(
        int(e.text.split("(")[1].split()[0])
        for e in trace.events_of("signal", name)
        if e.text.startswith("data received")
    )


def flags_of(trace: Trace) -> list[str]:
    return [r.segment.flags.tcpdump() for r in trace.segments()]


# -- links --------------------------------------------------------------------------------------


def test_a_clean_link_delivers_after_the_delay() -> None:
    net = Network(link=Link(delay=0.2))
    pair(net)
    trace = net.run()
    assert [(r.sent, r.arrival) for r in trace.segments()] == [
        (0.0, 0.2),
        (0.2, 0.4),
        (0.4, pytest.approx(0.6)),
    ]
    assert net.receives == 3
    assert trace.final_states() == {"A": State.ESTABLISHED, "B": State.ESTABLISHED}


def test_a_link_that_loses_everything() -> None:
    net = Network()
    pair(net)
    net.set_link("A", "B", loss=1.0)
    trace = net.run()
    assert {r.reason for r in trace.segments()} == {"loss"}
    assert all(r.dropped and r.src == "10.0.0.1:40000" for r in trace.segments())
    assert trace.final_states() == {"A": State.CLOSED, "B": State.LISTEN}


def test_links_are_per_direction() -> None:
    net = Network()
    pair(net)
    net.set_link("B", "A", delay=0.5)
    trace = net.run()
    assert [round(r.arrival - r.sent, 6) for r in trace.segments()] == [0.05, 0.5, 0.05]


def test_lossy_links_still_deliver_every_byte_in_order() -> None:
    payload = bytes(range(256)) * 80  # 20480 bytes
    net = Network(seed=3, link=Link(loss=0.2))
    _, b = pair(net, auto_read=False)
    net.at(0.5, "A", "send", payload)
    net.at(1.0, "A", "shutdown")
    trace = net.run(until=500.0)
    assert bytes(b.unread) == payload
    assert any(r.dropped for r in trace.segments())
    data = [r for r in trace.segments() if r.src.endswith(":40000") and r.segment.payload]
    assert len(data) > len({r.segment.seq for r in data})  # some were retransmitted


def test_duplication_makes_a_second_copy_of_every_segment() -> None:
    net = Network(link=Link(duplicate=1.0))
    pair(net)
    trace = net.run()
    notes = [r.note for r in trace.segments()]
    assert notes.count("duplicate") == notes.count("") == len(notes) // 2
    firsts = [r for r in trace.segments() if not r.note]
    assert [r.segment.flags.tcpdump() for r in firsts][:3] == ["S", "S.", "."]
    assert trace.final_states() == {"A": State.ESTABLISHED, "B": State.ESTABLISHED}


def test_reorder_holds_a_segment_back() -> None:
    net = Network(link=Link(delay=0.05, reorder=1.0, reorder_delay=0.3))
    pair(net)
    trace = net.run()
    assert {round(r.arrival - r.sent, 6) for r in trace.segments()} == {0.35}


def test_reordered_segments_are_put_back_in_order() -> None:
    payload = bytes(range(256)) * 40  # 10240 bytes: eight segments of at most 1460
    net = Network(seed=1)
    _, b = pair(net, auto_read=False)
    net.set_link("A", "B", reorder=0.5)
    net.at(0.5, "A", "send", payload)
    trace = net.run()
    data = [r for r in trace.segments() if r.src.endswith(":40000") and r.segment.payload]
    arrival_order = [r.segment.seq for r in sorted(data, key=lambda r: r.arrival or 0)]
    assert arrival_order != sorted(arrival_order)  # something overtook something
    assert bytes(b.unread) == payload


def test_jitter_spreads_arrivals_within_its_bound() -> None:
    net = Network(seed=5, link=Link(delay=0.05, jitter=0.1))
    pair(net)
    net.at(0.5, "A", "send", b"x" * 5000)
    trace = net.run()
    transit = [(r.arrival or 0) - r.sent for r in trace.segments()]
    assert all(0.05 <= x <= 0.15 + 1e-9 for x in transit)
    assert len({round(x, 9) for x in transit}) > 3


@pytest.mark.parametrize("field", ["loss", "duplicate", "reorder"])
def test_link_probabilities_are_checked(field: str) -> None:
    with pytest.raises(ValueError, match="probability"):
        Link(**{field: 1.5})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        Link(delay=-1)


# -- determinism ----------------------------------------------------------------------------------


def lossy_run(seed: int) -> str:
    net = Network(seed=seed, link=Link(loss=0.3, jitter=0.02, duplicate=0.1))
    pair(net)
    net.at(0.5, "A", "send", b"y" * 6000)
    net.at(5.0, "A", "close")
    net.at(6.0, "B", "close")
    return net.run().to_json_lines()


def test_the_same_seed_gives_the_same_trace() -> None:
    assert lossy_run(7) == lossy_run(7)


def test_different_seeds_give_different_traces() -> None:
    assert len({lossy_run(seed) for seed in range(4)}) == 4


# -- scripted faults ----------------------------------------------------------------------------


def closing(net: Network) -> None:
    pair(net)
    net.at(1.0, "A", "close")
    net.at(2.0, "B", "close")


def test_drop_nth_counts_from_one() -> None:
    net = Network()
    closing(net)
    net.drop_nth("A", 3)  # A sends SYN, ACK, then its FIN
    trace = net.run()
    lost = [r for r in trace.segments() if r.dropped]
    assert [(r.sent, r.segment.flags.tcpdump(), r.reason) for r in lost] == [
        (1.0, "F.", "script: #3 from A")
    ]
    fins = [r.sent for r in trace.segments() if r.src.endswith(":40000") and r.segment.flags & FIN]
    assert fins == [1.0, 2.0]  # resent after the initial RTO of 1 s


def test_drop_first_with_exact_flags() -> None:
    net = Network()
    closing(net)
    net.drop_first("B", flags=FIN | ACK)
    trace = net.run()
    lost = [r for r in trace.segments() if r.dropped]
    assert [(r.sent, r.src, r.segment.flags.tcpdump()) for r in lost] == [
        (2.0, "10.0.0.2:80", "F.")
    ]
    assert trace.final_states() == {"A": State.CLOSED, "B": State.CLOSED}


def test_drop_first_with_a_predicate_and_a_count() -> None:
    net = Network()
    pair(net)
    net.at(1.0, "A", "send", b"hello")
    net.drop_first(where=lambda seg: bool(seg.payload), count=2)
    trace = net.run()
    data = [(r.sent, r.dropped) for r in trace.segments() if r.segment.payload]
    assert data == [(1.0, True), (2.0, True), (4.0, False)]  # RTO 1 s, then 2 s


def test_blackhole_after_a_time() -> None:
    net = Network()
    pair(net)
    net.blackhole("B", after=5.0)
    net.at(6.0, "A", "send", b"to B")
    net.at(6.0, "B", "send", b"from B")
    trace = net.run(until=6.9)  # before the first retransmission, at 7.0
    late = [r for r in trace.segments() if r.sent >= 5.0]
    assert len(late) == 2
    assert {r.reason for r in late} == {"blackhole B"}
    assert not any(r.dropped for r in trace.segments() if r.sent < 5.0)


def test_blackhole_catches_segments_in_flight() -> None:
    net = Network(link=Link(delay=1.0))
    pair(net)
    net.blackhole("B", after=0.5)  # the SYN leaves at 0 and would arrive at 1.0
    trace = net.run(until=0.9)
    assert not trace.segments()[0].dropped
    net.run(until=1.5)
    assert trace.segments()[0].dropped and trace.segments()[0].arrival == 1.0


def test_partition_until_a_time() -> None:
    net = Network()
    pair(net)
    net.partition(until=2.5)
    trace = net.run()
    syns = [(r.sent, r.dropped, r.reason) for r in trace.segments() if r.segment.flags == SYN]
    assert syns == [(0.0, True, "partition"), (1.0, True, "partition"), (3.0, False, "")]
    assert trace.final_states() == {"A": State.ESTABLISHED, "B": State.ESTABLISHED}


def test_partition_between_two_endpoints_spares_the_others() -> None:
    net = Network()
    pair(net)
    c = net.add("C", Connection(50000, 81, iss=500, local_ip="10.0.0.3", remote_ip=B_IP))
    net.add("D", Connection(81, None, iss=700, local_ip=B_IP, remote_ip="10.0.0.3"))
    net.at(0.0, "D", "listen")
    net.at(0.0, "C", "connect")
    net.partition(until=10.0, between=("A", "B"))
    trace = net.run(until=5.0)
    assert c.state is State.ESTABLISHED
    assert trace.states_at(5.0)["A"] is State.SYN_SENT


def test_unreachable_loses_only_what_goes_there() -> None:
    net = Network()
    lst = net.add("B", Listener(80, B_IP, name="B"))
    net.at(0.0, "B", "listen")
    net.unreachable("10.9.9.9")
    net.inject(0.0, Segment(1234, 80, 77, 0, SYN, 1000), ("10.9.9.9", 1234), (B_IP, 80))
    trace = net.run(until=0.5)
    first, answer = trace.segments()
    assert not first.dropped and lst.half_open == 1
    assert answer.dropped and answer.reason == "10.9.9.9 unreachable"


def test_delay_nth_lets_a_later_segment_overtake() -> None:
    net = Network()
    pair(net)
    net.at(1.0, "A", "send", b"first")
    net.at(1.01, "A", "send", b"second")
    net.delay_nth("A", 3, 0.5)  # SYN, ACK, then "first"
    a_data = [r for r in net.run().segments() if r.segment.payload]
    assert [(r.segment.payload, r.arrival) for r in a_data] == [
        (b"first", pytest.approx(1.55)),
        (b"second", pytest.approx(1.06)),
    ]


# -- endpoints and closed ports ---------------------------------------------------------------


def test_a_port_with_nothing_listening_answers_rst() -> None:
    net = Network()
    a = net.add("A", Connection(40000, 81, iss=100, local_ip=A_IP, remote_ip=B_IP))
    net.add("B", Connection(80, None, iss=300, local_ip=B_IP, remote_ip=A_IP))
    net.at(0.0, "B", "listen")
    net.at(0.0, "A", "connect")
    trace = net.run()
    rst = trace.segments()[1]
    assert (rst.src, rst.dst, rst.segment.flags.tcpdump()) == (
        "10.0.0.2:81",
        "10.0.0.1:40000",
        "R.",
    )
    assert (rst.segment.seq, rst.segment.ack) == (0, 101)
    assert a.state is State.CLOSED and trace.final_states()["B"] is State.LISTEN


def test_a_segment_for_another_connection_is_answered_as_by_a_closed_port() -> None:
    net = Network()
    pair(net)
    stray = Segment(40001, 80, 5000, 999, ACK, 1000)  # same host as A, another port
    net.inject(1.0, stray, (A_IP, 40001), (B_IP, 80))
    trace = net.run()
    answer = trace.segments()[-1]
    assert (answer.dst, answer.segment.flags.tcpdump(), answer.segment.seq) == (
        "10.0.0.1:40001",
        "R",
        999,  # <SEQ=SEG.ACK><CTL=RST>
    )
    assert trace.final_states() == {"A": State.ESTABLISHED, "B": State.ESTABLISHED}


def test_ipv6_addresses_are_bracketed() -> None:
    net = Network()
    net.add("A", Connection(40000, 80, iss=1, local_ip="2001:db8::1", remote_ip="2001:db8::2"))
    net.add("B", Connection(80, None, iss=2, local_ip="2001:db8::2", remote_ip="2001:db8::1"))
    net.at(0.0, "B", "listen")
    net.at(0.0, "A", "connect")
    first = net.run().segments()[0].to_json()
    assert (first["src"], first["dst"]) == ("[2001:db8::1]:40000", "[2001:db8::2]:80")
    assert first["states"] == {
        "[2001:db8::1]:40000": "SYN-SENT",
        "[2001:db8::2]:80": "SYN-RECEIVED",
    }


def test_names_and_addresses_are_unique() -> None:
    net = Network()
    pair(net)
    with pytest.raises(SimulationError, match="already on the network"):
        net.add("A", Connection(1, 2, local_ip="10.0.0.9"))
    with pytest.raises(SimulationError, match=r"10\.0\.0\.1:40000 is already A's"):
        net.add("C", Connection(40000, 2, local_ip=A_IP))


# -- the loop -------------------------------------------------------------------------------------


def test_a_refused_call_becomes_an_error_event() -> None:
    net = Network()
    pair(net)
    # B listens with no remote port: RFC 9293 3.10.2, "error: remote socket unspecified".
    net.at(0.0, "B", "send", b"too early")
    net.at(5.0, "A", "close")
    net.at(5.0, "A", "close")
    trace = net.run(until=6.0)
    errors = trace.events_of("error")
    assert [e.endpoint for e in errors] == ["B"]
    assert "remote socket unspecified" in errors[0].text and "LISTEN" in errors[0].text


def test_a_callable_action_is_collected_like_a_named_one() -> None:
    net = Network()
    a, _ = pair(net)
    net.at(1.0, lambda: a.close(1.0))
    trace = net.run()
    assert next(r.sent for r in trace.segments() if r.segment.flags & FIN) == 1.0


def test_scheduling_in_the_past_is_refused() -> None:
    net = Network()
    pair(net)
    net.run(until=3.0)
    assert net.now == 3.0
    with pytest.raises(SimulationError, match=r"already at 3\.0"):
        net.at(2.0, "A", "close")


def test_runaway_loops_hit_the_step_cap() -> None:
    net = Network(max_steps=200)
    pair(net, keepalive=True, keepalive_idle=1.0, keepalive_interval=1.0, keepalive_probes=3)
    with pytest.raises(SimulationError, match=r"more than 200 steps.*until"):
        net.run()
    net2 = Network(max_steps=200)
    pair(net2, keepalive=True, keepalive_idle=1.0, keepalive_interval=1.0, keepalive_probes=3)
    trace = net2.run(until=10.0)  # about 40 steps: fine
    assert trace.final_states() == {"A": State.ESTABLISHED, "B": State.ESTABLISHED}


def test_states_at_follows_the_timelines() -> None:
    net = Network()
    pair(net)
    trace = net.run()
    assert trace.states_at(0.0) == {"A": State.SYN_SENT, "B": State.LISTEN}
    assert trace.states_at(0.07) == {"A": State.SYN_SENT, "B": State.SYN_RECEIVED}
    assert trace.states_at(0.12) == {"A": State.ESTABLISHED, "B": State.SYN_RECEIVED}


# -- the listener ---------------------------------------------------------------------------------


def test_listener_accepts_one_connection_per_remote() -> None:
    net = Network()
    lst = net.add("B", Listener(80, B_IP, name="B", iss=300))
    for i, ip in enumerate(["10.0.0.1", "10.0.0.3"]):
        net.add(f"C{i}", Connection(40000, 80, iss=100, local_ip=ip, remote_ip=B_IP))
        net.at(0.0, f"C{i}", "connect")
    net.at(0.0, "B", "listen")
    trace = net.run()
    first, second = lst.accept(), lst.accept()
    assert first is not None and second is not None and lst.accept() is None
    assert (first.remote_ip, second.remote_ip) == ("10.0.0.1", "10.0.0.3")
    assert first.state is State.ESTABLISHED and first.tcb.irs.value == 100
    assert set(trace.parent) == {"B[10.0.0.1:40000]", "B[10.0.0.3:40000]"}


def test_listener_drops_syns_beyond_its_backlog() -> None:
    net = Network()
    lst = net.add("B", Listener(80, B_IP, name="B", backlog=2))
    net.at(0.0, "B", "listen")
    for i in range(3):
        ip = f"10.9.0.{i + 1}"
        net.unreachable(ip)
        net.inject(0.0, Segment(2000, 80, i, 0, SYN, 1000), (ip, 2000), (B_IP, 80))
    trace = net.run(until=0.5)
    assert lst.half_open == 2
    assert [r.dropped for r in trace.segments() if r.segment.flags == SYN] == [False, False, True]
    assert [e.text for e in trace.events_of("drop")] == ["listen backlog full (2)"]


def test_listener_forgets_children_that_time_out() -> None:
    net = Network(profile="linux")
    lst = net.add("B", Listener(80, B_IP, name="B", backlog=1, profile="linux"))
    net.at(0.0, "B", "listen")
    net.unreachable("10.9.0.1")
    net.inject(0.0, Segment(2000, 80, 1, 0, SYN, 1000), ("10.9.0.1", 2000), (B_IP, 80))
    net.inject(70.0, Segment(2001, 80, 1, 0, SYN, 1000), ("10.9.0.1", 2001), (B_IP, 80))
    net.run(until=80.0)
    # The first child gave up after 5 SYN+ACK retries, at 63.05; the second took its place.
    assert list(lst.children) == [("10.9.0.1", 2001)]


def test_listener_answers_a_stray_ack_with_rst() -> None:
    net = Network()
    net.add("B", Listener(80, B_IP, name="B"))
    net.at(0.0, "B", "listen")
    net.inject(0.0, Segment(3000, 80, 10, 4242, ACK, 1000), (A_IP, 3000), (B_IP, 80))
    trace = net.run()
    rst = trace.segments()[1]
    assert (rst.segment.flags.tcpdump(), rst.segment.seq) == ("R", 4242)  # RFC 9293 3.10.7.2
    assert not trace.parent  # no child for it


def test_listener_needs_a_positive_backlog() -> None:
    with pytest.raises(ValueError, match="backlog"):
        Listener(80, backlog=0)


def test_the_closed_port_responder_runs_under_the_networks_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A segment for no connection is answered by a CLOSED connection with the network's Profile."""
    import dataclasses

    import tcpcore.sim.network as network
    from tcpcore.protocol.profiles import LINUX

    mine = dataclasses.replace(LINUX, name="linux-custom", time_wait=7.0)
    made: list[object] = []

    class Recorded(Connection):
        def __post_init__(self) -> None:
            super().__post_init__()
            made.append(self.profile)

    monkeypatch.setattr(network, "Connection", Recorded)
    net = Network(profile=mine)
    assert net.profile is mine and net.trace.profile == "linux-custom"
    a = Connection(40000, 81, iss=100, local_ip=A_IP, remote_ip=B_IP, profile=mine)
    net.add("A", a)
    net.host("B", B_IP)
    net.at(0.0, "A", "connect")
    trace = net.run()
    assert made == [mine]  # the responder, built once, for the SYN to port 81
    assert flags_of(trace) == ["S", "R."] and a.error == "ECONNREFUSED"


def test_signals_are_named_from_the_event_class() -> None:
    """Each event class a connection emits becomes its signal text in the trace."""
    net = Network()
    pair(net)
    net.at(1.0, "A", "close")
    net.at(2.0, "B", "close")
    trace = net.run()
    texts = [e.text for e in trace.events_of("signal", "A")]
    assert texts[:2] == ["connected", "peer closed (FIN received)"]
    assert texts[-1] == "closed"
