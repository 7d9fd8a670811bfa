"""The packetdrill subset: scripts from real stacks' test suites run against the reference.

* :mod:`.parse` reads a script into events (socket calls, ``<``/``>`` segments, shell lines,
  ``%{ }%`` assertions), refusing what is outside the subset as NOT RUNNABLE with its line;
* :mod:`.syscalls` plays the socket calls on a :class:`~tcpcore.protocol.connection.Connection`;
* :mod:`.policy` says what a ``>`` line is compared on under each profile, and what a script's
  sysctls change;
* :mod:`.runner` tells the script's story on a virtual clock and gives the verdict
  (:class:`Result`: exit 0 pass, 1 fail, 2 not runnable).

``tcpcore pktscript FILE.pkt`` (:mod:`tcpcore.cli.pktscript`) is the command line;
tools/conformance_report.py writes docs/conformance.md.
"""

from __future__ import annotations

from .parse import Script, ScriptError, parse
from .policy import POLICIES, ComparePolicy, defines_for, policy_for
from .runner import (
    EXIT_FAIL,
    EXIT_NOT_RUNNABLE,
    EXIT_PASS,
    Result,
    Runner,
    profile_for,
    run_file,
    run_text,
)

__all__ = [
    "EXIT_FAIL",
    "EXIT_NOT_RUNNABLE",
    "EXIT_PASS",
    "POLICIES",
    "ComparePolicy",
    "Result",
    "Runner",
    "Script",
    "ScriptError",
    "defines_for",
    "parse",
    "policy_for",
    "profile_for",
    "run_file",
    "run_text",
]
