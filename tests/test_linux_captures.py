"""The recorded Linux runs in tests/data/linux/, checked on any machine (no root, no capture).

Each scenario of :mod:`linux_oracle` was run on a real kernel and shipped as NAME.pcap (what was
on the wire) and NAME.json (the steps, the kernel's states after each, the delay line's log).
Replaying them keeps tcpcore honest where no one can capture: the codec, the observer and the
``linux`` profile are held to what the kernel did, this time segment for segment (a recording
replays exactly, so pure ACKs and data are compared too, not only control segments).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from linux_checks import check_codec, check_observer, check_reference
from linux_scenarios import SCENARIOS, SHIPPED, Run

from tcpcore import State
from tcpcore.capture.pcap import read_pcap

RUNS = sorted(SHIPPED.glob("*.json"))


def test_every_scenario_is_shipped_and_the_readme_lists_every_file() -> None:
    """Check that each scenario has its pcap and JSON, and that README.md names every file."""
    shipped = {p.name for p in SHIPPED.iterdir() if p.name != "README.md"}
    expected = {f"{name}.{ext}" for name in SCENARIOS for ext in ("pcap", "json")}
    assert shipped == expected
    readme = (SHIPPED / "README.md").read_text()
    named = set(re.findall(r"[\w.-]+\.(?:pcap|json)", readme))
    assert shipped <= named, f"not in README.md: {sorted(shipped - named)}"
    assert re.search(r"Recorded \d{4}-\d\d-\d\d on Linux \S+", readme)


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_shipped_capture_is_small_and_decodes(path: Path) -> None:
    """Check that the capture stays small for the lessons and that tcpcore reads all of it."""
    run = Run.load(path)
    recorded = [step["call"] for step in run.steps]
    assert recorded == list(run.spec.steps), f"{path.name} is from an older script: record anew"
    assert run.pcap.stat().st_size < 20_000
    assert check_codec(run, read_pcap(run.pcap)) == []


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_observer_matches_the_recorded_kernel_states(path: Path) -> None:
    """Check that the observer, given only the capture, infers the states the kernel reported."""
    run = Run.load(path)
    problems, compared = check_observer(run, read_pcap(run.pcap))
    assert problems == []
    assert [pair for pair in run.spec.shows if pair not in compared] == []


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_linux_profile_replays_the_recording_segment_for_segment(path: Path) -> None:
    """Check that tcpcore's Connections, replaying the recorded calls, send every segment the
    kernel sent: flags, relative numbers and payload length, in the same order."""
    run = Run.load(path)
    kernel, reference = check_reference(run, read_pcap(run.pcap), everything=True)
    assert reference == kernel


@pytest.mark.parametrize(
    ("ss_name", "state"),
    [
        ("ESTAB", State.ESTABLISHED),
        ("SYN-RECV", State.SYN_RECEIVED),
        ("FIN-WAIT-1", State.FIN_WAIT_1),
        ("TIME-WAIT", State.TIME_WAIT),
        ("UNCONN", State.CLOSED),
        ("CLOSE", State.CLOSED),
    ],
)
def test_state_parse_reads_the_names_ss_and_tcp_info_use(ss_name: str, state: State) -> None:
    """Check that every spelling the recordings hold maps to the RFC's state."""
    assert State.parse(ss_name) is state
