"""The header explorer: edit a segment's fields and flags and see its bytes, bits and checksum;
decode bytes typed or pasted back into a segment."""

from __future__ import annotations

import html
from typing import Any

from .. import viz
from ..capture.annotate import shipped_captures
from ..capture.framing import decode_frame
from ..capture.pcap import Capture, read_pcap
from ..errors import DecodeError
from ..viz.layout.wire import FLAG_ORDER, header_fields
from ..wire.flags import Flags
from ..wire.links import LinkType
from ..wire.options import MSS, Option
from ..wire.segment import Segment
from .base import (
    _App,
    _fit_options,
)


class HeaderExplorer(_App):
    """Edit a segment's fields and flags; see its bytes, bits and checksum; decode bytes."""

    def __init__(self) -> None:
        super().__init__()
        w = self.w
        self.src_port = w.BoundedIntText(40000, min=0, max=65535, description="src port")
        self.dst_port = w.BoundedIntText(80, min=0, max=65535, description="dst port")
        self.seq = w.BoundedIntText(100, min=0, max=2**32 - 1, description="seq")
        self.ack = w.BoundedIntText(0, min=0, max=2**32 - 1, description="ack")
        self.window = w.BoundedIntText(65535, min=0, max=65535, description="window")
        self.urgent = w.BoundedIntText(0, min=0, max=65535, description="urgent")
        self.reserved = w.BoundedIntText(0, min=0, max=15, description="reserved")
        self.mss = w.BoundedIntText(1460, min=0, max=65535, description="MSS (0: none)")
        self.payload = w.Text("", description="data")
        self.src_ip = w.Text("10.0.0.1", description="src IP")
        self.dst_ip = w.Text("10.0.0.2", description="dst IP")
        self.flags = {
            (f.name or ""): w.ToggleButton(f.name == "SYN", description=f.name or "")
            for f in FLAG_ORDER
        }
        self.hex_input = w.Textarea(placeholder="paste bytes as hex", description="hex")
        editable = (
            self.src_port,
            self.dst_port,
            self.seq,
            self.ack,
            self.window,
            self.urgent,
            self.reserved,
            self.mss,
            self.src_ip,
            self.dst_ip,
        )
        for field in (*editable, self.payload):
            # three to a row (two on a small screen), the longest label in full
            field.layout.width = "auto"
            field.style.description_width = "8em"
        self.hex_kind = _fit_options(
            w.Dropdown(options=["TCP segment", "IP packet", "Ethernet frame"], description="which")
        )
        self.decode_button = w.Button(description="Decode")
        names = [("(pick a capture)", ""), *((n, n) for n in shipped_captures())]
        self.capture = _fit_options(w.Dropdown(options=names, description="capture"))
        self.packet = _fit_options(w.Dropdown(options=[("", None)], description="packet"))
        # as wide as their text (an HTML widget is 300 px: the hex dump ran into the bit rows)
        self.hex = w.HTML(layout=w.Layout(width="auto", margin="0 2em 0 0"))
        self.bits = w.HTML(layout=w.Layout(width="auto"))
        self.checksum = w.HTML()
        self.other_options: tuple[Option, ...] = ()
        self.payload_bytes = b""
        self.segment = Segment(40000, 80)
        self.encoded = b""
        self._capture: Capture | None = None
        self._loading = False
        self._watch([*editable, *self.flags.values()], self._edited)
        self._watch([self.payload], self._payload_edited)
        self.decode_button.on_click(self._guarded(lambda _b: self.decode_hex()))
        self._watch([self.capture], self._capture_picked)
        self._watch([self.packet], self._packet_picked)
        self._edited()
        grid = w.GridBox(
            [
                self.src_port,
                self.dst_port,
                self.seq,
                self.ack,
                self.window,
                self.urgent,
                self.reserved,
                self.mss,
                self.src_ip,
                self.dst_ip,
                self.payload,
            ],
            layout=w.Layout(grid_template_columns="repeat(auto-fill, minmax(23em, 1fr))"),
        )
        self._box(
            [
                grid,
                w.HBox(list(self.flags.values())),
                w.HBox([self.hex_input, w.VBox([self.hex_kind, self.decode_button])]),
                w.HBox([self.capture, self.packet], layout=w.Layout(flex_flow="row wrap")),
                self.error,
                self.checksum,
                w.HBox([self.hex, self.bits], layout=w.Layout(flex_flow="row wrap")),
                self.image,
            ]
        )

    # -- from the controls to the segment ---------------------------------------------------

    def _payload_edited(self) -> None:
        if not self._loading:
            self.payload_bytes = self.payload.value.encode("utf-8")
            self._edited()

    def _edited(self) -> None:
        if self._loading:
            return
        flags = Flags(0)
        for name, button in self.flags.items():
            if button.value:
                flags |= Flags[name]
        options: tuple[Option, ...] = self.other_options
        if self.mss.value:
            options = (MSS(self.mss.value), *options)
        self.segment = Segment(
            self.src_port.value,
            self.dst_port.value,
            self.seq.value,
            self.ack.value,
            flags,
            self.window.value,
            self.urgent.value,
            options,
            self.payload_bytes,
            self.reserved.value,
        )
        self._render()

    def _addresses(self) -> tuple[str | None, str | None]:
        src, dst = self.src_ip.value.strip(), self.dst_ip.value.strip()
        return (src or None, dst or None)

    def _render(self) -> None:
        src, dst = self._addresses()
        try:
            self.encoded = self.segment.encode(src, dst) if src and dst else self.segment.encode()
        except ValueError as exc:  # EncodeError, or an address that is not one
            self.encoded = b""
            self._say(f"{type(exc).__name__}: {exc}")
            return
        fields = header_fields(self.segment, src, dst)
        check = next(f for f in fields if f.name == "Checksum")
        self.checksum.value = f"<b>checksum</b>: {html.escape(check.text)}"
        self.hex.value = "<pre>" + html.escape(_hexdump(self.encoded)) + "</pre>"
        self.bits.value = "<pre>" + html.escape(_bit_rows(self.encoded)) + "</pre>"
        self._show(viz.header_layout(self.segment, src_ip=src, dst_ip=dst))

    # -- from bytes to the controls -----------------------------------------------------------

    def decode_hex(self) -> None:
        """Decode ``hex_input`` as ``hex_kind`` says and load the segment into the controls."""
        text = "".join(self.hex_input.value.split()).replace(":", "")
        try:
            data = bytes.fromhex(text)
        except ValueError:
            self._say("not hex: use the digits 0-9 and a-f, two per byte")
            return
        try:
            if self.hex_kind.value == "TCP segment":
                self.load(Segment.decode(data))
                return
            linktype = LinkType.RAW if self.hex_kind.value == "IP packet" else LinkType.ETHERNET
            frame = decode_frame(linktype, data)
        except DecodeError as exc:
            self._say(f"DecodeError: {exc}")
            return
        if frame.segment is None or frame.ip is None:
            self._say(f"no TCP segment in it: {frame.reason}")
            return
        self.load(frame.segment, frame.ip.src, frame.ip.dst)

    def load(self, seg: Segment, src_ip: str | None = None, dst_ip: str | None = None) -> None:
        """Show ``seg`` (its checksum as it came) and set every control from it."""
        self._loading = True
        try:
            for control, value in (
                (self.src_port, seg.src_port),
                (self.dst_port, seg.dst_port),
                (self.seq, seg.seq),
                (self.ack, seg.ack),
                (self.window, seg.window),
                (self.urgent, seg.urgent),
                (self.reserved, seg.reserved),
                (self.mss, seg.mss or 0),
            ):
                control.value = value
            for fname, button in self.flags.items():
                button.value = bool(seg.flags & Flags[fname])
            self.payload.value = seg.payload.decode("utf-8", "replace")
            if src_ip is not None and dst_ip is not None:
                self.src_ip.value, self.dst_ip.value = src_ip, dst_ip
        finally:
            self._loading = False
        self.payload_bytes = seg.payload
        self.other_options = tuple(o for o in seg.options if not isinstance(o, MSS))
        self.segment = seg
        self._render()

    def _capture_picked(self) -> None:
        name = self.capture.value
        if not name:
            self._capture = None
            self.packet.options = [("", None)]
            return
        self._capture = read_pcap(shipped_captures()[name])
        options: list[tuple[str, int | None]] = []
        for i, p in enumerate(self._capture.packets):
            if p.segment is not None:
                options.append((f"#{i} {p.src} > {p.dst} {p.segment.label()}", i))
            else:
                options.append((f"#{i} not TCP: {p.error}", i))
        self.packet.options = options
        _fit_options(self.packet)
        self.packet.value = options[0][1] if options else None

    def _packet_picked(self) -> None:
        if self._capture is None or self.packet.value is None:
            return
        p = self._capture.packets[self.packet.value]
        if p.segment is None:
            self._say(f"packet {p.index} has no TCP segment: {p.error}")
            return
        src = p.src.rsplit(":", 1)[0].strip("[]") if p.src else None
        dst = p.dst.rsplit(":", 1)[0].strip("[]") if p.dst else None
        self.load(p.segment, src, dst)


def _hexdump(data: bytes) -> str:
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        lines.append(f"{off:04x}  {' '.join(f'{b:02x}' for b in chunk)}")
    return "\n".join(lines)


def _bit_rows(data: bytes) -> str:
    """The header's 32-bit words in binary, as in RFC 9293 Figure 1."""
    offset = (data[12] >> 4) * 4 if len(data) > 12 else len(data)
    rows = []
    for off in range(0, min(offset, len(data)), 4):
        word = data[off : off + 4]
        rows.append(" ".join(f"{b:08b}" for b in word))
    return "\n".join(rows)


def header_explorer() -> Any:
    """Edit a TCP header field by field and flag by flag; see its bytes, its bits and its
    checksum, and RFC 9293 Figure 1 filled in. Paste hex (a segment, an IP packet or an
    Ethernet frame) or pick a packet from a shipped capture to decode it."""
    return HeaderExplorer().widget


# -- handshake stepper -----------------------------------------------------------------------------
