"""One test per row of tcpcore.protocol.table.TABLE, a module per state (see tests/fixtures.py)."""
