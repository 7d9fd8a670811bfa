"""Quizzes in Chinese: one setting chooses the language, and lesson 06's questions all have zh-CN
texts that keep the English facts (tcpcore.quiz.language, set_language, tcpcore.quiz.zh_cn)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

from tcpcore import quiz, widgets
from tcpcore.quiz.zh_cn import ZH_CN, _zh
from tcpcore.widgets import predict

NOTEBOOKS = ROOT / "notebooks"
EDITIONS = (
    NOTEBOOKS / "06-answer-the-interview-questions.ipynb",
    NOTEBOOKS / "zh-CN" / "06-answer-the-interview-questions.ipynb",
)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("TCPCOURSE_LANG", raising=False)
    quiz.set_language(None)
    yield
    quiz.set_language(None)


def shown(notebook: Path) -> list[str]:
    """The ids of the questions a lesson shows in predict-then-reveal widgets, in order."""
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return re.findall(r'predict_then_reveal\(\s*quiz\.get\("([a-z0-9-]+)"\)', code)


def test_every_question_lesson_06_shows_has_complete_chinese_texts() -> None:
    """Prompt, title, every choice and the explanation of each lesson-06 quiz exist in zh-CN."""
    asked = shown(EDITIONS[0])
    assert len(asked) == 12
    lacking = [qid for qid in asked if qid not in ZH_CN]
    assert not lacking, f"lesson 06 shows these questions without zh-CN texts: {lacking}"
    for qid in asked:
        en, zh = quiz.get(qid, "en"), quiz.get(qid, "zh-CN")
        assert zh.language == "zh-CN" and en.language == "en", qid
        assert zh.choices is not None and en.choices is not None
        texts = [zh.title, zh.prompt, zh.explanation, *zh.choices]
        for text in texts:
            assert CJK.search(text), f"{qid}: not Chinese: {text[:60]!r}"
        assert len(set(zh.choices)) == len(zh.choices) == len(en.choices), qid
        assert len(zh.paragraphs()) == len(en.paragraphs()), f"{qid}: paragraphs differ"


@pytest.mark.parametrize("qid", sorted(ZH_CN))
def test_a_chinese_text_keeps_every_number_of_the_english_one(qid: str) -> None:
    """Each number of the English prompt, choices and explanation (RFC sections, seconds,
    sequence numbers) appears in the Chinese text too: the translation did not drift."""
    en, zh = quiz.get(qid, "en"), quiz.get(qid, "zh-CN")
    pairs = [(en.prompt, zh.prompt), (en.explanation, zh.explanation)]
    pairs += list(zip(en.choices or (), zh.choices or (), strict=True))
    for english, chinese in pairs:
        missing = set(re.findall(r"\d+(?:\.\d+)*", english)) - set(
            re.findall(r"\d+(?:\.\d+)*", chinese)
        )
        assert not missing, f"{qid}: {sorted(missing)} missing from {chinese[:60]!r}"


def test_the_setting_chooses_the_language_and_the_override_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TCPCOURSE_LANG picks the language; set_language overrides it; None goes back to it."""
    assert quiz.language() == "en"
    assert quiz.get("half-connection").prompt.startswith("The article calls")
    monkeypatch.setenv("TCPCOURSE_LANG", "zh_CN")
    assert quiz.language() == "zh-CN"
    assert quiz.get("half-connection").prompt == ZH_CN["half-connection"].prompt
    assert quiz.set_language("en") == "en"
    assert quiz.get("half-connection").language == "en"
    assert quiz.set_language(None) == "zh-CN"
    monkeypatch.delenv("TCPCOURSE_LANG")
    assert quiz.set_language("zh-CN") == "zh-CN" and quiz.language() == "zh-CN"


def test_a_question_without_chinese_texts_stays_english() -> None:
    """A question with no zh-CN text falls back to its English words."""
    untranslated = next(qid for qid in quiz.ids() if qid not in ZH_CN)
    quiz.set_language("zh-CN")
    q = quiz.get(untranslated)
    assert q.language == "en" and q.prompt == quiz.get(untranslated, "en").prompt


def test_chinese_keeps_the_answer_and_each_students_order() -> None:
    """In zh-CN the right choice, the order a student sees and the checker carry over."""
    for qid in ZH_CN:
        en, zh = quiz.get(qid, "en"), quiz.get(qid, "zh-CN")
        assert zh.answer == en.answer
        assert zh.order_for("ada") == en.order_for("ada")
        assert zh.check(zh.correct) == (True, zh.explanation)
    quiz.set_language("zh-CN")
    ok, explanation = quiz.check("half-connection", quiz.get("half-connection", "en").correct)
    assert ok and explanation == ZH_CN["half-connection"].explanation
    assert quiz.check("half-connection", ZH_CN["half-connection"].choices[0])[0] is False  # type: ignore[index]


def test_an_unknown_language_is_named_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    """set_language refuses a language it has no texts for, naming the choices; a wrong
    TCPCOURSE_LANG warns and shows English instead of breaking the lesson."""
    with pytest.raises(quiz.QuizError, match=r"set_language's language is 'fr'.*en, zh-CN"):
        quiz.set_language("fr")
    monkeypatch.setenv("TCPCOURSE_LANG", "klingon")
    with pytest.warns(UserWarning, match="TCPCOURSE_LANG is 'klingon'.*English"):
        assert quiz.language() == "en"
    monkeypatch.delenv("TCPCOURSE_LANG")
    with pytest.raises(quiz.QuizError, match="get's language"):
        quiz.get("half-connection", "xx")


def test_the_widget_shows_the_question_in_chinese() -> None:
    """predict_then_reveal of a zh-CN question shows its prompt, choices, buttons, messages and
    explanation in Chinese."""
    quiz.set_language("zh-CN")
    app = widgets.PredictThenReveal(quiz.get("when-rst"), student="ada")
    assert "复位报文段" in app.prompt.value
    assert app.choices == quiz.get("when-rst").choices_for("ada")
    assert all(CJK.search(label.value) for label in app.labels)
    assert (app.commit.description, app.run.description) == ("提交我的答案", "运行模拟")
    app.do_commit()
    assert app.feedback.value == "请先选一个答案：先预测，再看结果。"
    app.choose(app.choices.index(quiz.get("when-rst").correct))
    assert "你选了" in app.feedback.value
    app.do_commit()
    assert "你的预测" in app.feedback.value
    app.reveal()
    assert app.correct is True and "答对了。" in app.feedback.value
    assert (
        "RST 回应的是" in app.explanation.value and "参见 RFC 9293 3.5.2" in app.explanation.value
    )


def test_the_quiz_has_its_own_words_in_every_language_it_offers() -> None:
    """The widget's buttons and messages exist in each language set_language accepts, with the
    same placeholders as the English ones; an English question keeps the English words."""
    words = predict._QUIZ_WORDS
    assert sorted(words) == sorted(quiz.LANGUAGES)
    for lang, table in words.items():
        assert table.keys() == words["en"].keys(), lang
        for key, text in table.items():
            assert re.findall(r"{\w+}", text) == re.findall(r"{\w+}", words["en"][key]), key
    english = widgets.PredictThenReveal(quiz.get("when-rst"), student="ada")
    assert english.commit.description == "Commit my answer"


def test_wrapped_chinese_source_joins_without_stray_spaces() -> None:
    """Lines of Chinese join with no space; Latin words on both sides of a break keep one."""
    assert (
        _zh("""
        甲乙
        丙 RFC
        9293 节

        第二段""")
        == "甲乙丙 RFC 9293 节\n\n第二段"
    )


def test_the_demonstrations_carry_chinese_captions_in_chinese() -> None:
    """The ladder a Chinese page draws from a question's demonstration has a Chinese title; the
    English question keeps its own, and the scenarios are the same."""
    for qid in ("three-way-handshake", "syn-flood"):
        en, zh = quiz.get(qid, "en"), quiz.get(qid, "zh-CN")
        assert [d.scenario for d in zh.also] == [d.scenario for d in en.also]
        assert [dict(d.params) for d in zh.also] == [dict(d.params) for d in en.also]
        assert all(CJK.search(d.caption) for d in zh.also), qid
        assert not any(CJK.search(d.caption) for d in en.also), qid


def test_more_captions_than_demonstrations_is_an_error() -> None:
    """A translation cannot caption a demonstration the question does not have."""
    from dataclasses import replace

    q = quiz.get("three-way-handshake", "en")
    texts = ZH_CN["three-way-handshake"]
    extra = replace(texts, captions=(*texts.captions, "多出来的一个"))
    with pytest.raises(quiz.QuizError, match="3 captions for 2 demonstrations"):
        replace(q, translations={"zh-CN": extra})
