"""Property tests: random user calls over random faulty networks, on random seeds.

Whatever the calls and the faults, a run must
* never raise, except CallError for a call this test makes in a state where the RFC refuses it
  (RFC 9293 3.10.1-3.10.5: "error: connection closing", ...), which the test catches;
* only ever apply rows of the transition table, each as ``lookup`` gives it for the profile;
* never send a segment that occupies sequence space outside [ISS, SND.NXT) (RFC 9293 3.3.1:
  the send sequence space), checked as each segment leaves;
* once the network heals (at 10 s, or 400 s so that timeouts happen) and both users close ten
  seconds later, end with both sides CLOSED (TIME-WAIT expired) when run until nothing is
  pending. Keepalive is on, as RFC 1122 4.2.3.6 suggests for exactly this: a FIN-WAIT-2 whose
  peer vanished is otherwise kept forever.

Bounded so that the file runs in well under a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcpcore.protocol.connection import Connection
from tcpcore.protocol.profiles import get_profile
from tcpcore.protocol.states import State
from tcpcore.protocol.table import TABLE, CallError, lookup
from tcpcore.sim.network import Link, Network
from tcpcore.wire.flags import Flags
from tcpcore.wire.segment import Segment
from tcpcore.wire.seq import Seq

KEEPALIVE = {"keepalive": True, "keepalive_idle": 30.0, "keepalive_interval": 5.0}


class Checked(Connection):
    """A Connection whose every outgoing segment is checked against its send sequence space."""

    def pop_segments(self) -> list[Segment]:
        segs = super().pop_segments()
        t = self.tcb
        for seg in segs:
            if seg.seg_len and not seg.flags & Flags.RST:
                start = Seq(seg.seq)
                assert start - t.iss >= 0, f"{self.name}: seq {seg.seq} before ISS {t.iss}"
                assert (start + seg.seg_len) - t.snd_nxt <= 0, (
                    f"{self.name}: {seg.label()} ends beyond SND.NXT {t.snd_nxt}"
                )
        return segs


@dataclass(frozen=True)
class Call:
    time: float
    who: str
    what: str
    data: bytes = b""


@dataclass(frozen=True)
class Stray:
    """A segment injected with one end's address, as an old duplicate or an attacker would."""

    time: float
    to_b: bool
    flags: int
    seq_offset: int  # from the sender's ISS (100 for A, 300 for B)
    ack_offset: int  # from the receiver's ISS
    payload: bytes


calls = st.builds(
    Call,
    time=st.floats(0.0, 9.0, allow_nan=False).map(lambda x: round(x, 3)),
    who=st.sampled_from("AB"),
    what=st.sampled_from(["send", "send", "close", "shutdown", "abort", "read", "connect"]),
    data=st.binary(min_size=1, max_size=4000),
)
strays = st.builds(
    Stray,
    time=st.floats(0.0, 9.0, allow_nan=False).map(lambda x: round(x, 3)),
    to_b=st.booleans(),
    # No data and no FIN: an injected segment that the receiver accepts as text puts it ahead of
    # the real sender, and RFC 9293's rules then make the two ends trade ACKs until a timeout
    # (an ACK war; RFC 5961 and Errata 4772 suggest throttling). That takes too long here.
    flags=st.sampled_from([0x02, 0x12, 0x10, 0x04, 0x14, 0x00]),
    seq_offset=st.one_of(st.integers(-3, 3), st.integers(-70000, 70000)),
    ack_offset=st.one_of(st.integers(-3, 3), st.integers(-70000, 70000)),
    payload=st.just(b""),
)
links = st.builds(
    Link,
    delay=st.sampled_from([0.01, 0.05, 0.2]),
    jitter=st.sampled_from([0.0, 0.03, 0.3]),
    loss=st.sampled_from([0.0, 0.1, 0.3, 1.0]),
    duplicate=st.sampled_from([0.0, 0.1]),
    reorder=st.sampled_from([0.0, 0.2]),
)
faults = st.lists(
    st.tuples(st.sampled_from("AB"), st.integers(1, 10)), max_size=3
)  # (endpoint, nth segment to drop)


@dataclass(frozen=True)
class Plan:
    seed: int
    profile: str
    link: Link
    calls: list[Call]
    strays: list[Stray]
    drops: list[tuple[str, int]]
    heal_at: float
    auto_read: bool


plans = st.builds(
    Plan,
    seed=st.integers(0, 2**32 - 1),
    profile=st.sampled_from(["rfc9293", "linux"]),
    link=links,
    calls=st.lists(calls, max_size=8),
    strays=st.lists(strays, max_size=4),
    drops=faults,
    heal_at=st.sampled_from([10.0, 10.0, 400.0]),  # late: timeouts and keepalive give up
    auto_read=st.booleans(),
)


def call(conn: Connection, what: str, data: bytes, now: float) -> None:
    """A user call; a refusal by the RFC is the only exception this test expects."""
    try:
        if what == "send":
            conn.send(data, now)
        elif what == "read":
            conn.read(len(data))
        elif what == "connect":
            conn.connect(now, remote_port=40000 if conn.name == "B" else None)
        else:
            getattr(conn, what)(now)
    except CallError:
        pass


def build(plan: Plan) -> tuple[Network, Connection, Connection]:
    net = Network(plan.seed, profile=plan.profile, link=plan.link)
    common: dict[str, Any] = {**KEEPALIVE, "auto_read": plan.auto_read}
    a = Checked(40000, 80, plan.profile, iss=100, name="A", local_ip="10.0.0.1", **common)
    b = Checked(80, None, plan.profile, iss=300, name="B", local_ip="10.0.0.2", **common)
    a.remote_ip, b.remote_ip = "10.0.0.2", "10.0.0.1"
    net.add("A", a)
    net.add("B", b)
    conns = {"A": a, "B": b}
    net.at(0.0, lambda: call(b, "listen", b"", 0.0))
    net.at(0.0, lambda: call(a, "connect", b"", 0.0))
    for c in plan.calls:
        net.at(c.time, lambda c=c: call(conns[c.who], c.what, c.data, c.time))
    for x in plan.strays:
        src, dst = (("10.0.0.1", 40000), ("10.0.0.2", 80))[:: 1 if x.to_b else -1]
        seq = ((100 if x.to_b else 300) + x.seq_offset) % 2**32
        ack = ((300 if x.to_b else 100) + x.ack_offset) % 2**32
        seg = Segment(src[1], dst[1], seq, ack, Flags(x.flags), 1000, payload=x.payload)
        net.inject(x.time, seg, src, dst, note="stray")
    for who, nth in plan.drops:
        net.drop_nth(who, nth)
    close_at = plan.heal_at + 10.0
    net.at(plan.heal_at, net.heal)
    for who in "AB":
        net.at(close_at, lambda who=who: call(conns[who], "close", b"", close_at))
    return net, a, b


def check_history(conn: Connection, profile: str) -> None:
    prof = get_profile(profile)
    for step in conn.history:
        assert (step.state, step.trigger) in TABLE, (step.state, step.trigger)
        assert step.row == lookup(step.state, step.trigger, prof)


SETTINGS: dict[str, Any] = {
    "max_examples": 400,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
}


@settings(**SETTINGS)
@given(plan=plans)
def test_random_calls_on_a_faulty_network(plan: Plan) -> None:
    net, a, b = build(plan)
    trace = net.run()
    for conn in (a, b):
        check_history(conn, plan.profile)
        assert conn.state is State.CLOSED, trace.ladder_text()
        assert conn.next_deadline() is None
    assert trace.final_states() == {"A": State.CLOSED, "B": State.CLOSED}
    for rec in trace.segments():
        assert rec.arrival is not None and rec.arrival >= rec.sent
    for line in trace.timelines.values():
        assert [t for t, _ in line] == sorted(t for t, _ in line)


@settings(**{**SETTINGS, "max_examples": 25})
@given(plan=plans)
def test_the_same_inputs_give_the_same_trace(plan: Plan) -> None:
    assert build(plan)[0].run().to_json_lines() == build(plan)[0].run().to_json_lines()
