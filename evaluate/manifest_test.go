package evaluate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewManifest(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	m, err := NewManifest([]string{"mouseauth", "evaluate"}, "v1", 9, at, p)
	if err != nil {
		t.Fatal(err)
	}
	// SHA-256 of "abc".
	const sum = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if len(m.Inputs) != 1 || m.Inputs[0].SHA256 != sum || m.Inputs[0].Bytes != 3 || m.Inputs[0].Path != p {
		t.Errorf("inputs = %+v", m.Inputs)
	}
	if m.Seed != 9 || m.Version != "v1" || !m.Started.Equal(at) || m.Started.Location() != time.UTC ||
		!strings.HasPrefix(m.GoVersion, "go") || len(m.Command) != 2 {
		t.Errorf("manifest = %+v", m)
	}
	if _, err := NewManifest(nil, "", 0, at, filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: err = %v", err)
	}
}
