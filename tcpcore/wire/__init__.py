"""The wire: bytes to values and back, with no state and no notion of a connection.

* :mod:`.flags`: the eight control bits of RFC 9293 3.1 (``Flags``, an ``IntFlag``);
* :mod:`.seq`: sequence numbers, compared and added modulo 2**32 (RFC 9293 3.4, RFC 1982);
* :mod:`.options`: MSS, window scale, SACK, timestamps, and unknown kinds kept as bytes;
* :mod:`.segment`: the TCP header and payload (``Segment.decode`` / ``encode``);
* :mod:`.checksum`: the Internet checksum with the IPv4 and IPv6 pseudo-headers;
* :mod:`.ip` and :mod:`.links`: IPv4/IPv6 headers and the link types a capture names;
* :mod:`._fast`: the constructor the hot path uses to build frozen records without re-checking.

Layer: the bottom one, above :mod:`tcpcore.errors` only. The public names are re-exported from
:mod:`tcpcore` (``from tcpcore import Segment, Flags, Seq``); import submodules for the rest.
"""
