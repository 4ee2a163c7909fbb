// Package embedded is the store of the embedded default: one SQLite file,
// STATE/mouseauth.db beside the embedded broker's state, through
// modernc.org/sqlite (pure Go, no cgo), holding models, vectors,
// decisions, sessions and credentials. Its [Store] implements
// store.Profiles and store.Credentials with the SQL shared with the MySQL
// store (internal/sqlstore); [Open] creates the folder (0700), the file and
// any missing table or column.
//
// The contract is store's, checked by storetest: PutBatch inserts a
// (user, session, seq) key once and reports a repeat as not inserted. PutBatch calls are group-committed across callers
// (internal/combine): a writer goroutine writes the calls that waited
// while its previous transaction ran as one transaction, each row a
// prepared single-row INSERT whose affected-row count says whether it was
// stored, and answers each call for its own rows once that transaction
// committed; when it fails, each call is written again alone, so a row
// SQLite refuses fails only its call, which stores nothing. The database
// runs in WAL mode with synchronous=NORMAL: a committed batch survives a
// process crash; only a power loss can drop the last commits. One
// connection writes, so writes queue in Go rather than in SQLite's busy
// retries; [Readers] more serve the reads, which WAL runs beside the
// writer, so a read never waits for the transaction being written.
// Another connection copies the log into the database file every
// [CheckpointEvery] (PASSIVE, beside the writer), so a commit does not
// wait for a checkpoint, and [Store.Close] empties the log. Writes that
// never pause would keep the log from starting over, so once it is over
// [RestartFrames] the checkpointer runs a few more passes, then the writer
// copies what the last one left before its next write, which starts the
// log over. The write connection keeps
// [WriteCacheKiB] of pages, the pages a merged write dirties.
//
// It is one file on one machine: scorers spread over machines share a
// MySQL or Cassandra store instead. Holding the file private is the state
// folder's business (internal/cluster, live/deploy), not this package's.
package embedded
