package topics

import "time"

// FetchMaxWait is the MaxWait of every reader. kafka-go sends the broker a
// wait of FetchMaxWait minus min(1 s, FetchMaxWait/4) and makes FetchMaxWait
// the read deadline of the answer, so the answer has that min(1 s,
// FetchMaxWait/4) to arrive and be read. A MaxWait of 100 ms left 25 ms,
// which a busy CPU (-race beside other work) missed hundreds of times a
// minute: each miss drops the connection and dials again (a TLS handshake,
// more CPU), and consumption stalled for over a minute ("no answer to the
// login within 1m0s" in TestDemoRun). 1.5 s gives the answer the full
// second and the broker 500 ms to wait; the broker answers as soon as one
// message is there (MinBytes 1), so the wait adds no latency, and closing
// a reader (which waits for its fetch) takes at most about that 500 ms.
const FetchMaxWait = 1500 * time.Millisecond
