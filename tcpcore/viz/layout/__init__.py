"""Where each part of a figure goes, computed without drawing: pure functions over traces,
segments and the table, which tests and tools read without rendering anything.

``ladder`` (lanes, arrows, states, timers, the time scale), ``diagram`` (the state diagram's
nodes and edges), ``wire`` (the header's fields, the frame's layers). The only thing they take
from the SVG backend is :func:`tcpcore.viz.svg.text_width`, to measure labels.
"""
