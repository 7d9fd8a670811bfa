"""tcpcore.kernel: the ss and /proc parsers, the recorded runs against the prediction, and every
way a live run can fail (a port in use, a step or a run that times out, no namespace, no ss, no
processes at all), each with one clear message and nothing left behind.

The live runs here use the machine's kernel as the test's own user; tests/test_kernel_live.py
runs them, and the lesson, as an unprivileged user.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, require

from tcpcore import kernel
from tcpcore.kernel import run as kernel_run
from tcpcore.kernel.experiments import Experiment
from tcpcore.protocol.listener import Listener
from tcpcore.protocol.states import State
from tcpcore.wire.flags import Flags
from tcpcore.wire.segment import Segment

# Lines as ss 6.x printed them on this machine (ss -tanoi, header included).
SS_TEXT = """\
State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
LISTEN     0      1          127.0.0.1:8080       0.0.0.0:*
\t bbr cwnd:10
FIN-WAIT-2 0      0          127.0.0.1:8080     127.0.0.1:49338 timer:(timewait,59sec,0)
\t
CLOSE-WAIT 11     0          127.0.0.1:49338    127.0.0.1:8080  timer:(keepalive,4.928ms,0)
\t ts sack bbr wscale:10,10 rto:204 rtt:0.03/0.015 ato:40 mss:32768
SYN-SENT  0      1      127.0.0.2:40003 127.0.0.1:41006 timer:(on,640ms,1)
ESTAB      0      0      [::ffff:127.0.0.1]:8080 [::ffff:127.0.0.1]:50000 timer:(keepalive,1min5sec,0)
TIME-WAIT  0      0      [::1]:80 [::1]:50001 timer:(timewait,10min,0)
"""  # noqa: E501
# /proc/net/tcp: a listener on 127.0.0.1:8080 and a TIME-WAIT 127.0.0.1:8080 <- :40000 with
# 5900 ticks (59 s) to go; /proc/net/tcp6: ::1:80 listening.
PROC_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 1 1
   1: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:0000170C 00000000     0        0 0 3
"""
PROC_TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
"""  # noqa: E501


def test_ss_lines_become_records_with_rfc_states_and_timers() -> None:
    """Each ss line: RFC state, addresses, queues, timer kind and seconds left; -i lines kept."""
    recs = kernel.parse_ss(SS_TEXT)
    assert [(r.state, r.kernel_state) for r in recs] == [
        (State.LISTEN, "LISTEN"),
        (State.FIN_WAIT_2, "FIN-WAIT-2"),
        (State.CLOSE_WAIT, "CLOSE-WAIT"),
        (State.SYN_SENT, "SYN-SENT"),
        (State.ESTABLISHED, "ESTAB"),
        (State.TIME_WAIT, "TIME-WAIT"),
    ]
    assert [(r.local, r.peer) for r in recs] == [
        ("127.0.0.1:8080", "*:*"),
        ("127.0.0.1:8080", "127.0.0.1:49338"),
        ("127.0.0.1:49338", "127.0.0.1:8080"),
        ("127.0.0.2:40003", "127.0.0.1:41006"),
        ("127.0.0.1:8080", "127.0.0.1:50000"),
        ("[::1]:80", "[::1]:50001"),
    ]
    assert [(r.timer, r.timer_left, r.retransmits) for r in recs] == [
        (None, None, 0),
        ("timewait", 59.0, 0),
        ("keepalive", 4.928, 0),
        ("on", 0.64, 1),
        ("keepalive", 65.0, 0),
        ("timewait", 600.0, 0),
    ]
    assert (recs[0].send_q, recs[2].recv_q) == (1, 11)
    assert "wscale:10,10" in recs[2].info and recs[1].info == ""
    assert "retransmit timer, 0.64 s left" in recs[3].line()
    assert recs[4].line().startswith("ESTAB (ESTABLISHED)")


def test_proc_net_tcp_gives_the_same_records() -> None:
    """/proc/net/tcp{,6}: hex addresses and states, the timer in 1/100 s ticks."""
    recs = kernel.parse_proc_net_tcp(PROC_TCP + PROC_TCP6)  # as the driver reads them: both
    assert [(r.state, r.local, r.peer, r.timer, r.timer_left) for r in recs] == [
        (State.LISTEN, "127.0.0.1:8080", "*:*", None, None),
        (State.TIME_WAIT, "127.0.0.1:8080", "127.0.0.1:40000", "timewait", 59.0),
        (State.LISTEN, "[::1]:80", "*:*", None, None),
    ]
    assert recs[0].recv_q == 2


@pytest.mark.parametrize("name", list(kernel.EXPERIMENTS))
def test_recorded_run_agrees_with_the_prediction_state_by_state(name: str) -> None:
    """The run shipped for the lesson: every role's state and every errno as tcpcore predicts."""
    run = kernel.recorded_run(name)
    assert run.source == "recorded" and run.ok and run.frames and run.trace is not None
    predicted = kernel.predict(run.experiment, run.ports)
    for role in run.roles:
        assert run.states(role) == predicted.states(role), role
    assert [s.error for s in run.steps] == [s.error for s in predicted.steps]
    assert kernel.side_by_side(run).agree


def test_recorded_runs_show_what_the_lesson_teaches() -> None:
    """TIME-WAIT with its countdown, CLOSE-WAIT piling up, and the four errnos, from ss."""
    tw = kernel.recorded_run("time-wait-and-eaddrinuse")
    [rec] = [r for r in tw.steps[4].sockets if r.state is State.TIME_WAIT]
    assert rec.timer == "timewait" and 55 < (rec.timer_left or 0) <= 60
    assert kernel.recorded_run("close-wait-forever").count("CLOSE-WAIT") == 3
    errors = {e for name in kernel.EXPERIMENTS for _, e in kernel.recorded_run(name).errors()}
    assert errors == {"EADDRINUSE", "ECONNREFUSED", "ECONNRESET", "EPIPE"}


def test_the_capture_is_the_trace_a_pcap_gives(tmp_path: Path) -> None:
    """Frames become the records and Trace of read_pcap; written on request, checksums right."""
    from tcpcore import read_pcap
    from tcpcore.capture.annotate import trace_from_capture

    run = kernel.recorded_run("handshake-and-close")
    path = run.write_pcap(tmp_path / "run.pcap")
    again = read_pcap(path)
    assert [p.segment for p in again] == [p.segment for p in run.capture or []]
    assert all(p.checksum_ok for p in again)
    assert trace_from_capture(again).to_json_lines() == (run.trace or None).to_json_lines()
    flags = [p.segment.flags.tcpdump() for p in again if p.segment]
    assert flags == ["S", "S.", ".", "P.", ".", "F.", ".", "F.", "."]


def test_relative_numbers_start_at_each_isn_again_after_reuse() -> None:
    """numbers(): the reopened connection's SYN has relative sequence number 0 again."""
    text = kernel.numbers(kernel.recorded_run("time-wait-syn-reuse")).splitlines()
    syns = [line for line in text if line.split()[3] == "S"]
    assert len(syns) == 2 and all(line.split()[-1] == "0" for line in syns)


def test_listener_drops_a_syn_when_its_accept_queue_is_full() -> None:
    """Backlog 1: two connections wait for accept(); the third SYN is dropped, as on Linux."""
    lst = Listener(80, backlog=1, profile="linux")
    lst.listen(0.0)
    for port in (1000, 1001):
        child = lst.receive(Segment(port, 80, 5000, 0, Flags.SYN, 100), 0.0, "10.0.0.1")
        assert child is not None
        ack = Segment(port, 80, 5001, child.tcb.iss.value + 1, Flags.ACK, 100)
        lst.receive(ack, 0.0, "10.0.0.1")
    assert lst.waiting == 2
    assert lst.receive(Segment(1002, 80, 5000, 0, Flags.SYN, 100), 0.0, "10.0.0.1") is None
    assert "accept queue full" in lst.pop_events()[0].reason


def test_port_in_use_names_the_step(tmp_path: Path) -> None:
    """A listen on a port someone holds: the run stops there with a message naming the step."""
    require(kernel_run.can_start_processes(), "this Python cannot start processes")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        exp = Experiment("busy", "busy", "?", ({"op": "listen", "sock": "srv", "port": port},))
        run = kernel.run_experiment(exp, mode="host")
    assert run.problem == "step 1 (listen srv): EADDRINUSE: Address already in use"
    assert not run.ok and str(run).endswith("stopped: " + run.problem)


def test_a_step_that_waits_too_long_times_out_and_names_itself() -> None:
    """accept() with nobody connecting: ETIMEDOUT after the step timeout, named."""
    require(kernel_run.can_start_processes(), "this Python cannot start processes")
    exp = Experiment(
        "lonely",
        "lonely",
        "?",
        ({"op": "listen", "sock": "srv", "port": "S"}, {"op": "accept", "sock": "srv", "as": "c"}),
    )
    run = kernel.run_experiment(exp, step_timeout=0.3)
    assert run.problem == "step 2 (accept srv): ETIMEDOUT: timed out after 0.3 s"


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if text.encode() in cmdline and entry.name != str(os.getpid()):
                found.append(int(entry.name))
    return found


def test_a_run_that_hangs_is_killed_with_the_step_named_and_nothing_left() -> None:
    """A run past its timeout: the process group is killed; the message names the step."""
    require(kernel_run.can_start_processes(), "this Python cannot start processes")
    exp = Experiment("slow", "slow", "?", ({"op": "sleep", "seconds": 5},))
    run = kernel.run_experiment(exp, timeout=1.0, mode="host")
    assert run.problem == "step 1 sleep did not finish within 1 s; the experiment was stopped"
    assert _processes_mentioning(str(kernel_run.DRIVER)) == []


def test_namespace_refused_falls_back_to_loopback_in_one_line() -> None:
    """Inside bubblewrap with user namespaces disabled, unshare fails for real: one line, and
    the experiment runs on loopback with states from ss (and still agrees)."""
    require(shutil.which("bwrap") is not None, "bubblewrap is not installed")
    script = (
        "from tcpcore import kernel\n"
        "run = kernel.run_experiment('time-wait-syn-reuse')\n"
        "print(run.note)\n"
        "print(run.source, run.trace is None, kernel.side_by_side(run).agree)\n"
    )
    cmd = ["bwrap", "--dev-bind", "/", "/", "--unshare-user", "--disable-userns"]
    done = subprocess.run(
        [*cmd, sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    require("--disable-userns" not in done.stderr, "this bubblewrap cannot disable user namespaces")
    assert done.returncode == 0, done.stderr
    note, result = done.stdout.splitlines()
    assert note.startswith("No capture: the kernel refused a private network namespace (unshare")
    assert note.endswith("running on this machine's loopback, states from ss only.")
    assert result == "host True True"


def test_without_ss_the_states_come_from_proc() -> None:
    """No ss on the PATH (and so no unshare either): /proc/net/tcp gives the same states."""
    script = (
        "from tcpcore import kernel\n"
        "run = kernel.run_experiment('half-close')\n"
        "print(run.note)\n"
        "print(run.raw['steps'][0]['source'], kernel.side_by_side(run).agree)\n"
    )
    env = {"PATH": "/nonexistent", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    note, result = done.stdout.splitlines()
    assert "the unshare program (util-linux) is not installed" in note
    assert result == "proc True"


def test_where_no_process_can_start_the_recorded_run_is_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pyodide (sys.platform "emscripten"): one line, then the run recorded on Linux."""
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(kernel_run, "_refusal", {})
    assert kernel.where().startswith("No live kernel here: this Python cannot start processes")
    run = kernel.run_experiment("half-close")
    assert run.source == "recorded"
    assert run.note.startswith("No live kernel experiment: this Python cannot start processes")
    assert run.note.endswith(").")
    assert "Showing the run recorded on" in run.note
    assert run.trace is not None


def test_bad_experiment_names_and_modes_say_what_is_valid() -> None:
    """An unknown experiment or mode: ValueError listing the valid ones; the CLI exits 2."""
    with pytest.raises(ValueError, match="unknown experiment 'nope'; choose one of handshake"):
        kernel.run_experiment("nope")
    with pytest.raises(ValueError, match="mode must be one of auto, namespace, host, recorded"):
        kernel.run_experiment("half-close", mode="docker")
    done = subprocess.run(
        [sys.executable, "-m", "tcpcore.kernel", "nope"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .endswith("error: unknown experiment 'nope'; choose from " + ", ".join(kernel.EXPERIMENTS))
    )


def test_recorded_files_name_their_kernel_and_date() -> None:
    """Each shipped run says which kernel it came from, when, and that it ran in a namespace."""
    folder = ROOT / "tcpcore" / "data" / "kernel"
    for name in kernel.EXPERIMENTS:
        data = json.loads((folder / f"{name}.json").read_text())
        assert data["experiment"] == name and data["source"] == "namespace"
        assert data["kernel"] and data["recorded"] and data["namespace"] is True


def test_a_step_that_is_not_one_is_named_at_once() -> None:
    """Experiment() checks its steps: an unknown op, a missing key, a socket not made yet."""
    with pytest.raises(ValueError, match="step 2: unknown op 'conect'; choose one of listen,"):
        Experiment("x", "x", "?", [{"op": "sleep", "seconds": 0}, {"op": "conect", "sock": "c"}])
    with pytest.raises(ValueError, match=r"step 1 \(connect\) needs to"):
        Experiment("x", "x", "?", [{"op": "connect", "sock": "c", "port": "C"}])
    with pytest.raises(ValueError, match=r"step 1 \(accept\): no socket 'srv' yet"):
        Experiment("x", "x", "?", [{"op": "accept", "sock": "srv", "as": "c"}])


def test_keepalive_probes_are_predicted_where_the_clock_puts_them() -> None:
    """The lesson's exercise 3, predicted (steps 0.5 s apart, 0.5 ms each way): keepalive set at
    1.5 s, 1 s after the client last heard from the server (0.5 s), probes at once; each answer
    restarts the 1 s idle time, so the 2.5 s sleep from 2.0 s holds probes at 2.5, 3.5, 4.5."""
    steps = [
        *kernel.EXPERIMENTS["handshake-and-close"].steps[:3],
        {"op": "keepalive", "sock": "cli", "idle": 1, "interval": 1, "probes": 2},
        {"op": "sleep", "seconds": 2.5},
    ]
    run = kernel.predict(Experiment("keep", "keep", "?", steps))
    probe = ["C>S .", "S>C ."]
    assert run.steps[3].segments == probe
    assert run.steps[4].segments == probe * 3
    assert run.states("cli") == [State.CLOSED, *[State.ESTABLISHED] * 4]
