package evaluate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"
)

// NewManifest records a run: the command line args, the build version, the
// seed, each input file's path, size and SHA-256, the start time and the Go
// version. It reads the input files (manifests are built at the edge, in the
// commands, not in the pipeline) and fails naming a file it cannot read. An
// input that is a folder (raw logs) is recorded as one input: its bytes are
// the total of its files and its SHA-256 is that of the list of its files'
// relative paths, sizes and SHA-256s (sorted, as `sha256sum` prints them),
// so any change to a file, a name or the set of files changes it.
func NewManifest(args []string, version string, seed int64, started time.Time, paths ...string) (Manifest, error) {
	m := Manifest{Command: slices.Clone(args), Version: version, Seed: seed,
		Started: started.UTC(), GoVersion: runtime.Version()}
	for _, p := range paths {
		in, err := hashFile(p)
		if err != nil {
			return Manifest{}, err
		}
		m.Inputs = append(m.Inputs, in)
	}
	return m, nil
}

func hashFile(path string) (Input, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Input{}, fmt.Errorf("manifest: %w", err)
	}
	if fi.IsDir() {
		return hashDir(path)
	}
	in, err := hashRegular(path)
	if err != nil {
		return Input{}, fmt.Errorf("manifest: %w", err)
	}
	return in, nil
}

// hashDir hashes every regular file under dir (hidden ones included, links
// followed) into one [Input]: see [NewManifest].
func hashDir(dir string) (Input, error) {
	var lines []string
	var total int64
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		in, err := hashRegular(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		lines = append(lines, fmt.Sprintf("%s  %d  %s\n", in.SHA256, in.Bytes, filepath.ToSlash(rel)))
		total += in.Bytes
		return nil
	})
	if err != nil {
		return Input{}, fmt.Errorf("manifest: %w", err)
	}
	// WalkDir walks in lexical order: the list is sorted by path.
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
	}
	return Input{Path: dir, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: total}, nil
}

// hashRegular hashes one file (following a link).
func hashRegular(path string) (Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return Input{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Input{}, fmt.Errorf("read %s: %w", path, err)
	}
	return Input{Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}
