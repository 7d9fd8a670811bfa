"""Every assignment, through nbgrader: release strips what it must, and both versions run.

For each assignment in course/source: ``nbgrader generate_assignment`` removes the solutions and
the hidden tests; the release notebook runs top to bottom and fails exactly in the cells where a
student has work to do (the visible tests, and solution cells that are themselves the answer);
the source notebook passes every test, hidden ones included, for full points.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from course_kit import ASSIGNMENTS, copy_course, generate, is_test, load, source_of

from autograder.sandbox import have_bwrap

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_course(tmp_path_factory.mktemp("course") / "course")
    generate(root, *ASSIGNMENTS)
    return root


def run(nb: dict[str, Any], folder: Path) -> dict[str, Any]:
    import nbformat
    from nbclient import NotebookClient

    node = nbformat.reads(json.dumps(nb), as_version=4)
    client = NotebookClient(
        node,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    return json.loads(nbformat.writes(node))  # type: ignore[no-any-return]


def errors(cell: dict[str, Any]) -> list[str]:
    return [o["ename"] for o in cell.get("outputs", []) if o["output_type"] == "error"]


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_release_has_no_solutions_and_no_hidden_tests(course: Path, assignment: str) -> None:
    source = load(course, assignment, "source")
    release = load(course, assignment, "release")
    text = json.dumps(release)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "grade("):
        assert marker not in text, f"{marker!r} left in the release of {assignment}"
    assert "Rubric" not in text
    solutions = [c for c in release["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    assert solutions, "a release with nothing to do"
    for cell in solutions:
        stub = "raise NotImplementedError()" if cell["cell_type"] == "code" else "YOUR ANSWER HERE"
        assert stub in source_of(cell)

    # The same graded cells, with the same points, in the same order.
    def graded(nb: dict[str, Any]) -> list[tuple[str, float]]:
        return [
            (c["metadata"]["nbgrader"]["grade_id"], c["metadata"]["nbgrader"]["points"])
            for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade")
        ]

    assert graded(release) == graded(source)


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_release_fails_exactly_where_students_write_code(course: Path, assignment: str) -> None:
    nb = run(load(course, assignment, "release"), course / "release" / assignment)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        raised = errors(cell)
        meta = cell["metadata"].get("nbgrader", {})
        top_level_stub = meta.get("solution") and re.search(
            r"^raise NotImplementedError", source_of(cell), re.M
        )
        if is_test(cell) or top_level_stub:
            assert raised, f"cell {i} of the {assignment} release passes with no work done"
            assert set(raised) <= {"NotImplementedError", "NameError"}, (i, raised)
        else:
            assert not raised, f"cell {i} of the {assignment} release fails: {raised}"


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_source_passes_every_test_for_full_points(
    course: Path, assignment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require(have_bwrap(), "bubblewrap runs the hidden tests' student process")
    monkeypatch.setenv("TCPCOURSE_STUDENT", "instructor")
    nb = run(load(course, assignment, "source"), course / "source" / assignment)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert not errors(cell), f"cell {i} of the {assignment} source: {cell['outputs']}"
        if is_test(cell):
            points = cell["metadata"]["nbgrader"]["points"]
            results = [o for o in cell["outputs"] if o["output_type"] == "execute_result"]
            assert results, f"cell {i} of {assignment} returned no score"
            score = results[0]["data"]["text/plain"]
            assert float("".join(score)) == points, cell["outputs"]
