"""Interactive apps for the lessons, built on :mod:`tcpcore.viz` with ipywidgets.

Each function returns an ipywidgets container (a VBox) that a notebook cell displays. Its controls
and its model are attributes, so a lesson's text can refer to them and a test can drive the app
without a browser::

    w = handshake_stepper("lost-syn")
    w.step.value = 2              # what a click on "forward" does, twice
    w.states.value                # "A: SYN-SENT   B: LISTEN"
    w.ladder.labels()             # the ladder's arrow labels so far
    w.figure                      # the Figure last drawn (matplotlib's or tcpcore.viz.svg's)
    with w.hold():                # several changes, one update
        w.client_iss.value = 1000
        w.server_iss.value = 5000

Figures are drawn by :mod:`tcpcore.viz` (matplotlib, or its SVG writer where matplotlib is
missing, as in JupyterLite) and shown as SVG in an ``Image`` widget
(no pyplot state, nothing that needs a display: the same code runs headless in tests, in
JupyterLab, on Binder and in JupyterLite). Errors in what a student typed are shown as a line of
text in the app (``DecodeError: data offset 3 < 5 at byte 12``), never as a traceback.

ipywidgets is imported when an app is made: ``import tcpcore`` does not need it.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from . import static, viz
from .capture.annotate import SHIPPED, connections, shipped_captures, trace_from_capture
from .capture.framing import decode_frame
from .capture.pcap import Capture, read_pcap
from .errors import DecodeError
from .flags import Flags
from .links import LinkType
from .options import MSS, Option
from .profiles import PROFILES, Profile, get_profile
from .quiz import Question, student_id
from .segment import Segment
from .sim.network import Network
from .sim.scenarios import parameters, run_scenario
from .sim.schedules import TimerSchedule, timer_schedule
from .states import State
from .table import Row, Trigger, lookup, triggers_for
from .trace import SegmentRecord, Trace
from .viz.layout.wire import FLAG_ORDER, header_fields

if TYPE_CHECKING:
    from .viz import Figure  # matplotlib's or tcpcore.viz.svg's (see viz.backend)

__all__ = [
    "capture_viewer",
    "handshake_stepper",
    "header_explorer",
    "predict_then_reveal",
    "simulate",
    "state_machine_explorer",
    "teardown_explorer",
    "timers_lab",
]

OPENING_SCENARIOS = (
    "handshake",
    "lost-syn",
    "lost-syn-ack",
    "simultaneous-open",
    "old-duplicate-syn",
    "connection-refused",
)


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
            # the book's build (tcpcore.static): a page shows what the app draws, not a widget
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


class HeaderExplorer(_App):
    """Edit a segment's fields and flags; see its bytes, bits and checksum; decode bytes."""

    def __init__(self) -> None:
        super().__init__()
        w = self.w
        self.src_port = w.BoundedIntText(40000, min=0, max=65535, description="src port")
        self.dst_port = w.BoundedIntText(80, min=0, max=65535, description="dst port")
        self.seq = w.BoundedIntText(100, min=0, max=2**32 - 1, description="seq")
        self.ack = w.BoundedIntText(0, min=0, max=2**32 - 1, description="ack")
        self.window = w.BoundedIntText(65535, min=0, max=65535, description="window")
        self.urgent = w.BoundedIntText(0, min=0, max=65535, description="urgent")
        self.reserved = w.BoundedIntText(0, min=0, max=15, description="reserved")
        self.mss = w.BoundedIntText(1460, min=0, max=65535, description="MSS (0: none)")
        self.payload = w.Text("", description="data")
        self.src_ip = w.Text("10.0.0.1", description="src IP")
        self.dst_ip = w.Text("10.0.0.2", description="dst IP")
        self.flags = {
            (f.name or ""): w.ToggleButton(f.name == "SYN", description=f.name or "")
            for f in FLAG_ORDER
        }
        self.hex_input = w.Textarea(placeholder="paste bytes as hex", description="hex")
        editable = (
            self.src_port,
            self.dst_port,
            self.seq,
            self.ack,
            self.window,
            self.urgent,
            self.reserved,
            self.mss,
            self.src_ip,
            self.dst_ip,
        )
        for field in (*editable, self.payload):
            # three to a row (two on a small screen), the longest label in full
            field.layout.width = "auto"
            field.style.description_width = "8em"
        self.hex_kind = _fit_options(
            w.Dropdown(options=["TCP segment", "IP packet", "Ethernet frame"], description="which")
        )
        self.decode_button = w.Button(description="Decode")
        names = [("(pick a capture)", ""), *((n, n) for n in shipped_captures())]
        self.capture = _fit_options(w.Dropdown(options=names, description="capture"))
        self.packet = _fit_options(w.Dropdown(options=[("", None)], description="packet"))
        # as wide as their text (an HTML widget is 300 px: the hex dump ran into the bit rows)
        self.hex = w.HTML(layout=w.Layout(width="auto", margin="0 2em 0 0"))
        self.bits = w.HTML(layout=w.Layout(width="auto"))
        self.checksum = w.HTML()
        self.other_options: tuple[Option, ...] = ()
        self.payload_bytes = b""
        self.segment = Segment(40000, 80)
        self.encoded = b""
        self._capture: Capture | None = None
        self._loading = False
        self._watch([*editable, *self.flags.values()], self._edited)
        self._watch([self.payload], self._payload_edited)
        self.decode_button.on_click(self._guarded(lambda _b: self.decode_hex()))
        self._watch([self.capture], self._capture_picked)
        self._watch([self.packet], self._packet_picked)
        self._edited()
        grid = w.GridBox(
            [
                self.src_port,
                self.dst_port,
                self.seq,
                self.ack,
                self.window,
                self.urgent,
                self.reserved,
                self.mss,
                self.src_ip,
                self.dst_ip,
                self.payload,
            ],
            layout=w.Layout(grid_template_columns="repeat(auto-fill, minmax(23em, 1fr))"),
        )
        self._box(
            [
                grid,
                w.HBox(list(self.flags.values())),
                w.HBox([self.hex_input, w.VBox([self.hex_kind, self.decode_button])]),
                w.HBox([self.capture, self.packet], layout=w.Layout(flex_flow="row wrap")),
                self.error,
                self.checksum,
                w.HBox([self.hex, self.bits], layout=w.Layout(flex_flow="row wrap")),
                self.image,
            ]
        )

    # -- from the controls to the segment ---------------------------------------------------

    def _payload_edited(self) -> None:
        if not self._loading:
            self.payload_bytes = self.payload.value.encode("utf-8")
            self._edited()

    def _edited(self) -> None:
        if self._loading:
            return
        flags = Flags(0)
        for name, button in self.flags.items():
            if button.value:
                flags |= Flags[name]
        options: tuple[Option, ...] = self.other_options
        if self.mss.value:
            options = (MSS(self.mss.value), *options)
        self.segment = Segment(
            self.src_port.value,
            self.dst_port.value,
            self.seq.value,
            self.ack.value,
            flags,
            self.window.value,
            self.urgent.value,
            options,
            self.payload_bytes,
            self.reserved.value,
        )
        self._render()

    def _addresses(self) -> tuple[str | None, str | None]:
        src, dst = self.src_ip.value.strip(), self.dst_ip.value.strip()
        return (src or None, dst or None)

    def _render(self) -> None:
        src, dst = self._addresses()
        try:
            self.encoded = self.segment.encode(src, dst) if src and dst else self.segment.encode()
        except ValueError as exc:  # EncodeError, or an address that is not one
            self.encoded = b""
            self._say(f"{type(exc).__name__}: {exc}")
            return
        fields = header_fields(self.segment, src, dst)
        check = next(f for f in fields if f.name == "Checksum")
        self.checksum.value = f"<b>checksum</b>: {html.escape(check.text)}"
        self.hex.value = "<pre>" + html.escape(_hexdump(self.encoded)) + "</pre>"
        self.bits.value = "<pre>" + html.escape(_bit_rows(self.encoded)) + "</pre>"
        self._show(viz.header_layout(self.segment, src_ip=src, dst_ip=dst))

    # -- from bytes to the controls -----------------------------------------------------------

    def decode_hex(self) -> None:
        """Decode ``hex_input`` as ``hex_kind`` says and load the segment into the controls."""
        text = "".join(self.hex_input.value.split()).replace(":", "")
        try:
            data = bytes.fromhex(text)
        except ValueError:
            self._say("not hex: use the digits 0-9 and a-f, two per byte")
            return
        try:
            if self.hex_kind.value == "TCP segment":
                self.load(Segment.decode(data))
                return
            linktype = LinkType.RAW if self.hex_kind.value == "IP packet" else LinkType.ETHERNET
            frame = decode_frame(linktype, data)
        except DecodeError as exc:
            self._say(f"DecodeError: {exc}")
            return
        if frame.segment is None or frame.ip is None:
            self._say(f"no TCP segment in it: {frame.reason}")
            return
        self.load(frame.segment, frame.ip.src, frame.ip.dst)

    def load(self, seg: Segment, src_ip: str | None = None, dst_ip: str | None = None) -> None:
        """Show ``seg`` (its checksum as it came) and set every control from it."""
        self._loading = True
        try:
            for control, value in (
                (self.src_port, seg.src_port),
                (self.dst_port, seg.dst_port),
                (self.seq, seg.seq),
                (self.ack, seg.ack),
                (self.window, seg.window),
                (self.urgent, seg.urgent),
                (self.reserved, seg.reserved),
                (self.mss, seg.mss or 0),
            ):
                control.value = value
            for fname, button in self.flags.items():
                button.value = bool(seg.flags & Flags[fname])
            self.payload.value = seg.payload.decode("utf-8", "replace")
            if src_ip is not None and dst_ip is not None:
                self.src_ip.value, self.dst_ip.value = src_ip, dst_ip
        finally:
            self._loading = False
        self.payload_bytes = seg.payload
        self.other_options = tuple(o for o in seg.options if not isinstance(o, MSS))
        self.segment = seg
        self._render()

    def _capture_picked(self) -> None:
        name = self.capture.value
        if not name:
            self._capture = None
            self.packet.options = [("", None)]
            return
        self._capture = read_pcap(shipped_captures()[name])
        options: list[tuple[str, int | None]] = []
        for i, p in enumerate(self._capture.packets):
            if p.segment is not None:
                options.append((f"#{i} {p.src} > {p.dst} {p.segment.label()}", i))
            else:
                options.append((f"#{i} not TCP: {p.error}", i))
        self.packet.options = options
        _fit_options(self.packet)
        self.packet.value = options[0][1] if options else None

    def _packet_picked(self) -> None:
        if self._capture is None or self.packet.value is None:
            return
        p = self._capture.packets[self.packet.value]
        if p.segment is None:
            self._say(f"packet {p.index} has no TCP segment: {p.error}")
            return
        src = p.src.rsplit(":", 1)[0].strip("[]") if p.src else None
        dst = p.dst.rsplit(":", 1)[0].strip("[]") if p.dst else None
        self.load(p.segment, src, dst)


def _hexdump(data: bytes) -> str:
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        lines.append(f"{off:04x}  {' '.join(f'{b:02x}' for b in chunk)}")
    return "\n".join(lines)


def _bit_rows(data: bytes) -> str:
    """The header's 32-bit words in binary, as in RFC 9293 Figure 1."""
    offset = (data[12] >> 4) * 4 if len(data) > 12 else len(data)
    rows = []
    for off in range(0, min(offset, len(data)), 4):
        word = data[off : off + 4]
        rows.append(" ".join(f"{b:08b}" for b in word))
    return "\n".join(rows)


def header_explorer() -> Any:
    """Edit a TCP header field by field and flag by flag; see its bytes, its bits and its
    checksum, and RFC 9293 Figure 1 filled in. Paste hex (a segment, an IP packet or an
    Ethernet frame) or pick a packet from a shipped capture to decode it."""
    return HeaderExplorer().widget


# -- handshake stepper -----------------------------------------------------------------------------


class HandshakeStepper(_App):
    """Step through a scenario's segments one by one; choose one to lose; set the ISNs."""

    def __init__(self, scenario: str = "handshake") -> None:
        super().__init__()
        w = self.w
        names = list(dict.fromkeys([scenario, *OPENING_SCENARIOS]))
        self.scenario = _fit_options(
            w.Dropdown(options=names, value=scenario, description="scenario")
        )
        self.profile = _profile_dropdown(w)
        self.client_iss = w.BoundedIntText(100, min=0, max=2**32 - 1, description="A's ISN")
        self.server_iss = w.BoundedIntText(300, min=0, max=2**32 - 1, description="B's ISN")
        self.lose = w.Dropdown(options=[("nothing", None)], description="lose")
        self.step = w.IntSlider(0, min=0, max=0, description="segments")
        self.back = w.Button(description="◀ back")
        self.forward = w.Button(description="forward ▶")
        self.states = w.HTML()
        self.current = w.HTML()
        self.trace = Trace()
        self.until: float | None = None
        self.ladder: Any = None  # the LadderLayout drawn
        self._times: list[float] = []
        self._loading_options = False
        self._watch([self.scenario, self.profile, self.client_iss, self.server_iss], self._rebase)
        self._watch([self.lose], self._resimulate)
        self._watch([self.step], self._render)
        self.back.on_click(self._guarded(lambda _b: self._move(-1)))
        self.forward.on_click(self._guarded(lambda _b: self._move(1)))
        self._guarded(self._rebase)()
        self._box(
            [
                w.HBox([self.scenario, self.profile]),
                w.HBox([self.client_iss, self.server_iss]),
                self.lose,
                w.HBox([self.back, self.step, self.forward]),
                self.states,
                self.current,
                self.error,
                self.image,
            ]
        )

    def _params(self) -> dict[str, Any]:
        own = parameters(self.scenario.value)
        out: dict[str, Any] = {}
        if "client_iss" in own:
            out["client_iss"] = self.client_iss.value
        if "server_iss" in own:
            out["server_iss"] = self.server_iss.value
        return out

    def _rebase(self) -> None:
        """A new scenario, profile or ISN: list the segments one could lose, then run."""
        base = simulate(self.scenario.value, self.profile.value, **self._params())
        counts: dict[str, int] = {}
        options: list[tuple[str, tuple[str, int] | None]] = [("nothing", None)]
        for r in base.segments():
            if r.sender is None or "[" in r.sender:  # injected, or a listener's child
                continue
            counts[r.sender] = counts.get(r.sender, 0) + 1
            n = counts[r.sender]
            options.append((f"{r.sender}'s segment #{n}: {r.label()}", (r.sender, n)))
        self._loading_options = True
        self.lose.options = options
        _fit_options(self.lose)
        self.lose.value = None
        self._loading_options = False
        self._resimulate()

    def _resimulate(self) -> None:
        if self._loading_options:
            return
        drop = self.lose.value
        faults = (lambda net: net.drop_nth(*drop)) if drop else None
        self.trace = simulate(
            self.scenario.value, self.profile.value, faults=faults, **self._params()
        )
        times: list[float] = []
        for r in self.trace.segments():
            t = max(r.sent, r.arrival if r.arrival is not None else r.sent)
            times.append(max(t, times[-1]) if times else t)
        self._times = times
        old = self.step.value
        self.step.max = len(times)
        self.step.value = min(old, len(times))
        self._render()

    def _move(self, delta: int) -> None:
        self.step.value = max(0, min(self.step.max, self.step.value + delta))

    def _render(self) -> None:
        k = self.step.value
        records = self.trace.segments()
        if k == 0:
            first = records[0].sent if records else 0.0
            self.until = first - 1e-6
        else:
            self.until = self._times[k - 1]
        names = [n for n in self.trace.endpoints if n not in self.trace.parent]
        self.states.value = _states_text(_lane_states(self.trace, self.until), names)
        self.current.value = _describe(records[k - 1]) if k else "before the first segment"
        self.ladder = viz.ladder_layout(self.trace, until=self.until)
        self._show(
            viz.draw_ladder(self.ladder, title=f"{self.trace.scenario} ({self.trace.profile})")
        )


def _lane_states(trace: Trace, t: float) -> dict[str, State]:
    """Each top-level endpoint's state at t; a listener shows its (last) child's state."""
    states = trace.states_at(t)
    for name, line in trace.timelines.items():  # before anything happened: the first state
        if name not in states and line:
            states[name] = line[0][1]
    out: dict[str, State] = {}
    for name in trace.endpoints:
        if name in trace.parent:
            continue
        if name in states:
            out[name] = states[name]
        kids = [c for c, p in trace.parent.items() if p == name and c in states]
        if kids:
            out[name] = states[kids[-1]]
    return out


def _describe(r: SegmentRecord) -> str:
    who = f"{r.sender or r.src} → {r.receiver or r.dst}"
    text = f"<b>{html.escape(who)}</b>: {html.escape(r.label())} at t={r.sent:.3f} s"
    if r.dropped:
        return text + f', <span style="color:#c62828">lost ({html.escape(r.reason)})</span>'
    if r.dst_state is not None:
        text += f", which leaves the receiver in {r.dst_state}"
    return text


def handshake_stepper(scenario: str = "handshake") -> Any:
    """Step through a scenario's segments (forward/back or the slider), with the ladder and both
    ends' states following. Choose a segment to lose and watch TCP recover; change the initial
    sequence numbers and see every seq and ack follow."""
    return HandshakeStepper(scenario).widget


# -- teardown explorer ----------------------------------------------------------------------------


class TeardownExplorer(_App):
    """Who closes first, at once, half-close, how long before the second FIN, a lost last ACK."""

    def __init__(self) -> None:
        super().__init__()
        w = self.w
        self.first = w.ToggleButtons(
            options=[
                ("A (client) closes first", "client"),
                ("B (server) closes first", "server"),
                ("both at once", "both"),
            ],
            value="client",
            style={"button_width": "auto"},
        )
        self.half_close = w.Checkbox(False, description="half-close (A: shutdown, B still sends)")
        self.gap = w.FloatSlider(
            1.0, min=0.0, max=5.0, step=0.1, description="second FIN after (s)"
        )
        self.lose_last_ack = w.Checkbox(False, description="lose the last ACK")
        _whole_labels(self.half_close, self.gap, self.lose_last_ack)
        for box in (self.half_close, self.lose_last_ack):
            box.layout.width = "auto"
        self.profile = _profile_dropdown(w)
        self.summary = w.HTML()
        self.trace = Trace()
        self.scenario_name = ""
        self.sequences: dict[str, list[State]] = {}
        self._watch(
            [self.first, self.half_close, self.gap, self.lose_last_ack, self.profile], self._run
        )
        self._guarded(self._run)()
        self._box(
            [
                self.first,
                w.HBox(
                    [self.half_close, self.lose_last_ack], layout=w.Layout(flex_flow="row wrap")
                ),
                w.HBox([self.gap, self.profile], layout=w.Layout(flex_flow="row wrap")),
                self.error,
                self.summary,
                self.image,
            ]
        )

    def _run(self) -> None:
        close_at, gap = 1.0, self.gap.value
        first = self.first.value
        params: dict[str, Any]
        if self.half_close.value:
            name = "half-close"
            params = {
                "shutdown_at": close_at,
                "reply_at": close_at + gap / 2,
                "server_close_at": close_at + gap,
            }
            closer = "A"
        elif first == "both":
            name, params, closer = "simultaneous-close", {"close_at": close_at}, "A"
        elif first == "client":
            name = "client-closes-first"
            params = {"close_at": close_at, "server_close_at": close_at + gap}
            closer = "A"
        else:
            name = "server-closes-first"
            params = {"close_at": close_at, "client_close_at": close_at + gap}
            closer = "B"
        second = close_at + (0.0 if first == "both" and not self.half_close.value else gap)
        faults = None
        if self.lose_last_ack.value:

            def faults(net: Network) -> None:
                net.drop_first(closer, flags=Flags.ACK, after=second + 1e-9)

        self.scenario_name = name
        self.trace = simulate(name, self.profile.value, faults=faults, **params)
        self.sequences = {n: self.trace.state_sequence(n) for n in ("A", "B")}
        rows = "".join(
            f"<tr><td><b>{n}</b></td><td>{' → '.join(map(str, seq))}</td></tr>"
            for n, seq in self.sequences.items()
        )
        waits = [
            f"{n} waits in TIME-WAIT for {_tw_length(self.trace, n):g} s"
            for n, seq in self.sequences.items()
            if State.TIME_WAIT in seq
        ]
        self.summary.value = f"<table>{rows}</table>" + "; ".join(waits)
        self._show(viz.ladder(self.trace))


def _tw_length(trace: Trace, name: str) -> float:
    line = trace.timelines[name]
    start = next(t for t, s in line if s is State.TIME_WAIT)
    end = next((t for t, s in line if s is State.CLOSED and t > start), start)
    return round(end - start, 6)


def teardown_explorer() -> Any:
    """Close a connection every way: client first, server first, both at once, a half-close,
    any delay before the second FIN, a lost last ACK. Both timelines show FIN-WAIT-1/2,
    CLOSE-WAIT, LAST-ACK, CLOSING and TIME-WAIT as each end passes through them."""
    return TeardownExplorer().widget


# -- timers lab -----------------------------------------------------------------------------------


class TimersLab(_App):
    """MSL, keepalive idle/interval/probes: when is a dead peer declared dead, rfc9293 vs linux."""

    def __init__(self) -> None:
        super().__init__()
        w = self.w
        self.what = w.ToggleButtons(
            options=[
                ("keepalive", "keepalive"),
                ("TIME-WAIT", "time-wait"),
                ("SYN retries", "syn-retries"),
            ],
            value="keepalive",
            style={"button_width": "auto"},
        )
        self.msl = w.FloatSlider(120.0, min=1.0, max=240.0, step=1.0, description="MSL (s)")
        self.idle = w.FloatText(7200.0, description="idle (s)")
        self.interval = w.FloatText(75.0, description="interval (s)")
        self.probes = w.BoundedIntText(9, min=1, max=100, description="probes")
        for box in (self.idle, self.interval, self.probes):
            box.layout.width = "16em"
        _whole_labels(self.msl, self.idle, self.interval, self.probes)
        self.summary = w.HTML()
        self.schedules: dict[str, TimerSchedule] = {}
        self._watch([self.what, self.msl, self.idle, self.interval, self.probes], self._run)
        self._guarded(self._run)()
        self._box(
            [
                self.what,
                w.HBox(
                    [self.idle, self.interval, self.probes], layout=w.Layout(flex_flow="row wrap")
                ),
                self.msl,
                self.error,
                self.summary,
                self.image,
            ]
        )

    def profiles(self) -> list[Profile]:
        """rfc9293 with the chosen MSL (TIME-WAIT = 2*MSL) and linux (TIME-WAIT fixed at
        60 s, TCP_TIMEWAIT_LEN), both with the chosen keepalive values."""
        keep = {
            "keepalive_idle": float(self.idle.value),
            "keepalive_interval": float(self.interval.value),
            "keepalive_probes": int(self.probes.value),
        }
        for key, value in keep.items():
            if value <= 0:
                raise ValueError(f"{key.replace('_', ' ')} must be positive")
        msl = float(self.msl.value)
        rfc = get_profile("rfc9293").with_(msl=msl, time_wait=2 * msl, **keep)
        return [rfc, get_profile("linux").with_(**keep)]

    def _run(self) -> None:
        what = self.what.value
        self.schedules = {p.name: timer_schedule(p, what) for p in self.profiles()}
        self.summary.value = "<br>".join(_schedule_text(s) for s in self.schedules.values())
        self._show(viz.draw_schedules(list(self.schedules.values())))


def _schedule_text(s: TimerSchedule) -> str:
    if s.what == "keepalive":
        rst = " and sends a RST" if s.values.get("sends_rst") else ""
        return (
            f"<b>{s.profile}</b>: the peer is declared dead {s.end:g} s after the last segment "
            f"heard ({s.values['keepalive_idle']:g} + {s.values['keepalive_probes']} × "
            f"{s.values['keepalive_interval']:g}){rst}"
        )
    if s.what == "time-wait":
        return f"<b>{s.profile}</b>: TIME-WAIT lasts {s.end:g} s (MSL {s.values['msl']:g} s)"
    return (
        f"<b>{s.profile}</b>: {s.values['retransmissions']} retransmissions, "
        f"connect() gives up after {s.end:g} s"
    )


def timers_lab() -> Any:
    """Change the MSL and the keepalive idle time, interval and probe count, and see when
    TIME-WAIT ends and when a dead peer is declared dead, rfc9293 and linux side by side."""
    return TimersLab().widget


# -- state machine explorer ------------------------------------------------------------------------


def row_html(state: State, trigger: Trigger, row: Row) -> str:
    """The explorer's account of one row: next state, actions, the reply, the RFC clause."""
    sends = [w.text for w in row.wire]
    actions = ", ".join(str(a) for a in row.actions) or "nothing"
    note = f"<br><i>{html.escape(row.note)}</i>" if row.note else ""
    return (
        f"In <b>{state}</b>, on <b>{html.escape(str(trigger))}</b> ({trigger.kind}): "
        f"→ <b>{row.next}</b><br>actions: {html.escape(actions)}<br>"
        f"reply: {html.escape('; '.join(sends) or 'none')}<br>"
        f"RFC 9293 {html.escape(row.clause)}{note}"
    )


class StateMachineExplorer(_App):
    """Pick a state and a trigger (from the table): the transition, the reply, the RFC clause."""

    def __init__(self) -> None:
        super().__init__()
        w = self.w
        self.state = w.Dropdown(options=[(str(s), s) for s in State], value=State.ESTABLISHED)
        self.state.description = "state"
        _fit_options(self.state)
        self.trigger = w.Dropdown(description="trigger")
        self.profile = _profile_dropdown(w)
        self.show_minor = w.Checkbox(False, description="show every row")
        _whole_labels(self.show_minor)
        self.show_minor.layout.width = "auto"
        self.result = w.HTML()
        self.row: Any = None
        self._filling = False
        self._watch([self.state], self._fill_triggers)
        self._watch([self.trigger, self.profile, self.show_minor], self._run)
        self._guarded(self._fill_triggers)()
        self._box(
            [
                w.HBox([self.state, self.trigger], layout=w.Layout(flex_flow="row wrap")),
                w.HBox([self.profile, self.show_minor], layout=w.Layout(flex_flow="row wrap")),
                self.error,
                self.result,
                self.image,
            ]
        )

    def _fill_triggers(self) -> None:
        self._filling = True
        try:
            triggers = triggers_for(self.state.value)
            self.trigger.options = [(str(t), t) for t in triggers]
            _fit_options(self.trigger)
            self.trigger.value = Trigger.CLOSE if Trigger.CLOSE in triggers else triggers[0]
        finally:
            self._filling = False
        self._run()

    def _run(self) -> None:
        if self._filling:
            return
        state, trigger = self.state.value, self.trigger.value
        prof = get_profile(self.profile.value)
        self.row = row = lookup(state, trigger, prof)
        self.result.value = row_html(state, trigger, row)
        self.diagram = viz.diagram_layout(
            highlight=(state, trigger),
            current=state,
            profile=prof,
            show_minor=self.show_minor.value,
        )
        self._show(viz.draw_diagram(self.diagram))


def state_machine_explorer() -> Any:
    """Pick a state and a trigger (both lists come from the transition table): see the next
    state, the actions, the segment sent in reply and the RFC clause, and the state diagram
    with that edge highlighted."""
    return StateMachineExplorer().widget


# -- capture viewer --------------------------------------------------------------------------------


class CaptureViewer(_App):
    """A shipped real capture as an annotated ladder, states inferred by the observer."""

    def __init__(self, name: str = "client-closes-first") -> None:
        super().__init__()
        w = self.w
        names = list(shipped_captures())
        self.capture = w.Dropdown(
            options=[(f"{n}: {SHIPPED[n]}", n) for n in names],
            value=name if name in names else names[0],
            description="capture",
            layout=w.Layout(width=_FULL),
            style={"description_width": "initial"},
        )
        self.connection = w.Dropdown(description="connection")
        self.info = w.HTML()
        self.table = w.HTML()
        self.packets: Capture | None = None
        self.trace = Trace()
        self._filling = False
        self._watch([self.capture], self._load)
        self._watch([self.connection], self._run)
        self._guarded(self._load)()
        self._box([self.capture, self.connection, self.error, self.info, self.image, self.table])

    def _load(self) -> None:
        self.packets = read_pcap(shipped_captures()[self.capture.value])
        conns = connections(self.packets)
        self._filling = True
        try:
            options: list[tuple[str, int | None]] = [
                (f"{a} ⇄ {b}", i) for i, (a, b) in enumerate(conns)
            ]
            if len(conns) > 1:
                options.append(("all connections", None))
            self.connection.options = options
            _fit_options(self.connection)
            self.connection.value = 0 if conns else None
        finally:
            self._filling = False
        self._run()

    def _run(self) -> None:
        if self._filling or self.packets is None:
            return
        cap = self.packets
        self.trace = trace_from_capture(
            cap, connection=self.connection.value, name=self.capture.value
        )
        other = sum(1 for p in cap if p.kind != "tcp")
        self.info.value = (
            f"{len(cap)} packets ({len(self.trace.records)} TCP segments shown, "
            f"{other} not TCP), {len(cap.problems)} problems; states inferred from the "
            f"segments by tcpcore.capture.observe"
        )
        self.table.value = _segment_table(self.trace)
        self._show(viz.ladder(self.trace, title=f"{self.capture.value}.pcap"))


def _segment_table(trace: Trace) -> str:
    head = "<tr><th>#</th><th>t (s)</th><th>segment</th><th>states after it</th><th></th></tr>"
    rows = []
    for i, r in enumerate(trace.segments()):
        states = ", ".join(f"{k}: {v}" for k, v in r.states.items())
        rows.append(
            f"<tr><td>{i}</td><td>{r.sent:.6f}</td><td>{html.escape(r.src)} → "
            f"{html.escape(r.dst)} {html.escape(r.label())}</td><td>{html.escape(states)}</td>"
            f"<td><i>{html.escape(r.doubt)}</i></td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def capture_viewer(name: str = "client-closes-first") -> Any:
    """Pick one of the real captures shipped with tcpcore and see it as a ladder diagram,
    each endpoint's state inferred from the segments (:mod:`tcpcore.capture.observe`)."""
    return CaptureViewer(name).widget


# -- predict, then reveal ----------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJ"
# Each choice is a letter button beside an HTML label: an HTML widget wraps its text and grows
# to fit it, where RadioButtons (JupyterLab 4) keep one line per label and overlap long ones.
_LABEL_CSS = "white-space:normal;line-height:1.4;overflow-wrap:anywhere;padding:4px 6px"
# An HTML widget's content has the line height of a one-line control (28 px): set a reading one.
_TEXT_CSS = "white-space:normal;line-height:1.45"

# The quiz's own words, in the language of the question it shows (tcpcore.quiz.language()
# chooses it); a language without its words here uses the English ones.
_QUIZ_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "choose": "choose {letter}",
        "placeholder": "your answer",
        "commit": "Commit my answer",
        "run": "Run the simulation",
        "chose": "You chose {letter}. Press <b>Commit my answer</b> when you are sure.",
        "first": "Choose an answer first: predicting is the point.",
        "prediction": "Your prediction: <b>{answer}</b>. Now run it.",
        "uncommitted": "Commit an answer before running the simulation.",
        "right": "Right.",
        "wrong": "Not quite.",
        "answer": "The answer: {right}",
        "see": "See {refs}.",
    },
    "zh-CN": {
        "choose": "选 {letter}",
        "placeholder": "你的答案",
        "commit": "提交我的答案",
        "run": "运行模拟",
        "chose": "你选了 {letter}。想好了就按<b>提交我的答案</b>。",
        "first": "请先选一个答案：先预测，再看结果。",
        "prediction": "你的预测：<b>{answer}</b>。现在运行模拟看看。",
        "uncommitted": "请先提交答案，再运行模拟。",
        "right": "答对了。",
        "wrong": "不完全对。",
        "answer": "正确答案：{right}",
        "see": "参见 {refs}。",
    },
}


def _inline(text: str) -> str:
    """Text as HTML: escaped, with `backquoted` words as <code>, as in the lessons' Markdown."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _choice_html(text: str, *, chosen: bool) -> str:
    """A choice's label; the chosen one is tinted, so the choice shows beside its letter too."""
    tint = "background:#e3f2fd;border-radius:3px" * chosen
    return f'<div class="tcpcore-choice" style="{_LABEL_CSS};{tint}">{_inline(text)}</div>'


def _paragraphs_html(paragraphs: Sequence[str]) -> str:
    """Paragraphs as <p> elements (a blank line in the text is a new paragraph)."""
    body = "".join(f'<p style="margin:0 0 0.6em 0">{_inline(p)}</p>' for p in paragraphs)
    return f'<div style="{_TEXT_CSS}">{body}</div>'


class PredictThenReveal(_App):
    """A quiz question: commit an answer first, then run the simulation to see why.

    The choices appear in the order :meth:`tcpcore.quiz.Question.choices_for` gives for
    ``student`` (default :func:`tcpcore.quiz.student_id`), and the answer is judged by
    :meth:`~tcpcore.quiz.Question.check`, the one checker. ``choose(i)`` picks the i-th choice
    shown (what a click on its letter does)."""

    def __init__(self, question: Question, student: str | None = None) -> None:
        super().__init__()
        if not isinstance(question, Question):
            raise TypeError(
                f"predict_then_reveal takes a tcpcore.quiz.Question (quiz.get(id)), "
                f"not {type(question).__name__}"
            )
        w = self.w
        self.question = question
        self.words = _QUIZ_WORDS.get(question.language, _QUIZ_WORDS["en"])
        self.student = student if student is not None else student_id()
        self.prompt = w.HTML(f'<div style="{_TEXT_CSS}"><b>{_inline(question.prompt)}</b></div>')
        self.choices: tuple[str, ...] = question.choices_for(self.student)
        self.buttons: list[Any] = []
        self.labels: list[Any] = []
        self.selected: int | None = None
        if self.choices:
            rows = []
            for i, text in enumerate(self.choices):
                button = w.ToggleButton(
                    description=_LETTERS[i],
                    tooltip=self.words["choose"].format(letter=_LETTERS[i]),
                    layout=w.Layout(width="2.6em", min_width="2.6em", flex="0 0 auto"),
                )
                label = w.HTML(
                    _choice_html(text, chosen=False),
                    layout=w.Layout(flex="1 1 auto", width="auto", min_width="0"),
                )
                button.observe(self._picker(i), names="value")
                self.buttons.append(button)
                self.labels.append(label)
                rows.append(
                    w.HBox(
                        [button, label],
                        layout=w.Layout(align_items="flex-start", width="100%", margin="2px 0"),
                    )
                )
            self.choice = w.VBox(rows, layout=w.Layout(width="100%", max_width="60em"))
        else:
            self.choice = w.Text(placeholder=self.words["placeholder"])
        self.commit = w.Button(description=self.words["commit"], button_style="primary")
        self.run = w.Button(description=self.words["run"], disabled=True)
        self.feedback = w.HTML()
        self.explanation = w.HTML(layout=w.Layout(max_width="60em"))
        self.committed: str | None = None
        self.revealed = False
        self.correct: bool | None = None
        self.trace: Trace | None = None
        self.commit.on_click(self._guarded(lambda _b: self.do_commit()))
        self.run.on_click(self._guarded(lambda _b: self.reveal()))
        self._box(
            [
                self.prompt,
                self.choice,
                w.HBox([self.commit, self.run], layout=w.Layout(margin="8px 0 0 0")),
                self.feedback,
                self.error,
                self.explanation,
                self.image,
            ]
        )

    def _picker(self, i: int) -> Callable[[Any], None]:
        def picked(change: Any) -> None:
            if change["new"]:
                self.choose(i)
            elif self.selected == i:  # its letter clicked again: nothing chosen
                self.selected = None
                self.buttons[i].button_style = ""
                self.labels[i].value = _choice_html(self.choices[i], chosen=False)
                self.feedback.value = ""

        return picked

    def choose(self, i: int) -> None:
        """Pick the i-th choice as shown (0 is "A"); the other letters are released."""
        if not 0 <= i < len(self.choices):
            raise ValueError(f"choose a choice from 0 to {len(self.choices) - 1}, not {i}")
        self.selected = i
        for j, b in enumerate(self.buttons):
            if b.value != (j == i):
                b.value = j == i
            b.button_style = "info" if j == i else ""
            self.labels[j].value = _choice_html(self.choices[j], chosen=j == i)
        chose = self.words["chose"].format(letter=_LETTERS[i])
        self.feedback.value = f'<div style="{_TEXT_CSS}">{chose}</div>'

    @property
    def answer(self) -> str | None:
        """What the student has chosen or typed so far (None: nothing yet)."""
        if self.choices:
            return None if self.selected is None else self.choices[self.selected]
        value = str(self.choice.value)
        return value if value.strip() else None

    def do_commit(self) -> None:
        value = self.answer
        if value is None:
            self.feedback.value = self.words["first"]
            return
        self.committed = value
        self.choice.disabled = True
        for b in self.buttons:
            b.disabled = True
        self.commit.disabled = True
        self.run.disabled = False
        shown = value
        if self.selected is not None:
            shown = f"{_LETTERS[self.selected]}. {value}"
        prediction = self.words["prediction"].format(answer=_inline(shown))
        self.feedback.value = f'<div style="{_TEXT_CSS}">{prediction}</div>'

    def reveal(self) -> None:
        if self.committed is None:
            self.feedback.value = self.words["uncommitted"]
            return
        q = self.question
        self.revealed = True
        self.run.disabled = True
        self.correct, _ = q.check(self.committed)
        verdict = self.words["right"] if self.correct else self.words["wrong"]
        right = q.correct
        if self.choices:
            right = f"{_LETTERS[self.choices.index(right)]}. {right}"
        answer = self.words["answer"].format(right=_inline(right))
        self.feedback.value = f'<div style="{_TEXT_CSS}"><b>{verdict}</b> {answer}</div>'
        refs = ", ".join(q.rfc_refs)
        see = [self.words["see"].format(refs=refs)] if refs else []
        self.explanation.value = _paragraphs_html([*q.paragraphs(), *see])
        self.trace = q.run()
        self._show(viz.ladder(self.trace))


def predict_then_reveal(question: Question, student: str | None = None) -> Any:
    """Show a :class:`tcpcore.quiz.Question`: the choices in ``student``'s order (default: who
    is logged in, :func:`tcpcore.quiz.student_id`); the student commits an answer before the
    "Run the simulation" button shows the explanation and the scenario's ladder."""
    return PredictThenReveal(question, student).widget
