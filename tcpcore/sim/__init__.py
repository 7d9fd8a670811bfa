"""The virtual network: endpoints of the reference TCP exchanging segments on a virtual clock.

* :mod:`.clock` is the virtual clock: time moves only from one pending event to the next;
* :mod:`.network` puts endpoints on links with a delay, loss, duplication and reordering, and
  records every segment and state change in a :class:`~tcpcore.trace.Trace`;
* :mod:`.catalog` holds the named situations the lessons show, and :mod:`.scenarios` runs them
  (:func:`run_scenario`);
* :mod:`.schedules` reads when each profile's timers fire by running those scenarios.

Layer: above the protocol (``tcpcore.protocol.connection``, ``tcpcore.protocol.listener``) and the
trace; nothing here draws, asks questions or parses a command line.
"""

from __future__ import annotations

from .clock import SimulationError, VirtualClock
from .network import Link, Network
from .scenarios import SCENARIOS, ScenarioError, describe, list_scenarios, parameters, run_scenario
from .schedules import TimerMark, TimerSchedule, TimerSpan, profile_with, timer_schedule

__all__ = [
    "SCENARIOS",
    "Link",
    "Network",
    "ScenarioError",
    "SimulationError",
    "TimerMark",
    "TimerSchedule",
    "TimerSpan",
    "VirtualClock",
    "describe",
    "list_scenarios",
    "parameters",
    "profile_with",
    "run_scenario",
    "timer_schedule",
]
