"""The JupyterLite site (``make lite``, tools/lite.py), built and run in a real browser, offline.

The fast tests check the build's pieces: the Lite copy of a lesson, the start page's table, the
lessons table in tools/lite/lessons.json and README.md, the MIME types the local server sends,
the error for a missing npm, and that ``import tcpcore`` needs neither numpy nor matplotlib.

The slow tests build the site with Pyodide's core hosted in it (``--pyodide npm``: the npm
package, plus the pure-Python packages a kernel needs to start, from PyPI), serve it on
127.0.0.1 and open it in headless Chromium with every request that does not go to that server
refused. So they prove the site works with nothing but itself: the kernel starts, piplite installs
tcpcourse and ipywidgets from the site's own index, widgets render. numpy and matplotlib for
Pyodide exist only on Pyodide's CDN (not on npm, not on PyPI): every cell that draws is expected
to fail here with matplotlib missing and nothing else; those cells are verified only where the CDN
is reachable, which this test cannot be. Each lesson is also checked cell by cell in a copy
without its display-setup lines (``%matplotlib inline``, ``%config InlineBackend...``, the
matplotlib ``%pip`` line), so that one missing package does not hide every later cell.

Needs npm, network access to PyPI and the npm registry (for the first build; both are cached in
build/cache/lite), Chromium and Playwright; without them the tests skip here and fail in CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser import HARNESS_JS, _poll, _quiet, _state, chromium, have_chromium, have_playwright
from conftest import ROOT, require

sys.path.insert(0, str(ROOT / "tools"))
import lite  # tools/ is not a package: found through sys.path

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MATPLOTLIB_MISSING = re.compile(r"ModuleNotFoundError'?>?: No module named 'matplotlib'")
# What JupyterLite itself asks its static server for and does not find, on every page: its
# contents manager probes for folder listings (all.json) and the kernel's drive for paths. The
# site cannot hold these; anything else that 404s is a finding.
BENIGN_404 = re.compile(r"/api/(contents/[^?]*all\.json|resolvePath\?|translations/)")
ARTIFACTS = Path(os.environ.get("TCPCOURSE_ARTIFACTS", ROOT / ".artifacts")) / "lite"


# --------------------------------------------------------------------------- fast tests


def _lesson(name: str = "03-close-a-connection-in-four-steps") -> dict[str, Any]:
    notebook: dict[str, Any] = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    return notebook


def test_lite_copy_keeps_the_lesson_and_adds_banner_and_setup() -> None:
    lesson = _lesson()
    copy = lite.lite_copy(lesson)
    kept = [
        c for c in copy["cells"] if c.get("id") not in ("jupyterlite-banner", "jupyterlite-setup")
    ]
    assert kept == lesson["cells"], "the lesson's own cells must reach the site unchanged"
    assert copy["cells"][0] == lesson["cells"][0], "the title stays first"
    banner, setup = copy["cells"][1], copy["cells"][2]
    assert banner["cell_type"] == "markdown" and "start-here.ipynb" in "".join(banner["source"])
    assert setup["cell_type"] == "code"
    pip_lines = [line for line in "".join(setup["source"]).splitlines() if line.startswith("%pip")]
    assert pip_lines == [
        "%pip install -q --no-deps tcpcourse",
        "%pip install -q ipywidgets",
        "%pip install -q matplotlib",
    ]
    assert copy["metadata"]["kernelspec"]["name"] == "python"  # the Pyodide kernel's name
    assert lesson == _lesson(), "lite_copy must not modify its input"


def test_lite_copy_refuses_a_copy_that_already_has_setup_cells() -> None:
    with pytest.raises(lite.LiteError, match="already has JupyterLite setup cells"):
        lite.lite_copy(lite.lite_copy(_lesson()))


def test_every_lesson_is_in_the_lessons_table_the_start_page_and_the_readme() -> None:
    table = lite.read_lessons_table()
    names = [p.stem for p in LESSONS]
    assert sorted(table) == names, "tools/lite/lessons.json must list exactly the lessons"
    page = lite.start_page(names)
    text = "".join("".join(c["source"]) for c in page["cells"] if c["cell_type"] == "markdown")
    for name in names:
        assert f"(notebooks/{name}.ipynb)" in text
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### JupyterLite", 1)[-1].split("\n## ", 1)[0]
    for name in names:
        row = re.search(rf"^\| `{re.escape(name)}` \|(.*)\|$", section, re.M)
        assert row, f"README's JupyterLite table has no row for {name}"
        cells = [c.strip() for c in row.group(1).split("|")]
        assert cells[0] == table[name]["lite"] and cells[1] == table[name]["offline"], (
            f"README's row for {name} disagrees with tools/lite/lessons.json"
        )


def test_start_page_names_what_needs_a_real_kernel() -> None:
    page = lite.start_page([p.stem for p in LESSONS])
    text = "".join("".join(c["source"]) for c in page["cells"])
    for topic in ("nbgrader", "autograder", "tcpdump", "subprocess", "socket", "bubblewrap"):
        assert topic in text, f"the start page does not mention {topic}"


def test_tcpcore_imports_without_numpy_or_matplotlib() -> None:
    # What a fresh Pyodide kernel has: neither package until the setup cell's last line.
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('numpy', 'matplotlib'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import tcpcore, tcpcore.viz, tcpcore.widgets, tcpcore.capturetrace, tcpcore.quiz\n"
        "from tcpcore import run_scenario\n"
        "print(len(run_scenario('handshake').segments()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 0


def test_missing_npm_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    # An empty PATH: no npm, and nothing else is looked up before npm is.
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "lite.py"),
            "build",
            "--pyodide",
            "npm",
            "--cache",
            str(tmp_path / "cache"),
            "--output",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": ""},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("tools/lite.py: error: --pyodide npm needs npm")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "site").exists()


def test_serve_refuses_a_folder_without_a_site(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "lite.py"), "serve", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip() == f"tools/lite.py: error: no site in {tmp_path}: run make lite first"
    )


def test_local_server_sends_the_types_browsers_insist_on(tmp_path: Path) -> None:
    # Browsers refuse to compile WebAssembly streamed as anything but application/wasm, and to
    # load a module worker from a .mjs served as text/plain.
    for name in ("pyodide.asm.wasm", "pyodide.mjs", "all.json", "t-0.1-py3-none-any.whl"):
        (tmp_path / name).write_bytes(b"x")
    with lite.serve(tmp_path) as url:
        types = {}
        for name in ("pyodide.asm.wasm", "pyodide.mjs", "all.json", "t-0.1-py3-none-any.whl"):
            with urllib.request.urlopen(f"{url}/{name}", timeout=5) as response:
                types[name] = response.headers["Content-Type"]
    assert types == {
        "pyodide.asm.wasm": "application/wasm",
        "pyodide.mjs": "text/javascript",
        "all.json": "application/json",
        "t-0.1-py3-none-any.whl": "application/octet-stream",
    }


def test_lock_closure_follows_dependencies_across_name_spellings() -> None:
    packages = {
        "ipython": {"depends": ["traitlets", "Pygments"]},
        "traitlets": {"depends": []},
        "pygments": {"depends": []},
        "numpy": {"depends": []},
    }
    assert lite.lock_closure(packages, ("IPython",)) == ["ipython", "pygments", "traitlets"]


# --------------------------------------------------------------------------- the site


def offline_check_copy(notebook: dict[str, Any]) -> dict[str, Any]:
    """The Lite copy without the lines that only set up figure display (they need matplotlib,
    which this machine cannot load): everything else in the lesson is kept as it is."""
    checked = lite.lite_copy(notebook)
    for cell in checked["cells"]:
        if cell["cell_type"] != "code":
            continue
        lines = [
            line
            for line in "".join(cell["source"]).splitlines()
            if not line.startswith(
                ("%matplotlib", "%config InlineBackend", "%pip install -q matplotlib")
            )
        ]
        cell["source"] = [line + "\n" for line in lines[:-1]] + lines[-1:]
    return checked


def probe_notebook() -> dict[str, Any]:
    """What a lesson might reach for that Pyodide lacks, tried in the browser's kernel."""
    probes = f"""import json, socket, subprocess, threading, urllib.request
from js import location
results = {{}}
def attempt(name, action):
    try:
        results[name] = "ok: " + repr(action())
    except BaseException as exc:
        results[name] = f"{{type(exc).__name__}}: {{exc}}"
attempt("subprocess", lambda: subprocess.run(["true"]).returncode)
def http_over_socket():
    with socket.create_connection(("127.0.0.1", int(location.port)), timeout=2) as sock:
        sock.sendall(b"GET /index.html HTTP/1.0\\r\\n\\r\\n")
        return sock.recv(12)
attempt("socket", http_over_socket)
attempt("urllib", lambda: urllib.request.urlopen(location.href, timeout=2).status)
attempt("thread", lambda: threading.Thread(target=print).start())
attempt("multiprocessing", lambda: __import__("multiprocessing").Pool(1))
attempt("bwrap", lambda: __import__("autograder.sandbox").sandbox.have_bwrap())
attempt("machine_file", lambda: open({str(ROOT / "README.md")!r}).read(20))
attempt("site_file", lambda: len(__import__("tcpcore").read_pcap("client-closes-first.pcap")))
attempt("shell", lambda: get_ipython().getoutput("echo hi"))
attempt("cli", lambda: __import__("tcpcore.cli").cli.main(["scenario", "handshake"]))
print("PROBES " + json.dumps(results))"""
    nbgrader = "%pip install -q nbgrader\nimport nbgrader"
    return {
        "cells": [
            lite._code("setup", lite.START_SETUP_LINES),
            lite._code("probes", probes.splitlines()),
            lite._code("nbgrader", nbgrader.splitlines()),
        ],
        "metadata": {
            "kernelspec": {
                "display_name": "Python (Pyodide)",
                "language": "python",
                "name": "python",
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@dataclass
class Site:
    root: Path
    url: str
    info: dict[str, Any]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require(shutil.which("npm") is not None, "npm (Node.js) is needed to fetch Pyodide's core")
    require(have_playwright(), "playwright (python) is not installed: pip install -e '.[dev]'")
    require(have_chromium(), "chromium is not installed: apt-get install chromium")
    extra: dict[str, dict[str, Any]] = {
        f"offline-check/{p.name}": offline_check_copy(json.loads(p.read_text())) for p in LESSONS
    }
    extra["probe/probe.ipynb"] = probe_notebook()
    out = tmp_path_factory.mktemp("lite") / "site"
    info = lite.build(out, pyodide="npm", for_tests=True, extra_contents=extra, log=False)
    # a capture in the site's files, as a student would upload one
    capture = ROOT / "tcpcore" / "data" / "captures" / "client-closes-first.pcap"
    (out / "files" / "probe" / capture.name).write_bytes(capture.read_bytes())
    _index_file(out, "probe", capture.name)
    print(f"\nsite built in {info['seconds']} s, {info['bytes'] / 1e6:.1f} MB")
    with lite.serve(out) as url:
        yield Site(out, url, info)


def _index_file(site_root: Path, folder: str, name: str) -> None:
    """Add a file to the site's contents index, as ``jupyter lite build`` would have."""
    index_path = site_root / "api" / "contents" / folder / "all.json"
    index = json.loads(index_path.read_text())
    stamp = index["content"][0]["last_modified"] if index["content"] else "2024-01-01T00:00:00Z"
    index["content"].append(
        {
            "content": None,
            "created": stamp,
            "format": None,
            "hash": None,
            "hash_algorithm": None,
            "last_modified": stamp,
            "mimetype": "application/vnd.tcpdump.pcap",
            "name": name,
            "path": f"{folder}/{name}",
            "size": (site_root / "files" / folder / name).stat().st_size,
            "type": "file",
            "writable": True,
        }
    )
    index_path.write_text(json.dumps(index))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@dataclass
class Visit:
    page: Page
    path: str
    left_site: list[str]  # requests refused because they went elsewhere than the site
    missing: list[str]  # 404s that are not JupyterLite's own probing
    console: list[str]
    times: dict[str, float]


@contextlib.contextmanager
def visit(browser: Browser, site: Site, path: str) -> Iterator[Visit]:
    """Open ``path`` in the site's JupyterLab, with every request off the site refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found = Visit(page, path, [], [], [], {})

    def route(r: Any) -> None:
        if r.request.url.startswith(site.url + "/"):
            r.continue_()
        else:
            found.left_site.append(r.request.url)
            r.abort()

    def response(r: Any) -> None:
        if r.status == 404 and not BENIGN_404.search(r.url):
            found.missing.append(r.url)

    context.route("**/*", route)
    page.on("response", response)
    page.on("console", lambda m: found.console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found.console.append(f"uncaught: {e}"))
    page.add_init_script(HARNESS_JS + LITE_JS)
    start = time.monotonic()
    page.goto(f"{site.url}/lab/index.html?path={path}", wait_until="domcontentloaded")
    try:
        assert _poll(page, lambda: _state(page, path).get("status") == "idle", 240), (
            f"{path}: the kernel did not start: {_state(page, path)}; console: {found.console[-5:]}"
        )
        found.times["kernel idle"] = time.monotonic() - start
        yield found
    except BaseException:
        with contextlib.suppress(Exception):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{Path(path).stem}-failed.png"), full_page=True)
        raise
    finally:
        context.close()


# The page side for what the shared harness does not do: run one cell, read a cell's outputs.
LITE_JS = r"""
window.tcpLite = (() => {
  function panel(path) {
    for (const w of window.jupyterapp.shell.widgets('main'))
      if (w.context && w.context.path === path && w.content) return w;
    return null;
  }
  async function runCell(path, index) {
    const app = window.jupyterapp, p = panel(path);
    app.shell.activateById(p.id);
    p.content.activeCellIndex = index;
    p.content.deselectAll();
    return await app.commands.execute('notebook:run-cell');
  }
  function outputs(path, index) {
    const cell = panel(path).content.widgets[index];
    const found = [];
    for (let i = 0; i < cell.model.outputs.length; i++)
      found.push(cell.model.outputs.get(i).toJSON());
    return found;
  }
  function outputText(path, index) {
    return panel(path).content.widgets[index].outputArea.node.innerText;
  }
  function firstExecuted(path) {
    return panel(path).content.widgets.some(c => c.model.type === 'code' && c.model.executionCount);
  }
  function codeIndexes(path) {
    return panel(path).content.widgets.map((c, i) => c.model.type === 'code' ? i : -1)
      .filter(i => i >= 0);
  }
  return {runCell, outputs, outputText, firstExecuted, codeIndexes};
})();
"""


def _text(outputs: list[dict[str, Any]]) -> str:
    return "".join("".join(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")


def _run_all(v: Visit) -> dict[str, Any]:
    v.page.evaluate("p => tcpHarness.runAll(p)", v.path)
    assert _poll(v.page, lambda: _state(v.page, v.path).get("run") is not None, 300)
    assert _quiet(v.page, v.path, timeout=120)
    report: dict[str, Any] = v.page.evaluate("p => tcpHarness.collect(p)", v.path)
    return report


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_start_page_runs_offline_and_its_widget_renders(browser: Browser, site: Site) -> None:
    from tcpcore import run_scenario

    expected = run_scenario("handshake").ladder_text()
    start = time.monotonic()
    with visit(browser, site, lite.START_PAGE) as v:
        v.page.evaluate("p => tcpHarness.runAll(p)", v.path)
        assert _poll(v.page, lambda: v.page.evaluate("p => tcpLite.firstExecuted(p)", v.path), 120)
        v.times["first cell executed"] = time.monotonic() - start
        widget = v.page.locator(".jupyter-widgets select")
        assert _poll(
            v.page,
            lambda: widget.count() > 0 and "SYN-RECEIVED" in v.page.inner_text(".jp-Notebook"),
            180,
        )
        v.times["widget rendered"] = time.monotonic() - start
        assert _quiet(v.page, v.path, timeout=120)
        report = v.page.evaluate("p => tcpHarness.collect(p)", v.path)
        cells = report["cells"]
        assert all(c["execution_count"] for c in cells), "Run All stopped early"
        assert [c["errors"] for c in cells] == [[]] * len(cells)
        assert [c["stderr"] for c in cells] == [[]] * len(cells)
        demo = cells[-1]
        assert demo["widget_views"] == 1 and not demo["widget_errors"]
        printed = v.page.inner_text(".jupyter-widgets .jp-OutputArea-output pre")
        # The browser's Python simulated the same handshake as this one.
        assert printed.strip("\n") == expected.strip("\n")
        # Another scenario from the dropdown: the widget talks to the kernel both ways.
        v.page.select_option(".jupyter-widgets select", "lost-syn")
        lost = run_scenario("lost-syn").ladder_text().strip("\n")
        assert _poll(
            v.page,
            lambda: (
                v.page.inner_text(".jupyter-widgets .jp-OutputArea-output pre").strip("\n") == lost
            ),
            60,
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        v.page.screenshot(path=str(ARTIFACTS / "start-here.png"), full_page=True)
        assert v.left_site == [] and v.missing == []
        print(
            "\nstart page, page load to: " + ", ".join(f"{k} {t:.1f} s" for k, t in v.times.items())
        )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_lesson_copy_runs_until_it_needs_matplotlib(browser: Browser, site: Site) -> None:
    """The real Lite copy of lesson 00, Run All: the setup cell installs the course library from
    the site (its matplotlib line can only reach for the CDN, refused here), the lesson's cells
    run until the first that needs matplotlib, and fail there for that reason alone."""
    path = "notebooks/00-start-here.ipynb"
    with visit(browser, site, path) as v:
        cells = _run_all(v)["cells"]
        ran = [c for c in cells if c["execution_count"]]
        failed = [c for c in ran if c["errors"]]
        assert len(failed) == 1 and MATPLOTLIB_MISSING.search(failed[0]["errors"][0])
        assert "%matplotlib" in failed[0]["source"]
        before = ran[: ran.index(failed[0])]
        assert len(before) >= 3 and "%pip install -q --no-deps tcpcourse" in before[0]["source"]
        assert any("Segment.decode" in c["source"] for c in before)
        cdn = lite.pyodide_cdn(lite.pyodide_version())
        assert v.left_site and all(u.startswith(cdn + "/") for u in v.left_site), v.left_site
        assert v.missing == []


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_lesson_cells_run_offline_except_those_that_draw(
    browser: Browser, site: Site, lesson: str
) -> None:
    """Every cell of the lesson, one at a time (a failed cell does not stop the next): each
    either runs cleanly or fails only because matplotlib is not there, and a cell that names
    neither viz, nor a widget, nor matplotlib must run."""
    path = f"offline-check/{lesson}.ipynb"
    with visit(browser, site, path) as v:
        indexes = v.page.evaluate("p => tcpLite.codeIndexes(p)", path)
        for index in indexes:
            v.page.evaluate("([p, i]) => tcpLite.runCell(p, i)", [path, index])
            assert _quiet(v.page, path, timeout=120)
        cells = v.page.evaluate("p => tcpHarness.collect(p)", path)["cells"]
        verified, drawing, problems = 0, 0, []
        for cell in cells:
            # A tcpcore widget shows an error in its callbacks as a line of text in the app,
            # not as a cell error: read what the cell's output area shows, too.
            shown = v.page.evaluate("([p, i]) => tcpLite.outputText(p, i)", [path, cell["index"]])
            errors = cell["errors"] + re.findall(r"\b\w*(?:Error|Exception): [^\n]*", shown)
            if not cell["execution_count"]:
                problems.append(f"cell {cell['index']} did not run")
            elif errors:
                if not all(MATPLOTLIB_MISSING.search(e) for e in errors):
                    problems.append(f"cell {cell['index']}: {errors}")
                elif not re.search(r"\bviz\b|widgets\.|matplotlib", cell["source"]):
                    problems.append(f"cell {cell['index']} needs matplotlib but names no drawing")
                drawing += 1
            elif cell["stderr"] or cell["widget_errors"]:
                problems.append(f"cell {cell['index']}: {cell['stderr'] + cell['widget_errors']}")
            else:
                verified += 1
        assert problems == [], f"{lesson}: " + "; ".join(problems)
        assert v.left_site == [] and v.missing == []
        widgets = sum(c["widget_views"] for c in cells)
        print(
            f"\n{lesson}: {verified} of {len(cells)} code cells ran offline "
            f"({widgets} widget views); {drawing} need matplotlib"
        )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_what_needs_a_real_kernel_fails_in_lite(browser: Browser, site: Site) -> None:
    """The start page's list of what needs a real kernel, tried in the browser's kernel."""
    path = "probe/probe.ipynb"
    with visit(browser, site, path) as v:
        cells = _run_all(v)["cells"]
        text = _text(
            v.page.evaluate("([p, i]) => tcpLite.outputs(p, i)", [path, cells[1]["index"]])
        )
        found = json.loads(text.split("PROBES ", 1)[1])
        print("\n" + "\n".join(f"{k}: {r[:150]}" for k, r in found.items()))
        # no processes, so no tcpdump, no bubblewrap, no grader fan-out
        assert not found["subprocess"].startswith("ok")
        assert not found["multiprocessing"].startswith("ok")
        assert not found["thread"].startswith("ok")
        assert found["bwrap"] == "ok: False"
        # no sockets, even to the server the page came from
        assert not found["socket"].startswith("ok")
        assert not found["urllib"].startswith("ok")
        # the files of the machine are out of reach; the site's (and uploaded) files are not
        assert found["machine_file"].startswith("FileNotFoundError")
        assert found["site_file"] == f"ok: {len(_shipped_capture())}"
        # there is no shell; the tcpcore command works as a function call
        assert found["shell"] != "ok: ['hi']"
        assert found["cli"] == "ok: 0"
        nbgrader = cells[2]
        assert nbgrader["errors"] and "nbgrader" in nbgrader["errors"][0]
        assert v.missing == []


def _shipped_capture() -> Any:
    from tcpcore import read_pcap
    from tcpcore.capturetrace import shipped_captures

    return read_pcap(shipped_captures()["client-closes-first"])
