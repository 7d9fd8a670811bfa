"""``tcpcore trace FILE [--json]``: every TCP segment of a capture, one line each.

A streaming reader (:func:`tcpcore.capture.pcap.iter_pcap`) feeds the passive observer
(:mod:`tcpcore.capture.observe`),
which adds each endpoint's inferred state; the records have the keys
of the public contract (DESIGN.md) and print as JSON lines or tcpdump-like text. Exit status: 0
read to the end, 1 some records could not be read at all, 2 not a capture (or missing).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from ..errors import DecodeError
from ..trace import segment_json
from ..wire.ip import IPv4, IPv6
from . import silence

if TYPE_CHECKING:
    from ..capture.pcap import CaptureProblem, Packet
    from ..wire.segment import Segment

NAME = "trace"
PROG = "tcpcore trace"
HELP = "print every TCP segment of a capture, one line each"
DESCRIPTION = (
    "Print one line per TCP segment of a pcap or pcapng file: time, source > destination, "
    "flags as tcpdump writes them, seq, ack, window, options, payload length, and a note "
    "when the checksum is wrong ('bad checksum'; loopback captures show this for most "
    "packets because the kernel leaves checksums to the card) or cannot be checked "
    "because the capture cut the segment. Malformed packets and unreadable records get "
    "their own error line and never stop the run; non-TCP packets are skipped and counted "
    "in a summary on stderr. 'states' gives the RFC state, after the segment, of the two "
    "endpoints of this segment's connection (its 4-tuple; a new SYN on the ports of a closed "
    "connection starts a new one), as a passive observer infers it from the capture: each "
    "side's own ACKs say what it had received, so segments that crossed are delivered in "
    "the order the endpoints handled them (null where the capture cannot tell, e.g. when "
    "it starts mid-connection). "
    "Exit status: 0 read to the end, 1 some records were unreadable, 2 not a capture."
)


# -- trace: states ----------------------------------------------------------------------------


class StateObserver(Protocol):
    """Infers each endpoint's RFC state from the segments of a capture, seen in file order.

    ``annotate`` gets every packet once, in file order, and yields each back, in the same order,
    with ``{"ip:port": "ESTABLISHED", ...}``: the state after this segment of the two endpoints
    of its connection (DESIGN.md, "observation"), None for an endpoint whose state the capture
    cannot tell, and an empty mapping for a packet that is not a TCP segment. It may hold a
    packet back until it has seen a few more (the observer looks ahead for the receiver's
    reply), never more than a bounded number.
    """

    def annotate(
        self, packets: Iterable[Packet]
    ) -> Iterator[tuple[Packet, Mapping[str, str | None]]]: ...


class CaptureObserver:
    """tcpcore's passive observer (:mod:`tcpcore.capture.observe`) fed with capture packets."""

    def annotate(
        self, packets: Iterable[Packet]
    ) -> Iterator[tuple[Packet, Mapping[str, str | None]]]:
        from ..capture.observe import observe_stream

        def segment_of(p: Packet) -> tuple[str, str, Segment] | None:
            if p.kind != "tcp" or p.segment is None or p.src is None or p.dst is None:
                return None
            return p.src, p.dst, p.segment

        for packet, seen in observe_stream(packets, segment_of):
            yield packet, {} if seen is None else seen.states


def make_observer() -> StateObserver:
    """The observer that annotates ``tcpcore trace``: the one place to plug it in."""
    return CaptureObserver()


# -- trace: records ---------------------------------------------------------------------------


@dataclass
class TraceCounts:
    """What a trace run saw, for the summary line and the exit code."""

    tcp: int = 0
    malformed: int = 0
    unreadable: int = 0
    other: int = 0

    def summary(self) -> str:
        return (
            f"{_count(self.tcp, 'TCP segment')}, {_count(self.malformed, 'malformed packet')}, "
            f"{_count(self.unreadable, 'unreadable record')}, "
            f"{_count(self.other, 'other packet')} skipped "
            "(not TCP, fragments, TCP headers cut by the capture)"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def trace_records(
    packets: Iterable[Packet],
    problems: Sequence[CaptureProblem],
    observer: StateObserver,
    counts: TraceCounts,
) -> Iterator[tuple[int | None, dict[str, object]]]:
    """One record per TCP segment, malformed packet or unreadable record, in file order, each
    with the capture's exact timestamp in nanoseconds (None when unknown) for the text clock.

    TCP records have exactly the keys of the public contract (DESIGN.md): t, src, dst, seq, ack,
    flags, win, len, options, checksum_ok, states. Error records have t (None for an unreadable
    record, whose timestamp is unknown), index, offset and error. Non-TCP packets are counted in
    ``counts`` and yield nothing.

    ``problems`` may grow while ``packets`` is consumed (a streaming reader appends them as it
    meets them): each is yielded before the first packet that lies after it in the file.
    """
    done = 0
    for packet, states in observer.annotate(packets):
        # Problems come with byte offsets: interleave them with the packets where they occurred.
        while done < len(problems) and problems[done].offset < packet.offset:
            counts.unreadable += 1
            yield None, _problem_record(problems[done])
            done += 1
        if packet.kind == "tcp" and packet.segment is not None:
            counts.tcp += 1
            yield packet.time_ns, _segment_record(packet, states)
        elif packet.kind == "error":
            counts.malformed += 1
            error = packet.error or "malformed packet"
            yield (
                packet.time_ns,
                {
                    "t": packet.time,
                    "index": packet.index,
                    "offset": packet.offset,
                    "error": error,
                },
            )
        else:
            counts.other += 1
    while done < len(problems):
        counts.unreadable += 1
        yield None, _problem_record(problems[done])
        done += 1


def _segment_record(packet: Packet, states: Mapping[str, str | None]) -> dict[str, object]:
    seg = packet.segment
    assert seg is not None
    assert packet.src is not None and packet.dst is not None  # set for every TCP packet
    line = segment_json(
        packet.time, packet.src, packet.dst, seg, sent_payload_length(packet), packet.checksum_ok
    )
    line["states"] = dict(states)
    return line


def sent_payload_length(packet: Packet) -> int:
    """The payload length the sender put on the wire, as tcpdump's ``length`` shows it.

    When the capture's snap length cut the segment, the captured payload is shorter than what
    was sent; the IP length field still says how long it was, and ``seq + len`` must give the
    next sequence number for the lessons' arithmetic to work.
    """
    seg = packet.segment
    assert seg is not None
    captured = len(seg.payload)
    if packet.checksum_ok is not None:  # the whole segment was captured
        return captured
    ip = packet.ip
    if isinstance(ip, IPv4) and ip.total_length:
        tcp_length = ip.total_length - ip.header_length
    elif isinstance(ip, IPv6) and ip.payload_length:
        tcp_length = 40 + ip.payload_length - ip.header_length
    else:  # a length of 0 (TSO, BIG TCP): the packet ran to the end of the frame on the wire
        return captured + max(packet.wire_len - len(packet.data), 0)
    return max(captured, tcp_length - seg.header_length)


def _problem_record(problem: CaptureProblem) -> dict[str, object]:
    return {"t": None, "index": problem.index, "offset": problem.offset, "error": problem.message}


# -- trace: text ------------------------------------------------------------------------------


def format_text(record: Mapping[str, object], time_ns: int | None = None) -> str:
    """A record as one tcpdump-like line (``tcpdump -n -tt`` with ``ip:port`` addresses).

    The clock has microseconds, cut (not rounded) from ``time_ns`` when given, as tcpdump prints
    a nanosecond capture; otherwise it comes from the record's float ``t``. Unlike tcpdump,
    ``seq`` is shown on every segment (the lessons follow it on bare ACKs too) and addresses keep
    the ``ip:port`` form of the JSON output.
    """
    t = record["t"]
    if time_ns is not None:
        clock = f"{time_ns // 10**9}.{time_ns % 10**9 // 1000:06d}"
    else:
        clock = f"{t:.6f}" if isinstance(t, float) else "-"
    if "error" in record:
        where = f"packet {record['index']} at byte {record['offset']}"
        return f"{clock} {where}: error: {record['error']}"
    parts = [f"Flags [{record['flags']}]", f"seq {record['seq']}"]
    if "." in str(record["flags"]):  # tcpdump shows ack only when the ACK bit is set
        parts.append(f"ack {record['ack']}")
    parts.append(f"win {record['win']}")
    options = record["options"]
    assert isinstance(options, list)
    if options:
        parts.append("options [" + ",".join(_option_text(n, v) for n, v in options) + "]")
    parts.append(f"length {record['len']}")
    if record["checksum_ok"] is False:
        parts.append("bad checksum")
    elif record["checksum_ok"] is None:
        parts.append("checksum not verifiable")
    line = f"{clock} {record['src']} > {record['dst']}: " + ", ".join(parts)
    states = record["states"]
    assert isinstance(states, dict)
    if states:
        line += (
            "  [" + ", ".join(f"{ep} {state or 'unknown'}" for ep, state in states.items()) + "]"
        )
    return line


def _option_text(name: object, value: object) -> str:
    """tcpdump's spelling of an option from its JSON form: ``TS val 1 ecr 2``, ``sack 1 {a:b}``."""
    if value is None:
        return str(name)
    if name == "TS" and isinstance(value, list):
        return f"TS val {value[0]} ecr {value[1]}"
    if name == "sack" and isinstance(value, list):
        return f"sack {len(value)} " + "".join(f"{{{a}:{b}}}" for a, b in value)
    return f"{name} {value}"


# -- trace: the command -----------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a pcap or pcapng capture")
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line instead of text (keys: t src dst seq ack flags win len "
        "options checksum_ok states; an error line has t index offset error)",
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # Imported here so that the other subcommands do not load the capture stack. iter_pcap
    # streams: the first lines of a big capture appear at once, memory stays bounded, and
    # ``| head`` does not wait for the whole file. It opens the file and checks the magic at
    # the first packet, so a missing file or a non-capture surfaces inside the loop below.
    from ..capture.pcap import iter_pcap

    path = args.file
    problems: list[CaptureProblem] = []
    counts = TraceCounts()
    try:
        packets = iter_pcap(path, problems)  # a generator: it closes the file when dropped
        for time_ns, record in trace_records(packets, problems, make_observer(), counts):
            line = json.dumps(record) if args.json else format_text(record, time_ns)
            out.write(line + "\n")
        out.flush()
    except BrokenPipeError:
        # The reader went away (``tcpcore trace big.pcap | head``): that is its right, not an
        # error. Point stdout at /dev/null so the interpreter's final flush does not complain.
        silence(out)
        return 0
    except OSError as exc:  # missing, unreadable, a directory; or a read error half-way
        print(f"{PROG}: {path}: {exc.strerror or exc}", file=err)
        return 2
    except DecodeError as exc:  # the reader raises only for a file that is no capture at all
        print(f"{PROG}: {path}: not a pcap or pcapng capture: {exc}", file=err)
        return 2
    if not args.json:
        print(f"{PROG}: {path}: {counts.summary()}", file=err)
    return 1 if counts.unreadable else 0
