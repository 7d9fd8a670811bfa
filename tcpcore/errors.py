"""The exceptions tcpcore raises on purpose.

Every error a caller can provoke with bad input is one of these, and its message names what was
wrong and where (a field and a byte offset for bytes; a state and a trigger for the state machine).
"""

from __future__ import annotations


class TCPCoreError(Exception):
    """Base class of every error tcpcore raises on purpose."""


class DecodeError(TCPCoreError, ValueError):
    """Bytes that are not a valid TCP segment, IP packet, frame or capture.

    The message names the field and the byte offset, e.g. ``data offset 3 < 5 at byte 12``.
    ``offset`` is that byte offset (relative to the start of the buffer given to the decoder),
    or None when it does not apply.
    """

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


class EncodeError(TCPCoreError, ValueError):
    """A value that cannot be put on the wire (a port above 65535, a window scale above 14...)."""
