"""Grade a whole class: every submission autograded in parallel, the gradebook written by one hand.

``nbgrader autograde`` grades one submission after another, and most of each is waiting for a
kernel to start. Here worker processes each autograde one submission at a time with nbgrader's
own pipeline (so the sandboxed kernel and the trusted scores of
:mod:`autograder.nbgrader_plugin` apply), but in a *private copy* of the course: the course's
configuration, a snapshot of the gradebook, the assignment's source folder and that one student's
submission. A worker never opens the real gradebook.

The parent process alone writes the real gradebook and the real ``autograded/`` folder, one
submission at a time as results arrive: SQLite sees a single writer, nothing a worker (let alone a
student's kernel) does can corrupt it, and a submission that breaks its worker is reported in the
summary while the others go on.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO


@dataclass
class Result:
    """One submission's grading, as the parent saw it."""

    student: str
    ok: bool
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    trusted_seconds: float = 0.0
    notes: str = ""
    error: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def tools_on_path() -> None:
    """nbgrader runs ``alembic`` from PATH: make the running environment's scripts findable even
    when it was not activated (``.venv/bin/python -m autograder`` is how make runs it)."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + path


def find_course(path: str | os.PathLike[str] | None) -> Path:
    """The course root: the given folder, else ./course, else the current folder."""
    candidates = [Path(path)] if path else [Path("course"), Path(".")]
    for c in candidates:
        if (c / "nbgrader_config.py").exists():
            return c.resolve()
    raise SystemExit(
        f"no nbgrader_config.py in {', '.join(str(c) for c in candidates)}: "
        "run from the repository or the course folder, or pass --course"
    )


def submissions(course: Path, assignment: str) -> list[str]:
    base = course / "submitted"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir())


@contextlib.contextmanager
def quiet_sqlalchemy() -> Iterator[None]:
    """nbgrader's score properties trip SQLAlchemy's autoflush warnings (harmless, read-only)."""
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


# -- the worker -------------------------------------------------------------------------------


def _grade_one(
    course: str, snapshot: str, assignment: str, student: str, scratch: str
) -> dict[str, Any]:
    """Autograde one submission in a private copy of the course; return grades, never raise."""
    start = time.monotonic()
    root = Path(scratch) / student / "course"
    try:
        _private_course(Path(course), Path(snapshot), assignment, student, root)
        _check_notebooks(root, assignment, student)
        log = _autograde(root, assignment, student)
        out = _read_grades(root, assignment, student)
        out.update(ok=True, log=log, private=str(root))
    except Exception as exc:  # a broken submission must not stop the class
        out = {
            "ok": False,
            "error": str(exc) if isinstance(exc, GradingError) else f"{type(exc).__name__}: {exc}",
            "trace": traceback.format_exc(limit=5),
        }
    out["seconds"] = time.monotonic() - start
    return out


def _private_course(
    course: Path, snapshot: Path, assignment: str, student: str, root: Path
) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copy2(course / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copy2(snapshot, root / "gradebook.db")
    src = course / "source" / assignment
    if src.is_dir():
        shutil.copytree(src, root / "source" / assignment)
    # The submission is the student's: regular files and folders only. A link (to the course's
    # gradebook.db, a source notebook, a peer's work) or a special file is left out with a
    # warning, and neither submitted/<student> nor its <assignment> folder may be a link.
    from .safecopy import Refused, copy_folder, say_dropped

    theirs = course / "submitted" / student / assignment
    (root / "submitted" / student).mkdir(parents=True)
    dropped = copy_folder(
        theirs, root / "submitted" / student / assignment, below=course / "submitted"
    )
    say_dropped(str(theirs), dropped)
    links = [d for d in dropped if d.path.endswith(".ipynb")]
    if links:  # a link to a peer's notebook is not the student's work
        raise Refused(f"submitted/{student}/{assignment}/{links[0]}: not followed")


def _autograde(root: Path, assignment: str, student: str) -> str:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.Exchange.root = str(root / "exchange")  # unused, but the API checks it on start
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    with quiet_sqlalchemy():
        result = api.autograde(assignment, student)
    if not result.get("success"):
        raise GradingError(_reason(str(result.get("log") or ""), str(result.get("error") or "")))
    return str(result.get("log", ""))


def _check_notebooks(root: Path, assignment: str, student: str) -> None:
    """A file that is not a notebook is named, with why, before nbgrader tries it."""
    import nbformat

    for path in sorted((root / "submitted" / student / assignment).glob("*.ipynb")):
        try:
            nbformat.read(path, as_version=4)
        except Exception as exc:
            raise GradingError(f"{path.name} is not a readable notebook: {exc}") from None


def _reason(log: str, error: str) -> str:
    """One line out of nbgrader's log and traceback: the last exception it reports."""
    found = re.findall(
        r"^\s*(?:\[ERROR\] )?((?:[\w.]+\.)?\w*(?:Error|Exception)\w*: .+)$", log, re.M
    )
    found = [f for f in found if not f.startswith("nbgrader.converters.base.NbGraderException")]
    if found:
        return found[-1].strip()
    lines = [ln.strip() for ln in (error or log).splitlines() if ln.strip()]
    return lines[-1] if lines else "nbgrader autograde failed"


class GradingError(RuntimeError):
    """nbgrader could not autograde a submission; the message is its reason, in one line."""


def _read_grades(root: Path, assignment: str, student: str) -> dict[str, Any]:
    from nbgrader.api import Gradebook

    notebooks: dict[str, Any] = {}
    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        timestamp = sub.timestamp.isoformat() if sub.timestamp else None
        for nb in sub.notebooks:
            notebooks[nb.name] = {
                "grades": {g.name: [g.auto_score, g.needs_manual_grade] for g in nb.grades},
                "comments": {c.name: c.auto_comment for c in nb.comments},
                "penalty": nb.late_submission_penalty,
            }
        score, max_score = sub.score, sub.max_score
    reports = {}
    folder = root / "autograded" / student / assignment
    for path in folder.glob("*.autograder.json"):
        reports[path.name] = json.loads(path.read_text(encoding="utf-8"))
    return {
        "timestamp": timestamp,
        "notebooks": notebooks,
        "score": score,
        "max_score": max_score,
        "reports": reports,
        "no_kernel": kernel_failures(folder),
    }


def kernel_failures(folder: Path) -> list[str]:
    """Why the kernel could not start, for each autograded notebook in folder where it did not.

    The scores do not need the kernel (they are computed outside it), but the student's feedback
    would show cells that never ran: such a submission is not saved, and the summary says why.
    """
    from .nbgrader_plugin import NO_KERNEL

    out = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            for o in cell.get("outputs", []):
                if o.get("ename") == "DeadKernelError" and str(o.get("evalue", "")).startswith(
                    NO_KERNEL
                ):
                    out.append(f"{path.name}: {o['evalue']}")
    return out


# -- the parent -------------------------------------------------------------------------------


def _merge(gb: Any, course: Path, assignment: str, student: str, out: dict[str, Any]) -> None:
    """Write one worker's results into the real course: the one writer of the gradebook."""
    from nbgrader.utils import parse_utc

    private = Path(out["private"]) / "autograded" / student / assignment
    dest = course / "autograded" / student / assignment
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(private, dest, symlinks=True)
    with quiet_sqlalchemy():
        gb.update_or_create_student(student)
        ts = parse_utc(out["timestamp"]) if out.get("timestamp") else None
        if ts is not None:
            gb.update_or_create_submission(assignment, student, timestamp=ts)
        else:
            gb.update_or_create_submission(assignment, student)
        for name, nb in out["notebooks"].items():
            for gid, (auto, needs) in nb["grades"].items():
                grade = gb.find_grade(gid, name, assignment, student)
                grade.auto_score = auto
                grade.needs_manual_grade = needs
            for gid, text in nb["comments"].items():
                gb.find_comment(gid, name, assignment, student).auto_comment = text
            notebook = gb.find_submission_notebook(name, assignment, student)
            notebook.late_submission_penalty = nb["penalty"]
        gb.db.commit()


class Progress:
    """A one-line progress bar on a terminal, one line per submission elsewhere (CI logs)."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.monotonic()

    def step(self, student: str, status: str) -> None:
        self.done += 1
        width = 30
        fill = width * self.done // max(self.total, 1)
        bar = "#" * fill + "-" * (width - fill)
        elapsed = time.monotonic() - self.start
        line = f"[{bar}] {self.done}/{self.total} {elapsed:6.1f}s  {student}: {status}"
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def grade_class(
    course: Path,
    assignment: str,
    *,
    jobs: int | None = None,
    students: list[str] | None = None,
    progress: Progress | None = None,
) -> list[Result]:
    """Autograde every submission of an assignment; return one Result per student."""
    tools_on_path()
    import nbgrader.apps  # noqa: F401 - imported once here, so forked workers start warm
    from nbgrader.api import Gradebook, MissingEntry

    db = course / "gradebook.db"
    if not db.exists():
        raise SystemExit(
            f"{db} does not exist: run `nbgrader generate_assignment {assignment}` first"
        )
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(
                f"assignment {assignment!r} is not in the gradebook: "
                f"run `nbgrader generate_assignment {assignment}` first"
            ) from None
    who = students or submissions(course, assignment)
    progress = progress or Progress(len(who))
    results: dict[str, Result] = {}
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(who) or 1))
    with tempfile.TemporaryDirectory(prefix="tcpcourse-grade-") as scratch:
        snapshot = Path(scratch) / "gradebook-snapshot.db"
        shutil.copy2(db, snapshot)
        pending = list(who)
        # A worker killed outright breaks the pool, and a kernel may fail to start on a busy
        # machine: the submissions concerned are graded once more.
        for attempt in range(2):
            pending = _run_pool(
                course, snapshot, assignment, pending, scratch, jobs, results, progress,
                last=attempt == 1,
            )  # fmt: skip
            if not pending:
                break
        for student in pending:
            results[student] = Result(student, False, error="its grading worker crashed twice")
            progress.step(student, "worker crashed")
    return [results[s] for s in who]


def _run_pool(
    course: Path,
    snapshot: Path,
    assignment: str,
    who: list[str],
    scratch: str,
    jobs: int,
    results: dict[str, Result],
    progress: Progress,
    *,
    last: bool,
) -> list[str]:
    from nbgrader.api import Gradebook

    ctx = multiprocessing.get_context("fork")
    left = list(who)
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = {
            pool.submit(_grade_one, str(course), str(snapshot), assignment, s, scratch): s
            for s in who
        }
        # The workers are forked by now: the parent's one connection to the real gradebook is
        # opened after them, once (opening one is not free), and never shared with them.
        gb = Gradebook(f"sqlite:///{course / 'gradebook.db'}")
        try:
            _collect(futures, gb, course, assignment, left, results, progress, last=last)
        finally:
            gb.close()
    return left


def _collect(
    futures: dict[cf.Future[dict[str, Any]], str],
    gb: Any,
    course: Path,
    assignment: str,
    left: list[str],
    results: dict[str, Result],
    progress: Progress,
    *,
    last: bool,
) -> None:
    for fut in cf.as_completed(futures):
        student = futures[fut]
        try:
            out = fut.result()
        except cf.process.BrokenProcessPool:
            continue
        if out.get("no_kernel") and not last:
            continue  # graded again in the next round
        left.remove(student)
        results[student] = _record(gb, course, assignment, student, out)
        r = results[student]
        progress.step(student, f"{r.score:g}/{r.max_score:g}" if r.ok else "FAILED")


def _record(gb: Any, course: Path, assignment: str, student: str, out: dict[str, Any]) -> Result:
    if not out.get("ok"):
        return Result(student, False, seconds=out.get("seconds", 0.0), error=out.get("error", ""))
    if out.get("no_kernel"):
        # Never saved: the feedback would show unrun cells. The instructor grades it again.
        why = out["no_kernel"][0].split(": ", 1)[-1]
        return Result(student, False, seconds=out["seconds"], error=why)
    try:
        _merge(gb, course, assignment, student, out)
    except Exception as exc:
        gb.db.rollback()
        return Result(student, False, seconds=out["seconds"], error=f"merge failed: {exc}")
    notes = "; ".join(r.get("notes", "") for r in out["reports"].values() if r.get("notes"))
    trusted = sum(r.get("seconds", 0.0) for r in out["reports"].values())
    return Result(
        student,
        True,
        score=out["score"],
        max_score=out["max_score"],
        seconds=out["seconds"],
        trusted_seconds=trusted,
        notes=notes,
        data=out,
    )


def summary(results: list[Result], assignment: str) -> str:
    """A plain table: one line per student, then the totals."""
    width = max([7, *(len(r.student) for r in results)])
    lines = [f"{'student':<{width}}  {'score':>7}  {'max':>5}  {'time':>6}  notes"]
    for r in results:
        if r.ok:
            note = r.notes[:90]
            lines.append(
                f"{r.student:<{width}}  {r.score:7.2f}  {r.max_score:5g}  {r.seconds:5.1f}s  {note}"
            )
        else:
            lines.append(
                f"{r.student:<{width}}  {'-':>7}  {'-':>5}  {r.seconds:5.1f}s  "
                f"FAILED: {' '.join(r.error.split())[:300]}"
            )
    ok = [r for r in results if r.ok]
    if ok:
        mean = sum(r.score for r in ok) / len(ok)
        lines.append(
            f"{len(ok)} of {len(results)} submissions of {assignment!r} graded; mean {mean:.2f}"
        )
    else:
        lines.append(f"no submission of {assignment!r} could be graded")
    if len(ok) < len(results):
        lines.append(
            f"{len(results) - len(ok)} FAILED: not in the gradebook; see why above, then grade "
            "them again (--student ID for one)"
        )
    return "\n".join(lines)
