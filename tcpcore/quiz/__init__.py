"""The classic interview questions about opening and closing TCP connections, as data.

Each :class:`Question` holds a prompt, its answer (a choice, or the short answers accepted), an
explanation that says precisely what is true and cites the RFC clause that decides it, and the
simulation that demonstrates it: a scenario of :mod:`tcpcore.sim.scenarios` with its parameters and
profile, plus further demonstrations in ``also``. A lesson asks the question, lets the student
commit to an answer, then runs the scenario and shows the trace (predict, then reveal)::

    from tcpcore import quiz
    q = quiz.get("time-wait-2msl")
    q.prompt, q.choices                  # the choices as stored
    q.choices_for("ada")                 # the order the student "ada" sees them in
    quiz.check("time-wait-2msl", q.correct)   # (True, explanation)
    trace = q.run()                      # the scenario that shows the answer

Each student sees the choices in an order of their own (:meth:`Question.choices_for`, keyed by
:func:`student_id`), so the position of the right answer tells nothing. Explanations lead with
a two-sentence answer, then the evidence, one paragraph per blank line
(:meth:`Question.paragraphs`). A question may carry its text in other languages
(``translations``: language tag -> :class:`Texts`); :meth:`Question.in_language` gives the
question in one of them, with the same answer and the same order of choices per student.

One setting chooses the language every quiz is shown in: :func:`language`, which is the
``TCPCOURSE_LANG`` environment variable ("en", the default, or "zh-CN") unless a notebook called
:func:`set_language`. :func:`get` returns a question in that language; one without a text in it
stays English. The Chinese texts live beside the questions, in :mod:`tcpcore.quiz.zh_cn`, and
:func:`get` attaches them (``QUESTIONS`` holds the English questions as written below).

Questions are data: tests run every scenario and assert the facts each explanation relies on
(tests/quiz/test_quiz.py), so an explanation cannot drift away from what the reference does.
Where the reference does not simulate something an explanation mentions (SYN cookies, delayed
ACKs), the explanation says so and cites the RFC instead.

The package: :mod:`~tcpcore.quiz.question` holds the machinery (:class:`Question`, :class:`Texts`,
:class:`Demo`, :class:`QuizError`, :func:`student_id`); the questions are data in
:mod:`~tcpcore.quiz.classic` (the classic interview questions) and :mod:`~tcpcore.quiz.followups`
(the questions that follow them up, lesson 06's own last); :mod:`~tcpcore.quiz.zh_cn` holds their
Chinese texts. This module puts them together: the language setting, :func:`get`, :func:`check`
and :func:`ids`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import replace

from .classic import CLASSIC
from .followups import FOLLOWUPS
from .question import Demo, Question, QuizError, Texts, student_id

__all__ = [
    "LANGUAGES",
    "QUESTIONS",
    "Demo",
    "Question",
    "QuizError",
    "Texts",
    "check",
    "get",
    "ids",
    "language",
    "set_language",
    "student_id",
]

# -- the questions, in course order (lesson 06's own last) -----------------------------------------

QUESTIONS: tuple[Question, ...] = CLASSIC + FOLLOWUPS

_BY_ID: dict[str, Question] = {}
for _q in QUESTIONS:
    if _q.id in _BY_ID:
        raise QuizError(f"duplicate question id {_q.id!r}")
    _BY_ID[_q.id] = _q


LANGUAGES = ("en", "zh-CN")
_override: str | None = None


def _language_tag(value: str, where: str) -> str:
    """``value`` as one of LANGUAGES (case and '_' or '-' do not matter; "zh" is "zh-CN")."""
    key = value.strip().replace("_", "-").casefold()
    for lang in LANGUAGES:
        if key == lang.casefold() or (lang == "zh-CN" and key in ("zh", "zh-hans", "cn")):
            return lang
    raise QuizError(f"{where} is {value!r}; choose one of {', '.join(LANGUAGES)}")


def language() -> str:
    """The language quizzes are shown in: what :func:`set_language` chose, else the
    ``TCPCOURSE_LANG`` environment variable, else "en". An unknown value in the variable is
    reported by a warning and read as "en" (a lesson must not break over it)."""
    if _override is not None:
        return _override
    value = os.environ.get("TCPCOURSE_LANG", "").strip()
    if not value:
        return "en"
    try:
        return _language_tag(value, "the environment variable TCPCOURSE_LANG")
    except QuizError as e:
        warnings.warn(f"{e}; showing the quizzes in English", stacklevel=2)
        return "en"


def set_language(lang: str | None) -> str:
    """Show every quiz from now on in ``lang`` ("en" or "zh-CN"), whatever TCPCOURSE_LANG says;
    None goes back to the variable. Returns the language now in force."""
    global _override
    _override = None if lang is None else _language_tag(str(lang), "set_language's language")
    return language()


def _with_translations(q: Question) -> Question:
    from .zh_cn import ZH_CN  # data beside the questions, loaded when first asked for

    t = ZH_CN.get(q.id)
    if t is None or "zh-CN" in q.translations:
        return q
    return replace(q, translations={**q.translations, "zh-CN": t})


def ids() -> list[str]:
    """Every question id, in course order."""
    return [q.id for q in QUESTIONS]


def get(question_id: str, lang: str | None = None) -> Question:
    """The question with this id, in ``lang`` (default: :func:`language`; English where it has
    no text in that language); QuizError naming the known ids if there is none."""
    try:
        q = _BY_ID[question_id]
    except KeyError:
        raise QuizError(f"no question {question_id!r}; known ids: {', '.join(_BY_ID)}") from None
    lang = language() if lang is None else _language_tag(lang, "get's language")
    return _with_translations(q).in_language(lang)


def check(question_id: str, answer: object) -> tuple[bool, str]:
    """(whether ``answer`` to question ``question_id`` is right, the explanation in
    :func:`language`). A choice's English text is accepted in every language."""
    q = get(question_id)
    ok, explanation = q.check(answer)
    if not ok and q.language != "en":
        ok = get(question_id, "en").check(answer)[0]
    return ok, explanation
