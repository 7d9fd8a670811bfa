"""The capture viewer: a real capture shipped with tcpcore as a ladder, each endpoint's state
inferred from its segments."""

from __future__ import annotations

import html
from typing import Any

from .. import viz
from ..capture.annotate import SHIPPED, connections, shipped_captures, trace_from_capture
from ..capture.pcap import Capture, read_pcap
from ..trace import Trace
from .base import (
    _FULL,
    _App,
    _fit_options,
)


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
