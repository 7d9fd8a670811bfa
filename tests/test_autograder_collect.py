"""``python -m autograder collect``: hand-ins from a folder to where nbgrader grades them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from course_kit import copy_course

from autograder.collect import CollectError, collect

NOTEBOOK = "decode-the-header.ipynb"


def nb(tag: str) -> str:
    """A minimal notebook whose one markdown cell says ``tag``, to tell copies apart."""
    return json.dumps({"cells": [{"cell_type": "markdown", "source": tag}], "nbformat": 4})


def _inbox(tmp_path: Path, files: dict[str, str]) -> Path:
    inbox = tmp_path / "inbox"
    for name, text in files.items():
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        (inbox / name).write_text(text)
    return inbox


def test_each_students_notebook_lands_in_submitted(tmp_path: Path) -> None:
    """alice.ipynb and bob/<notebook> go to submitted/<id>/header/<notebook>, byte for byte."""
    course = copy_course(tmp_path / "course")
    inbox = _inbox(tmp_path, {"alice.ipynb": nb("A"), f"bob/{NOTEBOOK}": nb("B"), ".DS_Store": "x"})
    done = collect(course, "header", inbox)
    assert set(done.copied) == {"alice", "bob"} and not done.skipped
    assert (course / "submitted" / "alice" / "header" / NOTEBOOK).read_text() == nb("A")
    assert (course / "submitted" / "bob" / "header" / NOTEBOOK).read_text() == nb("B")
    again = collect(course, "header", _inbox(tmp_path, {"alice.ipynb": nb("A2")}))
    assert "(replaces an earlier copy)" in again.lines(course)[0]
    assert (course / "submitted" / "alice" / "header" / NOTEBOOK).read_text() == nb("A2")


def test_what_cannot_be_placed_is_named_with_the_reason(tmp_path: Path) -> None:
    """A name that is no student id, a file that is no notebook, a wrong name in a folder."""
    course = copy_course(tmp_path / "course")
    inbox = _inbox(
        tmp_path,
        {"Alice Smith.ipynb": "", "notes.txt": "", "carol/other.ipynb": "", "dave.ipynb": nb("D")},
    )
    done = collect(course, "header", inbox)
    assert list(done.copied) == ["dave"]
    why = {p.name: reason for p, reason in done.skipped}
    assert "'Alice Smith' is not a student id" in why["Alice Smith.ipynb"]
    assert why["notes.txt"] == "not a notebook (.ipynb)"
    assert why["other.ipynb"] == "header has no notebook of that name"
    assert not (course / "submitted" / "Alice Smith").exists()


def test_an_unknown_assignment_or_folder_is_an_error_that_names_it(tmp_path: Path) -> None:
    """Nothing is copied, and the message says what was wrong and what would be right."""
    course = copy_course(tmp_path / "course")
    with pytest.raises(CollectError, match=r"'headr' is not an assignment .* header, interview"):
        collect(course, "headr", tmp_path)
    with pytest.raises(CollectError, match=r"missing is not a folder"):
        collect(course, "header", tmp_path / "missing")
    assert not (course / "submitted").exists()


def test_the_command_line_says_what_it_did_and_exits_1_on_a_skip(tmp_path: Path) -> None:
    """One line per student, one per file left out, exit 1 when something was left out."""
    course = copy_course(tmp_path / "course")
    inbox = _inbox(tmp_path, {"alice.ipynb": nb("A"), "x y.ipynb": ""})
    argv = [sys.executable, "-m", "autograder", "collect", "header", str(inbox)]
    done = subprocess.run([*argv, "--course", str(course)], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert f"alice: submitted/alice/header/{NOTEBOOK}" in done.stdout
    assert "left out" in done.stdout and "'x y' is not a student id" in done.stdout
    wrong = subprocess.run([*argv[:4], "nope", str(inbox), "--course", str(course)],
                           capture_output=True, text=True)  # fmt: skip
    assert wrong.returncode == 2 and "error: 'nope' is not an assignment" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_a_file_that_is_no_notebook_is_left_out_with_where_it_breaks(tmp_path: Path) -> None:
    """A hand-in that is not notebook JSON is named with the reason at collection, not grading."""
    course = copy_course(tmp_path / "course")
    inbox = _inbox(
        tmp_path, {"alice.ipynb": "not json\n", "bob.ipynb": "[1, 2]", "eve.ipynb": nb("E")}
    )
    (inbox / "carol.ipynb").write_bytes(b"\xff\xfe")
    done = collect(course, "header", inbox)
    assert list(done.copied) == ["eve"]
    why = {p.name: reason for p, reason in done.skipped}
    assert why["alice.ipynb"] == "not a readable notebook: Expecting value at line 1, column 1"
    assert why["bob.ipynb"] == "not a readable notebook: JSON without a list of cells"
    assert why["carol.ipynb"] == "not a readable notebook: not UTF-8 text (byte 0)"
    assert not (course / "submitted" / "alice").exists()


def test_a_report_with_nothing_graded_is_an_error_and_draws_nothing(tmp_path: Path) -> None:
    """report before grading says so on stderr, exits 2 and writes no picture."""
    course = copy_course(tmp_path / "course")
    argv = [sys.executable, "-m", "autograder", "report", "header", "--course", str(course)]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 2, done.stdout
    assert (
        "error: no graded submissions of 'header'" in done.stderr and "grade first" in done.stderr
    )
    assert not (course / "reports").exists()
