"""The RFC 9293 state machine as ONE table.

Theory of operation
-------------------
A TCP endpoint is always in one of eleven states (:class:`~tcpcore.protocol.states.State`). Three
kinds of thing move it: the user's calls (OPEN, SEND, CLOSE, ABORT; RFC 9293 3.10.1-3.10.5),
segments arriving from the peer (3.10.7), and timers running out (3.10.8). Each of these is a
:class:`Trigger`. For every (state, trigger) pair the RFC allows, :data:`TABLE` holds one
:class:`Row`: the next state, the actions to take in order, and the clause of the RFC that says
so. A pair that is not in the table is an error, and :func:`lookup` says which pair it was.

Segments are not triggers as they arrive: the same FIN+ACK means different things in FIN-WAIT-1
depending on whether it acknowledges our FIN. Deciding which trigger a segment is (the sequence
number acceptability test of RFC 9293 Table 6, the RST and SYN checks of RFC 5961, the ACK checks of
SYN-SENT and SYN-RECEIVED) is the job of :mod:`tcpcore.protocol.rules`, which sits beside this table
and is the only other place where the state machine's decisions live. The connection
(:mod:`tcpcore.protocol.connection`) classifies, looks up, and carries out the row's actions:
nothing else.

Where real stacks differ from the RFC, a row carries *variants*: alternative rows chosen by a named
switch of the :class:`~tcpcore.protocol.profiles.Profile` (for example ``rst_on_close_with_unread``:
Linux, following RFC 2525 2.17, answers close() with unread data by a RST). The RFC's row is the
default.

Everything below is drawn, stepped through and graded from this one table: the state diagram
(:mod:`tcpcore.viz`), the widgets, the exercises' answer keys and the autograder.

Left out on purpose (the course does not teach them; the connection never needs them):
the URG bit and urgent pointer (3.10.7.4 sixth step: urgent data is not delivered specially),
the security/compartment checks (3.10.7 third steps; IP security options are obsolete), data
carried on a SYN (TCP Fast Open: such text is not acknowledged and the peer resends it),
the STATUS and RECEIVE calls (they change no
state), congestion control, SACK blocks and the persist timer (zero-window probes). Window
scaling (RFC 7323) and SACK-permitted are options of the SYNs that the connection settles; the
tail loss probe (RFC 8985 7), a profile's timer, has its own row.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import TCPCoreError
from .states import State


class Trigger(enum.Enum):
    """What happens to a connection: a user call, a kind of arriving segment, or a timeout.

    The value is the label used in diagrams, feedback and error messages.
    """

    # User calls (RFC 9293 3.10.1-3.10.5). SHUTDOWN is the socket's shutdown(SHUT_WR), which is the
    # RFC's CLOSE (the user may go on receiving); CLOSE is the socket's close() (the user will not
    # read again); CLOSE_UNREAD is close() with received data the user never read.
    OPEN_ACTIVE = "active OPEN"
    OPEN_PASSIVE = "passive OPEN"
    SEND = "SEND"
    CLOSE = "CLOSE"
    CLOSE_UNREAD = "CLOSE with unread data"
    SHUTDOWN = "SHUTDOWN"
    ABORT = "ABORT"

    # Arriving segments, as classified by tcpcore.protocol.rules.
    ANY = "any segment"
    SYN = "SYN"
    SYN_PASSIVE = "SYN after a passive OPEN"
    SYN_DUPLICATE = "retransmitted SYN"
    SYN_REOPEN = "SYN for a new incarnation"  # TIME-WAIT: above RCV.NXT or a newer timestamp
    SYN_IN_WINDOW = "SYN in the window (RFC 793)"  # only with syn_in_window_resets
    SYN_ACK = "SYN+ACK acknowledging our SYN"
    ACK = "ACK"
    ACK_OF_SYN = "ACK of our SYN"
    ACK_OF_FIN = "ACK of our FIN"
    BAD_ACK = "unacceptable ACK"
    ACK_UNACCEPTABLE = "ACK outside the send window"
    DATA = "data"
    DATA_AFTER_CLOSE = "data after CLOSE"
    FIN = "FIN"
    FIN_ACK_OF_FIN = "FIN+ACK acknowledging our FIN"
    RST = "RST"
    RST_PASSIVE = "RST after a passive OPEN"
    RST_IN_WINDOW = "RST in window, not at RCV.NXT"
    RST_INVALID = "RST failing validation"
    UNACCEPTABLE = "segment outside the receive window"
    NO_ACK = "segment without ACK"

    # Timers (RFC 9293 3.10.8; keepalive RFC 1122 4.2.3.6).
    RETRANSMIT_TIMEOUT = "retransmission timeout"
    USER_TIMEOUT = "user timeout"
    TIME_WAIT_TIMEOUT = "2MSL timeout"
    KEEPALIVE_TIMEOUT = "keepalive timeout"
    KEEPALIVE_EXHAUSTED = "keepalive probes unanswered"
    FIN_WAIT_2_TIMEOUT = "FIN-WAIT-2 timeout"
    LOSS_PROBE_TIMEOUT = "loss probe timeout"  # RFC 8985 7.3 (profiles with tail_loss_probe)

    def __str__(self) -> str:
        return self.value

    @property
    def kind(self) -> str:
        """ "user", "segment" or "timer"."""
        return _KIND[self]


_USER = {
    Trigger.OPEN_ACTIVE,
    Trigger.OPEN_PASSIVE,
    Trigger.SEND,
    Trigger.CLOSE,
    Trigger.CLOSE_UNREAD,
    Trigger.SHUTDOWN,
    Trigger.ABORT,
}
_TIMER = {
    Trigger.RETRANSMIT_TIMEOUT,
    Trigger.USER_TIMEOUT,
    Trigger.TIME_WAIT_TIMEOUT,
    Trigger.KEEPALIVE_TIMEOUT,
    Trigger.KEEPALIVE_EXHAUSTED,
    Trigger.FIN_WAIT_2_TIMEOUT,
    Trigger.LOSS_PROBE_TIMEOUT,
}
_KIND = {t: "user" if t in _USER else "timer" if t in _TIMER else "segment" for t in Trigger}


class Action(enum.Enum):
    """One step of a row, carried out in order by the connection."""

    SELECT_ISS = "select ISS"
    SEND_SYN = "send SYN"
    SEND_SYN_ACK = "send SYN+ACK"
    SEND_ACK = "send ACK"
    SEND_CHALLENGE_ACK = "send challenge ACK"
    SEND_FIN = "send FIN (after queued data)"
    SEND_RST = "send RST"  # <SEQ=SND.NXT><CTL=RST>: the user aborts (3.10.5)
    REPLY_RST = "reply with RST"  # RST built from the offending segment (3.10.7.1)
    RETRANSMIT = "retransmit"
    SEND_KEEPALIVE = "send keepalive probe"
    SEND_LOSS_PROBE = "send loss probe"  # the last segment sent, again (RFC 8985 7.3)
    RECORD_IRS = "record IRS"  # IRS <- SEG.SEQ, RCV.NXT <- SEG.SEQ + 1
    PROCESS_ACK = "process ACK"  # SND.UNA, SND.WND, the retransmission queue (3.10.7.4 fifth)
    ACCEPT_TEXT = "accept text"  # deliver in-order payload, advance RCV.NXT (seventh)
    ACCEPT_FIN = "accept FIN"  # advance RCV.NXT over the FIN, tell the user (eighth)
    QUEUE_DATA = "queue data"
    MARK_CLOSED = "user closed"  # the user will not read again (socket close())
    DISCARD = "discard"  # drop the segment, nothing else
    RESET_TO_LISTEN = "return to LISTEN"
    # RFC 9293 3.6.1 MAY-2 (1): a new TCB whose ISS lies above the old SND.NXT (TIME-WAIT reuse)
    NEW_INCARNATION = "new incarnation"
    START_2MSL = "start 2MSL timer"  # also turns off the other timers
    SIGNAL_CONNECTED = "signal connected"
    SIGNAL_RESET = "signal connection reset"
    SIGNAL_REFUSED = "signal connection refused"
    SIGNAL_TIMEOUT = "signal timed out"
    ERROR = "error"  # the call is refused; Row.note is the RFC's error text

    def __str__(self) -> str:
        return self.value

    @property
    def wire(self) -> Wire | None:
        """What this action puts on the wire, or None if it sends nothing."""
        return _WIRE.get(self)


@dataclass(frozen=True, slots=True)
class Wire:
    """What an action sends, in each vocabulary that shows it (one place for this fact).

    ``segment`` is the students' word for the reply (the autograder's answer keys), ``figure``
    the RFC figure's "snd ..." spelling (the state diagram), ``text`` the sentence that explains it
    (the widgets).
    """

    segment: str
    figure: str
    text: str


_WIRE = {
    Action.SEND_SYN: Wire("SYN", "SYN", "SYN"),
    Action.SEND_SYN_ACK: Wire("SYN+ACK", "SYN,ACK", "SYN+ACK"),
    Action.SEND_ACK: Wire("ACK", "ACK", "ACK"),
    Action.SEND_CHALLENGE_ACK: Wire("ACK", "ACK", "a challenge ACK (RFC 5961)"),
    Action.SEND_FIN: Wire("FIN", "FIN", "FIN (with ACK once synchronized), after any queued data"),
    Action.SEND_RST: Wire("RST", "RST", "RST <SEQ=SND.NXT>"),
    Action.REPLY_RST: Wire("RST", "RST", "RST built from the offending segment"),
    Action.RETRANSMIT: Wire("retransmit", "again", "the oldest unacknowledged segment, again"),
    # RFC 1122 4.2.3.6: the probe is an ACK whose sequence number is one below SND.NXT.
    Action.SEND_KEEPALIVE: Wire("ACK", "probe", "a keepalive probe <SEQ=SND.NXT-1>"),
    # RFC 8985 7.3: the probe resends the last segment sent.
    Action.SEND_LOSS_PROBE: Wire("retransmit", "probe", "the last segment again (tail loss probe)"),
}


@dataclass(frozen=True, slots=True)
class Row:
    """What the RFC says to do: next state, actions in order, and the clause that says so."""

    next: State
    actions: tuple[Action, ...]
    clause: str
    note: str = ""
    # (profile switch, alternative row): the first switch that is true in the profile wins.
    variants: tuple[tuple[str, Row], ...] = field(default=())

    @property
    def sends(self) -> tuple[Action, ...]:
        """The actions of this row that put a segment on the wire, in order."""
        return tuple(a for a in self.actions if a in _WIRE)

    @property
    def wire(self) -> tuple[Wire, ...]:
        """What this row puts on the wire: one :class:`Wire` per sending action, in order."""
        return tuple(_WIRE[a] for a in self.actions if a in _WIRE)


class SwitchSource(Protocol):
    """Anything with profile switches (a Profile): ``switch(name) -> bool``."""

    def switch(self, name: str) -> bool: ...


class TransitionError(TCPCoreError, LookupError):
    """A (state, trigger) pair that the table does not contain."""

    def __init__(self, state: State, trigger: Trigger) -> None:
        super().__init__(
            f"no transition for {trigger} ({trigger.kind}) in state {state}: "
            f"RFC 9293 gives this pair no meaning"
        )
        self.state = state
        self.trigger = trigger


class CallError(TCPCoreError, RuntimeError):
    """A user call that the RFC refuses in the current state ("error: connection closing")."""

    def __init__(self, state: State, trigger: Trigger, message: str, clause: str) -> None:
        super().__init__(f"{message} ({trigger} in {state}, {clause})")
        self.state = state
        self.trigger = trigger
        self.clause = clause


def lookup(state: State, trigger: Trigger, profile: SwitchSource | None = None) -> Row:
    """The row for (state, trigger) under profile; TransitionError if there is none."""
    try:
        row = TABLE[state, trigger]
    except KeyError:
        raise TransitionError(state, trigger) from None
    if profile is not None:
        for switch, alt in row.variants:
            if profile.switch(switch):
                return alt
    return row


def rows() -> Iterator[tuple[State, Trigger, Row]]:
    """Every (state, trigger, row) in table order."""
    for (s, t), r in TABLE.items():
        yield s, t, r


def triggers_for(state: State) -> list[Trigger]:
    """The triggers the table defines for a state, in table order."""
    return [t for (s, t) in TABLE if s is state]


# ---------------------------------------------------------------------------------------------
# The table. Clause names: "3.10.7.4 fifth" is the fifth step of RFC 9293 section 3.10.7.4.
# ---------------------------------------------------------------------------------------------

A = Action
S = State
T = Trigger
TABLE: dict[tuple[State, Trigger], Row] = {}
# Rows the classifier (tcpcore.protocol.rules) produces only when a profile turns on a rule switch:
# (state, trigger) -> switch. Under the RFC they never happen, so the course's exercises and
# answer keys leave them out.
SWITCHED_ROWS: dict[tuple[State, Trigger], str] = {}


def _row(
    states: State | tuple[State, ...],
    trigger: Trigger,
    nxt: State | None,
    actions: tuple[Action, ...],
    clause: str,
    note: str = "",
    variants: tuple[tuple[str, Row], ...] = (),
) -> None:
    """Add one row per state; ``nxt=None`` means "stay in the same state"."""
    for s in states if isinstance(states, tuple) else (states,):
        key = (s, trigger)
        if key in TABLE:
            raise AssertionError(f"duplicate row {s} / {trigger}")
        TABLE[key] = Row(nxt or s, actions, clause, note, variants)


def _alt(nxt: State, actions: tuple[Action, ...], clause: str, note: str = "") -> Row:
    return Row(nxt, actions, clause, note)


SYNC = (
    S.SYN_RECEIVED,
    S.ESTABLISHED,
    S.FIN_WAIT_1,
    S.FIN_WAIT_2,
    S.CLOSE_WAIT,
    S.CLOSING,
    S.LAST_ACK,
    S.TIME_WAIT,
)
NOT_CLOSED = (S.LISTEN, S.SYN_SENT, *SYNC)
ERR_EXISTS = "error: connection already exists"
ERR_NONE = "error: connection does not exist"
ERR_CLOSING = "error: connection closing"

# -- CLOSED (3.10.7.1 for segments) ---------------------------------------------------------------
_row(S.CLOSED, T.OPEN_ACTIVE, S.SYN_SENT, (A.SELECT_ISS, A.SEND_SYN), "3.10.1 OPEN, CLOSED")
_row(S.CLOSED, T.OPEN_PASSIVE, S.LISTEN, (), "3.10.1 OPEN, CLOSED")
for _t in (T.SEND, T.CLOSE, T.CLOSE_UNREAD, T.SHUTDOWN, T.ABORT):
    _row(S.CLOSED, _t, None, (A.ERROR,), "3.10.2-3.10.5, CLOSED", ERR_NONE)
_row(S.CLOSED, T.ANY, None, (A.REPLY_RST,), "3.10.7.1", "a segment for no connection is reset")
_row(S.CLOSED, T.RST, None, (A.DISCARD,), "3.10.7.1", "a RST for no connection is discarded")

# -- user calls in the other states ---------------------------------------------------------
# RFC 9293 3.10.1 and 3.10.2, LISTEN: an active OPEN, or a SEND, with the remote socket specified
# "change[s] the connection from passive to active" (without one: "error: remote socket
# unspecified", raised by the connection). Sockets refuse both on a listening socket.
_row(
    S.LISTEN,
    T.OPEN_ACTIVE,
    S.SYN_SENT,
    (A.SELECT_ISS, A.SEND_SYN),
    "3.10.1 OPEN, LISTEN",
    "passive to active: <SEQ=ISS><CTL=SYN>",
    variants=(
        (
            "passive_open_stays_passive",
            _alt(S.LISTEN, (A.ERROR,), "3.10.1 OPEN; Linux inet_stream_connect()", ERR_EXISTS),
        ),
    ),
)
_row(NOT_CLOSED[1:], T.OPEN_ACTIVE, None, (A.ERROR,), "3.10.1 OPEN", ERR_EXISTS)
_row(NOT_CLOSED, T.OPEN_PASSIVE, None, (A.ERROR,), "3.10.1 OPEN", ERR_EXISTS)

_row(
    S.LISTEN,
    T.SEND,
    S.SYN_SENT,
    (A.SELECT_ISS, A.SEND_SYN, A.QUEUE_DATA),
    "3.10.2 SEND, LISTEN",
    "passive to active: SYN now, the data after ESTABLISHED",
    variants=(
        (
            "passive_open_stays_passive",
            _alt(
                S.LISTEN,
                (A.ERROR,),
                "3.10.2 SEND; Linux tcp_sendmsg()",
                "error: connection not yet open (a listening socket cannot send)",
            ),
        ),
    ),
)
_row(
    (S.SYN_SENT, S.SYN_RECEIVED),
    T.SEND,
    None,
    (A.QUEUE_DATA,),
    "3.10.2 SEND",
    "queued until ESTABLISHED",
)
_row((S.ESTABLISHED, S.CLOSE_WAIT), T.SEND, None, (A.QUEUE_DATA,), "3.10.2 SEND")
_row(
    (S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT),
    T.SEND,
    None,
    (A.ERROR,),
    "3.10.2 SEND",
    ERR_CLOSING,
)

for _t in (T.CLOSE, T.CLOSE_UNREAD):
    _row(S.LISTEN, _t, S.CLOSED, (), "3.10.4 CLOSE, LISTEN")
    _row(S.SYN_SENT, _t, S.CLOSED, (), "3.10.4 CLOSE, SYN-SENT", "the TCB is deleted, no FIN")
_row(S.LISTEN, T.SHUTDOWN, S.CLOSED, (), "3.10.4 CLOSE, LISTEN")
_row(S.SYN_SENT, T.SHUTDOWN, S.CLOSED, (), "3.10.4 CLOSE, SYN-SENT", "the TCB is deleted, no FIN")

_UNREAD_RST = (
    (
        "rst_on_close_with_unread",
        _alt(
            S.CLOSED,
            (A.MARK_CLOSED, A.SEND_RST),
            "RFC 2525 2.17; Linux tcp_close()",
            "close() with unread data sends RST, not FIN",
        ),
    ),
)
_row(
    S.SYN_RECEIVED, T.CLOSE, S.FIN_WAIT_1, (A.MARK_CLOSED, A.SEND_FIN), "3.10.4 CLOSE, SYN-RECEIVED"
)
_row(
    S.SYN_RECEIVED,
    T.CLOSE_UNREAD,
    S.FIN_WAIT_1,
    (A.MARK_CLOSED, A.SEND_FIN),
    "3.10.4 CLOSE, SYN-RECEIVED",
    variants=_UNREAD_RST,
)
_row(S.SYN_RECEIVED, T.SHUTDOWN, S.FIN_WAIT_1, (A.SEND_FIN,), "3.10.4 CLOSE, SYN-RECEIVED")
_row(S.ESTABLISHED, T.CLOSE, S.FIN_WAIT_1, (A.MARK_CLOSED, A.SEND_FIN), "3.10.4 CLOSE, ESTABLISHED")
_row(
    S.ESTABLISHED,
    T.CLOSE_UNREAD,
    S.FIN_WAIT_1,
    (A.MARK_CLOSED, A.SEND_FIN),
    "3.10.4 CLOSE, ESTABLISHED",
    variants=_UNREAD_RST,
)
_row(S.ESTABLISHED, T.SHUTDOWN, S.FIN_WAIT_1, (A.SEND_FIN,), "3.10.4 CLOSE, ESTABLISHED")
_row(S.CLOSE_WAIT, T.CLOSE, S.LAST_ACK, (A.MARK_CLOSED, A.SEND_FIN), "3.10.4 CLOSE, CLOSE-WAIT")
_row(
    S.CLOSE_WAIT,
    T.CLOSE_UNREAD,
    S.LAST_ACK,
    (A.MARK_CLOSED, A.SEND_FIN),
    "3.10.4 CLOSE, CLOSE-WAIT",
    variants=_UNREAD_RST,
)
_row(S.CLOSE_WAIT, T.SHUTDOWN, S.LAST_ACK, (A.SEND_FIN,), "3.10.4 CLOSE, CLOSE-WAIT")
# Closing again once our FIN is queued. socket close() always succeeds: close() after shutdown() is
# the normal way to let go. The RFC's CLOSE (SHUTDOWN here) may answer "ok" in FIN-WAIT-1 and
# FIN-WAIT-2 "as long as a second FIN is not emitted", but in CLOSING, LAST-ACK and TIME-WAIT
# RFC 9293 3.10.4 says "Respond with "error: connection closing"".
_FIN_SENT = (S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT)
_row(_FIN_SENT, T.CLOSE, None, (A.MARK_CLOSED,), "3.10.4 CLOSE", "ok: our FIN is already queued")
_row(
    (S.FIN_WAIT_1, S.FIN_WAIT_2),
    T.CLOSE_UNREAD,
    None,
    (A.MARK_CLOSED,),
    "3.10.4 CLOSE",
    "ok: our FIN is already queued",
    variants=_UNREAD_RST,
)
# Linux's tcp_close() resets on unread data in CLOSING and LAST-ACK too (RFC 1122 4.2.2.13); in
# TIME-WAIT the socket is already detached from the connection.
_row(
    (S.CLOSING, S.LAST_ACK),
    T.CLOSE_UNREAD,
    None,
    (A.MARK_CLOSED,),
    "3.10.4 CLOSE",
    "ok: our FIN is already queued",
    variants=_UNREAD_RST,
)
_row(
    S.TIME_WAIT,
    T.CLOSE_UNREAD,
    None,
    (A.MARK_CLOSED,),
    "3.10.4 CLOSE",
    "ok: our FIN is already queued",
)
_row(
    (S.FIN_WAIT_1, S.FIN_WAIT_2),
    T.SHUTDOWN,
    None,
    (),
    "3.10.4 CLOSE",
    "ok: our FIN is already queued",
)
_row(
    (S.CLOSING, S.LAST_ACK, S.TIME_WAIT), T.SHUTDOWN, None, (A.ERROR,), "3.10.4 CLOSE", ERR_CLOSING
)

_row((S.LISTEN, S.SYN_SENT), T.ABORT, S.CLOSED, (), "3.10.5 ABORT")
_row(
    (S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT),
    T.ABORT,
    S.CLOSED,
    (A.SEND_RST,),
    "3.10.5 ABORT",
    "<SEQ=SND.NXT><CTL=RST>",
)
_row(
    (S.CLOSING, S.LAST_ACK, S.TIME_WAIT),
    T.ABORT,
    S.CLOSED,
    (),
    "3.10.5 ABORT",
    "ok, no RST: the peer has already closed",
)

# -- LISTEN (3.10.7.2) ----------------------------------------------------------------------------
_row(S.LISTEN, T.RST, None, (A.DISCARD,), "3.10.7.2 first", "a RST cannot be for a listener")
_row(S.LISTEN, T.BAD_ACK, None, (A.REPLY_RST,), "3.10.7.2 second", "<SEQ=SEG.ACK><CTL=RST>")
# Only under the profile switch listen_drops_syn_ack (tcpcore.protocol.rules) is a SYN+ACK in LISTEN
# told from any other bad ACK: FreeBSD drops it where the RFC resets it.
_row(
    S.LISTEN,
    T.SYN_ACK,
    None,
    (A.DISCARD,),
    "FreeBSD tcp_input()",
    "a SYN+ACK for a listener is dropped without a RST",
)
SWITCHED_ROWS[(S.LISTEN, T.SYN_ACK)] = "listen_drops_syn_ack"
_row(
    S.LISTEN, T.SYN, S.SYN_RECEIVED, (A.RECORD_IRS, A.SELECT_ISS, A.SEND_SYN_ACK), "3.10.7.2 third"
)
_row(S.LISTEN, T.NO_ACK, None, (A.DISCARD,), "3.10.7.2 fourth")

# -- SYN-SENT (3.10.7.3) --------------------------------------------------------------------------
_row(
    S.SYN_SENT,
    T.BAD_ACK,
    None,
    (A.REPLY_RST,),
    "3.10.7.3 first",
    "SEG.ACK =< ISS or SEG.ACK > SND.NXT: <SEQ=SEG.ACK><CTL=RST>",
)
_row(
    S.SYN_SENT,
    T.RST_INVALID,
    None,
    (A.DISCARD,),
    "3.10.7.3 second",
    "a RST without an acceptable ACK is dropped (RFC 5961 3.2)",
)
_row(
    S.SYN_SENT,
    T.RST,
    S.CLOSED,
    (A.SIGNAL_REFUSED,),
    "3.10.7.3 second",
    "RST+ACK acknowledging our SYN: connection refused",
)
_row(
    S.SYN_SENT,
    T.SYN_ACK,
    S.ESTABLISHED,
    (A.RECORD_IRS, A.PROCESS_ACK, A.SEND_ACK, A.SIGNAL_CONNECTED),
    "3.10.7.3 fourth",
)
_row(
    S.SYN_SENT,
    T.SYN,
    S.SYN_RECEIVED,
    (A.RECORD_IRS, A.SEND_SYN_ACK),
    "3.10.7.3 fourth",
    "simultaneous open: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>",
)
_row(S.SYN_SENT, T.ACK, None, (A.DISCARD,), "3.10.7.3 fifth", "neither SYN nor RST")
_row(S.SYN_SENT, T.NO_ACK, None, (A.DISCARD,), "3.10.7.3 fifth", "neither SYN nor RST")

# -- synchronized states: first and second steps (3.10.7.4, RFC 5961) ---------------------------
_row(
    SYNC,
    T.UNACCEPTABLE,
    None,
    (A.SEND_ACK,),
    "3.10.7.4 first",
    "not acceptable (Table 6): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop",
)
_row(
    SYNC,
    T.RST_INVALID,
    None,
    (A.DISCARD,),
    "3.10.7.4 second (RFC 5961 3.2)",
    "RST outside the window: silently dropped",
)
_row(
    SYNC,
    T.RST_IN_WINDOW,
    None,
    (A.SEND_CHALLENGE_ACK,),
    "3.10.7.4 second (RFC 5961 3.2)",
    "RST in the window but not at RCV.NXT: challenge ACK",
)
_row(
    S.SYN_RECEIVED,
    T.RST_PASSIVE,
    S.LISTEN,
    (A.RESET_TO_LISTEN,),
    "3.10.7.4 second",
    "passive OPEN: back to LISTEN, the user need not be informed",
)
_row(
    S.SYN_RECEIVED,
    T.RST,
    S.CLOSED,
    (A.SIGNAL_REFUSED,),
    "3.10.7.4 second",
    "active OPEN (simultaneous open): connection refused",
)
_row(
    (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT),
    T.RST,
    S.CLOSED,
    (A.SIGNAL_RESET,),
    "3.10.7.4 second",
    "connection reset",
)
_row(
    (S.CLOSING, S.LAST_ACK),
    T.RST,
    S.CLOSED,
    (),
    "3.10.7.4 second",
    variants=(
        (
            "reset_reported_when_closing",
            _alt(
                S.CLOSED,
                (A.SIGNAL_RESET,),
                "3.10.7.4 second; FreeBSD tcp_input()",
                "the socket reports the reset (SO_ERROR ECONNRESET)",
            ),
        ),
    ),
)
_row(
    S.TIME_WAIT,
    T.RST,
    S.CLOSED,
    (),
    "3.10.7.4 second",
    "TIME-WAIT assassination (RFC 1337 section 2): the RFC text and Linux (tcp_rfc1337=0) obey",
    variants=(
        (
            "ignore_rst_in_time_wait",
            _alt(
                S.TIME_WAIT,
                (A.DISCARD,),
                "RFC 1337 section 3, fix F1",
                "ignore RST in TIME-WAIT (Linux with tcp_rfc1337=1)",
            ),
        ),
    ),
)

# -- fourth step: SYN in a synchronized state (RFC 5961 4) ----------------------------------------
_row(
    S.SYN_RECEIVED,
    T.SYN_PASSIVE,
    S.LISTEN,
    (A.RESET_TO_LISTEN,),
    "3.10.7.4 fourth",
    "a new SYN in the window after a passive OPEN: back to LISTEN",
)
_row(
    S.SYN_RECEIVED,
    T.SYN_DUPLICATE,
    None,
    (A.SEND_ACK,),
    "3.10.7.4 first",
    "the peer resent its SYN: not acceptable, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>",
    variants=(
        (
            "synrecv_resend_synack_on_dup_syn",
            _alt(
                S.SYN_RECEIVED,
                (A.RETRANSMIT,),
                "Linux tcp_check_req()",
                "the peer resent its SYN: resend our SYN+ACK",
            ),
        ),
    ),
)
_row(
    SYNC,
    T.SYN,
    None,
    (A.SEND_CHALLENGE_ACK,),
    "3.10.7.4 fourth (RFC 5961 4.2)",
    "SYN in a synchronized state: challenge ACK, whatever its sequence number",
)
# TIME-WAIT reuse. RFC 9293 3.6.1 lets a stack reopen a connection from TIME-WAIT on a new SYN
# (MAY-2) if its new ISS lies above every sequence number of the old incarnation, and
# recommends RFC 6191's timestamp test (SHLD-4); tcpcore.protocol.rules.reopens() decides which SYNs
# may. The RFC's fourth step answers any SYN with the challenge ACK; Linux accepts such a SYN
# (tcp_timewait_state_process() returns TCP_TW_SYN: the listener opens a new connection whose
# ISN is the old SND.NXT + 65537). A SYN that is an old duplicate (2) is not detected.
_row(
    S.TIME_WAIT,
    T.SYN_REOPEN,
    None,
    (A.SEND_CHALLENGE_ACK,),
    "3.10.7.4 fourth (RFC 5961 4.2)",
    "a SYN for a new incarnation: the RFC still answers with a challenge ACK",
    variants=(
        (
            "accept_syn_in_time_wait",
            _alt(
                S.SYN_RECEIVED,
                (A.NEW_INCARNATION, A.RECORD_IRS, A.SEND_SYN_ACK),
                "3.6.1 MAY-2; Linux tcp_timewait_state_process()",
                "reopen from TIME-WAIT (RFC 6191): a new TCB, ISS above the old SND.NXT",
            ),
        ),
    ),
)
# Only under the profile switch syn_in_window_resets (FreeBSD net.inet.tcp.insecure_syn=1) is a SYN
# in the window told from the others (tcpcore.protocol.rules): RFC 793's answer, which RFC 5961 4.2
# replaced: "it is an error, send a reset", and the connection is reset (FreeBSD tcp_drop():
# <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>). A SYN outside the window still draws a challenge ACK.
_row(
    (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK),
    T.SYN_IN_WINDOW,
    S.CLOSED,
    (A.SEND_RST, A.SIGNAL_RESET),
    "RFC 793 3.9",
    "a SYN in the window is an error: RST, and the connection is reset",
)
for _s in (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK):
    SWITCHED_ROWS[(_s, T.SYN_IN_WINDOW)] = "syn_in_window_resets"

# -- fifth step: the ACK field --------------------------------------------------------------------
_row(SYNC, T.NO_ACK, None, (A.DISCARD,), "3.10.7.4 fifth", "the ACK bit is off: drop")
_row(
    S.SYN_RECEIVED,
    T.BAD_ACK,
    None,
    (A.REPLY_RST,),
    "3.10.7.4 fifth",
    "the ACK does not acknowledge our SYN: <SEQ=SEG.ACK><CTL=RST>",
)
_row(
    SYNC[1:],
    T.ACK_UNACCEPTABLE,
    None,
    (A.SEND_ACK,),
    "3.10.7.4 fifth (RFC 5961 5.2)",
    "SEG.ACK > SND.NXT or < SND.UNA - MAX.SND.WND: send an ACK, drop",
)
_row(
    S.SYN_RECEIVED,
    T.ACK_OF_SYN,
    S.ESTABLISHED,
    (A.PROCESS_ACK, A.SIGNAL_CONNECTED),
    "3.10.7.4 fifth",
    "SND.UNA < SEG.ACK =< SND.NXT",
)
# Simultaneous open (Figure 7): the peer's SYN+ACK crossed ours. Its SYN is old (Table 6: not
# acceptable, so acknowledge it: 3.10.7.4 first), its ACK is new and completes the open (fifth).
# Linux does both (tcp_validate_incoming() lets it through, tcp_data_queue() acks the old SYN):
# tests/data/linux/simultaneous-open.pcap shows each side's ACK after the crossed SYN+ACKs.
_row(
    S.SYN_RECEIVED,
    T.SYN_ACK,
    S.ESTABLISHED,
    (A.PROCESS_ACK, A.SIGNAL_CONNECTED, A.SEND_ACK),
    "3.10.7.4 first, fifth",
    "the crossed SYN+ACK: acknowledge its old SYN, its ACK completes the open",
)
_row(
    S.SYN_RECEIVED,
    T.DATA,
    S.ESTABLISHED,
    (A.PROCESS_ACK, A.SIGNAL_CONNECTED, A.ACCEPT_TEXT, A.SEND_ACK),
    "3.10.7.4 fifth, seventh",
)
_row(
    S.SYN_RECEIVED,
    T.FIN,
    S.CLOSE_WAIT,
    (A.PROCESS_ACK, A.SIGNAL_CONNECTED, A.ACCEPT_TEXT, A.ACCEPT_FIN, A.SEND_ACK),
    "3.10.7.4 fifth, eighth",
    "the ACK of our SYN carries the peer's FIN",
)

_row(
    (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT),
    T.ACK,
    None,
    (A.PROCESS_ACK,),
    "3.10.7.4 fifth",
)
_row(
    (S.CLOSING, S.LAST_ACK),
    T.ACK,
    None,
    (A.PROCESS_ACK,),
    "3.10.7.4 fifth",
    "not yet the ACK of our FIN: ignore",
)
_row(
    S.TIME_WAIT,
    T.ACK,
    None,
    (A.DISCARD,),
    "3.10.7.4 fifth",
    "only a retransmitted FIN is expected in TIME-WAIT",
)

_row(
    S.FIN_WAIT_1,
    T.ACK_OF_FIN,
    S.FIN_WAIT_2,
    (A.PROCESS_ACK, A.ACCEPT_TEXT),
    "3.10.7.4 fifth",
    "our FIN is acknowledged",
)
_row(
    S.CLOSING,
    T.ACK_OF_FIN,
    S.TIME_WAIT,
    (A.PROCESS_ACK, A.START_2MSL),
    "3.10.7.4 fifth",
    "simultaneous close: our FIN is acknowledged",
)
_row(
    S.LAST_ACK,
    T.ACK_OF_FIN,
    S.CLOSED,
    (A.PROCESS_ACK,),
    "3.10.7.4 fifth",
    "our FIN is acknowledged: delete the TCB",
)

# -- seventh step: text ---------------------------------------------------------------------------
_row(
    (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2),
    T.DATA,
    None,
    (A.PROCESS_ACK, A.ACCEPT_TEXT, A.SEND_ACK),
    "3.10.7.4 seventh",
)
_row(
    (S.FIN_WAIT_1, S.FIN_WAIT_2),
    T.DATA_AFTER_CLOSE,
    None,
    (A.PROCESS_ACK, A.ACCEPT_TEXT, A.SEND_ACK),
    "3.10.7.4 seventh",
    "the RFC's CLOSE still receives",
    variants=(
        (
            "rst_on_data_after_close",
            _alt(
                S.CLOSED,
                (A.REPLY_RST,),
                "Linux tcp_rcv_state_process()",
                "data for a socket the user closed: reset (no one will read it)",
            ),
        ),
    ),
)
_row(
    (S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK),
    T.DATA,
    None,
    (A.PROCESS_ACK,),
    "3.10.7.4 seventh",
    "text after the peer's FIN cannot be valid: ignored",
)
_row(
    S.TIME_WAIT,
    T.DATA,
    None,
    (A.DISCARD,),
    "3.10.7.4 seventh",
    "text after the peer's FIN cannot be valid: ignored",
)
# The fifth step (the ACK) still applies in CLOSING and LAST-ACK; only the text is ignored.
_row(
    (S.CLOSING, S.LAST_ACK),
    T.DATA_AFTER_CLOSE,
    None,
    (A.PROCESS_ACK,),
    "3.10.7.4 seventh",
    "text after the peer's FIN cannot be valid: ignored",
)
_row(
    S.TIME_WAIT,
    T.DATA_AFTER_CLOSE,
    None,
    (A.DISCARD,),
    "3.10.7.4 seventh",
    "text after the peer's FIN cannot be valid: ignored",
)

# -- eighth step: FIN -----------------------------------------------------------------------------
_row(
    S.ESTABLISHED,
    T.FIN,
    S.CLOSE_WAIT,
    (A.PROCESS_ACK, A.ACCEPT_TEXT, A.ACCEPT_FIN, A.SEND_ACK),
    "3.10.7.4 eighth",
)
_row(
    S.FIN_WAIT_1,
    T.FIN,
    S.CLOSING,
    (A.PROCESS_ACK, A.ACCEPT_TEXT, A.ACCEPT_FIN, A.SEND_ACK),
    "3.10.7.4 eighth",
    "simultaneous close: our FIN is not yet acknowledged",
)
_row(
    S.FIN_WAIT_1,
    T.FIN_ACK_OF_FIN,
    S.TIME_WAIT,
    (A.PROCESS_ACK, A.ACCEPT_TEXT, A.ACCEPT_FIN, A.SEND_ACK, A.START_2MSL),
    "3.10.7.4 eighth",
    "the FIN acknowledges our FIN: straight to TIME-WAIT",
)
_row(
    S.FIN_WAIT_2,
    T.FIN,
    S.TIME_WAIT,
    (A.PROCESS_ACK, A.ACCEPT_TEXT, A.ACCEPT_FIN, A.SEND_ACK, A.START_2MSL),
    "3.10.7.4 eighth",
)
_row(
    (S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK),
    T.FIN,
    None,
    (A.PROCESS_ACK, A.SEND_ACK),
    "3.10.7.4 eighth",
    "a retransmitted FIN: acknowledge it again",
)
_row(
    S.TIME_WAIT,
    T.FIN,
    None,
    (A.SEND_ACK, A.START_2MSL),
    "3.10.7.4 eighth",
    "a retransmitted FIN: acknowledge it and restart the 2MSL timer",
)

# -- timeouts (3.10.8; RFC 1122 4.2.3.5 and 4.2.3.6) -------------------------------------------
_RETX = (
    S.SYN_SENT,
    S.SYN_RECEIVED,
    S.ESTABLISHED,
    S.FIN_WAIT_1,
    S.CLOSE_WAIT,
    S.CLOSING,
    S.LAST_ACK,
)
_row(_RETX, T.RETRANSMIT_TIMEOUT, None, (A.RETRANSMIT,), "3.10.8 RETRANSMISSION TIMEOUT")
# RFC 8985 7 (profiles with tail_loss_probe): a probe timeout, shorter than the RTO, resends the
# last segment so that a lost tail draws an ACK. The connection arms it only once SACK is
# negotiated and data or a FIN is in flight, so the states that cannot have those have no row.
_row(
    (S.ESTABLISHED, S.FIN_WAIT_1, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK),
    T.LOSS_PROBE_TIMEOUT,
    None,
    (A.SEND_LOSS_PROBE,),
    "3.10.8 RETRANSMISSION TIMEOUT; Linux tcp_send_loss_probe()",
    "tail loss probe (RFC 8985 7.3): the last segment again, then the RTO",
)
_row(
    _RETX,
    T.USER_TIMEOUT,
    S.CLOSED,
    (A.SIGNAL_TIMEOUT,),
    "3.10.8 USER TIMEOUT",
    "retransmissions exhausted (RFC 1122 4.2.3.5 R2)",
)
_row(S.TIME_WAIT, T.TIME_WAIT_TIMEOUT, S.CLOSED, (), "3.10.8 TIME-WAIT TIMEOUT")
_KEEP = (S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_2)
_row(
    _KEEP,
    T.KEEPALIVE_TIMEOUT,
    None,
    (A.SEND_KEEPALIVE,),
    "RFC 1122 4.2.3.6",
    "probe <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>",
)
_row(
    _KEEP,
    T.KEEPALIVE_EXHAUSTED,
    S.CLOSED,
    (A.SIGNAL_TIMEOUT,),
    "RFC 1122 4.2.3.6",
    "the peer is dead",
    variants=(
        (
            "rst_on_keepalive_give_up",
            _alt(
                S.CLOSED,
                (A.SEND_RST, A.SIGNAL_TIMEOUT),
                "Linux tcp_keepalive_timer()",
                "the peer is dead: Linux sends a RST as it gives up",
            ),
        ),
    ),
)
_row(
    S.FIN_WAIT_2,
    T.FIN_WAIT_2_TIMEOUT,
    S.CLOSED,
    (),
    "Linux tcp_fin_timeout",
    "an orphaned FIN-WAIT-2 is not kept forever (the RFC has no such timer)",
)

del _t
