package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// TestDemoRun runs the whole demo on a small data set and checks every
// stage's output exists and is named in the summary.
func TestDemoRun(t *testing.T) {
	ios, _, out, errOut := cli.TestIO()
	dir := t.TempDir()
	opts := &DemoOptions{IO: ios, Factory: &cli.Factory{IO: ios, Now: time.Now, Args: []string{"mouseauth", "demo"}, Version: "test"},
		Dir: dir, Users: 4, Sessions: 2, Actions: 40, Seed: 3}
	if err := demoRun(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s\nstderr (end):\n%s", err, out, lastBytes(errOut.String(), 4000))
	}
	s := out.String()
	if !strings.Contains(s, "Demo outputs in "+dir) {
		t.Errorf("summary missing:\n%s", s)
	}
	for _, p := range []string{"logs/User1", "cleaned/User4", "features.csv", "models/User1.model", "run/run.json", "run/report.html"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("demo output %s: %v", p, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "features.csv"))
	if err != nil || strings.Count(string(b), "\n") < 50 {
		t.Errorf("features.csv has %d lines (%v)", strings.Count(string(b), "\n"), err)
	}
}

func TestNewCmdDemo(t *testing.T) {
	ios, _, _, _ := cli.TestIO()
	cmd := newCmdDemo(&cli.Factory{IO: ios}, func(context.Context, *DemoOptions) error { return nil })
	cmd.SetArgs([]string{"--users", "1"})
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	if err := cmd.Execute(); cli.ExitCode(err) != cli.ExitUsage {
		t.Errorf("--users 1: err = %v, want a usage error", err)
	}
	var got *DemoOptions
	cmd = newCmdDemo(&cli.Factory{IO: ios}, func(_ context.Context, o *DemoOptions) error { got = o; return nil })
	if err := execArgs(ios, cmd, "-o csv"); err != nil || got.Output != cli.FormatCSV {
		t.Errorf("-o csv: %v, %+v", err, got)
	}
	cmd = newCmdDemo(&cli.Factory{IO: ios}, func(context.Context, *DemoOptions) error { return nil })
	wantUsageError(t, execArgs(ios, cmd, "-o yaml"), "yaml")
}

// TestDemoRunJSON: with -o json stdout holds only the summary, a JSON
// table of stage and output, and the stages' results go to stderr.
func TestDemoRunJSON(t *testing.T) {
	ios, _, out, errOut := cli.TestIO()
	ios.Quiet = true
	dir := t.TempDir()
	opts := &DemoOptions{IO: ios, Factory: &cli.Factory{IO: ios, Now: time.Now, Args: []string{"mouseauth", "demo"}, Version: "test"},
		Dir: dir, Users: 3, Sessions: 2, Actions: 30, Seed: 5, Output: cli.FormatJSON}
	if err := demoRun(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rows []struct{ Stage, Output string }
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
		t.Fatalf("stdout is not the JSON summary: %v\n%s", err, out)
	}
	if len(rows) != 7 || rows[5].Stage != "report" || rows[5].Output != filepath.Join(dir, "run", "report.html") {
		t.Errorf("summary %+v", rows)
	}
	for _, r := range rows {
		if _, err := os.Stat(r.Output); err != nil {
			t.Errorf("stage %q: %v", r.Stage, err)
		}
	}
	if !strings.Contains(errOut.String(), "== 1/7 synthesize logs") || !strings.Contains(errOut.String(), "impostor") {
		t.Errorf("the stages' results are not on stderr:\n%s", errOut)
	}
}

// lastBytes is the end of s, at most n bytes.
func lastBytes(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
