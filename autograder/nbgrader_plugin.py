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
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbformat.v4 import new_output as _new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Integer

from . import sandbox
from .checks import CHECKS
from .grading import cell_text, grade_program, program_from_notebook


def _output(kind: str, **fields: Any) -> NotebookNode:
    """nbformat's new_output, typed (nbformat is not)."""
    out: NotebookNode = _new_output(kind, **fields)  # type: ignore[no-untyped-call]
    return out


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(*args, **kwargs)
        self._info: dict[str, Any] = {}
        self._current: int | None = None
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
        for _attempt in range(2):
            self._current = None
            try:
                with self._sandbox(resources):
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

    def create_kernel_manager(self) -> Any:
        km = super().create_kernel_manager()
        conn = self._info["conn"]
        km.transport = "ipc"
        km.connection_file = os.path.join(conn, "kernel.json")
        km.ip = os.path.join(conn, "kernel-ipc")
        km.sandbox_info = self._info
        return km

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int) -> Any:
        self._current = index  # the cell to blame if the kernel dies
        return super().preprocess_cell(cell, resources, index)

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
        )
        for c in cells:
            gid = c.metadata.nbgrader.grade_id
            if CHECKS[gid].assignment != assignment:
                continue
            outcome = report.outcome(gid)
            c.outputs = [
                _output("stream", name="stdout", text=cell_text(report, outcome) + "\n"),
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
        out = path / f"{notebook or 'notebook'}.autograder.json"
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


def configure(c: Any) -> None:
    """Put the sandbox and the trusted scores into nbgrader's autograde pipeline."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
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
        DeduplicateIds,
        ForgetDuplicates,
        OverwriteKernelspec,
        OverwriteCells,
        CheckCellMetadata,
    ]
    c.Autograde.autograde_preprocessors = [
        SandboxedExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        TrustedScores,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    # Links and special files in a submission are removed before nbgrader copies or reads it
    # (it follows links, with the grader's rights): see autograder.safecopy.
    c.Autograde.pre_convert_hook = "autograder.safecopy.autograde_hook"
    # A deleted test cell comes back from the gradebook and is scored like any other.
    c.OverwriteCells.add_missing_cells = True
    # Per cell; a kernel that ignores interrupts is stopped by its CPU limit.
    c.Execute.timeout = 10
    c.SandboxedExecute.timeout = 10
