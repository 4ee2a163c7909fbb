package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/testutil"
)

// TestDemoRun runs the whole demo on a small data set and checks every
// stage's output exists and is named in the summary, and that the live
// stage reports its impostors.
func TestDemoRun(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "runs every stage of the demo (TestReplayRunEmbedded checks its live stage under the race detector)")
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
	for _, p := range []string{"logs", "cleaned", "features.csv", "models", "run/run.json", "run/report.html", "live"} {
		if !strings.Contains(s, " "+filepath.Join(dir, p)+"\n") {
			t.Errorf("the summary does not name %s", p)
		}
	}
	if !strings.Contains(s, "== 7/7 live replay") || !strings.Contains(s, "impostor") {
		t.Errorf("the stages' results (7, the impostors of the live replay) are not on stdout:\n%s", lastBytes(s, 3000))
	}
	b, err := os.ReadFile(filepath.Join(dir, "features.csv"))
	if err != nil || strings.Count(string(b), "\n") < 50 {
		t.Errorf("features.csv has %d lines (%v)", strings.Count(string(b), "\n"), err)
	}
}

func TestNewCmdDemo(t *testing.T) {
	t.Parallel()
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
// table of stage and output, and the stages' results go to stderr. The
// stages are stand-ins that write their result where the demo points them
// (TestDemoRun runs the real ones).
func TestDemoRunJSON(t *testing.T) {
	t.Parallel()
	ios, _, out, errOut := cli.TestIO()
	dir := t.TempDir()
	var ran []string
	opts := &DemoOptions{IO: ios, Factory: &cli.Factory{IO: ios, Now: time.Now, Version: "test"}, Dir: dir, Output: cli.FormatJSON,
		stages: func(o *DemoOptions, dir string) []demoStage {
			stage := func(title, file string) demoStage {
				path := filepath.Join(dir, file)
				return demoStage{title, path, func(context.Context) error {
					ran = append(ran, title)
					fmt.Fprintf(o.IO.Out, "%s: the stage's result table\n", title)
					return os.WriteFile(path, []byte(title), 0o600)
				}}
			}
			return []demoStage{stage("synthesize logs", "logs"), stage("report", "report.html")}
		}}
	if err := demoRun(context.Background(), opts); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rows []struct{ Stage, Output string }
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
		t.Fatalf("stdout is not the JSON summary alone: %v\n%s", err, out)
	}
	if len(rows) != 2 || rows[1].Stage != "report" || rows[1].Output != filepath.Join(dir, "report.html") || len(ran) != 2 {
		t.Errorf("summary %+v, stages run %v", rows, ran)
	}
	for _, want := range []string{"== 1/2 synthesize logs", "synthesize logs: the stage's result table", "report: the stage's result table"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	failing := &DemoOptions{IO: ios, Factory: opts.Factory, Dir: dir, Output: cli.FormatJSON,
		stages: func(*DemoOptions, string) []demoStage {
			return []demoStage{{"broken", "", func(context.Context) error { return errors.New("no disk") }}}
		}}
	if err := demoRun(context.Background(), failing); err == nil || !strings.Contains(err.Error(), `demo stage "broken": no disk`) {
		t.Errorf("a failing stage: %v", err)
	}
}

// lastBytes is the end of s, at most n bytes.
func lastBytes(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
