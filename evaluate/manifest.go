package evaluate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"time"
)

// NewManifest records a run: the command line args, the build version, the
// seed, each input file's path, size and SHA-256, the start time and the Go
// version. It reads the input files (manifests are built at the edge, in the
// commands, not in the pipeline) and fails naming a file it cannot read.
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
	f, err := os.Open(path)
	if err != nil {
		return Input{}, fmt.Errorf("manifest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Input{}, fmt.Errorf("manifest: read %s: %w", path, err)
	}
	return Input{Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}
