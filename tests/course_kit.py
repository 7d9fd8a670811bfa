"""Helpers for the course tests: a private copy of the course, and fake submissions.

Every test works on a temporary copy of ``course/`` (nbgrader writes release/, submitted/,
autograded/, feedback/ and gradebook.db beside the sources), and runs nbgrader in-process through
its API where it can: importing nbgrader costs about five seconds, once.

Fake submissions are edits of the source or release notebook, described as data so that each
red-team test reads as what the student did.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import ROOT

COURSE = ROOT / "course"
ASSIGNMENTS = {
    "header": "decode-the-header",
    "sequence": "compare-sequence-numbers",
    "handshake": "open-a-connection",
    "teardown": "close-a-connection",
    "interview": "answer-the-interview",
}
Notebook = dict[str, Any]


def copy_course(dest: Path) -> Path:
    """The course's committed files (never its working folders) copied to dest."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(COURSE / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(COURSE / "source", dest / "source")
    return dest


def api(course: Path) -> Any:
    """nbgrader's API on a course folder, with the course's own nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.batch import tools_on_path

    tools_on_path()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    config.Exchange.root = str(course / "exchange")  # unused; the default is not writable
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def generate(course: Path, *assignments: str) -> None:
    nbg = api(course)
    for a in assignments:
        result = nbg.generate_assignment(a)
        assert result["success"], result["log"]


def load(course: Path, assignment: str, kind: str = "source") -> Notebook:
    path = course / kind / assignment / f"{ASSIGNMENTS[assignment]}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def submit(course: Path, assignment: str, student: str, nb: Notebook | str) -> Path:
    """Put a notebook (or raw text) where ``nbgrader collect`` would have put it."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENTS[assignment]}.ipynb"
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb), encoding="utf-8")
    return path


# -- editing notebooks as a student would --------------------------------------------------------


def source_of(cell: dict[str, Any]) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else str(src)


def grade_id(cell: dict[str, Any]) -> str:
    return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))


def index_of(nb: Notebook, gid: str) -> int:
    for i, cell in enumerate(nb["cells"]):
        if grade_id(cell) == gid:
            return i
    raise KeyError(gid)


def is_test(cell: dict[str, Any]) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade") and not meta.get("solution") and cell["cell_type"] == "code")


def edited(nb: Notebook, *edits: Callable[[Notebook], None]) -> Notebook:
    out = copy.deepcopy(nb)
    for edit in edits:
        edit(out)
    return out


def replace_in(gid: str, old: str, new: str) -> Callable[[Notebook], None]:
    def edit(nb: Notebook) -> None:
        cell = nb["cells"][index_of(nb, gid)]
        text = source_of(cell)
        assert old in text, f"{old!r} not in {gid}"
        cell["source"] = text.replace(old, new)

    return edit


def add_cell_after(gid: str, code: str) -> Callable[[Notebook], None]:
    """A cell of the student's own (no nbgrader metadata) right after a given cell."""

    def edit(nb: Notebook) -> None:
        cell = {"cell_type": "code", "id": f"student-{len(nb['cells'])}", "metadata": {}}
        cell.update(source=code, outputs=[], execution_count=None)
        nb["cells"].insert(index_of(nb, gid) + 1, cell)

    return edit


def delete_cells(keep: Callable[[dict[str, Any]], bool]) -> Callable[[Notebook], None]:
    def edit(nb: Notebook) -> None:
        nb["cells"] = [c for c in nb["cells"] if keep(c)]

    return edit
