package testutil

import (
	"os"
	"testing"
)

// RequireAllEnv, when "1", turns skips for missing servers into failures.
const RequireAllEnv = "MOUSEAUTH_REQUIRE_ALL"

// SkipOrFail skips t with msg, or fails it when MOUSEAUTH_REQUIRE_ALL=1.
func SkipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("%s (and %s=1 forbids skipping)", msg, RequireAllEnv)
	}
	t.Skip(msg)
}
