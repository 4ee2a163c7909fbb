// Package cassandra is the Cassandra profile store: it consumes the live
// service's models, vectors, decisions and sessions and produces them back
// (store.Profiles), over mutual TLS only, with gocql and protocol v4.
//
// # Schema
//
// Open with CreateSchema creates the keyspace and these tables if missing.
// The user column is named uid, as in the SQL stores, because USER is a CQL
// keyword (unreserved, so legal, but uid needs no second thought).
//
//	models    (uid text, version int, data blob, created timestamp, vectors bigint,
//	           PRIMARY KEY (uid, version)) WITH CLUSTERING ORDER BY (version DESC)
//	vectors   (uid text, session text, seq bigint, at timestamp, vals blob,
//	           PRIMARY KEY ((uid), session, seq))
//	decisions (uid text, session text, seq bigint, score double, mean double, win int,
//	           threshold double, accept boolean, alert boolean, model_version int,
//	           at timestamp, PRIMARY KEY ((uid), session, seq))
//	sessions  (uid text, id text, client text, accepted boolean, reason text,
//	           alerted boolean, started timestamp, mac_key blob, PRIMARY KEY ((uid), id))
//
// Every table is partitioned by user, so each read touches one partition.
// Models cluster newest first, so the latest model is the first row.
// Vector values are a blob of little-endian IEEE-754 float64s, which
// round-trip exactly. Timestamps keep milliseconds and come back in UTC.
//
// Vectors, decisions and models are written with INSERT ... IF NOT EXISTS (a
// lightweight transaction, Paxos at the serial consistency), so a message
// redelivered by Kafka, even to two consumers at once, is stored once and
// reported as not inserted; a model version is never replaced.
//
// PutBatch (group commit) sends one unlogged batch of such inserts per user
// and table: Cassandra allows conditions in a batch only within one
// partition of one table, and such a batch applies all its inserts or none.
// When some keys exist the batch does not apply and returns their rows; it
// is sent again without them. That is one Paxos round per user and table
// instead of one per row. Batches stay under 24 KiB of values (the default
// batch_size_fail_threshold is 50 KiB); the server logs batches above
// batch_size_warn_threshold (default 5 KiB), so raise that to 32 KiB. A
// PutBatch that fails may have stored some users' rows; its retry reports
// them as not inserted.
//
// Sessions are created with INSERT ... IF NOT EXISTS (the first login of an
// id wins; the stored one comes back to the others) and flagged alerted with
// UPDATE ... IF EXISTS, both lightweight transactions, so their writes are
// ordered by Paxos rather than by clocks. A keyspace whose sessions table
// predates mac_key is refused at Open with the ALTER TABLE that adds it.
//
// # Replication
//
// The keyspace's replication comes from [Config]: SimpleStrategy (the
// default) with Factor copies (default 1), for a single datacenter or a
// development node; or NetworkTopologyStrategy with DCFactors, the copies
// per datacenter (for example {"dc1": 3}), for production clusters. It only
// applies when the keyspace is created: an existing keyspace keeps its own.
// Consistency (default LOCAL_QUORUM) applies to every read and write;
// lightweight transactions use LOCAL_SERIAL with a LOCAL_ consistency and
// SERIAL otherwise.
package cassandra
