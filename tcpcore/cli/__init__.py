"""The ``tcpcore`` command: small tools over the library, one subcommand each, one wiring.

Each subcommand is a module of this package (:mod:`.trace`, :mod:`.scenario`,
:mod:`.pktscript`) with the same five names: ``NAME``, ``HELP``, ``DESCRIPTION``,
``configure(parser)`` (adds its arguments) and ``run(args, out, err)`` (carries it out and
returns the exit code). :func:`subcommands` makes a :class:`Subcommand` record of each, and
:func:`build_parser` is the only place they meet argparse; tests call :func:`main` with a list of
arguments, as the console script and ``python -m tcpcore.cli`` do. A subcommand's module imports
its heavy machinery inside its ``run`` so that every command starts fast.

Exit codes, for every subcommand: 0 done; 1 done, but the input had a problem worth a non-zero
status (for ``trace``: records that could not be read at all; for ``pktscript``: the script
failed); 2 the input could not be used (missing file, not a capture, an unknown scenario, a
script outside the subset, bad arguments; argparse uses 2 as well). Errors are one line on stderr
naming the file and what is wrong, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TextIO

PROG = "tcpcore"


@dataclass(frozen=True)
class Subcommand:
    """One ``tcpcore NAME ...`` command: ``run(args, out, err)`` returns the exit code."""

    name: str
    help: str
    description: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, TextIO, TextIO], int]

    @classmethod
    def of(cls, module: ModuleType) -> Subcommand:
        """The record of a subcommand module (its NAME, HELP, DESCRIPTION, configure, run)."""
        return cls(module.NAME, module.HELP, module.DESCRIPTION, module.configure, module.run)


def subcommands() -> tuple[Subcommand, ...]:
    """Every subcommand, in the order ``tcpcore --help`` lists them."""
    from . import pktscript, scenario, trace

    return tuple(Subcommand.of(m) for m in (trace, scenario, pktscript))


def build_parser(commands: tuple[Subcommand, ...] | None = None) -> argparse.ArgumentParser:
    """The argument parser, one sub-parser per subcommand (default: :func:`subcommands`)."""
    from .. import __version__

    parser = argparse.ArgumentParser(prog=PROG, description="Tools over tcpcore's reference TCP.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in subcommands() if commands is None else commands:
        child = sub.add_parser(command.name, help=command.help, description=command.description)
        command.configure(child)
        child.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``tcpcore`` with ``argv`` (default: the process's arguments); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: give a command, e.g. '{PROG} trace FILE'", file=sys.stderr)
        return 2
    run: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.run
    try:
        code = run(args, sys.stdout, sys.stderr)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:  # Ctrl-C on a long trace: stop like any command-line tool
        return 130
    except BrokenPipeError:  # `tcpcore ... | head`: the reader has all it wanted
        silence(sys.stdout)
        return 0


def silence(out: TextIO) -> None:
    """Send what is left in ``out``'s buffer, and anything written later, to /dev/null."""
    try:
        fd = out.fileno()
    except (OSError, ValueError):  # not a real file (a StringIO in tests): nothing to silence
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
