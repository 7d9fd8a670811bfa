"""Shared pytest configuration.

Tests that need something a machine may lack (tcpdump and root for captures, a browser) skip with a
reason on a developer's laptop, but must run in CI: when the ``CI`` environment variable is set, a
missing capability is a failure, not a skip (see :func:`require`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent  # the checkout
DATA = ROOT / "tests" / "data"  # captures and recorded runs the tests read
SHARED = ROOT.parent / "shared"
IN_CI = bool(os.environ.get("CI"))


def require(condition: bool, reason: str) -> None:
    """Skip when ``condition`` is false, except in CI, where it fails the test."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (/usr/bin/chromium, through Playwright), one per test module; missing
    Chromium or Playwright skips on a laptop and fails in CI."""
    from browser import chromium, have_chromium, have_playwright

    require(have_chromium(), "Chromium at /usr/bin/chromium (apt-get install chromium)")
    require(have_playwright(), "playwright (the dev extra: pip install -e '.[dev]')")
    with chromium() as instance:
        yield instance


# `make test` runs the suite on every core with pytest-xdist, one test module (or lesson notebook)
# per worker at a time, so a module's fixtures are built once and a notebook's cells run in order
# in one kernel. Modules are handed out in collection order: the longest go first, so that no
# worker is left finishing one alone at the end (measured with --durations; a module not named
# here keeps its place, after these).
LONGEST_FIRST = (
    "test_lite.py",
    "test_newcomer.py",
    "test_hub.py",
    "test_browser_lessons.py",
    "test_binder.py",
    "test_grade_class.py",
    "test_course_guide.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, put the longest modules first (a stable sort: each module keeps its order)."""
    if not hasattr(config, "workerinput"):
        return
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
