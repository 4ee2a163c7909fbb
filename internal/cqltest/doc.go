// Package cqltest is a CQL test server: it lets the Cassandra store, the
// live service and pki's certificate checks run their contract tests
// against the CQL native protocol without a Cassandra node, which cannot be
// installed here. Real-cluster tests run instead when
// MOUSEAUTH_TEST_CASSANDRA names one.
//
// It consumes a testing.TB and a server *tls.Config (nil for plaintext) and
// produces a [Server] listening on 127.0.0.1 ([Start]) that stops when the
// test ends. The Server reports what it saw: the statements received
// ([Server.Queries]), the failed TLS handshakes ([Server.HandshakeErrors])
// and the replication a keyspace was created with ([Server.Replication]);
// [Server.Restart] drops every connection and listens again on the same
// address with the data kept, as a node restart does.
//
// # What it serves
//
// Native protocol v4 only (CQL 3.4.4 announced), one node ("dc1",
// "rack1"), every consistency level served by that one replica:
//
//   - frames: OPTIONS, STARTUP and REGISTER (answered READY; no events are
//     ever pushed), QUERY, PREPARE and EXECUTE with positional values,
//     custom payloads (ignored), paging flags (ignored: one page);
//   - the system.local and system.peers queries gocql makes while
//     connecting and awaiting schema agreement; system.peers_v2 is refused
//     as Cassandra 3 does, so gocql falls back to system.peers;
//   - the statements below, on an in-memory engine shared by all
//     connections.
//
// The statements, with types text, varchar, int, bigint, blob, double,
// boolean and timestamp, and WHERE operators =, <, <=, >, >=:
//
//	CREATE KEYSPACE [IF NOT EXISTS] ks WITH replication = {...} [AND durable_writes = b]
//	DROP KEYSPACE [IF EXISTS] ks
//	USE ks
//	CREATE TABLE [IF NOT EXISTS] [ks.]t (col type, ..., PRIMARY KEY ((p...), c...))
//	    [WITH CLUSTERING ORDER BY (c ASC|DESC, ...)]
//	INSERT INTO [ks.]t (cols) VALUES (?, ...) [IF NOT EXISTS]
//	SELECT [DISTINCT] cols | * | COUNT(*) FROM [ks.]t [WHERE c op ? [AND ...]]
//	    (or WHERE token(partition key) op ?, alone)
//	    [ORDER BY c [ASC|DESC], ...] [LIMIT ?|n]
//	UPDATE [ks.]t SET c = ?, ... WHERE <full primary key> [IF EXISTS]
//	BATCH frames of INSERT/UPDATE, with Cassandra's rules for conditional
//	    batches (one table, one partition, all or nothing; 50 KiB limit)
//
// The engine keeps Cassandra's semantics for these shapes (primary keys,
// clustering order, the lightweight-transaction result of INSERT ... IF NOT
// EXISTS with the existing row, COUNT, DISTINCT, ORDER BY, LIMIT) and
// Cassandra's validation of WHERE and ORDER BY, so a query real Cassandra
// would refuse is refused here too, with Cassandra's error code and message.
//
// # Limits
//
// Anything outside that subset is an error frame, never a silent success:
// other statements (DELETE, TRUNCATE, ALTER, DROP TABLE,
// secondary indexes), literals in place of bind markers in VALUES and WHERE, IN relations,
// ALLOW FILTERING, named values, compression, authentication (no
// AUTHENTICATE is sent), and gocql's schema-metadata queries on
// system_schema (gocql logs that and carries on). Frames of another
// protocol version get a protocol error in that version and the connection
// closes; frames over Cassandra's default 256 MiB limit close it. Partitions
// come back in token order, rows of a partition in clustering order; the
// stub's token is a hash of the partition key (FNV-1a, mixed), not Cassandra's Murmur3, so
// the order is not Cassandra's, but token() relations follow it. Nothing is written to disk, there is no
// TTL, tombstone, write timestamp or replication: it is a contract-test
// double and a TLS endpoint, not a database. It is written by hand because
// no Go library serves CQL.
package cqltest
