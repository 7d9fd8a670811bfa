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

import getpass
import os
from typing import Any

from . import checks, keys
from .grading import cell_text, grade_program, program_from_history


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


def events(exercise: str) -> None:
    """Print the events your function must handle, with what each one means."""
    scope = {"handshake": keys.handshake_scope, "teardown": keys.teardown_scope}[exercise]
    for trigger in keys.events_in(scope):
        print(f"{trigger.name:<18} {keys.event_text(trigger)}")


def scenario() -> dict[str, Any]:
    """Your own scenario for the interview's predictions (it depends on your student id)."""
    me = student_id()
    sc = checks.interview_scenario(checks.seed_for(me))
    print(f"Student id: {me!r} (if this is not your nbgrader id, set TCPCOURSE_STUDENT)")
    print(f"Client A (port 40000) ISN: {sc['client_isn']}")
    print(f"Server B (port 80)    ISN: {sc['server_isn']}")
    print(f"Lost on the way: the {sc['lost']}")
    return sc
