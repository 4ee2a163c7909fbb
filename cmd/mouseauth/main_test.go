package main

import (
	"os"
	"testing"
)

// TestMain doubles as the mouseauth command: with MOUSEAUTH_TEST_MAIN=1 the
// test binary runs its arguments as `mouseauth ARGS` and exits, so tests
// can start real `mouseauth live serve` processes (bench scaleout) without
// building the binary.
func TestMain(m *testing.M) {
	if os.Getenv("MOUSEAUTH_TEST_MAIN") == "1" {
		os.Exit(run(append([]string{"mouseauth"}, os.Args[1:]...)))
	}
	os.Exit(m.Run())
}
