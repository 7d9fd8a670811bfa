"""Benchmark: many whole connections through the simulated network.

10,000 client/server pairs (by default), each: the three-way handshake, 10 KB from the client
and 10 KB from the server, then both close (the client first, so it holds TIME-WAIT), over links
that lose 1% of segments. Everything runs on one :class:`tcpcore.sim.network.Network`, so the event
loop, its heap and the timers are exercised together with the connections.

The figure of merit is segments processed per second of wall time: every call of
``Connection.receive`` counts (the network counts them in ``Network.receives``, the throw-away
connections that answer for closed ports included). The goal is 100,000 segments/s. Per CPU
second is printed too: on a shared machine it varies less than wall time.

    python benchmarks/bench_connections.py                   # 10,000 connections, with a trace
    python benchmarks/bench_connections.py --no-record       # no trace: the loop and TCP only
    python benchmarks/bench_connections.py -n 1000 --cprofile 25   # where does the time go?
    python benchmarks/bench_connections.py -n 1000 --no-record --against HEAD~5
        # before/after in one run: REV's tcpcore (git archive into a temporary folder) and this
        # checkout's, alternated in fresh processes, same script, same workload

Results and the profile's reading are in benchmarks/results/connections.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

# --against runs this script again with the tcpcore of another revision first on the path.
sys.path.insert(0, os.environ.get("TCPCORE_BENCH_ROOT") or str(Path(__file__).parent.parent))

# The public names, which every revision has; Link only from where the network lives (--against
# a revision from before tcpcore/sim/ existed finds it at tcpcore.network).
from tcpcore import Connection, Network, State

try:
    from tcpcore.sim.network import Link
except ImportError:
    from tcpcore.network import Link  # type: ignore[import-not-found,no-redef]

REPO = Path(__file__).resolve().parent.parent
PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes each way


def build(n: int, loss: float, seed: int, record: bool) -> Network:
    """n pairs, started 1 ms apart; each pair has its own addresses."""
    net = Network(seed, link=Link(delay=0.05, loss=loss), record=record, max_steps=50_000_000)
    for i in range(n):
        hi, lo = divmod(i, 250)
        client_ip, server_ip = f"10.1.{hi}.{lo + 1}", f"10.2.{hi}.{lo + 1}"
        a, b = f"A{i}", f"B{i}"
        net.add(a, Connection(40000, 80, iss=100, local_ip=client_ip, remote_ip=server_ip))
        net.add(b, Connection(80, 40000, iss=300, local_ip=server_ip, remote_ip=client_ip))
        start = i * 0.001
        net.at(start, b, "listen")
        net.at(start, a, "connect")
        net.at(start, a, "send", PAYLOAD)  # queued in SYN-SENT, sent once ESTABLISHED
        net.at(start + 1.0, b, "send", PAYLOAD)
        net.at(start + 3.0, a, "close")
        net.at(start + 4.0, b, "close")
    return net


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.node()}: {platform.system()} {platform.release()}, {cpu}, "
        f"{os.cpu_count()} logical cores, Python {platform.python_version()}"
    )


def run(n: int, loss: float, seed: int, record: bool) -> dict[str, float]:
    t0 = time.perf_counter()
    net = build(n, loss, seed, record)
    t1, c1 = time.perf_counter(), time.process_time()
    net.run()
    t2, c2 = time.perf_counter(), time.process_time()
    closed = sum(
        1
        for i in range(n)
        if net.endpoint(f"A{i}").state is State.CLOSED
        and net.endpoint(f"B{i}").state is State.CLOSED
    )
    return {
        "connections": n,
        "closed": closed,
        "receives": net.receives,
        "steps": net.clock.steps,
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "per_s": net.receives / (t2 - t1),
        "cpu_s": c2 - c1,
        "per_cpu_s": net.receives / (c2 - c1),
        "virtual_s": net.now,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--connections", type=int, default=10_000)
    parser.add_argument("--loss", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="keep no trace")
    parser.add_argument("--cprofile", type=int, metavar="N", help="print the N costliest calls")
    parser.add_argument(
        "--against", metavar="REV", help="also run REV's tcpcore, alternately: before/after"
    )
    parser.add_argument("--rounds", type=int, default=3, help="with --against: runs of each")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args(argv)
    record = not args.no_record
    if args.against:
        return compare(args)
    if args.json:
        import tcpcore

        result = run(args.connections, args.loss, args.seed, record)
        print(json.dumps({**result, "tcpcore": str(Path(tcpcore.__file__).parent)}))
        return 0
    print(machine())
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    if args.cprofile:
        prof = cProfile.Profile()
        prof.enable()
        result = run(args.connections, args.loss, args.seed, record)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.cprofile)
    else:
        result = run(args.connections, args.loss, args.seed, record)
    print(
        f"{result['connections']:,} connections ({result['closed']:,} closed on both sides), "
        f"{args.loss:.0%} loss, trace {'on' if record else 'off'}: "
        f"{result['receives']:,} segments processed in {result['run_s']:.2f} s "
        f"= {result['per_s']:,.0f} segments/s "
        f"({result['per_cpu_s']:,.0f} per CPU second) "
        f"(setup {result['build_s']:.2f} s, {result['steps']:,} loop steps, "
        f"{result['virtual_s']:.1f} s simulated); goal 100,000 segments/s"
    )
    return 0


def compare(args: argparse.Namespace) -> int:
    """Before/after in one run: REV's tcpcore and this checkout's, each in fresh processes,
    alternated ``--rounds`` times; the medians of segments per CPU second and their ratio."""
    print(machine())
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-before-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.against, "tcpcore"],
            capture_output=True,
            check=False,
        )
        if archive.returncode:
            print(f"git archive {args.against}: {archive.stderr.decode().strip()}")
            return 2
        tar_path = Path(tmp) / "before.tar"
        tar_path.write_bytes(archive.stdout)
        with tarfile.open(tar_path) as tar:
            tar.extractall(tmp, filter="data")
        rev = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", args.against],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        roots = {f"before ({rev})": tmp, "after (this checkout)": str(REPO)}
        rates: dict[str, list[float]] = {label: [] for label in roots}
        cmd = [sys.executable, str(Path(__file__).resolve()), "--json"]
        cmd += ["-n", str(args.connections), "--loss", str(args.loss), "--seed", str(args.seed)]
        cmd += ["--no-record"] if args.no_record else []
        for i in range(args.rounds):
            for label, root in roots.items():
                env = {**os.environ, "TCPCORE_BENCH_ROOT": root}
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                result = json.loads(out.stdout.strip().splitlines()[-1])
                assert result["tcpcore"] == str(Path(root) / "tcpcore"), result["tcpcore"]
                rates[label].append(result["per_cpu_s"])
                print(
                    f"round {i + 1} {label}: {result['receives']:,} segments, "
                    f"{result['closed']:,}/{result['connections']:,} closed, "
                    f"{result['per_cpu_s']:,.0f} segments/CPU-s"
                )
    before, after = (statistics.median(r) for r in rates.values())
    print(
        f"median segments/CPU-s: before {before:,.0f}, after {after:,.0f}: "
        f"{after / before:.2f}x; load average after: {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
