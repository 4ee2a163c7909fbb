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
// Lifecycle: [Service.Run] (or [Service.Serve], which also serves /metrics
// and /healthz on a listener, or [Service.Start] in the background) runs
// the fetch loop, one worker per partition and the retrainings in an
// errgroup; [Service.Ready] is closed once the loop consumes and
// [Service.Health] says why it does not. When ctx ends the loop stops
// fetching, the workers finish what was fetched (bounded by a drain
// timeout), the HTTP server shuts down gracefully, offsets are committed
// and the group left. Every retry (store calls, publishing, looking again
// for a decision a replica may not show yet) goes through internal/retry:
// exponential backoff with full jitter that watches ctx.
//
// After RetrainPolicy.Every new vectors (or MaxAge) a user's model is
// retrained in the background from the stored vectors of sessions that
// raised no alert against other users' vectors, stored as the next version,
// and swapped in atomically.
package live
