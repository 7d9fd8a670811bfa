"""Write binder/requirements.txt: every package Binder installs, pinned to one version.

Binder (repo2docker) builds from binder/ alone and never reads pyproject.toml, so the lessons'
dependencies are restated there. Restating them by hand drifts; this script resolves them with pip
instead and records a digest of the declaration it resolved, so a test can tell when pyproject.toml
has moved on without the pins (``make binder-requirements`` regenerates them).

What is resolved: the core ``dependencies`` of pyproject.toml, its ``notebooks`` extra, and
:data:`BINDER_EXTRA`. The resolution runs pip in this interpreter with ``--dry-run
--ignore-installed --report``: nothing is installed, every transitive distribution is listed, and
environment markers are evaluated for this interpreter, which must therefore be CPython 3.11 on
Linux x86_64 (what binder/runtime.txt asks Binder for).

    python tools/binder_requirements.py            # resolve and write binder/requirements.txt
    python tools/binder_requirements.py --check    # offline: exit 1 if the pins have drifted
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import platform
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
OUTPUT = ROOT / "binder" / "requirements.txt"
EXTRA = "notebooks"
TARGET = "CPython 3.11 on Linux x86_64"
DIGEST_PREFIX = "# declaration-sha256: "
REGENERATE = "make binder-requirements"

# repo2docker's base environment already holds notebook 7 (its image starts `jupyter notebook`) and
# pip installs our pins into that same environment. Pinning notebook beside jupyterlab keeps the
# two in step: left alone, the base image's notebook would demand an older jupyterlab than ours.
BINDER_EXTRA = ["notebook>=7.2,<8"]


class DeclarationError(Exception):
    """pyproject.toml does not declare what Binder needs; the message names file and key."""


def normalise(requirements: list[str], where: str) -> list[str]:
    """Requirements in one canonical spelling, sorted, so formatting edits change no digest."""
    out = []
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement as error:
            raise DeclarationError(f"{where}: invalid requirement {text!r}: {error}") from None
        req.name = canonicalize_name(req.name)
        out.append(str(req))
    return sorted(out)


def read_declaration(pyproject: Path = PYPROJECT) -> dict[str, list[str]]:
    """What Binder must satisfy: the build backend, the core dependencies, the notebooks extra
    and :data:`BINDER_EXTRA`."""
    try:
        data = tomllib.loads(pyproject.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DeclarationError(f"{pyproject}: cannot read: {error}") from None
    project = data.get("project", {})
    dependencies = project.get("dependencies")
    extra = project.get("optional-dependencies", {}).get(EXTRA)
    if not isinstance(dependencies, list):
        raise DeclarationError(f"{pyproject}: [project] dependencies is missing")
    if not isinstance(extra, list):
        raise DeclarationError(f"{pyproject}: [project.optional-dependencies] {EXTRA} is missing")
    # The build backend too: postBuild installs the package without build isolation, from the
    # pins, so Binder's build never fetches whatever hatchling is newest that day.
    build = data.get("build-system", {}).get("requires")
    if not isinstance(build, list):
        raise DeclarationError(f"{pyproject}: [build-system] requires is missing")
    return {
        "build-system": normalise(build, f"{pyproject} [build-system] requires"),
        "dependencies": normalise(dependencies, f"{pyproject} [project] dependencies"),
        EXTRA: normalise(extra, f"{pyproject} [project.optional-dependencies] {EXTRA}"),
        "binder": normalise(BINDER_EXTRA, f"{__file__} BINDER_EXTRA"),
    }


def declaration_digest(declaration: dict[str, list[str]]) -> str:
    """sha256 of the declaration after normalising each list (order and spelling do not count)."""
    canonical = {key: normalise(list(value), key) for key, value in declaration.items()}
    blob = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def requirements_of(declaration: dict[str, list[str]]) -> list[str]:
    """Every requirement of the declaration, in one list."""
    return [r for group in declaration.values() for r in group]


def check_target() -> None:
    if (
        platform.python_implementation() != "CPython"
        or sys.version_info[:2] != (3, 11)
        or not sys.platform.startswith("linux")
        or platform.machine() != "x86_64"
    ):
        here = f"{platform.python_implementation()} {platform.python_version()} on "
        here += f"{sys.platform} {platform.machine()}"
        sys.exit(
            f"binder_requirements: pins must be resolved on {TARGET} (Binder's platform); "
            f"this is {here}. Run it with the project's .venv/bin/python ({REGENERATE})."
        )


def resolve(requirements: list[str]) -> dict[str, str]:
    """name -> version of every distribution pip would install for ``requirements``."""
    with tempfile.TemporaryDirectory(prefix="binder-resolve-") as tmp:
        report = Path(tmp) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--dry-run",
            # resolve from scratch: packages already in this venv must be listed too
            "--ignore-installed",
            "--disable-pip-version-check",
            "--report",
            str(report),
            *requirements,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"binder_requirements: pip could not resolve {requirements}:\n{done.stderr}")
        installs = json.loads(report.read_text())["install"]
    return {
        canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in installs
    }


def render(pins: dict[str, str], declaration: dict[str, list[str]]) -> str:
    pip_version = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    header = [
        "# Binder installs exactly these (binder/ alone is read; pyproject.toml is not).",
        "# Generated by tools/binder_requirements.py: do not edit; run `make binder-requirements`.",
        f"# Resolved for {TARGET} by pip {pip_version} on Python {platform.python_version()}, "
        f"{dt.date.today().isoformat()},",
        f"# from pyproject.toml's build-system, dependencies, {EXTRA} extra, BINDER_EXTRA:",
        *(f"#   {r}" for r in requirements_of(declaration)),
        f"{DIGEST_PREFIX}{declaration_digest(declaration)}",
    ]
    lines = [f"{name}=={pins[name]}" for name in sorted(pins)]
    return "\n".join(header + lines) + "\n"


def recorded_digest(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line[len(DIGEST_PREFIX) :].strip()
    return None


def parse_pins(text: str, where: str = str(OUTPUT)) -> tuple[dict[str, str], list[str]]:
    """(name -> version, problems): each non-comment line must be ``name==version``, once."""
    pins: dict[str, str] = {}
    problems = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as error:
            problems.append(f"{where}:{number}: not a requirement: {line!r} ({error})")
            continue
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version or req.marker:
            problems.append(f"{where}:{number}: not pinned to one version with ==: {line!r}")
            continue
        name = canonicalize_name(req.name)
        if name in pins:
            problems.append(f"{where}:{number}: {name} is pinned twice")
            continue
        pins[name] = specs[0].version
    return pins, problems


def drift(text: str, declaration: dict[str, list[str]], where: str = str(OUTPUT)) -> list[str]:
    """Every way the pins in ``text`` fail the declaration; empty when they are current."""
    pins, problems = parse_pins(text, where)
    recorded, current = recorded_digest(text), declaration_digest(declaration)
    if recorded != current:
        problems.append(
            f"{where}: made from another declaration (digest {recorded}, pyproject.toml's "
            f"build-system, dependencies and {EXTRA} extra now give {current}): run `{REGENERATE}`"
        )
    for text_req in requirements_of(declaration):
        req = Requirement(text_req)
        if req.marker and not req.marker.evaluate({"python_version": "3.11"}):
            continue
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{where}: {text_req} has no pin: run `{REGENERATE}`")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(
                f"{where}: {name}=={pins[name]} does not satisfy {text_req}: run `{REGENERATE}`"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check, offline; exit 1 on drift")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: %(default)s")
    args = parser.parse_args(argv)
    try:
        declaration = read_declaration()
    except DeclarationError as error:
        print(f"binder_requirements: {error}", file=sys.stderr)
        return 2
    if args.check:
        try:
            text = args.output.read_text()
        except OSError as error:
            print(f"binder_requirements: {args.output}: {error}", file=sys.stderr)
            return 2
        problems = drift(text, declaration, str(args.output))
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    check_target()
    pins = resolve(requirements_of(declaration))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(pins, declaration))
    print(f"wrote {args.output}: {len(pins)} pinned distributions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
