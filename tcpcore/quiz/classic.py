"""The classic interview questions about opening and closing a connection, as data: why three
segments open it and four close it, TIME-WAIT and its 2MSL, a crashed client, SYN floods, many
CLOSE-WAIT or TIME-WAIT sockets, random ISNs, half-close, when a RST is sent, simultaneous open
and close. Each is a :class:`~tcpcore.quiz.question.Question`; tests/quiz/test_quiz.py runs every
scenario and asserts the facts its explanation relies on."""

from __future__ import annotations

from .question import Demo, Question, _text

__all__ = ["CLASSIC"]

CLASSIC: tuple[Question, ...] = (
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
)
