"""Fast internal constructors for the frozen, slotted dataclasses built on the hot path.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (the class
refuses plain assignment), which makes a 12-field :class:`~tcpcore.wire.segment.Segment` cost about
as much as the rest of a segment's trip through the table. :func:`maker` writes, once per class,
a function that fills the slots directly, with no ``__post_init__`` and no checks: for
tcpcore's own code, which already holds valid values. Everyone else calls the class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")


def maker(cls: type[T]) -> Callable[..., T]:
    """``make(fields...) -> cls`` without ``__init__``: slots filled directly. Fields with a
    plain default may be left out, as with the class; a ``default_factory`` field must be given."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    params = []
    for f in fields(cls):  # type: ignore[arg-type]
        # The slot's descriptor, in the class that declared the field (a base class for an
        # inherited one, as Event.time is for every event).
        owner = next(k for k in cls.__mro__ if f.name in k.__dict__)
        scope[f"_set_{f.name}"] = owner.__dict__[f.name].__set__
        if f.default is not MISSING:  # a plain default (one value, shared like __init__'s)
            scope[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        else:
            params.append(f.name)
    args = ", ".join(params)
    body = "".join(f"    _set_{n}(self, {n})\n" for n in names)
    exec(f"def make({args}):\n    self = _new(_cls)\n{body}    return self\n", scope)
    make: Callable[..., T] = scope["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    make.__doc__ = f"A {cls.__name__} from all its fields in order, without __init__."
    return make
