"""Virtual time for simulations: a clock and the queue of what is due.

tcpcore never reads the wall clock (STYLE.md: time is an argument). A simulation keeps its own
time here: :class:`VirtualClock` holds ``now`` and a heap of pending items, each due at a time.
:meth:`VirtualClock.pop` hands them out earliest first and advances ``now`` to each; items due
at the same time come out in the order they were scheduled, so a run never depends on anything
but its inputs (and its seed).

The clock also guards against runaway simulations: after ``max_steps`` items it raises
:class:`SimulationError` instead of looping forever (two live endpoints with keepalive never fall
quiet, for instance).
"""

from __future__ import annotations

import heapq
from typing import Any

from ..errors import TCPCoreError


class SimulationError(TCPCoreError, RuntimeError):
    """The simulation could not go on: a runaway loop, a call in the past, an unknown name."""


class VirtualClock:
    """``now`` in seconds, and the items due later. Time never goes backwards."""

    def __init__(self, max_steps: int = 1_000_000) -> None:
        self.now = 0.0
        self.max_steps = max_steps
        self.steps = 0  # items handed out since the caller last reset it
        self._heap: list[tuple[float, int, Any]] = []
        self._order = 0

    def tick(self) -> int:
        """A fresh, increasing number: the order of things that happen at the same time."""
        self._order += 1
        return self._order

    def schedule(self, t: float, item: Any) -> None:
        """Make ``item`` due at ``t`` (not before ``now``)."""
        if t < self.now:
            raise SimulationError(f"cannot schedule at t={t}: the clock is already at {self.now}")
        self._order += 1
        heapq.heappush(self._heap, (t, self._order, item))

    def pop(self, until: float | None = None) -> Any:
        """The earliest item due at or before ``until``, with ``now`` moved to its time; None
        (and ``now`` moved to ``until``) when there is none. Counts ``steps``, and raises
        :class:`SimulationError` beyond ``max_steps`` (reset ``steps`` to start a new budget)."""
        heap = self._heap
        if not heap or (until is not None and heap[0][0] > until):
            if until is not None and until > self.now:
                self.now = until
            return None
        t, _, item = heapq.heappop(heap)
        self.steps += 1
        if self.steps > self.max_steps:
            raise SimulationError(
                f"run() took more than {self.max_steps} steps and was still busy at t={t:.3f}: "
                "endpoints that never fall quiet (keepalive, endless retransmission) need "
                "run(until=...), or a larger Network(max_steps=...)"
            )
        if t > self.now:
            self.now = t
        return item

    def pending(self) -> int:
        """How many items are queued (stale timer entries included)."""
        return len(self._heap)
