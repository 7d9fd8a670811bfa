"""Benchmark: drawing the lessons' figures with matplotlib and with tcpcore.viz.svg, side by side.

A widget redraws its figure on every move of a slider, so the time from "the trace is ready" to
"the SVG bytes are ready" is what a student feels. Both backends draw the same figures from the
same layouts in one process, alternating, and the table gives per-figure medians, the ratio and
the SVG size. A ladder's trace is simulated once, outside the timing; the timed call is what a
widget makes on each redraw (layout, drawing and serialising to SVG). matplotlib is imported
before timing starts (its import, about a second here, would only flatter the SVG backend).

    python benchmarks/bench_drawing.py            # 15 rounds, writes results/drawing.md
    python benchmarks/bench_drawing.py -r 5       # a quick look
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tcpcore import viz  # noqa: E402
from tcpcore.sim.scenarios import run_scenario  # noqa: E402
from tcpcore.wire.segment import Segment  # noqa: E402

BACKENDS = ("matplotlib", "svg")


def figures() -> dict[str, Callable[[], object]]:
    """Name -> a function that draws one figure with the backend chosen by TCPCORE_DRAW."""
    from tcpcore.wire.flags import Flags
    from tcpcore.wire.options import MSS

    traces = {n: run_scenario(n) for n in ("handshake", "client-closes-first", "lost-syn")}
    syn = Segment(40000, 80, 100, 0, Flags.SYN, 65535, options=(MSS(1460),))
    return {
        "ladder: handshake": lambda: viz.ladder(traces["handshake"]),
        "ladder: client-closes-first": lambda: viz.ladder(traces["client-closes-first"]),
        "ladder: lost-syn": lambda: viz.ladder(traces["lost-syn"]),
        "state diagram (rfc9293)": lambda: viz.state_diagram(),
        "header layout (SYN)": lambda: viz.header_layout(syn),
    }


def time_once(draw: Callable[[], object]) -> tuple[float, int]:
    start = time.perf_counter()
    svg = viz.to_svg(draw())  # type: ignore[arg-type]
    return time.perf_counter() - start, len(svg)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical cores, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--rounds", type=int, default=15, help="rounds per figure")
    args = parser.parse_args(argv)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("bench_drawing: matplotlib is not installed: pip install -e '.[dev]'")
        return 2
    draws = figures()
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    for name, draw in draws.items():
        for backend in BACKENDS:  # one warm-up each: first-use caches are not what a student feels
            os.environ["TCPCORE_DRAW"] = backend
            viz.backend.cache_clear()
            time_once(draw)
        for _ in range(args.rounds):
            for backend in BACKENDS:  # alternate, so that load spikes hit both
                os.environ["TCPCORE_DRAW"] = backend
                viz.backend.cache_clear()
                seconds, size = time_once(draw)
                times.setdefault((name, backend), []).append(seconds)
                sizes[name, backend] = size
    load = os.getloadavg()[0]
    rows = [
        "| figure | matplotlib ms | SVG ms | SVG faster by | matplotlib KB | SVG KB |",
        "|---|---|---|---|---|---|",
    ]
    for name in draws:
        mpl = statistics.median(times[name, "matplotlib"]) * 1e3
        svg = statistics.median(times[name, "svg"]) * 1e3
        rows.append(
            f"| {name} | {mpl:.1f} | {svg:.1f} | {mpl / svg:.0f}x | "
            f"{sizes[name, 'matplotlib'] / 1e3:.1f} | {sizes[name, 'svg'] / 1e3:.1f} |"
        )
    table = "\n".join(rows)
    print(table)
    out = ROOT / "benchmarks" / "results" / "drawing.md"
    out.write_text(
        "# Drawing a figure: matplotlib against tcpcore.viz.svg\n\n"
        "`benchmarks/bench_drawing.py`: each figure drawn from the same trace or layout and "
        "serialised to SVG by both backends in one process, alternating; medians of "
        f"{args.rounds} rounds after one warm-up. Timed: what a widget does on a redraw (layout, "
        "drawing, SVG); the simulation is run once before, and matplotlib imported before.\n\n"
        f"Machine: {machine()}. Load average {load:.1f} when the run ended.\n\n"
        f"{table}\n"
    )
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
