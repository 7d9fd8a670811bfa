"""The recorded Linux runs in tests/data/linux/, checked on any machine (no root, no capture).

Each scenario of :mod:`linux_oracle` was run on a real kernel and shipped as NAME.pcap (what was
on the wire) and NAME.json (the steps, the kernel's states after each, the delay line's log).
Replaying them keeps tcpcore honest where no one can capture: the codec, the observer and the
``linux`` profile are held to what the kernel did, this time segment for segment (a recording
replays exactly, so pure ACKs and data are compared too, not only control segments), and the
``linux`` profile's states to the kernel's at every snapshot (see docs/linux-oracle.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from linux_checks import (
    check_codec,
    check_observer,
    check_reference,
    check_states,
    split_blind,
)
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
    unexpected, pinned = split_blind(run, problems)
    assert unexpected == []
    # A declared blind spot (rst-in-time-wait-rfc1337-1) must still show: if the observer ever
    # learns to tell, the limit's note in the scenario and docs/conformance.md must go.
    assert bool(pinned) == bool(run.spec.observer_blind), run.spec.blind_because
    assert [pair for pair in run.spec.shows if pair not in compared] == []


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_linux_profile_is_in_the_kernels_state_at_every_step(path: Path) -> None:
    """Check that the linux profile's Connections, replaying the calls, are in the state ss and
    TCP_INFO reported for each endpoint at every snapshot, the scenario's own states included."""
    run = Run.load(path)
    problems, compared = check_states(run, read_pcap(run.pcap))
    assert problems == []
    assert [pair for pair in run.spec.shows if pair not in compared] == []


def test_listen_backlog_counts_one_more_in_linux_than_in_the_listener() -> None:
    """Check the modelling limit the replay works around: Linux's listen(1) let two requests
    wait before the third SYN overflowed; tcpcore's Listener(backlog=1) lets one."""
    from tcpcore import Flags, Segment
    from tcpcore.protocol.listener import Listener

    run = Run.load(SHIPPED / "listen-overflow-syncookies-0.json")
    kernel = [s for s in read_pcap(run.pcap) if s.segment is not None]
    synacks_first = [p.segment.dst_port for p in kernel if p.segment.flags == Flags.SYN | Flags.ACK]
    assert synacks_first[:2] == [40001, 40002]  # both queued: two requests for listen(1)
    c3_syns = [p for p in kernel if p.segment.src_port == 40003 and p.segment.flags == Flags.SYN]
    assert len(c3_syns) == 2  # the third had to be sent again: it overflowed the SYN queue
    lst = Listener(5001, backlog=1, profile="linux")
    lst.listen(0.0)
    got = [lst.receive(Segment(p, 5001, 1000, 0, Flags.SYN), 0.0, "10.0.0.1") for p in (1, 2)]
    assert got[0] is not None and got[1] is None  # the second SYN is dropped by backlog 1


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
