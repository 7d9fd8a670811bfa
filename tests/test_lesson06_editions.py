"""Lesson 06 in two editions: the Chinese one (notebooks/zh-CN/) stays in step with the English
one, and both carry the article's corrections as "原文 → 准确地说" boxes quoting the article."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import SHARED, require

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
NAME = "06-answer-the-interview-questions.ipynb"
EN = NOTEBOOKS / NAME
ZH = NOTEBOOKS / "zh-CN" / NAME
SETS_LANGUAGE = '\n\nquiz.set_language("zh-CN")'
# A box (the format the glossary's boxes share): header, 原文, 准确地说, each line quoted, with an
# empty ">" line between them so that each renders as its own paragraph.
BOX = re.compile(
    r"^> \*\*原文 → 准确地说\*\*\n>\n> 原文：「([^」\n]+)」\n>\n> 准确地说：(.+)$", re.M
)


def cells(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text())["cells"])


def text(cell: dict[str, Any]) -> str:
    return "".join(cell["source"])


def shape(cell: dict[str, Any]) -> tuple[object, ...]:
    """What must match across editions in a markdown cell: its headings' levels, its folds,
    its questions, its tables' rows and its boxes."""
    s = text(cell)
    return (
        re.findall(r"^(#+) ", s, re.M),
        s.count("<details>"),
        len(re.findall(r"^\*\*(?:Question|问题)\.\*\*", s, re.M)),
        len(re.findall(r"^\|", s, re.M)),
        len(BOX.findall(s)),
    )


def test_the_two_editions_have_the_same_cells_in_the_same_order() -> None:
    """Same ids and types in order, the same code (the Chinese setup cell adds only
    set_language), and markdown cells of the same shape: an edit to one edition fails here
    until the other follows."""
    en, zh = cells(EN), cells(ZH)
    assert [(c["id"], c["cell_type"]) for c in zh] == [(c["id"], c["cell_type"]) for c in en]
    first_code = next(c["id"] for c in en if c["cell_type"] == "code")
    for e, z in zip(en, zh, strict=True):
        if e["cell_type"] == "code":
            expected = text(e) + SETS_LANGUAGE if e["id"] == first_code else text(e)
            assert text(z) == expected, f"code cell {e['id']} differs between the editions"
            assert not z.get("outputs"), f"{ZH.name}: cell {z['id']} stored with outputs"
        else:
            assert shape(z) == shape(e), f"markdown cell {e['id']}: {shape(z)} != {shape(e)}"
            assert re.search(r"[\u4e00-\u9fff]", text(z)), f"cell {z['id']} is not in Chinese"


def test_each_edition_links_to_the_other_and_every_relative_link_resolves() -> None:
    """Lesson 06 opens with a link to the Chinese edition and back, and the course map in lesson
    00 links it too; the Chinese edition's links to lessons and the assignment (one folder
    deeper) point at files that exist."""
    assert "[中文版 / Chinese edition](zh-CN/" + NAME + ")" in text(cells(EN)[0])
    assert "(../" + NAME + ")" in text(cells(ZH)[0])
    course_map = next(
        t for t in map(text, cells(NOTEBOOKS / "00-start-here.ipynb")) if "| 06 |" in t
    )
    assert "(zh-CN/" + NAME + ")" in course_map, "the course map does not link the zh-CN edition"
    for path in (EN, ZH):
        for cell in cells(path):
            for target in re.findall(r"\]\(([^)#]+\.ipynb)\)", text(cell)):
                assert (path.parent / target).is_file(), f"{path.name}: broken link {target}"


def boxes(path: Path) -> list[tuple[str, str]]:
    return [m for c in cells(path) if c["cell_type"] == "markdown" for m in BOX.findall(text(c))]


def test_each_correction_in_the_folklore_table_has_its_box_in_both_editions() -> None:
    """One box per row of the folklore table, the same boxes in both editions, each citing an
    RFC section or the lesson's evidence."""
    table = next(text(c) for c in cells(EN) if "| folklore |" in text(c))
    rows = [r for r in re.findall(r"^\| .*\|$", table, re.M)[1:] if not r.startswith("|---")]
    found = boxes(EN)
    assert len(found) == len(rows) == 10
    assert boxes(ZH) == found
    for quote, accurate in found:
        assert re.search(r"RFC \d+|第 0\d 课", accurate), f"no evidence for {quote[:20]}"


def test_every_box_quotes_the_article_verbatim() -> None:
    """Each "原文" is a verbatim passage of the article (the seed in ../shared/seed)."""
    seed = SHARED / "seed"
    require(seed.is_dir(), f"the article is not at {seed} (../shared beside the checkout)")
    article = "".join(p.read_text() for p in sorted(seed.glob("*.txt")))
    missing = [quote for quote, _ in boxes(EN) if quote not in article]
    assert not missing, f"not in the article: {missing}"


@pytest.mark.parametrize("path", [EN, ZH], ids=["en", "zh-CN"])
def test_every_box_has_the_shared_format(path: Path) -> None:
    """Every line that opens a box is followed by its 原文 and 准确地说 lines, as the glossary's."""
    for cell in cells(path):
        s = text(cell)
        assert s.count("> **原文 → 准确地说**") == len(BOX.findall(s)), cell["id"]


def test_the_lite_site_carries_the_chinese_edition(tmp_path: Path) -> None:
    """The JupyterLite contents hold the zh-CN edition beside the lesson that links it, with
    Lite's setup cell and a Chinese banner whose start-page link resolves from its folder."""
    import sys

    sys.path.insert(0, str(NOTEBOOKS.parent / "tools"))
    import lite  # tools/ is not a package

    lite.write_contents(tmp_path)
    copy = tmp_path / "notebooks" / "zh-CN" / NAME
    assert copy.is_file(), "the Lite site lacks the Chinese edition lesson 06 links to"
    site = json.loads(copy.read_text())["cells"]
    ids = [c["id"] for c in site]
    assert ids[:3] == ["l06-00", "jupyterlite-banner", "jupyterlite-setup"]
    assert [c for c in site if not c["id"].startswith("jupyterlite-")] == cells(ZH)
    links = re.findall(r"\]\(([^)]*start-here\.ipynb)\)", text(site[1]))
    assert links and all((copy.parent / link).resolve().is_file() for link in links), links
    assert "正在浏览器里运行" in text(site[1]), "the Chinese edition's Lite banner is not Chinese"
    english = tmp_path / "notebooks" / NAME
    assert (english.parent / "zh-CN" / NAME).is_file()
