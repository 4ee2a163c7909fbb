// Package testutil consumes TLS configurations and test handles and produces
// private test servers: a MariaDB started in a temporary directory
// ([StartMariaDB], with Restart for fault tests) and a CQL v4 protocol stub
// ([StartCQLStub]) with a small in-memory engine for the statements the
// Cassandra store sends, so the store's contract tests run without a
// Cassandra server.
//
// Servers that need a program the machine lacks are skipped, naming what is
// missing, unless MOUSEAUTH_REQUIRE_ALL=1 (as CI sets), which turns the skip
// into a failure.
package testutil
