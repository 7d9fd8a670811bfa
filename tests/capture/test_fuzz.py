"""Fuzzing every decoder with random and mutated bytes: only DecodeError may come out.

Over 100,000 byte strings, deterministic (one seeded random.Random), built from valid segments,
frames of every link type and capture files by bit flips, byte overwrites, truncations,
insertions, deletions and duplications, plus plain random strings:

* Segment.decode and decode_options get segments;
* decode_frame gets frames, with the link type they were built for and with another one;
* read_pcap gets whole pcap and pcapng files and must not raise at all, except DecodeError for a
  file whose first bytes are no capture magic; read_columns gets the same files, must raise
  nothing else either, and must agree with read_pcap on which records are TCP segments.
"""

from __future__ import annotations

import contextlib
import io
import random
import time

import pytest
from capture_factory import (
    ETHERNET,
    IPV4,
    IPV6,
    LOOP,
    NULL,
    RAW,
    SLL,
    SLL2,
    epb,
    idb,
    odd_frames,
    option,
    pcap,
    random_tcp_frame,
    shb,
    spb,
    tcp,
)

from tcpcore import DecodeError, Segment, read_pcap
from tcpcore.capture.columnar import read_columns
from tcpcore.capture.framing import decode_frame
from tcpcore.wire.options import decode_options

SEED = 20240917
LINKTYPES = [ETHERNET, SLL, SLL2, NULL, LOOP, RAW, IPV4, IPV6, 105]
SEGMENTS, FRAMES, FILES = 45_000, 52_000, 3_000
INTERESTING = (0x00, 0x01, 0x05, 0x06, 0x0F, 0x40, 0x45, 0x60, 0x7F, 0x80, 0xFF)


def mutate(rng: random.Random, data: bytes, focus: int = 96) -> bytes:
    """One to four random edits, most of them in the first ``focus`` bytes (the headers)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        span = max(1, min(len(out), focus if rng.random() < 0.8 else len(out)))
        at = rng.randrange(span) if out else 0
        op = rng.randrange(7)
        if op == 0 and out:
            out[at] ^= 1 << rng.randrange(8)
        elif op == 1 and out:
            out[at] = rng.choice(INTERESTING)
        elif op == 2:
            del out[rng.randrange(len(out) + 1) :]
        elif op == 3:
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        elif op == 4 and out:
            del out[at : at + rng.randint(1, 8)]
        elif op == 5 and out:
            out[at:at] = out[at : at + rng.randint(1, 16)]
        else:
            out[at : at + 2] = rng.randbytes(2)
    return bytes(out)


def inputs(rng: random.Random, seeds: list[bytes], n: int) -> list[bytes]:
    """n strings: 90% mutations of a seed, 10% random bytes."""
    made = []
    for _ in range(n):
        if rng.random() < 0.1:
            made.append(rng.randbytes(rng.randint(0, 120)))
        else:
            made.append(mutate(rng, rng.choice(seeds)))
    return made


def seed_files(rng: random.Random) -> list[bytes]:
    files = []
    odd = [(lt, raw) for lt, raw, _ in odd_frames() if lt == ETHERNET]
    for order in "<>":
        for nano in (False, True):
            recs = [(1_700_000_000 + i, i * 1000, random_tcp_frame(rng)) for i in range(6)]
            recs += [(1_700_000_010, 5, raw) for _, raw in rng.sample(odd, 4)]
            files.append(pcap(recs, order=order, nano=nano))
    for order in "<>":
        blocks = [
            shb(order),
            idb(ETHERNET, 0, b"", order),
            idb(RAW, 0, option(9, b"\x09", order), order),
        ]
        blocks += [
            epb(i % 2, 10**15 + i, random_tcp_frame(rng, (ETHERNET, RAW)[i % 2]), order=order)
            for i in range(6)
        ]
        blocks.append(spb(random_tcp_frame(rng), order=order))
        files.append(b"".join(blocks))
    return files


@pytest.mark.slow
def test_fuzz_every_decoder() -> None:
    rng = random.Random(SEED)
    started = time.perf_counter()

    segment_seeds = [
        tcp(options=o, payload=rng.randbytes(rng.randint(0, 20)))
        for o in (
            b"",
            b"\x02\x04\x05\xb4",
            b"\x01\x01\x08\x0a" + bytes(8),
            b"\x05\x12" + bytes(16) + b"\x00\x00",
            b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + bytes(8) + b"\x01\x03\x03\x07",
            b"\x00" * 8,
        )
    ]
    for data in inputs(rng, segment_seeds, SEGMENTS):
        with contextlib.suppress(DecodeError):
            Segment.decode(data)
        with contextlib.suppress(DecodeError):
            decode_options(data[20 : 20 + rng.randint(0, 40)])

    frame_seeds = {lt: [random_tcp_frame(rng, lt) for _ in range(8)] for lt in LINKTYPES[:-1]}
    for lt, raw, _ in odd_frames():
        frame_seeds.setdefault(lt, []).append(raw)
    kinds = list(frame_seeds)
    for _ in range(FRAMES):
        lt = rng.choice(kinds)
        data = inputs(rng, frame_seeds[lt], 1)[0]
        wire = rng.choice([None, len(data), rng.randint(0, len(data) + 100)])
        for linktype in (lt, rng.choice(LINKTYPES)):
            with contextlib.suppress(DecodeError):
                decode_frame(linktype, data, wire)

    files = seed_files(rng)
    tcp_rows = 0
    for k in range(FILES):
        data = mutate(rng, rng.choice(files), focus=400) if k % 10 else rng.choice(files)
        try:
            capture = read_pcap(io.BytesIO(data))
        except DecodeError as exc:
            assert str(exc).startswith("bad pcap magic"), exc
            with pytest.raises(DecodeError, match="bad pcap magic"):
                read_columns(io.BytesIO(data))
            continue
        cols = read_columns(io.BytesIO(data))
        tcp_packets = [p for p in capture if p.kind == "tcp"]
        assert cols.index.tolist() == [p.index for p in tcp_packets]
        assert cols.seq.tolist() == [p.segment.seq for p in tcp_packets if p.segment]
        tcp_rows += len(cols)

    assert tcp_rows > FILES  # the mutated files still hold plenty of segments
    assert SEGMENTS + FRAMES + FILES >= 100_000
    elapsed = time.perf_counter() - started
    assert elapsed < 120, f"the fuzz run took {elapsed:.0f} s"
