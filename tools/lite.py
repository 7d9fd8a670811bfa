"""Build the lessons as a static JupyterLite site: Python in the browser (Pyodide), no server.

    python tools/lite.py build                   # build/lite, Pyodide from its CDN at run time
    python tools/lite.py build --pyodide npm     # also host Pyodide's core in the site (from npm)
    python tools/lite.py serve [--port 8000]     # serve build/lite on 127.0.0.1

What the site holds (``make lite`` runs the first command):

- ``notebooks/``: a Lite copy of every lesson. The lesson files are not touched; each copy gets
  two cells after its title, a banner and a setup cell (:data:`SETUP_LINES`) that installs the
  course library and ipywidgets with ``%pip`` (piplite) from the site's own wheel index. The
  figures need nothing more: without matplotlib, ``tcpcore.viz`` draws with its own SVG writer
  (``tcpcore/viz/svg/``), and the lessons display figures through ``_repr_svg_``, with no
  ``%matplotlib`` line. No lesson uses numpy (only the columnar capture reader does, an optional
  extra no lesson calls), so Pyodide's own packages, which only its CDN serves, are never loaded.
  Why a setup cell and not a kernel that preinstalls: the Pyodide kernel loads packages only for
  the plain ``import`` lines of a cell, and a preinstalling kernel would mean hand-editing
  Pyodide's lock file, a format that changes with each Pyodide release. The setup cell is the
  documented JupyterLite way, it says what it installs, and a student can copy it into a
  notebook of their own.
- ``start-here.ipynb``: what runs here and what needs a real Jupyter kernel, lesson by lesson
  (from ``tools/lite/lessons.json``), with a widget that proves the kernel works.
- ``pypi/``: the wheels piplite installs from: tcpcourse (``pip wheel --no-deps`` of this
  checkout), ipywidgets, comm and jupyterlab_widgets at the versions installed in this
  environment (so the kernel side matches the widget front end copied from here), and the Pyodide
  kernel's own wheels. PyPI is never asked at run time (``disablePyPIFallback``).
- the front end and two federated extensions: the Pyodide kernel and the ipywidgets manager
  (nothing else from this environment: nbgrader's extension would only fail without a server).

By default the site loads Pyodide itself (its WebAssembly core, standard library and the packages
a kernel needs to start) from Pyodide's CDN. With ``--pyodide npm`` the site hosts Pyodide's core
(the ``pyodide`` npm package, which carries no packages) and the pure-Python packages the kernel
needs to start (from PyPI), so the lessons run with no access to anything but the site; the
packages the site does not hold (numpy, matplotlib, ...: Pyodide's builds exist only on its CDN)
keep absolute URLs to the CDN in the site's copy of ``pyodide-lock.json``, for a student's own
``%pip install matplotlib``.

Errors a user can fix (no npm, no jupyterlite in this Python, a failed download) are printed as
one line naming what is missing and how to get it; the exit status is 2.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import hashlib
import http.server
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "tools" / "lite"
LESSONS_DIR = ROOT / "notebooks"
DEFAULT_OUTPUT = ROOT / "build" / "lite"
DEFAULT_CACHE = ROOT / "build" / "cache" / "lite"
START_PAGE = "start-here.ipynb"
CANONICAL_SITE = "https://tcpcourse.github.io/tcpcourse"

# The setup cell of every Lite copy (piplite's %pip takes no trailing comments). tcpcourse has
# no required dependencies (numpy, for the columnar capture reader no lesson uses, is the optional
# ``fast`` extra), so a plain install fetches nothing from Pyodide's CDN; one %pip line lets
# piplite resolve and fetch the three wheels together.
SETUP_LINES = [
    "# JupyterLite only: the course library and ipywidgets, from this site.",
    "# Not needed on a Jupyter server, where they are installed.",
    "# comm is named on purpose: the kernel and ipywidgets need it; Pyodide has none.",
    "%pip install -q tcpcourse comm ipywidgets",
]
# The start page installs the same.
START_SETUP_LINES = SETUP_LINES

# Python packages whose wheels the site serves to piplite, pinned to this environment's versions.
# comm is here on purpose, not as a side effect: the Pyodide kernel itself requires it (the
# pyodide_kernel wheel's Requires-Dist) and so does ipywidgets, while Pyodide's package set (its
# pyodide-lock.json, on the CDN and in the npm package alike) has no comm and piplite is told
# never to ask PyPI (disablePyPIFallback). Without this wheel the kernel never starts, offline or
# online; check_site_index() refuses a build whose comm does not satisfy both.
SITE_WHEELS = ("ipywidgets", "comm", "jupyterlab_widgets")
# Federated extensions copied from this environment, by their npm names.
EXTENSIONS = ("@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager")
# What a Pyodide kernel loads from pyodide-lock.json before the first cell runs (micropip, then
# pyodide_kernel's dependencies, and jedi for completion); with --pyodide npm these come from
# PyPI into the site.
BOOT_PACKAGES = ("micropip", "ipython", "traitlets", "jedi")

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".ipynb": "application/json",
    ".whl": "application/octet-stream",
    ".zip": "application/zip",
}


class LiteError(Exception):
    """A problem with the build's inputs or tools that the user can fix."""


# --------------------------------------------------------------------------- versions


def pyodide_version() -> str:
    """The Pyodide release the installed jupyterlite-pyodide-kernel is built against."""
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

    return str(PYODIDE_VERSION)


def pyodide_cdn(version: str) -> str:
    return f"https://cdn.jsdelivr.net/pyodide/v{version}/full"


def check_tools() -> None:
    """Fail early, and clearly, when the ``lite`` extra is not installed in this Python."""
    missing = [
        name
        for name in ("jupyterlite_core", "jupyterlite_pyodide_kernel")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise LiteError(
            f"{', '.join(missing)} not installed in {sys.executable}; "
            "run it with the Lite toolchain's Python (make lite creates .venv-lite with the "
            "lite extra); never install that extra beside JupyterLab"
        )
    for dist in ("jupyterlite-core", "jupyterlite-pyodide-kernel"):
        version = importlib.metadata.version(dist)
        if not version.startswith("0.8."):
            raise LiteError(f"{dist} {version} found; this build is written for 0.8.x")


def installed_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        raise LiteError(
            f"{dist} is not installed in {sys.executable}; the site pins its wheel to the "
            "installed version: pip install -e '.[lite]' (make lite does this in .venv-lite)"
        ) from None


def labextension_dir(npm_name: str) -> Path:
    path = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / npm_name
    if not (path / "package.json").is_file():
        raise LiteError(
            f"JupyterLab extension {npm_name} not found in {path.parent.parent}; "
            "install the lite extra: pip install -e '.[lite]' (make lite does this in .venv-lite)"
        )
    return path


# --------------------------------------------------------------------------- notebooks


def _source(lines: list[str]) -> list[str]:
    """nbformat's multi-line source: every line but the last keeps its newline."""
    return [line + "\n" for line in lines[:-1]] + lines[-1:]


def _markdown(cell_id: str, lines: list[str]) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _source(lines)}


def _code(cell_id: str, lines: list[str]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {"tags": ["jupyterlite-setup"]},
        "outputs": [],
        "source": _source(lines),
    }


def banner_lines(language: str = "en", start: str = "../start-here.ipynb") -> list[str]:
    """The banner of a Lite copy, in the lesson's language ("en", or "zh-CN" for the editions in
    notebooks/zh-CN/), linking the start page at ``start``."""
    if language == "zh-CN":
        return [
            "> **正在浏览器里运行（JupyterLite）。** 这里的 Python 是 Pyodide：没有服务器，什么都"
            "不用安装，你的改动也只保存在这个浏览器里。请先运行下一个单元格：它会安装课程的库（要"
            "几秒钟）；图和小部件不需要别的东西。需要真正 Jupyter 内核的内容（计分作业、Linux "
            f"抓包、你自己的文件）列在[起始页（英文）]({start})上。",
        ]
    return [
        "> **Running in your browser (JupyterLite).** Python here is Pyodide: no server, nothing "
        "to install, and nothing you change is saved outside this browser. Run the next cell "
        "first: it installs the course library (a few seconds); figures and widgets need "
        "nothing else. What needs a real Jupyter kernel (the graded course, the Linux captures, "
        f"your own files) is listed on the [start page]({start}).",
    ]


def lite_copy(
    notebook: dict[str, Any], language: str = "en", start: str = "../start-here.ipynb"
) -> dict[str, Any]:
    """The Lite version of a lesson: the lesson unchanged, with a banner (in ``language``,
    linking the start page at ``start``) and a setup cell added after its title (or at the top
    when it has none)."""
    lite = copy.deepcopy(notebook)
    cells = lite.setdefault("cells", [])
    ids = {cell.get("id") for cell in cells}
    if {"jupyterlite-banner", "jupyterlite-setup"} & ids:
        raise LiteError("notebook already has JupyterLite setup cells")
    at = 1 if cells and cells[0].get("cell_type") == "markdown" else 0
    cells[at:at] = [
        _markdown("jupyterlite-banner", banner_lines(language, start)),
        _code("jupyterlite-setup", SETUP_LINES),
    ]
    # A notebook carries cell ids from nbformat 4.5 on.
    lite["nbformat"], lite["nbformat_minor"] = 4, max(5, lite.get("nbformat_minor", 5))
    lite.setdefault("metadata", {})["kernelspec"] = {
        "display_name": "Python (Pyodide)",
        "language": "python",
        "name": "python",
    }
    return lite


def read_lessons_table() -> dict[str, dict[str, str]]:
    """tools/lite/lessons.json: what each lesson does in Lite, as checked by tests/test_lite.py."""
    path = TEMPLATES / "lessons.json"
    try:
        table: dict[str, dict[str, str]] = json.loads(path.read_text())["lessons"]
    except (OSError, ValueError, KeyError) as exc:
        raise LiteError(f"{path}: cannot read the lessons table: {exc}") from None
    return table


def start_page(lessons: list[str]) -> dict[str, Any]:
    """The site's start page, from tools/lite/start-here.md and the lessons table."""
    table = read_lessons_table()
    missing = [name for name in lessons if name not in table]
    if missing:
        raise LiteError(
            f"{TEMPLATES / 'lessons.json'}: no entry for {', '.join(missing)}; "
            "add one (run the lesson in Lite first)"
        )
    rows = ["| lesson | what it holds |", "|---|---|"]
    rows += [f"| [{name}](notebooks/{name}.ipynb) | {table[name]['notes']} |" for name in lessons]
    text = (TEMPLATES / "start-here.md").read_text()
    if "{lessons}" not in text:
        raise LiteError(f"{TEMPLATES / 'start-here.md'}: the {{lessons}} placeholder is missing")
    parts = [
        part.strip("\n")
        for part in text.replace("{lessons}", "\n".join(rows)).split("\n---cell---\n")
    ]
    cells: list[dict[str, Any]] = [
        _markdown(f"start-{k}", part.splitlines()) for k, part in enumerate(parts)
    ]
    cells.insert(1, _code("jupyterlite-setup", START_SETUP_LINES))
    demo = (TEMPLATES / "start-here-demo.py").read_text().strip("\n").splitlines()
    cells.insert(3, {**_code("start-demo", demo), "metadata": {}})
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {
                "display_name": "Python (Pyodide)",
                "language": "python",
                "name": "python",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_contents(contents: Path, extra: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Write the start page and the Lite copies of the lessons; return the lesson names."""
    lessons = sorted(LESSONS_DIR.glob("*.ipynb"))
    if not lessons:
        raise LiteError(f"no lessons found in {LESSONS_DIR}")
    (contents / "notebooks").mkdir(parents=True)
    for path in lessons:
        try:
            notebook = json.loads(path.read_text())
        except ValueError as exc:
            raise LiteError(f"{path}: not a notebook (invalid JSON: {exc})") from None
        (contents / "notebooks" / path.name).write_text(json.dumps(lite_copy(notebook), indent=1))
    # Other editions of a lesson (notebooks/zh-CN/), which the lessons link to, go along.
    for path in sorted(LESSONS_DIR.glob("[!.]*/*.ipynb")):
        try:
            notebook = json.loads(path.read_text())
        except ValueError as exc:
            raise LiteError(f"{path}: not a notebook (invalid JSON: {exc})") from None
        rel = path.relative_to(LESSONS_DIR)
        up = "../" * len(rel.parts)  # from notebooks/<folder>/ back to the site's root
        # The folder names the edition's language (notebooks/zh-CN/).
        language = "zh-CN" if rel.parts[0] == "zh-CN" else "en"
        edition = lite_copy(notebook, language, f"{up}start-here.ipynb")
        target = contents / "notebooks" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(edition, indent=1))
    names = [path.stem for path in lessons]
    (contents / START_PAGE).write_text(json.dumps(start_page(names), indent=1))
    for rel, notebook in (extra or {}).items():
        target = contents / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(notebook, indent=1))
    return names


# --------------------------------------------------------------------------- wheels


def _run(command: list[str], what: str, cwd: Path | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        raise LiteError(f"{what} failed (exit {result.returncode}): {' '.join(command)}\n{tail}")


def build_tcpcourse_wheel(dest: Path) -> Path:
    """``pip wheel --no-deps`` of this checkout: pure Python, tcpcore and its shipped captures."""
    with tempfile.TemporaryDirectory(prefix="tcpcourse-wheel-") as tmp:
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp, str(ROOT)]
        # The build backend, when this environment has it, saves a download from PyPI.
        if importlib.util.find_spec("hatchling") is not None:
            command.insert(5, "--no-build-isolation")
        _run(command, "building the tcpcourse wheel")
        wheels = list(Path(tmp).glob("tcpcourse-*-py3-none-any.whl"))
        if len(wheels) != 1:
            raise LiteError(
                f"pip wheel made {[w.name for w in Path(tmp).iterdir()]}, "
                "expected one tcpcourse-*-py3-none-any.whl"
            )
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(wheels[0], dest / wheels[0].name))


def download_wheels(specs: list[str], dest: Path, python: str) -> None:
    """Pure-Python wheels from PyPI for the browser's Python (``python`` as in "3.14")."""
    dest.mkdir(parents=True, exist_ok=True)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            python,
            "-q",
            "-d",
            str(dest),
            *specs,
        ],
        f"downloading {', '.join(specs)} from PyPI",
    )


def site_wheels(cache: Path, python: str) -> list[Path]:
    """ipywidgets and friends at this environment's versions, downloaded once into the cache."""
    specs = [f"{name}=={installed_version(name)}" for name in SITE_WHEELS]
    folder = cache / "site-wheels" / hashlib.sha256(" ".join(specs).encode()).hexdigest()[:12]
    if not (folder / ".complete").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        download_wheels(specs, folder, python)
        (folder / ".complete").write_text("\n".join(specs) + "\n")
    return sorted(folder.glob("*.whl"))


def _wheel_requirements(wheel: Path) -> list[str]:
    """The Requires-Dist lines of a wheel's METADATA."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise LiteError(f"{wheel}: no single .dist-info/METADATA in the wheel")
            metadata = archive.read(names[0]).decode("utf-8")
    except (OSError, zipfile.BadZipFile) as exc:
        raise LiteError(f"{wheel}: not a readable wheel: {exc}") from None
    return [
        line.split(":", 1)[1].strip()
        for line in metadata.split("\n\n", 1)[0].splitlines()
        if line.startswith("Requires-Dist:")
    ]


KERNEL_WHEELS = Path("extensions/@jupyterlite/pyodide-kernel-extension/static/pypi")


def check_site_index(site: Path) -> dict[str, str]:
    """What the built site's wheel index (``pypi/all.json``) serves, by normalised name and
    version; a :class:`LiteError` unless it serves one comm that both the Pyodide kernel (its
    ``pyodide_kernel`` wheel, in the site's copy of the kernel extension) and the ipywidgets it
    serves accept, as their own wheels' metadata say. Reads files only (no network)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    index_path = site / "pypi" / "all.json"
    try:
        index: dict[str, Any] = json.loads(index_path.read_text())
    except (OSError, ValueError) as exc:
        raise LiteError(f"{index_path}: cannot read the site's wheel index: {exc}") from None
    served: dict[str, str] = {}
    files: dict[str, Path] = {}
    for name, entry in index.items():
        releases = entry.get("releases", {}) if isinstance(entry, dict) else {}
        if len(releases) != 1:
            raise LiteError(f"{index_path}: {name} has {len(releases)} releases, expected one")
        ((version, wheels),) = releases.items()
        key = str(canonicalize_name(name))
        served[key] = version
        urls = [w.get("url", "") for w in wheels if w.get("filename", "").endswith(".whl")]
        if len(urls) != 1:
            raise LiteError(f"{index_path}: {name} {version} lists {len(urls)} wheels, not one")
        files[key] = (index_path.parent / urls[0]).resolve()
    kernels = sorted((site / KERNEL_WHEELS).glob("pyodide_kernel-*.whl"))
    if len(kernels) != 1:
        raise LiteError(f"{site / KERNEL_WHEELS}: {len(kernels)} pyodide_kernel wheels, not one")
    if "ipywidgets" not in served:
        raise LiteError(f"{index_path}: the site serves no ipywidgets wheel (SITE_WHEELS)")
    if "comm" not in served:
        raise LiteError(
            f"{index_path}: the site serves no comm wheel; the Pyodide kernel and ipywidgets "
            "require it, Pyodide does not ship one and piplite may not ask PyPI, so the kernel "
            "cannot start (SITE_WHEELS)"
        )
    users = {
        "the Pyodide kernel": kernels[0],
        f"ipywidgets {served['ipywidgets']}": files["ipywidgets"],
    }
    for who, wheel in users.items():
        wanted = [
            Requirement(line)
            for line in _wheel_requirements(wheel)
            if canonicalize_name(Requirement(line).name) == "comm"
        ]
        if not wanted and who.startswith("ipywidgets"):
            raise LiteError(f"{wheel}: ipywidgets declares no comm requirement")
        for requirement in wanted:
            if requirement.marker is None and not requirement.specifier.contains(
                served["comm"], prereleases=True
            ):
                raise LiteError(
                    f"{index_path}: the site serves comm {served['comm']}, but {who} "
                    f"requires {requirement}"
                )
    return served


# --------------------------------------------------------------------------- Pyodide from npm


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(functools.partial(handle.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def lock_closure(packages: dict[str, Any], roots: tuple[str, ...]) -> list[str]:
    """``roots`` and everything they depend on in a pyodide-lock.json ``packages`` table."""
    by_name = {name.lower().replace("_", "-"): name for name in packages}
    found: list[str] = []
    todo = list(roots)
    while todo:
        key = by_name.get(todo.pop().lower().replace("_", "-"))
        if key is None or key in found:
            continue
        found.append(key)
        todo += packages[key].get("depends", [])
    return sorted(found)


def npm_pyodide(cache: Path, version: str) -> Path:
    """Pyodide's core from the npm registry, plus the pure-Python packages a kernel loads
    before its first cell (from PyPI), as a folder ``jupyter lite build --pyodide`` accepts.

    The npm package holds no Python packages. Pyodide rebuilds even pure-Python wheels, so the
    PyPI wheels differ byte for byte from the CDN's; their hashes replace the lock's (Pyodide
    checks every file it loads against them). Every package the folder lacks keeps working online:
    its ``file_name`` becomes an absolute URL on Pyodide's CDN."""
    npm = shutil.which("npm")
    if npm is None:
        raise LiteError(
            "--pyodide npm needs npm (Node.js) to fetch the pyodide package from the npm "
            "registry: install Node.js (apt-get install npm), or build without --pyodide npm "
            "to load Pyodide from its CDN"
        )
    target = cache / f"pyodide-{version}"
    if (target / ".complete").is_file():
        return target
    work = cache / f"pyodide-{version}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    _run(
        [npm, "pack", f"pyodide@{version}", "--silent", "--pack-destination", str(work)],
        f"npm pack pyodide@{version}",
    )
    tarballs = list(work.glob("pyodide-*.tgz"))
    if len(tarballs) != 1:
        raise LiteError(f"npm pack pyodide@{version} left {[p.name for p in work.iterdir()]}")
    dist = work / "pyodide"
    with tarfile.open(tarballs[0]) as archive:
        archive.extractall(work, filter="data")
    (work / "package").rename(dist)
    tarballs[0].unlink()

    lock_path = dist / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    packages: dict[str, Any] = lock["packages"]
    boot = lock_closure(packages, BOOT_PACKAGES)
    python = ".".join(str(lock["info"]["python"]).split(".")[:2])
    download_wheels([f"{name}=={packages[name]['version']}" for name in boot], dist, python)
    cdn = pyodide_cdn(version)
    for name, entry in packages.items():
        local = dist / entry["file_name"]
        if name in boot:
            # pip names the file as the wheel says; the lock may normalise differently.
            found = [
                p
                for p in dist.glob("*.whl")
                if _wheel_key(p.name) == _wheel_key(entry["file_name"])
            ]
            if len(found) != 1:
                raise LiteError(f"PyPI gave no wheel matching {entry['file_name']} for {name}")
            if found[0] != local:
                found[0].rename(local)
            entry["sha256"] = _sha256(local)
        elif not local.is_file():
            entry["file_name"] = f"{cdn}/{entry['file_name']}"
    lock_path.write_text(json.dumps(lock, indent=1))
    (work / ".complete").write_text(f"pyodide {version} from npm; from PyPI: {', '.join(boot)}\n")
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return target


def _wheel_key(filename: str) -> tuple[str, str]:
    name, version = filename.split("-")[:2]
    return name.lower().replace("_", "-").replace(".", "-"), version


# --------------------------------------------------------------------------- the build


def lite_config(stage: Path, wheels: Path, for_tests: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "LiteBuildConfig": {
            "contents": ["contents"],
            # Only the extensions the lessons need; not everything in this environment.
            "ignore_sys_prefix": True,
            "federated_extensions": [str(labextension_dir(name)) for name in EXTENSIONS],
            "no_sourcemaps": True,
            "cache_dir": str(stage / ".cache"),
        },
        "PipliteAddon": {"piplite_urls": [str(wheels)]},
    }
    if for_tests:
        config["LiteBuildConfig"]["settings_overrides"] = [str(TEMPLATES / "test-overrides.json")]
    return config


def lite_json(for_tests: bool, expose_app: bool = False) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads((TEMPLATES / "jupyter-lite.json").read_text())
    if for_tests or expose_app:
        # The browser tests read the front end through window.jupyterapp.
        settings["jupyter-config-data"]["exposeAppInBrowser"] = "true"
    return settings


def build(
    output: Path = DEFAULT_OUTPUT,
    *,
    pyodide: str = "cdn",
    cache: Path = DEFAULT_CACHE,
    for_tests: bool = False,
    expose_app: bool = False,
    extra_contents: dict[str, dict[str, Any]] | None = None,
    log: bool = True,
) -> dict[str, Any]:
    """Build the site into ``output`` (replaced); return what was built, with timings."""
    if pyodide not in ("cdn", "npm"):
        raise LiteError(f"--pyodide must be cdn or npm, not {pyodide!r}")
    check_tools()
    output, cache = output.resolve(), cache.resolve()
    started = time.monotonic()
    version = pyodide_version()
    python = "3.14"
    cache.mkdir(parents=True, exist_ok=True)
    pyodide_dir = npm_pyodide(cache, version) if pyodide == "npm" else None
    if pyodide_dir is not None:
        lock = json.loads((pyodide_dir / "pyodide" / "pyodide-lock.json").read_text())
        python = ".".join(str(lock["info"]["python"]).split(".")[:2])

    stage = output.parent / f"{output.name}-stage"
    shutil.rmtree(stage, ignore_errors=True)
    wheels = stage / "wheels"
    tcpcourse = build_tcpcourse_wheel(wheels)
    for wheel in site_wheels(cache, python):
        shutil.copy2(wheel, wheels / wheel.name)
    lessons = write_contents(stage / "contents", extra_contents)
    (stage / "jupyter_lite_config.json").write_text(
        json.dumps(lite_config(stage, wheels, for_tests), indent=1)
    )
    (stage / "jupyter-lite.json").write_text(json.dumps(lite_json(for_tests, expose_app), indent=1))
    if pyodide_dir is not None:
        # The Pyodide addon's well-known place: copied to static/pyodide, pyodideUrl set to it.
        shutil.copytree(pyodide_dir / "pyodide", stage / "static" / "pyodide")

    shutil.rmtree(output, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "jupyterlite_core",
        "build",
        "--lite-dir",
        str(stage),
        "--output-dir",
        str(output),
    ]
    if log:
        print(
            f"jupyter lite build: {len(lessons)} lessons, Pyodide {version} ({pyodide})", flush=True
        )
    _run(command, "jupyter lite build", cwd=stage)
    for required in ("index.html", "jupyter-lite.json", f"files/{START_PAGE}"):
        if not (output / required).exists():
            raise LiteError(f"jupyter lite build finished but {output / required} is missing")
    check_site_index(output)
    info = {
        "output": str(output),
        "pyodide": pyodide,
        "pyodide_version": version,
        "lessons": lessons,
        "tcpcourse_wheel": tcpcourse.name,
        "seconds": round(time.monotonic() - started, 1),
        "bytes": sum(p.stat().st_size for p in output.rglob("*") if p.is_file()),
    }
    shutil.rmtree(stage, ignore_errors=True)
    return info


def read_extra_contents(folder: Path | None) -> dict[str, dict[str, Any]] | None:
    """Every notebook under ``folder``, by its path relative to it (extra site contents)."""
    if folder is None:
        return None
    if not folder.is_dir():
        raise LiteError(f"--extra-contents: {folder} is not a folder")
    found = {}
    for path in sorted(folder.rglob("*.ipynb")):
        try:
            found[path.relative_to(folder).as_posix()] = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise LiteError(f"--extra-contents: {path} is not a notebook: {error}") from None
    return found


# --------------------------------------------------------------------------- serving


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **MIME_TYPES,
    }

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("TCPCOURSE_LITE_LOG"):
            super().log_message(format, *args)


@contextlib.contextmanager
def serve(directory: Path, port: int = 0) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port when 0) in a thread; yield its URL."""
    handler = functools.partial(_Handler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name="lite-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- command line


def _print_built(info: dict[str, Any]) -> None:
    size = info["bytes"] / 1e6
    print(
        f"Built {info['output']} in {info['seconds']} s ({size:.1f} MB): the start page and "
        f"{len(info['lessons'])} lessons, {info['tcpcourse_wheel']}, "
        f"Pyodide {info['pyodide_version']} from "
        + ("its CDN" if info["pyodide"] == "cdn" else "this site: the lessons need nothing else")
    )
    print("Serve it locally:   make lite-serve   (or: python tools/lite.py serve)")
    print("Publish it:         see docs/lite.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/lite.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the static site")
    b.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    b.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    b.add_argument(
        "--pyodide",
        choices=("cdn", "npm"),
        default="cdn",
        help="cdn: load Pyodide from its CDN; npm: host its core in the site",
    )
    # For tests/test_lite.py, which runs this script in the Lite toolchain's environment:
    b.add_argument("--for-tests", action="store_true", help=argparse.SUPPRESS)
    # For benchmarks/bench_lite.py: the published site, with window.jupyterapp to time it by.
    b.add_argument("--expose-app", action="store_true", help=argparse.SUPPRESS)
    b.add_argument("--extra-contents", type=Path, help=argparse.SUPPRESS)
    b.add_argument("--info", type=Path, help=argparse.SUPPRESS)
    s = sub.add_parser("serve", help="serve a built site on 127.0.0.1")
    s.add_argument("--dir", type=Path, default=DEFAULT_OUTPUT)
    s.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            info = build(
                args.output,
                pyodide=args.pyodide,
                cache=args.cache,
                for_tests=args.for_tests,
                expose_app=args.expose_app,
                extra_contents=read_extra_contents(args.extra_contents),
                log=not args.info,
            )
            if args.info:
                args.info.write_text(json.dumps(info, indent=1))
            else:
                _print_built(info)
            return 0
        if not (args.dir / "index.html").is_file():
            raise LiteError(f"no site in {args.dir}: run make lite first")
        with serve(args.dir, args.port) as url:
            print(f"Serving {args.dir} at {url}/lab/index.html?path={START_PAGE}")
            print("Stop it with Ctrl-C.", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        return 0
    except LiteError as error:
        print(f"tools/lite.py: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"tools/lite.py: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
