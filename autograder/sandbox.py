"""Where student code runs: a separate process, in a bubblewrap sandbox, under resource limits.

Two kinds of student process use this module: the *answerer* (:mod:`autograder.answerer`, which
answers the grader's questions over a pipe, with the standard library only) and the Jupyter kernel
that nbgrader starts during autograde (:mod:`autograder.nbgrader_plugin`). Both get:

* limits set with ``resource.setrlimit`` before the exec: address space, CPU seconds, size of any
  file written, open files, no core dumps, and a process count (which stops fork bombs);
* a bubblewrap sandbox (``bwrap``): new PID, network, IPC and UTS namespaces; a root filesystem
  that holds only what is bound in (the system's /usr, the Python installation, the paths given,
  read-only) plus one private writable directory (``/home/student``) and a private /tmp; no
  environment but what is set here. The course's source notebooks, the gradebook and other
  students' work are simply not there to be read or deleted.
* when the grader runs as root (CI, containers), the process drops to a uid of its own inside
  the sandbox (``setpriv``), because the kernel does not apply the process limit to root.

Without bwrap (a laptop), :func:`jail_command` refuses unless ``allow_unsandboxed`` is given; the
student's own ``python -m autograder check`` passes it, since a student checking their own code
has nothing to steal.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ANSWERER = Path(__file__).with_name("answerer.py")
MiB = 1 << 20
HOME = "/home/student"  # where the private writable directory appears inside the sandbox


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing and the caller did not allow running without it."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one student process (seconds, bytes, counts)."""

    memory: int = 512 * MiB  # RLIMIT_AS
    cpu: int = 20  # RLIMIT_CPU: SIGXCPU, then SIGKILL a second later
    file_size: int = 8 * MiB  # RLIMIT_FSIZE: a larger write fails with EFBIG
    processes: int = 16  # RLIMIT_NPROC (threads count too)
    open_files: int = 64  # RLIMIT_NOFILE

    def apply(self) -> None:
        """Set the limits in the calling process (used as ``preexec_fn``)."""
        for what, value in (
            (resource.RLIMIT_AS, self.memory),
            (resource.RLIMIT_CPU, self.cpu),
            (resource.RLIMIT_FSIZE, self.file_size),
            (resource.RLIMIT_NOFILE, self.open_files),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(what, (value, value))
        # Root is exempt from RLIMIT_NPROC until setpriv drops it to the sandbox's own uid; any
        # other user's limit counts all of their processes, so it starts from how many they have.
        nproc = self.processes if os.geteuid() == 0 else count_processes() + self.processes
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        # A session of its own: the whole process group can be killed at once.
        os.setsid()


def count_processes() -> int:
    """How many tasks (processes and threads) the current uid has: RLIMIT_NPROC counts them."""
    uid, count = os.getuid(), 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                continue
    return count


def have_bwrap() -> bool:
    return shutil.which("bwrap") is not None


_SANDBOXES = itertools.count()


def sandbox_uid(kind: int = 0) -> int:
    """A new uid for a new sandbox: the process limit counts every process of a uid.

    Made of the grading process's pid (unique while it lives), a counter (so the leftovers of the
    previous student's sandbox, still dying, never count against the next) and the kind of
    student process (0: answerer, 1: kernel).
    """
    slot = (os.getpid() % 100_000) * 1000 + next(_SANDBOXES) % 1000
    return 200_000 + 2 * slot + kind


def _python_paths() -> list[str]:
    """The directories the Python interpreter lives in (outside /usr when installed by pyenv)."""
    base = os.path.realpath(sys.base_prefix)
    return [] if base.startswith("/usr/") else [base]


def jail_command(
    argv: Sequence[str],
    *,
    workdir: Path,
    read_only: Iterable[str] = (),
    shared: Iterable[str] = (),
    env: dict[str, str] | None = None,
    allow_unsandboxed: bool = False,
    uid: int | None = None,
    mounts: dict[str, str] | None = None,
) -> list[str]:
    """The command line that runs ``argv`` in a sandbox whose only writable place is workdir.

    ``read_only`` paths are bound read-only at the same path; ``shared`` paths read-write (the
    kernel's connection directory). ``mounts`` binds files read-only elsewhere (inside path ->
    outside path). ``env`` is the whole environment inside.
    """
    if not have_bwrap():
        if allow_unsandboxed:
            return list(argv)
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: student code would run with your rights. "
            "Install it (apt-get install bubblewrap) or pass --no-sandbox knowingly."
        )
    # bwrap itself starts from an empty environment: --clearenv clears only the child's, and
    # under user namespaces (a grader that is not root) bwrap's own init is pid 1 in the sandbox,
    # same uid as the student, whose /proc/1/environ would show the grader's environment.
    cmd = ["/usr/bin/env", "-i", shutil.which("bwrap") or "bwrap"]
    cmd += ["--die-with-parent", "--new-session"]
    cmd += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    cmd += ["--unshare-cgroup-try", "--hostname", "sandbox"]
    if os.geteuid() != 0:
        cmd += ["--unshare-user"]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            cmd += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            cmd += ["--ro-bind", f"/{link}", f"/{link}"]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    bound: set[str] = set()
    for path in [*_python_paths(), *read_only]:
        real = os.path.realpath(path)
        for target in {path, real}:
            if target in bound or not os.path.exists(target):
                continue
            bound.add(target)
            # Parents are made traversable: /root is 0700 outside, but not here.
            cmd += _parents(target, bound)
            cmd += ["--ro-bind", target, target]
    for inside, outside in (mounts or {}).items():
        cmd += _parents(inside, bound)
        cmd += ["--ro-bind", outside, inside]
    for path in shared:
        cmd += _parents(path, bound)
        cmd += ["--bind", path, path]
    cmd += _parents(HOME, bound)
    cmd += ["--bind", str(workdir), HOME, "--chdir", HOME]
    cmd += ["--clearenv"]
    for key, value in (env or {}).items():
        cmd += ["--setenv", key, value]
    if os.geteuid() == 0:
        who = str(sandbox_uid() if uid is None else uid)
        cmd += ["/usr/bin/setpriv", f"--reuid={who}", f"--regid={who}", "--clear-groups"]
        cmd += ["--inh-caps=-all", "--bounding-set=-all", "--"]
    return cmd + list(argv)


def _parents(path: str, bound: set[str]) -> list[str]:
    out: list[str] = []
    parent = os.path.dirname(path.rstrip("/"))
    chain = []
    while parent not in ("", "/"):
        chain.append(parent)
        parent = os.path.dirname(parent)
    for p in reversed(chain):
        if p not in bound and p not in ("/usr", "/tmp", "/proc", "/dev"):
            bound.add(p)
            out += ["--perms", "0755", "--dir", p]
    return out


def prepare_workdir(path: Path, uid: int, copy_from: Path | None = None) -> Path:
    """Make ``path`` the sandbox's private writable directory (owned by its uid under root).

    ``copy_from``: a notebook's folder whose files (not its notebooks, not its subfolders) the
    student's code may read, copied in without following anything: a symbolic link there
    (``notes.txt -> ../../../gradebook.db``) or a special file is left out, with a warning.
    """
    path.mkdir(parents=True, exist_ok=True)
    if copy_from is not None and copy_from.is_dir():
        from .safecopy import copy_folder, say_dropped

        dropped = copy_folder(copy_from, path, exclude=["*.ipynb"], recursive=False, into=True)
        say_dropped(str(copy_from), dropped)
    if os.geteuid() == 0 and have_bwrap():
        for p in [path, *path.rglob("*")]:
            os.chown(p, uid, uid, follow_symlinks=False)
    return path


# -- the answerer ----------------------------------------------------------------------------------


@dataclass
class Answer:
    """One reply from the student process: a value, or an error explaining its absence."""

    ok: bool
    value: Any = None
    error: str = ""


@dataclass
class LoadReport:
    """How the student's notebook code ran in the answerer."""

    errors: list[tuple[int, str]] = field(default_factory=list)
    fatal: str = ""  # set when the code never finished loading: nothing can be asked


class Answerer:
    """A sandboxed process holding the student's code; ask it questions, one at a time.

    A question that takes longer than ``call_timeout`` seconds, or a process that dies (os._exit,
    a crash, a resource limit), costs that one question: the process is started again, the code
    reloaded, and grading goes on, ``restarts`` times at most.
    """

    def __init__(
        self,
        cells: Sequence[tuple[int, str]],
        *,
        limits: Limits | None = None,
        load_timeout: float = 5.0,
        call_timeout: float = 2.0,
        restarts: int = 2,
        allow_unsandboxed: bool = False,
    ) -> None:
        self.cells = [(int(i), str(s)) for i, s in cells]
        self.limits = limits or Limits()
        self.load_timeout = load_timeout
        self.call_timeout = call_timeout
        self.restarts_left = restarts
        self.allow_unsandboxed = allow_unsandboxed
        self.sandboxed = have_bwrap()
        self.load = LoadReport()
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._buf = b""
        self.questions = 0
        self._skipped: list[tuple[int, str]] = []  # cells left out, kept across restarts

    # -- life cycle --------------------------------------------------------------------------

    def __enter__(self) -> Answerer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> LoadReport:
        """Start the process and run the student's cells; the report says what went wrong.

        A cell that never finishes, or that ends the process, is left out and the rest loaded
        again (a notebook's author would have interrupted it and gone on), as many times as
        ``restarts`` allows.
        """
        if self._proc is not None:  # already running: started before the with-block
            return self.load
        skipped = self._skipped
        while True:
            self._spawn()
            self._send({"op": "load", "cells": self.cells})
            last, why = self._load_until_done()
            if not why:
                self.load.errors = sorted(self.load.errors + skipped)
                return self.load
            self._kill()
            if last is None or self.restarts_left <= 0:
                where = f"cell {last}" if last is not None else "your code"
                self.load = LoadReport(errors=list(skipped), fatal=f"{where} {why}")
                return self.load
            self.restarts_left -= 1
            skipped.append((last, f"{why}; the grader left this cell out"))
            self.cells = [(i, src) for i, src in self.cells if i != last]

    def _load_until_done(self) -> tuple[int | None, str]:
        last_cell: int | None = None
        deadline = time.monotonic() + self.load_timeout
        while True:
            msg, why = self._read(deadline)
            if msg is None:
                return last_cell, why
            if "cell" in msg:
                last_cell = int(msg["cell"])
                continue
            self.load = LoadReport(errors=[(int(i), str(e)) for i, e in msg.get("errors", [])])
            return last_cell, ""

    def close(self) -> None:
        self._kill()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- questions ---------------------------------------------------------------------------

    def call(self, name: str, *args: Any) -> Answer:
        return self._ask({"op": "call", "name": name, "args": [_wire(a) for a in args]})

    def get(self, name: str) -> Answer:
        return self._ask({"op": "get", "name": name})

    def _ask(self, req: dict[str, Any]) -> Answer:
        if self.load.fatal:
            return Answer(False, error=f"not asked: {self.load.fatal}")
        if self._proc is None:
            if self.restarts_left <= 0:
                return Answer(False, error="not asked: your code stopped the grader too often")
            self.restarts_left -= 1
            self.start()
            if self.load.fatal:
                return Answer(False, error=f"not asked: {self.load.fatal}")
        self.questions += 1
        self._send(req)
        msg, why = self._read(time.monotonic() + self.call_timeout)
        if msg is None:
            self._kill()
            return Answer(False, error=f"your code {why}")
        if msg.get("ok"):
            return Answer(True, value=_unwire(msg.get("value")))
        return Answer(False, error=str(msg.get("error", "failed")))

    # -- plumbing ----------------------------------------------------------------------------

    def _spawn(self) -> None:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="tcpcourse-answerer-")
        uid = sandbox_uid(kind=0)
        work = prepare_workdir(Path(self._tmp.name) / f"work-{uid}", uid)
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        python = os.path.realpath(sys.executable)
        script = "/opt/tcpcourse/answerer.py" if have_bwrap() else str(ANSWERER)
        argv = [python, "-I", "-S", script, str(req_r), str(ans_w)]
        cmd = jail_command(
            argv,
            workdir=work,
            mounts={script: str(ANSWERER)},
            uid=uid,
            env={"HOME": HOME, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            allow_unsandboxed=self.allow_unsandboxed,
        )
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(req_r, ans_w),
            preexec_fn=self.limits.apply,  # limits must be set between fork and exec
            cwd=str(work),
        )
        os.close(req_r)
        os.close(ans_w)
        self._req = os.fdopen(req_w, "wb", buffering=0)
        self._ans = ans_r
        os.set_blocking(ans_r, False)
        self._buf = b""

    def _send(self, obj: dict[str, Any]) -> None:
        # A dead process is reported by the read that follows.
        with contextlib.suppress(OSError):
            self._req.write((json.dumps(obj) + "\n").encode())

    def _read(self, deadline: float) -> tuple[dict[str, Any] | None, str]:
        """The next message, or (None, what went wrong) on timeout or death."""
        sel = selectors.DefaultSelector()
        sel.register(self._ans, selectors.EVENT_READ)
        try:
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None, "ran too long (an endless loop?) and was stopped"
                try:
                    chunk = os.read(self._ans, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    return None, self._death()
                self._buf += chunk
                if len(self._buf) > 1 << 20:
                    return None, "sent more than the grader reads and was stopped"
        finally:
            sel.close()
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            msg = json.loads(line)
        except ValueError:
            return None, "garbled the grader's pipe and was stopped"
        if not isinstance(msg, dict):
            return None, "garbled the grader's pipe and was stopped"
        return msg, ""

    def _death(self) -> str:
        assert self._proc is not None
        try:
            code = self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "closed the grader's pipe and was stopped"
        if code < 0:
            sig = signal.Signals(-code).name
            hint = {
                "SIGKILL": " (memory or CPU limit)",
                "SIGXCPU": " (CPU time limit)",
                "SIGXFSZ": " (file size limit)",
            }.get(sig, "")
            return f"was killed by {sig}{hint}"
        return f"ended the grading process (exit status {code}; os._exit?)"

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self._req.close()
        os.close(self._ans)


def _wire(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, list | tuple):
        return [_wire(v) for v in value]
    return value


def _unwire(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"bytes"}:
        return bytes.fromhex(value["bytes"])
    if isinstance(value, list):
        return [_unwire(v) for v in value]
    return value
