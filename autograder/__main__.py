"""``python -m autograder``: check one notebook, grade a class, or report on it.

    python -m autograder check NOTEBOOK            a student's full check, hidden tests aside
    python -m autograder collect ASSIGNMENT FOLDER students' notebooks into submitted/
    python -m autograder grade ASSIGNMENT          autograde every submission, in parallel
    python -m autograder report ASSIGNMENT         score distribution and where the class went wrong

nbgrader and matplotlib are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="check a notebook against the reference (hidden tests aside)")
    p.add_argument("notebook", type=Path)
    p.add_argument("--student", default="", help="your student id (default: none, seed 0)")
    p.add_argument("--assignment", default="", help="default: the notebook's folder name")

    p = sub.add_parser(
        "collect", help="copy FOLDER/<student id>.ipynb to submitted/<student id>/ASSIGNMENT/"
    )
    p.add_argument("assignment")
    p.add_argument("folder", type=Path, help="the students' notebooks, named <student id>.ipynb")
    p.add_argument("--course", default=None, help="the course folder (default: ./course or .)")

    p = sub.add_parser("grade", help="autograde every submission of an assignment in parallel")
    p.add_argument("assignment")
    p.add_argument("--course", default=None, help="the course folder (default: ./course or .)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--student", action="append", dest="students", help="only these students")

    p = sub.add_parser("report", help="score distribution and the transitions the class missed")
    p.add_argument("assignment")
    p.add_argument("--course", default=None)
    p.add_argument("--out", type=Path, default=None, help="PNG path (default: course/reports/)")

    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args)
    if args.command == "collect":
        return _collect(args)
    if args.command == "grade":
        return _grade(args)
    return _report(args)


def _check(args: argparse.Namespace) -> int:
    from .checks import for_assignment
    from .grading import assignment_of, grade_notebook, read_notebook

    try:
        nb = read_notebook(args.notebook)
        assignment = args.assignment or assignment_of(args.notebook)
    except FileNotFoundError:
        print(f"error: {args.notebook}: no such notebook", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: {args.notebook}: {exc}", file=sys.stderr)
        return 2
    # A student checking their own code has nothing to protect: allow running unsandboxed.
    report = grade_notebook(
        nb, assignment, student=args.student, reveal=False, allow_unsandboxed=True
    )
    print(f"{args.notebook}: assignment {assignment!r}")
    if report.notes():
        print(report.notes())
    graded = 0.0
    for outcome in report.outcomes:
        print()
        print(outcome.feedback() if outcome.asked else f"{outcome.title}: {outcome.first}")
        graded += outcome.score
    total = sum(c.points for c in for_assignment(assignment) if c.kind != "value")
    print(f"\nAuto-graded parts: {graded:g} of {total:g} (seed 0; your hidden cases differ,")
    print("your predictions and written answers are scored when graded).")
    if not report.sandboxed:
        print("(bubblewrap is not installed: your code ran unsandboxed, which is fine for you)")
    return 0


def _collect(args: argparse.Namespace) -> int:
    from .batch import find_course
    from .collect import CollectError, collect

    course = find_course(args.course)
    try:
        done = collect(course, args.assignment, args.folder)
    except CollectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(done.lines(course)))
    print(f"{len(done.copied)} student(s) collected for {args.assignment!r} in {course}")
    return 1 if done.skipped else 0


def _grade(args: argparse.Namespace) -> int:
    from .batch import find_course, grade_class, submissions, summary

    course = find_course(args.course)
    if not args.students and not submissions(course, args.assignment):
        where = course / "submitted" / "<student id>" / args.assignment
        print(
            f"error: no submission of {args.assignment!r} in {where}: collect first",
            file=sys.stderr,
        )
        return 2
    results = grade_class(course, args.assignment, jobs=args.jobs, students=args.students)
    print(summary(results, args.assignment))
    return 0 if all(r.ok for r in results) else 1


def _report(args: argparse.Namespace) -> int:
    from .batch import find_course
    from .report import draw, text_report

    course = find_course(args.course)
    text = text_report(course, args.assignment)
    if text.startswith("no graded submissions"):
        print(f"error: {text}: grade first", file=sys.stderr)
        return 2
    print(text)
    out = args.out or course / "reports" / f"{args.assignment}.png"
    print(f"picture: {draw(course, args.assignment, out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
