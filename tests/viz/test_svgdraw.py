"""tcpcore.viz.svg, the SVG writer that draws the lessons' figures where matplotlib is missing
(JupyterLite): every figure drawn by both backends must show the same things, and the SVG must be
a well-formed document whose contents lie inside it and whose labels a browser sets apart."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import ROOT, require

from tcpcore import Flags, Segment, viz
from tcpcore.protocol.profiles import PROFILES
from tcpcore.sim.scenarios import run_scenario
from tcpcore.wire.options import MSS, SackPermitted, Timestamps, WindowScale

try:
    import matplotlib

    matplotlib.use("Agg")
    HAVE_MPL = True
except ImportError:  # pragma: no cover - the dev extra installs it
    HAVE_MPL = False

SVG_NS = "{http://www.w3.org/2000/svg}"

SCENARIOS = [
    "handshake",
    "lost-syn",
    "simultaneous-open",
    "simultaneous-close",
    "lost-final-ack",
    "half-close",
    "client-closes-first",
    "client-crash-keepalive",
]
SEGMENTS = {
    "syn": Segment(
        40000,
        80,
        100,
        0,
        Flags.SYN,
        65535,
        options=(MSS(1460), SackPermitted(), Timestamps(1, 0), WindowScale(7)),
    ),
    "fin-ack": Segment(80, 40000, 301, 101, Flags.FIN | Flags.ACK, 502),
    "data": Segment(40000, 80, 101, 301, Flags.PSH | Flags.ACK, 502, payload=b"x" * 300),
    "rst": Segment(80, 40000, 0, 101, Flags.RST | Flags.ACK, 0),
}


def _figures() -> dict[str, Callable[[], Any]]:
    """Every viz entry point on representative inputs, by a readable name."""
    out: dict[str, Callable[[], Any]] = {}
    for name in SCENARIOS:
        out[f"ladder:{name}"] = lambda name=name: viz.ladder(run_scenario(name))
    out["ladder:lost-syn:until"] = lambda: viz.ladder(run_scenario("lost-syn"), until=0.5)
    for profile in sorted(PROFILES):
        out[f"diagram:{profile}"] = lambda p=profile: viz.state_diagram(
            profile=p,
            path=["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1"],
            current="FIN-WAIT-1",
        )
        out[f"diagram:{profile}:minor"] = lambda p=profile: viz.state_diagram(
            profile=p, show_minor=True, highlight=("ESTABLISHED", "DATA")
        )
    for name, seg in SEGMENTS.items():
        out[f"header:{name}"] = lambda seg=seg: viz.header_layout(
            seg, src_ip="10.0.0.1", dst_ip="10.0.0.2"
        )
    out["encapsulation:ethernet4"] = lambda: viz.encapsulation(SEGMENTS["data"])
    out["encapsulation:ethernet6"] = lambda: viz.encapsulation(SEGMENTS["syn"], ip_version=6)
    out["encapsulation:loopback"] = lambda: viz.encapsulation(SEGMENTS["rst"], link="loopback")
    for what in ("keepalive", "time-wait", "syn-retries"):
        out[f"timers:{what}"] = lambda what=what: viz.timer_timeline(
            ("rfc9293", "linux"), what=what
        )
    return out


FIGURES = _figures()


def drawn_by(backend: str, make: Callable[[], Any]) -> Any:
    """``make()`` with ``TCPCORE_DRAW=backend``, the cached choice cleared before and after."""
    old = os.environ.get("TCPCORE_DRAW")
    os.environ["TCPCORE_DRAW"] = backend
    viz.backend.cache_clear()
    try:
        return make()
    finally:
        if old is None:
            del os.environ["TCPCORE_DRAW"]
        else:
            os.environ["TCPCORE_DRAW"] = old
        viz.backend.cache_clear()


def summary(fig: Any) -> dict[str, Any]:
    """What a figure shows, read through the API both backends share."""
    tagged = fig.findobj(match=lambda a: bool(a.get_gid()))
    (ax,) = fig.axes
    return {
        "gid-text": sorted(
            (a.get_gid(), a.get_text() if hasattr(a, "get_text") else None) for a in tagged
        ),
        "per-kind": Counter(a.get_gid().split(":", 1)[0] for a in tagged),
        "texts": sorted(t.get_text() for t in ax.texts),
        "patches": len(ax.patches),
        "lines": len(ax.lines),
    }


def _rgba(color: Any) -> tuple[float, ...]:
    return tuple(round(float(c), 3) for c in color)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_both_backends_draw_the_same_things(name: str) -> None:
    require(HAVE_MPL, "matplotlib (the dev extra) is needed to compare with")
    mpl = drawn_by("matplotlib", FIGURES[name])
    svg = drawn_by("svg", FIGURES[name])
    assert isinstance(svg, viz.svg.Figure) and not isinstance(mpl, viz.svg.Figure)
    got, want = summary(svg), summary(mpl)
    assert got == want
    assert got["per-kind"]  # every figure tags something
    # Tagged patches are painted the same (the widgets' tests read these colours).
    mine = {a.get_gid(): a for a in svg.findobj(match=lambda a: hasattr(a, "get_facecolor"))}
    for a in mpl.findobj(match=lambda a: bool(a.get_gid()) and hasattr(a, "get_facecolor")):
        other = mine[a.get_gid()]
        assert _rgba(other.get_edgecolor()) == _rgba(a.get_edgecolor()), a.get_gid()
        if not a.get_gid().startswith(("edge:", "arrow:")):  # arrows: matplotlib fills "-" too
            assert _rgba(other.get_facecolor()) == _rgba(a.get_facecolor()), a.get_gid()


def _numbers(el: ET.Element) -> Iterator[tuple[float, float]]:
    """The points an element puts on the canvas (x/y pairs of its geometry)."""
    tag = el.tag.removeprefix(SVG_NS)
    a = el.attrib
    if tag == "rect" and "x" in a:
        x, y, w, h = (float(a[k]) for k in ("x", "y", "width", "height"))
        yield from ((x, y), (x + w, y + h))
    elif tag in ("text", "tspan") and "x" in a:
        yield float(a["x"]), float(a["y"])
    elif tag == "path":
        values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", a["d"])]
        yield from zip(values[::2], values[1::2], strict=True)
    elif tag == "polygon":
        values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", a["points"])]
        yield from zip(values[::2], values[1::2], strict=True)
    elif tag == "circle":
        yield float(a["cx"]), float(a["cy"])


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_the_svg_is_a_document_with_everything_inside_its_view_box(name: str) -> None:
    fig = drawn_by("svg", FIGURES[name])
    data = viz.to_svg(fig)
    root = ET.fromstring(data)
    assert root.tag == f"{SVG_NS}svg"
    x0, y0, width, height = (float(v) for v in root.attrib["viewBox"].split())
    w_in, h_in = fig.get_size_inches()
    size = (pytest.approx(w_in * 72, abs=0.01), pytest.approx(h_in * 72, abs=0.01))
    assert (x0, y0, width, height) == (0.0, 0.0, *size)
    assert root.attrib["width"] == f"{width:g}pt"
    points = [p for el in root.iter() if "clipPath" not in el.tag for p in _numbers(el)]
    assert len(points) > 20
    for x, y in points:
        assert 0 <= x <= width and 0 <= y <= height, (name, x, y)
    # and each text's estimated box too: nothing is cut at the figure's edge
    tr = fig.axes[0].transform()
    for t in fig.axes[0].texts:
        left, top, right, bottom = t.extent(tr)
        assert left >= 0 and top >= 0 and right <= width and bottom <= height, t.get_text()
    # text stays text, and tags stay on the elements
    words = {el.text for el in root.iter(f"{SVG_NS}text")} | {
        el.text for el in root.iter(f"{SVG_NS}tspan")
    }
    assert {t.get_text() for t in fig.axes[0].texts if "\n" not in t.get_text()} <= words
    tagged = Counter(el.attrib["data-gid"] for el in root.iter() if "data-gid" in el.attrib)
    assert tagged == Counter(a.get_gid() for a in fig.findobj(match=lambda a: bool(a.get_gid())))


def test_the_figure_shows_itself_in_a_notebook() -> None:
    fig = drawn_by("svg", FIGURES["ladder:handshake"])
    shown = fig._repr_svg_()
    assert shown.startswith("<?xml") and "SYN+ACK seq=300 ack=101" in shown
    assert shown.encode() == viz.to_svg(fig)


def test_the_backend_is_chosen_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """TCPCORE_DRAW picks the backend once per process; unset, it is "svg"; a typo is an error."""
    monkeypatch.setenv("TCPCORE_DRAW", "svg")
    viz.backend.cache_clear()
    try:
        assert viz.backend() == "svg"
        monkeypatch.setenv("TCPCORE_DRAW", "cairo")
        assert viz.backend() == "svg"  # chosen once
        viz.backend.cache_clear()
        with pytest.raises(ValueError, match=r"TCPCORE_DRAW='cairo'.*use one of matplotlib, svg"):
            viz.backend()
        monkeypatch.setenv("TCPCORE_DRAW", "matplotlib")
        viz.backend.cache_clear()
        if HAVE_MPL:
            assert viz.backend() == "matplotlib"
        monkeypatch.delenv("TCPCORE_DRAW")
        viz.backend.cache_clear()
        assert viz.backend() == "svg"  # the default, with or without matplotlib
    finally:
        viz.backend.cache_clear()


def test_bad_input_is_named() -> None:
    ax = viz.svg.Figure(figsize=(4, 3)).add_axes((0.1, 0.1, 0.8, 0.8))
    with pytest.raises(ValueError, match="unknown colour 'chartreuse-ish'"):
        ax.plot([0, 1], [0, 1], color="chartreuse-ish")
        ax.figure.to_svg()
    with pytest.raises(ValueError, match="ha must be one of left, center, right, not 'middle'"):
        ax.text(0, 0, "x", ha="middle")
    with pytest.raises(ValueError, match="arrowstyle must be one of"):
        viz.svg.FancyArrowPatch((0, 0), (1, 1), arrowstyle="fancy")
    with pytest.raises(ValueError, match="set_xlim needs two different limits"):
        ax.set_xlim(1, 1)
    with pytest.raises(ValueError, match="writes SVG only, not 'png'"):
        ax.figure.savefig("x.png")


def test_geometry_follows_limits_position_and_zorder() -> None:
    fig = viz.svg.Figure(figsize=(2, 1))  # 144 x 72 points
    ax = fig.add_axes((0.25, 0.0, 0.5, 1.0))  # x from 36 to 108
    ax.set_xlim(0, 10)
    ax.set_ylim(4, 0)  # inverted: y = 0 at the top
    ax.set_axis_off()
    ax.plot([0, 10], [0, 4], color="#ff0000", zorder=5, gid="late")
    ax.add_patch(viz.svg.Rectangle((5, 1), 5, 2, fc="#00ff00", gid="early"))
    root = ET.fromstring(fig.to_svg())
    path = root.find(f".//*[@data-gid='late']/{SVG_NS}path")
    assert path is not None and path.attrib["d"] == "M36 0L108 72"
    rect = root.find(f".//*[@data-gid='early']/{SVG_NS}rect")
    assert rect is not None
    assert [rect.attrib[k] for k in ("x", "y", "width", "height")] == ["72", "18", "36", "36"]
    order = [el.attrib["data-gid"] for el in root.iter() if "data-gid" in el.attrib]
    assert order == ["early", "late"]  # the line was added first but has the higher zorder


BLOCKER = textwrap.dedent(
    """
    import importlib.abc, sys

    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("matplotlib", "numpy"):
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, Blocked())
    for name in [m for m in sys.modules if m.split(".")[0] in ("matplotlib", "numpy")]:
        del sys.modules[name]
    """
)


def test_tcpcore_draws_with_matplotlib_and_numpy_blocked() -> None:
    require(importlib.util.find_spec("ipywidgets") is not None, "ipywidgets (notebooks extra)")
    code = BLOCKER + textwrap.dedent(
        """
        import tcpcore
        from tcpcore import viz, widgets, run_scenario
        try:
            import numpy
        except ImportError:
            pass
        else:
            raise SystemExit("numpy was not blocked")
        assert viz.backend() == "svg", viz.backend()
        fig = viz.ladder(run_scenario("lost-syn"))
        svg = viz.to_svg(fig)
        assert b"SYN seq=100 (retransmission)" in svg
        try:
            viz.to_png(fig)
        except RuntimeError as exc:
            assert "matplotlib" in str(exc)
        else:
            raise SystemExit("to_png worked without matplotlib")
        w = widgets.state_machine_explorer()
        assert bytes(w.image.value).startswith(b"<?xml")
        w = widgets.handshake_stepper()
        w.step.value = w.step.max
        assert w.figure.findobj(match=lambda a: a.get_gid() == "arrow:2")
        print("drawn", sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "numpy")))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "TCPCORE_DRAW"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[-2] == "drawn []"


# Reads each drawn label's box from the browser's own text layout (getBBox, in viewBox units).
LABEL_BOXES_JS = """
(laneNames) => {
  const svg = document.querySelector('svg');
  const vb = svg.viewBox.baseVal;
  const boxes = [];
  for (const t of svg.querySelectorAll('text')) {
    const tagged = t.closest('[data-gid]');
    const gid = tagged ? tagged.getAttribute('data-gid') : '';
    const kind = gid.startsWith('state:') ? 'state'
      : (!gid && laneNames.includes(t.textContent) ? 'lane' : null);
    if (!kind) continue;
    const b = t.getBBox();
    boxes.push({kind, text: t.textContent, x0: b.x, y0: b.y, x1: b.x + b.width,
                y1: b.y + b.height});
  }
  return {width: vb.width, height: vb.height, boxes};
}
"""


def test_a_browser_sets_the_ladders_lane_and_state_labels_apart() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from browser import chromium, have_chromium, have_playwright

    require(have_chromium() and have_playwright(), "Chromium and Playwright for Python")
    with chromium() as browser:
        page = browser.new_page()
        for name in [*SCENARIOS, "syn-flood"]:
            trace = run_scenario(name)
            lay = viz.ladder_layout(trace)
            fig = drawn_by("svg", lambda trace=trace: viz.ladder(trace))
            svg = viz.to_svg(fig).decode("utf-8").split("?>", 1)[1]
            page.set_content(f"<html><body style='margin:0'>{svg}</body></html>")
            names = [ln.name for ln in lay.lanes]
            names += [ln.address for ln in lay.lanes if ln.address and ln.address != ln.name]
            found = page.evaluate(LABEL_BOXES_JS, names)
            boxes = found["boxes"]
            assert Counter(b["kind"] for b in boxes) == {
                "lane": len(names),
                "state": len(lay.states),
            }, name
            for b in boxes:
                assert b["x0"] >= 0 and b["x1"] <= found["width"], (name, b)
                assert b["y0"] >= 0 and b["y1"] <= found["height"], (name, b)
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    apart = (
                        a["x1"] <= b["x0"]
                        or b["x1"] <= a["x0"]
                        or a["y1"] <= b["y0"]
                        or b["y1"] <= a["y0"]
                    )
                    assert apart, (name, a, b)
        page.close()


# -- the backend's frozen surface ---------------------------------------------------------------

VIZ_DIR = ROOT / "tcpcore" / "viz"
# What draws with the backend or shows its figures: the painters (tcpcore/viz/*.py, layout/) and
# the widgets (their static display included); the tests read figures too.
SVG_USERS = [
    *sorted(VIZ_DIR.glob("*.py")),
    *sorted((VIZ_DIR / "layout").glob("*.py")),
    *sorted((ROOT / "tcpcore" / "widgets").glob("*.py")),
]


def _attributes(paths: list[Any]) -> set[str]:
    """Every ``.name`` accessed in the given Python files."""
    found: set[str] = set()
    for path in paths:
        found |= {
            node.attr
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute)
        }
    return found


def _public(obj: object) -> set[str]:
    return {name for name in dir(obj) if not name.startswith("_")}


def test_the_svg_backend_has_exactly_its_frozen_surface() -> None:
    """Figure and Axes have no public attribute beyond svg.SURFACE and svg.INTERNAL (frozen)."""
    fig = viz.svg.Figure(figsize=(2, 1))
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    for obj in (fig, ax):
        name = type(obj).__name__
        assert not viz.svg.SURFACE[name] & viz.svg.INTERNAL[name], name
        assert _public(obj) == viz.svg.SURFACE[name] | viz.svg.INTERNAL[name], name


def test_every_name_of_the_svg_surface_is_used() -> None:
    """No emulation nobody needs: each SURFACE name is used by a painter, widget or test, and
    each INTERNAL name by the backend's own modules."""
    outside = _attributes(SVG_USERS + sorted((ROOT / "tests").rglob("*.py")))
    inside = _attributes(sorted((VIZ_DIR / "svg").glob("*.py")))
    for name in ("Figure", "Axes"):
        assert viz.svg.SURFACE[name] - outside == set(), name
        assert viz.svg.INTERNAL[name] - inside == set(), name


def test_painters_take_from_the_svg_backend_only_its_all() -> None:
    """Outside tcpcore/viz/svg, nothing imports its modules or names beyond svg.__all__."""
    allowed = set(viz.svg.__all__)
    bad = []
    for path in SVG_USERS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if "svg" in parts and parts[-1] != "svg":  # a module inside the backend
                    bad.append(f"{path.name}: from {node.module} import ...")
                elif parts[-1] == "svg":
                    bad += [f"{path.name}: {a.name}" for a in node.names if a.name not in allowed]
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "svg"
                and node.attr not in allowed
            ):
                bad.append(f"{path.name}: svg.{node.attr}")
    assert bad == []
