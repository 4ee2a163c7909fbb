package testutil

import "testing"

// SkipUnderRace skips a test of pure computation under the race detector,
// which makes such a test 5 to 16 times slower while it has no goroutines
// of its own to check (the code's concurrency has smaller tests that do
// run under it). scripts/test.sh runs every test that calls it (as the
// first statement of a top-level test, where the script finds it) once
// more, without -race; why says what makes the test costly.
func SkipUnderRace(t testing.TB, why string) {
	t.Helper()
	if Race {
		t.Skip(why + ": skipped under the race detector; scripts/test.sh runs it without")
	}
}
