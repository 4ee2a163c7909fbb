package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/reports"
	"github.com/mouseauth/mouseauth/reports/reportstest"
)

func TestNewCmdReport(t *testing.T) {
	tests := []struct {
		name      string
		args      string
		want      ReportOptions
		wantErr   string
		wantUsage bool
	}{
		{name: "run only", args: "--run runs/rf", want: ReportOptions{RunDir: "runs/rf", Out: "runs/rf"}},
		{name: "run and out", args: "--run runs/rf --out /tmp/r", want: ReportOptions{RunDir: "runs/rf", Out: "/tmp/r"}},
		{name: "json", args: "--run runs/rf -o json", want: ReportOptions{RunDir: "runs/rf", Out: "runs/rf", Output: "json"}},
		{name: "bad output", args: "--run runs/rf -o yaml", wantErr: "yaml", wantUsage: true},
		{name: "no run", args: "--out x", wantErr: "--run is required", wantUsage: true},
		{name: "no flags", args: "", wantErr: "--run is required", wantUsage: true},
		{name: "paper", args: "--run r --style paper", want: ReportOptions{RunDir: "r", Out: "r", Style: reports.PaperStyle()}},
		{name: "paper overridden", args: "--run r --style paper --size 3.5x2.6 --font-size 9 --formats pdf,png --roc-scale log",
			want: func() ReportOptions {
				st := reports.PaperStyle()
				st.Height, st.FontSize, st.Formats, st.LogROC = 2.6*vg.Inch, 9, []string{"pdf", "png"}, true
				return ReportOptions{RunDir: "r", Out: "r", Style: st}
			}()},
		{name: "bad style", args: "--run r --style poster", wantErr: "unknown style", wantUsage: true},
		{name: "bad size", args: "--run r --size 3", wantErr: "--size", wantUsage: true},
		{name: "tiny font", args: "--run r --font-size 4", wantErr: "font size", wantUsage: true},
		{name: "bad format", args: "--run r --formats png,gif", wantErr: `format "gif"`, wantUsage: true},
		{name: "bad scale", args: "--run r --roc-scale probit", wantErr: "--roc-scale", wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *ReportOptions
			cmd := newCmdReport(&cli.Factory{IO: ios}, func(_ context.Context, o *ReportOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if tt.wantUsage && cli.ExitCode(err) != cli.ExitUsage {
					t.Errorf("exit code %d, want %d", cli.ExitCode(err), cli.ExitUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("run function not called")
			}
			if tt.want.Output == "" {
				tt.want.Output = cli.FormatTable
			}
			if tt.want.Style.Width == 0 {
				tt.want.Style = reports.ScreenStyle()
			}
			if got.RunDir != tt.want.RunDir || got.Out != tt.want.Out || got.Output != tt.want.Output || !reflect.DeepEqual(got.Style, tt.want.Style) {
				t.Errorf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// Usage errors through the root command: extra arguments and unknown flags
// exit with 2 before any work.
func TestReportUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"report", "--run", "d", "extra"}, {"report", "--nope"}} {
		ios, _, _, _ := cli.TestIO()
		root := NewCmdRoot(&cli.Factory{IO: ios})
		root.SetArgs(args)
		if err := root.Execute(); cli.ExitCode(err) != cli.ExitUsage {
			t.Errorf("%v: error %v, exit code %d, want %d", args, err, cli.ExitCode(err), cli.ExitUsage)
		}
	}
}

func TestReportHelp(t *testing.T) {
	ios, _, out, _ := cli.TestIO()
	root := NewCmdRoot(&cli.Factory{IO: ios})
	root.SetArgs([]string{"report", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Examples:", "mouseauth report --run runs/rf", "--out", "report.html"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestReportRun(t *testing.T) {
	full, err := json.Marshal(reportstest.Run())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		runJSON    []byte // nil: no run.json
		separate   bool   // --out to another directory
		quiet      bool
		wantErr    []string
		wantIs     error
		wantFiles  int
		wantStderr string
	}{
		{name: "report next to run", runJSON: full, wantFiles: 57, wantStderr: "report"},
		{name: "report to --out", runJSON: full, separate: true, quiet: true, wantFiles: 57},
		{name: "empty run warns", runJSON: []byte(`{"manifest":{"seed":3}}`), quiet: true, wantFiles: 4,
			wantStderr: "has no results, sweeps or thresholds"},
		{name: "missing run.json", wantErr: []string{"run.json", "mouseauth evaluate"}, wantIs: fs.ErrNotExist},
		{name: "invalid run.json", runJSON: []byte("{\"sweeps\": [{\"value\": \"ten\"}]}"),
			wantErr: []string{"run.json", `field "sweeps.value"`, "line 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runDir := t.TempDir()
			if tt.runJSON != nil {
				if err := os.WriteFile(filepath.Join(runDir, "run.json"), tt.runJSON, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			outDir := runDir
			if tt.separate {
				outDir = filepath.Join(t.TempDir(), "new", "report")
			}
			ios, _, stdout, stderr := cli.TestIO()
			ios.Quiet = tt.quiet
			err := reportRun(context.Background(), &ReportOptions{IO: ios, RunDir: runDir, Out: outDir})
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("error %v is not %v", err, tt.wantIs)
				}
				if _, serr := os.Stat(filepath.Join(outDir, reports.ReportHTML)); serr == nil {
					t.Error("report.html written despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			html := filepath.Join(outDir, reports.ReportHTML)
			if last := lines[len(lines)-1]; last != "report: "+html {
				t.Errorf("last line %q, want the report path %s", last, html)
			}
			files := lines[:len(lines)-1]
			if len(files) != tt.wantFiles {
				t.Errorf("listed %d files, want %d", len(files), tt.wantFiles)
			}
			for _, f := range files {
				if !strings.HasPrefix(f, outDir+string(filepath.Separator)) {
					t.Errorf("%s is outside %s", f, outDir)
				}
				if _, err := os.Stat(f); err != nil {
					t.Errorf("listed but missing: %v", err)
				}
			}
			if tt.wantStderr != "" && !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantStderr)
			}
			if tt.quiet && tt.wantStderr == "" && stderr.String() != "" {
				t.Errorf("quiet run wrote to stderr: %q", stderr.String())
			}
		})
	}
}

// TestReportRunJSON: -o json lists every file written with its kind.
func TestReportRunJSON(t *testing.T) {
	full, err := json.Marshal(reportstest.Run())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "run.json"), full, 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, stdout, _ := cli.TestIO()
	ios.Quiet = true
	if err := reportRun(context.Background(), &ReportOptions{IO: ios, RunDir: dir, Out: dir, Output: cli.FormatJSON}); err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Kind, Path string }
	if err := json.Unmarshal([]byte(stdout.String()), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	n := map[string]int{}
	for _, r := range rows {
		n[r.Kind]++
		if _, err := os.Stat(r.Path); err != nil {
			t.Errorf("listed but missing: %v", err)
		}
		if r.Kind == "page" && r.Path != filepath.Join(dir, reports.ReportHTML) {
			t.Errorf("page %s", r.Path)
		}
	}
	if len(rows) != 57 || n["page"] != 1 || n["plot"] == 0 || n["table"] == 0 || n["file"] != 0 {
		t.Errorf("%d files by kind %v", len(rows), n)
	}
}
