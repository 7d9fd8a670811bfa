"""What every app of :mod:`tcpcore.widgets` shares: :class:`_App` (a figure shown as SVG, an error
line, its container, ``hold()``), the lazy ipywidgets import, :func:`simulate`, and the helpers
that size controls to their text."""

from __future__ import annotations

import contextlib
import functools
import html
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .. import viz
from ..protocol.profiles import PROFILES, Profile
from ..protocol.states import State
from ..sim.network import Network
from ..sim.scenarios import run_scenario
from ..trace import Trace
from . import static

if TYPE_CHECKING:
    from ..viz import Figure  # matplotlib's or tcpcore.viz.svg's (see viz.backend)

__all__ = ["simulate"]


def _ipywidgets() -> Any:
    try:
        import ipywidgets  # type: ignore[import-untyped]  # ipywidgets ships no type hints
    except ImportError as exc:  # pragma: no cover - the notebooks extra installs it
        raise ImportError(
            "tcpcore.widgets needs ipywidgets: pip install 'tcpcourse[notebooks]'"
        ) from exc
    return ipywidgets


@functools.cache
def _box_class() -> Any:
    """A VBox whose unknown attributes are its app's (``box.step`` is the app's slider)."""
    base: Any = _ipywidgets().VBox

    class AppBox(base):  # type: ignore[misc]  # ipywidgets is untyped: its VBox is Any
        def __getattr__(self, name: str) -> Any:
            app = self.__dict__.get("_app")
            if app is None or name.startswith("__"):
                raise AttributeError(name)
            return getattr(app, name)

        def _repr_mimebundle_(self, **kwargs: Any) -> Any:
            # the book (tcpcore.widgets.static): a page shows what the app draws, not a widget
            if static.enabled():
                return static.bundle(self._app)
            return super()._repr_mimebundle_(**kwargs)

    return AppBox


def simulate(
    name: str,
    profile: str | Profile = "rfc9293",
    seed: int = 0,
    *,
    faults: Callable[[Network], None] | None = None,
    **params: Any,
) -> Trace:
    """:func:`tcpcore.sim.scenarios.run_scenario`, with ``faults(network)`` called after the
    scenario is set up and before it runs (``lambda net: net.drop_nth("A", 1)``)."""
    return run_scenario(name, profile, seed, faults=faults, **params)


class _App:
    """What every app has: a figure shown as SVG, an error line, and its container."""

    def __init__(self) -> None:
        w = _ipywidgets()
        self.w = w
        # hidden until the first figure: an empty Image shows the browser's broken-image icon
        self.image = w.Image(
            format="svg+xml", layout=w.Layout(max_width="100%", height="auto", display="none")
        )
        self.error = w.HTML("")
        self.figure: Figure | None = None
        self.renders = 0  # how many figures were drawn
        self._held = False
        self._pending: list[Callable[[], None]] = []

    def _show(self, fig: Figure) -> None:
        self.figure = fig
        self.image.value = viz.to_svg(fig)
        if self.image.layout.display == "none":  # the first figure: show the image
            # with a new Layout: a style set back to None never reaches JupyterLite's front end
            self.image.layout = self.w.Layout(max_width="100%", height="auto")
        self.renders += 1

    def _box(self, children: Sequence[Any]) -> Any:
        box = _box_class()(list(children))
        box._app = self
        self.widget = box
        return box

    def _say(self, text: str = "") -> None:
        self.error.value = f'<span style="color:#c62828">{html.escape(text)}</span>' if text else ""

    def _guarded(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Run a callback; show any error as one line of text instead of a traceback."""

        def run(*args: Any) -> None:
            try:
                self._say()
                fn(*args)
            except Exception as exc:  # a student's input must never end in a traceback
                self._say(f"{type(exc).__name__}: {exc}")

        return run

    def _watch(self, controls: Sequence[Any], fn: Callable[[], None]) -> None:
        def changed(_change: Any) -> None:
            if self._held:
                self._pending.append(fn)
            else:
                fn()

        handler = self._guarded(changed)
        for c in controls:
            c.observe(handler, names="value")

    def static_html(self) -> str:
        """This app as a page of the book (:mod:`tcpcore.widgets.static`): its first figure."""
        return static.figure_page(self.figure)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls, then update once: ``with w.hold(): w.idle.value = 60; ...``."""
        self._held = True
        try:
            yield
        finally:
            self._held = False
            todo, self._pending = list(dict.fromkeys(self._pending)), []
            for fn in todo:
                self._guarded(fn)()


def _profile_dropdown(w: Any, value: str = "rfc9293") -> Any:
    return _fit_options(w.Dropdown(options=list(PROFILES), value=value, description="profile"))


# ipywidgets gives a description 80 px and cuts it with "…", and a dropdown 300 px whatever its
# options say: the helpers below size them to their text (never wider than the output area).


_FULL = "calc(100% - 4px)"  # the output area's width, less the 2-px margins of a widget


def _whole_labels(*controls: Any) -> None:
    """Give each control's description the width its text needs."""
    for c in controls:
        c.style.description_width = "initial"


def _fit_options(dropdown: Any) -> Any:
    """Widen a dropdown to show its longest option and its description in full (call again
    when its options change)."""
    labels = [str(label) for label in dropdown._options_labels] or [""]
    chars = max(len(label) for label in labels) + len(dropdown.description or "")
    dropdown.style.description_width = "initial"
    dropdown.layout.width = f"{max(12.0, 0.62 * chars + 4.5):.1f}em"
    dropdown.layout.max_width = _FULL
    return dropdown


def _states_text(states: dict[str, State], names: Sequence[str]) -> str:
    parts = [f"<b>{html.escape(n)}</b>: {states[n]}" for n in names if n in states]
    return "&nbsp;&nbsp;&nbsp;".join(parts)


# -- header explorer ------------------------------------------------------------------------------
