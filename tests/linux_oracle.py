"""Linux as the oracle: run a scenario on the kernel's own TCP, then hold tcpcore to what it did.

Why: tcpcore is the reference the students are graded against, so it has to be right about what
real stacks do, not only about what the RFC says. Each scenario of :mod:`linux_scenarios` (client
closes first, a refused connection, a simultaneous open...) is run twice:

1. Here, on this machine's kernel (:func:`run_scenario`), in a fresh network namespace so that
   nothing else's traffic or ports get in the way: a driver program (:mod:`linux_programs`)
   carries out the steps with real sockets and after every step reads the kernel's states back
   (``ss`` and ``TCP_INFO``). tcpdump records the wire; every outgoing TCP packet first passes
   an NFQUEUE delay line, which can hold packets so that they cross and, as a side effect, makes
   the kernel fill in the checksums that loopback otherwise leaves partial.
2. In :mod:`linux_checks`, on tcpcore Connections with the ``linux`` profile: the same calls at
   the same moments, over a simulated wire with the same delay.

The checks of :mod:`linux_checks` then compare codec, observer, segments and, step by step,
the reference's states with the kernel's. The recorded runs
are shipped for the lessons (tests/data/linux/: a pcap and a JSON record per scenario, and a
README with the kernel's state timelines), so that the checks also run where no one can capture::

    python tests/linux_oracle.py --write tests/data/linux/    # as root: record them anew
    python tests/linux_oracle.py --write tests/data/linux/ time-wait-reuse   # only this one
    python tests/linux_oracle.py                              # run and check, write nothing

Everything that touches the system happens inside the namespace (iptables rules included) and is
undone in a ``finally``: every process still in the namespace is killed, then it is deleted.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from captures import _Tcpdump, capture_unavailable
from linux_checks import (
    captured_segments,
    check_codec,
    check_observer,
    check_reference,
    check_states,
    kernel_states,
    label,
    split_blind,
    wire_lines,
)
from linux_scenarios import SCENARIOS, Run, Scenario

from tcpcore.capture.framing import decode_frame
from tcpcore.capture.pcap import read_pcap
from tcpcore.wire.links import LinkType

PROGRAMS = Path(__file__).resolve().with_name("linux_programs.py")


# Every TCP packet leaving a socket in the namespace goes to the delay line (queue 0). Without
# --queue-bypass: if the delay line is not there, packets are dropped, and the run fails loudly.
_QUEUE_RULE = ["-A", "OUTPUT", "-p", "tcp", "-j", "NFQUEUE", "--queue-num", "0"]


class OracleError(RuntimeError):
    """A run could not be made or did not go as scripted; the message says which step."""


# -- a run on the kernel --------------------------------------------------------------------------


def oracle_unavailable() -> str | None:
    """Why this machine cannot run the oracle (None when it can): root, network namespaces,
    tcpdump, ss, and iptables and ip6tables that accept an NFQUEUE rule (tried in a namespace
    of its own, deleted at once)."""
    reason = capture_unavailable()
    if reason is not None:
        return reason
    for tool in ("iptables", "ip6tables", "ss"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install iptables iproute2)"
    try:
        with _namespace() as ns:
            for tool in ("iptables", "ip6tables"):
                _run(["ip", "netns", "exec", ns, tool, *_QUEUE_RULE])
    except OracleError as exc:
        return f"no NFQUEUE in this kernel or iptables: {exc}"
    return None


@contextlib.contextmanager
def _namespace() -> Iterator[str]:
    """A fresh namespace with loopback up. On exit, whatever happened: every process still in
    it is killed (by pid, from ``ip netns pids``), then it is deleted, and its iptables rules and
    sockets with it."""
    name = f"tcporacle-{os.getpid()}-{secrets.token_hex(4)}"
    _run(["ip", "netns", "add", name])
    try:
        _run(["ip", "-n", name, "link", "set", "lo", "up"])
        yield name
    finally:
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
        for pid in pids.stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def _run(cmd: list[str], timeout: float = 10) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise OracleError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def _end(proc: subprocess.Popen[str], read_stderr: bool = False) -> str:
    """Stop a process this module started: SIGTERM, then SIGKILL if it does not go; close its
    pipes. Returns what it wrote to stderr when asked (not for tcpdump, whose stderr a thread
    reads)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    text = proc.stderr.read() if read_stderr and proc.stderr is not None else ""
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    return text


def _pcap_records(path: Path) -> int:
    """Complete records in a classic pcap file that tcpdump may still be writing."""
    raw = path.read_bytes() if path.exists() else b""
    pos, n = 24, 0
    order = "<" if raw[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    while pos + 16 <= len(raw):
        caplen = int.from_bytes(raw[pos + 8 : pos + 12], "little" if order == "<" else "big")
        if pos + 16 + caplen > len(raw):
            break
        pos, n = pos + 16 + caplen, n + 1
    return n


def _flight(line: str) -> dict[str, Any]:
    rec = json.loads(line)
    frame = decode_frame(LinkType.RAW, bytes.fromhex(rec["ip"]))
    seg, ip = frame.segment, frame.ip
    if seg is None or ip is None:
        raise OracleError(f"the delay line queued a packet that is not TCP: {frame.reason}")
    fmt = "[{}]:{}" if ip.version == 6 else "{}:{}"
    return {
        "in": rec["in"],
        "out": rec["out"],
        "src": fmt.format(ip.src, seg.src_port),
        "dst": fmt.format(ip.dst, seg.dst_port),
        "flags": seg.flags.tcpdump(),
    }


def _start_delay_line(inside: list[str], delay: float, log: Path) -> subprocess.Popen[str]:
    """The NFQUEUE delay line, once it has bound the queue (it prints "ready")."""
    cmd = [*inside, sys.executable, str(PROGRAMS), "delayline", "0", str(delay), str(log)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    if not ready or proc.stdout.readline().strip() != "ready":
        raise OracleError(f"the delay line did not start: {_end(proc, read_stderr=True)}")
    return proc


def run_scenario(scenario: Scenario, workdir: Path, timeout: float = 30) -> Run:
    """Run one scenario on the kernel; the capture is written to ``workdir/NAME.pcap``."""
    pcap = (workdir / f"{scenario.name}.pcap").resolve()
    log = (workdir / f"{scenario.name}.delay.jsonl").resolve()
    procs: list[subprocess.Popen[str]] = []
    dump = None
    with _namespace() as ns:
        inside = ["ip", "netns", "exec", ns]
        try:
            for tool in ("iptables", "ip6tables"):
                _run([*inside, tool, *_QUEUE_RULE])
            delay = _start_delay_line(inside, scenario.delay, log)
            procs.append(delay)
            # -Z root: Debian's tcpdump would otherwise drop to a user that cannot write here.
            cmd = ["tcpdump", "-i", "lo", "-n", "-U", "--immediate-mode", "-Z", "root"]
            dump = _Tcpdump.start([*inside, *cmd, "-w", str(pcap), "tcp"])
            procs.append(dump.proc)
            dump.wait_listening(timeout=10)
            spec = {"address": scenario.address, "settle": scenario.settle}
            drove = subprocess.run(
                [*inside, sys.executable, str(PROGRAMS), "drive"],
                input=json.dumps({**spec, "steps": list(scenario.steps)}),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            if drove.returncode != 0:
                raise OracleError(f"{scenario.name}: the driver failed: {drove.stderr}")
            _end(delay)  # SIGTERM: it releases whatever it still holds and closes its log
            flights = [_flight(line) for line in log.read_text().splitlines()]
            # Every packet the delay line let go is on loopback, so in the capture: wait for it.
            deadline = time.monotonic() + 10
            while _pcap_records(pcap) < len(flights) and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            if dump is not None:
                dump.stop()  # SIGINT: tcpdump writes what it holds; its stderr reader ends
            for proc in procs:
                _end(proc)
    log.unlink(missing_ok=True)
    result = json.loads(drove.stdout)
    for step, done in zip(scenario.steps, result["steps"], strict=True):
        if step.get("expect") != done["error"]:
            raise OracleError(
                f"{scenario.name}: step {done['i']} ({step['op']} {step.get('sock', '')}) ended "
                f"with {done['error'] or 'success'}, expected {step.get('expect') or 'success'}"
            )
    return Run(
        scenario.name,
        platform.release(),
        datetime.date.today().isoformat(),
        result["steps"],
        result["snapshots"],
        flights,
        checksums_complete=True,
        pcap=pcap,
    )


# -- shipping the captures ------------------------------------------------------------------------


_NOT_SHOWN = {"op", "sock", "settle", "expect", "wait"}  # how a step runs, not what it does


def timeline_text(run: Run) -> list[str]:
    """Markdown table rows, one per step: when the call was made, the call (and its error), when
    the kernel's states were read afterwards, and those states."""
    lines = []
    base = run.steps[0]["t0"]
    read = {snap["after"]: (snap, states) for snap, states in kernel_states(run)}
    for step in run.steps:
        spec = step["call"]
        args = [f"{k}={v!r}" for k, v in spec.items() if k not in _NOT_SHOWN]
        call = " ".join([spec["op"], *([spec["sock"]] if "sock" in spec else []), *args])
        err = f" -> {step['error']}" if step["error"] else ""
        t = f"| {step['t0'] - base:.3f} | {call}{err} |"
        if step["i"] not in read:
            lines.append(f"{t} - | not read: the next call followed at once |")
            continue
        snap, states = read[step["i"]]
        roles = sorted((label(run.spec, e), s) for e, s in states.items())
        told = ", ".join(f"{role} {s}" for role, s in roles)
        lines.append(f"{t} {snap['t0'] - base:.3f} | {told or '-'} |")
    return lines


def write_shipped(out: Path, runs: list[Run]) -> None:
    """NAME.pcap and NAME.json per new run, and a README saying how each shipped run was made
    (the runs already in ``out`` and not run again keep their files and their place)."""
    out.mkdir(parents=True, exist_ok=True)
    for run in runs:
        shutil.copyfile(run.pcap, out / f"{run.scenario}.pcap")
        (out / f"{run.scenario}.json").write_text(run.to_json() + "\n")
    runs = [Run.load(out / f"{name}.json") for name in SCENARIOS if (out / f"{name}.json").exists()]
    when: dict[str, list[str]] = {}
    for run in runs:
        when.setdefault(f"{run.date} on Linux {run.kernel}", []).append(run.scenario)
    readme = [
        "# Captures of Linux's own TCP",
        "",
        "Made by `python tests/linux_oracle.py --write tests/data/linux/` (as root; see",
        "tests/linux_oracle.py): each scenario runs in a fresh network namespace on loopback,",
        "with real sockets driven step by step, tcpdump recording (`-i lo`, filter `tcp`) and",
        "every outgoing TCP packet passing an NFQUEUE delay line (which also makes the kernel",
        "fill in the checksums, so every checksum here verifies). After each step the kernel's",
        "states were read back with `ss -tan` and `TCP_INFO`; NAME.json holds them (and the delay",
        "line's log) and the tables below summarise them. Times are seconds since the first",
        "step. Client port 40001 (and 40002, 40003 in listen-overflow-*), server port 5001.",
        "A `sysctl` step writes the namespace's own /proc/sys/net/ipv4 value, never the host's;",
        "`inject_rst` sends a RST from a raw socket. CLOSED means the kernel holds no connection",
        "state any more (gone from `ss`, or CLOSE through `TCP_INFO`); `ss` names a socket's",
        "state where it lists it, since `TCP_INFO` says CLOSE for a socket whose connection has",
        "moved on to TIME-WAIT.",
        "",
        *(f"Recorded {at}: {', '.join(names)}." for at, names in when.items()),
        "",
    ]
    for run in runs:
        sc = run.spec
        delay = f" Delay line: {sc.delay} s each way." if sc.delay else ""
        readme += [
            f"## {run.scenario}.pcap, {run.scenario}.json",
            "",
            f"{sc.about[0].upper()}{sc.about[1:]} (IPv{6 if sc.ipv6 else 4}).{delay}",
            "",
            "| call at (s) | call | states read at (s) | the kernel's states |",
            "|---|---|---|---|",
            *timeline_text(run),
            "",
            "On the wire (sequence numbers relative to the sender's ISN, ACKs to the receiver's):",
            "",
            "```",
            *wire_lines(sc, captured_segments(read_pcap(run.pcap)), everything=True),
            "```",
            "",
        ]
    (out / "README.md").write_text("\n".join(readme).rstrip("\n") + "\n")


def main(argv: list[str]) -> int:
    write = None
    if argv[:1] == ["--write"] and len(argv) >= 2:
        write, argv = Path(argv[1]), argv[2:]
    unknown = [name for name in argv if name not in SCENARIOS]
    if unknown:
        print(__doc__, file=sys.stderr)
        print(f"unknown: {', '.join(unknown)}; scenarios: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    reason = oracle_unavailable()
    if reason:
        print(f"cannot run the oracle here: {reason}", file=sys.stderr)
        return 2
    failed = unshippable = 0
    with tempfile.TemporaryDirectory(prefix="tcporacle-") as tmp:
        runs = []
        for sc in [SCENARIOS[name] for name in argv] or list(SCENARIOS.values()):
            run = run_scenario(sc, Path(tmp))
            capture = read_pcap(run.pcap)
            codec = check_codec(run, capture)
            observed, compared = check_observer(run, capture)
            observed, pinned = split_blind(run, observed)
            if bool(pinned) != bool(sc.observer_blind):
                observed.append(f"the declared blind spot did not show: {sc.observer_blind}")
            kernel, reference = check_reference(run, capture)
            differ, judged = check_states(run, capture)
            missing = [pair for pair in sc.shows if pair not in compared or pair not in judged]
            ok = not codec and not observed and not differ and not missing and kernel == reference
            failed += not ok
            print(
                f"{sc.name}: {'ok' if ok else 'DIFFERS'} ({len(compared)} observed states, "
                f"{len(judged)} reference states compared)"
            )
            for line in [*codec, *observed, *differ, *(f"never compared: {m}" for m in missing)]:
                print("   ", line)
            if kernel != reference:
                print("    kernel:   ", *kernel, sep="\n      ")
                print("    reference:", *reference, sep="\n      ")
            every = check_reference(run, capture, everything=True)
            if every[0] != every[1]:
                # Timing (an ACK Linux delayed), not a failure of a live run; but a recording
                # is replayed segment for segment by tests/test_linux_captures.py.
                print("    pure ACKs or data differ: not fit to ship, run again")
                unshippable += 1
            runs.append(run)
        if write is not None and (failed or unshippable):
            print(f"nothing written to {write}: a run differed", file=sys.stderr)
        elif write is not None:
            write_shipped(write, runs)
            print(f"wrote {len(runs)} captures to {write}")
    return 1 if failed or (write is not None and unshippable) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
