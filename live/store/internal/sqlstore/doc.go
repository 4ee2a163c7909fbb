// Package sqlstore implements store.Profiles and store.Credentials over
// database/sql once, for the two SQL backends: embedded (SQLite) and mysql
// (MySQL/MariaDB). A backend opens its *sql.DB and calls [New] with its
// [Dialect] ([SQLite] or [MySQL]); the two differ only in column types, the
// spelling of "insert unless the key exists" and of the larger of two
// values, which errors are worth running a transaction again (MySQL's
// deadlocks and lock wait timeouts), and whether a batch is written row by
// row ([Dialect.RowByRow]).
//
// Schema: tables models, vectors, decisions, sessions and credentials,
// keyed by (uid, version), (uid, session, seq), (uid, id) and uid; times
// are Unix milliseconds, vector values [store.EncodeValues] blobs. New with
// create makes missing tables and adds the columns later versions added
// (sessions.mac_key); without, it refuses an older schema with
// store.ErrSchema, naming the ALTER TABLE to run.
//
// How the contract is kept: an insert of an existing key affects no row,
// and the affected-row count is the "inserted" answer. [Store.PutBatch]
// runs one transaction: each distinct key once, at its first occurrence
// (internal/keys), in key order; row by row through prepared statements
// (SQLite) or as multi-row INSERTs of up to 500 rows, rerun row by row when
// one is partly new (MySQL). A retryable error reruns the transaction, up
// to 10 times. [Store.RecordFailure] counts and locks in one UPDATE and
// reads the row back in the same transaction; [Store.MarkAlerted] and
// [Store.ResetFailures] tell "no such row" from "nothing changed".
//
// Reads outside transactions go to the database [Reader] names (SQLite's
// pool of read connections beside its one writer), else to the one it
// writes to. It opens no connection and sets no pool or driver options:
// that is each backend's Open.
package sqlstore
