package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Ready is what a serving instance (`mouseauth live serve --ready-file
// PATH`) writes to PATH once it consumes: joined its consumer group, its
// partitions assigned, /metrics and /healthz served. A supervisor (bench
// scaleout, a test, an init system's start script) waits for the file
// instead of reading the log.
type Ready struct {
	PID int `json:"pid"`
	// Metrics is the host:port of /metrics and /healthz; empty when the
	// instance serves neither (--listen "").
	Metrics string   `json:"metrics,omitempty"`
	Brokers []string `json:"brokers"`
	Group   string   `json:"group"`
}

// WriteReadyFile writes r to path as one JSON object, atomically: a
// temporary file in the same folder, then a rename, so a reader sees the
// whole file or none. The file is private (0600).
func WriteReadyFile(path string, r Ready) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ready file %s: %w", path, err)
	}
	return nil
}

// ReadReadyFile reads what [WriteReadyFile] wrote. A missing file is an
// error wrapping fs.ErrNotExist: the instance is not ready (yet).
func ReadReadyFile(path string) (Ready, error) {
	var r Ready
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("ready file %s: %w", path, err)
	}
	return r, nil
}
