"""Benchmark: what safe grading costs per submission, and what parallel grading saves a class.

Two measurements on the handshake assignment, each in a fresh temporary copy of the course:

1. Overhead per submission. The same submissions are autograded one after another in one warm
   process (nbgrader already imported), once with nbgrader's plain pipeline (kernel with the
   grader's rights, scores read from the kernel's output) and once with the course's
   configuration (kernel in bubblewrap, every test cell scored again in a sandboxed answerer).
   The difference of the means is what safety costs beyond nbgrader's own work, kernel start
   included in both. Goal: <= 1 s.
2. A class of N submissions (60 by default: correct, partly wrong and blank in turn): plain
   ``nbgrader autograde handshake`` (serial, the course's configuration) against
   ``python -m autograder grade handshake`` (parallel workers), wall time, in the same run.
   Goal: >= 1.7x on 2 cores.

    python benchmarks/bench_grading.py              # both, 60 submissions
    python benchmarks/bench_grading.py -n 10 -r 3   # a quick look

Results are in benchmarks/results/grading.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

A = "handshake"
NOTEBOOK = "open-a-connection.ipynb"
PLAIN_CONFIG = 'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "tcpcourse"\n'
WRONG = (
    '("LISTEN", "SYN"): ("SYN-RECEIVED", "SYN+ACK")',
    '("LISTEN", "SYN"): ("SYN-RECEIVED", "ACK")',
)


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PATH"] = str(Path(sys.executable).parent) + os.pathsep + out.get("PATH", "")
    return out


def course_copy(dest: Path, config: str | None = None) -> Path:
    dest.mkdir(parents=True)
    shutil.copytree(ROOT / "course" / "source" / A, dest / "source" / A)
    if config is None:
        shutil.copy2(ROOT / "course" / "nbgrader_config.py", dest / "nbgrader_config.py")
    else:
        (dest / "nbgrader_config.py").write_text(config)
    return dest


def nbgrader_api(course: Path) -> Any:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    config.Exchange.root = str(course / "exchange")
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def submissions(course: Path, n: int) -> list[str]:
    """n students: correct, partly wrong and blank in turn."""
    source = json.loads((course / "source" / A / NOTEBOOK).read_text())
    release = json.loads((course / "release" / A / NOTEBOOK).read_text())
    wrong = json.loads(
        json.dumps(source).replace(json.dumps(WRONG[0])[1:-1], json.dumps(WRONG[1])[1:-1])
    )
    kinds = [source, wrong, release]
    names = []
    for i in range(n):
        name = f"student{i:03d}"
        folder = course / "submitted" / name / A
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_text(json.dumps(kinds[i % 3]))
        names.append(name)
    return names


def prepare(dest: Path, n: int, config: str | None = None) -> tuple[Path, list[str]]:
    from autograder.batch import quiet_sqlalchemy

    course = course_copy(dest, config)
    with quiet_sqlalchemy():
        result = nbgrader_api(course).generate_assignment(A)
    assert result["success"], result["log"]
    return course, submissions(course, n)


def per_submission(course: Path, students: list[str]) -> list[float]:
    from autograder.batch import quiet_sqlalchemy

    api = nbgrader_api(course)
    times = []
    for student in students:
        start = time.perf_counter()
        with quiet_sqlalchemy():
            result = api.autograde(A, student)
        times.append(time.perf_counter() - start)
        assert result["success"], result["log"][-2000:]
    return times


def trusted_seconds(course: Path) -> list[float]:
    reports = course.glob(f"autograded/*/{A}/*.autograder.json")
    return [json.loads(p.read_text())["seconds"] for p in reports]


def overhead(tmp: Path, repeat: int) -> dict[str, float]:
    from autograder.batch import tools_on_path

    tools_on_path()
    plain, who = prepare(tmp / "plain", repeat, PLAIN_CONFIG)
    safe, _ = prepare(tmp / "safe", repeat)
    plain_t: list[float] = []
    safe_t: list[float] = []
    # Warm up both (imports, kernelspec lookup, .pyc files), then alternate, so that a busy
    # neighbour on the machine slows both pipelines alike.
    per_submission(plain, who[:1])
    per_submission(safe, who[:1])
    for student in who[1:]:
        plain_t += per_submission(plain, [student])
        safe_t += per_submission(safe, [student])
    trusted = trusted_seconds(safe)
    return {
        "plain": statistics.mean(plain_t),
        "safe": statistics.mean(safe_t),
        "overhead": statistics.mean(safe_t) - statistics.mean(plain_t),
        "trusted": statistics.mean(trusted),
        "plain_sd": statistics.pstdev(plain_t),
        "safe_sd": statistics.pstdev(safe_t),
    }


def _serial(course: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        ["nbgrader", "autograde", A], cwd=course, env=env(), capture_output=True, text=True
    )
    took = time.perf_counter() - start
    if done.returncode != 0:  # keep the whole log: the reason is rarely in its last lines
        log = course / "nbgrader-autograde.log"
        log.write_text(done.stderr)
        shutil.copy2(log, Path(tempfile.gettempdir()) / "bench-grading-serial-failure.log")
        raise AssertionError(f"nbgrader autograde failed; log: {log}")
    return took


def _parallel(course: Path, jobs: int) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", A, "--course", str(course), "-j", str(jobs)],
        env=env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return time.perf_counter() - start


def class_run(tmp: Path, n: int, jobs: int, rounds: int) -> dict[str, Any]:
    """Serial and parallel in ABBA order, so that a load that drifts hits both alike."""
    serial_s: list[float] = []
    parallel_s: list[float] = []
    same = True
    for r in range(rounds):
        order = ("serial", "parallel") if r % 2 == 0 else ("parallel", "serial")
        courses = {}
        for kind in order:
            course, _ = prepare(tmp / f"{kind}{r}", n)
            courses[kind] = course
            if kind == "serial":
                serial_s.append(_serial(course))
            else:
                parallel_s.append(_parallel(course, jobs))
        same = same and _scores(courses["serial"]) == _scores(courses["parallel"])
    s, p = statistics.mean(serial_s), statistics.mean(parallel_s)
    return {
        "serial": s,
        "parallel": p,
        "speedup": s / p,
        "same": same,
        "runs": (serial_s, parallel_s),
    }


def _scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    from autograder.batch import quiet_sqlalchemy

    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=60, help="submissions in the class run")
    parser.add_argument("-r", "--repeat", type=int, default=9, help="submissions per overhead run")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=2, help="serial/parallel pairs (ABBA)")
    parser.add_argument("--skip-class", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "grading.md")
    args = parser.parse_args()
    lines = [
        f"Measured on {platform.node()}: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}.",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        o = overhead(Path(tmp), args.repeat)
        plain = f"{o['plain']:.2f} ± {o['plain_sd']:.2f}"
        safe = f"{o['safe']:.2f} ± {o['safe_sd']:.2f}"
        lines += [
            f"| per submission (mean of {args.repeat - 1}, warm process) | seconds |",
            "|---|---|",
            f"| plain nbgrader autograde (kernel start included) | {plain} |",
            f"| course config: sandboxed kernel + trusted scores | {safe} |",
            f"| **overhead** (difference; goal <= 1 s) | **{o['overhead']:.2f}** |",
            f"| of which the trusted re-grading in its sandbox | {o['trusted']:.2f} |",
        ]
        if not args.skip_class:
            c = class_run(Path(tmp), args.n, args.jobs, args.rounds)
            runs = "; ".join(f"{a:.0f} / {b:.0f}" for a, b in zip(*c["runs"], strict=True))
            lines += [
                "",
                f"| class of {args.n} (mean of {args.rounds} runs each, ABBA) | wall seconds |",
                "|---|---|",
                f"| `nbgrader autograde {A}` (serial) | {c['serial']:.1f} |",
                f"| `python -m autograder grade {A} -j {args.jobs}` | {c['parallel']:.1f} |",
                f"| **speedup** (goal >= 1.7x on 2 cores) | **{c['speedup']:.2f}x** |",
                f"| same scores in both | {c['same']} |",
                "",
                f"Runs, serial / parallel seconds: {runs}.",
            ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    head = "# Grading: what safety costs, what parallel grading saves\n\n"
    args.out.write_text(head + f"`python {Path(__file__).relative_to(ROOT)}`\n\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
