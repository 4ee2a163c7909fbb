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

	"github.com/mouseauth/mouseauth/live/store"
)

// Store is a directory of model files.
type Store struct{ dir string }

var _ store.Models = (*Store)(nil)

// Open uses dir, creating it if needed.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("file store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// checkUser refuses names that would escape the directory.
func checkUser(u string) error {
	if u == "" || u == "." || u == ".." || strings.ContainsAny(u, `/\`) || strings.ContainsRune(u, 0) {
		return fmt.Errorf("file store: user name %q cannot be a directory name", u)
	}
	return nil
}

func (s *Store) path(user string, version int) string {
	return filepath.Join(s.dir, user, fmt.Sprintf("v%d.model", version))
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
	dir := filepath.Join(s.dir, m.User)
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
	return filepath.Join(s.dir, user, fmt.Sprintf("v%d.meta", version))
}

func (s *Store) versions(user string) ([]int, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, user))
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

// ModelUsers lists the user directories holding at least one model.
func (s *Store) ModelUsers(ctx context.Context) ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("file store: %w", err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if vs, _ := s.versions(e.Name()); len(vs) > 0 {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Close does nothing.
func (s *Store) Close() error { return nil }
