"""Seq: sequence numbers on the 2**32 circle (RFC 9293 3.4, RFC 1982)."""

from __future__ import annotations

import copy
import operator
import pickle
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tcpcore import Seq
from tcpcore.wire.seq import between, comparable

MOD = 2**32
HALF = 2**31

u32 = st.integers(0, MOD - 1)
# Signed distances at which the order is defined: |n| < 2**31.
near = st.integers(-(HALF - 1), HALF - 1)
# Any distance on the circle except the undefined one.
defined_distance = st.integers(0, MOD - 1).filter(lambda d: d != HALF)

ORDERINGS: list[Callable[[object, object], bool]] = [
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
]


# A model of Linux's include/net/tcp.h:
#   static inline bool before(__u32 seq1, __u32 seq2) { return (__s32)(seq1 - seq2) < 0; }
#   #define after(seq2, seq1) before(seq1, seq2)
def s32(x: int) -> int:
    x %= MOD
    return x - MOD if x >= HALF else x


def linux_before(a: int, b: int) -> bool:
    return s32(a - b) < 0


def linux_after(a: int, b: int) -> bool:
    return linux_before(b, a)


# -- arithmetic -----------------------------------------------------------------------------------


@given(u32, st.integers(-(2**40), 2**40))
def test_adding_then_subtracting_an_int_gives_back_the_seq(a: int, n: int) -> None:
    assert Seq(a) + n - n == Seq(a)


@given(u32, st.integers(-(2**40), 2**40))
def test_adding_an_int_wraps_modulo_2_32(a: int, n: int) -> None:
    assert (Seq(a) + n).value == (a + n) % MOD
    assert (n + Seq(a)).value == (a + n) % MOD
    assert (Seq(a) - n).value == (a - n) % MOD


@given(u32, near)
def test_seq_minus_seq_is_the_signed_distance(a: int, n: int) -> None:
    assert (Seq(a) + n) - Seq(a) == n
    assert Seq(a) - (Seq(a) + n) == -n


@given(u32, u32)
def test_seq_minus_seq_matches_linux_s32_difference(a: int, b: int) -> None:
    assert Seq(a) - Seq(b) == s32(a - b)


def test_seq_wraps_from_ffffffff_to_0() -> None:
    assert Seq(0xFFFFFFFF) + 1 == Seq(0)
    assert Seq(0) - 1 == Seq(0xFFFFFFFF)
    assert Seq(0) - Seq(0xFFFFFFFF) == 1
    assert Seq(0xFFFFFFFF) - Seq(0) == -1
    assert Seq(MOD + 5) == Seq(5)
    assert Seq(-1) == Seq(0xFFFFFFFF)


@pytest.mark.parametrize(
    "bad",
    [
        lambda: Seq(1) + Seq(2),
        lambda: 5 - Seq(1),
        lambda: Seq(1) + 1.0,
        lambda: Seq(1) + True,
        lambda: Seq(1.0),  # type: ignore[arg-type]
        lambda: Seq(True),
        lambda: Seq("1"),  # type: ignore[arg-type]
    ],
    ids=["seq+seq", "int-seq", "seq+float", "seq+bool", "float", "bool", "str"],
)
def test_meaningless_arithmetic_raises_type_error(bad: Callable[[], object]) -> None:
    with pytest.raises(TypeError):
        bad()


# -- comparison -----------------------------------------------------------------------------------


@given(u32)
@example(0xFFFFFFFF)
@example(0x7FFFFFFF)
def test_seq_is_less_than_its_successor_across_the_wrap(a: int) -> None:
    s = Seq(a)
    assert s < s + 1
    assert s + 1 > s
    assert s <= s + 1
    assert not s + 1 <= s


def test_ffffffff_is_before_0() -> None:
    assert Seq(0xFFFFFFFF) < Seq(0)
    assert Seq(0) > Seq(0xFFFFFFFF)
    assert not Seq(0) < Seq(0xFFFFFFFF)


@given(u32, defined_distance)
def test_less_than_is_antisymmetric(a: int, d: int) -> None:
    x, y = Seq(a), Seq(a + d)
    assert not (x < y and y < x)
    assert (x < y) == (y > x)
    assert (x <= y) == (y >= x)
    assert (x <= y) == (x < y or x == y)
    assert (x >= y) == (x > y or x == y)
    # Two distinct comparable numbers are ordered one way or the other.
    assert (x < y) != (x > y) or x == y


@given(u32, st.integers(1, HALF - 1), st.integers(1, HALF - 1))
def test_less_than_is_transitive_within_half_the_circle(a: int, d1: int, d2: int) -> None:
    x, y, z = Seq(a), Seq(a + d1), Seq(a + d1 + d2)
    assert x < y
    assert y < z
    if d1 + d2 < HALF:
        assert x < z
    elif d1 + d2 > HALF:
        # Round the circle, the order is not transitive: z has come back behind x.
        assert z < x


@given(u32, st.integers(0, MOD - 1))
def test_comparisons_agree_with_linux_before_and_after(a: int, d: int) -> None:
    b = (a + d) % MOD
    x, y = Seq(a), Seq(b)
    if d == HALF:
        # The documented difference: Linux answers "before" both ways, tcpcore neither way.
        assert linux_before(a, b)
        assert linux_before(b, a)
        assert not x < y
        assert not y < x
        return
    assert (x < y) == linux_before(a, b)
    assert (x > y) == linux_after(a, b)
    assert (x <= y) == (not linux_after(a, b))
    assert (x >= y) == (not linux_before(a, b))


@pytest.mark.parametrize("d", [0, 1, 2, HALF - 2, HALF - 1, HALF + 1, HALF + 2, MOD - 2, MOD - 1])
@pytest.mark.parametrize("a", [0, 1, HALF - 1, HALF, MOD - 1])
def test_comparisons_agree_with_linux_at_the_edges(a: int, d: int) -> None:
    b = (a + d) % MOD
    x, y = Seq(a), Seq(b)
    assert (x < y) == linux_before(a, b)
    assert (x > y) == linux_after(a, b)
    assert (x <= y) == (not linux_after(a, b))
    assert (x >= y) == (not linux_before(a, b))
    assert comparable(x, y)


@given(u32)
@example(0)
@example(HALF)
@example(MOD - 1)
def test_numbers_half_the_circle_apart_are_incomparable(a: int) -> None:
    x, y = Seq(a), Seq(a + HALF)
    for lhs, rhs in ((x, y), (y, x)):
        assert not lhs < rhs
        assert not lhs <= rhs
        assert not lhs > rhs
        assert not lhs >= rhs
        assert lhs != rhs
        assert not comparable(lhs, rhs)
        assert lhs - rhs == -HALF


@given(u32, defined_distance)
def test_comparable_everywhere_else(a: int, d: int) -> None:
    assert comparable(Seq(a), Seq(a + d))


@given(u32, st.integers(-(2**33), 2**33))
@pytest.mark.parametrize("op", ORDERINGS, ids=["lt", "le", "gt", "ge"])
def test_ordering_against_an_int_raises_type_error(
    op: Callable[[object, object], bool], a: int, n: int
) -> None:
    with pytest.raises(TypeError):
        op(Seq(a), n)
    with pytest.raises(TypeError):
        op(n, Seq(a))


# -- between --------------------------------------------------------------------------------------


@given(u32, st.integers(0, MOD - 1), st.integers(0, MOD - 1))
def test_between_is_the_window_of_size_high_minus_low(low: int, size: int, k: int) -> None:
    # x is k steps after low; the window [low, low + size) holds exactly steps 0 .. size - 1.
    assert between(Seq(low), Seq(low + k), Seq(low + size)) == (k < size)


@given(u32, u32, st.integers(0, HALF - 1))
def test_between_matches_the_comparisons_for_windows_under_half(
    low: int, x: int, size: int
) -> None:
    lo, xs, hi = Seq(low), Seq(x), Seq(low + size)
    assert between(lo, xs, hi) == (lo <= xs and xs < hi)


@pytest.mark.parametrize(
    ("low", "x", "high", "inside"),
    [
        (100, 100, 200, True),  # the left edge is in
        (100, 199, 200, True),
        (100, 200, 200, False),  # the right edge is out
        (100, 99, 200, False),
        (0xFFFFFFF0, 0xFFFFFFFF, 0x10, True),  # a window across the wrap
        (0xFFFFFFF0, 0, 0x10, True),
        (0xFFFFFFF0, 0x0F, 0x10, True),
        (0xFFFFFFF0, 0x10, 0x10, False),
        (0xFFFFFFF0, 0xFFFFFFEF, 0x10, False),
        (7, 7, 7, False),  # an empty window holds nothing, not even its left edge
        (0, HALF, HALF + 1, True),  # windows may be wider than half the circle
    ],
)
def test_between_known_answers(low: int, x: int, high: int, inside: bool) -> None:
    assert between(Seq(low), Seq(x), Seq(high)) is inside


# -- a value type ---------------------------------------------------------------------------------


@given(u32)
def test_equal_seqs_hash_alike_including_across_the_modulus(a: int) -> None:
    assert Seq(a) == Seq(a + MOD)
    assert hash(Seq(a)) == hash(Seq(a + MOD))
    assert len({Seq(a), Seq(a + MOD), Seq(a) + MOD}) == 1


def test_seq_is_immutable() -> None:
    s = Seq(1)
    with pytest.raises(AttributeError):
        s.value = 2  # type: ignore[misc]
    assert s == Seq(1)


def test_seq_reads_as_its_value() -> None:
    assert int(Seq(7)) == 7
    assert str(Seq(7)) == "7"
    assert repr(Seq(7)) == "Seq(7)"
    assert [10, 20, 30][Seq(1)] == 20
    assert Seq(Seq(5)) == Seq(5)


@dataclass
class _Tcb:
    snd_una: Seq
    snd_nxt: Seq


@pytest.mark.parametrize(
    "clone",
    [copy.copy, copy.deepcopy, lambda x: pickle.loads(pickle.dumps(x))],
    ids=["copy", "deepcopy", "pickle"],
)
def test_seq_survives_copy_deepcopy_and_pickle(clone: Callable[[object], object]) -> None:
    # A TCB full of Seqs is deep-copied by tests and pickled to grading workers.
    assert clone(Seq(0xFFFFFFFF)) == Seq(0xFFFFFFFF)
    tcb = _Tcb(Seq(1), Seq(2))
    assert clone(tcb) == tcb
