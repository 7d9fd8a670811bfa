"""A sans-IO TCP endpoint: the TCB, the table applied, timers on a virtual clock.

Nothing here touches a socket, the wall clock or global randomness. Every input carries ``now``
(seconds on any clock that never goes backwards); outputs are collected and handed over on request:

    conn = Connection(local_port=40000, remote_port=80, iss=100)
    conn.connect(now=0.0)
    for seg in conn.pop_segments(): ...          # to the network
    conn.receive(segment, now=0.2)               # from the network
    conn.next_deadline()                         # when to call handle_timer(now)
    for event in conn.pop_events(): ...          # Connected, DataReceived, PeerClosed, ...

An arriving segment is classified by :mod:`tcpcore.rules` into a trigger, the row for
(state, trigger) is looked up in :mod:`tcpcore.table`, and the row's actions are carried out in
order. User calls and timer expiries go through the same lookup. ``history`` records every row
applied, so a run can be replayed, drawn or graded.

Timers (RFC 9293 3.8.1, 3.10.8; RFC 6298; RFC 1122 4.2.3.5, 4.2.3.6):
* retransmission: initial RTO from the profile (1 s), RFC 6298 estimation with Karn's rule,
  doubled on each expiry up to the profile's maximum; only the oldest segment is resent;
* giving up: after the profile's retry count or time (SYN, SYN+ACK and data separately), or the
  connection's ``user_timeout``: the USER TIMEOUT row, CLOSED, ``TimedOut``;
* TIME-WAIT: the profile's ``time_wait`` (2*MSL in the RFC, 60 s on Linux), restarted by a
  retransmitted FIN;
* keepalive (off unless enabled): a probe <SEQ=SND.NXT-1> after ``idle`` seconds without a
  segment from the peer, then every ``interval``; after ``probes`` unanswered probes the peer is
  declared dead;
* FIN-WAIT-2 (Linux only): an orphaned FIN-WAIT-2 is dropped after ``fin_wait_2_timeout``;
* tail loss probe (profiles with ``tail_loss_probe``, once SACK is negotiated; RFC 8985 7):
  2*SRTT after new data or a FIN leaves, the last segment is sent again, then the RTO runs.

The SYN and SYN+ACK carry MSS, and the Window Scale (RFC 7323 2) and SACK-permitted (RFC 2018 2)
options the profile offers; a SYN+ACK only echoes what the peer's SYN offered. Once both SYNs
carried Window Scale, the peer's window field is shifted left and ours right (never on a SYN).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from . import events as ev
from ._fast import maker
from .errors import TCPCoreError
from .flags import Flags, flags_of
from .options import MSS, Eol, Nop, Option, SackPermitted, WindowScale
from .profiles import Profile, get_profile
from .rules import classify
from .segment import Segment
from .seq import _MASK, Seq, _seq
from .seq import HALF as _HALF
from .states import State
from .table import TABLE, Action, CallError, Row, TransitionError, Trigger, lookup
from .tcb import TCB

A = Action
# Plain ints: flags are combined and tested several times per segment, and IntFlag's operators
# cost microseconds each. Segments get a Flags back through flags_of().
SYN, ACK, FIN, RST, PSH = (int(f) for f in (Flags.SYN, Flags.ACK, Flags.FIN, Flags.RST, Flags.PSH))
_CLOCK_GRANULARITY = 0.001  # G of RFC 6298 2.2
_KEEP_STATES = (State.ESTABLISHED, State.CLOSE_WAIT, State.FIN_WAIT_2)
# State.synchronized, as a constant to test against (it is asked for every segment sent).
_UNSYNCHRONIZED = (State.CLOSED, State.LISTEN, State.SYN_SENT)
# The states in which queued data and a queued FIN may leave.
_SENDING = (State.ESTABLISHED, State.CLOSE_WAIT, State.FIN_WAIT_1, State.LAST_ACK, State.CLOSING)
_REOPEN_ISS_GAP = 65535 + 2  # Linux: a reopened connection's ISS is the old SND.NXT + this


class ClockError(TCPCoreError, ValueError):
    """``now`` was negative or earlier than a time the connection has already seen."""


class WrongConnectionError(TCPCoreError, ValueError):
    """A segment whose ports do not belong to this connection."""


@dataclass(slots=True)
class _Pending:
    """A sent, unacknowledged segment on the retransmission queue."""

    seq: Seq
    flags: int
    payload: bytes
    sent_at: float
    retransmitted: bool = False

    @property
    def length(self) -> int:
        return len(self.payload) + (1 if self.flags & SYN else 0) + (1 if self.flags & FIN else 0)


@dataclass(frozen=True, slots=True)
class Step:
    """One row applied: at ``time``, ``trigger`` in ``state`` led to ``row.next``."""

    time: float
    state: State
    trigger: Trigger
    row: Row
    segment: Segment | None = None


def _check_port(what: str, port: object) -> None:
    """TypeError for a port that is not an int, ValueError for one outside 1..65535."""
    if not isinstance(port, int) or isinstance(port, bool):
        raise TypeError(f"{what} must be an int, got {type(port).__name__}")
    if not 0 < port <= 0xFFFF:
        raise ValueError(f"{what} {port!r} is not a TCP port (1..65535)")


def rfc6528_iss(now: float, local: tuple[str, int], remote: tuple[str, int], secret: bytes) -> int:
    """RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey).

    M is a 4-microsecond clock (RFC 9293 3.4.1); F is a keyed BLAKE2b hash of the connection's
    identity, so that each connection's sequence space starts somewhere hard to guess.
    """
    ident = f"{local[0]}|{local[1]}|{remote[0]}|{remote[1]}".encode()
    f = int.from_bytes(hashlib.blake2b(ident, key=secret[:64], digest_size=4).digest(), "big")
    m = int(now * 250_000)
    return (m + f) & 0xFFFFFFFF


@dataclass
class Connection:
    """One endpoint of a TCP connection (see the module docstring)."""

    local_port: int
    remote_port: int | None = None
    profile: Profile | str = "rfc9293"
    iss: int | None = None
    name: str = ""
    local_ip: str = "10.0.0.1"
    remote_ip: str = "10.0.0.2"
    secret: bytes = b"tcpcore: not secret, pass your own key for real use"
    user_timeout: float | None = None
    mss: int | None = None
    rcv_wnd: int | None = None
    auto_read: bool = True
    keepalive: bool = False
    keepalive_idle: float | None = None
    keepalive_interval: float | None = None
    keepalive_probes: int | None = None
    on_step: Callable[[Step], None] | None = None

    state: State = field(default=State.CLOSED, init=False)
    tcb: TCB = field(default_factory=TCB, init=False)
    history: list[Step] = field(default_factory=list, init=False)
    passive: bool = field(default=False, init=False)
    user_closed: bool = field(default=False, init=False)
    peer_mss: int = field(default=536, init=False)
    timers: dict[str, float] = field(default_factory=dict, init=False)
    # Why the connection died, as the socket reports it (SO_ERROR): "ECONNRESET" after a reset,
    # "ECONNREFUSED" after a refused open, "ETIMEDOUT" after giving up; None otherwise.
    error: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.profile = get_profile(self.profile)
        _check_port("local_port", self.local_port)
        if self.remote_port is not None:
            _check_port("remote_port", self.remote_port)
        p = self.profile
        self.tcb.rcv_wnd = p.rcv_wnd if self.rcv_wnd is None else self.rcv_wnd
        self.peer_mss = p.default_peer_mss
        self._capacity = self._buffer = self.tcb.rcv_wnd
        self._now = 0.0
        self._out: list[Segment] = []
        self._events: list[ev.Event] = []
        self._send_buf = bytearray()  # queued, not yet sent
        self._rtx: list[_Pending] = []  # sent, not yet acknowledged
        self._ooo: dict[int, Segment] = {}  # out-of-order segments by SEG.SEQ
        self.unread = bytearray()  # received, not yet read (auto_read=False)
        self._fin_pending = False
        self._ack_pending = False
        self._srtt: float | None = None
        self._rttvar = 0.0
        self._rto = p.rto_initial
        self._retries = 0
        self._probes = 0
        self._last_rx = 0.0
        self._remote_specified = self.remote_port is not None
        self._tlp_high: Seq | None = None  # SND.NXT when the last loss probe left (RFC 8985 7.3)
        self._in_loss = False  # an RTO fired; no loss probe until everything is acknowledged

    # -- public: time ---------------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        if type(now) is float and self._now <= now:  # the common case: a later float
            self._now = now
            return
        if not isinstance(now, int | float) or isinstance(now, bool):
            raise TypeError(f"now must be a number of seconds, got {type(now).__name__}")
        if now != now:
            raise ClockError(f"now must be a number of seconds, got {now!r}")
        if now < 0:
            raise ClockError(f"now={now} is negative")
        if now < self._now:
            raise ClockError(f"now={now} is earlier than the last time seen ({self._now})")
        self._now = float(now)

    def next_deadline(self) -> float | None:
        """The earliest time at which :meth:`handle_timer` has something to do, or None."""
        return min(self.timers.values()) if self.timers else None

    def handle_timer(self, now: float) -> None:
        """Fire every timer due at ``now`` (earliest first)."""
        self._tick(now)
        while self.timers:
            # At the same instant the loss probe goes first: it is scheduled in the RTO's place
            # when the RTO would come sooner (RFC 8985 7.2; Linux tcp_schedule_loss_probe()).
            name, due = min(self.timers.items(), key=lambda kv: (kv[1], kv[0] != "loss_probe"))
            if due > now:
                break
            del self.timers[name]
            self._fire(name, now)

    # -- public: user calls (RFC 9293 3.10.1-3.10.5) -------------------------------------------

    def connect(self, now: float, remote_port: int | None = None) -> None:
        """Active OPEN: send a SYN and enter SYN-SENT."""
        self._tick(now)
        if remote_port is not None:
            _check_port("remote_port", remote_port)
            self.remote_port = remote_port
            self._remote_specified = True
        if self.remote_port is None and self.state is State.CLOSED:
            raise ValueError("an active OPEN needs remote_port")
        self._user(Trigger.OPEN_ACTIVE, now)

    def listen(self, now: float) -> None:
        """Passive OPEN: wait in LISTEN for a SYN."""
        self._tick(now)
        self._user(Trigger.OPEN_PASSIVE, now)

    def send(self, data: bytes, now: float) -> None:
        """SEND: queue data; it leaves as the peer's window allows."""
        self._tick(now)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"send() needs bytes, got {type(data).__name__}")
        self._user(Trigger.SEND, now, data=bytes(data))

    def close(self, now: float) -> None:
        """close(): no more sending and no more reading (FIN, or RST per profile if unread)."""
        self._tick(now)
        self._user(Trigger.CLOSE_UNREAD if self.unread else Trigger.CLOSE, now)

    def shutdown(self, now: float) -> None:
        """shutdown(SHUT_WR), the RFC's CLOSE: send a FIN but go on receiving."""
        self._tick(now)
        self._user(Trigger.SHUTDOWN, now)

    def abort(self, now: float) -> None:
        """ABORT: send a RST (where the state calls for one) and enter CLOSED."""
        self._tick(now)
        self._user(Trigger.ABORT, now)

    def read(self, n: int = -1) -> bytes:
        """Take up to n bytes (all if n < 0) of received data (only with auto_read=False)."""
        take = len(self.unread) if n < 0 else min(n, len(self.unread))
        data = bytes(self.unread[:take])
        del self.unread[:take]
        if not self.auto_read:
            self.tcb.rcv_wnd = self._capacity - len(self.unread)
        return data

    def set_keepalive(
        self,
        now: float,
        enabled: bool,
        idle: float | None = None,
        interval: float | None = None,
        probes: int | None = None,
    ) -> None:
        """Turn keepalive on or off and set its numbers (None: the profile's), as the socket
        options SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT do (RFC 1122 4.2.3.6);
        the timer is re-armed from the last segment received."""
        self._tick(now)
        self.keepalive = enabled
        self.keepalive_idle, self.keepalive_interval = idle, interval
        self.keepalive_probes = probes
        self._rearm_keepalive(now)

    # -- public: the network --------------------------------------------------------------------

    def receive(self, seg: Segment, now: float) -> None:
        """A segment arrived from the peer (RFC 9293 3.10.7)."""
        self._tick(now)
        if not isinstance(seg, Segment):
            raise TypeError(f"receive() needs a Segment, got {type(seg).__name__}")
        # Once a SYN has filled in an unspecified remote socket (RFC 9293 3.10.7.2 third), the
        # connection is that socket pair: a segment from another port is for someone else.
        if seg.dst_port != self.local_port or (
            self.remote_port is not None and seg.src_port != self.remote_port
        ):
            raise WrongConnectionError(
                f"segment {seg.src_port}->{seg.dst_port} is not for this connection "
                f"({self.remote_port}->{self.local_port})"
            )
        f = int(seg.flags)
        if self.profile_obj.drop_syn_fin and f & SYN and f & FIN and self.state is not State.CLOSED:
            # FreeBSD tcp_input() with net.inet.tcp.drop_synfin=1: a connection's segment is
            # dropped before any state sees it (a filter in front of the table, as a bad
            # checksum would be); a closed port still answers with a RST.
            return
        self._last_rx = now
        self._probes = 0
        self._on_segment(seg, now)
        self._flush(now)
        self._rearm_keepalive(now)

    def pop_segments(self) -> list[Segment]:
        """Segments to send, oldest first; the list is handed over and emptied."""
        out, self._out = self._out, []
        return out

    def pop_events(self) -> list[ev.Event]:
        """Events for the user, oldest first; the list is handed over and emptied."""
        out, self._events = self._events, []
        return out

    # -- the engine -------------------------------------------------------------------------------

    def _user(
        self, trigger: Trigger, now: float, *, data: bytes = b"", reason: str = "timed out"
    ) -> None:
        self._apply(trigger, now, None, data, reason)
        self._flush(now)
        self._rearm_keepalive(now)

    def _on_segment(self, seg: Segment, now: float) -> None:
        verdict = classify(
            self.state,
            self.tcb,
            seg,
            passive=self.passive,
            user_closed=self.user_closed,
            trim_old=self.profile_obj.process_ack_of_old_segment,
            switches=self.profile_obj,
        )
        if verdict.out_of_order:
            # Hold the whole segment for later (SHLD-31); process its ACK now and ask for the
            # missing data with an immediate duplicate ACK (RFC 5681 4.2).
            if len(self._ooo) < 64:
                self._ooo.setdefault(seg.seq, seg)
            ack_only = verdict.segment.with_(payload=b"", flags=flags_of(int(seg.flags) & ~FIN))
            self._apply(verdict.trigger, now, ack_only)
            self._ack_pending = True
            return
        self._apply(verdict.trigger, now, verdict.segment)
        ts = seg.timestamps if seg.options else None
        if (
            ts is not None
            and self.state not in _UNSYNCHRONIZED
            and verdict.trigger is not Trigger.UNACCEPTABLE
        ):
            self.tcb.ts_recent = ts[0]  # TS.Recent (RFC 7323 4.3), read by rules.reopens()
        if verdict.duplicate and self.state not in (State.TIME_WAIT, State.CLOSED):
            self._ack_pending = True  # FreeBSD's TF_ACKNOW for an old duplicate

    def _apply(
        self,
        trigger: Trigger,
        now: float,
        seg: Segment | None,
        data: bytes = b"",
        reason: str = "timed out",
    ) -> None:
        """Look up (state, trigger) and carry out the row's actions in order; ``data`` is what
        a SEND queues, ``reason`` what a time-out reports."""
        state = self.state
        # The row and its handlers, found once per (state, trigger): keyed by the members'
        # identities, since hashing an Enum member runs Python code.
        route = _ROUTES.get((id(state), id(trigger)))
        if route is None:
            found = TABLE.get((state, trigger))
            if found is None:
                raise TransitionError(state, trigger)
            route = _ROUTES[id(state), id(trigger)] = (state, trigger, found, _plan(found))
        row, handlers = route[2], route[3]
        if row.variants:  # the profile picks the row
            row = lookup(state, trigger, self.profile_obj)
            handlers = _plan(row)
        if self.remote_port is None and A.SEND_SYN in row.actions:
            # RFC 9293 3.10.1 (and 3.10.2 for a SEND in LISTEN): an active OPEN needs a peer.
            msg = "error: remote socket unspecified"
            raise CallError(state, trigger, msg, "RFC 9293 " + row.clause)
        if state is State.CLOSED and row.next is not State.CLOSED:
            self._new_tcb()
        step = _make_step(now, state, trigger, row, seg)
        self.history.append(step)
        if self.on_step is not None:
            self.on_step(step)
        if handlers:
            given = _Input(now, seg, state, trigger, row, data, reason)
            for handler in handlers:
                handler(self, given)
        if row.next is not state and self.state is state:
            self._enter(row.next, now, trigger, row)

    def _enter(self, new: State, now: float, trigger: Trigger, row: Row) -> None:
        old, self.state = self.state, new
        # RFC 9293 3.10.7.4 second and fourth steps treat SYN-RECEIVED differently after a
        # passive OPEN (back to LISTEN) and an active one (connection refused): remember which.
        if new is State.LISTEN:
            self.passive = True
        elif new is State.SYN_SENT:
            self.passive = False
        self._events.append(ev.StateChanged(now, old, new, trigger, row.clause))
        if new is State.CLOSED:
            self.timers.clear()
            self._rtx.clear()
            self._send_buf.clear()
            self._ooo.clear()
            self._fin_pending = False
            self._events.append(ev.Closed(now))
        elif new is State.FIN_WAIT_2:
            self._arm_fin_wait_2(now)
        elif (
            self.profile_obj.rcv_space
            and self.rcv_wnd is None
            and (new is State.ESTABLISHED or old is State.SYN_SENT)
        ):
            # FreeBSD tcp_mss_update(), when a connection's SYN has arrived (a listener's
            # syncache keeps the SYN+ACK's window until the handshake ends): the buffer becomes
            # a whole number of segments.
            size = min(self.mss or self.default_mss(), self.peer_mss)
            self._capacity = -(-self.profile_obj.rcv_space // size) * size
            self.tcb.rcv_wnd = max(0, self._capacity - len(self.unread))

    # -- actions ----------------------------------------------------------------------------------

    # One handler per Action (the table's vocabulary); _HANDLERS below maps each to its handler.

    def _do_error(self, i: _Input) -> None:
        raise CallError(i.state, i.trigger, i.row.note, "RFC 9293 " + i.row.clause)

    def _do_select_iss(self, i: _Input) -> None:
        self._select_iss(i.now)

    def _do_send_syn(self, i: _Input) -> None:
        self._send_new(SYN, b"", i.now)

    def _do_send_syn_ack(self, i: _Input) -> None:
        self._send_new(SYN | ACK, b"", i.now)

    def _do_send_ack(self, i: _Input) -> None:
        self._ack_pending = True  # sent by _flush, once, after the whole input

    def _do_send_challenge_ack(self, i: _Input) -> None:
        self._emit(self.tcb.snd_nxt, ACK, b"")

    def _do_send_fin(self, i: _Input) -> None:
        self._fin_pending = True  # sent by _push after any queued data

    def _do_send_rst(self, i: _Input) -> None:
        flags = RST | ACK if self.profile_obj.rst_carries_ack else RST
        self._emit(self.tcb.snd_nxt, flags, b"")

    def _do_reply_rst(self, i: _Input) -> None:
        assert i.seg is not None
        self._reply_rst(i.seg)

    def _do_retransmit(self, i: _Input) -> None:
        self._retransmit_head(i.now)

    def _do_send_keepalive(self, i: _Input) -> None:
        self._emit(self.tcb.snd_nxt - 1, ACK, b"")
        self._probes += 1

    def _do_send_loss_probe(self, i: _Input) -> None:
        self._send_loss_probe(i.now)

    def _do_record_irs(self, i: _Input) -> None:
        assert i.seg is not None
        self._record_irs(i.seg)

    def _do_process_ack(self, i: _Input) -> None:
        assert i.seg is not None
        self._process_ack(i.seg, i.now)

    def _do_accept_text(self, i: _Input) -> None:
        assert i.seg is not None
        self._accept_text(i.seg, i.now)

    def _do_accept_fin(self, i: _Input) -> None:
        self.tcb.rcv_nxt = self.tcb.rcv_nxt + 1
        self._events.append(ev.PeerClosed(i.now))

    def _do_queue_data(self, i: _Input) -> None:
        self._send_buf += i.data

    def _do_mark_closed(self, i: _Input) -> None:
        self.user_closed = True
        if self.state is State.FIN_WAIT_2:
            self._arm_fin_wait_2(i.now)

    def _do_discard(self, i: _Input) -> None:
        pass

    def _do_reset_to_listen(self, i: _Input) -> None:
        self._reset_to_listen()

    def _do_new_incarnation(self, i: _Input) -> None:
        self._new_incarnation()

    def _do_start_2msl(self, i: _Input) -> None:
        self.timers.clear()
        self._rtx.clear()
        self.timers["time_wait"] = i.now + self.profile_obj.time_wait

    def _do_signal_connected(self, i: _Input) -> None:
        self._events.append(ev.Connected(i.now))

    def _do_signal_reset(self, i: _Input) -> None:
        self.error = "ECONNRESET"
        self._events.append(ev.ConnectionReset(i.now))

    def _do_signal_refused(self, i: _Input) -> None:
        self.error = "ECONNREFUSED"
        self._events.append(ev.ConnectionRefused(i.now))

    def _do_signal_timeout(self, i: _Input) -> None:
        self.error = "ETIMEDOUT"
        self._events.append(ev.TimedOut(i.now, i.reason))

    @property
    def profile_obj(self) -> Profile:
        """``profile`` as a Profile (__post_init__ turned a name into one)."""
        return self.profile  # type: ignore[return-value]

    def _select_iss(self, now: float) -> None:
        if self.iss is None:
            iss = rfc6528_iss(
                now,
                (self.local_ip, self.local_port),
                (self.remote_ip, self.remote_port or 0),
                self.secret,
            )
        else:
            iss = self.iss
        t = self.tcb
        t.iss = Seq(iss)
        t.snd_una = t.iss
        t.snd_nxt = t.iss

    def _record_irs(self, seg: Segment) -> None:
        t = self.tcb
        t.irs = _seq(seg.seq)
        t.rcv_nxt = t.irs + 1
        if self.remote_port is None:
            self.remote_port = seg.src_port
        mss = seg.mss
        if mss is not None and mss > 0:
            self.peer_mss = mss
        t.snd_wnd = seg.window
        t.max_snd_wnd = max(t.max_snd_wnd, seg.window)
        t.snd_wl1 = _seq(seg.seq)
        # The peer's SYN settles the options: ours went (or will go, echoed) in our SYN(+ACK).
        p = self.profile_obj
        t.sack_ok = p.sack_permitted and seg.sack_permitted
        t.wscale_ok = p.wscale is not None and seg.wscale is not None
        if t.wscale_ok and p.wscale is not None and seg.wscale is not None:
            t.snd_shift = min(seg.wscale, 14)  # RFC 7323 2.3: "use 14 instead"
            t.rcv_shift = p.wscale

    def _new_tcb(self) -> None:
        """RFC 9293 3.10.1, OPEN in CLOSED: "Create a new transmission control block". Nothing of
        an earlier connection on this object (its FIN, close(), unread data, RTT) carries over."""
        p = self.profile_obj
        self._capacity = self._buffer
        self.tcb = TCB(rcv_wnd=self._capacity)
        self.error = None
        self.user_closed = False
        self.unread.clear()
        self.peer_mss = p.default_peer_mss
        self._send_buf.clear()
        self._rtx.clear()
        self._ooo.clear()
        self._fin_pending = self._ack_pending = False
        self._srtt, self._rttvar, self._rto = None, 0.0, p.rto_initial
        self._retries = self._probes = 0
        self._tlp_high, self._in_loss = None, False
        if not self._remote_specified:
            self.remote_port = None

    def _new_incarnation(self) -> None:
        """TIME-WAIT reuse (RFC 9293 3.6.1 MAY-2): a new TCB whose ISS lies above every
        sequence number of the old incarnation: Linux's old SND.NXT + 65535 + 2
        (tcp_timewait_state_process(), tcp_tw_isn)."""
        old = self.tcb.snd_nxt
        self.timers.clear()
        self._new_tcb()
        t = self.tcb
        t.iss = t.snd_una = t.snd_nxt = old + _REOPEN_ISS_GAP

    def _reset_to_listen(self) -> None:
        self.tcb = TCB(rcv_wnd=self.tcb.rcv_wnd)
        self._rtx.clear()
        self._send_buf.clear()
        self._ooo.clear()
        self.timers.clear()
        self._fin_pending = False
        self._retries = 0
        self._rto = self.profile_obj.rto_initial
        self._tlp_high, self._in_loss = None, False
        if not self._remote_specified:
            self.remote_port = None

    # -- sending ----------------------------------------------------------------------------------

    def _emit(self, seq: Seq, flags: int, payload: bytes) -> Segment:
        """Put a segment on the output list, with the current ACK and window."""
        t = self.tcb
        synchronized = self.state not in _UNSYNCHRONIZED or (flags & SYN and flags & ACK)
        ack = t.rcv_nxt.value if (flags & ACK or synchronized) and not flags & RST else 0
        if flags & RST and flags & ACK:
            ack = t.rcv_nxt.value
        if synchronized and not flags & RST:
            flags |= ACK
        options = self._syn_options(bool(flags & ACK)) if flags & SYN else ()
        # RFC 7323 2.2: the window of a SYN is never scaled.
        window = t.rcv_wnd if flags & SYN else t.rcv_wnd >> t.rcv_shift
        seg = _make_segment(
            self.local_port,
            self.remote_port or 0,
            seq.value,
            ack,
            flags_of(flags),
            min(window, 0xFFFF) if not flags & RST else 0,
            0,  # urgent pointer
            options,
            payload,
            0,  # reserved bits
            None,  # checksum: computed when encoded with addresses
            b"",  # padding
        )
        self._out.append(seg)
        if flags & ACK:
            self._ack_pending = False
        return seg

    def _send_new(self, flags: int, payload: bytes, now: float) -> None:
        """Send a segment that occupies sequence space and keep it for retransmission."""
        t = self.tcb
        seq = t.iss if flags & SYN else t.snd_nxt
        self._emit(seq, flags, payload)
        p = _Pending(seq, flags, payload, now)
        self._rtx.append(p)
        if flags & SYN:
            t.snd_nxt = t.iss + 1
        else:
            t.snd_nxt = t.snd_nxt + p.length
        if flags & FIN:
            t.fin_seq = t.snd_nxt - 1
        if "retransmit" not in self.timers:
            self._arm_retransmit(now)
        if not flags & SYN:
            self._arm_loss_probe(now)

    def _syn_options(self, reply: bool) -> tuple[Option, ...]:
        """MSS, then what the profile offers; a SYN+ACK (``reply``) only what the peer's SYN
        offered (RFC 7323 2.2, RFC 2018 2). NOPs align each option on four bytes."""
        p, t = self.profile_obj, self.tcb
        mss = MSS(self.mss or self.default_mss())
        sack = p.sack_permitted and (t.sack_ok or not reply)
        scale = (
            WindowScale(p.wscale) if p.wscale is not None and (t.wscale_ok or not reply) else None
        )
        if p.syn_option_layout == "freebsd":
            # tcp_addoptions(): MSS, NOPs to an odd length then Window Scale, NOPs to an even
            # length then SACK-permitted, then EOLs to a multiple of four bytes.
            opts: list[Option] = [mss]
            size = 4
            if scale is not None:
                opts += [Nop(), scale]
                size += 4
            if sack:
                opts.append(SackPermitted())
                size += 2
            opts += [Eol()] * (-size % 4)
            return tuple(opts)
        opts = [mss]
        if sack:
            opts += [Nop(), Nop(), SackPermitted()]
        if scale is not None:
            opts += [Nop(), scale]
        return tuple(opts)

    def default_mss(self) -> int:
        """The MSS this end announces: the profile's (an IPv4 link of 1500 bytes), 20 bytes
        less over IPv6, whose fixed header is 40 bytes instead of 20 (RFC 9293 3.7.1; RFC 8200
        3); the connection's family is its ``local_ip``'s."""
        ipv6 = ":" in self.local_ip
        return self.profile_obj.mss - (20 if ipv6 else 0)

    def _reply_rst(self, seg: Segment) -> None:
        """RFC 9293 3.10.7.1: a RST the offending segment's sender will accept."""
        if int(seg.flags) & ACK:
            rst = Segment(seg.dst_port, seg.src_port, seg.ack, 0, flags_of(RST), 0)
        else:
            ack = (seg.seq + seg.seg_len) & 0xFFFFFFFF
            rst = Segment(seg.dst_port, seg.src_port, 0, ack, flags_of(RST | ACK), 0)
        self._out.append(rst)

    def _push(self, now: float) -> None:
        """Send queued data as the peer's window allows, then a queued FIN."""
        if self.state not in _SENDING:
            return
        t = self.tcb
        if t.fin_seq is not None:
            return
        while self._send_buf:
            room = t.snd_una + t.snd_wnd - t.snd_nxt
            if room <= 0:
                return
            size = min(room, self.peer_mss, len(self._send_buf))
            chunk = bytes(self._send_buf[:size])
            del self._send_buf[:size]
            flags = ACK if self._send_buf else ACK | PSH
            if not self._send_buf and self._fin_pending:
                flags |= FIN
                self._fin_pending = False
            self._send_new(flags, chunk, now)
        if self._fin_pending:
            self._fin_pending = False
            self._send_new(FIN | ACK, b"", now)

    def _flush(self, now: float) -> None:
        """After an input: send what is queued, then a pure ACK if one is still owed."""
        self._push(now)
        t = self.tcb
        if self._ack_pending and self.state is not State.CLOSED:
            if (
                self.profile_obj.resend_fin_with_ack
                and self.state in (State.FIN_WAIT_1, State.CLOSING, State.LAST_ACK)
                and t.fin_seq is not None
                and not t.fin_acked()
            ):
                # FreeBSD tcp_output(): the ACK leaves as our unacknowledged FIN, sent again.
                for pending in self._rtx:
                    pending.retransmitted = pending.retransmitted or bool(pending.flags & FIN)
                self._emit(t.fin_seq, FIN | ACK, b"")
            else:
                self._emit(t.snd_nxt, ACK, b"")
        self._ack_pending = False

    # -- receiving --------------------------------------------------------------------------------

    def _process_ack(self, seg: Segment, now: float) -> None:
        """RFC 9293 3.10.7.4 fifth step (and 3.10.7.3 fourth for SYN-SENT)."""
        t = self.tcb
        # The comparisons of Seq, on the values (this runs for nearly every segment):
        # a < b iff 0 < (b - a) mod 2**32 < 2**31; a <= b iff (b - a) mod 2**32 < 2**31.
        a, s = seg.ack, seg.seq
        above_una = (a - t.snd_una.value) & _MASK  # SND.UNA < SEG.ACK when 0 < this < HALF
        within_nxt = (t.snd_nxt.value - a) & _MASK < _HALF  # SEG.ACK =< SND.NXT
        if 0 < above_una < _HALF and within_nxt:
            self._acknowledge(_seq(a), now)
        if self.state in (State.SYN_SENT, State.SYN_RECEIVED) or (
            # SND.UNA =< SEG.ACK =< SND.NXT, and (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and
            # SND.WL2 =< SEG.ACK)): the ACK is not older than the one that set the window.
            (above_una < _HALF and within_nxt)
            and (
                0 < (s - t.snd_wl1.value) & _MASK < _HALF
                or ((s - t.snd_wl1.value) & _MASK == 0 and (a - t.snd_wl2.value) & _MASK < _HALF)
            )
        ):
            # RFC 7323 2.3: SEG.WND << Snd.Wind.Shift, except in a SYN.
            wnd = seg.window if int(seg.flags) & SYN else seg.window << t.snd_shift
            t.snd_wnd = wnd
            if t.snd_wl1.value != s:
                t.snd_wl1 = _seq(s)
            if t.snd_wl2.value != a:
                t.snd_wl2 = _seq(a)
        t.max_snd_wnd = max(t.max_snd_wnd, t.snd_wnd)

    def _acknowledge(self, ack: Seq, now: float) -> None:
        t = self.tcb
        t.snd_una = ack
        sample: float | None = None
        a = ack.value
        while self._rtx:
            head = self._rtx[0]
            f = head.flags
            end = head.seq.value + len(head.payload) + (f & SYN and 1) + (f & FIN and 1)
            if (a - end) & _MASK < _HALF:  # the whole segment is acknowledged: end =< SEG.ACK
                if not head.retransmitted and sample is None:
                    sample = now - head.sent_at
                self._rtx.pop(0)
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
            self._rtt_sample(sample)
        self._retries = 0
        self.timers.pop("retransmit", None)
        if self._tlp_high is not None and ack >= self._tlp_high:
            self._tlp_high = None  # the probe's episode is over (RFC 8985 7.4)
        if self._rtx:
            self._arm_retransmit(now)
            self._arm_loss_probe(now)  # RFC 8985 7.2: restart on an ACK of new data
        else:
            self._in_loss = False
            self.timers.pop("loss_probe", None)

    def forget_rtt(self) -> None:
        """Drop every RTT measurement: back to the initial RTO (RFC 6298 2.1)."""
        self._srtt, self._rttvar, self._rto = None, 0.0, self.profile_obj.rto_initial

    def _rtt_sample(self, r: float) -> None:
        """RFC 6298 2.2 and 2.3."""
        p = self.profile_obj
        if self._srtt is None:
            self._srtt, self._rttvar = r, r / 2
        else:
            self._rttvar = 0.75 * self._rttvar + 0.25 * abs(self._srtt - r)
            self._srtt = 0.875 * self._srtt + 0.125 * r
        rto = self._srtt + max(_CLOCK_GRANULARITY, 4 * self._rttvar)
        self._rto = min(max(rto, p.rto_min), p.rto_max)

    def _accept_text(self, seg: Segment, now: float) -> None:
        """Seventh step: deliver in-order text, advance RCV.NXT, then drain held segments."""
        t = self.tcb
        if seg.payload and seg.seq & _MASK == t.rcv_nxt.value:
            data = seg.payload
            t.rcv_nxt = t.rcv_nxt + len(data)
            if self.auto_read:
                self._events.append(ev.DataReceived(now, data))
            else:
                self.unread += data
                t.rcv_wnd = max(0, self._capacity - len(self.unread))
                self._events.append(ev.DataReceived(now, data))
            self._ack_pending = True
            if self._ooo and not int(seg.flags) & FIN:
                self._drain(now)

    def _drain(self, now: float) -> None:
        """Process held out-of-order segments that RCV.NXT has now reached."""
        t = self.tcb
        for key in sorted(self._ooo, key=lambda k: Seq(k) - t.rcv_nxt):
            held = self._ooo[key]
            if _seq(held.seq) > t.rcv_nxt:
                break
            del self._ooo[key]
            if _seq(held.seq) + held.seg_len > t.rcv_nxt:
                self._on_segment(held, now)
                return  # _on_segment drains again if more became in order

    # -- timers -----------------------------------------------------------------------------------

    def _arm_retransmit(self, now: float) -> None:
        # FreeBSD TCPT_RANGESET(): a backed-off RTO gets net.inet.tcp.rexmit_slop on top.
        due = now + self._rto + (self.profile_obj.rto_slop if self._retries else 0.0)
        limit = self._give_up_time()
        if limit is not None and self._rtx:
            due = min(due, self._rtx[0].sent_at + limit)
        self.timers["retransmit"] = due

    def _give_up_time(self) -> float | None:
        p = self.profile_obj
        if self.state in (State.SYN_SENT, State.SYN_RECEIVED):
            return p.syn_give_up
        return self.user_timeout if self.user_timeout is not None else p.data_give_up

    def _retry_limit(self) -> int | None:
        p = self.profile_obj
        if self.state is State.SYN_SENT:
            return p.syn_retries
        if self.state is State.SYN_RECEIVED:
            return p.synack_retries
        return None if self.user_timeout is not None else p.data_retries

    def _fire(self, name: str, now: float) -> None:
        if name == "retransmit":
            if not self._rtx:
                return
            limit = self._retry_limit()
            give_up = self._give_up_time()
            first = self._rtx[0].sent_at
            # Compare with the deadline as armed (first + give_up): "now - first >= give_up"
            # can be false at that very deadline by one float ulp, re-arming it forever.
            if (limit is not None and self._retries >= limit) or (
                give_up is not None and now >= first + give_up
            ):
                reason = (
                    "SYN retransmissions exhausted"
                    if self.state is State.SYN_SENT
                    else "retransmissions exhausted (user timeout)"
                )
                self._user(Trigger.USER_TIMEOUT, now, reason=reason)
                return
            self._retries += 1
            self._rto = min(self._rto * 2, self.profile_obj.rto_max)
            self._in_loss = True
            self.timers.pop("loss_probe", None)
            self._user(Trigger.RETRANSMIT_TIMEOUT, now)
            self.timers.pop("retransmit", None)
            self._arm_retransmit(now)
        elif name == "time_wait":
            self._user(Trigger.TIME_WAIT_TIMEOUT, now)
        elif name == "fin_wait_2":
            self._user(Trigger.FIN_WAIT_2_TIMEOUT, now)
        elif name == "loss_probe":
            self._user(Trigger.LOSS_PROBE_TIMEOUT, now)
        elif name == "keepalive":
            if self._probes >= self._keep("probes"):
                reason = "keepalive: the peer did not answer"
                self._user(Trigger.KEEPALIVE_EXHAUSTED, now, reason=reason)
            else:
                self._user(Trigger.KEEPALIVE_TIMEOUT, now)

    def _retransmit_head(self, now: float) -> None:
        """Resend the oldest unacknowledged segment with the current ACK and window."""
        if not self._rtx:
            return
        head = self._rtx[0]
        head.retransmitted = True
        self._emit(head.seq, head.flags, head.payload)

    def _arm_loss_probe(self, now: float) -> None:
        """RFC 8985 7.2: PTO = 2*SRTT (+ max ACK delay with one segment in flight), never later
        than the RTO; only with ``tail_loss_probe``, SACK negotiated, and no RTO since."""
        p, t = self.profile_obj, self.tcb
        if not (p.tail_loss_probe and t.sack_ok) or self._in_loss or not self._rtx:
            return
        if self.state not in (
            State.ESTABLISHED,
            State.FIN_WAIT_1,
            State.CLOSE_WAIT,
            State.CLOSING,
            State.LAST_ACK,
        ):
            return
        if self._srtt is None:
            pto = p.rto_initial
        else:
            extra = p.tlp_max_ack_delay if len(self._rtx) == 1 else p.tlp_min_extra
            pto = 2 * self._srtt + extra
        rto_due = self.timers.get("retransmit")
        self.timers["loss_probe"] = now + pto if rto_due is None else min(now + pto, rto_due)

    def _send_loss_probe(self, now: float) -> None:
        """RFC 8985 7.3: send the last segment again (tcpcore has no congestion window, so any
        new data the peer's window allows has already left), at most one probe outstanding;
        then arm the RTO, not another probe."""
        if self._rtx and self._tlp_high is None:
            last = self._rtx[-1]
            last.retransmitted = True
            self._emit(last.seq, last.flags, last.payload)
            self._tlp_high = self.tcb.snd_nxt
        if self._rtx:
            self._arm_retransmit(now)

    def _keep(self, what: str) -> float:
        own = getattr(self, f"keepalive_{what}")
        return float(own if own is not None else getattr(self.profile_obj, f"keepalive_{what}"))

    def _rearm_keepalive(self, now: float) -> None:
        if not self.keepalive or self.state not in _KEEP_STATES or self._rtx:
            if "keepalive" in self.timers:
                del self.timers["keepalive"]
            return
        if self._probes == 0:
            self.timers["keepalive"] = self._last_rx + self._keep("idle")
        else:
            self.timers["keepalive"] = now + self._keep("interval")

    def _arm_fin_wait_2(self, now: float) -> None:
        t = self.profile_obj.fin_wait_2_timeout
        if t is not None and self.user_closed and self.state is State.FIN_WAIT_2:
            self.timers["fin_wait_2"] = now + t


_make_segment = maker(Segment)
_make_step = maker(Step)


class _Input(NamedTuple):
    """What a row's actions need from the input that triggered it."""

    now: float
    seg: Segment | None
    state: State
    trigger: Trigger
    row: Row
    data: bytes  # SEND: the bytes QUEUE_DATA queues
    reason: str  # a time-out: what SIGNAL_TIMEOUT reports


_C = Connection
# {Action: handler}: how the connection carries out each step of a row (tests check that every
# Action has one).
_HANDLERS: dict[Action, Callable[[Connection, _Input], None]] = {
    A.SELECT_ISS: _C._do_select_iss,
    A.SEND_SYN: _C._do_send_syn,
    A.SEND_SYN_ACK: _C._do_send_syn_ack,
    A.SEND_ACK: _C._do_send_ack,
    A.SEND_CHALLENGE_ACK: _C._do_send_challenge_ack,
    A.SEND_FIN: _C._do_send_fin,
    A.SEND_RST: _C._do_send_rst,
    A.REPLY_RST: _C._do_reply_rst,
    A.RETRANSMIT: _C._do_retransmit,
    A.SEND_KEEPALIVE: _C._do_send_keepalive,
    A.SEND_LOSS_PROBE: _C._do_send_loss_probe,
    A.RECORD_IRS: _C._do_record_irs,
    A.PROCESS_ACK: _C._do_process_ack,
    A.ACCEPT_TEXT: _C._do_accept_text,
    A.ACCEPT_FIN: _C._do_accept_fin,
    A.QUEUE_DATA: _C._do_queue_data,
    A.MARK_CLOSED: _C._do_mark_closed,
    A.DISCARD: _C._do_discard,
    A.RESET_TO_LISTEN: _C._do_reset_to_listen,
    A.NEW_INCARNATION: _C._do_new_incarnation,
    A.START_2MSL: _C._do_start_2msl,
    A.SIGNAL_CONNECTED: _C._do_signal_connected,
    A.SIGNAL_RESET: _C._do_signal_reset,
    A.SIGNAL_REFUSED: _C._do_signal_refused,
    A.SIGNAL_TIMEOUT: _C._do_signal_timeout,
    A.ERROR: _C._do_error,
}
_Handlers = tuple[Callable[[Connection, _Input], None], ...]
# Each row's handlers, in order, found once (by the row's identity: rows are the table's
# constants; the row is kept alongside so its id cannot be reused).
_PLANS: dict[int, tuple[Row, _Handlers]] = {}
# (id(state), id(trigger)) -> (state, trigger, the table's row, its handlers); the members are
# kept alongside for the same reason.
_ROUTES: dict[tuple[int, int], tuple[State, Trigger, Row, _Handlers]] = {}


def _plan(row: Row) -> _Handlers:
    """The handlers of a row's actions, in order."""
    plan = _PLANS.get(id(row))
    if plan is None:
        plan = _PLANS[id(row)] = (row, tuple(_HANDLERS[a] for a in row.actions))
    return plan[1]
