package deploy

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mouseauth/mouseauth/internal/safefs"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/wire"
)

// The scorer's key files under the state folder:
//
//	STATE/keys/                  0700
//	STATE/keys/scorer-hpke.key   the current scorer private key (PEM PKCS #8), 0600
//	STATE/keys/previous/*.key    previous scorer keys, still opening logins sealed to them
//	STATE/keys/state.key         the state key (32 bytes) sealing the stored session keys, 0600
//	STATE/scorer-hpke.pub        the current public key, for clients (PEM), 0644
//
// Keys are created on first use. To rotate the scorer key, move
// scorer-hpke.key into previous/ and restart the service: it creates a new
// one and publishes its public key; delete the previous key once no login
// sealed to it can still be delivered (the login topic's retention).
const (
	KeysDir       = "keys"
	ScorerKeyFile = "scorer-hpke.key"
	PreviousDir   = "previous"
	StateKeyFile  = "state.key"
	PublicKeyFile = "scorer-hpke.pub"
)

// PublicKeyPath is where the service on state publishes its public key.
func PublicKeyPath(state string) string { return filepath.Join(state, PublicKeyFile) }

// LoadKeys reads the service's keys from the state folder, creating the
// scorer key and the state key on first use (each by an exclusive create,
// so two processes starting at once end up with the same key), and
// publishes the public key at [PublicKeyPath]. Key files are made private
// (0600) if they are not.
func LoadKeys(state string) (live.Keys, error) {
	dir := filepath.Join(state, KeysDir)
	if err := os.MkdirAll(state, 0o700); err != nil {
		return live.Keys{}, fmt.Errorf("scorer keys: %w", err)
	}
	// The keys folder and every key file are opened without following a
	// link: a planted link would have the keys written, and the mode
	// changed, elsewhere.
	if err := safefs.Dir(dir, 0o700); err != nil {
		return live.Keys{}, fmt.Errorf("scorer keys: %w", err)
	}
	if err := safefs.NotLink(filepath.Join(dir, PreviousDir)); err != nil {
		return live.Keys{}, fmt.Errorf("scorer keys: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return live.Keys{}, fmt.Errorf("scorer keys: %w", err)
	}
	current, err := loadOrCreate(filepath.Join(dir, ScorerKeyFile), func() ([]byte, error) {
		k, err := wire.GenerateKey()
		if err != nil {
			return nil, err
		}
		return wire.MarshalPrivateKey(k), nil
	})
	if err != nil {
		return live.Keys{}, err
	}
	k, err := wire.ParsePrivateKey(current)
	if err != nil {
		return live.Keys{}, fmt.Errorf("%s: %w", filepath.Join(dir, ScorerKeyFile), err)
	}
	keys := live.Keys{Scorer: []*wire.PrivateKey{k}}
	prev, err := filepath.Glob(filepath.Join(dir, PreviousDir, "*.key"))
	if err != nil {
		return live.Keys{}, err
	}
	sort.Strings(prev)
	for _, p := range prev {
		b, err := readPrivate(p)
		if err != nil {
			return live.Keys{}, err
		}
		pk, err := wire.ParsePrivateKey(b)
		if err != nil {
			return live.Keys{}, fmt.Errorf("%s: %w", p, err)
		}
		keys.Scorer = append(keys.Scorer, pk)
	}
	statePath := filepath.Join(dir, StateKeyFile)
	if keys.State, err = loadOrCreate(statePath, func() ([]byte, error) {
		b := make([]byte, live.StateKeySize)
		rand.Read(b)
		return b, nil
	}); err != nil {
		return live.Keys{}, err
	}
	if len(keys.State) != live.StateKeySize {
		return live.Keys{}, fmt.Errorf("%s: %d bytes, want %d", statePath, len(keys.State), live.StateKeySize)
	}
	if err := publish(PublicKeyPath(state), wire.MarshalPublicKey(k.Public())); err != nil {
		return live.Keys{}, err
	}
	return keys, nil
}

// ReadPublicKey reads a scorer public key file (PEM) for a client.
func ReadPublicKey(path string) (*wire.PublicKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no scorer public key at %s: the scoring service writes it to its state folder (%s) when it starts; copy it from there: %w",
			path, PublicKeyFile, err)
	}
	if err != nil {
		return nil, err
	}
	k, err := wire.ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// readPrivate reads a key file, first making it private if it is not. It
// opens it without following a link and changes the mode of the file it
// opened, never of a link's target.
func readPrivate(path string) ([]byte, error) {
	f, err := safefs.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return nil, fmt.Errorf("%s is readable by others and cannot be made private: %w", path, err)
		}
	}
	return io.ReadAll(f)
}

// loadOrCreate reads path, or creates it with create's bytes: written to a
// private temporary file and linked into place, which fails if path exists
// meanwhile (then the winner's file is read), so no reader ever sees a
// partial key and two creators agree on one.
func loadOrCreate(path string, create func() ([]byte, error)) ([]byte, error) {
	b, err := readPrivate(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	b, err = create()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readPrivate(path)
		}
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return b, nil
}

// publish writes the public key file (0644) unless it holds p already. A
// link at path is refused (rename would replace the link itself, but the
// file a client reads must be the one written here).
func publish(path string, p []byte) error {
	if err := safefs.NotLink(path); err != nil {
		return fmt.Errorf("publish the scorer public key: %w", err)
	}
	if old, err := safefs.ReadFile(path); err == nil && bytes.Equal(old, p) {
		return nil
	}
	// A temporary file of its own, renamed into place: two services
	// starting at once each publish whole files (the same key).
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("publish the scorer public key: %w", err)
	}
	_, err = f.Write(p)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644) // a public key: readable by the clients
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("publish the scorer public key: %w", err)
	}
	return nil
}

// describeKeys is the Where line of the keys.
func describeKeys(state string, k live.Keys) string {
	var prev []string
	for _, p := range k.Scorer[1:] {
		prev = append(prev, p.ID().String())
	}
	s := fmt.Sprintf("scorer key %s in %s; its public key for clients: %s", k.Scorer[0].ID(), filepath.Join(state, KeysDir), PublicKeyPath(state))
	if len(prev) > 0 {
		s += " (previous keys still open logins: " + strings.Join(prev, ", ") + ")"
	}
	return s
}

// CopyKeys makes the keys of the state folder from (created there on
// first use) the keys of the state folder to, for another instance of the
// same service: the scorer key the clients seal logins to, its previous
// keys, and the state key that seals stored session keys, which every
// instance of one deployment must share (a session's vectors may reach
// any instance after a rebalance). Keys that exist in to are left alone
// unless they differ, which is an error.
func CopyKeys(from, to string) error {
	if _, err := LoadKeys(from); err != nil {
		return err
	}
	src := filepath.Join(from, KeysDir)
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, KeysDir, rel)
		if d.IsDir() {
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return err
			}
			if err := safefs.Dir(dst, 0o700); err != nil {
				return err
			}
			return os.Chmod(dst, 0o700)
		}
		b, err := readPrivate(path)
		if err != nil {
			return err
		}
		old, err := safefs.ReadFile(dst)
		switch {
		case err == nil && !bytes.Equal(old, b):
			return fmt.Errorf("copy keys to %s: %s holds another key; remove it or use that state folder's keys", to, dst)
		case err == nil:
			return nil
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		return safefs.WriteFile(dst, b, 0o600)
	})
}
