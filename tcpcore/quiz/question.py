"""The machinery of a quiz question: :class:`Question` (prompt, choices, answer, explanation,
the simulation that shows it, each student's order of choices, the one checker), its texts in
another language (:class:`Texts`), its further demonstrations (:class:`Demo`), and
:func:`student_id`. The questions themselves are data in :mod:`tcpcore.quiz.classic` and
:mod:`tcpcore.quiz.followups`."""

from __future__ import annotations

import getpass
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from ..sim.scenarios import SCENARIOS, run_scenario
from ..trace import Trace

__all__ = ["Demo", "Question", "QuizError", "Texts", "student_id"]


class QuizError(LookupError):
    """An unknown question id, or an answer of a kind the question cannot take."""


def _frozen(params: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(params))


def student_id() -> str:
    """Who is answering, resolved as the assignments resolve it (autograder.lab.student_id):
    TCPCOURSE_STUDENT, else JUPYTERHUB_USER, else the login name; "student" where there is no
    login (Pyodide has no pwd module)."""
    for var in ("TCPCOURSE_STUDENT", "JUPYTERHUB_USER"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser() or "student"
    except Exception:  # getuser raises OSError, KeyError or ImportError by platform
        return "student"


@dataclass(frozen=True, slots=True)
class Texts:
    """A question's words in one language: the same choices as the English ones, in the same
    stored order (so that the answer index and every student's order carry over)."""

    title: str
    prompt: str
    choices: tuple[str, ...] | None
    explanation: str
    accepted: tuple[str, ...] = ()  # further short answers accepted in this language
    # the captions of the question's demonstrations (``also``), in order; fewer keep the rest
    captions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Demo:
    """One simulation that shows an answer: a scenario, the keyword arguments of
    :func:`~tcpcore.sim.scenarios.run_scenario` for it (``profile`` among them), and a caption."""

    scenario: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    caption: str = ""

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise QuizError(f"unknown scenario {self.scenario!r}; choose one of {list(SCENARIOS)}")
        object.__setattr__(self, "params", _frozen(self.params))

    @property
    def profile(self) -> str:
        """The profile the scenario runs under ("rfc9293" unless the parameters say)."""
        return str(self.params.get("profile", "rfc9293"))

    def run(self) -> Trace:
        """Run the scenario and return its trace."""
        return run_scenario(self.scenario, **self.params)


@dataclass(frozen=True, slots=True)
class Question:
    """One interview question.

    ``choices`` is None for a short-answer question; then ``answer`` is the tuple of accepted
    answers (compared without case, spaces or punctuation at the ends). Otherwise ``answer`` is
    the index of the right choice. ``scenario_params`` are the keyword arguments of
    :func:`~tcpcore.sim.scenarios.run_scenario` (``profile`` and ``seed`` included), so that
    ``run_scenario(q.scenario, **q.scenario_params)`` is the demonstration. ``lesson`` names the
    notebook that teaches it.
    """

    id: str
    prompt: str
    choices: tuple[str, ...] | None
    answer: int | tuple[str, ...]
    explanation: str
    rfc_refs: tuple[str, ...]
    scenario: str
    scenario_params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    title: str = ""
    lesson: str = ""
    also: tuple[Demo, ...] = ()
    language: str = "en"
    translations: Mapping[str, Texts] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", self.id):
            raise QuizError(f"question id {self.id!r} must be lowercase words joined by '-'")
        if self.scenario not in SCENARIOS:
            raise QuizError(f"question {self.id!r}: unknown scenario {self.scenario!r}")
        object.__setattr__(self, "scenario_params", _frozen(self.scenario_params))
        if self.choices is None:
            if not isinstance(self.answer, tuple) or not self.answer:
                raise QuizError(f"question {self.id!r}: a short answer needs accepted answers")
        elif not isinstance(self.answer, int) or not 0 <= self.answer < len(self.choices):
            raise QuizError(f"question {self.id!r}: answer must index one of its choices")
        object.__setattr__(self, "translations", MappingProxyType(dict(self.translations)))
        for lang, t in self.translations.items():
            if (t.choices is None) != (self.choices is None) or (
                t.choices is not None and len(t.choices) != len(self.choices or ())
            ):
                raise QuizError(
                    f"question {self.id!r}: its {lang} text must have as many choices as the "
                    f"{self.language} one"
                )
            if len(t.captions) > len(self.also):
                raise QuizError(
                    f"question {self.id!r}: its {lang} text has {len(t.captions)} captions for "
                    f"{len(self.also)} demonstrations"
                )

    def in_language(self, language: str) -> Question:
        """This question in ``language`` ("en", "zh-CN", ...): its own text if it has one in
        that language, else itself. The answer and the order each student sees are the same."""
        if language == self.language or language not in self.translations:
            return self
        t = self.translations[language]
        answer = self.answer
        if self.choices is None:
            assert isinstance(answer, tuple)
            answer = (*t.accepted, *answer)
        also = tuple(
            replace(demo, caption=t.captions[i]) if i < len(t.captions) else demo
            for i, demo in enumerate(self.also)
        )
        return replace(
            self,
            also=also,
            title=t.title,
            prompt=t.prompt,
            choices=t.choices,
            explanation=t.explanation,
            answer=answer,
            language=language,
            translations={},
        )

    def order_for(self, student: str) -> tuple[int, ...]:
        """The stored indices of the choices in the order ``student`` sees them: a permutation
        fixed by the question's id and the student's id (a hash, so the same on every machine
        and Python version), different from one student to the next. () without choices."""
        if self.choices is None:
            return ()

        def key(i: int) -> bytes:
            return hashlib.sha256(f"{self.id}\0{student}\0{i}".encode()).digest()

        return tuple(sorted(range(len(self.choices)), key=key))

    def choices_for(self, student: str) -> tuple[str, ...]:
        """The choices in the order ``student`` sees them (see :meth:`order_for`); () for a
        short-answer question."""
        if self.choices is None:
            return ()
        return tuple(self.choices[i] for i in self.order_for(student))

    def paragraphs(self) -> tuple[str, ...]:
        """The explanation's paragraphs: the two-sentence answer first, then the evidence."""
        return tuple(p for p in self.explanation.split("\n\n") if p.strip())

    @property
    def profile(self) -> str:
        """The profile of the main demonstration ("rfc9293" unless its parameters say)."""
        return self.demo.profile

    @property
    def demo(self) -> Demo:
        """The main demonstration: the question's own scenario and parameters."""
        return Demo(self.scenario, self.scenario_params, self.title or self.id)

    @property
    def demos(self) -> tuple[Demo, ...]:
        """The main demonstration followed by the others."""
        return (self.demo, *self.also)

    def run(self) -> Trace:
        """Run the main demonstration and return its trace."""
        return self.demo.run()

    @property
    def correct(self) -> str:
        """The right answer as text: the right choice, or the first accepted short answer."""
        if self.choices is None:
            assert isinstance(self.answer, tuple)
            return self.answer[0]
        assert isinstance(self.answer, int)
        return self.choices[self.answer]

    def check(self, answer: object) -> tuple[bool, str]:
        """(whether ``answer`` is right, the explanation). A choice may be given by its text,
        or by its index or letter ("b") in the stored order (not the order a student sees, see
        :meth:`choices_for`); a short answer as text (or a number)."""
        if isinstance(answer, bool) or not isinstance(answer, int | str):
            raise QuizError(
                f"question {self.id!r}: answer with an int or a str, not {type(answer).__name__}"
            )
        if self.choices is None:
            assert isinstance(self.answer, tuple)
            ok = _norm(str(answer)) in {_norm(a) for a in self.answer}
            return ok, self.explanation
        return self._choice(answer) == self.answer, self.explanation

    def _choice(self, answer: int | str) -> int | None:
        assert self.choices is not None
        n = len(self.choices)
        if isinstance(answer, int):
            if not 0 <= answer < n:
                raise QuizError(f"question {self.id!r}: choose an index from 0 to {n - 1}")
            return answer
        text = _norm(answer)
        if len(text) == 1 and "a" <= text < chr(ord("a") + n):
            return ord(text) - ord("a")
        for i, choice in enumerate(self.choices):
            if _norm(choice) == text:
                return i
        return None


def _norm(text: str) -> str:
    """Lowercase, single spaces, no punctuation at the ends, '_' read as '-'."""
    text = " ".join(text.lower().replace("_", "-").split())
    return text.strip(" .,;:!?\"'()")


def _text(s: str) -> str:
    """Source text to one paragraph per blank line (prose is wrapped in the source)."""
    return "\n\n".join(" ".join(p.split()) for p in s.strip().split("\n\n"))


# -- the questions, in course order (lesson 06's own last) -----------------------------------------
