"""Copy what a student handed in without following anything they planted in it.

A submission folder is the student's: on a hub they write it in the exchange, where it stays
theirs, and they may put anything there, not only notebooks. A symbolic link
(``notes.txt -> ../../../gradebook.db``, ``-> /etc/shadow``, ``-> ../source/<a>/<nb>.ipynb``) is
followed by ``shutil.copytree``, by nbgrader's copies and by ``open``, with the rights of whoever
copies: the instructor's, or the grader's. A fifo blocks the copy forever; a device reads the
device. So nothing here is ever followed or opened that is not a regular file or a folder:

* every entry is opened relative to its parent folder's descriptor with ``O_NOFOLLOW``, then
  checked with ``fstat`` on what was opened. A student who swaps a file for a link while the copy
  runs gets a refusal, never the link's target (the names are checked, then the descriptors);
* symbolic links and special files (fifos, sockets, devices) are left out and listed in what the
  copy returns, so the caller can say so;
* with ``owner``, every entry must belong to that uid, else the whole submission is refused: a
  folder named for another student, or a hard link to somebody else's file, is not their work.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import shutil
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a fifo must not wait for a writer; O_NOCTTY: a terminal must not become ours.
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY

log = logging.getLogger(__name__)


class Refused(Exception):
    """A submission that must not be accepted; the message says which entry and why."""


@dataclass(frozen=True)
class Dropped:
    """An entry left out of a copy (or removed from a folder): where, and what it was."""

    path: str  # relative to the folder copied
    what: str  # "a symbolic link to /etc/shadow", "a fifo", ...

    def __str__(self) -> str:
        return f"{self.path}: {self.what}"


def kind(mode: int) -> str:
    """What a file of this mode is, in words."""
    for test, name in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a fifo"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISREG, "a file"),
    ):
        if test(mode):
            return name
    return "a special file"


def _describe(name: str, st: os.stat_result, dir_fd: int) -> str:
    what = kind(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        with contextlib.suppress(OSError):
            what += f" to {os.readlink(name, dir_fd=dir_fd)}"
    return what


@contextlib.contextmanager
def open_folder(
    path: str | os.PathLike[str], *, below: str | os.PathLike[str] | None = None
) -> Iterator[int]:
    """A descriptor of the folder ``path``, which must not be a symbolic link.

    With ``below``, every component of ``path`` under ``below`` is opened with ``O_NOFOLLOW``
    too (``submitted/<student>/<assignment>``: neither the student's folder nor the assignment's
    may be a link); ``below`` itself is trusted.
    """
    path = Path(os.path.abspath(path))  # "." has a name and a parent to open it from
    if below is None:
        start, parts = path.parent, [path.name]
    else:
        start = Path(os.path.abspath(below))
        parts = list(path.relative_to(start).parts)
    fd = os.open(start, _DIR)
    try:
        for i, part in enumerate(parts):
            # Named from below's own name: "submitted/<student>/<assignment>".
            where = Path(start.name, *parts[: i + 1])
            try:
                st = os.stat(part, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                raise Refused(f"{where} does not exist") from None
            if not stat.S_ISDIR(st.st_mode):
                raise Refused(f"{where} is {_describe(part, st, fd)}: not followed")
            try:
                nxt = os.open(part, _DIR, dir_fd=fd)
            except OSError as exc:  # replaced by a link since the stat: refuse, never follow
                raise Refused(f"{where} could not be opened safely ({exc.strerror})") from None
            os.close(fd)
            fd = nxt
        yield fd
    finally:
        os.close(fd)


def _matches(name: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(name, g) for g in globs)


@dataclass
class _Budget:
    entries: int
    total: int


def copy_folder(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    owner: int | None = None,
    below: str | os.PathLike[str] | None = None,
    exclude: Sequence[str] = (),
    include: Sequence[str] = ("*",),
    recursive: bool = True,
    max_file_size: int | None = None,
    max_total: int | None = None,
    max_entries: int = 10_000,
    into: bool = False,
) -> list[Dropped]:
    """Copy the folder ``src`` to ``dest`` (created; its parent must exist): regular files and
    folders only, nothing followed. Returns what was left out and why.

    ``exclude`` and ``include`` are name globs (nbgrader's ``CourseDirectory.ignore`` and
    ``include``, ``include`` applying to files); ``max_file_size`` leaves out larger files;
    ``max_total`` (bytes) and ``max_entries`` refuse a submission that is too big. ``owner``
    refuses a submission holding anything (the folder included) that is not that uid's.
    With ``into``, ``dest`` is an existing folder the files are copied into.
    Raises :class:`Refused`, having removed the partial copy (all of ``dest`` unless ``into``).
    """
    dropped: list[Dropped] = []
    budget = _Budget(max_entries, max_total if max_total is not None else -1)
    dest = Path(dest)
    with open_folder(src, below=below) as fd:
        try:
            _check_owner(os.fstat(fd), owner, str(src))
            if not into:
                os.mkdir(dest, 0o700)
            _copy_dir(fd, dest, "", dropped, budget, owner, exclude, include, recursive,
                      max_file_size)  # fmt: skip
        except BaseException:
            if not into:
                _remove(dest)
            raise
    return dropped


def _check_owner(st: os.stat_result, owner: int | None, where: str) -> None:
    if owner is not None and st.st_uid != owner:
        raise Refused(f"{where} belongs to uid {st.st_uid}, not to the submitting student")


def _copy_dir(
    fd: int,
    dest: Path,
    rel: str,
    dropped: list[Dropped],
    budget: _Budget,
    owner: int | None,
    exclude: Sequence[str],
    include: Sequence[str],
    recursive: bool,
    max_file_size: int | None,
) -> None:
    for name in sorted(os.listdir(fd)):
        where = f"{rel}{name}"
        budget.entries -= 1
        if budget.entries < 0:
            raise Refused(f"more than the allowed number of files, at {where}")
        if _matches(name, exclude):
            continue
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            if not recursive:
                continue
            try:
                sub = os.open(name, _DIR, dir_fd=fd)
            except OSError as exc:
                raise Refused(f"{where} changed while it was copied ({exc.strerror})") from None
            try:
                opened = os.fstat(sub)
                _same(st, opened, where)
                _check_owner(opened, owner, where)
                (dest / name).mkdir(0o700)
                _copy_dir(sub, dest / name, f"{where}/", dropped, budget, owner, exclude,
                          include, recursive, max_file_size)  # fmt: skip
                (dest / name).chmod(0o755)
            finally:
                os.close(sub)
        elif stat.S_ISREG(st.st_mode):
            if not _matches(name, include):
                continue
            if max_file_size is not None and st.st_size > max_file_size:
                dropped.append(Dropped(where, f"a file of {st.st_size} bytes, over the limit"))
                continue
            _copy_file(fd, name, st, dest / name, where, budget, owner)
        else:
            dropped.append(Dropped(where, _describe(name, st, fd)))


def _same(named: os.stat_result, opened: os.stat_result, where: str) -> None:
    if (named.st_dev, named.st_ino) != (opened.st_dev, opened.st_ino) or stat.S_IFMT(
        named.st_mode
    ) != stat.S_IFMT(opened.st_mode):
        raise Refused(f"{where} changed while it was copied: refused, nothing followed")


def _copy_file(
    dir_fd: int,
    name: str,
    st: os.stat_result,
    dest: Path,
    where: str,
    budget: _Budget,
    owner: int | None,
) -> None:
    try:
        src = os.open(name, _FILE, dir_fd=dir_fd)
    except OSError as exc:  # ELOOP: it became a link since the stat
        raise Refused(f"{where} changed while it was copied ({exc.strerror})") from None
    try:
        opened = os.fstat(src)
        _same(st, opened, where)
        _check_owner(opened, owner, where)
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            while chunk := os.read(src, 1 << 20):
                if budget.total >= 0:
                    budget.total -= len(chunk)
                    if budget.total < 0:
                        raise Refused(f"the submission is over the size limit, at {where}")
                os.write(out, chunk)
        finally:
            os.close(out)
        os.utime(dest, ns=(opened.st_atime_ns, opened.st_mtime_ns))
    finally:
        os.close(src)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(path)


def drop_planted(
    folder: str | os.PathLike[str], *, below: str | os.PathLike[str] | None = None
) -> list[Dropped]:
    """Remove every symbolic link and special file inside ``folder`` (recursively), in place.

    For folders the grader owns (``submitted/<student>/<assignment>``) before nbgrader, which
    follows links, reads them. Returns what was removed. Raises :class:`Refused` when ``folder``
    itself (or, with ``below``, a folder on the way to it) is not a real folder.
    """
    dropped: list[Dropped] = []
    with open_folder(folder, below=below) as fd:
        _drop(fd, "", dropped)
    return dropped


def _drop(fd: int, rel: str, dropped: list[Dropped]) -> None:
    for name in sorted(os.listdir(fd)):
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            sub = os.open(name, _DIR, dir_fd=fd)
            try:
                _drop(sub, f"{rel}{name}/", dropped)
            finally:
                os.close(sub)
        elif not stat.S_ISREG(st.st_mode):
            dropped.append(Dropped(f"{rel}{name}", _describe(name, st, fd)))
            os.unlink(name, dir_fd=fd)


def say_dropped(
    where: str, dropped: Sequence[Dropped], logger: logging.Logger | None = None
) -> None:
    """Warn, naming each entry left out: nothing a student submits is followed."""
    for d in dropped:
        (logger or log).warning(
            "%s/%s is %s: left out (only the student's regular files are taken from a "
            "submission, and nothing is followed)",
            where,
            d.path,
            d.what,
        )


def autograde_hook(
    assignment: str = "", student: str = "", notebooks: list[str] | None = None
) -> None:
    """nbgrader's ``Autograde.pre_convert_hook``: clean each submission before nbgrader reads it.

    nbgrader copies every file of ``submitted/<student>/<assignment>`` into ``autograded/`` with
    ``shutil.copy`` and reads the notebooks with ``open``: both follow links. This runs first and
    removes the links and special files from the submitted folder (the instructor's copy; a
    warning names each one). ``notebooks`` is nbgrader's own list of what it is about to grade:
    a notebook that was a link, or in a folder that was one, is taken out of it, so that student
    is reported as not graded instead.
    """
    from traitlets.log import get_logger

    logger = get_logger()
    if not notebooks:
        return
    for folder in sorted({Path(nb).parent for nb in notebooks}):
        below = folder.parent.parent  # submitted/, above <student>/<assignment>
        try:
            say_dropped(str(folder), drop_planted(folder, below=below), logger)
        except (Refused, OSError) as exc:
            logger.error("%s: %s; this submission is not graded", folder, exc)
            _unlink_first_link(below, folder)
    notebooks[:] = [nb for nb in notebooks if _regular(nb)]


def _regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _unlink_first_link(below: Path, folder: Path) -> None:
    """A folder on the way to the submission was a link: remove that link (it is in the
    grader's own tree), so nothing that lists the folder afterwards follows it."""
    path = below
    for part in folder.relative_to(below).parts:
        path = path / part
        if path.is_symlink():
            path.unlink()
            return
