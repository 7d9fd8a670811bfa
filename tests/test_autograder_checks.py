"""The grader's expectations come from tcpcore, and its feedback names the first divergence.

These tests ask the checks directly with an in-process stand-in for the sandboxed student process
(:class:`Direct`), so they run in milliseconds; the sandbox itself is tested in
test_autograder_sandbox.py and the whole pipeline in test_grade_class.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from course_kit import ASSIGNMENTS, COURSE, is_test, source_of

from autograder import checks, keys
from autograder.grading import is_program_cell, program_from_history
from autograder.sandbox import Answer
from tcpcore.states import State
from tcpcore.table import Trigger, lookup


class Direct:
    """Answers from plain Python functions, through JSON as the real pipe does."""

    def __init__(self, **names: Any) -> None:
        self.names = names

    def call(self, name: str, *args: Any) -> Answer:
        try:
            value = self.names[name](*args)
            return Answer(True, value=json.loads(json.dumps(value)))
        except Exception as exc:
            return Answer(False, error=f"{type(exc).__name__}: {exc}")

    def get(self, name: str) -> Answer:
        return Answer(True, value=json.loads(json.dumps(self.names[name])))


def reference(scope: Callable[[State, Trigger], bool]) -> Callable[[str, str], tuple[Any, ...]]:
    """A perfect student: the table itself."""

    def answer(state: str, event: str) -> tuple[Any, ...]:
        row = lookup(State.parse(state), Trigger[event])
        return (row.next.value, keys.reply(row))

    return answer


def test_replies_and_clauses_are_read_from_the_table() -> None:
    row = lookup(State.FIN_WAIT_1, Trigger.FIN_ACK_OF_FIN)
    assert keys.reply(row) == "ACK"
    assert keys.clause_text(row) == "RFC 9293 3.10.7.4 eighth step"
    assert keys.reply(lookup(State.LISTEN, Trigger.SYN)) == "SYN+ACK"
    assert keys.reply(lookup(State.CLOSED, Trigger.ANY)) == "RST"
    assert keys.event_text(Trigger.ACK_OF_FIN) == "ACK of your FIN"


def test_teardown_groups_split_the_scope_exactly() -> None:
    groups = [c for c in checks.for_assignment("teardown") if c.target == "teardown"]
    asked = [case.key for c in groups if c.kind == "cases" for case in c.make(0)]
    scope = [f"{c.state} / {c.trigger.name}" for c in keys.table_cases(keys.teardown_scope)]
    assert sorted(asked) == sorted(scope)
    assert len(asked) == len(set(asked))


def test_first_divergence_names_state_event_answer_reference_and_clause() -> None:
    right = reference(keys.teardown_scope)

    def student(state: str, event: str) -> tuple[Any, ...]:
        if (state, event) == ("FIN-WAIT-1", "FIN_ACK_OF_FIN"):
            return ("CLOSING", "ACK")
        return right(state, event)

    outcome = checks.CHECKS["teardown-active-close"].run(Direct(teardown=student))
    assert outcome.first == (
        "in FIN-WAIT-1, on FIN+ACK acknowledging your FIN (FIN_ACK_OF_FIN), you returned "
        "['CLOSING', 'ACK']; the reference goes to TIME-WAIT and sends ACK, RFC 9293 3.10.7.4 "
        "eighth step (the FIN acknowledges our FIN: straight to TIME-WAIT)."
    )
    # 8 rows in the active close, 7 right: 3 * 7/8 = 2.625, rounded half to even.
    assert (outcome.right, outcome.asked, outcome.score) == (7, 8, 2.62)
    assert outcome.items["FIN-WAIT-1 / FIN_ACK_OF_FIN"] is False


def test_a_trace_divergence_comes_with_both_machines_side_by_side() -> None:
    right = reference(keys.teardown_scope)

    def student(state: str, event: str) -> tuple[Any, ...]:
        return ("CLOSED", None) if state == "CLOSING" else right(state, event)

    outcome = checks.CHECKS["teardown-traces"].run(Direct(teardown=student), seed=1)
    assert outcome.first.startswith("in the simultaneous close trace (A and B close at once), A ")
    assert "in CLOSING, on ACK of your FIN (ACK_OF_FIN), you returned ['CLOSED', None]" in (
        outcome.first
    )
    assert "Side by side" in outcome.detail and "yours" in outcome.detail
    assert outcome.items["trace: active close"] is True


def test_exceptions_and_wrong_types_are_answers_that_score_nothing() -> None:
    def boom(state: str, event: str) -> Any:
        raise KeyError((state, event))

    outcome = checks.CHECKS["handshake-listen"].run(Direct(handshake=boom))
    assert outcome.score == 0
    assert "you raised KeyError: ('LISTEN', 'RST')" in outcome.first


def test_spelling_that_is_not_the_lesson_is_forgiven() -> None:
    right = reference(keys.handshake_scope)

    def lower(state: str, event: str) -> list[Any]:
        nxt, sent = right(state, event)
        return [nxt.lower().replace("-", "_"), sent.lower() if sent else None]

    assert checks.CHECKS["handshake-syn-sent"].run(Direct(handshake=lower)).score == 3


def test_personal_cases_differ_between_students() -> None:
    alice, bob = checks.seed_for("alice"), checks.seed_for("bob")
    assert alice == checks.seed_for("alice") != bob
    check = checks.CHECKS["header-seq-ack"]
    assert [c.args for c in check.make(alice)] != [c.args for c in check.make(bob)]
    scenarios = {json.dumps(checks.interview_scenario(checks.seed_for(f"s{i}"))) for i in range(5)}
    assert len(scenarios) == 5


def test_predictions_are_checked_for_form_only_before_grading() -> None:
    check = checks.CHECKS["interview-predict-client-states"]
    want = checks.expected_client_states(7)
    graded = check.run(Direct(CLIENT_STATES=want), seed=7)
    assert graded.score == 3 and graded.asked == len(want)
    self_check = check.run(Direct(CLIENT_STATES=want), seed=7, reveal=False)
    assert self_check.asked == 0 and "scored when graded" in self_check.first
    bad = check.run(Direct(CLIENT_STATES=["CLOSED", "HALF-OPEN"]), seed=7, reveal=False)
    assert "entry 1 ('HALF-OPEN') is not a state name" in bad.first


def test_every_test_cell_is_a_registered_check_and_every_check_a_test_cell() -> None:
    seen = set()
    for assignment, name in ASSIGNMENTS.items():
        nb = json.loads((COURSE / "source" / assignment / f"{name}.ipynb").read_text())
        text = json.dumps(nb)
        assert "../../../notebooks/0" in text, f"{assignment} links no lesson"
        for cell in nb["cells"]:
            if not is_test(cell):
                continue
            meta = cell["metadata"]["nbgrader"]
            check = checks.CHECKS[meta["grade_id"]]
            assert (check.assignment, check.points) == (assignment, meta["points"])
            assert source_of(cell).startswith('"""Check that')
            assert f"grade({meta['grade_id']!r})" in source_of(cell)
            seen.add(meta["grade_id"])
    assert seen == set(checks.CHECKS)


def test_the_program_is_the_students_cells_not_the_tests_or_the_read_only_ones() -> None:
    def cell(src: str, **nbgrader: Any) -> dict[str, Any]:
        meta = {"nbgrader": nbgrader} if nbgrader else {}
        return {"cell_type": "code", "source": src, "metadata": meta}

    assert is_program_cell(cell("def f(): pass", solution=True, grade_id="s"))
    assert is_program_cell(cell("x = 1"))  # the student's own cell
    assert not is_program_cell(cell("grade('x')", grade=True, locked=True, grade_id="t"))
    assert not is_program_cell(cell("from autograder.lab import grade", locked=True))
    assert not is_program_cell(cell('"""Check that a copy of a test cell."""\n1'))
    history = ["", "def f(): pass", '"""Check that f."""\nassert f() is None', "  "]
    assert program_from_history(history) == [(1, "def f(): pass")]


@pytest.mark.parametrize("grade_id", sorted(checks.CHECKS))
def test_every_check_has_cases_and_a_title(grade_id: str) -> None:
    check = checks.CHECKS[grade_id]
    made = check.make(0)
    assert made, grade_id
    assert check.points > 0 and check.title
