"""The live kernel as an unprivileged user: every experiment, and lesson 09, run as ``nobody``.

``runuser -u nobody`` runs them from a copy of tcpcore in a folder nobody can read (a checkout in
a 0700 ``mktemp -d`` folder is not), with a Python nobody may execute (the course's virtual
environment may sit under /root) and only the standard library: the experiments need nothing
else. Needs root (to become nobody), runuser, unshare and a Python >= 3.11 outside /root; in CI
a missing one fails the test.

* every experiment in its own user + network namespace: the kernel's states, step by step, are
  the ``linux`` profile's, and so is every errno; the capture is there;
* the same on the machine's own loopback (the fallback where namespaces are refused);
* lesson 09, every code cell top to bottom (tests/nobody_lesson.py): it shows the kernel's
  TIME-WAIT, CLOSE-WAIT, ESTAB, EADDRINUSE, ECONNREFUSED and ECONNRESET;
* nothing outlives a run: no process from the copy is left, and on the loopback no socket of an
  experiment but TIME-WAIT (the kernel keeps those 60 s; no process owns them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, require

from tcpcore import kernel
from tcpcore.kernel.ss import read_sockets
from tcpcore.protocol.states import State

pytestmark = pytest.mark.timeout(300)
CANDIDATES = ("/usr/bin/python3.11", "/usr/bin/python3", "/usr/local/bin/python3")


def _as_nobody(
    argv: list[str], home: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = [
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        f"HOME={home}",
        f"PYTHONPATH={home}",
        "LANG=C.UTF-8",
    ]
    return subprocess.run(
        ["runuser", "-u", "nobody", "--", "env", "-i", *env, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=home,
    )


@pytest.fixture(scope="module")
def copy() -> Iterator[tuple[Path, str]]:
    """(a folder nobody can read holding tcpcore and lesson 09, a Python nobody can run)."""
    require(os.geteuid() == 0, "root is needed to run as nobody (runuser)")
    require(shutil.which("runuser") is not None, "runuser (util-linux) is not installed")
    folder = Path(tempfile.mkdtemp(prefix="tcpcore-nobody-"))
    try:
        folder.chmod(0o755)
        shutil.copytree(
            ROOT / "tcpcore", folder / "tcpcore", ignore=shutil.ignore_patterns("__pycache__")
        )
        shutil.copy(ROOT / "notebooks" / "09-drive-your-own-kernel.ipynb", folder / "lesson.ipynb")
        shutil.copy(ROOT / "tests" / "nobody_lesson.py", folder)
        out = folder / "out"
        out.mkdir()
        out.chmod(0o777)
        for path in folder.rglob("*"):
            path.chmod(0o777 if path == out else 0o755 if path.is_dir() else 0o644)
        python = next(
            (
                p
                for p in CANDIDATES
                if os.path.exists(p)
                and _as_nobody(
                    [p, "-c", "import sys; assert sys.version_info >= (3, 11)"], folder
                ).returncode
                == 0
            ),
            None,
        )
        require(python is not None, f"no Python >= 3.11 that nobody can run among {CANDIDATES}")
        assert python is not None
        yield folder, python
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _left_behind(folder: Path) -> list[str]:
    """Processes whose command line mentions the copy (the driver, unshare, the lesson)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(folder) in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


def _record(folder: Path, python: str, mode: str) -> dict[str, dict]:
    out = folder / "out" / mode
    done = _as_nobody(
        [python, "-B", "-m", "tcpcore.kernel", "--mode", mode, "--record", str(out)], folder
    )
    assert _left_behind(folder) == []
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return {p.stem: json.loads(p.read_text()) for p in sorted(out.glob("*.json"))}


def test_every_experiment_in_its_namespace_agrees_with_the_linux_profile(
    copy: tuple[Path, str],
) -> None:
    """As nobody, in a private namespace: the kernel's states (ss) are tcpcore's, step by step."""
    folder, python = copy
    require(
        kernel.namespace_refusal() is None,
        f"no user + network namespace: {kernel.namespace_refusal()}",
    )
    runs = _record(folder, python, "namespace")
    assert sorted(runs) == sorted(kernel.EXPERIMENTS)
    for name, data in runs.items():
        run = kernel.run_from_json(name, data, "namespace")
        assert run.ok and run.frames and run.trace is not None, name
        # the same calls at the same moments (side_by_side does this)
        times = [s.time for s in run.steps]
        predicted = kernel.predict(run.experiment, run.ports, times=times)
        for role in run.roles:
            assert run.states(role) == predicted.states(role), f"{name}: {role}"
        assert [s.error for s in run.steps] == [s.error for s in predicted.steps], name
        # the capture shows the same segments as the prediction, step by step
        assert [s.segments for s in run.steps] == [s.segments for s in predicted.steps], name


def test_on_the_loopback_the_states_agree_too_and_only_time_wait_stays(
    copy: tuple[Path, str],
) -> None:
    """As nobody on the machine's loopback (the fallback): states agree, no capture, and no
    socket of the experiments is left but TIME-WAIT."""
    folder, python = copy
    runs = _record(folder, python, "host")
    ports: set[int] = set()
    for name, data in runs.items():
        run = kernel.run_from_json(name, data, "host")
        assert run.ok and not run.frames, name
        predicted = kernel.predict(run.experiment, run.ports)
        for role in run.roles:
            assert run.states(role) == predicted.states(role), f"{name}: {role}"
        ports |= set(run.ports.values())
    left = [r for r in read_sockets(ports) if r.state is not State.TIME_WAIT]
    assert left == []


def test_lesson_09_runs_as_nobody_and_shows_the_kernel(copy: tuple[Path, str]) -> None:
    """Lesson 09, every code cell in order, as nobody: the kernel's states and errnos appear."""
    folder, python = copy
    done = _as_nobody(
        [python, "-B", str(folder / "nobody_lesson.py"), str(folder / "lesson.ipynb")], folder
    )
    assert _left_behind(folder) == []
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stderr == ""
    text = done.stdout
    for word in ("TIME-WAIT", "CLOSE-WAIT", "ESTAB", "EADDRINUSE", "ECONNREFUSED", "ECONNRESET"):
        assert word in text, word
    first = text.split("--- cell", 2)[1]
    if kernel.namespace_refusal() is None:
        assert "private network namespace of its own" in first
        assert "timewait timer, 59 s left" in text or "timewait timer, 60 s left" in text
    assert text.count("[svg output,") == 4
    assert "tcpcore agrees with the kernel on every state and errno" in text
