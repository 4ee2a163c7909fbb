// Package keys holds what the store backends share to write a batch of
// vectors and decisions: the (user, session, seq) [Key] that makes a write
// idempotent ([Of], [Compare]), and [Unique], which picks the first
// occurrence of each distinct key of a batch and orders them by key.
//
// Unique is how the SQL and Cassandra stores keep PutBatch's rule that a
// key appearing twice in one call is stored at its first occurrence and
// reported not inserted at the others. Its key order makes concurrent
// writers lock rows in one order and keeps each user's rows together for
// Cassandra's per-user batches. It reads no database and knows no backend.
package keys
