"""One test per row of tcpcore.table.TABLE, one module per state (see tests/fixtures.py)."""
