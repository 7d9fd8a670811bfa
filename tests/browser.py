"""Open notebooks in a real JupyterLab in headless Chromium and report what a student would see.

nbval proves that every cell runs in a kernel; it cannot see a widget that fails to render, a
figure that never reaches the page or a slider that changes nothing. This module drives the real
front end:

- :func:`lab_server` starts JupyterLab on a free port with its own token and its own runtime,
  config, data, settings and workspace directories (nothing from ``~/.jupyter`` leaks in, and
  autosave is off: running a lesson must never write its outputs back into ``notebooks/``), waits
  until ``/api/status`` answers, and on the way out stops the server and every kernel it started,
  whatever happened in between.
- :func:`chromium` starts Playwright on the system Chromium (``apt-get install chromium``; never
  the browser that ``playwright install`` downloads) with a fresh profile.
- :func:`run_notebook` opens one notebook, runs all cells with the command behind Run > Run All
  Cells, waits until the kernel is done, moves the first control of every widget and returns a
  :class:`NotebookRun`: what rendered, what went wrong, a screenshot.

The front end is read through ``window.jupyterapp`` (``LabApp.expose_app_in_browser``), so "done"
means what JupyterLab itself knows (execution counts, kernel status, output models), and the DOM
is read for what was actually drawn.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path(os.environ.get("TCPCOURSE_CHROMIUM", "/usr/bin/chromium"))
# The flags the closed CI network needs: without the background-networking ones Chromium's own
# connections are refused and it stalls; the rest keep a headless run quiet and reproducible.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# JupyterLab user settings for the test server: every cell stays in the DOM (windowing would drop
# off-screen cells and hide their outputs from us), nothing is ever saved, no news pop-up covers
# the screenshot and no request leaves the machine.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


def have_chromium() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def have_playwright() -> bool:
    import importlib.util

    return importlib.util.find_spec("playwright") is not None


# --------------------------------------------------------------------------- the server


@dataclass
class LabServer:
    """A running JupyterLab: where it serves from, and how to reach it."""

    root: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]
    workdir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def notebook_url(self, path: str | Path) -> str:
        """The address that opens ``path`` (relative to the server's root) in JupyterLab."""
        rel = Path(path).as_posix()
        return f"{self.url}/lab/tree/{urllib.request.pathname2url(rel)}?token={self.token}"

    def api(self, method: str, endpoint: str, timeout: float = 5.0) -> Any:
        request = urllib.request.Request(
            f"{self.url}{endpoint}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def lab_server(
    root: Path, *, timeout: float = 90.0, keep_log: Path | None = None
) -> Iterator[LabServer]:
    """Serve ``root`` with JupyterLab for the duration of the ``with`` block.

    The server's log is copied to ``keep_log`` (when given) on the way out."""
    workdir = Path(tempfile.mkdtemp(prefix="tcpcourse-lab-"))
    server: LabServer | None = None
    try:
        # Another process may take the free port before JupyterLab binds it: try again.
        for _attempt in range(3):
            server = _launch(root, workdir)
            if _wait_until_up(server, timeout):
                break
        else:
            assert server is not None
            raise RuntimeError(f"JupyterLab did not start; its log ends:\n{server.log_tail()}")
        yield server
    finally:
        if server is not None:
            _stop(server)
            if keep_log is not None:
                keep_log.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(OSError):
                    shutil.copyfile(server.log, keep_log)
        shutil.rmtree(workdir, ignore_errors=True)


def jupyter_dirs(folder: Path) -> dict[str, str]:
    """Environment variables giving Jupyter and IPython their own config, data and runtime
    folders under ``folder`` (made here), so nothing from ``~/.jupyter`` leaks into a test: a
    user-level kernelspec could point "python3" at another interpreter."""
    for name in ("runtime", "config", "data", "ipython"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return {
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "JUPYTER_CONFIG_DIR": str(folder / "config"),
        "JUPYTER_DATA_DIR": str(folder / "data"),
        "IPYTHONDIR": str(folder / "ipython"),
        "PYTHONUNBUFFERED": "1",
    }


def _launch(root: Path, workdir: Path) -> LabServer:
    (workdir / "workspaces").mkdir(exist_ok=True)
    for plugin, values in LAB_SETTINGS.items():
        settings = workdir / "settings" / f"{plugin}.jupyterlab-settings"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(jupyter_dirs(workdir))  # the kernel is this venv's, found under sys.prefix
    # The kernels inherit this environment: a headless MPLBACKEND (Agg) would hide every figure.
    env.pop("MPLBACKEND", None)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={workdir / 'settings'}",
        f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root otherwise; CI runs as root
    with (workdir / "server.log").open("ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
            env=env,
            start_new_session=True,
        )
    return LabServer(root=root, port=port, token=token, process=process, workdir=workdir)


def _wait_until_up(server: LabServer, timeout: float) -> bool:
    """True once /api/status answers; False if the server exited first (its port was taken)."""
    deadline = time.monotonic() + timeout
    while server.process.poll() is None:
        try:
            server.api("GET", "/api/status", timeout=2)
            return True
        except (OSError, urllib.error.URLError, ValueError):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"JupyterLab did not answer /api/status within {timeout:.0f}s; "
                    f"its log ends:\n{server.log_tail()}"
                ) from None
            time.sleep(0.2)
    return False


def _children(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux /proc; elsewhere, none)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            # The command name is in parentheses and may contain spaces: split after it.
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            parents[int(entry.name)] = int(fields[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def _stop(server: LabServer) -> None:
    """Shut down every kernel, then the server; kill whatever is left."""
    process = server.process
    # Kernels run in their own sessions (jupyter_client starts them so), so signalling the
    # server's process group would miss them: note them now, kill survivors at the end.
    leftovers = _children(process.pid) if process.poll() is None else []
    if process.poll() is None:
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            for kernel in server.api("GET", "/api/kernels"):
                server.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=10)
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            server.api("POST", "/api/shutdown")
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, sig)
                try:
                    process.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)  # a kernel and anything it started
            else:
                os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- the browser


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium under Playwright; each :func:`run_notebook` opens its own context."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() gives the browser a fresh temporary profile (user-data-dir) and removes it on
        # close; Playwright refuses --user-data-dir in args for that reason.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


# The page side of the harness, installed before JupyterLab loads. It finds the notebook panel by
# path, listens to the kernel (errors raised in widget callbacks reach no cell, only the kernel's
# iopub channel), and reads outputs from the models and from the DOM.
HARNESS_JS = r"""
window.tcpHarness = (() => {
  const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
  // What @jupyter-widgets/jupyterlab-manager writes in place of a view it could not render.
  const TROUBLE = /^(Error displaying widget.*|Loading widget\.\.\.)$/s;
  // The controls a probe moves, in order of preference: a slider, a dropdown or list, a button;
  // only a view with none of these gets a checkbox or radio button moved instead (a quiz's
  // radio buttons usually wait for a "commit" button, which is the control to press).
  const CONTROLS = ['.noUi-handle, select, button', 'input[type=checkbox], input[type=radio]'];
  const kernelMessages = [];
  const controlComms = new Set();  // comms the widget manager opened to ask for saved state
  let runResult = null;
  let phase = 'startup';  // 'run' once Run All was asked for

  function panel(path) {
    const app = window.jupyterapp;
    if (!app) return null;
    for (const w of app.shell.widgets('main')) {
      if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
    }
    return null;
  }
  function kernelOf(p) {
    return p.sessionContext.session ? p.sessionContext.session.kernel : null;
  }
  function watch(msg, direction) {
    const type = msg.header.msg_type;
    if (direction === 'send') {
      if (type === 'comm_open' && msg.content.target_name === 'jupyter.widget.control')
        controlComms.add(msg.content.comm_id);
      return;
    }
    if (msg.channel !== 'iopub') return;
    const parent = msg.parent_header.msg_type || '';
    // Output of a cell's own execution is read from the cell; the rest (widget callbacks answer
    // comm messages) would only reach the log console.
    if (parent === 'execute_request') return;
    let where = `${phase}, answering ${parent || 'nothing'}`;
    const comm = /No such comm: ([0-9a-f-]+)/.exec(msg.content.text || '');
    if (comm && controlComms.has(comm[1])) where += ' on the widget control comm';
    if (type === 'error')
      kernelMessages.push(`${where}: ${msg.content.ename}: ${msg.content.evalue}`);
    if (type === 'stream' && msg.content.name === 'stderr')
      kernelMessages.push(`${where}, stderr: ${msg.content.text.trim()}`);
  }
  // Listen to every kernel connection from its creation, before its first message: wrap the
  // service manager's connectTo as soon as the app object exists (it does before any notebook
  // opens).
  (function hookKernels() {
    const app = window.jupyterapp;
    if (!app || !app.serviceManager) { setTimeout(hookKernels, 5); return; }
    const kernels = app.serviceManager.kernels;
    const connectTo = kernels.connectTo.bind(kernels);
    kernels.connectTo = options => {
      const connection = connectTo(options);
      connection.anyMessage.connect((_, args) => watch(args.msg, args.direction));
      return connection;
    };
  })();
  function codeCells(p) {
    return p.content.widgets.filter(c => c.model.type === 'code');
  }
  function troubles(root) {
    return [...root.querySelectorAll('.jp-OutputArea-output, .jupyter-widgets')]
      .map(e => e.textContent.trim()).filter(t => TROUBLE.test(t));
  }
  function topViews(root) {
    return [...root.querySelectorAll('.jupyter-widgets')].filter(
      e => !e.parentElement.closest('.jupyter-widgets') && !TROUBLE.test(e.textContent.trim()));
  }

  function state(path) {
    const p = panel(path);
    const dialog = !!document.querySelector('.jp-Dialog');
    if (!p || !p.context.isReady) return {ready: false, dialog};
    const k = kernelOf(p);
    const prompts = codeCells(p).map(c => {
      const prompt = c.node.querySelector('.jp-InputPrompt');
      return prompt ? prompt.textContent : '';
    });
    return {
      ready: true, dialog,
      status: k ? k.status : 'no kernel',
      running: prompts.filter(t => t.includes('*')).length,
      loading: troubles(p.content.node).filter(t => t.startsWith('Loading')).length,
      run: runResult,
    };
  }

  function runAll(path) {
    const app = window.jupyterapp, p = panel(path);
    app.shell.activateById(p.id);
    runResult = null;
    phase = 'run';
    // The command behind Run > Run All Cells; it resolves once every cell has been answered
    // (false when a cell failed and the rest were skipped).
    app.commands.execute('notebook:run-all-cells').then(
      ok => { runResult = {ok: ok !== false}; },
      err => { runResult = {ok: false, error: String(err)}; });
  }

  function collect(path) {
    const p = panel(path);
    const cells = p.content.widgets.map((cell, index) => {
      if (cell.model.type !== 'code') return null;
      const area = cell.outputArea.node;
      const outputs = [];
      for (let i = 0; i < cell.model.outputs.length; i++)
        outputs.push(cell.model.outputs.get(i).toJSON());
      const nestedStderr = [...area.querySelectorAll(
        '.widget-output [data-mime-type="application/vnd.jupyter.stderr"]')];
      const images = [...area.querySelectorAll('img')]
        .filter(i => i.complete && i.naturalWidth > 0);
      return {
        index,
        source: cell.model.sharedModel.getSource(),
        execution_count: cell.model.executionCount,
        errors: outputs.filter(o => o.output_type === 'error')
          .map(o => `${o.ename}: ${o.evalue}`),
        stderr: outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr')
          .map(o => [].concat(o.text).join('').trim())
          .concat(nestedStderr.map(e => e.textContent.trim())),
        widget_outputs: outputs.filter(o => o.data && o.data[WIDGET_MIME]).length,
        widget_views: topViews(area).length,
        widget_errors: troubles(area),
        figures: images.length + area.querySelectorAll('canvas, .jp-RenderedSVG svg').length,
      };
    }).filter(c => c !== null);
    return {cells, kernel_messages: kernelMessages.slice()};
  }

  // Mark the first usable control of every top-level widget view, and what to leave out when
  // comparing before and after: the control's own widget (a moved slider redraws itself).
  function markControls(path) {
    const p = panel(path);
    const found = [];
    codeCells(p).forEach(cell => {
      topViews(cell.outputArea.node).forEach(view => {
        let control = null;
        for (const selector of CONTROLS) {
          // A Button is its own view: the control may be the view itself.
          const candidates = [view].filter(e => e.matches(selector))
            .concat([...view.querySelectorAll(selector)]);
          control = candidates.find(e =>
            !e.disabled && !e.matches('button.mod-active, input[type=radio]:checked'));
          if (control) break;
        }
        const k = found.length;
        view.setAttribute('data-tcp-view', k);
        let kind = null, label = '';
        if (control) {
          control.setAttribute('data-tcp-control', k);
          // The control's own widget is its nearest Lumino widget (not every view carries the
          // jupyter-widgets class: ToggleButtons does not), unless that is the whole view.
          let owner = control.closest('.lm-Widget') || control;
          if (owner === view && control !== view) owner = control;
          owner.setAttribute('data-tcp-skip', k);
          kind = control.matches('.noUi-handle') ? 'slider'
            : control.matches('select') ? 'select'
            : control.matches('button') ? 'button' : control.type;
          const labelNode = owner.querySelector('.widget-label');
          label = ((labelNode && labelNode.textContent) || control.textContent
                   || control.getAttribute('title') || '').trim().slice(0, 60);
        }
        found.push({view: k, cell: p.content.widgets.indexOf(cell), kind, label});
      });
    });
    return found;
  }

  function render(root, k) {
    // Serialize without cloning: a cloned <img> loads (and fires its handlers) again.
    const skip = root.querySelector(`[data-tcp-skip="${k}"]`);
    const html = skip ? root.innerHTML.split(skip.outerHTML).join('') : root.innerHTML;
    const canvases = [...root.querySelectorAll('canvas')]
      .filter(c => !(skip && skip.contains(c)))
      .map(c => { try { return c.toDataURL(); } catch (e) { return 'canvas'; } });
    return html + canvases.join('');
  }
  function snapshot(k) {
    const view = document.querySelector(`[data-tcp-view="${k}"]`);
    if (!view) return {cell: '', notebook: ''};
    const notebook = view.closest('.jp-Notebook');
    return {
      cell: render(view.closest('.jp-Cell-outputArea'), k),
      notebook: [...notebook.querySelectorAll('.jp-Cell-outputArea')]
        .map(a => render(a, k)).join(''),
    };
  }
  function sliderAtMax(k) {
    const h = document.querySelector(`[data-tcp-control="${k}"]`);
    return h.getAttribute('aria-valuenow') === h.getAttribute('aria-valuemax');
  }

  async function shutdown(path) {
    const p = panel(path);
    if (p) await p.sessionContext.shutdown();
  }
  function tidy() {
    window.jupyterapp.shell.collapseLeft();
    window.jupyterapp.shell.collapseRight();
  }
  // How tall the window must be to show the whole notebook: its cells (without the blank
  // "scroll past end" space) below the menus and toolbar. Scrolls back to the top on the way.
  function contentHeight(path) {
    const p = panel(path);
    const outer = p && p.content.node.querySelector('.jp-WindowedPanel-outer');
    const cells = p && p.content.node.querySelector('.jp-WindowedPanel-viewport');
    if (!outer || !cells) return 0;
    outer.scrollTop = 0;
    return cells.scrollHeight + outer.getBoundingClientRect().top
      + (window.innerHeight - p.content.node.getBoundingClientRect().bottom);
  }

  // The legibility check (window.tcpLegibility) over this notebook's cells.
  function legible(path, only) {
    const p = panel(path);
    return window.tcpLegibility.check(p.content.widgets.map(c => c.node), only || null);
  }
  // The file browser open in the left sidebar (as JupyterLab starts), or every sidebar closed.
  function sidebars(files) {
    const shell = window.jupyterapp.shell;
    shell.collapseRight();
    if (files) shell.activateById('filebrowser'); else shell.collapseLeft();
  }
  // The unticked checkboxes of the notebook's widgets (their cell and label), each marked.
  function checkboxes(path) {
    const p = panel(path);
    const found = [];
    p.content.widgets.forEach((cell, index) => {
      cell.node.querySelectorAll('.jupyter-widgets input[type=checkbox]').forEach(box => {
        if (box.disabled) return;
        box.setAttribute('data-tcp-checkbox', found.length);
        const owner = box.closest('.widget-checkbox') || box.parentElement;
        const label = owner.textContent.replace(/\u200b/g, '').trim().slice(0, 60);
        found.push({cell: index, label});
      });
    });
    return found;
  }

  return {state, runAll, collect, markControls, snapshot, sliderAtMax, shutdown, tidy,
          contentHeight, legible, sidebars, checkboxes};
})();
"""


# The legibility check, run in the page after a notebook ran (see :func:`legibility`).
LEGIBILITY_JS = r"""
window.tcpLegibility = (() => {
  const MIN_PX = 10;             // the smallest text a student is asked to read, in CSS px
  const SLACK = 1;               // px: sub-pixel rounding is not overflow
  const GAP = 6;                 // px: two widgets' texts closer than this on a line run together
  // What a figure marks as a deliberate overlay: exempt from the overlap checks.
  const OVERLAY = '[data-tcp-overlay], .tcp-overlay, [id^="overlay"], [data-gid^="overlay"]';
  // Figures name their parts with a gid: matplotlib writes it as the id, viz.svg as data-gid.
  const gidOf = el => el.getAttribute('data-gid') || el.id;
  const part = kind => `[id^="${kind}:"], [data-gid^="${kind}:"]`;
  const NOT_TEXT = 'script, style, select, option, textarea, input, .jp-OutputPrompt';

  function shown(el) {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
    }
    return true;
  }
  function box(r) { return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; }
  function meet(a, b) {
    return {x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0),
            x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1)};
  }
  // What of ``b`` the clipping ancestors (overflow other than visible) below ``top`` let show.
  function clipped(el, b, top) {
    for (let e = el; e && e !== top.parentElement; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible')
        b = meet(b, box(e.getBoundingClientRect()));
    }
    return b;
  }
  const snippet = t => JSON.stringify(t.replace(/\s+/g, ' ').trim().slice(0, 40));

  // Every line of HTML text under ``root``: one box per line fragment of each text node.
  function htmlText(root) {
    const out = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || el.closest('svg') || el.closest(NOT_TEXT)) continue;
      if (!shown(el)) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const size = parseFloat(getComputedStyle(el).fontSize);
      for (const r of range.getClientRects()) {
        if (r.width < 0.5 || r.height < 0.5) continue;
        const b = clipped(el, box(r), root);
        if (b.x1 - b.x0 < 0.5 || b.y1 - b.y0 < 0.5) continue;  // scrolled out of sight
        out.push({...b, text: n.textContent, size, node: n, overlay: !!el.closest(OVERLAY),
                  widget: el.closest('.lm-Widget')});
      }
    }
    return out;
  }

  // An SVG shown as an <img> (JupyterLab's SVG renderer, ipywidgets' Image) is opaque to the
  // DOM: lay its source out again, inline, exactly where and as large as the image is drawn.
  async function inlineSvg(img) {
    if (!img.complete || !img.naturalWidth) return null;
    let source;
    try { source = await (await fetch(img.src)).text(); } catch (e) { return null; }
    if (!/<svg[\s>]/.test(source)) return null;
    const doc = new DOMParser().parseFromString(source, 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName !== 'svg') return null;
    const r = img.getBoundingClientRect();
    const host = document.createElement('div');
    host.style.cssText = `position:absolute;left:${r.left + scrollX}px;top:${r.top + scrollY}px;`
      + `width:${r.width}px;height:${r.height}px;visibility:hidden;pointer-events:none;`
      + 'margin:0;padding:0;border:0;overflow:visible';
    const copy = document.importNode(svg, true);
    copy.setAttribute('width', r.width);
    copy.setAttribute('height', r.height);
    copy.style.display = 'block';
    host.appendChild(copy);
    document.body.appendChild(host);
    return {svg: copy, host, img};
  }

  function svgTextElements(svg) {
    const out = [];
    for (const t of svg.querySelectorAll('text')) {
      const spans = [...t.querySelectorAll('tspan')]
        .filter(s => s.hasAttribute('x') || s.hasAttribute('y') || s.hasAttribute('dy'));
      if (spans.length) out.push(...spans); else out.push(t);
    }
    return out;
  }
  function scaleOf(el) {
    const m = el.getScreenCTM();
    return m ? Math.sqrt(Math.abs(m.a * m.d - m.b * m.c)) : 1;
  }
  function svgText(svg, overlayRoot) {
    const out = [];
    const frame = box(svg.getBoundingClientRect());
    for (const el of svgTextElements(svg)) {
      if (!el.textContent.trim()) continue;
      const r = el.getBoundingClientRect();
      if (r.width < 0.5 || r.height < 0.5) continue;
      const text = el.closest('text');
      const size = parseFloat(getComputedStyle(text).fontSize) * scaleOf(text);
      out.push({...box(r), text: el.textContent, size, node: el, frame,
                overlay: !!el.closest(OVERLAY)});
    }
    return out;
  }

  // Arrows ("arrow:N" groups) and crosses ("cross:N") that labels ("label:N" groups: the text
  // and the box behind it) hide: an arrow must show at least half its length (and 40 px) past
  // its own label, no other label may cover more than 12 px of it, and no label may cover a
  // cross. Samples every 2 px along each arrow's path.
  function hiddenArrows(svg) {
    const found = [];
    const covers = [...svg.querySelectorAll(part('label'))].map(g => ({
      ...box(g.getBoundingClientRect()), id: gidOf(g).split(':').slice(1).join(':'),
      text: g.textContent}));
    const inside = (c, x, y) => x > c.x0 + 1 && x < c.x1 - 1 && y > c.y0 + 1 && y < c.y1 - 1;
    for (const g of svg.querySelectorAll(part('arrow'))) {
      const id = gidOf(g).split(':').slice(1).join(':');
      const path = g.matches('path') ? g : g.querySelector('path');
      if (!path || !path.getTotalLength) continue;
      const length = path.getTotalLength();
      const m = path.getScreenCTM();
      if (!m || length <= 0) continue;
      const screen = length * scaleOf(path);
      const n = Math.max(8, Math.ceil(screen / 2));
      let seen = 0;
      const underOthers = new Map();
      for (let i = 0; i <= n; i++) {
        const p = path.getPointAtLength(length * i / n);
        const x = m.a * p.x + m.c * p.y + m.e, y = m.b * p.x + m.d * p.y + m.f;
        const over = covers.filter(c => inside(c, x, y));
        if (!over.length) seen++;
        for (const c of over.filter(c => c.id !== id))
          underOthers.set(c.text, (underOthers.get(c.text) || 0) + screen / n);
      }
      const shows = screen * seen / (n + 1);
      if (seen / (n + 1) < 0.5 && shows < 40)
        found.push(`arrow ${id} is hidden under labels: ${Math.round(shows)} of its ` +
                   `${Math.round(screen)} px show`);
      for (const [text, px] of underOthers)
        if (px > 12)
          found.push(`the label ${snippet(text)} hides ${Math.round(px)} px of arrow ${id}`);
    }
    for (const g of svg.querySelectorAll(part('cross'))) {
      const r = box(g.getBoundingClientRect());
      const area = Math.max(1, (r.x1 - r.x0) * (r.y1 - r.y0));
      for (const c of covers) {
        const o = meet(r, c);
        if (o.x1 > o.x0 && o.y1 > o.y0 && (o.x1 - o.x0) * (o.y1 - o.y0) > 0.15 * area)
          found.push(`the label ${snippet(c.text)} covers ${gidOf(g)}`);
      }
    }
    return found;
  }

  // Marks (groups "cross:N", "arrow:N") cut by the figure's clip rectangle.
  function clippedMarks(svg) {
    const found = [];
    for (const g of svg.querySelectorAll(part('cross'))) {
      const shapes = [g, ...g.querySelectorAll('[clip-path]')]
        .filter(e => e.hasAttribute('clip-path'));
      for (const s of shapes) {
        const id = /url\(#([^)]+)\)/.exec(s.getAttribute('clip-path'));
        const rect = id && svg.querySelector(`[id="${id[1]}"] rect`);
        if (!rect) continue;
        const m = svg.getScreenCTM();
        const x = +rect.getAttribute('x') || 0, y = +rect.getAttribute('y') || 0;
        const cx0 = m.a * x + m.e, cy0 = m.d * y + m.f;
        const cx1 = cx0 + m.a * (+rect.getAttribute('width'));
        const cy1 = cy0 + m.d * (+rect.getAttribute('height'));
        // the shape as drawn unclipped: its own box, read with the clip removed for a moment
        const saved = s.getAttribute('clip-path');
        s.removeAttribute('clip-path');
        const r = box(s.getBoundingClientRect());
        s.setAttribute('clip-path', saved);
        if (r.x0 < cx0 - SLACK || r.y0 < cy0 - SLACK || r.x1 > cx1 + SLACK || r.y1 > cy1 + SLACK)
          found.push(`${gidOf(g)} is cut off at the edge of the plot`);
      }
    }
    return found;
  }

  function overlaps(texts, where) {
    const found = [];
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i], b = texts[j];
        if (a.node === b.node || a.overlay || b.overlay) continue;
        const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
        const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
        // a line box is the font's ascent and descent: lines of text set closer than that
        // touch (a pixel of rounding aside)
        if (w > 2 && h > 1)
          found.push(`${where}: text ${snippet(a.text)} overlaps ${snippet(b.text)} ` +
                     `(${Math.round(w)}x${Math.round(h)} px)`);
        // two widgets' texts on one line with no room between them read as one
        else if (a.widget && b.widget && a.widget !== b.widget && !a.widget.contains(b.widget) &&
                 !b.widget.contains(a.widget) && h > 0.5 * Math.min(a.y1 - a.y0, b.y1 - b.y0) &&
                 w > -GAP)
          found.push(`${where}: text ${snippet(a.text)} runs into ${snippet(b.text)} ` +
                     `(${Math.max(0, Math.round(-w))} px apart)`);
      }
    }
    return found;
  }

  // Text lying on a button it does not belong to (a quiz choice under "Commit my answer").
  function underButtons(output, texts, where) {
    const found = [];
    for (const button of output.querySelectorAll('button')) {
      if (!shown(button)) continue;
      const b = box(button.getBoundingClientRect());
      for (const t of texts) {
        if (t.overlay || button.contains(t.node)) continue;
        const w = Math.min(b.x1, t.x1) - Math.max(b.x0, t.x0);
        const h = Math.min(b.y1, t.y1) - Math.max(b.y0, t.y0);
        if (w > 2 && h > Math.max(2, 0.25 * (t.y1 - t.y0)))
          found.push(`${where}: text ${snippet(t.text)} lies under the button ` +
                     snippet(button.textContent));
      }
    }
    return found;
  }

  // Text running out of its widget's box into its neighbour's (a <pre> wider than the HTML
  // widget holding it runs into whatever stands beside it).
  function spills(texts, where) {
    const found = [];
    for (const t of texts) {
      const widget = t.node.parentElement && t.node.parentElement.closest(
        '.widget-html, .widget-htmlmath, .widget-label');
      if (!widget || t.overlay) continue;
      const r = widget.getBoundingClientRect();
      if (t.x1 > r.right + SLACK)
        found.push(`${where}: text ${snippet(t.text)} spills ${Math.round(t.x1 - r.right)} px ` +
                   `out of its ${Math.round(r.width)}-px widget`);
    }
    return found;
  }

  function tooSmall(texts, where) {
    const small = texts.filter(t => t.size < MIN_PX - 0.05);
    if (!small.length) return [];
    const least = small.reduce((a, b) => (a.size <= b.size ? a : b));
    return [`${where}: ${small.length} text(s) under ${MIN_PX} px, the smallest ` +
            `${least.size.toFixed(1)} px (${snippet(least.text)})`];
  }

  function cutOff(texts, where) {
    return texts.filter(t => t.frame && (t.x0 < t.frame.x0 - SLACK || t.x1 > t.frame.x1 + SLACK ||
                                         t.y0 < t.frame.y0 - SLACK || t.y1 > t.frame.y1 + SLACK))
      .map(t => `${where}: text ${snippet(t.text)} runs off the figure's edge`);
  }

  const canvas = document.createElement('canvas');
  function truncated(root, where) {
    const found = [];
    for (const el of root.querySelectorAll('*')) {
      if (el.closest('svg') || !shown(el)) continue;
      const s = getComputedStyle(el);
      if (el.matches('select')) {
        if (el.multiple || el.selectedIndex < 0) continue;
        const ctx = canvas.getContext('2d');
        ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
        const text = el.options[el.selectedIndex].text;
        const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
        if (ctx.measureText(text).width > room + SLACK)
          found.push(`${where}: the dropdown shows ${snippet(text)} cut short ` +
                     `(${Math.round(ctx.measureText(text).width)} px of text in ` +
                     `${Math.round(room)} px)`);
      } else if (s.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + SLACK &&
                 el.textContent.trim()) {
        found.push(`${where}: ${snippet(el.textContent)} is cut short with "…" ` +
                   `(${el.scrollWidth} px of text in ${el.clientWidth} px)`);
      }
    }
    return found;
  }

  function overflow(output, where) {
    const found = [];
    const area = box(output.getBoundingClientRect());
    if (output.scrollWidth > output.clientWidth + SLACK)
      found.push(`${where}: the output scrolls sideways (${output.scrollWidth} px wide in ` +
                 `${output.clientWidth} px)`);
    const things = output.querySelectorAll(
      'img, canvas, table, pre, svg:not(svg svg), .jupyter-widgets, .widget-box, ' +
      '.widget-inline-hbox');
    for (const el of things) {
      if (!shown(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width < 1) continue;
      if (r.right > area.x1 + SLACK) {
        const what = el.matches('img, svg, canvas') ? 'a figure' : el.matches('table') ? 'a table'
          : el.matches('pre') ? 'a text block' : 'a widget';
        found.push(`${where}: ${what} is ${Math.round(r.width)} px wide and runs ` +
                   `${Math.round(r.right - area.x1)} px past the output area ` +
                   `(${Math.round(area.x1 - area.x0)} px)`);
      }
    }
    for (const el of output.querySelectorAll('*')) {
      if (el.matches('input, textarea, select, .widget-label') || el.closest('svg') || !shown(el))
        continue;
      const s = getComputedStyle(el);
      if ((s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') &&
          el.scrollWidth > el.clientWidth + SLACK && s.textOverflow !== 'ellipsis' &&
          el.clientWidth > 0) {
        const name = [el.tagName.toLowerCase(), ...[...el.classList].slice(0, 2)].join('.');
        found.push(`${where}: ${name} hides ${el.scrollWidth - el.clientWidth} px sideways`);
      }
    }
    return found;
  }

  // Everything a student could not read in one output area.
  async function checkOutput(output, where) {
    const found = [];
    let texts = htmlText(output);
    found.push(...tooSmall(texts, where));
    const copies = [];
    try {
      for (const img of output.querySelectorAll('img')) {
        if (!shown(img)) continue;
        const copy = await inlineSvg(img);
        if (copy) copies.push(copy);
      }
      const svgs = [...output.querySelectorAll('svg:not(svg svg)')].filter(shown)
        .map(svg => ({svg})).concat(copies);
      for (const {svg} of svgs) {
        const inner = svgText(svg);
        const label = `${where}, figure`;
        found.push(...tooSmall(inner, label), ...cutOff(inner, label),
                   ...hiddenArrows(svg).map(f => `${label}: ${f}`),
                   ...clippedMarks(svg).map(f => `${label}: ${f}`));
        texts = texts.concat(inner);
      }
      found.push(...overlaps(texts, where), ...underButtons(output, texts, where),
                 ...spills(texts, where));
    } finally {
      copies.forEach(c => c.host.remove());
    }
    found.push(...truncated(output, where), ...overflow(output, where));
    return found;
  }

  // The check over a notebook's cells (their nodes, in order; only those listed if given).
  async function check(cells, only) {
    const found = [];
    for (let i = 0; i < cells.length; i++) {
      if (only && !only.includes(i)) continue;
      const outputs = cells[i].querySelectorAll('.jp-OutputArea-output');
      let k = 0;
      for (const output of outputs) {
        if (output.parentElement.closest('.jp-OutputArea-output')) continue;  // nested in a widget
        const where = `cell ${i + 1}` + (outputs.length > 1 ? ` output ${++k}` : '');
        found.push(...await checkOutput(output, where));
      }
    }
    return [...new Set(found)];
  }
  return {check, checkOutput};
})();
"""


@dataclass
class CellReport:
    """One code cell after the run, as the page shows it."""

    index: int
    source: str
    execution_count: int | None
    errors: list[str]
    stderr: list[str]
    widget_outputs: int
    widget_views: int
    widget_errors: list[str]
    figures: int


@dataclass
class ControlProbe:
    """The first control of one widget view, moved once: did anything else on the page change?"""

    view: int
    cell: int
    kind: str | None  # slider, select, button, checkbox, radio; None: the view has no control
    label: str
    changed: str | None = None  # "cell" (its own output area), "notebook" (elsewhere), None
    error: str | None = None  # the control could not be moved at all


@dataclass(frozen=True)
class View:
    """A window a student reads the notebook in: its size, and whether the file browser is open
    beside the notebook (as JupyterLab starts) or every sidebar is closed."""

    name: str
    width: int
    height: int
    file_browser: bool


# A laptop with JupyterLab as it opens (file browser on the left), and a small screen with the
# sidebars closed: every figure and widget must be legible in both.
VIEWS = (View("1366x900-files", 1366, 900, True), View("1024x768", 1024, 768, False))


@dataclass
class NotebookRun:
    path: str
    completed: bool  # every cell answered and the kernel idle before the time limit
    cells: list[CellReport]
    kernel_messages: list[str]  # errors and stderr from outside cell execution (callbacks)
    console_errors: list[str]
    probes: list[ControlProbe]
    screenshot: Path | None
    seconds: dict[str, float] = field(default_factory=dict)
    # per view name: what a student could not read (see LEGIBILITY_JS), and its screenshot
    legibility: dict[str, list[str]] = field(default_factory=dict)
    view_shots: dict[str, Path] = field(default_factory=dict)

    @property
    def widget_views(self) -> int:
        return sum(c.widget_views for c in self.cells)

    @property
    def figures(self) -> int:
        return sum(c.figures for c in self.cells)

    def summary(self) -> str:
        times = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        moved = sum(1 for p in self.probes if p.kind)
        return (
            f"{self.path}: {len(self.cells)} code cells, {self.widget_views} widget views, "
            f"{self.figures} figures, {moved} controls moved; {times}; screenshot {self.screenshot}"
        )


def _poll(page: Page, check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        page.wait_for_timeout(interval * 1000)


def _state(page: Page, path: str) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate("p => tcpHarness.state(p)", path)
    if state.get("dialog"):
        # A notebook without kernel metadata asks which kernel to start: take the default, as a
        # student would.
        with contextlib.suppress(Exception):
            page.locator(".jp-Dialog .jp-mod-accept").first.click(timeout=2000)
    return state


def _quiet(page: Page, path: str, settle: float = 0.5, timeout: float = 60.0) -> bool:
    """Wait until the kernel is idle, no cell is queued and no widget is still loading."""
    calm_since: list[float] = []

    def calm() -> bool:
        s = _state(page, path)
        if s.get("status") == "idle" and not s.get("running") and not s.get("loading"):
            calm_since.append(calm_since[-1] if calm_since else time.monotonic())
            return time.monotonic() - calm_since[-1] >= settle
        calm_since.clear()
        return False

    return _poll(page, calm, timeout)


def run_notebook(
    browser: Browser,
    server: LabServer,
    path: str | Path,
    artifacts: Path | None = None,
    *,
    timeout: float = 240.0,
    move_controls: bool = True,
    views: Sequence[View] = (),
) -> NotebookRun:
    """Open ``path`` (relative to the server's root), run every cell, and report; then, in
    each of ``views``, check that a student can read every output (:func:`legibility`)."""
    rel = Path(path).as_posix()
    console: list[str] = []
    seconds: dict[str, float] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.append(f"uncaught: {e}"))
        page.add_init_script(HARNESS_JS)
        page.add_init_script(LEGIBILITY_JS)
        start = time.monotonic()
        page.goto(server.notebook_url(rel), wait_until="domcontentloaded")
        if not _poll(page, lambda: _state(page, rel).get("status") == "idle", timeout):
            raise TimeoutError(f"{rel}: kernel not idle after {timeout:.0f}s: {_state(page, rel)}")
        seconds["open"] = time.monotonic() - start

        start = time.monotonic()
        page.evaluate("p => tcpHarness.runAll(p)", rel)
        answered = _poll(page, lambda: _state(page, rel).get("run") is not None, timeout)
        completed = answered and _quiet(page, rel, timeout=timeout)
        seconds["run"] = time.monotonic() - start

        probes: list[ControlProbe] = []
        if move_controls and completed:
            start = time.monotonic()
            probes = [_probe(page, rel, ControlProbe(**m)) for m in _marks(page, rel)]
            seconds["controls"] = time.monotonic() - start

        report = page.evaluate("p => tcpHarness.collect(p)", rel)
        legible: dict[str, list[str]] = {}
        view_shots: dict[str, Path] = {}
        if completed:
            start = time.monotonic()
            for view in views:
                legible[view.name], shot_path = legibility(page, rel, view, artifacts)
                if shot_path is not None:
                    view_shots[view.name] = shot_path
            if views:
                seconds["legibility"] = time.monotonic() - start
        shot = _screenshot(page, rel, artifacts) if artifacts else None
        with contextlib.suppress(Exception):
            page.evaluate("p => tcpHarness.shutdown(p)", rel)
    except Exception as error:
        # Leave what the page looked like, and what it logged, beside the traceback.
        if artifacts is not None:
            with contextlib.suppress(Exception):
                artifacts.mkdir(parents=True, exist_ok=True)
                failed = artifacts / f"{Path(rel).stem}-failed.png"
                page.screenshot(path=str(failed), full_page=True)
                error.add_note(f"screenshot: {failed}")
        error.add_note("browser console errors: " + ("; ".join(console) or "none"))
        raise
    finally:
        context.close()
    return NotebookRun(
        path=rel,
        completed=completed,
        cells=[CellReport(**c) for c in report["cells"]],
        kernel_messages=report["kernel_messages"],
        console_errors=console,
        probes=probes,
        screenshot=shot,
        seconds=seconds,
        legibility=legible,
        view_shots=view_shots,
    )


def _marks(page: Page, path: str) -> list[dict[str, Any]]:
    marks: list[dict[str, Any]] = page.evaluate("p => tcpHarness.markControls(p)", path)
    return marks


def _probe(page: Page, path: str, probe: ControlProbe, timeout: float = 15.0) -> ControlProbe:
    if probe.kind is None:
        return probe
    try:
        return _move(page, path, probe, timeout)
    except Exception as error:  # a control that cannot be moved is a finding, not a crash
        probe.error = f"{type(error).__name__}: {str(error).splitlines()[0]}"
        return probe


def _move(page: Page, path: str, probe: ControlProbe, timeout: float) -> ControlProbe:
    k = probe.view
    control = page.locator(f'[data-tcp-control="{k}"]')
    before = page.evaluate("k => tcpHarness.snapshot(k)", k)
    control.scroll_into_view_if_needed()
    if probe.kind == "slider":
        # noUiSlider's handles take the arrow keys and report the move as a "change", exactly
        # like a drag released.
        control.focus()
        at_max = page.evaluate("k => tcpHarness.sliderAtMax(k)", k)
        control.press("ArrowLeft" if at_max else "ArrowRight")
    elif probe.kind == "select":
        values = control.evaluate("s => [...s.options].map(o => o.value)")
        current = control.evaluate("s => s.value")
        others = [v for v in values if v != current]
        if not others:
            return probe
        control.select_option(others[0])
    elif probe.kind in ("checkbox", "radio"):
        # ipywidgets lays a <label> over these inputs; a student clicks that same spot.
        control.click(force=True, timeout=5000)
    else:
        control.click(timeout=5000)

    def changed() -> bool:
        now = page.evaluate("k => tcpHarness.snapshot(k)", k)
        for where in ("cell", "notebook"):
            if now[where] != before[where]:
                probe.changed = where
                return True
        return False

    if _poll(page, changed, timeout, interval=0.2):
        _quiet(page, path, timeout=timeout)
        changed()  # re-read: a change first seen in the notebook may have reached the cell
    return probe


def _screenshot(page: Page, path: str, artifacts: Path) -> Path:
    """The whole notebook in one picture: grow the window to the notebook's height first."""
    artifacts.mkdir(parents=True, exist_ok=True)
    target = artifacts / (Path(path).stem + ".png")
    page.evaluate("() => tcpHarness.tidy()")
    page.wait_for_timeout(300)
    height = int(page.evaluate("p => tcpHarness.contentHeight(p)", path))
    page.set_viewport_size({"width": 1280, "height": max(900, min(height + 40, 16000))})
    page.wait_for_timeout(500)
    page.screenshot(path=str(target), full_page=True)
    return target


# --------------------------------------------------------------------------- the Formgrader


@contextlib.contextmanager
def formgrader_server(course: Path, *, timeout: float = 120.0) -> Iterator[LabServer]:
    """``make formgrader COURSE=<course>``: the instructor's way in, run as the guide says.

    The server gets its own token, port and Jupyter folders (nothing from ``~/.jupyter``), and a
    PATH of the bare system only: the target itself must put the environment's tools on it.
    It is stopped, kernels and all, on the way out.
    """
    workdir = Path(tempfile.mkdtemp(prefix="tcpcourse-formgrader-"))
    server: LabServer | None = None
    try:
        for _attempt in range(3):  # another process may take the free port first
            port, token = free_port(), secrets.token_hex(16)
            env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
            env.update(jupyter_dirs(workdir), PATH="/usr/bin:/bin")
            args = (
                f"--no-browser --ip=127.0.0.1 --ServerApp.port_retries=0 "
                f"--IdentityProvider.token={token} --LabApp.expose_app_in_browser=True"
            )
            command = ["make", "-s", "formgrader", f"COURSE={course}", f"PORT={port}"]
            with (workdir / "server.log").open("ab") as log:
                process = subprocess.Popen(
                    [*command, f"LAB_ARGS={args}"],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=Path(__file__).resolve().parent.parent,
                    env=env,
                    start_new_session=True,
                )
            server = LabServer(course, port, token, process, workdir)
            if _wait_until_up(server, timeout):
                break
        else:
            assert server is not None
            raise RuntimeError(f"make formgrader did not start; its log ends:\n{server.log_tail()}")
        yield server
    finally:
        if server is not None:
            _stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


def legibility(
    page: Page, path: str, view: View, artifacts: Path | None
) -> tuple[list[str], Path | None]:
    """What a student could not read in ``view``: overlapping text, text under 10 px, labels cut
    short with "…", outputs wider than their area, arrows hidden under labels, marks cut off
    (one line each); then the same after ticking each widget checkbox in turn (and back). The
    screenshot of the whole notebook in that view is saved as ``<stem>-<view>.png``."""
    page.set_viewport_size({"width": view.width, "height": view.height})
    page.evaluate("f => tcpHarness.sidebars(f)", view.file_browser)
    page.wait_for_timeout(800)  # the panels re-lay themselves out, images rescale
    found: list[str] = page.evaluate("p => tcpHarness.legible(p)", path)
    boxes: list[dict[str, Any]] = page.evaluate("p => tcpHarness.checkboxes(p)", path)
    for k, box in enumerate(boxes):
        control = page.locator(f'[data-tcp-checkbox="{k}"]')
        for ticked in (True, False):
            control.scroll_into_view_if_needed()
            control.click(force=True, timeout=5000)
            page.wait_for_timeout(300)
            _quiet(page, path, timeout=30)
            if ticked:
                more: list[str] = page.evaluate(
                    "([p, c]) => tcpHarness.legible(p, [c])", [path, box["cell"]]
                )
                found += [f"{f} (with {box['label']!r} ticked)" for f in more]
    shot = None
    if artifacts is not None:
        artifacts.mkdir(parents=True, exist_ok=True)
        shot = artifacts / f"{Path(path).stem}-{view.name}.png"
        height = int(page.evaluate("p => tcpHarness.contentHeight(p)", path))
        page.set_viewport_size(
            {"width": view.width, "height": max(view.height, min(height + 40, 16000))}
        )
        page.wait_for_timeout(500)
        page.screenshot(path=str(shot), full_page=True)
        page.set_viewport_size({"width": view.width, "height": view.height})
    return found, shot
