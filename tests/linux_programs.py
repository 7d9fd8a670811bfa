"""The two programs that run inside the oracle's network namespace (standard library only).

Why a separate file: :mod:`linux_oracle` starts these with ``ip netns exec NS python THIS_FILE
...``, so that every socket they open lives in the throwaway namespace; they import nothing from
tcpcore, so that what the kernel does is measured with nothing of the reference in the loop.

``drive``: reads a scenario (JSON on stdin: the socket family's address, a settle time and a
list of steps), carries out each step with real sockets, and after each one reads the kernel's
states back twice: ``ss -tanH`` (every TCP socket of the namespace, TIME-WAIT and orphans
included) and ``getsockopt(TCP_INFO)`` on every socket the program still holds. It prints one
JSON document: the steps with their times and errors, and the snapshots.

``delayline``: a delay line built on NFQUEUE. An iptables rule sends every outgoing TCP packet of
the namespace to queue 0; this program takes each packet from the kernel over a raw
NETLINK_NETFILTER socket, holds it for ``--delay`` seconds (first in, first out, as on a long
wire), then gives the verdict ACCEPT. It logs each packet's arrival and release times so that the
harness knows what was in flight when a snapshot was taken. Two side effects are wanted: with a
delay, segments sent close together cross on the wire (simultaneous open and close need that,
and this kernel has no netem); and the kernel completes a CHECKSUM_PARTIAL packet's checksum
before copying it to user space (nfqnl_build_packet_message calls skb_checksum_help), so that every
captured checksum is real even on loopback, where ``ethtool -K lo tx off`` is refused.
"""

from __future__ import annotations

import collections
import errno
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# -- the delay line -------------------------------------------------------------------------------

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_PAYLOAD = 1, 2, 10
NFQNL_CFG_CMD_BIND, NFQNL_COPY_PACKET = 1, 2
NF_ACCEPT = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NLMSG_HDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid (host byte order)
NLATTR = struct.Struct("=HH")


def _attr(kind: int, payload: bytes) -> bytes:
    n = NLATTR.size + len(payload)
    return NLATTR.pack(n, kind) + payload + b"\0" * (-n % 4)


def _nfq_message(mtype: int, flags: int, seq: int, queue: int, attrs: bytes) -> bytes:
    # struct nfgenmsg: family (AF_UNSPEC), version 0, res_id = the queue number, big-endian.
    body = struct.pack("!BBH", 0, 0, queue) + attrs
    kind = (NFNL_SUBSYS_QUEUE << 8) | mtype
    return NLMSG_HDR.pack(NLMSG_HDR.size + len(body), kind, flags, seq, 0) + body


def _configure(sock: socket.socket, queue: int) -> None:
    """Bind the queue and ask for whole packets; every request is acknowledged or fails."""
    requests = [
        _attr(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0, 0)),
        _attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0xFFFF, NFQNL_COPY_PACKET)),
    ]
    for seq, attrs in enumerate(requests, 1):
        sock.send(_nfq_message(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq, queue, attrs))
        reply = sock.recv(4096)
        _, kind, _, _, _ = NLMSG_HDR.unpack_from(reply, 0)
        code = struct.unpack_from("=i", reply, NLMSG_HDR.size)[0] if kind == NLMSG_ERROR else 0
        if code != 0:
            raise OSError(-code, f"NFQUEUE config request {seq}: {os.strerror(-code)}")


def _packets(data: bytes) -> list[tuple[int, bytes]]:
    """(packet id, IP packet) for each NFQNL_MSG_PACKET in one netlink read."""
    out, pos = [], 0
    while pos + NLMSG_HDR.size <= len(data):
        length, kind, _, _, _ = NLMSG_HDR.unpack_from(data, pos)
        if length < NLMSG_HDR.size:
            break
        if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            apos, packet_id, payload = pos + NLMSG_HDR.size + 4, None, b""
            while apos + NLATTR.size <= pos + length:
                alen, akind = NLATTR.unpack_from(data, apos)
                if alen < NLATTR.size:
                    break
                value = data[apos + NLATTR.size : apos + alen]
                if akind & 0x7FFF == NFQA_PACKET_HDR:
                    packet_id = struct.unpack_from("!I", value)[0]
                elif akind & 0x7FFF == NFQA_PAYLOAD:
                    payload = value
                apos += (alen + 3) & ~3
            if packet_id is not None:
                out.append((packet_id, payload))
        pos += (length + 3) & ~3
    return out


def delay_line(queue: int, delay: float, log_path: str) -> int:
    """Hold every queued packet ``delay`` seconds, FIFO; log it; accept it. Runs until SIGTERM."""
    stop = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind((0, 0))
    _configure(sock, queue)
    held: collections.deque[tuple[float, float, int, bytes]] = collections.deque()
    last_release = 0.0
    with open(log_path, "w", encoding="ascii") as log:

        def release(entry: tuple[float, float, int, bytes]) -> None:
            arrived, _, packet_id, packet = entry
            verdict = _attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id))
            sock.send(_nfq_message(NFQNL_MSG_VERDICT, NLM_F_REQUEST, 0, queue, verdict))
            record = {"in": arrived, "out": time.time(), "ip": packet.hex()}
            log.write(json.dumps(record) + "\n")
            log.flush()

        print("ready", flush=True)
        while not stop:
            now = time.time()
            while held and held[0][1] <= now:
                release(held.popleft())
            wait = 0.05 if not held else max(0.0, min(0.05, held[0][1] - now))
            try:
                readable, _, _ = select.select([sock], [], [], wait)
            except InterruptedError:
                continue
            if readable:
                arrived = time.time()
                for packet_id, packet in _packets(sock.recv(1 << 17)):
                    # FIFO: never overtake a packet already held, as on one wire.
                    last_release = max(arrived + delay, last_release)
                    held.append((arrived, last_release, packet_id, packet))
                    if delay == 0:
                        release(held.popleft())
        while held:  # let nothing die in the queue
            release(held.popleft())
    sock.close()
    return 0


# -- the driver -----------------------------------------------------------------------------------

# include/net/tcp_states.h, spelled as ss spells them.
KERNEL_STATES = {
    1: "ESTAB",
    2: "SYN-SENT",
    3: "SYN-RECV",
    4: "FIN-WAIT-1",
    5: "FIN-WAIT-2",
    6: "TIME-WAIT",
    7: "UNCONN",
    8: "CLOSE-WAIT",
    9: "LAST-ACK",
    10: "LISTEN",
    11: "CLOSING",
    12: "SYN-RECV",
}


def _name(addr: Any) -> str:
    """ "ip:port", or "[ip]:port" for IPv6, as ss and tcpcore's reader write them."""
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Driver:
    """Carries out scenario steps on real sockets; keeps what the kernel says after each."""

    def __init__(self, address: str, settle: float) -> None:
        self.address = address
        self.family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.settle = settle
        self.socks: dict[str, socket.socket] = {}
        self.names: dict[str, tuple[str, str | None]] = {}  # socket -> (local, peer)
        self.steps: list[dict[str, Any]] = []
        self.snapshots: list[dict[str, Any]] = []
        self.sniffer: socket.socket | None = None

    def run(self, steps: list[dict[str, Any]]) -> dict[str, Any]:
        for i, step in enumerate(steps):
            t0 = time.time()
            error = None
            try:
                getattr(self, "op_" + step["op"])(step)
            except OSError as exc:
                error = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            done = {"i": i, "op": step["op"], "call": step, "t0": t0, "t1": time.time()}
            self.steps.append({**done, "error": error})
            time.sleep(step.get("settle", self.settle))
            if step.get("read", True):
                self.snapshot(i)
        for sock in self.socks.values():
            sock.close()
        return {"steps": self.steps, "snapshots": self.snapshots}

    def snapshot(self, after: int) -> None:
        t0 = time.time()
        ss = subprocess.run(["ss", "-tanH"], capture_output=True, text=True, check=True).stdout
        rows = []
        for line in ss.splitlines():
            parts = line.split()
            if len(parts) >= 5:
                rows.append([parts[0], parts[3], parts[4]])
        info = []
        for name, sock in self.socks.items():
            local, peer = self.names.get(name, (None, None))
            if local is None or peer is None:
                continue
            state = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
            info.append([name, local, peer, KERNEL_STATES.get(state, str(state))])
        self.snapshots.append(
            {"after": after, "t0": t0, "t1": time.time(), "ss": rows, "tcp_info": info}
        )

    def _new(self, step: dict[str, Any], port: int) -> socket.socket:
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.address, port))
        self.socks[step["sock"]] = sock
        return sock

    # Each op_* carries out one kind of step; an OSError is recorded as the step's error.

    def op_listen(self, step: dict[str, Any]) -> None:
        self._new(step, step["port"]).listen(step.get("backlog", 8))

    def op_sysctl(self, step: dict[str, Any]) -> None:
        # net.ipv4.tcp_rfc1337 and tcp_syncookies are per network namespace: this sets the
        # oracle's own, never the host's.
        Path("/proc/sys/net/ipv4", step["name"]).write_text(f"{step['value']}\n")

    def op_sniff(self, step: dict[str, Any]) -> None:
        # A raw IPv4 socket gets a copy of every TCP packet the namespace receives (after the
        # delay line): inject_rst reads from it what the receiver expects next.
        self.sniffer = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.sniffer.setblocking(False)

    def op_inject_rst(self, step: dict[str, Any]) -> None:
        """A bare RST from ``from_port`` to ``to_port`` at exactly the receiver's RCV.NXT (the
        end of the last segment it got from that port), sent from outside either socket."""
        sniffer, rcv_nxt = self.sniffer, None
        if sniffer is None:
            raise OSError(errno.EBADF, "inject_rst needs a sniff step before it")
        while True:
            try:
                packet = sniffer.recv(65535)
            except BlockingIOError:
                break
            ihl = (packet[0] & 15) * 4
            sport, dport, seq = struct.unpack_from("!HHI", packet, ihl)
            if (sport, dport) == (step["from_port"], step["to_port"]):
                offset, flags = packet[ihl + 12] >> 4, packet[ihl + 13]
                length = len(packet) - ihl - offset * 4 + (flags & 1) + (flags >> 1 & 1)
                rcv_nxt = (seq + length) & 0xFFFFFFFF
        if rcv_nxt is None:
            raise OSError(errno.ENOMSG, f"no segment from port {step['from_port']} was seen")
        header = struct.pack(
            "!HHIIBBHHH", step["from_port"], step["to_port"], rcv_nxt, 0, 5 << 4, 0x04, 0, 0, 0
        )
        src = dst = socket.inet_aton(self.address)
        pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(header))
        total = sum(struct.unpack(f"!{len(pseudo + header) // 2}H", pseudo + header))
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        header = header[:16] + struct.pack("!H", ~total & 0xFFFF) + header[18:]
        sniffer.sendto(header, (self.address, 0))

    def op_connect(self, step: dict[str, Any]) -> None:
        sock = self._new(step, step["port"])
        peer = (self.address, step["to"])
        self.names[step["sock"]] = (_name(sock.getsockname()), _name(peer))
        if step.get("wait", True):
            sock.settimeout(5)
            sock.connect(peer)
        else:  # simultaneous open: both SYNs must leave before either is answered
            sock.setblocking(False)
            code = sock.connect_ex(peer)
            if code != errno.EINPROGRESS:
                raise OSError(code, os.strerror(code))

    def op_wait_connected(self, step: dict[str, Any]) -> None:
        sock = self.socks[step["sock"]]
        _, writable, _ = select.select([], [sock], [], 5)
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if writable else errno.ETIMEDOUT
        if code:
            raise OSError(code, os.strerror(code))
        sock.settimeout(5)

    def op_accept(self, step: dict[str, Any]) -> None:
        listener = self.socks[step["sock"]]
        listener.settimeout(5)
        conn, peer = listener.accept()
        conn.settimeout(5)
        self.socks[step["as"]] = conn
        self.names[step["as"]] = (_name(conn.getsockname()), _name(peer))

    def op_send(self, step: dict[str, Any]) -> None:
        self.socks[step["sock"]].sendall(step["data"].encode())

    def op_recv(self, step: dict[str, Any]) -> None:
        sock, want, got = self.socks[step["sock"]], step["n"], b""
        while len(got) < want:
            chunk = sock.recv(want - len(got))
            if not chunk:
                raise OSError(errno.EPIPE, f"end of stream after {len(got)} of {want} bytes")
            got += chunk

    def op_recv_eof(self, step: dict[str, Any]) -> None:
        if self.socks[step["sock"]].recv(1) != b"":
            raise OSError(errno.EPROTO, "data where the end of the stream was expected")

    def op_shutdown(self, step: dict[str, Any]) -> None:
        self.socks[step["sock"]].shutdown(socket.SHUT_WR)

    def op_close(self, step: dict[str, Any]) -> None:
        self.socks.pop(step["sock"]).close()

    def op_linger0(self, step: dict[str, Any]) -> None:
        # l_onoff=1, l_linger=0: close() will abort the connection with a RST (RFC 9293 3.6).
        sock = self.socks[step["sock"]]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def op_keepalive(self, step: dict[str, Any]) -> None:
        sock = self.socks[step["sock"]]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, step["idle"])
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, step["interval"])
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, step["probes"])

    def op_blackhole(self, step: dict[str, Any]) -> None:
        # Drop on arrival what the given port sends: the capture (taken as the packet leaves)
        # still sees it, the receiving socket never does.
        tool = "ip6tables" if self.family == socket.AF_INET6 else "iptables"
        rule = ["-I", "INPUT", "-p", "tcp", "--sport", str(step["from_port"]), "-j", "DROP"]
        subprocess.run([tool, *rule], check=True, capture_output=True)

    def op_sleep(self, step: dict[str, Any]) -> None:
        time.sleep(step["seconds"])


def main(argv: list[str]) -> int:
    if argv[:1] == ["drive"]:
        spec = json.load(sys.stdin)
        result = Driver(spec["address"], spec["settle"]).run(spec["steps"])
        json.dump(result, sys.stdout)
        return 0
    if argv[:1] == ["delayline"] and len(argv) == 4:
        return delay_line(int(argv[1]), float(argv[2]), argv[3])
    print(
        "usage: linux_programs.py drive < SCENARIO.json | delayline QUEUE DELAY LOG",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
