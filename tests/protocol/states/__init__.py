"""One test per row of tcpcore.protocol.table.TABLE, a module per state (fixtures.py beside)."""
