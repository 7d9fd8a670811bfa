"""The teardown explorer: who closes first, with what delays and losses, and how long each side
stays in TIME-WAIT."""

from __future__ import annotations

from typing import Any

from .. import viz
from ..protocol.states import State
from ..sim.network import Network
from ..trace import Trace
from ..wire.flags import Flags
from .base import (
    _App,
    _profile_dropdown,
    _whole_labels,
    simulate,
)


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
