"""The reference TCP: RFC 9293's state machine as one table, and the endpoint that applies it.

* :mod:`.states`: the eleven states (``State``; ``str()`` gives the RFC's spelling);
* :mod:`.table`: THE transition table, (state, trigger) -> (next state, actions, RFC clause),
  with each ``Action``'s wire meaning; every other part of tcpcore reads it;
* :mod:`.rules`: what the table cannot say in a row: which trigger an arriving segment is
  (acceptability, RFC 5961's RST and SYN checks, the ACK checks), beside the table;
* :mod:`.tcb`: the transmission control block and the RFC 6528 initial sequence number;
* :mod:`.connection`: ``Connection``, a sans-IO endpoint: classify, look up, carry out the row;
* :mod:`.handlers`: one handler per ``Action`` (the dispatch table the connection runs);
* :mod:`.timers`: retransmission, TIME-WAIT, keepalive, FIN-WAIT-2 and the user timeout;
* :mod:`.listener`: a passive endpoint with its SYN and accept queues (and SYN cookies);
* :mod:`.events`: what an endpoint tells its user (connected, data, closed, reset, timed out);
* :mod:`.profiles`: where real stacks differ from the RFC, as named values (``rfc9293``,
  ``linux``, ``freebsd``, ...), never as a fork of the logic.

Layer: above :mod:`tcpcore.wire`; below the trace, the simulator and everything that draws.
The public names are re-exported from :mod:`tcpcore`.
"""
