"""Real captures of a real kernel's TCP, for the differential tests.

Why: tcpcore's reader is tested against bytes that tcpcore wrote itself elsewhere; here a Linux
kernel writes them. :func:`capture_exchange` creates a throwaway network namespace (so nothing
else's traffic lands in the file and no port can clash), starts tcpdump on its loopback, runs
:func:`exchange` inside it, and stops tcpdump once the last packet is on disk. The exchange covers
what the course teaches:

1. IPv4, client 127.0.0.1:40001 -> server 127.0.0.1:5001: three-way handshake, a line each way,
   the client closes first (``shutdown(SHUT_WR)``), then the server: a FIN from each side.
2. IPv4, client :40002 -> server :5002: handshake, a line from the client, then the client closes
   with ``SO_LINGER`` 0, which sends a RST instead of a FIN (abortive close, RFC 9293 3.6).
3. IPv6, client [::1]:40003 -> server [::1]:5003: handshake, a line each way, this time the
   server closes first.
4. One UDP datagram carrying :data:`END_MARKER` to a bound receiver: the one non-TCP packet, and
   the sign that everything before it has reached the file.

Everything runs as root (namespaces and packet capture need it). The namespace has a unique name
and is deleted, and every process started here is reaped, on success and on failure alike.

As a script::

    python tests/captures.py record DIR     # write the committed captures (see their README)
    python tests/captures.py exchange       # internal: run the exchange (inside the namespace)

The dpkt-based :func:`dpkt_segments` is the independent reader the tests compare tcpcore with.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

END_MARKER = b"tcpcourse-capture-end"
CLIENT_LINE = b"hello from the client, over loopback TCP\n"
SERVER_LINE = b"hello from the server, over loopback TCP\n"
ABORT_LINE = b"this connection ends with a reset\n"
# (family, address, server port, client port) of the three connections, in order.
ORDERLY_V4 = (socket.AF_INET, "127.0.0.1", 5001, 40001)
ABORT_V4 = (socket.AF_INET, "127.0.0.1", 5002, 40002)
ORDERLY_V6 = (socket.AF_INET6, "::1", 5003, 40003)
UDP_PORT = 5009

# How the committed files in tests/data/captures were made: name -> extra tcpdump arguments.
COMMITTED = {
    "exchange.pcap": [],
    "exchange-nano.pcap": ["--time-stamp-precision", "nano"],
    # 96 bytes keep every header (the longest, an IPv6 SYN: 14 Ethernet + 40 IPv6 + 40 TCP) and
    # cut every payload (all lines are over 30 bytes, and the shortest data header, IPv4 with
    # timestamps, is 14 + 20 + 32 = 66): no checksum can be verified.
    "exchange-snap96.pcap": ["-s", "96"],
}


# -- the exchange (runs inside the namespace) -----------------------------------------------------


def _pair(
    family: int, addr: str, server_port: int, client_port: int
) -> tuple[socket.socket, socket.socket, socket.socket]:
    """A connected (listener, server side, client side), the client bound to a fixed port so
    that the capture reads the same on every run."""
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((addr, server_port))
    listener.listen(1)
    client = socket.socket(family, socket.SOCK_STREAM)
    client.bind((addr, client_port))
    client.settimeout(5)
    listener.settimeout(5)
    client.connect((addr, server_port))
    server, _ = listener.accept()
    server.settimeout(5)
    return listener, server, client


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"peer closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def _orderly(family: int, addr: str, sport: int, cport: int, *, client_first: bool) -> None:
    listener, server, client = _pair(family, addr, sport, cport)
    with listener, server, client:
        client.sendall(CLIENT_LINE)
        assert _recv_exactly(server, len(CLIENT_LINE)) == CLIENT_LINE
        server.sendall(SERVER_LINE)
        assert _recv_exactly(client, len(SERVER_LINE)) == SERVER_LINE
        first, second = (client, server) if client_first else (server, client)
        first.shutdown(socket.SHUT_WR)  # FIN from the active closer
        assert second.recv(1) == b""  # ... seen as end of stream by the passive one,
        second.close()  # whose close sends the second FIN
        assert first.recv(1) == b""


def _abort(family: int, addr: str, sport: int, cport: int) -> None:
    listener, server, client = _pair(family, addr, sport, cport)
    with listener, server, client:
        client.sendall(ABORT_LINE)
        assert _recv_exactly(server, len(ABORT_LINE)) == ABORT_LINE
        # l_onoff=1, l_linger=0: close() discards the connection and sends RST (RFC 9293 3.6).
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        try:
            server.recv(1)
        except ConnectionResetError:
            pass
        else:
            raise AssertionError("the server did not see the reset")


def exchange() -> None:
    """The scripted exchange. Runs inside the namespace; raises if any step misbehaves."""
    _orderly(*ORDERLY_V4, client_first=True)
    _abort(*ABORT_V4)
    _orderly(*ORDERLY_V6, client_first=False)
    # The last FIN's ACK leaves in the same softirq that delivers the FIN, so it is on the wire
    # by now; a short pause keeps the marker clear of it anyway.
    time.sleep(0.05)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx,
    ):
        rx.bind(("127.0.0.1", UDP_PORT))
        tx.sendto(END_MARKER, ("127.0.0.1", UDP_PORT))
        rx.settimeout(5)
        assert rx.recv(64) == END_MARKER


# -- capturing (runs as root, outside the namespace) ----------------------------------------------


class CaptureError(RuntimeError):
    """The capture could not be made; the message carries the failing step and its stderr."""


def capture_unavailable() -> str | None:
    """Why this machine cannot make captures, or None when it can (root, tcpdump, ip, netns)."""
    if os.geteuid() != 0:
        return "capturing needs root (network namespaces and tcpdump)"
    for tool in ("tcpdump", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    name = f"tcpc-probe-{os.getpid()}-{secrets.token_hex(3)}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
    return None


def namespace_name() -> str:
    """A name no other run (or other tool on the machine) will pick."""
    return f"tcpc-{os.getpid()}-{secrets.token_hex(4)}"


@contextlib.contextmanager
def _namespace(name: str) -> Iterator[str]:
    """A fresh network namespace with its loopback up, deleted on exit whatever happened."""
    _run(["ip", "netns", "add", name])
    try:
        _run(["ip", "-n", name, "link", "set", "lo", "up"])
        yield name
    finally:
        _run(["ip", "netns", "del", name])


def _run(cmd: list[str], timeout: float = 10) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise CaptureError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}")
    return done


@dataclass
class _Tcpdump:
    """A tcpdump process whose stderr is drained by a thread into ``lines``."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    seen: list[str]
    reader: threading.Thread

    @classmethod
    def start(cls, cmd: list[str]) -> _Tcpdump:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        lines: queue.Queue[str | None] = queue.Queue()
        seen: list[str] = []

        def drain() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                seen.append(line.rstrip("\n"))
                lines.put(line)
            lines.put(None)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        return cls(proc, lines, seen, reader)

    def wait_listening(self, timeout: float) -> None:
        """Block until tcpdump says "listening on": from then on its socket sees every packet."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise CaptureError(f"tcpdump exited before capturing: {self.stderr()}")
            if "listening on" in line:
                return
        raise CaptureError(f"tcpdump was not listening after {timeout}s: {self.stderr()}")

    def stop(self, timeout: float = 10) -> None:
        """SIGINT (tcpdump flushes, prints its counters and exits 0); kill only if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout)
        if self.proc.stderr is not None and not self.reader.is_alive():
            self.proc.stderr.close()

    def stderr(self) -> str:
        return " | ".join(self.seen)


def _wait_for_marker(path: Path, timeout: float) -> None:
    """With -U tcpdump writes each packet as it arrives: the marker in the file means that every
    packet sent before it has been written too (loopback delivers in order)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and END_MARKER in path.read_bytes():
            return
        time.sleep(0.02)
    raise CaptureError(f"the end marker never reached {path}")


def capture_exchange(
    path: Path,
    tcpdump_args: list[str] | None = None,
    timeout: float = 30,
    namespace: str | None = None,
    command: list[str] | None = None,
) -> Path:
    """Capture :func:`exchange` into ``path`` (a pcap) and return ``path``.

    ``tcpdump_args`` are extra tcpdump options (``-s 96``, ``--time-stamp-precision nano``);
    ``namespace`` names the throwaway namespace (default: :func:`namespace_name`); ``command``
    replaces the exchange (the tests use it to make the exchange fail).
    Raises :class:`CaptureError` when a step fails or tcpdump reports dropped packets.
    """
    path = Path(path).resolve()
    with _namespace(namespace or namespace_name()) as ns:
        cmd = ["ip", "netns", "exec", ns, "tcpdump", "-i", "lo", "-n", "-U", "--immediate-mode"]
        # -Z root: Debian's tcpdump otherwise drops to the "tcpdump" user before opening the
        # output file, which then fails in root-owned directories.
        # -B 65536 (KiB): in immediate mode libpcap gives every ring slot a whole snap length
        # (256 KiB by default), so the default 2 MiB ring holds 8 packets and the exchange's
        # burst of ~50 (each seen twice on lo) overflowed it: "14 packets dropped by kernel".
        cmd += ["-Z", "root", "-B", "65536", *(tcpdump_args or []), "-w", str(path)]
        dump = _Tcpdump.start(cmd)  # ip netns exec execs tcpdump: the pid is tcpdump's own
        try:
            dump.wait_listening(timeout=10)
            script = command or [sys.executable, str(Path(__file__).resolve()), "exchange"]
            ran = subprocess.run(
                ["ip", "netns", "exec", ns, *script],
                capture_output=True, text=True, timeout=timeout,
            )  # fmt: skip
            if ran.returncode != 0:
                raise CaptureError(f"the exchange failed ({ran.returncode}): {ran.stderr}")
            _wait_for_marker(path, timeout=10)
        finally:
            dump.stop()
        if dump.proc.returncode != 0:
            raise CaptureError(f"tcpdump exited {dump.proc.returncode}: {dump.stderr()}")
        dropped = re.search(r"(\d+) packets? dropped by kernel", dump.stderr())
        if dropped is None or int(dropped.group(1)) != 0:
            raise CaptureError(f"tcpdump lost packets or did not report: {dump.stderr()}")
    return path


# -- the independent reader ------------------------------------------------------------------------


@dataclass(frozen=True)
class RefSegment:
    """One TCP segment as dpkt (and a few lines of struct, for the record header) read it."""

    index: int
    ts_sec: int
    ts_frac: int  # micro- or nanoseconds, as the file's magic says
    nano: bool
    caplen: int
    wire_len: int
    src: str
    dst: str
    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    reserved: int
    win: int
    urp: int
    sum: int
    opts: list[tuple[int, bytes]]
    payload: bytes
    payload_wire_len: int  # from the IP length field: what was sent, even if the capture cut it
    ip_src: bytes
    ip_dst: bytes
    segment_bytes: bytes  # the TCP header and payload as captured

    @property
    def time(self) -> float:
        return self.ts_sec + self.ts_frac / (1e9 if self.nano else 1e6)

    @property
    def time_ns(self) -> int:
        return self.ts_sec * 10**9 + self.ts_frac * (1 if self.nano else 1000)


def _record_headers(path: Path) -> tuple[bool, list[tuple[int, int, int, int]]]:
    """Classic pcap record headers (ts_sec, ts_frac, caplen, wire_len), read with struct."""
    raw = path.read_bytes()
    magic = raw[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<"}.get(magic, ">")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    out, pos = [], 24
    while pos + 16 <= len(raw):
        ts_sec, ts_frac, caplen, wire_len = struct.unpack_from(order + "IIII", raw, pos)
        out.append((ts_sec, ts_frac, caplen, wire_len))
        pos += 16 + caplen
    return nano, out


def dpkt_segments(path: Path) -> tuple[list[RefSegment], int]:
    """Every TCP segment of a classic pcap file as dpkt reads it, and the number of other packets.

    Only what the tests need from dpkt: Ethernet, IPv4 and IPv6 without extension headers, which
    is all that a loopback capture holds.
    """
    import dpkt  # type: ignore[import-untyped]  # the oracle; not needed to make a capture

    nano, headers = _record_headers(path)
    segments, others = [], 0
    with path.open("rb") as f:
        for index, ((_, buf), hdr) in enumerate(zip(dpkt.pcap.Reader(f), headers, strict=True)):
            eth = dpkt.ethernet.Ethernet(buf)
            ip = eth.data
            if not isinstance(ip, dpkt.ip.IP | dpkt.ip6.IP6) or ip.p != 6:
                others += 1
                continue
            if isinstance(ip, dpkt.ip.IP):
                family, ip_hlen, ip_len = socket.AF_INET, ip.hl * 4, ip.len
                start = 14 + ip_hlen
                payload_room = ip_len - ip_hlen
            else:
                family, start = socket.AF_INET6, 14 + 40
                payload_room = ip.plen
            tcp = dpkt.tcp.TCP(buf[start:])
            hlen = (tcp._off_flags >> 12) * 4
            a, b = socket.inet_ntop(family, ip.src), socket.inet_ntop(family, ip.dst)
            fmt = "{}:{}" if family == socket.AF_INET else "[{}]:{}"
            segments.append(
                RefSegment(
                    index=index,
                    ts_sec=hdr[0],
                    ts_frac=hdr[1],
                    nano=nano,
                    caplen=hdr[2],
                    wire_len=hdr[3],
                    src=fmt.format(a, tcp.sport),
                    dst=fmt.format(b, tcp.dport),
                    sport=tcp.sport,
                    dport=tcp.dport,
                    seq=tcp.seq,
                    ack=tcp.ack,
                    flags=tcp._off_flags & 0xFF,
                    reserved=(tcp._off_flags >> 8) & 0x0F,
                    win=tcp.win,
                    urp=tcp.urp,
                    sum=tcp.sum,
                    opts=[o for o in dpkt.tcp.parse_opts(bytes(tcp.opts)) if o is not None],
                    payload=bytes(tcp.data),
                    payload_wire_len=payload_room - hlen,
                    ip_src=bytes(ip.src),
                    ip_dst=bytes(ip.dst),
                    segment_bytes=bytes(buf[start:]),
                )
            )
    return segments, others


def main(argv: list[str]) -> int:
    if argv[:1] == ["exchange"]:
        exchange()
        return 0
    if argv[:1] == ["record"] and len(argv) == 2:
        out = Path(argv[1])
        out.mkdir(parents=True, exist_ok=True)
        for name, args in COMMITTED.items():
            target = capture_exchange(out / name, args)
            print(f"{target}: {target.stat().st_size} bytes")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
