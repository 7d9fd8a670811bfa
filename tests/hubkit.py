"""Helpers for tests/test_hub.py: a throwaway class on a real JupyterHub, driven as its users.

:class:`TestHub` starts the hub with hub/hubctl.py (the same code ``make hub`` runs) for users
named ``tcpt-*`` on a free port, with its own state folder and exchange, and its teardown removes
everything it made: processes (checked with ``pgrep -u``), users, homes, the exchange, the state.
Commands run *as* a class member through ``runuser``; REST calls go through the hub's proxy with
the hub's operator token or a user's own token, exactly as a browser or a script would.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from conftest import ROOT

PREFIX = "tcpt-"
INSTRUCTOR = f"{PREFIX}instructor"
STUDENTS = [f"{PREFIX}s1", f"{PREFIX}s2", f"{PREFIX}s3"]


def hubctl() -> ModuleType:
    """hub/hubctl.py as a module (it is a script, not part of the installed package)."""
    if "hubctl" in sys.modules:
        return sys.modules["hubctl"]
    spec = importlib.util.spec_from_file_location("hubctl", ROOT / "hub" / "hubctl.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is being made.
    sys.modules["hubctl"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Ran:
    """One command run as a user: what it printed and how it ended."""

    user: str
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def check(self) -> Ran:
        if self.returncode != 0:
            raise AssertionError(
                f"as {self.user}: {' '.join(self.argv)} exited {self.returncode}\n"
                f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"
            )
        return self


@dataclass
class Response:
    status: int
    body: bytes
    location: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect (to the login page) is an answer to look at, not to follow


@dataclass
class TestHub:
    """A running hub for the tcpt- class; ``teardown`` undoes everything ``start`` did."""

    __test__ = False  # not a pytest test class

    instructor: str = INSTRUCTOR
    students: list[str] = field(default_factory=lambda: list(STUDENTS))
    server_args: list[str] = field(default_factory=list)
    ctl: ModuleType = field(default_factory=hubctl)
    site: Any = None
    workdir: Path | None = None
    spawn_seconds: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def users(self) -> list[str]:
        return [self.instructor, *self.students]

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        # The state and exchange live under /srv: the exchange's parents must be traversable by
        # every user, which pytest's 0700 temporary folders are not.
        Path("/srv").mkdir(exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}hub-", dir="/srv"))
        self.workdir.chmod(0o755)
        # The tcpt- users are this test's own: a run killed before its teardown (SIGKILL, a
        # power cut) may have left some, with their processes. Start clean.
        for name in self.users:
            self.ctl.remove_user(name)
        classlist = self.ctl.ClassList(self.instructor, self.students)
        self.site = self.ctl.start(
            classlist,
            port=self.ctl.free_port(),
            state=self.workdir / "state",
            exchange=self.workdir / "exchange",
            server_args=self.server_args,
        )

    def teardown(self) -> dict[str, Any]:
        """Stop the hub, remove users, homes and folders; report what is left (nothing, if all
        went well)."""
        report: dict[str, Any] = {}
        uids = {}
        for name in self.users:
            with contextlib.suppress(KeyError):
                uids[name] = pwd.getpwnam(name).pw_uid
        try:
            if self.workdir is not None:
                report["killed_after_stop"] = self.ctl.stop(self.workdir / "state")
        finally:
            for name in self.users:
                with contextlib.suppress(Exception):
                    self.ctl.remove_user(name)
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)
        report["processes_left"] = {name: _pgrep(uid) for name, uid in uids.items() if _pgrep(uid)}
        report["users_left"] = [n for n in self.users if self.ctl.user_exists(n)]
        report["homes_left"] = [n for n in self.users if Path("/home", n).exists()]
        report["workdir_left"] = bool(self.workdir and self.workdir.exists())
        return report

    # -- the hub's REST API ----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        timeout: float = 30.0,
    ) -> Response:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.site.url}{path}", data=data, method=method)
        if token:
            req.add_header("Authorization", f"token {token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=timeout) as response:
                return Response(response.status, response.read())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read(), err.headers.get("Location", ""))

    def ops(self, method: str, path: str, body: Any = None) -> Any:
        """The hub API with the operator token; anything but success is an error."""
        response = self.request(method, f"/hub/api{path}", token=self.site.ops_token, body=body)
        assert response.status < 300, (method, path, response.status, response.body[:500])
        return response.json() if response.body else None

    def spawn(self, name: str, timeout: float = 180.0) -> float:
        """Start a user's server through the hub; seconds until the hub reports it ready."""
        start = time.monotonic()
        self.ops("POST", f"/users/{name}/server")
        while True:
            server = self.ops("GET", f"/users/{name}")["servers"].get("", {})
            if server.get("ready"):
                seconds = time.monotonic() - start
                self.spawn_seconds[name] = seconds
                return seconds
            if time.monotonic() - start > timeout:
                raise AssertionError(f"{name}'s server not ready after {timeout:.0f} s: {server}")
            time.sleep(0.1)

    def token(self, name: str) -> str:
        """An API token of the user's own (as a student would make on the hub's token page)."""
        if name not in self.tokens:
            made = self.ops("POST", f"/users/{name}/tokens", {"note": "tcpt", "expires_in": 7200})
            self.tokens[name] = made["token"]
        return self.tokens[name]

    def contents(self, owner: str, path: str, *, token: str) -> Response:
        return self.request("GET", f"/user/{owner}/api/contents/{path}", token=token)

    def put_notebook(self, owner: str, path: str, nb: dict[str, Any]) -> None:
        """Save a notebook through the user's own server, as JupyterLab's Save does."""
        body = {"type": "notebook", "format": "json", "content": nb}
        response = self.request(
            "PUT", f"/user/{owner}/api/contents/{path}", token=self.token(owner), body=body
        )
        assert response.status in (200, 201), (response.status, response.body[:500])

    # -- as a user ---------------------------------------------------------------------------------

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(name).pw_dir)

    def as_user(self, name: str, argv: list[str], cwd: Path | None = None) -> Ran:
        """Run ``argv`` as the Unix user, with the environment their server gives them."""
        env_bin = f"{self.site.env}/bin"
        home = self.home(name)
        env = [
            f"HOME={home}",
            f"USER={name}",
            f"LOGNAME={name}",
            f"PATH={env_bin}:/usr/bin:/bin",
            "LANG=C.UTF-8",
            f"TCPCOURSE_EXCHANGE={self.site.exchange}",
        ]
        cmd = ["runuser", "-u", name, "--", "env", "-i", *env, *argv]
        start = time.monotonic()
        result = subprocess.run(cmd, cwd=cwd or home, capture_output=True, text=True, timeout=900)
        return Ran(
            name, argv, result.returncode, result.stdout, result.stderr,
            time.monotonic() - start,
        )  # fmt: skip

    def nbgrader(self, name: str, *args: str, cwd: Path | None = None) -> Ran:
        return self.as_user(name, [f"{self.site.env}/bin/nbgrader", *args], cwd=cwd).check()

    def try_read(self, name: str, paths: list[Path]) -> dict[str, str]:
        """As the user, try to read each path (a file's bytes, a folder's listing): 'ok' or the
        errno name that stopped it."""
        probe = (
            "import errno, json, os, sys\n"
            "out = {}\n"
            "for p in sys.argv[1:]:\n"
            "    try:\n"
            "        os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(1)\n"
            "        out[p] = 'ok'\n"
            "    except OSError as e:\n"
            "        out[p] = errno.errorcode.get(e.errno, str(e.errno))\n"
            "print(json.dumps(out))\n"
        )
        ran = self.as_user(name, ["/usr/bin/python3.11", "-c", probe, *map(str, paths)])
        ran.check()
        return json.loads(ran.stdout)  # type: ignore[no-any-return]


def _pgrep(uid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-u", str(uid)], capture_output=True, text=True)
    return [int(p) for p in result.stdout.split()]


# -- memory ----------------------------------------------------------------------------------------


def memory_of(pids: list[int]) -> dict[str, float]:
    """Resident (RSS) and proportional (PSS: shared pages split among their users) MiB, summed."""
    rss = pss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key == "Rss":
                rss += int(value.split()[0])
            elif key == "Pss":
                pss += int(value.split()[0])
    return {
        "rss_mib": round(rss / 1024, 1),
        "pss_mib": round(pss / 1024, 1),
        "processes": len(pids),
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time these processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return round(ticks / os.sysconf("SC_CLK_TCK"), 2)


def processes_of(name: str) -> list[int]:
    return _pgrep(pwd.getpwnam(name).pw_uid)


def hub_and_proxy(hub: TestHub) -> list[int]:
    """The hub process and the proxy it started (the proxy runs in a session of its own)."""
    state = Path(hub.site.state)
    pid = hub.ctl.hub_pid(state)
    proxy = hub.ctl._read_pid(state / "jupyterhub-proxy.pid")
    assert pid is not None and proxy is not None
    return [pid, proxy]
