"""The hot path's short cuts give what the plain code gives: _fast.maker, values for Seqs."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcpcore.protocol import events as ev
from tcpcore.protocol.connection import Step
from tcpcore.protocol.rules import Verdict, acceptable, in_window
from tcpcore.protocol.states import State
from tcpcore.protocol.table import Trigger, lookup
from tcpcore.protocol.tcb import TCB
from tcpcore.wire._fast import maker
from tcpcore.wire.flags import Flags
from tcpcore.wire.options import MSS
from tcpcore.wire.segment import Segment
from tcpcore.wire.seq import Seq


def test_a_made_segment_equals_one_built_by_the_class() -> None:
    """Every field lands in its own slot: equal, same hash, same encoding, still frozen."""
    made = maker(Segment)(1, 2, 3, 4, Flags.SYN, 5, 0, (MSS(1460),), b"hi", 0, None, b"")
    built = Segment(1, 2, 3, 4, Flags.SYN, 5, 0, (MSS(1460),), b"hi")
    assert made == built and hash(made) == hash(built) and made.encode() == built.encode()
    assert pickle.loads(pickle.dumps(made)) == built
    with pytest.raises(AttributeError):
        made.seq = 9  # type: ignore[misc]


def test_defaults_may_be_left_out_as_with_the_class() -> None:
    """A field with a plain default takes it when not given, positionally or by keyword."""
    seg = Segment(1, 2)
    make = maker(Verdict)
    assert make(Trigger.ACK, seg) == Verdict(Trigger.ACK, seg)
    assert make(Trigger.ACK, seg, why="x") == Verdict(Trigger.ACK, seg, why="x")
    row = lookup(State.CLOSED, Trigger.OPEN_ACTIVE)
    step = (1.0, State.CLOSED, Trigger.OPEN_ACTIVE, row)
    assert maker(Step)(*step) == Step(*step)


def test_an_inherited_field_lands_in_the_base_class_slot() -> None:
    """An event's ``time`` (declared on Event) is filled too: equal to the class's, frozen."""
    args = (2.5, State.SYN_SENT, State.ESTABLISHED, Trigger.SYN_ACK, "3.10.7.3")
    made = maker(ev.StateChanged)(*args)
    assert made == ev.StateChanged(*args) and made.time == 2.5
    assert maker(ev.DataReceived)(1.0, b"x") == ev.DataReceived(1.0, b"x")
    with pytest.raises(AttributeError):
        made.time = 3.0  # type: ignore[misc]


@settings(max_examples=1000, deadline=None)
@given(
    nxt=st.integers(0, 2**32 - 1),
    wnd=st.sampled_from([0, 1, 1000, 65535, 2**30]),
    length=st.sampled_from([0, 1, 2, 999, 1000, 1001, 3000]),
    base=st.sampled_from(["rcv_nxt", "window end", "half", "before by length", "anywhere"]),
    delta=st.integers(-3, 3),
    anywhere=st.integers(0, 2**32 - 1),
)
def test_acceptable_on_values_agrees_with_table_6_on_seqs(
    nxt: int, wnd: int, length: int, base: str, delta: int, anywhere: int
) -> None:
    """rules.acceptable (on 32-bit values) answers as Table 6 written with Seq and in_window."""
    start = {
        "rcv_nxt": nxt,
        "window end": nxt + wnd,
        "half": nxt + 2**31,
        "before by length": nxt - length,
        "anywhere": anywhere,
    }[base]
    seq = (start + delta) % 2**32  # the edges of the window, of the circle, and of the segment
    tcb = TCB(rcv_nxt=Seq(nxt), rcv_wnd=wnd)
    seg = Segment(1, 2, seq, 0, Flags.ACK, 0, payload=b"x" * length)
    first = Seq(seq)
    if length == 0:
        want = in_window(tcb, first)
    else:
        want = wnd > 0 and (in_window(tcb, first) or in_window(tcb, first + (length - 1)))
    assert acceptable(tcb, seg) == want
