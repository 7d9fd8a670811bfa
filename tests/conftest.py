"""Shared pytest configuration.

Tests that need something a machine may lack (tcpdump and root for captures, a browser) skip with a
reason on a developer's laptop, but must run in CI: when the ``CI`` environment variable is set, a
missing capability is a failure, not a skip (see :func:`require`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = bool(os.environ.get("CI"))


def require(condition: bool, reason: str) -> None:
    """Skip when ``condition`` is false, except in CI, where it fails the test."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)
