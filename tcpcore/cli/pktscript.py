"""``tcpcore pktscript FILE.pkt [--profile NAME] [-v]``: a packetdrill script against the reference.

The runner is :mod:`tcpcore.conformance`, imported only when the command runs. Exit status, as
DESIGN.md's public contract says: 0 pass, 1 fail, 2 not runnable (a construct outside the subset,
a syntax error, or a file that cannot be read); the last line printed is ``PASS ...``,
``FAIL line N: ...`` or ``NOT RUNNABLE line N: ...``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

NAME = "pktscript"
HELP = "run a packetdrill script against the reference (exit 0 pass, 1 fail, 2 not runnable)"
DESCRIPTION = (
    "Play a packetdrill script's socket calls and injected segments to a tcpcore connection on a "
    "virtual clock and compare what it sends with the script's expected segments. The last line "
    "says PASS, or FAIL with the script line and what differed, or NOT RUNNABLE with the line "
    "and the construct outside the subset."
)
EXIT_NOT_RUNNABLE = 2  # tcpcore.conformance.EXIT_NOT_RUNNABLE, without importing the runner


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments to ``parser``."""
    from ..protocol.profiles import PROFILES

    parser.add_argument("file", metavar="FILE.pkt", help="the packetdrill script")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        help="the stack to play (default: the one the script was written for)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every event as it runs")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``args.file``; print progress (with -v) and the verdict line; return the exit code."""
    from ..conformance import profile_for, run_text
    from ..protocol.profiles import ProfileError

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        err.write(f"tcpcore pktscript: cannot read {path}: {exc.strerror or exc}\n")
        return EXIT_NOT_RUNNABLE
    profile = args.profile or profile_for(path, text)

    def log(line: str) -> None:
        out.write(line + "\n")

    if args.verbose:
        out.write(f"{path} under profile {profile}\n")
    try:
        result = run_text(text, profile, log if args.verbose else None)
    except ProfileError as exc:
        err.write(f"tcpcore pktscript: {exc}\n")
        return EXIT_NOT_RUNNABLE
    out.write(result.message + "\n")
    return result.exit_code
