package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestMariaDBStarts(t *testing.T) {
	t.Parallel()
	m := StartMariaDB(t, MariaDBOptions{})
	m.Exec(t, "CREATE DATABASE mt", "CREATE TABLE mt.t (v INT)", "INSERT INTO mt.t VALUES (41),(1)")
	db, err := m.Root()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sum int
	if err := db.QueryRow("SELECT SUM(v) FROM mt.t").Scan(&sum); err != nil || sum != 42 {
		t.Fatalf("sum %d, err %v", sum, err)
	}
}

// fakeT records how a helper ended a test: Fatalf and Skip stop the
// goroutine, as the testing package's do.
type fakeT struct {
	testing.TB
	fatal, skip string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeT) Skip(args ...any) {
	f.skip = fmt.Sprint(args...)
	runtime.Goexit()
}

// runFake runs fn on a fakeT in its own goroutine and returns the fakeT
// and what fn returned ("" when it was stopped).
func runFake(fn func(t testing.TB) string) (*fakeT, string) {
	f := &fakeT{}
	var got string
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = fn(f)
	}()
	<-done
	return f, got
}

func TestData(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "features"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "features", "f.csv"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(DataEnv, dir)

	t.Setenv(RequireAllEnv, "")
	f, got := runFake(func(t testing.TB) string { return Data(t, "features/f.csv") })
	if want := filepath.Join(dir, "features", "f.csv"); got != want || f.skip != "" || f.fatal != "" {
		t.Errorf("present file: got %q (skip %q, fatal %q), want %q", got, f.skip, f.fatal, want)
	}
	f, got = runFake(func(t testing.TB) string { return Data(t, "features/missing.csv") })
	if got != "" || !strings.Contains(f.skip, "missing.csv") || f.fatal != "" {
		t.Errorf("missing file: got %q, skip %q, fatal %q; want a skip naming it", got, f.skip, f.fatal)
	}
	t.Setenv(RequireAllEnv, "1")
	f, got = runFake(func(t testing.TB) string { return Data(t, "features/missing.csv") })
	if got != "" || !strings.Contains(f.fatal, "missing.csv") || !strings.Contains(f.fatal, RequireAllEnv) || f.skip != "" {
		t.Errorf("missing file under %s=1: got %q, skip %q, fatal %q; want a failure naming it", RequireAllEnv, got, f.skip, f.fatal)
	}
}

// TestDataDirDefault: without MOUSEAUTH_TEST_DATA the data folder is
// ../shared/data beside the module root, whatever the package's depth.
func TestDataDirDefault(t *testing.T) {
	t.Setenv(DataEnv, "")
	d, err := DataDir()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..") // internal/testutil is two levels down
	if want := filepath.Join(filepath.Dir(root), "shared", "data"); d != want {
		t.Errorf("DataDir() = %s, want %s", d, want)
	}
}
