"""The state machine explorer: a state and a trigger from the table, the transition, what is sent,
the RFC clause."""

from __future__ import annotations

import html
from typing import Any

from .. import viz
from ..protocol.profiles import get_profile
from ..protocol.states import State
from ..protocol.table import Row, Trigger, lookup, triggers_for
from .base import (
    _App,
    _fit_options,
    _profile_dropdown,
    _whole_labels,
)

# -- state machine explorer ------------------------------------------------------------------------


def row_html(state: State, trigger: Trigger, row: Row) -> str:
    """The explorer's account of one row: next state, actions, the reply, the RFC clause."""
    sends = [w.text for w in row.wire]
    actions = ", ".join(str(a) for a in row.actions) or "nothing"
    note = f"<br><i>{html.escape(row.note)}</i>" if row.note else ""
    return (
        f"In <b>{state}</b>, on <b>{html.escape(str(trigger))}</b> ({trigger.kind}): "
        f"→ <b>{row.next}</b><br>actions: {html.escape(actions)}<br>"
        f"reply: {html.escape('; '.join(sends) or 'none')}<br>"
        f"RFC 9293 {html.escape(row.clause)}{note}"
    )


class StateMachineExplorer(_App):
    """Pick a state and a trigger (from the table): the transition, the reply, the RFC clause."""

    def __init__(self) -> None:
        super().__init__()
        w = self.w
        self.state = w.Dropdown(options=[(str(s), s) for s in State], value=State.ESTABLISHED)
        self.state.description = "state"
        _fit_options(self.state)
        self.trigger = w.Dropdown(description="trigger")
        self.profile = _profile_dropdown(w)
        self.show_minor = w.Checkbox(False, description="show every row")
        _whole_labels(self.show_minor)
        self.show_minor.layout.width = "auto"
        self.result = w.HTML()
        self.row: Any = None
        self._filling = False
        self._watch([self.state], self._fill_triggers)
        self._watch([self.trigger, self.profile, self.show_minor], self._run)
        self._guarded(self._fill_triggers)()
        self._box(
            [
                w.HBox([self.state, self.trigger], layout=w.Layout(flex_flow="row wrap")),
                w.HBox([self.profile, self.show_minor], layout=w.Layout(flex_flow="row wrap")),
                self.error,
                self.result,
                self.image,
            ]
        )

    def _fill_triggers(self) -> None:
        self._filling = True
        try:
            triggers = triggers_for(self.state.value)
            self.trigger.options = [(str(t), t) for t in triggers]
            _fit_options(self.trigger)
            self.trigger.value = Trigger.CLOSE if Trigger.CLOSE in triggers else triggers[0]
        finally:
            self._filling = False
        self._run()

    def _run(self) -> None:
        if self._filling:
            return
        state, trigger = self.state.value, self.trigger.value
        prof = get_profile(self.profile.value)
        self.row = row = lookup(state, trigger, prof)
        self.result.value = row_html(state, trigger, row)
        self.diagram = viz.diagram_layout(
            highlight=(state, trigger),
            current=state,
            profile=prof,
            show_minor=self.show_minor.value,
        )
        self._show(viz.draw_diagram(self.diagram))


def state_machine_explorer() -> Any:
    """Pick a state and a trigger (both lists come from the transition table): see the next
    state, the actions, the segment sent in reply and the RFC clause, and the state diagram
    with that edge highlighted."""
    return StateMachineExplorer().widget


# -- capture viewer --------------------------------------------------------------------------------
