"""The layers tcpcore's folders show hold: who may import whom, and numpy only where asked for.

The layer rule (DESIGN.md, bottom up): errors < wire < protocol < trace, conformance < sim,
capture < viz, quiz < widgets, cli. Stage 3 of issue 15 made ``tcpcore.sim`` and
``tcpcore.capture``; what is checked here is the part of the rule that applies to them now: neither
imports the drawing, the quizzes, the widgets or the command line, and capture does not import the
simulator. In tcpcore.viz (VIZ_RULES): no quiz, widgets or cli; its layouts draw nothing and
its SVG backend stands alone. numpy is the optional extra ``fast``: ``import tcpcore`` must never
load it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

TCPCORE = ROOT / "tcpcore"

# Modules of the upper layers, by dotted name (viz holds its layouts and the SVG backend).
VIZ = {"tcpcore.viz"}
ABOVE_SIM_AND_CAPTURE = VIZ | {"tcpcore.quiz", "tcpcore.widgets", "tcpcore.cli"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(source: str, name: str, is_package: bool) -> set[str]:
    """Every tcpcore module that ``source`` (the module ``name``) imports, anywhere in its body
    (function-level imports included), relative imports resolved to dotted names."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from . import viz` imports a module, not a name
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in found if m == "tcpcore" or m.startswith("tcpcore.")}


def imports_of(folder: str) -> dict[str, set[str]]:
    out = {}
    for path in sorted((TCPCORE / folder).rglob("*.py")):
        name = module_name(path)
        out[name] = imported(path.read_text(), name, path.name == "__init__.py")
    return out


def within(module: str, layer: set[str]) -> bool:
    return any(module == top or module.startswith(top + ".") for top in layer)


def test_the_import_reader_resolves_relative_and_function_level_imports() -> None:
    """The checker sees relative, nested and `from . import` imports (so the rule can fail)."""
    source = (
        "from ..viz import ladder\n"
        "from . import pcap\n"
        "def f():\n"
        "    from ..sim.network import Network\n"
        "    import tcpcore.cli\n"
    )
    got = imported(source, "tcpcore.capture.annotate", is_package=False)
    assert {"tcpcore.viz", "tcpcore.capture.pcap", "tcpcore.sim.network", "tcpcore.cli"} <= got
    assert within("tcpcore.sim.network", {"tcpcore.sim"})
    assert not within("tcpcore.simulator", {"tcpcore.sim"})


@pytest.mark.parametrize("folder", ["sim", "capture"])
def test_sim_and_capture_import_nothing_above_them(folder: str) -> None:
    """No module of tcpcore/sim or tcpcore/capture imports viz, quiz, widgets or the cli."""
    found = imports_of(folder)
    assert found, f"tcpcore/{folder} has no modules"
    bad = {
        name: sorted(m for m in mods if within(m, ABOVE_SIM_AND_CAPTURE))
        for name, mods in found.items()
    }
    assert not any(bad.values()), {k: v for k, v in bad.items() if v}


def test_capture_does_not_import_the_simulator() -> None:
    """tcpcore.capture sits beside tcpcore.sim, not above it: no capture module imports sim."""
    bad = {
        name: sorted(m for m in mods if within(m, {"tcpcore.sim"}))
        for name, mods in imports_of("capture").items()
    }
    assert not any(bad.values()), {k: v for k, v in bad.items() if v}


def test_only_the_columnar_reader_imports_numpy() -> None:
    """Only tcpcore/capture/_numpy.py names numpy (columnar and columnrules go through it)."""
    users = set()
    for path in sorted(TCPCORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n == "numpy" or n.startswith("numpy.") for n in names):
                users.add(path.relative_to(ROOT).as_posix())
    assert users == {"tcpcore/capture/_numpy.py"}


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_import_tcpcore_never_imports_numpy() -> None:
    """`import tcpcore` (and its sim and capture packages, and a capture read) loads no numpy."""
    done = run_python(
        "import sys, tcpcore, tcpcore.sim, tcpcore.capture\n"
        "path = tcpcore.shipped_captures()['client-closes-first']\n"
        "assert len(tcpcore.read_pcap(path)) > 0\n"
        "assert len(tcpcore.run_scenario('handshake').segments()) == 3\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'numpy'))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    # and the columnar reader, when asked for, does bring numpy in
    asked = run_python(
        "import sys\nfrom tcpcore.capture import read_columns\nprint('numpy' in sys.modules)\n"
    )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip() == "True"


def test_without_numpy_the_course_runs_and_read_columns_names_the_extra() -> None:
    """With numpy unavailable, tcpcore works and read_columns fails with one line naming `fast`."""
    block = "import sys\nsys.modules['numpy'] = None  # as if numpy were not installed\n"
    ok = run_python(
        block + "import tcpcore, tcpcore.capture, tcpcore.sim\n"
        "print(tcpcore.run_scenario('handshake').segments()[0].label())\n"
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "SYN seq=100"
    done = run_python(
        block + "try:\n"
        "    from tcpcore.capture import read_columns\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    assert done.returncode == 0, done.stderr
    message = done.stdout.strip()
    assert len(message.splitlines()) == 1
    assert "numpy" in message and "pip install 'tcpcourse[fast]'" in message


# Inside viz: (folder, what its modules must not import, the exact names they may import anyway).
# A folder may always import its own modules. layout/ computes and never draws: of the SVG
# backend it takes only text_width (to measure labels). svg/ stands alone: nothing else of tcpcore.
VIZ_RULES = [
    ("viz", {"tcpcore.quiz", "tcpcore.widgets", "tcpcore.cli", "tcpcore.static"}, set()),
    ("viz/layout", {"tcpcore.viz"}, {"tcpcore.viz.svg", "tcpcore.viz.svg.text_width"}),
    ("viz/svg", {"tcpcore"}, set()),
]


@pytest.mark.parametrize(
    ("folder", "forbidden", "allowed"), VIZ_RULES, ids=[rule[0] for rule in VIZ_RULES]
)
def test_viz_folders_import_only_what_their_layer_allows(
    folder: str, forbidden: set[str], allowed: set[str]
) -> None:
    """viz imports no quiz, widgets or cli; layout/ draws nothing; svg/ needs nothing of tcpcore."""
    own = "tcpcore." + folder.replace("/", ".")
    found = imports_of(folder)
    assert found, f"tcpcore/{folder} has no modules"
    bad = {
        name: sorted(
            m for m in mods if within(m, forbidden) and not within(m, {own}) and m not in allowed
        )
        for name, mods in found.items()
    }
    assert not any(bad.values()), {k: v for k, v in bad.items() if v}


@pytest.mark.parametrize("folder", ["viz/layout", "viz/svg"])
def test_viz_layouts_and_the_svg_backend_never_import_matplotlib(folder: str) -> None:
    """matplotlib is imported only by the painters' backend choice, never by layout/ or svg/."""
    users = []
    for path in sorted((TCPCORE / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            if any(n.split(".")[0] == "matplotlib" for n in names):
                users.append(path.relative_to(ROOT).as_posix())
    assert users == []
