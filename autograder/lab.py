"""Helpers for the assignment notebooks: the graded-cell hook, the event lists, your scenario.

Imported by the notebooks' read-only cells and hidden tests, never by students' solutions (those
run with the standard library only, see :mod:`autograder.answerer`).

``grade(grade_id)`` is what a hidden test cell calls. Run by hand (an instructor validating the
source notebook), it grades the code this kernel has run, in a separate sandboxed process, prints
the feedback and returns the score, which nbgrader takes as the cell's partial credit. Under
``nbgrader autograde`` it refuses: there the score is computed outside the student's kernel by
:class:`autograder.nbgrader_plugin.TrustedScores`, which replaces this cell's output; if nbgrader
ever runs without that plugin, the refusal makes the cell score zero instead of full marks.
"""

from __future__ import annotations

import builtins
import getpass
import json
import os
import sys
from typing import Any

from . import checks, keys
from .answerer import _decode, _describe, _encode, _magic_free
from .grading import Report, cell_text, grade_program, program_from_history
from .sandbox import Answer, LoadReport, _unwire, _wire


class GradedOutsideKernel(RuntimeError):
    """The cell is scored by the trusted grader, not by the student's kernel."""


def student_id() -> str:
    """Who you are to nbgrader: TCPCOURSE_STUDENT, else your JupyterHub name, else your login."""
    return (
        os.environ.get("TCPCOURSE_STUDENT")
        or os.environ.get("JUPYTERHUB_USER")
        or getpass.getuser()
    )


def grade(grade_id: str) -> float:
    """Grade this kernel's code for one cell, out of process; return the score."""
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        raise GradedOutsideKernel(
            f"{grade_id} is scored outside this kernel by autograder.nbgrader_plugin."
            "TrustedScores; seeing this means nbgrader ran without course/nbgrader_config.py"
        )
    check = checks.CHECKS[grade_id]
    history = _history()
    report = grade_program(
        program_from_history(history),
        [check],
        student=student_id(),
        assignment=check.assignment,
        allow_unsandboxed=True,
    )
    outcome = report.outcomes[0]
    print(cell_text(report, outcome))
    return outcome.score


def _history() -> list[str]:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("grade() reads the notebook's history: run it in a Jupyter kernel")
    return list(shell.user_ns.get("In", []))


# What an event means in one state, where the table's short label is not enough to tell
# similar events apart (SYN, SYN_PASSIVE, SYN_DUPLICATE; RST, RST_PASSIVE; NO_ACK). The
# classification itself is tcpcore.protocol.rules.classify, which the grader asks.
_MEANING = {
    ("CLOSED", "ANY"): "any segment without RST: no connection exists (RFC 9293 3.10.7.1)",
    ("CLOSED", "RST"): "a RST: no connection exists",
    ("LISTEN", "RST"): "a RST (nothing to reset yet)",
    ("LISTEN", "BAD_ACK"): "any segment with ACK: nothing was sent that it could acknowledge",
    ("LISTEN", "SYN"): "a SYN without ACK or RST: a client connects",
    ("LISTEN", "NO_ACK"): "a segment with none of SYN, ACK, RST",
    ("SYN-SENT", "BAD_ACK"): "ACK with SEG.ACK =< ISS or SEG.ACK > SND.NXT, no RST",
    ("SYN-SENT", "RST_INVALID"): "a RST without ACK, or with an unacceptable ACK",
    ("SYN-SENT", "RST"): "RST+ACK acknowledging your SYN: the connection is refused",
    ("SYN-SENT", "SYN_ACK"): "SYN+ACK acknowledging your SYN",
    ("SYN-SENT", "SYN"): "a SYN without ACK: the peer opens too (simultaneous open)",
    ("SYN-SENT", "ACK"): "an acceptable ACK without SYN or RST",
    ("SYN-SENT", "NO_ACK"): "a segment with none of SYN, ACK, RST",
    ("SYN-RECEIVED", "UNACCEPTABLE"): "a segment outside the receive window (Table 6), no RST",
    ("SYN-RECEIVED", "RST_INVALID"): "a RST whose sequence number is outside the window",
    ("SYN-RECEIVED", "RST_IN_WINDOW"): "a RST in the window but not exactly at RCV.NXT",
    ("SYN-RECEIVED", "RST_PASSIVE"): "a RST at RCV.NXT; you came here from LISTEN",
    ("SYN-RECEIVED", "RST"): "a RST at RCV.NXT; you came here from SYN-SENT (active OPEN)",
    ("SYN-RECEIVED", "SYN_PASSIVE"): "a new SYN in the window; you came here from LISTEN",
    ("SYN-RECEIVED", "SYN_DUPLICATE"): "the peer's first SYN again (seq = IRS, no ACK)",
    ("SYN-RECEIVED", "SYN"): "a SYN; you came here from SYN-SENT (active OPEN)",
    ("SYN-RECEIVED", "NO_ACK"): "an acceptable segment with ACK off (and no SYN or RST)",
    ("SYN-RECEIVED", "BAD_ACK"): "an ACK outside SND.UNA < SEG.ACK =< SND.NXT",
    ("SYN-RECEIVED", "ACK_OF_SYN"): "an ACK of your SYN, no data, no FIN",
    ("SYN-RECEIVED", "SYN_ACK"): "the peer's SYN+ACK, crossing yours (simultaneous open)",
    ("SYN-RECEIVED", "DATA"): "data with an ACK of your SYN",
    ("SYN-RECEIVED", "FIN"): "a FIN with an ACK of your SYN",
    ("ESTABLISHED", "ACK"): "an ACK (with or without data), no FIN",
    ("FIN-WAIT-1", "ACK"): "an ACK that does not yet cover your FIN",
    ("FIN-WAIT-1", "FIN"): "a FIN whose ACK does not cover your FIN (the FINs crossed)",
    ("CLOSING", "ACK"): "an ACK that does not cover your FIN",
    ("LAST-ACK", "ACK"): "an ACK that does not cover your FIN",
    ("CLOSE-WAIT", "FIN"): "the peer's FIN again (your ACK of it was lost)",
    ("CLOSING", "FIN"): "the peer's FIN again",
    ("LAST-ACK", "FIN"): "the peer's FIN again (your ACK of it was lost)",
    ("TIME-WAIT", "FIN"): "the peer's FIN again (your last ACK was lost)",
    ("TIME-WAIT", "TIME_WAIT_TIMEOUT"): "the 2MSL timer runs out",
}

_CALLS = {
    "OPEN_ACTIVE": "your application calls connect() (active OPEN)",
    "OPEN_PASSIVE": "your application calls listen() (passive OPEN)",
    "CLOSE": "your application calls close()",
}


def events(exercise: str) -> None:
    """Print, state by state, the events your function is asked about and what each means.

    These (state, event) pairs are exactly the ones the per-state checks grade; no other pair
    is asked.
    """
    scope = {"handshake": keys.handshake_scope, "teardown": keys.teardown_scope}[exercise]
    by_state: dict[Any, list[keys.TableCase]] = {}
    for case in keys.table_cases(scope):
        by_state.setdefault(case.state, []).append(case)
    total = sum(map(len, by_state.values()))
    print(f"The {total} graded (state, event) pairs; no other pair is asked.")
    for state in sorted(by_state, key=list(type(next(iter(by_state)))).index):
        print(f"\nin {state}:")
        for case in by_state[state]:
            name = case.trigger.name
            meaning = (
                _MEANING.get((str(state), name))
                or _CALLS.get(name)
                or keys.event_text(case.trigger)
            )
            print(f"  {name:<17} {meaning}")


def scenario(student: str = "") -> dict[str, Any]:
    """Your own scenario for the interview's predictions (it depends on your student id).

    Give your id in the class (``scenario("alice")``) when this computer's login name is not it;
    the grader uses the id you are graded under, whatever this cell printed.
    """
    me = student or student_id()
    guessed = not (
        student or os.environ.get("TCPCOURSE_STUDENT") or os.environ.get("JUPYTERHUB_USER")
    )
    sc = checks.interview_scenario(checks.seed_for(me))
    print(f"Student id: {me!r}")
    print(f"Client A (port 40000) ISN: {sc['client_isn']}")
    print(f"Server B (port 80)    ISN: {sc['server_isn']}")
    print(f"Lost on the way: the {sc['lost']}")
    if guessed:
        print(
            f"\n!!! {me!r} is only this computer's login name (on Binder everyone is 'jovyan')."
            "\n!!! If your class knows you by another id, your graded scenario is different:"
            "\n!!! compute every answer from SCENARIO, never type the numbers, or run"
            '\n!!! SCENARIO = scenario("your-id") with the id your instructor uses.'
        )
    return sc


# -- the self-check, from inside the notebook ----------------------------------------------------


def check(assignment: str, *, in_process: bool = False) -> float:
    """Run every automatic check of an assignment on this kernel's code, as a student's check.

    The same checks as ``python -m autograder check NOTEBOOK``, with the public seed (0): your
    functions are asked every case, your written-down predictions are only checked for their
    form (their answers stay hidden, and your hidden cases differ). Your code runs in a separate
    process, sandboxed when bubblewrap is installed. Where no process can be started (JupyterLite's
    Pyodide kernel), or with ``in_process=True``, it runs in this process instead, in a namespace
    of its own, unsandboxed and without time limits: fine for checking your own code, never for
    grading. Returns the points the functions earned.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        print("The self-check does not run while nbgrader executes the notebook.")
        return 0.0
    if assignment not in checks.ASSIGNMENTS:
        raise ValueError(
            f"no assignment {assignment!r}; the assignments are {', '.join(checks.ASSIGNMENTS)}"
        )
    program = _own_cells(_history())
    if in_process or not _can_start_processes():
        report = _grade_in_process(program, assignment)
    else:
        report = grade_program(
            program,
            checks.for_assignment(assignment),
            student="",
            assignment=assignment,
            reveal=False,
            allow_unsandboxed=True,
        )
    if report.notes():
        print(report.notes())
    earned = 0.0
    for outcome in report.outcomes:
        print()
        print(outcome.feedback() if outcome.asked else f"{outcome.title}: {outcome.first}")
        earned += outcome.score
    total = sum(c.points for c in checks.for_assignment(assignment) if c.kind != "value")
    if total:
        print(f"\nAuto-graded parts: {earned:g} of {total:g} (public seed 0; your hidden cases")
        print("differ, your predictions and written answers are scored when graded).")
    else:
        print("\nNo function to test here: your predictions and written answers are scored")
        print("when graded; above, the predictions are only checked for their form.")
    if assignment == "interview":
        _warn_if_typed(program, in_process or not _can_start_processes())
    if not report.sandboxed:
        print("(your code ran unsandboxed, which is fine for checking your own work)")
    return earned


def _own_cells(history: list[str]) -> list[tuple[int, str]]:
    """The kernel's program without the notebook's own helper cells (they need autograder)."""
    return [
        (i, src)
        for i, src in program_from_history(history)
        if not src.lstrip().startswith(("from autograder", "import autograder"))
    ]


def _warn_if_typed(program: list[tuple[int, str]], in_process: bool) -> None:
    """Say loudly when the predictions do not follow SCENARIO (numbers typed in by hand).

    The grader re-runs your cells with the scenario of the id you are graded under; answers
    computed from SCENARIO follow it, typed numbers do not, and score 0 if that id is not the
    one this notebook guessed. Asked by running your cells under two other scenarios.
    """
    seen = []
    for seed in (1, 2):
        cells = [(0, checks.scenario_prelude(seed)), *program]
        with _answerer(cells, in_process) as answerer:
            seen.append(answerer.get("HANDSHAKE_SEGMENTS"))
    a, b = seen
    if a.ok and b.ok and a.value == b.value:
        print(
            "\n!!! HANDSHAKE_SEGMENTS does not change when SCENARIO does: you typed the numbers."
            "\n!!! The grader uses the scenario of your id in the class, which may not be"
            f"\n!!! {student_id()!r}: compute every number from SCENARIO instead."
        )


# -- where no process can be started (JupyterLite) ------------------------------------------------


def _can_start_processes() -> bool:
    """False in Pyodide (JupyterLite), whose Python has no processes at all."""
    return sys.platform != "emscripten"


def _answerer(cells: list[tuple[int, str]], in_process: bool) -> Any:
    from .sandbox import Answerer

    if in_process:
        return InProcessAnswerer(cells)
    return Answerer(cells, allow_unsandboxed=True)


def _grade_in_process(program: list[tuple[int, str]], assignment: str) -> Report:
    """grade_program's work with the student's code in this process (see InProcessAnswerer)."""
    wanted = checks.for_assignment(assignment)
    report = Report("", assignment)
    preludes = sorted({c.prelude(0) for c in wanted if c.prelude is not None})
    with InProcessAnswerer([(0, text) for text in preludes] + program) as answerer:
        report.sandboxed = False
        for check_ in wanted:
            report.outcomes.append(check_.run(answerer, 0, False))
        report.load = answerer.load
    return report


class InProcessAnswerer:
    """The student's cells, run in this process in a namespace of their own, answering questions.

    The same questions and the same plain-data answers as :class:`autograder.sandbox.Answerer`
    (values cross as JSON, so an object "equal to everything" is still no answer), but no
    sandbox, no time limit and no separate process: for a student checking their own code where
    processes do not exist (JupyterLite), never for grading.
    """

    sandboxed = False

    def __init__(self, cells: list[tuple[int, str]]) -> None:
        self.cells = cells
        self.load = LoadReport()
        self.questions = 0
        self._namespace: dict[str, Any] = {}

    def __enter__(self) -> InProcessAnswerer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._namespace.clear()

    def start(self) -> LoadReport:
        self._namespace = {"__name__": "__main__", "__builtins__": builtins}
        errors = []
        for index, source in self.cells:
            try:
                exec(compile(_magic_free(source), f"<cell {index}>", "exec"), self._namespace)
            except Exception as exc:  # the student's code may raise anything
                errors.append((index, _describe(exc)))
        self.load = LoadReport(errors=errors)
        return self.load

    def get(self, name: str) -> Answer:
        return self._answer(name, None)

    def call(self, name: str, *args: Any) -> Answer:
        return self._answer(name, args)

    def _answer(self, name: str, args: tuple[Any, ...] | None) -> Answer:
        self.questions += 1
        try:
            if name not in self._namespace:
                raise NameError(f"name {name!r} is not defined")
            target = self._namespace[name]
            if args is not None:
                if not callable(target):
                    raise TypeError(f"{name} is not a function")
                plain = [_decode(json.loads(json.dumps(_wire(a)))) for a in args]
                target = target(*plain)
            value = json.loads(json.dumps(_encode(target)))
        except Exception as exc:
            return Answer(False, error=_describe(exc))
        return Answer(True, value=_unwire(value))
