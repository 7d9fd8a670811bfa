"""The experiment's own process: real sockets, step by step, with ss and a capture after each.

:mod:`tcpcore.kernel.run` starts this file as a program of its own (``python -I driver.py``,
standard library only, nothing of tcpcore imported), usually under ``unshare -Urn``: a new user
namespace, in which this unprivileged process is root, and a new network namespace with only a
loopback interface, down. There the driver

1. brings ``lo`` up (the SIOCSIFFLAGS ioctl; no ``ip`` program needed),
2. opens an AF_PACKET socket on ``lo`` and records every frame leaving it (PACKET_OUTGOING: each
   loopback frame is also seen once more as it comes back in), with the kernel's timestamp,
3. carries out the steps (listen, connect, accept, send, recv, shutdown, close, SO_LINGER 0,
   ...; servers on 127.0.0.1, clients on 127.0.0.2: Linux routes all of 127.0.0.0/8 to ``lo``,
   and two addresses give a ladder two columns)
   and after each one, once the segments have settled, reads ``ss -tanoiH`` (or /proc/net/tcp),
4. prints one JSON object on stdout: each step with its errno name, each snapshot, the frames.

Every blocking call has a timeout; a step that fails unexpectedly ends the run with a message
naming it. When the process exits, the namespace, its sockets (TIME-WAIT included) and its
interface vanish with it. Without a namespace (``"namespace": false``) the same steps run on the
machine's loopback, without a capture, on free ports chosen at the start.

Input on stdin: {"steps": [...], "namespace": bool, "capture": bool, "settle": seconds,
"step_timeout": seconds, "server_ip", "client_ip", "ports": {symbol: number} (used in the
namespace)}. Progress lines ("step 3 accept") go to stderr, so that the parent can
name the step if it has to stop the process.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Any

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


class StepFailed(Exception):
    """A step that did not go as the experiment expects; the message names it."""


def lo_up() -> None:
    """Bring the namespace's loopback interface up (as ``ip link set lo up`` does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


class Capture:
    """AF_PACKET on lo, in a thread: (seconds, frame bytes) of every outgoing frame."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind(("lo", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.settimeout(0.05)
        self.frames: list[tuple[float, bytes]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                data, anc, _flags, addr = self.sock.recvmsg(65600, 64)
            except TimeoutError:
                continue
            except OSError:
                return
            if addr[2] != PACKET_OUTGOING:
                continue
            t = time.time()
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                    sec, nsec = struct.unpack("qq", value[:16])
                    t = sec + nsec / 1e9
            self.frames.append((t, data))

    def close(self) -> list[tuple[float, bytes]]:
        self.stop.set()
        self.thread.join(timeout=2)
        self.sock.close()
        return self.frames


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_sockets() -> tuple[str, str]:
    """("ss", text of ``ss -tanoiH``) or ("proc", /proc/net/tcp then tcp6)."""
    if shutil.which("ss"):
        out = subprocess.run(["ss", "-tanoiH"], capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            return "ss", out.stdout
    texts = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        if os.path.exists(name):
            with open(name, encoding="ascii") as f:
                texts.append(f.read())
    return "proc", "\n".join(texts)


class Driver:
    """Carries out the steps on real sockets (see the module docstring)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.settle = float(spec.get("settle", 0.1))
        self.timeout = float(spec.get("step_timeout", 2.0))
        self.namespace = bool(spec.get("namespace"))
        self.server_ip, self.client_ip = spec["server_ip"], spec["client_ip"]
        names = {p for s in spec["steps"] for k in ("port", "to") if isinstance(p := s.get(k), str)}
        if self.namespace:
            self.ports = {n: int(spec["ports"][n]) for n in sorted(names)}
        else:
            self.ports = {n: free_port() for n in sorted(names)}
        self.socks: dict[str, socket.socket] = {}
        self.linger0: set[str] = set()
        self.results: list[dict[str, Any]] = []

    def port(self, value: int | str) -> int:
        return value if isinstance(value, int) else self.ports[value]

    def run(self, steps: list[dict[str, Any]]) -> str | None:
        """Run the steps; the message of the step that failed, or None."""
        for i, step in enumerate(steps):
            print(f"step {i + 1} {step['op']}", file=sys.stderr, flush=True)
            t0, error, detail = time.time(), None, ""
            try:
                detail = getattr(self, "op_" + step["op"])(step) or ""
            except TimeoutError:
                error = "ETIMEDOUT"
                detail = f"timed out after {self.timeout:g} s"
            except OSError as exc:
                error = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
                detail = exc.strerror or str(exc)
            time.sleep(float(step.get("settle", self.settle)))
            source, text = read_sockets()
            self.results.append(
                {"op": step["op"], "t0": t0, "t1": time.time(), "error": error,
                 "detail": detail, "source": source, "sockets": text}
            )  # fmt: skip
            if error is not None and error != step.get("expect"):
                return f"step {i + 1} ({step['op']} {step.get('sock', '')}): {error}: {detail}"
        return None

    def close_all(self) -> None:
        """Close what is left; on the host, abortively, so nothing lingers in ESTABLISHED."""
        for sock in self.socks.values():
            if not self.namespace:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        self.socks.clear()

    def _new(self, step: dict[str, Any]) -> socket.socket:
        old = self.socks.pop(step["sock"], None)
        if old is not None:
            old.close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socks[step["sock"]] = sock
        sock.settimeout(self.timeout)
        if step.get("reuseaddr", True):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if "port" in step:
            ip = self.client_ip if step["op"] == "connect" else self.server_ip
            sock.bind((ip, self.port(step["port"])))
        return sock

    def op_listen(self, step: dict[str, Any]) -> str:
        sock = self._new(step)
        sock.listen(int(step.get("backlog", 8)))
        return f"listening on {self.server_ip}:{sock.getsockname()[1]}"

    def op_connect(self, step: dict[str, Any]) -> str:
        sock = self._new(step)
        peer = (self.server_ip, self.port(step["to"]))
        if step.get("wait", True):
            sock.connect(peer)
            return f"connected from port {sock.getsockname()[1]}"
        sock.setblocking(False)
        code = sock.connect_ex(peer)
        if code not in (0, errno.EINPROGRESS):
            raise OSError(code, os.strerror(code))
        return "SYN sent (not waiting for the answer)"

    def op_accept(self, step: dict[str, Any]) -> str:
        conn, peer = self.socks[step["sock"]].accept()
        conn.settimeout(self.timeout)
        self.socks[step["as"]] = conn
        return f"accepted a connection from port {peer[1]}"

    def op_send(self, step: dict[str, Any]) -> str:
        data = step["data"].encode()
        self.socks[step["sock"]].sendall(data)
        return f"sent {len(data)} bytes"

    def op_recv(self, step: dict[str, Any]) -> str:
        got = self.socks[step["sock"]].recv(int(step.get("n", 4096)))
        return f"read {len(got)} bytes" + (": end of stream" if not got else f": {got!r}")

    def op_shutdown(self, step: dict[str, Any]) -> str:
        self.socks[step["sock"]].shutdown(socket.SHUT_WR)
        return "shutdown(SHUT_WR): our FIN is queued; we can still read"

    def op_close(self, step: dict[str, Any]) -> str:
        self.socks.pop(step["sock"]).close()
        return "closed"

    def op_linger0(self, step: dict[str, Any]) -> str:
        sock = self.socks[step["sock"]]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return "SO_LINGER {on, 0 s}: close() will reset the connection"

    def op_keepalive(self, step: dict[str, Any]) -> str:
        sock = self.socks[step["sock"]]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, int(step["idle"]))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, int(step["interval"]))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, int(step["probes"]))
        return f"keepalive after {step['idle']} s idle"

    def op_user_timeout(self, step: dict[str, Any]) -> str:
        ms = int(float(step["seconds"]) * 1000)
        self.socks[step["sock"]].setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, ms)
        return f"TCP_USER_TIMEOUT {ms} ms"

    def op_sleep(self, step: dict[str, Any]) -> str:
        time.sleep(min(float(step["seconds"]), 10.0))
        return f"waited {step['seconds']} s"

    def op_sysctl(self, step: dict[str, Any]) -> str:
        if not self.namespace:
            return "skipped: a sysctl can be set only in the experiment's own namespace"
        path = "/proc/sys/" + step["name"].replace(".", "/")
        with open(path, "w", encoding="ascii") as f:
            f.write(str(step["value"]))
        return f"{step['name']} = {step['value']}"


def main() -> int:
    spec = json.load(sys.stdin)
    out: dict[str, Any] = {"namespace": bool(spec.get("namespace")), "frames": []}
    out["kernel"] = os.uname().release
    capture = None
    try:
        if spec.get("namespace"):
            lo_up()
        if spec.get("capture"):
            capture = Capture()
    except OSError as exc:
        print(json.dumps({"setup_error": f"{type(exc).__name__}: {exc}"}))
        return 3
    driver = Driver(spec)
    try:
        out["problem"] = driver.run(spec["steps"])
    finally:
        if capture is not None:
            time.sleep(0.02)
            out["frames"] = [[t, data.hex()] for t, data in capture.close()]
        driver.close_all()
    out["ports"] = driver.ports
    out["steps"] = driver.results
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
