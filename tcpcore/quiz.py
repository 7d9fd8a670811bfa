"""The classic interview questions about opening and closing TCP connections, as data.

Each :class:`Question` holds a prompt, its answer (a choice, or the short answers accepted), an
explanation that says precisely what is true and cites the RFC clause that decides it, and the
simulation that demonstrates it: a scenario of :mod:`tcpcore.scenarios` with its parameters and
profile, plus further demonstrations in ``also``. A lesson asks the question, lets the student
commit to an answer, then runs the scenario and shows the trace (predict, then reveal)::

    from tcpcore import quiz
    q = quiz.get("time-wait-2msl")
    q.prompt, q.choices
    quiz.check("time-wait-2msl", 1)     # (True, explanation)
    trace = q.run()                      # the scenario that shows the answer

Questions are data: tests run every scenario and assert the facts each explanation relies on
(tests/test_quiz.py), so an explanation cannot drift away from what the reference does.
Where the reference does not simulate something an explanation mentions (SYN cookies, delayed
ACKs), the explanation says so and cites the RFC instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .scenarios import SCENARIOS, run_scenario
from .trace import Trace

__all__ = ["QUESTIONS", "Demo", "Question", "QuizError", "check", "get", "ids"]


class QuizError(LookupError):
    """An unknown question id, or an answer of a kind the question cannot take."""


def _frozen(params: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(params))


@dataclass(frozen=True, slots=True)
class Demo:
    """One simulation that shows an answer: a scenario, the keyword arguments of
    :func:`~tcpcore.scenarios.run_scenario` for it (``profile`` among them), and a caption."""

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
    :func:`~tcpcore.scenarios.run_scenario` (``profile`` and ``seed`` included), so that
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
        """(whether ``answer`` is right, the explanation). A choice may be given by its index,
        its letter ("b") or its text; a short answer as text (or a number)."""
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


# -- the questions, in the order lesson 06 asks them ---------------------------------------------

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
            "The third segment is needed to agree on the window size.",
            "Each side's initial sequence number must be acknowledged by the other, and the "
            "receiver of a SYN cannot tell an old duplicate SYN from a new one: only the "
            "initiator can, so it must confirm. With two segments an old SYN would open a "
            "connection nobody asked for.",
            "The third segment carries the first data, which saves a round trip.",
            "Two segments would do; the third only helps on slow links.",
        ),
        answer=1,
        explanation=_text("""
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
            "FIN segments are unreliable, so each is sent twice.",
            "Each direction closes on its own. B's TCP acknowledges A's FIN at once, but B's "
            "FIN waits until B's application closes, so the ACK and the FIN usually leave "
            "separately. If B's application closes before that ACK has left, the ACK rides on "
            "B's FIN and three segments suffice.",
            "The server must wait 2*MSL before it may send its FIN.",
            "Always exactly four: three segments would leave one direction open.",
        ),
        answer=1,
        explanation=_text("""
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
            "To wait for the peer's application to finish reading.",
            "Its last ACK may be lost: the peer then resends its FIN, which must be "
            "acknowledged again rather than answered with a RST. And old duplicates of this "
            "connection must die out before a new connection reuses the same addresses and "
            "ports. 2*MSL covers a segment's lifetime in each direction.",
            "To give the kernel time to free the socket's memory.",
            "Because the RFC requires every connection to last at least 4 minutes.",
        ),
        answer=1,
        explanation=_text("""
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
            "It notices at once: the client's TCP sends a RST as it dies.",
            "Nothing, unless keepalive is on (it is off by default) or the server sends "
            "data. With keepalive it probes after the idle time and gives up when several "
            "probes go unanswered; with data in flight, its retransmissions give up after the "
            "retransmission limit or the user timeout.",
            "It probes every 75 s from the start and gives up after 10 probes, on every system.",
            "It closes the connection after 2*MSL.",
        ),
        answer=1,
        explanation=_text("""
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
            "cookies are a browser feature that limits connections per site.",
            "The attacker sends SYNs from forged addresses. Each leaves the server a half-open "
            "connection in SYN-RECEIVED until its SYN+ACK retransmissions give up; when the "
            "queue of those is full, real clients' SYNs are dropped. With SYN cookies the "
            "server keeps no state for a SYN: it encodes what it needs in its ISN and rebuilds "
            "the connection from the ACK that returns ISN+1.",
            "The attacker sends RSTs with guessed sequence numbers; SYN cookies make the "
            "sequence numbers unguessable.",
            "The attacker sends one huge SYN; SYN cookies cap the segment size.",
        ),
        answer=1,
        explanation=_text("""
            The attack (RFC 4987 section 2) uses the state a listener keeps between SYN and
            ACK: on a SYN it records the client's ISN, sends SYN+ACK and holds a connection in
            SYN-RECEIVED (RFC 9293 3.10.7.2). SYNs from forged addresses draw SYN+ACKs that
            no one answers, so each half-open connection lives until its SYN+ACK
            retransmissions run out: 63 s on Linux (5 retries, 1, 2, 4, 8 and 16 s apart, then
            a last wait of 32 s), up to 3 minutes under the RFC's rule for SYNs (3.8.3). The
            queue of half-open connections is bounded (the backlog), so a few SYNs a second
            keep it full, and a legitimate SYN is dropped without an answer. In the scenario
            (Linux, backlog 4) A's SYNs at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s are dropped; the
            one at 63.5 s gets in, just after the forged entries give up. Under the RFC's
            timers the forged entries hold the queue for 3 minutes, A's last SYN (at 123.5 s)
            still finds it full, and A gives up without ever getting in.

            SYN cookies (RFC 4987 3.6; Linux net.ipv4.tcp_syncookies, used when the queue
            overflows) make the listener stateless until the handshake completes. The ISN of
            its SYN+ACK is a keyed hash of the addresses, the ports and a coarse clock, with
            the client's MSS coded in a few bits. The listener then forgets the SYN. When an
            ACK arrives for no connection, it checks that SEG.ACK - 1 is a cookie it could
            have made and only then creates the connection, so forged SYNs cost it nothing.
            The price: options the cookie cannot hold (window scale, SACK-permitted) are lost
            unless TCP timestamps carry them, and a SYN+ACK is never retransmitted, since
            nothing remembers it. tcpcore models the backlog, not cookies: the scenario shows
            the problem the cookies solve. Other defences: bigger backlogs, shorter
            SYN-RECEIVED timers, SYN caches (RFC 4987 section 3)."""),
        rfc_refs=("RFC 4987 2", "RFC 4987 3.6", "RFC 9293 3.10.7.2", "RFC 9293 3.8.3"),
        scenario="syn-flood",
        scenario_params={"profile": "linux"},
        also=(Demo("syn-flood", caption="RFC timers: A's last SYN still finds the queue full"),),
    ),
    Question(
        id="many-close-wait",
        title="Thousands of CLOSE-WAIT sockets",
        lesson="04-master-the-closing-states",
        prompt=_text("""
            `ss -tan` on a server shows thousands of connections in CLOSE-WAIT, and the
            number keeps growing. What does it mean, and whose fault is it?"""),
        choices=(
            "The network is losing the clients' final ACKs; it is the network's fault.",
            "The clients have closed and their FINs were acknowledged, but the server's "
            "application never calls close() on those sockets: a bug in the server's code. "
            "CLOSE-WAIT ends only when the application closes.",
            "The kernel is waiting 2*MSL before freeing them; it is normal.",
            "A SYN flood is filling the server's queues.",
        ),
        answer=1,
        explanation=_text("""
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
            "Yes: the application forgets to call close().",
            "Not a bug: TIME-WAIT is where the side that closed first ends up, so this server "
            "closes its connections first. Each entry costs a little memory and holds its four "
            "addresses and ports for 60 s on Linux; it hurts only when new connections need "
            "the same four (many outgoing connections to one server).",
            "Yes: the clients crashed and never sent their FIN.",
            "It means a SYN flood is under way.",
        ),
        answer=1,
        explanation=_text("""
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
            "Zero is reserved for RST segments.",
            "So that segments of an old incarnation of the same connection cannot fall into "
            "the new one's window, and so that an attacker who cannot see the traffic cannot "
            "guess the numbers: ISN = M + F(addresses, ports, secret), a 4-microsecond clock "
            "plus a keyed hash (RFC 6528).",
            "To compress headers better.",
            "ISNs are drawn from a fresh uniform random number for every segment.",
        ),
        answer=1,
        explanation=_text("""
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
            "No: once one side sends FIN, no more data may flow in either direction.",
            "Yes: A's FIN closes only A's direction. B, in CLOSE-WAIT, may send for as long "
            "as it likes; A, in FIN-WAIT-2, receives and acknowledges the data, and reaches "
            "TIME-WAIT only when B's FIN arrives.",
            "Yes, but only one more segment, inside the same round trip.",
            "Only if A calls shutdown again with SHUT_RD.",
        ),
        answer=1,
        explanation=_text("""
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
            "Only when an application aborts.",
            "When a segment arrives for no connection (a SYN to a port where nothing listens, "
            "data for a connection a rebooted host has forgotten), when an endpoint that has "
            "not completed its handshake receives an ACK of something it never sent, when an "
            "application aborts (SO_LINGER 0), and, on Linux, when an application closes with "
            "data it has not read.",
            "Whenever a segment is lost, to make the sender retransmit.",
            "At the end of every connection, after the last ACK.",
        ),
        answer=1,
        explanation=_text("""
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
            "Two connections, one in each direction.",
            "One connection: each side goes CLOSED, SYN-SENT, SYN-RECEIVED, ESTABLISHED, "
            "answering the other's SYN with a SYN+ACK.",
            "None: both SYNs are refused with RSTs.",
            "One, but only after one side backs off and tries again.",
        ),
        answer=1,
        explanation=_text("""
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
            "One side wins: it goes through FIN-WAIT-1, FIN-WAIT-2 and TIME-WAIT; the other "
            "through CLOSE-WAIT and LAST-ACK.",
            "Both go FIN-WAIT-1, then CLOSING (each receives the other's FIN before the ACK of "
            "its own), then TIME-WAIT: both wait 2*MSL.",
            "Both go straight to CLOSED: there is nothing left to acknowledge.",
            "Both stay in FIN-WAIT-1 until one of them times out.",
        ),
        answer=1,
        explanation=_text("""
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
            "Yes: a segment with SYN can never arrive after the handshake.",
            "For a correct sender, yes: it sets SYN on its first segment and on retransmissions "
            "of it only. But segments with SYN still arrive later: a retransmitted SYN whose "
            "answer was lost, an old duplicate, a new SYN from a rebooted peer. The receiver "
            "answers them with an ACK (a challenge ACK, RFC 5961) and leaves the connection "
            "alone.",
            "No: SYN is set on every segment that carries data.",
            "No: both sides set SYN again when they close.",
        ),
        answer=1,
        explanation=_text("""
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
            "Exactly 2*MSL, always.",
            "Until its FIN is acknowledged: one round trip when the peer's TCP is alive, "
            "whatever the peer's application does, which is why it is brief. It lasts while "
            "the FIN is retransmitted to a peer that is gone or unreachable, or while data "
            "queued before the FIN cannot leave because the peer's window is zero.",
            "Until the peer's application calls close().",
            "It is never visible: the kernel skips it.",
        ),
        answer=1,
        explanation=_text("""
            FIN-WAIT-1 means "our FIN is sent (or queued) and not yet acknowledged" (RFC 9293
            3.3.2). The peer's TCP acknowledges a FIN as soon as it arrives, without asking its
            application (3.10.7.4 eighth step), so with a live peer FIN-WAIT-1 lasts one round
            trip: in the scenario the one-way delay is 0.4 s and A stays in FIN-WAIT-1 for 0.8 s.
            FIN-WAIT-2, which lasts until the peer's application closes, is the one you see
            for long. FIN-WAIT-1 becomes visible when the FIN gets no ACK: the peer's host is
            down or unreachable and the FIN is retransmitted with growing intervals, or the
            peer's receive window is zero and the FIN waits behind unsent data (a FIN follows
            all data queued before it, 3.10.4). Many FIN-WAIT-1 sockets on a server therefore
            point to clients that vanished without reading, not to a bug in the server. If
            the FIN and the peer's FIN cross, the next state is CLOSING, and if the peer's FIN
            also acknowledges ours, TIME-WAIT directly."""),
        rfc_refs=("RFC 9293 3.3.2", "RFC 9293 3.10.4", "RFC 9293 3.10.7.4"),
        scenario="client-closes-first",
        scenario_params={"delay": 0.4, "server_close_at": 3.0},
    ),
)

_BY_ID: dict[str, Question] = {}
for _q in QUESTIONS:
    if _q.id in _BY_ID:
        raise QuizError(f"duplicate question id {_q.id!r}")
    _BY_ID[_q.id] = _q


def ids() -> list[str]:
    """Every question id, in course order."""
    return [q.id for q in QUESTIONS]


def get(question_id: str) -> Question:
    """The question with this id; QuizError naming the known ids if there is none."""
    try:
        return _BY_ID[question_id]
    except KeyError:
        raise QuizError(f"no question {question_id!r}; known ids: {', '.join(_BY_ID)}") from None


def check(question_id: str, answer: object) -> tuple[bool, str]:
    """(whether ``answer`` to question ``question_id`` is right, the explanation)."""
    return get(question_id).check(answer)
