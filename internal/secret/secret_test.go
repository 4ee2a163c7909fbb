package secret

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/internal/safefs"
)

func TestEnsureAndRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sasl")
	p := filepath.Join(dir, "scorer.password")
	created, err := Ensure(p)
	if err != nil || !created {
		t.Fatalf("Ensure: %v, %v", created, err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, p: 0o600} {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %04o (%v)", path, st.Mode().Perm(), want, err)
		}
	}
	s1, err := Read(p)
	if err != nil || len(s1) != 43 {
		t.Fatalf("Read: %q, %v", s1, err)
	}
	if created, err := Ensure(p); err != nil || created {
		t.Fatalf("second Ensure: %v, %v", created, err)
	}
	if s2, _ := Read(p); s2 != s1 {
		t.Fatal("Ensure overwrote an existing secret")
	}
	other := filepath.Join(dir, "replay.password")
	if _, err := Ensure(other); err != nil {
		t.Fatal(err)
	}
	if s3, _ := Read(other); s3 == s1 {
		t.Fatal("two generated secrets are equal")
	}
}

func TestReadRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	loose := write("loose", "hunter2-but-longer", 0o644)
	if _, err := Read(loose); !errors.Is(err, ErrLoosePermissions) || !strings.Contains(err.Error(), loose) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("world-readable file: %v", err)
	}
	if _, err := Read(write("group", "x", 0o640)); !errors.Is(err, ErrLoosePermissions) {
		t.Errorf("group-readable file: %v", err)
	}
	empty := write("empty", "\n", 0o600)
	if _, err := Read(empty); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := Read(write("two", "a\nb\n", 0o600)); err == nil {
		t.Error("a two-line file was read as a secret")
	}
	if _, err := Read(dir); err == nil {
		t.Error("a directory was read as a secret")
	}
	if s, err := Read(write("ok", "s3cret\r\n", 0o400)); err != nil || s != "s3cret" {
		t.Errorf("read-only private file: %q, %v", s, err)
	}
}

// TestReadStateRefusesLinks: a secret of a state folder is read without
// following a link; Read (an operator's file) follows one.
func TestReadStateRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "real.password")
	if _, err := Ensure(p); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.password")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadState(link); !errors.Is(err, safefs.ErrLink) {
		t.Errorf("ReadState of a link: %v", err)
	}
	if _, err := Read(link); err != nil {
		t.Errorf("Read of a link (a secrets mount): %v", err)
	}
	if s, err := ReadState(p); err != nil || len(s) != 43 {
		t.Errorf("ReadState: %q, %v", s, err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Symlink(t.TempDir(), sub); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(filepath.Join(sub, "x.password")); !errors.Is(err, safefs.ErrLink) {
		t.Errorf("Ensure in a folder that is a link: %v", err)
	}
}
