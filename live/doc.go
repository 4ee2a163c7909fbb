// Package live is the scoring service of the deployed pipeline. It
// consumes logins and feature vectors from Kafka (package wire), applies
// the first factor (argon2id password hashes with a lockout, from a
// store.Credentials) and the second (each vector scored by the user's model
// from a store.Profiles, the mean over a window of N actions compared with
// a threshold), and produces decisions, alerts and dead letters on Kafka,
// with vectors, decisions and sessions kept in the profile store.
//
// Delivery is at least once and processing effectively once: each
// partition is processed in order by one goroutine; a message's offset is
// handed to the committer only after its vector and decision are stored;
// the store's writes are idempotent on (user, session, seq), so a message
// redelivered after a crash is recognised, its stored decision republished
// (marked redelivered) and nothing counted twice. A message that cannot be
// processed (garbage, a wrong version, a wrong length, an unknown user, no
// login) goes to the dead-letter topic with its reason; the service goes on.
// A store that fails (a database restart) stalls its partition with retries
// rather than losing the message.
//
// A message whose own processing keeps failing while the store answers (a
// panic, a row the store refuses) is dead-lettered after
// [Config.MaxAttempts]; an outage (store or broker down, disk full) is
// waited for and never dead-letters anything. Dead letters are bounded
// (wire.MarshalDeadLetter), so one always fits.
//
// Lifecycle: [Service.Run] (or [Service.Serve], which also serves /metrics
// and /healthz on a listener, or [Service.Start] in the background) joins
// the consumer group and runs its generations one after another: per
// assigned partition a reader from the committed offset, a queue and a
// worker, so a stalled partition stalls only itself; a committer commits
// what the workers finished. The retrainings and the health probes (store,
// broker, disk) run beside them. [Service.Ready] is closed once the first
// generation runs, and [Service.HealthReport] says what is wrong: a
// partition stalled since when, the store, the broker, a full disk. When
// ctx ends the readers stop, the workers finish what was fetched (bounded
// by a drain timeout), offsets are committed, the group left and the HTTP
// server shut down gracefully; when a generation ends (a rebalance) they
// get half the session timeout. Every retry (store calls, publishing,
// looking again for a decision a replica may not show yet) goes through
// internal/retry: exponential backoff with full jitter that watches ctx.
//
// After RetrainPolicy.Every new vectors (or MaxAge) a user's model is
// retrained in the background from the stored vectors of sessions that
// raised no alert against other users' vectors, stored as the next version,
// and swapped in atomically.
package live
