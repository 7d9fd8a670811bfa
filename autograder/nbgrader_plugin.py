"""nbgrader, made safe to run on students' notebooks: a sandboxed kernel and trusted scores.

Plain ``nbgrader autograde`` runs the student's notebook in a kernel with the instructor's rights
and takes each test cell's score from that kernel's output. Measured on this course before this
module existed: a submission that read the source notebooks scored full marks, and one that
deleted files wiped the gradebook. Two preprocessors close both holes; ``configure`` (called from
``course/nbgrader_config.py``) puts them in nbgrader's pipeline, so they apply to plain
``nbgrader autograde`` and to ``python -m autograder grade`` alike.

* :class:`SandboxedExecute` replaces nbgrader's ``Execute``: the kernel starts inside bubblewrap
  (see :mod:`autograder.sandbox`), talks to nbgrader over Unix sockets in a private directory
  (no network namespace is shared), sees a copy of the notebook's folder and nothing of the course,
  and lives under CPU, memory, file-size and process limits. A kernel that dies (``os._exit``, a
  limit) ends the run with an error on the cell that killed it; grading goes on.
* :class:`TrustedScores` runs after execution and before nbgrader saves grades. For every test
  cell the course registers (:data:`autograder.checks.CHECKS`), it grades the student's code again
  in a separate, stdlib-only sandboxed process and *replaces* that cell's outputs with the trusted
  feedback and score. Whatever the student's kernel printed, patched or faked in that cell is gone
  before nbgrader reads it. A per-notebook JSON report is written beside the autograded notebook
  for ``python -m autograder report``.
* :class:`RestoreCellMetadata` rebuilds every cell's nbgrader metadata from the gradebook before
  nbgrader looks at it: a student who edits it (a newer ``schema_version``, a test cell marked
  ``solution``, a renamed ``grade_id``) changes nothing, and nothing in a notebook can stop the
  grading of the students after it (:class:`ContainedCheckCellMetadata`).
* :class:`InertOutputs` makes what the instructor will look at inert: the autograded notebook,
  and so the Formgrader's page and the feedback HTML, keep no script, no HTML, no SVG, no widget
  state, no event handler and no ``javascript:`` link from anything the student wrote or ran.
* :func:`replace_links` turns links and special files in a submission folder into a note before
  nbgrader copies the folder (nbgrader's copy follows links).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import channel_socket_types
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbformat.v4 import new_output as _new_output
from nbgrader.preprocessors import CheckCellMetadata, Execute, NbGraderPreprocessor
from traitlets import Bool, Float, Integer

from . import sandbox
from .checks import CHECKS
from .grading import cell_text, grade_program, program_from_notebook
from .report import REPORT_SUFFIX


def _output(kind: str, **fields: Any) -> NotebookNode:
    """nbformat's new_output, typed (nbformat is not)."""
    out: NotebookNode = _new_output(kind, **fields)  # type: ignore[no-untyped-call]
    return out


MAX_MESSAGE = 32 << 20  # bytes: a larger message from the kernel is dropped unread
GRACE = 60  # seconds a kernel may outlive SandboxedExecute.kernel_budget before it is killed
# The start of the error a kernel that never started leaves on the first code cell; the batch
# grader looks for it (the scores are right, but the feedback would show unrun cells).
NO_KERNEL = "the kernel could not start"

KERNEL_LIMITS = sandbox.Limits(
    memory=2048 * sandbox.MiB, cpu=30, file_size=16 * sandbox.MiB, processes=64, open_files=256
)


def _package_dirs() -> list[str]:
    """What the kernel must import: the venv, and tcpcore and autograder wherever they live."""
    import autograder
    import tcpcore

    dirs = [sys.prefix]
    for mod in (tcpcore, autograder):
        dirs.append(str(Path(mod.__file__ or "").resolve().parent))
    return dirs


class SandboxKernelClient(AsyncKernelClient):
    """A kernel client without the heartbeat channel.

    A kernel whose sockets the student's code wrote over stops answering pings, and the
    heartbeat thread then waits forever to send the next one (measured: stopping the channels
    hung nbgrader). Kernel death is watched through the process instead (``is_alive``).
    """

    def start_channels(
        self,
        shell: bool = True,
        iopub: bool = True,
        stdin: bool = True,
        hb: bool = True,
        control: bool = True,
    ) -> None:
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False, control=control)

    def _create_connected_socket(self, channel: str, identity: bytes | None = None) -> Any:
        """The channel's socket, refusing messages too large to keep and queueing few.

        A print loop makes the kernel send messages of hundreds of MiB as fast as it can; each
        would be received and decoded in full before the output caps could drop it. ZeroMQ drops
        a message over MAX_MESSAGE (the connection is made again) and, on iopub, keeps at most a
        few hundred messages waiting: the kernel's surplus output is lost, not the grader's memory.
        """
        url = self._make_url(channel)
        sock = self.context.socket(channel_socket_types[channel])
        sock.linger = 1000
        sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        if channel == "iopub":
            sock.setsockopt(zmq.RCVHWM, 200)
        if identity:
            sock.identity = identity
        if getattr(self, "curve_publickey", None) is not None:  # as jupyter_client does
            sock.curve_secretkey = self.curve_secretkey
            sock.curve_publickey = self.curve_publickey
            sock.curve_serverkey = self.curve_publickey
        sock.connect(url)
        return sock


def _last_line(path: Path, limit: int = 4096) -> str:
    """The last non-empty line of a file (at most its last ``limit`` bytes), or ""."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - limit))
            lines = f.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip()[:200] if lines else ""


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in the sandbox; ``sandbox_info`` is set before start."""

    sandbox_info: dict[str, Any] = {}  # noqa: RUF012 - replaced per instance before use
    client_class = "autograder.nbgrader_plugin.SandboxKernelClient"
    client_factory = SandboxKernelClient

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        # The kernel reads this file as the sandbox's own user.
        if os.geteuid() == 0 and sandbox.have_bwrap():
            uid = self.sandbox_info["uid"]
            os.chown(self.connection_file, uid, uid)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        # The kernel's own chatter (startup notes, crash dumps) is not nbgrader's log; its
        # stderr goes to a file whose last line explains a kernel that does not start.
        kw.setdefault("stdout", subprocess.DEVNULL)
        with open(self.sandbox_info["log"], "ab") as log:
            kw.setdefault("stderr", log)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    # The student's code can write over its own kernel's sockets (measured: a function that
    # wrote to every descriptor left the kernel deaf to its control channel), and a ZeroMQ send
    # to a peer that stopped reading blocks forever: the interrupt that nbclient sends on a
    # timeout, or before shutting the kernel down, held nbgrader for good. Sends on the control
    # channel give up after a few seconds here, and a kernel that does not hear is killed.
    def _connect_control_socket(self) -> None:
        super()._connect_control_socket()
        if self._control_socket is not None:
            self._control_socket.setsockopt(zmq.SNDTIMEO, 3000)
            self._control_socket.setsockopt(zmq.LINGER, 0)

    async def _async_interrupt_kernel(self) -> None:
        try:
            await super()._async_interrupt_kernel()
        except zmq.Again:
            await self._async_kill_kernel()

    async def _async_request_shutdown(self, restart: bool = False) -> None:
        try:
            await super()._async_request_shutdown(restart)
        except zmq.Again:
            await self._async_kill_kernel()

    interrupt_kernel = _async_interrupt_kernel  # type: ignore[assignment]
    request_shutdown = _async_request_shutdown  # type: ignore[assignment]

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        # jupyter_client runs the kernel with sys.executable, which keeps the `..` of a relative
        # start (`cd course; ../.venv/bin/python -m autograder`): the sandbox binds the venv but
        # not `course`, so that path does not resolve there. Name it by its real folder.
        if os.path.isabs(cmd[0]):
            folder, name = os.path.split(cmd[0])
            cmd[0] = os.path.join(os.path.realpath(folder), name)
        cmd = ["autograder.kernel_launcher" if a == "ipykernel_launcher" else a for a in cmd]
        assert self.kernel_spec is not None
        # bwrap does not pass SIGINT on; ask the kernel to interrupt itself instead.
        self.kernel_spec.interrupt_mode = "message"
        info = self.sandbox_info
        limits: sandbox.Limits = info["limits"]
        jailed = sandbox.jail_command(
            cmd,
            workdir=info["workdir"],
            read_only=_package_dirs(),
            shared=[info["conn"]],
            env=info["env"],
            allow_unsandboxed=info["allow_unsandboxed"],
            uid=info["uid"],
        )
        nproc = limits.processes if os.geteuid() == 0 else sandbox.count_processes() + 256
        return [
            "/usr/bin/prlimit",
            f"--as={limits.memory}",
            f"--cpu={limits.cpu}",
            f"--fsize={limits.file_size}",
            f"--nofile={limits.open_files}",
            f"--nproc={nproc}",
            "--core=0",
            "--",
            *jailed,
        ]


class SandboxedExecute(Execute):  # type: ignore[misc]  # nbgrader is untyped
    """nbgrader's Execute with the kernel in a sandbox and kernel death survived."""

    allow_unsandboxed = Bool(
        False, help="Run the kernel without bubblewrap when it is missing (unsafe)."
    ).tag(config=True)
    kernel_cpu_seconds = Integer(KERNEL_LIMITS.cpu, help="CPU seconds for the whole kernel.").tag(
        config=True
    )
    kernel_budget = Float(
        120.0, help="Wall-clock seconds for running the whole notebook (cells after it do not run)."
    ).tag(config=True)
    max_cell_output = Integer(
        1 << 20, help="Bytes of output kept per cell; the rest is dropped with a note."
    ).tag(config=True)
    max_notebook_output = Integer(
        8 << 20, help="Bytes of output kept per notebook; the rest is dropped with a note."
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(*args, **kwargs)
        self._info: dict[str, Any] = {}
        self._km: Any = None
        self._current: int | None = None
        self._started = 0.0
        self._noted = False  # the budget note is in the notebook
        self._cell_timeout: int | None = None
        self._kept: dict[int, int] = {}  # bytes of output kept, per cell index
        self._dropped: set[int] = set()

        self._last_words = ""  # the last line the last kernel wrote to stderr

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict, km: Any = None
    ) -> tuple[NotebookNode, ResourcesDict]:
        """Run the notebook in a fresh sandbox; whatever happens to the kernel, go on grading.

        A kernel that does not start (a busy machine, a leftover of the previous student) is
        started again once, in a new sandbox. A kernel that dies, or never starts, leaves an
        error in the notebook; the trusted scores that follow do not need it.
        """
        failure: Exception | None = None
        self._started = time.monotonic()
        self._noted = False
        if self._cell_timeout is None:
            self._cell_timeout = self.timeout
        for _attempt in range(2):
            self._current = None
            self._kept, self._dropped = {}, set()
            try:
                with self._sandbox(resources), self._watchdog():
                    return super().preprocess(nb, resources, km)  # type: ignore[no-any-return]
            except DeadKernelError:
                self._mark_dead(nb)
                return nb, resources
            except sandbox.SandboxUnavailable:
                raise
            except Exception as exc:
                if self._current is not None:
                    self._mark_dead(nb, f"{type(exc).__name__}: {exc}")
                    return nb, resources
                failure = exc
                self.log.warning("the sandboxed kernel did not start (%s); once more", exc)
        why = f"{NO_KERNEL}: {failure}" + (f" ({self._last_words})" if self._last_words else "")
        self.log.error("%s", why)
        first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)
        if first is not None:
            self._current = first
            self._mark_dead(nb, why)
        return nb, resources

    @contextlib.contextmanager
    def _sandbox(self, resources: ResourcesDict) -> Iterator[None]:
        student = resources.get("nbgrader", {}).get("student", "") or ""
        here = Path(resources.get("metadata", {}).get("path") or ".")
        with tempfile.TemporaryDirectory(prefix="tcpcourse-kernel-") as tmp:
            root = Path(tmp)
            uid = sandbox.sandbox_uid(kind=1)
            # The kernel sees a copy of the notebook's folder (data files), not the folder; a
            # link or special file a student put there is left out, never followed.
            work = sandbox.prepare_workdir(root / "work", uid, copy_from=here)
            conn = root / "conn"
            conn.mkdir()
            for p in (work, conn, *work.iterdir()):
                if os.geteuid() == 0 and sandbox.have_bwrap():
                    os.chown(p, uid, uid)
            self._info = {
                "workdir": work,
                "conn": str(conn),
                "uid": uid,
                "allow_unsandboxed": self.allow_unsandboxed,
                "limits": sandbox.Limits(
                    **{**KERNEL_LIMITS.__dict__, "cpu": self.kernel_cpu_seconds}
                ),
                "env": {
                    "HOME": sandbox.HOME,
                    "PATH": f"{sys.prefix}/bin:/usr/bin:/bin",
                    "LANG": "C.UTF-8",
                    "MPLBACKEND": "Agg",
                    "MPLCONFIGDIR": "/tmp",
                    "IPYTHONDIR": "/tmp/ipython",
                    "OPENBLAS_NUM_THREADS": "1",
                    "PYTHONDONTWRITEBYTECODE": "1",
                    "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde"),
                    "TCPCOURSE_STUDENT": student,
                },
                "log": root / "kernel-stderr.log",
            }
            try:
                yield
            finally:
                self._last_words = _last_line(self._info["log"])

    @contextlib.contextmanager
    def _watchdog(self) -> Iterator[None]:
        """The last line: a kernel still alive well past the notebook's budget is killed."""

        def kill() -> None:
            process = getattr(getattr(self._km, "provisioner", None), "process", None)
            if process is not None and process.poll() is None:
                self.log.warning("the kernel outlived its budget by %s s: killing it", GRACE)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(self.kernel_budget + GRACE, kill)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def create_kernel_manager(self) -> Any:
        km = super().create_kernel_manager()
        self._km = km
        conn = self._info["conn"]
        km.transport = "ipc"
        km.connection_file = os.path.join(conn, "kernel.json")
        km.ip = os.path.join(conn, "kernel-ipc")
        km.sandbox_info = self._info
        return km

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int) -> Any:
        self._current = index  # the cell to blame if the kernel dies
        if cell.cell_type == "code":
            left = self.kernel_budget - (time.monotonic() - self._started)
            if left <= 0:
                self._noted = True
                cell.outputs = [_budget_note(self.kernel_budget)]
                return cell, resources
            # No cell may run past the notebook's budget.
            self.timeout = max(1, min(int(self._cell_timeout or left), int(left) + 1))
        result = super().preprocess_cell(cell, resources, index)
        spent = time.monotonic() - self._started
        if cell.cell_type == "code" and spent >= self.kernel_budget and not self._noted:
            self._noted = True  # the cell the budget ran out in says so (test cells are rewritten)
            cell.outputs.append(_budget_note(self.kernel_budget, stopped=True))
        return result

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None, index: int
    ) -> NotebookNode | None:
        """Keep a cell's output up to a cap per cell and per notebook; drop the rest, with a note.

        Without the caps a print loop fills the grader's memory (over a GiB measured) and leaves
        autograded notebooks of tens of MiB for the instructor's browser.
        """
        size = _content_size(msg.get("content", {}))
        kept = self._kept.get(index, 0)
        total = sum(self._kept.values())
        if kept + size > self.max_cell_output or total + size > self.max_notebook_output:
            if index not in self._dropped:
                self._dropped.add(index)
                outs.append(
                    _output(
                        "stream",
                        name="stderr",
                        text=f"[output cut: more than {self.max_cell_output >> 10} KiB in this "
                        f"cell or {self.max_notebook_output >> 20} MiB in the notebook; "
                        "the rest was not kept]\n",
                    )
                )
            return None
        self._kept[index] = kept + size
        out: NotebookNode | None = super().output(outs, msg, display_id, index)
        return out

    def _mark_dead(self, nb: NotebookNode, why: str = "") -> None:
        if self._current is None:
            return
        cell = nb.cells[self._current]
        cell.outputs.append(
            _output(
                "error",
                ename="DeadKernelError",
                evalue=why or "the kernel died while running this cell",
                traceback=[
                    (
                        why
                        or "The kernel died while running this cell: os._exit, a crash, or the "
                        "memory/CPU limit."
                    )
                    + " The cells after it did not run; your code is still graded by the "
                    "autograder, outside the kernel."
                ],
            )
        )


class TrustedScores(NbGraderPreprocessor):  # type: ignore[misc]
    """Score every registered test cell outside the kernel and overwrite its outputs."""

    allow_unsandboxed = Bool(False, help="Grade without bubblewrap when it is missing.").tag(
        config=True
    )
    budget = Float(
        120.0,
        help="Wall-clock seconds for asking one submission every question; the questions left "
        "when it runs out are not asked (and the feedback says so).",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, Any]:
        info = resources.get("nbgrader", {})
        student = info.get("student", "") or ""
        assignment = info.get("assignment", "") or ""
        notebook = info.get("notebook", "") or ""
        cells = [
            c
            for c in nb.cells
            if c.cell_type == "code"
            and c.metadata.get("nbgrader", {}).get("grade_id") in CHECKS
            and c.metadata.nbgrader.get("grade")
            and not c.metadata.nbgrader.get("solution")
        ]
        checks = []
        for c in cells:
            check = CHECKS[c.metadata.nbgrader.grade_id]
            if check.assignment == assignment and check not in checks:
                checks.append(check)
        if not checks:
            return nb, resources
        report = grade_program(
            program_from_notebook(nb),
            checks,
            student=student,
            assignment=assignment,
            allow_unsandboxed=self.allow_unsandboxed,
            answerer_options={"budget": self.budget},
        )
        for c in cells:
            gid = c.metadata.nbgrader.grade_id
            if CHECKS[gid].assignment != assignment:
                continue
            outcome = report.outcome(gid)
            text = clean_text(cell_text(report, outcome) + "\n")
            c.outputs = [
                _output("stream", name="stdout", text=text),
                _output(
                    "execute_result",
                    data={"text/plain": repr(outcome.score)},
                    execution_count=c.get("execution_count"),
                ),
            ]
        self.log.info(
            "trusted score for %s/%s: %s of %s", student, assignment, report.score, report.max_score
        )
        path = Path(resources.get("metadata", {}).get("path") or ".")
        out = path / f"{notebook or 'notebook'}{REPORT_SUFFIX}"
        # nbgrader never copies a student's *.autograder.json here (configure() ignores the
        # pattern): this file is the grader's alone, and `python -m autograder report` reads it.
        with contextlib.suppress(FileNotFoundError):
            out.unlink()
        out.write_text(json.dumps(report.to_json(), indent=1) + "\n", encoding="utf-8")
        return nb, resources


class ForgetDuplicates(NbGraderPreprocessor):  # type: ignore[misc]
    """Make the cells DeduplicateIds stripped plain cells again.

    nbgrader 0.9's DeduplicateIds empties a duplicated cell's ``nbgrader`` metadata, and then
    OverwriteCells (with ``add_missing_cells``) fails on that empty dict with KeyError 'grade_id',
    so one duplicated cell would stop the whole submission from being graded. Without the empty
    dict the duplicate is an ordinary cell of the student's, which is what it is.
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if "nbgrader" in cell.metadata and not cell.metadata.nbgrader:
            del cell.metadata["nbgrader"]
        return cell, resources


def clean_text(text: str) -> str:
    """Text that can be written as UTF-8: lone surrogates (a student's "\\udc80") become '?'."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _content_size(content: Any) -> int:
    """About how many bytes an output message adds to the notebook, without copying it."""
    if not isinstance(content, dict):
        return 0
    size = 64
    for key in ("text", "ename", "evalue"):
        if isinstance(content.get(key), str):
            size += len(content[key])
    for part in content.get("traceback") or []:
        size += len(part) if isinstance(part, str) else 64
    data = content.get("data")
    for value in data.values() if isinstance(data, dict) else []:
        size += len(value) if isinstance(value, str) else len(json.dumps(value))
    return size


def _budget_note(seconds: float, stopped: bool = False) -> NotebookNode:
    what = "stopped here, the cells after it not run" if stopped else "not run"
    return _output(
        "stream",
        name="stderr",
        text=f"[{what}: the notebook used up its {seconds:g} s budget for running cells; "
        "your code is still graded by the autograder, outside the kernel]\n",
    )


class RestoreCellMetadata(NbGraderPreprocessor):  # type: ignore[misc]
    """Rebuild every cell's nbgrader metadata from the gradebook, before nbgrader reads any of it.

    The metadata in a submission is the student's to edit. nbgrader trusts parts of it: a cell
    with a newer ``schema_version`` stops ``nbgrader autograde`` for the whole class (measured: the
    16 students after it were never graded), a test cell marked ``solution`` or not ``grade``
    fails with "Inconsistent checksums", and other edits raise deep in nbgrader. Here a cell
    whose ``grade_id`` the gradebook knows gets exactly the source's metadata (type of cell,
    points, locked, schema); any other cell's nbgrader metadata is removed, so it is an ordinary
    cell of the student's. A test cell whose id was renamed is therefore missing, and
    OverwriteCells (``add_missing_cells``) puts the original back, where it is scored.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, Any]:
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            cells = {c.name: c for c in source.source_cells}
            grades = {c.name: float(c.max_score) for c in source.grade_cells}
            tasks = {c.name: float(c.max_score) for c in source.task_cells}
            solutions = {c.name for c in source.solution_cells}
            known = {
                name: {
                    "locked": bool(cell.locked),
                    "checksum": cell.checksum,
                    "cell_type": cell.cell_type,
                }
                for name, cell in cells.items()
            }
        for cell in nb.cells:
            if not isinstance(cell.get("metadata"), dict):
                cell["metadata"] = NotebookNode()
            meta = cell.metadata.get("nbgrader")
            if meta is None:
                continue
            gid = meta.get("grade_id") if isinstance(meta, dict) else None
            if not isinstance(gid, str) or gid not in known:
                del cell.metadata["nbgrader"]
                continue
            fresh: dict[str, Any] = {
                "schema_version": 3,
                "grade_id": gid,
                "grade": gid in grades,
                "solution": gid in solutions,
                "locked": known[gid]["locked"],
                "checksum": known[gid]["checksum"],
            }
            if gid in grades:
                fresh["points"] = grades[gid]
            if gid in tasks:
                fresh.update(task=True, points=tasks[gid])
            cell.metadata["nbgrader"] = NotebookNode(fresh)
        return nb, resources


class ContainedCheckCellMetadata(CheckCellMetadata):  # type: ignore[misc]
    """nbgrader's metadata check, failing one submission instead of the whole class.

    nbgrader stops every remaining student on a schema-version mismatch; any other exception
    costs only the submission that raised it. (RestoreCellMetadata leaves nothing to mismatch:
    this is the second line.)
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, Any]:
        from nbgrader.nbgraderformat.common import SchemaMismatchError

        try:
            out: tuple[NotebookNode, Any] = super().preprocess(nb, resources)
        except SchemaMismatchError as exc:
            raise ValueError(f"this submission's nbgrader metadata is not valid: {exc}") from None
        return out


# -- inert outputs ---------------------------------------------------------------------------------

# The only output types a grader's page shows from a student: text and raster images. HTML,
# JavaScript, SVG, Markdown, LaTeX and widget views can all carry script or event handlers.
SAFE_MIMETYPES = ("text/plain", "image/png", "image/jpeg", "image/gif")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_CODE = re.compile(r"(```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]*`)", re.S)
_SCHEME = re.compile(
    r"(?i)\b(j[\s\x00-\x1f]*a[\s\x00-\x1f]*v[\s\x00-\x1f]*a[\s\x00-\x1f]*s[\s\x00-\x1f]*c"
    r"[\s\x00-\x1f]*r[\s\x00-\x1f]*i[\s\x00-\x1f]*p[\s\x00-\x1f]*t|vbscript|livescript"
    r"|data(?![\s\x00-\x1f]*:[\s\x00-\x1f]*image/(?:png|jpeg|gif)[;,]))[\s\x00-\x1f]*:"
)


def inert_markdown(text: str) -> str:
    """Markdown with no active content: raw HTML and entities escaped, script URLs broken.

    Code spans and fenced blocks are kept as written (Markdown shows them as text anyway);
    everywhere else ``<`` and ``&`` are escaped, so ``<img onerror=...>``, ``<script>`` and
    ``&#106;avascript:`` show as the characters they are, and a ``javascript:`` (or ``data:``
    other than a raster image) link no longer has a scheme a browser would run.
    """
    parts = _CODE.split(clean_text(text))
    for i in range(0, len(parts), 2):  # the even parts lie outside code
        part = parts[i].replace("&", "&amp;").replace("<", "&lt;")
        parts[i] = _SCHEME.sub(_blocked, part)
    return "".join(parts)


def _blocked(match: re.Match[str]) -> str:
    return "blocked-" + re.sub(r"[^A-Za-z]", "", match.group(1)) + "/"


def _inert_output(out: Any) -> NotebookNode | None:
    """The output with only what is safe to show, or None when nothing is."""
    kind = out.get("output_type") if isinstance(out, dict) else None
    if kind == "stream":
        name = out.get("name") if out.get("name") in ("stdout", "stderr") else "stdout"
        return _output("stream", name=name, text=clean_text(_as_text(out.get("text", ""))))
    if kind == "error":
        trace = out.get("traceback")
        return _output(
            "error",
            ename=clean_text(str(out.get("ename", ""))),
            evalue=clean_text(str(out.get("evalue", ""))),
            traceback=[clean_text(str(t)) for t in trace] if isinstance(trace, list) else [],
        )
    if kind not in ("display_data", "execute_result"):
        return None
    data = out.get("data") if isinstance(out.get("data"), dict) else {}
    safe: dict[str, str] = {}
    for mime in SAFE_MIMETYPES:
        value = data.get(mime)
        if value is None:
            continue
        text = _as_text(value)
        if mime == "text/plain":
            safe[mime] = clean_text(text)
        elif _BASE64.fullmatch(text) and _decodes(text):
            safe[mime] = text
    dropped = sorted(m for m in data if m not in safe)
    if dropped and "text/plain" not in safe:
        safe["text/plain"] = f"[{', '.join(dropped)} output not shown to graders]"[:300]
    if not safe:
        return None
    if kind == "execute_result":
        count = out.get("execution_count")
        return _output(
            "execute_result", data=safe, execution_count=count if type(count) is int else None
        )
    return _output("display_data", data=safe)


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value)


def _decodes(text: str) -> bool:
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


class InertOutputs(NbGraderPreprocessor):  # type: ignore[misc]
    """Leave nothing active in the autograded notebook: the instructor's browser will render it.

    The Formgrader shows the autograded notebook on the Jupyter server's own origin, and the
    feedback HTML is made from it: a script there runs with the instructor's session (measured:
    a submission's ``HTML("<script>...")`` rewrote 30 grades when the instructor opened it).
    Every cell keeps only text and raster-image outputs (see :data:`SAFE_MIMETYPES`), with no
    output metadata (an image's width is written into an HTML attribute); Markdown and raw cells
    are made inert by :func:`inert_markdown`; attachments other than raster images, cell tags,
    odd cell ids and every notebook-level metadata field but the kernel's name (widget state, a
    title) are removed. Lone surrogates in any text become '?', so the notebook can be written.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, Any]:
        keep = {k: nb.metadata[k] for k in ("kernelspec", "language_info") if k in nb.metadata}
        nb.metadata = NotebookNode(json.loads(clean_text(json.dumps(keep))))
        for index, cell in enumerate(nb.cells):
            self._cell(cell, index)
        return nb, resources

    def _cell(self, cell: NotebookNode, index: int) -> None:
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        cell["metadata"] = NotebookNode(
            {k: meta[k] for k in ("nbgrader", "deletable", "editable") if k in meta}
        )
        if "id" in cell and not _CELL_ID.fullmatch(str(cell["id"])):
            cell["id"] = f"cell-{index}"
        if cell.cell_type == "code":
            cell["source"] = clean_text(_as_text(cell.get("source", "")))
            outs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
            cell["outputs"] = [o for o in map(_inert_output, outs) if o is not None]
            count = cell.get("execution_count")
            cell["execution_count"] = count if type(count) is int else None
            return
        cell["source"] = inert_markdown(_as_text(cell.get("source", "")))
        if cell.cell_type != "markdown":
            cell["cell_type"] = "raw"  # raw cells lose their format: shown as text, never HTML
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            cell["attachments"] = {
                name: {m: v for m, v in bundle.items() if m in SAFE_MIMETYPES[1:]}
                for name, bundle in attachments.items()
                if isinstance(bundle, dict)
                and any(m in SAFE_MIMETYPES[1:] for m in bundle)
                and all(_BASE64.fullmatch(_as_text(v)) for v in bundle.values())
            }
        elif "attachments" in cell:
            del cell["attachments"]


def replace_links(assignment: str = "", student: str = "", notebooks: Any = ()) -> None:
    """nbgrader's pre-convert hook: no link or special file in a submission is ever followed.

    nbgrader copies a submission's files with ``shutil.copy``, which follows links: a link to the
    gradebook would be copied in, a dangling one stops the student's grading with
    FileNotFoundError. Before that copy, each link (and FIFO, socket, device) in the submission
    folder is replaced by a small text file saying what it was; the student's real files and
    notebooks are untouched. (nbgrader ignores errors from this hook: it cannot raise.)
    """
    from . import safecopy

    found: list[tuple[str, str]] = []
    for folder in sorted({os.path.dirname(str(n)) for n in notebooks or ()}):
        if not _real_folder(folder):
            continue  # a linked assignment folder: safecopy refuses it, nothing here is read
        for dirpath, dirnames, filenames in os.walk(folder):  # os.walk never follows links
            for name in [*filenames, *dirnames]:
                path = os.path.join(dirpath, name)
                mode = os.lstat(path).st_mode
                if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    link = stat.S_ISLNK(mode)
                    found.append((path, f"a link to {os.readlink(path)!r}" if link else ""))
    # safecopy removes them (opening nothing through a link) and takes a notebook that was a
    # link, or lay in a linked folder, out of nbgrader's list.
    safecopy.autograde_hook(assignment, student, notebooks)
    for path, what in found:
        if os.path.lexists(path) or not _real_folder(os.path.dirname(path)):
            continue
        with open(path + ".not-followed.txt", "w", encoding="utf-8") as note:
            note.write(
                f"{os.path.basename(path)} was {what or 'a special file'} in {student}'s "
                f"submission of {assignment}; the grader never follows links or reads special "
                "files.\n"
            )


def _real_folder(path: str) -> bool:
    """Is every component of ``path`` a real folder (no link on the way)?"""
    try:
        return os.path.realpath(path) == os.path.abspath(path) and stat.S_ISDIR(
            os.lstat(path).st_mode
        )
    except OSError:
        return False


def configure(c: Any) -> None:
    """Put the sandbox and the trusted scores into nbgrader's autograde pipeline."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        ClearOutput,
        DeduplicateIds,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    c.Autograde.sanitize_preprocessors = [
        ClearOutput,
        RestoreCellMetadata,
        DeduplicateIds,
        ForgetDuplicates,
        OverwriteKernelspec,
        OverwriteCells,
        ContainedCheckCellMetadata,
    ]
    c.Autograde.autograde_preprocessors = [
        SandboxedExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        TrustedScores,
        InertOutputs,
        SaveAutoGrades,
        AssignLatePenalties,
        ContainedCheckCellMetadata,
    ]
    # Links and special files in a submission are removed before nbgrader copies or reads it
    # (it follows links, with the grader's rights), each leaving a note: see replace_links.
    c.Autograde.pre_convert_hook = replace_links
    # A student's own *.autograder.json is never copied next to the grader's report.
    c.CourseDirectory.ignore = [
        ".ipynb_checkpoints",
        "*.pyc",
        "__pycache__",
        "feedback",
        f"*{REPORT_SUFFIX}",
    ]
    # Defence in depth for the pages made from the (already inert) autograded notebooks: the
    # Formgrader's and the feedback's HTML exporter sanitizes Markdown and HTML outputs too.
    c.HTMLExporter.sanitize_html = True
    # A deleted test cell comes back from the gradebook and is scored like any other.
    c.OverwriteCells.add_missing_cells = True
    # Per cell; a kernel that ignores interrupts is stopped by its CPU limit.
    c.Execute.timeout = 10
    c.SandboxedExecute.timeout = 10
