"""The JupyterLite site (``make lite``, tools/lite.py), built and run in a real browser, offline.

The fast tests check the build's pieces: the Lite copy of a lesson and its setup cell, the start
page's table, the lessons table in tools/lite/lessons.json and README.md, the MIME types the
local server sends, the errors the command gives, that ``import tcpcore`` and its figures need
neither numpy nor matplotlib, and that no lesson reaches for either.

The slow tests build the site with Pyodide's core hosted in it (``--pyodide npm``: the npm
package, plus the pure-Python packages a kernel needs to start, from PyPI), serve it on
127.0.0.1 and open it in headless Chromium with every request that does not go to that server
refused. Every lesson's real Lite copy is run whole (Run > Run All Cells, as a student would):
every code cell must run with no error and no stderr, every widget must render with no error
line in it, every figure must be on the page (SVG outputs and the widgets' images, as many as
the same lesson makes when run in CPython with tcpcore's SVG backend), the first control of
each widget must change what it shows, with a new figure where it has one, and no request may
leave the site or 404. The start page's widget is checked the same way, and the start page's
list of what needs a real kernel is tried in the browser's kernel.

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
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser import (
    HARNESS_JS,
    ControlProbe,
    _marks,
    _poll,
    _probe,
    _quiet,
    _state,
    have_chromium,
    have_playwright,
)
from conftest import ROOT, require

sys.path.insert(0, str(ROOT / "tools"))
import lite  # tools/ is not a package: found through sys.path

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# A tcpcore widget reports an error in its callbacks as a line of text in the app, not as a cell
# error: what its output area shows is read for these as well.
SHOWN_ERROR = re.compile(r"\b\w*(?:Error|Exception): [^\n]*")
# What JupyterLite itself asks its static server for and does not find, on every page: its
# contents manager probes for folder listings (all.json) and the kernel's drive for paths. The
# site cannot hold these; anything else that 404s is a finding.
BENIGN_404 = re.compile(r"/api/(contents/[^?]*all\.json|resolvePath\?|translations/)")
ARTIFACTS = Path(os.environ.get("TCPCOURSE_ARTIFACTS", ROOT / ".artifacts")) / "lite"


# --------------------------------------------------------------------------- fast tests

LITE_VENV = ROOT / ".venv-lite"


def lite_python() -> Path:
    """The Lite toolchain's Python: its own environment, which ``make test`` creates."""
    python = LITE_VENV / "bin" / "python"
    require(python.exists(), f"{LITE_VENV} is missing: make {LITE_VENV.name}/.stamp creates it")
    return python


def test_the_lab_environment_has_no_lite_extension() -> None:
    """The Pyodide kernel's JupyterLab extension is loaded by every JupyterLab page and fails
    there (its shared module exists only in JupyterLite): it must stay out of this environment,
    which serves the lessons (make lab) and the browser tests."""
    labext = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyterlite"
    found = sorted(p.parent.name for p in labext.glob("*/package.json"))
    assert found == [], f"{labext}: {found}; the Lite toolchain belongs in {LITE_VENV.name}"


def test_an_extra_contents_folder_that_is_not_a_notebook_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.ipynb").write_text("{not json")
    with pytest.raises(lite.LiteError, match=r"bad\.ipynb is not a notebook"):
        lite.read_extra_contents(tmp_path)
    with pytest.raises(lite.LiteError, match="is not a folder"):
        lite.read_extra_contents(tmp_path / "missing")
    (tmp_path / "bad.ipynb").write_text(json.dumps({"cells": []}))
    assert lite.read_extra_contents(tmp_path) == {"bad.ipynb": {"cells": []}}


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
    # The course library and ipywidgets from the site, nothing from Pyodide's CDN: the figures
    # draw with tcpcore's SVG writer.
    assert pip_lines == ["%pip install -q tcpcourse comm ipywidgets"]
    # comm is asked for by name, and the cell says why (Pyodide has no comm of its own).
    assert "comm is named on purpose" in "".join(setup["source"])
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


def test_tcpcore_imports_and_draws_without_numpy_or_matplotlib() -> None:
    # What a Lite kernel has after the setup cell: neither package.
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('numpy', 'matplotlib'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import tcpcore, tcpcore.viz, tcpcore.widgets, tcpcore.capture.annotate, tcpcore.quiz\n"
        "from tcpcore import run_scenario, viz\n"
        "svg = viz.ladder(run_scenario('handshake'))._repr_svg_()\n"
        "print(viz.backend(), len(run_scenario('handshake').segments()), svg.count('<svg'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TCPCORE_DRAW"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 0, result.stderr
    backend, segments, svgs = result.stdout.split()
    assert backend == "svg" and int(segments) > 0 and int(svgs) >= 1


def test_no_lesson_reaches_for_numpy_or_matplotlib() -> None:
    # The Lite setup cell installs neither: a lesson that needed one (a %matplotlib line, an
    # import, the numpy-based columnar reader) would fail in the site.
    pattern = re.compile(r"%matplotlib|%config InlineBackend|\bnumpy\b|matplotlib|columnar")
    for path in LESSONS:
        for k, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "code":
                found = pattern.search("".join(cell["source"]))
                assert not found, f"{path.name}, cell {k}: {found.group()}"


def test_missing_npm_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    # An empty PATH: no npm, and nothing else is looked up before npm is.
    result = subprocess.run(
        [
            str(lite_python()),
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


def test_only_test_and_benchmark_builds_expose_the_app() -> None:
    """The published site keeps window.jupyterapp hidden; --for-tests and --expose-app (the
    benchmark's build, which keeps the published settings) show it."""
    data = "jupyter-config-data"
    assert "exposeAppInBrowser" not in lite.lite_json(False)[data]
    assert lite.lite_json(True)[data]["exposeAppInBrowser"] == "true"
    assert lite.lite_json(False, expose_app=True)[data]["exposeAppInBrowser"] == "true"


def _fake_wheel(folder: Path, name: str, version: str, requires: list[str]) -> str:
    """A wheel holding only its METADATA, as the site's index serves it."""
    filename = f"{name}-{version}-py3-none-any.whl"
    meta = "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(folder / filename, "w") as archive:
        archive.writestr(
            f"{name}-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{meta}\nA description.\n",
        )
    return filename


def _fake_index(site: Path, wheels: dict[str, str], kernel_comm: str = "comm") -> None:
    kernel = site / lite.KERNEL_WHEELS
    kernel.mkdir(parents=True)
    _fake_wheel(kernel, "pyodide_kernel", "0.8.6", [kernel_comm, "ipython"])
    pypi = site / "pypi"
    pypi.mkdir(parents=True, exist_ok=True)
    index = {}
    for name, version in wheels.items():
        requires = ["comm>=0.1.3", "traitlets>=4.3.1"] if name == "ipywidgets" else []
        filename = _fake_wheel(pypi, name, version, requires)
        index[name] = {"releases": {version: [{"filename": filename, "url": f"./{filename}"}]}}
    (pypi / "all.json").write_text(json.dumps(index))


def test_the_site_index_must_serve_a_comm_its_ipywidgets_accepts(tmp_path: Path) -> None:
    """check_site_index refuses a site whose wheel index lacks comm or serves one that its
    ipywidgets or the Pyodide kernel does not accept."""
    _fake_index(tmp_path / "good", {"ipywidgets": "8.1.9", "comm": "0.2.3"})
    assert lite.check_site_index(tmp_path / "good") == {"ipywidgets": "8.1.9", "comm": "0.2.3"}
    _fake_index(tmp_path / "none", {"ipywidgets": "8.1.9", "jupyterlab_widgets": "3.0.17"})
    with pytest.raises(lite.LiteError, match=r"all\.json: the site serves no comm wheel"):
        lite.check_site_index(tmp_path / "none")
    _fake_index(tmp_path / "old", {"ipywidgets": "8.1.9", "comm": "0.1.2"})
    with pytest.raises(
        lite.LiteError, match=r"serves comm 0\.1\.2, but ipywidgets 8\.1\.9 requires comm>=0\.1\.3"
    ):
        lite.check_site_index(tmp_path / "old")
    _fake_index(tmp_path / "kernel", {"ipywidgets": "8.1.9", "comm": "0.2.3"}, "comm>=0.3")
    with pytest.raises(lite.LiteError, match=r"comm 0\.2\.3, but the Pyodide kernel requires"):
        lite.check_site_index(tmp_path / "kernel")
    with pytest.raises(lite.LiteError, match="cannot read the site's wheel index"):
        lite.check_site_index(tmp_path / "missing")


# --------------------------------------------------------------------------- the site


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
    base = tmp_path_factory.mktemp("lite")
    extra = base / "extra" / "probe" / "probe.ipynb"
    extra.parent.mkdir(parents=True)
    extra.write_text(json.dumps(probe_notebook()))
    out, info_file = base / "site", base / "info.json"
    command = [str(lite_python()), str(ROOT / "tools" / "lite.py"), "build", "--pyodide", "npm"]
    command += ["--output", str(out), "--for-tests", "--extra-contents", str(base / "extra")]
    done = subprocess.run([*command, "--info", str(info_file)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    info = json.loads(info_file.read_text())
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


@pytest.mark.slow
def test_the_built_site_serves_comm_because_pyodide_has_none(site: Site) -> None:
    """The built site serves a comm its kernel and ipywidgets accept; Pyodide has none."""
    lock = json.loads((site.root / "static" / "pyodide" / "pyodide-lock.json").read_text())
    assert "comm" not in lock["packages"], "Pyodide now ships comm: SITE_WHEELS may drop it"
    served = lite.check_site_index(site.root)
    assert (site.root / "pypi" / f"comm-{served['comm']}-py3-none-any.whl").is_file()


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


# The page side for what the shared harness does not do: read a cell's outputs as models and as
# shown, count the figures that reached the page, and read the figure a widget view shows.
LITE_JS = r"""
window.tcpLite = (() => {
  function panel(path) {
    for (const w of window.jupyterapp.shell.widgets('main'))
      if (w.context && w.context.path === path && w.content) return w;
    return null;
  }
  function outputs(path, index) {
    const cell = panel(path).content.widgets[index];
    const found = [];
    for (let i = 0; i < cell.model.outputs.length; i++)
      found.push(cell.model.outputs.get(i).toJSON());
    return found;
  }
  function firstExecuted(path) {
    return panel(path).content.widgets.some(c => c.model.type === 'code' && c.model.executionCount);
  }
  // An image that loaded and has a size, shown (not display: none).
  const drawn = i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0 && !!i.offsetParent;
  function shown(path, index) {
    const area = panel(path).content.widgets[index].outputArea.node;
    return {
      text: area.innerText,
      // tcpcore's apps show a callback's error as a red line of text (widgets.base._App._say)
      red: [...area.querySelectorAll('[style*="c62828"]')]
        .map(e => e.textContent.trim()).filter(t => t),
      svg_outputs: [...area.querySelectorAll('.jp-RenderedSVG img')].filter(drawn).length,
      widget_images: [...area.querySelectorAll('.jupyter-widgets img')].filter(drawn).length,
    };
  }
  // The SVG documents a widget view (marked by tcpHarness.markControls) shows, as text.
  async function figureOf(k) {
    const view = document.querySelector(`[data-tcp-view="${k}"]`);
    const images = view ? [...view.querySelectorAll('img')].filter(drawn) : [];
    const texts = await Promise.all(images.map(i => fetch(i.src).then(r => r.text())));
    return texts.join('\n');
  }
  return {outputs, firstExecuted, shown, figureOf};
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


# What each code cell of a lesson shows when the lesson runs in CPython with tcpcore's SVG
# backend (as in Lite): a figure as the cell's value, a tcpcore widget, and whether that widget
# shows a figure once built. The browser run must show the same.
CPYTHON_RUN = r"""
import ast, contextlib, io, json, sys
found = {}
for path in sys.argv[1:]:
    cells = [''.join(c['source']) for c in json.load(open(path))['cells']
             if c['cell_type'] == 'code']
    ns, rows = {'__name__': '__main__'}, []
    for src in cells:
        body, value = ast.parse(src).body, None
        with contextlib.redirect_stdout(io.StringIO()):
            if body and isinstance(body[-1], ast.Expr):
                exec(compile(ast.Module(body[:-1], []), path, 'exec'), ns)
                value = eval(compile(ast.Expression(body[-1].value), path, 'eval'), ns)
            else:
                exec(compile(ast.Module(body, []), path, 'exec'), ns)
        app = getattr(value, '_app', None)
        rows.append({
            'svg': hasattr(value, '_repr_svg_') and not isinstance(value, type),
            'widget': app is not None,
            'images': int(app is not None and bool(app.image.value)
                          and app.image.layout.display != 'none'),
        })
    found[path.rsplit('/', 1)[-1][:-len('.ipynb')]] = rows
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def in_cpython() -> dict[str, list[dict[str, Any]]]:
    env = {**os.environ, "TCPCORE_DRAW": "svg"}
    result = subprocess.run(
        [sys.executable, "-c", CPYTHON_RUN, *map(str, LESSONS)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, list[dict[str, Any]]] = json.loads(result.stdout)
    return found


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_lesson_runs_whole_offline_with_its_figures_and_widgets(
    browser: Browser, site: Site, in_cpython: dict[str, list[dict[str, Any]]], lesson: str
) -> None:
    """The lesson's real Lite copy, Run All, with nothing but the site: every cell runs cleanly,
    every figure and widget is on the page, and every widget answers its first control."""
    path = f"notebooks/{lesson}.ipynb"
    expected = in_cpython[lesson]
    with visit(browser, site, path) as v:
        start = time.monotonic()
        report = _run_all(v)
        v.times["Run All"] = time.monotonic() - start
        cells = report["cells"]
        assert "%pip install -q tcpcourse" in cells[0]["source"]
        lesson_cells = cells[1:]  # after the setup cell: the lesson's own code cells
        assert len(lesson_cells) == len(expected)
        problems: list[str] = []
        svg_outputs = widget_images = 0
        for cell, want in zip(lesson_cells, expected, strict=True):
            where = f"cell {cell['index']}"
            shown = v.page.evaluate("([p, i]) => tcpLite.shown(p, i)", [path, cell["index"]])
            if not cell["execution_count"]:
                problems.append(f"{where} did not run")
            trouble = (
                cell["errors"]
                + cell["stderr"]
                + cell["widget_errors"]
                + shown["red"]
                + SHOWN_ERROR.findall(shown["text"])
            )
            if trouble:
                problems.append(f"{where}: {trouble}")
            if cell["widget_views"] != int(want["widget"]):
                problems.append(
                    f"{where}: {cell['widget_views']} widget views, not {want['widget']}"
                )
            if shown["svg_outputs"] != int(want["svg"]):
                problems.append(f"{where}: {shown['svg_outputs']} SVG figures")
            if shown["widget_images"] != want["images"]:
                problems.append(f"{where}: {shown['widget_images']} widget figures drawn")
            svg_outputs += shown["svg_outputs"]
            widget_images += shown["widget_images"]
        assert cells[0]["execution_count"] and not cells[0]["errors"] and not cells[0]["stderr"]
        assert problems == [], f"{lesson}: " + "; ".join(problems)

        # The first control of every widget, moved once: the widget must show something new,
        # and a widget that shows a figure must show a new figure.
        start = time.monotonic()
        moved: list[str] = []
        for mark in _marks(v.page, path):
            before = v.page.evaluate("k => tcpLite.figureOf(k)", mark["view"])
            probe = _probe(v.page, path, ControlProbe(**mark))
            after = v.page.evaluate("k => tcpLite.figureOf(k)", mark["view"])
            what = f"cell {probe.cell}, {probe.kind} {probe.label!r}"
            if probe.kind is None or probe.error or probe.changed is None:
                problems.append(f"{what}: not moved or nothing changed ({probe.error})")
            elif before and after == before:
                problems.append(f"{what}: the figure did not change")
            elif before and "<svg" not in after:
                problems.append(f"{what}: the figure is gone")
            moved.append(f"{probe.kind}{'+figure' if before else ''}")
        v.times["controls"] = time.monotonic() - start
        after_moves = v.page.evaluate("p => tcpHarness.collect(p)", path)
        for cell in after_moves["cells"]:
            shown = v.page.evaluate("([p, i]) => tcpLite.shown(p, i)", [path, cell["index"]])
            trouble = cell["errors"] + cell["stderr"] + cell["widget_errors"] + shown["red"]
            if trouble:
                problems.append(f"cell {cell['index']} after the controls moved: {trouble}")
        problems += [f"kernel: {m}" for m in after_moves["kernel_messages"]]
        assert problems == [], f"{lesson}: " + "; ".join(problems)
        assert v.left_site == [], f"requests that left the site: {v.left_site}"
        assert v.missing == [], f"not found: {v.missing}"
        widgets = sum(c["widget_views"] for c in lesson_cells)
        print(
            f"\n{lesson}: all {len(cells)} code cells (setup included), {widgets} widgets, "
            f"{svg_outputs + widget_images} figures ({svg_outputs} SVG outputs, "
            f"{widget_images} in widgets); {len(moved)} controls moved "
            f"({sum('+figure' in m for m in moved)} with a new figure); "
            + ", ".join(f"{k} {t:.1f} s" for k, t in v.times.items())
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
    from tcpcore.capture.annotate import shipped_captures

    return read_pcap(shipped_captures()["client-closes-first"])
