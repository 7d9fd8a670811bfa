"""Run every benchmark in this folder, one after the other, and say where each wrote its table.

Each ``bench_*.py`` measures tcpcourse side by side with the alternatives in one run and writes a
markdown table to ``benchmarks/results/``. Run on a quiet machine: the numbers are ratios taken
within a run, but a busy machine still adds noise. ``make bench`` calls this file.
``bench_lite.py`` also needs the Lite toolchain (``make .venv-lite/.stamp``) and Chromium: it
builds the course's JupyterLite site and a bare one and times both in one browser run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(f"== {script.name}: exit {done.returncode} in {time.perf_counter() - start:.0f} s")
        if done.returncode:
            failed.append(script.name)
    print("tables:", ", ".join(sorted(p.name for p in (HERE / "results").glob("*.md"))))
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
