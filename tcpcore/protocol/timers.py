"""A connection's timers: when each is armed, and what its expiry feeds into the table.

A :class:`tcpcore.protocol.connection.Connection` keeps its timers as deadlines on its own virtual
clock (``Connection.timers``, {name: due}); ``handle_timer(now)`` calls :func:`fire` for each one
due, which turns the expiry into a trigger looked up in the table like any other input. The
functions here take the connection; the connection calls them as it sends and receives.

RFC 9293 3.8.1, 3.10.8; RFC 6298; RFC 1122 4.2.3.5, 4.2.3.6:

* ``retransmit``: initial RTO from the profile (1 s), RFC 6298 estimation with Karn's rule
  (:func:`rtt_sample`), doubled on each expiry up to the profile's maximum; only the oldest
  segment is resent. Giving up: after the profile's retry count or time (SYN, SYN+ACK and data
  separately), or the connection's ``user_timeout``: the USER TIMEOUT row, CLOSED, ``TimedOut``;
* ``time_wait``: the profile's ``time_wait`` (2*MSL in the RFC, 60 s on Linux), restarted by a
  retransmitted FIN;
* ``keepalive`` (off unless enabled): a probe <SEQ=SND.NXT-1> after ``idle`` seconds without a
  segment from the peer, then every ``interval``; after ``probes`` unanswered probes the peer is
  declared dead;
* ``fin_wait_2`` (Linux only): an orphaned FIN-WAIT-2 is dropped after ``fin_wait_2_timeout``;
* ``loss_probe`` (profiles with ``tail_loss_probe``, once SACK is negotiated; RFC 8985 7):
  2*SRTT after new data or a FIN leaves, the last segment is sent again, then the RTO runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .states import State
from .table import Trigger

if TYPE_CHECKING:
    from .connection import Connection

_CLOCK_GRANULARITY = 0.001  # G of RFC 6298 2.2
_KEEP_STATES = (State.ESTABLISHED, State.CLOSE_WAIT, State.FIN_WAIT_2)
_HANDSHAKE = (State.SYN_SENT, State.SYN_RECEIVED)  # the states whose RTO is the SYN's
# The states in which a loss probe may be armed: data or a FIN of ours can be in flight.
_PROBE_STATES = (
    State.ESTABLISHED,
    State.FIN_WAIT_1,
    State.CLOSE_WAIT,
    State.CLOSING,
    State.LAST_ACK,
)


def fire(c: Connection, name: str, now: float) -> None:
    """The timer ``name`` expired at ``now``: feed its trigger to the table."""
    if name == "retransmit":
        if not c._rtx:
            return
        limit = retry_limit(c)
        give_up = give_up_time(c)
        first = c._rtx[0].sent_at
        # Compare with the deadline as armed (first + give_up): "now - first >= give_up"
        # can be false at that very deadline by one float ulp, re-arming it forever.
        if (limit is not None and c._retries >= limit) or (
            give_up is not None and now >= first + give_up
        ):
            reason = (
                "SYN retransmissions exhausted"
                if c.state is State.SYN_SENT
                else "retransmissions exhausted (user timeout)"
            )
            c._user(Trigger.USER_TIMEOUT, now, reason=reason)
            return
        c._retries += 1
        c._rto = min(c._rto * 2, c.profile_obj.rto_max)
        c._in_loss = True
        c.timers.pop("loss_probe", None)
        c._user(Trigger.RETRANSMIT_TIMEOUT, now)
        c.timers.pop("retransmit", None)
        arm_retransmit(c, now)
    elif name == "time_wait":
        c._user(Trigger.TIME_WAIT_TIMEOUT, now)
    elif name == "fin_wait_2":
        c._user(Trigger.FIN_WAIT_2_TIMEOUT, now)
    elif name == "loss_probe":
        c._user(Trigger.LOSS_PROBE_TIMEOUT, now)
    elif name == "keepalive":
        if c._probes >= keep(c, "probes"):
            reason = "keepalive: the peer did not answer"
            c._user(Trigger.KEEPALIVE_EXHAUSTED, now, reason=reason)
        else:
            c._user(Trigger.KEEPALIVE_TIMEOUT, now)


# -- retransmission (RFC 6298) ---------------------------------------------------------------------


def arm_retransmit(c: Connection, now: float) -> None:
    """The RTO from now, but never past the time at which the connection gives up."""
    # FreeBSD TCPT_RANGESET(): a backed-off RTO gets net.inet.tcp.rexmit_slop on top.
    due = now + c._rto + (c.profile_obj.rto_slop if c._retries else 0.0)
    limit = give_up_time(c)
    if limit is not None and c._rtx:
        due = min(due, c._rtx[0].sent_at + limit)
    c.timers["retransmit"] = due


def give_up_time(c: Connection) -> float | None:
    """Seconds after the oldest unacknowledged segment left at which the connection gives up."""
    p = c.profile_obj
    if c.state in _HANDSHAKE:
        return p.syn_give_up
    return c.user_timeout if c.user_timeout is not None else p.data_give_up


def retry_limit(c: Connection) -> int | None:
    """How many retransmissions before giving up (None: only the time counts)."""
    p = c.profile_obj
    if c.state is State.SYN_SENT:
        return p.syn_retries
    if c.state is State.SYN_RECEIVED:
        return p.synack_retries
    return None if c.user_timeout is not None else p.data_retries


def rtt_sample(c: Connection, r: float) -> None:
    """RFC 6298 2.2 and 2.3: a new round-trip time measurement updates SRTT, RTTVAR and RTO."""
    p = c.profile_obj
    if c._srtt is None:
        c._srtt, c._rttvar = r, r / 2
    else:
        c._rttvar = 0.75 * c._rttvar + 0.25 * abs(c._srtt - r)
        c._srtt = 0.875 * c._srtt + 0.125 * r
    rto = c._srtt + max(_CLOCK_GRANULARITY, 4 * c._rttvar)
    c._rto = min(max(rto, p.rto_min), p.rto_max)


# -- tail loss probe (RFC 8985 7) ------------------------------------------------------------------


def arm_loss_probe(c: Connection, now: float) -> None:
    """RFC 8985 7.2: PTO = 2*SRTT (+ max ACK delay with one segment in flight), never later
    than the RTO; only with ``tail_loss_probe``, SACK negotiated, and no RTO since."""
    p, t = c.profile_obj, c.tcb
    if not (p.tail_loss_probe and t.sack_ok) or c._in_loss or not c._rtx:
        return
    if c.state not in _PROBE_STATES:
        return
    if c._srtt is None:
        pto = p.rto_initial
    else:
        extra = p.tlp_max_ack_delay if len(c._rtx) == 1 else p.tlp_min_extra
        pto = 2 * c._srtt + extra
    rto_due = c.timers.get("retransmit")
    c.timers["loss_probe"] = now + pto if rto_due is None else min(now + pto, rto_due)


def send_loss_probe(c: Connection, now: float) -> None:
    """RFC 8985 7.3: send the last segment again (tcpcore has no congestion window, so any
    new data the peer's window allows has already left), at most one probe outstanding;
    then arm the RTO, not another probe."""
    if c._rtx and c._tlp_high is None:
        last = c._rtx[-1]
        last.retransmitted = True
        c._emit(last.seq, last.flags, last.payload)
        c._tlp_high = c.tcb.snd_nxt
    if c._rtx:
        arm_retransmit(c, now)


# -- keepalive (RFC 1122 4.2.3.6) and FIN-WAIT-2 ---------------------------------------------------


def keep(c: Connection, what: str) -> float:
    """A keepalive number (``idle``, ``interval``, ``probes``): the connection's, else the
    profile's."""
    own = getattr(c, f"keepalive_{what}")
    return float(own if own is not None else getattr(c.profile_obj, f"keepalive_{what}"))


def rearm_keepalive(c: Connection, now: float) -> None:
    """Keepalive runs only when enabled, in a state that has a peer, with nothing in flight:
    ``idle`` after the last segment received, then ``interval`` between probes."""
    if not c.keepalive or c.state not in _KEEP_STATES or c._rtx:
        if "keepalive" in c.timers:
            del c.timers["keepalive"]
        return
    if c._probes == 0:
        c.timers["keepalive"] = c._last_rx + keep(c, "idle")
    else:
        c.timers["keepalive"] = now + keep(c, "interval")


def arm_fin_wait_2(c: Connection, now: float) -> None:
    """Linux's orphan FIN-WAIT-2 timer: only after close(), with the profile's timeout."""
    t = c.profile_obj.fin_wait_2_timeout
    if t is not None and c.user_closed and c.state is State.FIN_WAIT_2:
        c.timers["fin_wait_2"] = now + t
