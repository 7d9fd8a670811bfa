"""Timer timelines: one per profile for keepalive, TIME-WAIT or SYN retries, from the schedules of
:func:`tcpcore.sim.schedules.timer_schedule`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..protocol.profiles import Profile
from ..sim.schedules import TimerSchedule, timer_schedule
from .backends import artist_kit, new_figure, place_axes
from .palette import FIGURE_WIDTH_IN, INK

if TYPE_CHECKING:
    from .backends import Axes, Figure


_WHAT_TITLES = {
    "keepalive": "Keepalive: from the last segment heard to the peer declared dead",
    "time-wait": "TIME-WAIT: from the last ACK to CLOSED",
    "syn-retries": "SYN retransmissions: from connect() to giving up",
}
_SPAN_COLORS = {"idle": "#b2dfdb", "interval": "#4db6ac", "time-wait": "#bcaaa4", "rto": "#ffccbc"}


def timer_timeline(
    profiles: Sequence[str | Profile] = ("rfc9293", "linux"),
    *,
    what: str = "keepalive",
    ax: Axes | None = None,
    title: str | None = None,
    **overrides: Any,
) -> Figure:
    """One timeline per profile for a timer: ``what`` is "keepalive" (idle, probes, when the
    peer is declared dead), "time-wait" (its length) or "syn-retries" (each SYN and the
    give-up). ``overrides`` change profile values for every profile (``keepalive_idle=60``,
    ``probes=3``, ``msl=30``); pass Profile objects to vary them one by one. Times come from
    running the reference (:func:`~tcpcore.sim.schedules.timer_schedule`)."""
    schedules = [timer_schedule(p, what, **overrides) for p in profiles]
    return draw_schedules(schedules, ax=ax, title=title)


def draw_schedules(
    schedules: Sequence[TimerSchedule], *, ax: Axes | None = None, title: str | None = None
) -> Figure:
    """Draw timer schedules one above the other on a shared (possibly broken) time axis."""
    from .layout.ladder import TimeScale

    what = schedules[0].what if schedules else "keepalive"
    moments = [0.0]
    for s in schedules:
        moments += [m.t for m in s.marks] + [s.end]
    intervals = [sp.t1 - sp.t0 for s in schedules for sp in s.spans if sp.kind == "interval"]
    idle = [sp.t1 - sp.t0 for s in schedules for sp in s.spans if sp.kind == "idle"]
    break_after = float("inf")
    if intervals and idle and max(idle) > 8 * max(intervals):
        break_after = 4 * max(intervals)
    scale = TimeScale(
        moments,
        unit=1e-9,
        break_after=break_after,
        min_step=0.0,
        break_step=9.0,
        max_linear=100.0,
        max_gap=None,
    )
    fig, ax = new_figure((FIGURE_WIDTH_IN, 1.3 + 1.0 * len(schedules)), ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        place_axes(fig, ax, 1.1, 0.4, 0.45, 0.45)
    ax.set_ylim(len(schedules) - 0.3, -0.75)
    ax.set_xlim(-2, scale.end + 4)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_yticks(range(len(schedules)), [s.profile for s in schedules], fontsize=9)
    ax.tick_params(axis="y", length=0)

    def open_ended(s: TimerSchedule) -> bool:
        return s.what == "keepalive" and bool(s.values.get("unspecified_after_idle"))

    ticks = sorted(
        {round(m.t, 6) for s in schedules if not open_ended(s) for m in s.marks}
        | {round(s.values["keepalive_idle"], 6) for s in schedules if open_ended(s)}
        | {0.0}
    )
    shown: list[float] = []
    for t in ticks:
        if not shown or scale(t) - scale(shown[-1]) >= 3.5:
            shown.append(t)
    ax.set_xticks([scale(t) for t in shown], [_seconds(t) for t in shown], fontsize=7.5)
    ax.set_xlabel("seconds", fontsize=8)
    for brk in scale.breaks:
        ax.axvspan(brk.y0, brk.y1, color="#eceff1", lw=0)
        ax.text((brk.y0 + brk.y1) / 2, -0.55, "⋯", ha="center", fontsize=10, color="#607d8b")
    for i, s in enumerate(schedules):
        if open_ended(s):
            _draw_open_keepalive(ax, s, i, scale)
            continue
        for sp in s.spans:
            x0, x1 = scale(sp.t0), scale(sp.t1)
            ax.add_patch(
                _rect(
                    ax,
                    x0,
                    i - 0.14,
                    x1 - x0,
                    0.28,
                    _SPAN_COLORS.get(sp.kind, "#e0e0e0"),
                    f"span:{s.profile}:{sp.kind}",
                )
            )
            if x1 - x0 > 0.9 * len(sp.label) * 0.55:
                ax.text((x0 + x1) / 2, i, sp.label, ha="center", va="center", fontsize=7.5)
        for m in s.marks:
            x = scale(m.t)
            if m.kind == "end":
                ax.plot(x, i, marker="X", ms=10, color="#c62828", gid=f"end:{s.profile}")
                ax.text(
                    x + 0.6,
                    i - 0.3,
                    f"{m.label} at {_seconds(m.t)}",
                    fontsize=7.5,
                    color="#c62828",
                    va="bottom",
                    ha="right",
                    gid=f"end-label:{s.profile}",
                )
            else:
                color = "#c62828" if m.kind == "rst" else INK
                ax.plot(
                    [x, x],
                    [i - 0.22, i + 0.22],
                    color=color,
                    lw=1.4,
                    gid=f"mark:{s.profile}:{m.kind}",
                )
        if what == "keepalive" and s.values.get("sends_rst"):
            ax.text(
                scale(s.end) + 0.6,
                i + 0.3,
                "and sends RST",
                fontsize=7.5,
                color="#c62828",
                va="top",
                ha="right",
            )
    ax.set_title(
        title if title is not None else _WHAT_TITLES.get(what, what), fontsize=10, loc="left"
    )
    return fig


def _draw_open_keepalive(ax: Axes, s: TimerSchedule, i: int, scale: Any) -> None:
    """The RFC's keepalive row: the idle time it specifies (at least two hours), then nothing
    it specifies (no interval, no probe count: RFC 1122 4.2.3.6), to the end of the axis."""
    idle = float(s.values["keepalive_idle"])
    x1 = scale(idle)
    ax.add_patch(_rect(ax, 0.0, i - 0.14, x1, 0.28, _SPAN_COLORS["idle"], f"span:{s.profile}:idle"))
    ax.text(x1 / 2, i, f"idle ≥ {_seconds(idle)}", ha="center", va="center", fontsize=7.5)
    x2 = scale.end + 3.5
    ax.add_patch(_rect(ax, x1, i - 0.14, x2 - x1, 0.28, "#f5f5f5", f"span:{s.profile}:unspecified"))
    ax.text(
        (x1 + x2) / 2,
        i,
        "then unspecified: RFC 1122 sets no interval, no probe count",
        ha="center",
        va="center",
        fontsize=7.5,
        style="italic",
        color="#546e7a",
        gid=f"unspecified:{s.profile}",
    )


def _rect(ax: Axes, x: float, y: float, w: float, h: float, color: str, gid: str) -> Any:
    return artist_kit(ax).Rectangle((x, y), w, h, fc=color, ec="#607d8b", lw=0.6, gid=gid)


def _seconds(t: float) -> str:
    if t >= 3600 and t % 60 == 0:
        return f"{t / 3600:g} h" if t % 3600 == 0 else f"{t:.0f} s"
    return f"{t:g} s" if t < 1000 else f"{t:.0f} s"
