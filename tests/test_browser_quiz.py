"""Quizzes as a student sees them: JupyterLab in headless Chromium, at 1366x900 and 1024x768.

JupyterLab 4 draws RadioButtons with one line per label, so long choices overflow into one
another. The quiz widget (tcpcore.widgets.predict_then_reveal) lays each choice out as a letter
button beside an HTML label that wraps. This module opens lessons 02 and 06 (both editions), runs
them, and measures the text of every choice label in the DOM (a Range over the label's contents,
so what is measured is where the glyphs are, not the box the label was given): no two labels of a
quiz may intersect, no label may run under a button (its letter, "Commit my answer", "Run the
simulation") or out of its cell, and no label may clip its text. Then it answers one quiz and
checks that the explanation arrives as paragraphs.

``test_the_overlap_check_catches_radio_buttons`` first proves on a throwaway notebook that the
same measurement flags the RadioButtons the quiz used to have, so a pass means something.

The same measurement runs on lesson 06's copy in the JupyterLite site (built by test_lite's
``site`` fixture: npm, then its cache in build/cache/lite).

Screenshots (file browser open) go to ``.artifacts/browser-quiz/`` (or
``$TCPCOURSE_ARTIFACTS/browser-quiz``). Needs chromium and playwright: skips on a laptop
without them, fails in CI.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser import (
    HARNESS_JS,
    _poll,
    _quiet,
    _state,
    lab_server,
)
from conftest import ROOT
from test_lite import _run_all, visit
from test_lite import site as lite_site  # noqa: F401 - a fixture: the Lite site, built once

if TYPE_CHECKING:
    from browser import LabServer
    from playwright.sync_api import Browser, Page
    from test_lite import Site

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ARTIFACTS = Path(os.environ.get("TCPCOURSE_ARTIFACTS", ROOT / ".artifacts")) / "browser-quiz"
LESSONS = (
    "02-walk-the-three-way-handshake",
    "06-answer-the-interview-questions",
    "zh-CN/06-answer-the-interview-questions",  # the Chinese edition: choices in Chinese
)
VIEWPORTS = {"1366x900": (1366, 900), "1024x768": (1024, 768)}
QUIZ_LABELS = ".tcpcore-choice"
RADIO_LABELS = ".widget-radio-box label"

# For every cell output holding labels that match the selector: the box of each label's text
# (a Range over its contents), the boxes of the visible buttons in that output, the output's
# own box, and the labels whose text overflows their element (clipped or spilling out).
MEASURE_JS = """
(selector) => {
  const text = el => {
    const r = document.createRange();
    r.selectNodeContents(el);
    const b = r.getBoundingClientRect();
    return {x: b.left, y: b.top, r: b.right, b: b.bottom, text: el.textContent.trim()};
  };
  const box = el => {
    const b = el.getBoundingClientRect();
    return {x: b.left, y: b.top, r: b.right, b: b.bottom, text: el.textContent.trim()};
  };
  const groups = new Map();
  for (const el of document.querySelectorAll(selector)) {
    const out = el.closest('.jp-OutputArea-output') || document.body;
    if (!groups.has(out)) groups.set(out, []);
    groups.get(out).push(el);
  }
  return [...groups].map(([out, labels]) => ({
    labels: labels.map(text),
    buttons: [...out.querySelectorAll('button')]
      .filter(b => b.getClientRects().length > 0).map(box),
    output: box(out),
    spilled: labels
      .filter(l => l.scrollHeight > l.clientHeight + 1 || l.scrollWidth > l.clientWidth + 1)
      .map(l => l.textContent.trim()),
  }));
}
"""


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> float:
    """The area two boxes share (0 when they only touch)."""
    w = min(a["r"], b["r"]) - max(a["x"], b["x"])
    h = min(a["b"], b["b"]) - max(a["y"], b["y"])
    return max(0.0, w) * max(0.0, h)


def legibility_problems(groups: list[dict[str, Any]]) -> list[str]:
    """One line per choice label a student could not read, over all the quizzes measured."""
    found: list[str] = []
    for g in groups:
        labels = g["labels"]
        for i, a in enumerate(labels):
            if a["r"] - a["x"] < 1 or a["b"] - a["y"] < 1:
                found.append(f"choice {a['text'][:40]!r} has no visible text")
            for b in labels[i + 1 :]:
                if _overlap(a, b) > 1:
                    found.append(f"choices {a['text'][:40]!r} and {b['text'][:40]!r} overlap")
            for button in g["buttons"]:
                if _overlap(a, button) > 1:
                    found.append(f"choice {a['text'][:40]!r} runs under button {button['text']!r}")
            if a["r"] > g["output"]["r"] + 1 or a["x"] < g["output"]["x"] - 1:
                found.append(f"choice {a['text'][:40]!r} runs out of its cell")
        found += [f"choice {t[:40]!r} spills out of its box" for t in g["spilled"]]
    return found


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def lab(browser: Browser) -> Iterator[LabServer]:
    with lab_server(ROOT, keep_log=ARTIFACTS / "jupyterlab.log") as server:
        yield server


def _open_and_run(page: Page, server: LabServer, rel: str, timeout: float = 300.0) -> None:
    """Open a notebook, run all its cells, wait until the kernel and the widgets are calm, and
    show the file browser (as a student's screen has it)."""
    page.add_init_script(HARNESS_JS)
    page.goto(server.notebook_url(rel), wait_until="domcontentloaded")
    assert _poll(page, lambda: _state(page, rel).get("status") == "idle", timeout), rel
    page.evaluate("p => tcpHarness.runAll(p)", rel)
    assert _poll(page, lambda: _state(page, rel).get("run") is not None, timeout), rel
    assert _quiet(page, rel, timeout=timeout), f"{rel}: still busy after {timeout:.0f}s"
    page.evaluate("() => window.jupyterapp.shell.activateById('filebrowser')")
    page.wait_for_timeout(800)  # the panel's transition, and the reflow it causes


def _shoot(page: Page, name: str, selector: str) -> Path:
    """A screenshot of the window, scrolled to the first element matching ``selector``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    path = ARTIFACTS / f"{name.replace('/', '-')}.png"
    page.screenshot(path=str(path))
    return path


# --------------------------------------------------------------------------- the lessons


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("lesson", LESSONS)
def test_quiz_choices_are_legible(
    browser: Browser, lab: LabServer, lesson: str, viewport: str
) -> None:
    """Every choice label of every quiz in the lesson: no overlap, nothing under a button,
    nothing clipped, nothing out of its cell."""
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        rel = f"notebooks/{lesson}.ipynb"
        _open_and_run(page, lab, rel)
        groups = page.evaluate(MEASURE_JS, QUIZ_LABELS)
        shot = _shoot(page, f"{lesson}-{viewport}", QUIZ_LABELS)
        quizzes = sum(
            "predict_then_reveal" in "".join(c["source"])
            for c in json.loads((ROOT / rel).read_text())["cells"]
        )
        assert len(groups) == quizzes, f"{quizzes} quizzes in the lesson, {len(groups)} drawn"
        assert all(len(g["labels"]) >= 2 for g in groups)
        found = legibility_problems(groups)
        assert not found, f"{rel} at {viewport} (screenshot {shot}):\n" + "\n".join(found)
    finally:
        context.close()


def test_an_answered_quiz_explains_in_paragraphs(browser: Browser, lab: LabServer) -> None:
    """Choose a letter, commit, run: the verdict names the right letter and the explanation
    arrives as separate paragraphs, legible at 1024x768."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        page = context.new_page()
        rel = "notebooks/06-answer-the-interview-questions.ipynb"
        _open_and_run(page, lab, rel)
        first = page.locator(".jp-OutputArea-output", has=page.locator(QUIZ_LABELS)).first
        first.get_by_role("button", name="A", exact=True).click()
        first.get_by_role("button", name="Commit my answer").click()
        run = first.get_by_role("button", name="Run the simulation")
        run.wait_for(state="visible")
        page.wait_for_function("el => !el.disabled", arg=run.element_handle(), timeout=30_000)
        run.click()
        paragraphs = first.locator("p")
        page.wait_for_function(
            "el => el.querySelectorAll('p').length >= 3",
            arg=first.element_handle(),
            timeout=60_000,
        )
        texts = [t.strip() for t in paragraphs.all_inner_texts() if t.strip()]
        assert len(texts) >= 3 and texts[-1].startswith("See RFC")
        assert first.locator("img").count() >= 1  # the ladder of the scenario
        boxes = [p.bounding_box() for p in paragraphs.all()]
        tops = [b["y"] for b in boxes if b]
        assert tops == sorted(tops) and len(set(tops)) == len(tops)  # stacked, not run together
        _shoot(page, "06-answered-1024x768", ".jp-OutputArea-output p")
        first.locator("img").first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "06-answered-ladder-1024x768.png"))
    finally:
        context.close()


def test_quiz_choices_are_legible_in_jupyterlite(
    browser: Browser,
    lite_site: Site,  # noqa: F811 - the fixture imported above
) -> None:
    """Lesson 06's Lite copy (Pyodide, the site alone), at 1024x768: the same measurement."""
    rel = "notebooks/06-answer-the-interview-questions.ipynb"
    with visit(browser, lite_site, rel) as v:
        v.page.set_viewport_size({"width": 1024, "height": 768})
        report = _run_all(v)
        assert all(not c["errors"] for c in report["cells"])
        v.page.evaluate("() => window.jupyterapp.shell.activateById('filebrowser')")
        v.page.wait_for_timeout(800)
        groups = v.page.evaluate(MEASURE_JS, QUIZ_LABELS)
        shot = _shoot(v.page, "lite-06-1024x768", QUIZ_LABELS)
    assert len(groups) == 12 and all(len(g["labels"]) == 4 for g in groups)
    found = legibility_problems(groups)
    assert not found, f"Lite {rel} at 1024x768 (screenshot {shot}):\n" + "\n".join(found)


# --------------------------------------------------------------------------- the check itself

LONG = [
    "The third segment is needed so that both sides agree on the window size and the maximum "
    "segment size before any data flows, which a SYN alone cannot carry.",
    "Each side's initial sequence number must be acknowledged by the other, and only the "
    "initiator can tell an old duplicate SYN from a new one, so it must confirm it.",
    "Two segments would do on a reliable network; the third exists only for slow links, where "
    "the server's answer may take longer than the client's patience.",
]


def test_the_overlap_check_catches_radio_buttons(browser: Browser, tmp_path: Path) -> None:
    """The measurement flags JupyterLab's RadioButtons with long labels (what the quiz used)
    and passes the quiz widget showing the same kind of choices, in the same notebook."""
    cells = [
        "import ipywidgets as w\nfrom tcpcore import quiz, widgets",
        f"w.VBox([w.RadioButtons(options={LONG!r}, value=None), "
        "w.Button(description='Commit my answer')])",
        'widgets.predict_then_reveal(quiz.get("three-way-handshake"), student="ada")',
    ]
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": s,
            }
            for i, s in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "radio.ipynb").write_text(json.dumps(nb))
    with lab_server(tmp_path) as server:
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        try:
            page = context.new_page()
            _open_and_run(page, server, "radio.ipynb")
            radio = page.evaluate(MEASURE_JS, RADIO_LABELS)
            ours = page.evaluate(MEASURE_JS, QUIZ_LABELS)
            _shoot(page, "harness-radio-1024x768", RADIO_LABELS)
        finally:
            context.close()
    assert len(radio) == 1 and len(radio[0]["labels"]) == 3
    assert legibility_problems(radio), "RadioButtons with long labels should have been flagged"
    assert len(ours) == 1 and len(ours[0]["labels"]) == 4
    assert legibility_problems(ours) == []
