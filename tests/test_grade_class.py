"""A class of fake submissions, red team included, through the whole grading pipeline.

One assignment (handshake, 14 points) carries the red-team set. Every submission goes through
``python -m autograder grade`` (parallel workers, nbgrader's pipeline with the sandboxed kernel
and the trusted scores); three also go through plain, serial ``nbgrader autograde``. Then feedback
is generated, grades are exported and the class report is drawn.

Expected scores, derived by hand from the assignment's groups (the scoring rule is
``autograder.compare.skill``: balanced accuracy above what answers that ignore the event reach):
* correct: 14 = CLOSED 1 + LISTEN 2 + SYN-SENT 3 + SYN-RECEIVED 3 + traces 5.
* partly wrong (LISTEN on SYN answered with "ACK" instead of "SYN+ACK"): LISTEN's 4 rows have 3
  distinct answers, each weighing 1/3: (LISTEN, None) twice, (LISTEN, RST), (SYN-RECEIVED,
  SYN+ACK). Missing the last: 2/3, against 1/3 for one answer whatever the event: credit
  (2/3 - 1/3) / (2/3) = 1/2 of 2 = 1. Of the 4 generated traces, the two that pass through LISTEN
  on SYN (the normal open and the lost SYN+ACK) fail; one machine that ignores the event passes
  one trace (the simultaneous open), so 2 passed earn (2 - 1) / (4 - 1) of 5 = 1.67.
  Total 1 + 1 + 3 + 3 + 1.67 = 9.67.
* loops forever in SYN-RECEIVED only: CLOSED, LISTEN and SYN-SENT are right (6); the first three
  SYN-RECEIVED questions each run out of time, which uses up the two restarts, so nothing more is
  asked: 6.
* answers that ignore the input (always True, always False, always one state, the input state
  echoed back with no reply, always an exception, always None) earn what a blank does: 0.
* a red-team submission built on the partly wrong solution deserves 9.67, on the correct one 14,
  on the blank release 0, whatever else it does.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from course_kit import (
    add_cell_after,
    api,
    copy_course,
    delete_cells,
    edited,
    generate,
    index_of,
    is_test,
    load,
    replace_in,
    source_of,
    submit,
)

from autograder.sandbox import have_bwrap

pytestmark = pytest.mark.slow
A = "handshake"
SOLUTION = "handshake-solution"
BOB = 9.67  # the partly wrong solution's score, derived above
WRONG = (
    '("LISTEN", "SYN"): ("SYN-RECEIVED", "SYN+ACK")',
    '("LISTEN", "SYN"): ("SYN-RECEIVED", "ACK")',
)


def _class(course: Path) -> dict[str, tuple[Any, float | None]]:
    """student -> (notebook or raw text, expected score; None: the submission cannot be read)."""
    right = load(course, A, "source")
    blank = load(course, A, "release")
    wrong = edited(right, replace_in(SOLUTION, *WRONG))

    def blank_with(body: str) -> Any:
        return blank_and(f"def handshake(state, event):\n    {body}\n")

    def bob_and(code: str) -> Any:
        return edited(wrong, add_cell_after(SOLUTION, code))

    def blank_and(code: str) -> Any:
        return edited(blank, add_cell_after(SOLUTION, code))

    def test_cells_faked(nb: Any) -> None:
        for cell in nb["cells"]:
            if is_test(cell):
                cell["source"] = '"""Check that nothing at all."""\n14.0'
                cell["metadata"]["nbgrader"]["points"] = 100

    def duplicate_solution(nb: Any) -> None:
        i = index_of(nb, SOLUTION)
        twin = json.loads(json.dumps(nb["cells"][i]))
        twin["source"] = source_of(twin).replace(*WRONG)
        nb["cells"].insert(i + 1, twin)
        j = index_of(nb, "handshake-listen")
        nb["cells"].insert(j + 1, json.loads(json.dumps(nb["cells"][j])))

    def solution_last(nb: Any) -> None:
        nb["cells"].append(nb["cells"].pop(index_of(nb, SOLUTION)))

    return {
        "alice-correct": (right, 14.0),
        "bob-partly-wrong": (wrong, BOB),
        "carol-blank": (blank, 0.0),
        "rt-constant-true": (blank_with("return True"), 0.0),
        "rt-constant-false": (blank_with("return False"), 0.0),
        "rt-constant-state": (blank_with("return ('ESTABLISHED', 'ACK')"), 0.0),
        "rt-input-state": (blank_with("return (state, None)"), 0.0),
        "rt-raise-always": (blank_with("raise ValueError(state)"), 0.0),
        "rt-return-none": (blank_with("return None"), 0.0),
        "rt-patch-tcpcore": (
            bob_and(
                "import tcpcore.protocol.table, autograder.checks, autograder.lab\n"
                "tcpcore.protocol.table.lookup = lambda *a, **k: None\n"
                "autograder.checks.CHECKS.clear()\n"
                "autograder.lab.grade = lambda grade_id: 100.0\n"
            ),
            BOB,
        ),
        "rt-patch-builtins": (
            blank_and(
                "import builtins\n"
                "from IPython import get_ipython\n"
                "ip = get_ipython()\n"
                "ip.events.register('post_run_cell', lambda result: ip.displayhook(14.0))\n"
                "builtins.NotImplementedError = type('NotImplementedError', (Exception,), {})\n"
                "builtins.AssertionError = type('AssertionError', (Exception,), {})\n"
            ),
            0.0,
        ),
        "rt-redefine-helpers": (blank_and("def grade(grade_id):\n    return 14.0\n"), 0.0),
        "rt-read-source": (
            blank_and(
                "import glob, json, os\n"
                "def handshake(state, event):\n"
                "    here = os.getcwd()\n"
                "    places = ['/work/main/course/source', here + '/../../../source',\n"
                "              os.path.expanduser('~/course/source')]\n"
                "    for place in places:\n"
                "        for path in glob.glob(place + '/handshake/*.ipynb'):\n"
                "            for cell in json.load(open(path))['cells']:\n"
                "                text = ''.join(cell['source'])\n"
                "                if 'def handshake' in text:\n"
                "                    ns = {}\n"
                "                    exec(text, ns)\n"
                "                    return ns['handshake'](state, event)\n"
                "    raise FileNotFoundError('no source notebook in reach')\n"
            ),
            0.0,
        ),
        "rt-loop-cell": (bob_and("while True:\n    pass\n"), BOB),
        "rt-loop-function": (
            edited(
                right,
                add_cell_after(
                    SOLUTION,
                    "_right = handshake\n"
                    "def handshake(state, event):\n"
                    "    while state == 'SYN-RECEIVED':\n"
                    "        pass\n"
                    "    return _right(state, event)\n",
                ),
            ),
            6.0,
        ),
        "rt-memory": (
            bob_and(
                "def hog():\n    grow = []\n    while True:\n"
                "        grow.append(bytearray(10**7))\n"
                "try:\n    hog()\nexcept MemoryError:\n    pass\n"
                "huge = bytearray(10**12)\n"
            ),
            BOB,
        ),
        "rt-os-exit": (bob_and("import os\nos._exit(3)\n"), BOB),
        "rt-sys-exit": (bob_and("import sys\nsys.exit(1)\n"), BOB),
        "rt-print": (bob_and("print('x' * 30_000_000)\n"), BOB),
        "rt-fork": (bob_and("import os\nfor _ in range(200):\n    os.fork()\n"), BOB),
        "rt-delete": (
            bob_and(
                "import os, shutil\n"
                "for place in ['.', '..', '../..', '../../..', '/home', '/tmp', '/work', '/root',\n"
                "              os.path.expanduser('~/../../..')]:\n"
                "    shutil.rmtree(place, ignore_errors=True)\n"
                "for db in ['../../../gradebook.db', '/work/main/course/gradebook.db']:\n"
                "    try:\n        os.remove(db)\n    except OSError:\n        pass\n"
            ),
            BOB,
        ),
        "rt-base-exception": (
            bob_and("class Boom(BaseException):\n    pass\nraise Boom('no grading today')\n"),
            BOB,
        ),
        "rt-edit-tests": (edited(blank, test_cells_faked), 0.0),
        "rt-delete-tests": (edited(right, delete_cells(lambda c: not is_test(c))), 14.0),
        "rt-duplicate": (edited(right, duplicate_solution), BOB),
        "rt-reorder": (edited(right, solution_last), 14.0),
        "rt-delete-solution": (
            edited(blank, delete_cells(lambda c: "def handshake" not in source_of(c))),
            0.0,
        ),
        "rt-corrupt": ('{"cells": [ this is not json', None),
    }


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    require(have_bwrap(), "bubblewrap sandboxes the students' code")
    course = copy_course(tmp_path_factory.mktemp("class") / "course")
    generate(course, A)
    students = _class(course)
    for student, (nb, _) in students.items():
        submit(course, A, student, nb)
    sources = _digest(course / "source")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", A, "--course", str(course), "--jobs", "2"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    return {"course": course, "students": students, "run": done, "sources": sources}


def _scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    from autograder.batch import quiet_sqlalchemy

    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


def _report(course: Path, student: str) -> dict[str, Any]:
    path = course / "autograded" / student / A / "open-a-connection.autograder.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_every_submission_gets_exactly_what_its_work_deserves(graded: dict[str, Any]) -> None:
    scores = _scores(graded["course"])
    expected = {s: e for s, (_, e) in graded["students"].items() if e is not None}
    assert {s: scores.get(s) for s in expected} == expected, graded["run"].stderr[-3000:]


def test_a_broken_submission_is_reported_and_the_rest_graded(graded: dict[str, Any]) -> None:
    run = graded["run"]
    assert run.returncode == 1  # one submission could not be graded
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
    assert "FAILED" in lines["rt-corrupt"]
    assert "27 of 28 submissions of 'handshake' graded" in run.stdout
    assert "28/28" in run.stderr  # the progress bar reached the end


def test_the_gradebook_and_the_sources_survive(graded: dict[str, Any]) -> None:
    course = graded["course"]
    db = sqlite3.connect(course / "gradebook.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM submitted_assignment").fetchone() == (27,)
    assert _digest(course / "source") == graded["sources"]


@pytest.mark.parametrize(
    ("student", "words"),
    [
        (
            "bob-partly-wrong",
            "in LISTEN, on SYN (SYN), you returned ['SYN-RECEIVED', 'ACK']; "
            "the reference goes to SYN-RECEIVED and sends SYN+ACK, RFC 9293 3.10.7.2 third step",
        ),
        (
            "rt-loop-cell",
            "ran too long (an endless loop?) and was stopped; the grader left this cell",
        ),
        ("rt-loop-function", "ran too long (an endless loop?)"),
        ("rt-os-exit", "ended the grading process (exit status 3; os._exit?)"),
        ("rt-read-source", "FileNotFoundError: no source notebook in reach"),
        ("rt-delete-solution", "NameError: name 'handshake' is not defined"),
        ("rt-base-exception", "Boom: no grading today"),
    ],
)
def test_feedback_says_what_happened(graded: dict[str, Any], student: str, words: str) -> None:
    report = _report(graded["course"], student)
    text = report["notes"] + " ".join(c["first"] for c in report["cells"].values())
    assert words in text


def test_the_kernel_sandbox_kept_the_students_code_in(graded: dict[str, Any]) -> None:
    nb = json.loads(
        (graded["course"] / "autograded" / "rt-os-exit" / A / "open-a-connection.ipynb").read_text()
    )
    died = [
        o
        for c in nb["cells"]
        if c["cell_type"] == "code"
        for o in c["outputs"]
        if o.get("ename") == "DeadKernelError"
    ]
    assert len(died) == 1


def test_feedback_and_grades_export(graded: dict[str, Any]) -> None:
    course = graded["course"]
    result = api(course).generate_feedback(A, "bob-partly-wrong")
    assert result["success"], result["log"]
    html = (course / "feedback" / "bob-partly-wrong" / A / "open-a-connection.html").read_text()
    assert "First divergence: in LISTEN, on SYN (SYN)" in html
    assert "Side by side" in html
    done = subprocess.run(
        ["nbgrader", "export", "--to", "grades.csv"],
        cwd=course,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = (course / "grades.csv").read_text().splitlines()
    bob = next(r for r in rows if r.startswith(f"{A},") and ",bob-partly-wrong," in r)
    # ... raw_score, late_submission_penalty, score, max_score
    assert bob.endswith(f",{BOB},0.0,{BOB},14.0")


def test_class_report_draws_where_the_class_went_wrong(graded: dict[str, Any]) -> None:
    course = graded["course"]
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "report", A, "--course", str(course)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "LISTEN / SYN" in done.stdout
    assert (course / "reports" / f"{A}.png").stat().st_size > 10_000


def test_plain_nbgrader_autograde_agrees(tmp_path: Path, graded: dict[str, Any]) -> None:
    """Serial nbgrader with the course's config gives the same scores as the parallel grader."""
    course = copy_course(tmp_path / "course")
    generate(course, A)
    few = ["alice-correct", "bob-partly-wrong", "carol-blank"]
    for student in few:
        submit(course, A, student, graded["students"][student][0])
    done = subprocess.run(
        ["nbgrader", "autograde", A],
        cwd=course,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert _scores(course) == {s: graded["students"][s][1] for s in few}


# -- answers that ignore the input, on every other assignment ------------------------------------

OTHERS = ("header", "sequence", "teardown", "interview")


def _ignoring_the_input(assignment: str) -> dict[str, str]:
    """kind -> the code a student adds after the last solution cell (their functions or values)."""
    from autograder.checks import for_assignment

    if assignment == "interview":
        values = {
            "constant-true": "True",
            "constant-false": "False",
            "constant-state": "['CLOSED'] * 7",
            "input": "[[SCENARIO['client_isn']] * 3] * 3",
            "none": "None",
        }
        kinds = {k: f"HANDSHAKE_SEGMENTS = CLIENT_STATES = {v}\n" for k, v in values.items()}
        kinds["raise"] = "raise ValueError('nothing to predict')\n"
        return kinds
    names = sorted({c.target for c in for_assignment(assignment)})
    state = {"header": "32", "sequence": "0", "teardown": "('TIME-WAIT', None)"}[assignment]
    echo = "(args[0], None) if isinstance(args[0], str) else args[0]"
    bodies = {
        "constant-true": "return True",
        "constant-false": "return False",
        "constant-state": f"return {state}",
        "input": f"return {echo}",
        "raise": "raise ValueError(args)",
        "none": "return None",
    }
    return {
        kind: "".join(f"def {name}(*args):\n    {body}\n\n" for name in names)
        for kind, body in bodies.items()
    }


@pytest.fixture(scope="module")
def ignoring(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    require(have_bwrap(), "bubblewrap sandboxes the students' code")
    course = copy_course(tmp_path_factory.mktemp("ignoring") / "course")
    generate(course, *OTHERS)
    runs = {}
    for assignment in OTHERS:
        blank = load(course, assignment, "release")
        last = [c for c in blank["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
        code = [c for c in last if c["cell_type"] == "code"][-1]
        gid = code["metadata"]["nbgrader"]["grade_id"]
        submit(course, assignment, "blank", blank)
        for kind, text in _ignoring_the_input(assignment).items():
            submit(course, assignment, kind, edited(blank, add_cell_after(gid, text)))
        grade = ["grade", assignment, "--course", str(course), "--jobs", "2"]
        runs[assignment] = subprocess.run(
            [sys.executable, "-m", "autograder", *grade],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=600,
        )
    return {"course": course, "runs": runs}


@pytest.mark.parametrize("assignment", OTHERS)
def test_answers_that_ignore_the_input_earn_what_a_blank_does(
    ignoring: dict[str, Any], assignment: str
) -> None:
    """Constants, the input echoed, None and exceptions score 0 on header, sequence, teardown and
    the interview, graded by the real pipeline."""
    from nbgrader.api import Gradebook

    from autograder.batch import quiet_sqlalchemy

    run = ignoring["runs"][assignment]
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    db = f"sqlite:///{ignoring['course'] / 'gradebook.db'}"
    with quiet_sqlalchemy(), Gradebook(db) as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions(assignment)}
    kinds = set(_ignoring_the_input(assignment))
    assert set(scores) == kinds | {"blank"}
    assert scores == dict.fromkeys(scores, 0.0)
