"""The questions that follow the classics up, as data: what a SYN and a FIN cost in sequence
space, a SYN after the handshake, the ACK flag, FIN-WAIT-1 (lessons 01, 02 and 04), then lesson
06's own: a FIN-ACK in FIN-WAIT-1, the three-segment close, a SYN in TIME-WAIT, SO_REUSEADDR,
TIME-WAIT assassination, half-open connections, the listen queues, a RST on close with unread
data, and what ``ss`` shows during the handshake and the close."""

from __future__ import annotations

from .question import Demo, Question, _text

__all__ = ["FOLLOWUPS"]

FOLLOWUPS: tuple[Question, ...] = (
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
