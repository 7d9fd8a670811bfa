"""Running an experiment on this machine's kernel, wherever that is possible.

:func:`run_experiment` starts :mod:`tcpcore.kernel.driver` as a process of its own, in this order
of preference (``mode="auto"``):

1. ``namespace``: under ``unshare -Urn``, an unprivileged user + network namespace of its own,
   where it brings ``lo`` up and captures its frames with AF_PACKET: states from ``ss`` after each
   step, and the capture as a :class:`~tcpcore.capture.pcap.Capture` and a
   :class:`~tcpcore.trace.Trace`.
   Nothing outlives the process: its sockets and interface go with the namespace.
2. ``host``: where namespaces are refused (Docker's default seccomp profile, as on Binder), the
   same steps on the machine's own loopback on free ports, states from ``ss``, no capture.
   Sockets still open at the end are reset; TIME-WAIT entries stay in the kernel for 60 s.
3. ``recorded``: where no process can be started (Pyodide, JupyterLite), the run shipped in
   ``tcpcore/data/kernel`` (recorded with ``python -m tcpcore.kernel --record``).

Whatever is not possible is said in one line (``run.note``). A step that fails unexpectedly, and
a run that does not finish within ``timeout`` seconds (its process is then killed), are in
``run.problem``, naming the step; nothing raises for them.

Loopback never fills in TCP checksums (the stack leaves them to an offload that ``lo`` does not
do); the frames are given their checksums here, as the oracle's delay line does, so that tools
reading the capture do not flag every segment.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..capture.annotate import trace_from_capture
from ..capture.pcap import read_pcap, write_pcap
from ..protocol.states import State
from ..wire.checksum import tcp_checksum
from .experiments import CLIENT_IP, EXPERIMENTS, SERVER_IP, Experiment, port_numbers, roles
from .results import Run, StepResult, port_symbols, segment_label
from .ss import SocketRecord, parse_proc_net_tcp, parse_ss

__all__ = ["DRIVER", "namespace_refusal", "recorded_run", "run_experiment", "run_from_json"]

DRIVER = Path(__file__).with_name("driver.py")
MODES = ("auto", "namespace", "host", "recorded")
_refusal: dict[str, str | None] = {}


def _experiment(name: str | Experiment) -> Experiment:
    if isinstance(name, Experiment):
        return name
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ValueError(
            f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}"
        ) from None


def can_start_processes() -> bool:
    return sys.platform != "emscripten" and shutil.which(sys.executable or "") is not None


def namespace_refusal() -> str | None:
    """Why no private network namespace can be made here (None when one can): tried once."""
    if "reason" in _refusal:
        return _refusal["reason"]
    reason: str | None = None
    if not can_start_processes():
        reason = "this Python cannot start processes (Pyodide?)"
    elif not sys.platform.startswith("linux"):
        reason = f"this is not Linux ({sys.platform}): no ss, no network namespaces"
    elif shutil.which("unshare") is None:
        reason = "the unshare program (util-linux) is not installed"
    else:
        try:
            done = subprocess.run(
                ["unshare", "-Urn", "true"], capture_output=True, text=True, timeout=5
            )
            if done.returncode != 0:
                why = done.stderr.strip().splitlines() or ["exit status " + str(done.returncode)]
                reason = f"the kernel refused a private network namespace ({why[-1]})"
        except (OSError, subprocess.TimeoutExpired) as exc:
            reason = f"unshare -Urn failed: {exc}"
    _refusal["reason"] = reason
    return reason


def auto_mode() -> str:
    """What ``mode="auto"`` uses here: "namespace", "host" or "recorded"."""
    reason = namespace_refusal()
    if reason is None:
        return "namespace"
    if can_start_processes() and sys.platform.startswith("linux"):
        return "host"
    return "recorded"


def _launch(spec: dict[str, Any], namespace: bool, timeout: float) -> tuple[dict[str, Any], str]:
    """Run the driver; (its JSON, "") or ({}, a message naming what went wrong)."""
    cmd = [sys.executable, "-I", str(DRIVER)]
    if namespace:
        cmd = ["unshare", "-Urn", *cmd]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: killed as one if it hangs
    )
    try:
        out, err = proc.communicate(json.dumps(spec), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        steps = [line for line in err.splitlines() if line.startswith("step ")]
        where = steps[-1] if steps else "the start"
        return {}, f"{where} did not finish within {timeout:g} s; the experiment was stopped"
    if proc.returncode != 0 and not out.strip().startswith("{"):
        last = (err.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {}, f"the experiment's process failed: {last}"
    try:
        data: dict[str, Any] = json.loads(out)
    except json.JSONDecodeError:
        return {}, "the experiment's process printed no result"
    return data, ""


def _fill_checksums(frame: bytes) -> bytes:
    """An Ethernet + IPv4 + TCP frame with its TCP checksum computed (see the module doc)."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return frame
    ihl = (frame[14] & 0x0F) * 4
    total = int.from_bytes(frame[16:18], "big")
    start, end = 14 + ihl, 14 + total
    if end > len(frame) or end - start < 20:
        return frame
    tcp = frame[start:end]
    value = tcp_checksum(tcp, frame[26:30], frame[30:34])
    return frame[: start + 16] + value.to_bytes(2, "big") + frame[start + 18 :]


def _records(step: dict[str, Any]) -> list[SocketRecord]:
    text = step.get("sockets", "")
    return parse_ss(text) if step.get("source", "ss") == "ss" else parse_proc_net_tcp(text)


def _role_state(records: list[SocketRecord], lport: int, pport: int | None) -> State:
    for r in records:
        if r.local_port != lport:
            continue
        if pport is None and r.state is State.LISTEN:
            return State.LISTEN
        if pport is not None and r.peer_port == pport:
            return r.state
    return State.CLOSED


def run_from_json(
    experiment: str | Experiment, data: dict[str, Any], source: str, note: str = ""
) -> Run:
    """A :class:`Run` from the driver's JSON (a live run or a recorded one)."""
    exp = _experiment(experiment)
    ports = {k: int(v) for k, v in data.get("ports", {}).items()}
    names = port_symbols(ports)
    frames = [(float(t), _fill_checksums(bytes.fromhex(h))) for t, h in data.get("frames", [])]
    capture = trace = None
    packets: list[Any] = []
    if frames:
        buf = io.BytesIO()
        write_pcap(buf, frames)
        buf.seek(0)
        capture = read_pcap(buf)
        packets = [p for p in capture if p.kind == "tcp" and p.segment is not None]
        trace = trace_from_capture(capture, name=exp.name)
    raw = data.get("steps", [])
    t0 = raw[0]["t0"] if raw else 0.0
    the_roles = roles(exp.steps)
    steps: list[StepResult] = []
    for i, s in enumerate(raw):
        records = [r for r in _records(s) if r.local_port in names or r.peer_port in names]
        states = {}
        for role, local, peer in the_roles:
            if local in ports and (peer == "*" or peer in ports):
                states[role] = _role_state(records, ports[local], ports.get(peer))
        end = raw[i + 1]["t0"] if i + 1 < len(raw) else float("inf")
        segs = [
            segment_label(
                p.segment.src_port,
                p.segment.dst_port,
                p.segment.flags.tcpdump(),
                len(p.segment.payload),
                names,
            )
            for p in packets
            if s["t0"] <= p.time < end
        ]
        call = exp.steps[i]
        steps.append(
            StepResult(
                i + 1, s["op"], call.get("sock", ""), s.get("error"), s.get("detail", ""),
                states, segs, records, round(s["t0"] - t0, 6),
            )
        )  # fmt: skip
    return Run(
        exp,
        source,
        steps,
        ports,
        note=note,
        problem=data.get("problem"),
        kernel=data.get("kernel", ""),
        capture=capture,
        trace=trace,
        frames=frames,
        raw=data,
    )


def _recorded_folder() -> Path:
    return Path(str(resources.files("tcpcore") / "data" / "kernel"))


def recorded_run(experiment: str | Experiment, note: str = "") -> Run:
    """The run of the experiment shipped with tcpcore (tcpcore/data/kernel/NAME.json)."""
    exp = _experiment(experiment)
    path = _recorded_folder() / f"{exp.name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    when, release = data.get("recorded", "?"), data.get("kernel", "?")
    line = f"Showing the run recorded on {when} (Linux {release})."
    return run_from_json(exp, data, "recorded", " ".join(x for x in (note, line) if x))


def run_experiment(
    experiment: str | Experiment,
    *,
    mode: str = "auto",
    capture: bool = True,
    settle: float = 0.1,
    step_timeout: float = 2.0,
    timeout: float = 30.0,
    pcap: str | Path | None = None,
) -> Run:
    """Run an experiment on this machine's kernel (see the module docstring); ``pcap``: also
    write the capture there."""
    exp = _experiment(experiment)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    note = "On this machine's loopback, as asked (mode='host'): states from ss, no capture."
    use = mode
    if mode in ("auto", "namespace"):
        reason = namespace_refusal()
        if reason is None:
            use, note = "namespace", ""
        elif mode == "namespace" or auto_mode() == "recorded":
            use = "recorded"
            note = f"No live kernel experiment: {reason}."
        else:
            use = "host"
            note = f"No capture: {reason}; running on this machine's loopback, states from ss only."
    if use == "recorded":
        return recorded_run(exp, note if mode != "recorded" else "")
    spec = {
        "steps": list(exp.steps),
        "namespace": use == "namespace",
        "capture": capture and use == "namespace",
        "settle": settle,
        "step_timeout": step_timeout,
        "server_ip": SERVER_IP,
        "client_ip": CLIENT_IP,
        "ports": port_numbers(exp.steps),
    }
    data, problem = _launch(spec, use == "namespace", timeout)
    if "setup_error" in data and mode == "auto":
        why = data["setup_error"]
        note = f"No capture: the namespace could not be set up ({why}); running on loopback."
        spec.update(namespace=False, capture=False)
        data, problem = _launch(spec, False, timeout)
        use = "host"
    if problem or "setup_error" in data:
        run = Run(exp, use, [], {}, note=note, problem=problem or data["setup_error"])
    else:
        run = run_from_json(exp, data, use, note)
    if pcap is not None and run.frames:
        run.write_pcap(pcap)
    return run
