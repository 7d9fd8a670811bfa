"""A newcomer's first ten minutes: clone, `make lab`, see the start page; stop; `make lab` again.

The repository is copied (as a clone would have it: no .venv) into a temporary folder and
``make lab`` runs there on a terminal (a pty) in its own process group, as a student types it;
only the port, a token, ``--no-browser`` and private Jupyter folders are chosen for the test,
through the variables the Makefile reads. The start page is loaded in headless Chromium from the
address ``make lab`` printed. Ctrl-C twice (SIGINT to the group, as the terminal sends it) must
stop everything it started, kernels included. The second ``make lab`` must reuse the environment
(no pip run) and start again.

Timings (clone to a ready JupyterLab, first and second run) and the size of .venv are printed;
run with ``-s`` to see them. They depend on the network and pip's cache, so nothing is asserted.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser import chromium, free_port, have_chromium, have_playwright, jupyter_dirs
from conftest import ROOT, require
from test_binder import clean_copy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

START = "notebooks/00-start-here.ipynb"
FIRST_RUN_TIMEOUT = 1200.0  # creating .venv downloads the course's packages
# Variables the Makefile reads from the environment (`?=`) or that a parent make passes down:
# none of the caller's may reach the newcomer's make.
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTEST_ARGS", "START")


@dataclass
class LabRun:
    process: subprocess.Popen[bytes]
    log: Path
    port: int
    token: str
    terminal: int  # the pty's master side; make lab sees a terminal, as a student's does
    reader: threading.Thread

    def output(self) -> str:
        return self.log.read_text(errors="replace").replace("\r\n", "\n")


def copy_terminal(master: int, log: Path) -> None:
    """Copy what make lab writes to its terminal into ``log`` until the terminal closes."""
    with log.open("ab", buffering=0) as sink:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal has exited
                return
            if not chunk:
                return
            sink.write(chunk)


def newcomer_env(home: Path) -> dict[str, str]:
    """The caller's environment without the project's venv, with private Jupyter folders."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in MAKE_VARIABLES and not k.startswith("JUPYTER")
    }
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHON", None)  # the Makefile's default (python3) is what a newcomer gets
    own_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != own_bin)
    env.update(jupyter_dirs(home))
    return env


def start_lab(repo: Path, home: Path, name: str) -> LabRun:
    port, token = free_port(), secrets.token_hex(16)
    lab_args = [
        "--no-browser",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        # JupyterLab's own settings and workspaces stay out of ~/.jupyter too.
        f"--LabApp.user_settings_dir={home / 'settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    env = newcomer_env(home)
    env.update(PORT=str(port), LAB_ARGS=" ".join(lab_args))
    log = home / f"{name}.log"
    log.write_bytes(b"")
    # A terminal, not a pipe: JupyterLab handles Ctrl-C differently without one (it asks for
    # confirmation only on a terminal), and the student's path is the one to test.
    terminal, student_side = pty.openpty()
    try:
        process = subprocess.Popen(
            ["make", "lab"],
            cwd=repo,
            env=env,
            stdin=student_side,
            stdout=student_side,
            stderr=student_side,
            start_new_session=True,  # its own process group: Ctrl-C reaches make and its children
        )
    finally:
        os.close(student_side)
    reader = threading.Thread(target=copy_terminal, args=(terminal, log), daemon=True)
    reader.start()
    return LabRun(process, log, port, token, terminal, reader)


def wait_until_ready(run: LabRun, timeout: float) -> None:
    url = f"http://localhost:{run.port}/api/status?token={run.token}"
    deadline = time.monotonic() + timeout
    while True:
        if run.process.poll() is not None:
            pytest.fail(f"make lab exited with {run.process.returncode}:\n{run.output()[-4000:]}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError, ValueError),
            urllib.request.urlopen(url, timeout=2) as response,
        ):
            json.loads(response.read())
            return
        if time.monotonic() > deadline:
            pytest.fail(f"JupyterLab not ready after {timeout:.0f}s:\n{run.output()[-4000:]}")
        time.sleep(0.5)


def announced_address(run: LabRun, repo: Path) -> str:
    """The address `make lab` printed for the course, with the server's token (opened by hand
    without it, JupyterLab asks for a password); it must also say how to stop."""
    output = run.output()
    found = re.search(rf"https?://[\w.-]+:{run.port}/lab/tree/([^\s?]+)\?token=(\w+)", output)
    assert found, f"make lab did not print where the course is open, with its token:\n{output}"
    assert (repo / found.group(1)).is_file(), f"make lab points at {found.group(1)}: no such file"
    assert found.group(1) == START, f"make lab opens {found.group(1)}, not the start page"
    assert found.group(2) == run.token, f"make lab printed the token {found.group(2)}"
    assert re.search(r"(?i)stop.*ctrl-c", output), f"make lab did not say how to stop:\n{output}"
    return found.group(0)


def first_heading(notebook: Path) -> str:
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{notebook} has no first-level heading")


def see_start_page(address: str, run: LabRun, heading: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(address, wait_until="domcontentloaded")  # as printed, token and all
            h1 = page.locator(".jp-Notebook .jp-RenderedMarkdown h1").first
            h1.wait_for(timeout=120_000)
            assert heading in h1.inner_text(), f"first heading shown: {h1.inner_text()!r}"
        finally:
            page.close()


def processes_under(folder: Path) -> list[tuple[int, str]]:
    """Live processes whose command line or working folder lies in ``folder``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if str(folder) in cmdline or cwd == str(folder) or cwd.startswith(f"{folder}/"):
            found.append((int(entry.name), cmdline.strip()))
    return found


def stop(run: LabRun, repo: Path) -> None:
    """Ctrl-C twice, as make lab says; then nothing it started may be left."""
    try:
        if run.process.poll() is None:
            # JupyterLab on a terminal asks "Shut down this Jupyter server?" after the first
            # Ctrl-C; the second one, while it asks, shuts it down (kernels first).
            control_c(run)
            deadline = time.monotonic() + 10
            while "Shut down this Jupyter server" not in run.output():
                if time.monotonic() > deadline or run.process.poll() is not None:
                    break
                time.sleep(0.2)
            control_c(run)
        try:
            run.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            kill_group(run)
            pytest.fail(f"make lab ignored Ctrl-C for 60 s:\n{run.output()[-3000:]}")
        # Kernels run in sessions of their own: the server must have shut them down itself.
        deadline = time.monotonic() + 30
        while (left := processes_under(repo)) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid, _ in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert not left, f"left running after Ctrl-C: {left}\n{run.output()[-3000:]}"
    finally:
        run.reader.join(timeout=10)
        os.close(run.terminal)


def control_c(run: LabRun) -> None:
    """What the terminal does on Ctrl-C: SIGINT to its foreground process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.process.pid, signal.SIGINT)


def kill_group(run: LabRun) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        run.process.wait(timeout=10)


def venv_fingerprint(venv: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of what a new venv or a pip run would replace."""
    paths = [venv / "bin" / "python", venv / "pyvenv.cfg", venv / ".stamp-course"]
    return {p.name: (os.lstat(p).st_ino, os.lstat(p).st_mtime_ns) for p in paths}


def pip_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(r"\bpip install\b", line)]


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    # Not pytest's tmp_path: it keeps the last runs' folders, and a .venv is hundreds of MB.
    folder = Path(tempfile.mkdtemp(prefix="tcpcourse-newcomer-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_clone_make_lab_see_start_page_stop_and_start_again() -> None:
    require(shutil.which("make") is not None, "make is not installed")
    require(have_chromium(), "Chromium is not installed (apt-get install chromium)")
    require(have_playwright(), "playwright (python) is not installed: install the dev extra")
    with workspace() as folder:
        home = folder / "jupyter"
        begin = time.monotonic()
        repo = clean_copy(folder / "tcpcourse")
        assert not (repo / ".venv").exists()
        heading = first_heading(repo / START)

        first = start_lab(repo, home, "first")
        try:
            wait_until_ready(first, FIRST_RUN_TIMEOUT)
            first_ready = time.monotonic() - begin
            address = announced_address(first, repo)
            see_start_page(address, first, heading)
        finally:
            stop(first, repo)
        assert pip_lines(first.output()), "the first make lab ran no pip install"
        before = venv_fingerprint(repo / ".venv")
        size = subprocess.run(
            ["du", "-sh", str(repo / ".venv")], capture_output=True, text=True, check=True
        ).stdout.split()[0]

        begin = time.monotonic()
        second = start_lab(repo, home, "second")
        try:
            wait_until_ready(second, 300)
            second_ready = time.monotonic() - begin
            see_start_page(announced_address(second, repo), second, heading)
        finally:
            stop(second, repo)
        assert not pip_lines(second.output()), f"make lab reinstalled:\n{second.output()}"
        assert venv_fingerprint(repo / ".venv") == before, "the second make lab rebuilt .venv"

        print(
            f"\nnewcomer: clone -> JupyterLab ready: first run {first_ready:.1f} s, "
            f"second run {second_ready:.1f} s; .venv {size}"
        )
