"""Build the course's book: a static website of the executed lessons (``make site``).

    python tools/book.py build [--repo OWNER/NAME] [--output DIR]

Run from ``.venv-site`` (the ``site`` extra: Sphinx, myst-nb, sphinx-book-theme), never from the
lab's ``.venv``. The build

1. stages the book's sources in ``build/site-work/src``, in the repository's own layout (the
   lessons in ``notebooks/``, the guides in ``docs/``) so that the lessons' links between
   themselves still work; a link to a file that is not in the book (an assignment, the course
   folder) becomes a link to that file on GitHub;
2. runs Sphinx with ``tools/book/conf.py``: myst-nb executes every lesson (the widgets display
   statically: :mod:`tcpcore.widgets.static`), sphinx-book-theme lays the pages out;
3. moves the HTML to ``build/site`` and prints how long it took and how big it is; the executed
   lessons stay in ``build/site-work/jupyter_execute`` (the test counts their figures there).

Every link that leaves the book (launch buttons, GitHub) is derived from one setting, the
repository's ``owner/name`` (``--repo``, default ``$TCPCOURSE_REPO`` or ``tcpcourse/tcpcourse``).
Sphinx warnings fail the build. Errors the build can name are one line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tcpcore.widgets import static  # noqa: E402  (the checkout's, before any installed copy)

CONF_DIR = ROOT / "tools" / "book"
WORK = ROOT / "build" / "site-work"
DEFAULT_OUTPUT = ROOT / "build" / "site"

# The book's pages, in the order of its table of contents (paths in the repository).
LESSONS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
GUIDES = [
    "notebooks/zh-CN/06-answer-the-interview-questions.ipynb",
    "docs/glossary.md",
    "docs/instructor-guide.md",
    "docs/conformance.md",
    "docs/linux-oracle.md",
]

_MD_LINK = re.compile(r"(\]\()([^)\s]+)(\))")
_HREF = re.compile(r'((?:href|src)=")([^"]+)(")')


class SiteError(Exception):
    """A problem the build can name in one line."""


def pages() -> list[str]:
    """The pages of the book; a missing one is an error that names it."""
    missing = [p for p in [*LESSONS, *GUIDES] if not (ROOT / p).is_file()]
    if missing or not LESSONS:
        raise SiteError(f"the book's sources are missing: {', '.join(missing) or 'notebooks/'}")
    return [*LESSONS, *GUIDES]


def _rewrite(text: str, source: str, in_book: set[str], repo: str) -> str:
    """Links of ``source`` (a path in the repository) to files outside the book go to GitHub."""
    base = Path(source).parent

    def fix(m: re.Match[str]) -> str:
        target = m.group(2)
        if re.match(r"[a-z][a-z0-9+.-]*:|#|/", target):
            return m.group(0)
        path, _, fragment = target.partition("#")
        resolved = os.path.normpath((base / path).as_posix())
        if resolved in in_book or resolved.startswith(".."):
            return m.group(0)
        if not (ROOT / resolved).exists():
            return m.group(0)  # Sphinx reports it
        kind = "tree" if (ROOT / resolved).is_dir() else "blob"
        url = f"https://github.com/{repo}/{kind}/HEAD/{resolved}"
        return m.group(1) + url + (f"#{fragment}" if fragment else "") + m.group(3)

    return _HREF.sub(fix, _MD_LINK.sub(fix, text))


def stage(src: Path, repo: str) -> None:
    """Copy the book's pages into ``src`` (links rewritten) and write its index."""
    book = pages()
    if src.exists():
        shutil.rmtree(src)
    in_book = set(book)
    for page in book:
        dest = src / page
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = (ROOT / page).read_text(encoding="utf-8")
        if page.endswith(".ipynb"):
            try:
                nb = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SiteError(f"{page} is not notebook JSON: {exc}") from exc
            for cell in nb.get("cells", []):
                if cell.get("cell_type") == "markdown":
                    body = "".join(cell["source"])
                    cell["source"] = _rewrite(body, page, in_book, repo)
            text = json.dumps(nb, ensure_ascii=False, indent=1)
        else:
            text = _rewrite(text, page, in_book, repo)
        dest.write_text(text, encoding="utf-8")
    index = (CONF_DIR / "index.md").read_text(encoding="utf-8")
    (src / "index.md").write_text(index, encoding="utf-8")


def du(path: Path) -> tuple[int, int]:
    """Bytes and files under ``path``."""
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def build(output: Path, repo: str, work: Path = WORK) -> int:
    started = time.monotonic()
    src = work / "src"
    stage(src, repo)
    html = work / "html"
    env = {**os.environ, static.REPO_ENV: repo, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    env.pop(static.STATIC_ENV, None)  # conf.py sets it for each lesson as it is executed
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(CONF_DIR), "-q"]
    cmd += ["-d", str(work / "doctrees"), "-W", "--keep-going", str(src), str(html)]
    done = subprocess.run(cmd, env=env, check=False)
    if done.returncode != 0:
        raise SiteError(f"Sphinx failed (exit {done.returncode}): see its messages above")
    if output.exists():
        shutil.rmtree(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(html), str(output))
    size, count = du(output)
    took = time.monotonic() - started
    print(f"site: {output} ({size / 1e6:.1f} MB, {count} files) built in {took:.0f} s")
    print(f"site: serve it with: python -m http.server -d {output} 8001")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/book.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the book into build/site")
    b.add_argument("--repo", default=None, help="GitHub owner/name the launch links point at")
    b.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    b.add_argument(
        "--work", type=Path, default=WORK, help="staged sources, doctrees, executed lessons"
    )
    args = parser.parse_args(argv)
    try:
        repo = static.repository(args.repo)
        return build(args.output.resolve(), repo, args.work.resolve())
    except (SiteError, ValueError) as exc:
        print(f"make site: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
