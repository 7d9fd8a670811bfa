"""The grader's expectations come from tcpcore, and its feedback names the first divergence.

These tests ask the checks directly with an in-process stand-in for the sandboxed student process
(:class:`Direct`), so they run in milliseconds; the sandbox itself is tested in
test_autograder_sandbox.py and the whole pipeline in test_grade_class.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from course_kit import ASSIGNMENTS, COURSE, is_test, source_of

from autograder import checks, keys
from autograder.grading import is_program_cell, program_from_history
from autograder.sandbox import Answer
from tcpcore.protocol.states import State
from tcpcore.protocol.table import Trigger, lookup


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
    # 8 rows in the active close, 4 distinct answers (each weighs 1/4): (FIN-WAIT-1, FIN) once,
    # (FIN-WAIT-1, None) twice, (FIN-WAIT-2, None) three times, (TIME-WAIT, ACK) twice. Missing
    # one (TIME-WAIT, ACK) row: balanced accuracy 1 - 1/8 = 7/8. One answer per state would get
    # 1/4 (ESTABLISHED) + 1/4 (FIN-WAIT-1 staying) + 2/12 (FIN-WAIT-2 staying) = 2/3, so the
    # credit is (7/8 - 2/3) / (1 - 2/3) = 5/8: 3 * 5/8 = 1.875, rounded half to even.
    assert (outcome.right, outcome.asked, outcome.score) == (7, 8, 1.88)
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


# -- degenerate answers and realistic mistakes ---------------------------------------------------

M = 2**32
STATES = [s.value for s in State]


def right_answers(assignment: str) -> dict[str, Any]:
    """A perfect student's functions (or, for the interview, values) for an assignment."""
    table = reference(lambda s, t: True)
    seed = checks.seed_for(SEED_STUDENT)
    return {
        "header": {
            "flag_names": keys.flag_names,
            "flag_byte": keys.flag_byte,
            "header_length": keys.header_length,
            "seq_and_ack": keys.seq_and_ack,
            "checksum": keys.checksum,
        },
        "sequence": {
            "seq_lt": keys.seq_lt,
            "ack_acceptable": keys.ack_acceptable,
            "segment_acceptable": keys.segment_acceptable,
            "sequence_space": keys.sequence_space,
        },
        "handshake": {"handshake": table},
        "teardown": {"teardown": table, "time_wait_ends": keys.time_wait_ends},
        "interview": {
            "HANDSHAKE_SEGMENTS": checks.expected_handshake_segments(seed),
            "CLIENT_STATES": checks.expected_client_states(seed),
        },
    }[assignment]


SEED_STUDENT = "student-42"


def graded(assignment: str, answers: dict[str, Any]) -> list[checks.Outcome]:
    """Every automatic check of an assignment, asked of these answers as one student."""
    seed = checks.seed_for(SEED_STUDENT)
    return [
        c.run(Direct(**answers), seed if c.personal else 0)
        for c in checks.for_assignment(assignment)
    ]


def total(outcomes: list[checks.Outcome]) -> float:
    return round(sum(o.score for o in outcomes), 2)


def full(assignment: str) -> float:
    return float(sum(c.points for c in checks.for_assignment(assignment)))


def boom(*args: Any) -> Any:
    raise RuntimeError("not written yet")


def degenerate(assignment: str) -> dict[str, dict[str, Any]]:
    """Answers that ignore the input, one dict of functions (or values) per kind."""
    names = list(right_answers(assignment))
    if assignment == "interview":
        values: dict[str, Any] = {
            "True": True,
            "None": None,
            "CLOSED everywhere": ["CLOSED"] * 7,
            "just the given ends": ["CLOSED", "CLOSED"],
            "ESTABLISHED everywhere": ["ESTABLISHED"] * 6,
            "one segment three times": [["SYN", 0, 0]] * 3,
            "one state as segments": [["ACK", 1, 1]] * 3,
        }
        return {kind: {n: value for n in names} for kind, value in values.items()}
    kinds: dict[str, Callable[..., Any]] = {
        "constant True": lambda *a: True,
        "constant False": lambda *a: False,
        "return None": lambda *a: None,
        "raise always": boom,
        "return the input": lambda *a: a[0],
        "constant 0": lambda *a: 0,
        "constant 1": lambda *a: 1,
        "constant 20": lambda *a: 20,
        "constant 32": lambda *a: 32,
        "constant [0, 0]": lambda *a: [0, 0],
        "constant 'ACK'": lambda *a: "ACK",
    }
    if assignment in ("handshake", "teardown"):
        kinds["return the input state"] = lambda *a: (a[0], None) if isinstance(a[0], str) else a[0]
        for state in STATES:
            for sent in (None, "SYN", "SYN+ACK", "ACK", "FIN", "RST"):
                kinds[f"always ({state}, {sent})"] = lambda *a, s=state, r=sent: (s, r)
    return {kind: dict.fromkeys(names, fn) for kind, fn in kinds.items()}


def best_per_state(assignment: str) -> dict[str, Any]:
    """The best machine that looks only at the state: per state, its most common right answer."""
    from collections import Counter

    scope = keys.handshake_scope if assignment == "handshake" else keys.teardown_scope
    common: dict[str, Counter[str]] = {}
    for tc in keys.table_cases(scope):
        common.setdefault(tc.state.value, Counter())[json.dumps(tc.expected)] += 1

    def machine(state: str, event: str) -> Any:
        return json.loads(common[state].most_common(1)[0][0]) if state in common else None

    return machine


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_answers_that_ignore_the_input_score_no_more_than_a_blank(assignment: str) -> None:
    """Constants, the input echoed, None, exceptions: each scores exactly what a blank does, 0."""
    scores = {kind: total(graded(assignment, fns)) for kind, fns in degenerate(assignment).items()}
    assert scores and all(s == 0 for s in scores.values()), {k: s for k, s in scores.items() if s}
    if assignment in ("handshake", "teardown"):
        machine = best_per_state(assignment)
        names = dict.fromkeys(right_answers(assignment), machine)
        if assignment == "teardown":
            names["time_wait_ends"] = lambda *a: 130.0
        assert total(graded(assignment, names)) == 0


def test_credit_is_balanced_accuracy_above_what_ignores_the_input() -> None:
    """The scoring rule on small groups: constants and majority-only answers earn 0."""
    from autograder.compare import skill

    # 6 cases True, 2 False: always True is right 6 times in 8 and earns nothing.
    truth = [True] * 6 + [False] * 2
    assert skill(("", t, t) for t in truth) == 0
    # Right on every True case and on one of the two False cases: (1 + 1/2)/2 = 3/4, above 1/2.
    assert skill(("", t, t or i == 6) for i, t in enumerate(truth)) == 0.5
    # Two states, each with two answers: one fixed answer per state earns nothing,
    assert skill([("A", "x", True), ("A", "y", False), ("B", "z", True), ("B", "x", False)]) == 0
    # while telling the events apart in one state of the two earns half of what is above chance.
    cases = [("A", "x", True), ("A", "y", True), ("B", "z", True), ("B", "w", False)]
    assert skill(cases) == pytest.approx(0.5)
    # Nothing to tell apart (one answer per stratum is always right): plain right/asked.
    assert skill([("A", "x", True), ("B", "y", False)]) == 0.5


def _changed(assignment: str, **changes: Any) -> dict[str, Any]:
    answers = dict(right_answers(assignment))
    answers.update(changes)
    return answers


def _rows(fix: dict[tuple[str, str], tuple[str, str | None]], base: Any = None) -> Any:
    """The reference machine with some rows answered differently."""
    right = base or reference(lambda s, t: True)

    def machine(state: str, event: str) -> Any:
        return fix.get((state, event), right(state, event))

    return machine


def _checksum(pseudo: bool = True, zero_field: bool = True, pad: bool = True) -> Any:
    import ipaddress

    def checksum(raw: bytes, src: str, dst: str) -> int:
        seg = bytearray(raw)
        if zero_field:
            seg[16:18] = b"\0\0"
        data = bytes(seg)
        if pseudo:
            head = ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed
            data = head + bytes([0, 6]) + len(seg).to_bytes(2, "big") + data
        if len(data) % 2:
            data = data + b"\0" if pad else data[:-1]
        total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        return ~total & 0xFFFF

    return checksum


def _pseudo(raw: bytes, src: str, dst: str) -> bytes:
    """The pseudo-header and the segment with its checksum field zeroed, padded to even length."""
    import ipaddress

    seg = raw[:16] + b"\0\0" + raw[18:]
    addresses = ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed
    data = addresses + bytes([0, 6]) + len(seg).to_bytes(2, "big") + seg
    return data + b"\0" * (len(data) % 2)


def _spoken_order_forgotten(byte: int) -> str:
    names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]
    return "+".join(n for i, n in enumerate(names) if byte >> i & 1) or "none"


def _segments_without_syn_space(seed: int) -> list[list[Any]]:
    right = checks.expected_handshake_segments(seed)
    a, b = right[0][1], right[1][1]
    return [["SYN", a, 0], ["SYN+ACK", b, a], ["ACK", a, b]]


def _states_ignoring_the_loss(seed: int) -> list[str]:
    return ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"]


def _states_without_time_wait(seed: int) -> list[str]:
    return [s for s in checks.expected_client_states(seed) if s != "TIME-WAIT"]


_SEED = checks.seed_for(SEED_STUDENT)
MISTAKES: dict[str, tuple[str, dict[str, Any]]] = {
    "flags named in bit order, not the spoken order": (
        "header",
        _changed("header", flag_names=_spoken_order_forgotten),
    ),
    "data offset read in 32-bit words, not bytes": (
        "header",
        _changed("header", header_length=lambda raw: raw[12] >> 4),
    ),
    "seq and ack read little-endian": (
        "header",
        _changed(
            "header",
            seq_and_ack=lambda raw: [
                int.from_bytes(raw[4:8], "little"),
                int.from_bytes(raw[8:12], "little"),
            ],
        ),
    ),
    "checksum without the pseudo-header": (
        "header",
        _changed("header", checksum=_checksum(pseudo=False)),
    ),
    "checksum field not taken as zero": (
        "header",
        _changed("header", checksum=_checksum(zero_field=False)),
    ),
    "odd-length segment not padded": ("header", _changed("header", checksum=_checksum(pad=False))),
    "sequence numbers compared without wraparound": (
        "sequence",
        _changed(
            "sequence",
            seq_lt=lambda a, b: a < b,
            ack_acceptable=lambda una, ack, nxt: una < ack <= nxt,
        ),
    ),
    "half the circle apart counted as ahead": (
        "sequence",
        _changed("sequence", seq_lt=lambda a, b: 0 < (b - a) % M <= 2**31),
    ),
    "acceptable ACK includes SND.UNA": (
        "sequence",
        _changed(
            "sequence",
            ack_acceptable=lambda una, ack, nxt: (
                (ack - una) % M < 2**31 and (nxt - ack) % M < 2**31
            ),
        ),
    ),
    "window's right edge counted in (off by one)": (
        "sequence",
        _changed(
            "sequence",
            segment_acceptable=lambda nxt, wnd, seq, n: (
                (seq == nxt if wnd == 0 else (seq - nxt) % M <= wnd)
                if n == 0
                else wnd > 0 and ((seq - nxt) % M <= wnd or (seq + n - 1 - nxt) % M <= wnd)
            ),
        ),
    ),
    "only the segment's first byte tested against the window": (
        "sequence",
        _changed(
            "sequence",
            segment_acceptable=lambda nxt, wnd, seq, n: (
                seq == nxt if wnd == 0 and n == 0 else wnd > 0 and (seq - nxt) % M < wnd
            ),
        ),
    ),
    "SYN and FIN take no sequence number": (
        "sequence",
        _changed("sequence", sequence_space=lambda flags, n: n),
    ),
    "FIN takes no sequence number": (
        "sequence",
        _changed("sequence", sequence_space=lambda flags, n: n + (1 if flags & 2 else 0)),
    ),
    "LISTEN answers a SYN with a bare ACK": (
        "handshake",
        _changed("handshake", handshake=_rows({("LISTEN", "SYN"): ("SYN-RECEIVED", "ACK")})),
    ),
    "no simultaneous open: SYN-SENT resets a SYN": (
        "handshake",
        _changed("handshake", handshake=_rows({("SYN-SENT", "SYN"): ("CLOSED", "RST")})),
    ),
    "a reset SYN-RECEIVED always closes, never back to LISTEN": (
        "handshake",
        _changed("handshake", handshake=_rows({("SYN-RECEIVED", "RST_PASSIVE"): ("CLOSED", None)})),
    ),
    "LISTEN resets a RST": (
        "handshake",
        _changed("handshake", handshake=_rows({("LISTEN", "RST"): ("LISTEN", "RST")})),
    ),
    "FIN-WAIT-1 on FIN+ACK goes to CLOSING": (
        "teardown",
        _changed(
            "teardown", teardown=_rows({("FIN-WAIT-1", "FIN_ACK_OF_FIN"): ("CLOSING", "ACK")})
        ),
    ),
    "no TIME-WAIT: the active closer closes at once": (
        "teardown",
        _changed(
            "teardown",
            teardown=_rows(
                {
                    ("FIN-WAIT-2", "FIN"): ("CLOSED", "ACK"),
                    ("FIN-WAIT-1", "FIN_ACK_OF_FIN"): ("CLOSED", "ACK"),
                    ("CLOSING", "ACK_OF_FIN"): ("CLOSED", None),
                }
            ),
        ),
    ),
    "TIME-WAIT does not acknowledge a repeated FIN": (
        "teardown",
        _changed("teardown", teardown=_rows({("TIME-WAIT", "FIN"): ("TIME-WAIT", None)})),
    ),
    "the 2MSL timer is not restarted by a repeated FIN": (
        "teardown",
        _changed("teardown", time_wait_ends=lambda entered, fins, msl: entered + 2 * msl),
    ),
    "TIME-WAIT lasts one MSL": (
        "teardown",
        _changed("teardown", time_wait_ends=lambda entered, fins, msl: max([entered, *fins]) + msl),
    ),
    "CLOSE in CLOSE-WAIT closes at once (no LAST-ACK)": (
        "teardown",
        _changed("teardown", teardown=_rows({("CLOSE-WAIT", "CLOSE"): ("CLOSED", "FIN")})),
    ),
    "flag_byte does not know 'none'": (
        "header",
        _changed("header", flag_byte=lambda names: keys.flag_byte(names.replace("none", "FIN"))),
    ),
    "checksum's carries not folded back": (
        "header",
        _changed(
            "header",
            checksum=lambda raw, src, dst: (
                ~(
                    sum(
                        int.from_bytes(d[i : i + 2], "big")
                        for d in [_pseudo(raw, src, dst)]
                        for i in range(0, len(d), 2)
                    )
                )
                & 0xFFFF
            ),
        ),
    ),
    "a closed port does not reset": (
        "handshake",
        _changed("handshake", handshake=_rows({("CLOSED", "ANY"): ("CLOSED", None)})),
    ),
    "the passive closer's FIN acknowledged by going to TIME-WAIT": (
        "teardown",
        _changed("teardown", teardown=_rows({("LAST-ACK", "ACK_OF_FIN"): ("TIME-WAIT", None)})),
    ),
    "the SYN takes no sequence number in the prediction": (
        "interview",
        _changed("interview", HANDSHAKE_SEGMENTS=_segments_without_syn_space(_SEED)),
    ),
    "the predicted states ignore the lost segment": (
        "interview",
        _changed("interview", CLIENT_STATES=_states_ignoring_the_loss(_SEED)),
    ),
    "the predicted states end in CLOSED twice": (
        "interview",
        _changed("interview", CLIENT_STATES=[*checks.expected_client_states(_SEED), "CLOSED"]),
    ),
    "the predicted states skip TIME-WAIT": (
        "interview",
        _changed("interview", CLIENT_STATES=_states_without_time_wait(_SEED)),
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_a_realistic_mistake_scores_between_blank_and_full_and_says_where(mistake: str) -> None:
    """Each mistake earns partial credit; the feedback names its first wrong case and a clause."""
    assignment, answers = MISTAKES[mistake]
    outcomes = graded(assignment, answers)
    assert 0 < total(outcomes) < full(assignment), mistake
    wrong = [o for o in outcomes if o.right < o.asked]
    assert wrong, mistake
    first = wrong[0].first
    assert re.search(r"RFC \d+ \d", first), first
    assert first.startswith(("in ", "for ", "HANDSHAKE_SEGMENTS[", "CLIENT_STATES[")), first


@pytest.mark.parametrize("assignment", ["sequence", "header"])
def test_coin_tosses_earn_nothing(assignment: str) -> None:
    """Answers drawn at random (True/False, or any value) score what a blank does."""
    import random

    for seed in range(20):
        rng = random.Random(seed)
        coin = {n: (lambda *a, r=rng: r.random() < 0.5) for n in right_answers(assignment)}
        assert total(graded(assignment, coin)) == 0, seed


def test_the_central_misconception_costs_more_than_any_edge_case() -> None:
    """Without wraparound, `sequence` loses more than any one edge-case mistake costs."""
    naive = total(graded("sequence", _changed("sequence", seq_lt=lambda a, b: a < b)))
    edges = [
        total(graded(a, answers))
        for name, (a, answers) in MISTAKES.items()
        if a == "sequence" and "wraparound" not in name and "take no" not in name
    ]
    assert len(edges) >= 4
    assert full("sequence") - naive >= 2 * max(full("sequence") - e for e in edges)


def test_the_course_guide_lists_each_assignments_points() -> None:
    """course/README.md's table gives each assignment's total: automatic points, plus by hand."""
    text = (COURSE / "README.md").read_text(encoding="utf-8")
    for assignment, name in ASSIGNMENTS.items():
        nb = json.loads((COURSE / "source" / assignment / f"{name}.ipynb").read_text())
        points = sum(
            c["metadata"]["nbgrader"]["points"]
            for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade")
        )
        row = re.search(rf"^\| `{assignment}` +\|[^|]+\|[^|]+\| +(\d+) \|", text, re.M)
        assert row, assignment
        assert int(row.group(1)) == points, assignment


@pytest.mark.parametrize(
    "grade_id", sorted(g for g, c in checks.CHECKS.items() if c.kind == "cases")
)
def test_the_best_answer_per_stratum_earns_nothing_in_every_group(grade_id: str) -> None:
    """For each group of cases, the best that one fixed answer per stratum can do is worth 0."""
    from collections import Counter

    from autograder.compare import answer_key, skill

    check = checks.CHECKS[grade_id]
    cases = check.make(checks.seed_for(SEED_STUDENT))
    sizes = Counter(answer_key(c.expected) for c in cases)
    shares: dict[str, Counter[str]] = {}
    for c in cases:
        shares.setdefault(c.stratum, Counter())[answer_key(c.expected)] += (
            1 / sizes[answer_key(c.expected)]
        )
    pick = {s: counter.most_common(1)[0][0] for s, counter in shares.items()}
    items = [
        (c.stratum, answer_key(c.expected), answer_key(c.expected) == pick[c.stratum])
        for c in cases
    ]
    assert any(ok for *_, ok in items) and not all(ok for *_, ok in items)
    assert skill(items) == 0


def test_each_notebook_says_how_its_points_are_weighed() -> None:
    """Every assignment has a Points note whose total is the sum of its graded cells' points."""
    for assignment, name in ASSIGNMENTS.items():
        nb = json.loads((COURSE / "source" / assignment / f"{name}.ipynb").read_text())
        notes = [source_of(c) for c in nb["cells"] if c.get("id") == "points"]
        assert len(notes) == 1, assignment
        points = sum(
            c["metadata"]["nbgrader"]["points"]
            for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade")
        )
        assert notes[0].startswith(f"**Points ({points:g}).**"), (assignment, notes[0][:40])


def test_feedback_says_why_right_answers_earned_nothing() -> None:
    """A constant that is often right is told that its right answers tell nothing apart."""
    outcome = checks.CHECKS["sequence-compare"].run(Direct(seq_lt=lambda a, b: False))
    assert outcome.right > outcome.asked / 2 and outcome.score == 0
    assert "No credit: answers that ignore the input" in outcome.feedback()
    partly = _rows({("LISTEN", "SYN"): ("SYN-RECEIVED", "ACK")})
    assert (
        "No credit"
        not in checks.CHECKS["handshake-listen"].run(Direct(handshake=partly)).feedback()
    )


@pytest.mark.parametrize("assignment", ["handshake", "teardown"])
def test_a_die_over_each_states_answers_earns_nothing(assignment: str) -> None:
    """Answers drawn at random from the ones a state can have (knowing them, not when) score 0."""
    import random

    scope = keys.handshake_scope if assignment == "handshake" else keys.teardown_scope
    per: dict[str, list[Any]] = {}
    for tc in keys.table_cases(scope):
        if tc.expected not in per.setdefault(tc.state.value, []):
            per[tc.state.value].append(tc.expected)
    for seed in range(20):
        rng = random.Random(seed)
        die = {
            n: (lambda s, e, r=rng: r.choice(per.get(s, [None]))) for n in right_answers(assignment)
        }
        if assignment == "teardown":
            die["time_wait_ends"] = lambda *a, r=rng: r.choice([70.0, 130.0, 250.0])
        assert total(graded(assignment, die)) == 0, seed
