"""Start and stop a local multi-user JupyterHub for a tcpcourse class (``make hub``).

Run as root with any Python >= 3.11 (standard library only)::

    python3 hub/hubctl.py start [--port 8000] [--class hub/class.toml]
    python3 hub/hubctl.py stop
    python3 hub/hubctl.py status
    python3 hub/hubctl.py remove-class      # stop, then delete the class's users and homes

What ``start`` sets up, each step kept when it is already done:

* ONE shared environment at /opt/tcpcourse-hub/env, a venv of Debian's /usr/bin/python3.11 with
  JupyterHub (hub/requirements.txt) and the course (``pip install <repo>[course]``). It is cached:
  rebuilt only when pyproject.toml or the hub recipe changes, the course package reinstalled only
  when tcpcore/ or autograder/ changes. Every user's server, kernel and nbgrader run from it.
* configurable-http-proxy from npm, in /opt/tcpcourse-hub/node (the hub starts and stops it).
* the class's Unix users (hub/class.toml), each home 0700: ``useradd -m`` makes 0755 homes, where
  students could read the instructor's source notebooks and gradebook.
* nbgrader's exchange, a 1777 folder (default /srv/nbgrader/exchange), as nbgrader documents.
* the hub itself (hub/jupyterhub_config.py), started in the background as root: it must be root to
  run each user's server as that user (LocalProcessSpawner). Its database, cookie secret, log and
  the settings it reads (site.json, with the class's shared password) live in /srv/tcpcourse-hub.

``stop`` ends the hub (which stops the proxy and every user's server), then ends whatever is still
running as a class user or in the hub's session, process by process, and checks that nothing is
left.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HUB_DIR = REPO / "hub"
PREFIX = Path(os.environ.get("TCPCOURSE_HUB_PREFIX", "/opt/tcpcourse-hub"))
ENV = PREFIX / "env"
NODE = PREFIX / "node"
STATE = Path("/srv/tcpcourse-hub")
EXCHANGE = Path("/srv/nbgrader/exchange")
# Debian's interpreter: world-executable, unlike a pyenv Python under /root (0700).
BASE_PYTHON = Path("/usr/bin/python3.11")
CHP_VERSION = "5.3.0"
COURSE_ID = "tcpcourse"
NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# Hubs this process started, by pid: kept so that stop() can reap them (no zombie, and no
# "still running" warning when a Popen object is dropped while its hub runs on purpose).
_LAUNCHED: dict[int, subprocess.Popen[bytes]] = {}
# Files whose content decides whether the shared environment must be rebuilt ...
RECIPE = [REPO / "pyproject.toml", HUB_DIR / "requirements.txt"]
# ... and those that only need the course package reinstalled.
SOURCES = ["tcpcore", "autograder"]


class HubError(RuntimeError):
    """A problem the person running the command can fix; printed without a traceback."""


def log(message: str) -> None:
    print(f"[hub] {message}", flush=True)


# ------------------------------------------------------------------------------ the environment


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts or f.suffix == ".pyc":
                continue
            h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def recipe_digest() -> str:
    return _digest(RECIPE)


def source_digest() -> str:
    return _digest([REPO / "pyproject.toml", *(REPO / s for s in SOURCES)])


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One build at a time (a test and ``make hub`` may start together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(cmd: list[str], what: str, **kw: Any) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-25:])
        raise HubError(f"{what} failed (exit {result.returncode}): {' '.join(cmd)}\n{tail}")


def env_users() -> list[int]:
    """Pids of processes running a program from the shared environment (a hub, a user's
    server, a kernel): replacing the environment under them would break them mid-class."""
    prefix = str(ENV) + "/"
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone, or not ours to read
            continue
        if any(a.decode(errors="replace").startswith(prefix) for a in argv[:2]):
            found.append(int(proc.name))
    return found


def _refuse_if_in_use(what: str) -> None:
    pids = env_users()
    if pids:
        raise HubError(
            f"{what}, but {len(pids)} running process(es) use {ENV} (pids "
            f"{', '.join(map(str, pids[:8]))}): stop the hub first (make hub-stop)"
        )


def build(*, quiet: bool = False) -> dict[str, bool]:
    """Make sure the shared environment and the proxy are installed; say what was (re)built."""
    os.umask(0o022)  # everything in the prefix must be readable by every user
    if not BASE_PYTHON.exists():
        raise HubError(f"{BASE_PYTHON} is missing: apt-get install python3.11 python3.11-venv")
    if shutil.which("npm") is None:
        raise HubError(
            "npm is missing (configurable-http-proxy comes from npm): apt-get install npm"
        )
    say = (lambda _m: None) if quiet else log
    built = {"env": False, "course": False, "proxy": False}
    with _locked(PREFIX / ".build.lock"):
        stamp, want = ENV / ".tcpcourse-recipe", recipe_digest()
        if not (stamp.exists() and stamp.read_text().strip() == want):
            _refuse_if_in_use(
                "the course's dependencies changed and the environment must be rebuilt"
            )
            say(f"building the shared environment in {ENV} (a few minutes, once)")
            shutil.rmtree(ENV, ignore_errors=True)
            _run([str(BASE_PYTHON), "-m", "venv", str(ENV)], "creating the venv")
            pip = [str(ENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
            _run([*pip, "--upgrade", "pip"], "upgrading pip")
            # The course as a wheel, not editable: users must not need to read the checkout.
            reqs = ["-r", str(HUB_DIR / "requirements.txt"), f"{REPO}[course]"]
            _run([*pip, *reqs], "installing JupyterHub and the course")
            (ENV / ".tcpcourse-source").write_text(source_digest() + "\n")
            stamp.write_text(want + "\n")
            built["env"] = built["course"] = True
        course_stamp, source = ENV / ".tcpcourse-source", source_digest()
        if not (course_stamp.exists() and course_stamp.read_text().strip() == source):
            _refuse_if_in_use("tcpcore/autograder changed and the course must be reinstalled")
            say("tcpcore/autograder changed: reinstalling the course package")
            pip = [str(ENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
            _run([*pip, "--no-deps", "--force-reinstall", str(REPO)], "reinstalling the course")
            course_stamp.write_text(source + "\n")
            built["course"] = True
        # The system-wide nbgrader settings (exchange, course id) every user's nbgrader reads:
        # <env>/etc/jupyter is on Jupyter's config path for anything run from this environment.
        etc = ENV / "etc" / "jupyter"
        etc.mkdir(parents=True, exist_ok=True)
        shutil.copy2(HUB_DIR / "nbgrader_config.py", etc / "nbgrader_config.py")

        node_stamp = NODE / ".tcpcourse-chp"
        if not (node_stamp.exists() and node_stamp.read_text().strip() == CHP_VERSION):
            say(f"installing configurable-http-proxy {CHP_VERSION} in {NODE}")
            NODE.mkdir(parents=True, exist_ok=True)
            _run(
                ["npm", "install", "--prefix", str(NODE), "--no-audit", "--no-fund",
                 f"configurable-http-proxy@{CHP_VERSION}"],
                "npm install configurable-http-proxy",
            )  # fmt: skip
            node_stamp.write_text(CHP_VERSION + "\n")
            built["proxy"] = True
        for path in (PREFIX, ENV, NODE):
            path.chmod(0o755)
    return built


def chp_command() -> Path:
    return NODE / "node_modules" / ".bin" / "configurable-http-proxy"


# ------------------------------------------------------------------------------ users


@dataclass
class ClassList:
    instructor: str
    students: list[str]

    @property
    def users(self) -> list[str]:
        return [self.instructor, *self.students]


def read_class(path: Path) -> ClassList:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubError(f"class file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise HubError(f"class file {path} is not valid TOML: {exc}") from None
    instructor, students = data.get("instructor"), data.get("students")
    if not isinstance(instructor, str) or not isinstance(students, list) or not students:
        raise HubError(f'{path}: needs instructor = "name" and students = ["name", ...]')
    for name in [instructor, *students]:
        if not isinstance(name, str) or not NAME.match(name):
            raise HubError(f"{path}: {name!r} is not a valid Unix user name")
    if len({instructor, *students}) != len(students) + 1:
        raise HubError(f"{path}: a name appears twice")
    return ClassList(instructor, list(students))


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def ensure_user(name: str) -> bool:
    """Create the Unix user (True) or keep the existing one; either way its home is 0700."""
    created = False
    if not user_exists(name):
        _run(["useradd", "--create-home", "--user-group", "--shell", "/bin/bash", name],
             f"creating user {name}")  # fmt: skip
        created = True
    home = Path(pwd.getpwnam(name).pw_dir)
    home.chmod(0o700)
    return created


def remove_user(name: str) -> None:
    if user_exists(name):
        kill_user_processes([name])
        _run(["userdel", "--remove", name], f"removing user {name}")


# ------------------------------------------------------------------------------ processes


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(uid, session id) of a live process, None once it is gone."""
    try:
        uid = os.stat(f"/proc/{pid}").st_uid
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return uid, int(fields[3])
    except (OSError, ValueError, IndexError):
        return None


def pids_where(uids: set[int], session: int | None = None) -> list[int]:
    """Live processes owned by one of ``uids`` or in session ``session``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        stat = _proc_stat(int(entry))
        if stat is None:
            continue
        if stat[0] in uids or (session is not None and stat[1] == session):
            # A zombie is already dead: only its parent's wait() removes it.
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0] == "Z":
                    continue
            found.append(int(entry))
    return found


def _uids(names: list[str]) -> set[int]:
    out = set()
    for name in names:
        with contextlib.suppress(KeyError):
            out.add(pwd.getpwnam(name).pw_uid)
    return out


def kill_pids(pids: list[int], grace: float = 5.0) -> None:
    """SIGTERM these processes, then SIGKILL those still alive after ``grace`` seconds."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def kill_user_processes(names: list[str]) -> None:
    uids = _uids(names)
    for _round in range(3):  # a dying server may start nothing new, but look again
        pids = pids_where(uids)
        if not pids:
            return
        kill_pids(pids)


def _alive(pid: int) -> bool:
    stat = _proc_stat(pid)
    if stat is None:
        return False
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    return False


# ------------------------------------------------------------------------------ the hub


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Site:
    """Everything hub/jupyterhub_config.py reads, written to <state>/site.json (mode 0600)."""

    state: str
    exchange: str
    instructor: str
    students: list[str]
    port: int
    password: str
    ops_token: str
    ip: str = "127.0.0.1"
    hub_port: int = 0
    proxy_api_port: int = 0
    env: str = str(ENV)
    chp: str = str(chp_command())
    repo: str = str(REPO)
    course_id: str = COURSE_ID
    # Extra command-line options for every user's server (the browser test exposes the app).
    server_args: list[str] = field(default_factory=list)
    created_users: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    @property
    def path(self) -> Path:
        return Path(self.state) / "site.json"

    def save(self) -> None:
        self.path.write_text(json.dumps(asdict(self), indent=1) + "\n")
        self.path.chmod(0o600)

    @classmethod
    def load(cls, state: Path) -> Site:
        path = state / "site.json"
        try:
            return cls(**json.loads(path.read_text()))
        except FileNotFoundError:
            raise HubError(
                f"no hub was started with state folder {state} ({path} missing)"
            ) from None


def hub_pid(state: Path) -> int | None:
    try:
        pid = int((state / "hub.pid").read_text())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise HubError(
            f"{what} needs root: it creates Unix users and runs each user's server as that user "
            "(try: sudo make hub)"
        )


def start(
    classlist: ClassList,
    *,
    port: int = 8000,
    state: Path = STATE,
    exchange: Path = EXCHANGE,
    server_args: list[str] | None = None,
    timeout: float = 90.0,
) -> Site:
    """Build what is missing, create the class, start the hub; return once it answers."""
    require_root("starting the hub")
    if shutil.which("bwrap") is None:
        log("warning: no bubblewrap; grading will refuse to run (apt-get install bubblewrap)")
    if hub_pid(state) is not None:
        raise HubError(f"a hub is already running from {state}: stop it first (make hub-stop)")
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise HubError(f"port {port} is taken: choose another (make hub HUB_PORT=8010)")
    build()
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o700)  # database, cookie secret and the shared password
    created = [name for name in classlist.users if ensure_user(name)]
    # nbgrader's exchange: every user may create entries, the sticky bit keeps them apart.
    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o1777)
    previous = None
    with contextlib.suppress(HubError):
        previous = Site.load(state)
    site = Site(
        state=str(state),
        exchange=str(exchange),
        instructor=classlist.instructor,
        students=classlist.students,
        port=port,
        # Kept across restarts so the class's password does not change under them.
        password=previous.password if previous else secrets.token_urlsafe(9),
        ops_token=secrets.token_hex(32),
        hub_port=free_port(),
        proxy_api_port=free_port(),
        server_args=list(server_args or []),
        created_users=sorted({*created, *(previous.created_users if previous else [])}),
    )
    site.save()
    env = {
        "PATH": f"{site.env}/bin:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TCPCOURSE_HUB_SITE": str(site.path),
    }
    logfile = (state / "jupyterhub.log").open("ab")
    cmd = [f"{site.env}/bin/jupyterhub", "-f", str(HUB_DIR / "jupyterhub_config.py")]
    proc = subprocess.Popen(
        cmd, cwd=state, env=env, stdin=subprocess.DEVNULL, stdout=logfile,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    logfile.close()
    _LAUNCHED[proc.pid] = proc
    (state / "hub.pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise HubError(f"the hub exited (status {proc.returncode}); log:\n{log_tail(state)}")
        try:
            with urllib.request.urlopen(f"{site.url}/hub/api/", timeout=2) as response:
                if response.status == 200:
                    return site
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            stop(state)
            raise HubError(f"the hub did not answer in {timeout:.0f} s; log:\n{log_tail(state)}")
        time.sleep(0.3)


def log_tail(state: Path, lines: int = 30) -> str:
    try:
        text = (state / "jupyterhub.log").read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def stop(state: Path = STATE, *, grace: float = 20.0) -> list[int]:
    """Stop the hub and everything it started; return the pids that had to be killed after it."""
    require_root("stopping the hub")
    try:
        site: Site | None = Site.load(state)
    except HubError:
        site = None
    pid = hub_pid(state)
    if pid is not None:
        # SIGTERM: the hub stops every user's server and the proxy it started, then exits.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
    # Whatever survived: the hub itself, the proxy (same session), servers and kernels.
    uids = _uids([site.instructor, *site.students]) if site else set()
    leftovers: list[int] = []
    for _round in range(3):
        pids = pids_where(uids, session=pid)
        proxy = _read_pid(state / "jupyterhub-proxy.pid")
        if proxy is not None and _alive(proxy) and proxy not in pids:
            pids.append(proxy)
        if not pids:
            break
        leftovers += pids
        kill_pids(pids)
    if pid is not None and pid in _LAUNCHED:
        _LAUNCHED.pop(pid).wait()
    with contextlib.suppress(FileNotFoundError):
        (state / "hub.pid").unlink()
    return leftovers


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def remove_class(state: Path = STATE) -> None:
    """Stop the hub, delete the users hubctl created, their homes and the course's exchange."""
    site = Site.load(state)
    stop(state)
    for name in site.created_users:
        remove_user(name)
    shutil.rmtree(Path(site.exchange) / site.course_id, ignore_errors=True)
    shutil.rmtree(state, ignore_errors=True)


# ------------------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubctl", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start", help="start the hub (builds and creates what is missing)")
    p.add_argument("--port", type=int, default=int(os.environ.get("HUB_PORT", 8000)))
    p.add_argument("--class", dest="classfile", type=Path, default=HUB_DIR / "class.toml")
    p.add_argument("--state", type=Path, default=STATE)
    p.add_argument("--exchange", type=Path, default=EXCHANGE)
    for name, text in (
        ("stop", "stop the hub and everything it started"),
        ("status", "is the hub running, and where"),
        ("remove-class", "stop, then delete the class's users, homes and exchange"),
    ):
        q = sub.add_parser(name, help=text)
        q.add_argument("--state", type=Path, default=STATE)
    sub.add_parser("build", help="build or refresh the shared environment and the proxy only")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            require_root("building the shared environment")
            built = build()
            log("up to date" if not any(built.values()) else f"built: {built}")
        elif args.command == "start":
            site = start(
                read_class(args.classfile), port=args.port, state=args.state,
                exchange=args.exchange,
            )  # fmt: skip
            print(
                f"\nJupyterHub for {COURSE_ID} is running at {site.url}/hub/login\n"
                f"  instructor: {site.instructor}   students: {', '.join(site.students)}\n"
                f"  password (shared by the class, demo only): {site.password}\n"
                f"  log: {args.state}/jupyterhub.log   exchange: {site.exchange}\n"
                f"Stop it with: make hub-stop   (or python3 hub/hubctl.py stop)\n"
                f"Remove the demo users and their homes: python3 hub/hubctl.py remove-class"
            )
        elif args.command == "stop":
            was = hub_pid(args.state)
            killed = stop(args.state)
            log("stopped" if was else "no hub was running")
            if killed:
                log(f"ended {len(killed)} leftover process(es): {killed}")
        elif args.command == "status":
            pid = hub_pid(args.state)
            if pid is None:
                print("not running")
                return 3
            site = Site.load(args.state)
            print(f"running (pid {pid}) at {site.url}/hub/login")
        elif args.command == "remove-class":
            require_root("removing the class")
            remove_class(args.state)
            log("class removed")
    except HubError as exc:
        print(f"hubctl {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
