package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cli"
)

func TestNewCmdDatasetSynth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, args, wantErr string
		check               func(*SynthOptions) bool
	}{
		{"defaults", "--out o", "", func(o *SynthOptions) bool { return o.Users == 10 && o.Sessions == 3 && o.Seed == 0 && o.Actions == 300 }},
		{"set", "--out o --users 3 --sessions 2 --seed 9 --actions 20 --start 2026-02-01T08:00:00Z", "", func(o *SynthOptions) bool {
			return o.Users == 3 && o.Sessions == 2 && o.Seed == 9 && o.Actions == 20 && o.Start.Month() == 2
		}},
		{"no out", "--users 3", `required flag(s) "out" not set`, nil},
		{"zero users", "--out o --users 0", "must be positive", nil},
		{"negative sessions", "--out o --sessions -1", "must be positive", nil},
		{"zero actions", "--out o --actions 0", "must be positive", nil},
		{"bad start", "--out o --start yesterday", "--start must be", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *SynthOptions
			cmd := newCmdDatasetSynth(&cli.Factory{IO: ios}, func(_ context.Context, o *SynthOptions) error { got = o; return nil })
			err := execArgs(ios, cmd, tc.args)
			if tc.wantErr != "" {
				wantUsageError(t, err, tc.wantErr)
				return
			}
			if err != nil || got == nil || !tc.check(got) {
				t.Fatalf("err = %v, opts = %+v", err, got)
			}
		})
	}
}

func TestSynthRun(t *testing.T) {
	t.Parallel()
	ios, _, out, errOut := cli.TestIO()
	dir := filepath.Join(t.TempDir(), "synth")
	opts := &SynthOptions{IO: ios, Out: dir}
	opts.Users, opts.Sessions, opts.Actions, opts.Seed = 2, 2, 10, 5
	if err := synthRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "wrote 2 users, 4 sessions") {
		t.Errorf("stderr = %q", errOut)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "users") ||
		!strings.Contains(lines[1], dir) || strings.Fields(lines[1])[2] != strconv.Itoa(countEvents(t, dir)) {
		t.Errorf("stdout = %q, want one row: users, sessions, events, folder, seconds", out)
	}
	if !strings.Contains(errOut.String(), "synthesizing") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "User*", "*.CSV"))
	if len(files) != 4 {
		t.Fatalf("files = %v", files)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.HasPrefix(string(b), "client timestamp,button,state,x,y\n") {
		t.Errorf("not a DFL log: %.60q", b)
	}
	// A second run into the same folder is refused without --force.
	if err := synthRun(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second run: %v", err)
	}
	opts.Force = true
	if err := synthRun(context.Background(), opts); err != nil {
		t.Errorf("--force: %v", err)
	}
}

// treeHash digests every file under dir: relative names and bytes, in
// name order.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("walk %s: %d files, %v", dir, n, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestSynthRunReproducible writes the same seed twice with different worker
// counts and a different seed once, and compares the trees on disk.
func TestSynthRunReproducible(t *testing.T) {
	t.Parallel()
	run := func(seed uint64, workers int) string {
		ios, _, _, _ := cli.TestIO()
		dir := filepath.Join(t.TempDir(), "synth")
		opts := &SynthOptions{IO: ios, Out: dir}
		opts.Users, opts.Sessions, opts.Actions, opts.Seed, opts.Workers = 5, 2, 30, seed, workers
		opts.Start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
		if err := synthRun(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "User5", "2026_03_03__13_35_00.CSV")); err != nil {
			t.Errorf("DFL layout: %v", err)
		}
		return treeHash(t, dir)
	}
	a, b, c := run(3, 1), run(3, 4), run(4, 2)
	if a != b {
		t.Errorf("same seed, different trees with 1 and 4 workers: %s vs %s", a, b)
	}
	if a == c {
		t.Errorf("seeds 3 and 4 gave the same tree")
	}
}

// countEvents counts the data rows of the logs under dir.
func countEvents(t *testing.T, dir string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "User*", "*.CSV"))
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(b), "\n") - 1 // the header
	}
	return n
}
