"""Kernel and reference side by side: states per step, segments per step, differences flagged.

``compare(kernel_run, prediction)`` lines the two runs up step by step. A state difference is
any role whose state after a step differs; an error difference is a step whose errno differs; a
segment difference is a step whose segments differ (their order and flags, by port symbol).
Segments on loopback are only compared where a capture exists. Linux may merge or delay a pure
ACK where tcpcore sends it at once, so segment differences are shown, and states are what a
test holds the reference to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..protocol.states import State
from .results import LEGEND, Run
from .results import short as _short

__all__ = ["Comparison", "compare"]


@dataclass
class Comparison:
    """The two runs and what differs between them."""

    kernel: Run
    reference: Run
    state_differences: list[tuple[int, str, State, State]] = field(default_factory=list)
    error_differences: list[tuple[int, str | None, str | None]] = field(default_factory=list)
    segment_differences: list[tuple[int, list[str], list[str]]] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        """States and errors agree at every step (segments are reported, not required)."""
        return not self.state_differences and not self.error_differences and self.kernel.ok

    def table(self, roles: list[str] | None = None) -> str:
        """One line per step: the call, each role's state (kernel|tcpcore! where they differ),
        the errnos."""
        roles = roles or self.kernel.roles
        width = max(12, *(len(r) + 2 for r in roles))
        head = (
            f"{'step':<22}" + "".join(f"{r:<{width}}" for r in roles) + "errno (kernel | tcpcore)"
        )
        lines = [head, "-" * len(head)]
        for k, p in zip(self.kernel.steps, self.reference.steps, strict=False):
            cells = []
            for r in roles:
                ks, ps = k.states.get(r, State.CLOSED), p.states.get(r, State.CLOSED)
                cell = _short(ks) if ks is ps else f"{_short(ks)}|{_short(ps)}!"
                cells.append(f"{cell:<{width}}")
            err = k.error or "ok"
            if k.error != p.error:
                err += f" | {p.error or 'ok'}  <- differs"
            lines.append(f"{k.index:>2}. {k.call:<18}" + "".join(cells) + err)
        lines += [LEGEND, self.verdict()]
        return "\n".join(lines)

    def segments(self) -> str:
        """Per step: the kernel's segments and tcpcore's, side by side."""
        lines = [f"{'step':<22}{'kernel (captured)':<40}tcpcore (linux profile)"]
        for k, p in zip(self.kernel.steps, self.reference.steps, strict=False):
            if not k.segments and not p.segments:
                continue
            mark = "" if k.segments == p.segments or not self.kernel.frames else "  <- differs"
            kern = ", ".join(k.segments) if self.kernel.frames else "(no capture)"
            lines.append(f"{k.index:>2}. {k.call:<18}{kern:<40}{', '.join(p.segments)}{mark}")
        return "\n".join(lines)

    def verdict(self) -> str:
        if not self.kernel.ok:
            return f"The kernel run stopped: {self.kernel.problem}"
        n = len(self.kernel.steps)
        if self.agree:
            extra = (
                f"; segments differ at {len(self.segment_differences)} step(s)"
                if self.segment_differences
                else ""
            )
            return f"tcpcore agrees with the kernel on every state and errno, {n} steps{extra}."
        parts = [
            f"step {i} {role}: kernel {k}, tcpcore {p}" for i, role, k, p in self.state_differences
        ]
        parts += [
            f"step {i}: kernel {k or 'ok'}, tcpcore {p or 'ok'}"
            for i, k, p in self.error_differences
        ]
        return "Differences: " + "; ".join(parts)

    def __str__(self) -> str:
        return self.table()


def compare(kernel: Run, reference: Run) -> Comparison:
    """Line the kernel's run and tcpcore's up (see the module docstring)."""
    c = Comparison(kernel, reference)
    for k, p in zip(kernel.steps, reference.steps, strict=False):
        for role, ks in k.states.items():
            ps = p.states.get(role, State.CLOSED)
            if ks is not ps:
                c.state_differences.append((k.index, role, ks, ps))
        if k.error != p.error:
            c.error_differences.append((k.index, k.error, p.error))
        if kernel.frames and k.segments != p.segments:
            c.segment_differences.append((k.index, k.segments, p.segments))
    return c
