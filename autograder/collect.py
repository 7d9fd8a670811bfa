"""Hand-ins without JupyterHub: students' notebooks from a folder to where nbgrader grades them.

Without a hub's exchange, notebooks arrive by mail or from a learning platform. Save them in one
folder, each named after its student: ``alice.ipynb``, or ``alice/decode-the-header.ipynb`` (an
assignment with several notebooks needs the folder form). ``python -m autograder collect header
FOLDER`` copies each to ``submitted/alice/header/decode-the-header.ipynb``, the place
``nbgrader collect`` would have put it. Anything it cannot place is named with the reason and
left where it is; the rest are collected.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

# nbgrader uses the id as a folder name and a database key: letters, digits, . _ @ -
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")


class CollectError(ValueError):
    """The assignment or the folder cannot be used at all (nothing was copied)."""


@dataclass
class Collected:
    """What one collect did: each student's copied notebooks, and what was left out and why."""

    copied: dict[str, list[Path]] = field(default_factory=dict)
    replaced: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def lines(self, course: Path) -> list[str]:
        out = []
        for student, paths in self.copied.items():
            names = ", ".join(str(p.relative_to(course)) for p in paths)
            again = " (replaces an earlier copy)" if set(paths) & set(self.replaced) else ""
            out.append(f"{student}: {names}{again}")
        out += [f"left out {path}: {why}" for path, why in self.skipped]
        return out


def notebooks_of(course: Path, assignment: str) -> list[str]:
    """The notebook names of an assignment, from its source folder."""
    source = course / "source"
    folder = source / assignment
    names = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    if not names:
        known = sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
        raise CollectError(
            f"{assignment!r} is not an assignment of {course} (no notebook in "
            f"{folder}); the assignments are: {', '.join(known) or 'none'}"
        )
    return names


def collect(course: Path, assignment: str, inbox: Path) -> Collected:
    """Copy every student's notebook from ``inbox`` into ``course/submitted/``."""
    names = notebooks_of(course, assignment)
    inbox = inbox.expanduser()
    if not inbox.is_dir():
        raise CollectError(f"{inbox} is not a folder: save the students' notebooks in one")
    done = Collected()
    for entry in sorted(inbox.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            student, found = entry.name, sorted(entry.glob("*.ipynb"))
            for extra in found:
                if extra.name not in names:
                    done.skipped.append((extra, f"{assignment} has no notebook of that name"))
            pairs = [(p, p.name) for p in found if p.name in names]
            if not pairs:
                done.skipped.append((entry, f"no notebook named {' or '.join(names)} in it"))
                continue
        elif entry.suffix == ".ipynb":
            student = entry.stem
            if len(names) > 1:
                why = f"{assignment} has {len(names)} notebooks: use a folder {student}/ for them"
                done.skipped.append((entry, why))
                continue
            pairs = [(entry, names[0])]
        else:
            done.skipped.append((entry, "not a notebook (.ipynb)"))
            continue
        if not STUDENT_ID.fullmatch(student):
            done.skipped.append(
                (entry, f"{student!r} is not a student id (letters, digits, . _ @ -): rename it")
            )
            continue
        unreadable = [(src, why) for src, _ in pairs if (why := _not_a_notebook(src))]
        if unreadable:
            done.skipped.extend(unreadable)
            continue
        dest = course / "submitted" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        for src, name in pairs:
            target = dest / name
            if target.exists():
                done.replaced.append(target)
            shutil.copyfile(src, target)
            done.copied.setdefault(student, []).append(target)
    if not done.copied and not done.skipped:
        raise CollectError(f"no notebook in {inbox}: expected <student id>.ipynb files")
    return done


def _not_a_notebook(path: Path) -> str:
    """Why ``path`` cannot be a student's notebook ("" when it reads as one): caught here, where
    the instructor can still ask the student again, not at grading."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return f"not a readable notebook: not UTF-8 text (byte {exc.start})"
    except json.JSONDecodeError as exc:
        return f"not a readable notebook: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return "not a readable notebook: JSON without a list of cells"
    return ""
