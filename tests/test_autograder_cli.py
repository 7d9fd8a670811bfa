"""``python -m autograder check``: a student's full check of a notebook, outside nbgrader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from course_kit import ASSIGNMENTS, COURSE, edited, replace_in


def check(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", "check", str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def notebook(tmp_path: Path, assignment: str, *edits: object) -> Path:
    source = COURSE / "source" / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"
    nb = edited(json.loads(source.read_text()), *edits)  # type: ignore[arg-type]
    path = tmp_path / assignment / source.name
    path.parent.mkdir()
    path.write_text(json.dumps(nb))
    return path


def test_check_names_the_first_divergence_and_the_points(tmp_path: Path) -> None:
    wrong = replace_in(
        "teardown-solution",
        '("FIN-WAIT-1", "FIN_ACK_OF_FIN"): ("TIME-WAIT", "ACK")',
        '("FIN-WAIT-1", "FIN_ACK_OF_FIN"): ("CLOSING", "ACK")',
    )
    done = check(notebook(tmp_path, "teardown", wrong))
    assert done.returncode == 0, done.stderr
    assert "Active close: 7/8 right, 1.88 of 3 points." in done.stdout  # see test_autograder_checks
    assert (
        "First divergence: in FIN-WAIT-1, on FIN+ACK acknowledging your FIN (FIN_ACK_OF_FIN), "
        "you returned ['CLOSING', 'ACK']; the reference goes to TIME-WAIT and sends ACK, "
        "RFC 9293 3.10.7.4 eighth step" in done.stdout
    )
    assert "Passive close: 9/9 right, 3 of 3 points. All agree with the reference." in done.stdout


def test_check_does_not_give_away_the_predictions(tmp_path: Path) -> None:
    done = check(notebook(tmp_path, "interview"), "--student", "alice")
    assert done.returncode == 0, done.stderr
    assert "Predict the client's states: (well formed; it is scored when graded)" in done.stdout


def test_check_explains_a_file_that_is_not_a_notebook(tmp_path: Path) -> None:
    bad = tmp_path / "handshake" / "x.ipynb"
    bad.parent.mkdir()
    bad.write_text("[]")
    done = check(bad)
    assert done.returncode == 2
    assert "is not a notebook" in done.stderr
