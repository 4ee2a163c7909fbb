package deploy

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/safefs"
)

// openState opens the state folder as `mouseauth live serve` does: the
// embedded broker, the embedded store and the service's keys.
func openState(state string) error {
	env, err := Open(context.Background(), Options{State: state, TLSName: cluster.CertScorer, Partitions: 1}, nil)
	if err != nil {
		return err
	}
	defer env.Close()
	_, err = env.Keys()
	return err
}

// copyTree copies the regular files and folders of src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPlantedLinksRefused plants a symbolic link at each file and folder a
// state folder holds, pointing outside it, in a fresh folder and in one a
// service used before. They were followed: the database was created
// elsewhere, keys written into another folder whose mode became 0700, a
// password or key read from wherever the link led. Opening the state now
// fails naming the link, and nothing outside is created or changed.
func TestPlantedLinksRefused(t *testing.T) {
	used := t.TempDir()
	if err := openState(used); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path  string
		dir   bool // the link leads to a folder
		fresh bool // planted before the first start
	}{
		{path: "mouseauth.db", fresh: true},
		{path: "mouseauth.db"},
		{path: "mouseauth.db-wal", fresh: true},
		{path: "keys", dir: true, fresh: true},
		{path: "keys/state.key"},
		{path: "keys/scorer-hpke.key"},
		{path: "keys/previous", dir: true},
		{path: "scorer-hpke.pub"},
		{path: "sasl", dir: true, fresh: true},
		{path: "sasl/scorer.password"},
		{path: "pki", dir: true, fresh: true},
		{path: "pki/ca.key"},
		{path: "pki/issued", dir: true},
		{path: cluster.LockFile, fresh: true},
		{path: cluster.LockFile},
		{path: "kafka", dir: true, fresh: true},
		{path: "kafka", dir: true},
		{path: "kafka.port"},
	} {
		name := strings.ReplaceAll(tc.path, "/", "_")
		if tc.fresh {
			name += "_fresh"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			state, elsewhere := t.TempDir(), t.TempDir()
			if !tc.fresh {
				copyTree(t, used, state)
			}
			at := filepath.Join(state, tc.path)
			if err := os.MkdirAll(filepath.Dir(at), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(at); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(elsewhere, "target")
			if tc.dir {
				if err := os.Mkdir(target, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(target, 0o755); err != nil {
					t.Fatal(err)
				}
			} else if tc.path != "mouseauth.db" || !tc.fresh {
				if err := os.WriteFile(target, []byte("decoy\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(target, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(target, at); err != nil {
				t.Fatal(err)
			}
			err := openState(state)
			if err == nil || !errors.Is(err, safefs.ErrLink) || !strings.Contains(err.Error(), at) {
				t.Fatalf("opening a state with %s a link: err = %v; want one naming the link", tc.path, err)
			}
			t.Logf("refused: %v", err)
			// Nothing outside was created or changed.
			fi, serr := os.Lstat(target)
			switch {
			case tc.path == "mouseauth.db" && tc.fresh:
				if serr == nil {
					t.Errorf("the database was created outside the state folder")
				}
			case serr != nil:
				t.Fatal(serr)
			case tc.dir:
				ents, _ := os.ReadDir(target)
				if fi.Mode().Perm() != 0o755 || len(ents) != 0 {
					t.Errorf("the folder the link leads to: mode %v, %d entries", fi.Mode().Perm(), len(ents))
				}
			default:
				b, _ := os.ReadFile(target)
				if fi.Mode().Perm() != 0o644 || string(b) != "decoy\n" {
					t.Errorf("the file the link leads to: mode %v, %q", fi.Mode().Perm(), b)
				}
			}
			want := 1 // the target
			if tc.path == "mouseauth.db" && tc.fresh {
				want = 0
			}
			if ents, _ := os.ReadDir(elsewhere); len(ents) != want {
				t.Errorf("%d entries outside the state folder, want %d", len(ents), want)
			}
		})
	}
}

// TestLinksRefusedAtOpen: the opens themselves refuse a link, for a link
// planted after the state folder was checked.
func TestLinksRefusedAtOpen(t *testing.T) {
	t.Parallel()
	state, elsewhere := t.TempDir(), t.TempDir()
	decoy := filepath.Join(elsewhere, "decoy")
	if err := os.WriteFile(decoy, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(state, KeysDir)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(state); !errors.Is(err, safefs.ErrLink) {
		t.Errorf("LoadKeys with keys/ a link: %v", err)
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 1 {
		t.Errorf("LoadKeys wrote %d files through the link", len(ents)-1)
	}
	if err := os.Remove(filepath.Join(state, KeysDir)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(state); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(state, KeysDir, StateKeyFile)
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(decoy, key); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(state); !errors.Is(err, safefs.ErrLink) {
		t.Errorf("LoadKeys with the state key a link: %v", err)
	}
	if fi, _ := os.Stat(decoy); fi.Mode().Perm() != 0o644 {
		t.Errorf("the mode of the link's target changed to %v", fi.Mode().Perm())
	}
	lock := filepath.Join(state, cluster.LockFile)
	if err := os.Symlink(decoy, lock); err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.LockState(state); !errors.Is(err, safefs.ErrLink) {
		t.Errorf("LockState with the lock file a link: %v", err)
	}
}
