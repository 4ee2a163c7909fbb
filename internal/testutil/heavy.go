package testutil

import "testing"

// SkipUnderRace skips a test of pure computation under the race detector,
// which makes such a test 5 to 16 times slower while it has no goroutines
// of its own to check (the code's concurrency has smaller tests that do
// run under it). scripts/test.sh runs every top-level test whose body
// calls it (the script finds the call there, not in a helper) once more,
// without -race; why says what makes the test costly.
func SkipUnderRace(t testing.TB, why string) {
	t.Helper()
	if Race {
		t.Skip(why + ": skipped under the race detector; scripts/test.sh runs it without")
	}
}
