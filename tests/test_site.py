"""The course's book (``make site``, tools/book.py, tcpcore.widgets.static): built once, read in
Chromium.

The unit tests drive :mod:`tcpcore.widgets.static` directly: off by default (a live widget), on
under ``TCPCOURSE_STATIC`` (a figure, or a quiz with its answer folded), links from one setting. The
build test builds the book from this checkout with ``.venv-site`` for a fork's repository (so
the launch links must follow the setting, not the default), serves it over HTTP and opens every
page in Chromium: no console error, every internal link and image resolves, each lesson page
shows as many SVG figures as its executed notebook holds, and the ``<details>`` answers are folded.
"""

from __future__ import annotations

import base64
import functools
import html
import http.server
import importlib.util
import json
import re
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import require

from tcpcore import quiz, viz, widgets
from tcpcore.widgets import predict, static

ROOT = Path(__file__).resolve().parent.parent
SITE_VENV = ROOT / ".venv-site"
FORK = "Some-Fork/tcp-course.fork"  # not the default: the links must come from the setting
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
GUIDES = [
    "notebooks/zh-CN/06-answer-the-interview-questions",
    "docs/glossary",
    "docs/instructor-guide",
    "docs/conformance",
    "docs/linux-oracle",
]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


# --- tcpcore.widgets.static, without a build ---


def _texts(svg: str) -> list[str]:
    """The text of an SVG figure (matplotlib's and tcpcore.viz.svg's both keep text as <text>)."""
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_live_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without TCPCOURSE_STATIC an app displays as a live widget, as in JupyterLab."""
    monkeypatch.delenv(static.STATIC_ENV, raising=False)
    bundle = widgets.handshake_stepper()._repr_mimebundle_()
    assert WIDGET_MIME in bundle
    assert "text/html" not in bundle


def test_drawing_app_shows_its_first_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under TCPCOURSE_STATIC a drawing app is its first figure (SVG) and links to the lesson."""
    monkeypatch.setenv(static.STATIC_ENV, "notebooks/02-walk-the-three-way-handshake.ipynb")
    monkeypatch.delenv(static.REPO_ENV, raising=False)
    app = widgets.handshake_stepper()
    bundle = app._repr_mimebundle_()
    assert WIDGET_MIME not in bundle
    page = bundle["text/html"]
    data = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(data) == 1 and app.renders == 1  # the figure drawn when the app was made
    shown = base64.b64decode(data[0]).decode()
    assert "<svg" in shown
    assert _texts(shown) == _texts(viz.to_svg(app.figure).decode())
    assert _texts(shown).count("CLOSED") == 2  # step 0: both sides before the first segment
    assert (
        'href="https://mybinder.org/v2/gh/tcpcourse/tcpcourse/HEAD?urlpath=lab%2Ftree%2F'
        'notebooks%2F02-walk-the-three-way-handshake.ipynb"' in page
    )
    assert (
        'href="https://tcpcourse.github.io/tcpcourse/lite/lab/index.html?path='
        'notebooks/02-walk-the-three-way-handshake.ipynb"' in page
    )


def test_quiz_shows_question_choices_and_a_folded_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A quiz in the book: its prompt, every choice, and the answer only inside <details>."""
    monkeypatch.setenv(static.STATIC_ENV, "notebooks/04-master-the-closing-states.ipynb")
    q = quiz.get("fin-wait-1")
    app = widgets.predict_then_reveal(q, student="book")
    page = app._repr_mimebundle_()["text/html"]
    assert q.choices is not None
    before, details = page.split("<details>", 1)
    for letter, choice in zip("ABCDEFGH", app.choices, strict=False):
        assert f"<b>{letter}.</b> {predict._inline(choice)}" in before
    assert "Answer" in details.split("</summary>")[0]
    answer = details.split("</summary>", 1)[1]
    letter = "ABCDEFGH"[app.choices.index(q.correct)]
    assert answer.startswith(f"<p><b>{letter}. ")
    first_words = predict._inline(q.paragraphs()[0])[:40]
    assert first_words in answer
    assert first_words not in before


def test_a_chinese_quiz_is_framed_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    """In the Chinese edition the static quiz's note, its fold and its launch note are Chinese,
    and the English edition's words appear nowhere in it."""
    path = "notebooks/zh-CN/06-answer-the-interview-questions.ipynb"
    monkeypatch.setenv(static.STATIC_ENV, path)
    quiz.set_language("zh-CN")
    try:
        q = quiz.get("syn-in-time-wait")
        page = widgets.predict_then_reveal(q, student="book")._repr_mimebundle_()["text/html"]
        drawn = widgets.handshake_stepper()._repr_mimebundle_()["text/html"]
    finally:
        quiz.set_language(None)
    assert q.language == "zh-CN"
    assert "<summary>答案</summary>" in page
    assert static.WORDS["zh-CN"]["commit"] in page
    assert static.WORDS["zh-CN"]["first"] + static.WORDS["zh-CN"]["live"] in drawn
    for english in static.WORDS["en"].values():
        if "{" not in english:
            assert english not in page + drawn, english
    assert static.binder_url(path) in html.unescape(page)


def test_launch_links_follow_the_repository_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Binder and Lite links are derived from owner/name alone: a fork gets its own."""
    path = "notebooks/05-time-wait-and-keepalive.ipynb"
    assert static.binder_url(path, "tcpcourse/tcpcourse") == (
        "https://mybinder.org/v2/gh/tcpcourse/tcpcourse/HEAD"
        "?urlpath=lab%2Ftree%2Fnotebooks%2F05-time-wait-and-keepalive.ipynb"
    )
    assert static.lite_url(path, "tcpcourse/tcpcourse") == (
        "https://tcpcourse.github.io/tcpcourse/lite/lab/index.html"
        "?path=notebooks/05-time-wait-and-keepalive.ipynb"
    )
    monkeypatch.setenv(static.REPO_ENV, FORK)
    assert static.repository() == FORK
    assert static.pages_url() == "https://some-fork.github.io/tcp-course.fork/"
    assert static.binder_url(path).startswith(f"https://mybinder.org/v2/gh/{FORK}/HEAD?")


@pytest.mark.parametrize("bad", ["tcpcourse", "a/b/c", "-x/y", "own er/name", "x/"])
def test_a_bad_repository_setting_is_named(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    """A TCPCOURSE_REPO that is not owner/name is a one-line error naming it and the variable."""
    monkeypatch.setenv(static.REPO_ENV, bad)
    with pytest.raises(
        ValueError, match=rf"owner/name, not '{re.escape(bad)}' \(from TCPCOURSE_REPO\)"
    ):
        static.repository()


def test_make_site_names_a_bad_repository() -> None:
    """make site's tool refuses a bad --repo in one line, exit status 2, before building."""
    python = SITE_VENV / "bin" / "python"
    require(python.exists(), f"{SITE_VENV} is missing: make .venv-site/.stamp creates it")
    done = subprocess.run(
        [str(python), str(ROOT / "tools" / "book.py"), "build", "--repo", "not a repo"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr == "make site: the repository must be a GitHub owner/name, not 'not a repo'\n"
    )


def _book_tool() -> Any:
    """tools/book.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("book_tool", ROOT / "tools" / "book.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_links_that_leave_the_book_go_to_github() -> None:
    """A lesson's link to a file outside the book opens it on the repository's GitHub."""
    tool = _book_tool()
    text = (
        "[a](../assignments/header/decode-the-header.ipynb) [b](02-walk-the-three-way-handshake"
        '.ipynb#why) [c](../assignments) [d](https://example.org/x) <a href="../course/README.md">'
    )
    in_book = {"notebooks/02-walk-the-three-way-handshake.ipynb"}
    got = tool._rewrite(text, "notebooks/01-read-the-tcp-header.ipynb", in_book, FORK)
    hub = f"https://github.com/{FORK}"
    assert got == (
        f"[a]({hub}/blob/HEAD/assignments/header/decode-the-header.ipynb) "
        "[b](02-walk-the-three-way-handshake.ipynb#why) "
        f"[c]({hub}/tree/HEAD/assignments) [d](https://example.org/x) "
        f'<a href="{hub}/blob/HEAD/course/README.md">'
    )


def test_stage_copies_every_lesson_and_guide_into_the_contents(tmp_path: Path) -> None:
    """Staging copies every lesson and guide, each listed in the book's contents."""
    tool = _book_tool()
    tool.stage(tmp_path / "src", FORK)
    index = (tmp_path / "src" / "index.md").read_text(encoding="utf-8")
    for page in GUIDES:
        assert f"{page}\n" in index, page
        assert list((tmp_path / "src").glob(page + ".*")), page
    for lesson in LESSONS:
        assert f"notebooks/{lesson.removesuffix('.ipynb')}\n" in index
        staged = (tmp_path / "src" / "notebooks" / lesson).read_text(encoding="utf-8")
        assert "](../assignments/" not in staged


# --- the book, built and opened in Chromium ---


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # Chromium closing a connection early is no error of the book


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The book built from this checkout for a fork's repository (tools/book.py in .venv-site)."""
    python = SITE_VENV / "bin" / "python"
    require(python.exists(), f"{SITE_VENV} is missing: make .venv-site/.stamp creates it")
    base = tmp_path_factory.mktemp("book")
    out, work = base / "site", base / "work"
    cmd = [str(python), str(ROOT / "tools" / "book.py"), "build", "--repo", FORK]
    done = subprocess.run(
        [*cmd, "--output", str(out), "--work", str(work)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"site: .* \(\d+\.\d MB, \d+ files\) built in \d+ s", done.stdout)
    return {"site": out, "work": work}


@pytest.fixture(scope="module")
def served(book: dict[str, Path]) -> Iterator[str]:
    """The built book over HTTP on a free port."""
    handler = functools.partial(_Quiet, directory=str(book["site"]))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _pages(site: Path) -> list[str]:
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).as_posix().startswith("_")
    )


def test_every_lesson_and_guide_has_a_page(book: dict[str, Path]) -> None:
    """All lessons, the Chinese edition of lesson 06, the glossary and the guides have a page."""
    pages = set(_pages(book["site"]))
    wanted = {f"notebooks/{n.removesuffix('.ipynb')}.html" for n in LESSONS}
    wanted |= {"index.html"} | {f"{p}.html" for p in GUIDES}
    assert len(LESSONS) == 10
    assert wanted <= pages, sorted(wanted - pages)


def _internal(url: str, page: str, root: str) -> str | None:
    """``url`` (found on ``page``) made absolute, without its fragment, if it is in the book."""
    absolute = urllib.parse.urljoin(page, url).split("#", 1)[0]
    return absolute if absolute.startswith(root) else None


def test_every_page_loads_clean_and_every_link_resolves(
    book: dict[str, Path], served: str, browser: Any
) -> None:
    """Each page: no console error, no failed request; its internal links and images answer 200."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else 0)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else 0)
    targets: set[str] = set()
    for name in _pages(book["site"]):
        page.goto(served + name, wait_until="load")
        page.wait_for_load_state("networkidle")
        urls = page.eval_on_selector_all(
            "a[href], img[src], link[href], script[src]",
            "els => els.map(e => e.getAttribute('href') ?? e.getAttribute('src'))",
        )
        for url in urls:
            if url.startswith("data:"):
                continue
            internal = _internal(url, served + name, served)
            if internal is not None:
                targets.add(internal)
        for p in problems:
            pytest.fail(f"{name}: {p}")
    context.close()
    broken = []
    for url in sorted(targets):
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                assert answer.status == 200
        except urllib.error.HTTPError as exc:
            broken.append(f"{exc.code} {url}")
    assert broken == []
    # what was checked covers the book: every figure file and every page is reached by a link
    site = book["site"]
    files = {served + p.relative_to(site).as_posix() for p in (site / "_images").iterdir()}
    files |= {
        served + name for name in _pages(site) if name not in ("genindex.html", "search.html")
    }
    assert files - targets == set()


def _svg_outputs(notebook: Path) -> tuple[int, int]:
    """SVG figures among an executed notebook's outputs, and outputs left as live widgets."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    figures = widgets_left = 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            widgets_left += WIDGET_MIME in data
            if "image/svg+xml" in data:
                figures += 1
            else:
                html = "".join(data.get("text/html", ""))
                figures += html.count('src="data:image/svg+xml')
    return figures, widgets_left


@pytest.mark.parametrize("lesson", [*LESSONS, "zh-CN/06-answer-the-interview-questions.ipynb"])
def test_lesson_page_shows_its_figures_and_launch_links(
    book: dict[str, Path], served: str, browser: Any, lesson: str
) -> None:
    """A lesson page: as many SVG figures as its executed notebook, the fork's launch links, and
    every <details> answer folded."""
    executed = book["work"] / "jupyter_execute" / "notebooks" / lesson
    expected, left_live = _svg_outputs(executed)
    assert left_live == 0, f"{lesson}: {left_live} widgets were not displayed statically"
    stem = lesson.removesuffix(".ipynb")
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{served}notebooks/{stem}.html", wait_until="load")
    shown = page.eval_on_selector_all(
        "article .cell_output img",
        """els => els.filter(e => /\\.svg$|^data:image\\/svg\\+xml/.test(e.getAttribute('src'))
                          && e.complete && e.naturalWidth > 0).length""",
    )
    assert shown == expected
    if stem not in ("00-start-here", "09-drive-your-own-kernel"):
        assert expected > 0, f"{lesson} draws no figure"
    binder = page.get_attribute("p.tcpcourse-launch a.tcpcourse-launch-binder", "href")
    lite = page.get_attribute("p.tcpcourse-launch a.tcpcourse-launch-lite", "href")
    assert binder == (
        f"https://mybinder.org/v2/gh/{FORK}/HEAD?urlpath=lab%2Ftree%2Fnotebooks%2F"
        + stem.replace("/", "%2F")
        + ".ipynb"
    )
    assert lite == (
        f"https://some-fork.github.io/tcp-course.fork/lite/lab/index.html?path=notebooks/{lesson}"
    )
    folded = page.eval_on_selector_all("details", "els => els.map(e => e.open)")
    assert folded and not any(folded)
    page.close()
