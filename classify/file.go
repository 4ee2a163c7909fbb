package classify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Model files on disk: one file per user, DIR/<user>.model, as
// `mouseauth classify train` and `evaluate holdout --save-models` write
// them and the live service's file store and `classify score` read them.

// ModelExt is the extension of a model file.
const ModelExt = ".model"

// FileName returns user as a file name stem: path separators, NUL and ':'
// become '_', so no user name can point outside the folder.
func FileName(user string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, user)
}

// ModelPath is the file of user's model in dir.
func ModelPath(dir, user string) string { return filepath.Join(dir, FileName(user)+ModelExt) }

// SaveFile writes m to path and returns the file's size. A model that
// fails to save leaves no file behind, so nothing half-written is loaded
// later.
func SaveFile(path string, m *SavedModel) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	if err := Save(f, m); err != nil {
		f.Close()
		os.Remove(path)
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	fi, err := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return fi.Size(), nil
}

// SaveDir writes every model of byUser to [ModelPath](dir, user), creating
// dir.
func SaveDir(dir string, byUser map[string]*SavedModel) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for u, m := range byUser {
		if _, err := SaveFile(ModelPath(dir, u), m); err != nil {
			return err
		}
	}
	return nil
}

// TreeClassifiers lists the classifiers that take a "trees" parameter
// (the ones --trees applies to).
func TreeClassifiers() []string {
	var out []string
	for _, n := range Names() {
		if HasParam(n, "trees") {
			out = append(out, n)
		}
	}
	return out
}
