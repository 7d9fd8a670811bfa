"""Profiles: where real stacks differ from RFC 9293, the difference is a named value here.

The logic (the table and :mod:`tcpcore.protocol.rules`) is one; a profile only chooses numbers and
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
| SYN in TIME-WAIT above RCV.NXT | challenge ACK | reopens | RFC 9293 3.6.1; RFC 6191 |
| dup SYN in SYN-RECEIVED | ACK | resend SYN+ACK | RFC 9293 3.10.7.4 first; tcp_check_req() |
| orphaned FIN-WAIT-2 | kept | 60 s | tcp_fin_timeout |
| RST when keepalive gives up | no | yes | tcp_keepalive_timer() |
| ABORT's RST carries an ACK | no | yes | RFC 9293 3.10.5; tcp_send_active_reset() |
| OPEN or SEND in LISTEN | turns active | error | RFC 9293 3.10.1-2; inet_stream_connect() |

``linux-rfc1337`` is ``linux`` with tcp_rfc1337=1 (RST ignored in TIME-WAIT, RFC 1337 section 3).

``freebsd`` is ``rfc9293`` with the values FreeBSD's own packetdrill snippets show
(freebsd-net-tcp-testsuite, snippets/*.pkt, run by ``tcpcore pktscript``; docs/conformance.md)
and the defaults of its tcp(4) man page. Values of the segments and options a stack sends:

| value | rfc9293 | linux | freebsd | source |
|---|---|---|---|---|
| window scale offered in SYN | none | 8 | 6 | RFC 7323 2; the scripts' SYNs |
| SACK-permitted offered | no | yes | yes | RFC 2018 2; tcp_sack=1; net.inet.tcp.sack.enable=1 |
| tail loss probe | no | yes | no | RFC 8985 7; tcp_early_retrans=3 |
| an ACK resends an unacked FIN | no | no | yes | tcp_output(): tcp_outflags[] |
| ACK of a wholly old segment used | no (Table 6) | no | yes | tcp_input(): "keep on processing" |
| TIME-WAIT, keepalive probes | 240 s, 9 | 60 s, 9 | 60 s, 8 | tcp(4): msl=30000 ms; keepcnt |
| SYN option padding | - | NOPs before | EOLs after | tcp_options_write(); tcp_addoptions() |
| receive buffer in the window checks | 65535 | 65535 | 65536 rounded to MSS | tcp_mss_update() |
| RTO slop after a backoff | 0 | 0 | 200 ms | TCPT_RANGESET(): rexmit_slop |
| SYN+ACK to a listener | RST | RST | dropped | tcp_input() |
| TIME-WAIT answers | FIN only | FIN only | all but a duplicate ACK | tcp_twcheck() |
| RST in TIME-WAIT | closes it | closes it | ignored | tcp_twcheck(): "Drop RST" |
| RST in CLOSING, LAST-ACK reported | no | no | ECONNRESET | tcp_input() |
| ABORT's RST carries an ACK | no | yes | yes | tcp_outflags[TCPS_CLOSED] |

The MSS a connection announces is the profile's ``mss`` over IPv4 and 20 bytes less over IPv6.
FreeBSD's sysctls that choose RFC 793's answers (net.inet.tcp.insecure_rst, insecure_syn) and
drop_synfin are the switches ``rst_in_window_resets``, ``syn_in_window_resets`` and
``drop_syn_fin``, off by default; ``tcpcore pktscript`` turns them on when a script sets them
(tcpcore.conformance.policy.FREEBSD_SYSCTLS).

tcpcore offers SACK-permitted but sends no SACK blocks and ignores those it gets: RFC 2018 lets a
receiver send them or not ("MAY"), and a sender must not free data on them alone (section 8).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..errors import TCPCoreError


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
    rto_slop: float = 0.0  # FreeBSD net.inet.tcp.rexmit_slop: added to a backed-off RTO
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
    # Switches read by table variants (see tcpcore.protocol.table).
    rst_on_close_with_unread: bool = False
    rst_on_data_after_close: bool = False
    ignore_rst_in_time_wait: bool = False
    accept_syn_in_time_wait: bool = False  # RFC 9293 3.6.1 MAY-2 with RFC 6191 (rules.reopens)
    synrecv_resend_synack_on_dup_syn: bool = False
    rst_on_keepalive_give_up: bool = False
    passive_open_stays_passive: bool = False
    # Segment form, not a transition: Linux's RSTs for ABORT carry ACK = RCV.NXT.
    rst_carries_ack: bool = False
    # Options in our SYN and SYN+ACK (a SYN+ACK only echoes what the peer's SYN offered).
    wscale: int | None = None  # RFC 7323 2.2: our shift count; None: no Window Scale option
    sack_permitted: bool = False  # RFC 2018 2: offer SACK-permitted
    # Where the SYN's options sit (NOP/EOL padding; the same options either way): "linux"
    # aligns each on four bytes with leading NOPs (tcp_options_write()), "freebsd" puts
    # MSS, Window Scale, SACK-permitted and pads the end with EOLs (tcp_addoptions()).
    syn_option_layout: str = "linux"
    # Tail loss probe (RFC 8985 7), only on connections that negotiated SACK (section 2): the
    # probe timeout is 2*SRTT plus ``tlp_max_ack_delay`` when one segment is in flight (7.2),
    # plus ``tlp_min_extra`` otherwise (Linux's TCP_TIMEOUT_MIN; the RFC adds nothing).
    tail_loss_probe: bool = False
    tlp_max_ack_delay: float = 0.2
    tlp_min_extra: float = 0.0
    # FreeBSD: while our FIN is unacknowledged, every ACK we send is the FIN again.
    resend_fin_with_ack: bool = False
    # FreeBSD: a segment wholly before RCV.NXT is trimmed to an empty one at RCV.NXT whose ACK is
    # processed, then acknowledged; RFC 9293 Table 6 calls it unacceptable: ACK and drop.
    process_ack_of_old_segment: bool = False
    # FreeBSD tcp_mss_update(): the receive buffer (net.inet.tcp.recvspace), rounded up to a
    # multiple of the MSS, is the window once the connection is established (the sequence
    # checks use it; the window field shows at most 65535 unscaled); None: rcv_wnd throughout.
    rcv_space: int | None = None
    # FreeBSD tcp_input(): a SYN+ACK for a listener is dropped, not answered with a RST.
    listen_drops_syn_ack: bool = False
    # FreeBSD tcp_twcheck(): TIME-WAIT drops a RST and anything without ACK, and acknowledges
    # everything else but a duplicate of its last ACK (tcpcore.protocol.rules).
    time_wait_answers_all_but_duplicate_ack: bool = False
    # The RFC 793 answers that RFC 5961 replaced, as FreeBSD's sysctls choose them (tcp(4)):
    # net.inet.tcp.insecure_rst=1, a RST anywhere in the window resets; insecure_syn=1, a SYN in
    # the window draws a RST and resets (one outside it an ACK); drop_synfin=1, a segment with
    # SYN and FIN never reaches the state machine.
    rst_in_window_resets: bool = False
    # FreeBSD tcp_input(): a RST in CLOSING or LAST-ACK is reported (SO_ERROR ECONNRESET); RFC 9293
    # 3.10.7.4 closes those states without a word.
    reset_reported_when_closing: bool = False
    syn_in_window_resets: bool = False
    drop_syn_fin: bool = False

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
    accept_syn_in_time_wait=True,
    rst_on_close_with_unread=True,
    rst_on_data_after_close=True,
    synrecv_resend_synack_on_dup_syn=True,
    rst_on_keepalive_give_up=True,
    passive_open_stays_passive=True,
    rst_carries_ack=True,
    # tcp_select_initial_window(): ilog2(tcp_rmem[2]) - 15 = 8 for the 15 MiB limit of
    # packetdrill's gtests/net/common/defaults.sh (a stock 6 MiB tcp_rmem[2] gives 7); every
    # google-packetdrill SYN and SYN+ACK in docs/conformance.md offers "wscale 8".
    wscale=8,
    sack_permitted=True,  # net.ipv4.tcp_sack=1
    # tcp_schedule_loss_probe(): 2*SRTT, + TCP_RTO_MIN (200 ms) with one packet out, else
    # + TCP_TIMEOUT_MIN (2 jiffies: 2 ms at HZ=1000); google-packetdrill
    # shutdown-rdwr-write-queue-close.pkt ("TLP at 2*RTT") and user_timeout.pkt show it.
    tail_loss_probe=True,
    tlp_max_ack_delay=0.2,
    tlp_min_extra=0.002,
)

LINUX_RFC1337 = replace(LINUX, name="linux-rfc1337", ignore_rst_in_time_wait=True)

FREEBSD = Profile(
    name="freebsd",
    msl=30.0,  # tcp(4): net.inet.tcp.msl, 30000 ms
    time_wait=60.0,  # 2 * MSL (tcp_twstart())
    keepalive_probes=8,  # tcp(4): net.inet.tcp.keepcnt
    # TCPT_RANGESET() adds net.inet.tcp.rexmit_slop (200 ms): snd-syn/*.pkt resend the SYN
    # after 1 s, then 2.2 s.
    rto_slop=0.2,
    # ilog2-style: the smallest shift with 65535 << shift >= kern.ipc.maxsockbuf (2 MiB): 6;
    # freebsd-net-tcp-testsuite snippets/*.pkt: "> S 0:0(0) win 65535 <mss 1460,nop,wscale 6,..".
    wscale=6,
    sack_permitted=True,  # net.inet.tcp.sack.enable=1; the snippets' SYN and SYN+ACK
    # state-event-engine/*.pkt: "> S 0:0(0) win 65535 <mss 1440,nop,wscale 6,sackOK,TS ...>".
    syn_option_layout="freebsd",
    # tcp_output(): tcp_outflags[] has TH_FIN in FIN-WAIT-1, CLOSING and LAST-ACK, and snd_nxt is
    # backed up over a FIN already sent, so an ACK leaves as the FIN again: snippets
    # closing-ipv4.pkt and time-wait-via-closing-ipv4.pkt expect "> F. 1:1(0) ack 2" in CLOSING.
    resend_fin_with_ack=True,
    # tcp_input(): data before rcv_nxt is trimmed ("Send an ACK to resynchronize and drop any
    # data. But keep on processing for RST or ACK"): snippets closed-via-last-ack-ipv4.pkt
    # ("< . 1:1(0) ack 2" after the peer's FIN closes LAST-ACK without a word) and
    # time-wait-via-closing-ipv4.pkt (the peer's FIN again, acking ours: CLOSING -> TIME-WAIT).
    process_ack_of_old_segment=True,
    # state-event-engine/*: "Now the recv buffer is 66240, since it is rounded up to a multiple
    # of the MSS" (net.inet.tcp.recvspace=65536, MSS 1440); a RST or SYN at RCV.NXT+66239 is in.
    rcv_space=65536,
    # state-event-engine/rcv-syn-ack-listen: "is dropped and does not trigger ... a RST".
    listen_drops_syn_ack=True,
    # state-event-engine/rcv-*-time-wait: an old ACK or an ACK beyond RCV.NXT draws an ACK, the
    # duplicate ACK and a FIN or SYN without ACK nothing; tcp_twcheck(): "Drop RST".
    time_wait_answers_all_but_duplicate_ack=True,
    ignore_rst_in_time_wait=True,
    reset_reported_when_closing=True,  # rcv-rst-closing, rcv-rst-last-ack: ECONNRESET
    # tcp_drop() -> tcp_output() in CLOSED: tcp_outflags[TCPS_CLOSED] is TH_RST|TH_ACK.
    rst_carries_ack=True,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (RFC9293, LINUX, LINUX_RFC1337, FREEBSD)}


def get_profile(name: str | Profile) -> Profile:
    """A profile by name ("rfc9293", "linux", "linux-rfc1337", "freebsd"), or the profile
    given."""
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ProfileError(
            f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}"
        ) from None
