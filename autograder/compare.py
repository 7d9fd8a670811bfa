"""How a graded cell asks, compares, scores and explains.

A :class:`Check` (one per autograded test cell; the course's are in :mod:`autograder.checks`)
asks the student's process questions through an :class:`~autograder.sandbox.Answerer` and compares
each answer with the reference's, from :mod:`autograder.keys`. It never runs student code itself.

Scoring is partial, per transition group: a cell covers one group (the LISTEN rows, the
simultaneous-close rows, the generated handshake traces...), and earns ``points * right / asked``,
rounded to hundredths. The feedback names the first divergence in the RFC's words, e.g.
"in FIN-WAIT-1, on FIN+ACK acknowledging your FIN (FIN_ACK_OF_FIN), you returned
['CLOSING', 'ACK']; the reference goes to TIME-WAIT and sends ACK, RFC 9293 3.10.7.4 eighth step".

Seeds: checks marked ``personal`` derive their cases from the student's id (:func:`seed_for`), so
that two students get different segments, ISNs and losses; ``python -m autograder check`` uses
seed 0 and, for written-down predictions, checks only their form.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tcpcore.states import State
from tcpcore.table import Trigger

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

    @property
    def score(self) -> float:
        if not self.asked:
            return 0.0
        return round(self.points * self.right / self.asked, 2)

    def feedback(self) -> str:
        head = (
            f"{self.title}: {self.right}/{self.asked} right, "
            f"{self.score:g} of {self.points:g} points."
        )
        if not self.first:
            return head + " All agree with the reference."
        text = f"{head}\nFirst divergence: {self.first}"
        if self.detail:
            text += "\n" + self.detail
        return text


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

    def run(self, answerer: Answerer, seed: int = 0, reveal: bool = True) -> Outcome:
        out = Outcome(self.grade_id, self.title, self.points)
        if self.kind == "cases":
            _run_cases(self, answerer, self.make(seed), out)
        elif self.kind == "traces":
            _run_traces(self, answerer, self.make(seed), out)
        else:
            _run_value(self, answerer, self.make(seed), out, reveal)
        return out


def _run_cases(check: Check, answerer: Answerer, cases: Sequence[Case], out: Outcome) -> None:
    for case in cases:
        got = answerer.call(check.target, *case.args)
        ok = got.ok and normal(got.value) == normal(case.expected)
        out.asked += 1
        out.right += ok
        out.items[case.key] = ok
        if not ok and not out.first:
            verb = "returned" if got.ok else "raised"
            what = repr(got.value) if got.ok else got.error
            out.first = f"{case.label}, you {verb} {what}; {case.reference}."


def _run_value(check: Check, answerer: Answerer, expected: Any, out: Outcome, reveal: bool) -> None:
    got = answerer.get(check.target)
    want = list(expected)
    out.asked = len(want)
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
    for i, w in enumerate(want):
        g = value[i] if i < len(value) else None
        ok = normal(g) == normal(w)
        out.right += ok
        out.items[f"{check.target}[{i}]"] = ok
        if not ok and not out.first:
            out.first = f"{check.target}[{i}]: you wrote {g!r}; the reference has {w!r}"
    if len(value) > len(want) and not out.first:
        out.first = f"{check.target} has {len(value) - len(want)} entries too many"
        out.right = max(0, out.right - (len(value) - len(want)))


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
    for trace in scenarios:
        out.asked += 1
        bad = ""
        lines: list[str] = []
        for who, history in trace.endpoints():
            for i, step in enumerate(history):
                if not check.scope(step.state, step.trigger):
                    continue
                want = keys.TableCase(step.state, step.trigger, step.row).expected
                got = answerer.call(check.target, step.state.value, step.trigger.name)
                ok = got.ok and normal(got.value) == normal(want)
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


def _pair(want: list[Any]) -> str:
    return f"{want[0]}, {want[1] or '-'}"


def _goes(row: Any, state: State | None = None) -> str:
    verb = "stays in" if row.next is state else "goes to"
    text = f"{verb} {row.next}"
    sent = keys.reply(row)
    return text + (f" and sends {sent}" if sent else " and sends nothing")
