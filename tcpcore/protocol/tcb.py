"""The Transmission Control Block: the variables of one connection (RFC 9293 3.3.1).

What lives where in the protocol core: :mod:`tcpcore.protocol.table` says what to do for (state,
trigger); :mod:`tcpcore.protocol.rules` decides which trigger an arriving segment is, reading a
:class:`TCB`; :mod:`tcpcore.protocol.connection` holds a TCB and carries out the table's rows. The
TCB is plain data: a connection, the capture observer and the autograder's checks each build their
own.
:func:`rfc6528_iss` chooses where a new TCB's sequence space starts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..wire.seq import Seq

_ZERO = Seq(0)  # Seq is immutable, so one shared default is safe


@dataclass(slots=True)
class TCB:
    """The Transmission Control Block: RFC 9293 3.3.1's variables, with the RFC's names.

    ``snd_wnd`` and ``rcv_wnd`` are byte counts; every sequence variable is a :class:`Seq`.
    """

    iss: Seq = _ZERO
    irs: Seq = _ZERO
    snd_una: Seq = _ZERO  # oldest unacknowledged sequence number
    snd_nxt: Seq = _ZERO  # next sequence number to be sent
    snd_wnd: int = 0  # the peer's window, as last accepted
    snd_wl1: Seq = _ZERO  # SEG.SEQ of the segment last used to update SND.WND
    snd_wl2: Seq = _ZERO  # SEG.ACK of the segment last used to update SND.WND
    max_snd_wnd: int = 0  # the largest window the peer has offered (RFC 5961 5.2)
    rcv_nxt: Seq = _ZERO  # next sequence number expected
    rcv_wnd: int = 65535  # receive window offered to the peer
    fin_seq: Seq | None = None  # sequence number of our FIN, once sent
    # Settled by the two SYNs (RFC 7323 2.2, RFC 2018 2); all off unless both offered them.
    snd_shift: int = 0  # Snd.Wind.Shift: SEG.WND of the peer's non-SYN segments, shifted left
    rcv_shift: int = 0  # Rcv.Wind.Shift: the window we advertise, shifted right
    wscale_ok: bool = False  # both SYNs carried a Window Scale option
    sack_ok: bool = False  # both SYNs carried SACK-permitted
    ts_recent: int | None = None  # the peer's latest TSval (RFC 7323 4.3); None: none seen

    def fin_acked(self) -> bool:
        """True once our FIN is sent and acknowledged."""
        return self.fin_seq is not None and self.snd_una > self.fin_seq


def rfc6528_iss(now: float, local: tuple[str, int], remote: tuple[str, int], secret: bytes) -> int:
    """RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey).

    M is a 4-microsecond clock (RFC 9293 3.4.1); F is a keyed BLAKE2b hash of the connection's
    identity, so that each connection's sequence space starts somewhere hard to guess.
    """
    ident = f"{local[0]}|{local[1]}|{remote[0]}|{remote[1]}".encode()
    f = int.from_bytes(hashlib.blake2b(ident, key=secret[:64], digest_size=4).digest(), "big")
    m = int(now * 250_000)
    return (m + f) & 0xFFFFFFFF
