"""Run a lesson's code cells top to bottom, in one namespace, as a Jupyter kernel would.

Standard library only, so that an unprivileged user (``runuser -u nobody``) can run a lesson with
any Python 3.11+ and a readable copy of tcpcore, without the course's virtual environment (whose
interpreter may sit in a folder that user cannot enter). Like IPython, each cell's last
expression is displayed: its rich representation (``_repr_svg_``, ``_repr_html_``) is rendered
and reported by size, anything else printed with ``repr``. The first cell that raises stops the
run with exit status 1 and the cell's number.

    python nobody_lesson.py LESSON.ipynb
"""

from __future__ import annotations

import ast
import json
import sys
import traceback


def show(value: object) -> None:
    for method in ("_repr_svg_", "_repr_html_"):
        render = getattr(value, method, None)
        if render is not None:
            text = render()
            if text:
                print(f"[{method.strip('_').removeprefix('repr_')} output, {len(text)} characters]")
                return
    print(repr(value))


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    namespace: dict[str, object] = {"__name__": "__main__"}
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tree = ast.parse(source, f"<cell {index}>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        print(f"--- cell {index}", flush=True)
        try:
            exec(compile(tree, f"<cell {index}>", "exec"), namespace)
            if last is not None:
                value = eval(
                    compile(ast.Expression(last.value), f"<cell {index}>", "eval"), namespace
                )
                if value is not None:
                    show(value)
        except Exception:
            traceback.print_exc()
            print(f"cell {index} failed", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
