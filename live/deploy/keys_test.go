package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/live/wire"
)

// TestLoadKeys: the keys are created once, private, and read back the same;
// the public key is published for clients; a key file readable by others
// is made private; previous keys are kept after a rotation; concurrent
// first starts agree on one key.
func TestLoadKeys(t *testing.T) {
	state := t.TempDir()
	var wg sync.WaitGroup
	ids := make([]string, 4)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := LoadKeys(state)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.Scorer[0].ID().String() + string(k.State)
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatal("concurrent first starts created different keys")
		}
	}
	keys, err := LoadKeys(state)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Scorer) != 1 || len(keys.State) != 32 {
		t.Fatalf("keys: %d scorer keys, state key of %d bytes", len(keys.Scorer), len(keys.State))
	}
	for name, want := range map[string]os.FileMode{
		KeysDir: 0o700, filepath.Join(KeysDir, ScorerKeyFile): 0o600, filepath.Join(KeysDir, StateKeyFile): 0o600, PublicKeyFile: 0o644,
	} {
		fi, err := os.Stat(filepath.Join(state, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", name, fi.Mode().Perm(), err, want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(state, KeysDir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	pub, err := ReadPublicKey(PublicKeyPath(state))
	if err != nil || !pub.Equal(keys.Public()) {
		t.Fatalf("published public key: %v", err)
	}
	priv, _ := os.ReadFile(filepath.Join(state, KeysDir, ScorerKeyFile))
	if b, _ := os.ReadFile(PublicKeyPath(state)); bytes.Contains(b, priv) || strings.Contains(string(b), "PRIVATE") {
		t.Fatal("the published file holds the private key")
	}

	// A key file left readable by others is made private on load.
	if err := os.Chmod(filepath.Join(state, KeysDir, StateKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(state); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(state, KeysDir, StateKeyFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("state key left at %v", fi.Mode().Perm())
	}

	// Rotation: the current key moved to previous/ keeps opening logins
	// sealed to it; a new key is created and published.
	old := keys.Scorer[0]
	sealed, _, err := wire.SealLoginV2(old.Public(), wire.Login{User: "u", Session: "s", Password: "pw", Sent: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(state, KeysDir, PreviousDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(state, KeysDir, ScorerKeyFile), filepath.Join(state, KeysDir, PreviousDir, old.ID().String()+".key")); err != nil {
		t.Fatal(err)
	}
	rotated, err := LoadKeys(state)
	if err != nil {
		t.Fatal(err)
	}
	if len(rotated.Scorer) != 2 || rotated.Scorer[0].ID() == old.ID() || rotated.Scorer[1].ID() != old.ID() || !bytes.Equal(rotated.State, keys.State) {
		t.Fatalf("after rotation: %d keys, current %s, previous %v", len(rotated.Scorer), rotated.Scorer[0].ID(), rotated.Scorer[1:])
	}
	sl, err := wire.ParseLogin(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wire.OpenLogin(sl, rotated.Scorer...); err != nil {
		t.Fatalf("a login sealed to the previous key: %v", err)
	}
	if pub, _ := ReadPublicKey(PublicKeyPath(state)); !pub.Equal(rotated.Public()) {
		t.Error("the new public key is not published")
	}
	if d := describeKeys(state, rotated); !strings.Contains(d, old.ID().String()) || !strings.Contains(d, PublicKeyPath(state)) {
		t.Errorf("Where line %q", d)
	}

	// Bad files are named.
	if err := os.WriteFile(filepath.Join(state, KeysDir, StateKeyFile), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(state); err == nil || !strings.Contains(err.Error(), StateKeyFile) || !strings.Contains(err.Error(), "5 bytes") {
		t.Errorf("a 5-byte state key: %v", err)
	}
	if _, err := ReadPublicKey(filepath.Join(t.TempDir(), "none.pub")); err == nil || !strings.Contains(err.Error(), "no scorer public key at") {
		t.Errorf("a missing public key: %v", err)
	}
}
