// Package storetest is the one test suite every store backend runs, as
// restic's backend/test is: a backend's test passes a function that opens
// a fresh, empty store (the suite closes it), and the suite checks the
// contract of package store as the service relies on it.
//
//   - [Models]: versions, the latest model, users, ErrVersionExists, a
//     300 kB model that round-trips.
//   - [Profiles]: the model tests, then idempotent vectors and decisions
//     (each written alone, a PutBatch of one),
//     exact round trips, retraining vectors that skip alerted sessions,
//     RecentDecisions and RecentVectors order, sessions, eight writers racing on the same
//     keys (each reported inserted exactly once) and the batch tests:
//     PutBatch with new, existing and repeated keys, concurrent overlapping
//     batches, and a batch failed half-way (internal/faultpoint) whose
//     retry completes it. Sessions are first-write-wins, also under races.
//     What retraining reads: LabeledVectors (vectors with their decisions,
//     Judged included, and their session's alert flag, newest sessions
//     first) and SampleVectors (seeded, no duplicates, no alerted session,
//     several users).
//   - [Credentials]: create, replace, lockout counting and reset,
//     concurrent RecordFailure calls that each count once.
//   - [Bench]: the write cost per action, PutBatch of 1 to 256 actions,
//     in wall and CPU time.
//
// A transactional backend must leave nothing behind after a failed
// PutBatch; one that may store part of it (Cassandra) passes
// [PartialBatches]. The suite fixes times to the millisecond, the
// coarsest any backend keeps. It starts no servers: the MySQL and
// Cassandra tests bring theirs (internal/testpki, internal/cqltest).
package storetest
