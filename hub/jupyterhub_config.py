"""JupyterHub configuration for a tcpcourse class on one machine (started by hub/hubctl.py).

The values that change per installation (ports, paths, the class list, the demo password, the
operator token) come from the site file hubctl writes, <state>/site.json, named by the
TCPCOURSE_HUB_SITE environment variable. Everything else is decided here, with the reason.

To adapt it to a real server: see docs/hub.md (PAM log-in with existing accounts, TLS in front,
idle culling, memory limits, and when to move to Zero to JupyterHub).
"""

import json
import os
import pwd
import shutil
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub defines get_config() when it loads this file

SITE = json.loads(Path(os.environ["TCPCOURSE_HUB_SITE"]).read_text())
ENV = Path(SITE["env"])
REPO = Path(SITE["repo"])
INSTRUCTOR = SITE["instructor"]
STUDENTS = set(SITE["students"])
STATE = Path(SITE["state"])

# --- where it listens --------------------------------------------------------------------------
# The public side is the proxy, on loopback only: put a TLS-terminating reverse proxy (nginx,
# Caddy) in front for a real class, or set bind_url to https with ssl_cert/ssl_key.
c.JupyterHub.bind_url = f"http://{SITE['ip']}:{SITE['port']}"
# The hub's own API and the proxy's API on ports hubctl chose, so two hubs (a demo and a test)
# never collide on JupyterHub's defaults (8081, 8001).
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{SITE['hub_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{SITE['proxy_api_port']}"
# configurable-http-proxy from npm, installed by hubctl into a prefix the hub owns.
c.ConfigurableHTTPProxy.command = [SITE["chp"]]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
# The hub starts the proxy and stops it (and every user's server) when it stops.
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.cleanup_servers = True

# --- state ---------------------------------------------------------------------------------------
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")

# --- who may log in ----------------------------------------------------------------------------
# Demo and tests: one password shared by the class (hubctl prints it). SharedPasswordAuthenticator
# replaces the deprecated DummyAuthenticator. For a real class use the machine's accounts:
#     c.JupyterHub.authenticator_class = "pam"
# (students then log in with their own Unix passwords; keep allowed_users as the class list).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = SITE["password"]
c.Authenticator.allowed_users = {INSTRUCTOR, *STUDENTS}
c.Authenticator.admin_users = {INSTRUCTOR}

# An operator token (hubctl, the tests, the measurements) that may manage users, servers and
# tokens through the hub's REST API; it is not given access to anyone's server.
c.JupyterHub.services = [{"name": "tcpcourse-ops", "api_token": SITE["ops_token"]}]
c.JupyterHub.load_roles = [
    {
        "name": "tcpcourse-ops",
        "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"],
        "services": ["tcpcourse-ops"],
    }
]

# --- each user's server ---------------------------------------------------------------------------
# One Unix user per person; the hub (root) starts each server as that user, so the kernel, the
# files and nbgrader's exchange entries carry the user's own uid. Memory limits are not enforced
# by this spawner: use systemd slices or Zero to JupyterHub when that matters (docs/hub.md).
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
# Every server runs from the ONE shared environment: the course, nbgrader and JupyterLab.
c.Spawner.cmd = [str(ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.args = list(SITE.get("server_args", []))
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    "PATH": f"{ENV}/bin:/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TCPCOURSE_EXCHANGE": SITE["exchange"],  # read by the shared nbgrader_config.py
}
# A first start on a busy machine imports JupyterLab and nbgrader: allow for it.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# Students must not open the formgrader or the assignment creator (they have no course, and the
# menu entries would only confuse); the instructor keeps everything.
STUDENT_LAB_PAGE_CONFIG = {
    "disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:course-list": True,
    }
}
STUDENT_SERVER_CONFIG = {
    "ServerApp": {
        "jpserver_extensions": {
            "nbgrader.server_extensions.formgrader": False,
            "nbgrader.server_extensions.course_list": False,
        }
    }
}


def _give(path: Path, uid: int, gid: int) -> None:
    """Make everything under ``path`` the user's own (the hub copies as root)."""
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.chown(p, uid, gid, follow_symlinks=False)


def _write_json(path: Path, data: dict, uid: int, gid: int) -> None:
    if path.exists():
        return  # the user's own settings win
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    for p in (path, *path.parents):
        if p == Path(pwd.getpwuid(uid).pw_dir):
            break
        os.chown(p, uid, gid)


def prepare_home(spawner):
    """Before each server starts: a private home, the lessons, and the course for the instructor.

    Copies happen once (on the first spawn); a student's edited lessons are never overwritten.
    """
    name = spawner.user.name
    entry = pwd.getpwnam(name)
    home, uid, gid = Path(entry.pw_dir), entry.pw_uid, entry.pw_gid
    # useradd -m makes 0755 homes: others could read the instructor's sources and gradebook.
    home.chmod(0o700)
    lessons = home / "lessons"
    if not lessons.exists():
        shutil.copytree(REPO / "notebooks", lessons, ignore=shutil.ignore_patterns(".ipynb_*"))
        _give(lessons, uid, gid)
    # JupyterLab's terminals are login shells, and Debian's /etc/profile resets PATH: without
    # this line `nbgrader` and `python -m autograder` would not be found in a terminal.
    profile = home / ".profile"
    line = f'PATH="{ENV}/bin:$PATH"  # tcpcourse hub: the shared environment\n'
    text = profile.read_text() if profile.exists() else ""
    if line not in text:
        profile.write_text(text + ("\n" if text and not text.endswith("\n") else "") + line)
        os.chown(profile, uid, gid)
    jupyter = home / ".jupyter"
    if name == INSTRUCTOR:
        course = home / "course"
        if not course.exists():
            course.mkdir()
            # The committed course only: nbgrader_config.py (hardened autograding), the
            # sources and the guide; nbgrader makes release/, submitted/, ... as it goes.
            shutil.copy2(REPO / "course" / "nbgrader_config.py", course / "nbgrader_config.py")
            shutil.copy2(REPO / "course" / "README.md", course / "README.md")
            shutil.copytree(REPO / "course" / "source", course / "source")
            _give(course, uid, gid)
        # The formgrader finds the course through this, whatever folder the server opens in.
        config = jupyter / "nbgrader_config.py"
        if not config.exists():
            jupyter.mkdir(exist_ok=True)
            config.write_text(
                f"c = get_config()  # noqa: F821\nc.CourseDirectory.root = {str(course)!r}\n"
            )
            _give(jupyter, uid, gid)
    else:
        _write_json(jupyter / "labconfig" / "page_config.json", STUDENT_LAB_PAGE_CONFIG, uid, gid)
        _write_json(
            jupyter / "jupyter_server_config.d" / "tcpcourse-student.json",
            STUDENT_SERVER_CONFIG,
            uid,
            gid,
        )


c.Spawner.pre_spawn_hook = prepare_home
