"""Capture reading, side by side: tcpcore's columnar and per-packet readers, dpkt, scapy, and a
plain struct loop, on one generated 1,000,000-packet pcap.

    .venv/bin/python benchmarks/bench_capture.py [--packets N] [--out FILE]

The capture is written to a temporary directory and deleted afterwards. It mimics a busy server
port: Ethernet II, IPv4 (about 2% IPv6), TCP to port 443 from a few thousand clients; 45% pure
ACKs, 35% segments of 1 to 600 bytes, 20% full 1448-byte segments; Timestamps options on 60% of
segments, SYNs with the usual MSS/SACK/TS/WS options; 1% UDP (DNS) as noise; every checksum right.

Each contender runs in its own subprocess, after its imports, so that its times and its peak
memory (VmHWM) are its own. Every contender does the same job: for each TCP segment, get time,
addresses, ports, seq, ack, flags, window and payload length. The slow ones run on a prefix of
the file (marked in the table); their rate is per packet all the same. Rates are given by the
wall clock and by the process's CPU time (user + system), best of a few runs each: on a shared
machine the CPU time is the steadier of the two, and the comparison with dpkt uses it. The
result table goes to stdout and to benchmarks/results/capture.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import random
import resource
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tcpcore.wire.checksum import internet_checksum  # noqa: E402

PREFIX = {"read_pcap": 100_000, "scapy": 20_000, "segment": 100_000}


# -- the capture ----------------------------------------------------------------------------


def generate(path: Path, n: int, seed: int = 2024) -> None:
    """Write an n-packet pcap of realistic server traffic (see the module docstring)."""
    rng = random.Random(seed)
    pool = rng.randbytes(1 << 16)
    ip4 = struct.Struct("!BBHHHBBH4s4s")
    tcp = struct.Struct("!HHIIBBHHH")
    rec = struct.Struct("<IIII")
    server4, server6 = bytes((192, 0, 2, 10)), bytes.fromhex("20010db8000000000000000000000443")
    eth = bytes.fromhex("020000000002020000000001")
    clients = [
        bytes((10, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)))
        for _ in range(3000)
    ]
    clients6 = [rng.randbytes(16) for _ in range(100)]
    shapes = _Shapes(rng, pool, eth, ip4, tcp, clients, clients6, server4, server6)
    t_sec, t_usec = 1_700_000_000, 0
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        chunk = []
        for _ in range(n):
            t_usec += rng.randint(1, 400)
            if t_usec >= 1_000_000:
                t_sec, t_usec = t_sec + 1, t_usec - 1_000_000
            r = rng.random()
            if r < 0.01:  # a DNS query over UDP
                frame = _udp(rng, eth, ip4, clients[rng.randrange(3000)], server4)
            else:
                frame = shapes.tcp_frame(r)
            chunk.append(rec.pack(t_sec, t_usec, len(frame), len(frame)) + frame)
            if len(chunk) == 8192:
                out.write(b"".join(chunk))
                chunk = []
        out.write(b"".join(chunk))


def _udp(rng: random.Random, eth: bytes, ip4: struct.Struct, src: bytes, dst: bytes) -> bytes:
    body = struct.pack("!HHHH", rng.randint(1024, 65535), 53, 8 + 30, 0) + rng.randbytes(30)
    header = ip4.pack(0x45, 0, 20 + len(body), 0, 0x4000, 64, 17, 0, src, dst)
    header = header[:10] + internet_checksum(header).to_bytes(2, "big") + header[12:]
    return eth + b"\x08\x00" + header + body


@dataclass
class _Shapes:
    """What every generated TCP frame draws from."""

    rng: random.Random
    pool: bytes
    eth: bytes
    ip4: struct.Struct
    tcp: struct.Struct
    clients: list[bytes]
    clients6: list[bytes]
    server4: bytes
    server6: bytes

    def tcp_frame(self, r: float) -> bytes:
        """A TCP segment between a client and the server's port 443, either way; ``r`` picks
        the kind: 3% handshake, 0.5% FIN, 0.2% RST, the rest data or pure ACKs."""
        rng = self.rng
        v6 = rng.random() < 0.02
        client = rng.choice(self.clients6) if v6 else rng.choice(self.clients)
        src, dst = client, self.server6 if v6 else self.server4
        sport, dport = 1024 + (sum(client) * 7) % 60000, 443
        if rng.random() < 0.5:
            src, dst, sport, dport = dst, src, dport, sport
        opts, flags, size = b"", 0x10, 0
        if r < 0.03:
            flags = 0x02 if r < 0.02 else 0x12
            # MSS 1460, SACK-permitted, timestamps, NOP, window scale 7: a Linux SYN
            opts = bytes.fromhex("020405b4 0402 080a").replace(b" ", b"") + rng.randbytes(8)
            opts += bytes.fromhex("01030307")
        else:
            if r < 0.035:
                flags = 0x11
            elif r < 0.037:
                flags = 0x04
            elif rng.random() < 0.55:
                size = 1448 if rng.random() < 0.2 / 0.55 else rng.randint(1, 600)
                flags = 0x18
            if rng.random() < 0.6:
                opts = b"\x01\x01\x08\x0a" + rng.randbytes(8)
        start = rng.randrange(len(self.pool) - size) if size else 0
        hlen = 20 + len(opts)
        seg = self.tcp.pack(
            sport,
            dport,
            rng.getrandbits(32),
            rng.getrandbits(32),
            (hlen // 4) << 4,
            flags,
            rng.randint(500, 65535),
            0,
            0,
        )
        seg += opts + self.pool[start : start + size]
        if v6:
            pseudo = src + dst + len(seg).to_bytes(4, "big") + b"\x00\x00\x00\x06"
        else:
            pseudo = src + dst + b"\x00\x06" + len(seg).to_bytes(2, "big")
        seg = seg[:16] + internet_checksum(pseudo + seg).to_bytes(2, "big") + seg[18:]
        if v6:
            header = struct.pack("!IHBB", 6 << 28, len(seg), 6, 64) + src + dst
            return self.eth + b"\x86\xdd" + header + seg
        header = self.ip4.pack(
            0x45, 0, 20 + len(seg), rng.getrandbits(16), 0x4000, 64, 6, 0, src, dst
        )
        header = header[:10] + internet_checksum(header).to_bytes(2, "big") + header[12:]
        return self.eth + b"\x08\x00" + header + seg


def prefix(src: Path, dst: Path, n: int) -> int:
    """Copy the first n records of a pcap file; returns how many were copied."""
    count = 0
    with open(src, "rb") as f, open(dst, "wb") as out:
        out.write(f.read(24))
        while count < n:
            head = f.read(16)
            if len(head) < 16:
                break
            out.write(head + f.read(int.from_bytes(head[8:12], "little")))
            count += 1
    return count


# -- the contenders (each runs in a child process) ------------------------------------------


def run_columnar(path: str) -> int:
    from tcpcore.capture.columnar import read_columns

    return len(read_columns(path))  # TCP segments; every record of the file was looked at


def run_read_pcap(path: str) -> int:
    from tcpcore import read_pcap

    n = 0
    for p in read_pcap(path):
        n += 1
        if p.segment is not None:
            s = p.segment
            _ = (p.time, p.src, p.dst, s.seq, s.ack, s.flags, s.window, len(s.payload))
    return n


def run_dpkt(path: str) -> int:
    import dpkt

    n = 0
    with open(path, "rb") as f:
        for ts, buf in dpkt.pcap.Reader(f):
            n += 1
            ip = dpkt.ethernet.Ethernet(buf).data
            if isinstance(ip, dpkt.ip.IP | dpkt.ip6.IP6) and isinstance(ip.data, dpkt.tcp.TCP):
                t = ip.data
                _ = (
                    ts,
                    ip.src,
                    ip.dst,
                    t.sport,
                    t.dport,
                    t.seq,
                    t.ack,
                    t.flags,
                    t.win,
                    len(t.data),
                )
    return n


def run_scapy(path: str) -> int:
    import logging

    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.layers.inet import TCP
    from scapy.utils import PcapReader

    n = 0
    for pkt in PcapReader(path):
        n += 1
        if TCP in pkt:
            t, ip = pkt[TCP], pkt[TCP].underlayer
            _ = (pkt.time, ip.src, ip.dst, t.sport, t.dport, t.seq, t.ack, t.flags, t.window)
            _ = len(t.payload)
    return n


def run_struct(path: str) -> int:
    """The baseline: a plain loop of struct.unpack_from over the file (IPv4/IPv6, Ethernet)."""
    data = Path(path).read_bytes()
    rec = struct.Struct("<IIII").unpack_from
    tcp = struct.Struct("!HHIIBBH").unpack_from
    at, n = 24, 0
    while at + 16 <= len(data):
        sec, usec, caplen, _ = rec(data, at)
        d = at + 16
        ethertype = int.from_bytes(data[d + 12 : d + 14], "big")
        if ethertype == 0x0800 and data[d + 23] == 6:
            t = d + 14 + (data[d + 14] & 0x0F) * 4
            src, dst = data[d + 26 : d + 30], data[d + 30 : d + 34]
            sport, dport, seq, ack, off, flags, win = tcp(data, t)
            _ = (sec + usec / 1e6, src, dst, sport, dport, seq, ack, flags, win)
            _ = int.from_bytes(data[d + 16 : d + 18], "big") - (t - d - 14) - (off >> 4) * 4
        elif ethertype == 0x86DD and data[d + 20] == 6:
            sport, dport, seq, ack, off, flags, win = tcp(data, d + 54)
            _ = (sec + usec / 1e6, data[d + 22 : d + 38], data[d + 38 : d + 54], sport, seq, win)
        at = d + caplen
        n += 1
    return n


def run_segment(path: str) -> int:
    """Segment.decode then Segment.encode on every TCP segment of the file: the count is the
    number of segments; the child reports the two rates separately."""
    from tcpcore import read_pcap
    from tcpcore.wire.segment import Segment

    raws = []
    for p in read_pcap(path):
        if p.segment is not None:
            raws.append(p.segment.encode())
    t0 = time.process_time()  # CPU time: steadier than the wall clock on a busy machine
    segs = [Segment.decode(r) for r in raws]
    t1 = time.process_time()
    for s in segs:
        s.encode()
    t2 = time.process_time()
    print(json.dumps({"decode_s": t1 - t0, "encode_s": t2 - t1}), file=sys.stderr)
    return len(raws)


CONTENDERS = {
    "columnar": run_columnar,
    "read_pcap": run_read_pcap,
    "dpkt": run_dpkt,
    "scapy": run_scapy,
    "struct": run_struct,
    "segment": run_segment,
}


# What each contender imports: loaded before the clock starts, so imports are not timed.
IMPORTS = {
    "columnar": ["tcpcore.capture.columnar"],
    "read_pcap": ["tcpcore"],
    "dpkt": ["dpkt"],
    "scapy": ["scapy.utils", "scapy.layers.inet"],
    "struct": [],
    "segment": ["tcpcore"],
}


def child(name: str, path: str) -> None:
    """Run one contender in this (fresh) process and print its count, times and memory."""
    for module in IMPORTS[name]:
        importlib.import_module(module)
    base = peak_rss()
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    count = CONTENDERS[name](path)
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    result = {"count": count, "seconds": seconds, "cpu": cpu, "peak": peak_rss(), "base": base}
    print(json.dumps(result))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss() -> int:
    """This process's peak resident set in bytes: VmHWM, which (unlike ru_maxrss) starts afresh
    at exec instead of inheriting the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(name: str, path: Path, runs: int = 1) -> dict[str, float]:
    """Run a contender ``runs`` times, each in a fresh process; keep the run that used the
    least CPU time (the others were disturbed by something else on the machine)."""
    results = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", name, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
        if name == "segment":
            result.update(json.loads(proc.stderr.strip().splitlines()[-1]))
        results.append(result)
    return min(results, key=lambda r: r["cpu"])


# -- the report ------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.platform()}, {model}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load:.1f} when the run started"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "capture.md")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    where = machine()
    with tempfile.TemporaryDirectory(prefix="tcpcore-bench-") as tmp:
        full = Path(tmp) / "full.pcap"
        t0 = time.perf_counter()
        generate(full, args.packets)
        print(
            f"generated {args.packets} packets in {time.perf_counter() - t0:.1f} s", file=sys.stderr
        )
        files = {"full": (full, args.packets)}
        for name, n in PREFIX.items():
            part = Path(tmp) / f"{name}.pcap"
            files[name] = (part, prefix(full, part, min(n, args.packets)))
        plan = [  # label, contender, file, runs (best of)
            ("tcpcore read_columns (numpy)", "columnar", "full", 5),
            ("plain struct loop (baseline)", "struct", "full", 3),
            ("dpkt 1.9 (Ethernet/IP/TCP objects)", "dpkt", "full", 2),
            ("tcpcore read_pcap (per packet)", "read_pcap", "read_pcap", 2),
            ("scapy (PcapReader)", "scapy", "scapy", 2),
        ]
        rows = []
        for label, name, which, runs in plan:
            path, n = files[which]
            print(f"running {label} on {n} packets, best of {runs}", file=sys.stderr)
            result = measure(name, path, runs)
            if name != "columnar" and result["count"] != n:
                raise SystemExit(f"{label} read {result['count']} packets, not {n}")
            rows.append((label, n, path.stat().st_size, result))
        seg_path, _ = files["segment"]
        seg = measure("segment", seg_path, 2)
    table = _table(rows, seg, where, args.packets, full_size=rows[0][2])
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table)


def _table(
    rows: list[tuple[str, int, int, dict[str, float]]],
    seg: dict[str, float],
    where: str,
    total: int,
    full_size: int,
) -> str:
    dpkt_rate = next(r[1] / r[3]["cpu"] for r in rows if r[0].startswith("dpkt"))
    lines = [
        "# Capture reading benchmark",
        "",
        f"Machine: {where}.",
        "",
        f"Input: a generated {total:,}-packet pcap of {full_size / 1e6:.0f} MB (Ethernet, IPv4 "
        "with 2% IPv6, TCP with options on most segments, varied payload sizes, 1% UDP), "
        "written by `benchmarks/bench_capture.py`. Each contender runs in its own process and, "
        "for every TCP segment, gets time, addresses, ports, seq, ack, flags, window and payload "
        "length. Rates are per packet of the file read, by the wall clock and by the CPU time "
        "the process used (user + system), for the best of several runs (5 for read_columns, "
        "3 for the struct loop, 2 for the others); the comparison with dpkt uses CPU time, "
        "which a busy machine disturbs less. Peak memory is the process's peak resident set "
        '(VmHWM); "reading" is that peak minus the resident set after the imports, i.e. what '
        "reading took, compared with the size of the file read (the full file or the prefix).",
        "",
        "| reader | packets read | packets/s (wall) | packets/s (CPU) | vs dpkt | peak memory "
        "| reading | reading / file |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, n, size, r in rows:
        rate = n / r["cpu"]
        part = "" if n == total else f" (first {n:,} only)"
        grown = r["peak"] - r["base"]
        lines.append(
            f"| {label}{part} | {n:,} | {n / r['seconds']:,.0f} | {rate:,.0f} | "
            f"{rate / dpkt_rate:.1f}x | {r['peak'] / 1e6:.0f} MB | {grown / 1e6:.0f} MB | "
            f"{grown / size:.2f}x |"
        )
    count = seg["count"]
    dec, enc = seg["decode_s"], seg["encode_s"]
    lines += [
        "",
        f"Segment codec, on the {int(count):,} TCP segments of the first "
        f"{min(PREFIX['segment'], total):,} packets:",
        "",
        "| operation (CPU time) | segments/s | µs per segment |",
        "|---|---:|---:|",
        f"| `Segment.decode` | {count / dec:,.0f} | {dec / count * 1e6:.2f} |",
        f"| `Segment.encode` | {count / enc:,.0f} | {enc / count * 1e6:.2f} |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
