"""Where did the class go wrong? Score distribution and a transition-by-transition map.

Reads what grading left behind: the gradebook (each student's total) and the per-notebook JSON
reports that :class:`~autograder.nbgrader_plugin.TrustedScores` writes beside every autograded
notebook (each row, case and trace, right or wrong). Draws one picture with matplotlib: the score
histogram on the left, and on the right, for each graded item that someone missed, the share of
the class that missed it, worst first; for the state-machine assignments the items are the
table's (state, event) rows, so the picture says which transitions to teach again.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

REPORT_SUFFIX = ".autograder.json"  # TrustedScores writes <notebook>.autograder.json


def collect(course: Path, assignment: str) -> tuple[dict[str, float], Counter[str], Counter[str]]:
    """(total per student, how often each item was asked, how often it was missed).

    Only the grader's own reports are read: ``<notebook>.autograder.json`` for the assignment's
    notebooks (nbgrader's configuration keeps a student's files of that name out of
    ``autograded/``), regular files naming the same student and assignment as their folder. A
    file a student slipped in under another name, or for another student, is not read.
    """
    totals: dict[str, float] = {}
    asked: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    base = course / "autograded"
    notebooks = _notebooks(course, assignment)
    for folder in sorted(base.glob(f"*/{assignment}")):
        student = folder.parent.name
        for name in notebooks:
            data = _grader_report(folder / f"{name}{REPORT_SUFFIX}", student, assignment)
            if data is None:
                continue
            totals[student] = totals.get(student, 0.0) + float(data["score"])
            for cell in data["cells"].values():
                for item, right in cell.get("items", {}).items():
                    asked[item] += 1
                    missed[item] += not right
    _add_gradebook_totals(course, assignment, totals)
    return totals, asked, missed


def _notebooks(course: Path, assignment: str) -> list[str]:
    """The assignment's notebooks: the gradebook's, else the source folder's."""
    db = course / "gradebook.db"
    if db.exists():
        from nbgrader.api import Gradebook, MissingEntry

        from .batch import quiet_sqlalchemy

        with quiet_sqlalchemy(), Gradebook(f"sqlite:///{db}") as gb:
            try:
                return sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
            except MissingEntry:
                return []
    return sorted(p.stem for p in (course / "source" / assignment).glob("*.ipynb"))


def _grader_report(path: Path, student: str, assignment: str) -> dict[str, Any] | None:
    """The report at path if it is one the grader wrote for this student, else None."""
    try:
        if not path.is_file() or path.is_symlink():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not (
        isinstance(data, dict)
        and data.get("student") == student
        and data.get("assignment") == assignment
        and type(data.get("score")) in (int, float)
        and isinstance(data.get("cells"), dict)
        and all(
            isinstance(c, dict)
            and isinstance(c.get("items", {}), dict)
            and all(type(v) is bool for v in c.get("items", {}).values())
            for c in data["cells"].values()
        )
    ):
        return None
    return data


def _add_gradebook_totals(course: Path, assignment: str, totals: dict[str, float]) -> None:
    """Prefer the gradebook's totals: they include hand-graded answers and late penalties."""
    db = course / "gradebook.db"
    if not db.exists():
        return
    from nbgrader.api import Gradebook, MissingEntry

    from .batch import quiet_sqlalchemy

    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{db}") as gb:
        for student in list(totals):
            try:
                totals[student] = float(gb.find_submission(assignment, student).score)
            except MissingEntry:
                continue


def text_report(course: Path, assignment: str, top: int = 15) -> str:
    totals, asked, missed = collect(course, assignment)
    if not totals:
        return f"no graded submissions of {assignment!r} in {course / 'autograded'}"
    scores = sorted(totals.values())
    n = len(scores)
    median = scores[n // 2] if n % 2 else (scores[n // 2 - 1] + scores[n // 2]) / 2
    lines = [
        f"{assignment}: {n} graded, mean {sum(scores) / n:.2f}, median {median:.2f}, "
        f"min {scores[0]:.2f}, max {scores[-1]:.2f}",
        "most missed (share of the class that got it wrong):",
    ]
    worst = sorted(missed.items(), key=lambda kv: (-kv[1] / asked[kv[0]], kv[0]))
    for item, count in [kv for kv in worst if kv[1]][:top]:
        lines.append(f"  {count / asked[item]:5.0%}  {item}")
    if not any(missed.values()):
        lines.append("  nothing: every item was right for everyone")
    return "\n".join(lines)


def _table_items(asked: Counter[str]) -> tuple[list[str], list[str]]:
    """The states and events of items named "STATE / EVENT", in the RFC's and the table's order."""
    from tcpcore.protocol.states import State
    from tcpcore.protocol.table import Trigger

    states = {s.value for s in State}
    pairs = [item.split(" / ") for item in asked if " / " in item]
    found = [(a, b) for a, b in pairs if a in states and b in Trigger.__members__]
    rows = [s.value for s in State if any(a == s.value for a, _ in found)]
    cols = [t.name for t in Trigger if any(b == t.name for _, b in found)]
    return rows, cols


def draw(course: Path, assignment: str, out: Path, top: int = 20) -> Path:
    """Save the picture (PNG) and return its path.

    Left, the score histogram. In the middle, for the state-machine assignments, the map: one
    square per (state, event) row of the table that was asked, coloured by the share of the class
    that got it wrong. Right, the other items (traces, function cases) the class missed most.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    totals, asked, missed = collect(course, assignment)
    rows, cols = _table_items(asked)
    others = sorted(
        (
            (item, missed[item] / asked[item])
            for item in asked
            if missed[item] and not (" / " in item and item.split(" / ")[1] in cols)
        ),
        key=lambda kv: (-kv[1], kv[0]),
    )[:top]
    panels = 2 + bool(rows)
    widths = [1.0, 1.6, 1.2][:panels] if rows else [1.0, 1.6]
    fig, axes = plt.subplots(1, panels, figsize=(6 + 5 * (panels - 1), 6.5), width_ratios=widths)
    hist = axes[0]
    hist.hist(list(totals.values()), bins=min(20, max(5, len(totals))), color="#4c72b0")
    hist.set_title(f"{assignment}: scores of {len(totals)} submissions")
    hist.set_xlabel("score")
    hist.set_ylabel("students")
    hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    if rows:
        grid = np.full((len(rows), len(cols)), np.nan)
        for item in asked:
            a, _, b = item.partition(" / ")
            if a in rows and b in cols:
                grid[rows.index(a), cols.index(b)] = 100 * missed[item] / asked[item]
        ax = axes[1]
        cmap = plt.get_cmap("Reds").copy()
        cmap.set_bad("#e4e4e4")  # grey: not a row of this assignment
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=100, aspect="auto")
        ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=9)
        for (r, c), value in np.ndenumerate(grid):
            if value == value:  # not NaN: this row of the table was asked
                ax.text(
                    c,
                    r,
                    f"{value:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value > 60 else "black",
                )
        ax.set_title("% of the class wrong, per (state, event) row")
        fig.colorbar(image, ax=ax, shrink=0.6)
    bars = axes[-1]
    if others:
        labels = [item for item, _ in others][::-1]
        bars.barh(labels, [share * 100 for _, share in others][::-1], color="#c44e52")
        bars.set_xlim(0, 100)
        bars.set_xlabel("% of the class that got it wrong")
        bars.set_title("other items missed most")
        bars.tick_params(axis="y", labelsize=7)
    else:
        bars.text(0.5, 0.5, "nothing else was missed", ha="center", va="center")
        bars.set_axis_off()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
