// Package embedded is the store of the embedded default: one SQLite file,
// STATE/mouseauth.db beside the embedded broker's state, through
// modernc.org/sqlite (pure Go, no cgo), holding models, vectors,
// decisions, sessions and credentials. Its [Store] implements
// store.Profiles and store.Credentials with the SQL shared with the MySQL
// store (internal/sqlstore); [Open] creates the folder (0700), the file and
// any missing table or column.
//
// The contract is store's, checked by storetest: PutBatch inserts a
// (user, session, seq) key once and reports a repeat as not inserted. PutBatch runs in one transaction (one commit per
// batch), each row a prepared single-row INSERT whose affected-row count
// says whether it was stored; a batch that fails before its commit stores
// nothing. The database runs in WAL mode with synchronous=NORMAL: a
// committed batch survives a process crash; only a power loss can drop the
// last commits. One connection serves every call, so writes queue in Go
// rather than in SQLite's busy retries. That connection never checkpoints:
// a second one copies the log into the database file every
// [CheckpointEvery] (PASSIVE, beside the writer), so no commit waits for a
// checkpoint, and [Store.Close] empties the log.
//
// It is one file on one machine: scorers spread over machines share a
// MySQL or Cassandra store instead. Holding the file private is the state
// folder's business (internal/cluster, live/deploy), not this package's.
package embedded
