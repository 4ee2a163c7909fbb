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
//	           alerted boolean, started timestamp, PRIMARY KEY ((uid), id))
//
// Every table is partitioned by user, so each read touches one partition.
// Models cluster newest first, so the latest model is the first row.
// Vector values are a blob of little-endian IEEE-754 float64s, which
// round-trip exactly. Timestamps keep milliseconds and come back in UTC.
//
// Vectors, decisions and models are written with INSERT ... IF NOT EXISTS (a
// lightweight transaction, Paxos at the serial consistency), so a message
// redelivered by Kafka, even to two consumers at once, is stored once and
// reported as not inserted; a model version is never replaced. Sessions are
// plain upserts.
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
