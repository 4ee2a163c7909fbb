package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// RequireAllEnv, when "1", turns skips for missing servers or data into
// failures.
const RequireAllEnv = "MOUSEAUTH_REQUIRE_ALL"

// DataEnv names the shared data folder (the one holding balabit/ and
// features/); unset, it is ../shared/data beside the module root, where the
// README puts it.
const DataEnv = "MOUSEAUTH_TEST_DATA"

// SkipOrFail skips t with msg, or fails it when MOUSEAUTH_REQUIRE_ALL=1.
func SkipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("%s (and %s=1 forbids skipping)", msg, RequireAllEnv)
	}
	t.Skip(msg)
}

// Data returns the path of rel (e.g. "features/dfl_39feat_PC_MM_DD_50.csv"
// or "balabit/training_files") in the shared data folder (see [DataEnv]).
// When it is missing the test is skipped, naming the path, or fails under
// MOUSEAUTH_REQUIRE_ALL=1: every test that needs the shared data goes
// through here, so CI cannot pass by skipping them.
func Data(t testing.TB, rel string) string {
	t.Helper()
	root, err := DataDir()
	if err != nil {
		SkipOrFail(t, "shared test data: "+err.Error())
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		SkipOrFail(t, "shared test data missing: "+err.Error())
	}
	return p
}

// DataDir returns the shared data folder: $MOUSEAUTH_TEST_DATA, or
// ../shared/data beside the module root (the folder holding go.mod, found
// from the working directory up). It does not check that it exists.
func DataDir() (string, error) {
	if d := os.Getenv(DataEnv); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "data"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory, so no ../shared/data; set " + DataEnv)
		}
		dir = parent
	}
}
