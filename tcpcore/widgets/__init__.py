"""Interactive apps for the lessons, built on :mod:`tcpcore.viz` with ipywidgets.

Each function returns an ipywidgets container (a VBox) that a notebook cell displays. Its controls
and its model are attributes, so a lesson's text can refer to them and a test can drive the app
without a browser::

    w = handshake_stepper("lost-syn")
    w.step.value = 2              # what a click on "forward" does, twice
    w.states.value                # "A: SYN-SENT   B: LISTEN"
    w.ladder.labels()             # the ladder's arrow labels so far
    w.figure                      # the Figure last drawn (matplotlib's or tcpcore.viz.svg's)
    with w.hold():                # several changes, one update
        w.client_iss.value = 1000
        w.server_iss.value = 5000

Figures are drawn by :mod:`tcpcore.viz` (matplotlib, or its SVG writer where matplotlib is
missing, as in JupyterLite) and shown as SVG in an ``Image`` widget
(no pyplot state, nothing that needs a display: the same code runs headless in tests, in
JupyterLab, on Binder and in JupyterLite). Errors in what a student typed are shown as a line of
text in the app (``DecodeError: data offset 3 < 5 at byte 12``), never as a traceback.

ipywidgets is imported when an app is made: ``import tcpcore`` does not need it.

One module per app: :mod:`~tcpcore.widgets.header` (the header explorer),
:mod:`~tcpcore.widgets.handshake` (the handshake stepper), :mod:`~tcpcore.widgets.teardown`,
:mod:`~tcpcore.widgets.timers`, :mod:`~tcpcore.widgets.statemachine`,
:mod:`~tcpcore.widgets.capture` (the capture viewer) and :mod:`~tcpcore.widgets.predict`
(predict, then reveal); :mod:`~tcpcore.widgets.base` holds what they share and
:mod:`~tcpcore.widgets.static` how the book shows them as pages.
"""

from __future__ import annotations

from .base import simulate
from .capture import CaptureViewer, capture_viewer
from .handshake import HandshakeStepper, handshake_stepper
from .header import HeaderExplorer, header_explorer
from .predict import PredictThenReveal, predict_then_reveal
from .statemachine import StateMachineExplorer, row_html, state_machine_explorer
from .teardown import TeardownExplorer, teardown_explorer
from .timers import TimersLab, timers_lab

__all__ = [
    "CaptureViewer",
    "HandshakeStepper",
    "HeaderExplorer",
    "PredictThenReveal",
    "StateMachineExplorer",
    "TeardownExplorer",
    "TimersLab",
    "capture_viewer",
    "handshake_stepper",
    "header_explorer",
    "predict_then_reveal",
    "row_html",
    "simulate",
    "state_machine_explorer",
    "teardown_explorer",
    "timers_lab",
]
