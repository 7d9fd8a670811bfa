"""Every question a lesson asks has its answer within reach.

* In a lesson, every paragraph that opens with "**Question" is followed at once by a collapsed
  ``<details><summary>Answer</summary>`` block holding the answer (in the same cell, or first in
  the next markdown cell when the question ends its cell).
* Every "On your own" exercise of a lesson or an assignment, and every "**Then think further.**"
  prompt, has a worked answer in docs/instructor-guide.md, under a heading that starts with its
  id (``### 03-own-2``, ``### 06-think-5``, ``### sequence-own-1``) and quoting the prompt, so a
  changed prompt shows up as a stale answer. Items that only link an assignment are not
  exercises and need no entry.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
ASSIGNMENTS = sorted((ROOT / "course" / "source").glob("*/*.ipynb"))
GUIDE = ROOT / "docs" / "instructor-guide.md"
SUMMARY = "<details><summary>Answer</summary>"


def markdown_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def questions_and_answers(path: Path) -> list[tuple[str, str | None]]:
    """(question paragraph, the block right after it or None) for each question of a lesson."""
    cells = [paragraphs(t) for t in markdown_cells(path)]
    out: list[tuple[str, str | None]] = []
    for i, paras in enumerate(cells):
        for j, p in enumerate(paras):
            if not p.startswith("**Question"):
                continue
            if j + 1 < len(paras):
                after: str | None = "\n\n".join(paras[j + 1 :])
            elif i + 1 < len(cells) and cells[i + 1]:
                after = "\n\n".join(cells[i + 1])
            else:
                after = None
            out.append((p, after))
    return out


def answer_of(after: str | None) -> str:
    """The text inside the <details> block that opens ``after``, or "" when there is none."""
    if after is None or not after.startswith(SUMMARY):
        return ""
    end = after.find("</details>")
    return after[len(SUMMARY) : end].strip() if end > 0 else ""


def normal(text: str) -> str:
    return " ".join(text.split())


def section(text: str, heading: str) -> list[str]:
    """The lines of a "## heading" section, up to the next heading of level 2."""
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.strip() == f"## {heading}":
            rest = lines[k + 1 :]
            stop = next((n for n, x in enumerate(rest) if x.startswith("## ")), len(rest))
            return rest[:stop]
    return []


def list_items(lines: list[str]) -> list[str]:
    """The items of the first list in ``lines`` ("1. ..." or "* ..."), continuations joined."""
    items: list[str] = []
    for line in lines:
        m = re.match(r"^(?:\d+\.|\*|-) (.*)", line)
        if m:
            items.append(m.group(1))
        elif items and line[:1].isspace() and line.strip():
            items[-1] += " " + line.strip()
        elif items and not line.strip():
            continue
        elif items:
            break
    return items


def prompts(path: Path, prefix: str) -> list[tuple[str, str]]:
    """(id, prompt) of every exercise of a lesson or an assignment that needs a worked answer."""
    out: list[tuple[str, str]] = []
    text = "\n\n".join(markdown_cells(path))
    own = [i for i in list_items(section(text, "On your own")) if not i.startswith("**Assignment")]
    out += [(f"{prefix}-own-{n}", item) for n, item in enumerate(own, 1)]
    think = [p for p in paragraphs(text) if p.startswith("**Then think further.**")]
    out += [
        (f"{prefix}-think-{n}", p.removeprefix("**Then think further.**").strip())
        for n, p in enumerate(think, 1)
    ]
    return out


def all_prompts() -> list[tuple[str, str]]:
    items = [p for lesson in LESSONS for p in prompts(lesson, lesson.name[:2])]
    items += [p for a in ASSIGNMENTS for p in prompts(a, a.parent.name)]
    return items


def guide_entries() -> dict[str, str]:
    """id -> the text of its entry, from the guide's "### id · title" headings."""
    entries: dict[str, str] = {}
    current = None
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^### (\S+) · ", line)
        if m:
            current = m.group(1)
            entries[current] = ""
        elif line.startswith("#"):
            current = None
        elif current is not None:
            entries[current] += line + "\n"
    return entries


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_question_is_followed_by_its_answer(lesson: Path) -> None:
    """Each "**Question" paragraph of a lesson is followed by a non-empty <details> answer."""
    missing = [
        normal(q)[:70] for q, after in questions_and_answers(lesson) if len(answer_of(after)) < 40
    ]
    assert not missing, f"{lesson.name}: questions with no <details> answer after them: {missing}"


def test_the_answer_check_sees_questions_and_missing_answers() -> None:
    """The parser finds questions, and tells an answered question from an unanswered one."""
    found = [q for lesson in LESSONS for q in questions_and_answers(lesson)]
    assert len(found) >= 30
    assert answer_of(
        f"{SUMMARY}\n\nBecause the ACK flag is off, the field means nothing.\n\n</details>"
    )
    assert not answer_of("**Predict.** What happens next?")
    assert not answer_of(None)


def test_exercises_are_found_in_every_lesson_that_has_them() -> None:
    """The exercise parser finds the numbered exercises and the think-further prompts."""
    ids = dict(all_prompts())
    assert {"01-own-1", "03-own-3", "07-own-4", "06-own-3", "sequence-own-2"} <= set(ids)
    assert not any(text.startswith("**Assignment") for text in ids.values())


def test_every_exercise_has_a_worked_answer_in_the_instructor_guide() -> None:
    """Each exercise and think-further prompt has a guide entry, with its id, quoting it."""
    entries = guide_entries()
    problems = []
    for ident, prompt in all_prompts():
        entry = entries.get(ident)
        quoted = normal(prompt)[:60]
        if entry is None:
            problems.append(f"{ident}: no '### {ident} · ...' entry")
        elif quoted not in normal(entry.replace("\n> ", "\n")):
            problems.append(f"{ident}: the entry does not quote the prompt {quoted!r}")
        elif len(normal(entry)) < len(normal(prompt)) + 60:
            problems.append(f"{ident}: the entry has no worked answer")
    assert not problems, "\n".join(problems)


def test_the_guide_is_linked_from_both_readmes() -> None:
    """The README and course/README.md link the instructor guide."""
    assert "docs/instructor-guide.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../docs/instructor-guide.md" in (ROOT / "course" / "README.md").read_text(
        encoding="utf-8"
    )


def test_the_guide_answers_only_prompts_that_exist() -> None:
    """No guide entry is left over for an exercise or prompt the lessons no longer ask."""
    asked = {ident for ident, _ in all_prompts()}
    stale = sorted(set(guide_entries()) - asked)
    assert not stale, f"docs/instructor-guide.md answers prompts nobody asks: delete {stale}"
