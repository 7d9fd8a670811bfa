"""The rules that are not single rows: which trigger an arriving segment is.

:mod:`tcpcore.protocol.table` says what to do for (state, trigger). This module decides the trigger,
in the order RFC 9293 3.10.7 checks an arriving segment, reading the connection's variables (a
:class:`~tcpcore.protocol.tcb.TCB`, defined in :mod:`tcpcore.protocol.tcb`), and is the only other
place the state machine's decisions live:

* CLOSED (3.10.7.1): a RST is discarded; anything else is answered with a RST.
* LISTEN (3.10.7.2): RST, then ACK (any ACK is bad), then SYN, then anything else.
* SYN-SENT (3.10.7.3): the ACK check first (SND.UNA < SEG.ACK =< SND.NXT, with SND.UNA = ISS),
  then RST (valid only with an acceptable ACK, RFC 5961 3.2), then SYN, then the rest.
* The synchronized states and SYN-RECEIVED (3.10.7.4):
  1. RST validation (RFC 5961 3.2): outside the window -> dropped; exactly RCV.NXT -> reset;
     elsewhere in the window -> challenge ACK.
  2. SYN: in a synchronized state, a challenge ACK whatever the sequence number (RFC 5961 4.2);
     in SYN-RECEIVED after a passive OPEN, a new SYN in the window returns to LISTEN. In
     TIME-WAIT, a SYN that may open a new incarnation (:func:`reopens`: its sequence number
     above RCV.NXT, or a newer timestamp; RFC 9293 3.6.1 MAY-2, RFC 6191) is told apart as
     SYN_REOPEN: the table answers it with the challenge ACK, or a profile accepts it.
  3. Sequence acceptability, RFC 9293 Table 6 (:func:`acceptable`). The one exception is a
     retransmission of the peer's FIN in TIME-WAIT, which is old by Table 6 but is what TIME-WAIT
     waits for (the fifth step's "the only thing that can arrive in this state").
  4. The ACK bit off: drop.
  5. The ACK value: in SYN-RECEIVED it must acknowledge our SYN (else RST); elsewhere an ACK of
     data not yet sent, or older than SND.UNA - MAX.SND.WND (RFC 5961 5.2), is answered with an
     ACK and dropped.
  6. What the segment then is: FIN (acknowledging our FIN or not), the ACK of our SYN or FIN,
     data, or a plain ACK.

A profile's rule switches (:data:`RULE_SWITCHES`, ``classify(switches=profile)``) change these
checks where a real stack orders them differently: FreeBSD's sysctls that bring back RFC 793's
answers to a RST or a SYN in the window, its TIME-WAIT (tcp_twcheck()), and a listener that
drops a SYN+ACK. Without a profile the checks are the RFC's.

Two pieces of the RFC's "idealized segment" (3.10.7.4 first step) are done here as well, because
they change what the segment is: a SYN+ACK that repeats the peer's SYN (simultaneous open, RFC
9293 Figure 7) has its old SYN trimmed off (and is the trigger SYN_ACK, whose row acknowledges
that old SYN as Linux does), and a segment starting beyond RCV.NXT is marked
out-of-order, so that only its ACK is processed now and its text and FIN later (SHLD-31).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..wire._fast import maker
from ..wire.flags import Flags, flags_of
from ..wire.segment import Segment
from ..wire.seq import _MASK, HALF, Seq, _seq
from .states import State
from .table import SwitchSource, Trigger
from .tcb import TCB

# Plain ints: the classifier runs once per segment, and IntFlag's operators cost microseconds
# each; segment flags are read with int(seg.flags) and rebuilt with flags_of().
SYN, ACK, RST, FIN = int(Flags.SYN), int(Flags.ACK), int(Flags.RST), int(Flags.FIN)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an arriving segment is: its trigger and the idealized segment to process."""

    trigger: Trigger
    segment: Segment
    out_of_order: bool = False
    why: str = ""
    # A segment wholly before RCV.NXT, trimmed and kept for its ACK (``trim_old``): the
    # connection acknowledges it unless the ACK took it to TIME-WAIT or CLOSED.
    duplicate: bool = False


# The states, as module names: classify() reads several per segment, and ``State.CLOSED`` (a
# class attribute behind the Enum's metaclass) costs several times a global's lookup.
_CLOSED = State.CLOSED
_CLOSE_WAIT = State.CLOSE_WAIT
_CLOSING = State.CLOSING
_ESTABLISHED = State.ESTABLISHED
_FIN_WAIT_1 = State.FIN_WAIT_1
_FIN_WAIT_2 = State.FIN_WAIT_2
_LAST_ACK = State.LAST_ACK
_LISTEN = State.LISTEN
_SYN_RECEIVED = State.SYN_RECEIVED
_SYN_SENT = State.SYN_SENT
_TIME_WAIT = State.TIME_WAIT
_FIN_SENT = (State.FIN_WAIT_1, State.CLOSING, State.LAST_ACK)  # our FIN may be unacknowledged


def in_window(tcb: TCB, seq: Seq) -> bool:
    """RCV.NXT =< seq < RCV.NXT + RCV.WND; with a zero window, only seq = RCV.NXT."""
    if tcb.rcv_wnd == 0:
        return seq == tcb.rcv_nxt
    offset: int = seq - tcb.rcv_nxt
    return 0 <= offset < tcb.rcv_wnd


def acceptable(tcb: TCB, seg: Segment) -> bool:
    """RFC 9293 Table 6: is the first or the last octet of the segment inside the window?

    A zero-length segment must start in the window (exactly at RCV.NXT when it is closed); a
    longer one needs SEG.SEQ or SEG.SEQ+SEG.LEN-1 inside it. A segment covering the whole window
    with neither end inside is refused. Linux's tcp_sequence() is more lenient: it accepts any
    segment that overlaps the window.
    """
    # in_window() on the 32-bit values (this runs for nearly every segment): a sequence number
    # is in the window when its distance ahead of RCV.NXT, mod 2**32, is below RCV.WND (and
    # below 2**31, where "ahead" ends).
    wnd = tcb.rcv_wnd
    ahead = (seg.seq - tcb.rcv_nxt.value) & _MASK
    length = seg.seg_len
    if length == 0:
        return ahead == 0 if wnd == 0 else ahead < wnd and ahead < HALF
    if wnd == 0:
        return False
    last = (ahead + length - 1) & _MASK
    return (ahead < wnd and ahead < HALF) or (last < wnd and last < HALF)


def reopens(tcb: TCB, seg: Segment) -> bool:
    """May this SYN, arriving in TIME-WAIT, open a new incarnation of the connection?

    Linux's rule (tcp_timewait_state_process()), RFC 9293 3.6.1 MAY-2 with RFC 6191: a SYN
    without ACK whose sequence number lies above the old RCV.NXT, or whose timestamp is newer
    than the last one the peer sent (TS.Recent); never one whose timestamp is older (PAWS,
    RFC 7323 5).
    """
    ts = seg.timestamps
    if ts is not None and tcb.ts_recent is not None:
        age = (ts[0] - tcb.ts_recent) & 0xFFFFFFFF
        if age >= 0x80000000:
            return False  # an older timestamp: PAWS rejects it
        if age:
            return True
    return _seq(seg.seq) > tcb.rcv_nxt


def classify(
    state: State,
    tcb: TCB,
    seg: Segment,
    *,
    passive: bool = False,
    user_closed: bool = False,
    trim_old: bool = False,
    switches: SwitchSource | None = None,
) -> Verdict:
    """The trigger for seg arriving in state (see the module docstring for the order).

    ``trim_old`` (Profile.process_ack_of_old_segment, FreeBSD): a segment wholly before
    RCV.NXT is not dropped as unacceptable but trimmed to an empty one at RCV.NXT whose ACK is
    processed (the Verdict says ``duplicate``). ``switches`` (a Profile) turns on the rules of
    :data:`RULE_SWITCHES`.
    """
    f = int(seg.flags)
    if state is _CLOSED:
        return _verdict(Trigger.RST if f & RST else Trigger.ANY, seg)
    on = _switched_on(switches)
    if state is _LISTEN:
        if f & RST:
            return _verdict(Trigger.RST, seg)
        if f & ACK and f & SYN and "listen_drops_syn_ack" in on:
            return _verdict(Trigger.SYN_ACK, seg, why="FreeBSD drops a SYN+ACK for a listener")
        if f & ACK:
            return _verdict(Trigger.BAD_ACK, seg, why="any ACK is bad in LISTEN")
        if f & SYN:
            return _verdict(Trigger.SYN, seg)
        return _verdict(Trigger.NO_ACK, seg)
    if state is _SYN_SENT:
        return _syn_sent(tcb, seg)
    if state is _TIME_WAIT and "time_wait_answers_all_but_duplicate_ack" in on:
        return _time_wait_freebsd(tcb, seg)
    return _synchronized(state, tcb, seg, passive, user_closed, trim_old, on)


# Profile switches that change the order or the outcome of the checks above.
RULE_SWITCHES = (
    # RFC 793 3.9 (FreeBSD net.inet.tcp.insecure_rst=1): a RST anywhere in the window resets.
    "rst_in_window_resets",
    # RFC 793 3.9 (FreeBSD net.inet.tcp.insecure_syn=1): a SYN in the window is SYN_IN_WINDOW.
    "syn_in_window_resets",
    # FreeBSD tcp_twcheck(): TIME-WAIT drops a RST and anything without ACK, and acknowledges
    # anything else but a duplicate of the last ACK.
    "time_wait_answers_all_but_duplicate_ack",
    # FreeBSD tcp_input(): a SYN+ACK for a listener is the trigger SYN_ACK (dropped).
    "listen_drops_syn_ack",
)


_verdict = maker(Verdict)  # classify() makes one per segment: without __init__'s setattr calls
_ON: dict[int, tuple[SwitchSource, frozenset[str]]] = {}


def _switched_on(switches: SwitchSource | None) -> frozenset[str]:
    """The rule switches a profile turns on. A frozen dataclass (a Profile) cannot change, so
    its answer is kept: classify() runs for every segment and asking costs microseconds."""
    if switches is None:
        return frozenset()
    kept = _ON.get(id(switches))
    if kept is not None and kept[0] is switches:
        return kept[1]
    on = frozenset(n for n in RULE_SWITCHES if switches.switch(n))
    params = getattr(switches, "__dataclass_params__", None)
    if params is not None and params.frozen:
        if len(_ON) >= 64:  # profiles made on the fly (pktscript's with_()) do not pile up
            _ON.clear()
        _ON[id(switches)] = (switches, on)
    return on


_RFC793_SYN = (
    _ESTABLISHED,
    _FIN_WAIT_1,
    _FIN_WAIT_2,
    _CLOSE_WAIT,
    _CLOSING,
    _LAST_ACK,
)


def _time_wait_freebsd(tcb: TCB, seg: Segment) -> Verdict:
    """TIME-WAIT as FreeBSD's tcp_twcheck() sees it (time_wait_answers_all_but_duplicate_ack)."""
    f = int(seg.flags)
    if f & RST:
        return _verdict(Trigger.RST, seg)
    if not f & ACK:
        return _verdict(Trigger.NO_ACK, seg, why="tcp_twcheck(): no ACK, dropped")
    seq = _seq(seg.seq)
    if f & FIN and not f & SYN and seq + seg.seg_len == tcb.rcv_nxt:
        return _verdict(Trigger.FIN, seg, why="retransmitted FIN")
    if f == ACK and not seg.payload and seq == tcb.rcv_nxt and _seq(seg.ack) == tcb.snd_nxt:
        return _verdict(Trigger.ACK, seg, why="tcp_twcheck(): a duplicate ACK, dropped")
    return _verdict(Trigger.UNACCEPTABLE, seg, why="tcp_twcheck(): acknowledged, dropped")


def _syn_sent(tcb: TCB, seg: Segment) -> Verdict:
    f = int(seg.flags)
    ack_ok = True
    if f & ACK:
        ack = _seq(seg.ack)
        ack_ok = tcb.snd_una < ack <= tcb.snd_nxt
        if not ack_ok:
            if f & RST:
                return _verdict(Trigger.RST_INVALID, seg, why="RST with an unacceptable ACK")
            return _verdict(Trigger.BAD_ACK, seg, why="SEG.ACK =< ISS or SEG.ACK > SND.NXT")
    if f & RST:
        if f & ACK:
            return _verdict(Trigger.RST, seg)
        return _verdict(Trigger.RST_INVALID, seg, why="RST without ACK in SYN-SENT")
    if f & SYN:
        return _verdict(Trigger.SYN_ACK if f & ACK else Trigger.SYN, seg)
    return _verdict(Trigger.ACK if f & ACK else Trigger.NO_ACK, seg)


def _synchronized(
    state: State,
    tcb: TCB,
    seg: Segment,
    passive: bool,
    user_closed: bool,
    trim_old: bool = False,
    on: frozenset[str] = frozenset(),
) -> Verdict:
    f = int(seg.flags)
    # SEG.SEQ as a Seq, made only where a rare branch below needs one (most segments carry
    # neither SYN nor RST and are acceptable: they compare on the 32-bit values).
    seq = _seq(seg.seq) if f & (SYN | RST) else None
    # The peer's SYN again. In SYN-RECEIVED, a SYN+ACK repeating it is the simultaneous-open
    # answer to our SYN: trim the old SYN and go on with the ACK (RFC 9293 Figure 7). Without an
    # ACK it is the peer resending its SYN because our SYN+ACK has not reached it.
    crossed_syn_ack = False
    if f & SYN and not f & RST and state is _SYN_RECEIVED and seq == tcb.irs:
        if not f & ACK:
            return _verdict(Trigger.SYN_DUPLICATE, seg)
        seg = seg.with_(seq=(seg.seq + 1) & 0xFFFFFFFF, flags=flags_of(f & ~SYN))
        f, seq, crossed_syn_ack = int(seg.flags), _seq(seg.seq), True

    # First the RST checks of RFC 5961 3.2 (RFC 9293 3.10.7.4 second step).
    if f & RST:
        assert seq is not None
        if not in_window(tcb, seq):
            return _verdict(Trigger.RST_INVALID, seg, why="sequence number outside the window")
        if seq != tcb.rcv_nxt and "rst_in_window_resets" not in on:
            return _verdict(Trigger.RST_IN_WINDOW, seg)
        if state is _SYN_RECEIVED and passive:
            return _verdict(Trigger.RST_PASSIVE, seg)
        return _verdict(Trigger.RST, seg)

    # A SYN in a synchronized state (fourth step, RFC 5961 4.2).
    if f & SYN:
        assert seq is not None
        if state is _SYN_RECEIVED and passive:
            if acceptable(tcb, seg):
                return _verdict(Trigger.SYN_PASSIVE, seg)
            return _verdict(Trigger.UNACCEPTABLE, seg, why="SYN outside the window")
        if state is _TIME_WAIT and not f & ACK and reopens(tcb, seg):
            return _verdict(Trigger.SYN_REOPEN, seg, why="above RCV.NXT or a newer timestamp")
        if "syn_in_window_resets" in on and state in _RFC793_SYN and in_window(tcb, seq):
            return _verdict(Trigger.SYN_IN_WINDOW, seg)
        return _verdict(Trigger.SYN, seg)

    # Sequence acceptability (first step, Table 6).
    if not acceptable(tcb, seg):
        seq = _seq(seg.seq)
        if state is _TIME_WAIT and f & FIN and seq + seg.seg_len == tcb.rcv_nxt and f & ACK:
            return _verdict(Trigger.FIN, seg, why="retransmitted FIN")
        if trim_old and f & ACK and seq + seg.seg_len <= tcb.rcv_nxt:
            # FreeBSD tcp_input(): "drop any data. But keep on processing for RST or ACK".
            empty = seg.with_(seq=tcb.rcv_nxt.value, payload=b"", flags=flags_of(f & ~FIN))
            v = _synchronized(state, tcb, empty, passive, user_closed, on=on)
            return _verdict(v.trigger, v.segment, v.out_of_order, "old duplicate", duplicate=True)
        return _verdict(Trigger.UNACCEPTABLE, seg, why="outside the receive window (Table 6)")

    if not f & ACK:
        return _verdict(Trigger.NO_ACK, seg)

    # The ACK checks compare Seqs on their values: a < b iff 0 < (b - a) mod 2**32 < 2**31,
    # a =< b iff (b - a) mod 2**32 < 2**31, a > b iff (b - a) mod 2**32 > 2**31.
    ack = seg.ack & _MASK
    nxt = tcb.snd_nxt.value
    if state is _SYN_RECEIVED:
        # SND.UNA < SEG.ACK =< SND.NXT
        if not (0 < (ack - tcb.snd_una.value) & _MASK < HALF and (nxt - ack) & _MASK < HALF):
            return _verdict(Trigger.BAD_ACK, seg, why="does not acknowledge our SYN")
    elif (nxt - ack) & _MASK > HALF:  # SEG.ACK > SND.NXT
        return _verdict(Trigger.ACK_UNACCEPTABLE, seg, why="acknowledges data not yet sent")
    elif (
        tcb.max_snd_wnd and 0 < (tcb.snd_una.value - tcb.max_snd_wnd - ack) & _MASK < HALF
    ):  # SEG.ACK < SND.UNA - MAX.SND.WND
        return _verdict(Trigger.ACK_UNACCEPTABLE, seg, why="older than SND.UNA - MAX.SND.WND")

    ack_of_fin = tcb.fin_seq is not None and ack == nxt

    # Beyond RCV.NXT: only the ACK is processed now; text and FIN wait in the queue.
    if (tcb.rcv_nxt.value - seg.seq) & _MASK > HALF:  # SEG.SEQ > RCV.NXT
        trig = _ack_only(state, ack_of_fin)
        return _verdict(trig, seg, out_of_order=True)

    seg = _trim(tcb, seg)
    if int(seg.flags) & FIN:
        if state is _FIN_WAIT_1 and ack_of_fin:
            return _verdict(Trigger.FIN_ACK_OF_FIN, seg)
        return _verdict(Trigger.FIN, seg)
    if ack_of_fin and state in _FIN_SENT:
        return _verdict(Trigger.ACK_OF_FIN, seg)
    if state is _SYN_RECEIVED:
        if seg.payload:
            return _verdict(Trigger.DATA, seg)
        return _verdict(Trigger.SYN_ACK if crossed_syn_ack else Trigger.ACK_OF_SYN, seg)
    if seg.payload:
        return _verdict(Trigger.DATA_AFTER_CLOSE if user_closed else Trigger.DATA, seg)
    return _verdict(Trigger.ACK, seg)


def _ack_only(state: State, ack_of_fin: bool) -> Trigger:
    if state is _SYN_RECEIVED:
        return Trigger.ACK_OF_SYN
    if ack_of_fin and state in _FIN_SENT:
        return Trigger.ACK_OF_FIN
    return Trigger.ACK


def _trim(tcb: TCB, seg: Segment) -> Segment:
    """Cut off text before RCV.NXT (already received) and beyond the window (3.10.7.4 first)."""
    seq = seg.seq
    payload = seg.payload
    flags = int(seg.flags)
    old = (tcb.rcv_nxt.value - seq) & _MASK  # RCV.NXT - SEG.SEQ, as Seq - Seq gives it
    if 0 < old < HALF:
        # When everything but the FIN is old, the FIN itself lies at RCV.NXT.
        payload = b"" if old > len(payload) else payload[old:]
        seq = tcb.rcv_nxt.value
    room = tcb.rcv_wnd
    if len(payload) > room:
        payload = payload[:room]
        flags &= ~FIN  # the FIN lay beyond the window
    if payload is seg.payload and flags == int(seg.flags):
        return seg
    return seg.with_(seq=seq, payload=payload, flags=flags_of(flags))
