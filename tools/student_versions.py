"""Write the student versions of the five assignments to assignments/ (make student-versions).

The student version of an assignment is what nbgrader's ``generate_assignment`` releases: the
source notebook without its solutions and hidden tests. The lessons link to these copies, so a
student on Binder or in ``make lab``, outside any class, works on the same notebook a class
would receive, and checks it with its self-check cell. course/source/ stays the one source: run
this after changing it (tests/test_self_study.py fails until the copies match).

    python tools/student_versions.py            write assignments/<assignment>/<notebook>.ipynb
    python tools/student_versions.py --check    exit 1, naming the stale files, if any differ
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
OUT = ROOT / "assignments"
# From course/source/<a>/ the lessons are three folders up; from assignments/<a>/, two.
LINK_FROM, LINK_TO = "](../../../notebooks/", "](../../notebooks/"


def release(course: Path) -> dict[str, bytes]:
    """{relative path: bytes} of every released notebook, generated in a copy of the course."""
    sys.path.insert(0, str(ROOT))
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.batch import tools_on_path

    tools_on_path()
    course.mkdir(parents=True)
    shutil.copy2(COURSE / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(COURSE / "source", course / "source")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    config.Exchange.root = str(course / "exchange")
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    out: dict[str, bytes] = {}
    for folder in sorted((course / "source").iterdir()):
        result = api.generate_assignment(folder.name)
        if not result["success"]:
            raise SystemExit(f"nbgrader could not release {folder.name}:\n{result['log']}")
        for nb in sorted((course / "release" / folder.name).glob("*.ipynb")):
            out[f"{folder.name}/{nb.name}"] = student_copy(nb.read_text(encoding="utf-8"))
    return out


def student_copy(text: str) -> bytes:
    """The released notebook with its links made relative to assignments/<assignment>/."""
    nb = json.loads(text)
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = [line.replace(LINK_FROM, LINK_TO) for line in cell["source"]]
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def stale(wanted: dict[str, bytes]) -> list[str]:
    """The files of assignments/ that differ from ``wanted``, are missing, or are extra."""
    have = {p.relative_to(OUT).as_posix() for p in OUT.glob("*/*.ipynb")} if OUT.exists() else set()
    names = sorted(set(wanted) | have)
    return [n for n in names if n not in have or (OUT / n).read_bytes() != wanted.get(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wanted = release(Path(tmp) / "course")
    differ = stale(wanted)
    if args.check:
        for name in differ:
            print(f"assignments/{name} is not what course/source releases")
        if differ:
            print("run: make student-versions")
        return 1 if differ else 0
    for name in differ:
        path = OUT / name
        if name in wanted:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(wanted[name])
            print(f"wrote assignments/{name}")
        else:
            path.unlink()
            print(f"removed assignments/{name}")
    if not differ:
        print("assignments/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
