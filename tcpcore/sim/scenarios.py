"""Named scenarios: the situations the lessons show, each one simulated run.

``run_scenario(name, profile="rfc9293", seed=0, **params)`` builds a :class:`Network`, puts the
endpoints on it, schedules the user calls and faults, runs it until nothing is pending and returns
the :class:`~tcpcore.trace.Trace`. :func:`list_scenarios` gives every name with its description.
The scenarios themselves, one function each, are data in :mod:`.catalog`; this module runs them.

Conventions, so that lessons are reproducible and match the RFC's figures: the client A is
10.0.0.1:40000 with ISS 100, the server B is 10.0.0.2:80 with ISS 300 (RFC 9293 3.5 Figure 6
uses the same numbers); the one-way delay is 50 ms; B opens passively at t=0 and A connects at t=0.

Parameters. Each scenario's keyword arguments (ISNs, which segment to lose, when to close, ...)
can be changed, and so can the link (``delay``, ``jitter``, ``loss``, ``duplicate``,
``reorder``: seeded by ``seed``) and any profile value (``time_wait=30``,
``keepalive_idle=...``; ``msl=X`` also sets TIME-WAIT to 2*X, RFC 9293 3.4.2).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..protocol.profiles import Profile, ProfileError, get_profile
from ..trace import Trace
from .catalog import SCENARIOS, ScenarioError, ScenarioFn, TwoWayEndpoint
from .network import Link, Network

__all__ = [
    "SCENARIOS",
    "ScenarioError",
    "TwoWayEndpoint",
    "describe",
    "list_scenarios",
    "parameters",
    "run_scenario",
]

_LINK_PARAMS = ("delay", "jitter", "loss", "duplicate", "reorder")


def list_scenarios() -> list[tuple[str, str]]:
    """(name, one-paragraph description) for every scenario, in course order."""
    return [(name, describe(name)) for name in SCENARIOS]


def describe(name: str) -> str:
    """The scenario's description: the first paragraph of its docstring, on one line. A
    parameter is written as it is passed (``losses=N``, ``variant="two-way"``), never as a bare
    name that would read as a word."""
    doc = inspect.getdoc(_get(name)) or ""
    return " ".join(doc.split("\n\n", 1)[0].replace("``", "").split())


def parameters(name: str) -> dict[str, Any]:
    """The scenario's own parameters and their defaults."""
    sig = inspect.signature(_get(name))
    return {k: p.default for k, p in sig.parameters.items() if k not in ("net", "profile")}


def run_scenario(
    name: str,
    profile: str | Profile = "rfc9293",
    seed: int = 0,
    *,
    faults: Callable[[Network], None] | None = None,
    **params: Any,
) -> Trace:
    """Run one named scenario and return its trace (see the module docstring for params).

    ``faults(network)``, when given, is called after the scenario is set up and before it runs:
    ``faults=lambda net: net.drop_nth("A", 1)`` loses A's first segment in any scenario.
    """
    fn = _get(name)
    prof = get_profile(profile)
    own = parameters(name)
    mine = {k: v for k, v in params.items() if k in own}
    link = {k: v for k, v in params.items() if k in _LINK_PARAMS and k not in own}
    rest = {k: v for k, v in params.items() if k not in own and k not in link}
    if "msl" in rest and "time_wait" not in rest:
        rest["time_wait"] = 2 * rest["msl"]
    if rest:
        try:
            prof = prof.with_(**rest)
        except ProfileError:
            known = ", ".join([*own, *_LINK_PARAMS])
            raise ScenarioError(
                f"scenario {name!r} has no parameter {', '.join(map(repr, rest))}; "
                f"its parameters: {known}, or any profile value"
            ) from None
    net = Network(seed, profile=prof)
    net.default_link = Link(delay=mine.get("delay", own.get("delay", 0.05)), **link)
    fn(net, prof, **mine)
    if faults is not None:
        faults(net)
    trace = net.run()
    trace.scenario = name
    trace.params = {**own, **mine, **link, **rest}
    return trace


def _get(name: str) -> ScenarioFn:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ScenarioError(
            f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}"
        ) from None
