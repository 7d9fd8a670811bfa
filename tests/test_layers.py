"""The layers tcpcore's folders show hold: who may import whom, and numpy only where asked for.

The layer rule (DESIGN.md, bottom up): errors < wire < protocol < trace, conformance < sim,
capture (and the live kernel) < viz, quiz < widgets, cli. ``PLACES`` puts every module of tcpcore
in a layer by the longest dotted prefix of its name under tcpcore (the flat modules that have not
moved into their layer's package yet are listed by name, so a move only changes a path there); no
import may go up a layer, and none may close a cycle. Every import is read with ``ast`` (those
inside functions too: a lazy import is still a dependency; those only for type checkers count for
the layers, not for cycles). Stage 3 of issue 15 made ``tcpcore.sim`` and ``tcpcore.capture``:
capture does not import the simulator either. Inside tcpcore.viz (``VIZ_RULES``): layout/ draws
nothing and the SVG backend stands alone. numpy is the optional extra ``fast``: ``import
tcpcore`` must never load it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

TCPCORE = ROOT / "tcpcore"

# Modules of the upper layers, by dotted name (viz holds its layouts and the SVG backend).
VIZ = {"tcpcore.viz"}
ABOVE_SIM_AND_CAPTURE = VIZ | {"tcpcore.quiz", "tcpcore.widgets", "tcpcore.cli"}

# the layers, bottom up; a module may import from its own rank or below
RANK = {
    "errors": 0,
    "wire": 1,
    "protocol": 2,
    "trace": 3,
    "conformance": 3,
    "sim": 4,
    "capture": 4,
    "viz": 5,
    "quiz": 5,
    "widgets": 6,
    "cli": 6,
    "contract": 7,  # tcpcore/__init__.py: the public names, re-exported from every layer
}

# each layer's packages, by dotted prefix under tcpcore ("" is the package's __init__)
PLACES = {
    "contract": ("",),
    "errors": ("errors",),
    "wire": ("wire",),
    "protocol": ("protocol",),
    "trace": ("trace",),
    "conformance": ("conformance",),
    "sim": ("sim",),
    "capture": (
        "capture",
        "kernel",  # the live kernel: drives Linux and compares it with the simulator
    ),
    "viz": ("viz",),
    "quiz": ("quiz",),
    "widgets": ("widgets",),
    "cli": ("cli", "__main__"),
}
LAYER = {prefix: layer for layer, prefixes in PLACES.items() for prefix in prefixes}


def module_name(path: Path, root: Path = TCPCORE) -> str:
    """The dotted name of a source file under ``root`` (a package's __init__ is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([root.name, *parts])


def _type_checking(node: ast.AST) -> bool:
    """Whether ``node`` is ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree: ast.AST, *, typing: bool) -> list[ast.AST]:
    """Every node of ``tree``; without the bodies of ``if TYPE_CHECKING:`` unless ``typing``."""
    out, todo = [], [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if typing or not _type_checking(node):
            todo.extend(ast.iter_child_nodes(node))
    return out


def imported(
    source: str,
    name: str,
    is_package: bool,
    *,
    known: set[str] | None = None,
    typing: bool = True,
) -> set[str]:
    """Every tcpcore module that ``source`` (the module ``name``) imports, anywhere in its body
    (function-level imports included; those only for type checkers unless ``typing`` is False),
    relative imports resolved to dotted names. ``from X import a`` counts as ``X.a`` when that is
    one of the ``known`` modules and as ``X`` otherwise; without ``known``, as both."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _nodes(ast.parse(source), typing=typing):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from . import viz` imports a module, not a name
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if known is None:
                    found |= {target, sub}
                else:
                    found.add(sub if sub in known else target)
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


# -- the whole rule, table-driven ---------------------------------------------------------------


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root``, by dotted name."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def layer_of(name: str) -> str | None:
    """The layer of module ``name`` by the longest prefix in LAYER; None if it has none."""
    parts = name.split(".")[1:]
    for n in range(len(parts), -1, -1):
        key = ".".join(parts[:n])
        if key in LAYER:
            return LAYER[key]
    return None


def imports_by_module(root: Path, *, typing: bool = True) -> dict[str, set[str]]:
    """What each module of the package at ``root`` imports from it (modules only)."""
    mods = modules(root)
    known = set(mods)
    out = {}
    for name, path in mods.items():
        found = imported(
            path.read_text(encoding="utf-8"),
            name,
            path.name == "__init__.py",
            known=known,
            typing=typing,
        )
        # its own package's __init__ runs first anyway: importing it is no dependency upward
        out[name] = {m for m in found & known if m != name and not name.startswith(m + ".")}
    return out


def upward_imports(root: Path) -> list[str]:
    """Each import from a higher layer, as "module (layer) -> module (layer)"."""
    out = []
    for name, deps in imports_by_module(root).items():
        own = layer_of(name)
        for dep in sorted(deps):
            theirs = layer_of(dep)
            if own and theirs and RANK[theirs] > RANK[own]:
                out.append(f"{name} ({own}) -> {dep} ({theirs})")
    return out


def import_cycles(root: Path) -> list[list[str]]:
    """The import cycles among the modules at ``root`` (lazy imports count, imports only for
    type checkers do not), each as its modules sorted, found by Tarjan's algorithm."""
    graph = {n: sorted(deps) for n, deps in imports_by_module(root, typing=False).items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            if len(part) > 1:
                cycles.append(sorted(part))

    for v in graph:
        if v not in index:
            visit(v)
    return sorted(cycles)


def test_every_module_has_a_layer() -> None:
    """Each module of tcpcore has a layer in PLACES (a new module must be given one)."""
    unplaced = [name for name in modules(TCPCORE) if layer_of(name) is None]
    assert unplaced == [], f"modules with no layer in tests/test_layers.py PLACES: {unplaced}"


def test_no_import_goes_up_a_layer() -> None:
    """No module of tcpcore imports from a layer above its own."""
    assert upward_imports(TCPCORE) == []


@pytest.mark.parametrize(
    ("where", "planted", "expected"),
    [
        (
            "wire/flags.py",
            "from ..viz import backend\n",
            "tcpcore.wire.flags (wire) -> tcpcore.viz (viz)",
        ),
        (
            "quiz/question.py",
            "from ..widgets import predict\n",
            "tcpcore.quiz.question (quiz) -> tcpcore.widgets.predict (widgets)",
        ),
        (
            "trace.py",
            "def f():\n    import tcpcore.sim.network\n",
            "tcpcore.trace (trace) -> tcpcore.sim.network (sim)",
        ),
    ],
)
def test_a_planted_upward_import_is_found(
    tmp_path: Path, where: str, planted: str, expected: str
) -> None:
    """An import planted in a copy of tcpcore (module level or lazy) is reported, and only it."""
    copy = tmp_path / "tcpcore"
    shutil.copytree(TCPCORE, copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    target = copy / where
    target.write_text(target.read_text(encoding="utf-8") + "\n" + planted, encoding="utf-8")
    before = set(upward_imports(TCPCORE))
    assert set(upward_imports(copy)) - before == {expected}


def test_no_import_cycle() -> None:
    """No two modules of tcpcore import each other, directly or through others."""
    assert import_cycles(TCPCORE) == []


def test_a_planted_cycle_is_found(tmp_path: Path) -> None:
    """A lazy import planted in a copy of tcpcore that closes a loop is reported as a cycle."""
    copy = tmp_path / "tcpcore"
    shutil.copytree(TCPCORE, copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    target = copy / "widgets" / "static.py"
    planted = "\n\ndef f():\n    from .predict import PredictThenReveal\n"
    target.write_text(target.read_text(encoding="utf-8") + planted, encoding="utf-8")
    found = import_cycles(copy)
    assert [c for c in found if c not in import_cycles(TCPCORE)] == [
        ["tcpcore.widgets.base", "tcpcore.widgets.predict", "tcpcore.widgets.static"]
    ]


# "No module over ~600 lines except table.py (data)" (issue 15): a module a newcomer can read
# whole. The limit leaves a little room for the "~"; the scenario and quiz catalogues sit near it.
LONGEST = 620
EXEMPT = {"tcpcore.protocol.table"}


def test_no_module_is_longer_than_a_newcomer_can_read() -> None:
    """Every module of tcpcore but the transition table has at most LONGEST lines."""
    long = {
        name: n
        for name, path in modules(TCPCORE).items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST
        and name not in EXEMPT
    }
    assert long == {}


def test_the_protocol_layer_holds_the_reference_tcp() -> None:
    """The reference TCP's modules (DESIGN.md's protocol/) are all in the protocol layer."""
    wanted = {"states", "table", "rules", "tcb", "connection", "handlers", "timers"}
    wanted |= {"listener", "events", "profiles"}
    found = {name.rsplit(".", 1)[-1] for name in modules(TCPCORE) if layer_of(name) == "protocol"}
    assert wanted <= found, sorted(wanted - found)


# Inside viz: (folder, what its modules must not import, the exact names they may import anyway).
# A folder may always import its own modules. layout/ computes and never draws: of the SVG
# backend it takes only text_width (to measure labels). svg/ stands alone: nothing else of tcpcore.
VIZ_RULES = [
    ("viz", {"tcpcore.quiz", "tcpcore.widgets", "tcpcore.cli"}, set()),
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
