"""How a graded cell asks, compares, scores and explains.

A :class:`Check` (one per autograded test cell; the course's are in :mod:`autograder.checks`)
asks the student's process questions through an :class:`~autograder.sandbox.Answerer` and compares
each answer with the reference's, from :mod:`autograder.keys`. It never runs student code itself.

Scoring is partial, per group: a cell covers one group (the LISTEN rows, the simultaneous-close
rows, the generated handshake traces...), and its credit measures how much of the group the
student's answers *tell apart*, not how many happen to match (:func:`skill`):

* **balanced**: every distinct right answer (True or False; each (state, reply) pair) weighs the
  same, however many cases share it, so the common answer is worth no more than the rare one;
* **above what ignores the input**: credit is only for the part of that balanced accuracy above
  the best a function could get that ignores the input the exercise is about: one fixed answer
  (``return True``), or, for the state machines, one answer per state whatever the event
  (``return (state, None)``). Each case names its *stratum*: the part of the input such a function
  may look at (the state; for Table 6 its row; none for a plain function). A constant, or a
  function right only on the majority answer, earns exactly nothing; a realistic mistake loses
  the cases it gets wrong and a little more (the baseline's share).

Generated traces are scored the same way: passed traces, above the most that one
event-ignoring machine passes. And a function must show, over all its cases (a state machine's
every row), that its answers follow the input more than a die's would (:func:`informed`): else
none of its cells earns anything.

The points in the notebooks (and :mod:`autograder.checks`) weigh the groups against each other;
the comments there say why.

The feedback names the first divergence in the RFC's words, e.g.
"in FIN-WAIT-1, on FIN+ACK acknowledging your FIN (FIN_ACK_OF_FIN), you returned
['CLOSING', 'ACK']; the reference goes to TIME-WAIT and sends ACK, RFC 9293 3.10.7.4 eighth step".

Seeds: checks marked ``personal`` derive their cases from the student's id (:func:`seed_for`), so
that two students get different segments, ISNs and losses; ``python -m autograder check`` uses
seed 0 and, for written-down predictions, checks only their form.
"""

from __future__ import annotations

import itertools
import json
import weakref
import zlib
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tcpcore.protocol.states import State
from tcpcore.protocol.table import Trigger

from . import keys, traces
from .sandbox import Answer, Answerer


def seed_for(student: str) -> int:
    """A stable seed from a student id (the same on every machine and every run)."""
    return zlib.crc32(student.encode()) if student else 0


# -- results ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """How one graded cell went: score, counts, the first divergence and per-item results."""

    grade_id: str
    title: str
    points: float
    right: int = 0
    asked: int = 0
    first: str = ""  # the first divergence, one sentence
    detail: str = ""  # optional side-by-side table
    items: dict[str, bool] = field(default_factory=dict)  # item key -> right (for the report)
    credit: float | None = None  # share of the points earned (:func:`skill`); None: right/asked

    @property
    def score(self) -> float:
        if not self.asked:
            return 0.0
        share = self.right / self.asked if self.credit is None else self.credit
        score = round(self.points * share, 2)
        # Rounding never hides a difference: some credit is never 0, a mistake never full marks.
        if 0 < share < 1:
            score = min(max(score, 0.01), self.points - 0.01)
        return round(score, 2)

    def feedback(self) -> str:
        head = (
            f"{self.title}: {self.right}/{self.asked} right, "
            f"{self.score:g} of {self.points:g} points."
        )
        if not self.first:
            return head + " All agree with the reference."
        text = f"{head}\nFirst divergence: {self.first}"
        if self.right and not self.score:
            text += "\n" + NO_SKILL
        if self.detail:
            text += "\n" + self.detail
        return text


NO_SKILL = (
    "No credit: answers that ignore the input (one fixed answer, one per state whatever the "
    "event, or a coin) would be right as often; credit counts what your answers tell apart."
)


LUCK = 3.0  # how many standard deviations of a coin's luck a True/False group must beat
INFORMED = 4.0  # ... and of a die's luck a whole function must beat (see informed())


def skill(items: Iterable[tuple[Hashable, Hashable, bool]]) -> float:
    """The share of a group's points earned: (stratum, expected answer, right?) per case.

    Balanced accuracy (each distinct expected answer weighs 1/k, shared among its cases), rescaled
    so that the best function that sees only the stratum (one answer per stratum) scores 0 and a
    perfect one 1; below that baseline is 0. Where every answer is True or False, a coin tossed
    for each case is also a way to ignore the input: the baseline is then at least what a coin
    reaches by luck (its mean, 1/2, plus :data:`LUCK` standard deviations), so that random answers
    earn nothing either. A group whose cases one answer per stratum could all answer (the
    baseline is 1) has nothing to tell apart: it falls back to right/asked.
    """
    cases = list(items)
    if not cases:
        return 0.0
    if all(ok for *_, ok in cases):
        return 1.0
    sizes: dict[Hashable, int] = defaultdict(int)
    for _, expected, _ in cases:
        sizes[expected] += 1
    weight = {e: 1 / (len(sizes) * n) for e, n in sizes.items()}
    got = sum(weight[e] for _, e, ok in cases if ok)
    per: dict[Hashable, dict[Hashable, float]] = defaultdict(lambda: defaultdict(float))
    for stratum, expected, _ in cases:
        per[stratum][expected] += weight[expected]
    base = sum(max(answers.values()) for answers in per.values())
    if base > 1 - 1e-9:
        return sum(ok for *_, ok in cases) / len(cases)
    if set(sizes) <= {"true", "false"}:
        coin = 0.5 + LUCK * 0.5 * sum(weight[e] ** 2 for _, e, _ in cases) ** 0.5
        base = max(base, coin)
    if got <= base + 1e-9:  # at or below the baseline (sums of fractions are not exact)
        return 0.0
    return min(1.0, (got - base) / (1 - base))


def answer_key(value: Any) -> str:
    """A hashable spelling of an answer, as compared (see :func:`normal`)."""
    return json.dumps(normal(value), sort_keys=True, default=repr)


def same(got: Any, want: Any) -> bool:
    """The student's answer equals the reference's, leniently (:func:`normal`), except that
    True and False are not the numbers 1 and 0 (``flag_byte`` returning True is not 0x01)."""
    if isinstance(got, bool) and not isinstance(want, bool):
        return False
    if isinstance(got, list | tuple) and isinstance(want, list | tuple):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want, strict=True))
    return bool(normal(got) == normal(want))


def normal(value: Any) -> Any:
    """Compare leniently where spelling is not the lesson: case, '_' for '-', tuple for list."""
    if isinstance(value, str):
        return value.strip().upper().replace("_", "-")
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    return value


def shown(answer: Answer) -> str:
    return repr(answer.value) if answer.ok else f"an error ({answer.error})"


# -- checks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One question and the reference's answer, with the words to explain a divergence."""

    key: str  # stable id for the class report, e.g. "FIN-WAIT-1 / FIN_ACK_OF_FIN"
    label: str  # "in FIN-WAIT-1, on FIN+ACK acknowledging your FIN (FIN_ACK_OF_FIN)"
    args: tuple[Any, ...]
    expected: Any
    reference: str  # "the reference goes to TIME-WAIT and sends ACK, RFC 9293 ..."
    stratum: str = ""  # what an input-ignoring answer may still see (the state); see skill()


@dataclass(frozen=True)
class Check:
    """One autograded cell: which function or variable, how to ask, how many points."""

    grade_id: str
    assignment: str
    title: str
    points: float
    target: str  # the student's function (or, for kind "value", variable)
    kind: str  # "cases", "traces" or "value"
    make: Callable[[int], Any]  # seed -> the cases, traces or expected value
    personal: bool = False  # cases depend on the student
    scope: Callable[[State, Trigger], bool] | None = None  # traces: which steps to ask
    prelude: Callable[[int], str] | None = None  # seed -> code run before the student's
    why: Callable[[int], list[str]] | None = None  # value: seed -> each entry's RFC reason
    whole: Callable[[int], Sequence[Case]] | None = None  # the target's every case (informed())

    def run(self, answerer: Answerer, seed: int = 0, reveal: bool = True) -> Outcome:
        out = Outcome(self.grade_id, self.title, self.points)
        if self.kind == "cases":
            _run_cases(self, answerer, self.make(seed), out)
        elif self.kind == "traces":
            _run_traces(self, answerer, self.make(seed), out)
        else:
            _run_value(self, answerer, self.make(seed), out, reveal, seed)
            return out
        # Asked after the cell's own questions, so that a question that hangs elsewhere in the
        # function costs this cell nothing; answers are remembered, so each is asked once.
        cases = self.whole(seed) if self.whole else self.make(seed)
        if out.credit and not informed(self.target, answerer, cases):
            out.credit = 0.0
        return out


_ASKED: weakref.WeakKeyDictionary[Any, dict[str, Answer]] = weakref.WeakKeyDictionary()


def ask(answerer: Answerer, target: str, *args: Any) -> Answer:
    """The student's answer to one question, asked of their process once per answerer."""
    memo = _ASKED.setdefault(answerer, {})
    key = json.dumps([target, [a.hex() if isinstance(a, bytes) else a for a in args]])
    if key not in memo:
        memo[key] = answerer.call(target, *args)
    return memo[key]


def informed(target: str, answerer: Answerer, cases: Sequence[Case]) -> bool:
    """Do the function's answers, over all its cases, depend on what they should depend on?

    The null hypothesis is that they do not: that in each stratum the student's answers are
    drawn, whatever the case, from the answers they gave there (a die, weighted as they weighted
    it). Their balanced accuracy must beat that draw's mean by :data:`INFORMED` standard
    deviations (four, not three: strata are small, and the normal approximation flatters a die).
    Pooled over the whole function, the test tells a student with a few wrong rows (far above)
    from a lucky die, which a group of four rows alone could not; every group of the function
    earns nothing when it fails.
    """
    given: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = []
    for case in cases:
        got = ask(answerer, target, *case.args)
        want = answer_key(case.expected)
        if got.ok and same(got.value, case.expected):
            mine = want
        else:
            mine = answer_key(got.value) if got.ok else "(an error)"
        given[case.stratum][mine] += 1
        rows.append((case.stratum, want, mine))
    if all(want == mine for _, want, mine in rows):
        return True
    sizes: dict[str, int] = defaultdict(int)
    for _, want, _ in rows:
        sizes[want] += 1
    weight = {e: 1 / (len(sizes) * n) for e, n in sizes.items()}
    n_in = {s: sum(counts.values()) for s, counts in given.items()}
    got = mean = var = 0.0
    for stratum, want, mine in rows:
        p = given[stratum].get(want, 0) / n_in[stratum]
        got += weight[want] * (want == mine)
        mean += weight[want] * p
        var += weight[want] ** 2 * p * (1 - p)
    return got > mean + INFORMED * var**0.5 + 1e-9


def _run_cases(check: Check, answerer: Answerer, cases: Sequence[Case], out: Outcome) -> None:
    scored = []
    for case in cases:
        got = ask(answerer, check.target, *case.args)
        ok = got.ok and same(got.value, case.expected)
        out.asked += 1
        out.right += ok
        out.items[case.key] = ok
        scored.append((case.stratum, answer_key(case.expected), ok))
        if not ok and not out.first:
            verb = "returned" if got.ok else "raised"
            what = repr(got.value) if got.ok else got.error
            out.first = f"{case.label}, you {verb} {what}; {case.reference}."
    out.credit = skill(scored)


def _run_value(
    check: Check, answerer: Answerer, expected: Any, out: Outcome, reveal: bool, seed: int
) -> None:
    """A written-down prediction, entry by entry (and, for [flags, seq, ack] entries, field by
    field: a list of one entry repeated tells nothing apart and earns nothing)."""
    got = answerer.get(check.target)
    want = list(expected)
    out.asked = len(want)
    out.credit = 0.0
    if not got.ok:
        out.first = f"{check.target}: {got.error}"
        return
    value = got.value
    if not isinstance(value, list):
        out.first = f"{check.target} should be a list, not {type(value).__name__}"
        return
    if not reveal:
        # Self-check without the answer key: only the form is checked, and no points given.
        form = _form_problem(value, want)
        out.first = form or "(well formed; it is scored when graded)"
        out.asked = 0
        return
    why = check.why(seed) if check.why else []
    scored: list[tuple[Hashable, Hashable, bool]] = []
    for i, w in enumerate(want):
        g = value[i] if i < len(value) else None
        ok = same(g, w)
        out.right += ok
        out.items[f"{check.target}[{i}]"] = ok
        fields = w if isinstance(w, list) else [w]
        for j, f in enumerate(fields):
            if isinstance(w, list):
                fits = isinstance(g, list) and len(g) == len(w)
                right = fits and same(g[j], f)
            else:
                right = ok
            scored.append((j, answer_key(f), right))
        if not ok and not out.first:
            reason = f" ({why[i]})" if i < len(why) else ""
            wrote = f"you wrote {g!r}" if i < len(value) else "your list ends before it"
            out.first = f"{check.target}[{i}]: {wrote}; the reference has {w!r}{reason}"
    for i in range(len(want), len(value)):
        scored.append((0, f"(no entry {i})", False))
    if len(value) > len(want):
        out.right = max(0, out.right - (len(value) - len(want)))
        if not out.first:
            reason = f" ({why[-1]})" if why else ""
            extra = len(value) - len(want)
            out.first = (
                f"{check.target}[{len(want)}]: you wrote {value[len(want)]!r}, but the "
                f"reference's list ends before it, at {want[-1]!r}{reason}; "
                f"{extra} {'entry' if extra == 1 else 'entries'} too many"
            )
    out.credit = skill(scored)


def _form_problem(value: list[Any], want: list[Any]) -> str:
    names = {s.value for s in State}
    for i, v in enumerate(value):
        if isinstance(want[0], str) and (not isinstance(v, str) or normal(v) not in names):
            return f"entry {i} ({v!r}) is not a state name such as 'SYN-SENT'"
        if isinstance(want[0], list) and not (isinstance(v, list) and len(v) == len(want[0])):
            return f"entry {i} ({v!r}) should be a list of {len(want[0])} items"
    return ""


def _run_traces(
    check: Check, answerer: Answerer, scenarios: Sequence[traces.Trace], out: Outcome
) -> None:
    assert check.scope is not None
    demands: list[dict[State, set[str]]] = []  # per trace: state -> the answers it needs there
    for trace in scenarios:
        out.asked += 1
        bad = ""
        lines: list[str] = []
        needs: dict[State, set[str]] = defaultdict(set)
        for step in (s for _, history in trace.endpoints() for s in history):
            if check.scope(step.state, step.trigger):
                needs[step.state].add(
                    answer_key(keys.TableCase(step.state, step.trigger, step.row).expected)
                )
        demands.append(needs)
        for who, history in trace.endpoints():
            for i, step in enumerate(history):
                if not check.scope(step.state, step.trigger):
                    continue
                want = keys.TableCase(step.state, step.trigger, step.row).expected
                got = ask(answerer, check.target, step.state.value, step.trigger.name)
                ok = got.ok and same(got.value, want)
                seg = step.segment.label() if step.segment is not None else "-"
                lines.append(
                    f"  {who} {step.time:7.3f}s  {step.state.value:<12} {step.trigger.name:<18} "
                    f"{_pair(want):<24} {shown(got) if not ok else 'same':<26} {seg}"
                )
                if not ok:
                    bad = (
                        f"in the {trace.name} trace ({trace.description}), {who} step {i + 1}: "
                        f"in {step.state}, on {keys.event_text(step.trigger)} "
                        f"({step.trigger.name}), you returned {shown(got)}; the reference "
                        f"{_goes(step.row, step.state)}, {keys.clause_text(step.row)}"
                    )
                    break
            if bad:
                break
        out.items[f"trace: {trace.name}"] = not bad
        if bad:
            if not out.first:
                out.first = bad
                head = (
                    f"  {'who':<3} {'time':>8}  {'state':<12} {'event':<18} "
                    f"{'reference':<24} {'yours':<26} segment"
                )
                out.detail = "Side by side (your machine against the reference):\n" + "\n".join(
                    [head, *lines]
                )
        else:
            out.right += 1
    base = event_blind_passes(demands)
    n = len(demands)
    out.credit = max(0.0, (out.right - base) / (n - base)) if base < n else out.right / max(n, 1)


def event_blind_passes(demands: Sequence[dict[State, set[str]]]) -> int:
    """The most traces one machine that ignores the event (one answer per state) can pass.

    A set of traces is passable by such a machine when no state needs two different answers
    across them; the traces are few (four or five), so every subset is tried.
    """
    best = 0
    for size in range(len(demands), 0, -1):
        for subset in itertools.combinations(demands, size):
            merged: dict[State, set[str]] = defaultdict(set)
            for needs in subset:
                for state, answers in needs.items():
                    merged[state] |= answers
            if all(len(answers) == 1 for answers in merged.values()):
                return size
    return best


def _pair(want: list[Any]) -> str:
    return f"{want[0]}, {want[1] or '-'}"


def _goes(row: Any, state: State | None = None) -> str:
    verb = "stays in" if row.next is state else "goes to"
    text = f"{verb} {row.next}"
    sent = keys.reply(row)
    return text + (f" and sends {sent}" if sent else " and sends nothing")
