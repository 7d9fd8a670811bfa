"""The handshake stepper: a scenario of the opening step by step, the ladder so far and each
endpoint's state."""

from __future__ import annotations

import html
from typing import Any

from .. import viz
from ..protocol.states import State
from ..sim.scenarios import parameters
from ..trace import SegmentRecord, Trace
from .base import (
    _App,
    _fit_options,
    _profile_dropdown,
    _states_text,
    simulate,
)

OPENING_SCENARIOS = (
    "handshake",
    "lost-syn",
    "lost-syn-ack",
    "simultaneous-open",
    "old-duplicate-syn",
    "connection-refused",
)


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
