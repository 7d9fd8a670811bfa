"""The rules of :func:`tcpcore.capture.framing.decode_frame`, applied to many frames at once
with numpy.

:mod:`.columnar` gathers the first :data:`WIDTH` bytes of each record into a block (one
row per frame); :func:`decode_group` then decides, row by row but in vectorised passes, whether
each frame is a TCP segment, exactly as the per-packet decoder would, and reads its fields.
Rows it cannot settle that way are marked for the per-packet decoder.

Excluded rows need no distinction between "other" and "error": neither is a TCP segment. What
must match decode_frame exactly is the set of rows accepted as TCP, so every check that can
reject a segment in decode_frame (and in Segment.decode and decode_options) is here.
"""

from __future__ import annotations

from typing import Any

from ..wire.ip import EXTENSION_HEADERS
from ..wire.links import LOOPBACK_INET, LOOPBACK_INET6_ALL, VLAN_TPIDS, LinkType
from ._numpy import np, npt

Array = npt.NDArray[Any]
WIDTH = 144  # bytes gathered per record: pcap record header, link, IP and (usually) TCP headers
PAD = 256  # room for fixed-width reads that run past the end of the file


def gather(buf: Array, positions: Array, width: int) -> Array:
    """The ``width`` bytes at each position of ``buf`` as a (n, width) uint8 array, in one
    gather. Bytes past the end of ``buf`` read as zeros (callers check lengths afterwards)."""
    size, n = len(buf), len(positions)
    kind = np.dtype(f"V{width}")
    safe = positions <= size - width
    if size >= width and safe.all():
        got: Array = np.ndarray((size - width + 1,), kind, buf, 0, (1,))[positions]
        return got.view(np.uint8).reshape(n, width)
    out = np.zeros(n, kind)
    if size >= width:
        out[safe] = np.ndarray((size - width + 1,), kind, buf, 0, (1,))[positions[safe]]
    start = max(size - width, 0)
    tail = np.zeros(2 * width + PAD, np.uint8)
    tail[: size - start] = buf[start:size]
    edge = positions[~safe] - start
    out[~safe] = np.ndarray((len(tail) - width + 1,), kind, tail, 0, (1,))[edge]
    return out.view(np.uint8).reshape(n, width)


def within(block: Array, cols: Array, width: int) -> Array:
    """Each row's ``width`` bytes from its own column of a gathered block (all in bounds)."""
    n, w = block.shape
    flat = np.ascontiguousarray(block).reshape(-1)
    at = np.arange(n, dtype=np.int64) * w + cols
    got: Array = np.ndarray((len(flat) - width + 1,), np.dtype(f"V{width}"), flat, 0, (1,))[at]
    return got


def decode_group(
    buf: Array, block: Array, data: Array, shift: int, cap: Array, linktype: int, wire: Array
) -> tuple[dict[str, Array], Array, Array]:
    """Apply decode_frame's rules to one link type's records (``wire``: original lengths).

    Returns the fields of the rows that are TCP segments, those rows' positions in ``block``,
    and the positions of the rows the per-packet decoder must settle.
    """
    ethertype, l3, ok, slow = _link_layer(block[:, shift : shift + 32], cap, linktype)
    ipf = _at(block, shift + l3, 40).view(_IP_FIELDS)
    # Where each frame ended on the wire (decode_frame's ``wire``): an IP length field may run
    # past the captured bytes (a snap-length cut) but not past this.
    frame_end = np.maximum(wire, cap)
    cap, l3 = cap.astype(np.int32), l3.astype(np.int32)  # int32 halves the memory traffic
    capip = cap - l3
    version = ipf["vihl"] >> 4
    is4 = ethertype == 0x0800
    v4, v6 = bool(is4.any()), not bool(is4.all())
    # IPv4 (RFC 791 3.1): header within the capture, IHL >= 5, total length >= header length,
    # not a later fragment, protocol TCP. A total length of 0 (TSO) runs to the end of the frame.
    if v4:
        ihl = (ipf["vihl"] & 0x0F).astype(np.int32) * 4
        total = ipf["total"].astype(np.int32)
        good4 = (capip >= 20) & (version == 4) & (ihl >= 20) & (ihl <= capip)
        good4 &= ((total >= ihl) | (total == 0)) & ((ipf["frag"] & 0x1FFF) == 0)
        good4 &= ipf["proto"] == 6
        tcp4 = l3 + ihl
        end4 = np.where(total == 0, frame_end, l3 + total)
    # IPv6 (RFC 8200 3): TCP right after the fixed header; extension headers go the slow way.
    # A payload length of 0 (TSO) runs to the end of the frame too (a jumbogram's Jumbo Payload
    # option is in a hop-by-hop header: the slow path).
    if v6:
        plen = ipf["plen"].astype(np.int32)
        nh = ipf["nh"]
        good6 = (capip >= 40) & (version == 6)
        slow |= ok & ~is4 & good6 & _IS_EXTENSION[nh]
        good6 &= nh == 6
        tcp6 = l3 + 40
        end6 = np.where(plen == 0, frame_end, tcp6 + plen)
    if v4 and v6:
        ok &= np.where(is4, good4, good6)
        tcp, ip_end = np.where(is4, tcp4, tcp6), np.where(is4, end4, end6)
    elif v4:
        ok &= good4
        tcp, ip_end = tcp4, end4
    else:
        ok &= good6
        tcp, ip_end = tcp6, end6
    ok &= ip_end <= frame_end  # an IP length beyond the frame on the wire: malformed
    declared = ip_end - tcp
    captured = np.minimum(ip_end, cap) - tcp
    ok &= (declared >= 20) & (captured >= 20)
    # TCP (RFC 9293 3.1): data offset >= 5, header within the IP payload and the capture.
    hrows = _tcp_rows(buf, block, data, shift, tcp, ok)
    hlen = (hrows.view(_TCP_FIELDS)["off"] >> 4).astype(np.int32) * 4
    ok &= (hlen >= 20) & (hlen <= declared) & (hlen <= captured)
    with_options = np.flatnonzero(ok & (hlen > 20))
    if len(with_options):
        ok[with_options[~_options_ok(hrows, with_options, hlen[with_options])]] = False
    take = np.flatnonzero(ok)
    fields = _fields(
        ipf, hrows.view(_TCP_FIELDS), take, is4[take], hlen[take], declared[take], captured[take]
    )
    return fields, take, np.flatnonzero(slow)


def _fields(
    ipf: Array,
    tcpf: Array,
    take: Array,
    is4: Array,
    hlen: Array,
    declared: Array,
    captured: Array,
) -> dict[str, Array]:
    """The output columns for the rows at ``take`` (the TCP segments). Each field is picked
    out with a numeric fancy index; indexing the structured rows themselves would be slower."""
    n = len(take)
    v6 = np.flatnonzero(~is4)
    cols: dict[str, Array] = {
        "ip_version": np.where(is4, 4, 6).astype(np.uint8) if len(v6) else np.full(n, 4, np.uint8),
        "src_ip": ipf["src"][take].astype(np.uint32),
        "dst_ip": ipf["dst"][take].astype(np.uint32),
    }
    # The IP header was read as both versions at once: keep each row's own addresses.
    for name, field in _IP6_COLUMNS:
        cols[name] = np.zeros(n, np.uint64)
        cols[name][v6] = ipf[field][take[v6]]
    cols["src_ip"][v6] = cols["dst_ip"][v6] = 0
    cols |= {
        "src_port": tcpf["sport"][take].astype(np.uint16),
        "dst_port": tcpf["dport"][take].astype(np.uint16),
        "seq": tcpf["seq"][take].astype(np.uint32),
        "ack": tcpf["ack"][take].astype(np.uint32),
        "flags": tcpf["flags"][take].astype(np.uint8),
        "window": tcpf["window"][take].astype(np.uint16),
        "header_len": hlen.astype(np.uint8),
        "payload_len": (captured - hlen).astype(np.uint32),
        "wire_payload_len": (declared - hlen).astype(np.uint32),
    }
    return cols


def _at(block: Array, cols: Array, width: int) -> Array:
    """Each row's ``width`` bytes from its column of the block, one void item per row: a
    zero-copy view when every row has the same column (the usual case), else a gather."""
    first = int(cols[0]) if len(cols) else 0
    if first + width <= block.shape[1] and bool((cols == first).all()):
        view: Array = block[:, first : first + width].view(np.dtype(f"V{width}"))[:, 0]
        return view
    return within(block, cols, width)


def _tcp_rows(buf: Array, block: Array, data: Array, shift: int, tcp: Array, ok: Array) -> Array:
    """The 64 bytes at each candidate's TCP header (``tcp`` bytes into its frame), one void
    item per row: from the block when it holds them, else from the file. Rows that are no
    longer candidates get the bytes at the first candidate's position, whatever they are."""
    some = np.flatnonzero(ok)
    cols = np.where(ok, shift + tcp, shift + int(tcp[some[0]]) if len(some) else 0)
    inside = cols + 64 <= WIDTH
    if inside.all():
        return _at(block, cols, 64)
    out = np.zeros(len(block), np.dtype("V64"))
    rows = np.flatnonzero(inside)
    out[rows] = within(block[rows], cols[rows], 64)
    rows = np.flatnonzero(~inside)
    out[rows] = gather(buf, data[rows] + cols[rows] - shift, 64).view(np.dtype("V64")).ravel()
    return out


def _link_layer(link: Array, cap: Array, linktype: int) -> tuple[Array, Array, Array, Array]:
    """(ethertype, offset of the IP header, still-a-candidate mask, needs-fallback mask)."""
    n = len(cap)
    slow = np.zeros(n, bool)
    l3 = np.zeros(n, np.int64)

    def col(j: int) -> Array:
        return link[:, j].astype(np.int64)

    v4, v6 = 0x0800, 0x86DD
    if linktype in _COOKED:
        type_col, hlen = _COOKED[linktype]
        ok = cap >= hlen
        ethertype = (col(type_col) << 8) | col(type_col + 1)
        l3[:] = hlen
        for _ in range(2):  # up to two VLAN tags vectorised; more go to the slow path
            tagged = np.flatnonzero(ok & _IS_TPID[ethertype])
            if not len(tagged):
                break
            room = cap[tagged] >= l3[tagged] + 4
            ok[tagged[~room]] = False
            tagged = tagged[room]
            c = l3[tagged]
            hi = link[tagged, c + 2].astype(np.int64)
            ethertype[tagged] = (hi << 8) | link[tagged, c + 3]
            l3[tagged] += 4
        more = ok & _IS_TPID[ethertype]
        slow |= more
        ok &= ~more
    elif linktype in (LinkType.NULL, LinkType.LOOP):
        ok = cap >= 4
        big = (col(0) << 24) | (col(1) << 16) | (col(2) << 8) | col(3)
        family = big
        if linktype == LinkType.NULL:  # host byte order: a known family either way decides
            little = (col(3) << 24) | (col(2) << 16) | (col(1) << 8) | col(0)
            family = np.where(np.isin(little, [LOOPBACK_INET, *LOOPBACK_INET6_ALL]), little, big)
        is6 = np.isin(family, list(LOOPBACK_INET6_ALL))
        ethertype = np.where(family == LOOPBACK_INET, v4, np.where(is6, v6, -1))
        l3[:] = 4
    elif linktype == LinkType.RAW:
        ok = cap >= 1
        version = col(0) >> 4
        ethertype = np.where(version == 4, v4, np.where(version == 6, v6, -1))
    elif linktype in (LinkType.IPV4, LinkType.IPV6):
        ok = np.ones(n, bool)
        ethertype = np.full(n, v4 if linktype == LinkType.IPV4 else v6, np.int64)
    else:
        return np.zeros(n, np.int64), l3, np.zeros(n, bool), slow
    ok &= (ethertype == v4) | (ethertype == v6)
    return ethertype, l3, ok, slow


def _options_ok(hrows: Array, which: Array, hlen: Array) -> Array:
    """decode_options' structural rules for the rows ``which``, all at once: a kind other than
    EOL and NOP needs a length byte, a length of at least 2, and must end within the header.

    The layouts nearly every stack sends are recognised first by their bytes (NOP NOP
    Timestamps on data segments; MSS, SACK-permitted, Timestamps, NOP, Window scale on a SYN);
    the option walk runs on the others only.
    """
    good = np.ones(len(hlen), bool)
    words = hrows.view(_OPTION_WORDS)
    w20, w24, w36 = (words[name][which].astype(np.uint32) for name in ("w20", "w24", "w36"))
    common = (hlen == 32) & (w20 == 0x0101080A)  # NOP NOP Timestamps
    common |= (hlen == 24) & (w20 >> 16 == 0x0204)  # MSS
    syn = (w20 >> 16 == 0x0204) & (w24 == 0x0402080A) & (w36 >> 8 == 0x010303)
    common |= (hlen == 40) & syn  # MSS, SACK-permitted, Timestamps, NOP, Window scale
    rest = np.flatnonzero(~common)
    if not len(rest):
        return good
    picked = np.ascontiguousarray(hrows[which[rest]])
    header, hlen = picked.view(np.uint8).reshape(len(rest), 64), hlen[rest]
    rows = np.arange(len(hlen))
    pos = np.full(len(hlen), 20, np.int64)
    active = np.ones(len(hlen), bool)
    while True:
        live = np.flatnonzero(active)
        if not len(live):
            return good
        p, end = pos[live], hlen[live]
        kind = header[rows[live], p]
        length = header[rows[live], np.minimum(p + 1, 63)].astype(np.int64)
        nop = kind == 1
        sized = kind > 1
        broken = sized & ((p + 1 >= end) | (length < 2) | (p + length > end))
        good[rest[live[broken]]] = False
        step = np.where(nop, 1, length)
        pos[live] = p + step
        active[live] = (nop | (sized & ~broken)) & (p + step < end)


_IP6_COLUMNS = [("src_ip6_hi", "s6h"), ("src_ip6_lo", "s6l"), ("dst_ip6_hi", "d6h")]
_IP6_COLUMNS.append(("dst_ip6_lo", "d6l"))
_IS_TPID = np.zeros(1 << 16, bool)
_IS_TPID[sorted(VLAN_TPIDS)] = True
_IS_EXTENSION = np.zeros(256, bool)
_IS_EXTENSION[sorted(EXTENSION_HEADERS)] = True
_COOKED: dict[int, tuple[int, int]] = {
    LinkType.ETHERNET: (12, 14),
    LinkType.LINUX_SLL: (14, 16),
    LinkType.LINUX_SLL2: (0, 20),
}


def layout(itemsize: int, *spec: tuple[str, str, int]) -> np.dtype[Any]:
    """A structured dtype: (name, format, byte offset) fields in an item of ``itemsize``."""
    names, formats, offsets = zip(*spec, strict=True)
    layout = {"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize}
    return np.dtype(layout)  # type: ignore[call-overload,no-any-return]


# RFC 791 3.1 (IPv4) and RFC 8200 3 (IPv6) fields, read from the first 40 bytes of either.
_IP_FIELDS = layout(
    40,
    ("vihl", "u1", 0),
    ("total", ">u2", 2),
    ("frag", ">u2", 6),
    ("proto", "u1", 9),
    ("src", ">u4", 12),
    ("dst", ">u4", 16),
    ("plen", ">u2", 4),
    ("nh", "u1", 6),
    ("s6h", ">u8", 8),
    ("s6l", ">u8", 16),
    ("d6h", ">u8", 24),
    ("d6l", ">u8", 32),
)
# RFC 9293 3.1
_TCP_FIELDS = layout(
    64,
    ("sport", ">u2", 0),
    ("dport", ">u2", 2),
    ("seq", ">u4", 4),
    ("ack", ">u4", 8),
    ("off", "u1", 12),
    ("flags", "u1", 13),
    ("window", ">u2", 14),
)
# The words that identify the common option layouts (see _options_ok).
_OPTION_WORDS = layout(64, ("w20", ">u4", 20), ("w24", ">u4", 24), ("w36", ">u4", 36))
