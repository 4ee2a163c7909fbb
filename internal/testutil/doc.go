// Package testutil holds what tests share to reach data and servers and to
// wait without fixed sleeps: the shared data folder ([Data], [DataDir],
// $MOUSEAUTH_TEST_DATA), a private MariaDB started in a temporary directory
// from certificate files ([StartMariaDB], with Restart for fault tests),
// the one polling loop of the tests ([Eventually], and
// [EventuallyProgress], whose timeout follows the work's progress rather
// than the machine's speed), and benchmarks' CPU time per op
// ([StartCPU]), steadier than their wall time on a shared machine. The CQL
// test server lives in internal/cqltest, the test PKI in internal/testpki.
//
// Tests whose servers or data are missing are skipped ([SkipOrFail]),
// naming what is missing, unless MOUSEAUTH_REQUIRE_ALL=1 (as CI sets),
// which turns the skip into a failure.
package testutil
