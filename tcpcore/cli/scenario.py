"""``tcpcore scenario``: run a named simulated scenario and print its ladder diagram.

    tcpcore scenario --list
    tcpcore scenario NAME [--profile rfc9293|linux|linux-rfc1337] [--seed N] [--json]

Without ``--json`` the output is the ladder diagram (:meth:`tcpcore.trace.Trace.ladder_text`);
with it, one JSON object per line: the segments with the keys of ``tcpcore trace --json``
(DESIGN.md) plus ``"dropped": true`` on lost ones, and ``"event"`` lines for user calls, timers
and state changes. Exit codes: 0 done; 2 an unknown scenario or profile (one line on stderr that
names the valid choices).

A subcommand of :mod:`tcpcore.cli`; the scenarios are imported inside :func:`run`, so that the
command line starts fast.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import TextIO

NAME = "scenario"
HELP = "run a named simulated scenario and print its ladder diagram"
DESCRIPTION = (
    "Simulate one of the course's scenarios (the handshake, the closes, lost segments, old "
    "duplicates, resets, keepalive, SYN floods) on a virtual network and print it as a ladder "
    "diagram, or as JSON lines with --json."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments to ``parser``."""
    parser.add_argument("name", nargs="?", help="the scenario to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--profile", default="rfc9293", help="rfc9293 (default), linux or linux-rfc1337"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for the network's dice")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of the ladder")
    parser.add_argument("--width", type=int, default=100, help="ladder width in columns")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the subcommand; returns the exit code."""
    from ..protocol.profiles import PROFILES
    from ..sim.scenarios import SCENARIOS, list_scenarios, run_scenario

    if args.list:
        for name, description in list_scenarios():
            out.write(
                name
                + "\n"
                + textwrap.fill(description, 98, initial_indent="  ", subsequent_indent="  ")
                + "\n"
            )
        return 0
    if not args.name:
        err.write(f"tcpcore scenario: name a scenario: {', '.join(SCENARIOS)}\n")
        return 2
    if args.name not in SCENARIOS:
        err.write(
            f"tcpcore scenario: unknown scenario {args.name!r}; "
            f"choose one of {', '.join(SCENARIOS)}\n"
        )
        return 2
    if args.profile not in PROFILES:
        err.write(
            f"tcpcore scenario: unknown profile {args.profile!r}; "
            f"choose one of {', '.join(PROFILES)}\n"
        )
        return 2
    trace = run_scenario(args.name, profile=args.profile, seed=args.seed)
    out.write(trace.to_json_lines() if args.json else trace.ladder_text(args.width))
    return 0
