"""``python -m tcpcore.kernel [NAME ...] [--mode MODE] [--record DIR]``.

Runs the experiments (all by default) on this machine's kernel and prints each one beside
tcpcore's prediction (``linux`` profile). Exit status 0 when every state and errno agree, 1
otherwise, 2 for bad arguments. ``--record DIR`` also writes each run, as the driver reported it,
to DIR/NAME.json; the recorded runs shipped in tcpcore/data/kernel are made with
``--mode namespace --record tcpcore/data/kernel``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

from . import run_experiment, side_by_side
from .experiments import EXPERIMENTS
from .run import MODES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tcpcore.kernel", description=(__doc__ or "").split("\n\n")[1]
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="; ".join(EXPERIMENTS))
    parser.add_argument("--mode", choices=MODES, default="auto")
    parser.add_argument("--record", type=Path, metavar="DIR", help="write each run's JSON here")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment {unknown[0]!r}; choose from {', '.join(EXPERIMENTS)}")
    status = 0
    for name in args.names or list(EXPERIMENTS):
        run = run_experiment(name, mode=args.mode)
        comparison = side_by_side(run)
        print(f"== {run.experiment.title} ({run.source}) ==")
        if run.note:
            print(run.note)
        print(comparison.table())
        print()
        status |= 0 if comparison.agree else 1
        if args.record is not None and run.raw:
            data = {**run.raw, "experiment": name, "source": run.source}
            data["recorded"] = datetime.date.today().isoformat()
            args.record.mkdir(parents=True, exist_ok=True)
            (args.record / f"{name}.json").write_text(json.dumps(data) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
