"""``nbgrader collect`` for a shared machine: a submission is taken only from the student it names.

nbgrader's exchange is a folder every user may write (mode 1777). ``nbgrader submit`` puts a
student's work in ``inbound/<student>+<assignment>+<timestamp>``, and nbgrader's own collect takes
the newest folder by that *name*: any student can create ``inbound/<victim>+<assignment>+<later>``,
and the victim's work is replaced (nbgrader's ``check_owner`` only logs a warning). Its copy,
``shutil.copytree``, also follows the links a student plants there, with the instructor's rights.

:class:`OwnedCollect` (``c.ExchangeFactory.collect``, set in ``hub/nbgrader_config.py``) differs
in two ways, and otherwise keeps nbgrader's rules (the newest submission, ``--update``,
``--before-duedate``, ``CourseDirectory.ignore``, ``include`` and the size limits):

* a folder is considered only when it, and every file in it, belongs to the Unix user it names
  (``st_uid`` against ``pwd``). Others are refused: each one is named in an error with its real
  owner, the named student's genuine newest submission is collected instead, and the command ends
  with a failure status once everything else is collected, so nobody misses it;
* the copy follows nothing (:func:`autograder.safecopy.copy_folder`): links and special files are
  left out with a warning; a file swapped for a link during the copy refuses the submission.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import stat
from collections import defaultdict
from typing import Any

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import check_mode

from .safecopy import Refused, copy_folder, say_dropped


class OwnedCollect(ExchangeCollect):  # type: ignore[misc]  # nbgrader is untyped
    """nbgrader's collect, taking a submission only from the Unix user it is named for."""

    def init_src(self) -> None:
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail(f"You don't have read permissions for the directory: {self.inbound_path}")
        self.refused: list[tuple[str, str]] = []
        student_id = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{student_id}+{self.coursedir.assignment_id}+*")
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for path in sorted(glob.glob(pattern)):
            try:
                record = self._path_to_record(path)
            except (ExchangeError, ValueError, OverflowError):
                self._refuse(path, "its name is not <student>+<assignment>+<timestamp>")
                continue
            why = self._not_theirs(path, record["username"])
            if why:
                self._refuse(path, why)
                continue
            groups[record["username"]].append(record)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        self.src_records = []
        for records in groups.values():
            newest = self._sort_by_timestamp(records)
            if self.duedate is not None and self.before_duedate:
                on_time = [r for r in newest if r["timestamp"] <= self.duedate]
                newest = on_time or newest
            self.src_records.append(newest[0])

    def _not_theirs(self, path: str, student: str) -> str:
        """Why the inbound folder ``path`` is not ``student``'s own submission ('' if it is)."""
        try:
            uid = pwd.getpwnam(student).pw_uid
        except KeyError:
            return f"there is no Unix user {student!r} to check it against"
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode):
            return "it is not a folder (a link or a file); nothing in it is followed"
        if st.st_uid != uid:
            return f"it is named for {student} but belongs to {_user(st.st_uid)}"
        return ""

    def _refuse(self, path: str, why: str) -> None:
        self.refused.append((path, why))
        self.log.error("REFUSED %s: %s", path, why)

    def copy_files(self) -> None:
        assignment = self.coursedir.assignment_id
        if not self.src_records:
            self.log.warning(
                "No submissions of '%s' for course '%s' to collect",
                assignment,
                self.coursedir.course_id,
            )
        for rec in self.src_records:
            self._collect(rec)
        if self.refused:
            lines = "\n".join(f"  {path}: {why}" for path, why in self.refused)
            self.fail(
                f"refused {len(self.refused)} folder(s) in the exchange; every other submission "
                f"was collected:\n{lines}\nA submission is taken only from the Unix user it is "
                "named for. Look at these folders, then remove them from the exchange (as root "
                "if their owner made them unreadable)."
            )

    def _collect(self, rec: dict[str, Any]) -> None:
        student, assignment = rec["username"], self.coursedir.assignment_id
        src = os.path.join(self.inbound_path, rec["filename"])
        dest = self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment)
        updating = os.path.isdir(dest)
        if updating:
            existing = self.coursedir.get_existing_timestamp(dest)
            newer = existing is None or rec["timestamp"] > existing
            changed = self.before_duedate and existing != rec["timestamp"]
            if not ((self.update and newer) or changed):
                self.log.info(
                    "%s: %s %s",
                    "No newer submission to collect"
                    if self.update
                    else "Submission already exists, use --update to update",
                    student,
                    assignment,
                )
                return
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        incoming = dest + ".collecting"
        shutil.rmtree(incoming, ignore_errors=True)
        try:
            dropped = copy_folder(
                src,
                incoming,
                owner=pwd.getpwnam(student).pw_uid,
                below=self.inbound_path,
                exclude=self.coursedir.ignore,
                include=self.coursedir.include,
                max_file_size=1000 * self.coursedir.max_file_size,
                max_total=1000 * self.coursedir.max_dir_size,
            )
        except (Refused, OSError) as exc:
            self._refuse(src, str(exc))  # the student's previous submission stays as it was
            return
        say_dropped(src, dropped, self.log)
        self.log.info(
            "%s submission: %s %s", "Updating" if updating else "Collecting", student, assignment
        )
        if updating:
            shutil.rmtree(dest)
        os.rename(incoming, dest)


def _user(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"
