"""tcpcore._fast.maker builds the same frozen values as the classes, without their __init__."""

from __future__ import annotations

import pickle

import pytest

from tcpcore._fast import maker
from tcpcore.connection import Step
from tcpcore.flags import Flags
from tcpcore.options import MSS
from tcpcore.rules import Verdict
from tcpcore.segment import Segment
from tcpcore.states import State
from tcpcore.table import Trigger, lookup


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
