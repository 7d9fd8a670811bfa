"""When the timers fire under each profile: keepalive, TIME-WAIT, SYN retransmission.

:func:`timer_schedule` does not compute these from formulas: it runs the scenario that shows the
timer (``client-crash-keepalive``, ``client-closes-first``, ``lost-syn`` with every SYN lost) on
the reference and reads the times off the trace, so the timeline a lesson draws is what tcpcore
does. :func:`tcpcore.viz.timer_timeline` draws the schedules of several profiles one above the
other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from ..protocol.profiles import RFC9293, Profile, get_profile
from ..protocol.states import State
from ..protocol.table import Trigger
from ..trace import Trace
from ..wire.flags import Flags
from .scenarios import run_scenario

__all__ = ["WHAT", "TimerMark", "TimerSchedule", "TimerSpan", "profile_with", "timer_schedule"]

WHAT = ("keepalive", "time-wait", "syn-retries")
_SHORT = {"idle": "keepalive_idle", "interval": "keepalive_interval", "probes": "keepalive_probes"}


@dataclass(frozen=True, slots=True)
class TimerMark:
    """Something sent or decided at ``t`` seconds (a probe, a SYN, a RST, giving up)."""

    t: float
    label: str
    kind: str  # "probe", "syn", "rst", "end"


@dataclass(frozen=True, slots=True)
class TimerSpan:
    """A timer running from t0 to t1."""

    t0: float
    t1: float
    label: str
    kind: str  # "idle", "interval", "time-wait", "rto"


@dataclass(frozen=True, slots=True)
class TimerSchedule:
    """One profile's timeline for one timer, times in seconds from its start:
    keepalive from the last segment received, TIME-WAIT from entering it, SYN retries from
    the first SYN. ``values["unspecified_after_idle"]`` is true for the keepalive of the RFC's
    own profile: RFC 1122 specifies the idle time only, so a figure stops its row there."""

    profile: str
    what: str
    marks: tuple[TimerMark, ...]
    spans: tuple[TimerSpan, ...]
    end: float  # the peer declared dead, TIME-WAIT over, the connect() given up
    end_label: str
    values: dict[str, Any] = field(default_factory=dict)


def profile_with(profile: str | Profile, **overrides: Any) -> Profile:
    """The profile with ``overrides`` applied: any Profile field, and the short names
    ``idle``, ``interval``, ``probes`` (keepalive) and ``msl`` (which also sets TIME-WAIT to
    2*MSL unless ``time_wait`` is given, as RFC 9293 3.4.2 and ``run_scenario`` do)."""
    prof = get_profile(profile)
    changes = {_SHORT.get(k, k): v for k, v in overrides.items()}
    if "msl" in changes and "time_wait" not in changes:
        changes["time_wait"] = 2 * changes["msl"]
    return prof.with_(**changes) if changes else prof


def timer_schedule(profile: str | Profile, what: str, **overrides: Any) -> TimerSchedule:
    """Run the scenario for ``what`` ("keepalive", "time-wait" or "syn-retries") under
    ``profile`` (with ``overrides``, see :func:`profile_with`) and read the timer off it."""
    prof = profile_with(profile, **overrides)
    if what == "keepalive":
        return _keepalive(prof)
    if what == "time-wait":
        return _time_wait(prof)
    if what == "syn-retries":
        return _syn_retries(prof)
    raise ValueError(f"what must be one of {', '.join(WHAT)}, not {what!r}")


def _keepalive(prof: Profile) -> TimerSchedule:
    trace = run_scenario(
        "client-crash-keepalive",
        prof,
        idle=prof.keepalive_idle,
        interval=prof.keepalive_interval,
        probes=prof.keepalive_probes,
    )
    heard = max(r.arrival or 0.0 for r in trace.records if r.receiver == "B" and not r.dropped)
    crash = next(e.time for e in trace.events if e.kind == "crash")
    sent = [r for r in trace.segments() if r.sender == "B" and r.sent > crash]
    probes = [r.sent - heard for r in sent if not r.segment.flags & Flags.RST]
    rsts = [r.sent - heard for r in sent if r.segment.flags & Flags.RST]
    dead = _event_time(trace, "B", Trigger.KEEPALIVE_EXHAUSTED) - heard
    marks = [TimerMark(t, f"probe {k}", "probe") for k, t in enumerate(probes, 1)]
    marks += [TimerMark(t, "RST", "rst") for t in rsts]
    marks.append(TimerMark(dead, "peer declared dead", "end"))
    stops = [*probes, dead]
    spans = [TimerSpan(0.0, stops[0], f"idle {_fmt(stops[0])}", "idle")]
    spans += [TimerSpan(a, b, _fmt(b - a), "interval") for a, b in pairwise(stops)]
    values = {
        "keepalive_idle": prof.keepalive_idle,
        "keepalive_interval": prof.keepalive_interval,
        "keepalive_probes": prof.keepalive_probes,
        "sends_rst": bool(rsts),
        # RFC 1122 4.2.3.6 sets the idle time (at least two hours) and nothing after it: the
        # interval and the probe count above are the reference's (Linux's), not the RFC's.
        # A figure draws the RFC's own row as "idle >= 2 h, then unspecified".
        "unspecified_after_idle": prof is RFC9293,
    }
    return TimerSchedule(
        prof.name, "keepalive", tuple(marks), tuple(spans), dead, "peer declared dead", values
    )


def _time_wait(prof: Profile) -> TimerSchedule:
    trace = run_scenario("client-closes-first", prof)
    line = trace.timelines["A"]
    start = next(t for t, s in line if s is State.TIME_WAIT)
    stop = next(t for t, s in line if s is State.CLOSED and t > start)
    length = stop - start
    spans = (TimerSpan(0.0, length, f"TIME-WAIT {_fmt(length)}", "time-wait"),)
    marks = (
        TimerMark(0.0, "last ACK sent", "ack"),
        TimerMark(length, "CLOSED", "end"),
    )
    values = {"msl": prof.msl, "time_wait": prof.time_wait}
    return TimerSchedule(prof.name, "time-wait", marks, spans, length, "CLOSED", values)


def _syn_retries(prof: Profile) -> TimerSchedule:
    trace = run_scenario("lost-syn", prof, losses=1_000_000)
    syns = [r.sent for r in trace.segments() if r.sender == "A" and r.segment.flags & Flags.SYN]
    end = _event_time(trace, "A", Trigger.USER_TIMEOUT)
    first = syns[0]
    times = [t - first for t in syns]
    marks = [TimerMark(t, "SYN" if k == 1 else f"SYN #{k}", "syn") for k, t in enumerate(times, 1)]
    marks.append(TimerMark(end - first, "gives up", "end"))
    stops = [*times, end - first]
    spans = [TimerSpan(a, b, f"RTO {_fmt(b - a)}", "rto") for a, b in pairwise(stops)]
    values = {
        "syn_retries": prof.syn_retries,
        "syn_give_up": prof.syn_give_up,
        "rto_initial": prof.rto_initial,
        "rto_max": prof.rto_max,
        "retransmissions": len(times) - 1,
    }
    return TimerSchedule(
        prof.name, "syn-retries", tuple(marks), tuple(spans), end - first, "gives up", values
    )


def _event_time(trace: Trace, endpoint: str, trigger: Trigger) -> float:
    for e in trace.events:
        if e.endpoint == endpoint and e.kind == "timer" and e.trigger is trigger:
            return e.time
    raise LookupError(f"{endpoint} never had a {str(trigger)!r} in {trace.scenario}")


def _fmt(seconds: float) -> str:
    if seconds >= 3600 and seconds % 60 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.3g} s"
