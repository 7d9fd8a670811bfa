"""A student outside any class can do the five assignments from the lessons alone.

The lessons link to the student versions in assignments/ (what nbgrader releases from
course/source: no solutions, no hidden tests), those copies match course/source, and each one
checks itself from a cell, with the same checks as ``python -m autograder check``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from course_kit import ASSIGNMENTS

from autograder import keys, lab
from autograder.checks import for_assignment

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
STUDENT = ROOT / "assignments"


def text_of(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"])


def test_student_versions_are_up_to_date_with_course_source() -> None:
    """assignments/ is exactly what course/source releases; if not, run make student-versions."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "student_versions.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (
        f"{done.stdout}{done.stderr}\nassignments/ is stale: run `make student-versions`"
    )


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_student_versions_hold_no_solutions_and_no_hidden_tests(assignment: str) -> None:
    """Each student version exists and carries no solution, hidden test or rubric."""
    path = STUDENT / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"
    text = text_of(path)
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "grade(", "Rubric"):
        assert marker not in text, f"{marker!r} in {path.relative_to(ROOT)}"
    assert f'check("{assignment}")' in text, "the self-check cell is missing"
    for link in re.findall(r"\]\((\.\./[^)#]+)", text):
        assert (path.parent / link).exists(), f"{path.name}: broken link {link}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lessons_link_the_student_versions_not_the_sources(lesson: Path) -> None:
    """A lesson's assignment links lead to assignments/, never to course/source (solutions)."""
    text = text_of(lesson)
    assert "course/source" not in text, f"{lesson.name} links the solutions in course/source"
    for link in re.findall(r"\]\((\.\./assignments/[^)#]+)", text):
        assert (lesson.parent / link).exists(), f"{lesson.name}: broken link {link}"


def test_the_handshake_events_are_the_graded_pairs_each_defined(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """events("handshake") prints every graded (state, event) pair once, with its own meaning."""
    lab.events("handshake")
    out = capsys.readouterr().out
    printed, state = set(), None
    for line in out.splitlines():
        if line.startswith("in "):
            state = line[3:].rstrip(":")
        elif line.startswith("  "):
            printed.add((state, line.split()[0]))
    graded = {(str(c.state), c.trigger.name) for c in keys.table_cases(keys.handshake_scope)}
    assert printed == graded
    undefined = {p for p in graded if p not in lab._MEANING and p[1] not in lab._CALLS}
    assert not undefined, f"pairs without a definition of their own: {sorted(undefined)}"


def run_notebook(nb: dict[str, Any], folder: Path) -> dict[str, Any]:
    import nbformat
    from nbclient import NotebookClient

    node = nbformat.reads(json.dumps(nb), as_version=4)
    NotebookClient(
        node,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    return json.loads(nbformat.writes(node))  # type: ignore[no-any-return]


def self_check_output(nb: dict[str, Any]) -> str:
    cell = next(
        c for c in nb["cells"] if "from autograder.lab import check" in "".join(c["source"])
    )
    errors = [o["ename"] for o in cell["outputs"] if o["output_type"] == "error"]
    assert not errors, f"the self-check cell raised {errors}"
    texts = [o.get("text", "") for o in cell["outputs"] if o["output_type"] == "stream"]
    return "".join("".join(t) if isinstance(t, list) else t for t in texts)


@pytest.mark.slow
def test_the_self_check_cell_grades_the_student_version_and_the_solution(tmp_path: Path) -> None:
    """In-notebook check: 0 points for the untouched student version, full marks for the source."""
    name = ASSIGNMENTS["header"]
    student = json.loads((STUDENT / "header" / f"{name}.ipynb").read_text(encoding="utf-8"))
    source = json.loads(
        (ROOT / "course" / "source" / "header" / f"{name}.ipynb").read_text(encoding="utf-8")
    )
    (tmp_path / "header").mkdir()
    empty = self_check_output(run_notebook(student, tmp_path / "header"))
    solved = self_check_output(run_notebook(source, tmp_path / "header"))
    total = sum(c.points for c in for_assignment("header") if c.kind != "value")
    assert f"Auto-graded parts: 0 of {total:g}" in empty, empty
    assert f"Auto-graded parts: {total:g} of {total:g}" in solved, solved


@pytest.mark.slow
def test_the_self_check_says_loudly_when_interview_numbers_are_typed(tmp_path: Path) -> None:
    """Interview: predictions typed as numbers, not computed from SCENARIO, draw a warning."""
    path = ROOT / "course" / "source" / "interview" / f"{ASSIGNMENTS['interview']}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id == "predict-handshake-solution":
            cell["source"] = [
                'HANDSHAKE_SEGMENTS = [["SYN", 7, 0], ["SYN+ACK", 9, 8], ["ACK", 8, 10]]'
            ]
    (tmp_path / "interview").mkdir()
    typed = self_check_output(run_notebook(nb, tmp_path / "interview"))
    computed = self_check_output(run_notebook(json.loads(path.read_text()), tmp_path / "interview"))
    assert "you typed the numbers" in typed, typed
    assert "you typed the numbers" not in computed, computed


@pytest.mark.slow
def test_the_in_process_self_check_gives_the_same_result_as_the_sandboxed_one(
    tmp_path: Path,
) -> None:
    """check(in_process=True), JupyterLite's path, scores the solutions and flags typed numbers."""
    for assignment in ("handshake", "interview"):
        path = ROOT / "course" / "source" / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            text = "".join(cell["source"])
            if f'check("{assignment}")' in text:
                cell["source"] = [text.replace(")", ", in_process=True)")]
            if cell["metadata"].get("nbgrader", {}).get("grade_id") == "predict-handshake-solution":
                cell["source"] = [
                    'HANDSHAKE_SEGMENTS = [["SYN", 7, 0], ["SYN+ACK", 9, 8], ["ACK", 8, 10]]'
                ]
        (tmp_path / assignment).mkdir()
        out = self_check_output(run_notebook(nb, tmp_path / assignment))
        assert "ran unsandboxed" in out, out
        if assignment == "handshake":
            total = sum(c.points for c in for_assignment("handshake") if c.kind != "value")
            assert f"Auto-graded parts: {total:g} of {total:g}" in out, out
        else:
            assert "you typed the numbers" in out, out


def test_the_in_process_answerer_answers_plain_data_only() -> None:
    """InProcessAnswerer: values cross as JSON; an object equal to everything is no answer."""
    cells = [
        (1, "def double(x):\n    return [x, x]"),
        (2, "class Any:\n    def __eq__(self, other):\n        return True"),
        (3, "CHEAT = Any()"),
        (4, "raise ValueError('oops')"),
    ]
    with lab.InProcessAnswerer(cells) as answerer:
        assert answerer.call("double", (1, b"\x01")).value == [[1, b"\x01"], [1, b"\x01"]]
        cheat = answerer.get("CHEAT")
        assert not cheat.ok and "Any" in cheat.error
        assert not answerer.get("missing").ok
        assert answerer.load.errors == [(4, "ValueError: oops")]
