"""Every lesson, opened in a real JupyterLab in headless Chromium, as a student would see it.

nbval runs each notebook in a kernel; this opens it in the front end and runs all cells there,
then checks what nbval cannot see: no cell failed or wrote to stderr, every widget rendered, every
figure reached the page, the browser logged no errors, and moving the first control of each widget
changes what the page shows. A screenshot of every notebook is saved under ``.artifacts/browser/``
(or ``$TCPCOURSE_ARTIFACTS``); the path is printed.

Then it checks that a student can read it all (``legibility`` in tests/browser.py), at 1366x900
with the file browser open and at 1024x768: no two texts overlap in any figure, widget or quiz
(boxes from the DOM, SVG text included: figures shown as images are laid out again inline),
nothing lies under a button, no label hides an arrow or a cross, no text is under 10 px, no label
or dropdown is cut short with "…", nothing is wider than its output area; each widget checkbox is
ticked once and the same is checked again. The screenshots of both views are kept beside the
others and named in the failure message.

One JupyterLab server and one Chromium serve the whole module. They need ``chromium`` (apt) and
``playwright`` (the dev extra): without them the tests skip on a laptop and fail in CI.
``test_harness_*`` first proves on two throwaway notebooks, a good one and a broken one, that the
checks pass what works and catch what does not, so a lesson passing here means something.
"""

from __future__ import annotations

import ast
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser import (
    VIEWS,
    NotebookRun,
    lab_server,
    run_notebook,
)
from conftest import ROOT

if TYPE_CHECKING:
    from browser import LabServer
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# The lessons, then their editions in other languages (notebooks/zh-CN/), named by their path.
LESSONS = [
    *sorted((ROOT / "notebooks").glob("*.ipynb")),
    *sorted((ROOT / "notebooks").glob("[!.]*/*.ipynb")),
]
LESSON_IDS = [p.relative_to(ROOT / "notebooks").with_suffix("").as_posix() for p in LESSONS]
ARTIFACTS = Path(os.environ.get("TCPCOURSE_ARTIFACTS", ROOT / ".artifacts")) / "browser"

# Noise that is not a lesson's fault. Every pattern says where it comes from; anything else fails.
BENIGN_KERNEL = [
    # The ipywidgets 8 front end asks every new kernel for the widgets it already holds, on a
    # "jupyter.widget.control" comm; until the lesson imports ipywidgets the kernel refuses the
    # comm, and the front end carries on with nothing to restore. This races with Run All, so it
    # may land in either phase.
    r"(startup|run), answering comm_open, stderr: "
    r"No such comm target registered: jupyter\.widget\.control",
    # ... and the kernel's complaints about the front end's later messages on that refused comm
    # (the harness tags them: it saw the front end open that very comm).
    r"(startup|run), answering \w+ on the widget control comm, stderr: No such comm: [0-9a-f-]+",
]
BENIGN_STDERR = [
    # matplotlib's one-time notice on a machine that never imported it before (a fresh CI runner).
    r"Matplotlib is building the font cache; this may take a moment\.",
]
# JupyterLab 4.6, ipywidgets 8.1 and Chromium 156 log no errors on these pages; add a pattern
# here, with its reason, only for noise that is proven not to come from a lesson.
BENIGN_CONSOLE: list[str] = []


def benign(text: str, patterns: list[str]) -> bool:
    return any(re.fullmatch(p, text.strip(), re.DOTALL) for p in patterns)


# --------------------------------------------------------------------------- expectations

WIDGET_MODULES = ("ipywidgets", "tcpcore.widgets")
FIGURE_MODULES = ("matplotlib", "tcpcore.viz")
# Calls that put something on the page even when they are not a cell's last line.
DISPLAYING = {"display", "interact", "interact_manual", "interactive_output"}


@dataclass
class Expectations:
    """What a notebook's own source promises to show."""

    widget_cells: list[int]  # cells that call into ipywidgets/tcpcore.widgets and display
    widgets: bool  # some cell calls into ipywidgets or tcpcore.widgets
    figures: bool  # some cell calls into matplotlib or tcpcore.viz


def _parse(source: str) -> ast.Module | None:
    # IPython magics and shell escapes are not Python; a cell magic makes the cell opaque.
    if source.lstrip().startswith("%%"):
        return None
    lines = [
        "pass" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")
    ]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _under(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def _bound_names(trees: list[ast.Module], modules: tuple[str, ...]) -> set[str]:
    """The names (dotted where an import binds a dotted path) that lead into ``modules``."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.asname or a.name for a in node.names if _under(a.name, modules)}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    if _under(node.module, modules) or _under(f"{node.module}.{a.name}", modules):
                        names.add(a.asname or a.name)
    return names


def _uses(tree: ast.Module, names: set[str]) -> bool:
    used = [_dotted(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    used += [
        _dotted(d)
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        for d in n.decorator_list
    ]
    return any(u == n or u.startswith(n + ".") for u in used for n in names)


def _displays(tree: ast.Module, source: str) -> bool:
    """Does the cell show something: a last bare expression (not print, not ended with ';'),
    a display()/interact() call, or an @interact-style decorator?"""
    calls = {_dotted(n.func).rsplit(".", 1)[-1] for n in ast.walk(tree) if isinstance(n, ast.Call)}
    decorated = any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.decorator_list
        for n in ast.walk(tree)
    )
    last = tree.body[-1] if tree.body else None
    shown = (
        isinstance(last, ast.Expr)
        and _dotted(last.value) != "print"
        and not source.rstrip().endswith(";")
    )
    return shown or bool(calls & DISPLAYING) or decorated


def expectations(notebook: Path) -> Expectations:
    cells = json.loads(notebook.read_text())["cells"]
    parsed: dict[int, tuple[ast.Module, str]] = {}
    for index, cell in enumerate(cells):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tree = _parse(source) if cell["cell_type"] == "code" else None
        if tree is not None:
            parsed[index] = (tree, source)
    trees = [tree for tree, _ in parsed.values()]
    widget_names = _bound_names(trees, WIDGET_MODULES)
    figure_names = _bound_names(trees, FIGURE_MODULES)
    calls_widgets = {i for i, (tree, _) in parsed.items() if _uses(tree, widget_names)}
    return Expectations(
        widget_cells=sorted(i for i in calls_widgets if _displays(*parsed[i])),
        widgets=bool(calls_widgets),
        figures=any(_uses(tree, figure_names) for tree in trees),
    )


# --------------------------------------------------------------------------- the verdict


def problems(run: NotebookRun, expect: Expectations) -> list[str]:
    """Everything a student would trip over, one line each; empty when the notebook is fine."""
    found: list[str] = []

    def name(index: int) -> str:
        cell = next(c for c in run.cells if c.index == index)
        first = cell.source.strip().split("\n", 1)[0][:50]
        return f"cell {index + 1} ({first!r})"

    if not run.completed:
        found.append("did not finish: the kernel was still busy at the time limit")
    for cell in run.cells:
        if cell.execution_count is None and cell.source.strip():
            found.append(f"{name(cell.index)} never ran (an earlier cell failed?)")
        found += [f"{name(cell.index)} raised {error}" for error in cell.errors]
        found += [
            f"{name(cell.index)} wrote to stderr: {text[:300]}"
            for text in cell.stderr
            if not benign(text, BENIGN_STDERR)
        ]
        found += [f"{name(cell.index)} shows {text!r}" for text in cell.widget_errors]
        if cell.widget_views < cell.widget_outputs and not cell.widget_errors:
            found.append(
                f"{name(cell.index)} displayed {cell.widget_outputs} widgets, "
                f"{cell.widget_views} rendered"
            )
    by_index = {c.index: c for c in run.cells}
    for index in expect.widget_cells:
        if index in by_index and by_index[index].widget_views == 0:
            found.append(f"{name(index)} builds a widget to display, but none rendered")
    if expect.widgets and run.widget_views == 0:
        found.append("the notebook uses widgets, but no widget rendered anywhere")
    if expect.figures and run.figures == 0:
        found.append("the notebook plots, but no figure (img, canvas or svg) reached the page")
    found += [
        f"kernel, outside any cell: {text[:300]}"
        for text in run.kernel_messages
        if not benign(text, BENIGN_KERNEL)
    ]
    found += [
        f"browser console: {text[:300]}"
        for text in run.console_errors
        if not benign(text, BENIGN_CONSOLE)
    ]
    for p in run.probes:
        if p.error:
            found.append(f"could not move the {p.kind} {p.label!r} in {name(p.cell)}: {p.error}")
        elif p.kind and not p.changed:
            found.append(f"moving the {p.kind} {p.label!r} in {name(p.cell)} changed nothing shown")
    return found


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def lab(browser: Browser) -> Iterator[LabServer]:
    with lab_server(ROOT, keep_log=ARTIFACTS / "jupyterlab.log") as server:
        yield server


@pytest.fixture(scope="module")
def timings(request: pytest.FixtureRequest) -> Iterator[dict[str, float]]:
    """Seconds per notebook, printed (not asserted) once the module is done."""
    seconds: dict[str, float] = {}
    start = time.monotonic()
    yield seconds
    if not seconds:
        return
    lines = [f"  {name}: {s:.1f}s" for name, s in seconds.items()]
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(
            f"\nbrowser: {len(seconds)} notebooks in {sum(seconds.values()):.1f}s "
            f"({time.monotonic() - start:.1f}s with server and browser start-up); "
            f"screenshots in {ARTIFACTS}"
        )
        print("\n".join(lines))


def unreadable(run: NotebookRun) -> list[str]:
    """What the legibility check found, one line per problem, each naming its view."""
    return [f"at {view}: {line}" for view, lines in run.legibility.items() for line in lines]


def check(run: NotebookRun, expect: Expectations) -> None:
    print(run.summary())
    found = problems(run, expect) + unreadable(run)
    shots = ", ".join(str(p) for p in [run.screenshot, *run.view_shots.values()] if p)
    assert not found, f"{run.path}, as a student sees it (screenshots: {shots}):\n" + (
        "\n".join(f"  - {p}" for p in found)
    )


# --------------------------------------------------------------------------- the lessons


@pytest.mark.parametrize("notebook", LESSONS, ids=LESSON_IDS)
def test_lesson_runs_in_a_real_browser(
    lab: LabServer, browser: Browser, timings: dict[str, float], notebook: Path
) -> None:
    folder = ARTIFACTS / notebook.parent.relative_to(ROOT / "notebooks")  # an edition's own
    run = run_notebook(browser, lab, notebook.relative_to(ROOT), folder, views=VIEWS)
    timings[run.path] = sum(run.seconds.values())
    check(run, expectations(notebook))


# --------------------------------------------------------------------------- the harness itself


def _notebook(path: Path, *cells: str) -> Path:
    path.write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "id": f"c{i}",
                        "metadata": {},
                        "outputs": [],
                        "source": source,
                    }
                    for i, source in enumerate(cells)
                ],
                "metadata": {
                    "kernelspec": {
                        "display_name": "Python 3",
                        "language": "python",
                        "name": "python3",
                    }
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    return path


GOOD = (
    "import ipywidgets as widgets\nimport matplotlib.pyplot as plt\n"
    "from IPython.display import display",
    # a slider driving an HTML readout
    "n = widgets.IntSlider(value=3, max=10, description='n')\nsquare = widgets.HTML()\n"
    "def show(change=None):\n    square.value = f'<b>n squared is {n.value ** 2}</b>'\n"
    "n.observe(show, 'value')\nshow()\nwidgets.VBox([n, square])",
    # a plain figure
    "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot([0, 1, 2], [0, 1, 4])\nplt.show()",
    # a dropdown redrawing a figure inside an Output widget
    "pick = widgets.Dropdown(options=['SYN', 'FIN', 'RST'])\nplot = widgets.Output()\n"
    "def draw(change=None):\n    with plot:\n        plot.clear_output(wait=True)\n"
    "        fig, ax = plt.subplots(figsize=(2, 2))\n        ax.set_title(pick.value)\n"
    "        plt.show()\n"
    "pick.observe(draw, 'value')\ndraw()\nwidgets.VBox([pick, plot])",
    # a button writing to an Output displayed beside it
    "go = widgets.Button(description='send SYN')\nlog = widgets.Output()\n"
    "go.on_click(lambda _: log.append_stdout('SYN sent\\n'))\ndisplay(go, log)",
    # toggle buttons (their view lacks the jupyter-widgets class) inside a box with a readout
    "who = widgets.ToggleButtons(options=['client', 'server'])\nsays = widgets.HTML()\n"
    "who.observe(lambda _: setattr(says, 'value', f'{who.value} closes first'), 'value')\n"
    "widgets.VBox([who, says])",
)
BROKEN = (
    "import sys\nimport ipywidgets as widgets\nfrom IPython.display import HTML, display\n"
    "print('careful', file=sys.stderr)",
    # a button whose callback raises: nothing on the page changes, the kernel reports the error
    "boom = widgets.Button(description='explode')\n"
    "def explode(_):\n    raise RuntimeError('callback exploded')\n"
    "boom.on_click(explode)\nboom",
    # a view of a model the kernel never made
    "display({'application/vnd.jupyter.widget-view+json': "
    "{'model_id': 'f' * 32, 'version_major': 2, 'version_minor': 0}}, raw=True)",
    # JavaScript that logs an error in the page
    "HTML('<img src=\"data:,\" onerror=\"console.error(\\'canary console error\\')\">')",
    # a cell that builds a widget and ends on an expression, but shows text instead of the widget
    "label = widgets.Label('SYN-SENT')\nlabel.value",
    "raise ValueError('cell exploded')",
    "print('never reached')",
)


def test_harness_passes_a_working_notebook_and_catches_a_broken_one(
    browser: Browser, tmp_path: Path
) -> None:
    good = _notebook(tmp_path / "good.ipynb", *GOOD)
    broken = _notebook(tmp_path / "broken.ipynb", *BROKEN)
    with lab_server(tmp_path) as server:
        good_run = run_notebook(browser, server, good.name, tmp_path / "shots", views=VIEWS)
        broken_run = run_notebook(browser, server, broken.name, tmp_path / "shots")
    print(good_run.summary())
    print(broken_run.summary())

    check(good_run, expectations(good))
    assert expectations(good) == Expectations(widget_cells=[1, 3, 4, 5], widgets=True, figures=True)
    assert [(p.kind, p.changed) for p in good_run.probes] == [
        ("slider", "cell"),
        ("select", "cell"),
        ("button", "cell"),
        (None, None),  # the Output beside the button has no control of its own
        ("button", "cell"),
    ]
    assert good_run.figures >= 2 and good_run.screenshot and good_run.screenshot.stat().st_size
    assert set(good_run.legibility) == {v.name for v in VIEWS}
    assert all(p.stat().st_size for p in good_run.view_shots.values())

    found = "\n".join(problems(broken_run, expectations(broken)))
    wanted: list[Any] = [
        "cell 1 ('import sys') wrote to stderr: careful",
        "kernel, outside any cell: run, answering comm_msg: RuntimeError: callback exploded",
        "moving the button 'explode' in cell 2 (\"boom = widgets.Button(description='explode')\")"
        " changed nothing shown",
        'cell 3 ("display({\'application/vnd.jupyter.widget-view+json") shows '
        "'Error displaying widget: model not found'",
        "browser console: canary console error",
        "cell 5 (\"label = widgets.Label('SYN-SENT')\") builds a widget to display, but none",
        "cell 6 (\"raise ValueError('cell exploded')\") raised ValueError: cell exploded",
        "cell 7 (\"print('never reached')\") never ran",
    ]
    missing = [w for w in wanted if w not in found]
    assert not missing, f"the harness missed {missing} in:\n{found}"


# --------------------------------------------------------------------------- the legibility check

_SVG = (
    'SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
    'viewBox="0 0 {w} {h}">{body}</svg>\')'
)
LONG = "a choice long enough to need two lines at any width a notebook gives it, " * 2
ILLEGIBLE = (
    "import ipywidgets as widgets\nfrom IPython.display import SVG, display",
    # 1: long RadioButtons choices (a quiz before issue 13's fix) above a commit button
    f"widgets.VBox([widgets.RadioButtons(options=[{LONG!r} + 'one', {LONG!r} + 'two'],"
    " value=None), widgets.Button(description='Commit my answer')])",
    # 2: a figure wider than any output area
    _SVG.format(w=1400, h=40, body='<text x="10" y="25" font-size="14">wide</text>'),
    # 3: text under 10 px, and two labels on top of each other
    _SVG.format(
        w=300,
        h=60,
        body='<text x="10" y="15" font-size="7">tiny</text>'
        '<text x="10" y="45" font-size="12">SYN seq=100</text>'
        '<text x="14" y="48" font-size="12">ACK seq=301</text>',
    ),
    # 4: a description cut short with "…"
    "widgets.IntText(description='a description far longer than its eighty pixels')",
    # 5: an arrow its label hides, and a cross under a label (ids as matplotlib writes gids)
    _SVG.format(
        w=300,
        h=60,
        body='<g id="arrow:0"><path d="M10 30 L110 30" stroke="black"/></g>'
        '<g id="label:0"><rect x="5" y="22" width="140" height="16" '
        'fill="white"/><text x="8" y="34" font-size="12">ACK seq=1 ack=1</text></g>'
        '<g id="cross:0"><path d="M90 24 L102 36 M102 24 L90 36" stroke="red"/></g>',
    ),
    # 6: a hex dump running into the bit rows beside it (two HTML widgets, no room between)
    "widgets.HBox([widgets.HTML('<pre>' + '0a ' * 30 + '</pre>'),"
    " widgets.HTML('<pre>01010</pre>')])",
    # 7: a dropdown narrower than the option it shows
    "widgets.Dropdown(options=['127.0.0.1:40001 ⇄ 127.0.0.1:5001, and then some more words'],"
    " layout=widgets.Layout(width='200px'))",
    # 8: the same overlap, marked as a deliberate overlay: not a problem
    _SVG.format(
        w=300,
        h=40,
        body='<g data-tcp-overlay="1"><text x="10" y="25" font-size="12">under</text>'
        '<text x="12" y="27" font-size="12">over</text></g>',
    ),
)


def test_legibility_check_catches_what_a_student_could_not_read(
    browser: Browser, tmp_path: Path
) -> None:
    """Each kind of unreadable output fails the check, in both views; a marked overlay does not."""
    bad = _notebook(tmp_path / "illegible.ipynb", *ILLEGIBLE)
    with lab_server(tmp_path) as server:
        run = run_notebook(
            browser, server, bad.name, tmp_path / "shots", views=VIEWS, move_controls=False
        )
    assert run.completed
    for view in VIEWS:
        found = "\n".join(run.legibility[view.name])
        print(f"{view.name}:\n{found}")
        wanted = [
            ("cell 2: text", "overlaps"),  # the radio choices on top of each other
            ("cell 2: text", 'lies under the button "Commit my answer"'),
            ("cell 3: a figure is 1400 px wide", "past the output area"),
            ("cell 4, figure: 1 text(s) under 10 px", '"tiny"'),
            ('cell 4: text "SYN seq=100" overlaps "ACK seq=301"', ""),
            ('cell 5: "a description far longer', 'is cut short with "…"'),
            ("cell 6, figure: arrow 0 is hidden under labels", ""),
            ('cell 6, figure: the label "ACK seq=1 ack=1" covers cross:0', ""),
            ('cell 7: text "0a 0a', 'runs into "01010"'),
            ("cell 8: the dropdown shows", "cut short"),
        ]
        missing = [w for w in wanted if not any(w[0] in f and w[1] in f for f in found.split("\n"))]
        assert not missing, f"{view.name}: the check missed {missing} in:\n{found}"
        assert "cell 9" not in found, found  # the overlay
        assert run.view_shots[view.name].stat().st_size
