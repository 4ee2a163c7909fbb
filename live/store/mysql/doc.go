// Package mysql is the MySQL/MariaDB store. Its [Store] implements
// store.Credentials and store.Profiles with the SQL shared with the
// embedded store (internal/sqlstore). live/deploy keeps credentials in it
// whenever a DSN is given, and profiles too when the profile store is mysql
// (the default with a DSN and no Cassandra).
//
// [Open] takes a [Config]: a DSN user@tcp(host:port)/database read from a
// file or the environment (never a flag), and a *tls.Config, without which
// it refuses to connect: the account is meant to be bound to the client
// certificate (REQUIRE SUBJECT ... AND ISSUER ..., see `mouseauth pki config
// mariadb`). With CreateSchema it creates the database, the missing tables
// and columns; without, it refuses tables of an older version
// (store.ErrSchema) and names the ALTER TABLE that fixes them. [Probe]
// backs `mouseauth pki check`, reporting what the driver logged when TLS
// or the account is refused.
//
// The contract is store's, checked by storetest against a private MariaDB:
// a (user, session, seq) key is inserted once (INSERT ... ON DUPLICATE KEY
// UPDATE, whose affected-row count tells a new row from an existing one;
// the connection never asks for found rows). PutBatch runs in one
// transaction, its rows in key order so that concurrent batches lock in
// one order, as multi-row INSERTs of up to 500 rows; when one meets some
// existing keys the transaction runs again row by row. A deadlock or lock
// wait timeout reruns the transaction (up to 10 times). An error before
// the commit stores nothing. Lockout counters change in one UPDATE.
//
// Other errors go back to the caller, which retries (the service through
// internal/retry); the driver's own messages go to Config.Logger, not
// stderr.
package mysql
