"""Predict, then reveal: a quiz question, the student's committed answer, then the simulation that
shows the answer."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

from .. import viz
from ..quiz import Question, student_id
from ..trace import Trace
from . import static
from .base import (
    _App,
)

_LETTERS = "ABCDEFGHIJ"
# Each choice is a letter button beside an HTML label: an HTML widget wraps its text and grows
# to fit it, where RadioButtons (JupyterLab 4) keep one line per label and overlap long ones.
_LABEL_CSS = "white-space:normal;line-height:1.4;overflow-wrap:anywhere;padding:4px 6px"
# An HTML widget's content has the line height of a one-line control (28 px): set a reading one.
_TEXT_CSS = "white-space:normal;line-height:1.45"

# The quiz's own words, in the language of the question it shows (tcpcore.quiz.language()
# chooses it); a language without its words here uses the English ones.
_QUIZ_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "choose": "choose {letter}",
        "placeholder": "your answer",
        "commit": "Commit my answer",
        "run": "Run the simulation",
        "chose": "You chose {letter}. Press <b>Commit my answer</b> when you are sure.",
        "first": "Choose an answer first: predicting is the point.",
        "prediction": "Your prediction: <b>{answer}</b>. Now run it.",
        "uncommitted": "Commit an answer before running the simulation.",
        "right": "Right.",
        "wrong": "Not quite.",
        "answer": "The answer: {right}",
        "see": "See {refs}.",
    },
    "zh-CN": {
        "choose": "选 {letter}",
        "placeholder": "你的答案",
        "commit": "提交我的答案",
        "run": "运行模拟",
        "chose": "你选了 {letter}。想好了就按<b>提交我的答案</b>。",
        "first": "请先选一个答案：先预测，再看结果。",
        "prediction": "你的预测：<b>{answer}</b>。现在运行模拟看看。",
        "uncommitted": "请先提交答案，再运行模拟。",
        "right": "答对了。",
        "wrong": "不完全对。",
        "answer": "正确答案：{right}",
        "see": "参见 {refs}。",
    },
}


def _inline(text: str) -> str:
    """Text as HTML: escaped, with `backquoted` words as <code>, as in the lessons' Markdown."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _choice_html(text: str, *, chosen: bool) -> str:
    """A choice's label; the chosen one is tinted, so the choice shows beside its letter too."""
    tint = "background:#e3f2fd;border-radius:3px" * chosen
    return f'<div class="tcpcore-choice" style="{_LABEL_CSS};{tint}">{_inline(text)}</div>'


def _paragraphs_html(paragraphs: Sequence[str]) -> str:
    """Paragraphs as <p> elements (a blank line in the text is a new paragraph)."""
    body = "".join(f'<p style="margin:0 0 0.6em 0">{_inline(p)}</p>' for p in paragraphs)
    return f'<div style="{_TEXT_CSS}">{body}</div>'


class PredictThenReveal(_App):
    """A quiz question: commit an answer first, then run the simulation to see why.

    The choices appear in the order :meth:`tcpcore.quiz.Question.choices_for` gives for
    ``student`` (default :func:`tcpcore.quiz.student_id`), and the answer is judged by
    :meth:`~tcpcore.quiz.Question.check`, the one checker. ``choose(i)`` picks the i-th choice
    shown (what a click on its letter does)."""

    def __init__(self, question: Question, student: str | None = None) -> None:
        super().__init__()
        if not isinstance(question, Question):
            raise TypeError(
                f"predict_then_reveal takes a tcpcore.quiz.Question (quiz.get(id)), "
                f"not {type(question).__name__}"
            )
        w = self.w
        self.question = question
        self.words = _QUIZ_WORDS.get(question.language, _QUIZ_WORDS["en"])
        self.student = student if student is not None else student_id()
        self.prompt = w.HTML(f'<div style="{_TEXT_CSS}"><b>{_inline(question.prompt)}</b></div>')
        self.choices: tuple[str, ...] = question.choices_for(self.student)
        self.buttons: list[Any] = []
        self.labels: list[Any] = []
        self.selected: int | None = None
        if self.choices:
            rows = []
            for i, text in enumerate(self.choices):
                button = w.ToggleButton(
                    description=_LETTERS[i],
                    tooltip=self.words["choose"].format(letter=_LETTERS[i]),
                    layout=w.Layout(width="2.6em", min_width="2.6em", flex="0 0 auto"),
                )
                label = w.HTML(
                    _choice_html(text, chosen=False),
                    layout=w.Layout(flex="1 1 auto", width="auto", min_width="0"),
                )
                button.observe(self._picker(i), names="value")
                self.buttons.append(button)
                self.labels.append(label)
                rows.append(
                    w.HBox(
                        [button, label],
                        layout=w.Layout(align_items="flex-start", width="100%", margin="2px 0"),
                    )
                )
            self.choice = w.VBox(rows, layout=w.Layout(width="100%", max_width="60em"))
        else:
            self.choice = w.Text(placeholder=self.words["placeholder"])
        self.commit = w.Button(description=self.words["commit"], button_style="primary")
        self.run = w.Button(description=self.words["run"], disabled=True)
        self.feedback = w.HTML()
        self.explanation = w.HTML(layout=w.Layout(max_width="60em"))
        self.committed: str | None = None
        self.revealed = False
        self.correct: bool | None = None
        self.trace: Trace | None = None
        self.commit.on_click(self._guarded(lambda _b: self.do_commit()))
        self.run.on_click(self._guarded(lambda _b: self.reveal()))
        self._box(
            [
                self.prompt,
                self.choice,
                w.HBox([self.commit, self.run], layout=w.Layout(margin="8px 0 0 0")),
                self.feedback,
                self.error,
                self.explanation,
                self.image,
            ]
        )

    def _picker(self, i: int) -> Callable[[Any], None]:
        def picked(change: Any) -> None:
            if change["new"]:
                self.choose(i)
            elif self.selected == i:  # its letter clicked again: nothing chosen
                self.selected = None
                self.buttons[i].button_style = ""
                self.labels[i].value = _choice_html(self.choices[i], chosen=False)
                self.feedback.value = ""

        return picked

    def choose(self, i: int) -> None:
        """Pick the i-th choice as shown (0 is "A"); the other letters are released."""
        if not 0 <= i < len(self.choices):
            raise ValueError(f"choose a choice from 0 to {len(self.choices) - 1}, not {i}")
        self.selected = i
        for j, b in enumerate(self.buttons):
            if b.value != (j == i):
                b.value = j == i
            b.button_style = "info" if j == i else ""
            self.labels[j].value = _choice_html(self.choices[j], chosen=j == i)
        chose = self.words["chose"].format(letter=_LETTERS[i])
        self.feedback.value = f'<div style="{_TEXT_CSS}">{chose}</div>'

    @property
    def answer(self) -> str | None:
        """What the student has chosen or typed so far (None: nothing yet)."""
        if self.choices:
            return None if self.selected is None else self.choices[self.selected]
        value = str(self.choice.value)
        return value if value.strip() else None

    def do_commit(self) -> None:
        value = self.answer
        if value is None:
            self.feedback.value = self.words["first"]
            return
        self.committed = value
        self.choice.disabled = True
        for b in self.buttons:
            b.disabled = True
        self.commit.disabled = True
        self.run.disabled = False
        shown = value
        if self.selected is not None:
            shown = f"{_LETTERS[self.selected]}. {value}"
        prediction = self.words["prediction"].format(answer=_inline(shown))
        self.feedback.value = f'<div style="{_TEXT_CSS}">{prediction}</div>'

    def reveal(self) -> None:
        if self.committed is None:
            self.feedback.value = self.words["uncommitted"]
            return
        q = self.question
        self.revealed = True
        self.run.disabled = True
        self.correct, _ = q.check(self.committed)
        verdict = self.words["right"] if self.correct else self.words["wrong"]
        right = q.correct
        if self.choices:
            right = f"{_LETTERS[self.choices.index(right)]}. {right}"
        answer = self.words["answer"].format(right=_inline(right))
        self.feedback.value = f'<div style="{_TEXT_CSS}"><b>{verdict}</b> {answer}</div>'
        self.explanation.value = self._explanation_html()
        self.trace = q.run()
        self._show(viz.ladder(self.trace))

    def static_html(self) -> str:
        """This quiz as a page of the book (:mod:`tcpcore.widgets.static`): the question, its
        choices in this student's order, and the answer with its explanation folded."""
        q = self.question
        choices = "".join(
            f"<li><b>{_LETTERS[i]}.</b> {_inline(text)}</li>" for i, text in enumerate(self.choices)
        )
        style = "list-style:none;padding-left:0"
        listed = f'<ol class="tcpcourse-choices" style="{style}">{choices}</ol>'
        right = _inline(q.correct)
        if self.choices:
            right = f"{_LETTERS[self.choices.index(q.correct)]}. {right}"
        w = static.words(q.language)
        return (
            f'<div class="tcpcourse-quiz"><p><b>{_inline(q.prompt)}</b></p>'
            f"{listed if self.choices else ''}"
            + static.note(w["commit"], q.language)
            + f"<details><summary>{w['answer']}</summary><p><b>{right}</b></p>"
            f"{self._explanation_html()}</details></div>"
        )

    def _explanation_html(self) -> str:
        """The explanation's paragraphs, then the RFC sections to read, in the quiz's words."""
        q = self.question
        refs = ", ".join(q.rfc_refs)
        see = [self.words["see"].format(refs=refs)] if refs else []
        return _paragraphs_html([*q.paragraphs(), *see])


def predict_then_reveal(question: Question, student: str | None = None) -> Any:
    """Show a :class:`tcpcore.quiz.Question`: the choices in ``student``'s order (default: who
    is logged in, :func:`tcpcore.quiz.student_id`); the student commits an answer before the
    "Run the simulation" button shows the explanation and the scenario's ladder."""
    return PredictThenReveal(question, student).widget
