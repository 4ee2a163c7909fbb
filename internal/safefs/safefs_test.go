package safefs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestOpenFileRefusesLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(link); !errors.Is(err, ErrLink) || !strings.Contains(err.Error(), link) {
		t.Errorf("ReadFile of a link: %v", err)
	}
	if err := WriteFile(link, []byte("x"), 0o600); !errors.Is(err, ErrLink) {
		t.Errorf("WriteFile through a link: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "secret" {
		t.Errorf("the link's target was written: %q", b)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dangling, []byte("x"), 0o600); !errors.Is(err, ErrLink) {
		t.Errorf("WriteFile through a dangling link: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("a dangling link's target was created")
	}
	if _, err := ReadFile(dir); err == nil {
		t.Error("ReadFile of a folder")
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("OpenFile of a FIFO: %v", err)
	}
	if err := WriteFile(target, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(target); err != nil || string(b) != "new" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
}

func TestDirAndNoLinks(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sub := filepath.Join(root, "sub")
	if err := Dir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Dir(sub, 0o700); err != nil {
		t.Fatalf("Dir of an existing folder: %v", err)
	}
	if err := os.WriteFile(filepath.Join(sub, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Dir(filepath.Join(sub, "f"), 0o700); err == nil {
		t.Error("Dir of a file")
	}
	if err := NoLinks(root); err != nil {
		t.Fatal(err)
	}
	if err := NoLinks(filepath.Join(root, "missing")); err != nil {
		t.Errorf("NoLinks of a missing folder: %v", err)
	}
	link := filepath.Join(sub, "deep")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if err := Dir(link, 0o700); !errors.Is(err, ErrLink) {
		t.Errorf("Dir of a link: %v", err)
	}
	if err := NoLinks(root); !errors.Is(err, ErrLink) || !strings.Contains(err.Error(), link) {
		t.Errorf("NoLinks with a link below: %v", err)
	}
	if err := NotLink(link); !errors.Is(err, ErrLink) {
		t.Errorf("NotLink: %v", err)
	}
	// The root itself may be a link (a state folder on another disk).
	alias := filepath.Join(t.TempDir(), "alias")
	if err := os.Symlink(sub, alias); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := NoLinks(alias); err != nil {
		t.Errorf("NoLinks of a root that is a link: %v", err)
	}
}

// TestPin: a file swapped for a link, or replaced, after it was pinned is
// caught by the check.
func TestPin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	check, err := Pin(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("Pin did not create the file 0600: %v %v", fi, err)
	}
	if err := check(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(path+".moved", path); err != nil {
		t.Fatal(err)
	}
	if err := check(); !errors.Is(err, ErrLink) {
		t.Errorf("a link swapped in: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := check(); !errors.Is(err, ErrLink) || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("another file put in its place: %v", err)
	}
	if _, err := Pin(filepath.Join(dir, "db.moved-link"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(path, filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	if _, err := Pin(filepath.Join(dir, "l"), 0o600); !errors.Is(err, ErrLink) {
		t.Errorf("Pin of a link: %v", err)
	}
}
