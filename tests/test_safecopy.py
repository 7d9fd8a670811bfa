"""autograder.safecopy: a submission's folder is copied without following anything planted in it."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from autograder.safecopy import Dropped, Refused, _Budget, _copy_file, copy_folder, drop_planted


def _planted(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("the gradebook")
    src = tmp_path / "submitted" / "s1" / "a"
    (src / "data").mkdir(parents=True)
    (src / "answer.ipynb").write_text("{}")
    (src / "data" / "points.csv").write_text("1,2\n")
    (src / "notes.txt").symlink_to("../../../secret.txt")
    (src / "data" / "etc").symlink_to("/etc")
    os.mkfifo(src / "pipe")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(src / "sock"))  # the file stays after the socket is closed
    return src


def test_links_and_special_files_are_left_out_and_named(tmp_path: Path) -> None:
    """Regular files and folders are copied; links, a fifo and a socket are listed, not read."""
    src = _planted(tmp_path)
    dropped = copy_folder(src, tmp_path / "copy")
    assert dropped == [
        Dropped("data/etc", "a symbolic link to /etc"),
        Dropped("notes.txt", "a symbolic link to ../../../secret.txt"),
        Dropped("pipe", "a fifo"),
        Dropped("sock", "a socket"),
    ]
    copied = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*"))
    assert copied == ["answer.ipynb", "data", "data/points.csv"]
    assert (tmp_path / "copy" / "data" / "points.csv").read_text() == "1,2\n"


def test_a_folder_on_the_way_that_is_a_link_is_refused(tmp_path: Path) -> None:
    """submitted/<student>/<assignment> may not be a link, at any level below submitted/."""
    src = _planted(tmp_path)
    (tmp_path / "submitted" / "s2").symlink_to("s1")
    with pytest.raises(Refused, match=r"submitted/s2 is a symbolic link to s1: not followed"):
        copy_folder(
            tmp_path / "submitted" / "s2" / "a", tmp_path / "c", below=tmp_path / "submitted"
        )
    assert not (tmp_path / "c").exists()
    assert copy_folder(src, tmp_path / "c", below=tmp_path / "submitted")


def test_anything_not_the_owners_refuses_the_whole_copy(tmp_path: Path) -> None:
    """With owner, an entry of another uid (a hard link to someone's file) refuses it all."""
    src = _planted(tmp_path)
    with pytest.raises(Refused, match="belongs to uid"):
        copy_folder(src, tmp_path / "copy", owner=os.getuid() + 1)
    assert not (tmp_path / "copy").exists()  # no partial copy is left behind


def test_a_file_swapped_for_a_link_during_the_copy_is_refused(tmp_path: Path) -> None:
    """The name is checked, then what was opened: a swap between the two is caught."""
    src = _planted(tmp_path)
    checked = os.stat(src / "answer.ipynb", follow_symlinks=False)
    (src / "answer.ipynb").unlink()
    (src / "answer.ipynb").symlink_to("../../../secret.txt")  # the student's swap
    fd = os.open(src, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(Refused, match="changed while it was copied"):
            _copy_file(fd, "answer.ipynb", checked, tmp_path / "out", "x", _Budget(10, -1), None)
    finally:
        os.close(fd)
    assert not (tmp_path / "out").exists()


def test_drop_planted_removes_links_in_place(tmp_path: Path) -> None:
    """The grader's own submitted/ folder is cleaned before nbgrader, which follows links."""
    src = _planted(tmp_path)
    assert [d.path for d in drop_planted(src)] == ["data/etc", "notes.txt", "pipe", "sock"]
    left = sorted(str(p.relative_to(src)) for p in src.rglob("*"))
    assert left == ["answer.ipynb", "data", "data/points.csv"]
    assert (tmp_path / "secret.txt").read_text() == "the gradebook"
