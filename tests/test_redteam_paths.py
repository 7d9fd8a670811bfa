"""Attacks on the paths around the grader (issue 19), mounted through plain ``nbgrader autograde``.

One class of ``handshake`` submissions goes through plain, serial ``nbgrader autograde`` with the
course's configuration, the way an instructor would run it. Each attacker is named for what it
does; its expected score is derived by hand from the assignment's groups (see
tests/test_grade_class.py): right 14, the partly wrong solution 9.67, CLOSED + LISTEN + SYN-SENT
only 6. ``zz-honest`` sorts last, so it is graded after every attacker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from course_kit import (
    add_cell_after,
    copy_course,
    edited,
    generate,
    is_test,
    load,
    replace_in,
    submit,
)

from autograder.sandbox import have_bwrap

pytestmark = pytest.mark.slow
A = "handshake"
NB = "open-a-connection"
SOLUTION = "handshake-solution"
WRONG = (
    '("LISTEN", "SYN"): ("SYN-RECEIVED", "SYN+ACK")',
    '("LISTEN", "SYN"): ("SYN-RECEIVED", "ACK")',
)
BUDGET = 20  # TrustedScores.budget in this course: seconds to ask one submission everything
KERNEL_BUDGET = 30  # SandboxedExecute.kernel_budget: seconds to run one notebook's cells


def _forge(line: bytes, state: str) -> str:
    """A handshake() that writes ``line`` to every descriptor (the answer pipe among them)
    when asked about ``state``, then answers right."""
    return (
        "import os\n"
        "_right = handshake\n"
        "def handshake(state, event):\n"
        f"    if state == {state!r}:\n"
        "        for fd in range(3, 256):\n"
        "            try:\n"
        f"                os.write(fd, {line!r})\n"
        "            except OSError:\n"
        "                pass\n"
        "    return _right(state, event)\n"
    )


def _nbgrader_meta(change: Any) -> Any:
    def edit(nb: Any) -> None:
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is not None:
                change(cell, meta)

    return edit


def _class(course: Path) -> dict[str, tuple[Any, float]]:
    """student -> (notebook, the score its work deserves)."""
    right = load(course, A, "source")
    wrong = edited(right, replace_in(SOLUTION, *WRONG))

    def right_and(code: str) -> Any:
        return edited(right, add_cell_after(SOLUTION, code))

    def test_cells(**fields: Any) -> Any:
        def change(cell: Any, meta: Any) -> None:
            if is_test(cell):
                meta.update(fields)

        return _nbgrader_meta(change)

    def renamed(cell: Any, meta: Any) -> None:
        if meta.get("grade_id") == "handshake-listen":
            meta["grade_id"] = "handshake-listen-mine"

    def xss(nb: Any) -> None:
        add_cell_after(SOLUTION, XSS_CODE)(nb)
        nb["cells"].append(
            {"cell_type": "markdown", "id": "xss-md", "metadata": {}, "source": XSS_MARKDOWN}
        )
        nb["metadata"]["title"] = "</title><script>document.title='pwned'</script>"
        nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"x": 1}}

    return {
        # item 5: a newer (and an older) nbgrader schema on every cell
        "a-schema-v4": (edited(right, _nbgrader_meta(lambda c, m: m.update(schema_version=4))), 14),
        "a-schema-v1": (edited(right, _nbgrader_meta(lambda c, m: m.update(schema_version=1))), 14),
        # item 6: metadata, pipe, text and file attacks
        "b-test-as-solution": (edited(right, test_cells(solution=True)), 14),
        "b-test-not-graded": (edited(right, test_cells(grade=False)), 14),
        "b-test-renamed": (edited(right, _nbgrader_meta(renamed)), 14),
        "c-pipe-not-a-cell": (
            edited(right, add_cell_after(SOLUTION, _load_forgery())),
            14,
        ),
        "c-pipe-bad-hex": (
            right_and(_forge(b'{"ok": true, "value": {"bytes": "zz"}}\n', "SYN-RECEIVED")),
            6,
        ),
        "c-pipe-deep-json": (right_and(_forge(b"[" * 200_000 + b"\n", "SYN-RECEIVED")), 6),
        "d-surrogate": (
            edited(wrong, add_cell_after(SOLUTION, "raise ValueError('bad \\udc80 byte')\n")),
            9.67,
        ),
        "e-dangling-link": (right, 14),
        # item 7
        "f-forged-report": (right, 14),
        # item 1
        "g-xss": (edited(right, xss), 14),
        # limits
        "h-flood": (edited(wrong, add_cell_after(SOLUTION, "print('x' * 30_000_000)\n")), 9.67),
        "h-slow": (right_and(SLOW_CODE), -1),  # partial: see test_a_slow_submission_...
        "zz-honest": (wrong, 9.67),
    }


XSS_CODE = (
    "from IPython.display import HTML, Javascript, SVG, display\n"
    "display(HTML('<script>window.PWNED = 1</script><img src=x onerror=\"window.PWNED=2\">'))\n"
    "display(Javascript('window.PWNED = 3'))\n"
    'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" onload="window.PWNED=4"></svg>\'))\n'
    "display({'text/html': '<iframe src=\"javascript:parent.PWNED=5\"></iframe>',\n"
    "         'text/plain': 'just text'}, raw=True)\n"
)
XSS_MARKDOWN = (
    'My answer <img src=x onerror="window.PWNED=6"> and '
    "[a link](javascript:window.PWNED=7) and <script>window.PWNED=8</script>"
)
SLOW_CODE = (
    "import os, time\n"
    "_right = handshake\n"
    "def handshake(state, event):\n"
    "    time.sleep(1.5)  # under the 2 s per question, but slow over every question\n"
    "    return _right(state, event)\n"
    "if os.environ.get('NBGRADER_EXECUTION'):  # in the kernel only: cells that take long\n"
    "    time.sleep(9)\n"
)


def _load_forgery() -> str:
    """A cell that, while the answerer loads it, writes a cell number that is not a number."""
    return (
        "import os\n"
        "for fd in range(3, 256):\n"
        "    try:\n"
        '        os.write(fd, b\'{"cell": "not a number"}\\n\')\n'
        "    except OSError:\n"
        "        pass\n"
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


FORGED_ITEM = "FORGED / ROW"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    require(have_bwrap(), "bubblewrap sandboxes the students' code")
    course = copy_course(tmp_path_factory.mktemp("redteam") / "course")
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f"c.TrustedScores.budget = {BUDGET}\n")
        config.write(f"c.SandboxedExecute.kernel_budget = {KERNEL_BUDGET}\n")
    generate(course, A)
    students = _class(course)
    for student, (nb, _) in students.items():
        submit(course, A, student, nb)
    slow = course / "submitted" / "h-slow" / A / f"{NB}.ipynb"
    nb = json.loads(slow.read_text())
    for _ in range(3):
        add_cell_after(
            SOLUTION,
            "import os, time\nif os.environ.get('NBGRADER_EXECUTION'):\n    time.sleep(9)\n",
        )(nb)
    slow.write_text(json.dumps(nb))
    folder = course / "submitted"
    (folder / "e-dangling-link" / A / "notes.txt").symlink_to("/nonexistent/notes.txt")
    forged = {
        "student": "f-forged-report",
        "assignment": A,
        "score": 99.0,
        "max_score": 14,
        "cells": {"x": {"items": {FORGED_ITEM: False}}},
    }
    for name in (f"{NB}.autograder.json", "extra.autograder.json"):
        (folder / "f-forged-report" / A / name).write_text(json.dumps(forged))
    done = subprocess.run(
        ["nbgrader", "autograde", A],
        cwd=course,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=1500,
    )
    return {"course": course, "students": students, "run": done}


def _scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    from autograder.batch import quiet_sqlalchemy

    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


def _autograded(course: Path, student: str, suffix: str = ".ipynb") -> Path:
    return course / "autograded" / student / A / f"{NB}{suffix}"


def _report(course: Path, student: str) -> dict[str, Any]:
    data = json.loads(_autograded(course, student, ".autograder.json").read_text())
    assert isinstance(data, dict)
    return data


def test_plain_nbgrader_grades_every_attacker_as_its_work_deserves(graded: dict[str, Any]) -> None:
    """Items 5 and 6: no submission stops the class, and each gets what its work deserves."""
    run = graded["run"]
    scores = _scores(graded["course"])
    expected = {s: e for s, (_, e) in graded["students"].items() if e >= 0}
    assert {s: scores.get(s) for s in expected} == expected, run.stderr[-4000:]
    assert "There was an error processing" not in run.stderr, run.stderr[-4000:]
    assert run.returncode == 0, run.stderr[-4000:]


def test_forged_pipe_lines_cost_only_the_forger(graded: dict[str, Any]) -> None:
    """Item 6: a forged line on the answer pipe is named in the forger's own feedback."""
    course = graded["course"]
    for student in ("c-pipe-bad-hex", "c-pipe-deep-json"):
        cells = _report(course, student)["cells"]
        assert "garbled the grader's pipe" in cells["handshake-syn-received"]["first"]
    notes = _report(course, "c-pipe-not-a-cell")["notes"]
    assert "garbled the grader's pipe and was stopped; the grader left this cell out" in notes


def test_a_lone_surrogate_is_written_as_a_replacement_character(graded: dict[str, Any]) -> None:
    """Item 6: an exception message with a lone surrogate reaches the feedback as '?'."""
    notes = _report(graded["course"], "d-surrogate")["notes"]
    assert "ValueError: bad ? byte" in notes
    text = _autograded(graded["course"], "d-surrogate").read_text(encoding="utf-8")
    assert "bad ? byte" in text


def test_a_dangling_link_becomes_a_note_and_is_never_followed(graded: dict[str, Any]) -> None:
    """Item 6: a dangling symlink in a submission is replaced by a note, not a crash."""
    folder = graded["course"] / "autograded" / "e-dangling-link" / A
    note = (folder / "notes.txt.not-followed.txt").read_text()
    assert "a link to '/nonexistent/notes.txt'" in note
    assert not (folder / "notes.txt").exists()


def test_the_class_report_reads_only_what_the_grader_wrote(graded: dict[str, Any]) -> None:
    """Item 7: a student's own *.autograder.json never reaches the class report."""
    course = graded["course"]
    folder = course / "autograded" / "f-forged-report" / A
    assert not (folder / "extra.autograder.json").exists()
    assert _report(course, "f-forged-report")["score"] == 14
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "report", A, "--course", str(course)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "LISTEN / SYN" in done.stdout  # the class's real misses are there
    assert FORGED_ITEM not in done.stdout
    assert "max 14.00" in done.stdout


def test_nothing_active_reaches_the_autograded_notebook_or_the_feedback(
    graded: dict[str, Any],
) -> None:
    """Item 1: scripts, handlers, iframes, SVG and widget state are gone or shown as text."""
    from course_kit import api

    course = graded["course"]
    nb = json.loads(_autograded(course, "g-xss").read_text())
    mimes = {m for c in nb["cells"] for o in c.get("outputs", []) for m in o.get("data", {})}
    assert mimes <= {"text/plain", "image/png", "image/jpeg", "image/gif"}
    assert set(nb["metadata"]) <= {"kernelspec", "language_info"}
    markdown = "".join(next(c for c in nb["cells"] if c.get("id") == "xss-md")["source"])
    assert "&lt;img" in markdown and "&lt;script>" in markdown
    assert "](javascript:" not in markdown
    result = api(course).generate_feedback(A, "g-xss")
    assert result["success"], result["log"]
    html = (course / "feedback" / "g-xss" / A / f"{NB}.html").read_text()
    active = _ActiveContent()
    active.feed(html)
    assert active.found == [], active.found
    assert "window.PWNED" in html  # the attack is there, as text


class _ActiveContent(HTMLParser):
    """Collects what in an HTML page could run: the student's script, a handler, a frame, a
    script URL. The page template's own scripts (which never mention PWNED) are not counted."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("iframe", "object", "embed", "svg", "frame"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                ("javascript:", "data:text/html")
            ):
                self.found.append(f"<{tag} {name}={value}>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "PWNED" in data:
            self.found.append("<script>...PWNED...</script>")


def test_output_is_capped_per_cell_and_notebook(graded: dict[str, Any]) -> None:
    """Limits: a 30 MB print leaves a small autograded notebook with a note, not 30 MB."""
    path = _autograded(graded["course"], "h-flood")
    assert path.stat().st_size < 2 << 20
    assert "[output cut: more than 1024 KiB in this cell" in path.read_text()


def test_a_slow_submission_meets_its_budget_and_the_feedback_says_so(
    graded: dict[str, Any],
) -> None:
    """Limits: a slow but correct submission is stopped by its budgets, with a note in feedback."""
    course = graded["course"]
    score = _scores(course)["h-slow"]
    assert 0 < score < 14
    report = _report(course, "h-slow")
    assert f"used up its {BUDGET} s budget" in report["notes"]
    text = _autograded(course, "h-slow").read_text()
    assert f"Grading stopped early: grading this submission used up its {BUDGET} s" in text
    assert f"the cells after it not run: the notebook used up its {KERNEL_BUDGET} s budget" in text


def test_the_sandbox_tmp_is_a_capped_tmpfs() -> None:
    """Limits: the sandbox's /tmp (memory) fills at its cap; writing past it fails with ENOSPC."""
    import errno

    from autograder.sandbox import TMP_SIZE, Answerer

    require(have_bwrap(), "bubblewrap gives the sandbox its own /tmp")
    code = (
        "def fill():\n"
        "    written = 0\n"
        "    try:\n"
        "        for i in range(40):\n"
        "            with open(f'/tmp/f{i}', 'wb') as f:\n"
        "                f.write(b'x' * (4 << 20))\n"
        "            written += 4 << 20\n"
        "    except OSError as exc:\n"
        "        return [written, exc.errno]\n"
        "    return [written, 0]\n"
    )
    with Answerer([(1, code)], call_timeout=20.0) as answerer:
        got = answerer.call("fill")
    assert got.ok, got.error
    written, error = got.value
    assert error == errno.ENOSPC
    assert TMP_SIZE - (4 << 20) <= written <= TMP_SIZE
