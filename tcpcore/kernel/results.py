"""What one run of an experiment gives, whether the kernel or tcpcore ran it.

A :class:`Run` holds one :class:`StepResult` per step: the call's errno name (or None), what it
did, each role's RFC state once the segments had settled, the segments the step set off, and for
the kernel the sockets as ``ss`` listed them. A kernel run in its own namespace also has the
frames it captured, as the same :class:`~tcpcore.capture.pcap.Capture` and
:class:`~tcpcore.trace.Trace` that reading a pcap file gives.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..capture.pcap import Capture, write_pcap
from ..protocol.states import State
from ..trace import Trace
from .experiments import Experiment, roles
from .ss import SocketRecord

__all__ = ["LEGEND", "Run", "StepResult", "port_symbols", "segment_label", "short"]


@dataclass
class StepResult:
    """One step of a run (``index`` counts from 1)."""

    index: int
    op: str
    sock: str
    error: str | None
    detail: str
    states: dict[str, State]
    segments: list[str] = field(default_factory=list)
    sockets: list[SocketRecord] = field(default_factory=list)
    time: float = 0.0  # when the step started, seconds from the run's start

    @property
    def call(self) -> str:
        return f"{self.op} {self.sock}".strip()


@dataclass
class Run:
    """One experiment, run by ``source``: "namespace", "host" or "recorded" (the kernel), or
    "tcpcore" (the prediction). ``note`` is the one line that says what was not possible here;
    ``problem`` the step that failed, if one did."""

    experiment: Experiment
    source: str
    steps: list[StepResult]
    ports: dict[str, int]
    note: str = ""
    problem: str | None = None
    kernel: str = ""
    capture: Capture | None = None
    trace: Trace | None = None
    frames: list[tuple[float, bytes]] = field(default_factory=list, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the driver's JSON

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def roles(self) -> list[str]:
        return [r for r, _, _ in roles(self.experiment.steps)]

    def states(self, role: str) -> list[State]:
        """The role's state after each step."""
        return [s.states.get(role, State.CLOSED) for s in self.steps]

    def errors(self) -> list[tuple[str, str]]:
        """(call, errno name) of every step that failed."""
        return [(s.call, s.error) for s in self.steps if s.error]

    def ss(self, step: int | None = None) -> str:
        """The sockets ``ss`` listed after a step (the last by default), one line each."""
        if not self.steps:
            return "(no steps ran)"
        s = self.steps[-1 if step is None else step - 1]
        if not s.sockets:
            return f"after step {s.index} ({s.call}): no TCP sockets"
        head = f"after step {s.index} ({s.call}):"
        lines = [
            f"{'State':<25} {'Recv-Q':>6} {'Send-Q':>6}  {'Local':<21} {'Peer':<21}Timer",
            *(r.line() for r in s.sockets),
        ]
        return "\n".join([head, *lines])

    def count(self, state: State | str, step: int | None = None) -> int:
        """How many sockets ss showed in ``state`` after a step (the last by default)."""
        want = state if isinstance(state, State) else State.parse(state)
        s = self.steps[-1 if step is None else step - 1]
        return sum(1 for r in s.sockets if r.state is want)

    def write_pcap(self, path: str | Path) -> Path:
        """Write the captured frames as a pcap file (ValueError if nothing was captured)."""
        if not self.frames:
            raise ValueError(f"this run ({self.source}) has no capture to write")
        write_pcap(path, self.frames)
        return Path(path)

    def pcap_bytes(self) -> bytes:
        buf = io.BytesIO()
        write_pcap(buf, self.frames)
        return buf.getvalue()

    def summary(self) -> str:
        """A table: one line per step, with the call's errno and every role's state."""
        title = f"{self.experiment.title} ({self.source}"
        lines = [title + (f", Linux {self.kernel})" if self.kernel else ")")]
        if self.note:
            lines.append(self.note)
        width = max(12, *(len(r) + 2 for r in self.roles))
        head = f"{'step':<22}{'errno':<14}" + "".join(f"{r:<{width}}" for r in self.roles)
        lines += [head.rstrip(), "-" * len(head.rstrip())]
        for s in self.steps:
            states = "".join(f"{short(s.states.get(r, State.CLOSED)):<{width}}" for r in self.roles)
            lines.append(f"{s.index:>2}. {s.call:<18}{s.error or 'ok':<14}{states}".rstrip())
        lines.append(LEGEND)
        if self.problem:
            lines.append("stopped: " + self.problem)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


_SHORT = {State.ESTABLISHED: "ESTAB", State.SYN_RECEIVED: "SYN-RCVD", State.CLOSED: "-"}


LEGEND = "(- : no such connection, CLOSED; cli@server: the server's side of cli's connection)"


def short(state: State) -> str:
    """A state in a table: ESTAB, SYN-RCVD, "-" for CLOSED, the RFC name otherwise."""
    return _SHORT.get(state, str(state))


def port_symbols(ports: dict[str, int]) -> dict[int, str]:
    return {v: k for k, v in ports.items()}


def segment_label(
    src_port: int, dst_port: int, flags: str, length: int, names: dict[int, str]
) -> str:
    """ "C>S S", "S>C S.", "C>S P. 5": who sent what, by port symbol, tcpdump's flag letters."""
    text = f"{names.get(src_port, src_port)}>{names.get(dst_port, dst_port)} {flags}"
    return text + (f" {length}" if length else "")
