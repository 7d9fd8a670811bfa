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
stays English. The Chinese texts live beside the questions, in :mod:`tcpcore.quiz_zh`, and
:func:`get` attaches them (``QUESTIONS`` holds the English questions as written below).

Questions are data: tests run every scenario and assert the facts each explanation relies on
(tests/test_quiz.py), so an explanation cannot drift away from what the reference does.
Where the reference does not simulate something an explanation mentions (SYN cookies, delayed
ACKs), the explanation says so and cites the RFC instead.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from .sim.scenarios import SCENARIOS, run_scenario
from .trace import Trace

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
        return replace(
            self,
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

QUESTIONS: tuple[Question, ...] = (
    Question(
        id="three-way-handshake",
        title="Why three segments to open, not two",
        lesson="02-walk-the-three-way-handshake",
        prompt=_text("""
            Why does TCP open a connection with three segments? What would go wrong with a
            two-way handshake, where the server considers itself connected as soon as it has
            answered the client's SYN?"""),
        choices=(
            "Two would do if nothing were ever lost: the third segment exists only because the "
            "SYN+ACK may be lost, and without it both sides would deadlock, each waiting for the "
            "other.",
            "The third segment carries the client's window size and MSS, for which the first SYN "
            "has no room; without them the server could not send its first data segment.",
            "The server cannot tell an old duplicate SYN from a new one; only the client knows "
            "which SYN it sent, so it confirms, acknowledging the server's ISN.",
            "Three is only a convention: RFC 9293 allows a two-segment open as an option, and "
            "servers that enable TCP Fast Open use it to save a round trip on every connection.",
        ),
        answer=2,
        explanation=_text("""
            Because each side's initial sequence number must be acknowledged, and only the
            initiator can tell an old duplicate SYN from its current one, so it must confirm. A
            two-way handshake would let a delayed SYN from an earlier attempt open a connection
            nobody asked for.

            Synchronizing is four steps (RFC 9293 3.4.1): A sends its ISN, B acknowledges it,
            B sends its own ISN, A acknowledges that. B's acknowledgment and B's SYN fit in one
            segment, so four become three; nothing else can merge, since A can acknowledge B's
            ISN only after receiving it. With two segments no one ever tells B that A received
            B's ISN.

            The principal reason, in the RFC's words, is "to prevent old duplicate connection
            initiations from causing confusion" (3.5). A SYN delayed in the network from an
            earlier attempt looks exactly like a new one, and its receiver "has no way of
            knowing whether the segment was an old one or not ... so it must ask the sender to
            verify this SYN" (3.4.1). In the scenario (RFC 9293 Figure 8, Figure 9 in RFC 793)
            B answers the old SYN (seq 90) with a SYN+ACK acknowledging 91; A never sent 90,
            so it answers with a RST, B returns to LISTEN, and A's real SYN then opens the
            connection normally. Run the variant "two-way" (NOT TCP): B trusts the old SYN and
            is "connected" to nobody with the wrong numbers, and A never gets a connection.

            The deadlock argument (B's answer is lost; B believes it is connected and sends
            data that A, still waiting, ignores) shows the same gap from another side: a
            two-way handshake commits B before B knows that A heard it. TCP's B stays in
            SYN-RECEIVED, not ESTABLISHED, and retransmits its SYN+ACK until A's ACK arrives
            (scenario lost-syn-ack). On its own this argument is the weaker one: a two-way
            protocol whose client retransmits its SYN would recover from a lost answer. It
            cannot recover from an old duplicate, which is why the RFC rests the case there."""),
        rfc_refs=("RFC 9293 3.4.1", "RFC 9293 3.5 Figure 8", "RFC 793 3.4 Figure 9"),
        scenario="old-duplicate-syn",
        also=(
            Demo(
                "old-duplicate-syn",
                {"variant": "two-way"},
                caption="NOT TCP: a two-way handshake trusts the old SYN",
            ),
            Demo("lost-syn-ack", caption="B waits in SYN-RECEIVED until A's ACK arrives"),
        ),
    ),
    Question(
        id="four-way-close",
        title="Why four segments to close (and when three)",
        lesson="03-close-a-connection-in-four-steps",
        prompt=_text("""
            Opening takes three segments but closing usually takes four. Why? And when does a
            close take only three?"""),
        choices=(
            "Each direction closes with its own FIN. B's TCP acknowledges A's FIN at once, but B's "
            "FIN waits for B's application, so the two usually leave apart.",
            "It is really a three-way handshake: the extra segment only covers for a server too "
            "busy to free its socket resources in time, so a server with spare capacity closes in "
            "three.",
            "A FIN is acknowledged by the peer's application rather than by its TCP, and the "
            "application's acknowledgment always travels in a segment of its own, after any data "
            "still queued.",
            "Both sides must wait 2*MSL before sending their FIN; sending the ACK and the FIN "
            "separately lets the ACK arrive before that timer starts, which keeps the close "
            "orderly.",
        ),
        answer=0,
        explanation=_text("""
            Each direction is closed by its own FIN, and B's TCP acknowledges A's FIN at once while
            B's FIN waits until B's application closes, so the two usually travel apart. When B's
            application closes before that ACK has left, the ACK rides on B's FIN and three
            segments suffice.

            A FIN means only "no more data from sender" (RFC 9293 3.1), and TCP treats CLOSE
            "in a simplex fashion" (3.6): each direction is closed by its own FIN, and each FIN
            is acknowledged. B's ACK of A's FIN comes from B's TCP the moment the FIN arrives
            (3.10.7.4 eighth step: "send an acknowledgment for the FIN", enter CLOSE-WAIT).
            B's FIN comes only when B's application calls close, after sending whatever it
            still has (3.6 case 2), which can be much later: in the scenario B sits in
            CLOSE-WAIT for about a second. In the handshake nothing separates B's ACK from
            B's SYN: B's TCP sends both at once without asking its application.

            Three segments happen when B closes before its ACK has left, typically because
            the ACK was delayed (a delayed ACK may wait up to 0.5 s, 3.8.6.3) and the
            application closed as soon as it read the end of the stream. B then sends one
            FIN+ACK that acknowledges A's FIN, and A, in FIN-WAIT-1, goes straight to TIME-WAIT
            ("If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT",
            3.10.7.4 eighth step). tcpcore acknowledges at once (no delayed ACK), so you see
            this row when B's separate ACK is lost: B's FIN+ACK is then the first to
            acknowledge A's FIN. A simultaneous close also uses four segments, crossed
            (Figure 13)."""),
        rfc_refs=("RFC 9293 3.6", "RFC 9293 3.10.7.4", "RFC 9293 3.8.6.3"),
        scenario="client-closes-first",
        also=(Demo("simultaneous-close", caption="four segments, crossed"),),
    ),
    Question(
        id="time-wait-2msl",
        title="Why TIME-WAIT lasts 2*MSL",
        lesson="05-time-wait-and-keepalive",
        prompt=_text("""
            Why does the side that closes first stay in TIME-WAIT after sending the last ACK,
            and why for twice the maximum segment lifetime (2*MSL)?"""),
        choices=(
            "To be sure its last ACK arrived: if no FIN comes back within 2*MSL the ACK was "
            "received, and 2*MSL is exactly the time of one send plus one reply.",
            "To keep the socket's buffers until the peer's application has read everything; 2*MSL "
            "because the kernel frees the two directions' buffers one MSL apart.",
            "Because the RFC requires every connection to last at least four minutes, to throttle "
            "how fast one host can open connections; TIME-WAIT fills what remains of that time.",
            "If its last ACK is lost, the resent FIN must be acknowledged again, not reset; and "
            "old segments must die out before the same ports are reused.",
        ),
        answer=3,
        explanation=_text("""
            The last ACK may be lost, and the peer's retransmitted FIN must then be acknowledged
            again rather than answered with a RST; and delayed segments of this connection must die
            out before a new one reuses the same addresses and ports. 2*MSL covers a segment's
            lifetime in each direction, after which nothing of this connection can still arrive.

            Reason 1, the lost last ACK. The last ACK is the one segment of the close that
            nobody acknowledges, so its sender cannot know that it arrived. If it is lost, the
            peer in LAST-ACK retransmits its FIN. An endpoint in TIME-WAIT acknowledges that
            FIN again and restarts its 2*MSL timer (RFC 9293 3.10.7.4 eighth step, TIME-WAIT);
            one that had already forgotten the connection would answer with a RST (3.10.7.1),
            and the peer would end with an error instead of a clean close. The scenario loses
            the ACK: B resends its FIN at 3 s and A, still in TIME-WAIT, acknowledges it. With
            time_wait=0.5 A has already forgotten the connection and B gets a RST.

            Reason 2, old duplicates. Segments of this connection may still be in the network
            for up to one MSL. If a new incarnation with the same addresses and ports started
            at once, a delayed segment of the old one could be accepted as new data (3.4.1;
            RFC 1337 describes the hazards when TIME-WAIT is cut short).

            Why twice: the last ACK may need up to one MSL to arrive, and a FIN retransmitted
            just before that up to one more, so after 2*MSL nothing of this connection can
            still be in flight in either direction. The TIME-WAIT end then knows no more
            segments can come, not that its ACK arrived. How long that is depends on whom you
            ask: RFC 9293 takes MSL to be 2 minutes (3.4.2), so TIME-WAIT lasts 4 minutes
            (MUST-13, 3.6.1); Linux fixes it at 60 s (TCP_TIMEWAIT_LEN), with no MSL at all;
            FreeBSD uses 2 * 30 s."""),
        rfc_refs=("RFC 9293 3.4.1", "RFC 9293 3.4.2", "RFC 9293 3.6.1", "RFC 1337"),
        scenario="lost-final-ack",
        also=(
            Demo(
                "lost-final-ack",
                {"time_wait": 0.5},
                caption="without a long enough TIME-WAIT the resent FIN draws a RST",
            ),
            Demo(
                "lost-final-ack",
                {"profile": "linux"},
                caption="Linux: TIME-WAIT is 60 s (a tail loss probe resends the FIN early)",
            ),
        ),
    ),
    Question(
        id="client-crash",
        title="What if the client crashes",
        lesson="05-time-wait-and-keepalive",
        prompt=_text("""
            A connection is established and idle. The client's host loses power: it sends
            neither FIN nor RST. What does the server's TCP do, and when does it notice?"""),
        choices=(
            "It notices within seconds: the client's TCP sends a RST as its host goes down, and "
            "the server's next read() or write() then fails with ECONNRESET.",
            "Nothing while idle: keepalive is off unless the application enables it. With "
            "keepalive it probes after the idle time; data it sends is retried until a limit.",
            "Every TCP probes an idle peer after two hours, then every 75 s, and closes after 10 "
            "unanswered probes: the RFC fixes these numbers so every stack behaves alike.",
            "It moves the connection to TIME-WAIT once the client's silence has lasted 2*MSL, then "
            "deletes it after another 2*MSL without sending a single segment.",
        ),
        answer=1,
        explanation=_text("""
            Nothing at all while the connection is idle: a dead host sends nothing, and keepalive,
            which would probe it, is off unless the application turns it on. With keepalive the
            server gives up after several unanswered probes (how many depends on the stack, not on
            an RFC); with data to send, its retransmissions give up after the retry limit or a user
            timeout.

            A dead host sends nothing, and TCP sends nothing on an idle connection, so without
            help the server never notices. Keepalive is that help, and it is optional: it MUST
            default to off, the application turns it on (SO_KEEPALIVE), and the idle time
            before the first probe MUST default to no less than two hours (RFC 9293 3.8.4,
            RFC 1122 4.2.3.6). A probe is <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, outside the
            peer's window, so a live peer must answer it; any segment received restarts the
            idle timer.

            How many probes, how far apart: no RFC says, except that a single unanswered
            probe MUST NOT count as death (MUST-29). Linux sends 9 probes 75 s apart
            (tcp_keepalive_time 7200, tcp_keepalive_intvl 75, tcp_keepalive_probes 9), so it
            declares the peer dead 7200 + 9*75 = 7875 s after the last segment it received,
            and sends a RST as it gives up; FreeBSD sends 8. The "10 probes" often quoted is
            neither default. The scenario uses short timers (20 s, 5 s, 3 probes); its second
            demonstration uses Linux's real ones.

            If the server has data in flight, keepalive plays no part (probes are sent only on
            an idle connection): retransmissions back off until the limit R2 closes the
            connection (at least 100 s, RFC 9293 3.8.3; Linux tcp_retries2 = 15, about 15
            minutes), or sooner if the application set a user timeout (TCP_USER_TIMEOUT,
            RFC 5482). And if the crashed host comes back first, its TCP has no connection for
            the server's next segment and answers it with a RST: the half-open connection is
            discovered at once (3.5.1 Figure 10; scenario half-open-after-server-reboot, with
            the roles swapped)."""),
        rfc_refs=("RFC 9293 3.8.4", "RFC 1122 4.2.3.6", "RFC 9293 3.8.3", "RFC 5482"),
        scenario="client-crash-keepalive",
        also=(
            Demo(
                "client-crash-keepalive",
                {"profile": "linux", "idle": 7200.0, "interval": 75.0, "probes": 9},
                caption="Linux defaults: 7200 s idle, 9 probes 75 s apart, then a RST",
            ),
            Demo("half-open-after-server-reboot", caption="the rebooted host answers with RST"),
        ),
    ),
    Question(
        id="syn-flood",
        title="SYN floods and SYN cookies",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            What is a SYN flood, why does it keep real clients out, and how do SYN cookies
            defend against it?"""),
        choices=(
            "The attacker opens thousands of complete connections and never closes them; SYN "
            "cookies limit how many connections one client address may keep open at a time.",
            "The attacker sends RSTs with guessed sequence numbers to tear connections down; SYN "
            "cookies make initial sequence numbers unguessable, so the guesses miss.",
            "Forged SYNs fill the queue of half-open connections, so real SYNs are dropped; a SYN "
            "cookie server keeps no state and encodes it in its SYN+ACK's ISN.",
            "The attacker sends SYNs advertising huge windows that exhaust the server's buffers; "
            "SYN cookies cap each new connection's window until its handshake completes.",
        ),
        answer=2,
        explanation=_text("""
            SYNs from forged addresses fill the server's bounded queue of half-open (SYN-RECEIVED)
            connections, which wait for ACKs that never come, so real clients' SYNs are dropped.
            SYN cookies let the server answer without keeping any state: what it needs is encoded
            in the ISN of its SYN+ACK and rebuilt from the ACK that returns ISN+1.

            The attack (RFC 4987 section 2) uses the state a listener keeps between SYN and ACK: on
            a SYN it records the client's ISN, sends SYN+ACK and holds a connection in SYN-RECEIVED
            (RFC 9293 3.10.7.2). SYNs from forged addresses draw SYN+ACKs that no one answers, so
            each half-open connection lives until its SYN+ACK retransmissions run out: 63 s on
            Linux (5 retries, 1, 2, 4, 8 and 16 s apart, then a last wait of 32 s), up to 3 minutes
            under the RFC's rule for SYNs (3.8.3). The queue of half-open connections is bounded
            (the backlog), so a few SYNs a second keep it full, and without cookies a legitimate
            SYN is dropped without an answer. In the scenario (Linux's timers with
            tcp_syncookies=0, backlog 4) A's SYNs at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s are
            dropped; the one at 63.5 s gets in, just after the forged entries give up. Under the
            RFC's timers the forged entries hold the queue for 3 minutes, A's last SYN (at 123.5 s)
            still finds it full, and A gives up without ever getting in.

            SYN cookies (RFC 4987 3.6; Linux net.ipv4.tcp_syncookies, used when the queue
            overflows) make the listener stateless until the handshake completes. The ISN of its
            SYN+ACK is a keyed hash of the addresses, the ports, the client's ISN and a coarse
            clock, with the client's MSS coded in a few bits. The listener then forgets the SYN.
            When an ACK arrives for no connection, it checks that SEG.ACK - 1 is a cookie it could
            have made and only then creates the connection, so forged SYNs cost it nothing. The
            price: options the cookie cannot hold (window scale, SACK-permitted) are lost unless
            TCP timestamps carry them, and a SYN+ACK is never retransmitted, since nothing
            remembers it. Linux turns cookies on by default (tcp_syncookies=1) and uses them only
            while the SYN queue overflows. The first demonstration is Linux with cookies turned off
            (tcp_syncookies=0), to show the problem; the third is the default: the full queue
            answers A's SYN at once with a cookie SYN+ACK, and A's ACK creates its connection at
            0.6 s. Other defences: bigger backlogs, shorter SYN-RECEIVED timers, SYN caches (RFC
            4987 section 3)."""),
        rfc_refs=("RFC 4987 2", "RFC 4987 3.6", "RFC 9293 3.10.7.2", "RFC 9293 3.8.3"),
        scenario="syn-flood",
        scenario_params={"profile": "linux", "syncookies": False},
        also=(
            Demo("syn-flood", caption="RFC timers: A's last SYN still finds the queue full"),
            Demo(
                "syn-flood",
                {"profile": "linux", "syncookies": True},
                caption="Linux's default, tcp_syncookies=1: a cookie SYN+ACK lets A in at once",
            ),
        ),
    ),
    Question(
        id="many-close-wait",
        title="Thousands of CLOSE-WAIT sockets",
        lesson="04-master-the-closing-states",
        prompt=_text("""
            `ss -tan` on a server shows thousands of connections in CLOSE-WAIT, and the
            number keeps growing. What does it mean, and whose fault is it?"""),
        choices=(
            "The clients closed and their FINs were acknowledged, but the server's application "
            "never calls close() on those sockets: a bug in the server.",
            "The clients' final ACKs are being lost on the way, so the server keeps waiting for "
            "them; the network is at fault, and the sockets clear once the loss stops.",
            "The kernel holds closed sockets for 2*MSL before it frees them; it is normal on a "
            "busy server, and each entry ends on its own after four minutes.",
            "A SYN flood is filling the server's queues: each forged SYN leaves a socket behind in "
            "CLOSE-WAIT until its SYN+ACK retransmissions finally give up.",
        ),
        answer=0,
        explanation=_text("""
            The clients have closed and the server's TCP has acknowledged their FINs, but the
            server's application never calls close() on those sockets. CLOSE-WAIT ends only when
            the application closes, so a growing count is a bug in the server's code.

            CLOSE-WAIT is entered when the peer's FIN arrives: the TCP acknowledges it and
            tells the application that the peer has finished sending (RFC 9293 3.10.7.4 eighth
            step; read() returns 0). From there only the local user can move the connection
            on: CLOSE sends our FIN and enters LAST-ACK (3.10.4). No timer of the RFC or of
            Linux ends CLOSE-WAIT by itself (keepalive, if the application turned it on, only
            notices a peer that has vanished), so a growing number of CLOSE-WAIT sockets means the
            application does not close sockets whose peer has left: a close() missing on an
            error path or after read() returns 0, or threads stuck elsewhere while their
            sockets wait. The fix is in the code (close in finally blocks or context managers,
            time out idle clients); no kernel setting helps.

            The scenario runs on Linux and delays B's close by ten minutes. B sits in
            CLOSE-WAIT the whole time. A, whose application has closed, gives up its orphaned
            FIN-WAIT-2 after 60 s (tcp_fin_timeout). When B's FIN finally comes, A has no
            connection left and answers with a RST."""),
        rfc_refs=("RFC 9293 3.10.7.4", "RFC 9293 3.10.4", "RFC 9293 3.6"),
        scenario="client-closes-first",
        scenario_params={"profile": "linux", "server_close_at": 600.0},
    ),
    Question(
        id="many-time-wait",
        title="Thousands of TIME-WAIT sockets",
        lesson="05-time-wait-and-keepalive",
        prompt=_text("""
            A busy server shows tens of thousands of connections in TIME-WAIT. Is that a bug?
            What does it tell you?"""),
        choices=(
            "A bug: the application forgets to call close(), and each forgotten socket then waits "
            "in TIME-WAIT until the process that owns it finally exits.",
            "Normal: this server closes first, so it keeps TIME-WAIT (60 s on Linux); each entry "
            "costs little and blocks only its own addresses and ports.",
            "The clients crashed without sending a FIN, and the server holds each of their "
            "connections in TIME-WAIT until keepalive confirms the client is gone.",
            "A SYN flood is under way: half-open connections that time out are parked in TIME-WAIT "
            "so that the forged addresses cannot retry at once.",
        ),
        answer=1,
        explanation=_text("""
            Not a bug: TIME-WAIT is where the side that closes first ends up, so this server closes
            its connections first, and each entry ends on its own (60 s on Linux). It hurts only
            when new connections need the same four addresses and ports, as when one client opens
            many connections to one server.

            TIME-WAIT ends an orderly close for whichever side closed first (RFC 9293 3.6
            Figure 12). In the scenario the server closes first, so the server waits 2*MSL
            while the client passes CLOSE-WAIT and LAST-ACK and is done; compare with
            client-closes-first. TIME-WAIT ends on its own (240 s in the RFC, 60 s on Linux),
            so many TIME-WAIT sockets only mean that this host closed many connections
            recently: about connections per second times 60 on Linux. Each costs a small
            amount of memory (Linux keeps a reduced "timewait socket") and blocks only its own
            four-tuple (local address and port, remote address and port).

            The limit bites on the side that opens many connections to the same server address
            and port: its ephemeral ports run out. Remedies, best first: reuse connections
            (HTTP keep-alive, pools); let the client close first; SO_REUSEADDR so that a
            restarted server can bind its listening port while old connections sit in
            TIME-WAIT; on Linux, net.ipv4.tcp_tw_reuse for outgoing connections (it relies on
            timestamps, as RFC 6191 does). Do not use SO_LINGER with a zero timeout to avoid
            TIME-WAIT: that aborts with a RST (3.10.5) and discards what was still in flight.
            Contrast CLOSE-WAIT, which never ends on its own and is a bug."""),
        rfc_refs=("RFC 9293 3.6", "RFC 9293 3.6.1", "RFC 6191", "RFC 9293 3.10.5"),
        scenario="server-closes-first",
        also=(
            Demo("client-closes-first", caption="client closes first: the client waits"),
            Demo(
                "time-wait-reuse",
                {"profile": "linux"},
                caption="Linux: a new SYN above RCV.NXT reopens the four-tuple in TIME-WAIT",
            ),
        ),
    ),
    Question(
        id="random-isn",
        title="Why initial sequence numbers are not 0",
        lesson="02-walk-the-three-way-handshake",
        prompt=_text("""
            Why does a TCP connection not simply start its sequence numbers at 0? How does a
            modern stack choose its initial sequence number (ISN)?"""),
        choices=(
            "Zero is reserved: a segment with sequence number 0 is a RST, so a connection that "
            "started there could not be told from one that is being reset.",
            "So that each segment can be encrypted with its sequence number as the key; a fresh "
            "random number for every segment keeps captured traffic unreadable.",
            "To spread connections over the server's CPU cores: the receiving host hashes the ISN "
            "to pick a core, so the ISN must change from one connection to the next.",
            "So that an old incarnation's segments miss the new window, and so that an off-path "
            "attacker cannot guess them: a clock plus a keyed hash.",
        ),
        answer=3,
        explanation=_text("""
            So that segments of an earlier incarnation of the same connection cannot fall into the
            new one's window, and so that an attacker who cannot see the traffic cannot guess the
            numbers. A modern stack computes ISN = M + F(addresses, ports, secret key): a
            4-microsecond clock plus a keyed hash (RFC 6528).

            Two reasons, one old and one newer. Incarnations: a connection is named by its two
            addresses and two ports, and the same four can be used again. If every incarnation
            started at 0, a delayed segment of the previous one would carry numbers the new one
            also uses and could be accepted as new data. RFC 9293 3.4.1 therefore ties ISNs to
            a clock that ticks every 4 microseconds and wraps in about 4.55 hours, far longer
            than an MSL (MUST-8). In the scenario B can tell the old SYN (seq 90) from the
            real one only because A knows which ISN it used.

            Security: a predictable ISN lets an attacker forge a connection from a spoofed
            address (the third segment must acknowledge an ISN the attacker never sees) or
            inject data and resets into a connection (RFC 6528 explains the attack). So the
            ISN SHOULD be ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
            where M is the 4-microsecond clock and F a pseudorandom function with a secret key
            that MUST NOT be computable from outside (3.4.1, SHLD-1, MUST-9). This is not a
            fresh random number each time: for one four-tuple it still grows with the clock,
            while different four-tuples start at unrelated places. tcpcore's Connection
            computes exactly this when it is given no ISS (rfc6528_iss); the scenarios fix
            ISS 100 and 300 only so that their numbers match the RFC's figures."""),
        rfc_refs=("RFC 9293 3.4.1", "RFC 6528 3", "RFC 9293 3.4.2"),
        scenario="old-duplicate-syn",
    ),
    Question(
        id="half-close",
        title="Half-close",
        lesson="04-master-the-closing-states",
        prompt=_text("""
            A calls shutdown(SHUT_WR) on an established connection. Can B still send data to
            A? Which states are A and B in while it does?"""),
        choices=(
            "No: a FIN closes the whole connection, so from then on B may only acknowledge, and "
            "any data B still sends is answered by A with a RST.",
            "Yes, but only what B had queued before A's FIN arrived; B's application cannot write "
            "anything new once its socket is in CLOSE-WAIT.",
            "Yes: A's FIN closes only A's direction. B, in CLOSE-WAIT, may send as long as it "
            "likes, and A, in FIN-WAIT-2, acknowledges it.",
            "Only if A also calls shutdown(SHUT_RD); a socket closed for writing stops receiving "
            "too, until its application asks to read again.",
        ),
        answer=2,
        explanation=_text("""
            Yes: A's FIN closes only the direction from A to B, and B may keep sending for as long
            as it likes. B is in CLOSE-WAIT and A in FIN-WAIT-2, where A receives and acknowledges
            B's data until B's FIN takes it to TIME-WAIT.

            A FIN closes one direction: "it is possible for a connection to be 'half closed',
            i.e., closed in only one direction, and a host is permitted to continue sending
            data in the open direction" (RFC 9293 3.6.1). shutdown(SHUT_WR) is the RFC's
            CLOSE, "I have no more data to send", after which "the user who CLOSEs may
            continue to RECEIVE" (3.6). In the scenario B sends 13 bytes at 2 s from
            CLOSE-WAIT; A, in FIN-WAIT-2, acknowledges them (ack 314), and only B's FIN at 3 s
            takes A to TIME-WAIT.

            close() is different: the application will not read again. The RFC lets a host
            make that a "half-duplex" close that answers later data with a RST (3.6.1 MAY-1,
            SHLD-3), and Linux does. Linux also gives up an orphaned FIN-WAIT-2 (after close())
            after 60 s (tcp_fin_timeout), while after shutdown() A waits for B's FIN as long
            as B likes. So FIN-WAIT-2 means exactly: our FIN is acknowledged and the peer's FIN
            has not arrived. Whether the peer still has data to send is up to its
            application."""),
        rfc_refs=("RFC 9293 3.6", "RFC 9293 3.6.1", "RFC 1122 4.2.2.13"),
        scenario="half-close",
    ),
    Question(
        id="when-rst",
        title="When a RST is sent",
        lesson="06-answer-the-interview-questions",
        prompt="When does a TCP send a RST? Pick the list that is right.",
        choices=(
            "Only when an application aborts a connection with SO_LINGER set to zero; every other "
            "error is reported to the peer by an ICMP message instead.",
            "For a segment that fits no connection (closed port, forgotten connection, an ACK of "
            "nothing sent), on abort, and on close with unread data.",
            "Whenever a segment is lost or arrives out of order, to ask the sender to retransmit "
            "from there; the RST carries the next sequence number expected.",
            "At the end of every connection: after the last ACK, the side in TIME-WAIT sends a RST "
            "so that its peer can free the socket and its buffers at once.",
        ),
        answer=1,
        explanation=_text("""
            A RST answers a segment that is apparently not meant for any connection the receiver
            has: a SYN to a closed port, data for a connection a rebooted host has forgotten, an
            ACK of something never sent. It is also how an application aborts (SO_LINGER 0), and
            how Linux closes a connection whose received data was never read.

            The rule: a RST is sent "whenever a segment arrives that apparently is not intended
            for the current connection. A reset must not be sent if it is not clear that this
            is the case" (RFC 9293 3.5.2).

            No connection: a SYN to a closed port draws <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
            <CTL=RST,ACK>, "connection refused" (3.10.7.1, the scenario); data for a connection
            that a rebooted host has forgotten draws <SEQ=SEG.ACK><CTL=RST> (half-open
            discovery, 3.5.1 Figure 10; scenario half-open-after-server-reboot).
            Not synchronized: A in SYN-SENT answers the SYN+ACK for an old duplicate SYN with a
            RST (3.5 Figure 8; scenario old-duplicate-syn). The user aborts: ABORT sends
            <SEQ=SND.NXT><CTL=RST> and deletes the connection at once, with no FIN and no
            TIME-WAIT (3.10.5; sockets: SO_LINGER with a zero timeout, then close; scenario
            abort). Data is lost: a host whose close() stops reading SHOULD send a RST when
            received data is still unread or arrives later (3.6.1 SHLD-3, RFC 2525 2.17);
            Linux does, as the shipped capture close-unread.pcap shows, and it also resets when
            keepalive gives up.

            What is not answered with a RST: in a synchronized state a segment outside the
            window gets an ACK (3.5.2, third group), and a RST inside the window but not
            exactly at RCV.NXT gets a "challenge ACK" (RFC 5961 3.2), so that a blind attacker
            cannot reset connections by guessing. A RST is never acknowledged or answered.
            One RST is accepted where it does harm: exactly at RCV.NXT it ends TIME-WAIT early
            ("TIME-WAIT assassination", RFC 1337; scenario time-wait-assassination)."""),
        rfc_refs=("RFC 9293 3.5.2", "RFC 9293 3.10.7.1", "RFC 9293 3.10.5", "RFC 2525 2.17"),
        scenario="connection-refused",
        also=(
            Demo("abort", caption="ABORT: <SEQ=SND.NXT><CTL=RST>, no FIN, no TIME-WAIT"),
            Demo("half-open-after-server-reboot", caption="data for a forgotten connection"),
            Demo("old-duplicate-syn", caption="a SYN+ACK for a SYN A never sent"),
            Demo("time-wait-assassination", caption="a stray segment's RST ends TIME-WAIT early"),
        ),
    ),
    Question(
        id="simultaneous-open",
        title="Simultaneous open",
        lesson="02-walk-the-three-way-handshake",
        prompt=_text("""
            Two hosts send each other a SYN at the same moment, for the same pair of addresses
            and ports. How many connections result, and which states does each side go
            through?"""),
        choices=(
            "One connection: each side goes CLOSED, SYN-SENT, SYN-RECEIVED, ESTABLISHED, answering "
            "the other's SYN with a SYN+ACK.",
            "Two connections, one for each SYN, sharing the same pair of ports; each application "
            "sees two sockets and must close one.",
            "None: a SYN arriving in SYN-SENT is an error, so both sides send a RST and the "
            "applications retry after a random back-off.",
            "One, after a tie-break: the side with the higher ISN becomes the server and answers, "
            "while the other returns to LISTEN.",
        ),
        answer=0,
        explanation=_text("""
            One connection, since a connection is named by its pair of sockets and both SYNs name
            the same pair. Each side goes CLOSED, SYN-SENT, SYN-RECEIVED, ESTABLISHED, answering
            the other's SYN with a SYN+ACK.

            A connection is named by its pair of sockets, so crossed SYNs for the same pair
            make one connection, and implementations MUST support it (RFC 9293 3.5 Figure 7,
            MUST-10). Each side, in SYN-SENT, receives a SYN without an ACK: it records the
            peer's ISN, enters SYN-RECEIVED and sends <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
            (3.10.7.3 fourth step). The other side's SYN+ACK acknowledges its SYN and takes it
            to ESTABLISHED. That is four segments instead of three, plus an ACK from each side
            for the SYN+ACK it received, which the figure leaves out and Linux sends
            (the shipped capture simultaneous-open.pcap). Both sides must know each other's
            ports in advance, so it is rare between clients and servers; peer-to-peer NAT
            traversal ("TCP hole punching") relies on it."""),
        rfc_refs=("RFC 9293 3.5 Figure 7", "RFC 9293 3.10.7.3"),
        scenario="simultaneous-open",
    ),
    Question(
        id="simultaneous-close",
        title="Simultaneous close and CLOSING",
        lesson="04-master-the-closing-states",
        prompt=_text("""
            Both applications call close() at the same moment. Which states does each side
            pass through, and who ends in TIME-WAIT?"""),
        choices=(
            "One side wins: its FIN arrives first, so it goes FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, "
            "while the other goes CLOSE-WAIT and LAST-ACK.",
            "Both go straight from FIN-WAIT-1 to CLOSED: each has received a FIN and nothing "
            "remains to acknowledge, so neither waits 2*MSL.",
            "Both stay in FIN-WAIT-1 until their retransmission timers resend the FINs, then pass "
            "FIN-WAIT-2 on their way to TIME-WAIT.",
            "Both go FIN-WAIT-1, then CLOSING (the peer's FIN arrives before the ACK of their "
            "own), then TIME-WAIT: both wait 2*MSL.",
        ),
        answer=3,
        explanation=_text("""
            Both sides go FIN-WAIT-1, then CLOSING (each receives the other's FIN before the ACK of
            its own), then TIME-WAIT. Both closed actively, so both wait 2*MSL.

            RFC 9293 Figure 13. Each FIN leaves before the other arrives, so each side, in
            FIN-WAIT-1, receives a FIN that does not acknowledge its own: it acknowledges that
            FIN and enters CLOSING (3.10.7.4 eighth step, FIN-WAIT-1). The ACK of its own FIN
            then takes it to TIME-WAIT (fifth step, CLOSING). Both sides closed actively, so
            both wait 2*MSL.

            CLOSING is the one state in which the peer's FIN has arrived but ours is not yet
            acknowledged. It appears whenever the FINs cross: when the second application
            closes less than one one-way delay after the first (50 ms in the scenario; 100 ms
            or more across an ocean), or when our FIN was lost and the peer closed meanwhile.
            So "CLOSING is rare" is true of request/response protocols, where one side closes
            in reaction to the other, but it is an ordinary state, not an anomaly: Linux
            passes through it too (the shipped capture simultaneous-close.pcap)."""),
        rfc_refs=("RFC 9293 3.6 Figure 13", "RFC 9293 3.10.7.4"),
        scenario="simultaneous-close",
    ),
    Question(
        id="sequence-space",
        title="What a SYN and a FIN cost in sequence space",
        lesson="01-read-the-tcp-header",
        prompt=_text("""
            A client's SYN carries seq=100. It sends no data, then closes. What acknowledgment
            number does the server put in its ACK of the client's FIN?"""),
        choices=None,
        answer=("102", "ack=102", "ack 102"),
        explanation=_text("""
            102: the SYN occupies 100 and the FIN occupies 101, so the next number the server
            expects is 102. A pure ACK occupies no sequence number, which is why A's last ACK still
            carries seq 102.

            102. The SYN occupies sequence number 100 ("the SYN is considered to occur before
            the first actual data octet", RFC 9293 3.4), so data would start at 101; with no
            data, the FIN is sent with seq 101 and occupies 101 ("the FIN is considered to
            occur after the last actual data octet"). The acknowledgment number is "the next
            sequence number the sender of the segment is expecting to receive" (3.1): 102.
            A pure ACK or a RST occupies nothing: if ACKs took sequence numbers "we would wind
            up ACKing ACKs" (3.5), which is why A's last ACK carries seq 102, the same number
            the FIN pointed past.

            So "the ACK number is the last byte's number plus one" needs two corrections: it
            counts the SYN and FIN as bytes (SEG.LEN includes them, 3.4), and it is cumulative:
            it names the next number expected on the whole connection, not this segment's end.
            A segment that arrives out of order leaves the acknowledgment where it was (a
            duplicate ACK). Likewise "seq is the number of the first data byte" is off by one
            for a SYN: its seq is the ISN, and the first data byte is ISN+1 (3.1)."""),
        rfc_refs=("RFC 9293 3.1", "RFC 9293 3.4", "RFC 9293 3.5"),
        scenario="client-closes-first",
    ),
    Question(
        id="syn-after-handshake",
        title="Can a SYN arrive after the handshake?",
        lesson="02-walk-the-three-way-handshake",
        prompt=_text("""
            "The SYN flag is set only while a connection is being set up; once the handshake
            is done, no segment carries SYN." Is that right?"""),
        choices=(
            "Yes: SYN is set only during setup, so a receiver may treat any SYN that arrives later "
            "as an attack and reset the connection at once.",
            "No: SYN is set on every segment that carries data, so that the receiver can "
            "resynchronize its sequence numbers after a loss.",
            "Only for a correct sender (first segment and its retransmissions); SYNs still arrive "
            "later: retransmitted, old, or from a rebooted peer.",
            "No: both sides set SYN again on their FIN, to resynchronize their sequence numbers "
            "before the connection is closed.",
        ),
        answer=2,
        explanation=_text("""
            For a correct sender it holds: SYN is set on its first segment and on retransmissions
            of it, never later. But a receiver still gets SYNs after the handshake (retransmitted,
            old duplicates, a rebooted peer's new SYN), and answers them with an ACK or a challenge
            ACK that leaves the connection alone.

            The sender's half holds. SYN means "synchronize sequence numbers" (RFC 9293 3.1),
            each side sends it in its first segment, and again only when that segment is
            retransmitted; it occupies one sequence number so that it can be acknowledged like
            data (3.4).

            The receiver's half does not: a SYN can arrive in any state. In SYN-RECEIVED, a
            client that did not get the SYN+ACK retransmits its SYN (the scenario: at 1 s).
            RFC 9293 answers it with an ACK, because a segment before RCV.NXT is not
            acceptable (Table 6; 3.10.7.4 first step); Linux sends its SYN+ACK again. In a
            synchronized state any SYN, in the window or not, gets a challenge ACK and changes
            nothing (3.10.7.4 fourth step, RFC 5961 4.2): that is how a rebooted peer's new SYN
            discovers a half-open connection (3.5.1 Figure 9) and why a forged SYN can no
            longer reset a connection. Two more details: SYN with ACK off is a connection
            request and SYN with ACK on is its acceptance, but in a simultaneous open both
            sides send SYN without ACK first; and a SYN may carry data, which the receiver
            must hold until the connection is established (3.5; TCP Fast Open, RFC 7413,
            relaxes this with a cookie)."""),
        rfc_refs=("RFC 9293 3.1", "RFC 9293 3.10.7.4", "RFC 5961 4", "RFC 9293 3.5.1"),
        scenario="lost-syn-ack",
        also=(Demo("lost-syn-ack", {"profile": "linux"}, caption="Linux resends its SYN+ACK"),),
    ),
    Question(
        id="ack-flag",
        title="Which segments carry no ACK",
        lesson="01-read-the-tcp-header",
        prompt=_text("""
            In a normal connection (handshake, data, close), which segment is the only one
            sent with the ACK flag off?"""),
        choices=None,
        answer=(
            "the first syn",
            "syn",
            "the syn",
            "the client's syn",
            "the client syn",
            "the initial syn",
            "the first segment",
        ),
        explanation=_text("""
            The client's very first SYN, which has nothing to acknowledge yet. Every later segment
            of a normal connection carries ACK, including the SYN+ACK and both FINs.

            The client's first SYN. The acknowledgment field means something only when the
            ACK flag is set ("If the ACK control bit is set, this field contains the value of
            the next sequence number the sender of the segment is expecting to receive. Once a
            connection is established, this is always sent", RFC 9293 3.1). The first SYN has
            nothing to acknowledge yet; every later segment, including the SYN+ACK and both
            FINs, carries ACK. Outside a normal connection a few more segments have ACK off:
            the second SYN of a simultaneous open, a RST answering a segment that had no ACK
            (3.10.7.1), and the RST of an ABORT in the RFC's form <SEQ=SND.NXT><CTL=RST>
            (Linux adds an ACK to it)."""),
        rfc_refs=("RFC 9293 3.1", "RFC 9293 3.10.7.1", "RFC 9293 3.10.5"),
        scenario="client-closes-first",
    ),
    Question(
        id="fin-wait-1",
        title="How long FIN-WAIT-1 lasts",
        lesson="04-master-the-closing-states",
        prompt=_text("""
            FIN-WAIT-1 is said to be "hard to see" in netstat. How long does a connection stay
            in FIN-WAIT-1, and when can you see it for a long time?"""),
        choices=(
            "Exactly 2*MSL, always: it is the first half of the closing wait, and FIN-WAIT-2 is "
            "the second half, which is why both are so rarely seen.",
            "Until its FIN is acknowledged: one round trip with a live peer. It lasts long only "
            "when the peer is gone or its window is zero.",
            "Until the peer's application calls close(): the peer's TCP acknowledges a FIN only "
            "together with its own FIN, never alone.",
            "It is never seen, because the kernel skips it: the socket moves on to FIN-WAIT-2 as "
            "soon as its FIN has been handed to the network card.",
        ),
        answer=1,
        explanation=_text("""
            Until its FIN is acknowledged, and the peer's TCP acknowledges a FIN the moment it
            arrives, so with a live peer FIN-WAIT-1 lasts one round trip. It lasts long only when
            that ACK cannot come: the peer is gone or unreachable, or data queued before the FIN
            waits behind a zero window.

            RFC 9293 3.3.2 defines FIN-WAIT-1 as "waiting for a connection termination request from
            the remote TCP peer, or an acknowledgment of the connection termination request
            previously sent": our FIN is sent (or queued) and not yet acknowledged. The peer's TCP
            acknowledges a FIN as soon as it arrives, without asking its application (3.10.7.4
            eighth step), so with a live peer FIN-WAIT-1 lasts one round trip: in the scenario the
            one-way delay is 0.4 s and A stays in FIN-WAIT-1 for 0.8 s. FIN-WAIT-2, which lasts
            until the peer's application closes, is the one you see for long. FIN-WAIT-1 becomes
            visible when the FIN gets no ACK: the peer's host is down or unreachable and the FIN is
            retransmitted with growing intervals, or the peer's receive window is zero and the FIN
            waits behind unsent data (a FIN follows all data queued before it, 3.10.4). Many
            FIN-WAIT-1 sockets on a server therefore point to clients that vanished without
            reading, not to a bug in the server. If the FIN and the peer's FIN cross, the next
            state is CLOSING, and if the peer's FIN also acknowledges ours, TIME-WAIT directly."""),
        rfc_refs=("RFC 9293 3.3.2", "RFC 9293 3.10.4", "RFC 9293 3.10.7.4"),
        scenario="client-closes-first",
        scenario_params={"delay": 0.4, "server_close_at": 3.0},
    ),
    Question(
        id="fin-ack-in-fin-wait-1",
        title="Does a FIN+ACK mean TIME-WAIT?",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            A has sent its FIN and is in FIN-WAIT-1. A segment arrives from B with both the FIN
            and the ACK flag set. A popular article says A then goes "straight to TIME-WAIT,
            without FIN-WAIT-2". Is that right?"""),
        choices=(
            "Only if its acknowledgment number covers A's FIN; the flags alone do not say. A "
            "FIN+ACK that acknowledges only older data takes A to CLOSING.",
            "Yes: in FIN-WAIT-1 a FIN+ACK always means TIME-WAIT, since the ACK flag is how the "
            "peer says that it has received our FIN and has no more data.",
            "No: A must pass through FIN-WAIT-2 first, so it keeps the FIN, waits for a separate "
            "pure ACK of its own FIN, and only then enters TIME-WAIT.",
            "No: a FIN+ACK in FIN-WAIT-1 means that both sides closed at the same moment, which "
            "always leads to CLOSING before TIME-WAIT.",
        ),
        answer=0,
        explanation=_text("""
            It depends on the acknowledgment number, not on the flags: A goes to TIME-WAIT only
            if the segment acknowledges A's FIN (SEG.ACK = A's SND.NXT), and to CLOSING if it
            does not. The ACK flag is set on almost every segment after the handshake, so it
            says only that the acknowledgment field is valid.

            RFC 9293 3.10.7.4, eighth step, FIN-WAIT-1: "If our FIN has been ACKed (perhaps in
            this segment), then enter TIME-WAIT, start the time-wait timer, turn off the other
            timers; otherwise, enter the CLOSING state." The fifth step has already processed
            the acknowledgment field by then, so "ACKed" means SND.UNA has moved past the FIN.

            In the scenario (a simultaneous close) both FINs carry the ACK flag, yet neither
            acknowledges the other's FIN (A's FIN says ack=301, B's says ack=101: the numbers
            each had before the FINs), so both sides enter CLOSING, not TIME-WAIT. The
            straight-to-TIME-WAIT row happens in a three-segment close, when B's FIN carries
            ack = A's FIN + 1: the shipped capture exchange.pcap shows one (lesson 03)."""),
        rfc_refs=("RFC 9293 3.10.7.4", "RFC 9293 3.6 Figure 13"),
        scenario="simultaneous-close",
        also=(Demo("client-closes-first", caption="B's FIN+ACK after its ACK: FIN-WAIT-2 first"),),
    ),
    Question(
        id="three-segment-close",
        title="When a close takes three segments",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            The article calls the close "essentially a three-way handshake" with one extra
            step. When does a real close take only three segments, and which are they?"""),
        choices=(
            "Never: the ACK of a FIN must leave in a segment of its own, because a FIN+ACK would "
            "acknowledge data that the peer has not even sent yet.",
            "Always on Linux: its TCP waits for the application before it acknowledges a FIN, so "
            "the ACK rides on the server's FIN on every connection.",
            "When the client puts its last data, its FIN and its ACK in one segment; the server "
            "answers with a FIN+ACK, and the client's final ACK ends it.",
            "When B closes before its TCP has acknowledged A's FIN (a delayed ACK): B's FIN "
            "carries that ACK, so the close is FIN, FIN+ACK, ACK.",
        ),
        answer=3,
        explanation=_text("""
            When B's application closes before B's TCP has sent the ACK of A's FIN, B's FIN carries
            that acknowledgment: FIN from A, FIN+ACK from B, ACK from A. A then goes from
            FIN-WAIT-1 straight to TIME-WAIT and B from CLOSE-WAIT to LAST-ACK almost at once.

            The ACK can wait because receivers delay ACKs (up to 0.5 s, RFC 9293 3.8.6.3; Linux
            usually much less), and an application that closes as soon as read() returns 0 often
            closes within that delay. The shipped capture exchange.pcap (lesson 03) shows it on
            Linux: client FIN+ACK, server FIN+ACK acknowledging the client's FIN, client ACK.
            Nothing in the protocol is merged that could not be: the ACK and the FIN are two
            independent pieces of information that happen to leave together, exactly like the ACK
            and the SYN in the handshake's second segment.

            So "the close is really a three-way handshake" is half right: three segments are
            possible, but only when the peer's application is quick, never guaranteed, and the
            extra step is not there because a busy server "cannot allocate resources to close"; it
            is there because B's FIN belongs to B's application (3.6). tcpcore acknowledges at once
            (it has no delayed ACK), so in the scenario, where B's application closes 10 ms after
            A's FIN arrives, B's ACK has already left and the close takes four segments; a stack
            that delays its ACKs would have sent three."""),
        rfc_refs=("RFC 9293 3.6", "RFC 9293 3.8.6.3", "RFC 9293 3.10.7.4"),
        scenario="client-closes-first",
        scenario_params={"server_close_at": 1.06},
    ),
    Question(
        id="syn-in-time-wait",
        title="A new SYN for a connection in TIME-WAIT",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            Server B closed first and sits in TIME-WAIT. The client reconnects from the same
            port, so B receives a SYN for the very same addresses and ports. What may B do?"""),
        choices=(
            "Reset it: a SYN in any synchronized state means that the peer has rebooted, so B "
            "sends a RST and deletes its TIME-WAIT entry.",
            "Open a new connection if the SYN's sequence number or timestamp is beyond the old "
            "one's, as RFC 9293 allows and Linux does.",
            "Drop it without an answer: the four-tuple is locked until 2*MSL has passed, and the "
            "client must wait it out or retry from another port.",
            "Accept any SYN at once: TIME-WAIT protects only against old FINs, and a SYN cannot "
            "be an old duplicate because it opens a new connection.",
        ),
        answer=1,
        explanation=_text("""
            B MAY accept it and reopen the connection straight from TIME-WAIT, provided the new
            connection cannot be confused with the old one: its ISN must be above the old
            connection's sequence numbers, or its TCP timestamp newer than the old one's.
            Linux does exactly that; otherwise the SYN gets a challenge ACK and changes
            nothing.

            RFC 9293 3.6.1 (MAY-2): a host in TIME-WAIT "MAY accept a new SYN from the remote
            TCP endpoint to reopen the connection directly from TIME-WAIT state", if it
            "assigns its initial sequence number for the new connection to be larger than the
            largest sequence number it used on the previous connection incarnation" and
            "returns to TIME-WAIT state if the SYN turns out to be an old duplicate". With
            timestamps, RFC 6191 gives the better test, and it SHOULD be implemented (SHLD-4);
            3.10.7.4 fourth step says the same for TIME-WAIT. Linux (tcp_timewait_state_process)
            accepts the SYN when its sequence number is after the old RCV.NXT or its timestamp
            is newer than the last one seen.

            Other synchronized states answer a SYN with a challenge ACK (RFC 5961 4.2; lesson
            02's syn-after-handshake). TIME-WAIT is the exception because the connection is
            over: the only danger is an old duplicate, and the sequence or timestamp test
            rules that out. This is why a client that reconnects from the same port to a
            server that closed first usually succeeds on Linux. The scenario runs exactly this
            under linux: B goes TIME-WAIT -> SYN-RECEIVED -> ESTABLISHED, with a new ISS of the
            old SND.NXT + 65537 as Linux picks it. The second ladder is the same SYN under
            tcpcore's rfc9293 profile, which answers it with a challenge ACK, the conservative
            reading."""),
        rfc_refs=("RFC 9293 3.6.1", "RFC 9293 3.10.7.4", "RFC 6191", "RFC 5961 4.2"),
        scenario="time-wait-reuse",
        scenario_params={"profile": "linux"},
        also=(Demo("time-wait-reuse", caption="rfc9293: a challenge ACK, TIME-WAIT goes on"),),
    ),
    Question(
        id="so-reuseaddr",
        title="Restarting a server: EADDRINUSE and SO_REUSEADDR",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            You restart a server right after it closed its connections (it closed them first).
            bind() on port 80 fails with EADDRINUSE. Why, and what does SO_REUSEADDR
            change?"""),
        choices=(
            "The old process is still running in the background; SO_REUSEADDR kills it and takes "
            "over its port, which is why it is unsafe in production.",
            "Port 80 stays locked for 2*MSL after any connection on it ends; SO_REUSEADDR "
            "shortens TIME-WAIT to zero for every connection made on that socket.",
            "Its old connections sit in TIME-WAIT on port 80, and bind() refuses a port still in "
            "use; SO_REUSEADDR lets a new listener bind anyway.",
            "The kernel keeps the old listening socket in CLOSE-WAIT until every client has "
            "closed; SO_REUSEADDR resets those clients so that the port is freed.",
        ),
        answer=2,
        explanation=_text("""
            The server closed first, so its old connections are in TIME-WAIT, and each still holds
            local port 80; by default bind() refuses a local address that any socket still uses.
            SO_REUSEADDR lets the new listening socket bind anyway, while the old connections
            finish their TIME-WAIT untouched.

            TIME-WAIT protects one four-tuple (local and remote address and port), not a port: a
            new connection from another client, or from another port, can never be confused with an
            old one. bind() is stricter than it needs to be because it is checked before any remote
            address is known. SO_REUSEADDR (on Linux: allowed unless another socket is listening on
            the same address and port) removes only that over-strict check; the kernel still
            refuses a new connection whose four-tuple is in TIME-WAIT, apart from the
            SYN-in-TIME-WAIT rule (RFC 9293 3.6.1 MAY-2). Every server should set it before bind();
            Python's http.server and asyncio's create_server do.

            It is not SO_REUSEPORT (several live sockets sharing a port), nor net.ipv4.tcp_tw_reuse
            (outgoing connections reusing a TIME-WAIT four-tuple, relying on timestamps), nor
            SO_LINGER 0 (which skips TIME-WAIT with a RST, 3.10.5). In the scenario B closes first,
            and B, not A, spends 60 s in TIME-WAIT on port 80."""),
        rfc_refs=("RFC 9293 3.6.1", "RFC 9293 3.10.5", "RFC 6191"),
        scenario="server-closes-first",
        scenario_params={"profile": "linux"},
    ),
    Question(
        id="time-wait-assassination",
        title="TIME-WAIT assassination (RFC 1337)",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            A is in TIME-WAIT. An old duplicate segment arrives and A answers it with an ACK;
            B, which has already forgotten the connection, answers that ACK with a RST. What
            happens to A's TIME-WAIT, and what does RFC 1337 say about it?"""),
        choices=(
            "Under RFC 9293 and Linux's default the RST ends A's TIME-WAIT at once; RFC 1337 "
            "calls this assassination and proposes ignoring it.",
            "Nothing: a RST is never accepted in TIME-WAIT, because RFC 9293 requires that "
            "TIME-WAIT last the full 2*MSL, whatever may arrive in the meantime.",
            "A answers the RST with a RST of its own and restarts its 2*MSL timer, which is the "
            "exchange that RFC 1337 calls a RST war and forbids.",
            "A returns to ESTABLISHED to resynchronize, since a RST means the peer lost its "
            "state; RFC 1337 forbids this and requires a new handshake.",
        ),
        answer=0,
        explanation=_text("""
            The RST is acceptable (it carries the right sequence number, the one A's ACK asked
            for), so A deletes the connection and TIME-WAIT ends early: RFC 1337 calls this
            TIME-WAIT assassination. It proposes that TIME-WAIT ignore RSTs; Linux does so only
            with net.ipv4.tcp_rfc1337=1, and by default closes like RFC 9293.

            RFC 9293 3.10.7.4, second step, TIME-WAIT: "If the RST bit is set, then enter the
            CLOSED state, delete the TCB, and return." RFC 1337 section 2 shows the hazards of
            cutting TIME-WAIT short this way: an old data segment may then be accepted by a new
            incarnation of the connection (H1), an old ACK may desynchronize it (H2), or the new
            connection may be reset (H3). Its fix (section 3): "ignore RST segments in
            TIME-WAIT state". The hazards need an old duplicate at the wrong moment, so the
            default has stayed.

            tcpcore has both behaviours as profiles: rfc9293 and linux close on a RST in
            TIME-WAIT (the profile switch ignore_rst_in_time_wait is off), linux-rfc1337 ignores
            it. The scenario replays the assassination: a delayed copy of A's last ACK reaches
            B, which has closed and answers <SEQ=SEG.ACK><CTL=RST>, exactly at A's RCV.NXT, and
            A leaves TIME-WAIT at once. The second ladder is the same run under linux-rfc1337:
            A ignores the RST and waits its full 60 s."""),
        rfc_refs=("RFC 1337 2", "RFC 1337 3", "RFC 9293 3.10.7.4"),
        scenario="time-wait-assassination",
        also=(
            Demo(
                "time-wait-assassination",
                {"profile": "linux-rfc1337"},
                caption="linux-rfc1337: the RST is ignored, TIME-WAIT runs its 60 s",
            ),
        ),
    ),
    Question(
        id="half-connection",
        title="What is a 半连接 (half connection)?",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            The article calls FIN-WAIT-2 a 半连接 ("half connection"). Most Chinese interview
            material means something else by 半连接: the entries of the 半连接队列. Which state
            is a 半连接 in that usual sense, and what are the article's FIN-WAIT-2 and RFC
            9293's "half-open" connection?"""),
        choices=(
            "All three name FIN-WAIT-2: the side that closed first is half connected until its "
            "peer's FIN arrives, whichever book or standard you read.",
            "A 半连接 is a connection in CLOSE-WAIT whose peer has left while the application "
            "keeps it open; FIN-WAIT-2 and half-open mean the same state.",
            "A 半连接 has completed its handshake but waits in the accept queue for accept(); "
            "FIN-WAIT-2 is what the RFC calls half-open.",
            "SYN-RECEIVED, in the SYN queue awaiting the client's ACK. FIN-WAIT-2 is half-closed; "
            "RFC 9293's half-open means one side lost its state.",
        ),
        answer=3,
        explanation=_text("""
            In the usual sense a 半连接 is a server-side connection in SYN-RECEIVED: it has
            received a SYN and sent a SYN+ACK, and waits in the SYN queue (半连接队列) for the
            client's ACK. The article's FIN-WAIT-2 is a half-closed connection (one direction
            closed), and RFC 9293's "half-open" connection is a third thing again.

            The three terms, precisely. Half-open (RFC 9293 3.5.1): "one of the TCP peers has
            closed or aborted the connection at its end without the knowledge of the other, or if
            the two ends of the connection have become desynchronized owing to a failure or reboot
            that resulted in loss of memory"; a crashed client leaves one (lesson 05). Half-closed
            (3.6.1): "closed in only one direction"; FIN-WAIT-2 on the side that closed, CLOSE-WAIT
            on the other. The SYN queue's entries are what RFC 4987 calls half-open connections
            too, which is where the Chinese 半连接 comes from; the accept queue (全连接队列) holds
            connections that are ESTABLISHED and wait for accept().

            The article's own description of FIN-WAIT-2 ("I still have some data to send you, I
            will close later") describes the peer, not FIN-WAIT-2: a socket is in FIN-WAIT-2
            because its FIN was acknowledged and the peer's FIN has not arrived, whether or not the
            peer has more to send. The scenario fills the SYN queue with four 半连接 from forged
            addresses."""),
        rfc_refs=("RFC 9293 3.5.1", "RFC 9293 3.6.1", "RFC 4987 2"),
        scenario="syn-flood",
        scenario_params={"profile": "linux"},
    ),
    Question(
        id="listen-queues",
        title="The SYN queue, the accept queue and SYN cookies",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            A Linux server calls listen(fd, backlog), and a burst of clients connects. Where
            does each connection wait before accept() returns it, and what happens when the
            queues are full (with SYN cookies on, Linux's default)?"""),
        choices=(
            "In one queue of length backlog, from the first SYN until accept(); when it is full, "
            "new SYNs are answered with a RST so that clients fail fast.",
            "Half-open ones wait in the SYN queue, established ones in the accept queue. When "
            "the SYN queue overflows, SYN cookies answer keeping no state.",
            "Nowhere: the kernel hands every SYN to the application, whose accept() sends the "
            "SYN+ACK, so the backlog only limits how many threads wait.",
            "In the accept queue only; the client keeps the SYN and resends it until the "
            "server's application calls accept() and answers it at last.",
        ),
        answer=1,
        explanation=_text("""
            Two queues: connections in SYN-RECEIVED wait in the SYN queue for the client's ACK, and
            ESTABLISHED ones wait in the accept queue until accept() takes them (its length is
            listen()'s backlog, capped by net.core.somaxconn). When the SYN queue overflows, Linux
            (tcp_syncookies=1) answers each further SYN with a SYN cookie and keeps nothing; when
            the accept queue is full, it drops the client's ACK, keeps the connection in
            SYN-RECEIVED and retransmits its SYN+ACK.

            The SYN+ACK is sent by the kernel, never by the application: by the time accept()
            returns, the handshake is long over (RFC 9293 3.10.7.2; the user's OPEN only creates
            the LISTEN). A client whose ACK was dropped believes it is connected; the server
            retransmits its SYN+ACK, and the connection moves to the accept queue when room appears
            (with tcp_abort_on_overflow=1 it is reset instead). `ss -ltn` shows a listener's accept
            queue: Recv-Q is how many connections wait, Send-Q the backlog.

            A SYN cookie (RFC 4987 3.6) is the ISN of the SYN+ACK: a keyed hash of the addresses,
            ports, the client's ISN and a coarse clock, with the client's MSS coded in two bits.
            The scenario fills the SYN queue (backlog 4) with forged SYNs; A's SYN then gets a
            cookie SYN+ACK (not retransmitted: nothing remembers it), and A's ACK, returning cookie
            + 1, makes B create A's connection directly in ESTABLISHED. The second demonstration
            turns cookies off (tcp_syncookies=0) and A waits 63 s."""),
        rfc_refs=("RFC 4987 3.6", "RFC 9293 3.10.7.2", "RFC 4987 2"),
        scenario="syn-flood",
        scenario_params={"profile": "linux", "syncookies": True},
        also=(
            Demo(
                "syn-flood",
                {"profile": "linux"},
                caption="tcp_syncookies=0: A's SYNs are dropped until the forged entries give up",
            ),
        ),
    ),
    Question(
        id="rst-on-close-with-unread-data",
        title="close() with unread data",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            A server reads the first line of a request, then calls close() while more bytes
            from the client still sit unread in its receive buffer. What goes on the wire?"""),
        choices=(
            "A normal FIN: the unread bytes were already acknowledged and are thrown away, and "
            "the client sees an orderly close after reading the response.",
            "Nothing until the client sends again: the kernel keeps the socket in CLOSE-WAIT "
            "until another process has read what is left in the buffer.",
            "A RST instead of a FIN, as Linux does and the RFC recommends: data was lost, so the "
            "client gets a reset and may lose the reply unread.",
            "A FIN, once the kernel has passed the unread bytes on to the next process that "
            "accepts on the same port, so that none of the data is lost.",
        ),
        answer=2,
        explanation=_text("""
            Linux sends a RST instead of a FIN, because data the client sent will never be read:
            the RST tells the client that its data was lost. RFC 9293 says a host SHOULD do this
            (3.6.1, SHLD-3), after RFC 2525 2.17 listed failing to do it as a known implementation
            problem.

            RFC 9293 3.6.1: "If such a host issues a CLOSE call while received data is still
            pending in the TCP connection, or if new data is received after CLOSE is called, its
            TCP implementation SHOULD send a RST to show that data was lost" (SHLD-3). The shipped
            capture close-unread.pcap shows Linux doing it: the client's 22 bytes are acknowledged,
            then the server's close() sends RST+ACK and no FIN at all. A later segment that arrives
            after close() draws a RST too.

            The consequence for the client: a RST makes its TCP delete the connection, and a
            response the server wrote just before close() may be discarded before the client reads
            it ("connection reset by peer" instead of the reply). HTTP servers avoid it by reading
            what remains (a "lingering close") or by shutdown(SHUT_WR) first. The scenario here is
            the other RST a close can send, an ABORT (SO_LINGER with a zero timeout):
            <SEQ=SND.NXT><CTL=RST>, no FIN, no TIME-WAIT."""),
        rfc_refs=("RFC 9293 3.6.1", "RFC 2525 2.17", "RFC 9293 3.10.5"),
        scenario="abort",
        scenario_params={"profile": "linux"},
    ),
    Question(
        id="ss-during-the-handshake",
        title="What ss shows when the third segment is lost",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            The third segment of a handshake (A's ACK) is lost. For the next second, what does
            `ss -tan` show on A and on B for this connection?"""),
        choices=(
            "A shows ESTAB, since it sent its ACK and may send data; B shows SYN-RECV until A's "
            "ACK or data arrives, invisible to accept().",
            "Both show SYN-SENT: neither side is connected until B has acknowledged A's ACK, "
            "which takes a fourth segment that B has not sent yet either.",
            "A shows SYN-SENT until B confirms that A's ACK arrived; B shows ESTAB, because "
            "receiving A's SYN was enough for B's TCP to connect.",
            "Both show ESTAB: each side has sent a SYN and received one, so the connection is "
            "open on both sides even if that ACK never arrives.",
        ),
        answer=0,
        explanation=_text("""
            A shows ESTAB: it entered ESTABLISHED when the SYN+ACK arrived and sent the ACK. B
            shows SYN-RECV until an ACK (or a data segment, which also carries one) arrives, and
            the connection stays in B's SYN queue, invisible to accept().

            `ss` prints the kernel's state names, which are the RFC's with small changes: ESTAB,
            SYN-SENT, SYN-RECV, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, LAST-ACK, CLOSING, TIME-WAIT,
            LISTEN (and UNCONN for a socket that is not connected). B's TCP retransmits its SYN+ACK
            (RFC 9293 3.8.1; Linux tcp_synack_retries), and A answers each one with the ACK again,
            since the SYN+ACK is now a duplicate (3.10.7.4 first step). Usually A's first data
            segment arrives before that and completes B's handshake: it carries the same
            acknowledgment.

            The scenario loses A's ACK: A is ESTABLISHED from 0.1 s, while B stays in SYN-RECEIVED
            until 1.15 s, when the ACK that A sent again in answer to B's retransmitted SYN+ACK
            arrives. This is the deadlock of the article's two-way argument, defused: B is not yet
            committed, so it keeps asking."""),
        rfc_refs=("RFC 9293 3.8.1", "RFC 9293 3.10.7.4", "RFC 9293 3.3.2"),
        scenario="lost-final-ack",
        scenario_params={"phase": "handshake", "profile": "linux"},
    ),
    Question(
        id="ss-during-the-close",
        title="What ss shows during a close",
        lesson="06-answer-the-interview-questions",
        prompt=_text("""
            A client closes first. The server's TCP acknowledges the FIN, but the server's
            application has not closed yet. What does `ss -tan` show on each side during that
            pause, and after the server closes (Linux)?"""),
        choices=(
            "Client FIN-WAIT-1, server CLOSING; once the server closes, both sides move to "
            "TIME-WAIT and stay there for 60 s, 2*MSL on Linux.",
            "Client TIME-WAIT, server LAST-ACK; once the server closes, the client stays in "
            "TIME-WAIT and the server's entry disappears at once.",
            "Client CLOSE-WAIT, server FIN-WAIT-2; once the server closes, the server shows "
            "TIME-WAIT for 60 s and the client's entry disappears.",
            "Client FIN-WAIT-2, server CLOSE-WAIT; then server LAST-ACK until the last ACK, and "
            "the client TIME-WAIT for 60 s.",
        ),
        answer=3,
        explanation=_text("""
            During the pause the client shows FIN-WAIT-2 (its FIN is acknowledged) and the server
            CLOSE-WAIT (it received a FIN, its application has not closed). When the server closes
            it shows LAST-ACK until the client's last ACK arrives, and the client shows TIME-WAIT
            for 60 s.

            Each name is one clause of RFC 9293 3.10.7.4: the ACK of the client's FIN moves it from
            FIN-WAIT-1 to FIN-WAIT-2 (fifth step); the FIN moves the server from ESTABLISHED to
            CLOSE-WAIT (eighth step); the server's CLOSE sends its FIN and enters LAST-ACK
            (3.10.4); that FIN moves the client to TIME-WAIT (eighth step); the last ACK moves the
            server to CLOSED (fifth step), and its `ss` line disappears. FIN-WAIT-1 lasts one round
            trip, too short for `ss` to catch on a healthy network.

            Two Linux details: `ss -tano` adds the timer (timer:(timewait,59sec,0)); and an
            orphaned FIN-WAIT-2 (the client called close(), not shutdown()) is dropped after
            tcp_fin_timeout, 60 s, if the server never closes. The scenario is client-closes-first
            on the linux profile: B is in CLOSE-WAIT from 1.05 s to 2.0 s, A in FIN-WAIT-2 from 1.1
            s to 2.05 s, then in TIME-WAIT until 62.05 s."""),
        rfc_refs=("RFC 9293 3.10.7.4", "RFC 9293 3.10.4", "RFC 9293 3.3.2"),
        scenario="client-closes-first",
        scenario_params={"profile": "linux"},
    ),
)

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
    from .quiz_zh import ZH_CN  # data beside the questions, loaded when first asked for

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
