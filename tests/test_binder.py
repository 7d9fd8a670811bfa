"""Binder builds the course from binder/ alone; prove that build is the one the lessons need.

- what repo2docker would build: its Dockerfile (printed without Docker) uses Python 3.11, installs
  binder/requirements.txt into the kernel's environment and then runs binder/postBuild;
- the pins have not drifted from pyproject.toml (and the drift check can fail);
- a rehearsal: the same environment built in a fresh venv from binder/ alone, on top of the
  packages repo2docker's base image starts with, passes `pip check` and runs every lesson.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from conftest import ROOT, require
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

BINDER = ROOT / "binder"
BIN = Path(sys.executable).parent
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def load_tool() -> ModuleType:
    """tools/binder_requirements.py, imported by path (tools/ is not a package)."""
    path = ROOT / "tools" / "binder_requirements.py"
    spec = importlib.util.spec_from_file_location("binder_requirements", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()


def clean_copy(dest: Path) -> Path:
    """The repository as a fresh clone would have it, plus files not yet committed.

    Tracked and new files (``git ls-files``, honouring .gitignore: no .venv, build output or
    caches), so a test sees the working tree's changes before they are committed."""
    require(shutil.which("git") is not None, "git is needed to list the repository's files")
    require((ROOT / ".git").exists(), f"{ROOT} is not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for raw in filter(None, listed.split(b"\0")):
        rel = os.fsdecode(raw)
        source = ROOT / rel
        if not os.path.lexists(source):
            continue  # deleted in the working tree, not yet committed
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)  # keeps postBuild's exec bit
    return dest


# --------------------------------------------------------------------------- repo2docker, static


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per Dockerfile instruction, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def unescape(name: str) -> str:
    """repo2docker names copied build files by escaping each unsafe character as -XX (hex)."""
    return re.sub(r"-([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), name)


@pytest.fixture(scope="module")
def dockerfile(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    repo2docker = BIN / "jupyter-repo2docker"
    require(repo2docker.exists(), f"{repo2docker} is missing: install the dev extra")
    repo = clean_copy(tmp_path_factory.mktemp("binder-static") / "repo")
    done = subprocess.run(
        [
            *(str(repo2docker), "--no-build", "--no-run"),
            *("--user-id", "1000", "--user-name", "jovyan", str(repo)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"repo2docker failed:\n{done.stderr}"
    parsed = instructions(done.stdout)
    assert parsed and parsed[0][0] == "FROM", f"repo2docker printed no Dockerfile:\n{done.stdout}"
    return parsed


def test_binder_image_uses_python_3_11(dockerfile: list[tuple[str, str]]) -> None:
    env = dict(
        args.split("=", 1) for keyword, args in dockerfile if keyword == "ENV" and "=" in args
    )
    lock = env.get("NB_ENVIRONMENT_FILE")
    assert lock, "the Dockerfile sets no NB_ENVIRONMENT_FILE (repo2docker's base environment)"
    sources = [args.split()[-2] for k, args in dockerfile if k == "COPY" and args.endswith(lock)]
    assert len(sources) == 1, f"no single COPY to {lock}: {sources}"
    locked = unescape(sources[0]).rsplit("/", 1)[-1]
    assert re.match(r"environment\.py-3\.11-linux-64\.lock", locked), (
        f"Binder would build on {locked}, not Python 3.11: check binder/runtime.txt"
    )
    # The kernel runs in the environment the server runs in, the one the pins go into.
    assert env.get("KERNEL_PYTHON_PREFIX") == "${NB_PYTHON_PREFIX}"


def test_binder_image_installs_the_pins_then_runs_post_build(
    dockerfile: list[tuple[str, str]],
) -> None:
    runs = [(i, args) for i, (keyword, args) in enumerate(dockerfile) if keyword == "RUN"]
    pins = [(i, a) for i, a in runs if re.search(r'pip install .*-r "?binder/requirements\.txt', a)]
    assert len(pins) == 1, f"no single pip install of binder/requirements.txt in {runs}"
    assert pins[0][1].startswith("${KERNEL_PYTHON_PREFIX}/bin/pip ")
    post = [i for i, a in runs if a == "./binder/postBuild"]
    assert len(post) == 1, f"binder/postBuild is not run: {runs}"
    whole_repo = [
        i for i, (k, a) in enumerate(dockerfile) if k == "COPY" and re.search(r"\bsrc/ ", a)
    ]
    assert whole_repo, "the repository is never copied into the image"
    assert pins[0][0] < whole_repo[0] < post[0], "order: pins, then the repository, then postBuild"
    # binder/ exists, so the root pyproject.toml must play no part: only postBuild installs it.
    elsewhere = [a for i, a in runs if i != post[0] and re.search(r"pyproject|pip install \.", a)]
    assert not elsewhere, f"repo2docker reads the root files: {elsewhere}"


def test_post_build_is_a_strict_bash_script() -> None:
    script = BINDER / "postBuild"
    assert os.access(script, os.X_OK), f"{script} is not executable"
    lines = script.read_text().splitlines()
    assert re.match(r"#!\s*(/usr/bin/env\s+bash|/bin/bash)\b", lines[0]), lines[0]
    assert "set -euo pipefail" in lines
    assert any(re.search(r"pip install .*--no-deps .*\.$", line) for line in lines)


# --------------------------------------------------------------------------- drift


def test_pins_match_pyproject() -> None:
    problems = tool.drift((BINDER / "requirements.txt").read_text(), tool.read_declaration())
    assert not problems, "binder/requirements.txt has drifted:\n" + "\n".join(problems)


def test_digest_ignores_order_and_spelling_but_not_content() -> None:
    declaration = tool.read_declaration()
    same = {key: list(reversed(value)) for key, value in declaration.items()}
    same["notebooks"] = [r.replace(">=", " >= ").upper() for r in same["notebooks"]]
    assert tool.declaration_digest(same) == tool.declaration_digest(declaration)

    changed = copy.deepcopy(declaration)
    changed["notebooks"].append("ipympl>=0.9")
    assert tool.declaration_digest(changed) != tool.declaration_digest(declaration)


def test_drift_check_catches_a_changed_declaration() -> None:
    text = (BINDER / "requirements.txt").read_text()
    changed = copy.deepcopy(tool.read_declaration())
    matplotlib = next(r for r in changed["notebooks"] if Requirement(r).name == "matplotlib")
    pinned = tool.parse_pins(text)[0]["matplotlib"]
    # Demand a matplotlib newer than the pin: the digest changes and the pin no longer satisfies it.
    changed["notebooks"] = [r for r in changed["notebooks"] if r != matplotlib]
    changed["notebooks"].append(f"matplotlib>{pinned}")
    changed["notebooks"].append("ipympl>=0.9")
    problems = "\n".join(tool.drift(text, changed))
    assert "made from another declaration" in problems and "make binder-requirements" in problems
    assert f"matplotlib=={pinned} does not satisfy matplotlib>{pinned}" in problems
    assert "ipympl>=0.9 has no pin" in problems


def test_pin_lines_must_be_exact_and_unique() -> None:
    text = "# header\nnumpy==2.0.0\nNumPy==2.0.0\nmatplotlib>=3.8\nipywidgets==8.*\n"
    pins, problems = tool.parse_pins(text, "req.txt")
    assert pins == {"numpy": "2.0.0"}
    assert problems == [
        "req.txt:3: numpy is pinned twice",
        "req.txt:4: not pinned to one version with ==: 'matplotlib>=3.8'",
        "req.txt:5: not pinned to one version with ==: 'ipywidgets==8.*'",
    ]


def test_check_command_exit_codes(tmp_path: Path) -> None:
    script = ROOT / "tools" / "binder_requirements.py"

    def check(target: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), "--check", "--output", str(target)],
            capture_output=True,
            text=True,
            check=False,
        )

    current = tmp_path / "current.txt"
    shutil.copyfile(BINDER / "requirements.txt", current)
    assert check(current).returncode == 0, check(current).stderr

    stale = tmp_path / "stale.txt"
    stale.write_text(re.sub(r"(?m)^(numpy)==.*$", r"\1>=1", current.read_text()))
    done = check(stale)
    assert done.returncode == 1
    assert f"{stale}:" in done.stderr and "'numpy>=1'" in done.stderr

    done = check(tmp_path / "missing.txt")
    assert done.returncode == 2 and "missing.txt" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_broken_declaration_is_named(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["numpy>=1.26"]\n')
    with pytest.raises(tool.DeclarationError, match=r"optional-dependencies\] notebooks"):
        tool.read_declaration(pyproject)
    project = (
        '[project]\ndependencies = ["numpy>=>1"]\n[project.optional-dependencies]\nnotebooks = []\n'
    )
    pyproject.write_text(project)
    with pytest.raises(tool.DeclarationError, match=r"\[build-system\] requires is missing"):
        tool.read_declaration(pyproject)
    pyproject.write_text('[build-system]\nrequires = ["hatchling>=1.25"]\n' + project)
    with pytest.raises(tool.DeclarationError, match=r"dependencies: invalid requirement 'numpy"):
        tool.read_declaration(pyproject)


# --------------------------------------------------------------------------- rehearsal


def base_image_packages() -> list[str]:
    """The top-level Python packages of repo2docker's base environment for Python 3.11, as pip
    requirements at the versions its conda lock file holds.

    Binder installs the pins into that environment, not into an empty one: a pin that breaks one
    of these (say, a jupyterlab too new for its notebook) would break the real image."""
    spec = importlib.util.find_spec("repo2docker")
    require(spec is not None and spec.origin is not None, "jupyter-repo2docker is not installed")
    assert spec is not None and spec.origin is not None
    conda = Path(spec.origin).parent / "buildpacks" / "conda"
    declared = yaml.safe_load((conda / "environment.py-3.11.yml").read_text())["dependencies"]
    names = [re.split(r"[\s=<>!~]", entry, maxsplit=1)[0] for entry in declared]
    wanted = [name for name in names if name not in ("python", "nodejs", "pip")]
    locked = {}
    for line in (conda / "environment.py-3.11-linux-64.lock").read_text().splitlines():
        found = re.search(r"/([^/]+)-([^-/]+)-[^-/]+\.(?:conda|tar\.bz2)", line)
        if found:
            locked[canonicalize_name(found.group(1))] = found.group(2)
    # conda's jupyterhub-singleuser is a bundle of PyPI's jupyterhub.
    pypi = {"jupyterhub-singleuser": "jupyterhub"}
    packages = [
        f"{pypi.get(name, name)}=={locked[canonicalize_name(name)]}"
        for name in wanted
        if canonicalize_name(name) in locked
    ]
    assert len(packages) == len(wanted), f"not all of {wanted} are in the lock: {packages}"
    return packages


def uses_widgets(notebook: dict[str, object]) -> bool:
    cells = notebook["cells"]
    assert isinstance(cells, list)
    return any(
        c["cell_type"] == "code" and re.search(r"\bwidgets\.", "".join(c["source"])) for c in cells
    )


def run(
    command: list[str],
    *,
    env: dict[str, str],
    cwd: Path | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A temporary folder removed afterwards (pytest's tmp_path keeps the last runs' folders,
    and a Binder environment is hundreds of MB)."""
    folder = Path(tempfile.mkdtemp(prefix="tcpcourse-binder-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_rehearse_the_binder_build_and_run_every_lesson(scratch: Path) -> None:
    python = shutil.which("python3.11")
    require(python is not None, "python3.11 is needed to rebuild Binder's environment")
    assert python is not None
    repo = clean_copy(scratch / "repo")
    env_dir = scratch / "env"
    home = scratch / "home"
    for name in ("config", "data", "runtime", "ipython", "cache"):
        (home / name).mkdir(parents=True)
    # The caller's PIP_* settings stay: they may be how this machine reaches the package index.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    env.pop("MPLBACKEND", None)  # a headless backend set by a caller would hide every figure
    env.update(
        PATH=f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        # Nothing from the user's ~/.jupyter (kernelspecs, config) may stand in for the image's.
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "cache"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    pip = [str(env_dir / "bin" / "python"), "-m", "pip"]

    run([python, "-m", "venv", str(env_dir)], env=env)
    run([*pip, "install", "--quiet", *base_image_packages()], env=env)
    # What the Dockerfile does, with what the clean copy holds in binder/ and nothing else.
    run([*pip, "install", "--quiet", "-r", str(repo / "binder" / "requirements.txt")], env=env)
    run([str(repo / "binder" / "postBuild")], cwd=repo, env=env)
    check = subprocess.run([*pip, "check"], capture_output=True, text=True, env=env, check=False)
    assert check.returncode == 0, f"pip check in the Binder environment:\n{check.stdout}"

    installed = {
        canonicalize_name(d["name"]): d["version"]
        for d in json.loads(run([*pip, "list", "--format=json"], env=env).stdout)
    }
    pins, _ = tool.parse_pins((repo / "binder" / "requirements.txt").read_text())
    moved = {n: (v, installed.get(n)) for n, v in pins.items() if installed.get(n) != v}
    assert not moved, f"installed versions differ from the pins (pin, installed): {moved}"
    assert "tcpcourse" in installed, "postBuild did not install the course"

    lessons = sorted((repo / "notebooks").glob("*.ipynb"))
    assert lessons, "no lessons in notebooks/"
    out = scratch / "executed"
    for lesson in lessons:
        run(
            [
                *(str(env_dir / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute"),
                *("--ExecutePreprocessor.timeout=300", "--output-dir", str(out), str(lesson)),
            ],
            cwd=lesson.parent,
            env=env,
            timeout=900,
        )
        executed = json.loads((out / lesson.name).read_text())
        outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        errors = [o for o in outputs if o["output_type"] == "error"]
        stderr = ["".join(o["text"]) for o in outputs if o.get("name") == "stderr"]
        assert not errors and not stderr, f"{lesson.name}: {errors or stderr}"
        views = sum(1 for o in outputs if WIDGET_MIME in o.get("data", {}))
        if uses_widgets(executed):
            assert views > 0, f"{lesson.name} uses widgets but displayed no widget view"
        print(f"{lesson.name}: {len(outputs)} outputs, {views} widget views")
