"""course/README.md to the letter: its commands, read from the file, run from a bare shell.

The commands come from the guide itself (every inline code span that starts with a command), so
the guide and this test cannot drift. Each one is either run here exactly as written, or named
below with the place that runs it instead (the hub's commands: tests/test_hub.py) or the reason
it cannot run here (a server waiting for a browser: then ``make -n`` shows that make knows it).

They run where an instructor's fresh clone would be: a copy of the repository's Makefile and
committed course files, the project's .venv linked in, inside pytest's 0700 temporary folder;
with ``PATH=/usr/bin:/bin``, ``HOME`` an empty temporary folder and nothing else in the
environment. Two students fill in the released header notebook: alice with the reference
solutions (11 of 11), bob with the checksum's classic mistake, the pseudo-header left out, which
gets every checksum case wrong and nothing else: 11 - 3 (the checksum's points) = 8.

The guide's promises about grading failures are tried for real at the end: the kernel starts
when the grader is started by a relative path with ``..`` in it (the old guide's
``../.venv/bin/python``); a kernel that cannot start, or a file that is not a notebook, is a
FAILED row with its reason in one line, never saved.
"""

from __future__ import annotations

import csv
import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, require
from course_kit import (
    ASSIGNMENTS,
    copy_course,
    edited,
    generate,
    grade_id,
    load,
    replace_in,
    source_of,
    submit,
)

from autograder.batch import kernel_failures, quiet_sqlalchemy
from autograder.nbgrader_plugin import NO_KERNEL
from autograder.sandbox import have_bwrap

pytestmark = pytest.mark.slow

GUIDE = ROOT / "course" / "README.md"
HUB_TEST = ROOT / "tests" / "test_hub.py"
BARE_PATH = "/usr/bin:/bin"
EXPECTED = {"alice": 11.0, "bob": 8.0}  # see the module docstring
BOB_MISTAKE = ("data = pseudo + segment", "data = bytes(segment)")

# What starts a command (the rest of the guide's code spans are paths, names and settings).
COMMAND_WORDS = {"make", "nbgrader", "python", "python3", "pip", "apt-get", "sudo", "bash", "cd"}
# make targets that start a server and wait for a browser: make -n only.
SERVERS = {"lab", "formgrader", "hub", "lite-serve"}
# The instructor's path: each of these make targets must be in the guide, and is run here.
PATH_TARGETS = ["release", "collect", "grade", "feedback", "export", "report"]
# Commands the guide shows that this test does not run, and where they are run instead.
ELSEWHERE = {
    'pip install "tcpcourse[course]"': "the hub's environment: hub/hubctl.py, tests/test_hub.py",
    "apt-get install bubblewrap": "a system package: .ci/run installs it",
    "python -m autograder grade": "names the grader in prose; the guide runs it as make grade",
    "nbgrader autograde": "names plain nbgrader in prose; tests/test_redteam_paths.py runs it",
}
# The hub's instructor commands (in ~/course on the hub) and how tests/test_hub.py runs each.
HUB_FORMS = {
    "nbgrader": lambda words: f'hub.nbgrader(teacher, "{words[1]}"',
    "python": lambda words: f'"-m", "autograder", "{words[3]}"',
}


def guide_commands(text: str) -> list[str]:
    """Every command the guide shows, in order, each exactly as written (spaces normalised)."""
    fenced = re.compile(r"^ *```(\w*)\n(.*?)^ *```", re.S | re.M)
    found: list[tuple[int, str]] = []
    for block in fenced.finditer(text):
        if block.group(1) in ("sh", "bash", "console", "shell"):
            for line in block.group(2).splitlines():
                found.append((block.start(), line.strip().removeprefix("$ ")))
    prose = fenced.sub(lambda m: " " * len(m.group(0)), text)
    for span in re.finditer(r"`([^`]+)`", prose):
        found.append((span.start(), " ".join(span.group(1).split())))
    return [c for _, c in sorted(found) if c and c.split()[0] in COMMAND_WORDS]


def make_target(command: str) -> str | None:
    words = shlex.split(command)
    if words[0] != "make":
        return None
    targets = [w for w in words[1:] if "=" not in w and not w.startswith("-")]
    return targets[0] if targets else "help"


@dataclass
class Run:
    command: str
    returncode: int
    output: str

    def __str__(self) -> str:
        return f"$ {self.command}\n(exit {self.returncode})\n{self.output[-4000:]}"


def _fill_in(release: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The released notebook with each solution cell written as the source's solution."""
    answers = {
        grade_id(c): source_of(c) for c in source["cells"] if c["metadata"].get("nbgrader", {})
    }
    out = json.loads(json.dumps(release))
    for cell in out["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            lines = answers[meta["grade_id"]].splitlines(keepends=True)
            cell["source"] = "".join(
                ln for ln in lines if "### BEGIN" not in ln and "### END" not in ln
            )
    return out


def _hand_in(repo: Path, command: str, home: Path) -> None:
    """Save alice's and bob's notebooks where the guide's collect command takes them from."""
    folder = next(w.split("=", 1)[1] for w in shlex.split(command) if w.startswith("FROM="))
    inbox = Path(folder.replace("~", str(home), 1) if folder.startswith("~") else repo / folder)
    assignment = next(w.split("=", 1)[1] for w in shlex.split(command) if w.startswith("A="))
    name = f"{ASSIGNMENTS[assignment]}.ipynb"
    release = json.loads((repo / "course" / "release" / assignment / name).read_text())
    source = json.loads((repo / "course" / "source" / assignment / name).read_text())
    alice = _fill_in(release, source)
    bob = edited(alice, replace_in("checksum-solution", *BOB_MISTAKE))
    inbox.mkdir(parents=True, exist_ok=True)
    for student, nb in (("alice", alice), ("bob", bob)):
        (inbox / f"{student}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def _copy_repo(dest: Path) -> Path:
    """The Makefile and the committed course, with the project's .venv linked in."""
    repo = dest / "repo"
    (repo / "course").mkdir(parents=True)
    shutil.copy2(ROOT / "Makefile", repo / "Makefile")
    (repo / "pyproject.toml").symlink_to(ROOT / "pyproject.toml")
    (repo / ".venv").symlink_to(ROOT / ".venv")
    shutil.copy2(ROOT / "course" / "nbgrader_config.py", repo / "course" / "nbgrader_config.py")
    shutil.copytree(ROOT / "course" / "source", repo / "course" / "source")
    return repo


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The guide's commands, run in order in a copy of the course from a bare environment."""
    require(have_bwrap(), "bubblewrap sandboxes the students' code")
    require(shutil.which("make", path=BARE_PATH) is not None, "make")
    base = tmp_path_factory.mktemp("guide")
    base.chmod(0o700)  # like a clone in `mktemp -d`
    repo, home = _copy_repo(base), base / "home"
    home.mkdir()
    bare = {"PATH": BARE_PATH, "HOME": str(home)}

    def run(command: str, cwd: Path = repo, env: dict[str, str] = bare) -> Run:
        done = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
            timeout=900,
        )  # fmt: skip
        return Run(command, done.returncode, done.stdout + done.stderr)

    stale = run("make -q .venv/.stamp-course")
    assert stale.returncode == 0, "the .venv is older than pyproject.toml: make .venv/.stamp-dev"
    commands = guide_commands(GUIDE.read_text(encoding="utf-8"))
    runs: dict[str, Run] = {}
    dry: dict[str, Run] = {}
    seen: set[str] = set()
    for command in commands:
        target = make_target(command)
        if target is not None:
            if target in SERVERS or target in seen:
                dry[command] = run(f"make -n {command.removeprefix('make ')}")
                continue
            seen.add(target)
            if target == "collect":
                _hand_in(repo, command, home)
            runs[command] = run(command)
        elif command.startswith("python -m autograder check "):
            # A terminal of make lab's JupyterLab: the venv's bin first on PATH, as make lab sets.
            notebook = shlex.split(command)[-1]
            found = sorted((repo / "course" / "release").glob(f"*/{notebook}"))
            assert found, f"{notebook} is not in any released assignment"
            terminal = {**bare, "PATH": f"{repo}/.venv/bin:{BARE_PATH}"}
            runs[command] = run(command, cwd=found[0].parent, env=terminal)
    return {"repo": repo, "commands": commands, "runs": runs, "dry": dry}


def _by_target(guide: dict[str, Any], target: str) -> Run:
    return next(r for c, r in guide["runs"].items() if make_target(c) == target)


def test_every_command_in_the_guide_is_run_or_accounted_for(guide: dict[str, Any]) -> None:
    """The guide shows the instructor's whole path, and no command this test does not know."""
    targets = [make_target(c) for c in guide["commands"]]
    assert [t for t in targets if t in PATH_TARGETS][: len(PATH_TARGETS)] == PATH_TARGETS
    hub_test = HUB_TEST.read_text(encoding="utf-8")
    for command in guide["commands"]:
        if command in guide["runs"] or command in guide["dry"] or command in ELSEWHERE:
            continue
        words = shlex.split(command)
        form = HUB_FORMS.get(words[0])
        assert form is not None, (
            f"course/README.md shows `{command}`, which tests/test_course_guide.py neither runs "
            "nor accounts for: run it there, or say where it is tested"
        )
        assert form(words) in hub_test, f"the hub's `{command}` is not run by tests/test_hub.py"


def test_each_command_works_as_written_from_a_bare_shell(guide: dict[str, Any]) -> None:
    """Every command the guide shows exits 0 from PATH=/usr/bin:/bin, nothing activated."""
    failed = [str(r) for r in guide["runs"].values() if r.returncode != 0]
    assert not failed, "\n\n".join(failed)
    assert {make_target(c) for c in guide["runs"]} >= set(PATH_TARGETS)


def test_make_knows_the_commands_not_run_here(guide: dict[str, Any]) -> None:
    """make -n accepts every make command shown but not run (servers, variants of a target)."""
    failed = [str(r) for r in guide["dry"].values() if r.returncode != 0]
    assert not failed, "\n\n".join(failed)
    lab = next((r for c, r in guide["dry"].items() if make_target(c) == "lab"), None)
    assert lab is not None and f'PATH="{guide["repo"]}/.venv/bin:' in lab.output, lab


def test_grades_csv_has_each_students_score(guide: dict[str, Any]) -> None:
    """make export wrote grades.csv with alice's full marks and bob's 8 of 11."""
    with (guide["repo"] / "course" / "grades.csv").open(newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == "header"}
    got = {s: (float(r["score"]), float(r["max_score"])) for s, r in rows.items()}
    assert got == {s: (score, 11.0) for s, score in EXPECTED.items()}


def test_the_grade_table_lists_both_students_and_no_failure(guide: dict[str, Any]) -> None:
    """make grade ends with one row per student, their scores, and nothing FAILED."""
    out = _by_target(guide, "grade").output
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines() if ln[:1].isalpha()}
    assert rows["alice"][1:3] == ["11.00", "11"] and rows["bob"][1:3] == ["8.00", "11"], out
    assert "FAILED" not in out and "2 of 2 submissions of 'header' graded; mean 9.50" in out


def test_no_feedback_shows_a_kernel_that_did_not_start(guide: dict[str, Any]) -> None:
    """Each student's feedback page exists, ran in a live kernel, and bob's names his mistake."""
    feedback = guide["repo"] / "course" / "feedback"
    pages = {s: feedback / s / "header" / "decode-the-header.html" for s in EXPECTED}
    html = {s: p.read_text(encoding="utf-8") for s, p in pages.items()}
    for student, text in html.items():
        assert NO_KERNEL not in text and "DeadKernelError" not in text, student
    assert "Checksum with the pseudo-header: 0/" in html["bob"]
    assert "First divergence" in html["bob"] and "RFC 9293 3.1" in html["bob"]


def test_report_names_what_the_class_missed(guide: dict[str, Any]) -> None:
    """make report prints bob's checksum misses and draws the picture."""
    out = _by_target(guide, "report").output
    assert "header: 2 graded, mean 9.50" in out
    assert (guide["repo"] / "course" / "reports" / "header.png").stat().st_size > 10_000


def test_a_student_check_runs_from_make_and_from_a_lab_terminal(guide: dict[str, Any]) -> None:
    """Both of the guide's ways to self-check the released notebook report its automatic points."""
    checks = [r for c, r in guide["runs"].items() if " check " in f" {c} "]
    assert len(checks) == 2
    for r in checks:
        assert "Auto-graded parts: 0 of 11" in r.output, r


# -- how grading fails, for real ------------------------------------------------------------------


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Grade one student through `../.venv/bin/python`, one whose kernel cannot start, and one
    whose file is not a notebook."""
    require(have_bwrap(), "bubblewrap sandboxes the students' code")
    repo = tmp_path_factory.mktemp("started") / "repo"
    course = copy_course(repo / "course")
    (repo / ".venv").symlink_to(ROOT / ".venv")
    generate(course, "header")
    right = load(course, "header", "source")
    for student in ("carol", "dave"):
        submit(course, "header", student, right)
    submit(course, "header", "erin", '{"cells": [ not json')
    bare = {"PATH": BARE_PATH, "HOME": str(repo)}
    # A python3 kernel spec whose interpreter does not exist: jupyter_client reads JUPYTER_PATH
    # first, so the grader starts this kernel, which dies at once.
    spec = repo / "jupyter" / "kernels" / "python3" / "kernel.json"
    spec.parent.mkdir(parents=True)
    argv = ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.write_text(json.dumps({"argv": argv, "display_name": "broken", "language": "python"}))
    broken = {**bare, "JUPYTER_PATH": str(spec.parents[2])}
    out = {}
    for student, env in (("carol", bare), ("dave", broken), ("erin", bare)):
        out[student] = subprocess.run(
            ["../.venv/bin/python", "-m", "autograder", "grade", "header", "--student", student],
            cwd=course, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    return {"course": course, "runs": out}


def test_the_kernel_starts_when_the_grader_is_named_through_dotdot(started: dict[str, Any]) -> None:
    """`cd course; ../.venv/bin/python -m autograder grade` runs the notebook in a live kernel."""
    run = started["runs"]["carol"]
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    folder = started["course"] / "autograded" / "carol" / "header"
    assert kernel_failures(folder) == []
    nb = json.loads((folder / "decode-the-header.ipynb").read_text(encoding="utf-8"))
    counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1))  # every cell ran, in order


def test_a_kernel_that_cannot_start_is_a_failed_row_with_its_reason(
    started: dict[str, Any],
) -> None:
    """The summary says FAILED, why (the kernel's own last words), and nothing is saved."""
    from nbgrader.api import Gradebook, MissingEntry

    run = started["runs"]["dave"]
    assert run.returncode == 1
    row = next(ln for ln in run.stdout.splitlines() if ln.startswith("dave "))
    assert f"FAILED: {NO_KERNEL}" in row and "/nonexistent/python" in row, run.stdout
    assert "1 FAILED: not in the gradebook" in run.stdout
    course = started["course"]
    assert not (course / "autograded" / "dave").exists()
    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_submission("header", "carol").score == 11.0
        with pytest.raises(MissingEntry):
            gb.find_submission("header", "dave")


def test_a_file_that_is_not_a_notebook_is_a_failed_row_in_one_line(started: dict[str, Any]) -> None:
    """The reason names the file and what is wrong with it, without nbgrader's traceback."""
    run = started["runs"]["erin"]
    assert run.returncode == 1
    row = next(ln for ln in run.stdout.splitlines() if ln.startswith("erin "))
    assert (
        "FAILED: decode-the-header.ipynb is not a readable notebook: Notebook does not appear "
        "to be JSON" in row
    ), run.stdout
    assert "Traceback" not in run.stdout
