package main

import (
	"context"
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
		t.Fatalf("%v\n%s\nstderr (end):\n%s", err, out, tail(errOut.String(), 4000))
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
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
