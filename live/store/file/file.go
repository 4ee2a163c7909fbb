package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mouseauth/mouseauth/live/store"
)

// Store is a directory of model files.
type Store struct{ dir string }

var _ store.Models = (*Store)(nil)

// Open uses dir, creating it if needed. It refuses a folder in dir that
// no user's name leads to: an older version's folder whose name has a '%'
// that is not an encoding (its user's models would be lost); the error
// says what to rename it to.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("file store: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("file store: %w", err)
	}
	for _, e := range ents {
		if _, ok := userOf(e.Name()); e.IsDir() && !ok && strings.Contains(e.Name(), "%") {
			return nil, fmt.Errorf("file store: folder %s holds the models of user %q as an older mouseauth named it; "+
				"rename it to %s (user names are encoded in folder names, '%%' as %%25)", filepath.Join(dir, e.Name()), e.Name(), folderName(e.Name()))
		}
	}
	return &Store{dir: dir}, nil
}

// checkUser refuses the names no user can have (the message format's
// limits: empty, control characters such as NUL, invalid UTF-8); every
// other name has a folder of its own (folderName).
func checkUser(u string) error {
	if u == "" || len(u) > 1024 || !utf8.ValidString(u) || strings.ContainsFunc(u, unicode.IsControl) {
		return fmt.Errorf("file store: user name %q is not a user name (empty, invalid UTF-8 or a control character)", u)
	}
	return nil
}

// plain reports whether b may stand for itself in a folder name.
func plain(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '-' || b == '.'
}

// folderName encodes user as a folder name, injectively: plain bytes (ASCII
// letters, digits, '_', '-', '.') stand for themselves, every other byte is
// %XX (so '%' itself is %25, and "x/y" is x%2Fy while "x_y" stays x_y), a
// leading '.' is %2E (no ".", ".." or hidden folder). Two users never share
// a folder, and no name escapes DIR.
func folderName(user string) string {
	var b strings.Builder
	for i := 0; i < len(user); i++ {
		c := user[i]
		if plain(c) && (i > 0 || c != '.') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// userOf decodes a folder name; ok is false for a name folderName does not
// write (a folder of an older version, named by the user name itself, or
// anything else).
func userOf(name string) (user string, ok bool) {
	if name == "" || name[0] == '.' {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case plain(c):
			b.WriteByte(c)
		case c == '%' && i+2 < len(name) && isUpperHex(name[i+1]) && isUpperHex(name[i+2]):
			v, _ := strconv.ParseUint(name[i+1:i+3], 16, 8)
			if plain(byte(v)) && (i > 0 || v != '.') {
				return "", false // folderName writes it plain: not ours
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			return "", false
		}
	}
	return b.String(), checkUser(b.String()) == nil
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// legacyFolder is the folder an older version kept user's models in (the
// name itself), when it differs from folderName's and cannot be another
// user's encoded folder: it has no '%' (an encoded name that differs from
// its user has one) and was a legal name then (no '/', '\\', ".", "..").
func legacyFolder(user string) (string, bool) {
	if user == folderName(user) || user == "." || user == ".." || strings.ContainsAny(user, "%/\\") {
		return "", false
	}
	return user, true
}

// userDir is user's folder: folderName's, or the older version's folder of the
// user when only that one exists (its models are read and added to there).
func (s *Store) userDir(user string) string {
	enc := filepath.Join(s.dir, folderName(user))
	if old, ok := legacyFolder(user); ok {
		if _, err := os.Stat(enc); errors.Is(err, fs.ErrNotExist) {
			if st, err := os.Stat(filepath.Join(s.dir, old)); err == nil && st.IsDir() {
				return filepath.Join(s.dir, old)
			}
		}
	}
	return enc
}

func (s *Store) path(user string, version int) string {
	return filepath.Join(s.userDir(user), fmt.Sprintf("v%d.model", version))
}

// PutModel writes the model to a temporary file and links it into place, so
// a reader never sees half a model and an existing version is never
// replaced. Created and Vectors go to a v<version>.meta JSON file written
// before the model is linked, so a visible model always has its metadata.
func (s *Store) PutModel(ctx context.Context, m store.Model) error {
	if err := checkUser(m.User); err != nil {
		return err
	}
	if m.Version < 1 {
		return fmt.Errorf("file store: model version %d of %s: versions start at 1", m.Version, m.User)
	}
	dir := s.userDir(m.User)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(m.Data); err != nil {
		tmp.Close()
		return fmt.Errorf("file store: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("file store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	meta, _ := json.Marshal(modelMeta{Created: m.Created, Vectors: m.Vectors})
	if _, err := os.Stat(s.path(m.User, m.Version)); err == nil {
		return fmt.Errorf("file store: %s: %w", s.path(m.User, m.Version), store.ErrVersionExists)
	}
	if err := os.WriteFile(s.metaPath(m.User, m.Version), meta, 0o644); err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	final := s.path(m.User, m.Version)
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("file store: %s: %w", final, store.ErrVersionExists)
		}
		return fmt.Errorf("file store: %w", err)
	}
	return nil
}

type modelMeta struct {
	Created time.Time `json:"created"`
	Vectors int64     `json:"vectors"`
}

func (s *Store) metaPath(user string, version int) string {
	return filepath.Join(s.userDir(user), fmt.Sprintf("v%d.meta", version))
}

func (s *Store) versions(user string) ([]int, error) {
	return versionsIn(s.userDir(user))
}

func versionsIn(dir string) ([]int, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("file store: %w", err)
	}
	var vs []int
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, "v") || !strings.HasSuffix(n, ".model") {
			continue
		}
		if v, err := strconv.Atoi(strings.TrimSuffix(n[1:], ".model")); err == nil && v > 0 {
			vs = append(vs, v)
		}
	}
	sort.Ints(vs)
	return vs, nil
}

// LatestModel reads the highest version.
func (s *Store) LatestModel(ctx context.Context, user string) (store.Model, error) {
	if err := checkUser(user); err != nil {
		return store.Model{}, err
	}
	vs, err := s.versions(user)
	if err != nil {
		return store.Model{}, err
	}
	if len(vs) == 0 {
		return store.Model{}, fmt.Errorf("file store: model of %s: %w", user, store.ErrNotFound)
	}
	p := s.path(user, vs[len(vs)-1])
	data, err := os.ReadFile(p)
	if err != nil {
		return store.Model{}, fmt.Errorf("file store: %w", err)
	}
	m := store.Model{User: user, Version: vs[len(vs)-1], Data: data}
	if b, err := os.ReadFile(s.metaPath(user, m.Version)); err == nil {
		var meta modelMeta
		if err := json.Unmarshal(b, &meta); err != nil {
			return store.Model{}, fmt.Errorf("file store: %s: %w", s.metaPath(user, m.Version), err)
		}
		m.Created, m.Vectors = meta.Created.UTC(), meta.Vectors
	}
	return m, nil
}

// ModelUsers lists the users whose folder holds at least one model: the
// encoded folders decoded, and the folders of older versions by their name
// (when that is the folder the store uses for that user).
func (s *Store) ModelUsers(ctx context.Context) ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("file store: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		user, ok := userOf(e.Name())
		if !ok {
			user = e.Name() // an older version's folder
		}
		if seen[user] || checkUser(user) != nil || s.userDir(user) != filepath.Join(s.dir, e.Name()) {
			continue
		}
		if vs, _ := versionsIn(filepath.Join(s.dir, e.Name())); len(vs) > 0 {
			seen[user] = true
			out = append(out, user)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Close does nothing.
func (s *Store) Close() error { return nil }
