"""Nothing a student submits is followed: links and special files in a submission, on both graders.

A student controls what is in their submission folder, not only the notebook. Before this was
fixed, a folder holding ``notes.txt -> ../../../gradebook.db`` (or a link to the source notebook,
to /etc/shadow, to a peer's notebook) had the link followed by nbgrader's copies and by the
sandbox's copy of the folder, so the student's own cell printed the gradebook, the solutions or a
peer's work into its own autograded notebook; a notebook that *is* a link to a peer's notebook
was graded as the student's, at the peer's score.

Here the class holds one honest student and three who plant links, each mounted on the real
folders (``submitted/<student>/<assignment>``) and graded by both graders: ``python -m autograder
grade`` and plain ``nbgrader autograde`` with the course's configuration. The planted files' own
contents are looked for in everything grading wrote; the attacker's probe also prints a file of
their own, which shows that it ran and could read what is really theirs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from course_kit import add_cell_after, copy_course, edited, generate, load, submit

from autograder.sandbox import have_bwrap

pytestmark = pytest.mark.slow
A = "handshake"
NB = "open-a-connection.ipynb"
SOLUTION = "handshake-solution"
PEER_MARK = "ALICE-PRIVATE-7f3a9c"
OWN_MARK = "MALLORY-OWN-DATA-51b2"
# Mallory's probe: every entry of the kernel's folder, read and printed.
PROBE = (
    "import os\n"
    "for name in sorted(os.listdir('.')):\n"
    "    try:\n"
    "        with open(name, 'rb') as f:\n"
    "            print('READ', name, f.read(4000))\n"
    "    except OSError as exc:\n"
    "        print('NOREAD', name, exc)\n"
)
LINKS = {
    "notes.txt": "../../../gradebook.db",
    "hidden.txt": f"../../../source/{A}/{NB}",
    "shadow.txt": "/etc/shadow",
    "peer.txt": f"../../alice/{A}/{NB}",
}


def _secrets(course: Path) -> dict[str, bytes]:
    """What each planted link points at, as bytes that appear nowhere else in mallory's work."""
    shadow = Path("/etc/shadow").read_bytes().split(b"\n")[0]
    return {
        "gradebook": b"SQLite format 3",
        "solution": b"### BEGIN SOLUTION",
        "shadow": shadow,
        "peer": PEER_MARK.encode(),
    }


def _class(course: Path) -> None:
    """The honest student and the three who plant links, in submitted/."""
    right = load(course, A, "source")
    blank = load(course, A, "release")
    submit(course, A, "alice", edited(right, add_cell_after(SOLUTION, f"# {PEER_MARK}")))
    folder = submit(course, A, "mallory", edited(blank, add_cell_after(SOLUTION, PROBE))).parent
    (folder / "mine.txt").write_text(OWN_MARK)
    for name, target in LINKS.items():
        (folder / name).symlink_to(target)
    os.mkfifo(folder / "pipe")
    # eve hands in a link to alice's notebook; trent's whole assignment folder is a link to hers.
    eve = course / "submitted" / "eve" / A
    eve.mkdir(parents=True)
    (eve / NB).symlink_to(f"../../alice/{A}/{NB}")
    (course / "submitted" / "trent").mkdir()
    (course / "submitted" / "trent" / A).symlink_to(f"../alice/{A}")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    from autograder.batch import quiet_sqlalchemy

    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


def _leaks(course: Path) -> dict[str, list[str]]:
    """Which planted secrets appear in which file that grading wrote for mallory."""
    found: dict[str, list[str]] = {}
    secrets = _secrets(course)
    for path in (course / "autograded" / "mallory").rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            for what, secret in secrets.items():
                if secret in data:
                    found.setdefault(what, []).append(str(path.relative_to(course)))
    return found


def _probe_output(course: Path) -> str:
    nb = json.loads((course / "autograded" / "mallory" / A / NB).read_text())
    cell = next(c for c in nb["cells"] if "".join(c["source"]).startswith("import os\nfor name"))
    text = [o.get("text", "") for o in cell["outputs"]]
    return "".join("".join(t) if isinstance(t, list) else t for t in text)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The class graded twice, each time on its own copy of the course."""
    require(have_bwrap(), "bubblewrap sandboxes the students' code")
    require(os.geteuid() == 0, "root: the planted link to /etc/shadow must be readable to leak")
    out: dict[str, Any] = {}
    for how, argv in {
        "autograder": [sys.executable, "-m", "autograder", "grade", A, "--jobs", "2"],
        "nbgrader": ["nbgrader", "autograde", A],
    }.items():
        course = copy_course(tmp_path_factory.mktemp(how) / "course")
        generate(course, A)
        _class(course)
        run = subprocess.run(
            argv, cwd=course, capture_output=True, text=True, env=_env(), timeout=900
        )  # fmt: skip
        out[how] = {"course": course, "run": run}
    return out


@pytest.mark.parametrize("how", ["autograder", "nbgrader"])
def test_planted_links_leak_nothing_into_what_grading_writes(
    graded: dict[str, Any], how: str
) -> None:
    """Links to the gradebook, the source, /etc/shadow and a peer are never read by grading."""
    course, run = graded[how]["course"], graded[how]["run"]
    assert _leaks(course) == {}, run.stderr[-3000:]
    printed = _probe_output(course)
    # The probe ran and read what is really mallory's: an empty result above means something.
    assert OWN_MARK in printed, printed
    for name in [*LINKS, "pipe"]:
        assert name not in printed, (name, printed)
    # ... and the grader said what it left out, naming each planted entry.
    for name, target in LINKS.items():
        assert f"{name} is a symbolic link to {target}: left out" in run.stderr, name
    assert "pipe is a fifo: left out" in run.stderr


@pytest.mark.parametrize("how", ["autograder", "nbgrader"])
def test_a_link_to_a_peers_work_is_not_graded_as_ones_own(graded: dict[str, Any], how: str) -> None:
    """A notebook or folder that is a link to a peer's is refused; the honest work still counts."""
    course, run = graded[how]["course"], graded[how]["run"]
    scores = _scores(course)
    assert scores["alice"] == 14.0, run.stderr[-3000:]
    assert scores["mallory"] == 0.0
    # eve and trent get nothing of alice's: not graded (or nothing graded) and never 14.
    assert scores.get("eve", 0.0) == 0.0 and scores.get("trent", 0.0) == 0.0, scores
    for student in ("eve", "trent"):
        assert not list((course / "autograded" / student).rglob("*.ipynb")), student
    if how == "autograder":
        lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
        assert "FAILED" in lines["eve"] and "FAILED" in lines["trent"], run.stdout
        assert "Refused: submitted/trent/handshake is a symbolic link" in run.stdout, run.stdout
        assert f"Refused: submitted/eve/{A}/{NB}: a symbolic link" in run.stdout, run.stdout
    else:
        assert f"{NB} is a symbolic link to ../../alice/{A}/{NB}: left out" in run.stderr
        assert f"trent/{A} is a symbolic link to ../alice/{A}" in run.stderr
        # The links were removed from the instructor's submitted/ folder; alice's work is intact.
        assert not (course / "submitted" / "trent" / A).exists()
        assert (course / "submitted" / "alice" / A / NB).is_file()
