"""The student side of the grading pipe: run a notebook's code, then answer questions.

This file runs as a script inside the sandbox (``python -I -S answerer.py``), with the standard
library only: no tcpcore, no autograder, no site-packages. It must therefore import nothing but the
standard library, and it is kept small enough to read at once, because it is the one piece of the
grader that shares a process with the student's code.

Protocol: one JSON object per line. Requests arrive on file descriptor ``REQ`` and answers leave on
``ANS`` (two pipes the grader passes in). Before any student code runs, those descriptors are
duplicated to private numbers, and descriptors 0, 1 and 2 are pointed at /dev/null, so a student's
``print`` (even of megabytes) cannot corrupt the protocol and costs nothing.

* ``{"op": "load", "cells": [[index, source], ...]}``: run the cells in order in one namespace, as
  a notebook would. Before each cell the answerer reports ``{"cell": index}``, so that if a cell
  never finishes the grader can say which one. The reply lists the cells that raised.
* ``{"op": "call", "name": NAME, "args": [...]}``: call the student's function.
* ``{"op": "get", "name": NAME}``: read a global variable (a written-down answer).

Values cross the pipe as JSON only, checked by exact type: an object that merely claims to be equal
to everything (``__eq__`` returning True) cannot pass, and a value the grader did not ask for cannot
reach it. Bytes travel as ``{"bytes": "<hex>"}``.

A child forked by the student's code exits at once: it would otherwise return into this loop and
read the parent's questions.

Nothing the student can do here changes their score beyond their own answers: the expected answers
never enter this process, and the score is computed by the grader on the other side of the pipe.
"""

import builtins
import json
import os
import sys
from typing import Any

MAX_ANSWER = 65536  # characters of JSON per answer: enough for any honest answer
_BASIC = (bool, int, float, str, type(None))


def _encode(value: Any, depth: int = 0) -> Any:
    """Plain JSON data from an answer, or TypeError naming the first thing that is not."""
    kind = type(value)
    if kind in _BASIC:
        if kind is float and value != value:
            raise TypeError("NaN is not an answer")
        return value
    if kind is bytes or kind is bytearray:
        return {"bytes": bytes(value).hex()}
    if depth > 8:
        raise TypeError("answer nested more than 8 levels deep")
    if kind is list or kind is tuple:
        return [_encode(v, depth + 1) for v in value]
    raise TypeError(f"returned a {kind.__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "bytes" in value:
        return bytes.fromhex(value["bytes"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _describe(exc: BaseException) -> str:
    """``TypeName: message``, surviving exceptions whose __str__ itself misbehaves."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except BaseException:  # a student's exception class may break str() on purpose
        text = "(its message could not be shown)"
    return f"{name}: {text[:300]}" if text else name


def _magic_free(source: str) -> str:
    """IPython lines (``%magic``, ``!shell``) become ``pass``: plain Python runs here."""
    out = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def main(req_fd: int, ans_fd: int) -> None:
    # A fork's child would come back into this loop and answer in the parent's place: it ends at
    # once instead (the process limit stops forks that bypass os.fork, the sandbox reaps them).
    os.register_at_fork(after_in_child=lambda: os._exit(0))
    requests = os.fdopen(os.dup(req_fd), "r", encoding="utf-8")
    answers = os.fdopen(os.dup(ans_fd), "w", encoding="utf-8")
    for fd in (req_fd, ans_fd):
        os.close(fd)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    # Keep private references: the student's code may replace these names in its own namespace.
    dumps, loads, write, flush = json.dumps, json.loads, answers.write, answers.flush

    def send(obj: object) -> None:
        text = dumps(obj)
        if len(text) > MAX_ANSWER:
            text = dumps({"ok": False, "error": f"answer longer than {MAX_ANSWER} characters"})
        write(text + "\n")
        flush()

    namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": builtins}
    for line in requests:
        req = loads(line)
        op = req.get("op")
        if op == "load":
            errors = []
            for index, source in req["cells"]:
                send({"cell": index})
                try:
                    code = compile(_magic_free(source), f"<cell {index}>", "exec")
                    exec(code, namespace)
                except BaseException as exc:  # the student's code may raise anything
                    errors.append([index, _describe(exc)])
            send({"ok": True, "errors": errors})
            continue
        name = req.get("name", "")
        try:
            if name not in namespace:
                raise NameError(f"name {name!r} is not defined")
            target = namespace[name]
            if op == "call":
                if not callable(target):
                    raise TypeError(f"{name} is not a function")
                value = target(*[_decode(a) for a in req.get("args", [])])
            else:
                value = target
            send({"ok": True, "value": _encode(value)})
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too
            send({"ok": False, "error": _describe(exc)})


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
