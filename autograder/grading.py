"""Grade one notebook: take the student's code out of it, run it sandboxed, ask, score.

The student's *program* is what a notebook run would have defined: every code cell in order,
except the test cells and the instructor's read-only cells. A test cell is one that nbgrader marks
as a grade cell without a solution, or whose source opens with ``\"\"\"Check that`` (the course's
convention, which also finds test cells in a kernel's history). Cells the student added are part
of the program; cells they deleted are not, and the feedback says so when a function is missing.
Checks that need a per-student value (the interview's ``SCENARIO``) put it in a first cell.

Everything here runs in the trusted process. The program goes to an
:class:`~autograder.sandbox.Answerer`; only answers come back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import CHECKS, for_assignment
from .compare import Check, Outcome, seed_for
from .sandbox import Answerer, LoadReport

TEST_MARK = '"""Check that'


def is_test_cell(cell: dict[str, Any]) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return True
    return _source(cell).lstrip().startswith(TEST_MARK)


def is_program_cell(cell: dict[str, Any]) -> bool:
    """A code cell that is neither a test nor one of the instructor's read-only cells."""
    if cell.get("cell_type") != "code" or is_test_cell(cell):
        return False
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return not (meta.get("locked") and not meta.get("solution"))


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def program_from_notebook(nb: dict[str, Any]) -> list[tuple[int, str]]:
    """(cell number, source) of the code cells that make up the student's program."""
    out = []
    for i, cell in enumerate(nb.get("cells", []), start=1):
        if is_program_cell(cell):
            out.append((i, _source(cell)))
    return out


def program_from_history(history: Iterable[str]) -> list[tuple[int, str]]:
    """The program from a kernel's input history (IPython's ``In``), test cells left out."""
    return [
        (i, src)
        for i, src in enumerate(history)
        if src.strip() and not src.lstrip().startswith(TEST_MARK)
    ]


def read_notebook(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        nb: dict[str, Any] = json.load(f)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path} is not a notebook (no list of cells)")
    return nb


def assignment_of(path: Path) -> str:
    """The assignment a notebook belongs to: its folder's name (nbgrader's layout)."""
    for part in reversed(path.resolve().parts[:-1]):
        if any(c.assignment == part for c in CHECKS.values()):
            return part
    stem = path.stem
    for c in CHECKS.values():
        if c.assignment == stem:
            return stem
    raise ValueError(
        f"cannot tell which assignment {path} belongs to: keep it in a folder named after "
        f"the assignment ({', '.join(sorted({c.assignment for c in CHECKS.values()}))})"
    )


@dataclass
class Report:
    """Every graded cell's outcome for one notebook, and how the code loaded."""

    student: str
    assignment: str
    outcomes: list[Outcome] = field(default_factory=list)
    load: LoadReport = field(default_factory=LoadReport)
    sandboxed: bool = True
    seconds: float = 0.0
    budget: str = ""  # set when the submission ran out of its grading time budget

    @property
    def score(self) -> float:
        return round(sum(o.score for o in self.outcomes), 2)

    @property
    def max_score(self) -> float:
        return sum(o.points for o in self.outcomes)

    def outcome(self, grade_id: str) -> Outcome:
        for o in self.outcomes:
            if o.grade_id == grade_id:
                return o
        raise KeyError(grade_id)

    def notes(self) -> str:
        """What went wrong while the code loaded (or ran out of time), in a sentence or two."""
        budget = f"Grading stopped early: {self.budget}." if self.budget else ""
        if self.load.fatal:
            if self.load.fatal == self.budget:
                return budget
            return f"Your notebook's code could not be graded: {self.load.fatal}. {budget}".strip()
        if self.load.errors:
            parts = [f"cell {i}: {e}" for i, e in self.load.errors[:5]]
            text = "Some of your cells raised while loading (" + "; ".join(parts) + ")."
            return f"{text} {budget}".strip()
        return budget

    def to_json(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "notes": self.notes(),
            "sandboxed": self.sandboxed,
            "seconds": round(self.seconds, 3),
            "cells": {
                o.grade_id: {
                    "score": o.score,
                    "points": o.points,
                    "right": o.right,
                    "asked": o.asked,
                    "first": o.first,
                    "items": o.items,
                }
                for o in self.outcomes
            },
        }


def grade_program(
    program: Sequence[tuple[int, str]],
    checks: Sequence[Check],
    *,
    student: str = "",
    assignment: str = "",
    reveal: bool = True,
    allow_unsandboxed: bool = False,
    answerer_options: dict[str, Any] | None = None,
) -> Report:
    """Run every check against the program, in one sandboxed answerer."""
    start = time.monotonic()
    report = Report(student, assignment)
    seed = seed_for(student)
    preludes = {c.prelude(seed) for c in checks if c.prelude is not None}
    cells = [(0, text) for text in sorted(preludes)] + list(program)
    with Answerer(
        cells, allow_unsandboxed=allow_unsandboxed, **(answerer_options or {})
    ) as answerer:
        report.sandboxed = answerer.sandboxed
        for check in checks:
            report.outcomes.append(check.run(answerer, seed if check.personal else 0, reveal))
        report.load = answerer.load  # after any restart, the last word on how the code loaded
        if answerer.budget_hit:
            report.budget = answerer.budget_note()
    report.seconds = time.monotonic() - start
    return report


def grade_notebook(
    nb: dict[str, Any],
    assignment: str,
    student: str = "",
    grade_ids: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """Grade a notebook's program with its assignment's checks (or only those named)."""
    checks = for_assignment(assignment)
    if grade_ids is not None:
        wanted = set(grade_ids)
        checks = [c for c in checks if c.grade_id in wanted]
    return grade_program(
        program_from_notebook(nb), checks, student=student, assignment=assignment, **options
    )


def cell_text(report: Report, outcome: Outcome) -> str:
    """The feedback printed in a graded cell: the outcome, plus load problems if it failed."""
    text = outcome.feedback()
    if outcome.right < outcome.asked and report.notes():
        text += "\n" + report.notes()
    if not report.sandboxed:
        text += "\n(graded without a sandbox: bubblewrap is not installed here)"
    return text
