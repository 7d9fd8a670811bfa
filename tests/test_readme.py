"""The README's generated blocks must match what their commands print today."""

from __future__ import annotations

import re

from conftest import ROOT, SHARED, require

from tcpcore.conformance.runner import render_summary

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
        "python -m tcpcore.conformance.runner --summary ../shared/conformance/*/"
    )


def test_readme_shows_both_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
