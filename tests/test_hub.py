"""A whole class on a real JupyterHub: one assignment from release to exported grades.

``hub/hubctl.py`` (what ``make hub`` runs) starts JupyterHub with configurable-http-proxy and the
LocalProcessSpawner for a class of real Unix users, ``tcpt-instructor`` and ``tcpt-s1..s3``, on a
free port. Everything then happens as those users:

* the instructor, through ``runuser`` and nbgrader's command line in ~/course, generates and
  releases ``handshake``, collects, autogrades with the course's hardened grader
  (``python -m autograder grade``: bubblewrap sandbox, trusted scores), generates and releases
  feedback and exports grades.csv;
* each student, through their own server's nbgrader assignment-list API (what the Assignments
  tab's buttons call) with their own token, lists, fetches, saves an answer with the contents
  API, submits and fetches feedback.

The three answers and their scores come from the course's own red-team class
(``tests/test_grade_class.py``, where each score is derived by hand from the assignment's groups):
the correct solution (full marks: 14, also the sum of the graded cells' points in the source
notebook), the partly wrong one (9.67) and the red-team submission that hunts for the source
notebooks (0: the sandbox shows it none, though on a hub it would look in the instructor's home).

Isolation is tried, not assumed: as each student, reading the instructor's course, sources and
gradebook and another student's files fails with EACCES; a student's token is refused by another
user's server. A real Chromium logs in through the hub's login page and runs a lesson.

Teardown stops the hub and removes users, homes, exchange and state even when a step fails, and
fails the run if ``pgrep -u`` still finds a process of a class user. Spawn times and memory are
written to build/hub/measurements.json (docs/hub.md reports them); nothing here asserts a time.

Needs root, Debian's python3.11, npm, bubblewrap, runuser; the browser test Chromium and
Playwright. Elsewhere the tests skip with the reason; in CI they fail.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, require

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

A = "handshake"
NOTEBOOK = "open-a-connection.ipynb"
# Which of the course's red-team class each student hands in.
ANSWERS = {"tcpt-s1": "alice-correct", "tcpt-s2": "bob-partly-wrong", "tcpt-s3": "rt-read-source"}
LESSON = "lessons/01-read-the-tcp-header.ipynb"
MEASUREMENTS = ROOT / "build" / "hub" / "measurements.json"


def _can_run_a_hub() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "root: the hub runs each user's server as that Unix user"
    for tool in ("runuser", "useradd", "userdel", "pgrep", "npm", "bwrap"):
        if shutil.which(tool) is None:
            return False, f"{tool} (apt: passwd, procps, npm, bubblewrap)"
    if not Path("/usr/bin/python3.11").exists():
        return False, "Debian's /usr/bin/python3.11 (the shared environment is built from it)"
    return True, ""


@pytest.fixture(scope="module")
def measured() -> Iterator[dict[str, Any]]:
    """What the run measured; written to build/hub/measurements.json at the end."""
    data: dict[str, Any] = {}
    yield data
    if data:
        MEASUREMENTS.parent.mkdir(parents=True, exist_ok=True)
        MEASUREMENTS.write_text(json.dumps(data, indent=1) + "\n")


@pytest.fixture(scope="module")
def hub(measured: dict[str, Any]) -> Iterator[Any]:
    ok, why = _can_run_a_hub()
    require(ok, why)
    import hubkit
    from browser import LAB_SETTINGS

    start = time.monotonic()
    built = hubkit.hubctl().build(quiet=True)
    measured["environment"] = {"rebuilt": built, "seconds": round(time.monotonic() - start, 1)}
    # Every server exposes the JupyterLab app object to the page, which the browser test reads.
    h = hubkit.TestHub(server_args=["--LabApp.expose_app_in_browser=True"])
    try:
        h.start()
        for name in h.users:
            measured.setdefault("spawn_seconds", {})[name] = round(h.spawn(name), 2)
            # What starting one server costs the machine (it decides how fast a class can log
            # in at once on few cores).
            cpu = hubkit.cpu_seconds(hubkit.processes_of(name))
            measured.setdefault("spawn_cpu_seconds", {})[name] = cpu
        # The browser student's lab settings: every cell stays in the page, nothing autosaves.
        student = h.students[0]
        entry = hubkit.pwd.getpwnam(student)
        for plugin, values in LAB_SETTINGS.items():
            path = h.home(student) / ".jupyter/lab/user-settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        subprocess.run(["chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}",
                        str(h.home(student) / ".jupyter")], check=True)  # fmt: skip
        yield h
    finally:
        report = h.teardown()
        measured["teardown"] = report
        assert report["processes_left"] == {}, f"processes left behind: {report}"
        assert not report["users_left"] and not report["homes_left"], report
        assert not report["workdir_left"], report


def _student_api(hub: Any, name: str, action: str) -> Any:
    """What the Assignments tab does: POST to the student's own server's nbgrader handler."""
    path = f"/user/{name}/assignments/{action}?course_id=tcpcourse&assignment_id={A}"
    response = hub.request("POST", path, token=hub.token(name), timeout=120)
    assert response.status == 200, (name, action, response.status, response.body[:800])
    return response.json()


def _listing(hub: Any, name: str) -> list[dict[str, Any]]:
    response = hub.request(
        "GET", f"/user/{name}/assignments?course_id=tcpcourse", token=hub.token(name)
    )
    assert response.status == 200, response.body[:500]
    body = response.json()
    assert body["success"], body
    return body["value"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def cycle(hub: Any, measured: dict[str, Any]) -> dict[str, Any]:
    """The whole assignment cycle, each step as the user who would do it."""
    from test_grade_class import _class

    out: dict[str, Any] = {"seconds": {}}
    teacher = hub.instructor
    course = hub.home(teacher) / "course"

    def timed(step: str, ran: Any) -> Any:
        out["seconds"].setdefault(step, []).append(round(ran.seconds, 2))
        return ran

    timed("generate_assignment", hub.nbgrader(teacher, "generate_assignment", A, cwd=course))
    timed("release_assignment", hub.nbgrader(teacher, "release_assignment", A, cwd=course))

    # The answers are the course's red-team class, built from the instructor's own source and
    # release notebooks (root reads them; students never can).
    answers = _class(course)
    out["expected"] = {s: answers[a][1] for s, a in ANSWERS.items()}
    out["before_fetch"] = {s: _listing(hub, s) for s in hub.students}
    for student, answer in ANSWERS.items():
        _student_api(hub, student, "fetch")
        hub.put_notebook(student, f"{A}/{NOTEBOOK}", answers[answer][0])
        out.setdefault("after_submit", {})[student] = _student_api(hub, student, "submit")

    timed("collect", hub.nbgrader(teacher, "collect", A, cwd=course))
    grade = hub.as_user(
        teacher, [f"{hub.site.env}/bin/python", "-m", "autograder", "grade", A, "-j", "2"],
        cwd=course,
    ).check()  # fmt: skip
    out["grade"] = timed("autograder grade (3 submissions)", grade)
    timed("generate_feedback", hub.nbgrader(teacher, "generate_feedback", A, cwd=course))
    timed("release_feedback", hub.nbgrader(teacher, "release_feedback", A, cwd=course))
    for student in ANSWERS:
        _student_api(hub, student, "fetch_feedback")
    timed("export", hub.nbgrader(teacher, "export", "--to", "grades.csv", cwd=course))
    with (course / "grades.csv").open(newline="") as f:
        out["grades"] = list(csv.DictReader(f))
    out["course"] = course
    measured["nbgrader_seconds"] = out["seconds"]
    # Idle servers after the cycle (no kernels: nbgrader's commands ran outside them).
    import hubkit

    measured["memory_idle_mib"] = {
        "hub+proxy": hubkit.memory_of(hubkit.hub_and_proxy(hub)),
        **{name: hubkit.memory_of(hubkit.processes_of(name)) for name in hub.users},
    }
    return out


# ------------------------------------------------------------------------------ the hub itself


def test_every_user_gets_a_private_home_with_what_they_need(hub: Any) -> None:
    for name in hub.users:
        home = hub.home(name)
        assert home.stat().st_mode & 0o777 == 0o700, name
        assert sorted(p.name for p in (home / "lessons").glob("*.ipynb")) == sorted(
            p.name for p in (ROOT / "notebooks").glob("*.ipynb")
        )
        # Everything the hub put there (as root) was handed over: nothing in a home is root's.
        foreign = [p for p in home.rglob("*") if p.lstat().st_uid != home.stat().st_uid]
        assert not foreign, (name, foreign)
        # A JupyterLab terminal is a login shell (Debian's /etc/profile resets PATH): the
        # shared environment's tools must still be the ones found.
        found = hub.as_user(name, ["bash", "-l", "-c", "command -v nbgrader"]).check()
        assert found.stdout.strip() == f"{hub.site.env}/bin/nbgrader", found
    course = hub.home(hub.instructor) / "course"
    assert (course / "nbgrader_config.py").read_text() == (
        ROOT / "course" / "nbgrader_config.py"
    ).read_text()
    assert (course / "source" / A / NOTEBOOK).is_file()
    for student in hub.students:
        assert not (hub.home(student) / "course").exists()


def test_the_formgrader_is_the_instructors_only(hub: Any) -> None:
    teacher = hub.instructor
    api = "formgrader/api/assignments"
    mine = hub.request("GET", f"/user/{teacher}/{api}", token=hub.token(teacher))
    assert mine.status == 200, (mine.status, mine.body[:300])
    # The formgrader found the instructor's course folder: every source assignment is listed.
    assert {a["name"] for a in mine.json()} == {
        p.name for p in (ROOT / "course" / "source").iterdir() if p.is_dir()
    }
    for student in hub.students:
        theirs = hub.request("GET", f"/user/{student}/{api}", token=hub.token(student))
        assert theirs.status == 404, (student, theirs.status)


# ------------------------------------------------------------------------------ the cycle


def test_students_see_the_released_assignment_in_their_list(cycle: dict[str, Any]) -> None:
    for student, listing in cycle["before_fetch"].items():
        assert [(a["assignment_id"], a["status"]) for a in listing] == [(A, "released")], student
    for student, listing in cycle["after_submit"].items():
        assert listing["success"], listing
        statuses = {a["status"] for a in listing["value"] if a["assignment_id"] == A}
        assert "submitted" in statuses, (student, listing)


def test_exported_grades_are_exactly_what_each_answer_deserves(
    hub: Any, cycle: dict[str, Any]
) -> None:
    # Full marks, computed from the source notebook rather than taken from any grader output.
    source = json.loads((cycle["course"] / "source" / A / NOTEBOOK).read_text())
    full = sum(
        c["metadata"]["nbgrader"]["points"]
        for c in source["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade")
    )
    expected = cycle["expected"]
    assert expected["tcpt-s1"] == full == 14.0
    assert expected["tcpt-s2"] == 9.67 < full  # the hand derivation in test_grade_class.py
    assert expected["tcpt-s3"] == 0.0
    rows = {r["student_id"]: r for r in cycle["grades"] if r["assignment"] == A}
    assert set(rows) == set(hub.students), cycle["grades"]
    for student, want in expected.items():
        row = rows[student]
        assert float(row["score"]) == want, (student, row)
        assert float(row["max_score"]) == full, row


def test_autograding_ran_the_hardened_grader_as_the_instructor(
    hub: Any, cycle: dict[str, Any]
) -> None:
    course: Path = cycle["course"]
    teacher_uid = hub.home(hub.instructor).stat().st_uid
    assert "3 of 3 submissions of 'handshake' graded" in cycle["grade"].stdout, cycle["grade"]
    for student in hub.students:
        graded = course / "autograded" / student / A
        assert (graded / NOTEBOOK).stat().st_uid == teacher_uid
        # Written by the trusted-scores step only: the hardened pipeline ran on this submission.
        report = json.loads((graded / "open-a-connection.autograder.json").read_text())
        if student == "tcpt-s3":
            text = report["notes"] + " ".join(c["first"] for c in report["cells"].values())
            # The red-team code looked for the sources and the sandbox showed it nothing.
            assert "FileNotFoundError: no source notebook in reach" in text


def test_students_fetched_their_own_feedback(hub: Any, cycle: dict[str, Any]) -> None:
    for student in hub.students:
        pages = list((hub.home(student) / A / "feedback").glob(f"*/{NOTEBOOK[:-6]}.html"))
        assert len(pages) == 1, (student, pages)
        assert pages[0].stat().st_uid == hub.home(student).stat().st_uid
        # nbgrader's feedback page heads the notebook with "(Score: S / M)".
        total = re.search(r"\(Score: ([0-9.]+) / ([0-9.]+)\)", pages[0].read_text())
        assert total is not None, student
        assert (float(total[1]), float(total[2])) == (cycle["expected"][student], 14.0), student
    wrong = next((hub.home("tcpt-s2") / A / "feedback").glob("*/*.html")).read_text()
    assert "First divergence: in LISTEN, on SYN (SYN)" in wrong


# ------------------------------------------------------------------------------ isolation


def test_students_cannot_read_the_course_nor_each_other(hub: Any, cycle: dict[str, Any]) -> None:
    course: Path = cycle["course"]
    secrets = [
        hub.home(hub.instructor),
        course,
        course / "source" / A / NOTEBOOK,
        course / "gradebook.db",
        course / "grades.csv",
        course / "submitted",
        # nbgrader's exchange: students may drop submissions in and pick their feedback up by
        # name, but not list who submitted what.
        Path(hub.site.exchange) / "tcpcourse" / "inbound",
        Path(hub.site.exchange) / "tcpcourse" / "feedback",
    ]
    for student in hub.students:
        others = [s for s in hub.students if s != student]
        targets = secrets + [hub.home(o) / A / NOTEBOOK for o in others] + [hub.home(others[0])]
        own = hub.home(student) / A / NOTEBOOK
        seen = hub.try_read(student, [*targets, own])
        assert seen.pop(str(own)) == "ok"  # the probe can read: a refusal below means something
        assert seen == {str(t): "EACCES" for t in targets}, (student, seen)


def test_a_students_token_opens_only_their_own_server(hub: Any, cycle: dict[str, Any]) -> None:
    mine = hub.token("tcpt-s1")
    assert hub.contents("tcpt-s1", f"{A}/{NOTEBOOK}", token=mine).status == 200
    for other in ["tcpt-s2", hub.instructor]:
        response = hub.contents(other, "", token=mine)
        # Refused outright, or sent to log in as someone else: never the other's files.
        assert response.status == 403 or (
            response.status == 302 and "/hub/login" in response.location
        ), (other, response.status, response.location)
    # ... and it cannot act as an administrator of the hub.
    assert hub.request("GET", "/hub/api/users", token=mine).status == 403


# ------------------------------------------------------------------------------ the exchange

# What the attacker plants in the exchange, as themselves, in a terminal of their own server.
PLANT = """
import json, os, sys
inbound, stamp, victim, me, notebook, links = sys.argv[1:]
for who in (victim, me):
    folder = os.path.join(inbound, f"{who}+handshake+{stamp}")
    os.mkdir(folder)
    with open(os.path.join(folder, "open-a-connection.ipynb"), "w") as f:
        f.write(open(notebook).read())
    with open(os.path.join(folder, "timestamp.txt"), "w") as f:
        f.write(stamp)
for name, target in json.loads(links).items():
    os.symlink(target, os.path.join(folder, name))
os.mkfifo(os.path.join(folder, "pipe"))
"""


def test_collect_takes_work_only_from_the_student_it_names(hub: Any, cycle: dict[str, Any]) -> None:
    """A forged inbound folder is refused at collect; links in a real one are never followed."""
    import datetime
    import hashlib

    teacher, victim, attacker = hub.instructor, "tcpt-s1", "tcpt-s3"
    course: Path = cycle["course"]
    inbound = Path(hub.site.exchange) / "tcpcourse" / "inbound"
    genuine = next(inbound.glob(f"{victim}+{A}+*"))  # root lists it; students cannot

    def digest(folder: Path) -> dict[str, str]:
        return {
            str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()
        }  # fmt: skip

    before = digest(course / "submitted" / victim / A)
    # A later submission named for the victim (the blank notebook: 0 points), and the attacker's
    # own, holding links to the instructor's gradebook and sources, /etc/shadow, the victim's
    # submission in the exchange, and a fifo.
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    stamp = later.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    blank = Path(hub.workdir) / "blank.ipynb"
    shutil.copy(course / "release" / A / NOTEBOOK, blank)
    blank.chmod(0o644)
    links = {
        "notes.txt": str(course / "gradebook.db"),
        "hidden.txt": str(course / "source" / A / NOTEBOOK),
        "shadow.txt": "/etc/shadow",
        "peer.ipynb": str(genuine / NOTEBOOK),
    }
    planted = hub.as_user(
        attacker, ["/usr/bin/python3.11", "-c", PLANT, str(inbound), stamp, victim, attacker,
                   str(blank), json.dumps(links)],
    ).check()  # fmt: skip
    assert planted.returncode == 0
    forged = inbound / f"{victim}+{A}+{stamp}"
    assert forged.lstat().st_uid == hub.home(attacker).stat().st_uid  # the attack is in place

    collect = hub.as_user(teacher, [f"{hub.site.env}/bin/nbgrader", "collect", "--update", A],
                          cwd=course)  # fmt: skip
    # Refused loudly: an error naming the folder and its real owner, and a failure status ...
    assert collect.returncode != 0, collect.stderr[-3000:]
    assert f"REFUSED {forged}: it is named for {victim} but belongs to {attacker}" in (
        collect.stderr
    ), collect.stderr[-3000:]
    # ... the victim's work untouched ...
    assert digest(course / "submitted" / victim / A) == before
    # ... and the attacker's own newer submission collected without anything it linked to.
    theirs = course / "submitted" / attacker / A
    assert (theirs / "timestamp.txt").read_text() == stamp, collect.stderr[-3000:]
    assert sorted(p.name for p in theirs.iterdir()) == [NOTEBOOK, "timestamp.txt"]
    for name, target in links.items():
        assert f"{name} is a symbolic link to {target}: left out" in collect.stderr, name
    assert "pipe is a fifo: left out" in collect.stderr
    shadow = Path("/etc/shadow").read_bytes().split(b"\n")[0]
    for path in theirs.rglob("*"):
        data = path.read_bytes()
        for secret in (b"SQLite format 3", b"### BEGIN SOLUTION", shadow):
            assert secret not in data, (path, secret)
    shutil.rmtree(forged)  # dealt with: the next collect is quiet again
    again = hub.as_user(teacher, [f"{hub.site.env}/bin/nbgrader", "collect", A], cwd=course)
    assert again.returncode == 0, again.stderr[-3000:]


# ------------------------------------------------------------------------------ a browser


def test_a_student_logs_in_and_runs_a_lesson_with_widgets(
    hub: Any, cycle: dict[str, Any], measured: dict[str, Any]
) -> None:
    from browser import HARNESS_JS, _poll, _quiet, _state, chromium, have_chromium, have_playwright

    require(have_chromium(), "Chromium (apt-get install chromium)")
    require(have_playwright(), "playwright (the dev extra)")
    import hubkit

    student = hub.students[0]
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.add_init_script(HARNESS_JS)
            page.goto(f"{hub.site.url}/hub/login", wait_until="domcontentloaded")
            page.fill("input[name=username]", student)
            page.fill("input[name=password]", hub.site.password)
            page.click("#login_submit")
            page.wait_for_url(f"**/user/{student}/lab**", timeout=120_000)
            page.goto(f"{hub.site.url}/user/{student}/lab/tree/{LESSON}")
            assert _poll(page, lambda: _state(page, LESSON).get("status") == "idle", 180)
            page.evaluate("p => tcpHarness.runAll(p)", LESSON)
            assert _poll(page, lambda: _state(page, LESSON).get("run") is not None, 300)
            assert _quiet(page, LESSON, timeout=300)
            report = page.evaluate("p => tcpHarness.collect(p)", LESSON)
            # An active student: their server and the lesson's kernel, widgets drawn.
            measured["memory_active_student_mib"] = hubkit.memory_of(hubkit.processes_of(student))
            shot = ROOT / "build" / "hub" / "student-lesson.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))
            page.evaluate("p => tcpHarness.shutdown(p)", LESSON)
        finally:
            context.close()
    errors = [(c["index"], c["errors"]) for c in report["cells"] if c["errors"]]
    assert not errors, errors
    views = sum(c["widget_views"] for c in report["cells"])
    troubles = [t for c in report["cells"] for t in c["widget_errors"]]
    assert views > 0 and not troubles, (views, troubles)


# ------------------------------------------------------------------------------ the controller


def test_hubctl_says_it_needs_root() -> None:
    """Run by someone other than root, hubctl.py start says it needs root, without a traceback."""
    ok, why = _can_run_a_hub()
    require(ok, why)  # runuser, to be someone else than root
    # nobody cannot read a checkout in a 0700 folder (a `mktemp -d` clone, pytest's tmp_path):
    # it runs a copy of hub/ (the script and the class.toml it reads) from a folder it can read.
    with tempfile.TemporaryDirectory(prefix="tcpt-hubctl-") as tmp:
        os.chmod(tmp, 0o755)
        shutil.copytree(ROOT / "hub", Path(tmp) / "hub", ignore=shutil.ignore_patterns("__py*"))
        for path in Path(tmp).rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)  # a clone under umask 077 has 0600
        script = Path(tmp) / "hub" / "hubctl.py"
        done = subprocess.run(
            ["runuser", "-u", "nobody", "--", "/usr/bin/python3.11", str(script), "start"],
            capture_output=True, text=True, cwd="/",
        )  # fmt: skip
    assert done.returncode == 2
    assert "needs root" in done.stderr and "Traceback" not in done.stderr


def test_hubctl_names_a_bad_class_file(tmp_path: Path) -> None:
    import hubkit

    ctl = hubkit.hubctl()
    bad = tmp_path / "class.toml"
    bad.write_text('instructor = "Teacher!"\nstudents = ["s1"]\n')
    with pytest.raises(ctl.HubError, match=r"class.toml: 'Teacher!' is not a valid Unix user"):
        ctl.read_class(bad)
    bad.write_text("students = [")
    with pytest.raises(ctl.HubError, match="is not valid TOML"):
        ctl.read_class(bad)


def test_the_z2jh_values_parse() -> None:
    import yaml

    values = yaml.safe_load((ROOT / "hub" / "z2jh" / "config.yaml").read_text())
    assert values["singleuser"]["image"]["name"]
    mounts = values["singleuser"]["storage"]["extraVolumeMounts"]
    assert any(m["mountPath"] == "/srv/nbgrader/exchange" for m in mounts)


def test_hubctl_refuses_to_replace_an_environment_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild deletes the shared environment: with a hub or a kernel running from it, that
    would break a class mid-lesson, so hubctl refuses and says what to stop."""
    import hubkit

    ctl = hubkit.hubctl()
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    program = env / "bin" / "sleep"
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", program)
    monkeypatch.setattr(ctl, "ENV", env)
    assert ctl.env_users() == []
    ctl._refuse_if_in_use("rebuilding")  # nothing runs from it: allowed
    running = subprocess.Popen([str(program), "30"])
    try:
        # Until the child has exec'd, /proc shows the forking Python's command line: wait for it.
        deadline = time.monotonic() + 30
        while running.pid not in ctl.env_users() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running.pid in ctl.env_users()
        with pytest.raises(ctl.HubError, match=r"rebuilding, but 1 running process\(es\) use"):
            ctl._refuse_if_in_use("rebuilding")
    finally:
        running.kill()
        running.wait()
