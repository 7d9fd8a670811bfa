"""The bilingual glossary (docs/glossary.md) and the "原文 → 准确地说" boxes in the lessons.

A box is a Markdown blockquote whose first line is ``> **原文 → 准确地说**``, followed by
``> 原文：「...」`` (the article's claim, verbatim from ../shared/seed) and ``> 准确地说：...``
(the accurate statement with its evidence); empty ``>`` lines between them are allowed, so that each
part renders as its own paragraph. Lesson 00 lists every correction, each as an English paragraph
that links the lesson teaching the topic, followed by its box; that lesson has a box with the same
quote.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SHARED, require

NOTEBOOKS = ROOT / "notebooks"
GLOSSARY = ROOT / "docs" / "glossary.md"
SEED = SHARED / "seed"
START = NOTEBOOKS / "00-start-here.ipynb"
# The lessons where the topics are taught; lesson 06 (the folklore table) has its own helper.
TEACHING = ("01", "02", "03", "04", "05", "07", "08")
HEADER = "**原文 → 准确地说**"
COLUMNS = ["中文", "English", "RFC 9293 term", "where in the course"]
# Issue 17's list of terms; each must name a row of the glossary (in its 中文 column).
REQUIRED_TERMS = (
    "三次握手", "四次挥手", "序号", "确认号", "控制位", "报文段", "数据报", "帧",
    "伪首部", "主动关闭", "被动关闭", "半关闭", "半连接", "半连接队列", "全连接队列",
    "保活", "2MSL", "MSL", "同时打开", "同时关闭", "复位", "挑战 ACK", "初始序号",
    "窗口", "最大报文段长度", "重传", "超时", "四元组", "套接字", "监听", "SYN 洪泛",
    "SYN cookie",
)  # fmt: skip
STATES = (
    "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
    "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
)  # fmt: skip
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


class BoxError(ValueError):
    """A blockquote that starts like a correction box but does not follow the format."""


@dataclass(frozen=True)
class Box:
    quote: str
    accurate: str
    where: str  # "<notebook>:<cell id>"
    before: str  # the text of the cell before the box (lesson 00: the English correction)


def normalize(text: str) -> str:
    """Whitespace runs become one space: the only difference a quote may have from the seed."""
    return re.sub(r"\s+", " ", text).strip()


def boxes_in(markdown: str, where: str) -> list[Box]:
    """The correction boxes of one Markdown text, in order; BoxError names a malformed one."""
    found: list[Box] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith(">"):
            i += 1
            continue
        start = i
        while i < len(lines) and lines[i].lstrip().startswith(">"):
            i += 1
        body = [re.sub(r"^\s*>\s?", "", line).strip() for line in lines[start:i]]
        body = [line for line in body if line]
        if not body or body[0] != HEADER:
            if any("原文：" in line for line in body):
                raise BoxError(f"{where}: a quote of the article outside a '{HEADER}' box")
            continue
        if len(body) != 3:
            raise BoxError(f"{where}: a box has {len(body)} lines, not header, 原文, 准确地说")
        quote = re.fullmatch(r"原文：「(.+)」", body[1])
        if not quote:
            raise BoxError(f"{where}: the box's second line is not 原文：「...」: {body[1]!r}")
        accurate = re.fullmatch(r"准确地说：(.+)", body[2])
        if not accurate:
            raise BoxError(f"{where}: the box's third line is not 准确地说：...: {body[2]!r}")
        before = "\n".join(lines[:start])
        found.append(Box(quote[1], accurate[1], where, before))
    return found


def markdown_cells(path: Path) -> list[tuple[str, str]]:
    """(cell id, source) of each Markdown cell of a notebook."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(c["id"], "".join(c["source"])) for c in cells if c["cell_type"] == "markdown"]


def notebook_boxes(path: Path) -> list[Box]:
    """Every box of a notebook, each knowing its cell and the text before it in that cell."""
    found = []
    for cell_id, source in markdown_cells(path):
        found += boxes_in(source, f"{path.name}:{cell_id}")
    return found


def lesson(number: str) -> Path:
    (path,) = NOTEBOOKS.glob(f"{number}-*.ipynb")
    return path


def slug(heading: str) -> str:
    """GitHub's (and MyST's) anchor for a heading: lower case, punctuation dropped, '-' for ' '."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a notebook's Markdown headings."""
    found = set()
    for _, source in markdown_cells(path):
        for line in source.splitlines():
            m = re.match(r"#{1,6}\s+(.+)", line)
            if m:
                found.add(slug(m[1]))
    return found


def link_problem(base: Path, target: str) -> str | None:
    """Why a relative link from ``base`` to a notebook (and heading) is broken, or None."""
    file, _, anchor = target.partition("#")
    path = (base / file).resolve()
    if not path.is_file():
        return f"{target}: no file {path}"
    if anchor and path.suffix == ".ipynb" and anchor not in anchors(path):
        return f"{target}: {path.name} has no heading with the anchor #{anchor}"
    return None


def glossary_rows(text: str) -> list[list[str]]:
    """The body rows of every glossary table headed COLUMNS; ValueError if one is ragged."""
    rows: list[list[str]] = []
    in_table = False
    for n, line in enumerate(text.splitlines(), 1):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells == COLUMNS:
            in_table = True
        elif in_table and not set("".join(cells)) <= set("-: "):
            if len(cells) != len(COLUMNS):
                raise ValueError(f"glossary.md line {n}: {len(cells)} cells, not {len(COLUMNS)}")
            rows.append(cells)
    return rows


def seed_text() -> str:
    require(SEED.is_dir(), f"the seed article is not at {SEED} (../shared beside the checkout)")
    return normalize(" ".join(p.read_text(encoding="utf-8") for p in sorted(SEED.glob("*.txt"))))


# Every lesson, the Chinese editions under notebooks/zh-CN included; never JupyterLab's checkpoints.
ALL_NOTEBOOKS = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_every_quote_is_verbatim_from_the_article(path: Path) -> None:
    """Each box's 原文 occurs in the seed article, up to whitespace, and says something accurate."""
    seed = seed_text()
    for box in notebook_boxes(path):
        assert normalize(box.quote) in seed, f"{box.where}: not in the article: {box.quote}"
        assert len(box.accurate) >= 20, f"{box.where}: 准确地说 is too short to carry evidence"


def test_every_correction_of_lesson_00_has_its_box_where_the_topic_is_taught() -> None:
    """Each lesson-00 box follows an English correction linking a lesson that has the same quote."""
    start = notebook_boxes(START)
    assert len(start) >= 10, "lesson 00 lists fewer corrections than the article needs"
    for box in start:
        paragraph = box.before.rstrip().split("\n\n")[-1]
        assert re.search(r"[A-Za-z]{3,}", paragraph), f"{box.where}: no English correction before"
        targets = [t for t in LINK.findall(paragraph) if re.match(r"0[1-8]-", t)]
        assert targets, f"{box.where}: the correction before the box links no lesson"
        for target in targets:
            assert link_problem(NOTEBOOKS, target) is None, link_problem(NOTEBOOKS, target)
            taught = notebook_boxes(NOTEBOOKS / target.partition("#")[0])
            assert box.quote in {b.quote for b in taught}, (
                f"{box.where}: {target} has no box quoting 「{box.quote}」"
            )


@pytest.mark.parametrize("number", TEACHING)
def test_each_teaching_lesson_has_boxes_and_lesson_00_lists_them(number: str) -> None:
    """Lessons 01-05, 07, 08 each hold a box, lesson 00 lists each, and their links resolve."""
    listed = {box.quote for box in notebook_boxes(START)}
    here = notebook_boxes(lesson(number))
    assert here, f"lesson {number} has no 原文 → 准确地说 box"
    for box in here:
        assert box.quote in listed, f"{box.where}: lesson 00 does not list 「{box.quote}」"
    for cell_id, source in markdown_cells(lesson(number)):
        if boxes_in(source, cell_id):
            for target in LINK.findall(source):
                assert link_problem(NOTEBOOKS, target) is None, link_problem(NOTEBOOKS, target)


def test_the_box_parser_rejects_what_breaks_the_format() -> None:
    """A box missing its 准确地说, or a 原文 line outside a box, is an error naming where."""
    good = f"> {HEADER}\n>\n> 原文：「四次挥手」\n>\n> 准确地说：关闭连接通常用四个报文段。"
    assert [b.quote for b in boxes_in(good, "x")] == ["四次挥手"]
    assert boxes_in("> an ordinary quote\n> of two lines", "x") == []
    with pytest.raises(BoxError, match="here:"):
        boxes_in(f"> {HEADER}\n> 原文：「四次挥手」", "here")
    with pytest.raises(BoxError, match="outside"):
        boxes_in("> 原文：「四次挥手」", "here")
    with pytest.raises(BoxError, match="second line"):
        boxes_in(f"> {HEADER}\n> 原文：四次挥手\n> 准确地说：四个报文段。", "here")


def test_a_quote_changed_by_one_character_is_not_in_the_article() -> None:
    """The verbatim check is strict: the article's claim with 10 changed to 9 is not found."""
    seed = seed_text()
    claim = "若一连发送 10 个探测报文仍然没反应"
    assert normalize(claim) in seed
    assert normalize(claim.replace("10", "9")) not in seed
    assert normalize(claim.replace(" ", "\n  ")) in seed


def test_every_glossary_row_links_an_existing_lesson_heading() -> None:
    """Each row's 'where' cell links a notebook and a heading that exist."""
    rows = glossary_rows(GLOSSARY.read_text(encoding="utf-8"))
    assert len(rows) >= 60
    for zh, _, _, where in rows:
        targets = LINK.findall(where)
        assert targets, f"glossary row {zh}: no link in 'where in the course'"
        for target in targets:
            assert target.startswith("../notebooks/"), f"glossary row {zh}: {target}"
            problem = link_problem(GLOSSARY.parent, target)
            assert problem is None, f"glossary row {zh}: {problem}"


def test_the_link_check_catches_a_missing_heading_and_a_missing_file() -> None:
    """A link to a heading a lesson does not have, or to no file, is reported."""
    good = "../notebooks/02-walk-the-three-way-handshake.ipynb#why-three-and-not-two"
    assert link_problem(GLOSSARY.parent, good) is None
    assert "no heading" in str(link_problem(GLOSSARY.parent, good + "-really"))
    assert "no file" in str(link_problem(GLOSSARY.parent, "../notebooks/99-none.ipynb"))
    assert slug("Why three, and not two?") == "why-three-and-not-two"
    assert slug("A full segment: where MSS 1460 comes from") == (
        "a-full-segment-where-mss-1460-comes-from"
    )


def test_the_glossary_covers_the_required_terms_and_every_state() -> None:
    """Every term issue 17 asks for names a row, and every RFC 9293 state has its row."""
    rows = glossary_rows(GLOSSARY.read_text(encoding="utf-8"))
    chinese = [row[0] for row in rows]
    missing = [t for t in REQUIRED_TERMS if not any(t in cell for cell in chinese)]
    assert not missing, f"the glossary lacks {missing}"
    rfc_terms = {row[2].split(" (")[0] for row in rows}
    assert set(STATES) <= rfc_terms, f"no row for {set(STATES) - rfc_terms}"
    for row in rows:
        assert re.search(r"[\u4e00-\u9fff]", row[0]), f"row {row[1]}: no Chinese in 中文"
        assert re.search(r"[A-Za-z]", row[1]), f"row {row[0]}: no English"


def test_the_glossary_says_precisely_what_rfc_9293_calls_the_handshake() -> None:
    """三次握手's row says where RFC 9293 names the three-way handshake, and that it is no term."""
    rows = glossary_rows(GLOSSARY.read_text(encoding="utf-8"))
    (row,) = [r for r in rows if r[0].startswith("三次握手")]
    assert "3.4.1" in row[2] and "3.5" in row[2] and "not a defined term" in row[2]
    assert '"this is called the three-way (or three message) handshake (3WHS)"' in row[2]


def test_what_the_glossary_quotes_from_rfc_9293_is_in_rfc_9293() -> None:
    """Every phrase in double quotes in the RFC column occurs in RFC 9293 (up to case, spacing)."""
    rfc = SHARED / "reference" / "rfc" / "rfc9293.txt"
    require(rfc.is_file(), f"RFC 9293 is not at {rfc}")
    text = normalize(rfc.read_text(encoding="utf-8")).lower()
    rows = glossary_rows(GLOSSARY.read_text(encoding="utf-8"))
    quoted = [(r[0], q) for r in rows for q in re.findall(r'"([^"]+)"', r[2])]
    assert len(quoted) >= 15
    for zh, phrase in quoted:
        inner = normalize(phrase.replace("'", '"')).lower()
        assert inner in text, f"glossary row {zh}: RFC 9293 does not say {phrase!r}"


def test_the_glossary_is_linked_from_the_readme_and_lesson_00() -> None:
    """Readers find the glossary from the README and from the start page."""
    assert "(docs/glossary.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    start = "\n".join(source for _, source in markdown_cells(START))
    assert "(../docs/glossary.md)" in start


# A line break inside a Markdown paragraph renders as a space; between two Chinese characters
# that space is a typo a Chinese reader sees at once ("原文术语 一一对应").
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u2018\u2019\u201c\u201d"
_SOFT_BREAK = re.compile(rf"[{_CJK}]\n(?:[ \t]*>[ \t]?)?[ \t]*(?![-*+] |\d+[.)] |#|\||>)[{_CJK}]")


def _chinese_soft_breaks(text: str) -> list[str]:
    return [m.group(0).replace("\n", "⏎") for m in _SOFT_BREAK.finditer(text)]


def _markdown_of(path: Path) -> str:
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize(
    "path",
    [GLOSSARY, *sorted(NOTEBOOKS.glob("*.ipynb")), *sorted(NOTEBOOKS.glob("*/*.ipynb"))],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_no_line_break_between_two_chinese_characters(path: Path) -> None:
    """Chinese text is not broken across Markdown lines, which would render as a stray space."""
    assert _chinese_soft_breaks(_markdown_of(path)) == []


def test_the_soft_break_check_finds_one_and_spares_lists_and_quotes() -> None:
    """The check flags 术语⏎一一 (also inside a quote), not a new list item or quote line."""
    assert _chinese_soft_breaks("原文术语\n一一对应") == ["语⏎一"]
    assert _chinese_soft_breaks("> 原文术语\n> 一一对应") == ["语⏎> 一"]
    assert _chinese_soft_breaks("第一条。\n- 第二条") == []
    assert _chinese_soft_breaks("原文：\n>\n> 准确") == []
