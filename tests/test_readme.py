"""The README's generated blocks must match what their commands print today."""

from __future__ import annotations

import re
import sys

from conftest import ROOT, SHARED, require

sys.path.insert(0, str(ROOT / "tools"))
from conformance_report import render_summary  # tools/ is not a package

CONFORMANCE = SHARED / "conformance"


def test_readme_conformance_summary_is_current() -> None:
    require(CONFORMANCE.is_dir(), f"the conformance scripts are not at {CONFORMANCE}")
    dirs = sorted(d for d in CONFORMANCE.iterdir() if d.is_dir())
    readme = (ROOT / "README.md").read_text()
    found = re.search(
        r"<!-- conformance-summary:begin[^>]*-->\n(.*?)<!-- conformance-summary:end -->",
        readme,
        re.S,
    )
    assert found, "README.md lost its conformance-summary block"
    assert found.group(1) == render_summary(dirs), (
        "README's conformance summary is stale: replace the block with the output of "
        ".venv/bin/python tools/conformance_report.py --summary"
    )


def test_readme_shows_both_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
