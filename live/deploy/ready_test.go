package deploy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "s1.ready")
	if _, err := ReadReadyFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("before writing: error %v, want fs.ErrNotExist", err)
	}
	want := Ready{PID: 42, Metrics: "127.0.0.1:9464", Brokers: []string{"127.0.0.1:9093"}, Group: "g"}
	if err := WriteReadyFile(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadReadyFile(path)
	if err != nil || got.PID != 42 || got.Metrics != want.Metrics || got.Group != "g" || len(got.Brokers) != 1 {
		t.Errorf("read back %+v, %v", got, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	// Nothing but the file is left in the folder (the temporary file was
	// renamed).
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries in the folder, want 1", len(ents))
	}
	if err := os.WriteFile(path, []byte("metrics on http://x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadReadyFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a file that is not JSON: error %v, want one naming it", err)
	}
	if err := WriteReadyFile(filepath.Join(dir, "missing", "s2.ready"), want); err == nil {
		t.Error("writing into a missing folder: no error")
	}
}
