"""Sphinx configuration of the course's book (``make site``; ``tools/book.py`` runs it).

The sources are staged by tools/book.py in the repository's layout; myst-nb executes every lesson
with ``TCPCOURSE_STATIC`` set to its path, so its widgets display as pages
(tcpcore.widgets.static), and each lesson page gets its launch links (Binder, JupyterLite) under
its title.
"""

from __future__ import annotations

import os
from typing import Any

from docutils import nodes

from tcpcore.widgets import static

REPO = static.repository()

project = "tcpcourse"
author = "tcpcourse authors"
copyright = "tcpcourse authors (MIT)"
extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["**.ipynb_checkpoints"]

# every lesson is run top to bottom at build time; an error in one fails the build
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
# the widgets display as pages (tcpcore.widgets.static): the pages load no widget manager from a CDN
nb_ipywidgets_js: dict[str, dict[str, str]] = {}
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # lessons go from their title to ### where they mean it

html_theme = "sphinx_book_theme"
html_title = "tcpcourse: how TCP opens and closes connections"
html_baseurl = static.pages_url()
html_static_path = ["static"]
html_css_files = ["book.css"]
html_favicon = "static/favicon.svg"  # without one, the browser's /favicon.ico is a 404
# the theme logs an error on a first visit unless the mode is set
html_context = {"default_mode": "light"}
html_theme_options = {
    "repository_url": f"https://github.com/{REPO}",
    "use_repository_button": True,
    "show_toc_level": 2,
    "home_page_in_toc": False,  # the book's title above the contents links home
}
html_show_sourcelink = False
html_copy_source = False


def _lesson_path(docname: str) -> str | None:
    return f"{docname}.ipynb" if docname.startswith("notebooks/") else None


def _executing(app: Any, docname: str, source: list[str]) -> None:
    """Before myst-nb executes a lesson: its kernel displays widgets statically."""
    path = _lesson_path(docname)
    if path is not None:
        os.environ[static.STATIC_ENV] = path
    else:
        os.environ.pop(static.STATIC_ENV, None)


def _launch_bar(app: Any, doctree: nodes.document) -> None:
    """The launch links, under a lesson's title."""
    path = _lesson_path(app.env.docname)
    if path is None:
        return
    lite = path.startswith("notebooks/")  # Lite holds every lesson and its editions
    links = static.launch_html(path, lite=lite)
    words = static.words("zh-CN" if "/zh-CN/" in path else "en")
    bar = nodes.raw(
        "",
        f'<p class="tcpcourse-launch">{words["bar"]} {links}'
        f'<span class="tcpcourse-launch-note"> {words["bar-note"]}</span></p>',
        format="html",
    )
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        doctree.insert(0, bar)
        return
    title = next(iter(section.findall(nodes.title)))
    section.insert(section.index(title) + 1, bar)


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", _executing)
    app.connect("doctree-read", _launch_bar)
    return {"parallel_read_safe": False}
