"""What a packetdrill script means under each profile: how a ``>`` line is compared with the
segment the reference sent (:class:`ComparePolicy`, one per profile in :data:`POLICIES`), which
``#ifdef`` names are defined (:data:`DEFINES`), and what a script's ``sysctl -w NAME=VALUE``
changes in the profile (:data:`SYSCTLS`). The runner (:mod:`tcpcore.conformance.runner`) applies
them; the conformance table (docs/conformance.md) prints the policies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..protocol.profiles import Profile, ProfileError, get_profile

# -- what a ">" line is compared on, per profile ----------------------------------------------


@dataclass(frozen=True, slots=True)
class ComparePolicy:
    """How a ``>`` line is compared with the segment the reference sent, under one profile.

    Flags, the relative sequence number, the payload length, the acknowledgment number (when
    the line has ACK) and the time are always compared. Beyond that:

    * ``window``: compare ``win N`` where the line gives one;
    * ``options``: the TCP options compared, by name, for presence and value (``mss``,
      ``wscale``, ``sackOK``, ``sack``); the others are never compared: ``TS`` (tcpcore sends no
      timestamps, RFC 7323 3) and ``nop``/``eol`` (padding: where a stack puts it is layout);
      a line without ``<...>`` expects none of the compared options, ``<...>`` accepts any;
    * ``coalesce``: a line may stand for several data segments the reference sent at once,
      back to back, as the kernel's segmentation offload hands packetdrill one large segment.
    """

    window: bool
    options: frozenset[str]
    coalesce: bool
    why: str


_MODELLED = frozenset({"mss", "wscale", "sackOK", "sack"})
POLICIES: dict[str, ComparePolicy] = {
    "rfc9293": ComparePolicy(
        window=True,
        options=frozenset({"mss"}),
        coalesce=False,
        why="RFC 9293 3.7.1: MSS is the only option the RFC's endpoint sends",
    ),
    "linux": ComparePolicy(
        window=True,
        options=_MODELLED,
        coalesce=True,
        # google-packetdrill shutdown-rdwr-write-queue-close.pkt expects one P. 1:10001(10000)
        # from a stack whose peer's MSS is 1000: packetdrill's tun device takes TSO/GSO segments.
        why="packetdrill on Linux sees TSO/GSO segments before they are cut to the MSS",
    ),
    "freebsd": ComparePolicy(
        window=True,
        options=_MODELLED,
        coalesce=False,
        why="segment by segment, as sent (the snippets carry no data to offload)",
    ),
}
POLICIES["linux-rfc1337"] = POLICIES["linux"]


# The names a script's ``#ifdef`` blocks test, per profile: FreeBSD's testsuite marks what the
# standard says with STANDARD and what FreeBSD does instead with FreeBSD.
DEFINES: dict[str, frozenset[str]] = {
    "rfc9293": frozenset({"STANDARD"}),
    "linux": frozenset({"Linux"}),
    "linux-rfc1337": frozenset({"Linux"}),
    "freebsd": frozenset({"FreeBSD"}),
}


def defines_for(profile: str | Profile) -> frozenset[str]:
    """The ``#ifdef`` names defined when a script runs under ``profile``."""
    return DEFINES.get(get_profile(profile).name, frozenset())


def policy_for(profile: Profile) -> ComparePolicy:
    """The comparison policy of a profile; ProfileError for a profile that has none."""
    try:
        return POLICIES[profile.name]
    except KeyError:
        raise ProfileError(
            f"no pktscript comparison policy for profile {profile.name!r}; "
            f"known: {', '.join(sorted(POLICIES))}"
        ) from None


# -- FreeBSD's sysctls: a script's settings as profile values ---------------------------------

_ECN = "ECN negotiation (RFC 3168) is outside the course's subset"
_POSITIVE = "only a positive value is modelled"
Sysctl = Callable[[int], "dict[str, object] | str"]


def _switch(name: str) -> Sysctl:
    return lambda v: {name: bool(v)} if v in (0, 1) else f"only 0 and 1 are modelled, not {v}"


def _only(default: int, why: str) -> Sysctl:
    return lambda v: {} if v == default else why


def _wscale(maxsockbuf: int) -> dict[str, object]:
    # tcp_connect(): the smallest shift with TCP_MAXWIN << shift >= sb_max, at most 14.
    shift = 0
    while shift < 14 and 0xFFFF << shift < maxsockbuf:
        shift += 1
    return {"wscale": shift}


# What ``sysctl -w NAME=VALUE`` means for the ``freebsd`` profile (tcp(4), tuning(7)): the values
# it changes, or why the setting is outside the subset. Settings that change nothing tcpcore
# models at their value are accepted as they are.
FREEBSD_SYSCTLS: dict[str, Sysctl] = {
    "net.inet.tcp.insecure_rst": _switch("rst_in_window_resets"),
    "net.inet.tcp.insecure_syn": _switch("syn_in_window_resets"),
    "net.inet.tcp.drop_synfin": _switch("drop_syn_fin"),
    "net.inet.tcp.sack.enable": _switch("sack_permitted"),
    # RFC 1323 on: Window Scale offered (timestamps are never sent by tcpcore); off: neither.
    "net.inet.tcp.rfc1323": lambda v: {"wscale": None} if v == 0 else {},
    "kern.ipc.maxsockbuf": _wscale,
    "net.inet.tcp.recvspace": lambda v: (
        {"rcv_space": v}
        if 0xFFFF <= v <= 0xFFFF + 1
        else ("a receive buffer other than 64 KiB is not modelled")
    ),
    "net.inet.tcp.sendspace": _only(32768, "the send buffer's size is not modelled"),
    "net.inet.tcp.ecn.enable": lambda v: {} if v in (0, 2) else _ECN,
    "net.inet.tcp.ecn.maxretries": lambda v: {},  # only read when ECN is negotiated
    "net.inet.tcp.blackhole": _only(0, "blackhole (no RST for a closed port) is not modelled"),
    "net.inet.tcp.hostcache.purgenow": lambda v: {},  # tcpcore keeps no host cache
    "net.inet.tcp.keepinit": lambda v: {"syn_give_up": v / 1000} if v > 0 else _POSITIVE,
    "net.inet.tcp.rexmit_initial": lambda v: {"rto_initial": v / 1000} if v > 0 else _POSITIVE,
    "net.inet.tcp.rexmit_slop": lambda v: {"rto_slop": v / 1000},
    "net.inet.tcp.rexmit_drop_options": _only(
        0, "a SYN resent without its options (after the third try) is not modelled"
    ),
    "net.inet.tcp.rexmit_min": _only(30, "the RTO's lower bound is not modelled"),
    # tcp(4): TIME-WAIT lasts 2*MSL; the keepalive times are in milliseconds.
    "net.inet.tcp.msl": lambda v: (
        {"msl": v / 1000, "time_wait": 2 * v / 1000} if v > 0 else _POSITIVE
    ),
    "net.inet.tcp.keepidle": lambda v: {"keepalive_idle": v / 1000} if v > 0 else _POSITIVE,
    "net.inet.tcp.keepintvl": lambda v: {"keepalive_interval": v / 1000} if v > 0 else _POSITIVE,
    "net.inet.tcp.keepcnt": lambda v: {"keepalive_probes": v} if v > 0 else _POSITIVE,
    "net.inet.tcp.delayed_ack": _only(0, "delayed ACKs (RFC 1122 4.2.3.2) are not modelled"),
    "net.inet.tcp.syncookies": lambda v: {},  # cookies only once the syncache overflows
    "net.inet.tcp.syncookies_only": _only(0, "SYN cookies are not modelled"),
    "net.inet.tcp.nolocaltimewait": _only(0, "TIME-WAIT skipped for local peers: not modelled"),
    "net.inet.tcp.fast_finwait2_recycle": _only(0, "FIN-WAIT-2 recycling is not modelled"),
    "net.inet.tcp.path_mtu_discovery": lambda v: {},  # no ICMP here; the DF bit is not modelled
    "net.inet.tcp.tolerate_missing_ts": lambda v: {},  # tcpcore sends no timestamps
}
SYSCTLS: dict[str, dict[str, Sysctl]] = {"freebsd": FREEBSD_SYSCTLS}
