"""A grader that is not root keeps its environment out of the sandbox.

On an instructor's laptop (or as the instructor on the hub) the grader is not root, and bubblewrap
makes a user namespace: its own init process is pid 1 inside the sandbox, with the student's uid.
``--clearenv`` clears only the child's environment, so before this was fixed the student's code
read ``/proc/1/environ`` and printed the grader's environment (tokens, passwords) into its own
feedback. Here a real unprivileged user (``nobody``) grades with a secret in its environment a
submission that reads ``/proc/1/environ``, ``/proc/self/environ`` and every ``/proc/*/environ``
it can see, both in the kernel (printed into the autograded notebook) and in the trusted grader's
answering process (raised into the feedback); the secret must appear in nothing grading writes.

``nobody`` cannot run the checkout's Python (it lives in root's 0700 home, and ``mktemp -d``
folders are 0700), so it uses the hub's shared environment (built by ``hub/hubctl.py``, cached),
on a copy of the course in a folder it owns.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from course_kit import add_cell_after, copy_course, edited, load, submit

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
A = "handshake"
NB = "open-a-connection.ipynb"
USER = "nobody"
PROBE = (
    "import glob\n"
    "def _environ(path):\n"
    "    try:\n"
    "        with open(path, 'rb') as f:\n"
    "            data = f.read()\n"
    "    except OSError as exc:\n"
    "        return f'{path}: unreadable ({exc.strerror})'\n"
    "    return f'{path}: read {len(data)} bytes: {data!r}'\n"
    "PLACES = ['/proc/1/environ', '/proc/self/environ',\n"
    "          *sorted(glob.glob('/proc/[0-9]*/environ'))]\n"
    "for place in PLACES:\n"
    "    print(_environ(place))\n"
    "def handshake(state, event):\n"
    "    raise RuntimeError(_environ('/proc/1/environ'))\n"
)


def _can_grade_as_nobody() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "root: the test grades as another, unprivileged user"
    for tool in ("runuser", "npm", "bwrap"):
        if shutil.which(tool) is None:
            return False, f"{tool} (apt: util-linux, npm, bubblewrap)"
    if not Path("/usr/bin/python3.11").exists():
        return False, "Debian's /usr/bin/python3.11 (the shared environment is built from it)"
    return True, ""


@pytest.fixture(scope="module")
def graded() -> Iterator[dict[str, Any]]:
    """The leaking submission, graded as nobody with a secret in the grader's environment."""
    ok, why = _can_grade_as_nobody()
    require(ok, why)
    import hubkit

    ctl = hubkit.hubctl()
    ctl.build(quiet=True)
    work = Path(tempfile.mkdtemp(prefix="tcpt-grader-"))
    try:
        work.chmod(0o755)
        course = copy_course(work / "course")
        (work / "home").mkdir()
        secret = f"tcpt-secret-{secrets.token_hex(12)}"
        env = [
            f"HOME={work / 'home'}",
            f"PATH={ctl.ENV}/bin:/usr/bin:/bin",
            "LANG=C.UTF-8",
            f"TCPT_GRADER_SECRET={secret}",
        ]

        def as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
            subprocess.run(["chown", "-R", f"{USER}:", str(work)], check=True)
            cmd = ["runuser", "-u", USER, "--", "env", "-i", *env, *argv]
            return subprocess.run(cmd, cwd=course, capture_output=True, text=True, timeout=900)

        made = as_nobody(f"{ctl.ENV}/bin/nbgrader", "generate_assignment", A)
        assert made.returncode == 0, made.stderr[-3000:]
        blank = load(course, A, "release")
        submit(course, A, "leaky", edited(blank, add_cell_after("handshake-solution", PROBE)))
        grade = as_nobody(f"{ctl.ENV}/bin/python", "-m", "autograder", "grade", A, "-j", "1")
        feedback = as_nobody(f"{ctl.ENV}/bin/nbgrader", "generate_feedback", A)
        yield {"course": course, "secret": secret, "grade": grade, "feedback": feedback}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_the_graders_environment_never_reaches_the_feedback(graded: dict[str, Any]) -> None:
    """A secret in a non-root grader's environment is in no autograded or feedback file."""
    course: Path = graded["course"]
    grade = graded["grade"]
    assert grade.returncode == 0 and "1 of 1 submissions" in grade.stdout, grade.stderr[-3000:]
    assert graded["feedback"].returncode == 0, graded["feedback"].stderr[-3000:]
    written = [
        p for p in [*course.glob("autograded/**/*"), *course.glob("feedback/**/*")] if p.is_file()
    ]
    assert any(p.suffix == ".html" for p in written), written
    leaked = [str(p) for p in written if graded["secret"].encode() in p.read_bytes()]
    assert leaked == []
    # The probes ran and could read pid 1's environment (the path of the leak): an empty result
    # above is a real one. In the kernel, printed into the notebook ...
    nb = json.loads((course / "autograded" / "leaky" / A / NB).read_text())
    printed = "".join(
        "".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
        for o in c["outputs"]
    )  # fmt: skip
    assert "/proc/1/environ: read 0 bytes: b''" in printed, printed[:3000]
    assert "/proc/self/environ: read" in printed
    # ... and in the trusted grader's answering process, raised into the feedback.
    report = (course / "autograded" / "leaky" / A / "open-a-connection.autograder.json").read_text()
    assert "/proc/1/environ: read 0 bytes" in report, report[:3000]
