"""The instructor's Formgrader, started with ``make formgrader`` and driven in headless Chromium.

A copy of the course gets four ``handshake`` submissions: two honest ones (``alice-victim`` and
``carol-control``), a forger whose kernel claims full marks (``mallory-forger``: it redefines the
graders' hook ``grade`` to return 100, which plain nbgrader would believe), and an attacker whose
notebook carries a script meant to run in the instructor's browser and zero alice's grades
(``xss-attacker``: an HTML output with ``<script>`` in a solution cell, and a Markdown cell with
``<img onerror=...>``). The tests open the Formgrader as the instructor and check what it shows,
what its Autograde button records, and that opening the attacker's submission changes nothing.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import formgrader_server, have_chromium, have_playwright
from conftest import ROOT, require
from course_kit import ASSIGNMENTS, add_cell_after, api, copy_course, edited, generate, load, submit

from autograder.sandbox import have_bwrap

pytestmark = pytest.mark.slow
A = "handshake"
NB = ASSIGNMENTS[A]
SOLUTION = "handshake-solution"
SHOTS = ROOT / ".artifacts" / "formgrader"

# What the attacker's script does with the instructor's session: the Formgrader's own REST API,
# the _xsrf cookie in a header, every grade of the target set to 0 by hand.
PAYLOAD = """
(async () => {
  window.PWNED = 'ran';
  document.title = 'PWNED';
  const target = window.TARGET || 'alice-victim';
  const xsrf = decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/) || ['', ''])[1]);
  const headers = {'X-XSRFToken': xsrf, 'Content-Type': 'application/json'};
  const url = '/formgrader/api/submitted_notebooks/handshake/open-a-connection';
  for (const s of await (await fetch(url)).json()) {
    if (s.student !== target) continue;
    const grades = await (await fetch('/formgrader/api/grades?submission_id=' + s.id)).json();
    for (const g of grades) {
      await fetch('/formgrader/api/grade/' + g.id, {
        method: 'PUT', headers, body: JSON.stringify({manual_score: 0, extra_credit: null})});
    }
  }
  window.PWNED = 'done';
})();
"""
B64 = base64.b64encode(PAYLOAD.encode()).decode()
XSS_CELL = (
    "from IPython.display import HTML, display\n"
    f"display(HTML('<b>hello</b><script>eval(atob(\"{B64}\"))</script>'))\n"
)
XSS_MARKDOWN = f"My answer: <img src=x onerror=\"eval(atob('{B64}'))\">"
FORGER_CELL = (
    "import os\n"
    "def grade(grade_id):\n"
    "    return 100.0  # every test cell 'passes' with full marks, says the kernel\n"
    "print('kernel runs in', os.getcwd())\n"
)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(have_bwrap(), "bubblewrap sandboxes the students' code")
    require(have_chromium() and have_playwright(), "Chromium and Playwright drive the Formgrader")
    course = copy_course(tmp_path_factory.mktemp("formgrader") / "course")
    generate(course, A)
    right, blank = load(course, A, "source"), load(course, A, "release")

    def xss(nb: Any) -> None:
        add_cell_after(SOLUTION, XSS_CELL)(nb)
        md = {"cell_type": "markdown", "id": "xss-md", "metadata": {}, "source": XSS_MARKDOWN}
        nb["cells"].append(md)

    submit(course, A, "alice-victim", right)
    submit(course, A, "carol-control", right)
    submit(course, A, "mallory-forger", edited(blank, add_cell_after(SOLUTION, FORGER_CELL)))
    submit(course, A, "xss-attacker", edited(right, xss))
    from autograder.batch import quiet_sqlalchemy

    nbg = api(course)
    for student in ("alice-victim", "carol-control", "xss-attacker"):
        with quiet_sqlalchemy():
            result = nbg.autograde(A, student)
        assert result["success"], result["log"]
    return course


@pytest.fixture(scope="module")
def server(course: Path) -> Iterator[Any]:
    with formgrader_server(course) as running:
        yield running


@pytest.fixture
def page(browser: Any, server: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{server.url}/formgrader?token={server.token}")  # logs the instructor in
    try:
        yield page
    finally:
        context.close()


def _grades(course: Path) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(student, grade cell) -> (auto score, manual score, extra credit), read from the db."""
    db = sqlite3.connect(course / "gradebook.db")
    try:
        rows = db.execute(
            "SELECT s.student_id, c.name, g.auto_score, g.manual_score, g.extra_credit "
            "FROM grade g JOIN base_cell c ON g.cell_id = c.id "
            "JOIN submitted_notebook n ON g.notebook_id = n.id "
            "JOIN submitted_assignment s ON n.assignment_id = s.id"
        ).fetchall()
    finally:
        db.close()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _score(course: Path, student: str) -> float:
    from nbgrader.api import Gradebook

    from autograder.batch import quiet_sqlalchemy

    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return float(gb.find_submission(A, student).score)


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_make_formgrader_lists_the_five_assignments(page: Any, server: Any) -> None:
    """`make formgrader` serves a Formgrader that finds the course and its five assignments."""
    page.wait_for_selector("td.name a", timeout=60_000)
    names = sorted(page.locator("td.name a").all_inner_texts())
    _shot(page, "manage-assignments")
    assert names == sorted(ASSIGNMENTS)
    request = urllib.request.Request(
        f"{server.url}/formgrader", headers={"Authorization": f"token {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in policy and "connect-src 'self'" in policy


def test_jupyterlab_opens_the_formgrader_from_its_nbgrader_menu(page: Any, server: Any) -> None:
    """The JupyterLab of `make formgrader` (under its CSP) opens the Formgrader from its menu."""
    page.goto(f"{server.url}/lab?token={server.token}")
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click(timeout=90_000)
    page.locator(".lm-Menu-itemLabel").get_by_text("Formgrader", exact=True).click()
    frame = page.frame_locator("iframe[src*='formgrader']")
    frame.locator("td.name a").first.wait_for(timeout=60_000)
    _shot(page, "lab-formgrader")
    assert sorted(frame.locator("td.name a").all_inner_texts()) == sorted(ASSIGNMENTS)


def test_the_autograde_button_records_the_trusted_score(page: Any, server: Any) -> None:
    """The Formgrader's Autograde button runs the sandboxed kernel and keeps the true score."""
    course = server.root
    page.goto(f"{server.url}/formgrader/manage_submissions/{A}")
    row = page.locator("tr", has_text="mallory-forger")
    row.locator("td.autograde a").click()
    page.wait_for_selector("#success-modal, #error-modal", state="visible", timeout=300_000)
    _shot(page, "autograde-done")
    assert page.locator("#success-modal").is_visible(), page.locator(".modal-body").inner_text()
    assert _score(course, "mallory-forger") == 0.0  # the kernel claimed 14 of 14
    autograded = course / "autograded" / "mallory-forger" / A
    text = (autograded / f"{NB}.ipynb").read_text()
    assert "kernel runs in /home/student" in text  # the sandbox's home, not the course
    report = json.loads((autograded / f"{NB}.autograder.json").read_text())
    assert report["score"] == 0.0 and report["sandboxed"] is True


def test_opening_a_malicious_submission_runs_no_script_and_changes_no_grade(
    page: Any, server: Any
) -> None:
    """Issue 19 item 1: the instructor opens the XSS submission; no script runs, no grade moves."""
    course = server.root
    before = _grades(course)
    assert before[("alice-victim", "handshake-closed")][0] == 1.0
    subs = server.api("GET", f"/formgrader/api/submitted_notebooks/{A}/{NB}")
    ids = {s["student"]: s["id"] for s in subs}
    page.goto(f"{server.url}/formgrader/submissions/{ids['xss-attacker']}/")
    page.wait_for_selector("#notebook-container", timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(3000)  # time for a script to finish its requests, had one started
    page.get_by_text("My answer:").scroll_into_view_if_needed()
    _shot(page, "xss-submission")
    assert page.evaluate("window.PWNED") is None
    assert page.title() != "PWNED"
    assert "My answer: <img src=x onerror=" in page.inner_text("#notebook-container")
    assert _grades(course) == before
    # The control: the same payload, run as a script on this page, does rewrite grades (here
    # carol's), so the check above would have seen the attack had it run.
    page.evaluate(f"window.TARGET = 'carol-control'; eval(atob('{B64}'))")
    page.wait_for_function("window.PWNED === 'done'", timeout=30_000)
    after = _grades(course)
    assert after[("carol-control", "handshake-closed")][1] == 0.0
    assert {k: v for k, v in after.items() if k[0] != "carol-control"} == {
        k: v for k, v in before.items() if k[0] != "carol-control"
    }
