// Package testutil consumes TLS configurations and test handles and produces
// private test servers: a MariaDB started in a temporary directory
// ([StartMariaDB], with Restart for fault tests), plus [SkipOrFail] for tests
// whose servers or data are missing. The CQL test server lives in
// internal/cqltest.
//
// Servers that need a program the machine lacks are skipped, naming what is
// missing, unless MOUSEAUTH_REQUIRE_ALL=1 (as CI sets), which turns the skip
// into a failure.
package testutil
