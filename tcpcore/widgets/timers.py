"""The timers lab: the MSL and keepalive settings, and when TIME-WAIT ends and a dead peer is
declared dead."""

from __future__ import annotations

from typing import Any

from .. import viz
from ..protocol.profiles import Profile, get_profile
from ..sim.schedules import TimerSchedule, timer_schedule
from .base import (
    _App,
    _whole_labels,
)


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
