"""``tcpcore pktscript FILE.pkt [--profile NAME]``: run a packetdrill script against the reference.

Wiring for :mod:`tcpcore.cli`: :func:`add_parser` adds the subcommand to an argparse
``subparsers`` object and :func:`run` carries it out (the runner itself is
:mod:`tcpcore.conformance.runner`, imported only when the command runs). Exit status, as DESIGN.md's
public contract says: 0 pass, 1 fail, 2 not runnable (a construct outside the subset, a syntax
error, or a file that cannot be read); the last line printed is ``PASS ...``, ``FAIL line N: ...``
or ``NOT RUNNABLE line N: ...``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

NAME = "pktscript"
HELP = "run a packetdrill script against the reference (exit 0 pass, 1 fail, 2 not runnable)"
DESCRIPTION = (
    "Play a packetdrill script's socket calls and injected segments to a tcpcore connection on a "
    "virtual clock and compare what it sends with the script's expected segments. The last line "
    "says PASS, or FAIL with the script line and what differed, or NOT RUNNABLE with the line "
    "and the construct outside the subset."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments to ``parser``."""
    from .conformance.runner import configure as add_arguments

    add_arguments(parser)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``pktscript`` to an ``ArgumentParser.add_subparsers()`` object; return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        NAME, help=HELP, description=DESCRIPTION
    )
    configure(parser)
    return parser


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the script named by ``args.file``; print the verdict line; return the exit status."""
    from .conformance.runner import EXIT_NOT_RUNNABLE, run_args

    out = out or sys.stdout
    err = err or sys.stderr
    if getattr(args, "file", None) is None:
        err.write("tcpcore pktscript: give a script FILE.pkt\n")
        return EXIT_NOT_RUNNABLE
    return run_args(args, out, err)
