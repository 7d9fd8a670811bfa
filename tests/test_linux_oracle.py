"""tcpcore held to Linux's own TCP, live: each scenario of :mod:`linux_oracle` is run on this
machine's kernel (network namespace, real sockets, tcpdump, NFQUEUE delay line) and then

(a) every captured segment decodes, verifies and re-encodes byte for byte;
(b) the observer's states, inferred from the capture alone, are the kernel's own at every step;
(c) tcpcore Connections with the ``linux`` profile, making the same calls at the same moments
    over a wire with the same delay, send the same control segments in the same order;
(d) and are, endpoint by endpoint, in the states ``ss`` reported after every step.

Needs root, network namespaces, tcpdump, iptables and ip6tables: a laptop without them skips, CI
fails (``conftest.require``). The recorded runs in tests/data/linux/ are checked without root by
tests/test_linux_captures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require
from linux_checks import (
    check_codec,
    check_observer,
    check_reference,
    check_states,
    split_blind,
)
from linux_oracle import oracle_unavailable, run_scenario
from linux_scenarios import SCENARIOS, Run

from tcpcore.capture.pcap import Capture, read_pcap

pytestmark = [pytest.mark.capture, pytest.mark.slow]


@pytest.fixture(scope="module", params=list(SCENARIOS))
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One kernel run per scenario, shared by the three checks."""
    reason = oracle_unavailable()
    require(reason is None, reason or "")
    workdir: Path = tmp_path_factory.mktemp("linux-oracle")
    return run_scenario(SCENARIOS[request.param], workdir)


@pytest.fixture(scope="module")
def captures() -> dict[Path, Capture]:
    return {}


def capture_of(run: Run, captures: dict[Path, Capture]) -> Capture:
    if run.pcap not in captures:
        captures[run.pcap] = read_pcap(run.pcap)
    return captures[run.pcap]


def test_every_segment_decodes_verifies_and_reencodes(
    run: Run, captures: dict[Path, Capture]
) -> None:
    """Check that tcpcore reads every segment the kernel sent, checksum included."""
    assert check_codec(run, capture_of(run, captures)) == []


def test_observer_matches_the_kernel_at_every_step(run: Run, captures: dict[Path, Capture]) -> None:
    """Check that the states inferred from the capture are the ones ss and TCP_INFO reported,
    and that the scenario's characteristic states were among those compared."""
    problems, compared = check_observer(run, capture_of(run, captures))
    unexpected, pinned = split_blind(run, problems)
    assert unexpected == []
    assert bool(pinned) == bool(run.spec.observer_blind), run.spec.blind_because
    missing = [pair for pair in run.spec.shows if pair not in compared]
    assert missing == [], f"never compared: {missing}; compared: {sorted(set(compared))}"


def test_linux_profile_is_in_the_kernels_state_at_every_step(
    run: Run, captures: dict[Path, Capture]
) -> None:
    """Check that the linux profile's Connections are, endpoint by endpoint and step by step,
    in the states ss reported (the kernel is the judge)."""
    problems, compared = check_states(run, capture_of(run, captures))
    assert problems == []
    missing = [pair for pair in run.spec.shows if pair not in compared]
    assert missing == [], f"never compared: {missing}; compared: {sorted(set(compared))}"


def test_linux_profile_sends_the_same_control_segments(
    run: Run, captures: dict[Path, Capture]
) -> None:
    """Check that tcpcore's Connections send Linux's SYN, FIN, RST and keepalive segments."""
    kernel, reference = check_reference(run, capture_of(run, captures))
    assert reference == kernel
    assert kernel, "no control segment at all: the scenario did not run"
