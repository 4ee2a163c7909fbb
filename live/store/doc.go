// Package store defines what the live scoring service keeps: models,
// feature vectors, decisions, sessions and credentials ([Model], [Vector],
// [Decision], [Session], [Credential]), behind three small interfaces:
// [Models] (the file store implements only this), [Profiles] (models and
// everything the service writes per user) and [Credentials] (the first
// factor). The backends are subpackages: embedded (SQLite), mysql
// (MySQL/MariaDB), cassandra (profiles only) and file (models only); every
// one passes the one shared suite, storetest. live/deploy picks and opens
// them; [WithModels] serves a Profiles' models from another Models.
//
// Writes of vectors and decisions are idempotent: they are keyed by
// (user, session, seq) and a second write of the same key is ignored and
// reported as not inserted, so a message redelivered by Kafka is never
// counted twice. [Profiles.PutBatch] writes a whole fetched batch at once
// (group commit) with the same semantics per key: a consumer scores the
// batch, calls PutBatch once (again, whole, after an error), publishes the
// computed decision of each key reported inserted and the stored one of each
// key reported not inserted, and commits its offsets only after PutBatch
// returned without error, as only then is the batch durable. A PutBatch
// that fails before its commit stores nothing in the SQL stores; one that
// fails in Cassandra may have stored part of the batch. Either way the
// retry reports what the failed attempt stored as not inserted.
//
// Retraining reads a user's vectors with their decisions and their
// session's alert flag ([Profiles.LabeledVectors]), to train only on clean
// ones and to hold back those of alerted sessions, and samples other
// users' vectors without reading every user's ([Profiles.SampleVectors]:
// seeded runs from positions in the store's insertion or token order).
// A decision records whether the rule could judge it ([Decision.Judged]).
//
// Sessions are first-write-wins ([Profiles.CreateSession]) and their alert
// flag only ever goes from false to true ([Profiles.MarkAlerted]); failed
// login counts, per user and per (user, client) ([ClientFailures]), change
// by atomic store operations ([Credentials.RecordFailure],
// [Credentials.RecordSuccess], [Credentials.Unlock]), never by a
// read-modify-write in the caller. The service derives its backoff from
// them; the store keeps counts and times, not a policy.
// A model version is never replaced ([ErrVersionExists]).
//
// Missing rows are [ErrNotFound], tables of an older schema that could not
// be brought up to date [ErrSchema]; check them with errors.Is. Times are
// kept to the millisecond at least; vector values round-trip exactly
// ([EncodeValues]).
//
// It knows nothing of Kafka, scoring or passwords (a credential holds a
// hash), and nothing is ever deleted: no operation removes a row, and
// retention is the operator's.
package store
