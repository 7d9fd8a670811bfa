"""What a widget shows where no kernel answers it: the course's book (``make site``).

The book is built from the executed lessons, but a web page cannot run the apps of
:mod:`tcpcore.widgets`. When the build sets ``TCPCOURSE_STATIC`` (to the lesson's path in the
repository, ``notebooks/02-walk-the-three-way-handshake.ipynb``), an app displays as HTML instead
of a live widget:

- a drawing app: the figure it draws in its first state (SVG), with a note and links that open
  the lesson live in Binder and in JupyterLite;
- a quiz (:func:`tcpcore.widgets.predict_then_reveal`): the question, its choices and the answer
  with its explanation folded in a ``<details>`` block, as the lessons fold theirs.

Each app makes its own page (its ``static_html()``); this module holds what the pages share:
the setting, the words in the quiz's language, the figure and the note with the launch links.

The links are derived from one setting, ``TCPCOURSE_REPO`` (the GitHub ``owner/name``, default
``tcpcourse/tcpcourse``), so a fork's book points at the fork. Unset, nothing changes: a notebook
shows live widgets. ``tools/book.py`` sets both variables; nothing else should.
"""

from __future__ import annotations

import base64
import html
import os
import re
from typing import Any
from urllib.parse import quote

STATIC_ENV = "TCPCOURSE_STATIC"
REPO_ENV = "TCPCOURSE_REPO"
DEFAULT_REPO = "tcpcourse/tcpcourse"

# The book's own words around a static app, in the language the lesson shows its quizzes in
# (tcpcore.quiz.language(); a Chinese edition sets zh-CN in its first cell).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "live": "In the notebook it is a live widget",
        "open": "open this lesson in",
        "commit": "Commit to your answer before you open it.",
        "answer": "Answer",
        "first": "This is what the widget draws first.",
        "nothing": "This widget draws nothing until it is used.",
        "bar": "Run this lesson live:",
        "bar-note": "(the widgets below are pictures of their first state; there they answer)",
    },
    "zh-CN": {
        "live": "在 notebook 里这是一个可以操作的控件",
        "open": "可以在这里打开本课",
        "commit": "先想好自己的答案，再展开看。",
        "answer": "答案",
        "first": "这是控件最初画出的图。",
        "nothing": "这个控件要操作之后才会画图。",
        "bar": "在线运行本课：",
        "bar-note": "（下面的控件只是初始状态的截图；在那里才能真正操作）",
    },
}


def words(language: str | None = None) -> dict[str, str]:
    """The book's words in ``language`` (default: the quizzes' current language)."""
    if language is None:
        from ..quiz import language as current

        language = current()
    return WORDS.get(language, WORDS["en"])


_REPO_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+")


def lesson() -> str | None:
    """The lesson being built into the book (its path in the repository), or None: live."""
    value = os.environ.get(STATIC_ENV, "").strip()
    return value or None


def enabled() -> bool:
    """Whether apps display statically (the book build), not as live widgets."""
    return lesson() is not None


def repository(value: str | None = None) -> str:
    """The GitHub ``owner/name`` the launch links point at: ``value``, else ``TCPCOURSE_REPO``,
    else ``tcpcourse/tcpcourse``. Anything else than ``owner/name`` is a ValueError naming it."""
    repo = value if value is not None else os.environ.get(REPO_ENV, "").strip() or DEFAULT_REPO
    if not _REPO_RE.fullmatch(repo) or repo.endswith((".", "/")):
        where = "" if value is not None else f" (from {REPO_ENV})"
        raise ValueError(f"the repository must be a GitHub owner/name, not {repo!r}{where}")
    return repo


def pages_url(repo: str | None = None) -> str:
    """Where GitHub Pages publishes the repository's site (the book; Lite under ``lite/``)."""
    owner, name = repository(repo).split("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def binder_url(path: str, repo: str | None = None) -> str:
    """Binder opening ``path`` (a file in the repository) in JupyterLab."""
    return f"https://mybinder.org/v2/gh/{repository(repo)}/HEAD?urlpath=" + quote(
        f"lab/tree/{path}", safe=""
    )


def lite_url(path: str, repo: str | None = None) -> str:
    """The published JupyterLite site opening its copy of ``path`` (``notebooks/NN-....ipynb``)."""
    return f"{pages_url(repo)}lite/lab/index.html?path={quote(path, safe='/')}"


def launch_html(path: str, repo: str | None = None, *, lite: bool = True) -> str:
    """The launch links of a lesson, as HTML (the book's buttons and the widgets' notes)."""
    links = [
        f'<a class="tcpcourse-launch-binder" href="{html.escape(binder_url(path, repo))}">'
        "Binder</a>"
    ]
    if lite:
        links.append(
            f'<a class="tcpcourse-launch-lite" href="{html.escape(lite_url(path, repo))}">'
            "JupyterLite</a>"
        )
    return " · ".join(links)


def _figure_html(figure: Any) -> str:
    from .. import viz

    data = base64.b64encode(viz.to_svg(figure)).decode("ascii")
    return (
        f'<img class="tcpcourse-figure" alt="the figure the widget draws first" '
        f'style="max-width:100%;height:auto" src="data:image/svg+xml;base64,{data}">'
    )


def note(what: str, language: str | None = None) -> str:
    """The line under an app on a page: what it shows, and the links that open it live."""
    w = words(language)
    path = lesson()
    chinese = w is WORDS["zh-CN"]
    where = ""
    if path is not None:
        where = f"{'：' if chinese else ': '}{w['open']} {launch_html(path)}"
    end, gap = ("。", "") if chinese else (".", " ")  # Chinese sets no space after a full stop
    return (
        '<p class="tcpcourse-static-note" style="font-size:0.9em;color:#455a64">'
        f"{what}{gap}{w['live']}{where}{end}</p>"
    )


def figure_page(figure: Any) -> str:
    """A drawing app as a page: the figure it drew first (if any) and a note."""
    body = _figure_html(figure) if figure is not None else ""
    w = words()
    what = w["first"] if figure is not None else w["nothing"]
    return f'<div class="tcpcourse-static">{body}{note(what)}</div>'


def bundle(app: Any) -> dict[str, str]:
    """The display data of an app in the book (``text/html``: the page its ``static_html()``
    gives, and a line of plain text)."""
    return {
        "text/html": app.static_html(),
        "text/plain": f"<{type(app).__name__}: a live widget in the notebook>",
    }
