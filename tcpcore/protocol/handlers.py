"""What each Action of the table does to a connection: one handler per Action.

A row of :mod:`tcpcore.protocol.table` names its actions (SEND_SYN, PROCESS_ACK, START_2MSL, ...);
:class:`tcpcore.protocol.connection.Connection` looks the row up and calls, in order, the handler
that
:data:`HANDLERS` gives for each of them. A handler is a function of the connection and the
:class:`Input` that triggered the row; it changes the connection's TCB, queues, timers and
events. Receiving lives here (PROCESS_ACK: the fifth step of RFC 9293 3.10.7.4 and the
retransmission queue it empties; ACCEPT_TEXT: the seventh, with the out-of-order segments it
drains); sending (``_emit``, ``_send_new``, the queue pushed after each input) stays in
:mod:`tcpcore.protocol.connection`, and the timers are in :mod:`tcpcore.protocol.timers`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from ..wire._fast import maker
from ..wire.flags import Flags, flags_of
from ..wire.segment import Segment
from ..wire.seq import _MASK, HALF, Seq, _seq
from . import events as ev
from . import timers
from .states import State
from .table import Action, CallError, Row, Trigger
from .tcb import TCB, rfc6528_iss

if TYPE_CHECKING:
    from .connection import Connection

# Plain ints, as in tcpcore.protocol.connection: segments get a Flags back through flags_of().
SYN, ACK, FIN, RST = int(Flags.SYN), int(Flags.ACK), int(Flags.FIN), int(Flags.RST)
_HANDSHAKE = (State.SYN_SENT, State.SYN_RECEIVED)  # a module constant: read per segment
_data_received = maker(ev.DataReceived)  # one per data segment: without __init__'s setattr
_REOPEN_ISS_GAP = 65535 + 2  # Linux: a reopened connection's ISS is the old SND.NXT + this


class Input(NamedTuple):
    """What a row's actions need from the input that triggered it."""

    now: float
    seg: Segment | None
    state: State
    trigger: Trigger
    row: Row
    data: bytes  # SEND: the bytes QUEUE_DATA queues
    reason: str  # a time-out: what SIGNAL_TIMEOUT reports


# -- opening: the ISS, the peer's SYN, a new TCB -------------------------------------------------


def select_iss(c: Connection, i: Input) -> None:
    """RFC 9293 3.4.1: the connection's own ``iss`` if given, else RFC 6528's."""
    if c.iss is None:
        iss = rfc6528_iss(
            i.now, (c.local_ip, c.local_port), (c.remote_ip, c.remote_port or 0), c.secret
        )
    else:
        iss = c.iss
    t = c.tcb
    t.iss = Seq(iss)
    t.snd_una = t.iss
    t.snd_nxt = t.iss


def record_irs(c: Connection, i: Input) -> None:
    """The peer's SYN: IRS, RCV.NXT, its window and MSS, and the options both SYNs settle."""
    seg = i.seg
    assert seg is not None
    t = c.tcb
    t.irs = _seq(seg.seq)
    t.rcv_nxt = t.irs + 1
    if c.remote_port is None:
        c.remote_port = seg.src_port
    mss = seg.mss
    if mss is not None and mss > 0:
        c.peer_mss = mss
    t.snd_wnd = seg.window
    t.max_snd_wnd = max(t.max_snd_wnd, seg.window)
    t.snd_wl1 = _seq(seg.seq)
    # The peer's SYN settles the options: ours went (or will go, echoed) in our SYN(+ACK).
    p = c.profile_obj
    t.sack_ok = p.sack_permitted and seg.sack_permitted
    t.wscale_ok = p.wscale is not None and seg.wscale is not None
    if t.wscale_ok and p.wscale is not None and seg.wscale is not None:
        t.snd_shift = min(seg.wscale, 14)  # RFC 7323 2.3: "use 14 instead"
        t.rcv_shift = p.wscale


def reset_to_listen(c: Connection, i: Input) -> None:
    """SYN-RECEIVED after a passive OPEN, reset: back to LISTEN with a fresh TCB."""
    c.tcb = TCB(rcv_wnd=c.tcb.rcv_wnd)
    c._rtx.clear()
    c._send_buf.clear()
    c._ooo.clear()
    c.timers.clear()
    c._fin_pending = False
    c._retries = 0
    c._rto = c.profile_obj.rto_initial
    c._tlp_high, c._in_loss = None, False
    if not c._remote_specified:
        c.remote_port = None


def new_incarnation(c: Connection, i: Input) -> None:
    """TIME-WAIT reuse (RFC 9293 3.6.1 MAY-2): a new TCB whose ISS lies above every sequence
    number of the old incarnation: Linux's old SND.NXT + 65535 + 2 (tcp_timewait_state_process(),
    tcp_tw_isn)."""
    old = c.tcb.snd_nxt
    c.timers.clear()
    c._new_tcb()
    t = c.tcb
    t.iss = t.snd_una = t.snd_nxt = old + _REOPEN_ISS_GAP


# -- sending ---------------------------------------------------------------------------------------


def send_syn(c: Connection, i: Input) -> None:
    c._send_new(SYN, b"", i.now)


def send_syn_ack(c: Connection, i: Input) -> None:
    c._send_new(SYN | ACK, b"", i.now)


def send_ack(c: Connection, i: Input) -> None:
    c._ack_pending = True  # sent by _flush, once, after the whole input


def send_challenge_ack(c: Connection, i: Input) -> None:
    c._emit(c.tcb.snd_nxt, ACK, b"")


def send_fin(c: Connection, i: Input) -> None:
    c._fin_pending = True  # sent by _push after any queued data


def send_rst(c: Connection, i: Input) -> None:
    flags = RST | ACK if c.profile_obj.rst_carries_ack else RST
    c._emit(c.tcb.snd_nxt, flags, b"")


def reply_rst(c: Connection, i: Input) -> None:
    """RFC 9293 3.10.7.1: a RST the offending segment's sender will accept."""
    seg = i.seg
    assert seg is not None
    if int(seg.flags) & ACK:
        rst = Segment(seg.dst_port, seg.src_port, seg.ack, 0, flags_of(RST), 0)
    else:
        ack = (seg.seq + seg.seg_len) & 0xFFFFFFFF
        rst = Segment(seg.dst_port, seg.src_port, 0, ack, flags_of(RST | ACK), 0)
    c._out.append(rst)


def retransmit(c: Connection, i: Input) -> None:
    """Resend the oldest unacknowledged segment with the current ACK and window."""
    if not c._rtx:
        return
    head = c._rtx[0]
    head.retransmitted = True
    c._emit(head.seq, head.flags, head.payload)


def send_keepalive(c: Connection, i: Input) -> None:
    c._emit(c.tcb.snd_nxt - 1, ACK, b"")
    c._probes += 1


def send_loss_probe(c: Connection, i: Input) -> None:
    timers.send_loss_probe(c, i.now)


# -- receiving -------------------------------------------------------------------------------------


def process_ack(c: Connection, i: Input) -> None:
    """RFC 9293 3.10.7.4 fifth step (and 3.10.7.3 fourth for SYN-SENT)."""
    seg, now = i.seg, i.now
    assert seg is not None
    t = c.tcb
    # The comparisons of Seq, on the values (this runs for nearly every segment):
    # a < b iff 0 < (b - a) mod 2**32 < 2**31; a <= b iff (b - a) mod 2**32 < 2**31.
    a, s = seg.ack, seg.seq
    above_una = (a - t.snd_una.value) & _MASK  # SND.UNA < SEG.ACK when 0 < this < HALF
    within_nxt = (t.snd_nxt.value - a) & _MASK < HALF  # SEG.ACK =< SND.NXT
    ack: Seq | None = None  # SEG.ACK as a Seq, made once for SND.UNA and SND.WL2
    if 0 < above_una < HALF and within_nxt:
        ack = _seq(a)
        acknowledge(c, ack, now)
    if c.state in _HANDSHAKE or (
        # SND.UNA =< SEG.ACK =< SND.NXT, and (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and
        # SND.WL2 =< SEG.ACK)): the ACK is not older than the one that set the window.
        (above_una < HALF and within_nxt)
        and (
            0 < (s - t.snd_wl1.value) & _MASK < HALF
            or ((s - t.snd_wl1.value) & _MASK == 0 and (a - t.snd_wl2.value) & _MASK < HALF)
        )
    ):
        # RFC 7323 2.3: SEG.WND << Snd.Wind.Shift, except in a SYN.
        wnd = seg.window if int(seg.flags) & SYN else seg.window << t.snd_shift
        t.snd_wnd = wnd
        if t.snd_wl1.value != s:
            t.snd_wl1 = _seq(s)
        if t.snd_wl2.value != a:
            t.snd_wl2 = ack if ack is not None else _seq(a)
    if t.snd_wnd > t.max_snd_wnd:  # MAX.SND.WND = max(MAX.SND.WND, SND.WND)
        t.max_snd_wnd = t.snd_wnd


def acknowledge(c: Connection, ack: Seq, now: float) -> None:
    """SND.UNA advances to ``ack``: what it covers leaves the retransmission queue (an RTT
    sample from a segment sent once, Karn's rule), and the timers are re-armed."""
    t = c.tcb
    t.snd_una = ack
    sample: float | None = None
    a = ack.value
    while c._rtx:
        head = c._rtx[0]
        f = head.flags
        end = head.seq.value + len(head.payload) + (f & SYN and 1) + (f & FIN and 1)
        if (a - end) & _MASK < HALF:  # the whole segment is acknowledged: end =< SEG.ACK
            if not head.retransmitted and sample is None:
                sample = now - head.sent_at
            c._rtx.pop(0)
        else:
            cut = ack - head.seq
            if cut > 0:
                # Partly acknowledged: keep only the unacknowledged part.
                if head.flags & SYN:
                    cut -= 1
                    head.flags &= ~SYN
                head.payload = head.payload[cut:]
                head.seq = ack
            break
    if sample is not None:
        timers.rtt_sample(c, sample)
    c._retries = 0
    c.timers.pop("retransmit", None)
    if c._tlp_high is not None and ack >= c._tlp_high:
        c._tlp_high = None  # the probe's episode is over (RFC 8985 7.4)
    if c._rtx:
        timers.arm_retransmit(c, now)
        timers.arm_loss_probe(c, now)  # RFC 8985 7.2: restart on an ACK of new data
    else:
        c._in_loss = False
        c.timers.pop("loss_probe", None)


def accept_text(c: Connection, i: Input) -> None:
    """Seventh step: deliver in-order text, advance RCV.NXT, then drain held segments."""
    seg, now = i.seg, i.now
    assert seg is not None
    t = c.tcb
    if seg.payload and seg.seq & _MASK == t.rcv_nxt.value:
        data = seg.payload
        t.rcv_nxt = _seq(t.rcv_nxt.value + len(data))
        if c.auto_read:
            c._events.append(_data_received(now, data))
        else:
            c.unread += data
            t.rcv_wnd = max(0, c._capacity - len(c.unread))
            c._events.append(_data_received(now, data))
        c._ack_pending = True
        if c._ooo and not int(seg.flags) & FIN:
            drain(c, now)


def drain(c: Connection, now: float) -> None:
    """Process held out-of-order segments that RCV.NXT has now reached."""
    t = c.tcb
    for key in sorted(c._ooo, key=lambda k: Seq(k) - t.rcv_nxt):
        held = c._ooo[key]
        if _seq(held.seq) > t.rcv_nxt:
            break
        del c._ooo[key]
        if _seq(held.seq) + held.seg_len > t.rcv_nxt:
            c._on_segment(held, now)
            return  # _on_segment drains again if more became in order


def accept_fin(c: Connection, i: Input) -> None:
    c.tcb.rcv_nxt = c.tcb.rcv_nxt + 1
    c._events.append(ev.PeerClosed(i.now))


def queue_data(c: Connection, i: Input) -> None:
    c._send_buf += i.data


def mark_closed(c: Connection, i: Input) -> None:
    c.user_closed = True
    if c.state is State.FIN_WAIT_2:
        timers.arm_fin_wait_2(c, i.now)


def discard(c: Connection, i: Input) -> None:
    pass


def start_2msl(c: Connection, i: Input) -> None:
    c.timers.clear()
    c._rtx.clear()
    c.timers["time_wait"] = i.now + c.profile_obj.time_wait


# -- telling the user ------------------------------------------------------------------------------


def signal_connected(c: Connection, i: Input) -> None:
    c._events.append(ev.Connected(i.now))


def signal_reset(c: Connection, i: Input) -> None:
    c.error = "ECONNRESET"
    c._events.append(ev.ConnectionReset(i.now))


def signal_refused(c: Connection, i: Input) -> None:
    c.error = "ECONNREFUSED"
    c._events.append(ev.ConnectionRefused(i.now))


def signal_timeout(c: Connection, i: Input) -> None:
    c.error = "ETIMEDOUT"
    c._events.append(ev.TimedOut(i.now, i.reason))


def error(c: Connection, i: Input) -> None:
    raise CallError(i.state, i.trigger, i.row.note, "RFC 9293 " + i.row.clause)


A = Action
Handler = Callable[["Connection", Input], None]
# {Action: handler}: how the connection carries out each step of a row (tests check that every
# Action has one, named after it).
HANDLERS: dict[Action, Handler] = {
    A.SELECT_ISS: select_iss,
    A.SEND_SYN: send_syn,
    A.SEND_SYN_ACK: send_syn_ack,
    A.SEND_ACK: send_ack,
    A.SEND_CHALLENGE_ACK: send_challenge_ack,
    A.SEND_FIN: send_fin,
    A.SEND_RST: send_rst,
    A.REPLY_RST: reply_rst,
    A.RETRANSMIT: retransmit,
    A.SEND_KEEPALIVE: send_keepalive,
    A.SEND_LOSS_PROBE: send_loss_probe,
    A.RECORD_IRS: record_irs,
    A.PROCESS_ACK: process_ack,
    A.ACCEPT_TEXT: accept_text,
    A.ACCEPT_FIN: accept_fin,
    A.QUEUE_DATA: queue_data,
    A.MARK_CLOSED: mark_closed,
    A.DISCARD: discard,
    A.RESET_TO_LISTEN: reset_to_listen,
    A.NEW_INCARNATION: new_incarnation,
    A.START_2MSL: start_2msl,
    A.SIGNAL_CONNECTED: signal_connected,
    A.SIGNAL_RESET: signal_reset,
    A.SIGNAL_REFUSED: signal_refused,
    A.SIGNAL_TIMEOUT: signal_timeout,
    A.ERROR: error,
}
Plan = tuple[Handler, ...]
# Each row's handlers, in order, found once (by the row's identity: rows are the table's
# constants; the row is kept alongside so its id cannot be reused).
_PLANS: dict[int, tuple[Row, Plan]] = {}


def plan(row: Row) -> Plan:
    """The handlers of a row's actions, in order."""
    found = _PLANS.get(id(row))
    if found is None:
        found = _PLANS[id(row)] = (row, tuple(HANDLERS[a] for a in row.actions))
    return found[1]
