"""Benchmark: the course's JupyterLite site against a bare JupyterLite site, in one browser run.

What a student waits for in the Lite course is Pyodide's own boot, then the setup cell (piplite
installs tcpcourse and ipywidgets from the site), then the first figure. A bare JupyterLite site
built with the same toolchain (``.venv-lite``: the same jupyterlite-core, the same Pyodide
kernel and Pyodide release, the same settings, only the Pyodide kernel extension) running
``1+1`` is the floor: the ratio course/bare is what the course adds on top of JupyterLite itself.

Both sites are built into a temporary folder, served on 127.0.0.1 (each on its own port, so they
share no cache) and opened in one headless Chromium (``/usr/bin/chromium``, never Playwright's
download):

- cold: a fresh browser context (empty cache, no service worker, empty IndexedDB) opens the
  notebook; timed from navigation start (the page's ``performance.now()``) to the first output
  of the first cell that shows something: lesson 02's first ladder (after its setup cell and its
  imports) in the course, ``1+1`` in the bare site. The kernel-ready time is noted too.
- warm: the same context opens the same notebook again (the first page closed), so the browser
  cache and JupyterLite's service worker serve what they kept.
- widget: on the course's warm page, lesson 02's handshake stepper; a click on "forward" or
  "back" timed in the page until the widget's new figure is decoded and the next frame painted.

Pyodide comes from its CDN (cdn.jsdelivr.net) when this machine can reach it, else both sites
host its core (the ``pyodide`` npm package, as ``make lite LITE_PYODIDE=npm`` does) and every
request that leaves the site is refused; the table says which. Rounds alternate the sites'
order; medians are reported.

    python benchmarks/bench_lite.py            # 3 rounds, writes results/lite.md
    python benchmarks/bench_lite.py -r 1       # a quick look

Needs the Lite toolchain (``make .venv-lite/.stamp``), npm when the CDN is out of reach,
Playwright (the dev extra) and Chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))

import lite  # noqa: E402  (tools/lite.py: the site's build and its local server)

LITE_PYTHON = ROOT / ".venv-lite" / "bin" / "python"
COURSE_PATH = "notebooks/02-walk-the-three-way-handshake.ipynb"
# Code cells of lesson 02's Lite copy: 0 the setup cell, 1 the imports, 2 the first ladder, ...
COURSE_FIRST_OUTPUT = 2
COURSE_STEPPER = 6  # widgets.handshake_stepper("handshake")
BARE_PATH = "bare.ipynb"
CLICKS = 12  # per round: forward then back, over the handshake's segments
TARGET = 1.15  # course/bare, cold and warm

# The page side: run code cells in order through JupyterLab's own command and time what shows.
BENCH_JS = r"""
window.tcpBench = (() => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  function panel(path) {
    const app = window.jupyterapp;
    if (!app) return null;
    for (const w of app.shell.widgets('main'))
      if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
    return null;
  }
  async function until(check, what, ms) {
    const start = performance.now();
    for (;;) {
      const value = check();
      if (value) return value;
      if (performance.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
  }
  const codeCells = p => p.content.widgets.filter(c => c.model.type === 'code');
  function troubles(cells) {
    const found = [];
    for (const cell of cells)
      for (let i = 0; i < cell.model.outputs.length; i++) {
        const o = cell.model.outputs.get(i).toJSON();
        if (o.output_type === 'error') found.push(`${o.ename}: ${o.evalue}`);
        if (o.output_type === 'stream' && o.name === 'stderr') found.push(String(o.text));
      }
    return found;
  }
  // Run code cells 0..target; return when the target cell first showed an output, and when
  // the kernel was first idle, in ms since navigation started.
  async function run(path, target) {
    const p = await until(() => panel(path), 'the notebook', 240000);
    await until(() => p.context.isReady, 'the notebook to load', 240000);
    const kernel = () => p.sessionContext.session && p.sessionContext.session.kernel;
    await until(() => kernel() && kernel().status === 'idle', 'the kernel', 240000);
    const idle = performance.now();
    const app = window.jupyterapp, cells = codeCells(p), cell = cells[target];
    let shown = null;
    cell.model.outputs.changed.connect(() => {
      if (shown === null && cell.model.outputs.length > 0) shown = performance.now();
    });
    app.shell.activateById(p.id);
    for (let k = 0; k <= target; k++) {
      p.content.activeCellIndex = p.content.widgets.indexOf(cells[k]);
      await app.commands.execute('notebook:run-cell');
    }
    await until(() => shown !== null, 'the output', 60000);
    return {idle, shown, troubles: troubles(cells.slice(0, target + 1))};
  }
  // Click the widget's buttons (forward to the last step, then back to the first, and again),
  // timing each click until the new figure is decoded and the next frame painted.
  async function clicks(path, index, count) {
    const p = panel(path), cell = codeCells(p)[index];
    // JupyterLab renders only the cells in view (windowing): bring the widget's cell there.
    if (p.content.scrollToCell) await p.content.scrollToCell(cell, 'start');
    const area = cell.outputArea.node;
    const button = label => [...area.querySelectorAll('button')]
      .find(b => b.textContent.includes(label));
    const handle = () => area.querySelector('.noUi-handle[aria-valuenow]');
    await until(() => button('forward') && handle() && area.querySelector('img'), 'the widget',
                60000);
    await sleep(500);
    const times = [];
    let direction = 'forward';
    while (times.length < count) {
      const now = Number(handle().getAttribute('aria-valuenow'));
      const max = Number(handle().getAttribute('aria-valuemax'));
      if (now >= max) direction = 'back';
      if (now <= 0) direction = 'forward';
      const before = area.querySelector('img').src;
      const start = performance.now();
      button(direction).click();
      const img = await until(() => {
        const i = area.querySelector('img');
        return i && i.src !== before ? i : null;
      }, `a new figure after ${direction} at step ${now} of ${max}`, 10000);
      await img.decode();
      await new Promise(r => requestAnimationFrame(() => r()));
      times.push(performance.now() - start);
      await sleep(200);
    }
    return times;
  }
  return {run, clicks};
})();
"""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical cores, "
        f"Chromium {chromium_version()}"
    )


def chromium_version() -> str:
    from browser import CHROMIUM

    done = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True)
    return done.stdout.split()[1] if done.returncode == 0 and done.stdout.split() else "?"


def cdn_reachable(version: str) -> str | None:
    """None when Pyodide's CDN answers; else what failed, in one line."""
    url = f"{lite.pyodide_cdn(version)}/pyodide-lock.json"
    host = url.split("/")[2]
    try:
        socket.getaddrinfo(host, 443)
    except OSError as exc:
        return f"{host} does not resolve ({exc})"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read(1)
    except OSError as exc:
        return f"{url}: {exc}"
    return None


def one_plus_one() -> dict[str, Any]:
    return {
        "cells": [{**lite._code("one-plus-one", ["1+1"]), "metadata": {}}],
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


def build_course(folder: Path, pyodide: str) -> dict[str, Any]:
    """The course's site as tools/lite.py builds it, plus the bare site's ``1+1`` notebook (to
    tell what the course's site costs from what its lesson costs)."""
    info_file = folder / "course-info.json"
    (folder / "extra").mkdir()
    (folder / "extra" / BARE_PATH).write_text(json.dumps(one_plus_one()))
    # The site as published (JupyterLab's default settings), with window.jupyterapp exposed.
    command = [str(LITE_PYTHON), str(ROOT / "tools" / "lite.py"), "build", "--expose-app"]
    command += ["--extra-contents", str(folder / "extra")]
    command += ["--pyodide", pyodide, "--output", str(folder / "course")]
    done = subprocess.run([*command, "--info", str(info_file)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench_lite: building the course site failed:\n{done.stderr}")
    info: dict[str, Any] = json.loads(info_file.read_text())
    return info


def build_bare(folder: Path, info: dict[str, Any]) -> Path:
    """A bare JupyterLite site, with the course's toolchain, Pyodide and settings: one notebook
    holding ``1+1`` and the Pyodide kernel, nothing else."""
    stage, out = folder / "bare-stage", folder / "bare"
    prefix = subprocess.run(
        [str(LITE_PYTHON), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    kernel_ext = Path(prefix) / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension"
    (stage / "contents").mkdir(parents=True)
    (stage / "contents" / BARE_PATH).write_text(json.dumps(one_plus_one()))
    config = {
        "LiteBuildConfig": {
            "contents": ["contents"],
            "ignore_sys_prefix": True,
            "federated_extensions": [str(kernel_ext)],
            "no_sourcemaps": True,
            "cache_dir": str(stage / ".cache"),
        },
        # The Pyodide kernel itself requires comm (pyodide_kernel's Requires-Dist) and Pyodide
        # has none: without this wheel the kernel asks PyPI at every start, or, offline, never
        # starts. The bare site serves the course's own comm wheel, as the course does.
        "PipliteAddon": {
            "piplite_urls": [str(w) for w in (folder / "course" / "pypi").glob("comm-*.whl")]
        },
    }
    (stage / "jupyter_lite_config.json").write_text(json.dumps(config))
    settings = json.loads((lite.TEMPLATES / "jupyter-lite.json").read_text())  # no PyPI
    settings["jupyter-config-data"].update(appName="bare", exposeAppInBrowser="true")
    (stage / "jupyter-lite.json").write_text(json.dumps(settings))
    if info["pyodide"] == "npm":
        hosted = lite.DEFAULT_CACHE / f"pyodide-{info['pyodide_version']}" / "pyodide"
        shutil.copytree(hosted, stage / "static" / "pyodide")
    command = [str(LITE_PYTHON), "-m", "jupyterlite_core", "build", "--lite-dir", str(stage)]
    done = subprocess.run(
        [*command, "--output-dir", str(out)], cwd=stage, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"bench_lite: building the bare site failed:\n{done.stderr[-2000:]}")
    return out


class Run:
    """One browser, two sites; every load's numbers."""

    def __init__(self, browser: Any, urls: dict[str, str], offline: bool) -> None:
        self.browser, self.urls, self.offline = browser, urls, offline
        self.left_site: list[str] = []
        self.loads: dict[tuple[str, str], list[dict[str, float]]] = {}
        self.clicks: list[float] = []
        self.verbose = True

    def _page(self, context: Any, site: str) -> Any:
        page = context.new_page()
        page.add_init_script(BENCH_JS)
        return page

    def site(self, site: str) -> None:
        context = self.browser.new_context(viewport={"width": 1366, "height": 900})
        base = self.urls[site]
        if self.offline:

            def route(r: Any) -> None:
                if r.request.url.startswith(base + "/"):
                    r.continue_()
                else:
                    self.left_site.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
        path, target = (COURSE_PATH, COURSE_FIRST_OUTPUT) if site == "course" else (BARE_PATH, 0)
        if self.verbose:
            print(f"  {site}:", end="", flush=True)
        try:
            for load in ("cold", "warm"):
                page = self._page(context, site)
                page.goto(f"{base}/lab/index.html?path={path}", wait_until="commit")
                got = page.evaluate("([p, t]) => tcpBench.run(p, t)", [path, target])
                if got["troubles"]:
                    raise SystemExit(f"bench_lite: {site} {load}: {got['troubles']}")
                self.loads.setdefault((site, load), []).append(got)
                if self.verbose:
                    print(f" {load} {got['idle'] / 1000:.1f}/{got['shown'] / 1000:.1f} s", end="")
                if site == "course" and load == "warm":
                    page.evaluate("([p, t]) => tcpBench.run(p, t)", [path, COURSE_STEPPER])
                    self.clicks += page.evaluate(
                        "([p, i, n]) => tcpBench.clicks(p, i, n)", [path, COURSE_STEPPER, CLICKS]
                    )
                page.close()
        finally:
            context.close()
            if self.verbose:
                print(flush=True)

    def median(self, site: str, load: str, key: str) -> float:
        return statistics.median(x[key] / 1000 for x in self.loads[(site, load)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument(
        "--pyodide",
        choices=("auto", "cdn", "npm"),
        default="auto",
        help="where Pyodide loads from (auto: its CDN when reachable, else hosted from npm)",
    )
    args = parser.parse_args(argv)
    from browser import chromium, have_chromium, have_playwright

    if not LITE_PYTHON.exists():
        print("bench_lite: .venv-lite is missing: make .venv-lite/.stamp", file=sys.stderr)
        return 2
    if not (have_playwright() and have_chromium()):
        print("bench_lite: needs Playwright (the dev extra) and /usr/bin/chromium", file=sys.stderr)
        return 2
    version = subprocess.run(
        [
            str(LITE_PYTHON),
            "-c",
            "import sys; sys.path.insert(0, 'tools'); import lite; print(lite.pyodide_version())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    unreachable = cdn_reachable(version)
    pyodide = args.pyodide if args.pyodide != "auto" else ("npm" if unreachable else "cdn")
    if pyodide == "cdn" and unreachable:
        print(f"bench_lite: Pyodide's CDN is out of reach: {unreachable}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-lite-") as tmp:
        folder = Path(tmp)
        start = time.monotonic()
        info = build_course(folder, pyodide)
        bare = build_bare(folder, info)
        print(
            f"built both sites in {time.monotonic() - start:.0f} s (Pyodide {version}, {pyodide})"
        )
        with (
            lite.serve(Path(info["output"])) as course_url,
            lite.serve(bare) as bare_url,
            chromium() as browser,
        ):
            urls = {"course": course_url, "course site, 1+1": course_url, "bare": bare_url}
            run = Run(browser, urls, pyodide == "npm")
            for k in range(args.rounds):
                for site in list(urls) if k % 2 == 0 else list(urls)[::-1]:
                    run.site(site)
                print(f"round {k + 1}/{args.rounds} done", flush=True)
    if run.left_site:
        print(f"bench_lite: requests left the site: {run.left_site[:5]}", file=sys.stderr)
        return 1
    write_table(run, args.rounds, pyodide, version, unreachable)
    return 0


def write_table(run: Run, rounds: int, pyodide: str, version: str, unreachable: str | None) -> None:
    rows = []
    ratios = {}
    for load in ("cold", "warm"):
        for key, what in (("shown", "first output"), ("idle", "kernel ready")):
            course = run.median("course", load, key)
            site = run.median("course site, 1+1", load, key)
            bare = run.median("bare", load, key)
            if key == "shown":
                ratios[load] = course / bare
            rows.append(
                f"| {load}: {what} | {course:.1f} | {site:.1f} | {bare:.1f} | "
                f"{course / bare:.2f}x | {site / bare:.2f}x |"
            )
    clicks = sorted(run.clicks)
    p90 = clicks[max(0, round(0.9 * len(clicks)) - 1)]
    where = (
        "Pyodide from its CDN (cdn.jsdelivr.net), as `make lite` builds the site, is used"
        if pyodide == "cdn"
        else (
            "Pyodide's core is hosted in both sites (the `pyodide` npm package, as "
            "`make lite LITE_PYODIDE=npm` builds it), every request leaving the site refused"
        )
    )
    cdn = (
        f"Pyodide's CDN was out of reach from this machine ({unreachable}), so "
        if unreachable
        else ""
    )
    verdict = all(r < TARGET for r in ratios.values())
    load = os.getloadavg()[0]
    text = (
        "# JupyterLite: the course's site against a bare JupyterLite site\n\n"
        "`benchmarks/bench_lite.py`: both sites built with the same toolchain (`.venv-lite`: "
        f"jupyterlite-core, the Pyodide kernel, Pyodide {version}, the same settings), served "
        "on 127.0.0.1 and opened in one headless Chromium. Course: lesson 02's Lite copy, its "
        "setup cell (piplite installs tcpcourse and ipywidgets from the site), imports and first "
        "ladder. Bare: one notebook, `1+1`, and only the Pyodide kernel (plus the comm wheel "
        "it cannot start without, as the course serves it). The same `1+1` notebook is also "
        "opened in the course's site, to tell what the site costs from what the lesson costs. "
        "Times in seconds from "
        "navigation start (the page's clock) to the first output, and to the kernel's first "
        "idle; cold is a fresh browser context (empty cache), warm the same context loading the "
        f"notebook again. Medians of {rounds} rounds, the sites' order alternating. {cdn}"
        f"{where}.\n\n"
        f"Machine: {machine()}. Load average {load:.1f} when the run ended (other jobs share "
        "it: read the ratios, not the seconds).\n\n"
        "| load | course lesson s | course site, `1+1` s | bare site, `1+1` s | lesson/bare "
        "| course site/bare |\n|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        f"Widget: lesson 02's handshake stepper, a click on forward/back until its new figure "
        f"is decoded and painted: median {statistics.median(clicks):.0f} ms, 90th percentile "
        f"{p90:.0f} ms ({len(clicks)} clicks; tcpcore's SVG backend in Pyodide).\n\n"
        f"Target: course/bare under {TARGET}x, cold and warm: "
        + ("met" if verdict else "**not met**")
        + ".\n"
    )
    out = ROOT / "benchmarks" / "results" / "lite.md"
    out.write_text(text)
    print(text)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
