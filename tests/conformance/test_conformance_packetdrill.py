"""The reference against real stacks: every packetdrill script in ../shared/conformance.

The scripts are third-party test data, read where they are (``<checkout>/../shared/conformance``,
every folder in it) and never copied into the repository; a mutated copy lives only in a
temporary directory. Each script gets one test, and the verdict it must get is the one
docs/conformance.md records: pass, or not runnable (exit 2, with the recorded reason naming the
construct outside the subset). No script may fail under the profile of the stack that wrote it.
The table itself must be current: it is generated again and compared. When ../shared is missing
these tests skip on a laptop and fail in CI (tests/conftest.py ``require``).

Then the runner must be able to fail: in every script that passes, every ``>`` line is changed in
turn, and the run must fail at that very line; and every ``>`` line at ``+0`` (a segment sent in
answer to the event before it) that another ``>`` line follows is left out in turn, and the run
must fail after it (packetdrill reads nothing after a script's last ``>`` line). (A segment sent
by a timer is not left out: without its line, every later relative time moves, and the story may
rightly no longer include it.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED, require

from tcpcore.conformance import EXIT_FAIL, defines_for, run_file, run_text
from tcpcore.conformance.parse import Packet, When, parse

sys.path.insert(0, str(ROOT / "tools"))
from conformance_report import discover, render_table  # tools/ is not a package

CONFORMANCE = SHARED / "conformance"
# Every folder of ../shared/conformance is a suite (packetdrill/ today).
DIRS = sorted(d for d in CONFORMANCE.iterdir() if d.is_dir()) if CONFORMANCE.is_dir() else []
TABLE = ROOT / "docs" / "conformance.md"
SCRIPTS = dict(discover(DIRS))
MISSING = f"the packetdrill scripts are not at {CONFORMANCE} (../shared beside the checkout)"
# The goal of the issue: these pass under the profile of the stack that wrote them.
MUST_PASS = (
    "packetdrill/freebsd-net-tcp-testsuite/snippets/",
    "packetdrill/google-packetdrill/gtests/net/tcp/close/",
    "packetdrill/google-packetdrill/gtests/net/tcp/shutdown/",
)
_ROW = re.compile(r"\| (\S+\.pkt) \| (\S+) \| (pass|fail|not runnable) \| (.*) \|")


def recorded() -> dict[str, tuple[str, str, str]]:
    """docs/conformance.md's rows: script -> (profile, verdict, reason)."""
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        m = _ROW.fullmatch(line)
        if m:
            rows[m[1]] = (m[2], m[3], m[4].replace("\\|", "|"))
    return rows


def _expected_lines(text: str, profile: str) -> list[Packet]:
    events = parse(text, defines_for(profile)).events
    return [e for e in events if isinstance(e, Packet) and not e.inbound]


def passing() -> list[str]:
    """The scripts that pass and expect at least one segment."""
    rows = recorded()
    names = [name for name, (_, verdict, _) in rows.items() if verdict == "pass"]
    return [
        n
        for n in names
        if n in SCRIPTS and _expected_lines(SCRIPTS[n].read_text("utf-8"), rows[n][0])
    ]


def params(names: list[str]) -> list[str | None]:
    """The names, or one placeholder that skips (fails in CI) when ../shared is missing."""
    return list(names) if SCRIPTS else [None]


def script(name: str | None) -> Path:
    require(name is not None, MISSING)
    assert name is not None
    return SCRIPTS[name]


def test_the_committed_table_is_current(tmp_path: Path) -> None:
    """docs/conformance.md is what tools/conformance_report.py --table prints, run elsewhere."""
    require(CONFORMANCE.is_dir(), MISSING)
    # From a folder outside the checkout, with no DIR: the tool finds ../shared by itself.
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "conformance_report.py"), "--table"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == render_table(DIRS)
    assert proc.stdout == TABLE.read_text(encoding="utf-8"), (
        "docs/conformance.md is stale: .venv/bin/python tools/conformance_report.py --table "
        "> docs/conformance.md"
    )


def test_no_script_fails() -> None:
    """Every script passes under its own stack's profile or is not runnable, with a reason."""
    require(CONFORMANCE.is_dir(), MISSING)
    rows = recorded()
    assert {name: row for name, row in rows.items() if row[1] == "fail"} == {}
    refused = [reason for _, verdict, reason in rows.values() if verdict != "pass"]
    assert all(reason.startswith("NOT RUNNABLE line ") for reason in refused), refused


def test_every_script_has_a_row_and_every_row_a_script() -> None:
    require(CONFORMANCE.is_dir(), MISSING)
    assert sorted(recorded()) == sorted(SCRIPTS)


def test_the_scripts_of_the_goal_all_pass() -> None:
    require(CONFORMANCE.is_dir(), MISSING)
    goal = {name: row for name, row in recorded().items() if name.startswith(MUST_PASS)}
    assert len(goal) == 14 + 3 + 3
    assert {name: verdict for name, (_, verdict, _) in goal.items() if verdict != "pass"} == {}


@pytest.mark.parametrize("name", params(sorted(SCRIPTS)))
def test_script_gets_its_recorded_verdict(name: str | None) -> None:
    path = script(name)
    assert name is not None
    profile, verdict, reason = recorded()[name]
    result = run_file(path, profile)
    assert result.verdict != "fail", result.message
    assert result.verdict == verdict, result.message
    assert result.exit_code == {"pass": 0, "fail": 1, "not runnable": 2}[verdict]
    assert result.message == (f"PASS: {reason}" if verdict == "pass" else reason)


def _mutate(line: str) -> tuple[str, str]:
    """The line with a wrong acknowledgment number (or, without one, a wrong sequence number),
    and the difference the runner must report."""
    m = re.search(r"\back (\d+)", line)
    if m:
        return line[: m.start(1)] + str(int(m[1]) + 1) + line[m.end(1) :], "ack"
    m = re.search(r"(\d+):(\d+)\((\d+)\)", line)
    assert m, line
    shifted = f"{int(m[1]) + 1}:{int(m[2]) + 1}({m[3]})"
    return line[: m.start()] + shifted + line[m.end() :], "seq"


@pytest.mark.parametrize("name", params(passing()))
def test_every_expected_segment_is_checked(name: str | None, tmp_path: Path) -> None:
    path = script(name)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    profile = recorded()[str(name)][0]
    for packet in _expected_lines(text, profile):
        changed = list(lines)
        changed[packet.line - 1], what = _mutate(lines[packet.line - 1])
        copy = tmp_path / path.name
        copy.write_text("\n".join(changed) + "\n", encoding="utf-8")
        result = run_file(copy, profile)
        assert result.exit_code == EXIT_FAIL, (packet.line, result.message)
        assert result.message.startswith(f"FAIL line {packet.line}: expected "), result.message
        assert result.message.endswith(what) or f"{what}," in result.message, result.message


@pytest.mark.parametrize("name", params(passing()))
def test_a_segment_the_script_does_not_expect_fails(name: str | None) -> None:
    path = script(name)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    profile = recorded()[str(name)][0]
    expected = _expected_lines(text, profile)
    last_expected = max(p.line for p in expected)
    for packet in expected:
        when = packet.when
        if packet.line == last_expected or when is None or when != When(0, True):
            continue
        without = list(lines)
        without[packet.line - 1] = "// left out"
        result = run_text("\n".join(without) + "\n", profile)
        assert result.exit_code == EXIT_FAIL, (packet.line, result.message)
        failed_at = int(result.message.split()[2].rstrip(":"))
        assert failed_at > packet.line, result.message


def test_the_command_runs_a_real_script_under_its_own_profile() -> None:
    """closing-ipv4.pkt passes only as FreeBSD, which resends its FIN in CLOSING."""
    closing = script(params(["packetdrill/freebsd-net-tcp-testsuite/snippets/closing-ipv4.pkt"])[0])
    proc = subprocess.run(
        [sys.executable, "-m", "tcpcore.cli", "pktscript", str(closing)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("PASS: ")
