"""The colours and the width every painter of :mod:`tcpcore.viz` shares."""

from __future__ import annotations

GROUP_COLORS = {
    "closed": "#9e9e9e",
    "listen": "#4fc3f7",
    "opening": "#1e88e5",
    "established": "#43a047",
    "active-close": "#ef6c00",
    "passive-close": "#8e24aa",
}
TEXT_COLORS = {
    "closed": "#616161",
    "listen": "#0277bd",
    "opening": "#1565c0",
    "established": "#2e7d32",
    "active-close": "#e65100",
    "passive-close": "#6a1b9a",
}
TIMER_COLORS = {
    "retransmission": "#d84315",
    "2MSL": "#6d4c41",
    "keepalive": "#00897b",
    "FIN-WAIT-2": "#5e35b1",
    "loss probe": "#f9a825",
}
HIGHLIGHT = "#d81b60"
INK = "#263238"
# The widest figure, in inches: 816 px, unscaled in a notebook's output area on a 1024-px screen
# (844 px) and beside the file browser at 1366 px (934 px). Text is never under 7.5 points
# (10 px) at that size.
FIGURE_WIDTH_IN = 8.5
