// Package replay is the client side of the live pipeline, for testing it:
// it consumes recorded or synthetic sessions (dataset events), extracts
// feature vectors on the client as the deployed design does, logs each
// session in (the login sealed to the scorer's public key with a fresh
// session key, under a random 128-bit session id, and signed by the
// client identity of its certificate), produces its vectors,
// MAC'd under that key, to Kafka with their recorded timing (or faster, or
// at a fixed rate), many sessions at once, and collects the service's
// decisions and alerts, each checked against its session's key (a decision
// that does not verify is counted as forged and ignored). It produces a
// [Result]: counts, alerts per session and the latency from send to
// decision; [Rounds] produces one per user count, with what the store
// gained.
//
// Concurrency: [Run] plays each session in an errgroup (the first failure
// stops the rest), reads each partition of the decision topic in a reader
// that is restarted where it stopped when it fails, and waits for the
// decisions on a signal from the collector, bounded by Config.Wait; after
// the last decision it reads the topic up to its end offsets as they are
// then, so redeliveries published before it are counted, with no fixed
// sleep. [Plan] and [PlanLoad] enrol users in bounded errgroups, on the
// scorer's side (Plan never changes a stored password); a client that
// cannot write the store plans with [Sessions].
package replay
