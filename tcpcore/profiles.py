"""Profiles: where real stacks differ from RFC 9293, the difference is a named value here.

The logic (the table and :mod:`tcpcore.rules`) is one; a profile only chooses numbers and
switches. ``rfc9293`` is the default and follows the RFC (with RFC 1122 and RFC 6298 where RFC 9293
defers to them); ``linux`` follows the Linux kernel's defaults, with the sysctl or function that
decides each value named beside it.

| value | rfc9293 | linux | source |
|---|---|---|---|
| TIME-WAIT length | 2*MSL = 240 s | 60 s fixed | RFC 9293 3.4.2; TCP_TIMEWAIT_LEN |
| RTO initial/min/max | 1 / 1 / 60 s | 1 / 0.2 / 120 s | RFC 6298 2.1, 2.4, 2.5 |
| SYN give-up | after 3 min | 6 retries, 127 s | RFC 1122 4.2.3.5; tcp_syn_retries |
| SYN+ACK give-up | after 3 min | 5 retries (63 s) | RFC 1122 4.2.3.5; tcp_synack_retries |
| data give-up | after 100 s | 15 retries (about 15 min) | RFC 1122 4.2.3.5 R2; tcp_retries2 |
| keepalive | off; idle >= 7200 s | off; 7200 / 75 s / 9 probes | RFC 1122 4.2.3.6 |
| RST on close() with unread data | no | yes | RFC 2525 2.17; tcp_close() |
| RST for data after close() | no | yes | tcp_rcv_state_process() |
| RST in TIME-WAIT | closes it | closes it | RFC 9293 3.10.7.4; tcp_rfc1337=0 |
| dup SYN in SYN-RECEIVED | ACK | resend SYN+ACK | RFC 9293 3.10.7.4 first; tcp_check_req() |
| orphaned FIN-WAIT-2 | kept | 60 s | tcp_fin_timeout |
| RST when keepalive gives up | no | yes | tcp_keepalive_timer() |
| ABORT's RST carries an ACK | no | yes | RFC 9293 3.10.5; tcp_send_active_reset() |

``linux-rfc1337`` is ``linux`` with tcp_rfc1337=1 (RST ignored in TIME-WAIT, RFC 1337 section 3).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .errors import TCPCoreError


class ProfileError(TCPCoreError, ValueError):
    """An unknown profile name or switch."""


@dataclass(frozen=True, slots=True)
class Profile:
    """Numbers (seconds, counts) and switches that real stacks choose differently."""

    name: str
    msl: float = 120.0
    time_wait: float = 240.0
    rto_initial: float = 1.0
    rto_min: float = 1.0
    rto_max: float = 60.0
    # Giving up: a retry count (Linux) or a time since the first transmission (RFC 1122 R2);
    # None means "no limit of this kind".
    syn_retries: int | None = None
    syn_give_up: float | None = 180.0
    synack_retries: int | None = None
    data_retries: int | None = None
    data_give_up: float | None = 100.0
    keepalive_idle: float = 7200.0
    keepalive_interval: float = 75.0
    keepalive_probes: int = 9
    fin_wait_2_timeout: float | None = None
    mss: int = 1460
    default_peer_mss: int = 536  # RFC 9293 3.7.1 (SHLD-5 / RFC 1122 4.2.2.6) when none is sent
    rcv_wnd: int = 65535
    # Switches read by table variants (see tcpcore.table).
    rst_on_close_with_unread: bool = False
    rst_on_data_after_close: bool = False
    ignore_rst_in_time_wait: bool = False
    synrecv_resend_synack_on_dup_syn: bool = False
    rst_on_keepalive_give_up: bool = False
    # Segment form, not a transition: Linux's RSTs for ABORT carry ACK = RCV.NXT.
    rst_carries_ack: bool = False

    def switch(self, name: str) -> bool:
        """The value of a boolean switch; ProfileError for a name that is not one."""
        value = getattr(self, name, None)
        if not isinstance(value, bool):
            raise ProfileError(f"profile {self.name!r} has no switch {name!r}")
        return value

    def with_(self, **changes: object) -> Profile:
        """A copy with some values changed, e.g. ``LINUX.with_(time_wait=1.0)``."""
        known = {f.name for f in fields(self)}
        for key in changes:
            if key not in known:
                raise ProfileError(
                    f"profile has no value {key!r}; known: {', '.join(sorted(known))}"
                )
        return replace(self, **changes)  # type: ignore[arg-type]


RFC9293 = Profile(name="rfc9293")

LINUX = Profile(
    name="linux",
    msl=30.0,  # not used for TIME-WAIT, which is fixed; Linux has no MSL constant
    time_wait=60.0,
    rto_initial=1.0,
    rto_min=0.2,
    rto_max=120.0,
    syn_retries=6,
    syn_give_up=None,
    synack_retries=5,
    data_retries=15,
    data_give_up=None,
    fin_wait_2_timeout=60.0,
    rst_on_close_with_unread=True,
    rst_on_data_after_close=True,
    synrecv_resend_synack_on_dup_syn=True,
    rst_on_keepalive_give_up=True,
    rst_carries_ack=True,
)

LINUX_RFC1337 = replace(LINUX, name="linux-rfc1337", ignore_rst_in_time_wait=True)

PROFILES: dict[str, Profile] = {p.name: p for p in (RFC9293, LINUX, LINUX_RFC1337)}


def get_profile(name: str | Profile) -> Profile:
    """A profile by name ("rfc9293", "linux", "linux-rfc1337"), or the profile given."""
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ProfileError(
            f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}"
        ) from None
