"""A sans-IO TCP endpoint: the TCB, the table applied, timers on a virtual clock.

Nothing here touches a socket, the wall clock or global randomness. Every input carries ``now``
(seconds on any clock that never goes backwards); outputs are collected and handed over on request:

    conn = Connection(local_port=40000, remote_port=80, iss=100)
    conn.connect(now=0.0)
    for seg in conn.pop_segments(): ...          # to the network
    conn.receive(segment, now=0.2)               # from the network
    conn.next_deadline()                         # when to call handle_timer(now)
    for event in conn.pop_events(): ...          # Connected, DataReceived, PeerClosed, ...

An arriving segment is classified by :mod:`tcpcore.protocol.rules` into a trigger, the row for
(state, trigger) is looked up in :mod:`tcpcore.protocol.table`, and the row's actions are carried
out in order. User calls and timer expiries go through the same lookup. ``history`` records every
row applied, so a run can be replayed, drawn or graded.

What lives where:

* this module: the :class:`Connection` (its public calls, the engine that looks up and applies a
  row, sending with the retransmission queue);
* :mod:`tcpcore.protocol.handlers`: what each Action of a row does, one handler per Action ({Action:
  handler}), receiving (ACKs, text in order) included;
* :mod:`tcpcore.protocol.timers`: retransmission (RFC 6298), TIME-WAIT, keepalive, FIN-WAIT-2 and
the tail
  loss probe: when each timer is armed and what its expiry feeds into the table;
* :mod:`tcpcore.protocol.tcb`: the TCB (RFC 9293 3.3.1's variables) and the ISS of a new one (RFC
6528);
* :mod:`tcpcore.protocol.rules` and :mod:`tcpcore.protocol.table`: the trigger and the row.

The SYN and SYN+ACK carry MSS, and the Window Scale (RFC 7323 2) and SACK-permitted (RFC 2018 2)
options the profile offers; a SYN+ACK only echoes what the peer's SYN offered. Once both SYNs
carried Window Scale, the peer's window field is shifted left and ours right (never on a SYN).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import TCPCoreError
from ..wire._fast import maker
from ..wire.flags import Flags, flags_of
from ..wire.options import MSS, Eol, Nop, Option, SackPermitted, WindowScale
from ..wire.segment import Segment
from ..wire.seq import _MASK, HALF, MOD, Seq, _seq
from . import events as ev
from .handlers import Input, Plan, plan
from .profiles import Profile, get_profile
from .rules import classify
from .states import State
from .table import TABLE, Action, CallError, Row, TransitionError, Trigger, lookup
from .tcb import TCB
from .tcb import rfc6528_iss as rfc6528_iss  # re-exported: tcpcore.protocol.connection.rfc6528_iss
from .timers import (
    arm_fin_wait_2,
    arm_loss_probe,
    arm_retransmit,
    fire,
    rearm_keepalive,
)

A = Action
# Plain ints: flags are combined and tested several times per segment, and IntFlag's operators
# cost microseconds each. Segments get a Flags back through flags_of().
SYN, ACK, FIN, RST, PSH = (int(f) for f in (Flags.SYN, Flags.ACK, Flags.FIN, Flags.RST, Flags.PSH))
# State.synchronized, as a constant to test against (it is asked for every segment sent).
_UNSYNCHRONIZED = (State.CLOSED, State.LISTEN, State.SYN_SENT)
# Read on every segment: a global is several times cheaper than an Enum class attribute.
_CLOSED, _UNACCEPTABLE = State.CLOSED, Trigger.UNACCEPTABLE
# The states in which queued data and a queued FIN may leave.
_SENDING = (State.ESTABLISHED, State.CLOSE_WAIT, State.FIN_WAIT_1, State.LAST_ACK, State.CLOSING)


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
            fire(self, name, now)

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
        rearm_keepalive(self, now)

    def forget_rtt(self) -> None:
        """Drop every RTT measurement: back to the initial RTO (RFC 6298 2.1)."""
        self._srtt, self._rttvar, self._rto = None, 0.0, self.profile_obj.rto_initial

    # -- public: the network --------------------------------------------------------------------

    def receive(self, seg: Segment, now: float) -> None:
        """A segment arrived from the peer (RFC 9293 3.10.7)."""
        if type(now) is float and self._now <= now:  # _tick()'s common case, inline
            self._now = now
        else:
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
        if f & SYN and f & FIN and self.profile_obj.drop_syn_fin and self.state is not _CLOSED:
            # FreeBSD tcp_input() with net.inet.tcp.drop_synfin=1: a connection's segment is
            # dropped before any state sees it (a filter in front of the table, as a bad
            # checksum would be); a closed port still answers with a RST.
            return
        self._last_rx = now
        self._probes = 0
        self._on_segment(seg, now)
        self._flush(now)
        if self.keepalive or "keepalive" in self.timers:  # else rearm_keepalive() has no work
            rearm_keepalive(self, now)

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
        rearm_keepalive(self, now)

    def _on_segment(self, seg: Segment, now: float) -> None:
        p = self.profile_obj
        verdict = classify(
            self.state,
            self.tcb,
            seg,
            passive=self.passive,
            user_closed=self.user_closed,
            trim_old=p.process_ack_of_old_segment,
            switches=p,
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
            and verdict.trigger is not _UNACCEPTABLE
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
        # The row and its handlers (tcpcore.protocol.handlers, one per Action), found once per
        # (state, trigger): keyed by the members' identities, since hashing an Enum member runs
        # Python code.
        route = _ROUTES.get((id(state), id(trigger)))
        if route is None:
            found = TABLE.get((state, trigger))
            if found is None:
                raise TransitionError(state, trigger)
            route = _ROUTES[id(state), id(trigger)] = (state, trigger, found, plan(found))
        row, handlers = route[2], route[3]
        if row.variants:  # the profile picks the row
            row = lookup(state, trigger, self.profile_obj)
            handlers = plan(row)
        if self.remote_port is None and A.SEND_SYN in row.actions:
            # RFC 9293 3.10.1 (and 3.10.2 for a SEND in LISTEN): an active OPEN needs a peer.
            msg = "error: remote socket unspecified"
            raise CallError(state, trigger, msg, "RFC 9293 " + row.clause)
        if state is _CLOSED and row.next is not _CLOSED:
            self._new_tcb()
        step = _make_step(now, state, trigger, row, seg)
        self.history.append(step)
        if self.on_step is not None:
            self.on_step(step)
        if handlers:
            given = _new_tuple(Input, (now, seg, state, trigger, row, data, reason))
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
        self._events.append(_state_changed(now, old, new, trigger, row.clause))
        if new is State.CLOSED:
            self.timers.clear()
            self._rtx.clear()
            self._send_buf.clear()
            self._ooo.clear()
            self._fin_pending = False
            self._events.append(ev.Closed(now))
        elif new is State.FIN_WAIT_2:
            arm_fin_wait_2(self, now)
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

    # -- the profile, a new TCB --------------------------------------------------------------------

    @property
    def profile_obj(self) -> Profile:
        """``profile`` as a Profile (__post_init__ turned a name into one)."""
        return self.profile  # type: ignore[return-value]

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
        self._rtx.append(_Pending(seq, flags, payload, now))
        if flags & SYN:
            t.snd_nxt = t.iss + 1
        else:  # SND.NXT + SEG.LEN (no SYN here), on the 32-bit value
            t.snd_nxt = _seq(t.snd_nxt.value + len(payload) + (1 if flags & FIN else 0))
        if flags & FIN:
            t.fin_seq = t.snd_nxt - 1
        if "retransmit" not in self.timers:
            arm_retransmit(self, now)
        if not flags & SYN:
            arm_loss_probe(self, now)

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

    def _push(self, now: float) -> None:
        """Send queued data as the peer's window allows, then a queued FIN."""
        if self.state not in _SENDING:
            return
        t = self.tcb
        if t.fin_seq is not None:
            return
        while self._send_buf:
            # room = SND.UNA + SND.WND - SND.NXT, as Seq - Seq gives it (signed, mod 2**32)
            room = (t.snd_una.value + t.snd_wnd - t.snd_nxt.value) & _MASK
            if room >= HALF:
                room -= MOD
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
        if self._send_buf or self._fin_pending:  # else _push() has nothing to send
            self._push(now)
        t = self.tcb
        if self._ack_pending and self.state is not _CLOSED:
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


_make_segment = maker(Segment)
_new_tuple = tuple.__new__  # Input(...) without the NamedTuple's Python-level __new__
_make_step = maker(Step)
_state_changed = maker(ev.StateChanged)
# (id(state), id(trigger)) -> (state, trigger, the table's row, its handlers), found once per
# (state, trigger); the members are kept alongside so their ids cannot be reused.
_ROUTES: dict[tuple[int, int], tuple[State, Trigger, Row, Plan]] = {}
