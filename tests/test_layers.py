"""tcpcore's layers (DESIGN.md, "Target layout"): no module imports from a layer above its own.

The rule, bottom up: errors < wire < protocol < trace, conformance < sim, capture (and the live
kernel) < viz, quiz < widgets, cli. ``PLACES`` puts every module of tcpcore in a layer by the
longest dotted prefix of its name under tcpcore; the flat modules that have not moved into their
layer's package yet are listed by name, so that a move only changes a path here. Every import is
read with ``ast`` (those inside functions and under TYPE_CHECKING too: a lazy import is still a
dependency).
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

TCPCORE = Path(__file__).resolve().parent.parent / "tcpcore"

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

# each layer's modules and packages, by dotted prefix under tcpcore ("" is the package's __init__);
# the flat modules are listed until they move into their layer's package
PLACES = {
    "contract": ("",),
    "errors": ("errors",),
    "wire": ("wire", "flags", "seq", "segment", "options", "checksum", "ip", "links"),
    "protocol": (
        "protocol",
        "states",
        "table",
        "rules",
        "tcb",
        "connection",
        "listener",
        "events",
        "profiles",
    ),
    "trace": ("trace",),
    "conformance": ("conformance",),
    "sim": ("sim", "clock", "network", "scenarios", "timerlayout"),
    "capture": (
        "capture",
        "records",
        "pcap",
        "pcapng",
        "framing",
        "observe",
        "capturetrace",
        "columnar",
        "columnrules",
        "kernel",  # the live kernel: drives Linux and compares it with the simulator
    ),
    "viz": (
        "viz",
        "ladderlayout",
        "diagramlayout",
        "wirelayout",
        "svgdraw",
        "svgartists",
        "svgaxis",
        "svgpatches",
        "svgtext",
    ),
    "quiz": ("quiz",),
    "widgets": ("widgets",),
    "cli": ("cli", "__main__"),
}
LAYER = {prefix: layer for layer, prefixes in PLACES.items() for prefix in prefixes}


def module_name(path: Path, root: Path) -> str:
    """The dotted name of a source file under ``root`` (a package's __init__ is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([root.name, *parts])


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


def imports_of(name: str, path: Path, known: set[str], *, typing: bool = True) -> set[str]:
    """The modules of the package that ``name`` (at ``path``) imports, anywhere in its body
    (those only for type checkers too, unless ``typing`` is False)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    root = name.split(".")[0]
    found: set[str] = set()
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8"), str(path)), typing=typing):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == root)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if base.split(".")[0] != root:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    # a module's own package __init__ runs first anyway: importing it is not a dependency upward
    return {m for m in found if m != name and not name.startswith(m + ".")}


def upward_imports(root: Path) -> list[str]:
    """Each import from a higher layer, as "module (layer) -> module (layer)"."""
    mods = modules(root)
    out = []
    for name, path in mods.items():
        own = layer_of(name)
        for dep in sorted(imports_of(name, path, set(mods))):
            theirs = layer_of(dep)
            if own and theirs and RANK[theirs] > RANK[own]:
                out.append(f"{name} ({own}) -> {dep} ({theirs})")
    return out


def import_cycles(root: Path) -> list[list[str]]:
    """The import cycles among the modules at ``root`` (lazy imports count, imports only for
    type checkers do not), each as its modules sorted, found by Tarjan's algorithm."""
    mods = modules(root)
    graph = {
        n: sorted(imports_of(n, p, set(mods), typing=False) & set(mods)) for n, p in mods.items()
    }
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
        ("flags.py", "from .viz import backend\n", "tcpcore.flags (wire) -> tcpcore.viz (viz)"),
        (
            "quiz/question.py",
            "from ..widgets import predict\n",
            "tcpcore.quiz.question (quiz) -> tcpcore.widgets.predict (widgets)",
        ),
        (
            "trace.py",
            "def f():\n    import tcpcore.network\n",
            "tcpcore.trace (trace) -> tcpcore.network (sim)",
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
