"""Drive this machine's own TCP: sockets on loopback, ``ss``, your own capture, and tcpcore's
prediction beside them.

    from tcpcore import kernel
    run = kernel.run_experiment("handshake-and-close")   # the kernel, step by step
    print(run.ss())                                      # what ss said after the last step
    run.trace                                            # the capture, as a Trace (or None)
    print(kernel.side_by_side(run))                      # and tcpcore's linux profile

Standard library only. The experiment runs in a process of its own under ``unshare -Urn`` (an
unprivileged user + network namespace) where that is allowed; elsewhere on 127.0.0.1 without a
capture, or, where no process can start (JupyterLite), from a recorded run: ``run.note`` says
which in one line. See :mod:`tcpcore.kernel.run`, :mod:`~tcpcore.kernel.ss`,
:mod:`~tcpcore.kernel.experiments`, :mod:`~tcpcore.kernel.predict` and
:mod:`~tcpcore.kernel.compare`.
"""

from __future__ import annotations

from ..capture.annotate import trace_from_capture
from ..trace import Trace
from .compare import Comparison, compare
from .experiments import EXPERIMENTS, Experiment, roles
from .predict import predict
from .results import Run, StepResult
from .run import (
    auto_mode,
    namespace_refusal,
    recorded_run,
    run_experiment,
    run_from_json,
)
from .ss import SocketRecord, parse_proc_net_tcp, parse_ss, read_sockets

__all__ = [
    "EXPERIMENTS",
    "Comparison",
    "Experiment",
    "Run",
    "SocketRecord",
    "StepResult",
    "auto_mode",
    "compare",
    "ladder_trace",
    "namespace_refusal",
    "numbers",
    "parse_proc_net_tcp",
    "parse_ss",
    "predict",
    "read_sockets",
    "recorded_run",
    "roles",
    "run_experiment",
    "run_from_json",
    "side_by_side",
    "where",
]


def side_by_side(run: Run) -> Comparison:
    """The kernel's run beside tcpcore's prediction (``linux`` profile, the same ports, each
    call at the moment the kernel run made it)."""
    times = [s.time for s in run.steps] or None
    return compare(run, predict(run.experiment, run.ports or None, times=times))


def where() -> str:
    """One line: what the experiments can do on this machine."""
    reason, mode = namespace_refusal(), auto_mode()
    if reason is None:
        return (
            "Each experiment runs in a private network namespace of its own (unshare -Urn), "
            "with a capture on its lo."
        )
    if mode == "host":
        return (
            f"No capture here: {reason}. The experiments run on this machine's loopback "
            "(states from ss); the ladders show captures recorded on Linux."
        )
    return f"No live kernel here: {reason}. Every experiment shows a run recorded on Linux."


def ladder_trace(run: Run, connection: int | None = None) -> Trace:
    """The run's capture as a Trace (only its ``connection``-th connection, counted from 0 in
    order of appearance, when given); without a capture, the recorded run's, saying so."""
    if run.capture is None:
        recorded = recorded_run(run.experiment)
        print(f"(No capture in this run. {recorded.note})")
        run = recorded
    assert run.capture is not None
    return trace_from_capture(run.capture, connection=connection, name=run.experiment.name)


def numbers(run: Run) -> str:
    """Every captured segment with its absolute sequence and acknowledgment numbers and the
    relative ones (minus the sender's or the receiver's ISN), as Wireshark shows them."""
    trace = ladder_trace(run)
    isn: dict[str, int] = {}  # each side's ISN, from its latest SYN (a reopened connection too)
    lines = [f"{'segment':<22}{'seq':>12}{'ack':>12}  {'rel seq':>9}{'rel ack':>9}"]
    for r in trace.segments():
        seg = r.segment
        if seg.flags & seg.flags.SYN:
            isn[r.src] = seg.seq
        rel_seq = (seg.seq - isn.get(r.src, seg.seq)) & 0xFFFFFFFF
        has_ack = bool(seg.flags & seg.flags.ACK)
        who = f"{r.src.rsplit(':', 1)[1]} > {r.dst.rsplit(':', 1)[1]} {seg.flags.tcpdump()}"
        ack = f"{seg.ack:>12}" if has_ack else " " * 12
        rel_ack = f"{(seg.ack - isn.get(r.dst, seg.ack)) & 0xFFFFFFFF:>9}" if has_ack else ""
        lines.append(f"{who:<22}{seg.seq:>12}{ack}  {rel_seq:>9}{rel_ack}")
    return "\n".join(lines)
