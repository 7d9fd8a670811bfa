"""The ladder (sequence) diagram: one timeline per endpoint, time flowing down; laid out by
:func:`tcpcore.viz.layout.ladder.ladder_layout`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..trace import Trace
from .backends import artist_kit, new_figure, place_axes
from .layout.ladder import LadderLayout, ladder_layout, state_group
from .palette import GROUP_COLORS, INK, TEXT_COLORS, TIMER_COLORS

if TYPE_CHECKING:
    from .backends import Axes, Figure


def ladder(
    trace: Trace,
    *,
    ax: Axes | None = None,
    show_timers: bool = True,
    title: str | None = None,
    until: float | None = None,
    break_after: float | None = None,
) -> Figure:
    """The trace as a ladder (sequence) diagram: one timeline per endpoint, time flowing down.

    Each segment is an arrow from its send time to its arrival, labelled "SYN+ACK seq=300
    ack=101"; a lost one ends in a cross half-way, with the reason. Each side's state is written
    beside its timeline where it changes (the timeline is coloured by state), timers that ran are
    bars beside it, and idle gaps longer than ``break_after`` seconds are cut out with a visible
    break. ``until`` draws only what happened up to that time (on the whole trace's time axis).
    """
    lay = ladder_layout(trace, until=until, show_timers=show_timers, break_after=break_after)
    name = trace.scenario or "trace"
    return draw_ladder(
        lay, ax=ax, title=title if title is not None else f"{name} ({trace.profile})"
    )


def draw_ladder(lay: LadderLayout, *, ax: Axes | None = None, title: str = "") -> Figure:
    """Paint a :func:`ladder_layout` (what :func:`ladder` does after laying the trace out)."""
    fig, ax = new_figure(lay.size, ax)
    if ax.get_position().bounds == (0.0, 0.0, 1.0, 1.0):
        place_axes(fig, ax, 0.75, 0.15, 0.45, 0.1)
    _draw_ladder(ax, lay)
    ax.set_title(title, fontsize=10, loc="left")
    return fig


def _draw_ladder(ax: Axes, lay: LadderLayout) -> None:
    kit = artist_kit(ax)

    ax.set_xlim(lay.x_min, lay.x_max)
    ax.set_ylim(lay.y_max, lay.y_min)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([y for y, _ in lay.ticks], [_tick(t) for _, t in lay.ticks], fontsize=7.5)
    ax.tick_params(axis="y", length=2, colors="#607d8b")
    end = lay.scale(lay.until) if lay.until is not None else lay.scale.end
    for lane in lay.lanes:
        ax.text(lane.x, -1.35, lane.name, ha="center", va="center", fontsize=10, weight="bold")
        if lane.address and lane.address != lane.name:
            ax.text(
                lane.x, -0.8, lane.address, ha="center", va="center", fontsize=7.5, color="#546e7a"
            )
        ax.plot(
            [lane.x, lane.x],
            [-0.4, end + 0.4],
            color=INK,
            lw=1.0,
            zorder=1,
            gid=f"lane:{lane.index}",
        )
    for span in lay.spans:
        x = lay.lanes[span.lane].x
        ax.plot(
            [x, x],
            [span.y0, span.y1],
            color=GROUP_COLORS[span.group],
            lw=7,
            alpha=0.45,
            solid_capstyle="butt",
            zorder=0.5,
            gid=f"span:{span.lane}:{span.state}",
        )
    for brk in lay.breaks:
        ax.axhspan(brk.y0, brk.y1, color="#eceff1", zorder=1.5, lw=0)
        for lane in lay.lanes:
            for y in (brk.y0, brk.y1):
                ax.plot(
                    [lane.x - 0.03, lane.x + 0.03],
                    [y + 0.12, y - 0.12],
                    color=INK,
                    lw=1,
                    zorder=1.6,
                )
        mid = (lay.lanes[0].x + lay.lanes[-1].x) / 2
        ax.text(
            mid,
            (brk.y0 + brk.y1) / 2,
            f"⋯  {brk.label}  ⋯",
            ha="center",
            va="center",
            fontsize=8,
            color="#455a64",
            style="italic",
            zorder=1.7,
            gid="break",
        )
    for bar in lay.timers:
        color = TIMER_COLORS.get(bar.kind, "#757575")
        ax.plot(
            [bar.x, bar.x],
            [bar.y0, bar.y1],
            color=color,
            lw=3,
            solid_capstyle="butt",
            zorder=2,
            gid=f"timer:{bar.kind}",
        )
        ax.plot([bar.x - 0.012, bar.x + 0.012], [bar.y0, bar.y0], color=color, lw=1.2, zorder=2)
        if bar.fired:
            ax.plot(bar.x, bar.y1, marker="v", ms=4, color=color, zorder=2)
        if bar.show_label:
            side = 1 if bar.x >= lay.lanes[bar.lane].x else -1
            ax.text(
                bar.x + side * 0.06 / lay.lane_in,
                (bar.y0 + bar.y1) / 2,
                bar.label,
                rotation=90,
                ha="left" if side > 0 else "right",
                va="center",
                fontsize=7.5,
                color=color,
                zorder=2,
            )
    for a in lay.arrows:
        color = "#c62828" if a.lost else ("#d84315" if a.retransmission else INK)
        if a.keepalive:
            color = "#00897b"
        head = "-" if (a.lost and not a.partial) or a.partial else "-|>"
        ax.add_patch(
            kit.FancyArrowPatch(
                (a.x0, a.y0),
                (a.x1, a.y1),
                arrowstyle=head,
                mutation_scale=10,
                shrinkA=0,
                shrinkB=0,
                color=color,
                lw=1.2,
                ls="--" if a.lost else "-",
                zorder=3,
                gid=f"arrow:{a.index}",
            )
        )
        if a.lost and not a.partial:
            ax.plot(
                a.x1,
                a.y1,
                marker="x",
                ms=9,
                mew=2.2,
                color="#c62828",
                zorder=4,
                gid=f"cross:{a.index}",
            )
            ax.text(
                a.note_x,
                a.note_y,
                a.note,
                ha="left" if a.x1 >= a.x0 else "right",
                va="top",
                fontsize=7.5,
                color="#c62828",
                zorder=4,
            )
        ax.text(
            a.label_x,
            a.label_y,
            a.label,
            ha="center",
            va="center",
            fontsize=7.5,
            color=color,
            zorder=5,
            gid=f"label:{a.index}",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
        )
    for m in lay.states:
        lane = lay.lanes[m.lane]
        if m.label_y - m.y > 0.3:
            ax.plot([lane.x, m.x], [m.y, m.label_y], color="#b0bec5", lw=0.6, zorder=1)
        ax.text(
            m.x,
            m.label_y,
            m.text,
            ha="right" if lane.side < 0 else "left",
            va="center",
            fontsize=8,
            weight="bold",
            color=TEXT_COLORS[state_group(m.state)],
            zorder=5,
            gid=f"state:{m.lane}:{m.state}",
        )
    for e in lay.events:
        lane = lay.lanes[e.lane]
        ax.text(
            e.x,
            e.label_y,
            e.text,
            ha="right" if lane.side < 0 else "left",
            va="center",
            fontsize=7.5,
            style="italic",
            color="#546e7a",
            zorder=5,
            gid=f"event:{e.kind}",
        )
    if lay.until is not None:
        y = lay.scale(lay.until)
        ax.axhline(y, color="#90a4ae", lw=0.8, ls=":", zorder=0.4)


def _tick(t: float) -> str:
    return f"{t:.3f}" if t < 1000 else f"{t:.1f}"
