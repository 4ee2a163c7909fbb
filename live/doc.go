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
// After RetrainPolicy.Every new vectors (or MaxAge) a user's model is
// retrained in the background from the stored vectors of sessions that
// raised no alert against other users' vectors, stored as the next version,
// and swapped in atomically.
package live
